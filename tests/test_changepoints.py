"""Tests of analysis.models.changepoints and its figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.figures.models import plot_changepoints
from analysis.models.changepoints import ChangepointResult, detect_changepoints, nearest_events


def step_series(seed: int = 0, noise: float = 20.0):
    """80 irregular reports (5-59 days apart); levels 300 / 800 / 400 with breaks at 25 and 55."""
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2015-01-01") + pd.to_timedelta(np.cumsum(rng.integers(5, 60, 80)), "D")
    level = np.r_[np.full(25, 300.0), np.full(30, 800.0), np.full(25, 400.0)]
    return dates, level + rng.normal(0, noise, 80)


@pytest.mark.parametrize("method", ["pelt", "binseg"])
@pytest.mark.parametrize("model", ["l2", "rbf"])
def test_recovers_planted_breaks(method, model):
    dates, y = step_series()
    res = detect_changepoints(dates, y, method=method, model=model)
    assert isinstance(res, ChangepointResult)
    assert res.break_indices.tolist() == [25, 55]
    assert list(res.change_dates) == [dates[25], dates[55]]
    assert list(res.previous_dates) == [dates[24], dates[54]]
    np.testing.assert_allclose(res.segments["mean"], [300, 800, 400], atol=15)
    assert res.segments["n_obs"].tolist() == [25, 30, 25]
    assert res.segments["start"].iloc[1] == dates[25] and res.segments["end"].iloc[0] == dates[24]


def test_unsorted_input_is_sorted_and_fixed_number_of_breaks():
    dates, y = step_series(seed=2)
    perm = np.random.default_rng(0).permutation(80)
    a = detect_changepoints(dates, y)
    b = detect_changepoints(dates[perm], y[perm])
    np.testing.assert_array_equal(a.break_indices, b.break_indices)
    c = detect_changepoints(dates, y, method="binseg", n_breaks=1)
    assert c.break_indices.tolist() in ([25], [55])
    assert c.penalty is None and c.n_breaks == 1


def test_no_break_in_pure_noise_with_default_penalty():
    rng = np.random.default_rng(5)
    dates = pd.date_range("2016-01-01", periods=100, freq="17D")
    res = detect_changepoints(dates, 500 + rng.normal(0, 10, 100))
    assert res.break_indices.size == 0
    assert len(res.segments) == 1
    assert "0 breaks" in res.summary()


def test_duplicate_dates_averaged():
    dates, y = step_series(seed=3)
    # a second report on the date of observation 10 (value +100) and one on observation 60
    d2 = [*dates, dates[10], dates[60]]
    y2 = np.r_[y, y[10] + 100, y[60] - 50]
    res = detect_changepoints(d2, y2, duplicates="mean")
    assert len(res.dates) == 80
    assert res.values[10] == pytest.approx(y[10] + 50)
    assert res.values[60] == pytest.approx(y[60] - 25)
    assert res.break_indices.tolist() == [25, 55]


def test_larger_penalty_fewer_breaks():
    dates, y = step_series(seed=1)
    low = detect_changepoints(dates, y, penalty=1.0)
    high = detect_changepoints(dates, y, penalty=1e9)
    assert low.break_indices.size >= 2
    assert high.break_indices.size == 0


@settings(max_examples=15, deadline=None)
@given(
    n1=st.integers(5, 20),
    n2=st.integers(5, 20),
    jump=st.floats(200, 1000),
    seed=st.integers(0, 2**16),
)
def test_single_large_step_found_property(n1, n2, jump, seed):
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2018-01-01") + pd.to_timedelta(
        np.cumsum(rng.integers(1, 40, n1 + n2)), "D"
    )
    y = np.r_[np.zeros(n1), np.full(n2, jump)] + rng.normal(0, 5, n1 + n2)
    res = detect_changepoints(dates, y, min_size=3)
    # the 40-sigma step is always found (small segments can add a spurious break, since the
    # BIC-type default penalty is only asymptotically calibrated)
    assert n1 in res.break_indices.tolist()
    assert res.change_dates[res.break_indices.tolist().index(n1)] == dates[n1]
    assert res.segments["n_obs"].sum() == n1 + n2


def test_nearest_events_known_answer():
    dates, y = step_series()
    res = detect_changepoints(dates, y)
    c0, c1 = dates[25], dates[55]
    events = {
        "talks": [c0 - pd.Timedelta(days=3), c1 + pd.Timedelta(days=40), "2010-01-01"],
        "sanctions": [c1 - pd.Timedelta(days=200)],
        "empty": [],
    }
    near = nearest_events(res, events, max_days=100)
    t = near.table.set_index(["break", "event_class"])
    assert t.loc[(0, "talks"), "nearest_event"] == c0 - pd.Timedelta(days=3)
    assert t.loc[(0, "talks"), "distance_days"] == 3  # break 3 days after the event
    assert t.loc[(1, "talks"), "distance_days"] == -40  # break 40 days before the event
    assert pd.isna(t.loc[(1, "sanctions"), "nearest_event"])  # 200 days > max_days
    assert np.isnan(t.loc[(1, "sanctions"), "distance_days"])
    assert pd.isna(t.loc[(0, "empty"), "nearest_event"])
    # the talks event 3 days before the change date lies in the reporting gap iff the gap
    # is longer than 3 days (gaps here are >= 5 days)
    assert bool(t.loc[(0, "talks"), "in_gap"])
    assert not bool(t.loc[(1, "talks"), "in_gap"])
    unlimited = nearest_events(res, events)
    u = unlimited.table.set_index(["break", "event_class"])
    assert u.loc[(1, "sanctions"), "distance_days"] == 200
    assert "positive: break after event" in str(near)
    assert len(near.table) == 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "window"}, "method = 'window' is not allowed"),
        ({"model": "l1"}, "model = 'l1' is not allowed"),
        ({"min_size": 0}, "min_size = 0 is not allowed"),
        ({"penalty": -1.0}, "penalty = -1.0 is not allowed"),
        ({"n_breaks": 2}, "n_breaks = 2 is only allowed with method='binseg'"),
        ({"method": "binseg", "n_breaks": 0}, "n_breaks = 0 is not allowed"),
        ({"min_size": 50}, "too few for min_size = 50"),
    ],
)
def test_bad_settings(kwargs, message):
    dates, y = step_series()
    with pytest.raises(ValueError, match=message):
        detect_changepoints(dates, y, **kwargs)


def test_bad_data():
    dates, y = step_series()
    with pytest.raises(ValueError, match=r"counts has shape \(79,\)"):
        detect_changepoints(dates, y[:-1])
    y2 = y.copy()
    y2[4] = np.nan
    with pytest.raises(ValueError, match=r"counts\[4\] = nan is not allowed"):
        detect_changepoints(dates, y2)
    with pytest.raises(ValueError, match="dates has a duplicate"):
        detect_changepoints([*dates[:10], dates[3]], np.arange(11.0))
    with pytest.raises(ValueError, match="duplicates = 'first' is not allowed"):
        detect_changepoints(dates, y, duplicates="first")
    with pytest.raises(ValueError, match=r"dates\[0\] = 'soon' is not a date"):
        detect_changepoints(["soon", "2020-01-01"], [1.0, 2.0], min_size=1)
    res = detect_changepoints(dates, y)
    with pytest.raises(ValueError, match="max_days = -1"):
        nearest_events(res, {"a": []}, max_days=-1)
    with pytest.raises(ValueError, match="events must be a dict"):
        nearest_events(res, ["2020-01-01"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="result must be a ChangepointResult"):
        nearest_events("x", {})  # type: ignore[arg-type]


def test_plot_changepoints_and_summary():
    dates, y = step_series()
    res = detect_changepoints(dates, y)
    text = str(res)
    assert "2 breaks" in text and "previous_date" in text
    assert res._repr_html_().startswith("<pre>")
    fig = plot_changepoints(res, {"talks": [dates[25]]})
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
