"""A researcher's own rows, merged with the curated record without touching ``data/raw``.

User rows have the schema of the curated tables (see ``data/README.md``) and live in
``data/user/<country>/<table>.csv`` (ignored by git; header-only templates are in
``data/user/template/``) or in files named by the ``files`` parameter. They are validated with
the same located errors as the curated tables (:func:`analysis.record.data.validate_file`), except
that
a user file may leave out any column that is not required. On top of those rules:

- an id may not collide with a curated id (nor repeat within the user's file);
- a class (subtype, direction, mechanism, ...) must be one the schema knows;
- a file must be UTF-8 CSV (a spreadsheet saved as ``.xlsx`` is refused with a hint, and a
  semicolon-separated file -- what Excel writes in many European locales -- gets one line saying
  so and how to save it with commas);
- a user release's ``linked_event_id`` must name a curated or user event.

A date after the last date the record covers (the country's study period end, e.g. a typo such
as 2031) is merged but warned about (:class:`UserDataWarning`).

:func:`load_with_user` returns the tables with an ``origin`` column (``curated`` / ``user``) and
rebuilds ``events`` so that user diplomatic and sanctions rows take part in every analysis.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from analysis.record.data import (
    DataValidationError,
    Problem,
    _typed,
    event_calendar,
    load_processed,
    validate_file,
)
from analysis.record.schemas import TABLES, TableSpec
from analysis.settings import DEFAULT_COUNTRY, country_settings, project_root

__all__ = [
    "ORIGINS",
    "USER_TABLES",
    "UserDataError",
    "UserDataWarning",
    "load_with_user",
    "user_spec",
]

#: Values of the ``origin`` column.
ORIGINS: tuple[str, ...] = ("curated", "user")
#: Tables a user may add rows to.
USER_TABLES: tuple[str, ...] = (
    "prisoner_counts",
    "releases",
    "sanctions",
    "diplomatic",
    "release_nationalities",
)
_UTF8_HINT = " (save it as 'CSV UTF-8'; in Excel: File > Save As > CSV UTF-8)"


class UserDataError(DataValidationError):
    """User rows failed validation; ``problems`` lists every one, located to file, line, column."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = f"{len(problems)} problem(s) in user files; no user row was merged:\n"
        ValueError.__init__(self, head + "\n".join(f"  {p}" for p in problems))


class UserDataWarning(UserWarning):
    """User rows that are merged but look wrong (e.g. dated after the end of the record)."""


_SEMICOLON_HINT = (
    "file looks semicolon-separated (its header is {header!r}), as Excel writes CSV in many "
    "European locales; save it with commas: set the list separator to ',' (Windows: Settings > "
    "Time & language > Region > Additional settings; macOS: Language & Region > Number format) "
    "and save again as 'CSV UTF-8', or in LibreOffice Calc save as Text CSV with field "
    "delimiter ','"
)


def _semicolon_header(path: Path, spec: TableSpec) -> str | None:
    """The header line if the file is separated by semicolons rather than commas, else None."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if "," in header or ";" not in header:
        return None
    names = [h.strip().strip('"') for h in header.split(";")]
    return header if any(n in spec.columns for n in names) else None


def _late_dates(frame: pd.DataFrame, spec: TableSpec, label: str, last: str) -> list[str]:
    """Messages for dates after ``last`` (ISO), located by file, row id and column."""
    out = []
    for col in spec.dates:
        if col not in frame.columns:
            continue
        for rid, value in zip(frame["id"], frame[col], strict=True):
            if isinstance(value, str) and value > last:
                out.append(
                    f"{label} row {rid} column {col!r} value {value!r}: after {last}, the last "
                    "date the record covers; the row is merged, but check the year (the "
                    "default study period and the curated events end there)"
                )
    return out


def user_spec(spec: TableSpec) -> TableSpec:
    """The table's spec for user files: every column that is not required may be left out."""
    optional = tuple(c for c in spec.columns if c not in spec.required)
    return dataclasses.replace(spec, optional=optional)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _user_files(
    country: str, root: Path, user_dir: str | os.PathLike[str] | None, files: Mapping | None
) -> dict[str, Path]:
    """Table -> user file: ``files`` first, else ``<user_dir>/<table>.csv`` where present."""
    folder = Path(user_dir) if user_dir else root / "data" / "user" / country
    found = {t: folder / f"{t}.csv" for t in USER_TABLES if (folder / f"{t}.csv").is_file()}
    for table, path in (files or {}).items():
        if table not in USER_TABLES:
            raise ValueError(f"files names table {table!r}; allowed: {', '.join(USER_TABLES)}")
        found[table] = Path(path)
    return found


def _read_user(
    path: Path, table: str, label: str, last_date: str | None = None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate one user file; a header-only file (a copied template) gives no rows. Dates after
    ``last_date`` are warned about (:class:`UserDataWarning`)."""
    if path.is_file() and path.suffix.lower() != ".csv":
        rule = f"file must be a UTF-8 CSV, not {path.suffix or 'a file without extension'}"
        return None, [Problem(label, None, None, None, rule + _UTF8_HINT)]
    spec = user_spec(TABLES[table])
    header = _semicolon_header(path, spec) if path.is_file() else None
    if header is not None:
        shown = header if len(header) <= 60 else header[:57] + "..."
        return None, [Problem(label, 1, None, None, _SEMICOLON_HINT.format(header=shown))]
    frame, problems = validate_file(path, spec)
    problems = [dataclasses.replace(p, file=label) for p in problems]
    problems = [
        dataclasses.replace(p, rule=p.rule + _UTF8_HINT) if "UTF-8" in p.rule else p
        for p in problems
        if p.rule != "file has a header but no rows"
    ]
    if frame is None or problems or frame.empty:
        return None, problems
    if last_date:
        for message in _late_dates(frame, spec, label, last_date):
            warnings.warn(message, UserDataWarning, stacklevel=4)
    return _typed(frame, spec), []


def _collisions(user: pd.DataFrame, curated: pd.DataFrame, label: str, where: str) -> list:
    clash = user["id"][user["id"].isin(set(curated["id"]))]
    return [
        Problem(label, None, "id", str(v), f"id collides with a curated id in {where}; "
                "give the user row another number n (e.g. 901)")
        for v in clash
    ]  # fmt: skip


def _link_problems(merged: Mapping[str, pd.DataFrame], label: str | None) -> list[Problem]:
    if label is None:
        return []
    rel = merged["releases"]
    rel = rel[rel["origin"] == "user"]
    known = set(merged["sanctions"]["id"]) | set(merged["diplomatic"]["id"])
    return [
        Problem(label, None, "linked_event_id", link,
                f"row {rid}: linked_event_id must name a curated or user event id")
        for rid, link in zip(rel["id"], rel["linked_event_id"], strict=True)
        if isinstance(link, str) and link and link not in known
    ]  # fmt: skip


def _align(user: pd.DataFrame, curated: pd.DataFrame) -> pd.DataFrame:
    """User columns in the curated order and, where possible, the curated dtypes."""
    out = user.reindex(columns=curated.columns)
    for col in curated.columns:
        if out[col].dtype != curated[col].dtype:
            try:
                out[col] = out[col].astype(curated[col].dtype)
            except (TypeError, ValueError):
                out[col] = out[col].astype(object)
    return out


def _merge(curated: pd.DataFrame, user: pd.DataFrame | None) -> pd.DataFrame:
    base = curated.drop(columns="origin", errors="ignore").assign(origin="curated")
    if user is None or user.empty:
        out = base
    else:
        out = pd.concat([base, _align(user, curated).assign(origin="user")], ignore_index=True)
    out["origin"] = out["origin"].astype("string")
    return out.sort_values(["date", "id"], kind="stable").reset_index(drop=True)


def _events_with_origin(merged: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    events = event_calendar(merged)
    origin = pd.concat([merged["diplomatic"], merged["sanctions"]]).set_index("id")["origin"]
    events["origin"] = events["id"].map(origin).astype("string")
    return events


def load_with_user(
    frames_or_country: Mapping[str, pd.DataFrame] | str = DEFAULT_COUNTRY,
    user_dir: str | os.PathLike[str] | None = None,
    files: Mapping[str, str | os.PathLike[str]] | None = None,
    *,
    country: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The curated tables with a researcher's own rows added, each row marked by ``origin``.

    Nothing is written: ``data/raw`` and ``data/processed`` stay as they are.

    Parameters
    ----------
    frames_or_country : mapping of DataFrame or str
        Curated tables (e.g. from :func:`analysis.record.data.load_processed`), or a country key
        whose
        processed tables are loaded.
    user_dir : path, optional
        Folder of user files named ``<table>.csv`` (default ``data/user/<country>``; a missing
        folder means no user rows).
    files : mapping, optional
        ``{table: path}``: user files named explicitly (they win over ``user_dir``); tables are
        those of :data:`USER_TABLES`.
    country : str, optional
        The country when ``frames_or_country`` is a mapping (default ``"venezuela"``).
    root : path, optional
        Project root.

    Returns
    -------
    dict of DataFrame
        Every table with an ``origin`` column (``curated`` or ``user``), sorted by date and id;
        ``events`` rebuilt from the merged ``diplomatic`` and ``sanctions``.

    Raises
    ------
    UserDataError
        With every problem of every user file, each naming the file, line, column, value and
        the rule (what is allowed): schema errors as for the curated tables, an id that
        collides with a curated id, a class the schema does not know, a file that is not UTF-8
        CSV, a link to an unknown event. No user row is merged then.
    ValueError
        For an unknown country or a ``files`` key that is not a user table.
    """
    if isinstance(frames_or_country, str):
        country = frames_or_country
        base_root = Path(root) if root else project_root()
        curated = load_processed(base_root, country=country)
    else:
        country = country or DEFAULT_COUNTRY
        base_root = Path(root) if root else project_root()
        curated = dict(frames_or_country)
    country_settings(country)
    paths = _user_files(country, base_root, user_dir, files)
    problems: list[Problem] = []
    user: dict[str, pd.DataFrame] = {}
    for table, path in paths.items():
        label = _display(path, base_root)
        frame, found = _read_user(path, table, label, country_settings(country).end)
        problems.extend(found)
        if frame is not None and table in curated:
            problems.extend(_collisions(frame, curated[table], label, f"{country}/{table}.csv"))
        if frame is not None:
            user[table] = frame
    # derived tables (events, flows) are rebuilt from the merged ones or left out
    merged = {t: _merge(df, user.get(t)) if t in USER_TABLES else df
              for t, df in curated.items() if t in TABLES}  # fmt: skip
    for table in sorted(set(user) - set(merged)):
        merged[table] = user[table].assign(origin=pd.array(["user"] * len(user[table]), "string"))
    rel_label = _display(paths["releases"], base_root) if "releases" in user else None
    problems.extend(_link_problems(merged, rel_label))
    if problems:
        raise UserDataError(problems)
    merged["events"] = _events_with_origin(merged)
    return merged
