"""Tests of analysis.timing.eventstudy (and its figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.figures.models import plot_event_study
from analysis.timing.eventstudy import EventStudyResult, _redraw, event_study

T0 = pd.Timestamp("2020-01-01")


def day(k: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=k)


def days(ks) -> list[pd.Timestamp]:
    return [day(int(k)) for k in ks]


START, END = day(0), day(99)


def small_study(**kw):
    # events on days 20 and 60 (and day 2, whose window does not fit); releases: two records on
    # day 18 (3 and 4 persons), one on day 20 (1 person), one on day 62 (10 persons)
    args = {
        "start": START,
        "end": END,
        "half_width": 5,
        "n_surrogates": 50,
        "seed": 1,
        "test_window": (-5, -1),
    }
    args.update(kw)
    return event_study(days([18, 18, 20, 62]), days([20, 60, 2]), **args)


def test_profile_hand_counted():
    res = small_study(weights=[3, 4, 1, 10])
    assert isinstance(res, EventStudyResult)
    assert res.offsets.tolist() == list(range(-5, 6))
    expected = dict.fromkeys(range(-5, 6), 0.0) | {-2: 1.0, 0: 0.5, 2: 0.5}
    np.testing.assert_allclose(res.profile, [expected[o] for o in range(-5, 6)])
    persons = dict.fromkeys(range(-5, 6), 0.0) | {-2: 3.5, 0: 0.5, 2: 5.0}
    np.testing.assert_allclose(res.persons_profile, [persons[o] for o in range(-5, 6)])
    assert res.n_events == 2 and res.n_events_dropped == 1
    assert res.event_days_used.tolist() == [
        (day(20) - pd.Timestamp(0)).days,
        (day(60) - pd.Timestamp(0)).days,
    ]
    assert res.n_releases == 4 and res.n_clusters == 3
    # test window [-5, -1]: mean of profile there = 1.0 / 5
    assert res.window_stat == pytest.approx(0.2)


def test_duplicate_events_counted_once():
    a = event_study(
        days([18, 62]), days([20, 60]), start=START, end=END, half_width=5, n_surrogates=10, seed=0
    )
    b = event_study(
        days([18, 62]),
        days([20, 60, 60]),
        start=START,
        end=END,
        half_width=5,
        n_surrogates=10,
        seed=0,
    )
    np.testing.assert_array_equal(a.profile, b.profile)
    assert b.n_events_dropped == 1


def test_smoothing_known_answer():
    res = event_study(
        [day(50)], [day(50)], start=START, end=END, half_width=3, smooth=3, n_surrogates=5, seed=0
    )
    np.testing.assert_allclose(res.profile, [0, 0, 1 / 3, 1 / 3, 1 / 3, 0, 0])
    assert res.smooth == 3


def test_jitter_of_one_day_reproduces_observed():
    # a 1-day bin cannot move anything: every surrogate equals the data
    res = small_study(jitter_days=1, n_surrogates=20)
    np.testing.assert_allclose(res.band_low, res.profile)
    np.testing.assert_allclose(res.band_high, res.profile)
    np.testing.assert_allclose(res.null_mean, res.profile)
    assert res.window_p == 1.0


def test_uniform_null_mean_is_overall_rate():
    rng = np.random.default_rng(3)
    rel = days(rng.integers(0, 1000, 200))
    ev = days([200, 400, 600, 800])
    res = event_study(
        rel,
        ev,
        start=day(0),
        end=day(999),
        half_width=30,
        null="uniform",
        n_surrogates=2000,
        seed=5,
    )
    # expected episodes/day = 200 / 1000 at every offset (same-day clusters move together,
    # which only changes the variance)
    assert np.abs(res.null_mean - 0.2).max() < 0.02
    assert np.all(res.band_low <= res.null_mean) and np.all(res.null_mean <= res.band_high)


def test_planted_pre_event_clustering_detected_and_null_not():
    rng = np.random.default_rng(11)
    ev = np.sort(rng.choice(np.arange(120, 1700), 30, replace=False))
    background = rng.integers(0, 1825, 60)
    planted = ev - rng.integers(3, 15, ev.size)  # releases 3-14 days before each event
    res = event_study(
        days(np.r_[background, planted]),
        days(ev),
        start=day(0),
        end=day(1824),
        half_width=90,
        n_surrogates=300,
        seed=2,
        test_window=(-15, -1),
    )
    assert res.window_p < 0.01
    assert res.window_stat > res.window_null_mean
    null_res = event_study(
        days(background),
        days(ev),
        start=day(0),
        end=day(1824),
        half_width=90,
        n_surrogates=300,
        seed=2,
        test_window=(-15, -1),
    )
    assert null_res.window_p > 0.05


def test_seed_reproducible_and_seed_matters():
    a = small_study(seed=42, null="uniform")
    b = small_study(seed=42, null="uniform")
    c = small_study(seed=43, null="uniform")
    np.testing.assert_array_equal(a.band_high, b.band_high)
    np.testing.assert_array_equal(a.null_mean, b.null_mean)
    assert not np.array_equal(a.null_mean, c.null_mean)


def test_summary_str_html_and_frame():
    res = small_study(weights=[3, 4, 1, 10])
    text = res.summary()
    assert str(res) == text
    assert "2 events used" in text and "pointwise" in text
    assert res._repr_html_().startswith("<pre>")
    frame = res.to_frame()
    assert list(frame.columns)[:4] == ["profile", "band_low", "band_high", "null_mean"]
    assert "persons_profile" in frame.columns
    with pytest.raises(AttributeError):
        res.half_width = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"half_width": 0}, "half_width = 0"),
        ({"n_surrogates": 0}, "n_surrogates = 0"),
        ({"band": 1.5}, "band = 1.5"),
        ({"null": "poisson"}, "null = 'poisson'"),
        ({"jitter_days": 0}, "jitter_days = 0"),
        ({"smooth": 4}, "smooth = 4"),
        ({"test_window": (-9, 0)}, "test_window"),
        ({"weights": [1, 2]}, "weights has length 2"),
        ({"weights": [1, -2, 1, 1]}, "weights[1] = -2.0"),
        ({"half_width": 60}, "no event has its full window"),
        ({"end": day(-5)}, "before start"),
    ],
)
def test_bad_input_raises(kwargs, message):
    with pytest.raises(
        ValueError,
        match=message.replace("[", r"\[")
        .replace("]", r"\]")
        .replace("(", r"\(")
        .replace(")", r"\)"),
    ):
        small_study(**kwargs)


def test_release_outside_period_and_bad_dates():
    with pytest.raises(ValueError, match=r"releases\[1\] = 2020-05-09 lies outside"):
        event_study(days([10, 129]), days([50]), start=START, end=END, half_width=5)
    with pytest.raises(ValueError, match=r"releases\[0\] = 'not a date' is not a date"):
        event_study(["not a date"], days([50]), start=START, end=END, half_width=5)
    with pytest.raises(ValueError, match="releases is empty"):
        event_study([], days([50]), start=START, end=END, half_width=5)


@settings(max_examples=40, deadline=None)
@given(
    rel=st.lists(st.integers(0, 199), min_size=1, max_size=40),
    ev=st.lists(st.integers(10, 189), min_size=1, max_size=8),
    hw=st.integers(1, 10),
)
def test_profile_counts_pairs_property(rel, ev, hw):
    # sum over offsets of the profile times the number of events equals the number of
    # (event, release) pairs at distance <= half_width
    res = event_study(
        days(rel), days(ev), start=day(0), end=day(199), half_width=hw, n_surrogates=3, seed=0
    )
    used = sorted(set(ev))
    pairs = sum(1 for e in used for r in rel if abs(r - e) <= hw)
    assert res.profile.sum() * res.n_events == pytest.approx(pairs)
    assert np.all(res.band_low <= res.band_high)
    assert 0 < res.window_p <= 1


def test_plot_event_study():
    res = small_study(weights=[3, 4, 1, 10])
    fig = plot_event_study(res)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    fig2 = plot_event_study(res, persons=True)
    assert "persons" in fig2.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="needs an event study run with weights"):
        plot_event_study(small_study(), persons=True)
    with pytest.raises(ValueError, match="needs a EventStudyResult"):
        plot_event_study("nope")  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    days_=st.lists(st.integers(0, 364), min_size=1, max_size=30, unique=True),
    jd=st.integers(1, 60),
    seed=st.integers(0, 1000),
)
def test_jitter_keeps_each_cluster_in_its_bin(days_, jd, seed):
    clusters = np.sort(np.asarray(days_, dtype=np.int64)) + 1000
    start, end = 1000, 1364
    new = _redraw(clusters, start, end, "jitter", jd, 20, np.random.default_rng(seed))
    assert new.shape == (20, clusters.size)
    assert np.all((new >= start) & (new <= end))
    np.testing.assert_array_equal(
        (new - start) // jd, np.broadcast_to((clusters - start) // jd, new.shape)
    )
    uni = _redraw(clusters, start, end, "uniform", jd, 20, np.random.default_rng(seed))
    assert np.all((uni >= start) & (uni <= end))


def test_persons_window_test():
    rng = np.random.default_rng(4)
    ev = np.sort(rng.choice(np.arange(120, 1700), 25, replace=False))
    rel = np.r_[rng.integers(0, 1825, 60), ev - rng.integers(3, 15, ev.size)]
    w = np.r_[np.ones(60), np.full(ev.size, 20.0)]  # the pre-event releases are large
    res = event_study(
        days(rel),
        days(ev),
        start=day(0),
        end=day(1824),
        weights=w,
        n_surrogates=200,
        seed=0,
        test_window=(-15, -1),
    )
    assert res.persons_window_p < 0.01
    assert res.persons_window_stat == pytest.approx(res.persons_profile[75:90].mean())
    assert "persons/day" in res.summary()
    assert small_study().persons_window_p is None
