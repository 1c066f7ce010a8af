"""User rows: validated like the curated tables, merged with an origin, data/raw untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.record import data
from analysis.record.schemas import TABLES
from analysis.record.userdata import USER_TABLES, UserDataError, load_with_user, user_spec

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "user"


@pytest.fixture(scope="module")
def curated():
    frames = data.load_raw(ROOT)
    frames["events"] = data.event_calendar(frames)
    return frames


def _user_dir(tmp_path: Path, **tables: str) -> Path:
    folder = tmp_path / "user"
    folder.mkdir(parents=True)
    for table, fixture in tables.items():
        shutil.copy(FIX / fixture, folder / f"{table}.csv")
    return folder


def _problems(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_user_rows_are_merged_with_origin(curated, tmp_path):
    folder = _user_dir(tmp_path, diplomatic="diplomatic.csv", releases="releases.csv")
    merged = load_with_user(curated, user_dir=folder, root=ROOT)
    dip = merged["diplomatic"]
    assert len(dip) == len(curated["diplomatic"]) + 2
    assert dip["origin"].value_counts().to_dict() == {
        "curated": len(curated["diplomatic"]),
        "user": 2,
    }
    assert dip["date"].is_monotonic_increasing
    assert list(dip.columns) == [*curated["diplomatic"].columns, "origin"]
    user_ev = merged["events"].query("origin == 'user'")
    assert user_ev["id"].tolist() == ["dip-20240115-901", "dip-20240120-902"]
    assert user_ev["event_class"].tolist() == ["envoy_visit", "negotiation"]
    assert user_ev["source_url"].tolist()[0] == "https://archive.example/visit"
    rel = merged["releases"].set_index("id")
    assert rel.loc["rel-20240118-901", "n_released"] == 4
    assert rel.loc["rel-20240118-901", "origin"] == "user"
    assert pd.isna(rel.loc["rel-20240118-901", "notable_people"])  # left out: read as empty
    assert (merged["sanctions"]["origin"] == "curated").all()
    assert len(merged["events"]) == len(curated["events"]) + 2


def test_no_user_files_gives_curated_only(curated, tmp_path):
    merged = load_with_user(curated, user_dir=tmp_path / "none", root=ROOT)
    for name in ("releases", "diplomatic", "events"):
        assert len(merged[name]) == len(curated[name])
        assert (merged[name]["origin"] == "curated").all()


def test_file_named_by_parameter_and_template_is_empty(curated, tmp_path):
    folder = tmp_path / "user"
    folder.mkdir()
    shutil.copy(ROOT / "data" / "user" / "template" / "sanctions.csv", folder / "sanctions.csv")
    files = {"releases": FIX / "releases.csv", "diplomatic": FIX / "diplomatic.csv"}
    merged = load_with_user(curated, user_dir=folder, files=files, root=ROOT)
    assert (merged["sanctions"]["origin"] == "curated").all()  # a header-only file adds no row
    assert (merged["releases"]["origin"] == "user").sum() == 1
    # a release linked to an event that neither the record nor the user provides
    with pytest.raises(UserDataError, match="linked_event_id must name a curated or user event"):
        load_with_user(curated, files={"releases": FIX / "bad_link.csv"}, root=ROOT)
    with pytest.raises(ValueError, match="files names table 'events'; allowed: prisoner_counts"):
        load_with_user(curated, files={"events": FIX / "diplomatic.csv"}, root=ROOT)


def test_id_colliding_with_curated_id(curated, tmp_path):
    taken = curated["diplomatic"].iloc[0]
    text = (FIX / "diplomatic.csv").read_text(encoding="utf-8").splitlines()
    date = taken["date"].strftime("%Y-%m-%d")
    text[2] = text[2].replace("dip-20240120-902", taken["id"]).replace("2024-01-20", date)
    path = tmp_path / "diplomatic.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(UserDataError) as exc:
        load_with_user(curated, files={"diplomatic": path}, root=ROOT)
    (msg,) = _problems(exc)
    assert f"column 'id' value '{taken['id']}': id collides with a curated id" in msg
    assert "venezuela/diplomatic.csv" in msg and str(path) in msg
    assert "no user row was merged" in str(exc.value)


def test_unknown_class_is_located(curated):
    with pytest.raises(UserDataError) as exc:
        load_with_user(curated, files={"diplomatic": FIX / "unknown_class.csv"}, root=ROOT)
    (msg,) = _problems(exc)
    assert "unknown_class.csv:2 column 'subtype' value 'secret_deal'" in msg
    assert "value must be one of negotiation_round|talks_suspended" in msg


@pytest.mark.parametrize(
    ("fixture", "fragment"),
    [
        ("latin1.csv", "latin1.csv:2 value '\\\\xf1': file must be UTF-8 encoded (save it as"),
        ("events.xlsx", "events.xlsx: file must be a UTF-8 CSV, not .xlsx"),
    ],
)
def test_not_utf8_csv(curated, fixture, fragment):
    with pytest.raises(UserDataError) as exc:
        load_with_user(curated, files={"diplomatic": FIX / fixture}, root=ROOT)
    assert any(fragment in m for m in _problems(exc)), _problems(exc)


def test_all_problems_of_all_files_in_one_pass(curated):
    files = {"diplomatic": FIX / "unknown_class.csv", "sanctions": FIX / "events.xlsx"}
    with pytest.raises(UserDataError) as exc:
        load_with_user(curated, files=files, root=ROOT)
    assert len(exc.value.problems) == 2
    assert isinstance(exc.value, data.DataValidationError)


def test_country_key_and_default_folder_never_write_raw(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    (root / "pyproject.toml").write_text("")
    data.build(root, countries=["venezuela"])
    _user_dir(root / "data" / "user", diplomatic="diplomatic.csv")
    (root / "data" / "user" / "user").rename(root / "data" / "user" / "venezuela")

    def digest():
        files = sorted(p for p in (root / "data").rglob("*") if p.is_file())
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    before = digest()
    merged = load_with_user("venezuela", root=root)
    assert (merged["events"]["origin"] == "user").sum() == 2
    assert digest() == before


def test_templates_match_the_schema():
    for table in USER_TABLES:
        header = (ROOT / "data" / "user" / "template" / f"{table}.csv").read_text("utf-8")
        assert header == ",".join(TABLES[table].columns) + "\n"
    spec = user_spec(TABLES["diplomatic"])
    assert "mediator" in spec.optional and "id" not in spec.optional


def _rewrite(src: Path, dest: Path, delimiter: str = ",", **changes: str) -> Path:
    import csv

    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    rows[0].update(changes)
    with dest.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return dest


def test_semicolon_separated_file_gets_one_clear_line(curated, tmp_path):
    path = _rewrite(FIX / "diplomatic.csv", tmp_path / "diplomatic.csv", delimiter=";")
    with pytest.raises(UserDataError) as exc:
        load_with_user(curated, files={"diplomatic": path}, root=ROOT)
    (msg,) = _problems(exc)
    assert "diplomatic.csv:1: file looks semicolon-separated (its header is 'id;date;" in msg
    assert "save it with commas" in msg and "CSV UTF-8" in msg


def test_date_after_the_record_is_merged_with_a_warning(curated, tmp_path):
    from analysis.record.userdata import UserDataWarning
    from analysis.settings import country_settings

    path = _rewrite(FIX / "diplomatic.csv", tmp_path / "diplomatic.csv",
                    id="dip-20310115-901", date="2031-01-15")  # fmt: skip
    end = country_settings("venezuela").end
    with pytest.warns(UserDataWarning, match=rf"row dip-20310115-901 column 'date' value "
                      rf"'2031-01-15': after {end}, the last date the record covers"):  # fmt: skip
        merged = load_with_user(curated, files={"diplomatic": path}, root=ROOT)
    assert "dip-20310115-901" in set(merged["diplomatic"]["id"])


def test_dates_inside_the_record_give_no_warning(curated, tmp_path):
    import warnings

    from analysis.record.userdata import UserDataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserDataWarning)
        load_with_user(curated, files={"diplomatic": FIX / "diplomatic.csv"}, root=ROOT)
