"""Descriptive views and figures of the event record, on small hand-made frames."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.figures.plots import plot_coverage, plot_timeline
from analysis.record import overview


def _frames() -> dict[str, pd.DataFrame]:
    d = pd.to_datetime
    pc = pd.DataFrame(
        {
            "id": [
                "pc-20200101-1",
                "pc-20200201-1",
                "pc-20200201-2",
                "pc-20200301-1",
                "pc-20200301-2",
            ],
            "date": d(["2020-01-01", "2020-02-01", "2020-02-01", "2020-03-01", "2020-03-01"]),
            "political_prisoners": pd.array([100, 150, 152, None, 90], dtype="Int64"),
            "reported_by": ["foro_penal", "foro_penal", "foro_penal", "government", "foro_penal"],
            "source_name": ["A", "A", "B", "C", "A"],
        }
    )
    rel = pd.DataFrame(
        {
            "id": ["rel-20200110-1", "rel-20200201-1", "rel-20200301-1"],
            "date": d(["2020-01-10", "2020-02-01", "2020-03-01"]),
            "date_precision": ["day", "month", "day"],
            "n_released": pd.array([5, None, 20], dtype="Int64"),
            "mechanism": ["pardon", "unknown", "amnesty"],
            "linked_event_id": pd.array([None, "dip-20200105-1", None], dtype="string"),
            "source_name": ["A", "B", "B"],
        }
    )
    ev = pd.DataFrame(
        {
            "id": ["dip-20200105-1", "san-20200120-1", "dip-20200215-1"],
            "date": d(["2020-01-05", "2020-01-20", "2020-02-15"]),
            "date_precision": ["day", "day", "week"],
            "event_class": ["negotiation", "sanctions_relief", "statement"],
            "describes_release": pd.array([False, False, True], dtype="boolean"),
            "found_via": ["event_search", "release_source", "event_search"],
        }
    )
    san = pd.DataFrame({"source_name": ["C"], "date": d(["2020-01-20"])})
    dip = pd.DataFrame({"source_name": ["A", "D"], "date": d(["2020-01-05", "2020-02-15"])})
    return {
        "prisoner_counts": pc,
        "releases": rel,
        "events": ev,
        "sanctions": san,
        "diplomatic": dip,
    }


def test_prisoner_series_one_reporter_last_of_day():
    s = overview.prisoner_series(_frames()["prisoner_counts"])
    assert s.to_dict() == {
        pd.Timestamp("2020-01-01"): 100.0,
        pd.Timestamp("2020-02-01"): 152.0,
        pd.Timestamp("2020-03-01"): 90.0,
    }
    with pytest.raises(ValueError, match="reported_by='un' has no rows; present: foro_penal"):
        overview.prisoner_series(_frames()["prisoner_counts"], "un")


def test_release_dates_precision_filter():
    r = overview.release_dates(_frames()["releases"])
    assert list(r["id"]) == ["rel-20200110-1", "rel-20200301-1"]
    assert list(r["persons"]) == [5.0, 20.0]
    r_all = overview.release_dates(_frames()["releases"], precision=("day", "month"))
    assert len(r_all) == 3 and pd.isna(r_all["persons"].iloc[1])
    with pytest.raises(ValueError, match="allowed: day, week, month"):
        overview.release_dates(_frames()["releases"], precision=("year",))
    with pytest.raises(ValueError, match="is before start"):
        overview.release_dates(_frames()["releases"], "2020-02-01", "2020-01-01")


def test_select_events_default_excludes_statements():
    ev = overview.select_events(_frames()["events"], precision=("day", "week"))
    assert list(ev["event_class"]) == ["negotiation"]  # the relief row was found via a release
    ev_all = overview.select_events(
        _frames()["events"], precision=("day", "week"), include_release_sourced=True
    )
    assert list(ev_all["event_class"]) == ["negotiation", "sanctions_relief"]
    ev2 = overview.select_events(_frames()["events"], ["statement"], precision=("week",))
    assert ev2.empty  # it describes a release itself
    ev3 = overview.select_events(
        _frames()["events"], ["statement"], precision=("week",), exclude_release_events=False
    )
    assert list(ev3["id"]) == ["dip-20200215-1"]
    with pytest.raises(ValueError, match=r"unknown event class\(es\) \['talks'\]"):
        overview.select_events(_frames()["events"], ["talks"])


def test_data_overview_numbers():
    o = overview.data_overview(_frames(), "2020-01-01", "2020-12-31")
    assert (o.n_counts, o.n_releases, o.n_releases_day) == (5, 3, 2)
    assert o.persons_released_reported == 25.0
    assert o.n_linked == 1
    assert (o.peak_prisoners, o.peak_date) == (152.0, "2020-02-01")
    assert (o.last_prisoners, o.last_date) == (90.0, "2020-03-01")
    assert o.n_events == {"negotiation": 1, "sanctions_relief": 1, "statement": 1}
    assert "peak count                   152 on 2020-02-01 (Foro Penal)" in o.summary()
    assert o._repr_html_().startswith("<pre>")


def test_source_counts_pools_tail():
    t = overview.source_counts(_frames(), top=2)
    assert list(t.index) == ["A", "B", "(other outlets)"]
    assert t.loc["A", "all"] == 5 and t.loc["(other outlets)", "all"] == 3
    assert int(t["all"].sum()) == 11


def test_figures_return_figures():
    f = _frames()
    fig = plot_timeline(f, "2020-01-01", "2020-03-31")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert "2020-01-01" in fig._suptitle.get_text()
    cov = pd.DataFrame({"releases": [1, 2, 3]}, index=pd.Index([2019, 2020, "total"]))
    fig2 = plot_coverage(cov)
    assert len(fig2.axes[0].patches) == 2


def test_release_days_dedupes_and_takes_max():
    rel = _frames()["releases"]
    extra = pd.DataFrame(
        {
            "id": ["rel-20200110-2"],
            "date": pd.to_datetime(["2020-01-10"]),
            "date_precision": ["day"],
            "n_released": pd.array([12], dtype="Int64"),
            "mechanism": ["prisoner_swap"],
            "source_name": ["Z"],
        }
    )
    rel = pd.concat([rel, extra], ignore_index=True)
    days = overview.release_days(rel)
    assert list(days["date"].dt.strftime("%Y-%m-%d")) == ["2020-01-10", "2020-03-01"]
    assert list(days["persons"]) == [12.0, 20.0]
    assert list(days["n_episodes"]) == [2, 1]
    no_swap = overview.release_days(rel, exclude_mechanisms=["prisoner_swap"])
    assert list(no_swap["persons"]) == [5.0, 20.0]
