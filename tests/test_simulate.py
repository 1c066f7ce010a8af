"""Simulation checks: generators, determinism, size and power of the coincidence tests.

The calibration numbers asserted here are those reported in docs/methods_coincidence.md (fixed
seeds, so they are exactly reproducible). Scenario defaults: 150 releases in 30 bursts of up to
7 days, 150 events, 3650 days; tests use window 14 days, direction "before", jitter bins of 30
days, clusters chained at gaps <= 3 days, alpha 0.05, 999 surrogates per test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.inference.simulate import (
    CalibrationResult,
    calibrate,
    jitter_tradeoff,
    simulate,
    simulate_clustered,
    simulate_planted,
    simulate_shared_trend,
)

# ---------------------------------------------------------------------------------------------
# generators
# ---------------------------------------------------------------------------------------------


def test_clustered_generator() -> None:
    d = simulate_clustered(150, 200, 1000, n_bursts=10, burst_days=5, seed=1)
    assert d.releases.size == 150 and d.events.size == 200
    assert d.start == 0 and d.end == 999
    assert np.all(np.diff(d.releases) >= 0)
    assert d.releases.min() >= 0 and d.releases.max() <= 999
    # bursty: at most 10 * 5 distinct release days
    assert np.unique(d.releases).size <= 50
    assert not d.planted.any()


def test_shared_trend_generator_surges_together() -> None:
    d = simulate_shared_trend(
        2000, 2000, 3000, n_surges=2, surge_days=200, surge_boost=10.0, n_bursts=400, seed=3
    )
    inside = np.zeros(3000, dtype=bool)
    for s0 in d.params["surge_starts"]:
        inside[s0 : s0 + 200] = True
    # 400 of 3000 days carry 10x intensity: ~57% of both series inside surges
    assert 0.45 < inside[d.events].mean() < 0.7
    assert 0.35 < inside[d.releases].mean() < 0.8


def test_planted_generator() -> None:
    d = simulate_planted(100, 50, 2000, fraction=0.4, max_lag=14, seed=4)
    assert d.planted.sum() == 40
    # every planted release lies 0..14 days after some event
    for t in d.releases[d.planted]:
        lag = t - d.events
        assert np.any((lag >= 0) & (lag <= 14))


def test_generators_reproducible_and_errors() -> None:
    a = simulate("planted", seed=7)
    b = simulate("planted", seed=7)
    np.testing.assert_array_equal(a.releases, b.releases)
    np.testing.assert_array_equal(a.events, b.events)
    with pytest.raises(ValueError, match="scenario = 'x' is not allowed"):
        simulate("x")
    with pytest.raises(ValueError, match=r"fraction = 1\.5 must be between 0 and 1"):
        simulate_planted(fraction=1.5)
    with pytest.raises(ValueError, match="n_releases = 0 must be an int >= 1"):
        simulate_clustered(0)


# ---------------------------------------------------------------------------------------------
# calibration machinery
# ---------------------------------------------------------------------------------------------


def test_calibrate_deterministic_regardless_of_workers() -> None:
    kw = {"n_reps": 6, "n_surrogates": 99, "seed": 5}
    a = calibrate(n_workers=1, **kw)
    b = calibrate(n_workers=2, **kw)
    pd.testing.assert_frame_equal(a.pvalues, b.pvalues)
    assert isinstance(a, CalibrationResult)
    assert "scenario" in a.summary() and str(a) == a.summary()
    assert "<table" in a._repr_html_()
    assert set(a.table.columns) >= {"scenario", "null", "rate", "rate_lo", "rate_hi", "is_null"}


def test_calibrate_errors() -> None:
    with pytest.raises(ValueError, match="scenario = 'nope' is not allowed"):
        calibrate(["nope"])
    with pytest.raises(ValueError, match="null = 'nope' is not allowed"):
        calibrate(nulls=["nope"])
    with pytest.raises(ValueError, match="alpha = 2 must be between 0 and 1"):
        calibrate(alpha=2)


def test_jitter_tradeoff_table() -> None:
    t = jitter_tradeoff((10, 60), n_reps=4, n_surrogates=49, seed=1)
    assert list(t["jitter_days"]) == [10, 60]
    assert {"size_clustered", "size_shared_trend", "power_planted"} <= set(t.columns)


# ---------------------------------------------------------------------------------------------
# size and power (fixed seeds)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def null_calibration() -> CalibrationResult:
    return calibrate(
        ("clustered", "shared_trend"),
        ("jitter", "circular_shift", "uniform"),
        n_reps=1000,
        n_surrogates=999,
        seed=11,
        n_workers=2,
    )


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["clustered", "shared_trend"])
def test_jitter_size_held(null_calibration: CalibrationResult, scenario: str) -> None:
    rate = null_calibration.rate(scenario, "jitter")
    assert 0.03 <= rate <= 0.07, null_calibration.summary()


@pytest.mark.slow
def test_uniform_and_circular_inflated_under_surges(null_calibration: CalibrationResult) -> None:
    t = null_calibration.table.set_index(["scenario", "null"])
    for null in ("uniform", "circular_shift"):
        # the whole 95% interval is far above alpha
        assert t.loc[("shared_trend", null), "rate_lo"] > 0.3, null_calibration.summary()
    # uniform also breaks under clustering alone; the circular shift does not
    assert t.loc[("clustered", "uniform"), "rate_lo"] > 0.1
    assert t.loc[("clustered", "circular_shift"), "rate"] <= 0.07


@pytest.mark.slow
def test_jitter_power_planted_effect() -> None:
    # 40% of releases placed 0..14 days after an event, on top of the shared-surge null
    res = calibrate(("planted",), ("jitter",), n_reps=400, n_surrogates=999, seed=12, n_workers=2)
    assert res.rate("planted", "jitter") >= 0.7, res.summary()
