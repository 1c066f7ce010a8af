"""Read the curated tables in ``data/raw``, validate them, and write ``data/processed``.

``data/raw`` is curated by hand and never written by code. ``data/processed`` is written only by
:func:`build` (``make data`` / ``python -m analysis.record.data build``), deterministically: the
same raw
input gives byte-identical Parquet and CSV files.

Validation collects *every* problem of every file in one pass -- bad encoding, empty file, missing
column, malformed row, bad date, unknown category, duplicate id, missing source, negative count,
``min > max`` -- and reports each with file, line, column, value and rule. Nothing is written when
any problem is found.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.record.schemas import RENAMED_TABLES, TABLES, TableSpec, schema_for
from analysis.settings import (
    COUNTRIES,
    DEFAULT_COUNTRY,
    country_settings,
    processed_dir,
    project_root,
    raw_dir,
)

__all__ = [
    "EVENT_CLASSES",
    "DataValidationError",
    "Problem",
    "build",
    "coverage_table",
    "datapackage",
    "event_calendar",
    "load_processed",
    "load_raw",
    "main",
    "ngo_flows",
    "raw_dir",
    "replace_marked_block",
    "validate_file",
]

#: Event classes of the combined calendar, from diplomatic subtypes and sanctions directions.
EVENT_CLASSES: dict[str, str] = {
    "negotiation_round": "negotiation",
    "mediation_initiative": "negotiation",
    "talks_suspended": "talks_suspended",
    "agreement": "agreement",
    "envoy_visit": "envoy_visit",
    "high_level_meeting": "envoy_visit",
    "election": "election",
    "recognition": "recognition",
    "military_action": "military_action",
    "statement": "statement",
    "other": "other_diplomatic",
    "tightening": "sanctions_tightening",
    "relief": "sanctions_relief",
}

_ORDER = ("prisoner_counts", "releases", "sanctions", "diplomatic")
_LINKED = ("release_nationalities", "sweeps", "sweep_episodes", "renamed_ids")


@dataclass(frozen=True)
class Problem:
    """One validation problem, located to the file, line and column."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        col = f" column {self.column!r}" if self.column else ""
        val = f" value {self.value!r}" if self.value is not None else ""
        return f"{where}{col}{val}: {self.rule}"


class DataValidationError(ValueError):
    """Raised when curated data fail validation; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = f"{len(problems)} problem(s) in data/raw; nothing was written:\n"
        super().__init__(head + "\n".join(f"  {p}" for p in problems))


def _label(path: Path) -> str:
    """How a file is named in messages: ``<country>/<file>`` inside ``data/raw``, else its name."""
    return f"{path.parent.name}/{path.name}" if path.parent.parent.name == "raw" else path.name


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    data = path.read_bytes()
    if not data.strip():
        problems.append(Problem(_label(path), None, None, None, "file is empty"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.end]
        problems.append(
            Problem(_label(path), line, None, repr(bad)[2:-1], "file must be UTF-8 encoded")
        )
        return None
    return text.removeprefix("\ufeff")


def _parse_csv(
    path: Path, text: str, spec: TableSpec, problems: list[Problem]
) -> tuple[pd.DataFrame, list[int]] | None:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(_label(path), None, None, None, "file is empty"))
        return None
    header = [h.strip() for h in header]
    missing = [c for c in spec.columns if c not in header and c not in spec.optional]
    for c in missing:
        problems.append(Problem(_label(path), 1, c, None, "required column is missing"))
    for c in header:
        if c not in spec.columns:
            problems.append(
                Problem(_label(path), 1, c, None, "unknown column (see data/README.md)")
            )
    dupes = sorted({c for c in header if header.count(c) > 1})
    for c in dupes:
        problems.append(Problem(_label(path), 1, c, None, "column appears more than once"))
    rows: list[list[str]] = []
    lines: list[int] = []
    prev = reader.line_num
    try:
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not any(f.strip() for f in rec):
                continue
            if len(rec) != len(header):
                problems.append(
                    Problem(
                        _label(path),
                        start,
                        None,
                        None,
                        f"row has {len(rec)} fields; the header has {len(header)}",
                    )
                )
                continue
            rows.append([f.strip() for f in rec])
            lines.append(start)
    except csv.Error as exc:
        problems.append(Problem(_label(path), reader.line_num, None, None, f"malformed CSV: {exc}"))
        return None
    if not rows and not missing:
        problems.append(Problem(_label(path), None, None, None, "file has a header but no rows"))
    if missing or dupes:
        return None
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame = frame.replace("", None)
    frame = frame.astype({c: "str" for c in header}).where(frame.notna(), None)
    for c in spec.optional:
        if c not in frame.columns:
            frame[c] = pd.Series([None] * len(frame), dtype=object)
    return frame, lines


def _pandera_problems(
    path: Path, frame: pd.DataFrame, lines: list[int], spec: TableSpec
) -> list[Problem]:
    import pandera.pandas as pa

    out: list[Problem] = []
    try:
        schema_for(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        for rec in fc.itertuples(index=False):
            idx = rec.index
            line = lines[int(idx)] if idx is not None and not pd.isna(idx) else None
            check = str(rec.check)
            if check == "not_nullable":
                rule = "value is required (empty)"
                value = None
            elif check == "field_uniqueness":
                rule = "duplicate id"
                value = str(rec.failure_case)
            elif check.startswith("dtype"):
                continue
            else:
                rule = check
                value = None if pd.isna(rec.failure_case) else str(rec.failure_case)
            out.append(Problem(_label(path), line, str(rec.column), value, rule))
    return out


def _cross_problems(
    path: Path, frame: pd.DataFrame, lines: list[int], spec: TableSpec
) -> list[Problem]:
    out: list[Problem] = []

    def num(col: str) -> pd.Series:
        return pd.to_numeric(frame[col], errors="coerce")

    if spec.name == "releases":
        lo, best, hi = num("n_released_min"), num("n_released"), num("n_released_max")
        for i in np.flatnonzero((lo > hi).to_numpy()):
            out.append(
                Problem(
                    _label(path),
                    lines[i],
                    "n_released_min",
                    f"{lo[i]:.0f} > {hi[i]:.0f}",
                    "n_released_min must not exceed n_released_max",
                )
            )
        for i in np.flatnonzero(((best < lo) | (best > hi)).to_numpy()):
            out.append(
                Problem(
                    _label(path),
                    lines[i],
                    "n_released",
                    f"{best[i]:.0f}",
                    "n_released must lie within [n_released_min, n_released_max]",
                )
            )
        for i in np.flatnonzero((best.notna() & frame["reported_by"].isna()).to_numpy()):
            out.append(
                Problem(
                    _label(path),
                    lines[i],
                    "reported_by",
                    None,
                    "reported_by is required when n_released is given",
                )
            )
    if spec.name == "diplomatic":
        s = pd.to_datetime(frame["date"], errors="coerce", format="%Y-%m-%d")
        e = pd.to_datetime(frame["end_date"], errors="coerce", format="%Y-%m-%d")
        for i in np.flatnonzero((e < s).to_numpy()):
            out.append(
                Problem(
                    _label(path),
                    lines[i],
                    "end_date",
                    frame["end_date"].iloc[i],
                    "end_date must not be before date",
                )
            )
    if "date" not in frame.columns:
        return out
    ids, dates = frame["id"], frame["date"]
    for i, (id_, date) in enumerate(zip(ids, dates, strict=True)):
        if isinstance(id_, str) and isinstance(date, str) and id_.count("-") >= 2:
            if id_.split("-")[1] != date.replace("-", ""):
                out.append(
                    Problem(
                        _label(path),
                        lines[i],
                        "id",
                        id_,
                        f"the date in the id must match column date ({date})",
                    )
                )
    return out


def validate_file(
    path: str | os.PathLike[str], spec: TableSpec
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate one raw CSV against its table spec.

    Parameters
    ----------
    path : path
        The CSV file.
    spec : TableSpec
        Its table (see :data:`analysis.record.schemas.TABLES`).

    Returns
    -------
    frame : DataFrame or None
        The text form of the table (None if it could not be read at all).
    problems : list of Problem
        Every problem found (empty if the file is valid).
    """
    path = Path(path)
    problems: list[Problem] = []
    if not path.is_file():
        return None, [Problem(_label(path), None, None, None, f"file not found at {path}")]
    text = _read_text(path, problems)
    if text is None:
        return None, problems
    parsed = _parse_csv(path, text, spec, problems)
    if parsed is None:
        return None, problems
    frame, lines = parsed
    if frame.empty:
        return frame, problems
    problems.extend(_pandera_problems(path, frame, lines, spec))
    problems.extend(_cross_problems(path, frame, lines, spec))
    problems.sort(key=lambda p: (p.line or 0, p.column or ""))
    return frame, problems


def _typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    out = frame.loc[:, list(spec.columns)].copy()
    for c in spec.dates:
        out[c] = pd.to_datetime(out[c], format="%Y-%m-%d").astype("datetime64[s]")
    for c in spec.counts:
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    for c in spec.booleans:
        out[c] = out[c].map({"true": True, "false": False}).astype("boolean")
    for c, _ in spec.categories:
        out[c] = out[c].astype("string")
    for c in spec.columns:
        if c not in (*spec.dates, *spec.counts, *spec.booleans) and c not in dict(spec.categories):
            out[c] = out[c].astype("string")
    keys = ["date", "id"] if "date" in spec.columns else ["id"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def load_raw(
    root: str | os.PathLike[str] | None = None, country: str = DEFAULT_COUNTRY
) -> dict[str, pd.DataFrame]:
    """Validate and load one country's curated tables with proper dtypes.

    Parameters
    ----------
    root : path, optional
        Project root (default: found from the working directory).
    country : str
        A key of :data:`analysis.settings.COUNTRIES`; the tables are in ``data/raw/<country>/``.

    Returns
    -------
    dict of DataFrame
        ``prisoner_counts``, ``releases``, ``sanctions``, ``diplomatic`` (and
        ``release_nationalities`` where the country has it), sorted by date and id; dates as
        ``datetime64``, counts as nullable ``Int64``.

    Raises
    ------
    DataValidationError
        With every problem of every file, located to file, line, column and value.
    ValueError
        For an unknown ``country``.
    """
    folder = raw_dir(root, country)
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name in (*_ORDER, *_LINKED):
        spec = TABLES[name]
        path = folder / spec.filename
        if not spec.table_required and not path.is_file():
            continue
        if name == "prisoner_counts" and not path.is_file() and not _has_counts(country):
            frames[name] = _typed(pd.DataFrame({c: pd.Series([], dtype=object)
                                                for c in spec.columns}), spec)  # fmt: skip
            continue
        frame, found = validate_file(path, spec)
        problems.extend(found)
        if frame is not None and not found:
            frames[name] = _typed(frame, spec)
    if not problems:
        problems.extend(_link_problems(frames, country))
    if problems:
        raise DataValidationError(problems)
    return frames


def _has_counts(country: str) -> bool:
    """False for a country whose settings say no NGO publishes a count of political prisoners."""
    try:
        return country_settings(country).has_counts
    except ValueError:
        return True


def _exchange_problems(frames: Mapping[str, pd.DataFrame], country: str) -> list[Problem]:
    """Exchange coding is consistent: releases name existing exchange events; a handover or
    announced exchange describes a release (docs/curation_notes/exchange_coding.md)."""
    out = []
    roles = {}
    for name in ("diplomatic", "sanctions"):
        fr = frames[name]
        for rid, role in zip(fr["id"], fr["exchange_role"], strict=True):
            roles[rid] = role
    dip = frames["diplomatic"]
    for r in dip.itertuples(index=False):
        role = r.exchange_role if isinstance(r.exchange_role, str) else ""
        if role in ("handover", "announced_exchange") and not pd.isna(r.describes_release) and (
            not bool(r.describes_release)
        ):
            out.append(Problem(f"{country}/diplomatic.csv", None, "describes_release", "false",
                               f"row {r.id}: a {role} row must have "
                               "describes_release = true"))  # fmt: skip
    rel = frames["releases"]
    for rid, ev in zip(rel["id"], rel["exchange_event_id"], strict=True):
        if not (isinstance(ev, str) and ev):
            continue
        if ev not in roles:
            rule = f"row {rid}: exchange_event_id must name an id in sanctions or diplomatic"
            out.append(Problem(f"{country}/releases.csv", None, "exchange_event_id", ev, rule))
        elif not isinstance(roles[ev], str) or roles[ev] not in ("handover", "announced_exchange"):
            rule = (f"row {rid}: exchange_event_id must name a handover or announced_exchange "
                    f"event ({ev} has exchange_role {roles[ev]!r})")  # fmt: skip
            out.append(Problem(f"{country}/releases.csv", None, "exchange_event_id", ev, rule))
    return out


def _true(x: object) -> bool:
    """True for a true boolean cell (pandas' nullable booleans are not ``True`` by identity)."""
    return bool(x) if not pd.isna(x) else False


def _sweep_problems(frames: Mapping[str, pd.DataFrame], country: str) -> list[Problem]:
    """Sweep episodes name existing releases; a release the sweep found is flagged
    ``sweep_found`` and a ``detection = sweep`` row was found by the sweep."""
    rel = frames["releases"]
    out = []
    for r in rel.itertuples(index=False):
        if isinstance(r.detection, str) and r.detection == "sweep" and not _true(r.sweep_found):
            out.append(Problem(f"{country}/releases.csv", None, "sweep_found",
                               str(r.sweep_found), f"row {r.id}: a detection = sweep row must "
                               "have sweep_found = true"))  # fmt: skip
    if "sweep_episodes" not in frames:
        return out
    eps = frames["sweep_episodes"]
    ids = set(rel["id"])
    named = set(eps["release_id"])
    for r in eps.itertuples(index=False):
        if r.release_id not in ids:
            rule = f"row {r.id}: release_id must name an id in releases"
            out.append(Problem(f"{country}/sweep_episodes.csv", None, "release_id",
                               r.release_id, rule))  # fmt: skip
    for r in rel.itertuples(index=False):
        if r.id in named and not _true(r.sweep_found):
            out.append(Problem(f"{country}/releases.csv", None, "sweep_found", str(r.sweep_found),
                               f"row {r.id}: the sweep found it (sweep_episodes), so "
                               "sweep_found must be true"))  # fmt: skip
        if _true(r.sweep_found) and r.id not in named:
            out.append(Problem(f"{country}/releases.csv", None, "sweep_found", "true",
                               f"row {r.id}: sweep_found = true but no sweep_episodes row "
                               "names it"))  # fmt: skip
    return out


#: The table an id's prefix names (``renamed_ids.new_id`` may point into another table: a count
#: row removed because it repeated a release's figure points at that release).
_ID_TABLES = {TABLES[t].id_prefix: t for t in RENAMED_TABLES}


def _rename_problems(frames: Mapping[str, pd.DataFrame], country: str) -> list[Problem]:
    """An old id no longer exists in its table; a renamed id's ``new_id`` exists (and a
    removed one's, if given: the row it repeated), in the table its prefix names."""
    if "renamed_ids" not in frames:
        return []
    where = f"{country}/renamed_ids.csv"

    def ids_of(table: str) -> set[str]:
        return set(frames[table]["id"]) if table in frames else set()

    out = []
    for r in frames["renamed_ids"].itertuples(index=False):
        if r.id in ids_of(r.in_table):
            rule = (f"row {r.id}: the old id still exists in {r.in_table}; a renamed or removed "
                    "id must be gone from it")  # fmt: skip
            out.append(Problem(where, None, "id", r.id, rule))
        new = r.new_id if isinstance(r.new_id, str) and r.new_id else None
        if r.change == "renamed" and new is None:
            out.append(Problem(where, None, "new_id", "", f"row {r.id}: a renamed id needs its "
                               "new_id"))  # fmt: skip
        if new is not None:
            target = _ID_TABLES[new.split("-", 1)[0]]
            if new not in ids_of(target):
                out.append(Problem(where, None, "new_id", new, f"row {r.id}: new_id must name "
                                   f"an id in {target}"))  # fmt: skip
    return out


def _link_problems(frames: Mapping[str, pd.DataFrame], country: str) -> list[Problem]:
    known = set(frames["sanctions"]["id"]) | set(frames["diplomatic"]["id"])
    out = _exchange_problems(frames, country) + _sweep_problems(frames, country)
    out += _rename_problems(frames, country)
    rel = frames["releases"]
    for rid, link in zip(rel["id"], rel["linked_event_id"], strict=True):
        if isinstance(link, str) and link and link not in known:
            out.append(
                Problem(
                    f"{country}/releases.csv",
                    None,
                    "linked_event_id",
                    link,
                    f"row {rid}: linked_event_id must name an id in sanctions or diplomatic",
                )
            )
    if "release_nationalities" in frames:
        out.extend(_nationality_problems(frames["release_nationalities"], rel, country))
    return out


def _nationality_problems(nat: pd.DataFrame, rel: pd.DataFrame, country: str) -> list[Problem]:
    """Each nationality row names a release; persons per episode never exceed its largest figure."""
    where = f"{country}/release_nationalities.csv"
    iso3 = country_settings(country).iso3
    top = rel.set_index("id")["n_released_max"].fillna(rel.set_index("id")["n_released"])
    out = []
    for r in nat.itertuples(index=False):
        if r.release_id not in top.index:
            rule = f"row {r.id}: release_id must name an id in releases"
            out.append(Problem(where, None, "release_id", r.release_id, rule))
        if r.nationality == iso3:
            rule = f"row {r.id}: nationality must be foreign ({iso3} is the country itself)"
            out.append(Problem(where, None, "nationality", r.nationality, rule))
    known = nat[nat["release_id"].isin(top.index)]
    total = known.groupby("release_id")["n_persons"].sum(min_count=1)
    for rid, n in total.items():
        cap = top.get(rid)
        if pd.notna(n) and pd.notna(cap) and int(n) > int(cap):
            rule = (
                f"release {rid}: n_persons over its nationalities ({int(n)}) must not exceed "
                f"the episode's largest reported total ({int(cap)})"
            )
            out.append(Problem(where, None, "n_persons", str(int(n)), rule))
    return out


def event_calendar(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One table of dated events from ``diplomatic`` and ``sanctions`` with an ``event_class``.

    Classes are :data:`EVENT_CLASSES`: diplomatic subtypes grouped (negotiation rounds and
    mediators' initiatives are ``negotiation``; envoy visits and high-level meetings are
    ``envoy_visit``) and sanctions split by direction (``sanctions_tightening``,
    ``sanctions_relief``).

    Every event keeps its ``description`` and citation (``source_name``, ``source_url``), so a
    pair of a release and an event can be checked against both pages (see
    :func:`analysis.timing.pairs.coincidence_pairs`).
    """
    dip = frames["diplomatic"]
    san = frames["sanctions"]
    a = pd.DataFrame(
        {
            "id": dip["id"],
            "date": dip["date"],
            "date_precision": dip["date_precision"],
            "source_table": "diplomatic",
            "kind": dip["subtype"],
            "event_class": dip["subtype"].map(EVENT_CLASSES),
            "describes_release": dip["describes_release"],
            "found_via": dip["found_via"],
            "exchange_role": dip["exchange_role"],
            "counterparts": dip["counterparts"],
            "description": dip["description"],
            "source_name": dip["source_name"],
            "source_url": dip["source_url"],
        }
    )
    b = pd.DataFrame(
        {
            "id": san["id"],
            "date": san["date"],
            "date_precision": san["date_precision"],
            "source_table": "sanctions",
            "kind": san["instrument"],
            "event_class": san["direction"].map(EVENT_CLASSES),
            "describes_release": pd.array([False] * len(san), dtype="boolean"),
            "found_via": "event_search",
            "exchange_role": san["exchange_role"],
            "counterparts": san["counterparts"],
            "description": san["description"],
            "source_name": san["source_name"],
            "source_url": san["source_url"],
        }
    )
    out = pd.concat([a, b], ignore_index=True)
    out = out.astype({c: "string" for c in out.columns if c not in ("date", "describes_release")})
    return out.sort_values(["date", "id"], kind="stable").reset_index(drop=True)


_FLOW_MEASURES = {"arrests": "arrests_in_period", "releases": "releases_in_period"}


def _flow_rows(g: pd.DataFrame, measure: str) -> list[dict]:
    """One group (reporter, period start, measure): first figure as reported, then differences."""
    by_day = g.groupby("date", sort=True).agg(value=("value", "max"), id=("id", "first"))
    rows, prev_day, prev_val = [], None, None
    for day, r in by_day.iterrows():
        first = prev_day is None
        start = g["period_start"].iloc[0] if first else prev_day + pd.Timedelta(days=1)
        value = float(r["value"]) if first else float(r["value"]) - prev_val
        kind = "as_reported" if first else "difference_of_running_totals"
        if value < 0:
            value, kind = float("nan"), "inconsistent_running_totals"
        rows.append(
            dict(
                id=r["id"],
                reported_by=g["reported_by"].iloc[0],
                measure=measure,
                period_start=start,
                period_end=day,
                value=value,
                derivation=kind,
            )
        )
        prev_day = day
        prev_val = float(r["value"]) if first else max(prev_val, float(r["value"]))
    return rows


def ngo_flows(prisoner_counts: pd.DataFrame) -> pd.DataFrame:
    """Arrests and releases per period, from count rows that state their period's first day.

    A row with ``period_start`` and an ``arrests_in_period`` or ``releases_in_period`` figure
    covers ``[period_start, date]``. Several rows of one reporter with the same ``period_start``
    are running totals ("since 8 January"): the first is kept as reported and each later one
    becomes the difference from the previous total, covering the days since it
    (``derivation = "difference_of_running_totals"``; the largest figure of a day is used). A
    total that falls is not differenced (``value`` nan, ``"inconsistent_running_totals"``), and
    later differences are taken from the largest total reported so far.
    Periods of different reporters or start days overlap and are not additive.

    Returns
    -------
    DataFrame
        ``id`` (the count row), ``reported_by``, ``measure`` (arrests / releases),
        ``period_start``, ``period_end``, ``days``, ``value``, ``derivation``.
    """
    cols = ["id", "reported_by", "measure", "period_start", "period_end", "days", "value",
            "derivation"]  # fmt: skip
    pc = prisoner_counts
    if "period_start" not in pc:
        return pd.DataFrame(columns=cols)
    rows: list[dict] = []
    for measure, col in _FLOW_MEASURES.items():
        sub = pc[pc["period_start"].notna() & pc[col].notna()]
        sub = sub.assign(value=sub[col].astype("float64"))
        for _, g in sub.groupby(["reported_by", "period_start"], sort=True):
            rows.extend(_flow_rows(g, measure))
    out = pd.DataFrame(rows, columns=cols[:5] + cols[6:])
    for c in ("period_start", "period_end"):  # typed even when there is no flow at all
        out[c] = pd.to_datetime(out[c])
    out["days"] = (out["period_end"] - out["period_start"]).dt.days.astype("int64") + 1
    out = out[cols].astype({"id": "string", "reported_by": "string", "measure": "string",
                            "derivation": "string"})  # fmt: skip
    out = out.astype({"period_start": "datetime64[s]", "period_end": "datetime64[s]"})
    return out.sort_values(["period_end", "measure", "reported_by", "id"], kind="stable"
                           ).reset_index(drop=True)  # fmt: skip


def coverage_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows per year per table (years as rows, tables as columns, zeros filled)."""
    counts = {
        name: frames[name]["date"].dt.year.value_counts() for name in _ORDER if name in frames
    }
    table = pd.DataFrame(counts).fillna(0).astype("int64").sort_index()
    table.index = table.index.astype("int64")
    table.index.name = "year"
    table.loc["total"] = table.sum()
    return table


def _coverage_markdown(cov: pd.DataFrame) -> str:
    cols = list(cov.columns)
    lines = ["| year | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for year, row in cov.iterrows():
        lines.append(f"| {year} | " + " | ".join(str(int(v)) for v in row) + " |")
    return "\n".join(lines)


def _write_table(df: pd.DataFrame, folder: Path, name: str) -> None:
    import pyarrow as pa_
    import pyarrow.parquet as pq

    csv_text = df.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    (folder / f"{name}.csv").write_text(csv_text, encoding="utf-8")
    table = pa_.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(None)  # no pandas/version metadata: stable bytes
    pq.write_table(table, folder / f"{name}.parquet", compression="zstd")


def countries_present(root: str | os.PathLike[str] | None = None) -> list[str]:
    """Countries of :data:`analysis.settings.COUNTRIES` that have a folder in ``data/raw``."""
    base = Path(root) if root else project_root()
    return [c for c in COUNTRIES if (base / "data" / "raw" / c).is_dir()]


def _build_country(frames: Mapping[str, pd.DataFrame], dest: Path) -> None:
    outputs = dict(frames)
    outputs["events"] = event_calendar(frames)
    outputs["flows"] = ngo_flows(frames["prisoner_counts"])
    dest.mkdir(parents=True, exist_ok=True)
    for name, df in outputs.items():
        _write_table(df, dest, name)
    cov = coverage_table(frames)
    cov.reset_index().astype({"year": "string"}).to_csv(
        dest / "coverage.csv", index=False, lineterminator="\n"
    )


def build(
    root: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    countries: Iterable[str] | None = None,
) -> dict[str, dict[str, pd.DataFrame]]:
    """Validate ``data/raw`` and write ``data/processed`` (Parquet and CSV), all or nothing.

    For each country, ``data/processed/<country>/`` gets its tables, ``events`` (see
    :func:`event_calendar`) and ``coverage`` (see :func:`coverage_table`); ``coverage.md`` at the
    top holds every country's coverage. Every country is validated first; files are written to a
    temporary folder and moved into place only when all are complete.

    Parameters
    ----------
    root : path, optional
        Project root.
    out : path, optional
        Destination (default ``data/processed``).
    countries : iterable of str, optional
        Default: every country with a folder in ``data/raw``.

    Returns
    -------
    dict
        Country -> its tables (as written).

    Raises
    ------
    DataValidationError
        With the problems of every country; ``data/processed`` is then left as it was.
    """
    base = Path(root) if root else project_root()
    names = list(countries) if countries is not None else countries_present(base)
    frames, problems = {}, []
    for c in names:
        try:
            frames[c] = load_raw(base, c)
        except DataValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataValidationError(problems)
    dest = Path(out) if out else base / "data" / "processed"
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".build-") as tmp:
        t = Path(tmp)
        for c, fr in frames.items():
            _build_country(fr, t / c)
        md = "".join(
            f"\n**{country_settings(c).label}**\n\n{_coverage_markdown(coverage_table(fr))}\n"
            for c, fr in frames.items()
        )
        (t / "coverage.md").write_text(md.lstrip("\n"), encoding="utf-8")
        for f in sorted(t.iterdir()):
            target = dest / f.name
            if f.is_dir() and target.exists():
                import shutil

                shutil.rmtree(target)
            os.replace(f, target)
    (dest / ".built").write_text("ok\n", encoding="utf-8")
    return frames


def load_processed(
    root: str | os.PathLike[str] | None = None,
    tables: Iterable[str] | None = None,
    country: str = DEFAULT_COUNTRY,
) -> dict[str, pd.DataFrame]:
    """Load one country's Parquet tables from ``data/processed/<country>`` (run ``make data``).

    Parameters
    ----------
    root : path, optional
        Project root.
    tables : iterable of str, optional
        Subset of ``prisoner_counts``, ``releases``, ``sanctions``, ``diplomatic``, ``events``
        (and ``release_nationalities`` where the country has it).
    country : str
        A key of :data:`analysis.settings.COUNTRIES` (default ``"venezuela"``).

    Raises
    ------
    FileNotFoundError
        If a table has not been built, with the command that builds it.
    ValueError
        For an unknown ``country``.
    """
    folder = processed_dir(root, country)
    names = list(tables) if tables else [*_ORDER, "events"]
    out = {}
    for name in names:
        p = folder / f"{name}.parquet"
        if not p.is_file():
            raise FileNotFoundError(f"{p} not found; build it with `make data`")
        out[name] = pd.read_parquet(p)
    if tables is None:
        for name in ("release_nationalities", "flows", "sweeps", "sweep_episodes", "renamed_ids"):
            extra = folder / f"{name}.parquet"
            if extra.is_file():
                out[name] = pd.read_parquet(extra)
    return out


def replace_marked_block(path: str | os.PathLike[str], name: str, block: str) -> bool:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in a file.

    Parameters
    ----------
    path : path
        A Markdown file (e.g. ``data/README.md``).
    name : str
        The block's marker name (``coverage``, ``capture-recapture``).
    block : str
        The new text, ending with a newline.

    Returns
    -------
    bool
        True if the file changed (it is written only then).

    Raises
    ------
    ValueError
        If the file lacks either marker.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    new = f"{head}{start}\n{block}{end}{tail}"
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def update_readme_coverage(root: str | os.PathLike[str] | None = None) -> bool:
    """Rewrite the generated coverage block of ``data/README.md``; True if it changed."""
    base = Path(root) if root else project_root()
    block = (base / "data" / "processed" / "coverage.md").read_text(encoding="utf-8")
    return replace_marked_block(base / "data" / "README.md", "coverage", block)


def _tables_on_disk(root: str | os.PathLike[str] | None = None) -> dict[str, list[str]]:
    base = Path(root) if root else project_root()
    return {
        c: [n for n in (*_ORDER, *_LINKED) if (raw_dir(base, c) / TABLES[n].filename).is_file()]
        for c in countries_present(base)
    }


def _file_columns(path: Path, spec: TableSpec) -> list[str]:
    """The columns of a raw file as they are, in file order (a file may leave out optional
    columns); the schema's columns where the file cannot be read."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = [h.strip() for h in next(csv.reader(fh))]
    except (OSError, StopIteration, UnicodeDecodeError):
        return list(spec.columns)
    return header or list(spec.columns)


def datapackage(
    spec_tables: Mapping[str, TableSpec] | None = None,
    countries: Mapping[str, Iterable[str]] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> dict:
    """The Frictionless data-package descriptor of the raw tables (``data/datapackage.json``).

    Field types and allowed values come from :mod:`analysis.record.schemas`, so the descriptor
    cannot
    drift from the validation rules (a test checks the committed file is current). Each
    resource lists the columns of its file as they are, in file order, so that ``frictionless
    validate data/datapackage.json`` checks the files themselves (a file may leave out the
    optional columns of its table).

    Parameters
    ----------
    spec_tables : mapping, optional
        Table specs (default :data:`analysis.record.schemas.TABLES`).
    countries : mapping, optional
        Country -> table names (default: the tables found in ``data/raw``).
    root : path, optional
        Project root whose ``data/raw`` files are described.
    """
    tables = spec_tables or TABLES
    on_disk = countries if countries is not None else _tables_on_disk(root)
    resources = []
    for country, name in ((c, n) for c, names in on_disk.items() for n in names):
        spec = tables[name]
        cats = dict(spec.categories)
        fields = []
        for col in _file_columns(raw_dir(root, country) / spec.filename, spec):
            kind = (
                "date"
                if col in spec.dates
                else "integer"
                if col in spec.counts
                else "boolean"
                if col in spec.booleans
                else "string"
            )
            field: dict = {"name": col, "type": kind}
            constraints: dict = {}
            if col in spec.required:
                constraints["required"] = True
            if col == "id":
                constraints["unique"] = True
                constraints["pattern"] = spec.id_regex[0]
            if col in spec.counts:
                constraints["minimum"] = 0
            if col in cats:
                constraints["enum"] = list(cats[col])
            if kind == "boolean":
                field["trueValues"], field["falseValues"] = ["true"], ["false"]
            if constraints:
                field["constraints"] = constraints
            fields.append(field)
        resources.append(
            {
                "name": f"{country}-{name.replace('_', '-')}",
                "path": f"raw/{country}/{spec.filename}",
                "format": "csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": "id", "missingValues": [""]},
            }
        )
    return {
        "name": "bargaining-chip",
        "title": (
            "Political prisoners, releases, sanctions and diplomacy, 2014-2026: "
            + ", ".join(country_settings(c).label for c in on_disk)
        ),
        "description": "Hand-curated, cited event record; see data/README.md for the dictionary.",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": resources,
    }


def _datapackage_text() -> str:
    import json

    return json.dumps(datapackage(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.record.data {build,validate,readme}``."""
    parser = argparse.ArgumentParser(prog="python -m analysis.record.data")
    parser.add_argument("command", choices=["build", "validate", "readme"])
    parser.add_argument(
        "--country",
        action="append",
        choices=list(COUNTRIES),
        help="only this country (repeatable; default: every folder in data/raw)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            for country in args.country or countries_present():
                for k, v in load_raw(country=country).items():
                    print(f"{country}/{k}: {len(v)} rows valid")
        elif args.command == "build":
            for country, outputs in build(countries=args.country).items():
                print(
                    f"data/processed/{country} written: "
                    + ", ".join(f"{k} ({len(v)})" for k, v in outputs.items())
                )
        else:
            changed = update_readme_coverage()
            print("data/README.md coverage " + ("updated" if changed else "already current"))
            (project_root() / "data" / "datapackage.json").write_text(
                _datapackage_text(), encoding="utf-8"
            )
            print("data/datapackage.json written")
    except DataValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
