"""Frozen records: verify the checksums written in ``data/README.md`` before a registered test.

A record collected for a registered test (plan v3-confirm, issue #18) is committed and frozen
before anything analyses it: ``data/README.md`` holds a section whose heading contains ``Frozen
for <plan>``, with the freeze commit in backticks and a table of ``| `path` | `sha256` |`` rows.
:func:`freeze_status` recomputes every file's SHA-256, says which changed since the freeze and,
in a git work tree, lists the later commits that touched a changed file with their dates.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.results import TextResult
from analysis.settings import project_root

__all__ = ["FreezeStatus", "freeze_status", "read_freeze_note"]

_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([0-9a-f]{64})`\s*\|\s*$")
_COMMIT = re.compile(r"freeze commit is `([0-9a-f]{7,40})`(?:\s*\(([^)]*)\))?")


@dataclass(frozen=True)
class FreezeStatus(TextResult):
    """Checksums of a frozen record against the files as they are now.

    Attributes
    ----------
    table : DataFrame
        ``path``, ``frozen_sha256``, ``current_sha256`` (empty when the file is gone),
        ``unchanged`` and ``later_commits`` (``"<date> <hash> <subject>"``; ``; ``-separated).
    commit, date : str
        The freeze commit and its date as the note gives them.
    plan : str
    """

    table: pd.DataFrame
    commit: str
    date: str
    plan: str = "v3-confirm"
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when every frozen file is unchanged."""
        return bool(self.table["unchanged"].all())

    def summary(self) -> str:
        """One line per file."""
        n_same = int(self.table["unchanged"].sum())
        lines = [f"Frozen for {self.plan}: commit {self.commit} ({self.date}); "
                 f"{n_same} of {len(self.table)} files unchanged"]  # fmt: skip
        for r in self.table.itertuples(index=False):
            later = r.later_commits or "not committed"
            state = "unchanged" if r.unchanged else f"CHANGED ({later})"
            lines.append(f"  {r.path:<45} {r.frozen_sha256[:12]}  {state}")
        lines += self.notes
        return "\n".join(lines)


def read_freeze_note(text: str, plan: str = "v3-confirm") -> tuple[str, str, dict[str, str]]:
    """The freeze commit, its date and ``path -> sha256`` from the README section of ``plan``.

    Raises
    ------
    ValueError
        When the README has no ``Frozen for <plan>`` section or the section lists no file.
    """
    lines = text.splitlines()
    key = f"frozen for {plan}".lower()
    heads = [i for i, ln in enumerate(lines) if ln.startswith("#") and key in ln.lower()]
    start = heads[0] if heads else None
    if start is None:
        raise ValueError(f"data/README.md has no 'Frozen for {plan}' section")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    body = "\n".join(lines[start:end])
    m = _COMMIT.search(body.replace("\n", " "))
    commit, date = (m.group(1), m.group(2) or "") if m else ("", "")
    sums = {}
    for ln in lines[start:end]:
        r = _ROW.match(ln.strip())
        if r:
            sums[r.group(1)] = r.group(2)
    if not sums:
        raise ValueError(f"the 'Frozen for {plan}' section lists no `path` | `sha256` row")
    return commit, date, sums


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _later_commits(root: Path, commit: str, path: str) -> str:
    if not commit or not (root / ".git").exists():
        return ""
    try:
        out = subprocess.run(
            ["git", "log", "--format=%cs %h %s", f"{commit}..HEAD", "--", path],
            cwd=root, capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return "; ".join(ln for ln in out.splitlines() if ln)


def freeze_status(
    root: str | os.PathLike[str] | None = None, plan: str = "v3-confirm"
) -> FreezeStatus:
    """Verify the frozen files of ``plan`` against the SHA-256 sums in ``data/README.md``.

    Parameters
    ----------
    root : path, optional
        Project root.
    plan : str
        The plan whose freeze note to read.
    """
    base = Path(root) if root else project_root()
    commit, date, sums = read_freeze_note((base / "data" / "README.md").read_text("utf-8"), plan)
    rows = []
    for path, sha in sums.items():
        cur = _sha(base / path)
        same = cur == sha
        later = "" if same else _later_commits(base, commit, path)
        rows.append(dict(path=path, frozen_sha256=sha, current_sha256=cur, unchanged=same,
                         later_commits=later))  # fmt: skip
    return FreezeStatus(table=pd.DataFrame(rows), commit=commit, date=date, plan=plan)
