"""Citable pairs: known answers for each window direction, the edges, errors, the real record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.record import data
from analysis.timing.calendar import to_days
from analysis.timing.coincidence import window_indicator
from analysis.timing.pairs import PAIR_COLUMNS, coincidence_pairs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def toy():
    rel = pd.DataFrame(
        {
            "id": ["r1", "r2"],
            "date": pd.to_datetime(["2024-01-10", "2024-03-01"]),
            "date_precision": ["day", "day"],
            "n_released": pd.array([5, None], dtype="Int64"),
            "evidence": ["five freed", "some freed"],
            "source_name": ["Outlet A", "Outlet B"],
            "source_url": ["https://a.example/1", "https://b.example/2"],
        }
    )
    ev = pd.DataFrame(
        {
            "id": ["e1", "e2", "e3", "e4", "e5"],
            # lags to r1 (2024-01-10): +10, 0, -3, -4 (=window, after), far away
            "date": pd.to_datetime(
                ["2023-12-31", "2024-01-10", "2024-01-13", "2024-01-14", "2024-02-26"]
            ),
            "date_precision": ["day"] * 5,
            "event_class": ["negotiation", "envoy_visit", "sanctions_relief", "agreement", "x"],
            "description": [f"event {i}" for i in range(1, 6)],
            "source_name": [f"S{i}" for i in range(1, 6)],
            "source_url": [f"https://s.example/{i}" for i in range(1, 6)],
        }
    )
    return rel, ev


def _pairs(rel, ev, window, direction):
    out = coincidence_pairs(rel, ev, window, direction)
    return [(r, e, int(g)) for r, e, g in out[["release_id", "event_id", "lag_days"]].to_numpy()]


def test_known_answer_each_direction(toy):
    rel, ev = toy
    # window 4: e1 (lag +10) is out; e5 is 4 days before r2 (lag +4, on the closed edge)
    assert _pairs(rel, ev, 4, "before") == [("r1", "e2", 0), ("r2", "e5", 4)]
    assert _pairs(rel, ev, 4, "after") == [("r1", "e2", 0), ("r1", "e3", -3), ("r1", "e4", -4)]
    assert _pairs(rel, ev, 4, "around") == [
        ("r1", "e2", 0),
        ("r1", "e3", -3),
        ("r1", "e4", -4),
        ("r2", "e5", 4),
    ]
    assert _pairs(rel, ev, 10, "before") == [("r1", "e1", 10), ("r1", "e2", 0), ("r2", "e5", 4)]
    assert _pairs(rel, ev, 3, "after") == [("r1", "e2", 0), ("r1", "e3", -3)]
    assert _pairs(rel, ev, 0, "around") == [("r1", "e2", 0)]


def test_columns_and_citations(toy):
    rel, ev = toy
    out = coincidence_pairs(rel, ev, 4, "before")
    assert tuple(out.columns) == PAIR_COLUMNS
    row = out.iloc[1]
    assert row["release_id"] == "r2" and row["event_id"] == "e5"
    assert row["release_date"] == pd.Timestamp("2024-03-01")
    assert row["event_date"] == pd.Timestamp("2024-02-26")
    assert row["release_description"] == "some freed"
    assert row["event_description"] == "event 5"
    assert row["release_source_url"] == "https://b.example/2"
    assert row["event_source_name"] == "S5"
    assert row["event_class"] == "x"
    assert pd.isna(row["persons"])
    assert out.iloc[0]["persons"] == 5


def test_missing_optional_columns_are_na():
    rel = pd.DataFrame({"id": ["r"], "date": ["2020-05-05"]})
    ev = pd.DataFrame({"id": ["e"], "date": ["2020-05-01"]})
    out = coincidence_pairs(rel, ev, 7, "around")
    assert len(out) == 1 and out["lag_days"].iloc[0] == 4
    assert out["event_source_url"].isna().all()
    assert coincidence_pairs(rel, ev.iloc[:0], 7).empty


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"window": -1}, ValueError, "window = -1 must be a whole number of days >= 0"),
        ({"window": 2.5}, ValueError, "window = 2.5"),
        ({"window": True}, ValueError, "window = True"),
        ({"direction": "sideways"}, ValueError, "direction = 'sideways' is not allowed"),
    ],
)
def test_bad_arguments(toy, kwargs, error, message):
    rel, ev = toy
    args = {"window": 7, "direction": "around"} | kwargs
    with pytest.raises(error, match=message):
        coincidence_pairs(rel, ev, **args)


def test_bad_frames(toy):
    rel, ev = toy
    with pytest.raises(ValueError, match="events_df lacks column"):
        coincidence_pairs(rel, ev.drop(columns="date"), 7)
    with pytest.raises(TypeError, match="releases_df must be a DataFrame"):
        coincidence_pairs([1, 2], ev, 7)
    bad = ev.astype({"date": object})
    bad.loc[2, "date"] = "not a date"
    with pytest.raises(ValueError, match=r"events_df\['date'\]\[2\] = 'not a date'"):
        coincidence_pairs(rel, bad, 7)


@pytest.mark.parametrize("direction", ["before", "after", "around"])
def test_agrees_with_window_indicator_on_the_record(direction):
    frames = data.load_raw(ROOT)
    events = data.event_calendar(frames)
    rel = frames["releases"]
    out = coincidence_pairs(rel, events, 14, direction)
    assert out["event_source_url"].str.startswith("http").all()
    assert out["release_source_url"].str.startswith("http").all()
    ev_days, rel_days = to_days(events["date"]), to_days(rel["date"])
    start, end = int(min(ev_days.min(), rel_days.min())), int(max(ev_days.max(), rel_days.max()))
    hit = window_indicator(ev_days, start, end, 14, direction)[rel_days - start]
    assert set(out["release_id"]) == set(rel["id"][hit])
    n = len(events) * len(rel)
    lag = rel_days[:, None] - ev_days[None, :]
    brute = {"before": (lag >= 0) & (lag <= 14), "after": (lag <= 0) & (lag >= -14)}
    expected = brute.get(direction, np.abs(lag) <= 14).sum()
    assert len(out) == expected < n


def test_release_day_pairs_cite_every_episode_of_a_used_day():
    from analysis.record.overview import release_days
    from analysis.timing.pairs import release_day_pairs

    rel = pd.DataFrame(
        {
            "id": ["rel-20200105-1", "rel-20200105-2", "rel-20200301-1"],
            "date": pd.to_datetime(["2020-01-05", "2020-01-05", "2020-03-01"]),
            "date_precision": "day",
            "n_released": pd.array([3, 1, 2], dtype="Int64"),
            "mechanism": "pardon",
            "source_url": ["http://a", "http://b", "http://c"],
            "source_name": ["A", "B", "C"],
            "evidence": ["e1", "e2", "e3"],
        }
    )
    ev = pd.DataFrame({"id": ["dip-20200103-1"], "date": pd.to_datetime(["2020-01-03"])})
    days = release_days(rel, "2020-01-01", "2020-12-31")
    pairs = release_day_pairs(rel, days, ev, 7, "before")
    assert sorted(pairs["release_id"]) == ["rel-20200105-1", "rel-20200105-2"]
    assert set(pairs["lag_days"]) == {2}
    assert set(pairs["release_source_url"]) == {"http://a", "http://b"}
    with pytest.raises(ValueError, match="ids"):
        release_day_pairs(rel, days.drop(columns="ids"), ev, 7)
