"""Figures of the event record. Each function returns a matplotlib ``Figure``; none computes a
statistic (they draw what :mod:`analysis.record.overview` and the result objects hold).

Figures of test results live beside their results: :mod:`analysis.figures.coincidence` and
:mod:`analysis.figures.models`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.record.overview import DEFAULT_EVENT_CLASSES, prisoner_series

__all__ = [
    "CLASS_COLORS",
    "plot_calibration",
    "plot_coverage",
    "plot_plan_calibration",
    "plot_revolving",
    "plot_specification_curve",
    "plot_timeline",
    "plot_tradeoff",
    "show",
]


def show(fig: Figure) -> None:
    """Display a figure once in a notebook (or do nothing outside one), then close it.

    Works for figures made with pyplot and for bare :class:`~matplotlib.figure.Figure` objects,
    which ``plt.show()`` does not know about.
    """
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        plt.close(fig)
        return
    if get_ipython() is not None:
        # render to PNG ourselves: a bare Figure has no pyplot manager and the inline backend
        # may not be active yet, so display(fig) could show only its text repr
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        display(Image(data=buf.getvalue(), format="png"))
    plt.close(fig)


#: One colour per event class, shared by every figure (static and interactive).
CLASS_COLORS = {
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
    reporter: str = "foro_penal",
    reporter_label: str = "Foro Penal",
) -> Figure:
    """One timeline: the reference NGO's count, release episodes and events by class.

    Parameters
    ----------
    frames : dict of DataFrame
        From :func:`analysis.record.data.load_processed` (needs prisoner_counts, releases, events).
    start, end : date-like
        Period shown.
    event_classes : sequence of str, optional
        Rows of the event strip (default :data:`analysis.record.overview.DEFAULT_EVENT_CLASSES`).
    title : str, optional
        Figure title.
    reporter, reporter_label : str
        ``reported_by`` value of the stock series and its name on the axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    classes = list(event_classes or DEFAULT_EVENT_CLASSES)
    fig, (ax1, ax2, ax3) = plt.subplots(
        3, 1, figsize=(12, 8), sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 2.2]}
    )
    fp = prisoner_series(frames["prisoner_counts"], reporter, s, e)
    ax1.plot(fp.index, fp.to_numpy(), marker="o", ms=3, lw=1.2, color="#333")
    ax1.set_ylabel(f"political prisoners\n({reporter_label})")
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
        ax3.plot(d, np.full(len(d), i), "|", ms=12, mew=1.6, color=CLASS_COLORS.get(cls, "k"))
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
    """Bar chart of :func:`analysis.record.data.coverage_table` (the ``total`` row is dropped)."""
    cov = coverage.drop(index="total", errors="ignore")
    fig, ax = plt.subplots(figsize=(10, 3.5))
    cov.plot.bar(ax=ax, width=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def plot_specification_curve(result: Any, title: str | None = None) -> Figure:
    """The specification curve: ratios sorted, with intervals, and the choices below.

    Parameters
    ----------
    result : analysis.inference.robustness.SpecificationCurveResult
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = result.ran.sort_values("ratio", kind="stable").reset_index(drop=True)
    dims = ["window", "direction", "null", "event_set", "period", "weighting"]
    if "release_set" in t and t["release_set"].nunique() > 1:
        dims.append("release_set")
    fig, axes = plt.subplots(
        2, 1, figsize=(12, 8), sharex=True, gridspec_kw={"height_ratios": [2, 3]}
    )
    x = np.arange(len(t))
    sig = (t["pvalue"] < result.alpha).to_numpy()
    ax = axes[0]
    ax.vlines(x, t["ratio_lo"], t["ratio_hi"], color="#bbb", lw=0.6)
    ax.scatter(x[~sig], t["ratio"][~sig], s=4, color="#555", label=f"p ≥ {result.alpha}")
    ax.scatter(x[sig], t["ratio"][sig], s=6, color="#d62728", label=f"raw p < {result.alpha}")
    ax.axhline(1, color="k", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_ylabel("observed / expected\n(log scale, 95% CI)")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax = axes[1]
    labels, y = [], 0
    for dim in dims:
        for value in t[dim].astype(str).unique():
            on = (t[dim].astype(str) == value).to_numpy()
            ax.scatter(x[on], np.full(on.sum(), y), s=2, marker="s", color="#333")
            labels.append(f"{dim}: {value}")
            y += 1
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("specifications, sorted by ratio")
    fig.suptitle(title or f"Specification curve ({len(t)} specifications)")
    fig.tight_layout()
    return fig


def plot_calibration(result: Any, title: str | None = None) -> Figure:
    """Rejection rates (95% Wilson intervals) by scenario and null, with the level marked.

    Parameters
    ----------
    result : analysis.inference.simulate.CalibrationResult
    """
    t = result.table
    scenarios = list(dict.fromkeys(t["scenario"]))
    nulls = list(dict.fromkeys(t["null"]))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(4 * len(scenarios), 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, sc in zip(axes, scenarios, strict=True):
        sub = t[t["scenario"] == sc].set_index("null").reindex(nulls)
        y = sub["rate"].to_numpy(float)
        lo_err = y - sub["rate_lo"].to_numpy(float)
        hi_err = sub["rate_hi"].to_numpy(float) - y
        err = np.clip(np.vstack([lo_err, hi_err]), 0, None)  # Wilson bounds can sit at the rate
        ax.bar(range(len(nulls)), y, yerr=err, color="#6baed6", capsize=3)
        ax.axhline(result.alpha, color="#d62728", ls="--", lw=1)
        ax.set_xticks(range(len(nulls)), nulls, rotation=30, fontsize=8)
        kind = "size (no effect)" if bool(sub["is_null"].iloc[0]) else "power (planted effect)"
        ax.set_title(f"{sc}: {kind}", fontsize=10)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel(f"rejection rate at α = {result.alpha}")
    fig.suptitle(title or f"Calibration: {result.n_reps} replications per scenario")
    fig.tight_layout()
    return fig


def plot_tradeoff(table: pd.DataFrame, alpha: float = 0.05, title: str | None = None) -> Figure:
    """Size and power of the jitter test against the bin width.

    Parameters
    ----------
    table : DataFrame
        From :func:`analysis.inference.simulate.jitter_tradeoff` (``jitter_days``, ``size_*``,
        ``power_*`` columns).
    """
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for col in table.columns:
        if col.startswith(("size_", "power_")):
            style = "-o" if col.startswith("power_") else "--s"
            ax.plot(table["jitter_days"], table[col], style, label=col.replace("_", " ", 1))
    ax.axhline(alpha, color="#d62728", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xticks(table["jitter_days"], [str(v) for v in table["jitter_days"]])
    ax.set_xlabel("jitter bin width (days)")
    ax.set_ylabel("rejection rate")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title or "Jitter test: size and power against bin width")
    fig.tight_layout()
    return fig


def plot_revolving(result: Any, counts: pd.Series, events: Any, title: str | None = None) -> Figure:
    """The prisoner stock with pre-event intervals highlighted, and the null distribution.

    Parameters
    ----------
    result : analysis.timing.revolving.RevolvingDoorResult
    counts : pandas.Series
        The stock series the result was computed on.
    events : array-like of dates
        The events used.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [3, 1]})
    ax1.plot(counts.index, counts.to_numpy(), color="#333", lw=1, marker="o", ms=2)
    pre = result.intervals[result.intervals["pre_event"]]
    for a, b in zip(pre["from"], pre["to"], strict=True):
        ax1.axvspan(a, b, color="#fdae6b", alpha=0.6, lw=0)
    for d in pd.to_datetime(pd.Series(events)):
        ax1.axvline(d, color="#1f77b4", lw=0.6, alpha=0.7)
    ax1.set_ylabel("political prisoners (Foro Penal)")
    ax1.set_title(
        f"stock; orange: intervals ending ≤ {result.window} d before an event (blue)", fontsize=10
    )
    ax1.grid(alpha=0.3)
    null = result.null_distribution[np.isfinite(result.null_distribution)]
    ax2.hist(null, bins=40, color="#bbb")
    ax2.axvline(result.statistic, color="#d62728", lw=2)
    ax2.set_xlabel("difference (persons per 30 d)")
    ax2.set_title(f"null: all circular shifts; p = {result.pvalue:.3f}", fontsize=10)
    fig.suptitle(title or "Revolving door: is the stock restocked before events?")
    fig.tight_layout()
    return fig


def plot_plan_calibration(result: Any, title: str | None = None) -> Figure:
    """Power curves of a plan's tests with their size under the null scenarios.

    Parameters
    ----------
    result : analysis.inference.calibration.PlanCalibration
        From :func:`analysis.inference.calibration.calibrate_plan` or ``load_calibration``.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per shape (record sizes, generic): power against the planted share of
        clusters per hypothesis (95 % Wilson intervals), the size rows as points at share 0,
        the level and the 0.8 power target as dashed lines.
    """
    t = result.table if "shape" in result.table else result.table.assign(shape="record")
    shapes = list(dict.fromkeys(t["shape"]))
    fig, axes = plt.subplots(1, len(shapes), figsize=(5.2 * len(shapes), 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    alpha = float(result.settings.get("alpha", 0.05))
    for ax, shape in zip(axes, shapes, strict=True):
        sub = t[t["shape"] == shape]
        for hid, g in sub.groupby("hypothesis", sort=True):
            pw = g[g["kind"] == "power"].sort_values("fraction")
            err = np.clip(np.vstack([pw["rate"] - pw["rate_lo"], pw["rate_hi"] - pw["rate"]]), 0,
                          None)  # fmt: skip
            (line,) = ax.plot(pw["fraction"], pw["rate"], marker="o", label=hid)
            ax.errorbar(pw["fraction"], pw["rate"], yerr=err, fmt="none", color=line.get_color())
            size = g[g["kind"] == "size"]
            ax.plot([0] * len(size), size["rate"], "x", color=line.get_color())
        ax.axhline(alpha, color="#d62728", ls="--", lw=1)
        ax.axhline(0.8, color="#555", ls=":", lw=1)
        ax.set_title(f"{shape} shape", fontsize=10)
        ax.set_xlabel("share of release clusters planted 0–7 d from an event")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rejection rate (x: size under the nulls)")
    axes[0].legend(fontsize=8)
    axes[0].set_ylim(0, 1.02)
    fig.suptitle(title or f"Calibration of plan {result.settings.get('plan')}", fontsize=11)
    fig.tight_layout()
    return fig
