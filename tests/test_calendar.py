"""Dates to day numbers, daily and weekly series, weight checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.timing.calendar import (
    as_weights,
    daily_counts,
    from_days,
    to_day,
    to_days,
    weekly_counts,
)


def test_to_days_accepts_every_date_form():
    expected = np.array([0, 20456])
    for form in (
        ["1970-01-01", "2026-01-03"],
        np.array(["1970-01-01", "2026-01-03"], dtype="datetime64[D]"),
        [pd.Timestamp("1970-01-01"), pd.Timestamp("2026-01-03 17:45")],
        [dt.date(1970, 1, 1), dt.date(2026, 1, 3)],
        pd.Series(pd.to_datetime(["1970-01-01", "2026-01-03"])),
        [0, 20456],
    ):
        np.testing.assert_array_equal(to_days(form), expected)
    assert to_day("2026-01-03") == 20456
    assert to_days([]).size == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["2020-01-01", None], r"dates\[1\] is missing"),
        (["2020-01-01", "not a date"], r"dates\[1\] = 'not a date' is not a date"),
        ([1.5], r"dates\[0\] = 1.5 is not a whole day number"),
    ],
)
def test_to_days_errors_name_position(value, message):
    with pytest.raises(ValueError, match=message):
        to_days(value)


@given(st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), max_size=20))
def test_round_trip(dates):
    days = to_days(dates)
    back = from_days(days)
    assert [d.date() for d in back] == dates


def test_daily_and_weekly_counts_known_answer():
    d = to_days(["2026-01-05", "2026-01-06", "2026-01-06", "2026-01-12"])
    s, e = to_day("2026-01-01"), to_day("2026-01-20")
    daily = daily_counts(d, s, e)
    assert daily.sum() == 4 and daily[5] == 2 and daily.size == 20
    np.testing.assert_allclose(daily_counts(d, s, e, [1, 2, 3, 4])[[4, 5, 11]], [1, 5, 4])
    w = weekly_counts(["2026-01-05", "2026-01-06", "2026-01-12"], "2026-01-01", "2026-01-20")
    assert list(w.index.strftime("%Y-%m-%d")) == [
        "2025-12-29",
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
    ]
    assert list(w) == [0.0, 2.0, 1.0, 0.0]
    assert (w.index.day_of_week == 0).all()
    with pytest.raises(ValueError, match="lies outside"):
        daily_counts(d, s, s + 3)
    with pytest.raises(ValueError, match="before start"):
        daily_counts(d, e, s)


def test_as_weights():
    np.testing.assert_array_equal(as_weights([1, 2], 2), [1.0, 2.0])
    with pytest.raises(ValueError, match="weights has length 1; it must match releases"):
        as_weights([1], 2)
    with pytest.raises(ValueError, match=r"weights\[1\] = nan is not allowed"):
        as_weights([1, np.nan], 2)
    with pytest.raises(ValueError, match=r"weights\[0\] = -1.0"):
        as_weights([-1, 1], 2)
    with pytest.raises(ValueError, match="sum to 0"):
        as_weights([0, 0], 2, require_positive_sum=True)
    assert as_weights([0, 0], 2).sum() == 0
