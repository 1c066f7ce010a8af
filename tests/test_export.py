"""Exports: every file read back (Stata, Parquet, CSV) equals its source; panels; all or nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.record import data, export
from analysis.record.overview import prisoner_series, release_days
from analysis.record.panels import daily_panel, weekly_panel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    frames = data.load_raw(ROOT)
    out = tmp_path_factory.mktemp("exports")
    folder = export.export("venezuela", root=ROOT, out=out, frames=frames)
    return folder, export.export_tables(frames, "venezuela")


def _as_stata(s: pd.Series, name: str) -> pd.Series:
    """What a source column should read back as from .dta."""
    kind = export.variable_type(s, name)
    if kind in ("string", "category"):
        return s.astype(object).where(s.notna(), "").astype(str)
    if kind == "date":
        return s.astype("datetime64[s]")
    return s.astype("Float64").astype(float)


def test_every_file_is_written_with_readable_modes(exported):
    folder, tables = exported
    names = {f"{t}.{ext}" for t in tables for ext in export.FORMATS} | {"codebook.md"}
    assert {p.name for p in folder.iterdir()} == names
    assert {"daily", "weekly", "events", "releases"} <= set(tables)
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in folder.iterdir())
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_stata_round_trip_values_labels_and_dates(exported):
    folder, tables = exported
    for name, src in tables.items():
        path = folder / f"{name}.dta"
        back = pd.read_stata(path)
        assert list(back.columns) == list(src.columns), name
        assert len(back) == len(src), name
        for col in src.columns:
            expected = _as_stata(src[col], col)
            got = back[col]
            if export.variable_type(src[col], col) in ("string", "category"):
                got = got.astype(object).where(got.notna(), "").astype(str)
            elif export.variable_type(src[col], col) == "date":
                got = got.astype("datetime64[s]")
            else:
                got = got.astype(float)
            pd.testing.assert_series_equal(
                got.reset_index(drop=True), expected.reset_index(drop=True), check_names=False,
                obj=f"{name}.{col}",
            )  # fmt: skip
        with pd.io.stata.StataReader(path) as reader:
            labels = reader.variable_labels()
            value_labels = reader.value_labels()
        assert all(labels[c] for c in src.columns), name
        for col in src.columns:
            if export.variable_type(src[col], col) == "category":
                assert set(value_labels[col].values()) == set(export._categories()[col])


def test_stata_dates_are_stata_daily_dates(exported):
    folder, tables = exported
    raw = pd.read_stata(folder / "daily.dta", convert_dates=False)
    # Stata %td counts days from 1960-01-01
    first = tables["daily"]["date"].iloc[0]
    assert raw["date"].iloc[0] == (first - pd.Timestamp("1960-01-01")).days
    with pd.io.stata.StataReader(folder / "daily.dta") as reader:
        reader.read()
        fmts = dict(zip(reader._varlist, reader._fmtlist, strict=True))
    assert fmts["date"] == "%td"


def test_parquet_round_trip_is_exact(exported):
    folder, tables = exported
    for name, src in tables.items():
        back = pq.read_table(folder / f"{name}.parquet").to_pandas()
        for col in src.columns:  # Parquet has no second-resolution timestamps: read back as ms
            if pd.api.types.is_datetime64_any_dtype(src[col]):
                assert back[col].dtype == "datetime64[ms]"
                back[col] = back[col].astype(src[col].dtype)
        pd.testing.assert_frame_equal(back, src.reset_index(drop=True), obj=name)


def test_csv_round_trip(exported):
    folder, tables = exported
    for name, src in tables.items():
        back = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(back.columns) == list(src.columns), name
        for col in src.columns:
            s = src[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                expected = s.dt.strftime("%Y-%m-%d").fillna("")
            elif pd.api.types.is_bool_dtype(s):
                expected = s.map({True: "true", False: "false"}).astype(object).fillna("")
            else:
                expected = s.astype(object).where(s.notna(), "").astype(str)
            assert back[col].tolist() == expected.tolist(), f"{name}.{col}"


def test_codebook_lists_every_file_and_variable(exported):
    folder, tables = exported
    text = (folder / "codebook.md").read_text(encoding="utf-8")
    for name, df in tables.items():
        assert f"## {name}" in text
        for ext in export.FORMATS:
            assert f"`{name}.{ext}`" in text
        for col in df.columns:
            assert f"| `{col}` | {export.variable_type(df[col], col)} |" in text
    assert "press_search / ngo_report" in text and "' \\| '-separated" in text


def test_panels_agree_with_the_record(exported):
    _, tables = exported
    daily, weekly = tables["daily"], tables["weekly"]
    start, end = daily["date"].iloc[[0, -1]]
    assert (start, end) == (pd.Timestamp("2014-01-01"), pd.Timestamp("2026-03-31"))
    assert daily["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()
    rd = release_days(tables["releases"], start, end)
    assert daily["release_day"].sum() == len(rd)
    stock = prisoner_series(tables["prisoner_counts"], "foro_penal", start, end)
    observed = daily.set_index("date")["political_prisoners"].dropna()
    assert observed.index.equals(stock.index)
    assert (observed.astype(float) == stock).all()
    counts = [c for c in daily.columns if c.startswith("ev_") or c in ("release_day", "n_episodes")]
    sums = daily[counts].sum().rename({"release_day": "release_days"})
    assert (weekly[sums.index].sum() == sums).all()
    assert weekly["n_days"].sum() == len(daily)
    assert weekly["week_start"].dt.day_of_week.eq(0).all()


def test_daily_panel_known_answer():
    frames = {
        "releases": pd.DataFrame(
            {
                "id": ["r1", "r2", "r3"],
                "date": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-09"]),
                "date_precision": ["day", "day", "day"],
                "n_released": pd.array([3, 10, None], dtype="Int64"),
                "mechanism": ["pardon"] * 3,
            }
        ),
        "events": pd.DataFrame(
            {
                "id": ["e1", "e2", "e3"],
                "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"]),
                "date_precision": ["day", "day", "day"],
                "event_class": ["negotiation", "negotiation", "sanctions_relief"],
                "describes_release": [False, False, True],
                "found_via": ["event_search"] * 3,
            }
        ),
        "prisoner_counts": pd.DataFrame(
            {
                "id": ["p1", "p2"],
                "date": pd.to_datetime(["2024-01-03", "2024-01-10"]),
                "political_prisoners": pd.array([100, 90], dtype="Int64"),
                "arrests_in_period": pd.array([None, 4], dtype="Int64"),
                "releases_in_period": pd.array([None, None], dtype="Int64"),
                "reported_by": ["foro_penal", "foro_penal"],
            }
        ),
    }
    d = daily_panel(frames, "venezuela", "2024-01-01", "2024-01-10").set_index("date")
    assert d["release_day"].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert d.loc["2024-01-02", "persons_released"] == 10  # the largest figure of the day
    assert pd.isna(d.loc["2024-01-09", "persons_released"])
    assert d["ev_negotiation"].tolist() == [2] + [0] * 9
    assert d["ev_sanctions_relief"].sum() == 0  # describes_release rows are not events
    assert d["political_prisoners"].notna().sum() == 2
    assert d.loc["2024-01-10", "arrests_in_period"] == 4
    w = weekly_panel(d.reset_index())  # 2024-01-01 is a Monday
    assert w["week_start"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert w["n_days"].tolist() == [7, 3]
    assert w["release_days"].tolist() == [1, 1]
    assert w["persons_released"].tolist() == [10, 0]
    assert w["release_days_no_figure"].tolist() == [0, 1]
    assert w["political_prisoners"].tolist() == [100, 90]
    with pytest.raises(ValueError, match="end = 2023-01-01 is before start = 2024-01-01"):
        daily_panel(frames, "venezuela", "2024-01-01", "2023-01-01")


@pytest.mark.parametrize("bad", ["1abc", "a" * 33, "with space", "_N", "if"])
def test_stata_names_are_checked(bad):
    with pytest.raises(ValueError, match=rf"table 't' column '{bad}' is not a valid Stata name"):
        export.check_stata_names(["ok", bad], "t")
    export.check_stata_names(["a" * 32, "_x1"], "t")


def test_all_or_nothing(tmp_path):
    frames = data.load_raw(ROOT)
    folder = export.export("venezuela", root=ROOT, out=tmp_path, frames=frames)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    bad = dict(frames)
    bad["releases"] = frames["releases"].rename(columns={"notable_people": "notable people"})
    with pytest.raises(ValueError, match="column 'notable people' is not a valid Stata name"):
        export.export("venezuela", root=ROOT, out=tmp_path, frames=bad)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["venezuela"]
    bad["releases"] = frames["releases"].assign(mechanism="deal")
    with pytest.raises(ValueError, match="column 'mechanism' row 0 value 'deal' has no Stata"):
        export.export("venezuela", root=ROOT, out=tmp_path, frames=bad)
    assert [p.name for p in tmp_path.iterdir()] == ["venezuela"]


def test_cli(tmp_path, capsys):
    assert export.main(["--country", "venezuela", "--out", str(tmp_path)]) == 0
    assert "daily.dta" in capsys.readouterr().out
    written = [p.name for p in (tmp_path / "venezuela").iterdir()]
    assert np.isin(["daily.dta", "codebook.md"], written).all()
