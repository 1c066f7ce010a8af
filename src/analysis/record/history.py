"""Ids that have left the record, from the git history of ``data/raw``.

People cite single rows by id. An id changes when a row is re-dated (the date is part of the id)
and disappears when a row is removed as a repeat; each country's ``renamed_ids.csv`` says what
became of it. :func:`vanished_ids` lists every id that was in a table of ``data/raw`` at some
commit on the first-parent history of ``HEAD`` and is not there now; :func:`unlogged_ids` those of
them that ``renamed_ids.csv`` does not explain yet.

``python -m analysis.record.history`` prints the unlogged ones (exit status 1 if there are any).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from analysis.record.schemas import RENAMED_TABLES
from analysis.settings import project_root

__all__ = ["unlogged_ids", "vanished_ids"]


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    out = subprocess.run(["git", "-C", str(root), *args], input=data, capture_output=True,
                         check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {out.stderr.decode().strip()}")
    return out.stdout


def _ids_in(blob: bytes) -> set[str]:
    rows = csv.DictReader(io.StringIO(blob.decode("utf-8")))
    return {r["id"] for r in rows if r.get("id")}


def vanished_ids(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Ids once in ``data/raw/<country>/<table>.csv`` and absent from it at ``HEAD``.

    Parameters
    ----------
    root : path, optional
        The project root (a git work tree with its history).

    Returns
    -------
    DataFrame
        ``country``, ``table``, ``id``, ``last_seen`` (the last first-parent commit that had it),
        sorted.

    Raises
    ------
    RuntimeError
        If ``root`` is not a git work tree, or its history is shallow (the answer would be
        incomplete).
    """
    base = Path(root) if root else project_root()
    if _git(base, "rev-parse", "--is-shallow-repository").strip() == b"true":
        raise RuntimeError(f"{base} is a shallow clone; its history cannot say which ids left")
    commits = _git(base, "rev-list", "--first-parent", "HEAD", "--", "data/raw").split()
    wanted = {f"{t}.csv" for t in RENAMED_TABLES}
    seen: dict[tuple[str, str, str], str] = {}
    blobs: dict[str, set[str]] = {}
    for commit in reversed([c.decode() for c in commits]):  # oldest first: last_seen wins
        listing = _git(base, "ls-tree", "-r", commit, "--", "data/raw").decode()
        entries = []
        for line in listing.splitlines():
            meta, path = line.split("\t", 1)
            parts = path.split("/")
            if len(parts) == 4 and parts[3] in wanted:
                entries.append((meta.split()[2], parts[2], parts[3][:-4]))
        new = sorted({sha for sha, _, _ in entries if sha not in blobs})
        if new:
            out = _git(base, "cat-file", "--batch", data="\n".join(new).encode() + b"\n")
            pos = 0
            for sha in new:
                header_end = out.index(b"\n", pos)
                size = int(out[pos:header_end].split()[2])
                blobs[sha] = _ids_in(out[header_end + 1 : header_end + 1 + size])
                pos = header_end + 1 + size + 1
        for sha, country, table in entries:
            for i in blobs[sha]:
                seen[(country, table, i)] = commit[:12]
    now: set[tuple[str, str, str]] = set()
    raw = base / "data" / "raw"
    for country_dir in sorted(p for p in raw.iterdir() if p.is_dir()):
        for table in RENAMED_TABLES:
            f = country_dir / f"{table}.csv"
            if f.is_file():
                now |= {(country_dir.name, table, i) for i in _ids_in(f.read_bytes())}
    rows = [dict(country=c, table=t, id=i, last_seen=s)
            for (c, t, i), s in seen.items() if (c, t, i) not in now]  # fmt: skip
    cols = ["country", "table", "id", "last_seen"]
    return pd.DataFrame(rows, columns=cols).sort_values(cols[:3], ignore_index=True)


def unlogged_ids(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The ids of :func:`vanished_ids` that no ``renamed_ids.csv`` row explains (same columns)."""
    base = Path(root) if root else project_root()
    gone = vanished_ids(base)
    logged: set[tuple[str, str, str]] = set()
    for f in sorted((base / "data" / "raw").glob("*/renamed_ids.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            logged |= {(f.parent.name, r["in_table"], r["id"]) for r in csv.DictReader(fh)}
    keys = list(zip(gone["country"], gone["table"], gone["id"], strict=True))
    return gone[[k not in logged for k in keys]].reset_index(drop=True)


def main() -> int:
    """Print the ids that left ``data/raw`` without a ``renamed_ids.csv`` row."""
    missing = unlogged_ids()
    if missing.empty:
        print("every id that left data/raw is explained in a renamed_ids.csv")
        return 0
    print(f"{len(missing)} id(s) left data/raw without a renamed_ids.csv row "
          "(add one per id: docs in data/README.md):")  # fmt: skip
    print(missing.to_string(index=False))
    return 1


if __name__ == "__main__":
    sys.exit(main())
