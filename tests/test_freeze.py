"""The freeze note of a registered record is read and verified against the files."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from analysis.record.freeze import freeze_status, read_freeze_note


def _project(tmp_path, note_sha=None):
    (tmp_path / "data" / "raw" / "x").mkdir(parents=True)
    f = tmp_path / "data" / "raw" / "x" / "releases.csv"
    f.write_text("id,date\n", encoding="utf-8")
    sha = note_sha or hashlib.sha256(f.read_bytes()).hexdigest()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "data" / "README.md").write_text(
        "# Data\n\n## Frozen for v3-confirm: X\n\nThe freeze commit is `abc1234` (2026-12-02).\n\n"
        f"| file | sha256 |\n|---|---|\n| `data/raw/x/releases.csv` | `{sha}` |\n\n## Next\n",
        encoding="utf-8",
    )
    return f


def test_intact_record(tmp_path):
    _project(tmp_path)
    st = freeze_status(tmp_path)
    assert st.intact and st.commit == "abc1234" and st.date == "2026-12-02"
    assert "1 of 1 files unchanged" in st.summary()


def test_changed_file_is_listed(tmp_path):
    f = _project(tmp_path)
    f.write_text("id,date\nrel-20200101-1,2020-01-01\n", encoding="utf-8")
    st = freeze_status(tmp_path)
    assert not st.intact
    assert "CHANGED" in st.summary()


def test_later_commit_is_named(tmp_path):
    f = _project(tmp_path)
    run = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True,  # noqa: E731
                                    capture_output=True)  # fmt: skip
    run("init", "-q")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "x", "--allow-empty")
    run("add", "-A")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "freeze")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
    readme = tmp_path / "data" / "README.md"
    readme.write_text(readme.read_text().replace("abc1234", head), encoding="utf-8")
    f.write_text("id,date\nrel-20200101-1,2020-01-01\n", encoding="utf-8")
    run("add", "-A")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "edit after freeze")
    st = freeze_status(tmp_path)
    assert "edit after freeze" in st.table.loc[0, "later_commits"]


def test_missing_note_is_an_error():
    with pytest.raises(ValueError, match="no 'Frozen for v3-confirm' section"):
        read_freeze_note("# Data\n")
    with pytest.raises(ValueError, match="lists no"):
        read_freeze_note("## Frozen for v3-confirm\n\nnothing\n")
