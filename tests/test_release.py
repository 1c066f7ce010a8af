"""Versioned data releases (``make release``): the zip, its checksums and data package, and the
changelog against the previous release."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analysis.record import release
from analysis.settings import project_root

ROOT = project_root()


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's data, pyproject and citation (the release reads nothing else)."""
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    for name in ("data/README.md", "pyproject.toml", "CITATION.cff"):
        shutil.copy(ROOT / name, root / name)
    return root


def _edit(path: Path, change) -> list[dict]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    fields = list(rows[0])
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return rows


def _files(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        return {i.filename.split("/", 1)[1]: zf.read(i) for i in zf.infolist()}


def test_first_release(project, tmp_path):
    res = release.build_release("1.0.0", root=project, dist=tmp_path / "dist")
    assert res.path == tmp_path / "dist" / "bargaining-chip-data-1.0.0.zip"
    assert res.previous is None
    files = _files(res.path)
    for name in ("datapackage.json", "codebook.md", "CITATION.cff", "README.md",
                 "SHA256SUMS", "DATA_CHANGELOG.md", "raw/venezuela/releases.csv",
                 "processed/venezuela/releases.csv", "processed/venezuela/releases.parquet",
                 "processed/belarus/events.parquet"):  # fmt: skip
        assert name in files, name
    assert "First release" in files["DATA_CHANGELOG.md"].decode()
    sums = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(files) - {"SHA256SUMS"}
    assert all(hashlib.sha256(files[n]).hexdigest() == h for n, h in sums.items())
    assert "`exchange_event_id`" in files["codebook.md"].decode()
    assert json.loads(files["datapackage.json"])["version"] == "1.0.0"


def test_release_package_validates_with_frictionless(project, tmp_path):
    res = release.build_release("1.0.0", root=project, dist=tmp_path / "dist")
    with zipfile.ZipFile(res.path) as zf:
        zf.extractall(tmp_path / "x")
    folder = tmp_path / "x" / "bargaining-chip-data-1.0.0"
    proc = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", "datapackage.json"],
        cwd=folder, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    errors = [(t["name"], e["note"]) for t in report["tasks"] for e in t["errors"]]
    assert report["valid"], errors[:10]
    assert any(t["place"].startswith("processed/") for t in report["tasks"])


def test_same_data_same_zip(project, tmp_path):
    a = release.build_release("1.0.0", root=project, dist=tmp_path / "a")
    b = release.build_release("1.0.0", root=project, dist=tmp_path / "b")
    assert a.path.read_bytes() == b.path.read_bytes()


def test_changelog_against_the_previous_release(project, tmp_path):
    dist = tmp_path / "dist"
    release.build_release("1.0.0", root=project, dist=dist)
    raw = project / "data" / "raw"

    def change_evidence(rows):
        rows[0]["evidence"] += " (re-read)"
        rows[0]["source_name"] += " (archive)"
        return rows

    changed = _edit(raw / "venezuela" / "releases.csv", change_evidence)[0]["id"]
    removed = []
    _edit(raw / "venezuela" / "prisoner_counts.csv", lambda rows: removed.append(rows[-1]["id"])
          or rows[:-1])  # fmt: skip

    def add_copy(rows):
        new = dict(rows[0])
        new["id"] = new["id"].rsplit("-", 1)[0] + "-9"
        return [*rows, new]

    added = _edit(raw / "belarus" / "diplomatic.csv", add_copy)[-1]["id"]
    res = release.build_release("1.1.0", root=project, dist=dist)
    assert res.previous == dist / "bargaining-chip-data-1.0.0.zip"
    log = _files(res.path)["DATA_CHANGELOG.md"].decode()
    assert "Compared with `bargaining-chip-data-1.0.0.zip`" in log
    assert "| venezuela | releases | " in log and "| 0 | 0 | 1 |" in log
    assert "- changed (1); fields changed: `evidence` (1), `source_name` (1)" in log
    assert f"  - `{changed}`: source_name, evidence" in log  # in file order
    assert f"- removed (1): `{removed[0]}`" in log
    assert f"- added (1): `{added}`" in log
    by_table = {(c.country, c.table): c for c in res.changes}
    assert by_table[("cuba", "releases")].any is False
    assert res.summary().endswith("1 rows added, 1 removed, 1 changed")


def test_an_unchanged_release_says_so(project, tmp_path):
    release.build_release("1.0.0", root=project, dist=tmp_path)
    res = release.build_release("1.0.1", root=project, dist=tmp_path)
    assert "No row was added, removed or changed." in res.changelog


def test_previous_release_is_the_newest_earlier_zip(tmp_path):
    for v in ("0.1.0", "0.2.0", "0.10.0"):
        (tmp_path / f"bargaining-chip-data-{v}.zip").write_bytes(b"")
    assert release.previous_release(tmp_path, "0.11.0").name.endswith("0.10.0.zip")
    assert release.previous_release(tmp_path, "0.2.0").name.endswith("0.1.0.zip")
    assert release.previous_release(tmp_path / "none", "1.0") is None
    with pytest.raises(FileNotFoundError, match="does not exist"):
        release.build_release("1.0.0", root=ROOT, dist=tmp_path, previous=tmp_path / "x.zip")


def test_cli_writes_the_zip(project, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BARGAINING_CHIP_ROOT", str(project))
    assert release.main(["--dist", str(tmp_path / "d")]) == 0
    version = release.project_version(project)
    assert (tmp_path / "d" / f"bargaining-chip-data-{version}.zip").is_file()
    assert "first release" in capsys.readouterr().out
