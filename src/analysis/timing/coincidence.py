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
from analysis.timing.exact import circular_null, jitter_table, sum_distribution, uniform_table
from analysis.timing.nulls import (
    NULL_ASSUMPTIONS,
    NULLS,
    check_bins,
    jitter_ranges,
    jitter_surrogates,
    make_rng,
)

__all__ = [
    "DIRECTIONS",
    "EDGES",
    "METHODS",
    "CoincidenceRates",
    "CoincidenceTestResult",
    "coincidence_rates",
    "coincidence_test",
    "hit_values",
    "window_indicator",
    "window_mass",
]

#: Window directions of :func:`coincidence_test`.
DIRECTIONS: tuple[str, ...] = ("before", "after", "around")
#: How :func:`coincidence_test` computes its p-value.
METHODS: tuple[str, ...] = ("auto", "exact", "monte carlo")
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
        Null statistics: Monte Carlo surrogates (``method="monte carlo"`` or
        ``surrogates=True``), the exact value for every shift (circular_shift, equally likely), or
        None (see ``null_pmf``).
    null_pmf : tuple of numpy.ndarray or None
        ``(support, probabilities)`` of the exact null (jitter, uniform, poisson).
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
        Seed as given (the p-value depends on it only when ``method == "monte carlo"``).
    method : str
        ``"exact"`` (exact null distribution), ``"exact bound"`` (exact convolution on a grid,
        contributions rounded up: a conservative p-value; ``pvalue_lower`` rounds down) or
        ``"monte carlo"``.
    pvalue_lower : float
        Lower end of the p-value when ``method == "exact bound"``; equal to ``pvalue`` otherwise.
    n_interval_releases, n_interval_events : int
        Releases and events that entered as intervals (dated to a week or month).
    bins : tuple of int or None
        First day of every jitter bin when bins of unequal width were given.
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
    method: str = "monte carlo"
    pvalue_lower: float | None = None
    n_interval_releases: int = 0
    n_interval_events: int = 0
    bins: tuple[int, ...] | None = None

    def _rows(self) -> list[tuple[str, str]]:
        lo, hi = self.ratio_ci
        null = self.null if self.jitter_days is None else f"{self.null} ({self.jitter_days} d bins)"
        if self.bins is not None:
            null = f"{self.null} ({len(self.bins)} bins of unequal width)"
        pv = _fmt(self.pvalue, 3)
        if self.method == "exact bound" and self.pvalue_lower is not None:
            pv += f" (exact bound; lower {_fmt(self.pvalue_lower, 3)})"
        return [
            ("statistic", _fmt(self.statistic)),
            ("expected (null mean)", _fmt(self.expected)),
            ("ratio [95% CI]", f"{_fmt(self.ratio, 3)} [{_fmt(lo, 3)}, {_fmt(hi, 3)}]"),
            ("p-value (one-sided)", pv),
            ("null", null),
            ("method", self.method),
            ("surrogates", "-" if self.n_surrogates is None else str(self.n_surrogates)),
            ("window, direction", f"{self.window} d, {self.direction}"),
            (
                "releases, events",
                f"{self.n_releases}, {self.n_events}" + (" (weighted)" if self.weighted else ""),
            ),
            ("period", f"{from_days([self.start])[0].date()} .. {from_days([self.end])[0].date()}"),
            ("dated by interval", f"{self.n_interval_releases} releases, "
                                  f"{self.n_interval_events} events"),
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


def window_mass(
    density: Any, start: int, end: int, window: int, direction: str = "around"
) -> np.ndarray:
    """For every day of ``[start, end]``: the sum of a daily event density over its window.

    ``window_indicator(events, ...)`` is ``window_mass(counts, ...) > 0``; with the density of
    an event known only to an interval (``1 / L`` on each of its ``L`` days) the mass is the
    probability that its unknown day falls in the window.
    """
    n_days = end - start + 1
    csum = np.concatenate([[0.0], np.cumsum(np.asarray(density, dtype=float))])
    day = np.arange(n_days)
    lo_off, hi_off = {"before": (-window, 0), "after": (0, window), "around": (-window, window)}[
        direction
    ]
    lo = np.clip(day + lo_off, 0, n_days)
    hi = np.clip(day + hi_off + 1, 0, n_days)
    return csum[hi] - csum[lo]


def hit_values(
    events: Any,
    start: int,
    end: int,
    window: int,
    direction: str = "around",
    event_ends: Any = None,
) -> np.ndarray:
    """Hit value of a release on every day of ``[start, end]``: 1 if an event lies in its
    window, 0 if none can; for events known only to an interval, the probability that at least
    one event falls in the window.

    Parameters
    ----------
    events : array-like of int
        Event day numbers (first possible day for interval-dated events).
    start, end : int
        Observation period.
    window : int
        Window in days.
    direction : {"before", "after", "around"}
        As in :func:`window_indicator`.
    event_ends : array-like of int, optional
        Last possible day of each event (default: the event day). An event dated to the
        interval ``[a, b]`` falls on each of its days with probability ``1 / (b - a + 1)``,
        independently of other events.

    Returns
    -------
    numpy.ndarray
        float array of length ``end - start + 1`` with values in [0, 1] (0/1 when every event
        is dated to the day).
    """
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    ev = np.asarray(events, dtype=np.int64)
    ends = ev if event_ends is None else np.asarray(event_ends, dtype=np.int64)
    if ends.shape != ev.shape or (ends < ev).any():
        raise ValueError("event_ends must have one entry per event, each >= its event day")
    dated = ends == ev
    h = window_indicator(ev[dated], start, end, window, direction).astype(np.float64)
    miss = 1.0 - h
    n_days = end - start + 1
    for a, b in zip(ev[~dated], ends[~dated], strict=True):
        dens = np.zeros(n_days)
        dens[a - start : b - start + 1] = 1.0 / (b - a + 1)
        miss *= 1.0 - np.clip(window_mass(dens, start, end, window, direction), 0.0, 1.0)
    return 1.0 - miss


@dataclass(frozen=True)
class _Inputs:
    """Checked inputs of :func:`coincidence_test` (day numbers relative to nothing)."""

    r: np.ndarray
    r_end: np.ndarray
    ev: np.ndarray
    ev_end: np.ndarray
    w: np.ndarray | None
    wt: np.ndarray
    window: int
    direction: str
    null: str
    method: str
    n_surrogates: int
    jitter_days: int | None
    bins: np.ndarray | None
    cluster_gap: int
    n_bootstrap: int
    seed: int | None
    s: int
    e: int

    @property
    def dated(self) -> bool:
        return bool((self.r_end == self.r).all() and (self.ev_end == self.ev).all())


def _ends(values: Any, first: np.ndarray, name: str) -> np.ndarray:
    if values is None:
        return first.copy()
    d = to_days(values, name=name)
    if d.size != first.size:
        raise ValueError(f"{name} has {d.size} entries; it must have one per date ({first.size})")
    if (d < first).any():
        i = int(np.flatnonzero(d < first)[0])
        raise ValueError(f"{name}[{i}] is before its first day; an interval ends on or after it")
    return d


def _check_inputs(
    releases: Any, events: Any, window: int, direction: str, null: str, method: str,
    n_surrogates: int, seed: Any, start: Any, end: Any, weights: Any, jitter_days: Any,
    bins: Any, cluster_gap: Any, n_bootstrap: Any, release_ends: Any, event_ends: Any,
) -> _Inputs:  # fmt: skip
    r = _days(releases, "releases")
    ev = _days(events, "events")
    r_end = _ends(release_ends, r, "release_ends")
    ev_end = _ends(event_ends, ev, "event_ends")
    window = _check_int(window, "window", 1)
    direction = _choice(direction, "direction", DIRECTIONS)
    null = _choice(null, "null", NULLS)
    method = _choice(method, "method", METHODS)
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
    if null == "poisson" and ((r_end != r).any() or (ev_end != ev).any()):
        raise ValueError("interval-dated releases or events are not allowed with null = 'poisson'")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed = {seed!r} is not allowed; use a non-negative int or None")
    s_, e_ = _period(np.concatenate([r, r_end]), np.concatenate([ev, ev_end]), start, end)
    b = None
    if bins is not None:
        if null != "jitter":
            raise ValueError(f"bins are only for null = 'jitter' (got null = {null!r})")
        b = check_bins(to_days(bins, name="bins"), s_, e_)
    wt = np.ones(r.size) if w is None else _lattice_weights(w)
    return _Inputs(r=r, r_end=r_end, ev=ev, ev_end=ev_end, w=w, wt=wt, window=window,
                   direction=direction, null=null, method=method,
                   n_surrogates=int(n_surrogates), jitter_days=jitter_days, bins=b,
                   cluster_gap=cluster_gap, n_bootstrap=n_bootstrap, seed=seed, s=s_,
                   e=e_)  # fmt: skip


def _lattice_weights(w: np.ndarray) -> np.ndarray:
    """Weights rescaled to small integers when they are integer multiples of one value (divided
    by their greatest common divisor; equal weights become 1): the share is unchanged and the
    exact null stays on a short integer lattice."""
    pos = w[w > 0]
    if pos.size and np.all(np.abs(w - np.rint(w)) <= _TOL):
        g = int(np.gcd.reduce(np.rint(pos).astype(np.int64)))
        return np.rint(w) / g if g > 1 else w
    q = w / pos.min()
    if np.all(np.abs(q - np.rint(q)) <= 1e-9 * max(1.0, float(q.max()))):
        return np.rint(q)
    return w


def _interval_values(csum: np.ndarray, first: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Mean of ``h`` over ``[first, first + length - 1]`` (day indices from 0), any shape."""
    return (csum[first + length] - csum[first]) / length


@dataclass(frozen=True)
class _Null:
    """What a null contributes to the result."""

    pvalue: float
    m: np.ndarray  # null mean of each release's hit value
    null_distribution: np.ndarray | None
    null_pmf: tuple[np.ndarray, np.ndarray] | None
    n_surrogates: int | None
    pvalue_method: str
    method: str
    pvalue_lower: float


def _ranges(inp: _Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return jitter_ranges(inp.r, inp.s, inp.e, inp.jitter_days or DEFAULT_JITTER_DAYS,
                         inp.cluster_gap, bins=inp.bins, release_ends=inp.r_end)  # fmt: skip


def _exact_jitter(
    inp: _Inputs, h: np.ndarray, statistic_raw: float, w_sum: float, ranges: tuple
) -> _Null:
    values, _ = jitter_table(h, inp.r, inp.s, inp.e, inp.jitter_days or DEFAULT_JITTER_DAYS,
                             inp.cluster_gap, inp.wt, bins=inp.bins, release_ends=inp.r_end,
                             ranges=ranges)  # fmt: skip
    return _from_table(values, None, inp, statistic_raw, w_sum)


def _from_table(
    values: np.ndarray, probs: np.ndarray | None, inp: _Inputs, statistic_raw: float,
    w_sum: float,
) -> _Null:  # fmt: skip
    hi = sum_distribution(values, probs, rounding="up")
    p = hi.sf(statistic_raw)
    p_lo, how = p, "exact"
    if not hi.exact:
        p_lo = sum_distribution(values, probs, rounding="down").sf(statistic_raw)
        how = "exact bound"
    keep = hi.pmf > 1e-300
    pmf = (hi.support[keep] / w_sum, hi.pmf[keep])
    text = (
        "exact: convolution of every cluster's distribution over its positions, P(S >= obs)"
        if hi.exact
        else "exact bound: convolution on a grid with contributions rounded up (upper bound); "
        "pvalue_lower rounds down"
    )
    return _Null(pvalue=p, m=np.zeros(0), null_distribution=None, null_pmf=pmf,
                 n_surrogates=None, pvalue_method=text, method=how,
                 pvalue_lower=p_lo)  # fmt: skip


def _release_means(inp: _Inputs, h: np.ndarray, ranges: tuple | None = None) -> np.ndarray:
    """Null mean of each release's hit value (exact, no Monte Carlo)."""
    csum = np.concatenate([[0.0], np.cumsum(h)])
    length = inp.r_end - inp.r + 1
    if inp.null == "jitter":
        labels, offsets, lo, hi = _ranges(inp) if ranges is None else ranges
        a = lo[labels] + offsets - inp.s
        b = hi[labels] + offsets - inp.s + length  # exclusive end of the last position's interval
        # mean over positions k of the interval mean: a double cumulative sum
        c2 = np.concatenate([[0.0], np.cumsum(csum)])
        n_pos = hi[labels] - lo[labels] + 1
        tot = (c2[b + 1] - c2[a + length]) - (c2[b - length + 1] - c2[a])
        return tot / (n_pos * length)
    if inp.null in ("uniform", "circular_shift"):
        if (length == 1).all():
            return np.full(inp.r.size, h.mean())
        n_days = h.size
        if inp.null == "circular_shift":  # every day of the interval visits every day once
            return np.full(inp.r.size, h.mean())
        out = np.empty(inp.r.size)
        for i, L in enumerate(length):
            out[i] = _interval_values(csum, np.arange(n_days - L + 1), np.full(1, L)).mean()
        return out
    raise AssertionError(inp.null)


def _uniform_table(inp: _Inputs, h: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if inp.dated and np.all((h == 0) | (h == 1)):
        return uniform_table(h, inp.wt)
    csum = np.concatenate([[0.0], np.cumsum(h)])
    n_days = h.size
    length = inp.r_end - inp.r + 1
    vals = np.full((inp.r.size, n_days), np.nan)
    for i, L in enumerate(length):
        vals[i, : n_days - L + 1] = inp.wt[i] * _interval_values(
            csum, np.arange(n_days - L + 1), np.full(1, L)
        )
    return vals, None


def _circular(inp: _Inputs, h: np.ndarray, statistic_raw: float, w_sum: float) -> _Null:
    n_days = h.size
    length = inp.r_end - inp.r + 1
    daily_w = np.bincount(inp.r - inp.s, weights=np.where(length == 1, inp.wt, 0.0),
                          minlength=n_days).astype(float)  # fmt: skip
    for i in np.flatnonzero(length > 1):  # weight spread over each interval's days
        daily_w[inp.r[i] - inp.s : inp.r_end[i] - inp.s + 1] += inp.wt[i] / length[i]
    c = circular_null(h, daily_w)
    p = float(np.count_nonzero(c >= statistic_raw - _TOL)) / n_days
    return _Null(pvalue=p, m=np.full(inp.r.size, h.mean()), null_distribution=c / w_sum,
                 null_pmf=None, n_surrogates=n_days,
                 pvalue_method="exact over all T circular shifts: #{S_s >= S_0} / T",
                 method="exact", pvalue_lower=p)  # fmt: skip


def _monte_carlo(
    inp: _Inputs, h: np.ndarray, statistic_raw: float, w_sum: float, ss: np.random.SeedSequence
) -> np.ndarray:
    """Monte Carlo null statistics (shares) for the uniform and jitter nulls."""
    csum = np.concatenate([[0.0], np.cumsum(h)])
    length = inp.r_end - inp.r + 1
    n_days = h.size
    rng = make_rng(ss)
    out = np.empty(inp.n_surrogates)
    for i in range(0, inp.n_surrogates, _CHUNK):
        k = min(_CHUNK, inp.n_surrogates - i)
        if inp.null == "uniform":
            first = (rng.random((k, inp.r.size)) * (n_days - length + 1)).astype(np.int64)
        else:
            days = jitter_surrogates(inp.r, inp.s, inp.e, inp.jitter_days or DEFAULT_JITTER_DAYS,
                                     k, rng, inp.cluster_gap, bins=inp.bins,
                                     release_ends=inp.r_end)  # fmt: skip
            first = days - inp.s
        out[i : i + k] = (_interval_values(csum, first, length) @ inp.wt) / w_sum
    return out


def _poisson(inp: _Inputs, hit: np.ndarray, n_days: int) -> _Null:
    length = inp.window + 1 if inp.direction in ("before", "after") else 2 * inp.window + 1
    q = min(1.0, length / n_days)
    p_hit = 1.0 - (1.0 - q) ** inp.ev.size
    k_obs = int(np.rint(hit.sum()))
    p = float(stats.binom.sf(k_obs - 1, inp.r.size, p_hit))
    support = np.arange(inp.r.size + 1)
    return _Null(pvalue=p, m=np.full(inp.r.size, p_hit), null_distribution=None,
                 null_pmf=(support / inp.r.size, stats.binom.pmf(support, inp.r.size, p_hit)),
                 n_surrogates=None,
                 pvalue_method="analytic binomial upper tail P(K >= k), "
                 "p = 1 - (1 - L/T)^n_events", method="exact",
                 pvalue_lower=p)  # fmt: skip


def _bootstrap_ci(
    inp: _Inputs, hit: np.ndarray, m: np.ndarray, wn: np.ndarray, ss: np.random.SeedSequence
) -> tuple[float, float]:
    if inp.n_bootstrap == 0:
        return (float("nan"), float("nan"))
    units = jitter_ranges(inp.r, inp.s, inp.e, 1, inp.cluster_gap, release_ends=inp.r_end)[0]
    num_u = _group_sum(units, wn * hit)
    den_u = _group_sum(units, wn * m)
    boot = make_rng(ss).integers(0, num_u.size, size=(inp.n_bootstrap, num_u.size))
    num_b = num_u[boot].sum(axis=1)
    den_b = den_u[boot].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_b = num_b / den_b
    ratio_b = ratio_b[np.isfinite(ratio_b)]
    if ratio_b.size:
        return (float(np.quantile(ratio_b, 0.025)), float(np.quantile(ratio_b, 0.975)))
    return (float("nan"), float("nan"))


def coincidence_test(
    releases: Any,
    events: Any,
    window: int,
    *,
    direction: str = "around",
    null: str = "jitter",
    method: str = "auto",
    n_surrogates: int = 10_000,
    seed: int | None = None,
    start: Any = None,
    end: Any = None,
    weights: Any = None,
    jitter_days: int | None = None,
    bins: Any = None,
    cluster_gap: int = DEFAULT_CLUSTER_GAP,
    n_bootstrap: int = _N_BOOT,
    release_ends: Any = None,
    event_ends: Any = None,
    surrogates: bool = False,
) -> CoincidenceTestResult:
    """Test whether releases fall closer to events than a null model says they should.

    Parameters
    ----------
    releases, events : array-like of dates or day numbers
        Release dates (one per release record) and event dates; for a date known only to an
        interval, its first possible day (see ``release_ends``, ``event_ends``).
    window : int
        Window in days (>= 1); closed: ``"before"`` means an event in ``[t - window, t]``.
    direction : {"around", "before", "after"}, default "around"
        Where the event must be relative to the release day ``t``: ``"before"``
        ``[t - window, t]``, ``"after"`` ``[t, t + window]``, ``"around"`` ``|e - t| <= window``.
    null : {"jitter", "uniform", "circular_shift", "poisson"}, default "jitter"
        Null model (see :mod:`analysis.timing.nulls`; the assumption is stored in the result).
    method : {"auto", "exact", "monte carlo"}, default "auto"
        How the p-value is computed. ``"auto"`` and ``"exact"``: the exact null distribution
        (:mod:`analysis.timing.exact`; every null here has one), so the p-value does not depend
        on ``seed``. ``"monte carlo"``: ``n_surrogates`` surrogates (uniform, jitter; a
        cross-check); the circular shift and poisson are exact either way.
    n_surrogates : int, default 10000
        Monte Carlo surrogates (``method="monte carlo"`` or ``surrogates=True``); checked (>= 1).
    seed : int or None
        Seed for Monte Carlo surrogates and the bootstrap interval (numpy ``default_rng``).
    start, end : date-like, optional
        Observation period; default first / last date of both series.
    weights : array-like, optional
        Non-negative weight per release (e.g. persons released). Not allowed with ``"poisson"``.
        Integer weights keep the exact null on the integers; other weights give an exact bound.
    jitter_days : int, optional
        Jitter bin width (default 30 days); only for ``null="jitter"``.
    bins : array-like of dates or day numbers, optional
        First day of every jitter bin (bins of unequal width, e.g. split where the event rate
        changes; :func:`analysis.timing.nulls.change_point_bins`); replaces ``jitter_days``.
    cluster_gap : int, default 3
        Jitter and bootstrap unit: releases whose days are at most ``cluster_gap`` days apart
        (chained) form one cluster that moves as a block. 0: releases on the same day only
        (anti-conservative when releases come in multi-day bursts; see the methods note).
    n_bootstrap : int, default 2000
        Bootstrap replicates for ``ratio_ci``; 0 skips the interval (nan, nan), e.g. in
        simulations.
    release_ends, event_ends : array-like of dates or day numbers, optional
        Last possible day of each release / event known only to an interval (a week, a month);
        equal to the first day (or None) for dated rows. See Notes.
    surrogates : bool, default False
        With an exact p-value, also draw ``n_surrogates`` Monte Carlo surrogates into
        ``null_distribution`` (for a family-wise adjustment over shared draws, or a cross-check).

    Returns
    -------
    CoincidenceTestResult

    Raises
    ------
    ValueError
        Empty series, missing dates, dates outside ``[start, end]``, ``window < 1``,
        ``n_surrogates < 1``, unknown ``null``, ``direction`` or ``method``, weights of the wrong
        length or negative, ``jitter_days < 1``, malformed ``bins``, interval ends before their
        first day, or weights or intervals with ``null="poisson"``.

    Notes
    -----
    Statistic: ``S = sum_i w_i H_i / sum_i w_i`` where ``H_i`` is 1 if an event lies within
    the window of release day ``t_i`` (:func:`window_indicator`). Events outside
    ``[start, end]`` are not seen, so windows are truncated at the edges for the observed series
    and for every surrogate alike.

    Dates as intervals: an event known only to ``[a, b]`` falls on each of its days with
    probability ``1 / (b - a + 1)``, so the hit value of day ``d`` is the probability that at
    least one event lies in its window (:func:`hit_values`); a release known only to ``[a, b]``
    contributes the mean hit value over its interval (the probability that its unknown day is a
    hit). Under the null the whole interval moves: an interval-dated release is its own cluster,
    anchored at its first day, kept inside its bin's range and the period.

    p-value (one-sided, upper): exact ``P0(S >= S_obs)`` from the convolution of the clusters'
    distributions (jitter, uniform; :mod:`analysis.timing.exact`), all ``T`` circular shifts
    ``#{S_s >= S_0} / T``, binomial ``P(K >= k)`` (poisson); Monte Carlo
    ``(1 + #{null >= S}) / (1 + n_surrogates)`` on request.

    ``expected`` is the exact null mean; ``ratio_ci`` a percentile bootstrap over release
    clusters (``n_bootstrap`` replicates, seeded) recomputing the observed share and its null
    expectation, events held fixed. It describes precision, it is not a test inversion.
    """
    inp = _check_inputs(releases, events, window, direction, null, method, n_surrogates, seed,
                        start, end, weights, jitter_days, bins, cluster_gap, n_bootstrap,
                        release_ends, event_ends)  # fmt: skip
    s, e = inp.s, inp.e
    n_days = e - s + 1
    h = hit_values(inp.ev, s, e, inp.window, inp.direction, inp.ev_end)
    csum = np.concatenate([[0.0], np.cumsum(h)])
    length = inp.r_end - inp.r + 1
    hit = _interval_values(csum, inp.r - s, length)
    wt = inp.wt
    w_sum = float(wt.sum())
    wn = wt / w_sum
    stat_raw = float(hit @ wt)
    statistic = stat_raw / w_sum

    root = np.random.SeedSequence(inp.seed)
    null_ss, boot_ss = root.spawn(2)
    jd = (inp.jitter_days or DEFAULT_JITTER_DAYS) if inp.null == "jitter" else None
    cg = inp.cluster_gap if inp.null == "jitter" else None
    mc = inp.method == "monte carlo"
    ranges = _ranges(inp) if inp.null == "jitter" else None
    if inp.null == "poisson":
        res = _poisson(inp, hit, n_days)
    elif inp.null == "circular_shift":
        res = _circular(inp, h, stat_raw, w_sum)
    elif mc:
        nd = _monte_carlo(inp, h, stat_raw, w_sum, null_ss)
        p = (1 + np.count_nonzero(nd >= statistic - _TOL)) / (1 + inp.n_surrogates)
        res = _Null(pvalue=float(p), m=np.zeros(0), null_distribution=nd, null_pmf=None,
                    n_surrogates=inp.n_surrogates,
                    pvalue_method="Monte Carlo (1 + #{null >= obs}) / (1 + n)",
                    method="monte carlo", pvalue_lower=float(p))  # fmt: skip
    elif inp.null == "jitter":
        res = _exact_jitter(inp, h, stat_raw, w_sum, ranges)  # type: ignore[arg-type]
    else:  # uniform
        vals, probs = _uniform_table(inp, h)
        res = _from_table(vals, probs, inp, stat_raw, w_sum)
    m = res.m if res.m.size else _release_means(inp, h, ranges)
    null_dist, n_used = res.null_distribution, res.n_surrogates
    if surrogates and not mc and inp.null in ("jitter", "uniform"):
        null_dist = _monte_carlo(inp, h, stat_raw, w_sum, null_ss)
        n_used = inp.n_surrogates

    expected = float(m @ wn)
    ratio = statistic / expected if expected > 0 else float("nan")
    ci = _bootstrap_ci(inp, hit, m, wn, boot_ss)
    return CoincidenceTestResult(
        statistic=statistic,
        expected=expected,
        ratio=float(ratio),
        ratio_ci=ci,
        pvalue=float(min(1.0, res.pvalue)),
        null_distribution=null_dist,
        null_pmf=res.null_pmf,
        n_surrogates=n_used,
        null=inp.null,
        null_assumption=NULL_ASSUMPTIONS[inp.null],
        pvalue_method=res.pvalue_method,
        ci_method=(
            f"percentile bootstrap over release clusters ({inp.n_bootstrap} replicates, events "
            "fixed), observed and null-expected share recomputed per replicate"
        ),
        window=inp.window,
        direction=inp.direction,
        jitter_days=jd if inp.bins is None else None,
        cluster_gap=cg,
        n_releases=int(inp.r.size),
        n_events=int(inp.ev.size),
        weighted=inp.w is not None,
        start=s,
        end=e,
        seed=inp.seed,
        method=res.method,
        pvalue_lower=float(min(1.0, res.pvalue_lower)),
        n_interval_releases=int((inp.r_end != inp.r).sum()),
        n_interval_events=int((inp.ev_end != inp.ev).sum()),
        bins=None if inp.bins is None else tuple(int(b) for b in inp.bins),
    )
