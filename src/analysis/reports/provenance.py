"""Provenance of a report run: the manifest, checksums, versions and how files are published.

``reports/manifest.json`` records the parameters, git commit, SHA-256 of every input data file,
package versions, and start/end time and duration of every notebook. Every file the runner writes
is written atomically and is readable by everyone (mode 0644). A notebook's outputs reach
``reports/`` only when it succeeded; a failed one is kept at ``reports/failed/<name>.ipynb`` and the
manifest keeps its last good entry beside the failure.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.reports.execute import NotebookRun, _Outcome

__all__ = ["REPORT_FILE_MODE", "build_manifest"]

_PACKAGES = (
    "bargaining-chip",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pandera",
    "pyarrow",
    "ruptures",
    "bokeh",
    "papermill",
    "nbconvert",
    "ipykernel",
)


#: Mode of every file the runner writes: readable by everyone, writable by the owner.
REPORT_FILE_MODE = 0o644


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, REPORT_FILE_MODE)  # mkstemp creates 0600; a report is for every reader
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _git_commit(root: Path) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for pkg in _PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _input_checksums(root: Path) -> dict[str, str]:
    files = sorted(
        p
        for sub in ("data/raw", "data/processed")
        for p in (root / sub).rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    return {str(p.relative_to(root)): _sha256(p) for p in files}


def _publish(path: Path, dest: Path) -> None:
    os.chmod(path, REPORT_FILE_MODE)
    os.replace(path, dest)


def _file_outcome(
    outcome: _Outcome, out_dir: Path, previous: Mapping[str, Any]
) -> tuple[NotebookRun, dict[str, Any]]:
    """Move a notebook's outputs into ``reports/`` (or ``reports/failed/``); its manifest entry."""
    run, nb_out, html_out = outcome
    if run.status == "ok" and nb_out and html_out:
        _publish(nb_out, out_dir / nb_out.name)
        _publish(html_out, out_dir / html_out.name)
        for extra in sorted(nb_out.with_suffix(".attachments").glob("*.csv")):
            _publish(extra, out_dir / extra.name)
        stale = out_dir / "failed" / nb_out.name
        if stale.exists():
            stale.unlink()
        return run, asdict(run)
    failed_dir = out_dir / "failed"
    failed_dir.mkdir(exist_ok=True)
    failed_path = ""
    if nb_out:
        failed_path = str((failed_dir / nb_out.name).relative_to(out_dir))
        _publish(nb_out, failed_dir / nb_out.name)
    run = replace(run, failed_path=failed_path)
    entry = dict(previous.get(run.name, {}))
    entry["last_failure"] = asdict(run)
    if "status" not in entry:
        entry.update({"name": run.name, "title": run.title, "status": "failed"})
    return run, entry


def _previous_entries(manifest_path: Path) -> dict[str, Any]:
    if not manifest_path.exists():
        return {}
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return dict(previous.get("notebooks", {}))


def build_manifest(
    root: Path,
    *,
    kernel: str,
    jobs: int,
    wall_s: float,
    runs: Sequence[NotebookRun],
    notebooks: Mapping[str, Any],
) -> dict[str, Any]:
    """The manifest of a run: where the code and data stood, and every notebook's entry."""
    return {
        "project": "bargaining-chip",
        "generated": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git": _git_commit(root),
        "versions": _versions(),
        "kernel": kernel,
        "jobs": jobs,
        "wall_s": wall_s,
        "inputs_sha256": _input_checksums(root),
        "last_run": [r.name for r in runs],
        "notebooks": dict(sorted(notebooks.items())),
    }
