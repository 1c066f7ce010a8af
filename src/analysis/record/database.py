"""The record as one SQLite database, browsable with Datasette (``make db``, ``make serve``).

``python -m analysis.record.database``: :func:`build_database` writes ``data/processed/record.db``
from ``data/processed`` (run ``make data`` first) with `sqlite-utils`, and
:func:`datasette_metadata` writes ``record.metadata.json`` beside it. Both are driven by what is
on disk and by :data:`analysis.record.schemas.TABLES`, so a new country in
:data:`analysis.settings.COUNTRIES`, a new column or a new linked table flows in without a code
change:

- one table per kind of row (``releases``, ``events``, ...) holding every country, with a
  ``country`` column and a ``key`` = ``<country>/<id>`` primary key (ids repeat across countries);
  a curated table has every column of its schema, empty where a country has not coded it, and a
  linked table no country has yet (the sweep logs) is created empty;
- ``year`` and ``month`` beside every ``date`` (Datasette has no date facets);
- foreign keys: ``linked_event_key`` and ``exchange_event_key`` of a release to ``events``,
  ``release_key`` to ``releases``, ``country`` to ``countries``;
- full-text search (FTS5) on descriptions, evidence and names;
- views ``release_event_pairs`` (within 7 days) and ``documented_exchanges``.

Same input, same rows: rows are sorted by country (in the order of the country table), date and id,
and the file is written to a temporary name and moved into place when complete.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.record.dictionary import TABLE_DESCRIPTIONS, column_description
from analysis.record.schemas import TABLES
from analysis.settings import COUNTRIES, project_root

__all__ = [
    "CANNED_QUERIES",
    "DB_NAME",
    "METADATA_NAME",
    "VIEWS",
    "build_database",
    "datasette_metadata",
    "main",
    "read_tables",
]

DB_NAME = "record.db"
METADATA_NAME = "record.metadata.json"

#: Columns indexed for full-text search, where a table has them.
FTS_COLUMNS = (
    "description",
    "evidence",
    "notable_people",
    "linked_event_note",
    "names",
    "target",
    "parties",
    "mediator",
    "query",
)
#: Reference columns and the table whose ``key`` they point to: ``<stem>_id`` -> ``<stem>_key``.
_REFERENCES = {
    "linked_event_id": "events",
    "exchange_event_id": "events",
    "release_id": "releases",
    # a renamed id's row today, in the table ``in_table`` names: a key, no foreign key
    "new_id": "",
}
#: Tables written first, so that foreign keys point to existing tables.
_FIRST = ("events", "releases")
#: Columns a reader facets on, where a table has them.
FACETS = ("country", "event_class", "mechanism", "year", "date_precision")
_DAYS = ("days", "days_after_event")

#: SQL views (name -> select). A view whose columns the data lack is left out, with a message.
VIEWS: dict[str, str] = {
    "release_event_pairs": """
select r.country, r.key as release_key, r.id as release_id, r.date as release_date,
  r.date_precision as release_precision, r.year, r.n_released, r.mechanism,
  e.key as event_key, e.id as event_id, e.date as event_date,
  e.date_precision as event_precision, e.event_class, e.kind, e.describes_release,
  e.found_via, cast(julianday(r.date) - julianday(e.date) as integer) as days_after_event,
  e.description as event_description, r.source_url as release_source_url,
  e.source_url as event_source_url
from releases r join events e on e.country = r.country
  and julianday(r.date) between julianday(e.date) - 7 and julianday(e.date) + 7
order by r.country, r.date, r.id, e.date, e.id""",
    "documented_exchanges": """
select e.country, e.key as event_key, e.id as event_id, e.date as event_date, e.year,
  e.event_class, e.kind, e.exchange_role, e.description as event_description,
  r.key as release_key, r.id as release_id, r.date as release_date, r.n_released,
  r.mechanism, r.notable_people, e.source_url as event_source_url,
  r.source_url as release_source_url
from events e left join releases r on r.exchange_event_key = e.key
where e.exchange_role in ('handover', 'announced_exchange')
order by e.country, e.date, e.id, r.date, r.id""",
}

#: Questions a reader asks, as Datasette canned queries (name -> title, description, sql).
CANNED_QUERIES: dict[str, dict[str, str]] = {
    "releases_after_envoy_visit": {
        "title": "Releases within 7 days after an envoy visit",
        "description": "Day-precision releases 0-7 days after a day-precision envoy visit or "
        "high-level meeting of the same country. Leave country empty for every country. "
        "Association in time, not evidence of intent.",
        "sql": """select r.country, r.date as release_date, r.id as release_id, r.n_released,
  r.mechanism, e.date as visit_date, e.id as event_id, e.kind,
  cast(julianday(r.date) - julianday(e.date) as integer) as days_after,
  e.description as visit, r.source_url as release_source, e.source_url as event_source
from releases r join events e on e.country = r.country and e.event_class = 'envoy_visit'
where r.date_precision = 'day' and e.date_precision = 'day'
  and julianday(r.date) - julianday(e.date) between 0 and 7
  and (:country = '' or r.country = :country)
order by r.country, r.date, e.date""",
    },
    "releases_with_foreign_nationals": {
        "title": "Every release with a foreign national, with nationality",
        "description": "Releases coded foreigners_included, or with rows in "
        "release_nationalities; nationalities as ISO alpha-3 codes with the number of persons "
        "where known.",
        "sql": """select r.country, r.date, r.id, r.n_released, r.mechanism,
  group_concat(n.nationality || coalesce(' (' || n.n_persons || ')', ''), '; ')
    as nationalities,
  r.notable_people, r.source_url
from releases r left join release_nationalities n on n.release_key = r.key
where r.foreigners_included = 1 or n.key is not null
group by r.key
order by r.country, r.date, r.id""",
    },
    "foro_penal_series": {
        "title": "The Foro Penal series",
        "description": "Foro Penal's counts of political prisoners in Venezuela, as reported, "
        "with their sources.",
        "sql": """select date, date_precision, political_prisoners, civilians, military, women,
  foreigners, arrests_in_period, releases_in_period, period_start, source_url, evidence
from prisoner_counts
where country = 'venezuela' and reported_by = 'foro_penal'
order by date, id""",
    },
    "reference_ngo_series": {
        "title": "A country's reference NGO count",
        "description": "The prisoner-count series of a country's reference NGO (Foro Penal, "
        "Viasna, Prisoners Defenders, ...). Country: a key of the countries table.",
        "sql": """select p.country, c.reference_ngo_label as ngo, p.date, p.date_precision,
  p.political_prisoners, p.source_url
from prisoner_counts p join countries c on c.key = p.country
  and p.reported_by = c.reference_ngo
where p.country = coalesce(nullif(:country, ''), 'venezuela')
order by p.date, p.id""",
    },
    "releases_linked_by_source": {
        "title": "Releases a source explicitly links to an event",
        "description": "Releases with linked_event_id, beside the event and both sources.",
        "sql": """select r.country, r.date, r.id, r.n_released, r.linked_event_note,
  e.date as event_date, e.id as event_id, e.event_class, e.description as event,
  r.source_url as release_source, e.source_url as event_source
from releases r join events e on e.key = r.linked_event_key
order by r.country, r.date, r.id""",
    },
    "look_up_an_id": {
        "title": "Look up an id, old or current",
        "description": "Where a cited id leads today: its row if it still exists, or what "
        "became of it (renamed_ids: re-dated rows get a new id; repeats are removed). "
        "Id: e.g. rel-20241201-2; country optional.",
        "sql": """select country, 'current' as status, id, id as cite_as, 'releases' as in_table,
  date, source_url from releases where id = :id
  and (:country = '' or country = :country)
union all select country, 'current', id, id, 'prisoner_counts', date, source_url
  from prisoner_counts where id = :id and (:country = '' or country = :country)
union all select country, 'current', id, id, 'sanctions', date, source_url
  from sanctions where id = :id and (:country = '' or country = :country)
union all select country, 'current', id, id, 'diplomatic', date, source_url
  from diplomatic where id = :id and (:country = '' or country = :country)
union all select country, change, id, new_id, in_table, changed_on, note
  from renamed_ids where id = :id and (:country = '' or country = :country)
order by country""",
    },
    "releases_per_year": {
        "title": "Release episodes and persons released per country and year",
        "description": "Persons: sum of each episode's best figure where given (a lower bound; "
        "episodes can overlap).",
        "sql": """select country, year, count(*) as episodes, sum(n_released) as persons,
  sum(n_released is null) as episodes_without_figure
from releases group by country, year order by country, year""",
    },
}


# ---------------------------------------------------------------------------------------------
# Reading data/processed
# ---------------------------------------------------------------------------------------------


def _countries_built(processed: Path) -> list[str]:
    return [c for c in COUNTRIES if (processed / c).is_dir()]


def read_tables(
    root: str | os.PathLike[str] | None = None, processed: str | os.PathLike[str] | None = None
) -> dict[str, dict[str, pd.DataFrame]]:
    """Every table of ``data/processed``: ``{table: {country: frame}}``.

    Tables are the Parquet files of each country folder (``coverage`` from its CSV). Countries
    come in the order of :data:`analysis.settings.COUNTRIES`.

    Raises
    ------
    FileNotFoundError
        If no country has been built (run ``make data``).
    """
    folder = (
        Path(processed)
        if processed
        else (Path(root) if root else project_root()) / "data" / "processed"
    )
    countries = _countries_built(folder)
    if not countries:
        raise FileNotFoundError(f"no country built in {folder}; build it with `make data`")
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for c in countries:
        for p in sorted((folder / c).glob("*.parquet")):
            out.setdefault(p.stem, {})[c] = pd.read_parquet(p)
        cov = folder / c / "coverage.csv"
        if cov.is_file():
            out.setdefault("coverage", {})[c] = pd.read_csv(cov, dtype={"year": "string"})
    return out


# ---------------------------------------------------------------------------------------------
# Columns and values
# ---------------------------------------------------------------------------------------------


def _is_boolean(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return True
    if s.dtype == object:
        vals = s.dropna()
        return len(vals) > 0 and all(isinstance(v, bool | np.bool_) for v in vals)
    return False


def _sql_type(name: str, table: str, series: pd.Series | None) -> type:
    """The SQLite column type: from the schema for a curated table, else from the dtype."""
    spec = TABLES.get(table)
    if spec is not None and name in spec.columns:
        if name in spec.counts or name in spec.booleans:
            return int
        return str
    if series is None:
        return str
    if pd.api.types.is_datetime64_any_dtype(series):
        return str
    if _is_boolean(series) or pd.api.types.is_integer_dtype(series):
        return int
    if pd.api.types.is_float_dtype(series):
        return float
    return str


def _cell(value: Any, kind: type) -> Any:
    """A value as SQLite stores it: dates ISO, booleans 0/1, whole counts as int, NA as NULL."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, bool | np.bool_):
        return int(bool(value))
    if kind is int:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("", "nan"):
                return None
            if text in ("true", "false"):
                return int(text == "true")
            return int(float(text))
        return int(value)
    if kind is float:
        return float(value)
    if isinstance(value, np.generic):
        value = value.item()
    text = str(value)
    return text if text != "" else None


def _columns(table: str, frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Columns of a combined table: the schema's (curated tables), then any others seen."""
    cols: list[str] = list(TABLES[table].columns) if table in TABLES else []
    for df in frames.values():
        cols += [c for c in df.columns if c not in cols]
    return cols


def _layout(table: str, cols: list[str]) -> list[str]:
    """Database columns: key, country, the table's columns with year/month after ``date`` and a
    ``*_key`` after every reference column."""
    out = ["key", "country"]
    for c in cols:
        out.append(c)
        if c == "date":
            out += ["year", "month"]
        if c in _REFERENCES:
            out.append(c.removesuffix("_id") + "_key")
    if "key" in cols or "country" in cols:
        raise ValueError(f"table {table!r} has a column named key or country; rename it")
    return out


def _rows(
    table: str, frames: Mapping[str, pd.DataFrame], cols: list[str]
) -> tuple[list[dict[str, Any]], dict[str, type]]:
    sample = {c: next((df[c] for df in frames.values() if c in df), None) for c in cols}
    kinds = {c: _sql_type(c, table, sample[c]) for c in cols}
    has_id = "id" in cols
    rows: list[dict[str, Any]] = []
    for country, df in frames.items():
        part = []
        for rec in df.to_dict("records"):
            row: dict[str, Any] = {"country": country}
            for c in cols:
                row[c] = _cell(rec.get(c), kinds[c])
            part.append(row)
        order = [c for c in ("date", "period_end", "month", "year", "id", "measure") if c in cols]
        part.sort(key=lambda r: tuple("" if r[c] is None else str(r[c]) for c in order))
        by_id = has_id and len({r["id"] for r in part}) == len(part) and all(r["id"] for r in part)
        for i, row in enumerate(part):
            row["key"] = f"{country}/{row['id']}" if by_id else f"{country}/{i + 1}"
            if row.get("date"):
                row["year"], row["month"] = int(row["date"][:4]), row["date"][:7]
            elif "date" in cols:
                row["year"] = row["month"] = None
            for ref in (c for c in cols if c in _REFERENCES):
                key = ref.removesuffix("_id") + "_key"
                row[key] = f"{country}/{row[ref]}" if row[ref] else None
        rows += part
    types = {c: kinds[c] for c in cols} | {"key": str, "country": str}
    if "date" in cols:
        types |= {"year": int, "month": str}
    types |= {c.removesuffix("_id") + "_key": str for c in cols if c in _REFERENCES}
    return rows, types


def _countries_rows(countries: Iterable[str]) -> list[dict[str, Any]]:
    rows = []
    for c in countries:
        s = COUNTRIES[c]
        rows.append(
            {
                "key": c,
                "label": s.label,
                "reference_ngo": s.reference_ngo,
                "reference_ngo_label": s.reference_ngo_label,
                "iso3": s.iso3,
                "start": s.start,
                "end": s.end,
                "open_bargains": int(s.open_bargains),
                "has_counts": int(s.has_counts),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def _table_order(names: Iterable[str]) -> list[str]:
    names = sorted(set(names), key=lambda n: (n not in TABLES, n))
    return [n for n in _FIRST if n in names] + [n for n in names if n not in _FIRST]


def build_database(
    root: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    processed: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the record database (and its Datasette metadata beside it) from ``data/processed``.

    Parameters
    ----------
    root : path, optional
        Project root.
    out : path, optional
        Database file (default ``data/processed/record.db``).
    processed : path, optional
        Folder of the processed tables (default ``data/processed``).

    Returns
    -------
    Path
        The database file; ``record.metadata.json`` is written in the same folder.
    """
    import sqlite_utils

    base = Path(root) if root else project_root()
    folder = Path(processed) if processed else base / "data" / "processed"
    dest = Path(out) if out else folder / DB_NAME
    tables = read_tables(processed=folder)
    countries = [c for c in COUNTRIES if any(c in fr for fr in tables.values())]
    for name in TABLES:  # a linked table no country has yet: created empty, with its columns
        tables.setdefault(name, {})
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    os.unlink(tmp)
    skipped: list[str] = []
    try:
        db = sqlite_utils.Database(tmp)
        db["countries"].insert_all(_countries_rows(countries), pk="key")
        for name in _table_order(tables):
            frames = tables[name]
            cols = _columns(name, frames)
            layout = _layout(name, cols)
            rows, types = _rows(name, frames, cols)
            fks = [("country", "countries", "key")]
            for ref, target in _REFERENCES.items():
                if ref in cols and target in db.table_names() and target != name:
                    fks.append((ref.removesuffix("_id") + "_key", target, "key"))
            t = db.table(name)
            t.create(
                {c: types[c] for c in layout},
                pk="key",
                foreign_keys=fks,
                not_null={"country"},
            )
            t.insert_all(rows, batch_size=500)
            for c in ("country", "date", "event_class"):
                if c in layout:
                    t.create_index([c])
            fts = [c for c in FTS_COLUMNS if c in layout]
            if fts:
                t.enable_fts(fts, fts_version="FTS5", create_triggers=False)
        for view, sql in VIEWS.items():
            try:
                db.create_view(view, sql.strip())
                db.execute(f"select * from [{view}] limit 0")
            except sqlite3.OperationalError as exc:
                db.execute(f"drop view if exists [{view}]")
                skipped.append(f"view {view} left out: {exc}")
        db.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for msg in skipped:
        print(msg, file=sys.stderr)
    meta = datasette_metadata(dest, root=base)
    (dest.parent / METADATA_NAME).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return dest


# ---------------------------------------------------------------------------------------------
# Datasette metadata
# ---------------------------------------------------------------------------------------------


def _citation(root: Path) -> str:
    cff = root / "CITATION.cff"
    if not cff.is_file():
        return "bargaining-chip contributors. bargaining-chip: a cited event record."
    import yaml

    c = yaml.safe_load(cff.read_text(encoding="utf-8"))
    authors = "; ".join(a.get("name") or a.get("family-names", "") for a in c.get("authors", []))
    year = str(c.get("date-released", ""))[:4]
    return f"{authors} ({year}). {c.get('title', '')}. Version {c.get('version', '')}."


def datasette_metadata(
    db_path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Datasette metadata generated from the database's schema and the data dictionary: titles,
    table and column descriptions, units, facets, licence, citation and canned queries."""
    import html

    import sqlite_utils

    base = Path(root) if root else project_root()
    db = sqlite_utils.Database(db_path)
    tables_meta: dict[str, Any] = {}
    names = [n for n in db.table_names() if "_fts" not in n]
    for name in [*names, *db.view_names()]:
        cols = list(db[name].columns_dict)
        descr = {}
        for c in cols:
            if c == "year":
                descr[c] = "Year of date (for facets)"
            elif c == "month" and "date" in cols:
                descr[c] = "Month of date, YYYY-MM (for facets)"
            elif name == "coverage" and c in TABLES:
                descr[c] = f"Rows of {c} dated in the year"
            elif c.endswith("_precision"):
                descr[c] = column_description("releases", "date_precision", base)
            else:
                text = column_description(name, c, base)
                if not text:
                    src = c.split("_", 1)
                    if src[0] in ("release", "event") and len(src) == 2:
                        text = column_description(
                            "releases" if src[0] == "release" else "events", src[1], base
                        )
                if text:
                    descr[c] = text
        entry: dict[str, Any] = {
            "title": name.replace("_", " ").capitalize(),
            "description": TABLE_DESCRIPTIONS.get(name, ""),
            "columns": descr,
            "facets": [f for f in FACETS if f in cols],
            "sort_desc" if "date" in cols else "sort": "date" if "date" in cols else cols[0],
        }
        units = {c: "days" for c in _DAYS if c in cols}
        if units:
            entry["units"] = units
        if name == "events":
            entry["label_column"] = "id"
        if name in ("releases", "release_nationalities"):
            entry["label_column"] = "id"
        if name == "countries":
            entry["label_column"] = "label"
        tables_meta[name] = entry
    for name in db.table_names():
        if "_fts" in name:
            tables_meta[name] = {"hidden": True}
    citation = _citation(base)
    return {
        "title": "bargaining-chip: the cited record of political-prisoner releases",
        "description_html": (
            "<p>Political-prisoner releases, prisoner counts, sanctions and diplomatic events, "
            "every row with its source (<code>source_url</code>), the source's name and a "
            "paraphrase of what fixes the date or number (<code>evidence</code>). Open a "
            "source and check a row in a minute.</p><p>Associations in time are not evidence "
            "of intent.</p><p>Cite as: " + html.escape(citation) + " And cite the original "
            "source of every row you use.</p>"
        ),
        "license": "CC-BY-4.0",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "source": "bargaining-chip data/raw (curated, cited)",
        "about": "Data dictionary: data/README.md",
        "databases": {
            Path(db_path).stem: {
                "title": "The record",
                "description": "Every country's tables, the event calendar, nationalities, "
                "flows, coverage and the sweep logs.",
                "tables": tables_meta,
                "queries": CANNED_QUERIES,
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.record.database [--out PATH]``: write the database and metadata."""
    parser = argparse.ArgumentParser(prog="python -m analysis.record.database")
    parser.add_argument(
        "--out", default=None, help="database file (default data/processed/record.db)"
    )
    args = parser.parse_args(argv)
    try:
        path = build_database(out=args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    import sqlite_utils

    db = sqlite_utils.Database(path)
    counts = ", ".join(f"{t} ({db[t].count})" for t in db.table_names() if "_fts" not in t)
    print(f"{path} written: {counts}; views: {', '.join(db.view_names())}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
