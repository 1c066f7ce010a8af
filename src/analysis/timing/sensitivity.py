"""What a coincidence test could have detected on a given record.

A null result means little unless the test could have seen an effect. For the interval-jitter
coincidence test (:func:`analysis.timing.coincidence.coincidence_test` with ``null="jitter"``), each
release cluster moves independently and uniformly within its own bin, so the test's reach on a
record can be computed exactly from the record's own clusters and event calendar:

- **informative release days**: releases whose cluster can land both on and off an event
  window inside its bin; all other releases coincide under every surrogate or under none and
  carry no information, whatever the timing of the government's decisions;
- **largest attainable ratio**: observed / expected share if every cluster sat at its best
  position (the ceiling of the effect scale for this record);
- **minimum detectable effect (MDE)**: the smallest ratio the test detects with the target power
  when a share ``pi`` of clusters is placed at its best position (a bargain) and the rest fall
  uniformly in their bins -- computed by Monte Carlo on this record's clusters and calendar,
  without looking at where the releases actually are.

None of these uses the observed statistic, so they can be reported beside every result and can
guide a design choice (window, bin) without touching the outcome.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.timing.calendar import as_weights
from analysis.timing.coincidence import (
    DEFAULT_CLUSTER_GAP,
    DEFAULT_JITTER_DAYS,
    DIRECTIONS,
    _check_int,
    _choice,
    _days,
    _period,
    window_indicator,
)
from analysis.timing.nulls import cluster_labels, jitter_ranges, make_rng

__all__ = [
    "SensitivityResult",
    "cluster_shares",
    "power_curve_from_shares",
    "sensitivity",
]

_FRACTIONS = tuple(np.round(np.arange(0.0, 1.0001, 0.025), 3))


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Result of :func:`sensitivity`.

    Attributes
    ----------
    n_releases, n_clusters : int
        Releases (records) and jitter clusters.
    n_informative, n_informative_clusters : int
        Releases and clusters whose share of coincidences varies with their position in the bin.
    expected : float
        Null mean of the statistic (share of releases with an event in the window).
    max_statistic, max_ratio : float
        The statistic and the ratio if every cluster sat at its best position.
    mde_fraction : float
        Smallest share of clusters placed at their best position that the test detects with
        probability ``power`` at level ``alpha`` (inf if even all clusters are not enough).
    mde_ratio : float
        The expected ratio (observed / expected share) at ``mde_fraction``: the minimum
        detectable effect on the test's own scale (inf if not detectable).
    power_curve : pandas.DataFrame
        ``fraction``, ``ratio`` (expected), ``power`` for each planted share.
    alpha, power : float
        Level and target power.
    settings : dict
        window, direction, jitter_days, cluster_gap, n_sim, seed, weighted.
    rule_alpha : float or None
        The level at which the family's decision rule first tests this row (Holm: ``alpha / m``
        for a family of ``m``), when given.
    mde_fraction_rule, mde_ratio_rule : float
        The MDE at ``rule_alpha`` (nan when no rule level was given).
    observed_ratio, power_observed : float
        The observed ratio, when given, and the exact power at the planted share whose expected
        ratio equals it, at ``rule_alpha`` (or ``alpha`` when no rule level was given).
    method : str
        ``"exact"`` (convolution, :mod:`analysis.timing.exact`) or ``"monte carlo"``.
    """

    n_releases: int
    n_clusters: int
    n_informative: int
    n_informative_clusters: int
    expected: float
    max_statistic: float
    max_ratio: float
    mde_fraction: float
    mde_ratio: float
    power_curve: pd.DataFrame = field(repr=False)
    alpha: float = 0.05
    power: float = 0.8
    settings: dict[str, Any] = field(default_factory=dict)
    rule_alpha: float | None = None
    mde_fraction_rule: float = float("nan")
    mde_ratio_rule: float = float("nan")
    observed_ratio: float = float("nan")
    power_observed: float = float("nan")
    method: str = "monte carlo"

    @property
    def detectable(self) -> bool:
        """Whether any planted share reaches the target power."""
        return bool(np.isfinite(self.mde_ratio))

    def _rows(self) -> list[tuple[str, str]]:
        s = self.settings
        mde = (
            f"{self.mde_ratio:.2f} (share of clusters placed {self.mde_fraction:.2f})"
            if self.detectable
            else "not reached (even every cluster placed at its best position)"
        )
        return [
            ("informative release days", f"{self.n_informative} of {self.n_releases}"),
            ("informative clusters", f"{self.n_informative_clusters} of {self.n_clusters}"),
            ("expected share (null)", f"{self.expected:.3f}"),
            ("largest attainable ratio", f"{self.max_ratio:.2f}"),
            (f"MDE ratio at {self.power:.0%} power, alpha {self.alpha}", mde),
            *(
                [(f"MDE ratio at the rule's level {self.rule_alpha:.4g}",
                  _mde_text(self.mde_ratio_rule, self.mde_fraction_rule))]
                if self.rule_alpha is not None else []
            ),
            *(
                [(f"power at the observed ratio {self.observed_ratio:.2f}",
                  f"{self.power_observed:.3f}")]
                if np.isfinite(self.observed_ratio) else []
            ),
            ("method", self.method),
            (
                "test",
                f"window {s.get('window')} d {s.get('direction')}, jitter {s.get('jitter_days')} "
                f"d bins, cluster gap {s.get('cluster_gap')} d",
            ),
            ("simulations, seed", f"{s.get('n_sim')}, {s.get('seed')}"),
        ]

    def summary(self) -> str:
        """Short plain-text table."""
        rows = self._rows()
        width = max(len(k) for k, _ in rows)
        lines = ["What the test could have detected", "-" * 60]
        lines += [f"{k:<{width}}  {v}" for k, v in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        return f"<table><caption>What the test could have detected</caption>{body}</table>"


def _mde_text(ratio: float, fraction: float) -> str:
    if np.isnan(ratio):
        return "not computed"
    if np.isinf(ratio):
        return "not reached (even every cluster placed at its best position)"
    return f"{ratio:.2f} (share of clusters placed {fraction:.2f})"


def cluster_shares(
    releases: Any,
    events: Any,
    window: int,
    *,
    direction: str = "around",
    jitter_days: int = DEFAULT_JITTER_DAYS,
    cluster_gap: int = DEFAULT_CLUSTER_GAP,
    start: Any = None,
    end: Any = None,
    weights: Any = None,
) -> np.ndarray:
    """Each cluster's contribution to the statistic at every position its bin allows.

    Returns
    -------
    numpy.ndarray
        ``(n_clusters, max_positions)`` float array: entry ``[c, k]`` is the weighted share of
        all releases that coincide when cluster ``c``'s first day sits at the ``k``-th allowed
        day of its bin; ``nan`` past the cluster's last allowed position.
    """
    r = _days(releases, "releases")
    ev = _days(events, "events")
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    jitter_days = _check_int(jitter_days, "jitter_days", 1)
    cluster_gap = _check_int(cluster_gap, "cluster_gap", 0)
    s, e = _period(r, ev, start, end)
    w = np.ones(r.size) if weights is None else as_weights(weights, r.size, True)
    w = w / w.sum()
    h = window_indicator(ev, s, e, window, direction).astype(np.float64)
    labels, offsets, lo, hi = jitter_ranges(r, s, e, jitter_days, cluster_gap)
    width = hi - lo + 1
    k = np.arange(int(width.max()))
    anchors = lo[:, None] + k[None, :]
    valid = k[None, :] < width[:, None]
    out = np.zeros((lo.size, k.size))
    for i in range(r.size):
        c = labels[i]
        days = np.clip(anchors[c] + offsets[i], s, e) - s
        out[c] += w[i] * h[days]
    out[~valid] = np.nan
    return out


def _simulate_stat(
    shares: np.ndarray, fraction: float, n_sim: int, rng: np.random.Generator
) -> np.ndarray:
    """Monte Carlo statistic when each cluster sits at a best position with prob ``fraction``."""
    width = np.sum(~np.isnan(shares), axis=1)
    best = np.nanmax(shares, axis=1)
    n_c = shares.shape[0]
    pos = (rng.random((n_sim, n_c)) * width).astype(np.int64)
    vals = np.nan_to_num(shares)[np.arange(n_c)[None, :], pos]
    if fraction > 0:
        planted = rng.random((n_sim, n_c)) < fraction
        vals = np.where(planted, best[None, :], vals)
    return vals.sum(axis=1)


def sensitivity(
    releases: Any,
    events: Any,
    window: int,
    *,
    direction: str = "around",
    jitter_days: int = DEFAULT_JITTER_DAYS,
    cluster_gap: int = DEFAULT_CLUSTER_GAP,
    start: Any = None,
    end: Any = None,
    weights: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    n_sim: int = 4000,
    seed: int | None = None,
    rule_alpha: float | None = None,
    observed_ratio: float | None = None,
    method: str = "exact",
    bins: Any = None,
    release_ends: Any = None,
    event_ends: Any = None,
) -> SensitivityResult:
    """Informative release days, the largest attainable ratio and the minimum detectable effect.

    The arguments are those of :func:`analysis.timing.coincidence.coincidence_test` with
    ``null="jitter"``; the result describes that test on that record.

    Parameters
    ----------
    releases, events : array-like of dates or day numbers
        As in :func:`analysis.timing.coincidence.coincidence_test`.
    window : int
        Window in days (>= 1).
    direction : {"around", "before", "after"}
        As in :func:`analysis.timing.coincidence.coincidence_test`.
    jitter_days, cluster_gap : int
        Jitter bin width and cluster gap of the test.
    start, end : date-like, optional
        Observation period.
    weights : array-like, optional
        Weight per release.
    alpha : float
        Level of the test (one-sided).
    power : float
        Target power for the MDE.
    n_sim : int
        Monte Carlo draws per planted share (null and alternatives).
    seed : int or None
        Seed (the same seed gives the same result; unused by the exact method).
    rule_alpha : float, optional
        The level at which the family's decision rule first tests this hypothesis (Holm:
        ``alpha / m``); adds ``mde_ratio_rule`` and sets the level of ``power_observed``.
    observed_ratio : float, optional
        The observed ratio; adds the exact power at the planted share with that expected ratio.
    method : {"exact", "monte carlo"}
        ``"exact"``: power and MDE by convolution (:mod:`analysis.timing.exact`), the MDE by
        bisection on the planted share; ``"monte carlo"``: the earlier simulation on a grid.
    bins : array-like, optional
        First day of every bin (bins of unequal width; replaces ``jitter_days``).
    release_ends, event_ends : array-like, optional
        Dates as intervals (see :func:`analysis.timing.coincidence.coincidence_test`); exact
        method only.

    Returns
    -------
    SensitivityResult

    Notes
    -----
    Alternative: each cluster independently sits, with probability ``pi``, at a position of its
    bin where its share of coincidences is largest (chosen among those positions uniformly) and
    otherwise uniformly in its bin, as under the null. A draw is rejected by the test's own rule,
    ``(1 + #{null >= S}) / (1 + n_sim) <= alpha`` against ``n_sim`` null draws; power at ``pi``
    is the share of rejected alternative draws (a degenerate null never rejects). ``pi`` runs
    over 0, 0.025, ..., 1 and the MDE is interpolated linearly between the grid points that
    bracket the target power. The ratio at ``pi`` is exact:
    ``(pi * sum(best) + (1 - pi) * sum(mean)) / sum(mean)``.
    """
    if not (0 < alpha < 1):
        raise ValueError(f"alpha = {alpha!r} must be between 0 and 1")
    if not (0 < power < 1):
        raise ValueError(f"power = {power!r} must be between 0 and 1")
    n_sim = _check_int(n_sim, "n_sim", 100)
    if method not in ("exact", "monte carlo"):
        raise ValueError(f"method = {method!r}; allowed: 'exact', 'monte carlo'")
    if rule_alpha is not None and not (0 < rule_alpha < 1):
        raise ValueError(f"rule_alpha = {rule_alpha!r} must be between 0 and 1")
    if method == "exact" or bins is not None or release_ends is not None or event_ends is not None:
        return _exact_sensitivity(releases, events, window, direction, jitter_days, cluster_gap,
                                  start, end, weights, alpha, power, rule_alpha,
                                  observed_ratio, bins, n_sim, seed, release_ends,
                                  event_ends)  # fmt: skip
    shares = cluster_shares(
        releases, events, window, direction=direction, jitter_days=jitter_days,
        cluster_gap=cluster_gap, start=start, end=end, weights=weights,
    )  # fmt: skip
    r = _days(releases, "releases")
    labels = cluster_labels(r, cluster_gap)  # the clusters cluster_shares used, in its order
    best = np.nanmax(shares, axis=1)
    informative = (best - np.nanmin(shares, axis=1)) > 1e-12
    expected = float(np.nanmean(shares, axis=1).sum())
    curve = power_curve_from_shares(shares, alpha=alpha, n_sim=n_sim, seed=seed)
    mde_f, mde_r = _interpolate_mde(curve, power)
    return SensitivityResult(
        n_releases=int(r.size),
        n_clusters=int(shares.shape[0]),
        n_informative=int(informative[labels].sum()),
        n_informative_clusters=int(informative.sum()),
        expected=expected,
        max_statistic=float(best.sum()),
        max_ratio=float(best.sum() / expected) if expected > 0 else float("nan"),
        mde_fraction=mde_f,
        mde_ratio=mde_r,
        power_curve=curve,
        alpha=alpha,
        power=power,
        settings=dict(
            window=int(window), direction=direction, jitter_days=int(jitter_days),
            cluster_gap=int(cluster_gap), n_sim=n_sim, seed=seed, weighted=weights is not None,
        ),
    )  # fmt: skip


def _exact_sensitivity(
    releases: Any, events: Any, window: int, direction: str, jitter_days: int,
    cluster_gap: int, start: Any, end: Any, weights: Any, alpha: float, power: float,
    rule_alpha: float | None, observed_ratio: float | None, bins: Any, n_sim: int,
    seed: int | None, release_ends: Any = None, event_ends: Any = None,
) -> SensitivityResult:  # fmt: skip
    """:func:`sensitivity` by exact convolution (see :mod:`analysis.timing.exact`)."""
    from analysis.timing.calendar import to_days
    from analysis.timing.coincidence import _lattice_weights, hit_values
    from analysis.timing.exact import (
        exact_mde,
        expected_ratio,
        fraction_for_ratio,
        jitter_table,
        power_curve,
    )
    from analysis.timing.nulls import check_bins

    r = _days(releases, "releases")
    ev = _days(events, "events")
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    jitter_days = _check_int(jitter_days, "jitter_days", 1)
    cluster_gap = _check_int(cluster_gap, "cluster_gap", 0)
    r_end = r if release_ends is None else to_days(release_ends, name="release_ends")
    ev_end = ev if event_ends is None else to_days(event_ends, name="event_ends")
    s, e = _period(np.concatenate([r, r_end]), np.concatenate([ev, ev_end]), start, end)
    w = np.ones(r.size) if weights is None else _lattice_weights(as_weights(weights, r.size, True))
    b = None if bins is None else check_bins(to_days(bins, name="bins"), s, e)
    h = hit_values(ev, s, e, window, direction, event_ends=ev_end)
    values, labels = jitter_table(h, r, s, e, jitter_days, cluster_gap, w, bins=b,
                                  release_ends=r_end)  # fmt: skip
    best = np.nanmax(values, axis=1)
    informative = (best - np.nanmin(values, axis=1)) > 1e-12
    mean = np.nanmean(values, axis=1)
    expected = float(mean.sum()) / float(w.sum())
    pw = power_curve(values, alpha, _FRACTIONS)
    curve = pd.DataFrame({"fraction": _FRACTIONS,
                          "ratio": [expected_ratio(values, f) for f in _FRACTIONS],
                          "power": pw})  # fmt: skip
    mde_f, mde_r = exact_mde(values, alpha, power)
    mde_fr, mde_rr = (float("nan"), float("nan"))
    if rule_alpha is not None:
        mde_fr, mde_rr = exact_mde(values, rule_alpha, power)
    obs, p_obs = float("nan"), float("nan")
    if observed_ratio is not None and np.isfinite(observed_ratio):
        from analysis.timing.exact import planted_power

        obs = float(observed_ratio)
        f_obs = fraction_for_ratio(values, obs)
        if np.isfinite(f_obs):
            p_obs = planted_power(values, f_obs, alpha if rule_alpha is None else rule_alpha)
    return SensitivityResult(
        n_releases=int(r.size),
        n_clusters=int(values.shape[0]),
        n_informative=int(informative[labels].sum()),
        n_informative_clusters=int(informative.sum()),
        expected=expected,
        max_statistic=float(best.sum()) / float(w.sum()),
        max_ratio=float(best.sum() / mean.sum()) if mean.sum() > 0 else float("nan"),
        mde_fraction=mde_f,
        mde_ratio=mde_r,
        power_curve=curve,
        alpha=alpha,
        power=power,
        settings=dict(
            window=int(window), direction=direction,
            jitter_days=None if b is not None else int(jitter_days),
            n_bins=None if b is None else int(b.size), cluster_gap=int(cluster_gap),
            n_sim=None, seed=seed, weighted=weights is not None,
        ),
        rule_alpha=rule_alpha,
        mde_fraction_rule=mde_fr,
        mde_ratio_rule=mde_rr,
        observed_ratio=obs,
        power_observed=p_obs,
        method="exact",
    )  # fmt: skip


def power_curve_from_shares(
    shares: np.ndarray, *, alpha: float = 0.05, n_sim: int = 4000, seed: int | None = None
) -> pd.DataFrame:
    """Power of the jitter test against the share of clusters placed at their best position.

    The engine of :func:`sensitivity`, for any test whose statistic is a sum of independent
    cluster contributions, each uniform over its allowed positions under the null (e.g. the
    dyadic test of :mod:`analysis.timing.dyadic`, where every cluster has its own calendar).

    Parameters
    ----------
    shares : numpy.ndarray
        ``(n_clusters, max_positions)``: each cluster's contribution at each allowed position,
        ``nan`` past its last one (see :func:`cluster_shares`).
    alpha : float
        Level of the test (one-sided).
    n_sim : int
        Monte Carlo draws per planted share (null and alternatives).
    seed : int or None
        Seed.

    Returns
    -------
    pandas.DataFrame
        ``fraction``, ``ratio`` (exact expected ratio), ``power`` for each planted share.
    """
    best = np.nanmax(shares, axis=1)
    expected = float(np.nanmean(shares, axis=1).sum())
    ss = np.random.SeedSequence(seed)
    rngs = [make_rng(c) for c in ss.spawn(len(_FRACTIONS))]
    null = np.sort(_simulate_stat(shares, 0.0, n_sim, rngs[0]))
    rows = []
    for f, rng in zip(_FRACTIONS, rngs, strict=True):
        stat = _simulate_stat(shares, f, n_sim, rng)
        ratio = (f * best.sum() + (1 - f) * expected) / expected if expected > 0 else np.nan
        rows.append((f, float(ratio), float(np.mean(_rejects(null, stat, alpha)))))
    return pd.DataFrame(rows, columns=["fraction", "ratio", "power"])


def _rejects(null_sorted: np.ndarray, stat: np.ndarray, alpha: float) -> np.ndarray:
    """The test's own rule: reject when (1 + #{null >= s}) / (1 + n) <= alpha."""
    n = null_sorted.size
    at_least = n - np.searchsorted(null_sorted, stat - 1e-12, side="left")
    return (1 + at_least) / (1 + n) <= alpha


def _interpolate_mde(curve: pd.DataFrame, target: float) -> tuple[float, float]:
    """First crossing of the target power, linearly interpolated (inf, inf if never)."""
    p = curve["power"].to_numpy()
    hit = np.flatnonzero(p >= target)
    if hit.size == 0:
        return float("inf"), float("inf")
    j = int(hit[0])
    if j == 0:
        return float(curve["fraction"].iloc[0]), float(curve["ratio"].iloc[0])
    f0, f1 = curve["fraction"].iloc[j - 1], curve["fraction"].iloc[j]
    r0, r1 = curve["ratio"].iloc[j - 1], curve["ratio"].iloc[j]
    t = (target - p[j - 1]) / (p[j] - p[j - 1])
    return float(f0 + t * (f1 - f0)), float(r0 + t * (r1 - r0))


def __getattr__(name: str) -> Any:
    """``plan_sensitivity`` and ``PlanSensitivity`` moved to :mod:`analysis.inference.reach` (a
    plan is the inference stage's business); kept reachable here for existing callers."""
    if name in ("plan_sensitivity", "PlanSensitivity"):
        from analysis.inference import reach

        return getattr(reach, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
