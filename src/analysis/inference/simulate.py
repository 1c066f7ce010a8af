"""Synthetic release / event series and calibration (size and power) of the coincidence tests.

Scenarios (all on day numbers ``start .. start + n_days - 1``):

``clustered``
    Releases come in bursts: burst centres uniform over the period, each release assigned to a
    random burst and placed uniformly within ``burst_days`` days of its start (so several releases
    per day and several release days per burst). Events are an independent homogeneous Poisson
    process (uniform days). Null scenario: releases are independent of events.
``shared_trend``
    Both series follow the same slow intensity: a baseline plus ``n_surges`` non-overlapping
    surges of ``surge_days`` days in which the intensity is ``surge_boost`` times higher (like
    2019 and 2024--2026). Events are drawn independently from the intensity; release bursts
    start at days drawn from it. Null scenario: no fine timing link, only slow co-movement.
``planted``
    A base scenario (default ``shared_trend``) in which a fraction of releases is replaced by
    releases placed 0..``max_lag`` days after a randomly chosen event. Alternative scenario.

:func:`calibrate` runs many seeded replications of every scenario and null and reports
rejection rates; :func:`jitter_tradeoff` does so across jitter bin widths.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.grid import resolve_backend, run_grid
from analysis.timing.coincidence import (
    DEFAULT_CLUSTER_GAP,
    DEFAULT_JITTER_DAYS,
    DIRECTIONS,
    coincidence_test,
)
from analysis.timing.nulls import NULLS, make_rng

__all__ = [
    "POWER_SCENARIOS",
    "RECORD_SCENARIOS",
    "RECORD_SHAPE",
    "SCENARIOS",
    "SURGE_SCENARIOS",
    "CalibrationResult",
    "SyntheticSeries",
    "calibrate",
    "jitter_tradeoff",
    "simulate",
    "simulate_clustered",
    "simulate_planted",
    "simulate_record_clustered",
    "simulate_record_late_surge",
    "simulate_record_planted",
    "simulate_record_shaped",
    "simulate_record_strong_surge",
    "simulate_record_surge",
    "simulate_shared_trend",
]

#: Scenario names understood by :func:`simulate` and :func:`calibrate`.
SCENARIOS: tuple[str, ...] = ("clustered", "shared_trend", "planted")
#: Record-shaped scenarios (:func:`simulate_record_shaped`), also understood by :func:`calibrate`.
RECORD_SCENARIOS: tuple[str, ...] = (
    "record_clustered",
    "record_surge",
    "record_planted",
    "record_strong_surge",
    "record_late_surge",
)
#: Scenarios with a planted effect (their rejection rates are power, the others' are size).
POWER_SCENARIOS: tuple[str, ...] = ("planted", "record_planted")


@dataclass(frozen=True, eq=False)
class SyntheticSeries:
    """A synthetic pair of series.

    Attributes
    ----------
    releases, events : numpy.ndarray
        Sorted int64 day numbers.
    start, end : int
        Observation period (inclusive).
    planted : numpy.ndarray
        Boolean mask over ``releases``: placed after an event on purpose (planted scenario).
    scenario : str
        Scenario name.
    params : dict
        Generator settings, including the seed.
    """

    releases: np.ndarray
    events: np.ndarray
    start: int
    end: int
    planted: np.ndarray
    scenario: str
    params: dict[str, Any] = field(default_factory=dict)


def _check_pos(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} = {value!r} must be an int >= {minimum}")
    return int(value)


def _bursts(
    rng: np.random.Generator,
    n_releases: int,
    centres: np.ndarray,
    burst_days: int,
    start: int,
    end: int,
) -> np.ndarray:
    which = rng.integers(0, centres.size, size=n_releases)
    days = centres[which] + rng.integers(0, burst_days, size=n_releases)
    return np.sort(np.clip(days, start, end))


def simulate_clustered(
    n_releases: int = 150,
    n_events: int = 150,
    n_days: int = 3650,
    *,
    n_bursts: int = 30,
    burst_days: int = 7,
    start: int = 0,
    seed: int | None = None,
) -> SyntheticSeries:
    """Clustered releases, independent uniform events (a null scenario).

    Parameters
    ----------
    n_releases, n_events : int
        Sizes of the two series.
    n_days : int
        Period length in days.
    n_bursts : int
        Number of release bursts (centres uniform over the period).
    burst_days : int
        Each release lies uniformly within ``burst_days`` days from its burst's first day.
    start : int
        First day number.
    seed : int or None
        Random seed.

    Returns
    -------
    SyntheticSeries
    """
    n_releases = _check_pos(n_releases, "n_releases")
    n_events = _check_pos(n_events, "n_events")
    n_days = _check_pos(n_days, "n_days", 2)
    n_bursts = _check_pos(n_bursts, "n_bursts")
    burst_days = _check_pos(burst_days, "burst_days")
    rng = make_rng(seed)
    end = start + n_days - 1
    centres = rng.integers(start, end + 1, size=n_bursts)
    releases = _bursts(rng, n_releases, centres, burst_days, start, end)
    events = np.sort(rng.integers(start, end + 1, size=n_events))
    return SyntheticSeries(
        releases=releases,
        events=events,
        start=start,
        end=end,
        planted=np.zeros(n_releases, dtype=bool),
        scenario="clustered",
        params={"n_bursts": n_bursts, "burst_days": burst_days, "seed": seed},
    )


def simulate_shared_trend(
    n_releases: int = 150,
    n_events: int = 150,
    n_days: int = 3650,
    *,
    n_surges: int = 3,
    surge_days: int = 150,
    surge_boost: float = 8.0,
    n_bursts: int = 30,
    burst_days: int = 7,
    start: int = 0,
    seed: int | None = None,
) -> SyntheticSeries:
    """Both series surge together for a few months at a time (a null scenario).

    Parameters
    ----------
    n_releases, n_events, n_days, start, seed
        As in :func:`simulate_clustered`.
    n_surges : int
        Number of non-overlapping surges.
    surge_days : int
        Length of each surge in days.
    surge_boost : float
        Intensity inside a surge relative to outside (> 0).
    n_bursts, burst_days : int
        Release bursts as in :func:`simulate_clustered`; burst starts follow the intensity.

    Returns
    -------
    SyntheticSeries
        ``params["intensity"]`` holds the daily intensity (sums to 1).
    """
    n_releases = _check_pos(n_releases, "n_releases")
    n_events = _check_pos(n_events, "n_events")
    n_days = _check_pos(n_days, "n_days", 2)
    n_surges = _check_pos(n_surges, "n_surges", 0)
    surge_days = _check_pos(surge_days, "surge_days")
    if not (math.isfinite(surge_boost) and surge_boost > 0):
        raise ValueError(f"surge_boost = {surge_boost!r} must be a finite number > 0")
    if n_surges * surge_days > n_days:
        raise ValueError(
            f"n_surges * surge_days = {n_surges * surge_days} exceeds n_days = {n_days}"
        )
    rng = make_rng(seed)
    end = start + n_days - 1
    # non-overlapping surges: split the free days at random points
    free = n_days - n_surges * surge_days
    gaps = np.sort(rng.integers(0, free + 1, size=n_surges))
    starts = gaps + np.arange(n_surges) * surge_days
    intensity = np.ones(n_days)
    for s0 in starts:
        intensity[s0 : s0 + surge_days] = surge_boost
    intensity /= intensity.sum()
    centres = start + rng.choice(n_days, size=n_bursts, p=intensity)
    releases = _bursts(rng, n_releases, centres, burst_days, start, end)
    events = np.sort(start + rng.choice(n_days, size=n_events, p=intensity))
    return SyntheticSeries(
        releases=releases,
        events=events,
        start=start,
        end=end,
        planted=np.zeros(n_releases, dtype=bool),
        scenario="shared_trend",
        params={
            "n_surges": n_surges,
            "surge_days": surge_days,
            "surge_boost": surge_boost,
            "surge_starts": (start + starts).tolist(),
            "n_bursts": n_bursts,
            "burst_days": burst_days,
            "seed": seed,
            "intensity": intensity,
        },
    )


def simulate_planted(
    n_releases: int = 150,
    n_events: int = 150,
    n_days: int = 3650,
    *,
    fraction: float = 0.4,
    max_lag: int = 14,
    base: str = "shared_trend",
    start: int = 0,
    seed: int | None = None,
    **base_kwargs: Any,
) -> SyntheticSeries:
    """A base scenario with a planted timing effect.

    A random ``round(fraction * n_releases)`` of the base releases are replaced by releases on day
    ``e + U`` with ``e`` a uniformly chosen event and ``U`` uniform on ``0 .. max_lag`` (cut at the
    period end). With ``direction="before"`` and ``window >= max_lag`` every planted release
    coincides.

    Parameters
    ----------
    n_releases, n_events, n_days, start, seed
        As in :func:`simulate_clustered`.
    fraction : float
        Share of releases planted (0..1).
    max_lag : int
        Largest delay after the event in days.
    base : {"clustered", "shared_trend"}
        Base scenario.
    **base_kwargs
        Passed to the base generator.

    Returns
    -------
    SyntheticSeries
    """
    if not (0.0 <= fraction <= 1.0):
        raise ValueError(f"fraction = {fraction!r} must be between 0 and 1")
    max_lag = _check_pos(max_lag, "max_lag", 0)
    if base not in ("clustered", "shared_trend"):
        raise ValueError(f"base = {base!r} is not allowed; use 'clustered' or 'shared_trend'")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    base_ss, plant_ss = ss.spawn(2)
    gen = simulate_clustered if base == "clustered" else simulate_shared_trend
    b = gen(n_releases, n_events, n_days, start=start, seed=base_ss, **base_kwargs)
    rng = make_rng(plant_ss)
    n_plant = round(fraction * b.releases.size)
    idx = rng.choice(b.releases.size, size=n_plant, replace=False)
    releases = b.releases.copy()
    releases[idx] = np.minimum(
        b.events[rng.integers(0, b.events.size, size=n_plant)]
        + rng.integers(0, max_lag + 1, size=n_plant),
        b.end,
    )
    planted = np.zeros(releases.size, dtype=bool)
    planted[idx] = True
    order = np.argsort(releases, kind="stable")
    params = dict(b.params)
    params.update({"fraction": fraction, "max_lag": max_lag, "base": base, "seed": seed})
    return SyntheticSeries(
        releases=releases[order],
        events=b.events,
        start=b.start,
        end=b.end,
        planted=planted[order],
        scenario="planted",
        params=params,
    )


# ---------------------------------------------------------------------------------------------
# record-shaped scenarios (sizes like the Venezuelan record, not tuned to its outcomes)
# ---------------------------------------------------------------------------------------------

#: Defaults of :func:`simulate_record_shaped`: about 73 release clusters and 130 talks-class
#: events over 12 years, as in the record (2014-2026); nothing here is fitted to its timing.
RECORD_SHAPE: dict[str, Any] = {
    "n_clusters": 73,
    "n_events": 130,
    "n_days": 4383,
    "max_cluster_days": 5,
    "cluster_span": 7,
}


def _record_intensity(
    rng: np.random.Generator,
    n_days: int,
    *,
    n_surges: int,
    surge_days: int,
    surge_boost: float,
    late_days: int,
    late_boost: float,
) -> np.ndarray:
    """Daily intensity (sums to 1): a slow wave, ``n_surges`` surges and a late surge."""
    t = np.arange(n_days) / n_days
    wave = np.exp(0.5 * np.sin(2 * np.pi * (t * rng.uniform(1.5, 3.0) + rng.uniform())))
    boost = np.ones(n_days)
    free = max(0, n_days - late_days - n_surges * surge_days)
    gaps = np.sort(rng.integers(0, free + 1, size=n_surges))
    for s0 in gaps + np.arange(n_surges) * surge_days:
        boost[s0 : s0 + surge_days] = surge_boost
    if late_days:
        boost[n_days - late_days :] = late_boost
    lam = wave * boost
    return lam / lam.sum()


def _record_clusters(
    rng: np.random.Generator, anchors: np.ndarray, max_days: int, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """Release days of clusters: each has 1..max_days distinct days within ``span`` days of its
    anchor (the anchor included). Returns (days, cluster label per day), unsorted."""
    days, labels = [], []
    for k, a in enumerate(anchors):
        n = int(rng.integers(1, min(max_days, span) + 1))
        extra = rng.choice(np.arange(1, span), size=n - 1, replace=False) if n > 1 else []
        offs = np.concatenate([[0], np.sort(np.asarray(extra, dtype=np.int64))])
        days.append(a + offs)
        labels.append(np.full(offs.size, k))
    return np.concatenate(days).astype(np.int64), np.concatenate(labels).astype(np.int64)


def _plant_clusters(
    rng: np.random.Generator,
    days: np.ndarray,
    labels: np.ndarray,
    events: np.ndarray,
    fraction: float,
    lags: tuple[int, int, str],
    end: int,
) -> np.ndarray:
    """Move whole clusters so their first day is e + U (after) or e - U (before); returns the
    planted mask over ``days`` (``days`` is changed in place)."""
    lag_min, lag_max, side = lags
    n_clusters = int(labels.max()) + 1
    chosen = rng.choice(n_clusters, size=round(fraction * n_clusters), replace=False)
    planted = np.zeros(days.size, dtype=bool)
    for k in chosen:
        on = labels == k
        anchor, span = days[on].min(), days[on].max() - days[on].min()
        u = int(rng.integers(lag_min, lag_max + 1))
        e = int(events[rng.integers(0, events.size)])
        new = e + u if side == "after" else e - u
        new = int(np.clip(new, 0, end - span))
        days[on] += new - anchor
        planted[on] = True
    return planted


def _check_record_args(
    fraction: float, plant_side: str, lag_min: int, lag_max: int, boosts: tuple[float, ...]
) -> None:
    if not (0.0 <= fraction <= 1.0):
        raise ValueError(f"fraction = {fraction!r} must be between 0 and 1")
    if plant_side not in ("after", "before"):
        raise ValueError(f"plant_side = {plant_side!r} is not allowed; use 'after' or 'before'")
    if lag_max < lag_min:
        raise ValueError(f"lag_max = {lag_max} is below lag_min = {lag_min}")
    for b in boosts:
        if not (math.isfinite(b) and b > 0):
            raise ValueError(f"boost = {b!r} must be a finite number > 0")


def simulate_record_shaped(
    n_clusters: int = RECORD_SHAPE["n_clusters"],
    n_events: int = RECORD_SHAPE["n_events"],
    n_days: int = RECORD_SHAPE["n_days"],
    *,
    max_cluster_days: int = RECORD_SHAPE["max_cluster_days"],
    cluster_span: int = RECORD_SHAPE["cluster_span"],
    shared_trend: bool = True,
    n_surges: int = 2,
    surge_days: int = 120,
    surge_boost: float = 4.0,
    late_days: int = 365,
    release_late_boost: float = 5.0,
    event_late_boost: float = 3.0,
    fraction: float = 0.0,
    plant_side: str = "after",
    lag_min: int = 0,
    lag_max: int = 7,
    start: int = 0,
    seed: int | np.random.SeedSequence | None = None,
) -> SyntheticSeries:
    """Release clusters and events shaped like the Venezuelan record (sizes, not outcomes).

    Release *clusters* (bursts) start on anchor days; each has 1..``max_cluster_days`` distinct
    release days within ``cluster_span`` days of its anchor. The releases returned are release
    days (one entry per day of a cluster).

    Parameters
    ----------
    n_clusters, n_events, n_days : int
        Release clusters, events and period length (defaults: 73, 130, 4383 = 12 years).
    max_cluster_days, cluster_span : int
        Days per cluster (uniform on 1..max) and the span they fall in (days from the anchor).
    shared_trend : bool
        True: anchors and events both follow a slow shared intensity -- a slow wave, ``n_surges``
        surges of ``surge_days`` days at ``surge_boost`` times the rate and, over the last
        ``late_days`` days, a late surge (``release_late_boost`` times the release rate,
        ``event_late_boost`` times the event rate; like 2025-2026). False: both uniform.
    n_surges, surge_days, surge_boost, late_days, release_late_boost, event_late_boost
        Shape of the shared trend (see above); ``late_days=0`` turns the late surge off.
    fraction : float
        Share of whole clusters moved next to a random event (0: no effect, a null scenario).
    plant_side : {"after", "before"}
        "after": a moved cluster's first day is ``e + U`` (release after the event);
        "before": ``e - U`` (release before the event). ``U`` uniform on ``lag_min..lag_max``.
    lag_min, lag_max : int
        Range of ``U`` in days.
    start, seed
        First day number; random seed.

    Returns
    -------
    SyntheticSeries
        ``planted`` marks the release days of moved clusters; ``params["cluster"]`` holds the
        cluster label of every release day (in the order of ``releases``).
    """
    n_clusters = _check_pos(n_clusters, "n_clusters")
    n_events = _check_pos(n_events, "n_events")
    n_days = _check_pos(n_days, "n_days", 2 * cluster_span)
    max_cluster_days = _check_pos(max_cluster_days, "max_cluster_days")
    cluster_span = _check_pos(cluster_span, "cluster_span")
    lag_min = _check_pos(lag_min, "lag_min", 0)
    lag_max = _check_pos(lag_max, "lag_max", 0)
    _check_record_args(
        fraction, plant_side, lag_min, lag_max, (surge_boost, release_late_boost, event_late_boost)
    )
    if late_days < 0 or late_days + n_surges * surge_days > n_days:
        raise ValueError(f"late_days = {late_days} plus the surges do not fit in n_days")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    trend_rng, data_rng, plant_rng = (make_rng(s) for s in ss.spawn(3))
    last_anchor = n_days - cluster_span
    if shared_trend:
        kw = dict(n_surges=n_surges, surge_days=surge_days, surge_boost=surge_boost)
        lam = _record_intensity(
            trend_rng, n_days, late_days=late_days, late_boost=release_late_boost, **kw
        )
        lam_r = lam[: last_anchor + 1] / lam[: last_anchor + 1].sum()
        anchors = data_rng.choice(last_anchor + 1, size=n_clusters, p=lam_r)
        mu = lam.copy()
        if late_days:
            mu[n_days - late_days :] *= event_late_boost / release_late_boost
        events = data_rng.choice(n_days, size=n_events, p=mu / mu.sum())
    else:
        anchors = data_rng.integers(0, last_anchor + 1, size=n_clusters)
        events = data_rng.integers(0, n_days, size=n_events)
    days, labels = _record_clusters(data_rng, anchors, max_cluster_days, cluster_span)
    events = np.sort(events).astype(np.int64)
    planted = np.zeros(days.size, dtype=bool)
    if fraction > 0:
        lags = (lag_min, lag_max, plant_side)
        planted = _plant_clusters(plant_rng, days, labels, events, fraction, lags, n_days - 1)
    order = np.argsort(days, kind="stable")
    scenario = (
        "record_planted"
        if fraction > 0
        else ("record_surge" if shared_trend else "record_clustered")
    )
    return SyntheticSeries(
        releases=start + days[order],
        events=start + events,
        start=start,
        end=start + n_days - 1,
        planted=planted[order],
        scenario=scenario,
        params={
            "n_clusters": n_clusters,
            "shared_trend": shared_trend,
            "late_days": late_days,
            "release_late_boost": release_late_boost,
            "event_late_boost": event_late_boost,
            "fraction": fraction,
            "plant_side": plant_side,
            "lag_min": lag_min,
            "lag_max": lag_max,
            "seed": seed,
            "cluster": labels[order],
        },
    )


def simulate_record_clustered(**kwargs: Any) -> SyntheticSeries:
    """Null: record-shaped bursty releases, events independent and uniform (no shared trend)."""
    kwargs.setdefault("shared_trend", False)
    return simulate_record_shaped(fraction=0.0, **kwargs)


def simulate_record_surge(**kwargs: Any) -> SyntheticSeries:
    """Null: releases and events share slow surges and the late surge, independent otherwise."""
    kwargs.setdefault("shared_trend", True)
    return simulate_record_shaped(fraction=0.0, **kwargs)


def simulate_record_planted(fraction: float = 0.3, **kwargs: Any) -> SyntheticSeries:
    """Power: :func:`simulate_record_surge` with a ``fraction`` of whole clusters moved next to
    a random event (see ``plant_side``, ``lag_min``, ``lag_max``)."""
    kwargs.setdefault("shared_trend", True)
    return simulate_record_shaped(fraction=fraction, **kwargs)


#: Shared-surge null scenarios for the choice of the surge-robust null (issue #16), with their
#: generator settings: ``record_surge`` is v2's (two 120-day surges at 4x, a last year at 5x
#: releases / 3x events); ``record_strong_surge`` is at least as strong as v1's ``shared_trend``
#: (three 150-day surges at 8x, plus v2's last year); ``record_late_surge`` is a late surge like
#: 2026 (v2's surges, then the last 90 days at 16x the release and 8x the event rate).
SURGE_SCENARIOS: dict[str, dict[str, Any]] = {
    "record_surge": {},
    "record_strong_surge": dict(n_surges=3, surge_days=150, surge_boost=8.0),
    "record_late_surge": dict(late_days=90, release_late_boost=16.0, event_late_boost=8.0),
}


def simulate_record_strong_surge(**kwargs: Any) -> SyntheticSeries:
    """Null: :func:`simulate_record_surge` with surges at least as strong as v1's shared trend
    (three 150-day surges at 8x; see :data:`SURGE_SCENARIOS`)."""
    for k, v in SURGE_SCENARIOS["record_strong_surge"].items():
        kwargs.setdefault(k, v)
    kwargs.setdefault("shared_trend", True)
    res = simulate_record_shaped(fraction=0.0, **kwargs)
    return _rename(res, "record_strong_surge")


def simulate_record_late_surge(**kwargs: Any) -> SyntheticSeries:
    """Null: a late surge like 2026 (the last 90 days at 16x the release and 8x the event rate;
    see :data:`SURGE_SCENARIOS`)."""
    for k, v in SURGE_SCENARIOS["record_late_surge"].items():
        kwargs.setdefault(k, v)
    kwargs.setdefault("shared_trend", True)
    return _rename(simulate_record_shaped(fraction=0.0, **kwargs), "record_late_surge")


def _rename(res: SyntheticSeries, scenario: str) -> SyntheticSeries:
    return SyntheticSeries(releases=res.releases, events=res.events, start=res.start,
                           end=res.end, planted=res.planted, scenario=scenario,
                           params=res.params)  # fmt: skip


_GENERATORS: dict[str, Any] = {
    "clustered": simulate_clustered,
    "shared_trend": simulate_shared_trend,
    "planted": simulate_planted,
    "record_clustered": simulate_record_clustered,
    "record_surge": simulate_record_surge,
    "record_planted": simulate_record_planted,
    "record_strong_surge": simulate_record_strong_surge,
    "record_late_surge": simulate_record_late_surge,
}


def simulate(scenario: str, seed: int | None = None, **kwargs: Any) -> SyntheticSeries:
    """Dispatch to the generator of ``scenario`` (one of :data:`SCENARIOS`)."""
    gens = _GENERATORS
    if scenario not in gens:
        raise ValueError(f"scenario = {scenario!r} is not allowed; use one of {', '.join(gens)}")
    return gens[scenario](seed=seed, **kwargs)


# ---------------------------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Empirical rejection rates of the coincidence tests.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (scenario, null, jitter_days): ``scenario``, ``is_null`` (True: size, False:
        power), ``null``, ``jitter_days``, ``n_reps``, ``rejections``, ``rate`` and a 95% Wilson
        interval ``rate_lo``, ``rate_hi``.
    pvalues : pandas.DataFrame
        Long table of every p-value (rep, scenario, null, jitter_days, pvalue).
    alpha, n_reps, n_surrogates, window, direction, cluster_gap, seed, n_workers : settings
    scenario_kwargs : dict
        Generator settings per scenario.
    backend : str
        Where the replications ran (see :func:`analysis.inference.grid.resolve_backend`).
    """

    table: pd.DataFrame
    pvalues: pd.DataFrame
    alpha: float
    n_reps: int
    n_surrogates: int
    window: int
    direction: str
    cluster_gap: int
    seed: int | None
    n_workers: int | None
    scenario_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    backend: str = ""

    def rate(self, scenario: str, null: str, jitter_days: int | None = None) -> float:
        """Rejection rate of one (scenario, null[, jitter_days]) cell."""
        t = self.table
        sel = (t["scenario"] == scenario) & (t["null"] == null)
        if jitter_days is not None:
            sel &= t["jitter_days"] == jitter_days
        if not sel.any():
            raise ValueError(f"no row for scenario = {scenario!r}, null = {null!r}")
        return float(t.loc[sel, "rate"].iloc[0])

    def summary(self) -> str:
        """Short plain-text table of rejection rates."""
        head = (
            f"Calibration: alpha = {self.alpha}, {self.n_reps} reps x {self.n_surrogates} "
            f"surrogates, window {self.window} d {self.direction}, seed {self.seed}"
        )
        cols = ["scenario", "is_null", "null", "jitter_days", "rate", "rate_lo", "rate_hi"]
        return head + "\n" + self.table[cols].to_string(index=False, float_format="%.3f")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary().splitlines()[0])}</p>" + self.table.to_html(
            index=False, float_format="%.3f"
        )


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def _one_rep(
    job: tuple[Any, ...], ss: np.random.SeedSequence
) -> list[tuple[int, str, str, int | None, float]]:
    (rep, scenarios, nulls, jitter_grid, n_surr, window, direction, cluster_gap, skw) = job
    out: list[tuple[int, str, str, int | None, float]] = []
    for sc, sc_ss in zip(scenarios, ss.spawn(len(scenarios)), strict=True):
        data_ss, test_ss = sc_ss.spawn(2)
        data = simulate(sc, seed=data_ss, **skw.get(sc, {}))
        cells = [(nl, jd) for nl in nulls for jd in (jitter_grid if nl == "jitter" else [None])]
        for (nl, jd), t_ss in zip(cells, test_ss.spawn(len(cells)), strict=True):
            res = coincidence_test(
                data.releases,
                data.events,
                window,
                direction=direction,
                null=nl,
                n_surrogates=n_surr,
                seed=int(t_ss.generate_state(1)[0]),
                start=data.start,
                end=data.end,
                jitter_days=jd,
                cluster_gap=cluster_gap,
                n_bootstrap=0,
            )
            out.append((rep, sc, nl, jd, res.pvalue))
    return out


def calibrate(
    scenarios: Sequence[str] = SCENARIOS,
    nulls: Sequence[str] = NULLS,
    *,
    n_reps: int = 400,
    n_surrogates: int = 999,
    window: int = 14,
    direction: str = "before",
    jitter_days: int | Sequence[int] = DEFAULT_JITTER_DAYS,
    cluster_gap: int = DEFAULT_CLUSTER_GAP,
    alpha: float = 0.05,
    seed: int | None = 0,
    n_workers: int | None = 1,
    scheduler: Any = None,
    progress: bool = False,
    scenario_kwargs: dict[str, dict[str, Any]] | None = None,
) -> CalibrationResult:
    """Empirical size and power of each null over many seeded replications.

    Parameters
    ----------
    scenarios : sequence of str
        Scenarios from :data:`SCENARIOS`; "planted" rows are power, the others size.
    nulls : sequence of str
        Nulls from :data:`analysis.timing.nulls.NULLS`.
    n_reps : int
        Replications per scenario.
    n_surrogates : int
        Monte Carlo surrogates per test.
    window, direction, cluster_gap
        Passed to :func:`analysis.timing.coincidence.coincidence_test`.
    jitter_days : int or sequence of int
        Jitter bin width(s); every width is run on the same simulated data.
    alpha : float
        Rejection threshold (reject if p <= alpha).
    seed : int or None
        Master seed. Replication ``i`` uses child ``i`` of ``SeedSequence(seed).spawn(n_reps)``, so
        results do not depend on the backend or ``n_workers``.
    n_workers : int or None
        Local processes: 1 runs in this process, None uses every core (see
        :func:`analysis.inference.grid.run_grid`).
    scheduler : str, distributed.Client or None
        Dask scheduler address or client (None: ``$DASK_SCHEDULER_ADDRESS`` if set, else local).
    progress : bool
        Show a tqdm progress bar.
    scenario_kwargs : dict, optional
        Generator keyword arguments per scenario name.

    Returns
    -------
    CalibrationResult
    """
    allowed = SCENARIOS + RECORD_SCENARIOS
    for sc in scenarios:
        if sc not in allowed:
            raise ValueError(f"scenario = {sc!r} is not allowed; use one of {', '.join(allowed)}")
    for nl in nulls:
        if nl not in NULLS:
            raise ValueError(f"null = {nl!r} is not allowed; use one of {', '.join(NULLS)}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction = {direction!r} is not allowed; use one of {DIRECTIONS}")
    n_reps = _check_pos(n_reps, "n_reps")
    n_surrogates = _check_pos(n_surrogates, "n_surrogates")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha = {alpha!r} must be between 0 and 1")
    grid = [jitter_days] if isinstance(jitter_days, (int, np.integer)) else list(jitter_days)
    grid = [_check_pos(j, "jitter_days") for j in grid]
    skw = dict(scenario_kwargs or {})
    backend = resolve_backend(scheduler, n_workers)
    job = (tuple(scenarios), tuple(nulls), grid, n_surrogates, window, direction, cluster_gap, skw)
    out = run_grid(
        _one_rep,
        [(i, *job) for i in range(n_reps)],
        seed=seed,
        scheduler=scheduler,
        n_workers=n_workers,
        progress=progress,
        desc="calibrate",
    )
    rows = [row for rep_rows in out for row in rep_rows]
    pv = pd.DataFrame(rows, columns=["rep", "scenario", "null", "jitter_days", "pvalue"])
    pv["jitter_days"] = pv["jitter_days"].astype("Int64")
    pv["reject"] = pv["pvalue"] <= alpha
    agg = (
        pv.groupby(["scenario", "null", "jitter_days"], dropna=False, sort=False)["reject"]
        .agg(["size", "sum"])
        .reset_index()
        .rename(columns={"size": "n_reps", "sum": "rejections"})
    )
    agg["rejections"] = agg["rejections"].astype(int)
    agg["rate"] = agg["rejections"] / agg["n_reps"]
    ci = [_wilson(k, n) for k, n in zip(agg["rejections"], agg["n_reps"], strict=True)]
    agg["rate_lo"] = [c[0] for c in ci]
    agg["rate_hi"] = [c[1] for c in ci]
    agg.insert(1, "is_null", ~agg["scenario"].isin(POWER_SCENARIOS))
    return CalibrationResult(
        table=agg,
        pvalues=pv,
        alpha=alpha,
        n_reps=n_reps,
        n_surrogates=n_surrogates,
        window=window,
        direction=direction,
        cluster_gap=cluster_gap,
        seed=seed,
        n_workers=backend.n_workers,
        scenario_kwargs=skw,
        backend=str(backend),
    )


def jitter_tradeoff(
    jitter_grid: Sequence[int] = (7, 14, 30, 60, 90, 180),
    *,
    scenarios: Sequence[str] = SCENARIOS,
    **kwargs: Any,
) -> pd.DataFrame:
    """Size and power of the jitter test against the jitter bin width.

    Parameters
    ----------
    jitter_grid : sequence of int
        Bin widths in days.
    scenarios : sequence of str
        Scenarios (null scenarios give size, "planted" gives power).
    **kwargs
        Passed to :func:`calibrate` (n_reps, n_surrogates, window, seed, n_workers, ...).

    Returns
    -------
    pandas.DataFrame
        Columns ``jitter_days`` and one rejection-rate column per scenario (``size_<scenario>``
        or ``power_planted``), one row per bin width. Every width uses the same simulated data.
    """
    res = calibrate(scenarios, ("jitter",), jitter_days=list(jitter_grid), **kwargs)
    t = res.table
    wide = t.pivot(index="jitter_days", columns="scenario", values="rate")
    wide.columns = [("power_" if c == "planted" else "size_") + str(c) for c in wide.columns]
    return wide.reset_index()
