"""A research notebook run through the runner with other parameters (as the README documents)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from analysis import reports
from analysis.record import data
from analysis.record.overview import select_events

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rerun(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    res = reports.run_reports(
        reports_dir=out,
        only=["02"],
        global_params={
            "window_days": 30,
            "event_classes": ["sanctions_relief"],
            "n_surrogates": 999,
        },
        progress=False,
    )
    return res, out


def test_notebook_two_with_other_window_and_class(rerun):
    res, out = rerun
    assert res.ok, res.summary()
    run = res.runs[0]
    assert run.parameters == {
        "window_days": 30,
        "event_classes": ["sanctions_relief"],
        "n_surrogates": 999,
    }
    frames = data.load_raw(ROOT)
    frames["events"] = data.event_calendar(frames)
    relief = select_events(frames["events"], ["sanctions_relief"], "2014-01-01", "2026-01-02")
    assert run.key_numbers["events"] == str(len(relief))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notebooks"]["02_coincidence"]["parameters"]["window_days"] == 30
    nb = nbformat.read(out / "02_coincidence.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "window_days = 30" in injected[0].source


def test_report_page_embeds_figures_and_answer(rerun):
    _, out = rerun
    page = (out / "02_coincidence.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64") >= 1
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Short answer" in index and "02_coincidence.html" in index


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_checkable(path):
    """Each notebook pins the project kernel, has a parameters cell, and stores the reference
    key numbers that nbval compares (an empty reference would make nbval pass vacuously)."""
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert sum("parameters" in t for t in tags) == 1
    key = [c for c in nb.cells if reports.KEY_NUMBERS_TAG in c.metadata.get("tags", [])]
    assert len(key) == 1 and key[0].source.startswith("# NBVAL_CHECK_OUTPUT")
    stored = reports.read_key_numbers(nb)
    assert stored, f"{path.name}: no stored key numbers; run --update-key-numbers"
    others = [c for c in nb.cells if c.cell_type == "code" and c not in key]
    assert all(not c.get("outputs") for c in others), "only the key numbers are stored"


def test_notebooks_in_reading_order():
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{i:02d}_" for i in range(1, len(NOTEBOOKS) + 1)]
    assert len(NOTEBOOKS) >= 8
