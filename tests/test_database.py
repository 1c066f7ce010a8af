"""The record database (``make db``) and its Datasette pages (``make serve``), through Datasette's
own test client."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from analysis.record import database
from analysis.record.schemas import TABLES
from analysis.settings import COUNTRIES, CountrySettings, project_root

ROOT = project_root()
PROCESSED = ROOT / "data" / "processed"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The database built from data/processed (which `make test` builds first)."""
    if not any((PROCESSED / c).is_dir() for c in COUNTRIES):
        pytest.fail("data/processed is not built: run `make data`")
    return database.build_database(out=tmp_path_factory.mktemp("db") / "record.db")


@pytest.fixture(scope="module")
def metadata(built) -> dict:
    return json.loads((built.parent / database.METADATA_NAME).read_text(encoding="utf-8"))


def _get(db: Path, meta: dict, *paths: str) -> list:
    """Responses of Datasette's test client (no server, no port)."""
    from datasette.app import Datasette

    async def fetch():
        ds = Datasette(files=[str(db)], metadata=meta)
        return [await ds.client.get(p) for p in paths]

    return asyncio.run(fetch())


def _rows(db: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql, params).fetchall()


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def test_same_input_same_rows(built, tmp_path):
    again = database.build_database(out=tmp_path / "again.db")
    with sqlite3.connect(built) as a, sqlite3.connect(again) as b:
        assert list(a.iterdump()) == list(b.iterdump())


def test_every_country_table_is_in_the_database(built):
    for country in (c for c in COUNTRIES if (PROCESSED / c).is_dir()):
        for parquet in sorted((PROCESSED / country).glob("*.parquet")):
            n = len(pd.read_parquet(parquet))
            got = _rows(built, f"select count(*) from [{parquet.stem}] where country = ?",
                        (country,))[0][0]  # fmt: skip
            assert got == n, f"{country}/{parquet.stem}: {got} rows in the database, {n} on disk"
        cov = pd.read_csv(PROCESSED / country / "coverage.csv")
        assert _rows(built, "select count(*) from coverage where country = ?", (country,)) == [
            (len(cov),)
        ]


def test_curated_tables_have_every_schema_column_even_when_empty(built):
    with sqlite3.connect(built) as con:
        for name, spec in TABLES.items():
            cols = [r[1] for r in con.execute(f"pragma table_info([{name}])")]
            assert set(spec.columns) <= set(cols), name
            assert {"key", "country"} <= set(cols)
            if "date" in spec.columns:
                assert {"year", "month"} <= set(cols)


def test_year_and_month_follow_date(built):
    bad = _rows(built, "select key from releases where year != cast(substr(date, 1, 4) as integer)"
                " or month != substr(date, 1, 7)")  # fmt: skip
    assert bad == []


def test_foreign_keys_from_releases_to_events(built):
    with sqlite3.connect(built) as con:
        fks = {(r[3], r[2], r[4]) for r in con.execute("pragma foreign_key_list(releases)")}
        assert ("linked_event_key", "events", "key") in fks
        assert ("exchange_event_key", "events", "key") in fks
        nat = {(r[3], r[2]) for r in con.execute("pragma foreign_key_list(release_nationalities)")}
        assert ("release_key", "releases") in nat
        assert con.execute("pragma foreign_key_check").fetchall() == []
    linked = _rows(built, "select count(*) from releases where linked_event_id is not null")[0][0]
    joined = _rows(
        built, "select count(*) from releases r join events e on e.key = r.linked_event_key"
    )[0][0]
    assert linked > 0 and joined == linked


def test_full_text_search_on_descriptions_and_evidence(built):
    with sqlite3.connect(built) as con:
        for table in ("releases", "events", "diplomatic", "sanctions", "prisoner_counts"):
            fts_cols = [r[1] for r in con.execute(f"pragma table_info([{table}_fts])")]
            assert "evidence" in fts_cols or "description" in fts_cols, table


def test_views_pair_releases_and_events_within_seven_days(built):
    rows = _rows(built, "select days_after_event, release_date, event_date from "
                 "release_event_pairs")  # fmt: skip
    assert rows and all(-7 <= d <= 7 for d, _, _ in rows)
    assert _rows(built, "select count(*) from documented_exchanges")[0][0] >= 0


def test_a_new_country_and_a_new_column_flow_in(tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    shutil.copytree(PROCESSED / "venezuela", processed / "venezuela")
    shutil.copytree(PROCESSED / "venezuela", processed / "testland")
    rel = pd.read_parquet(processed / "testland" / "releases.parquet")
    rel["new_field"] = "x"
    rel.to_parquet(processed / "testland" / "releases.parquet")
    (processed / "testland" / "release_nationalities.parquet").unlink()
    extra = CountrySettings("testland", "Testland", "foro_penal", "Foro Penal", "TST")
    monkeypatch.setattr(database, "COUNTRIES", {"venezuela": COUNTRIES["venezuela"],
                                                "testland": extra})  # fmt: skip
    db = database.build_database(ROOT, tmp_path / "t.db", processed=processed)
    n = len(rel)
    assert _rows(db, "select count(*) from releases where country = 'testland'") == [(n,)]
    assert _rows(db, "select count(*) from releases where new_field = 'x'") == [(n,)]
    assert _rows(db, "select count(*) from releases where new_field is null") == [(n,)]
    assert _rows(db, "select label from countries where key = 'testland'") == [("Testland",)]


# ---------------------------------------------------------------------------------------------
# Datasette
# ---------------------------------------------------------------------------------------------


def test_pages_and_json_api_answer(built, metadata):
    paths = ["/", "/record", "/record/releases", "/record/events", "/record/release_event_pairs",
             "/record/countries", "/record/releases.json",
             "/record/events.json?_shape=array"]  # fmt: skip
    for path, r in zip(paths, _get(built, metadata, *paths), strict=True):
        assert r.status_code == 200, path
    data = _get(built, metadata, "/record/releases.json?_size=5&_shape=objects")[0].json()
    assert len(data["rows"]) == 5 and "source_url" in data["rows"][0]


def test_facets_by_country_class_year_and_precision(built, metadata):
    r = _get(built, metadata, "/record/events.json")[0].json()
    assert {"country", "event_class", "year", "date_precision"} <= set(r["facet_results"])
    countries = {f["value"] for f in r["facet_results"]["country"]["results"]}
    assert countries == {c for c in COUNTRIES if (PROCESSED / c).is_dir()}


def test_full_text_query_finds_a_known_row(built, metadata):
    key, people = _rows(built, "select key, notable_people from releases where notable_people "
                        "is not null order by key limit 1")[0]  # fmt: skip
    word = max(people.replace(";", " ").split(), key=len)
    r = _get(built, metadata, f"/record/releases.json?_search={word}&_shape=array")[0]
    assert r.status_code == 200
    assert key in {row["key"] for row in r.json()}


def test_each_canned_query_returns_rows(built, metadata):
    names = list(metadata["databases"]["record"]["queries"])
    assert {"releases_after_envoy_visit", "releases_with_foreign_nationals",
            "foro_penal_series"} <= set(names)  # fmt: skip
    example = {"look_up_an_id": "&id=rel-20241201-2"}  # queries that need a value
    paths = [f"/record/{n}.json?_shape=array{example.get(n, '')}" for n in names]
    responses = _get(built, metadata, *paths)
    for name, r in zip(names, responses, strict=True):
        assert r.status_code == 200, name
        assert len(r.json()) > 0, f"canned query {name} returned no rows"
    html = _get(built, metadata, "/record/foro_penal_series")[0]
    assert html.status_code == 200 and "The Foro Penal series" in html.text


def test_an_old_id_leads_to_the_row_to_cite_today(built, metadata):
    q = "/record/look_up_an_id.json?_shape=array"
    old, now = _get(built, metadata, f"{q}&id=rel-20241201-2&country=venezuela",
                    f"{q}&id=rel-20241223-2&country=")  # fmt: skip
    assert [(r["status"], r["cite_as"]) for r in old.json()] == [("renamed", "rel-20241223-2")]
    assert [(r["status"], r["cite_as"]) for r in now.json()] == [("current", "rel-20241223-2")]
    # the renamed row carries a key to its row today
    assert _rows(built, "select new_key from renamed_ids where key = ?",
                 ("venezuela/rel-20241201-2",)) == [("venezuela/rel-20241223-2",)]  # fmt: skip


def test_a_malformed_query_gets_an_error_page_not_a_traceback(built, metadata):
    page, api = _get(built, metadata, "/record?sql=select+*+frm+releases",
                     "/record.json?sql=select+*+frm+releases")  # fmt: skip
    assert page.status_code == 400 and "syntax error" in page.text
    assert "Traceback" not in page.text
    assert api.status_code == 400 and api.json()["ok"] is False


def test_source_url_is_a_link_and_columns_are_described(built, metadata):
    url = _rows(built, "select source_url from releases order by key limit 1")[0][0]
    page = _get(built, metadata, "/record/releases?_sort=key&_size=1")[0]
    assert f'<a href="{url}">' in page.text
    tables = metadata["databases"]["record"]["tables"]
    for name in ("releases", "events", "prisoner_counts", "sanctions", "diplomatic"):
        cols = [r[1] for r in _rows(built, f"pragma table_info([{name}])")]
        assert all(tables[name]["columns"].get(c) for c in cols), name
        assert tables[name]["description"]
    assert metadata["license"] == "CC-BY-4.0" and "Cite as" in metadata["description_html"]
    assert "exchange_event_id" in tables["releases"]["columns"]


def test_a_column_documented_in_the_readme_gets_its_meaning(tmp_path):
    from analysis.record.dictionary import column_description

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "README.md").write_text(
        "### `releases.csv` — release episodes\n"
        "| column | type | meaning |\n|---|---|---|\n"
        "| `new_field`, `other_field` | string | what the curators wrote, with `code` |\n"
        "### `sanctions.csv` — sanctions\n"
        "| `new_field` | int | something else |\n",
        encoding="utf-8",
    )
    assert column_description("releases", "new_field", tmp_path) == (
        "what the curators wrote, with code"
    )
    assert column_description("releases", "other_field", tmp_path).startswith("what the")
    assert column_description("sanctions", "new_field", tmp_path) == "something else"
    assert column_description("releases", "date_precision", tmp_path).startswith("Precision")
    assert column_description("releases", "no_such_column", tmp_path) == ""
