"""An interactive timeline of the record (bokeh): zoom to a period, hover a point for its citation.

One time axis, two panels:

- top: the reference NGO's count of political prisoners (a line, with a marker per report);
- below: one row for release episodes (circles sized by persons released) and one row per event
  class (markers).

Hovering any point shows its date and date precision, what the row says (description or evidence)
and its source (name and URL). Box zoom and wheel zoom pick a period; both panels follow.

The page works offline: :func:`timeline_html` inlines BokehJS (``bokeh.resources.INLINE``) and
:func:`show_timeline` loads it into the notebook the same way. For print, :func:`show_timeline`
also returns the static matplotlib figure of :func:`analysis.figures.plots.plot_timeline`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.figures.plots import CLASS_COLORS
from analysis.record.data import EVENT_CLASSES
from analysis.record.overview import DEFAULT_EVENT_CLASSES
from analysis.settings import DEFAULT_COUNTRY, country_settings

if TYPE_CHECKING:
    from bokeh.models import LayoutDOM
    from matplotlib.figure import Figure

__all__ = [
    "RELEASES_ROW",
    "interactive_timeline",
    "show_timeline",
    "timeline_fragment",
    "timeline_html",
]

#: Label of the release row of the event strip.
RELEASES_ROW = "releases"
_TOOLS = "xpan,box_zoom,xwheel_zoom,reset,save"
_RELEASE_COLOR = "#2b8cbe"
_TOOLTIP = """
<div style="max-width:360px;font-size:12px">
  <b>@label</b> &middot; @date{%F} (precision: @date_precision)<br>
  <span>@text</span><br>
  <i>@source_name</i><br>
  <a href="@source_url" target="_blank">@source_url</a>
</div>
"""


def _text(series: pd.Series | None, n: int) -> list[str]:
    if series is None:
        return [""] * n
    return [str(v) if pd.notna(v) else "" for v in series]


def _period(df: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    if start is not None:
        mask &= df["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= df["date"] <= pd.Timestamp(end)
    return df.loc[mask].sort_values(["date", "id"], kind="stable")


def _source(df: pd.DataFrame, label: Sequence[str], text_col: str, **extra: Any) -> dict:
    """Columns of a ColumnDataSource: plain lists, no pandas NA (bokeh cannot send it)."""
    n = len(df)
    return {
        "date": pd.to_datetime(df["date"]).to_numpy(dtype="datetime64[ms]"),
        "id": _text(df["id"], n),
        "label": list(label),
        "date_precision": _text(df.get("date_precision"), n),
        "text": _text(df.get(text_col), n),
        "source_name": _text(df.get("source_name"), n),
        "source_url": _text(df.get("source_url"), n),
        **extra,
    }


def _release_size(persons: np.ndarray) -> list[float]:
    """Marker diameter in screen pixels: grows with the square root of persons (area ~ persons)."""
    size = 6 + 2.2 * np.sqrt(np.nan_to_num(persons, nan=0.0))
    return np.clip(size, 6, 42).round(1).tolist()


def _check_classes(classes: Sequence[str]) -> list[str]:
    known = sorted(set(EVENT_CLASSES.values()))
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise ValueError(f"classes contains {unknown}; allowed: {', '.join(known)}")
    return list(classes)


def _counts_figure(pc: pd.DataFrame, ngo: str, label: str, start: Any, end: Any, width: int):
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    rows = pc[(pc["reported_by"] == ngo) & pc["political_prisoners"].notna()]
    rows = _period(rows, start, end)
    persons = rows["political_prisoners"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    data = _source(rows, [f"{label}: {v:.0f} political prisoners" for v in persons], "evidence")
    src = ColumnDataSource({**data, "value": persons.tolist()})
    fig = figure(x_axis_type="datetime", height=260, width=width, tools=_TOOLS,
                 active_scroll="xwheel_zoom", title=f"Political prisoners ({label})")  # fmt: skip
    fig.line("date", "value", source=src, color="#333", line_width=1.5)
    dots = fig.scatter("date", "value", source=src, size=5, color="#333")
    fig.add_tools(HoverTool(renderers=[dots], tooltips=_TOOLTIP, formatters={"@date": "datetime"}))
    fig.yaxis.axis_label = "political prisoners"
    return fig


def _strip_figure(
    releases: pd.DataFrame, events: pd.DataFrame, classes: list[str], x_range: Any, width: int
):
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    rows = [RELEASES_ROW, *classes]
    fig = figure(x_axis_type="datetime", y_range=list(reversed(rows)), x_range=x_range,
                 height=70 + 28 * len(rows), width=width, tools=_TOOLS,
                 active_scroll="xwheel_zoom", title="Releases and events")  # fmt: skip
    persons = releases["n_released"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    labels = [
        f"{i}: {'?' if np.isnan(p) else int(p)} released"
        for i, p in zip(releases["id"], persons, strict=True)
    ]
    rel = ColumnDataSource(
        _source(releases, labels, "evidence", row=[RELEASES_ROW] * len(releases),
                size=_release_size(persons))
    )  # fmt: skip
    renderers = [
        fig.scatter("date", "row", source=rel, size="size", color=_RELEASE_COLOR, alpha=0.45,
                    line_color=_RELEASE_COLOR)
    ]  # fmt: skip
    for cls in classes:
        ev = events[events["event_class"] == cls]
        labels = [f"{i}: {cls.replace('_', ' ')}" for i in ev["id"]]
        src = ColumnDataSource(_source(ev, labels, "description", row=[cls] * len(ev)))
        renderers.append(
            fig.scatter("date", "row", source=src, marker="diamond", size=11,
                        color=CLASS_COLORS.get(cls, "#444"))
        )  # fmt: skip
    fig.add_tools(HoverTool(renderers=renderers, tooltips=_TOOLTIP,
                            formatters={"@date": "datetime"}))  # fmt: skip
    return fig


def interactive_timeline(
    frames: Mapping[str, pd.DataFrame],
    country: str = DEFAULT_COUNTRY,
    classes: Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
    width: int = 980,
) -> LayoutDOM:
    """The record on one zoomable time axis, every point citable by hovering it.

    Parameters
    ----------
    frames : mapping of DataFrame
        ``prisoner_counts``, ``releases`` and ``events`` (from
        :func:`analysis.record.data.load_processed` or
        :func:`analysis.record.userdata.load_with_user`).
    country : str
        Its key in :data:`analysis.settings.COUNTRIES` (chooses the reference NGO).
    classes : sequence of str, optional
        Event classes, one row each (default
        :data:`analysis.record.overview.DEFAULT_EVENT_CLASSES`).
    start, end : date-like, optional
        Period shown (default: the whole record); zoom narrows it further.
    width : int
        Width in pixels.

    Returns
    -------
    bokeh.models.LayoutDOM
        A column of two figures sharing the time axis. Show it with :func:`show_timeline`, or
        write a standalone page with :func:`timeline_html`.

    Raises
    ------
    ValueError
        For an unknown country or event class.
    """
    from bokeh.layouts import column

    cs = country_settings(country)
    classes = _check_classes(classes if classes is not None else DEFAULT_EVENT_CLASSES)
    top = _counts_figure(
        frames["prisoner_counts"], cs.reference_ngo, cs.reference_ngo_label, start, end, width
    )
    releases = _period(frames["releases"], start, end)
    events = _period(frames["events"], start, end)
    strip = _strip_figure(releases, events, classes, top.x_range, width)
    return column(top, strip)


def timeline_html(frames: Mapping[str, pd.DataFrame], title: str | None = None, **kwargs) -> str:
    """A standalone HTML page of :func:`interactive_timeline` with BokehJS inlined (offline).

    ``kwargs`` go to :func:`interactive_timeline`.
    """
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    layout = interactive_timeline(frames, **kwargs)
    label = country_settings(kwargs.get("country", DEFAULT_COUNTRY)).label
    return file_html(layout, INLINE, title or f"{label}: prisoners, releases and events")


def timeline_fragment(frames: Mapping[str, pd.DataFrame], **kwargs: Any) -> str:
    """An HTML fragment (no ``<html>``): BokehJS inline, then the figure's div and script.

    ``kwargs`` go to :func:`interactive_timeline`.
    """
    from bokeh.embed import components
    from bokeh.resources import INLINE

    script, div = components(interactive_timeline(frames, **kwargs))
    return INLINE.render() + div + script


def show_timeline(
    frames: Mapping[str, pd.DataFrame], static: bool = True, **kwargs: Any
) -> Figure | None:
    """Show the interactive timeline in a notebook (offline) and return a static one for print.

    The output is one HTML fragment with BokehJS, the figure's JSON and its render script all
    inline (:func:`timeline_fragment`): JupyterLab runs it, and the standalone HTML report of the
    notebook carries it unchanged, so neither needs a network. ``kwargs`` go to
    :func:`interactive_timeline`.

    Returns
    -------
    matplotlib.figure.Figure or None
        With ``static=True``, :func:`analysis.figures.plots.plot_timeline` over the same period and
        classes (pass it to :func:`analysis.figures.plots.show`, or save it for a printed report).
    """
    from IPython.display import HTML, display

    display(HTML(timeline_fragment(frames, **kwargs)))
    if not static:
        return None
    from analysis.figures.plots import plot_timeline

    period = [pd.Timestamp(frames[t]["date"].min()) for t in ("prisoner_counts", "events")]
    ends = [pd.Timestamp(frames[t]["date"].max()) for t in ("prisoner_counts", "events")]
    start = kwargs.get("start") or min(period)
    end = kwargs.get("end") or max(ends)
    cs = country_settings(kwargs.get("country", DEFAULT_COUNTRY))
    label = cs.reference_ngo_label
    return plot_timeline(dict(frames), start, end, kwargs.get("classes"),
                         reporter=cs.reference_ngo, reporter_label=label)  # fmt: skip
