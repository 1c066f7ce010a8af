"""Exact null distributions, p-values, power and minimum detectable effects of coincidence tests.

Under the interval-jitter null every release cluster moves independently and uniformly over its
allowed positions (its bin), so the statistic -- the (weighted) number of releases with an event
in the window -- is a sum of independent cluster contributions, and its null distribution is the
**convolution** of each cluster's own distribution over its positions (Amarasingham et al. 2012;
the closed-form jitter of Jeck and Niebur). The same holds for

- the uniform null (every release is its own cluster and may sit on any day of the period),
- planted alternatives in which each cluster, with probability ``pi``, sits at a position where
  its contribution is largest and otherwise moves as under the null (so power and the minimum
  detectable effect are exact too, with no simulation),
- and the circular-shift null, which is exact by enumeration of all ``T`` shifts.

Lattice and bounds
------------------
Contributions are counts of releases (or integer weights, e.g. persons released): the sum lives
on the integers and the convolution is exact up to floating point. Non-integer contributions
(fractional weights; releases or events dated only to a week or month, whose hit is a
probability) are placed on a grid of step ``delta``: rounding every contribution down gives a
sum ``S_lo <= S`` and rounding up gives ``S_hi >= S``, so ``P(S_lo >= x) <= P(S >= x) <=
P(S_hi >= x)``. The reported p-value is the upper end (conservative) and the gap is returned
(method ``"exact bound"``).

Nothing here draws random numbers: the same input gives the same p-value on every run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CLUSTER_TABLE_NOTE",
    "SumDistribution",
    "circular_null",
    "critical_value",
    "exact_mde",
    "expected_ratio",
    "fraction_for_ratio",
    "jitter_table",
    "planted_power",
    "power_curve",
    "sum_distribution",
    "uniform_table",
    "upper_tail",
]

#: How a cluster table is laid out (shared by :func:`jitter_table` and the power functions).
CLUSTER_TABLE_NOTE = (
    "values[c, k]: contribution of cluster c at its k-th allowed position (nan past the last); "
    "probs[c, k]: its null probability (uniform over the allowed positions unless given)"
)

#: Largest lattice (number of support points) for exact integer sums before the grid is used.
MAX_LATTICE = 2_000_000
#: Number of grid steps over the largest possible sum for non-integer contributions.
GRID_STEPS = 1 << 14
#: Tolerance for "is an integer" and for ties of float statistics.
_TOL = 1e-9
#: Below this many multiply-adds np.convolve is used; above, FFT convolution.
_DIRECT_MAX = 4_000_000


@dataclass(frozen=True, eq=False)
class SumDistribution:
    """Distribution of a sum of independent discrete contributions on a lattice.

    Attributes
    ----------
    offset, step : float
        Support point ``j`` is ``offset + j * step``.
    pmf : numpy.ndarray
        Probabilities of the support points (sum to 1 up to rounding).
    exact : bool
        True when every contribution lies on the lattice (integers times ``step``); False when
        contributions were rounded to the grid (see ``rounding``).
    rounding : str
        ``"none"`` (exact), ``"down"`` (a lower bound on the sum) or ``"up"`` (an upper bound).
    """

    offset: float
    step: float
    pmf: np.ndarray
    exact: bool
    rounding: str = "none"

    @property
    def support(self) -> np.ndarray:
        """Support points."""
        return self.offset + self.step * np.arange(self.pmf.size)

    @property
    def mean(self) -> float:
        """Mean of the distribution."""
        return float(self.support @ self.pmf)

    def sf(self, x: float) -> float:
        """``P(S >= x)`` (ties within a small tolerance count as ``>=``)."""
        j = math.ceil((x - self.offset) / self.step - _TOL)
        if j <= 0:
            return 1.0
        if j >= self.pmf.size:
            return 0.0
        return float(min(1.0, self.pmf[j:].sum()))

    def quantile_upper(self, alpha: float) -> float:
        """Smallest support point ``c`` with ``P(S >= c) <= alpha`` (inf if none)."""
        tail = np.cumsum(self.pmf[::-1])[::-1]  # tail[j] = P(S >= support[j])
        ok = np.flatnonzero(tail <= alpha * (1 + 1e-12))
        if ok.size == 0:
            return float("inf")
        return float(self.offset + self.step * int(ok[0]))


def _as_table(values: Any, probs: Any = None) -> tuple[np.ndarray, np.ndarray]:
    v = np.atleast_2d(np.asarray(values, dtype=float))
    valid = ~np.isnan(v)
    if not valid.any(axis=1).all():
        raise ValueError("every cluster needs at least one allowed position (a non-nan value)")
    if probs is None:
        width = valid.sum(axis=1, keepdims=True)
        p = np.where(valid, 1.0 / width, 0.0)
    else:
        p = np.atleast_2d(np.asarray(probs, dtype=float))
        if p.shape != v.shape:
            raise ValueError(f"probs has shape {p.shape}; it must match values {v.shape}")
        if (p < -_TOL).any() or not np.allclose(np.where(valid, p, 0).sum(axis=1), 1.0):
            raise ValueError(
                "probs must be non-negative and sum to 1 over each cluster's positions"
            )
        p = np.where(valid, np.clip(p, 0, None), 0.0)
    if (np.where(valid, v, 0) < -_TOL).any():
        raise ValueError("contributions must be non-negative")
    return v, p


def _convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size * b.size <= _DIRECT_MAX or min(a.size, b.size) <= 64:
        return np.convolve(a, b)
    from scipy.signal import fftconvolve

    out = fftconvolve(a, b)
    out[out < 0] = 0.0
    return out


def _lattice_sum(ints: np.ndarray, p: np.ndarray, valid: np.ndarray) -> tuple[int, np.ndarray]:
    """Convolve per-cluster pmfs of non-negative integer values; returns (offset, pmf).

    A cluster whose value is the same at every position it can take (with positive
    probability) is a shift, not a convolution; the others are built at once and convolved
    smallest first (cheap direct convolutions).
    """
    use = valid & (p > 0)
    big = np.iinfo(np.int64).max
    lo = np.where(use, ints, big).min(axis=1)
    hi = np.where(use, ints, -1).max(axis=1)
    offset = int(lo.sum())
    width = hi - lo
    rows = np.flatnonzero(width > 0)
    if rows.size == 0:
        return offset, np.ones(1)
    rows = rows[np.argsort(width[rows], kind="stable")]
    sub = use[rows]
    r_idx = np.broadcast_to(np.arange(rows.size)[:, None], sub.shape)[sub]
    v_idx = (ints[rows] - lo[rows][:, None])[sub]
    mat = np.zeros((rows.size, int(width[rows].max()) + 1))
    np.add.at(mat, (r_idx, v_idx), p[rows][sub])
    out = np.ones(1)
    for k in range(rows.size):
        out = _convolve(out, mat[k, : int(width[rows[k]]) + 1])
    return offset, out


def sum_distribution(
    values: Any, probs: Any = None, *, rounding: str = "up", grid_steps: int = GRID_STEPS
) -> SumDistribution:
    """Distribution of ``S = sum_c X_c`` for independent clusters ``X_c``.

    Parameters
    ----------
    values : array-like, shape (n_clusters, n_positions)
        ``values[c, k]``: contribution of cluster ``c`` at position ``k``; ``nan`` where the
        cluster has no ``k``-th position.
    probs : array-like, optional
        Probability of each position (default uniform over the cluster's positions).
    rounding : {"up", "down"}
        Only for non-integer contributions: round every contribution up (the sum is an upper
        bound, so tail probabilities are conservative) or down.
    grid_steps : int
        Grid steps over the largest possible sum for non-integer contributions.

    Returns
    -------
    SumDistribution
    """
    v, p = _as_table(values, probs)
    valid = ~np.isnan(v)
    v0 = np.where(valid, v, 0.0)
    total = float(np.max(v0, axis=1).sum())
    is_int = np.all(np.abs(v0 - np.rint(v0)) <= _TOL)
    if is_int and total <= MAX_LATTICE:
        off, pmf = _lattice_sum(np.rint(v0).astype(np.int64), p, valid)
        return SumDistribution(offset=float(off), step=1.0, pmf=pmf, exact=True)
    if rounding not in ("up", "down"):
        raise ValueError(f"rounding = {rounding!r}; allowed: 'up', 'down'")
    step = max(total, 1e-300) / grid_steps
    scaled = v0 / step
    ints = np.ceil(scaled - _TOL) if rounding == "up" else np.floor(scaled + _TOL)
    off, pmf = _lattice_sum(ints.astype(np.int64), p, valid)
    return SumDistribution(offset=off * step, step=step, pmf=pmf, exact=False, rounding=rounding)


def upper_tail(values: Any, observed: float, probs: Any = None) -> tuple[float, float, str]:
    """Exact ``P(S >= observed)`` under independent clusters, with bounds when not on a lattice.

    Returns
    -------
    pvalue, pvalue_lower : float
        The p-value (the upper bound when contributions were rounded) and its lower bound
        (equal to ``pvalue`` when exact).
    method : str
        ``"exact"`` or ``"exact bound"``.
    """
    hi = sum_distribution(values, probs, rounding="up")
    if hi.exact:
        p = hi.sf(observed)
        return p, p, "exact"
    lo = sum_distribution(values, probs, rounding="down")
    return hi.sf(observed), lo.sf(observed), "exact bound"


# ---------------------------------------------------------------------------------------------
# cluster tables of the nulls
# ---------------------------------------------------------------------------------------------


def jitter_table(
    h: np.ndarray,
    releases: np.ndarray,
    start: int,
    end: int,
    jitter_days: int,
    cluster_gap: int,
    weights: np.ndarray | None = None,
    *,
    bins: Any = None,
    release_ends: np.ndarray | None = None,
    ranges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each jitter cluster's contribution at every allowed position.

    Parameters
    ----------
    h : numpy.ndarray
        Per day of ``[start, end]``: hit value of a release on that day (0/1 from
        :func:`analysis.timing.coincidence.window_indicator`, or a probability when events are
        dated by interval).
    releases : numpy.ndarray
        Release day numbers (first possible day for interval-dated releases).
    start, end : int
        Observation period.
    jitter_days : int
        Bin width (ignored when ``bins`` is given).
    cluster_gap : int
        Cluster chaining gap (see :func:`analysis.timing.nulls.cluster_labels`).
    weights : numpy.ndarray, optional
        Weight per release (default 1).
    bins : array-like of int, optional
        Bin edges: first day of every bin (day numbers, increasing, the first equal to
        ``start``), for bins of unequal width (see :func:`analysis.timing.nulls.jitter_ranges`).
    release_ends : numpy.ndarray, optional
        Last possible day per release (default: the release day). A release dated to an
        interval is its own cluster and contributes the mean of ``h`` over its interval.
    ranges : tuple, optional
        The output of :func:`analysis.timing.nulls.jitter_ranges` for these settings, when the
        caller has it already.

    Returns
    -------
    values : numpy.ndarray
        ``(n_clusters, max_positions)``, ``nan`` past each cluster's last position.
    labels : numpy.ndarray
        Cluster of each release.
    """
    from analysis.timing.nulls import jitter_ranges

    r = np.asarray(releases, dtype=np.int64)
    w = np.ones(r.size) if weights is None else np.asarray(weights, dtype=float)
    ends = r if release_ends is None else np.asarray(release_ends, dtype=np.int64)
    labels, offsets, lo, hi = ranges if ranges is not None else jitter_ranges(
        r, start, end, jitter_days, cluster_gap, bins=bins, release_ends=ends
    )
    width = hi - lo + 1
    n_pos = int(width.max())
    k = np.arange(n_pos)
    csum = np.concatenate([[0.0], np.cumsum(np.asarray(h, dtype=float))])
    length = ends - r + 1  # days of each release's interval (1 for a dated release)
    a = lo[labels][:, None] + offsets[:, None] + k[None, :] - start
    a = np.clip(a, 0, end - start)
    b = np.clip(a + length[:, None], 0, end - start + 1)
    per = w[:, None] * (csum[b] - csum[a]) / length[:, None]
    out = np.zeros((lo.size, n_pos))
    np.add.at(out, labels, per)
    out[k[None, :] >= width[:, None]] = np.nan
    return out, labels


def uniform_table(h: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cluster table of the uniform null for 0/1 hits: each release is its own cluster and hits
    with probability ``mean(h)``. Returns ``(values, probs)`` of shape ``(n_releases, 2)``."""
    p = float(np.mean(h))
    w = np.asarray(weights, dtype=float)
    values = np.column_stack([np.zeros(w.size), w])
    probs = np.tile([1.0 - p, p], (w.size, 1))
    return values, probs


def circular_null(
    h: np.ndarray, daily_weights: np.ndarray
) -> np.ndarray:
    """The statistic (weighted hits) for every circular shift ``s = 0 .. T-1``.

    ``c[s] = sum_d R[d] H[(d + s) mod T]``; exact enumeration of the circular-shift null (one
    real FFT; values rounded to the nearest integer when every weight is an integer).
    """
    n = h.size
    c = np.fft.irfft(np.conj(np.fft.rfft(daily_weights)) * np.fft.rfft(h), n=n)
    if np.all(np.abs(daily_weights - np.rint(daily_weights)) <= _TOL) and np.all(
        np.abs(h - np.rint(h)) <= _TOL
    ):
        c = np.rint(c)
    return c


# ---------------------------------------------------------------------------------------------
# power and minimum detectable effect under planted alternatives
# ---------------------------------------------------------------------------------------------


def _planted_probs(values: np.ndarray, base: np.ndarray, fraction: float) -> np.ndarray:
    """Mixture: with probability ``fraction`` a cluster sits at a best position (uniform among
    them), otherwise as under the null."""
    v0 = np.where(np.isnan(values), -np.inf, values)
    best = v0.max(axis=1, keepdims=True)
    at_best = v0 >= best - _TOL
    pb = at_best / at_best.sum(axis=1, keepdims=True)
    return (1.0 - fraction) * base + fraction * pb


def critical_value(values: Any, alpha: float, probs: Any = None) -> float:
    """Smallest value ``c`` of the statistic with ``P0(S >= c) <= alpha`` (inf if none):
    the exact test rejects at level ``alpha`` exactly when ``S >= c``."""
    if not (0 < alpha < 1):
        raise ValueError(f"alpha = {alpha!r} must be between 0 and 1")
    return sum_distribution(values, probs, rounding="up").quantile_upper(alpha)


def planted_power(
    values: Any, fraction: float, alpha: float, probs: Any = None, *, crit: float | None = None
) -> float:
    """Exact power of the exact test at level ``alpha`` when each cluster, independently with
    probability ``fraction``, sits at a position where its contribution is largest.

    Parameters
    ----------
    values : array-like
        Cluster table (see :func:`jitter_table`).
    fraction : float
        Planted share ``pi`` in [0, 1].
    alpha : float
        Level of the test.
    probs : array-like, optional
        Null probabilities of the positions (default uniform).
    crit : float, optional
        Critical value (default :func:`critical_value`).

    Returns
    -------
    float
        ``P_pi(S >= crit)`` (0 when the test cannot reject at ``alpha``).
    """
    if not (0.0 <= fraction <= 1.0):
        raise ValueError(f"fraction = {fraction!r} must be between 0 and 1")
    v, p = _as_table(values, probs)
    c = critical_value(v, alpha, p) if crit is None else crit
    if not math.isfinite(c):
        return 0.0
    alt = sum_distribution(v, _planted_probs(v, p, fraction), rounding="down")
    return alt.sf(c)


def expected_ratio(values: Any, fraction: float, probs: Any = None) -> float:
    """Expected statistic under the planted share ``fraction`` divided by its null mean."""
    v, p = _as_table(values, probs)
    v0 = np.where(np.isnan(v), 0.0, v)
    mean = float((v0 * p).sum())
    best = float(np.where(np.isnan(v), -np.inf, v).max(axis=1).sum())
    if mean <= 0:
        return float("nan")
    return (fraction * best + (1 - fraction) * mean) / mean


def fraction_for_ratio(values: Any, ratio: float, probs: Any = None) -> float:
    """The planted share whose expected ratio equals ``ratio`` (clipped to [0, 1])."""
    r0, r1 = expected_ratio(values, 0.0, probs), expected_ratio(values, 1.0, probs)
    if not (math.isfinite(ratio) and math.isfinite(r1)) or r1 <= r0:
        return float("nan")
    return float(np.clip((ratio - r0) / (r1 - r0), 0.0, 1.0))


def exact_mde(
    values: Any,
    alpha: float,
    power: float = 0.8,
    probs: Any = None,
    *,
    tol: float = 1e-4,
) -> tuple[float, float]:
    """Minimum detectable effect of the exact test: the smallest planted share (and its expected
    ratio) whose exact power reaches ``power`` at level ``alpha``.

    Power rises with the planted share (the alternative is a mixture that moves mass to each
    cluster's largest contribution), so the share is found by bisection to ``tol``.

    Returns
    -------
    fraction, ratio : float
        ``(inf, inf)`` when even every cluster at its best position falls short.
    """
    if not (0 < power < 1):
        raise ValueError(f"power = {power!r} must be between 0 and 1")
    v, p = _as_table(values, probs)
    crit = critical_value(v, alpha, p)
    if not math.isfinite(crit) or planted_power(v, 1.0, alpha, p, crit=crit) < power:
        return float("inf"), float("inf")
    lo, hi = 0.0, 1.0
    if planted_power(v, 0.0, alpha, p, crit=crit) >= power:
        return 0.0, expected_ratio(v, 0.0, p)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if planted_power(v, mid, alpha, p, crit=crit) >= power:
            hi = mid
        else:
            lo = mid
    return hi, expected_ratio(v, hi, p)


def power_curve(
    values: Any, alpha: float, fractions: Sequence[float], probs: Any = None
) -> np.ndarray:
    """Exact power at each planted share (see :func:`planted_power`)."""
    v, p = _as_table(values, probs)
    crit = critical_value(v, alpha, p)
    return np.array([planted_power(v, f, alpha, p, crit=crit) for f in fractions])
