"""Westfall-Young adjustment: FWER under a correlated global null, power where Holm cannot,
monotone step-down p-values."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.inference.familywise import monte_carlo_pvalues, standardize, westfall_young
from analysis.inference.multitest import adjust


def _correlated(rng: np.random.Generator, n_rows: int, n_specs: int, rho: float) -> np.ndarray:
    """Rows of n_specs equicorrelated, skewed statistics (a shared factor plus noise)."""
    shared = rng.gamma(2.0, size=(n_rows, 1))
    own = rng.gamma(2.0, size=(n_rows, n_specs)) * np.linspace(0.5, 2.0, n_specs)
    return np.sqrt(rho) * shared * 3 + np.sqrt(1 - rho) * own


@pytest.mark.parametrize("method", ["step_down", "single_step", "minp"])
def test_fwer_under_global_null(method: str) -> None:
    rng = np.random.default_rng(42)
    n_reps, n_surr, n_specs = 300, 199, 40
    hits = 0
    for _ in range(n_reps):
        draws = _correlated(rng, n_surr + 1, n_specs, rho=0.6)
        p = westfall_young(draws[0], draws[1:], method=method)
        hits += bool((p <= 0.05).any())
    assert 0.02 <= hits / n_reps <= 0.09


def test_strong_effect_found_where_holm_cannot() -> None:
    rng = np.random.default_rng(1)
    n_surr, n_specs = 499, 200
    null = _correlated(rng, n_surr, n_specs, rho=0.5)
    observed = _correlated(rng, 1, n_specs, rho=0.5)[0]
    observed[7] = null[:, 7].max() + 10 * null[:, 7].std()
    raw = monte_carlo_pvalues(observed, null)
    assert raw[7] == pytest.approx(1 / 500)
    holm = adjust(raw, "holm").p_adjusted.to_numpy()
    assert holm.min() > 0.05  # 200 x 1/500 = 0.4: Holm cannot reject at this surrogate count
    for method in ("step_down", "single_step", "minp"):
        p = westfall_young(observed, null, method=method)
        assert p[7] == pytest.approx(1 / 500)
        assert (p <= 0.05).sum() == 1


def test_step_down_monotone_and_bounds() -> None:
    rng = np.random.default_rng(3)
    null = _correlated(rng, 299, 30, rho=0.4)
    observed = _correlated(rng, 1, 30, rho=0.4)[0]
    observed[:5] += np.linspace(2, 8, 5)
    raw = monte_carlo_pvalues(observed, null)
    z, _ = standardize(observed, null)
    sd = westfall_young(observed, null)
    ss = westfall_young(observed, null, method="single_step")
    order = np.argsort(-z, kind="stable")
    assert np.all(np.diff(sd[order]) >= 0)
    assert np.all(sd >= raw - 1e-12)
    assert np.all(sd <= ss + 1e-12)
    mp = westfall_young(observed, null, method="minp")
    assert np.all(np.diff(mp[np.argsort(raw, kind="stable")]) >= 0)
    assert np.all(mp >= raw - 1e-12)


def test_errors_and_flat_columns() -> None:
    with pytest.raises(ValueError, match="method = 'holm' is not allowed"):
        westfall_young([1.0], np.zeros((5, 1)), method="holm")
    with pytest.raises(ValueError, match=r"null has shape \(5, 2\)"):
        westfall_young([1.0], np.zeros((5, 2)))
    with pytest.raises(ValueError, match="finite"):
        westfall_young([np.nan], np.zeros((5, 1)))
    # a test with no spread under its null: rejects only if it exceeds its null value
    null = np.column_stack([np.zeros(99), np.random.default_rng(0).normal(size=99)])
    p = westfall_young([1.0, 0.0], null)
    assert p[0] == pytest.approx(0.01)
