"""Family-wise adjustment by resampling: Westfall-Young max-T and min-P (pure numpy).

Holm's adjustment multiplies the smallest p-value by the number of tests. With Monte Carlo
p-values the smallest attainable raw p-value is ``1 / (n_surrogates + 1)``, so with 499
surrogates and 200 specifications Holm can never reject at 0.05. The Westfall-Young adjustment
(Westfall & Young 1993, *Resampling-Based Multiple Testing*, algorithms 2.5-2.8) instead compares
each observed statistic with the distribution of the *maximum* statistic over the family, taken
from surrogate draws that are shared by the tests. It uses the dependence between the tests (a
family of near-identical specifications costs little) and can reject at ``1 / (n + 1)``.

Input: the observed statistics ``observed`` (one per test, larger = more extreme) and a null
matrix ``null`` of shape ``(n_surrogates, n_tests)`` whose row ``b`` is one joint draw of every
test's statistic under the null (the same surrogate for all tests that share data and null).

Methods
-------
``"single_step"`` (max-T)
    ``p_k = (1 + #{b : max_j Z[b, j] >= z_k}) / (1 + B)``.
``"step_down"`` (max-T, default)
    Tests ordered by observed ``z`` (largest first); test ``r_i`` is compared with the maximum over
    the tests not yet rejected (``r_i, r_{i+1}, ...``); adjusted p-values made monotone by a running
    maximum. Never larger than single-step, never smaller than the raw p-value.
``"minp"`` (step-down min-P)
    As step-down, on the per-test Monte Carlo p-values instead of standardized statistics
    (each draw's p-value from its rank within its own column); robust when the statistics have
    very different null shapes.

Standardization (max-T): ``Z = (S - mean) / sd`` per test, mean and sd from the test's null
column (``expected`` may be given instead of the column mean).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FAMILYWISE_METHODS", "monte_carlo_pvalues", "standardize", "westfall_young"]

#: Methods understood by :func:`westfall_young`.
FAMILYWISE_METHODS: tuple[str, ...] = ("step_down", "single_step", "minp")
#: Tolerance for ties of float statistics.
_TOL = 1e-9


def _check(observed: Any, null: Any) -> tuple[np.ndarray, np.ndarray]:
    obs = np.asarray(observed, dtype=float).ravel()
    nul = np.asarray(null, dtype=float)
    if nul.ndim != 2 or nul.shape[1] != obs.size:
        raise ValueError(
            f"null has shape {nul.shape}; it must be (n_surrogates, n_tests = {obs.size})"
        )
    if nul.shape[0] < 1 or obs.size < 1:
        raise ValueError("observed and null must hold at least one test and one surrogate")
    if not (np.isfinite(obs).all() and np.isfinite(nul).all()):
        raise ValueError("observed and null must be finite (drop tests without a null first)")
    return obs, nul


def standardize(observed: Any, null: Any, expected: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Standardize every test by its own null: ``(S - E) / sd``.

    Parameters
    ----------
    observed : array-like, shape (n_tests,)
    null : array-like, shape (n_surrogates, n_tests)
    expected : array-like, optional
        Exact null means (default: column means of ``null``).

    Returns
    -------
    z_observed, z_null : numpy.ndarray
        A test whose null has no spread gets ``z = 0`` where it equals its null value and
        ``+inf`` where the observed value exceeds it.
    """
    obs, nul = _check(observed, null)
    mean = nul.mean(axis=0) if expected is None else np.asarray(expected, dtype=float).ravel()
    sd = nul.std(axis=0, ddof=1) if nul.shape[0] > 1 else np.zeros(obs.size)
    flat = sd <= _TOL
    safe = np.where(flat, 1.0, sd)
    z_obs = (obs - mean) / safe
    z_nul = (nul - mean) / safe
    z_nul[:, flat] = 0.0
    z_obs[flat] = np.where(obs[flat] > nul[:, flat].max(axis=0) + _TOL, np.inf, 0.0)
    return z_obs, z_nul


def monte_carlo_pvalues(observed: Any, null: Any) -> np.ndarray:
    """Raw one-sided Monte Carlo p-values ``(1 + #{null >= obs}) / (1 + B)`` per test."""
    obs, nul = _check(observed, null)
    return (1 + (nul >= obs - _TOL).sum(axis=0)) / (1 + nul.shape[0])


def _null_pvalues(null: np.ndarray) -> np.ndarray:
    """Monte Carlo p-value of every null draw within its own column (ties share the larger p)."""
    b = null.shape[0]
    srt = np.sort(null, axis=0)
    out = np.empty_like(null)
    for j in range(null.shape[1]):
        below = np.searchsorted(srt[:, j], null[:, j] - _TOL, side="left")
        out[:, j] = (1 + (b - below)) / (1 + b)
    return out


def _step_down(stat: np.ndarray, null_stat: np.ndarray) -> np.ndarray:
    """Step-down adjusted p-values; larger statistics are more extreme."""
    order = np.argsort(-stat, kind="stable")
    # successive maxima over the tests from r_i to the end (least extreme last)
    u = np.maximum.accumulate(null_stat[:, order][:, ::-1], axis=1)[:, ::-1]
    counts = (u >= stat[order] - _TOL).sum(axis=0)
    p_sorted = np.maximum.accumulate((1 + counts) / (1 + null_stat.shape[0]))
    p = np.empty_like(p_sorted)
    p[order] = p_sorted
    return p


def _single_step(stat: np.ndarray, null_stat: np.ndarray) -> np.ndarray:
    m = null_stat.max(axis=1)
    counts = (m[:, None] >= stat[None, :] - _TOL).sum(axis=0)
    return (1 + counts) / (1 + null_stat.shape[0])


def westfall_young(
    observed: Any,
    null: Any,
    *,
    method: str = "step_down",
    expected: Any = None,
) -> np.ndarray:
    """Westfall-Young family-wise adjusted p-values from shared surrogate draws.

    Parameters
    ----------
    observed : array-like, shape (n_tests,)
        Observed statistics (larger = more extreme; one-sided).
    null : array-like, shape (n_surrogates, n_tests)
        Row ``b``: the statistics of every test on surrogate draw ``b`` (shared draws).
    method : {"step_down", "single_step", "minp"}
        Step-down max-T (default), single-step max-T or step-down min-P.
    expected : array-like, optional
        Exact null means for the max-T standardization (default: column means).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order, each in ``[1 / (B + 1), 1]``.

    Raises
    ------
    ValueError
        Unknown ``method``, shapes that do not match, or non-finite values.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> null = rng.normal(size=(999, 3))
    >>> westfall_young([5.0, 0.0, -1.0], null).round(3).tolist()
    [0.001, 0.769, 0.818]
    """
    if method not in FAMILYWISE_METHODS:
        raise ValueError(
            f"method = {method!r} is not allowed; use one of {', '.join(FAMILYWISE_METHODS)}"
        )
    obs, nul = _check(observed, null)
    if method == "minp":
        p_obs = monte_carlo_pvalues(obs, nul)
        return _step_down(-p_obs, -_null_pvalues(nul))
    z_obs, z_nul = standardize(obs, nul, expected)
    if method == "single_step":
        return _single_step(z_obs, z_nul)
    return _step_down(z_obs, z_nul)
