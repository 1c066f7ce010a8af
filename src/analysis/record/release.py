"""Versioned data releases: ``python -m analysis.record.release`` (``make release``).

Writes ``dist/bargaining-chip-data-<version>.zip``, one folder inside holding:

- ``raw/<country>/*.csv`` -- the curated tables as they are, and ``datapackage.json`` describing
  them and the processed CSVs (checked with ``frictionless validate``);
- ``processed/<country>/`` -- every processed table as CSV and Parquet, built afresh from ``raw``;
- ``codebook.md`` -- every table and column with its meaning, type and allowed values;
- ``README.md`` (the data dictionary), ``CITATION.cff``;
- ``DATA_CHANGELOG.md`` -- rows added, removed and changed per table and country, with the fields
  that changed, against the previous release;
- ``SHA256SUMS`` -- the SHA-256 of every other file (``sha256sum -c SHA256SUMS`` checks them).

**The previous release** is the newest other ``bargaining-chip-data-*.zip`` in ``dist/`` (keep it
there; ``dist/`` is not in git), or the zip given with ``--previous``. With none, the changelog
says this is the first release. The version defaults to the project's (``pyproject.toml``).

The zip is reproducible: same data, same bytes (entries sorted, fixed timestamps and modes).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.record import data
from analysis.record.dictionary import TABLE_DESCRIPTIONS, column_description
from analysis.record.schemas import TABLES
from analysis.settings import COUNTRIES, project_root

__all__ = [
    "PREFIX",
    "ReleaseResult",
    "TableChange",
    "build_release",
    "changelog",
    "compare",
    "main",
    "previous_release",
    "project_version",
]

PREFIX = "bargaining-chip-data-"
#: Timestamp of every zip entry (the earliest a zip can hold): same data, same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Ids listed per kind of change in the changelog before "and N more".
_MAX_IDS = 40


def project_version(root: str | os.PathLike[str] | None = None) -> str:
    """The project's version, from ``pyproject.toml``."""
    import tomllib

    base = Path(root) if root else project_root()
    with open(base / "pyproject.toml", "rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def _version_key(name: str) -> tuple:
    text = name.removeprefix(PREFIX).removesuffix(".zip")
    try:
        from packaging.version import Version

        return (0, Version(text))
    except Exception:  # not a PEP 440 version: after every proper one, by name
        return (1, text)


def previous_release(dist: str | os.PathLike[str], version: str) -> Path | None:
    """The newest ``bargaining-chip-data-*.zip`` in ``dist`` other than ``version``'s, if any."""
    folder = Path(dist)
    if not folder.is_dir():
        return None
    zips = [p for p in folder.glob(f"{PREFIX}*.zip") if p.name != f"{PREFIX}{version}.zip"]
    earlier = [p for p in zips if _version_key(p.name) < _version_key(f"{PREFIX}{version}.zip")]
    chosen = earlier or zips
    return max(chosen, key=lambda p: _version_key(p.name)) if chosen else None


# ---------------------------------------------------------------------------------------------
# Comparing two releases
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableChange:
    """Rows added, removed and changed in one table of one country between two releases."""

    country: str
    table: str
    rows: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> changed fields
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """True if anything differs."""
        return bool(
            self.added or self.removed or self.changed or self.columns_added or self.columns_removed
        )


def _read_raw_tables(files: Mapping[str, bytes]) -> dict[tuple[str, str], pd.DataFrame]:
    """``(country, table) -> rows as text`` from ``raw/<country>/<table>.csv`` entries."""
    out = {}
    for name, content in files.items():
        m = re.fullmatch(r"raw/([^/]+)/([^/]+)\.csv", name)
        if not m or m.group(2) not in TABLES:
            continue
        df = pd.read_csv(
            io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        out[(m.group(1), m.group(2))] = df
    return out


def compare(old: Mapping[str, bytes] | None, new: Mapping[str, bytes]) -> list[TableChange]:
    """Per country and curated table: rows added, removed and changed (by id), and which fields.

    ``old`` and ``new`` map paths inside a release (``raw/<country>/<table>.csv``) to file
    contents. A column only one side has is reported as added or removed, not as a change of
    every row; an empty cell and a missing column are the same.
    """
    before = _read_raw_tables(old or {})
    after = _read_raw_tables(new)
    order = {c: i for i, c in enumerate(COUNTRIES)}
    keys = sorted(
        set(before) | set(after),
        key=lambda k: (order.get(k[0], len(order)), k[0], list(TABLES).index(k[1])),
    )
    out = []
    for key in keys:
        a = before.get(key, pd.DataFrame(columns=["id"]))
        b = after.get(key, pd.DataFrame(columns=["id"]))
        a_ids, b_ids = list(a["id"]), list(b["id"])
        added = tuple(i for i in b_ids if i not in set(a_ids))
        removed = tuple(i for i in a_ids if i not in set(b_ids))
        common = [c for c in b.columns if c in a.columns and c != "id"]
        changed: dict[str, tuple[str, ...]] = {}
        if len(a) and len(b):
            a_ix = a.drop_duplicates("id").set_index("id")
            b_ix = b.drop_duplicates("id").set_index("id")
            both = [i for i in b_ids if i in a_ix.index]
            diff = a_ix.loc[both, common].ne(b_ix.loc[both, common])
            for i in both:
                cols = tuple(c for c in common if bool(diff.at[i, c]))
                if cols:
                    changed[i] = cols
        only_b = [c for c in b.columns if c not in a.columns]
        only_a = [c for c in a.columns if c not in b.columns]
        if key not in before or key not in after:  # a whole table added or removed
            only_a, only_b = [], []
        out.append(
            TableChange(
                key[0], key[1], len(b), added, removed, changed, tuple(only_b), tuple(only_a)
            )
        )
    return out


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:_MAX_IDS])
    return shown + (f" and {len(ids) - _MAX_IDS} more" if len(ids) > _MAX_IDS else "")


def changelog(version: str, changes: list[TableChange], previous: str | None) -> str:
    """``DATA_CHANGELOG.md``: a table of counts, then per table and country what changed."""
    lines = [f"# Data changelog: {PREFIX}{version}", ""]
    if previous is None:
        lines += [
            "First release: there is no earlier release to compare with. Rows per table and "
            "country:",
            "",
            "| country | table | rows |",
            "|---|---|---|",
        ]
        lines += [f"| {c.country} | {c.table} | {c.rows} |" for c in changes]
        return "\n".join(lines) + "\n"
    lines += [
        f"Compared with `{previous}`: the curated tables (`raw/`), rows matched by country and "
        "`id`. A changed row has at least one field with another value (the fields are "
        "listed). An id carries its row's date, so a re-dated row shows as one removed and one "
        "added. Processed tables follow from these.",
        "",
        "| country | table | rows | added | removed | changed |",
        "|---|---|---|---|---|---|",
    ]
    for c in changes:
        lines.append(
            f"| {c.country} | {c.table} | {c.rows} | {len(c.added)} | "
            f"{len(c.removed)} | {len(c.changed)} |"
        )
    if not any(c.any for c in changes):
        lines += ["", "No row was added, removed or changed."]
    for c in changes:
        if not c.any:
            continue
        lines += ["", f"## {c.country} / {c.table}", ""]
        if c.columns_added:
            lines.append(f"- columns added: {', '.join(f'`{x}`' for x in c.columns_added)}")
        if c.columns_removed:
            lines.append(f"- columns removed: {', '.join(f'`{x}`' for x in c.columns_removed)}")
        if c.added:
            lines.append(f"- added ({len(c.added)}): {_ids(c.added)}")
        if c.removed:
            lines.append(f"- removed ({len(c.removed)}): {_ids(c.removed)}")
        if c.changed:
            counts: dict[str, int] = {}
            for cols in c.changed.values():
                for col in cols:
                    counts[col] = counts.get(col, 0) + 1
            fields = ", ".join(
                f"`{k}` ({v})" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            lines.append(f"- changed ({len(c.changed)}); fields changed: {fields}")
            for i, cols in list(c.changed.items())[:_MAX_IDS]:
                lines.append(f"  - `{i}`: {', '.join(cols)}")
            if len(c.changed) > _MAX_IDS:
                lines.append(f"  - and {len(c.changed) - _MAX_IDS} more")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------------------------


def _field_type(s: pd.Series) -> dict:
    if pd.api.types.is_datetime64_any_dtype(s):
        return {"type": "date"}
    if pd.api.types.is_bool_dtype(s) or (
        s.dtype == object
        and s.dropna().map(lambda v: isinstance(v, bool)).all()
        and s.notna().any()
    ):
        return {"type": "boolean", "trueValues": ["True"], "falseValues": ["False"]}
    if pd.api.types.is_integer_dtype(s):
        return {"type": "integer"}
    if pd.api.types.is_float_dtype(s):
        return {"type": "number"}
    return {"type": "string"}


def _processed_resources(folder: Path, root: Path) -> list[dict]:
    resources = []
    for country in (c for c in COUNTRIES if (folder / c).is_dir()):
        for pq in sorted((folder / country).glob("*.parquet")):
            df = pd.read_parquet(pq)
            fields = [
                {
                    "name": c,
                    **_field_type(df[c]),
                    "description": column_description(pq.stem, c, root),
                }
                for c in df.columns
            ]
            resources.append(
                {
                    "name": f"processed-{country}-{pq.stem.replace('_', '-')}",
                    "path": f"processed/{country}/{pq.stem}.csv",
                    "format": "csv",
                    "encoding": "utf-8",
                    "description": TABLE_DESCRIPTIONS.get(pq.stem, ""),
                    "schema": {"fields": fields, "missingValues": [""]},
                }
            )
    return resources


def _codebook(folder: Path, version: str, root: Path) -> str:
    cats = {col: values for spec in TABLES.values() for col, values in spec.categories}
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    for country in (c for c in COUNTRIES if (folder / "processed" / c).is_dir()):
        for pq in sorted((folder / "processed" / country).glob("*.parquet")):
            tables.setdefault(pq.stem, {})[country] = pd.read_parquet(pq)
    order = [t for t in TABLES if t in tables] + sorted(t for t in tables if t not in TABLES)
    lines = [
        f"# Codebook: {PREFIX}{version}",
        "",
        "`raw/<country>/<table>.csv` are the curated tables as the curators wrote them "
        "(text; `true`/`false`; empty = not stated). `processed/<country>/<table>` are the same "
        "tables typed, plus derived ones, as CSV (dates `YYYY-MM-DD`, booleans `True`/`False`, "
        "missing = empty) and Parquet. `datapackage.json` describes every CSV "
        "(`frictionless validate datapackage.json`). Cite the original source of every row "
        "you use (`source_url`).",
        "",
        "| table | "
        + " | ".join(c for c in COUNTRIES if any(c in t for t in tables.values()))
        + " |",
        "|---|" + "---|" * len([c for c in COUNTRIES if any(c in t for t in tables.values())]),
    ]
    present = [c for c in COUNTRIES if any(c in t for t in tables.values())]
    for t in order:
        lines.append(
            f"| {t} | "
            + " | ".join(str(len(tables[t][c])) if c in tables[t] else "" for c in present)
            + " |"
        )
    for t in order:
        lines += ["", f"## {t}", "", TABLE_DESCRIPTIONS.get(t, ""), ""]
        lines += ["| column | type | meaning | values |", "|---|---|---|---|"]
        cols: list[str] = []
        sample: dict[str, pd.Series] = {}
        for df in tables[t].values():
            for c in df.columns:
                if c not in cols:
                    cols.append(c)
                    sample[c] = df[c]
        for c in cols:
            kind = _field_type(sample[c])["type"]
            meaning = column_description(t, c, root).replace("|", "\\|")
            values = " / ".join(cats[c]) if c in cats else ""
            lines.append(f"| `{c}` | {kind} | {meaning} | {values} |")
    return "\n".join(lines) + "\n"


def _sha256(data_: bytes) -> str:
    return hashlib.sha256(data_).hexdigest()


def _zip_files(path: Path) -> dict[str, bytes]:
    """Files of a release zip, by their path inside its top folder."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            inner = info.filename.split("/", 1)[1] if "/" in info.filename else info.filename
            out[inner] = zf.read(info)
    return out


def _write_zip(files: Mapping[str, bytes], dest: Path, top: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(files):
                info = zipfile.ZipInfo(f"{top}/{name}", date_time=_ZIP_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name])
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class ReleaseResult:
    """What :func:`build_release` wrote."""

    path: Path
    version: str
    previous: Path | None
    changes: tuple[TableChange, ...]
    files: tuple[str, ...]
    changelog: str

    def summary(self) -> str:
        """One paragraph: the zip, what it was compared with, the counts of changes."""
        added = sum(len(c.added) for c in self.changes)
        removed = sum(len(c.removed) for c in self.changes)
        changed = sum(len(c.changed) for c in self.changes)
        if self.previous is None:
            rows = sum(c.rows for c in self.changes)
            return f"{self.path} written ({len(self.files)} files; first release, {rows} rows)"
        return (
            f"{self.path} written ({len(self.files)} files; compared with "
            f"{self.previous.name}): {added} rows added, {removed} removed, {changed} changed"
        )


def build_release(
    version: str | None = None,
    root: str | os.PathLike[str] | None = None,
    dist: str | os.PathLike[str] | None = None,
    previous: str | os.PathLike[str] | None = None,
) -> ReleaseResult:
    """Validate ``data/raw``, build the processed tables afresh and write the release zip.

    Parameters
    ----------
    version : str, optional
        Release version (default: the project's, from ``pyproject.toml``).
    root : path, optional
        Project root.
    dist : path, optional
        Where the zip goes (default ``<root>/dist``).
    previous : path, optional
        The release to compare with (default: see :func:`previous_release`).

    Raises
    ------
    DataValidationError
        If ``data/raw`` fails validation (nothing is written).
    FileNotFoundError
        If ``previous`` is given and does not exist.
    """
    base = Path(root) if root else project_root()
    version = version or project_version(base)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+_-]*", version):
        raise ValueError(f"version = {version!r}; allowed: letters, digits, '.', '+', '_', '-'")
    out_dir = Path(dist) if dist else base / "dist"
    prev = Path(previous) if previous else previous_release(out_dir, version)
    if prev is not None and not prev.is_file():
        raise FileNotFoundError(f"--previous {prev} does not exist")
    top = f"{PREFIX}{version}"
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="bc-release-") as tmp:
        stage = Path(tmp)
        built = data.build(base, out=stage / "processed")
        raw = base / "data" / "raw"
        for country in built:
            for spec in TABLES.values():
                p = raw / country / spec.filename
                if p.is_file():
                    files[f"raw/{country}/{spec.filename}"] = p.read_bytes()
        for p in sorted((stage / "processed").rglob("*")):
            if (
                p.is_file()
                and not p.name.startswith(".")
                and p.suffix in (".csv", ".parquet", ".md")
            ):
                files[str(p.relative_to(stage)).replace(os.sep, "/")] = p.read_bytes()
        package = data.datapackage(countries=data._tables_on_disk(base), root=base)
        package["version"] = version
        package["resources"] += _processed_resources(stage / "processed", base)
        files["datapackage.json"] = (
            json.dumps(package, indent=2, ensure_ascii=False) + "\n"
        ).encode()
        files["codebook.md"] = _codebook(stage, version, base).encode()
    for name, src in (
        ("README.md", base / "data" / "README.md"),
        ("CITATION.cff", base / "CITATION.cff"),
    ):
        if src.is_file():
            files[name] = src.read_bytes()
    old = _zip_files(prev) if prev else None
    changes = compare(old, files)
    log = changelog(version, changes, prev.name if prev else None)
    files["DATA_CHANGELOG.md"] = log.encode()
    files["SHA256SUMS"] = "".join(f"{_sha256(files[n])}  {n}\n" for n in sorted(files)).encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / f"{top}.zip"
    _write_zip(files, dest, top)
    return ReleaseResult(dest, version, prev, tuple(changes), tuple(sorted(files)), log)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.record.release [--version V] [--previous ZIP] [--dist DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.record.release",
        description="Write dist/bargaining-chip-data-<version>.zip with its data changelog.",
    )
    parser.add_argument("--version", default=None, help="default: the project's version")
    parser.add_argument(
        "--previous",
        default=None,
        help="release zip to compare with (default: the newest other zip in dist/)",
    )
    parser.add_argument("--dist", default=None, help="output folder (default dist/)")
    args = parser.parse_args(argv)
    try:
        result = build_release(args.version, dist=args.dist, previous=args.previous)
    except (data.DataValidationError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
