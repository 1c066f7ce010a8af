"""Ids that left the record: found from git history, and every one explained in renamed_ids."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from analysis.record.history import unlogged_ids, vanished_ids

ROOT = Path(__file__).resolve().parents[1]
_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=_ENV)


def _commit(root: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)


def test_a_re_dated_row_is_found_and_then_explained(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    _git(root, "init", "-q")
    rel = "data/raw/x/releases.csv"
    _commit(root, {rel: "id,date\nrel-20200101-1,2020-01-01\nrel-20200201-1,2020-02-01\n"}, "one")
    _commit(root, {"data/raw/x/notes.txt": "unrelated\n"}, "two")
    redated = "id,date\nrel-20200101-1,2020-01-01\nrel-20200205-1,2020-02-05\n"
    _commit(root, {rel: redated}, "re-date")
    gone = vanished_ids(root)
    assert gone[["country", "table", "id"]].values.tolist() == [["x", "releases", "rel-20200201-1"]]
    assert unlogged_ids(root)["id"].tolist() == ["rel-20200201-1"]
    _commit(root, {"data/raw/x/renamed_ids.csv": (
        "id,in_table,change,new_id,changed_on,git_commit,reason,note\n"
        "rel-20200201-1,releases,renamed,rel-20200205-1,2020-03-01,abcdef1,re-dated,\n")}, "log")
    assert unlogged_ids(root).empty
    # a row logged for another table does not explain it
    _commit(root, {"data/raw/x/renamed_ids.csv": (
        "id,in_table,change,new_id,changed_on,git_commit,reason,note\n"
        "rel-20200201-1,sanctions,removed,,2020-03-01,abcdef1,wrong table,\n")}, "wrong")
    assert unlogged_ids(root)["id"].tolist() == ["rel-20200201-1"]


def test_a_shallow_clone_is_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _git(src, "init", "-q")
    _commit(src, {"data/raw/x/releases.csv": "id,date\nrel-20200101-1,2020-01-01\n"}, "one")
    _commit(src, {"data/raw/x/releases.csv": "id,date\n"}, "two")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{src}", str(shallow)],
                   check=True, capture_output=True, env=_ENV)  # fmt: skip
    with pytest.raises(RuntimeError, match="shallow clone"):
        vanished_ids(shallow)


def test_every_id_that_left_the_record_is_explained():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git work tree: the history of data/raw is not available")
    shallow = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"],
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
    if shallow == "true":
        pytest.skip("a shallow clone has no history of data/raw")
    missing = unlogged_ids(ROOT)
    assert missing.empty, (
        "ids left data/raw without a renamed_ids.csv row (python -m analysis.record.history):\n"
        + missing.to_string(index=False)
    )
