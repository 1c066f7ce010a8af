"""Dyadic timing tests: are foreigners released next to their *own* country's events?

The timing tests of :mod:`analysis.timing.coincidence` ask whether releases fall near diplomatic or
sanctions events of any kind. A bargain over foreign nationals has a sharper signature: a
national of country ``c`` is released near an event in which ``c`` is a counterpart (a visit of
``c``'s envoy, a round of talks with ``c``, ``c``'s sanctions relief). The unit here is a
*foreign-national release*, one row per (release day, nationality) from the
``release_nationalities`` table, and the statistic is the share of those units with an event of
their own country within the window.

Two nulls answer two different questions:

``labels``
    Nationality labels are permuted among the foreign-national releases; every release keeps
    its day. Tests *own channel versus any channel*: is a Spaniard released nearer Spain's
    events than the other released foreigners are?
``jitter``
    The interval-jitter null of the timing tests (:func:`analysis.timing.nulls.jitter_surrogates`)
    applied to the foreign-national release days, each nationality's calendar fixed. Tests
    *near own channel versus anywhere in the bin* (a month or two).

Counterparts are ISO 3166-1 alpha-3 codes or international bodies (``EU``, ``UN``, ...; see
:data:`analysis.record.schemas.BODIES`). By default the nationals of an EU member state also count
an ``EU`` event as their own (:data:`EU_MEMBERS`).

Everything here is a pure function of the DataFrames of :func:`analysis.record.data.load_processed`
and takes its settings as arguments; running a plan's dyadic family and its timing tests by stratum
is in :mod:`analysis.inference.dyadic`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from analysis.record.overview import select_events
from analysis.record.schemas import ISO3_CODES
from analysis.timing.calendar import from_days, to_day, to_days
from analysis.timing.coincidence import (
    DEFAULT_CLUSTER_GAP,
    DEFAULT_JITTER_DAYS,
    DIRECTIONS,
    _check_int,
    _choice,
    _fmt,
    _html_table,
    _table,
    window_indicator,
)
from analysis.timing.nulls import cluster_labels, jitter_ranges, jitter_surrogates, make_rng
from analysis.timing.sensitivity import (
    _FRACTIONS,
    _interpolate_mde,
    _rejects,
)

__all__ = [
    "DYADIC_NULLS",
    "DYADIC_NULL_ASSUMPTIONS",
    "EU_MEMBERS",
    "ISO3_CODES",
    "STRATA",
    "DyadicTestResult",
    "dyadic_test",
    "foreign_releases",
    "own_channel_events",
]

#: The 27 member states of the European Union since 1 February 2020 (ISO alpha-3). The United
#: Kingdom (GBR, a member until 31 January 2020) is not included: its nationals match ``EU``
#: events only through their own code.
EU_MEMBERS: frozenset[str] = frozenset(
    "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT "
    "ROU SVK SVN ESP SWE".split()
)

#: Nulls of :func:`dyadic_test`.
DYADIC_NULLS: tuple[str, ...] = ("labels", "jitter")

#: What each null of :func:`dyadic_test` assumes, in words.
DYADIC_NULL_ASSUMPTIONS: dict[str, str] = {
    "labels": (
        "given the foreign-national release days and the mix of nationalities released, which "
        "nationality is released on which day is a random permutation: a release is no more "
        "likely to sit near its own country's events than near those of the other released "
        "nationalities (own channel vs any channel)"
    ),
    "jitter": (
        "given which jitter bin each cluster of foreign-national releases falls in, its day "
        "inside the bin is uniform and independent of the released nationalities' own events "
        "(near own channel vs anywhere in the bin)"
    ),
}

#: Strata of :func:`stratified_timing`.
STRATA: tuple[str, ...] = ("all", "foreign", "high_value", "other")

_N_BOOT = 2_000
_TOL = 1e-9
_CHUNK = 2_000


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------


def _check_nationality(code: Any, name: str = "nationality") -> str:
    if not isinstance(code, str) or code not in ISO3_CODES:
        raise ValueError(
            f"{name} = {code!r} is not a known ISO 3166-1 alpha-3 code (three capital letters, "
            "e.g. 'USA', 'ESP'; bodies such as 'EU' are counterparts, not nationalities)"
        )
    return code


def _own_mask(counterparts: pd.Series, nationality: str, eu: bool) -> np.ndarray:
    """Which rows name ``nationality`` (or ``EU``, for an EU member with ``eu``) as counterpart."""
    codes = counterparts.astype("string").fillna("").str.split(";")
    wanted = {nationality, "EU"} if eu and nationality in EU_MEMBERS else {nationality}
    return np.array([bool(wanted.intersection(c)) for c in codes], dtype=bool)


def foreign_releases(
    frames: Mapping[str, pd.DataFrame], start: Any = None, end: Any = None
) -> pd.DataFrame:
    """One row per (release day, nationality): the unit of the dyadic tests.

    Parameters
    ----------
    frames : mapping of DataFrame
        From :func:`analysis.record.data.load_processed`; needs ``releases`` and
        ``release_nationalities``.
    start, end : date-like, optional
        Period (inclusive).

    Returns
    -------
    DataFrame
        ``date``, ``nationality``, ``n_persons`` (sum over the day's episodes; NaN where no
        figure), ``release_ids`` (``;``-joined), sorted by date and nationality. Only episodes
        dated to the day are kept (the date is the release's, not the nationality row's).

    Raises
    ------
    ValueError
        If ``frames`` has no ``release_nationalities`` table, or a row names a release that is
        not in ``releases`` or an unknown nationality code.
    """
    if "release_nationalities" not in frames or "releases" not in frames:
        raise ValueError(
            "frames must hold 'releases' and 'release_nationalities' (load them with "
            "analysis.record.data.load_processed for a country that has the nationality table)"
        )
    nat, rel = frames["release_nationalities"], frames["releases"]
    missing = sorted(set(nat["release_id"]) - set(rel["id"]))
    if missing:
        raise ValueError(f"release_nationalities names release_id(s) {missing} not in releases")
    for code in nat["nationality"].unique():
        _check_nationality(code)
    cols = ["id", "date", "date_precision"]
    df = nat[["release_id", "nationality", "n_persons"]].merge(
        rel[cols].rename(columns={"id": "release_id"}), on="release_id"
    )
    df = df[df["date_precision"] == "day"]
    if start is not None:
        df = df[df["date"] >= pd.Timestamp(start)]
    if end is not None:
        df = df[df["date"] <= pd.Timestamp(end)]
    g = df.groupby(["date", "nationality"], sort=True)
    out = pd.DataFrame(
        {
            "n_persons": g["n_persons"].sum(min_count=1).astype("Float64").astype(float),
            "release_ids": g["release_id"].agg(lambda x: ";".join(sorted(set(x)))),
        }
    ).reset_index()
    out["nationality"] = out["nationality"].astype(str)
    return out


def own_channel_events(
    events: pd.DataFrame,
    nationality: str,
    classes: Sequence[str] | None = None,
    eu_members_match_eu: bool = True,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Events in which the country of ``nationality`` is a counterpart.

    Parameters
    ----------
    events : DataFrame
        The ``events`` table (:func:`analysis.record.data.event_calendar`), with ``counterparts``.
    nationality : str
        ISO 3166-1 alpha-3 code (see :data:`ISO3_CODES`).
    classes : sequence of str, optional
        Event classes (default :data:`analysis.record.overview.DEFAULT_EVENT_CLASSES`). Events are
        chosen by :func:`analysis.record.overview.select_events`: dated to the day, and events that
        are
        releases or were found through a release's source are left out.
    eu_members_match_eu : bool, default True
        For a member state of the EU (:data:`EU_MEMBERS`), also count events whose counterparts
        include ``EU``.
    start, end : date-like, optional
        Period (inclusive).

    Returns
    -------
    DataFrame
        The matching rows of ``events``.

    Raises
    ------
    ValueError
        For an unknown nationality code or event class, or an events table without
        ``counterparts``.
    """
    _check_nationality(nationality)
    if "counterparts" not in events:
        raise ValueError("events has no 'counterparts' column; rebuild data/processed")
    ev = select_events(events, classes, start, end)
    return ev[_own_mask(ev["counterparts"], nationality, eu_members_match_eu)].reset_index(
        drop=True
    )


# ---------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DyadicTestResult:
    """Result of :func:`dyadic_test`.

    Attributes
    ----------
    statistic : float
        Share of foreign-national releases (release day x nationality) with an event of their own
        country within the window.
    expected : float
        Exact null mean of the statistic.
    ratio, ratio_ci : float, tuple of float
        ``statistic / expected`` and its 95% percentile-bootstrap interval (release clusters
        resampled; observed and null-expected share recomputed per replicate).
    pvalue : float
        One-sided (upper) Monte Carlo p-value ``(1 + #{null >= obs}) / (1 + n_surrogates)``.
    null, null_assumption : str
        ``"labels"`` or ``"jitter"`` and what it assumes, in words.
    null_distribution : numpy.ndarray
        The null statistics.
    n, n_release_days, n_nationalities, n_events : int
        Foreign-national releases, their distinct days, distinct nationalities, and own-channel
        events of those nationalities in the period.
    mde_ratio, mde_fraction : float
        Minimum detectable effect (ratio) at ``power`` and level ``alpha`` by the test's own
        rule, and the share of releases planted next to their own country's events that gives
        it (inf if not reached; nan if not computed). See ``mde_method``.
    max_ratio : float
        Largest attainable ratio on this record under the null's constraints.
    n_informative : int
        Releases whose coincidence can change under the null (the others carry no information).
    power_curve : DataFrame or None
        ``fraction``, ``ratio``, ``power`` for each planted share.
    units : DataFrame
        The foreign-national releases with ``hit`` (own event in the window) and ``expected``
        (null probability of a hit).
    window, direction, classes, eu_members_match_eu, jitter_days, cluster_gap : settings
        ``jitter_days`` is None for the labels null.
    alpha, power, n_surrogates, n_sim, seed : settings
    start, end : int
        Observation period (day numbers, inclusive).
    pvalue_method, ci_method, mde_method : str
        How each number was computed.
    """

    statistic: float
    expected: float
    ratio: float
    ratio_ci: tuple[float, float]
    pvalue: float
    null: str
    null_assumption: str
    null_distribution: np.ndarray = field(repr=False)
    n: int
    n_release_days: int
    n_nationalities: int
    n_events: int
    mde_ratio: float
    mde_fraction: float
    max_ratio: float
    n_informative: int
    power_curve: pd.DataFrame | None = field(repr=False)
    units: pd.DataFrame = field(repr=False)
    window: int
    direction: str
    classes: tuple[str, ...] | None
    eu_members_match_eu: bool
    jitter_days: int | None
    cluster_gap: int
    alpha: float
    power: float
    n_surrogates: int
    n_sim: int
    seed: int | None
    start: int
    end: int
    pvalue_method: str
    ci_method: str
    mde_method: str

    def _rows(self) -> list[tuple[str, str]]:
        lo, hi = self.ratio_ci
        null = self.null if self.jitter_days is None else f"{self.null} ({self.jitter_days} d bins)"
        if np.isnan(self.mde_ratio):
            mde = "not computed"
        elif np.isinf(self.mde_ratio):
            mde = "not reached (even every release planted)"
        else:
            mde = f"{self.mde_ratio:.2f} (share planted {self.mde_fraction:.2f})"
        period = f"{from_days([self.start])[0].date()} .. {from_days([self.end])[0].date()}"
        return [
            ("share with own-country event", _fmt(self.statistic)),
            ("expected (null mean)", _fmt(self.expected)),
            ("ratio [95% CI]", f"{_fmt(self.ratio, 3)} [{_fmt(lo, 3)}, {_fmt(hi, 3)}]"),
            ("p-value (one-sided)", _fmt(self.pvalue, 3)),
            ("null", null),
            ("null assumes", self.null_assumption),
            (f"MDE ratio at {self.power:.0%} power, alpha {self.alpha}", mde),
            ("largest attainable ratio", _fmt(self.max_ratio, 3)),
            ("informative releases", f"{self.n_informative} of {self.n}"),
            ("n (release day x nationality)", str(self.n)),
            ("release days, nationalities", f"{self.n_release_days}, {self.n_nationalities}"),
            ("own-channel events", str(self.n_events)),
            ("window, direction", f"{self.window} d, {self.direction}"),
            ("EU events count for EU nationals", str(self.eu_members_match_eu)),
            ("period", period),
            ("surrogates, seed", f"{self.n_surrogates}, {self.seed}"),
        ]

    def summary(self) -> str:
        """Short plain-text table."""
        return _table("Dyadic test: releases near their own country's events", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _html_table("Dyadic test: releases near their own country's events", self._rows())


# ---------------------------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------------------------


def _unpack(frames_or_tables: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(foreign-national releases, events) from frames or from a pair of tables."""
    if isinstance(frames_or_tables, Mapping):
        if "events" not in frames_or_tables:
            raise ValueError("frames_or_tables has no 'events' table (use load_processed)")
        return foreign_releases(frames_or_tables), frames_or_tables["events"]
    if isinstance(frames_or_tables, (tuple, list)) and len(frames_or_tables) == 2:
        units, events = frames_or_tables
        need = {"date", "nationality"}
        if not isinstance(units, pd.DataFrame) or not need <= set(units.columns):
            raise ValueError(
                "the first table must be a DataFrame with columns date and nationality "
                "(see foreign_releases)"
            )
        return units, events
    raise ValueError(
        f"frames_or_tables = {type(frames_or_tables).__name__}; allowed: the dict of "
        "load_processed or a pair (foreign_releases table, events table)"
    )


@dataclass(frozen=True)
class _Setup:
    """Arrays of one dyadic test: unit days, nationality index, own-event indicators."""

    days: np.ndarray  # unit day numbers
    nat: np.ndarray  # index into codes per unit
    codes: tuple[str, ...]
    h: np.ndarray  # (n_codes, n_days) own event in window of each day
    n_events: int
    start: int
    end: int
    units: pd.DataFrame


def _setup(
    units: pd.DataFrame, events: pd.DataFrame, window: int, direction: str, classes: Any,
    eu: bool, start: Any, end: Any,
) -> _Setup:  # fmt: skip
    if start is not None:
        units = units[pd.to_datetime(units["date"]) >= pd.Timestamp(start)]
    if end is not None:
        units = units[pd.to_datetime(units["date"]) <= pd.Timestamp(end)]
    if len(units) == 0:
        raise ValueError(
            "no foreign-national releases (release day x nationality) in the period; the test "
            "needs at least one (check release_nationalities and start/end)"
        )
    units = units.sort_values(["date", "nationality"], kind="stable").reset_index(drop=True)
    codes = tuple(sorted({_check_nationality(c) for c in units["nationality"]}))
    days = to_days(units["date"], name="foreign releases")
    own = {c: own_channel_events(events, c, classes, eu, start, end) for c in codes}
    ev_days = {c: to_days(e["date"], name="events") if len(e) else np.zeros(0, np.int64)
               for c, e in own.items()}  # fmt: skip
    all_ev = np.concatenate([days, *ev_days.values()])
    s = int(all_ev.min()) if start is None else to_day(start, name="start")
    e = int(all_ev.max()) if end is None else to_day(end, name="end")
    if e < s:
        raise ValueError(f"end = {end!r} is before start = {start!r}")
    h = np.stack([window_indicator(ev_days[c], s, e, window, direction) for c in codes])
    n_ev = len(pd.concat(own.values())["id"].unique()) if any(len(x) for x in own.values()) else 0
    nat = np.searchsorted(np.array(codes), units["nationality"].to_numpy(dtype=str))
    return _Setup(days, nat, codes, h.astype(np.float64), n_ev, s, e, units)


def _label_matrix(su: _Setup) -> np.ndarray:
    """``M[i, j]``: does unit ``i``'s day have an own event of unit ``j``'s nationality?"""
    return su.h[su.nat][:, su.days - su.start].T


def _labels_null(m: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n = m.shape[0]
    out = np.empty(k)
    rows = np.arange(n)[None, :]
    for i in range(0, k, _CHUNK):
        c = min(_CHUNK, k - i)
        perms = np.argsort(rng.random((c, n)), axis=1)
        out[i : i + c] = m[rows, perms].mean(axis=1)
    return out


def _jitter_expected(su: _Setup, jd: int, cg: int) -> np.ndarray:
    labels, offsets, lo, hi = jitter_ranges(su.days, su.start, su.end, jd, cg)
    csum = np.concatenate([np.zeros((su.h.shape[0], 1)), np.cumsum(su.h, axis=1)], axis=1)
    a = lo[labels] + offsets - su.start
    b = hi[labels] + offsets - su.start
    return (csum[su.nat, b + 1] - csum[su.nat, a]) / (b - a + 1)


def _jitter_null(su: _Setup, jd: int, cg: int, k: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(k)
    for i in range(0, k, _CHUNK):
        c = min(_CHUNK, k - i)
        d = jitter_surrogates(su.days, su.start, su.end, jd, c, rng, cg)
        out[i : i + c] = su.h[su.nat[None, :], d - su.start].mean(axis=1)
    return out


def _bootstrap(
    su: _Setup, hit: np.ndarray, m: np.ndarray | None, expected_i: np.ndarray, cg: int,
    n_boot: int, rng: np.random.Generator,
) -> tuple[float, float]:  # fmt: skip
    """Percentile interval of the ratio over resampled release clusters.

    With ``m`` (labels null) the null mean of a replicate is recomputed exactly from the label
    matrix of the resampled releases (``k' M k / K^2``); otherwise from per-release expectations.
    """
    if n_boot == 0:
        return float("nan"), float("nan")
    cl = cluster_labels(su.days, cg)
    n_cl = int(cl.max()) + 1
    draws = rng.integers(0, n_cl, size=(n_boot, n_cl))
    counts = np.stack([np.bincount(d, minlength=n_cl) for d in draws])[:, cl].astype(float)
    total = counts.sum(axis=1)
    obs = counts @ hit / total
    if m is not None:
        null = np.einsum("bi,ij,bj->b", counts, m, counts) / total**2
    else:
        null = counts @ expected_i / total
    with np.errstate(divide="ignore", invalid="ignore"):
        r = obs / null
    r = r[np.isfinite(r)]
    if not r.size:
        return float("nan"), float("nan")
    return float(np.quantile(r, 0.025)), float(np.quantile(r, 0.975))


def _labels_power_curve(
    su: _Setup, null_sorted: np.ndarray, expected: float, alpha: float, n_sim: int,
    rng_seeds: list[np.random.SeedSequence],
) -> pd.DataFrame:  # fmt: skip
    """Power against the share ``pi`` of releases planted next to their own country's events.

    Each simulated record keeps the days and the multiset of nationalities (so the permutation
    null is the same for every record). Releases are visited in random order; with probability
    ``pi`` a release takes a nationality still in the pool whose own events lie in its window
    (if any is left), otherwise any nationality still in the pool, drawn by the pool's counts.
    ``pi = 0`` is exactly a uniform permutation (the null).
    """
    g = su.h[:, su.days - su.start].T  # (n, n_codes)
    n, n_codes = g.shape
    counts0 = np.bincount(su.nat, minlength=n_codes).astype(float)
    rows = []
    for f, ss in zip(_FRACTIONS, rng_seeds, strict=True):
        rng = make_rng(ss)
        counts = np.tile(counts0, (n_sim, 1))
        order = np.argsort(rng.random((n_sim, n)), axis=1)
        total = np.zeros(n_sim)
        sims = np.arange(n_sim)
        for step in range(n):
            u = order[:, step]
            gu = g[u] > 0
            avail = counts > 0
            want = avail & gu
            planted = (rng.random(n_sim) < f) & want.any(axis=1)
            cand = np.where(planted[:, None], want, avail)
            cum = np.cumsum(counts * cand, axis=1)
            draw = rng.random(n_sim) * cum[:, -1]
            lab = np.minimum((cum <= draw[:, None]).sum(axis=1), n_codes - 1)
            counts[sims, lab] -= 1
            total += g[u, lab]
        stat = total / n
        ratio = float(stat.mean() / expected) if expected > 0 else float("nan")
        rows.append((f, ratio, float(np.mean(_rejects(null_sorted, stat, alpha)))))
    return pd.DataFrame(rows, columns=["fraction", "ratio", "power"])


def _labels_sensitivity(
    su: _Setup, m: np.ndarray, alpha: float, power: float, n_sim: int, ss: np.random.SeedSequence
) -> tuple[float, float, float, int, pd.DataFrame | None]:
    expected = float(m.mean())
    r, c = linear_sum_assignment(m, maximize=True)
    max_ratio = float(m[r, c].mean() / expected) if expected > 0 else float("nan")
    present = m.max(axis=1) - m.min(axis=1) > 0
    if n_sim == 0:
        return float("nan"), float("nan"), max_ratio, int(present.sum()), None
    seeds = ss.spawn(len(_FRACTIONS) + 1)
    null = np.sort(_labels_null(m, n_sim, make_rng(seeds[0])))
    curve = _labels_power_curve(su, null, expected, alpha, n_sim, seeds[1:])
    f, ratio = _interpolate_mde(curve, power)
    return ratio, f, max_ratio, int(present.sum()), curve


def _dyadic_shares(su: _Setup, jd: int, cg: int) -> tuple[np.ndarray, np.ndarray]:
    """Each jitter cluster's share of coincidences at every allowed position (own calendars)."""
    labels, offsets, lo, hi = jitter_ranges(su.days, su.start, su.end, jd, cg)
    width = hi - lo + 1
    k = np.arange(int(width.max()))
    out = np.zeros((lo.size, k.size))
    n = su.days.size
    for i in range(n):
        c = labels[i]
        d = np.clip(lo[c] + k + offsets[i], su.start, su.end) - su.start
        out[c] += su.h[su.nat[i], d] / n
    out[k[None, :] >= width[:, None]] = np.nan
    return out, labels


def _jitter_sensitivity(
    su: _Setup, jd: int, cg: int, alpha: float, power: float, n_sim: int,
    ss: np.random.SeedSequence,
) -> tuple[float, float, float, int, pd.DataFrame | None]:  # fmt: skip
    shares, labels = _dyadic_shares(su, jd, cg)
    expected = float(np.nanmean(shares, axis=1).sum())
    best = np.nanmax(shares, axis=1)
    informative = (best - np.nanmin(shares, axis=1)) > 1e-12
    max_ratio = float(best.sum() / expected) if expected > 0 else float("nan")
    if n_sim == 0:
        return float("nan"), float("nan"), max_ratio, int(informative[labels].sum()), None
    # exact (analysis.timing.exact): shares * n are counts of hits, so the convolution is exact
    from analysis.timing.exact import exact_mde, expected_ratio, power_curve

    counts = shares * su.days.size
    fr = np.round(np.arange(0.0, 1.0001, 0.025), 3)
    curve = pd.DataFrame({"fraction": fr, "ratio": [expected_ratio(counts, f) for f in fr],
                          "power": power_curve(counts, alpha, fr)})  # fmt: skip
    f, ratio = exact_mde(counts, alpha, power)
    return ratio, f, max_ratio, int(informative[labels].sum()), curve


def _check_args(
    null: str, n_surrogates: int, seed: Any, alpha: float, power: float, n_sim: int
) -> None:
    _choice(null, "null", DYADIC_NULLS)
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)):
        raise ValueError(f"n_surrogates = {n_surrogates!r} must be an int >= 1")
    if n_surrogates < 1:
        raise ValueError(f"n_surrogates = {n_surrogates} must be >= 1")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed = {seed!r} is not allowed; use a non-negative int or None")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha = {alpha!r} must be between 0 and 1")
    if not 0 < power < 1:
        raise ValueError(f"power = {power!r} must be between 0 and 1")
    if n_sim != 0:
        _check_int(n_sim, "n_sim", 100)


def dyadic_test(
    frames_or_tables: Any,
    window: int,
    *,
    direction: str = "before",
    classes: Sequence[str] | None = None,
    null: str = "labels",
    n_surrogates: int = 9999,
    seed: int | None = None,
    jitter_days: int | None = None,
    cluster_gap: int = DEFAULT_CLUSTER_GAP,
    start: Any = None,
    end: Any = None,
    eu_members_match_eu: bool = True,
    alpha: float = 0.05,
    power: float = 0.8,
    n_sim: int = 2000,
    n_bootstrap: int = _N_BOOT,
) -> DyadicTestResult:
    """Are foreign nationals released near their own country's events more than chance says?

    Parameters
    ----------
    frames_or_tables : dict of DataFrame or (DataFrame, DataFrame)
        The dict of :func:`analysis.record.data.load_processed` (``releases``,
        ``release_nationalities``, ``events``), or a pair ``(units, events)`` where ``units``
        has one row per foreign-national release with ``date`` and ``nationality`` (as
        :func:`foreign_releases` returns) and ``events`` is an events table with
        ``counterparts``.
    window : int
        Window in days (>= 1), closed as in :func:`analysis.timing.coincidence.coincidence_test`.
    direction : {"before", "after", "around"}, default "before"
        ``"before"``: an own event in ``[t - window, t]`` (the release follows the event).
    classes : sequence of str, optional
        Event classes (default :data:`analysis.record.overview.DEFAULT_EVENT_CLASSES`).
    null : {"labels", "jitter"}, default "labels"
        ``"labels"``: nationality labels permuted among the releases, days fixed (own channel vs
        any channel). ``"jitter"``: release clusters jittered in their bins, own calendars fixed
        (near own channel vs anywhere in the bin). See :data:`DYADIC_NULL_ASSUMPTIONS`.
    n_surrogates : int, default 9999
        Monte Carlo null draws.
    seed : int or None
        Seed of the null, the bootstrap and the MDE simulation.
    jitter_days : int, optional
        Jitter bin width (default 30 days); only for ``null="jitter"``.
    cluster_gap : int, default 3
        Releases on days at most this far apart form a cluster: it moves as a block under the
        jitter null and is the resampling unit of the bootstrap (under both nulls).
    start, end : date-like, optional
        Period; default the first / last day of the releases and their own events.
    eu_members_match_eu : bool, default True
        EU member states' nationals also count ``EU`` events as their own.
    alpha, power : float
        Level and target power of the minimum detectable effect.
    n_sim : int, default 2000
        Simulations per planted share for the MDE (>= 100); 0 skips it (nan).
    n_bootstrap : int, default 2000
        Bootstrap replicates for ``ratio_ci``; 0 skips the interval.

    Returns
    -------
    DyadicTestResult

    Raises
    ------
    ValueError
        No foreign-national release in the period, an unknown nationality code or event class,
        fewer than two nationalities with the labels null, or a bad setting (named with its
        value and what is allowed).

    Notes
    -----
    Statistic: ``S = (1/n) sum_i H_{c_i}(t_i)`` over the ``n`` foreign-national releases, with
    ``H_c(d) = 1`` when an event with country ``c`` as counterpart lies in the window of day
    ``d``. Labels null: ``S_pi = (1/n) sum_i H_{c_pi(i)}(t_i)``, exact mean ``mean_ij
    H_{c_j}(t_i)``. Jitter null: each release cluster is redrawn in its bin
    (:func:`analysis.timing.nulls.jitter_surrogates`), exact mean from each release's reachable
    days.

    MDE, labels null: simulated records keep the days and the mix of nationalities; a share
    ``pi`` of releases takes a nationality whose own events lie in its window (see
    :func:`_labels_power_curve`); the ratio at ``pi`` is the simulated mean over the exact null
    mean, rejected by the test's own rule against null draws, interpolated where the power
    crosses ``power``. Jitter null (exact, :mod:`analysis.timing.exact`): the p-value is the
    convolution of the clusters' distributions over their positions under their own calendars;
    the MDE is the exact power of a share ``pi`` of clusters at its best position, found by
    bisection on ``pi``. ``max_ratio`` is the best assignment of nationalities to days
    (labels) or every cluster at its best position (jitter).
    """
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    _check_args(null, n_surrogates, seed, alpha, power, n_sim)
    cluster_gap = _check_int(cluster_gap, "cluster_gap", 0)
    n_bootstrap = _check_int(n_bootstrap, "n_bootstrap", 0)
    jd = None
    if null == "jitter":
        jd = _check_int(DEFAULT_JITTER_DAYS if jitter_days is None else jitter_days,
                        "jitter_days", 1)  # fmt: skip
    units, events = _unpack(frames_or_tables)
    su = _setup(units, events, window, direction, classes, eu_members_match_eu, start, end)
    if null == "labels" and len(su.codes) < 2:
        raise ValueError(
            f"null = 'labels' needs at least two nationalities; the period has only {su.codes}"
        )
    hit = su.h[su.nat, su.days - su.start]
    statistic = float(hit.mean())
    null_ss, boot_ss, mde_ss = np.random.SeedSequence(seed).spawn(3)
    if null == "labels":
        m = _label_matrix(su)
        exp_i = m.mean(axis=1)
        dist = _labels_null(m, n_surrogates, make_rng(null_ss))
        sens = _labels_sensitivity(su, m, alpha, power, n_sim, mde_ss)
        mde_method = ("simulated records keep days and nationality mix; a share of releases "
                      "takes a nationality whose own events are in its window")  # fmt: skip
    else:
        m = None
        exp_i = _jitter_expected(su, jd, cluster_gap)
        dist = _jitter_null(su, jd, cluster_gap, n_surrogates, make_rng(null_ss))
        sens = _jitter_sensitivity(su, jd, cluster_gap, alpha, power, n_sim, mde_ss)
        mde_method = ("exact (analysis.timing.exact): a share of release clusters at its best "
                      "position in its bin under its own calendars")  # fmt: skip
    expected = float(exp_i.mean())
    ci = _bootstrap(su, hit, m, exp_i, cluster_gap, n_bootstrap, make_rng(boot_ss))
    pvalue = (1 + np.count_nonzero(dist >= statistic - _TOL)) / (1 + n_surrogates)
    p_method = "Monte Carlo (1 + #{null >= obs}) / (1 + n)"
    if null == "jitter":  # exact: clusters move independently within their bins
        from analysis.timing.exact import upper_tail

        shares, _ = _dyadic_shares(su, jd, cluster_gap)
        pvalue = upper_tail(shares * su.days.size, float(hit.sum()))[0]
        p_method = ("exact: convolution of every cluster's distribution over its positions "
                    "(null_distribution: Monte Carlo draws, for plots)")  # fmt: skip
    table = su.units.assign(hit=hit.astype(bool), expected=exp_i)
    return DyadicTestResult(
        statistic=statistic, expected=expected,
        ratio=statistic / expected if expected > 0 else float("nan"), ratio_ci=ci,
        pvalue=float(min(1.0, pvalue)), null=null, null_assumption=DYADIC_NULL_ASSUMPTIONS[null],
        null_distribution=dist, n=int(su.days.size),
        n_release_days=int(np.unique(su.days).size), n_nationalities=len(su.codes),
        n_events=su.n_events, mde_ratio=sens[0], mde_fraction=sens[1], max_ratio=sens[2],
        n_informative=sens[3], power_curve=sens[4], units=table, window=window,
        direction=direction, classes=None if classes is None else tuple(classes),
        eu_members_match_eu=bool(eu_members_match_eu), jitter_days=jd, cluster_gap=cluster_gap,
        alpha=alpha, power=power, n_surrogates=int(n_surrogates), n_sim=int(n_sim), seed=seed,
        start=su.start, end=su.end, pvalue_method=p_method,
        ci_method=(f"percentile bootstrap over release clusters ({n_bootstrap} replicates), "
                   "observed and null-expected share recomputed per replicate"),
        mde_method=mde_method,
    )  # fmt: skip


_MOVED = ("StratifiedTimingResult", "stratified_timing", "dyadic_family", "dyadic_answer_html")


def __getattr__(name: str) -> Any:
    """The plan-level functions moved to :mod:`analysis.inference.dyadic` (running a plan's
    hypotheses is the inference stage's business); kept reachable here for existing callers."""
    if name in _MOVED:
        from analysis.inference import dyadic

        return getattr(dyadic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
