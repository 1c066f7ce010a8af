"""Validation of the curated tables, malformed-input fixtures, and the deterministic build."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.record import data
from analysis.record.schemas import TABLES

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures"
REL = TABLES["releases"]

# (fixture, line, column, value, rule fragment)
MALFORMED = [
    ("bad_date", 3, "date", "2016-02-30", "date must exist on the calendar"),
    ("bad_date_format", 3, "date", "05/02/2016", "date must be ISO YYYY-MM-DD"),
    ("unknown_category", 3, "mechanism", "deal", "value must be one of pardon|amnesty"),
    ("duplicate_id", 3, "id", "rel-20160101-1", "duplicate id"),
    ("missing_source", 3, "source_url", None, "value is required"),
    ("negative_count", 3, "n_released", "-10", "count must not be negative"),
    ("min_gt_max", 3, "n_released_min", "12 > 8", "n_released_min must not exceed"),
    ("missing_column", 1, "mechanism", None, "required column is missing"),
    ("empty_file", None, None, None, "file is empty"),
    ("wrong_encoding", 3, None, "\\xf1", "file must be UTF-8 encoded"),
    ("ragged_row", 3, None, None, "row has 17 fields; the header has 16"),
    ("id_date_mismatch", 3, "id", "rel-20160206-1", "the date in the id must match"),
    ("header_only", None, None, None, "file has a header but no rows"),
]


def test_valid_fixture_has_no_problem():
    frame, problems = data.validate_file(FIX / "valid" / "releases.csv", REL)
    assert problems == []
    assert len(frame) == 2


@pytest.mark.parametrize(("name", "line", "column", "value", "rule"), MALFORMED)
def test_malformed_fixture_is_located(name, line, column, value, rule):
    _, problems = data.validate_file(FIX / "malformed" / f"{name}.csv", REL)
    assert problems, f"{name}: no problem reported"
    hits = [p for p in problems if rule in p.rule]
    assert hits, f"{name}: expected rule {rule!r}, got {[str(p) for p in problems]}"
    p = hits[0]
    assert p.file == f"{name}.csv"
    assert p.line == line
    assert p.column == column
    if value is not None:
        assert p.value == value
    text = str(p)
    assert p.file in text and rule in text


def test_all_problems_collected_in_one_pass(tmp_path):
    lines = (FIX / "valid" / "releases.csv").read_text(encoding="utf-8").splitlines()
    bad = lines[2].replace("2016-02-05,month", "2016-13-05,year").replace(",pardon,", ",deal,")
    (tmp_path / "releases.csv").write_text("\n".join([lines[0], lines[1], bad]) + "\n")
    _, problems = data.validate_file(tmp_path / "releases.csv", REL)
    cols = {p.column for p in problems}
    assert {"date", "date_precision", "mechanism"} <= cols
    assert all(p.line == 3 for p in problems if p.column in {"date_precision", "mechanism"})


def _copy_raw(tmp_path: Path, countries: tuple[str, ...] = ("venezuela",)) -> Path:
    root = tmp_path / "proj"
    for country in countries:
        shutil.copytree(ROOT / "data" / "raw" / country, root / "data" / "raw" / country)
    (root / "pyproject.toml").write_text("")
    return root


def test_failed_validation_writes_nothing(tmp_path):
    root = _copy_raw(tmp_path)
    out = root / "data" / "processed"
    out.mkdir()
    (out / "keep.txt").write_text("previous good output")
    path = root / "data" / "raw" / "venezuela" / "sanctions.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[1][4] = "sideways"  # direction
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    with pytest.raises(data.DataValidationError) as exc:
        data.build(root)
    assert "venezuela/sanctions.csv:2 column 'direction' value 'sideways'" in str(exc.value)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_real_data_valid_and_at_targets():
    frames = data.load_raw(ROOT)
    targets = {"prisoner_counts": 120, "releases": 80, "sanctions": 100, "diplomatic": 80}
    for name, n in targets.items():
        assert len(frames[name]) >= n, f"{name}: {len(frames[name])} rows < target {n}"
        assert frames[name]["source_url"].str.startswith("http").all()
        assert frames[name]["evidence"].str.len().gt(10).all()
    pc = frames["prisoner_counts"]
    dec25 = pc[(pc["date"] >= "2025-12-20") & (pc["reported_by"] == "foro_penal")]
    assert 863 in set(dec25["political_prisoners"].dropna().astype(int))
    assert pd.api.types.is_datetime64_any_dtype(frames["releases"]["date"])
    assert str(frames["releases"]["n_released"].dtype) == "Int64"


def test_build_is_byte_identical(tmp_path):
    root = _copy_raw(tmp_path)

    def digest() -> dict[str, str]:
        out = root / "data" / "processed" / "venezuela"
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.iterdir())
            if p.is_file()
        }

    data.build(root)
    first = digest()
    data.build(root)
    assert digest() == first
    assert {"releases.parquet", "releases.csv", "events.parquet", "coverage.csv"} <= set(first)


def test_event_calendar_classes():
    frames = data.load_raw(ROOT)
    ev = data.event_calendar(frames)
    assert len(ev) == len(frames["sanctions"]) + len(frames["diplomatic"])
    assert ev["event_class"].notna().all()
    relief = ev[ev["event_class"] == "sanctions_relief"]
    san = frames["sanctions"]
    assert len(relief) == int((san["direction"] == "relief").sum())
    assert ev["date"].is_monotonic_increasing


def test_coverage_table_counts_rows():
    frames = data.load_raw(ROOT)
    cov = data.coverage_table(frames)
    for name in ("prisoner_counts", "releases", "sanctions", "diplomatic"):
        assert cov.loc["total", name] == len(frames[name])
        assert cov.loc[2026, name] == int((frames[name]["date"].dt.year == 2026).sum())


def test_readme_coverage_block_is_current(tmp_path):
    frames = data.load_raw(ROOT)
    block = data._coverage_markdown(data.coverage_table(frames))
    # the block of every country present is in the README, under its label
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert block in readme, (
        "data/README.md coverage is stale: run `python -m analysis.record.data readme`"
    )


def test_replace_marked_block_rewrites_only_between_markers(tmp_path):
    f = tmp_path / "README.md"
    f.write_text("intro\n<!-- x:start -->\nold\n<!-- x:end -->\nafter\n", encoding="utf-8")
    assert data.replace_marked_block(f, "x", "new\n")
    assert f.read_text(encoding="utf-8") == "intro\n<!-- x:start -->\nnew\n<!-- x:end -->\nafter\n"
    assert not data.replace_marked_block(f, "x", "new\n")  # unchanged: not rewritten
    with pytest.raises(ValueError, match="no <!-- y:start -->"):
        data.replace_marked_block(f, "y", "z\n")


def test_linked_event_id_must_exist(tmp_path):
    root = _copy_raw(tmp_path)
    path = root / "data" / "raw" / "venezuela" / "releases.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["linked_event_id"] = "dip-19990101-9"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(data.DataValidationError, match="dip-19990101-9"):
        data.load_raw(root)


def _write_renames(root: Path, rows: list[dict]) -> None:
    path = root / "data" / "raw" / "venezuela" / "renamed_ids.csv"
    cols = list(TABLES["renamed_ids"].columns)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows([{c: r.get(c, "") for c in cols} for r in rows])


def test_renamed_ids_must_be_gone_and_point_at_an_existing_row(tmp_path):
    root = _copy_raw(tmp_path)
    rel = list(csv.DictReader((root / "data/raw/venezuela/releases.csv").open(encoding="utf-8")))
    live = rel[0]["id"]
    base = dict(in_table="releases", changed_on="2026-12-02", git_commit="abcdef1",
                reason="re-dated", source_url="https://example.org/page",
                source_name="Example")  # fmt: skip
    # a valid row: an id that is gone, renamed to a row that exists
    _write_renames(root, [dict(base, id="rel-19990101-1", change="renamed", new_id=live)])
    frames = data.load_raw(root)
    assert frames["renamed_ids"]["new_id"].tolist() == [live]
    # a count row removed because it repeated a release's figure points at that release
    _write_renames(root, [dict(base, id="pc-19990101-1", in_table="prisoner_counts",
                               change="removed", new_id=live)])  # fmt: skip
    assert data.load_raw(root)["renamed_ids"]["new_id"].tolist() == [live]
    # the old id still exists
    _write_renames(root, [dict(base, id=live, change="renamed", new_id=live)])
    with pytest.raises(data.DataValidationError, match="old id still exists in releases"):
        data.load_raw(root)
    # the new id does not exist; a renamed row without new_id
    gone = "rel-19990102-7"
    _write_renames(root, [dict(base, id="rel-19990101-1", change="renamed", new_id=gone),
                          dict(base, id="rel-19990101-2", change="removed"),
                          dict(base, id="rel-19990101-3", change="renamed")])  # fmt: skip
    with pytest.raises(data.DataValidationError) as err:
        data.load_raw(root)
    assert "new_id must name an id in releases" in str(err.value)
    assert "rel-19990101-3: a renamed id needs its new_id" in str(err.value)
    assert "rel-19990101-2" not in str(err.value)  # removed, no repeat named: allowed
    # an id of no known kind
    _write_renames(root, [dict(base, id="xyz-19990101-1", change="removed")])
    with pytest.raises(data.DataValidationError, match="id must be an old record id"):
        data.load_raw(root)


def test_datapackage_is_current():
    committed = (ROOT / "data" / "datapackage.json").read_text(encoding="utf-8")
    assert committed == data._datapackage_text(), "run `python -m analysis.record.data readme`"
    pkg = data.datapackage()
    rel = next(r for r in pkg["resources"] if r["name"] == "venezuela-releases")
    assert rel["path"] == "raw/venezuela/releases.csv"
    mech = next(f for f in rel["schema"]["fields"] if f["name"] == "mechanism")
    assert mech["constraints"]["enum"] == list(dict(REL.categories)["mechanism"])


def test_cli_validate_and_build_exit_codes(tmp_path, monkeypatch, capsys):
    root = _copy_raw(tmp_path)
    monkeypatch.setenv("BARGAINING_CHIP_ROOT", str(root))
    assert data.main(["validate"]) == 0
    assert "venezuela/releases: " in capsys.readouterr().out
    path = root / "data" / "raw" / "venezuela" / "prisoner_counts.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace(",day,", ",fortnight,", 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert data.main(["build"]) == 1
    err = capsys.readouterr().err
    assert "venezuela/prisoner_counts.csv:2 column 'date_precision' value 'fortnight'" in err
    assert "nothing was written" in err
    assert not (root / "data" / "processed").exists()


def test_ngo_flows_known_answer():
    pc = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "date": pd.to_datetime(
                ["2026-01-10", "2026-01-12", "2026-01-12", "2026-01-15", "2025-10-20", "2026-01-20"]
            ),
            "period_start": pd.to_datetime(
                ["2026-01-08", "2026-01-08", "2026-01-08", "2026-01-08", "2025-10-13", "2026-01-08"]
            ),
            "arrests_in_period": pd.array([None, None, None, None, 21, None], dtype="Int64"),
            "releases_in_period": pd.array([9, 41, 49, 40, 0, 60], dtype="Int64"),
            "reported_by": ["foro_penal"] * 6,
        }
    )
    fl = data.ngo_flows(pc)
    rel = fl[(fl["measure"] == "releases") & (fl["period_start"] >= "2026-01-01")]
    rel = rel.set_index("id")
    assert rel.loc["a", "value"] == 9 and rel.loc["a", "derivation"] == "as_reported"
    # two reports on 12 January: the larger (49) is the running total; 49 - 9 = 40 over 11-12 Jan
    assert rel.loc["b", "value"] == 40 and rel.loc["b", "days"] == 2
    assert np.isnan(rel.loc["d", "value"])  # 40 < 49: a falling running total is not differenced
    assert rel.loc["d", "derivation"] == "inconsistent_running_totals"
    assert rel.loc["f", "value"] == 11  # from the largest total so far (49), not from 40
    oct_ = fl[fl["id"] == "e"].set_index("measure")
    assert oct_.loc["arrests", "value"] == 21 and oct_.loc["releases", "value"] == 0
    assert oct_.loc["arrests", "days"] == 8


def test_flows_built_for_the_record():
    frames = data.load_raw(ROOT)
    fl = data.ngo_flows(frames["prisoner_counts"])
    assert len(fl) > 0 and (fl["days"] >= 1).all()
    assert set(fl["derivation"]) <= {
        "as_reported",
        "difference_of_running_totals",
        "inconsistent_running_totals",
    }
    ok = fl["value"].notna()
    assert (fl.loc[ok, "value"] >= 0).all()


def _edit_csv(path: Path, row: int, column: str, value: str) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[row][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize("country", ["belarus", "cuba", "nicaragua"])
def test_every_country_gets_located_errors(tmp_path, country):
    root = _copy_raw(tmp_path, (country,))
    path = root / "data" / "raw" / country / "releases.csv"
    _edit_csv(path, 1, "mechanism", "deal")
    _edit_csv(path, 2, "date", "2016-02-30")
    with pytest.raises(data.DataValidationError) as exc:
        data.load_raw(root, country)
    text = str(exc.value)
    assert f"{country}/releases.csv:3 column 'mechanism' value 'deal'" in text
    assert f"{country}/releases.csv:4 column 'date' value '2016-02-30'" in text


def test_unknown_country_code_and_nationality_count_are_located(tmp_path):
    root = _copy_raw(tmp_path)
    ve = root / "data" / "raw" / "venezuela"
    _edit_csv(ve / "diplomatic.csv", 0, "counterparts", "USA;XYZ")
    _edit_csv(ve / "release_nationalities.csv", 0, "nationality", "QQQ")
    with pytest.raises(data.DataValidationError) as exc:
        data.load_raw(root)
    text = str(exc.value)
    assert (
        "venezuela/diplomatic.csv:2 column 'counterparts' value 'USA;XYZ': unknown country" in text
    )
    assert "venezuela/release_nationalities.csv:2 column 'nationality' value 'QQQ'" in text


def test_nationality_count_above_episode_total(tmp_path):
    root = _copy_raw(tmp_path)
    ve = root / "data" / "raw" / "venezuela"
    nat = list(csv.DictReader((ve / "release_nationalities.csv").open(encoding="utf-8")))
    rid = nat[0]["release_id"]
    _edit_csv(ve / "release_nationalities.csv", 0, "n_persons", "100000")
    with pytest.raises(data.DataValidationError) as exc:
        data.load_raw(root)
    text = str(exc.value)
    assert f"release {rid}: n_persons over its nationalities" in text
    assert "must not exceed the episode's largest reported total" in text


def test_nationality_must_name_a_release(tmp_path):
    root = _copy_raw(tmp_path)
    ve = root / "data" / "raw" / "venezuela"
    _edit_csv(ve / "release_nationalities.csv", 0, "release_id", "rel-19990101-1")
    with pytest.raises(data.DataValidationError, match=r"rel-19990101-1.*release_id must name"):
        data.load_raw(root)
