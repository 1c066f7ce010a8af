"""Event coincidence analysis of releases against diplomatic / sanctions events.

Two entry points:

- :func:`coincidence_rates` -- precursor and trigger coincidence rates (Donges et al. 2016,
  "Event coincidence analysis for quantifying statistical interrelationships between event time
  series", Eur. Phys. J. Spec. Top. 225:471).
- :func:`coincidence_test` -- the share of releases (optionally weighted by persons released)
  with an event within a window, tested against a choice of nulls (see
  :mod:`analysis.timing.nulls`).

All dates are converted to integer day numbers with :func:`analysis.timing.calendar.to_days`;
windows are
closed intervals of whole days (a window of 14 days "before" release day ``t`` is
``[t - 14, t]``, 15 calendar days, the release day included).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from analysis.timing.calendar import as_weights, from_days, to_day, to_days
from analysis.timing.nulls import (
    NULL_ASSUMPTIONS,
    NULLS,
    cluster_labels,
    jitter_ranges,
    jitter_surrogates,
    make_rng,
    uniform_surrogates,
)

__all__ = [
    "DIRECTIONS",
    "EDGES",
    "CoincidenceRates",
    "CoincidenceTestResult",
    "coincidence_rates",
    "coincidence_test",
    "window_indicator",
]

#: Window directions of :func:`coincidence_test`.
DIRECTIONS: tuple[str, ...] = ("before", "after", "around")
#: Edge handling of :func:`coincidence_rates`.
EDGES: tuple[str, ...] = ("keep", "exclude", "pyunicorn")

#: Default interval-jitter bin width in days (chosen by calibration; docs/methods_coincidence.md).
DEFAULT_JITTER_DAYS = 30
#: Default cluster gap in days for the jitter null and the bootstrap (chosen by calibration).
DEFAULT_CLUSTER_GAP = 3
#: Monte Carlo surrogates are drawn in chunks of this many rows (memory ~ chunk x n_releases).
_CHUNK = 2_000
#: Bootstrap replicates for the confidence interval of the observed / expected ratio.
_N_BOOT = 2_000
#: Tolerance when comparing null statistics with the observed one (float sums of weights).
_TOL = 1e-9


# ---------------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------------


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValueError(f"{name} = {value!r} must be a whole number of days >= {minimum}")
    if not math.isfinite(float(value)) or float(value) != round(float(value)):
        raise ValueError(f"{name} = {value!r} must be a whole number of days >= {minimum}")
    if value < minimum:
        raise ValueError(f"{name} = {value!r} must be a whole number of days >= {minimum}")
    return int(value)


def _days(values: Any, name: str) -> np.ndarray:
    if values is None:
        raise ValueError(f"{name} is None; give an array-like of dates or day numbers")
    d = to_days(values, name=name)
    if d.size == 0:
        raise ValueError(f"{name} is empty; at least one date is needed")
    return d


def _period(releases: np.ndarray, events: np.ndarray, start: Any, end: Any) -> tuple[int, int]:
    s = int(min(releases.min(), events.min())) if start is None else to_day(start, name="start")
    e = int(max(releases.max(), events.max())) if end is None else to_day(end, name="end")
    if e < s:
        raise ValueError(
            f"end = {from_days([e])[0].date()} is before start = "
            f"{from_days([s])[0].date()}; end must be on or after start"
        )
    for name, d in (("releases", releases), ("events", events)):
        bad = (d < s) | (d > e)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}[{i}] = {from_days([d[i]])[0].date()} lies outside [start, end] = "
                f"[{from_days([s])[0].date()}, {from_days([e])[0].date()}]; every date must be "
                "inside the observation period"
            )
    return s, e


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} = {value!r} is not allowed; use one of {', '.join(allowed)}")
    return str(value)


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:.{digits}g}"


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    lines = [title, "-" * max(len(title), width + 20)]
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def _html_table(title: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table><caption>{html.escape(title)}</caption>{body}</table>"


# ---------------------------------------------------------------------------------------------
# coincidence rates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoincidenceRates:
    """Precursor and trigger coincidence rates (see :func:`coincidence_rates`).

    Attributes
    ----------
    precursor_rate : float
        Share of (used) releases with at least one event in ``[t - lag - window, t - lag]``.
    trigger_rate : float
        Share of (used) events followed by at least one release in ``[e + lag, e + lag + window]``.
    n_precursor, n_trigger : int
        Numerators: releases with a precursor event, events followed by a release.
    n_releases_used, n_events_used : int
        Denominators after edge handling.
    n_releases, n_events : int
        Input sizes.
    window, lag : int
        Settings (days).
    edges : str
        Edge handling ("keep", "exclude" or "pyunicorn").
    start, end : int
        Observation period (day numbers) used by ``edges="exclude"``.
    """

    precursor_rate: float
    trigger_rate: float
    n_precursor: int
    n_trigger: int
    n_releases_used: int
    n_events_used: int
    n_releases: int
    n_events: int
    window: int
    lag: int
    edges: str
    start: int
    end: int

    def _rows(self) -> list[tuple[str, str]]:
        return [
            (
                "precursor rate",
                f"{_fmt(self.precursor_rate)}  "
                f"({self.n_precursor}/{self.n_releases_used} releases)",
            ),
            (
                "trigger rate",
                f"{_fmt(self.trigger_rate)}  ({self.n_trigger}/{self.n_events_used} events)",
            ),
            ("window, lag (days)", f"{self.window}, {self.lag}"),
            ("edges", self.edges),
            ("releases, events", f"{self.n_releases}, {self.n_events}"),
            ("period", f"{from_days([self.start])[0].date()} .. {from_days([self.end])[0].date()}"),
        ]

    def summary(self) -> str:
        """Short plain-text table."""
        return _table("Event coincidence rates", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _html_table("Event coincidence rates", self._rows())


def coincidence_rates(
    releases: Any,
    events: Any,
    window: int,
    lag: int = 0,
    *,
    edges: str = "keep",
    start: Any = None,
    end: Any = None,
) -> CoincidenceRates:
    """Precursor and trigger coincidence rates (Donges et al. 2016).

    Parameters
    ----------
    releases, events : array-like of dates or day numbers
        Release dates (series A) and event dates (series B). Repeated dates count once per record.
    window : int
        Coincidence window ``delta T`` in days (>= 1). Windows are closed.
    lag : int, default 0
        Time lag ``tau`` in days.
    edges : {"keep", "exclude", "pyunicorn"}, default "keep"
        Edge handling.

        - ``"keep"``: every release and event is used; a window that reaches beyond the data
          simply contains no events there (rates are biased down near the edges).
        - ``"exclude"`` (Donges et al. 2016): use only releases whose precursor window
          ``[t - lag - window, t - lag]`` lies inside ``[start, end]`` and only events whose
          trigger window ``[e + lag, e + lag + window]`` lies inside ``[start, end]``.
        - ``"pyunicorn"``: the convention of pyunicorn's
          ``EventSeries.event_coincidence_analysis``: drop releases ``t <= min(releases) + lag +
          window`` (this always drops the first release) and events ``e >= max(events) - lag -
          window`` (always drops the last event). It equals ``"exclude"`` with
          ``start = min(releases) + 1`` and ``end = max(events) - 1``.
    start, end : date-like, optional
        Observation period for ``edges="exclude"``; default the first / last date of both series.
        Every date must lie inside it.

    Returns
    -------
    CoincidenceRates

    Raises
    ------
    ValueError
        Empty or missing dates, dates outside ``[start, end]``, ``window < 1``, non-integer
        ``lag``, unknown ``edges``, or no release / event left after edge handling.

    Notes
    -----
    Precursor rate: share of releases ``t`` with at least one event in ``[t - lag - window,
    t - lag]``. Trigger rate: share of events ``e`` followed by at least one release in
    ``[e + lag, e + lag + window]``. These are pyunicorn's ``prec12`` and ``trig12`` with
    ``X = releases``, ``Y = events``, ``taumax = window``, ``lag = lag`` (closed windows on both
    sides). pyunicorn reads binary daily series, so same-day duplicates count once there: pass
    unique days to compare.
    """
    r = _days(releases, "releases")
    ev = _days(events, "events")
    window = _check_int(window, "window", 1)
    if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)):
        raise ValueError(f"lag = {lag!r} must be a whole number of days (int)")
    lag = int(lag)
    edges = _choice(edges, "edges", EDGES)
    s, e = _period(r, ev, start, end)

    ev_sorted = np.sort(ev)
    r_sorted = np.sort(r)
    # precursor: any event in [t - lag - window, t - lag]
    n_ev_in = np.searchsorted(ev_sorted, r - lag, side="right") - np.searchsorted(
        ev_sorted, r - lag - window, side="left"
    )
    has_prec = n_ev_in > 0
    # trigger: any release in [e + lag, e + lag + window]
    n_r_in = np.searchsorted(r_sorted, ev + lag + window, side="right") - np.searchsorted(
        r_sorted, ev + lag, side="left"
    )
    has_trig = n_r_in > 0

    if edges == "keep":
        use_r = np.ones(r.size, dtype=bool)
        use_e = np.ones(ev.size, dtype=bool)
    elif edges == "exclude":
        use_r = (r - lag - window >= s) & (r - lag <= e)
        use_e = (ev + lag >= s) & (ev + lag + window <= e)
    else:  # pyunicorn
        use_r = r > r.min() + lag + window
        use_e = ev < ev.max() - lag - window
    if not use_r.any():
        raise ValueError(f"edges = {edges!r} leaves no release whose window fits the period")
    if not use_e.any():
        raise ValueError(f"edges = {edges!r} leaves no event whose window fits the period")
    n_prec = int(np.count_nonzero(has_prec & use_r))
    n_trig = int(np.count_nonzero(has_trig & use_e))
    return CoincidenceRates(
        precursor_rate=n_prec / int(use_r.sum()),
        trigger_rate=n_trig / int(use_e.sum()),
        n_precursor=n_prec,
        n_trigger=n_trig,
        n_releases_used=int(use_r.sum()),
        n_events_used=int(use_e.sum()),
        n_releases=int(r.size),
        n_events=int(ev.size),
        window=window,
        lag=lag,
        edges=edges,
        start=s,
        end=e,
    )


# ---------------------------------------------------------------------------------------------
# coincidence test
# ---------------------------------------------------------------------------------------------


def window_indicator(
    events: Any, start: int, end: int, window: int, direction: str = "around"
) -> np.ndarray:
    """For every day of ``[start, end]``: is there an event within the window of that day?

    Parameters
    ----------
    events : array-like of int
        Event day numbers inside ``[start, end]``.
    start, end : int
        Observation period (inclusive).
    window : int
        Window in days (>= 1).
    direction : {"before", "after", "around"}
        ``"before"``: an event in ``[d - window, d]``; ``"after"``: in ``[d, d + window]``;
        ``"around"``: ``|event - d| <= window``.

    Returns
    -------
    numpy.ndarray
        Boolean array of length ``end - start + 1``. Only events inside the period are seen:
        windows are truncated at the period edges (no event is assumed outside).
    """
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    n_days = end - start + 1
    ev = np.asarray(events, dtype=np.int64) - start
    csum = np.zeros(n_days + 1, dtype=np.int64)
    csum[1:] = np.cumsum(np.bincount(ev, minlength=n_days)[:n_days])
    day = np.arange(n_days)
    lo_off, hi_off = {"before": (-window, 0), "after": (0, window), "around": (-window, window)}[
        direction
    ]
    lo = np.clip(day + lo_off, 0, n_days)
    hi = np.clip(day + hi_off + 1, 0, n_days)
    return (csum[hi] - csum[lo]) > 0


@dataclass(frozen=True, eq=False)
class CoincidenceTestResult:
    """Result of :func:`coincidence_test`.

    Attributes
    ----------
    statistic : float
        Observed (weighted) share of releases with an event within the window.
    expected : float
        Exact mean of the statistic under the null (analytic, no Monte Carlo noise).
    ratio : float
        ``statistic / expected`` (nan if ``expected == 0``).
    ratio_ci : tuple of float
        95% percentile-bootstrap interval for ``ratio`` (see ``ci_method``).
    pvalue : float
        One-sided (upper) p-value.
    null_distribution : numpy.ndarray or None
        Null statistics: Monte Carlo surrogates (uniform, jitter), the exact value for every shift
        (circular_shift, equally likely), or None (poisson; see ``null_pmf``).
    null_pmf : tuple of numpy.ndarray or None
        ``(support, probabilities)`` of the analytic null (poisson only).
    n_surrogates : int or None
        Number of surrogates (number of shifts for circular_shift; None for poisson).
    null : str
        Null name. ``null_assumption``: what it assumes, in words.
    pvalue_method, ci_method : str
        How the p-value and the interval were computed.
    window, direction, jitter_days, cluster_gap : settings
        ``jitter_days`` / ``cluster_gap`` are None unless ``null == "jitter"``.
    n_releases, n_events : int
        Input sizes (release records, event records).
    weighted : bool
        Whether weights were given.
    start, end : int
        Observation period (day numbers, inclusive).
    seed : int or None
        Seed as given.
    """

    statistic: float
    expected: float
    ratio: float
    ratio_ci: tuple[float, float]
    pvalue: float
    null_distribution: np.ndarray | None
    null_pmf: tuple[np.ndarray, np.ndarray] | None
    n_surrogates: int | None
    null: str
    null_assumption: str
    pvalue_method: str
    ci_method: str
    window: int
    direction: str
    jitter_days: int | None
    cluster_gap: int | None
    n_releases: int
    n_events: int
    weighted: bool
    start: int
    end: int
    seed: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def _rows(self) -> list[tuple[str, str]]:
        lo, hi = self.ratio_ci
        null = self.null if self.jitter_days is None else f"{self.null} ({self.jitter_days} d bins)"
        return [
            ("statistic", _fmt(self.statistic)),
            ("expected (null mean)", _fmt(self.expected)),
            ("ratio [95% CI]", f"{_fmt(self.ratio, 3)} [{_fmt(lo, 3)}, {_fmt(hi, 3)}]"),
            ("p-value (one-sided)", _fmt(self.pvalue, 3)),
            ("null", null),
            ("surrogates", "-" if self.n_surrogates is None else str(self.n_surrogates)),
            ("window, direction", f"{self.window} d, {self.direction}"),
            (
                "releases, events",
                f"{self.n_releases}, {self.n_events}" + (" (weighted)" if self.weighted else ""),
            ),
            ("period", f"{from_days([self.start])[0].date()} .. {from_days([self.end])[0].date()}"),
            ("seed", str(self.seed)),
        ]

    def summary(self) -> str:
        """Short plain-text table."""
        return _table("Coincidence test", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _html_table("Coincidence test", self._rows())


def _group_sum(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.bincount(labels, weights=values)


def coincidence_test(
    releases: Any,
    events: Any,
    window: int,
    *,
    direction: str = "around",
    null: str = "jitter",
    n_surrogates: int = 10_000,
    seed: int | None = None,
    start: Any = None,
    end: Any = None,
    weights: Any = None,
    jitter_days: int | None = None,
    cluster_gap: int = DEFAULT_CLUSTER_GAP,
    n_bootstrap: int = _N_BOOT,
) -> CoincidenceTestResult:
    """Test whether releases fall closer to events than a null model says they should.

    Parameters
    ----------
    releases, events : array-like of dates or day numbers
        Release dates (one per release record) and event dates.
    window : int
        Window in days (>= 1); closed: ``"before"`` means an event in ``[t - window, t]``.
    direction : {"around", "before", "after"}, default "around"
        Where the event must be relative to the release day ``t``: ``"before"``
        ``[t - window, t]``, ``"after"`` ``[t, t + window]``, ``"around"`` ``|e - t| <= window``.
    null : {"jitter", "uniform", "circular_shift", "poisson"}, default "jitter"
        Null model (see :mod:`analysis.timing.nulls`; the assumption is stored in the result).
    n_surrogates : int, default 10000
        Monte Carlo surrogates (uniform, jitter). Ignored by the exact circular shift (all ``T``
        shifts are used) and by poisson, but still checked (>= 1).
    seed : int or None
        Seed for the surrogates and the bootstrap interval (numpy ``default_rng``).
    start, end : date-like, optional
        Observation period; default first / last date of both series.
    weights : array-like, optional
        Non-negative weight per release (e.g. persons released). Not allowed with ``"poisson"``.
    jitter_days : int, optional
        Jitter bin width (default 30 days); only for ``null="jitter"``.
    cluster_gap : int, default 3
        Jitter and bootstrap unit: releases whose days are at most ``cluster_gap`` days apart
        (chained) form one cluster that moves as a block. 0: releases on the same day only
        (anti-conservative when releases come in multi-day bursts; see the methods note).
    n_bootstrap : int, default 2000
        Bootstrap replicates for ``ratio_ci``; 0 skips the interval (nan, nan), e.g. in
        simulations.

    Returns
    -------
    CoincidenceTestResult

    Raises
    ------
    ValueError
        Empty series, missing dates, dates outside ``[start, end]``, ``window < 1``,
        ``n_surrogates < 1``, unknown ``null`` or ``direction``, weights of the wrong length or
        negative, ``jitter_days < 1``, or weights with ``null="poisson"``.

    Notes
    -----
    Statistic: ``S = sum_i w_i H(t_i) / sum_i w_i`` where ``H(d)`` is 1 if an event lies within
    the window of day ``d`` (:func:`window_indicator`). Events outside ``[start, end]`` are not
    seen, so windows are truncated at the edges for the observed series and for every surrogate
    alike.

    p-value: Monte Carlo ``(1 + #{null >= S}) / (1 + n_surrogates)``; circular shift: exact
    ``#{shifts s with S_s >= S} / T`` (shift 0 is the observed series); poisson: binomial upper
    tail ``P(K >= k)``.

    ``expected`` is the exact null mean: the release-weighted mean of ``H`` over the days each
    release can occupy under the null (whole period: uniform, circular shift; its jitter bin:
    jitter; ``1 - (1 - L/T)^{n_events}`` with ``L`` the window length in days: poisson).

    ``ratio_ci``: percentile bootstrap (``n_bootstrap`` replicates, seeded) over release
    clusters (see ``cluster_gap``), recomputing both the observed share and its null
    expectation in each replicate, with the events held fixed. It describes how precisely the
    excess (or deficit) of coincidences is estimated from this set of releases; it is not a
    test inversion and can exclude 1 while the p-value (which accounts for the null's
    dependence) is large.
    """
    r = _days(releases, "releases")
    ev = _days(events, "events")
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    null = _choice(null, "null", NULLS)
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)):
        raise ValueError(f"n_surrogates = {n_surrogates!r} must be an int >= 1")
    if n_surrogates < 1:
        raise ValueError(f"n_surrogates = {n_surrogates} must be >= 1")
    if jitter_days is not None:
        jitter_days = _check_int(jitter_days, "jitter_days", 1)
    cluster_gap = _check_int(cluster_gap, "cluster_gap", 0)
    n_bootstrap = _check_int(n_bootstrap, "n_bootstrap", 0)
    w = None if weights is None else as_weights(weights, r.size, require_positive_sum=True)
    if w is not None and null == "poisson":
        raise ValueError(
            "weights are not allowed with null = 'poisson' (the analytic test counts releases); "
            "use null = 'jitter', 'uniform' or 'circular_shift'"
        )
    s, e = _period(r, ev, start, end)
    n_days = e - s + 1

    h = window_indicator(ev, s, e, window, direction).astype(np.float64)
    wt = np.ones(r.size) if w is None else w
    w_sum = float(wt.sum())
    wn = wt / w_sum
    hit = h[r - s]
    statistic = float(hit @ wt) / w_sum

    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed = {seed!r} is not allowed; use a non-negative int or None")
    root = np.random.SeedSequence(seed)
    null_ss, boot_ss = root.spawn(2)
    null_pmf = None
    null_dist: np.ndarray | None
    n_used: int | None = int(n_surrogates)
    jd = None
    cg = None

    if null == "uniform":
        m = np.full(r.size, h.mean())
        rng = make_rng(null_ss)
        null_dist = np.empty(n_surrogates)
        for i in range(0, n_surrogates, _CHUNK):
            k = min(_CHUNK, n_surrogates - i)
            days = uniform_surrogates(r.size, s, e, k, rng)
            null_dist[i : i + k] = (h[days - s] @ wt) / w_sum
        pvalue = (1 + np.count_nonzero(null_dist >= statistic - _TOL)) / (1 + n_surrogates)
        p_method = "Monte Carlo (1 + #{null >= obs}) / (1 + n)"
    elif null == "jitter":
        jd = DEFAULT_JITTER_DAYS if jitter_days is None else jitter_days
        cg = cluster_gap
        labels, offsets, lo, hi = jitter_ranges(r, s, e, jd, cg)
        csum = np.concatenate([[0.0], np.cumsum(h)])
        a = lo[labels] + offsets - s
        b = hi[labels] + offsets - s
        m = (csum[b + 1] - csum[a]) / (b - a + 1)
        rng = make_rng(null_ss)
        null_dist = np.empty(n_surrogates)
        for i in range(0, n_surrogates, _CHUNK):
            k = min(_CHUNK, n_surrogates - i)
            days = jitter_surrogates(r, s, e, jd, k, rng, cg)
            null_dist[i : i + k] = (h[days - s] @ wt) / w_sum
        pvalue = (1 + np.count_nonzero(null_dist >= statistic - _TOL)) / (1 + n_surrogates)
        p_method = "Monte Carlo (1 + #{null >= obs}) / (1 + n)"
    elif null == "circular_shift":
        m = np.full(r.size, h.mean())
        daily_w = np.bincount(r - s, weights=wt, minlength=n_days)
        # c[k] = sum_d R[d] H[(d + k) mod T]: circular cross-correlation via one real FFT
        c = np.fft.irfft(np.conj(np.fft.rfft(daily_w)) * np.fft.rfft(h), n=n_days)
        c /= w_sum
        null_dist = c
        n_used = n_days
        pvalue = float(np.count_nonzero(c >= c[0] - _TOL)) / n_days
        p_method = "exact over all T circular shifts: #{S_s >= S_0} / T"
    else:  # poisson (Donges et al. 2016)
        length = window + 1 if direction in ("before", "after") else 2 * window + 1
        q = min(1.0, length / n_days)
        p_hit = 1.0 - (1.0 - q) ** ev.size
        m = np.full(r.size, p_hit)
        k_obs = int(np.rint(hit.sum()))
        pvalue = float(stats.binom.sf(k_obs - 1, r.size, p_hit))
        support = np.arange(r.size + 1)
        null_pmf = (support / r.size, stats.binom.pmf(support, r.size, p_hit))
        null_dist = None
        n_used = None
        p_method = "analytic binomial upper tail P(K >= k), p = 1 - (1 - L/T)^n_events"

    expected = float(m @ wn)
    ratio = statistic / expected if expected > 0 else float("nan")

    units = cluster_labels(r, cluster_gap)
    num_u = _group_sum(units, wn * hit)
    den_u = _group_sum(units, wn * m)
    boot = make_rng(boot_ss).integers(0, num_u.size, size=(n_bootstrap, num_u.size))
    num_b = num_u[boot].sum(axis=1)
    den_b = den_u[boot].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_b = num_b / den_b
    ratio_b = ratio_b[np.isfinite(ratio_b)]
    if ratio_b.size:
        ci = (float(np.quantile(ratio_b, 0.025)), float(np.quantile(ratio_b, 0.975)))
    else:
        ci = (float("nan"), float("nan"))

    return CoincidenceTestResult(
        statistic=statistic,
        expected=expected,
        ratio=float(ratio),
        ratio_ci=ci,
        pvalue=float(min(1.0, pvalue)),
        null_distribution=null_dist,
        null_pmf=null_pmf,
        n_surrogates=n_used,
        null=null,
        null_assumption=NULL_ASSUMPTIONS[null],
        pvalue_method=p_method,
        ci_method=(
            f"percentile bootstrap over release clusters ({n_bootstrap} replicates, events fixed), "
            "observed and null-expected share recomputed per replicate"
        ),
        window=window,
        direction=direction,
        jitter_days=jd,
        cluster_gap=cg,
        n_releases=int(r.size),
        n_events=int(ev.size),
        weighted=w is not None,
        start=s,
        end=e,
        seed=seed,
    )
