"""Figures for the event-study, count-model, cross-correlation and change-point results.

Every function takes a result object and only draws what it holds (no statistic is recomputed);
each returns a :class:`matplotlib.figure.Figure` with a title and labelled axes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.models.changepoints import ChangepointResult
from analysis.models.conditional import LagProfileResult
from analysis.models.counts import CountModelResult, CrossCorrelationResult
from analysis.timing.calendar import from_days, to_days
from analysis.timing.eventstudy import EventStudyResult

__all__ = ["plot_ccf", "plot_changepoints", "plot_event_study", "plot_irr", "plot_lag_profile"]


def _check(result: Any, cls: type, name: str) -> None:
    if not isinstance(result, cls):
        raise ValueError(f"{name} needs a {cls.__name__}, got {type(result).__name__}")


def plot_event_study(
    result: EventStudyResult, *, persons: bool = False, title: str | None = None
) -> Figure:
    """Profile of release intensity around events with the surrogate band.

    Parameters
    ----------
    result : EventStudyResult
        Output of :func:`analysis.timing.eventstudy.event_study`.
    persons : bool, default False
        Plot persons per day instead of episodes per day (needs weights in the study).
    title : str, optional
        Figure title; a default describes the study.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(result, EventStudyResult, "plot_event_study")
    if persons and result.persons_profile is None:
        raise ValueError("persons = True needs an event study run with weights")
    if persons:
        prof, low, high, mean = (
            result.persons_profile,
            result.persons_band_low,
            result.persons_band_high,
            result.persons_null_mean,
        )
        unit = "persons released per day"
    else:
        prof, low, high, mean = result.profile, result.band_low, result.band_high, result.null_mean
        unit = "release episodes per day"
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    x = result.offsets
    ax.fill_between(
        x, low, high, color="0.85", label=f"null {result.band:.0%} band ({result.null})"
    )
    ax.plot(x, mean, color="0.4", lw=1, ls="--", label="null mean")
    ax.plot(x, prof, color="C3", lw=1.5, label="observed")
    lo, hi = result.test_window
    ax.axvspan(lo, hi, color="C0", alpha=0.08, label=f"test window (p = {result.window_p:.3g})")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("days relative to event (negative: before the event)")
    smooth = "" if result.smooth is None else f", {result.smooth}-day mean"
    ax.set_ylabel(f"{unit}{smooth}")
    ax.set_title(title or f"Releases around {result.n_events} events (+/-{result.half_width} days)")
    ax.legend(fontsize="small", loc="upper right")
    fig.tight_layout()
    return fig


def plot_irr(
    result: CountModelResult, *, title: str | None = None, include_const: bool = False
) -> Figure:
    """Forest plot of incidence-rate ratios with 95 % confidence intervals (log scale).

    Parameters
    ----------
    result : CountModelResult
        Output of :func:`analysis.models.counts.count_model`.
    title : str, optional
        Figure title.
    include_const : bool, default False
        Also show the constant (baseline rate per day), usually on a different scale.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(result, CountModelResult, "plot_irr")
    tab = result.table if include_const else result.table.drop(index="const", errors="ignore")
    fig = Figure(figsize=(7, 0.4 * len(tab) + 1.5))
    ax = fig.add_subplot()
    y = np.arange(len(tab))[::-1]
    irr = tab["irr"].to_numpy()
    err = np.vstack([irr - tab["ci_low"].to_numpy(), tab["ci_high"].to_numpy() - irr])
    ax.errorbar(irr, y, xerr=err, fmt="o", color="C0", capsize=3)
    ax.axvline(1, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    # label only 1-2-5 minor ticks so that labels do not overlap below 1
    ax.xaxis.set_minor_formatter(
        FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.1e}"[0] in "25" else "")
    )
    ax.set_yticks(y, list(tab.index))
    ax.set_xlabel("incidence-rate ratio (95% CI, HAC)")
    ax.set_ylabel("term")
    ax.set_title(
        title or f"{result.family} GLM of weekly {result.outcome} (n = {result.n_weeks} weeks)"
    )
    fig.tight_layout()
    return fig


def plot_ccf(result: CrossCorrelationResult, *, title: str | None = None) -> Figure:
    """Cross-correlation by lag with the surrogate band.

    Parameters
    ----------
    result : CrossCorrelationResult
        Output of :func:`analysis.models.counts.cross_correlation`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(result, CrossCorrelationResult, "plot_ccf")
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot()
    ax.fill_between(
        result.lags,
        result.band_low,
        result.band_high,
        color="0.85",
        step="mid",
        label=f"surrogate {result.band:.0%} band ({result.method})",
    )
    ax.vlines(result.lags, 0, result.ccf, color="C0", lw=2)
    ax.plot(result.lags, result.ccf, "o", color="C0", label="observed")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(f"lag k (weeks; k > 0: {result.x_name} leads {result.y_name})")
    ax.set_ylabel(f"corr({result.x_name}_t, {result.y_name}_t+k)")
    ax.set_title(
        title or f"Cross-correlation, peak k = {result.peak_lag}, global p = {result.p_global:.3g}"
    )
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_changepoints(
    result: ChangepointResult,
    events: Mapping[str, Any] | None = None,
    *,
    title: str | None = None,
    ylabel: str = "political prisoners (Foro Penal)",
) -> Figure:
    """Observed series, segment means, break gaps and (optionally) event dates.

    Parameters
    ----------
    result : ChangepointResult
        Output of :func:`analysis.models.changepoints.detect_changepoints`.
    events : mapping of str to array-like of date-like, optional
        Event dates per class, drawn as vertical ticks at the bottom of the axes.
    title : str, optional
        Figure title.
    ylabel : str
        Label of the value axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(result, ChangepointResult, "plot_changepoints")
    fig = Figure(figsize=(9, 4.5))
    ax = fig.add_subplot()
    ax.plot(result.dates, result.values, "o-", ms=3, lw=0.8, color="0.3", label="reports")
    for i, seg in result.segments.iterrows():
        ax.hlines(
            seg["mean"],
            seg["start"],
            seg["end"],
            color="C3",
            lw=2,
            label="segment mean" if i == 0 else None,
        )
    for j, (p, c) in enumerate(zip(result.previous_dates, result.change_dates, strict=True)):
        ax.axvspan(p, c, color="C3", alpha=0.15, label="break (reporting gap)" if j == 0 else None)
    if events:
        for k, (cls, dates) in enumerate(events.items()):
            ev = from_days(to_days(dates, name=f"events[{cls!r}]"))
            ax.plot(
                ev,
                np.zeros(len(ev)),
                "|",
                ms=14,
                color=f"C{k % 10}",
                transform=ax.get_xaxis_transform(),
                label=f"event: {cls}",
            )
    ax.set_xlabel("report date")
    ax.set_ylabel(ylabel)
    ax.set_title(
        title
        or f"Change points ({result.method}, {result.model}): {len(result.change_dates)} breaks"
    )
    ax.legend(fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def plot_lag_profile(result: LagProfileResult, *, title: str | None = None) -> Figure:
    """IRR by lag bin with its interval, one series per event class (log scale, line at 1).

    Each estimate is drawn at the middle of its lag bin with a horizontal bar spanning the bin
    and a vertical bar for the interval. Boundary estimates are marked at the bottom (IRR = 0,
    triangle down) or top (IRR infinite, triangle up) of the axes; dropped bins are not drawn.

    Parameters
    ----------
    result : LagProfileResult
        Output of :func:`analysis.conditional.conditional_poisson` or ``lag_profile``.
    title : str, optional
        Figure title; the default states the LR test.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(result, LagProfileResult, "plot_lag_profile")
    tab = result.table
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    edge = ax.get_xaxis_transform()  # x in lags, y in axes fraction
    shift = 0.6 * (np.arange(len(result.classes)) - (len(result.classes) - 1) / 2)
    for k, (cls, dx) in enumerate(zip(result.classes, shift, strict=True)):
        sub = tab[tab["class"] == cls]
        mid = (sub["lag_lo"] + sub["lag_hi"]).to_numpy() / 2 + dx
        est = (sub["status"] == "estimated").to_numpy()
        irr = sub["irr"].to_numpy()
        yerr = np.vstack([irr - sub["irr_lo"].to_numpy(), sub["irr_hi"].to_numpy() - irr])
        half = (sub["lag_hi"] - sub["lag_lo"]).to_numpy() / 2
        color = f"C{k % 10}"
        ax.errorbar(
            mid[est],
            irr[est],
            yerr=yerr[:, est],
            xerr=half[est],
            fmt="o",
            color=color,
            capsize=2,
            lw=1,
            label=cls,
        )
        for status, y, marker in (("zero", 0.02, "v"), ("infinite", 0.98, "^")):
            on = (sub["status"] == status).to_numpy()
            ax.plot(mid[on], np.full(on.sum(), y), marker, color=color, mfc="none", transform=edge)
    ax.axhline(1, color="k", lw=0.8, ls="--")
    ax.axvline(-0.5, color="0.6", lw=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("lag = release day - event day (days; positive: release after the event)")
    ax.set_ylabel(f"incidence-rate ratio ({result.level:.0%} CI)")
    ax.set_title(
        title
        or f"Conditional Poisson lag profile ({result.strata} strata): LR p = "
        f"{result.lr_pvalue:.3g}, df = {result.lr_df}"
    )
    ax.legend(fontsize="small", title="open triangles: IRR 0 / infinite", title_fontsize="small")
    fig.tight_layout()
    return fig
