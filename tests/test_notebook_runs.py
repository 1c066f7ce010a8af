"""A research notebook run through the runner with other parameters (as the README documents)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
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


def _user_round(folder: Path) -> str:
    """A user file with one negotiation round the day before a release day that has no talks
    event in the 7 days before it; returns the round's id."""
    from analysis.record.overview import release_days as _days
    from analysis.timing.calendar import to_days
    from analysis.timing.coincidence import window_indicator

    frames = data.load_raw(ROOT)
    frames["events"] = data.event_calendar(frames)
    days = _days(frames["releases"], "2014-01-01", "2026-01-02")
    ev = select_events(frames["events"], ["negotiation", "envoy_visit", "agreement"],
                       "2014-01-01", "2026-01-02")  # fmt: skip
    s, e = to_days(["2014-01-01"])[0], to_days(["2026-01-02"])[0]
    h = window_indicator(to_days(ev["date"]), s, e, 7, "before")
    free = [d for d in days["date"] if not h[to_days([d])[0] - s]]
    day = (free[len(free) // 2] - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    rid = f"dip-{day.replace('-', '')}-901"
    header = "id,date,date_precision,subtype,description,describes_release,found_via,source_url,"
    header += "source_name,evidence"
    row = (
        f"{rid},{day},day,negotiation_round,A round found in an archive,false,event_search,"
        "https://example.org/archive,Example archive,The archive dates the round to that day"
    )
    folder.mkdir(parents=True)
    (folder / "diplomatic.csv").write_text(header + "\n" + row + "\n", encoding="utf-8")
    return rid


def test_user_round_changes_notebook_two_and_its_pairs(tmp_path):
    user = tmp_path / "user"
    rid = _user_round(user)
    out = tmp_path / "reports"
    base = {"n_surrogates": 199}
    first = reports.run_reports(reports_dir=out, only=["02"], global_params=base, progress=False)
    assert first.ok, first.summary()
    with_user = reports.run_reports(
        reports_dir=out, only=["02"], progress=False,
        global_params={**base, "include_user": True, "user_dir": str(user)},
    )  # fmt: skip
    assert with_user.ok, with_user.summary()
    a, b = first.runs[0].key_numbers, with_user.runs[0].key_numbers
    assert int(b["events"]) == int(a["events"]) + 1
    assert float(b["statistic"]) > float(a["statistic"])
    pairs = pd.read_csv(out / "02_coincidence_pairs.csv")
    assert rid in set(pairs["event_id"])
    page = (out / "02_coincidence.html").read_text(encoding="utf-8")
    assert rid in page  # the user row is shown in the report


def test_malformed_user_file_stops_the_run_and_keeps_the_report(tmp_path):
    user = tmp_path / "user"
    _user_round(user)
    path = user / "diplomatic.csv"
    path.write_text(path.read_text().replace("negotiation_round", "tea_party"), encoding="utf-8")
    out = tmp_path / "reports"
    good = reports.run_reports(reports_dir=out, only=["02"], global_params={"n_surrogates": 99},
                               progress=False)  # fmt: skip
    assert good.ok
    before = (out / "02_coincidence.html").read_bytes()
    bad = reports.run_reports(
        reports_dir=out, only=["02"], progress=False,
        global_params={"n_surrogates": 99, "include_user": True, "user_dir": str(user)},
    )  # fmt: skip
    assert not bad.ok
    assert "diplomatic.csv:2 column 'subtype' value 'tea_party'" in bad.runs[0].error
    assert (out / "02_coincidence.html").read_bytes() == before
    assert (out / "failed" / "02_coincidence.ipynb").exists()


def test_report_page_carries_the_interactive_timeline_inline(tmp_path):
    res = reports.run_reports(reports_dir=tmp_path, only=["01"], progress=False)
    assert res.ok, res.summary()
    page = (tmp_path / "01_data_overview.html").read_text(encoding="utf-8")
    assert "Bokeh.embed.embed_items" in page  # the figure's render script
    assert "Bokeh.set_log_level" in page  # BokehJS itself, inline
    assert not re.search(r"<script[^>]+src=\"https?://", page)  # nothing fetched from a CDN
    assert "source_url" in page or "hover" in page.lower()
