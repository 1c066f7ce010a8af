"""``data/datapackage.json`` checked by ``frictionless validate`` on the files as they are."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from analysis.record import data
from analysis.settings import project_root

ROOT = project_root()


def _frictionless_validate(descriptor: Path) -> dict:
    """The JSON report of the ``frictionless validate`` command, run where the descriptor is."""
    proc = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", descriptor.name],
        cwd=descriptor.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def _errors(report: dict) -> list[str]:
    return [
        f"{t['name']}: {e['type']} {e.get('note', '')} row {e.get('rowNumber')}"
        for t in report["tasks"]
        for e in t["errors"]
    ]


def test_committed_datapackage_validates_with_frictionless():
    report = _frictionless_validate(ROOT / "data" / "datapackage.json")
    assert report["valid"], "\n".join(_errors(report)[:20])
    described = {t["place"] for t in report["tasks"]}
    on_disk = {
        f"raw/{p.parent.name}/{p.name}"
        for p in (ROOT / "data" / "raw").glob("*/*.csv")
        if p.stem in data.TABLES
    }
    assert described == on_disk


def test_frictionless_finds_a_broken_cell(tmp_path):
    shutil.copytree(ROOT / "data" / "raw", tmp_path / "raw")
    shutil.copy(ROOT / "data" / "datapackage.json", tmp_path / "datapackage.json")
    path = tmp_path / "raw" / "venezuela" / "releases.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["mechanism"] = "bribe"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    report = _frictionless_validate(tmp_path / "datapackage.json")
    assert not report["valid"]
    errors = _errors(report)
    assert len(errors) == 1 and errors[0].startswith("venezuela-releases: constraint-error")
