"""Figures of coincidence-test results. Functions draw what a result object holds and never
recompute a statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from analysis.coincidence import CoincidenceTestResult

__all__ = ["plot_null"]


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
        Output of :func:`analysis.coincidence.coincidence_test`.
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
