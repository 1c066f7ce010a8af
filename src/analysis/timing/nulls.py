"""Surrogate generators for release series (null models for timing tests).

Every generator works on integer day numbers (see :func:`analysis.timing.calendar.to_days`) on a
closed
observation period ``[start, end]`` and returns surrogate *release days* with one row per surrogate
and one column per release, in the order of the input releases. Weights (persons released) travel
with their release, so they never need resampling.

Nulls
-----
``uniform``
    Every release is placed independently and uniformly at random on a day of ``[start, end]``.
    Destroys clustering and slow trends: anti-conservative when releases cluster in time or when
    both series share a slow trend.
``circular_shift``
    The release series is rotated as a whole by ``s`` days modulo the period length ``T``, for every
    ``s = 0 .. T-1``. Keeps the release pattern (clusters, gaps) exactly, breaks its alignment with
    events. Valid when the event process is (circularly) stationary; anti-conservative when both
    series share a slow trend.
``jitter``
    Interval jitter (Amarasingham et al. 2012): the period is cut into fixed bins of
    ``jitter_days`` days starting at ``start`` (the last bin may be shorter). Each release *cluster*
    is redrawn uniformly at random inside the bin of its first day, independently of other
    clusters, and its members keep their spacing (the whole cluster moves as a block, kept inside
    ``[start, end]``). A cluster is a maximal run of release days in which consecutive release days
    are at most ``cluster_gap`` days apart; with ``cluster_gap=0`` (the default of these low-level
    generators) a cluster is the set of releases that share a day.
    :func:`analysis.timing.coincidence.coincidence_test` uses ``cluster_gap=3`` by default: same-day
    clusters are anti-conservative when releases come in multi-day bursts
    (docs/methods_coincidence.md). Keeps everything slower than a bin (trends, surges, how many
    releases fall in each month) and tests the timing inside bins.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

__all__ = [
    "NULLS",
    "NULL_ASSUMPTIONS",
    "change_point_bins",
    "change_points",
    "check_bins",
    "circular_shift_surrogates",
    "cluster_labels",
    "jitter_ranges",
    "jitter_surrogates",
    "make_rng",
    "uniform_surrogates",
]

#: Names of the nulls understood by :func:`analysis.timing.coincidence.coincidence_test`.
NULLS: tuple[str, ...] = ("uniform", "circular_shift", "jitter", "poisson")

#: One-sentence statement of what each null assumes about the release series.
NULL_ASSUMPTIONS: dict[str, str] = {
    "uniform": (
        "releases are independent and uniformly spread over [start, end] (ignores clustering and "
        "trends: anti-conservative when releases cluster)"
    ),
    "circular_shift": (
        "the release pattern is fixed up to a rotation; every circular shift of the whole release "
        "series is equally likely (ignores shared slow trends)"
    ),
    "jitter": (
        "given which jitter bin each release cluster falls in, its day inside the bin is uniform "
        "and independent of events (keeps co-movement slower than a bin)"
    ),
    "poisson": (
        "events are a homogeneous Poisson process independent of releases (analytic binomial "
        "test of Donges et al. 2016; ignores clustering and trends)"
    ),
}


def make_rng(
    seed: int | np.random.Generator | np.random.SeedSequence | None,
) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from an int, ``SeedSequence``, Generator or None.

    Raises
    ------
    ValueError
        If ``seed`` is a negative int or of another type.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed = {seed!r} is negative; use a non-negative int or None")
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed = {seed!r} is not allowed; use a non-negative int or None")


def _check_period(start: int, end: int) -> int:
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start}); end must be >= start")
    return int(end - start + 1)


def _check_n(n_surrogates: int) -> int:
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)):
        raise ValueError(f"n_surrogates = {n_surrogates!r} must be an int >= 1")
    if n_surrogates < 1:
        raise ValueError(f"n_surrogates = {n_surrogates} must be >= 1")
    return int(n_surrogates)


def _as_days(days: Any, start: int, end: int, name: str = "releases") -> np.ndarray:
    d = np.asarray(days, dtype=np.int64).ravel()
    outside = (d < start) | (d > end)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(f"{name}[{i}] = {d[i]} lies outside [start, end] = [{start}, {end}]")
    return d


def uniform_surrogates(
    n_releases: int,
    start: int,
    end: int,
    n_surrogates: int,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Releases placed independently and uniformly on the days of ``[start, end]``.

    Parameters
    ----------
    n_releases : int
        Number of releases per surrogate.
    start, end : int
        Observation period (day numbers, inclusive).
    n_surrogates : int
        Number of surrogate series.
    seed : int, Generator or None
        Random seed.

    Returns
    -------
    numpy.ndarray
        ``(n_surrogates, n_releases)`` int64 day numbers.
    """
    n_days = _check_period(start, end)
    n = _check_n(n_surrogates)
    rng = make_rng(seed)
    return rng.integers(start, start + n_days, size=(n, int(n_releases)), dtype=np.int64)


def circular_shift_surrogates(
    releases: Any, start: int, end: int, shifts: Any | None = None
) -> np.ndarray:
    """Release series rotated as a whole modulo the period length.

    Parameters
    ----------
    releases : array-like of int
        Release day numbers inside ``[start, end]``.
    start, end : int
        Observation period (inclusive); its length ``T = end - start + 1`` is the period.
    shifts : array-like of int, optional
        Shifts in days (default: every shift ``0 .. T-1``, which is the exact null).

    Returns
    -------
    numpy.ndarray
        ``(len(shifts), n_releases)`` int64 day numbers:
        ``start + (release - start + shift) mod T``. Row 0 of the default is the observed series.
    """
    n_days = _check_period(start, end)
    r = _as_days(releases, start, end)
    s = np.arange(n_days) if shifts is None else np.asarray(shifts, dtype=np.int64).ravel()
    return start + (r[None, :] - start + s[:, None]) % n_days


def cluster_labels(days: Any, cluster_gap: int = 0) -> np.ndarray:
    """Label release clusters: runs of release days at most ``cluster_gap`` days apart.

    Parameters
    ----------
    days : array-like of int
        Release day numbers (any order).
    cluster_gap : int, default 0
        Two consecutive distinct release days belong to the same cluster when they are at most
        ``cluster_gap`` days apart. ``0``: a cluster is the set of releases sharing a day.

    Returns
    -------
    numpy.ndarray
        int64 cluster label per release (0, 1, ... in time order), same order as ``days``.
    """
    if isinstance(cluster_gap, bool) or not isinstance(cluster_gap, (int, np.integer)):
        raise ValueError(f"cluster_gap = {cluster_gap!r} must be an int >= 0")
    if cluster_gap < 0:
        raise ValueError(f"cluster_gap = {cluster_gap} must be >= 0")
    d = np.asarray(days, dtype=np.int64).ravel()
    if d.size == 0:
        return np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(d, return_inverse=True)
    new_cluster = np.concatenate([[0], (np.diff(uniq) > cluster_gap).astype(np.int64)])
    return np.cumsum(new_cluster)[inverse]


def jitter_ranges(
    releases: Any,
    start: int,
    end: int,
    jitter_days: int,
    cluster_gap: int = 0,
    *,
    bins: Any = None,
    release_ends: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each release cluster may move under the interval-jitter null.

    Parameters
    ----------
    releases : array-like of int
        Release day numbers inside ``[start, end]``.
    start, end : int
        Observation period (inclusive).
    jitter_days : int
        Bin width in days; bins are ``[start + k * jitter_days, start + (k+1) * jitter_days - 1]``
        (the last one cut at ``end``).
    cluster_gap : int, default 0
        See :func:`cluster_labels`.
    bins : array-like of int, optional
        First day of every bin (increasing, the first equal to ``start``): bins of unequal
        width, e.g. split where the event rate changes (:func:`change_point_bins`).
        ``jitter_days`` is then ignored.
    release_ends : array-like of int, optional
        Last possible day of each release (default: the release day itself). A release known
        only to an interval (a week, a month) is its own cluster, anchored at its first possible
        day; it moves as a block and its whole interval stays inside the period.

    Returns
    -------
    labels : numpy.ndarray
        Cluster label per release.
    offsets : numpy.ndarray
        Day of each release minus the first day (anchor) of its cluster.
    lo, hi : numpy.ndarray
        Per cluster, the first and last allowed anchor day (inclusive): the anchor's bin, shortened
        at the end so that the whole cluster stays inside ``[start, end]``. Always contains the
        observed anchor.
    """
    _check_period(start, end)
    if bins is None and (
        isinstance(jitter_days, bool) or not isinstance(jitter_days, (int, np.integer))
    ):
        raise ValueError(f"jitter_days = {jitter_days!r} must be an int >= 1")
    if bins is None and jitter_days < 1:
        raise ValueError(f"jitter_days = {jitter_days} must be >= 1 (bin width in days)")
    r = _as_days(releases, start, end)
    ends = r if release_ends is None else _as_days(release_ends, start, end, "release_ends")
    if ends.size != r.size or (ends < r).any():
        raise ValueError("release_ends must have one entry per release, each >= its release day")
    dated = ends == r
    labels = np.empty(r.size, dtype=np.int64)
    labels[dated] = cluster_labels(r[dated], cluster_gap)
    n_dated = int(labels[dated].max()) + 1 if dated.any() else 0
    labels[~dated] = n_dated + np.arange(int((~dated).sum()))
    n_clusters = int(labels.max()) + 1 if r.size else 0
    anchor = np.full(n_clusters, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(anchor, labels, r)
    last = np.full(n_clusters, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, labels, ends)
    span = last - anchor
    if bins is None:
        k = (anchor - start) // jitter_days
        lo = start + k * jitter_days
        bin_hi = lo + jitter_days - 1
    else:
        edges = check_bins(bins, start, end)
        k = np.searchsorted(edges, anchor, side="right") - 1
        lo = edges[k]
        bin_hi = np.append(edges[1:] - 1, end)[k]
    hi = np.minimum(bin_hi, end - span)
    return labels, r - anchor[labels], lo, hi


def check_bins(bins: Any, start: int, end: int) -> np.ndarray:
    """Validate bin edges (first day of every bin): int, strictly increasing, first = ``start``,
    all inside ``[start, end]``."""
    b = np.asarray(bins, dtype=np.int64).ravel()
    if b.size == 0 or b[0] != start:
        raise ValueError(f"bins must start at start = {start} (the first day of the first bin)")
    if (np.diff(b) <= 0).any() or b[-1] > end:
        raise ValueError("bins must be strictly increasing day numbers inside [start, end]")
    return b


def change_points(
    events: Any, start: int, end: int, *, min_days: int = 30, penalty: float | None = None
) -> np.ndarray:
    """Where the event rate changes: segment boundaries of the event calendar.

    Optimal partitioning (exact dynamic programming over candidate boundaries every
    ``min_days // 2`` days) of the daily event counts into segments of constant Poisson rate,
    each at least ``min_days`` long, with a penalty per segment (default ``2 log T``, BIC-like).

    Returns
    -------
    numpy.ndarray
        Day numbers of the segment starts plus ``end + 1`` (so ``len - 1`` segments).
    """
    n_days = _check_period(start, end)
    if isinstance(min_days, bool) or not isinstance(min_days, (int, np.integer)) or min_days < 1:
        raise ValueError(f"min_days = {min_days!r} must be an int >= 1")
    ev = _as_days(events, start, end, "events") - start
    counts = np.bincount(ev, minlength=n_days).astype(float)
    pen = 2.0 * np.log(n_days) if penalty is None else float(penalty)
    step = max(1, int(min_days) // 2)
    grid = np.unique(np.append(np.arange(0, n_days, step), n_days))
    csum = np.concatenate([[0.0], np.cumsum(counts)])
    m = grid.size
    length = grid[None, :] - grid[:, None]  # [i, j]: segment grid[i] .. grid[j] - 1
    k = csum[grid][None, :] - csum[grid][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where((k > 0) & (length > 0), k * np.log(k / np.maximum(length, 1)) - k, 0.0)
    cost = -2.0 * ll + pen
    allowed = length >= min(int(min_days), n_days)
    allowed[0, m - 1] = True  # a single segment is always allowed
    cost = np.where(allowed & (length > 0), cost, np.inf)
    best = np.full(m, np.inf)
    best[0] = 0.0
    prev = np.zeros(m, dtype=np.int64)
    for jj in range(1, m):
        c = best[:jj] + cost[:jj, jj]
        a = int(np.argmin(c))
        best[jj], prev[jj] = c[a], a
    cuts = [m - 1]
    while cuts[-1] != 0:
        cuts.append(int(prev[cuts[-1]]))
    return start + grid[np.array(cuts[::-1])]


def change_point_bins(
    events: Any, start: int, end: int, *, min_days: int = 30, max_days: int = 90,
    penalty: float | None = None, segments: Any = None,
) -> np.ndarray:  # fmt: skip
    """Bins split where the event rate changes, then cut to at most ``max_days`` days.

    The change points of the event calendar (:func:`change_points`) split the period into
    segments of constant event rate; each segment is cut into pieces of (almost) equal width of
    at most ``max_days`` days. Uses the event calendar only, never the releases.

    Parameters
    ----------
    events : array-like of int
        Event day numbers inside ``[start, end]``.
    start, end : int
        Observation period.
    min_days, max_days : int
        Shortest segment between change points; widest bin.
    penalty : float, optional
        Penalty per extra segment (default ``2 * log(T)``).
    segments : array-like of int, optional
        Segment boundaries already computed by :func:`change_points` (skips the search).

    Returns
    -------
    numpy.ndarray
        First day of every bin (``bins`` of :func:`jitter_ranges`).
    """
    if isinstance(max_days, bool) or not isinstance(max_days, (int, np.integer)) or max_days < 1:
        raise ValueError(f"max_days = {max_days!r} must be an int >= 1")
    seg = (
        change_points(events, start, end, min_days=min_days, penalty=penalty)
        if segments is None
        else np.asarray(segments, dtype=np.int64)
    )
    edges: list[int] = []
    for a, b in itertools.pairwise(seg):
        n_pieces = int(np.ceil((b - a) / max_days))
        edges += list(a + np.floor(np.arange(n_pieces) * (b - a) / n_pieces).astype(np.int64))
    return np.unique(np.asarray(edges, dtype=np.int64))


def jitter_surrogates(
    releases: Any,
    start: int,
    end: int,
    jitter_days: int,
    n_surrogates: int,
    seed: int | np.random.Generator | None = None,
    cluster_gap: int = 0,
    *,
    bins: Any = None,
    release_ends: Any = None,
) -> np.ndarray:
    """Interval-jitter surrogates: each release cluster redrawn uniformly inside its bin.

    Parameters
    ----------
    releases : array-like of int
        Release day numbers inside ``[start, end]``.
    start, end : int
        Observation period (inclusive).
    jitter_days : int
        Bin width in days (see :func:`jitter_ranges`).
    n_surrogates : int
        Number of surrogate series.
    seed : int, Generator or None
        Random seed.
    cluster_gap : int, default 0
        See :func:`cluster_labels`.
    bins, release_ends : optional
        See :func:`jitter_ranges` (an interval-dated release's surrogate is its first day).

    Returns
    -------
    numpy.ndarray
        ``(n_surrogates, n_releases)`` int64 day numbers, columns in input order.
    """
    n = _check_n(n_surrogates)
    labels, offsets, lo, hi = jitter_ranges(
        releases, start, end, jitter_days, cluster_gap, bins=bins, release_ends=release_ends
    )
    rng = make_rng(seed)
    width = (hi - lo + 1).astype(np.float64)
    anchors = lo + (rng.random((n, lo.size)) * width).astype(np.int64)
    return anchors[:, labels] + offsets
