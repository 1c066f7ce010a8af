"""Tests for analysis.timing.coincidence: known answers, pyunicorn agreement, properties, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.timing.coincidence import (
    CoincidenceRates,
    CoincidenceTestResult,
    coincidence_rates,
    coincidence_test,
    window_indicator,
)

# ---------------------------------------------------------------------------------------------
# coincidence_rates: hand-counted answers
# ---------------------------------------------------------------------------------------------


def test_rates_known_answer_no_lag() -> None:
    # precursor windows [t-3, t]: 10 -> [7,10] none; 20 -> [17,20] has 18; 30 -> [27,30] none
    # trigger windows [e, e+3]: 5 -> [5,8] none; 18 -> [18,21] has 20; 40 -> [40,43] none
    res = coincidence_rates([10, 20, 30], [5, 18, 40], window=3)
    assert isinstance(res, CoincidenceRates)
    assert (res.n_precursor, res.n_releases_used) == (1, 3)
    assert (res.n_trigger, res.n_events_used) == (1, 3)
    assert res.precursor_rate == pytest.approx(1 / 3)
    assert res.trigger_rate == pytest.approx(1 / 3)


def test_rates_known_answer_with_lag() -> None:
    # lag 2: precursor [t-5, t-2]: 10 -> [5,8] has 5; 20 -> [15,18] has 18; 30 -> [25,28] none
    # trigger [e+2, e+5]: 5 -> [7,10] has 10; 18 -> [20,23] has 20; 40 -> none
    res = coincidence_rates([10, 20, 30], [5, 18, 40], window=3, lag=2)
    assert res.precursor_rate == pytest.approx(2 / 3)
    assert res.trigger_rate == pytest.approx(2 / 3)


def test_rates_closed_window_boundaries() -> None:
    # event exactly window days before the release counts; one day more does not
    assert coincidence_rates([10], [7], window=3).precursor_rate == 1.0
    assert coincidence_rates([10], [6], window=3).precursor_rate == 0.0
    # release exactly window days after the event counts for the trigger rate
    assert coincidence_rates([10], [7], window=3).trigger_rate == 1.0
    assert coincidence_rates([10], [10], window=3).trigger_rate == 1.0
    # release before the event is not a trigger coincidence
    assert coincidence_rates([9], [10], window=3).trigger_rate == 0.0


def test_rates_edges_exclude() -> None:
    # period [0, 39]; window 3: releases with t - 3 < 0 dropped (t = 1), events with e + 3 > 39
    res = coincidence_rates([1, 20, 30], [0, 18, 39], window=3, edges="exclude")
    assert res.n_releases_used == 2  # 20, 30
    assert res.n_events_used == 2  # 0, 18
    assert res.n_precursor == 1  # 20 <- 18
    assert res.n_trigger == 2  # 0 -> 1 and 18 -> 20
    assert "precursor rate" in res.summary()
    assert str(res) == res.summary()
    assert "<table>" in res._repr_html_()


def test_rates_accepts_dates() -> None:
    res = coincidence_rates(["2024-01-10", "2024-01-20"], ["2024-01-18", "2024-02-01"], window=3)
    assert res.precursor_rate == 0.5
    assert res.trigger_rate == 0.5


# ---------------------------------------------------------------------------------------------
# pyunicorn agreement
# ---------------------------------------------------------------------------------------------


def _pyunicorn_rates(r: np.ndarray, e: np.ndarray, window: int, lag: int, n_days: int):
    from pyunicorn.eventseries import EventSeries

    x = np.zeros(n_days, dtype=int)
    y = np.zeros(n_days, dtype=int)
    x[r] = 1
    y[e] = 1
    prec12, trig12, _, _ = EventSeries.event_coincidence_analysis(x, y, window, lag=lag)
    return float(prec12), float(trig12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("window", "lag"), [(3, 0), (7, 0), (14, 2), (5, 10)])
def test_pyunicorn_agreement_with_mapping(seed: int, window: int, lag: int) -> None:
    """edges='pyunicorn' reproduces pyunicorn's prec12 / trig12 exactly (X=releases, Y=events)."""
    rng = np.random.default_rng(seed)
    n_days = 400
    r = np.unique(rng.integers(0, n_days, 40))
    e = np.unique(rng.integers(0, n_days, 60))
    prec, trig = _pyunicorn_rates(r, e, window, lag, n_days)
    ours = coincidence_rates(r, e, window, lag, edges="pyunicorn")
    assert ours.precursor_rate == pytest.approx(prec, rel=1e-6)
    assert ours.trigger_rate == pytest.approx(trig, rel=1e-6)
    # the mapping stated in the docstring: exclude with start = min(r) + 1, end = max(e) - 1
    # (only valid when every date fits that period; compare counts on the used subsets)
    assert ours.n_releases_used == int(np.sum(r > r.min() + lag + window))


def test_pyunicorn_agreement_no_events_near_ends() -> None:
    """Nothing near the ends: our plain ('keep') numerators equal pyunicorn's.

    pyunicorn always drops the first release and the last event from the denominators
    (``e1 <= e1[0] + lag + taumax`` includes ``e1[0]``), so its rates are ours times
    ``n / (n - 1)``.
    """
    rng = np.random.default_rng(11)
    n_days, window = 1000, 7
    r = np.unique(np.concatenate([[0], rng.integers(100, 900, 50)]))
    e = np.unique(np.concatenate([rng.integers(100, 900, 80), [999]]))
    prec, trig = _pyunicorn_rates(r, e, window, 0, n_days)
    keep = coincidence_rates(r, e, window, start=0, end=n_days - 1)
    assert keep.n_precursor == round(prec * (r.size - 1))
    assert keep.n_trigger == round(trig * (e.size - 1))
    assert keep.precursor_rate * r.size / (r.size - 1) == pytest.approx(prec, rel=1e-6)
    assert keep.trigger_rate * e.size / (e.size - 1) == pytest.approx(trig, rel=1e-6)
    excl = coincidence_rates(r, e, window, edges="exclude", start=0, end=n_days - 1)
    assert excl.precursor_rate == pytest.approx(prec, rel=1e-6)
    assert excl.trigger_rate == pytest.approx(trig, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# coincidence_test: known answers
# ---------------------------------------------------------------------------------------------

R = [10, 20, 30, 30]
E = [13, 27]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [("around", 3 / 4), ("before", 2 / 4), ("after", 1 / 4)],
)
def test_statistic_known_answer(direction: str, expected: float) -> None:
    # around: 10 (13 is 3 after), 30, 30 (27 is 3 before) -> 3/4
    # before [t-3, t]: only 30, 30 -> 2/4; after [t, t+3]: only 10 -> 1/4
    res = coincidence_test(
        R, E, 3, direction=direction, null="uniform", n_surrogates=50, seed=1, start=0, end=40
    )
    assert res.statistic == pytest.approx(expected)
    assert res.n_releases == 4 and res.n_events == 2


def test_statistic_weighted_known_answer() -> None:
    # weights 1, 3, 0, 1: hits are releases 0, 2, 3 -> (1 + 0 + 1) / 5
    res = coincidence_test(R, E, 3, null="uniform", n_surrogates=10, seed=1, weights=[1, 3, 0, 1])
    assert res.statistic == pytest.approx(2 / 5)
    assert res.weighted


def test_window_indicator_known_answer() -> None:
    h = window_indicator([5], 0, 10, 2, "before")
    assert np.flatnonzero(h).tolist() == [5, 6, 7]
    h = window_indicator([5], 0, 10, 2, "after")
    assert np.flatnonzero(h).tolist() == [3, 4, 5]
    h = window_indicator([5], 0, 10, 2, "around")
    assert np.flatnonzero(h).tolist() == [3, 4, 5, 6, 7]
    # truncated at the edges
    assert np.flatnonzero(window_indicator([0], 0, 10, 2, "after")).tolist() == [0]


def test_uniform_expected_is_coverage() -> None:
    # period [0, 99], event at 50, window 4 around -> 9 covered days of 100
    res = coincidence_test(
        [50], [50], 4, null="uniform", n_surrogates=20_000, seed=3, start=0, end=99,
        method="monte carlo",
    )
    assert res.expected == pytest.approx(0.09)
    assert res.null_distribution is not None
    assert res.null_distribution.mean() == pytest.approx(0.09, abs=0.01)
    assert res.ratio == pytest.approx(1 / 0.09)


def test_poisson_null_known_answer() -> None:
    # T = 100 days, 2 events, window 4 around -> L = 9, p = 1 - (1 - 0.09)^2
    r = [10, 20, 50, 80]
    e = [12, 60]
    res = coincidence_test(r, e, 4, null="poisson", start=0, end=99)
    p = 1 - (1 - 0.09) ** 2
    assert res.expected == pytest.approx(p)
    assert res.statistic == pytest.approx(1 / 4)
    from scipy import stats

    assert res.pvalue == pytest.approx(stats.binom.sf(0, 4, p))
    assert res.null_distribution is None and res.null_pmf is not None
    assert res.null_pmf[1].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# exact circular shift
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["before", "after", "around"])
def test_circular_shift_equals_brute_force(direction: str) -> None:
    rng = np.random.default_rng(5)
    start, end = 3, 62
    n_days = end - start + 1
    r = rng.integers(start, end + 1, 9)
    e = rng.integers(start, end + 1, 5)
    w = rng.uniform(0.5, 3.0, r.size)
    window = 4
    res = coincidence_test(
        r, e, window, direction=direction, null="circular_shift", start=start, end=end, weights=w
    )
    brute = []
    for s in range(n_days):
        shifted = start + (r - start + s) % n_days
        hits = []
        for t in shifted:
            d = e - t  # event minus release
            if direction == "before":
                ok = np.any((d >= -window) & (d <= 0))
            elif direction == "after":
                ok = np.any((d >= 0) & (d <= window))
            else:
                ok = np.any(np.abs(d) <= window)
            hits.append(float(ok))
        brute.append(np.dot(hits, w) / w.sum())
    brute = np.array(brute)
    assert res.null_distribution is not None
    np.testing.assert_allclose(res.null_distribution, brute, atol=1e-10)
    assert res.n_surrogates == n_days
    assert res.pvalue == pytest.approx(np.mean(brute >= brute[0] - 1e-9))
    assert res.expected == pytest.approx(brute.mean())


def test_circular_shift_is_fast() -> None:
    import time

    rng = np.random.default_rng(0)
    r = rng.integers(0, 4000, 150)
    e = rng.integers(0, 4000, 300)
    t0 = time.perf_counter()
    coincidence_test(r, e, 14, null="circular_shift", start=0, end=3999, n_bootstrap=0)
    assert time.perf_counter() - t0 < 0.5


# ---------------------------------------------------------------------------------------------
# p-values, reproducibility, result object
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("null", ["uniform", "jitter", "circular_shift", "poisson"])
def test_pvalue_bounds(null: str) -> None:
    rng = np.random.default_rng(2)
    r = rng.integers(0, 500, 30)
    e = rng.integers(0, 500, 40)
    n = 199
    res = coincidence_test(
        r, e, 5, null=null, n_surrogates=n, seed=4, start=0, end=499, method="monte carlo"
    )
    assert isinstance(res, CoincidenceTestResult)
    assert 0 < res.pvalue <= 1
    if null in ("uniform", "jitter"):
        assert res.pvalue >= 1 / (n + 1)
        assert res.null_distribution is not None and res.null_distribution.size == n
        k = np.count_nonzero(res.null_distribution >= res.statistic - 1e-9)
        assert res.pvalue == pytest.approx((1 + k) / (1 + n))
    if null == "circular_shift":
        assert res.pvalue >= 1 / 500


def test_pvalue_small_for_perfect_timing_and_one_for_none() -> None:
    e = np.arange(50, 2000, 100)
    r_hit = e + 2
    res = coincidence_test(
        r_hit,
        e,
        3,
        direction="before",
        null="jitter",
        n_surrogates=999,
        seed=1,
        start=0,
        end=2100,
        jitter_days=30,
    )
    assert res.statistic == 1.0
    assert res.pvalue < 0.01
    r_miss = e + 50
    res = coincidence_test(
        r_miss,
        e,
        3,
        direction="before",
        null="jitter",
        n_surrogates=999,
        seed=1,
        start=0,
        end=2100,
        jitter_days=30,
    )
    assert res.statistic == 0.0
    assert res.pvalue == 1.0


@pytest.mark.parametrize("null", ["uniform", "jitter"])
def test_reproducible_with_seed(null: str) -> None:
    rng = np.random.default_rng(8)
    r = rng.integers(0, 800, 40)
    e = rng.integers(0, 800, 60)
    kw = {"n_surrogates": 3001, "method": "monte carlo"}
    a = coincidence_test(r, e, 7, null=null, seed=123, **kw)
    b = coincidence_test(r, e, 7, null=null, seed=123, **kw)
    c = coincidence_test(r, e, 7, null=null, seed=124, **kw)
    assert a.null_distribution is not None and b.null_distribution is not None
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert a.pvalue == b.pvalue and a.ratio_ci == b.ratio_ci
    assert c.null_distribution is not None
    assert not np.array_equal(a.null_distribution, c.null_distribution)


def test_result_fields_summary_html() -> None:
    res = coincidence_test(
        R, E, 3, null="jitter", n_surrogates=99, seed=0, jitter_days=10, method="monte carlo"
    )
    assert res.null == "jitter" and res.jitter_days == 10 and res.window == 3
    assert res.direction == "around" and res.seed == 0 and res.n_surrogates == 99
    assert "jitter" in res.null_assumption
    lo, hi = res.ratio_ci
    assert lo <= hi
    text = res.summary()
    assert "p-value" in text and "jitter (10 d bins)" in text
    assert str(res) == text
    assert "<table>" in res._repr_html_()
    with pytest.raises(AttributeError):
        res.pvalue = 0.5  # type: ignore[misc]


def test_ratio_ci_brackets_ratio() -> None:
    rng = np.random.default_rng(9)
    r = rng.integers(0, 3000, 120)
    e = rng.integers(0, 3000, 200)
    res = coincidence_test(r, e, 14, null="uniform", n_surrogates=999, seed=2)
    lo, hi = res.ratio_ci
    assert lo < res.ratio < hi


def test_jitter_null_keeps_bins() -> None:
    # surrogates never leave the release's 30-day bin, so the null mean equals the bin coverage
    r = [5, 35, 65]
    e = [0, 31, 62]
    res = coincidence_test(
        r,
        e,
        2,
        direction="before",
        null="jitter",
        n_surrogates=20_000,
        seed=1,
        start=0,
        end=89,
        jitter_days=30,
        method="monte carlo",
    )
    # each bin [0,29], [30,59], [60,89] has 3 covered days ([e, e+2])
    assert res.expected == pytest.approx(3 / 30)
    assert res.null_distribution is not None
    assert res.null_distribution.mean() == pytest.approx(0.1, abs=0.005)


# ---------------------------------------------------------------------------------------------
# properties (hypothesis)
# ---------------------------------------------------------------------------------------------

days = st.lists(st.integers(0, 300), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(
    r=days,
    e=days,
    window=st.integers(1, 30),
    shift=st.integers(-5000, 5000),
    null=st.sampled_from(["uniform", "jitter", "circular_shift"]),
    direction=st.sampled_from(["before", "after", "around"]),
)
def test_property_shift_both_series(r, e, window, shift, null, direction) -> None:
    kw = {"direction": direction, "null": null, "n_surrogates": 50, "seed": 7, "n_bootstrap": 0,
          "method": "monte carlo"}  # fmt: skip
    a = coincidence_test(r, e, window, start=0, end=300, **kw)
    b = coincidence_test(
        np.add(r, shift), np.add(e, shift), window, start=shift, end=300 + shift, **kw
    )
    assert a.statistic == b.statistic
    assert a.pvalue == b.pvalue
    assert a.expected == pytest.approx(b.expected)
    assert a.null_distribution is not None and b.null_distribution is not None
    np.testing.assert_allclose(a.null_distribution, b.null_distribution, atol=1e-12)
    ra = coincidence_rates(r, e, window)
    rb = coincidence_rates(np.add(r, shift), np.add(e, shift), window)
    assert (ra.precursor_rate, ra.trigger_rate) == (rb.precursor_rate, rb.trigger_rate)


@settings(max_examples=60, deadline=None)
@given(
    r=days,
    e=days,
    w1=st.integers(1, 40),
    extra=st.integers(0, 40),
    direction=st.sampled_from(["before", "after", "around"]),
)
def test_property_wider_window_never_lowers(r, e, w1, extra, direction) -> None:
    kw = {"direction": direction, "null": "poisson", "start": 0, "end": 300}
    a = coincidence_test(r, e, w1, **kw)
    b = coincidence_test(r, e, w1 + extra, **kw)
    assert b.statistic >= a.statistic
    ra = coincidence_rates(r, e, w1)
    rb = coincidence_rates(r, e, w1 + extra)
    assert rb.precursor_rate >= ra.precursor_rate and rb.trigger_rate >= ra.trigger_rate


@settings(max_examples=40, deadline=None)
@given(
    r=days,
    e=days,
    window=st.integers(1, 30),
    wt=st.floats(0.1, 1000.0),
    null=st.sampled_from(["uniform", "jitter", "circular_shift"]),
)
def test_property_equal_weights_is_unweighted(r, e, window, wt, null) -> None:
    kw = {"null": null, "n_surrogates": 50, "seed": 3, "start": 0, "end": 300}
    a = coincidence_test(r, e, window, **kw)
    b = coincidence_test(r, e, window, weights=[wt] * len(r), **kw)
    assert a.statistic == pytest.approx(b.statistic)
    assert a.pvalue == b.pvalue
    assert a.ratio_ci == pytest.approx(b.ratio_ci, nan_ok=True)


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"releases": []}, "releases is empty"),
        ({"events": []}, "events is empty"),
        ({"releases": ["2024-01-01", None]}, r"releases\[1\] is missing"),
        ({"events": ["2024-01-01", "not a date"]}, r"events\[1\] = 'not a date' is not a date"),
        ({"start": "2024-01-05"}, r"releases\[0\] = 2024-01-01 lies outside \[start, end\]"),
        ({"end": "2024-01-20"}, r"events\[1\] = 2024-02-01 lies outside"),
        ({"window": 0}, "window = 0 must be a whole number of days >= 1"),
        ({"window": -3}, "window = -3 must be"),
        ({"window": 2.5}, "window = 2.5 must be"),
        ({"n_surrogates": 0}, "n_surrogates = 0 must be >= 1"),
        ({"null": "bootstrap"}, "null = 'bootstrap' is not allowed; use one of uniform"),
        ({"direction": "sideways"}, "direction = 'sideways' is not allowed; use one of before"),
        ({"weights": [1.0]}, "weights has length 1; it must match releases \\(length 3\\)"),
        ({"weights": [1.0, -2.0, 1.0]}, r"weights\[1\] = -2.0 is not allowed"),
        ({"weights": [0, 0, 0]}, "weights sum to 0"),
        ({"jitter_days": 0}, "jitter_days = 0 must be a whole number of days >= 1"),
        ({"weights": [1, 1, 1], "null": "poisson"}, "weights are not allowed with null"),
        ({"start": "2024-03-01", "end": "2024-01-01"}, "is before start"),
        ({"seed": -1}, "seed = -1 is not allowed; use a non-negative int or None"),
        ({"seed": 1.5}, "seed = 1.5 is not allowed"),
    ],
)
def test_errors(kwargs: dict, match: str) -> None:
    args = {
        "releases": ["2024-01-01", "2024-01-10", "2024-01-20"],
        "events": ["2024-01-08", "2024-02-01"],
        "window": 3,
        "n_surrogates": 10,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        coincidence_test(**args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"releases": []}, "releases is empty"),
        ({"window": 0}, "window = 0 must be"),
        ({"lag": 1.5}, "lag = 1.5 must be a whole number"),
        ({"edges": "trim"}, "edges = 'trim' is not allowed; use one of keep, exclude, pyunicorn"),
        ({"edges": "exclude", "window": 100}, "leaves no release"),
    ],
)
def test_rates_errors(kwargs: dict, match: str) -> None:
    args = {"releases": [10, 20, 30], "events": [5, 18, 40], "window": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        coincidence_rates(**args)


# ---------------------------------------------------------------------------------------------
# plot_null
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("null", ["jitter", "circular_shift", "poisson"])
def test_plot_null(null: str) -> None:
    from matplotlib.figure import Figure

    from analysis.figures.coincidence import plot_null

    rng = np.random.default_rng(1)
    r = rng.integers(0, 1000, 40)
    e = rng.integers(0, 1000, 30)
    res = coincidence_test(r, e, 7, null=null, n_surrogates=499, seed=1, start=0, end=999)
    fig = plot_null(res)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert null in ax.get_title() and "p = " in ax.get_title()
    xs = [line.get_xdata()[0] for line in ax.get_lines()]
    assert res.statistic in xs and res.expected in xs


def test_plot_null_does_not_recompute() -> None:
    import dataclasses

    from analysis.figures.coincidence import plot_null

    res = coincidence_test(R, E, 3, null="uniform", n_surrogates=99, seed=0)
    fake = dataclasses.replace(res, statistic=0.123, pvalue=0.5)
    ax = plot_null(fake).axes[0]
    assert 0.123 in [line.get_xdata()[0] for line in ax.get_lines()]
    assert "p = 0.5" in ax.get_title()
    with pytest.raises(ValueError, match="neither null_distribution nor null_pmf"):
        plot_null(dataclasses.replace(res, null_distribution=None, null_pmf=None))
