"""Figures of coincidence-test results. Functions draw what a result object holds and never
recompute a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from analysis.inference.comparative import ComparisonResult
    from analysis.inference.controls import ControlsResult
    from analysis.timing.coincidence import CoincidenceTestResult
    from analysis.timing.sensitivity import SensitivityResult

__all__ = [
    "plot_controls",
    "plot_event_studies",
    "plot_forest",
    "plot_null",
    "plot_power_curves",
]


def plot_null(
    result: CoincidenceTestResult,
    *,
    ax: Any | None = None,
    bins: int | str = "auto",
    figsize: tuple[float, float] = (6.0, 3.6),
) -> Figure:
    """Null distribution of a coincidence test with the observed statistic marked.

    Parameters
    ----------
    result : CoincidenceTestResult
        Output of :func:`analysis.timing.coincidence.coincidence_test`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    bins : int or str, default "auto"
        Histogram bins (Monte Carlo and circular-shift nulls).
    figsize : tuple of float
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Histogram (density) of ``result.null_distribution`` -- for the circular shift every shift
        counts once, as in the exact p-value -- or, for the analytic poisson null, the bars of
        ``result.null_pmf``. A solid line marks the observed statistic, a dashed line the null
        mean; the title names the null and gives the p-value.

    Raises
    ------
    ValueError
        If ``result`` holds neither a null distribution nor a null pmf.
    """
    if result.null_distribution is None and result.null_pmf is None:
        raise ValueError(
            "result has neither null_distribution nor null_pmf; nothing to plot (pass the "
            "result of coincidence_test)"
        )
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    if result.null_distribution is not None:
        values = np.asarray(result.null_distribution, dtype=float)
        ax.hist(
            values,
            bins=bins,
            density=True,
            color="#9ecae1",
            edgecolor="#3182bd",
            linewidth=0.5,
            label=f"null ({values.size:,} {_unit(result)})",
        )
    else:
        support, prob = result.null_pmf  # type: ignore[misc]
        keep = prob > 1e-6 * prob.max()
        width = float(np.min(np.diff(support))) if support.size > 1 else 0.01
        ax.bar(
            support[keep],
            prob[keep] / width,
            width=width * 0.9,
            color="#9ecae1",
            edgecolor="#3182bd",
            linewidth=0.5,
            label="null (analytic binomial)",
        )
    ax.axvline(
        result.statistic, color="#d62728", linewidth=2, label=f"observed {result.statistic:.3f}"
    )
    ax.axvline(
        result.expected,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"null mean {result.expected:.3f}",
    )
    null = (
        result.null
        if result.jitter_days is None
        else (f"{result.null}, {result.jitter_days}-day bins")
    )
    ax.set_title(f"Null: {null}; p = {result.pvalue:.3g}", fontsize=10)
    weight = "weighted share" if result.weighted else "share"
    ax.set_xlabel(
        f"{weight} of releases with an event within {result.window} d ({result.direction})"
    )
    ax.set_ylabel("density")
    ax.legend(fontsize=8, frameon=False)
    return fig


def _unit(result: CoincidenceTestResult) -> str:
    return "shifts" if result.null == "circular_shift" else "surrogates"


def plot_controls(result: ControlsResult, *, figsize: tuple[float, float] = (7.0, 3.4)) -> Figure:
    """Forest plot of the controls: ratio with its 95 % interval, one row per control.

    Positive controls are drawn in blue, negative ones in grey; the p-value is written at the
    right. A dashed line marks no effect (ratio 1).

    Parameters
    ----------
    result : ControlsResult
        Output of :func:`analysis.inference.controls.run_controls`.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = result.table
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    y = np.arange(len(t))[::-1]
    for yi, r in zip(y, t.itertuples(), strict=True):
        color = "#1f5fbf" if r.kind == "positive" else "#777777"
        ax.plot([r.ratio_lo, r.ratio_hi], [yi, yi], color=color, lw=2)
        ax.plot([r.ratio], [yi], "o", color=color)
        ax.annotate(f"p={r.pvalue:.4f}", (1.01, yi), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8)  # fmt: skip
    ax.axvline(1.0, ls="--", color="k", lw=0.8)
    ax.set_yticks(y, list(t["control"]), fontsize=8)
    ax.set_xlabel("observed / expected share of release days with an event in the window")
    ax.set_title(f"Controls, plan {result.settings['plan']}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_power_curves(
    results: Mapping[str, SensitivityResult], *, figsize: tuple[float, float] = (6.5, 3.6)
) -> Figure:
    """Power against the effect (expected ratio) for one or more tests on the record.

    Parameters
    ----------
    results : mapping of str to SensitivityResult
        Label -> output of :func:`analysis.timing.sensitivity.sensitivity`.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One line per test; the target power is a dashed line and each test's minimum detectable
        effect a dot on it.
    """
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    target = None
    for label, res in results.items():
        c = res.power_curve
        (line,) = ax.plot(c["ratio"], c["power"], label=label)
        if res.detectable:
            ax.plot([res.mde_ratio], [res.power], "o", color=line.get_color())
        target = res.power
    if target is not None:
        ax.axhline(target, ls="--", color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("effect: expected observed / null share (log scale)")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("What each test could detect on this record", fontsize=10)
    fig.tight_layout()
    return fig


def plot_forest(result: ComparisonResult, *, figsize: tuple[float, float] = (8.0, 5.0)) -> Figure:
    """Forest plot of the coincidence hypotheses by country, with each test's MDE.

    Parameters
    ----------
    result : ComparisonResult
        Output of :func:`analysis.inference.comparative.compare_countries`.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Ratio and 95 % interval per country and hypothesis (log scale); a hollow diamond marks the
        minimum detectable effect at 80 % power; filled markers are supported hypotheses.
    """
    t = result.table[result.table["effect_unit"] == "ratio"].reset_index(drop=True)
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    y = np.arange(len(t))[::-1]
    colors = {c: f"C{i}" for i, c in enumerate(dict.fromkeys(t["country"]))}
    for yi, r in zip(y, t.itertuples(), strict=True):
        col = colors[r.country]
        if np.isfinite(r.effect):
            lo, hi = max(r.effect_lo, 0.05), max(r.effect_hi, 0.05)
            ax.plot([lo, hi], [yi, yi], color=col, lw=2)
            ax.plot([max(r.effect, 0.05)], [yi], "o", color=col, mfc=col if r.supported else "w")
        if np.isfinite(r.mde):
            ax.plot([r.mde], [yi], "D", color=col, mfc="none", ms=6)
    ax.axvline(1.0, ls="--", color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, [f"{r.label} {r.id}" for r in t.itertuples()], fontsize=8)
    ax.set_xlabel("observed / expected share (log); ◇ minimum detectable effect (80 % power)")
    ax.set_title(f"Plan {result.settings['plan']}: the same tests in each country", fontsize=10)
    fig.tight_layout()
    return fig


def plot_event_studies(result: ComparisonResult, *, figsize: tuple[float, float] = (7.5, 3.8)
                       ) -> Figure:  # fmt: skip
    """Release intensity around talks, each country relative to its own null mean.

    Parameters
    ----------
    result : ComparisonResult
        Output of :func:`analysis.inference.comparative.compare_countries`.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        For each country with an event study: profile / null mean against days from the event
        (1 = what the jitter null expects; countries are comparable despite different rates).
    """
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    for country, st in result.studies.items():
        if st is None:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(st.null_mean > 0, st.profile / st.null_mean, np.nan)
        ax.plot(st.offsets, rel, label=country)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.axvline(0.0, color="#999", lw=0.8)
    ax.set_xlabel("days from a talks event (negative: before)")
    ax.set_ylabel("release days / jitter-null mean")
    ax.legend(fontsize=8)
    ax.set_title("Release intensity around talks, relative to the null", fontsize=10)
    fig.tight_layout()
    return fig
