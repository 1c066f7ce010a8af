"""Figures of the event record. Each function returns a matplotlib ``Figure``; none computes a
statistic (they draw what :mod:`analysis.overview` and the result objects hold).

Figures of test results live beside their results: :mod:`analysis.plots_coincidence` and
:mod:`analysis.plots_models`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.overview import DEFAULT_EVENT_CLASSES, prisoner_series

__all__ = ["plot_coverage", "plot_timeline"]

_CLASS_COLORS = {
    "negotiation": "#1f77b4",
    "agreement": "#2ca02c",
    "envoy_visit": "#17becf",
    "talks_suspended": "#7f7f7f",
    "election": "#9467bd",
    "recognition": "#8c564b",
    "military_action": "#000000",
    "statement": "#bcbd22",
    "other_diplomatic": "#c7c7c7",
    "sanctions_tightening": "#d62728",
    "sanctions_relief": "#ff7f0e",
}


def plot_timeline(
    frames: dict[str, pd.DataFrame],
    start: Any,
    end: Any,
    event_classes: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """One timeline: Foro Penal's count, release episodes and events by class.

    Parameters
    ----------
    frames : dict of DataFrame
        From :func:`analysis.data.load_processed` (needs prisoner_counts, releases, events).
    start, end : date-like
        Period shown.
    event_classes : sequence of str, optional
        Rows of the event strip (default :data:`analysis.overview.DEFAULT_EVENT_CLASSES`).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    classes = list(event_classes or DEFAULT_EVENT_CLASSES)
    fig, (ax1, ax2, ax3) = plt.subplots(
        3, 1, figsize=(12, 8), sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 2.2]}
    )
    fp = prisoner_series(frames["prisoner_counts"], "foro_penal", s, e)
    ax1.plot(fp.index, fp.to_numpy(), marker="o", ms=3, lw=1.2, color="#333")
    ax1.set_ylabel("political prisoners\n(Foro Penal)")
    ax1.grid(alpha=0.3)

    rel = frames["releases"]
    rel = rel[(rel["date"] >= s) & (rel["date"] <= e)]
    persons = rel["n_released"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(persons)
    ax2.vlines(rel["date"][known], 0, persons[known], color="#2b8cbe", lw=1.5)
    ax2.plot(
        rel["date"][~known],
        np.ones((~known).sum()),
        "x",
        color="#2b8cbe",
        label="episode without a figure",
    )
    ax2.set_yscale("symlog", linthresh=10)
    ax2.set_ylabel("persons released\nper episode")
    ax2.grid(alpha=0.3)
    if (~known).any():
        ax2.legend(loc="upper left", fontsize=8, frameon=False)

    ev = frames["events"]
    ev = ev[(ev["date"] >= s) & (ev["date"] <= e)]
    for i, cls in enumerate(classes):
        d = ev.loc[ev["event_class"] == cls, "date"]
        ax3.plot(d, np.full(len(d), i), "|", ms=12, mew=1.6, color=_CLASS_COLORS.get(cls, "k"))
    ax3.set_yticks(range(len(classes)), [c.replace("_", " ") for c in classes], fontsize=8)
    ax3.set_ylim(-0.7, len(classes) - 0.3)
    ax3.invert_yaxis()
    ax3.grid(alpha=0.3, axis="x")
    ax3.set_xlim(s, e)
    ax3.set_xlabel("date")
    fig.suptitle(title or f"Venezuela {s.date()} to {e.date()}: prisoners, releases, events")
    fig.tight_layout()
    return fig


def plot_coverage(coverage: pd.DataFrame, title: str = "Rows per year per table") -> Figure:
    """Bar chart of :func:`analysis.data.coverage_table` (the ``total`` row is dropped)."""
    cov = coverage.drop(index="total", errors="ignore")
    fig, ax = plt.subplots(figsize=(10, 3.5))
    cov.plot.bar(ax=ax, width=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
