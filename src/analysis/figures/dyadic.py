"""Figures of the dyadic record: foreign-national releases against their own country's events.

Descriptive only: nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_dyadic_timeline"]


def plot_dyadic_timeline(
    frames_or_tables: Any,
    *,
    classes: Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
    eu_members_match_eu: bool = True,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """One row per released nationality: its releases and its own country's events in time.

    Parameters
    ----------
    frames_or_tables : dict of DataFrame or (DataFrame, DataFrame)
        As in :func:`analysis.timing.dyadic.dyadic_test`: the dict of
        :func:`analysis.record.data.load_processed`, or ``(units, events)``.
    classes : sequence of str, optional
        Event classes (default :data:`analysis.record.overview.DEFAULT_EVENT_CLASSES`).
    start, end : date-like, optional
        Period (default: the releases' and events' span).
    eu_members_match_eu : bool, default True
        Show ``EU`` events on the rows of EU member states (as the test counts them).
    figsize : tuple of float, optional
        Default: 9 inches wide, 0.35 inch per nationality.

    Returns
    -------
    matplotlib.figure.Figure
        Grey ticks: events in which the row's country is a counterpart. Red dots: releases of
        that nationality (dot area grows with the persons released, where known). Rows sorted
        by nationality code, top to bottom.
    """
    from analysis.timing.dyadic import _unpack, own_channel_events

    units, events = _unpack(frames_or_tables)
    if start is not None:
        units = units[pd.to_datetime(units["date"]) >= pd.Timestamp(start)]
    if end is not None:
        units = units[pd.to_datetime(units["date"]) <= pd.Timestamp(end)]
    if len(units) == 0:
        raise ValueError("no foreign-national releases to plot in the period (start, end)")
    codes = sorted(set(units["nationality"]))
    fig = Figure(figsize=figsize or (9.0, 1.2 + 0.35 * len(codes)), layout="constrained")
    ax = fig.add_subplot()
    for row, code in enumerate(reversed(codes)):
        ev = own_channel_events(events, code, classes, eu_members_match_eu, start, end)
        ax.plot(ev["date"], [row] * len(ev), "|", color="#888888", ms=10, mew=1,
                label="own-country event" if row == 0 else None)  # fmt: skip
        u = units[units["nationality"] == code]
        persons = u["n_persons"] if "n_persons" in u else pd.Series(1.0, index=u.index)
        size = 20 + 8 * persons.fillna(1).clip(upper=20).to_numpy(dtype=float)
        ax.scatter(u["date"], [row] * len(u), s=size, color="#d62728", zorder=3,
                   edgecolor="white", linewidth=0.5,
                   label="foreign-national release" if row == 0 else None)  # fmt: skip
    ax.set_yticks(range(len(codes)), list(reversed(codes)))
    ax.set_ylim(-0.7, len(codes) - 0.3)
    ax.grid(axis="x", color="#eeeeee")
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncols=2)
    ax.set_title("Foreign-national releases and their own country's events", fontsize=10)
    return fig
