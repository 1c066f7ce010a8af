"""The interactive timeline: data and BokehJS inline (works offline), tools, hover, sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("bokeh")
from bokeh.embed import file_html
from bokeh.models import BoxZoomTool, ColumnDataSource, HoverTool, WheelZoomTool
from bokeh.resources import INLINE

from analysis.figures import timeline
from analysis.record import data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def frames():
    f = data.load_raw(ROOT)
    f["events"] = data.event_calendar(f)
    return f


def _sources(layout) -> list[ColumnDataSource]:
    return list(layout.select({"type": ColumnDataSource}))


def test_html_is_standalone_and_holds_the_data(frames):
    html = file_html(timeline.interactive_timeline(frames), INLINE, "t")
    assert not re.search(r"<script[^>]+src=[\"']https?://", html)
    assert timeline_text_ok(html)
    assert not re.search(r"<link[^>]+href=[\"']https?://", html)
    assert "Bokeh" in html and "bokeh" in html.split("<body")[0]  # BokehJS inlined in the head
    rel = frames["releases"].iloc[0]
    ev = frames["events"][frames["events"]["event_class"] == "sanctions_relief"].iloc[0]
    for text in (rel["id"], rel["source_url"], ev["id"], ev["source_url"], ev["source_name"]):
        assert text in html, text
    assert timeline_text_ok(timeline.timeline_html(frames))


def timeline_text_ok(html: str) -> bool:
    """A page with every script inline: no <script src=...> tag at all."""
    tags = re.findall(r"<script[^>]*>", html)
    return html.startswith("<!DOCTYPE html>") and tags and not any("src=" in t for t in tags)


def test_layout_tools_hover_and_shared_axis(frames):
    layout = timeline.interactive_timeline(frames, classes=["negotiation", "sanctions_relief"])
    top, strip = layout.children
    assert strip.x_range is top.x_range
    assert list(strip.y_range.factors) == ["sanctions_relief", "negotiation", "releases"]
    for fig in (top, strip):
        assert fig.select({"type": BoxZoomTool}) and fig.select({"type": WheelZoomTool})
        (hover,) = fig.select({"type": HoverTool})
        for field in ("@text", "@date_precision", "@source_name", "@source_url"):
            assert field in hover.tooltips
    ids = {i for s in _sources(layout) for i in s.data["id"]}
    assert set(frames["releases"]["id"]) <= ids
    negotiation = frames["events"].query("event_class == 'negotiation'")["id"]
    assert set(negotiation) <= ids
    assert not set(frames["events"].query("event_class == 'election'")["id"]) & ids


def test_release_circles_sized_by_persons():
    toy = {
        "prisoner_counts": pd.DataFrame(
            {
                "id": ["p1"],
                "date": pd.to_datetime(["2024-01-01"]),
                "political_prisoners": [100],
                "reported_by": ["foro_penal"],
            }
        ),
        "releases": pd.DataFrame(
            {
                "id": ["r1", "r2", "r3"],
                "date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]),
                "n_released": pd.array([1, 100, None], dtype="Int64"),
                "evidence": ["one", "hundred", pd.NA],
            }
        ),
        "events": pd.DataFrame(
            {"id": ["e1"], "date": pd.to_datetime(["2024-01-02"]), "event_class": ["agreement"]}
        ),
    }
    layout = timeline.interactive_timeline(toy, classes=["agreement"])
    rel = next(s for s in _sources(layout) if "size" in s.data)
    sizes = dict(zip(rel.data["id"], rel.data["size"], strict=True))
    assert sizes["r3"] < sizes["r1"] < sizes["r2"]  # no figure: the smallest circle
    assert rel.data["text"] == ["one", "hundred", ""]
    assert rel.data["label"][2] == "r3: ? released"


def test_unknown_class(frames):
    with pytest.raises(ValueError, match=r"classes contains \['bribes'\]; allowed: agreement"):
        timeline.interactive_timeline(frames, classes=["bribes"])


def test_show_timeline_offline_and_static(frames, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig = timeline.show_timeline(frames, start="2024-01-01", end="2025-12-31")
    html = shown[0].data
    assert "Bokeh.embed.embed_items" in html and "Bokeh.set_log_level" in html  # all inline
    assert not re.search(r"<script[^>]+src=\"https?://", html)
    assert fig.axes  # the static matplotlib figure for print
    assert "Foro Penal" in fig.axes[0].get_ylabel()
    assert timeline.show_timeline(frames, static=False) is None
