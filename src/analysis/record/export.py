"""Exports for Stata, R and spreadsheets: ``python -m analysis.record.export`` (``make export``).

Writes ``exports/<country>/``, all or nothing (a temporary folder moved into place when complete):

- the curated tables (typed) and the ``events`` calendar;
- the daily and weekly analysis panels (:mod:`analysis.record.panels`);

each as Stata ``.dta`` (version 118: Unicode, variable labels, value labels for categorical
columns, dates as Stata daily dates ``%td``), Parquet and CSV, plus ``codebook.md`` listing every
file, variable, type and label.
"""

from __future__ import annotations

import argparse
import keyword
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from analysis.record.data import (
    EVENT_CLASSES,
    DataValidationError,
    countries_present,
    event_calendar,
    load_raw,
)
from analysis.record.panels import daily_panel, event_column, weekly_panel
from analysis.record.schemas import DIPLOMATIC_SUBTYPES, INSTRUMENTS, TABLES
from analysis.settings import COUNTRIES, DEFAULT_COUNTRY, country_settings, project_root

__all__ = [
    "FORMATS",
    "LABELS",
    "check_stata_names",
    "codebook",
    "export",
    "export_tables",
    "main",
    "variable_type",
]

#: File formats written for every table.
FORMATS: tuple[str, ...] = ("dta", "parquet", "csv")
#: Names Stata reserves (cannot be variable names).
_STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip str strL "
    "using with".split()
)
_STATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_STATA_STR_MAX = 2045  # longer strings go to strL

#: Variable labels (at most 80 characters, Stata's limit); a table's own entry wins.
LABELS: dict[str, str] = {
    "id": "Row id (<prefix>-YYYYMMDD-n)",
    "date": "Date (ISO; see date_precision)",
    "date_precision": "Precision of date: day, week or month",
    "political_prisoners": "Political prisoners (stock) as reported",
    "civilians": "Of whom civilians",
    "military": "Of whom military",
    "men": "Of whom men",
    "women": "Of whom women",
    "adolescents": "Of whom adolescents",
    "foreigners": "Of whom foreigners",
    "arrests_in_period": "Arrests over the period named in evidence (not additive)",
    "releases_in_period": "Releases over the period named in evidence (not additive)",
    "period_start": "First day of the period of the flows, where stated",
    "second_hand": "Source reports the row after the fact (retrospective or second-hand)",
    "reported_by": "Who gives the figure",
    "source_url": "Source: URL of the page read",
    "source_name": "Source: outlet",
    "evidence": "Source: paraphrase of what fixes the date or number",
    "additional_sources": "Further source URLs, ' | '-separated",
    "n_released": "Persons released: best figure",
    "n_released_min": "Persons released: lowest figure among sources",
    "n_released_max": "Persons released: highest figure among sources",
    "mechanism": "Release mechanism",
    "foreigners_included": "Foreigners among those released (1 = yes)",
    "high_value": "High-value prisoner(s) released (1 = yes)",
    "notable_people": "Names of notable people released, '; '-separated",
    "linked_event_id": "Event the source explicitly links the release to",
    "linked_event_note": "The explicit link as the source states it",
    "detection": "How the release episode was found",
    "exchange_event_id": "Event of the documented exchange the release belongs to",
    "occasion": "Occasion of the release: holiday, court_decision, exchange or unknown",
    "short_detention": "Everyone released had been held under 7 days (1 = yes)",
    "sweep_found": "The calendar-blind sweep found this release too (1 = yes)",
    "exchange_role": "Part in a documented exchange: handover, announced_exchange or none",
    "month": "Month swept (YYYY-MM)",
    "query_id": "Fixed sweep query",
    "language": "Language of the query",
    "query": "Query as run",
    "date_run": "Day the query was run",
    "results_screened": "Search results screened",
    "episodes_found": "Release episodes found",
    "episodes_new": "Release episodes new to the record",
    "month_swept": "Month whose sweep found the episode",
    "new_to_record": "Not in the record before the sweep (1 = yes)",
    "in_table": "Table the old id belonged to",
    "change": "What became of the id: renamed or removed",
    "new_id": "The row's id today (or the row a removed one repeated)",
    "changed_on": "Day the change was committed",
    "git_commit": "Commit that made the change",
    "reason": "Why the id changed",
    "note": "Curation note that documents the change",
    "actor": "Sanctioning actor",
    "direction": "Direction of the sanctions action",
    "instrument": "Sanctions instrument",
    "target": "Who or what the sanctions action targets",
    "description": "One-sentence description",
    "counterparts": "Counterparts (ISO alpha-3 or body), ';'-separated",
    "end_date": "Last day of a multi-day event, where stated",
    "subtype": "Diplomatic event subtype",
    "parties": "Parties, '; '-separated",
    "mediator": "Mediator, if any",
    "describes_release": "The event is itself a release (1 = yes; left out of tests)",
    "found_via": "How the event was found (release_source: through a release)",
    "release_id": "Release episode (id in releases)",
    "nationality": "Nationality (ISO 3166-1 alpha-3)",
    "n_persons": "Persons of this nationality released",
    "dual_national": "Dual nationals (1 = yes)",
    "names": "Names, '; '-separated",
    "source_table": "Table the event comes from (diplomatic or sanctions)",
    "kind": "Diplomatic subtype or sanctions instrument",
    "event_class": "Event class of the timing tests",
    "release_day": "Release day: a day-precision release episode (1 = yes)",
    "release_days": "Release days in the week",
    "n_episodes": "Release episodes (rows of releases)",
    "persons_released": "Persons released: largest best figure of each day (lower bound)",
    "release_days_no_figure": "Release days in the week without a persons figure",
    "n_days": "Days of the week inside the study period",
    "week_start": "Monday of the week",
    "origin": "Row origin: curated (data/raw) or user (a researcher's own file)",
}
_TABLE_LABELS: dict[str, dict[str, str]] = {
    "daily": {
        "date": "Day",
        "political_prisoners": "Reference NGO count, on the dates observed only",
        "arrests_in_period": "Reference NGO: arrests reported that day (not additive)",
        "releases_in_period": "Reference NGO: releases reported that day (not additive)",
    },
    "weekly": {
        "political_prisoners": "Reference NGO count: last observed in the week",
        "arrests_in_period": "Reference NGO: arrests, last reported in the week",
        "releases_in_period": "Reference NGO: releases, last reported in the week",
        "persons_released": "Persons released: sum of known daily figures (lower bound)",
    },
    "release_nationalities": {"date": "Date of the release episode"},
    "renamed_ids": {"id": "Old id, as it was cited"},
}
for _cls in sorted(set(EVENT_CLASSES.values())):
    for _t in ("daily", "weekly"):
        _TABLE_LABELS[_t][event_column(_cls)] = f"Events of class {_cls}"

_DESCRIPTIONS: dict[str, str] = {
    "prisoner_counts": "Reported numbers of political prisoners at dated points (curated).",
    "releases": "Release episodes (curated).",
    "sanctions": "Sanctions actions (curated).",
    "diplomatic": "Negotiations, visits, agreements, elections, recognitions (curated).",
    "release_nationalities": "Nationalities of those released, per release episode (curated).",
    "renamed_ids": "Ids that left the record (re-dated or removed rows) and the id to cite today.",
    "events": "Diplomatic and sanctions rows on one calendar with an event class.",
    "daily": (
        "One row per day of the study period. Releases and events are day-precision rows; "
        "events exclude rows that are releases (describes_release) and rows found only "
        "through a release's source, as the timing tests do. The reference NGO's count and "
        "flows appear only on the dates it reported them (no interpolation)."
    ),
    "weekly": (
        "The daily panel aggregated to weeks starting Monday: counts summed, the NGO's count "
        "and flows the last value observed in the week."
    ),
}


def _categories() -> dict[str, tuple[str, ...]]:
    """Column -> allowed values, from the schemas (all tables) and the event calendar."""
    cats: dict[str, tuple[str, ...]] = {}
    for spec in TABLES.values():
        cats.update(dict(spec.categories))
    cats["event_class"] = tuple(sorted(set(EVENT_CLASSES.values())))
    cats["source_table"] = ("diplomatic", "sanctions")
    cats["kind"] = (*DIPLOMATIC_SUBTYPES, *(i for i in INSTRUMENTS if i not in DIPLOMATIC_SUBTYPES))
    return cats


def check_stata_names(columns: Sequence[str], table: str) -> None:
    """Raise if a column name is not a valid Stata variable name.

    Raises
    ------
    ValueError
        Naming the table and column: at most 32 characters, a letter or ``_`` then letters,
        digits or ``_``, not a reserved word.
    """
    for col in columns:
        if not _STATA_NAME.match(col) or col in _STATA_RESERVED or keyword.iskeyword(col):
            raise ValueError(
                f"table {table!r} column {col!r} is not a valid Stata name; allowed: at most 32 "
                "characters, a letter or _ then letters, digits or _, not a reserved word"
            )


def variable_type(series: pd.Series, name: str) -> str:
    """A reader's name for a column's type (as the codebook states it)."""
    if name in _categories():
        return "category"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "string"


def _label(table: str, col: str) -> str:
    label = _TABLE_LABELS.get(table, {}).get(col) or LABELS.get(col)
    if label is None:
        raise KeyError(f"table {table!r} column {col!r} has no label; add it to export.LABELS")
    return label[:80]


def _stata_frame(df: pd.DataFrame, table: str) -> tuple[pd.DataFrame, dict, list[str]]:
    """The frame as Stata takes it: categories as value-labelled codes, dates as %td."""
    cats = _categories()
    out = df.copy()
    dates = {}
    strl = []
    for col in out.columns:
        s = out[col]
        if col in cats:
            _check_categories(s, table, col, cats[col])
            out[col] = pd.Categorical(s.astype(object).where(s.notna(), None), categories=cats[col])
        elif pd.api.types.is_datetime64_any_dtype(s):
            dates[col] = "td"
        elif variable_type(s, col) == "string":
            out[col] = s.astype("string").fillna("")  # Stata has no missing string: ""
            if s.astype("string").str.len().fillna(0).max() > _STATA_STR_MAX:
                strl.append(col)
    return out, dates, strl


def _check_categories(s: pd.Series, table: str, col: str, allowed: tuple[str, ...]) -> None:
    bad = s.dropna()[~s.dropna().isin(allowed)]
    if len(bad):
        raise ValueError(
            f"table {table!r} column {col!r} row {bad.index[0]} value {bad.iloc[0]!r} has no "
            f"Stata value label; allowed: {', '.join(allowed)}"
        )


def _write_dta(df: pd.DataFrame, path: Path, table: str) -> None:
    check_stata_names(df.columns, table)
    out, dates, strl = _stata_frame(df, table)
    out.to_stata(
        path,
        version=118,
        write_index=False,
        convert_dates=dates,
        convert_strl=strl,
        variable_labels={c: _label(table, c) for c in df.columns},
        data_label=f"bargaining-chip {table}"[:80],
    )


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "true", False: "false"}).astype("string")
    out.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def _write_table(df: pd.DataFrame, folder: Path, table: str) -> list[str]:
    _write_dta(df, folder / f"{table}.dta", table)
    _write_parquet(df, folder / f"{table}.parquet")
    _write_csv(df, folder / f"{table}.csv")
    return [f"{table}.{ext}" for ext in FORMATS]


def codebook(tables: Mapping[str, pd.DataFrame], country: str = DEFAULT_COUNTRY) -> str:
    """The markdown codebook of an export: every file, variable, type, label and allowed values."""
    cats = _categories()
    label = country_settings(country).label
    lines = [
        f"# Codebook: bargaining-chip export, {label}",
        "",
        "Every table is written three times, with the same rows and columns: Stata `.dta` "
        "(version 118; dates are Stata daily dates `%td`; categories are value-labelled codes; "
        "booleans are 0/1; Stata has no missing string, so missing text is empty), Parquet "
        "(dates as millisecond timestamps; nullable integers and booleans kept) and CSV (dates "
        "`YYYY-MM-DD`, booleans `true`/`false`, missing = empty). Cite the original source of "
        "every row you use (`source_url`).",
        "",
        "| file | rows | columns |",
        "|---|---|---|",
    ]
    for name, df in tables.items():
        files = ", ".join(f"`{name}.{ext}`" for ext in FORMATS)
        lines.append(f"| {files} | {len(df)} | {df.shape[1]} |")
    for name, df in tables.items():
        lines += ["", f"## {name}", "", _DESCRIPTIONS.get(name, ""), ""]
        lines += ["| variable | type | label | values |", "|---|---|---|---|"]
        for col in df.columns:
            values = " / ".join(cats[col]) if col in cats else ""
            kind = variable_type(df[col], col)
            text = _label(name, col).replace("|", "\\|")
            lines.append(f"| `{col}` | {kind} | {text} | {values} |")
    return "\n".join(lines) + "\n"


def export_tables(frames: Mapping[str, pd.DataFrame], country: str) -> dict[str, pd.DataFrame]:
    """Every table an export writes: the curated tables, ``events``, ``daily`` and ``weekly``."""
    tables = {k: v for k, v in frames.items() if k != "events"}
    tables["events"] = frames["events"] if "events" in frames else event_calendar(frames)
    tables["daily"] = daily_panel(tables, country)
    tables["weekly"] = weekly_panel(tables["daily"])
    return tables


def _move_into_place(src: Path, dest: Path) -> None:
    """Replace ``dest`` by ``src`` with renames only (the old folder is removed afterwards)."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
    os.replace(src, dest)
    if old is not None:
        shutil.rmtree(old)


def export(
    country: str = DEFAULT_COUNTRY,
    root: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write ``exports/<country>/`` (Stata, Parquet, CSV and the codebook), all or nothing.

    Parameters
    ----------
    country : str
        A key of :data:`analysis.settings.COUNTRIES`.
    root : path, optional
        Project root.
    out : path, optional
        Parent folder (default ``<root>/exports``); the country's folder goes inside.
    frames : mapping of DataFrame, optional
        Tables to export (default: validated from ``data/raw`` with
        :func:`analysis.record.data.load_raw`).

    Returns
    -------
    Path
        The country's export folder.

    Raises
    ------
    DataValidationError
        If ``data/raw`` fails validation (nothing is written).
    ValueError
        For an unknown country or a column name Stata does not accept (nothing is written).
    """
    country_settings(country)
    base = Path(root) if root else project_root()
    parent = Path(out) if out else base / "exports"
    if frames is None:
        frames = load_raw(base, country)
    tables = export_tables(frames, country)
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix=f".{country}-") as tmp:
        folder = Path(tmp) / country
        folder.mkdir()
        for name, df in tables.items():
            _write_table(df, folder, name)
        (folder / "codebook.md").write_text(codebook(tables, country), encoding="utf-8")
        for f in folder.iterdir():
            f.chmod(0o644)
        folder.chmod(0o755)
        _move_into_place(folder, parent / country)
    return parent / country


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analysis.record.export [--country C] [--out DIR]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.record.export",
        description="Write exports/<country>/: tables and panels as Stata, Parquet, CSV.",
    )
    parser.add_argument("--country", action="append", choices=list(COUNTRIES))
    parser.add_argument("--out", default=None, help="parent folder (default exports/)")
    args = parser.parse_args(argv)
    try:
        for country in args.country or countries_present():
            folder = export(country, out=args.out)
            print(f"{folder} written: " + ", ".join(sorted(p.name for p in folder.iterdir())))
    except (DataValidationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
