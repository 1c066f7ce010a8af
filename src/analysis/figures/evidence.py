"""Figures of plan v3's results: documented exchanges (E1), E2 rows, the non-circular controls.

Every function draws what a result object holds and never recomputes a statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from analysis.inference.evidence import PlaceboShifts, PlantedPower
    from analysis.timing.exchanges import DocumentedExchanges

__all__ = ["plot_documented_exchanges", "plot_e2_rows", "plot_placebo_shifts", "plot_planted_power"]


def plot_documented_exchanges(
    result: DocumentedExchanges, *, figsize: tuple[float, float] = (6.5, 3.2)
) -> Figure:
    """E1: share of release days (and of persons) in documented exchanges, per period, with
    their intervals."""
    t = result.table
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(t))
    for off, col, label in ((-0.15, "share_days", "release days"),
                            (0.15, "share_persons", "persons")):  # fmt: skip
        y = t[col].to_numpy(float)
        lo, hi = t[f"{col}_lo"].to_numpy(float), t[f"{col}_hi"].to_numpy(float)
        ok = np.isfinite(y)
        ax.errorbar(x[ok] + off, y[ok], yerr=[y[ok] - lo[ok], hi[ok] - y[ok]], fmt="o",
                    capsize=3, label=label)  # fmt: skip
    ax.set_xticks(x, [f"{p}\n({d} days)" for p, d in zip(t["period"], t["release_days"],
                                                          strict=True)])  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_ylabel("share in documented exchanges")
    ax.set_title(f"E1 -- documented exchanges, {result.settings.get('country', '')}")
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_e2_rows(
    table: pd.DataFrame, *, label: str = "row", figsize: tuple[float, float] = (7.0, 3.6)
) -> Figure:
    """Forest plot of E2 rows (ratio with its interval, exact p and MDE in the labels).

    ``table`` has ``ratio``, ``ratio_lo``, ``ratio_hi``, ``pvalue`` and ``mde_05`` (as from
    :func:`analysis.inference.evidence.e2_robustness` or an ``ExchangeFamily.table``); rows that
    did not run are shown by name only.
    """
    t = table.reset_index() if label not in table.columns else table
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(t))[::-1]
    names = []
    for yi, (_, r) in zip(y, t.iterrows(), strict=True):
        ratio = r.get("ratio", np.nan)
        if pd.isna(ratio):
            names.append(f"{r[label]} (not run)")
            continue
        lo, hi = r.get("ratio_lo", np.nan), r.get("ratio_hi", np.nan)
        if np.isfinite(lo) and np.isfinite(hi):
            ax.plot([lo, hi], [yi, yi], color="0.4")
        ax.plot([ratio], [yi], "o", color="C0")
        mde = r.get("mde_05", np.nan)
        if pd.notna(mde) and np.isfinite(mde):
            ax.plot([mde], [yi], "|", color="C3", markersize=12)
        names.append(f"{r[label]}  (p {r['pvalue']:.3f})")
    ax.axvline(1.0, color="0.6", linestyle="--", linewidth=1)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("ratio of hits to the exact null mean [95 % CI]; red tick: MDE at 0.05")
    ax.set_title("E2: timing beyond documented exchanges")
    return fig


def plot_planted_power(
    result: PlantedPower, *, figsize: tuple[float, float] = (6.0, 3.4)
) -> Figure:
    """Power of E2 against an effect planted in the real record, by planted share."""
    c = result.curve
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(c["share"], c["power"], "o-", color="C0")
    ax.axhline(result.settings.get("target", 0.8), color="0.6", linestyle="--", linewidth=1)
    for s, p, r in zip(c["share"], c["power"], c["mean_ratio"], strict=True):
        ax.annotate(f"{r:.2f}×", (s, p), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7)  # fmt: skip
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("share of release clusters planted 0-7 days after an E2 event")
    ax.set_ylabel(f"power at alpha {result.settings.get('alpha')}")
    mde = ("not reached" if not np.isfinite(result.mde_ratio)
           else f"{result.mde_ratio:.2f}× (share {result.mde_share:.2f})")  # fmt: skip
    ax.set_title(f"Planted effect -- {result.settings.get('country', '')}: MDE {mde}",
                 fontsize=10)  # fmt: skip
    return fig


def plot_placebo_shifts(
    result: PlaceboShifts, *, figsize: tuple[float, float] = (6.5, 3.4)
) -> Figure:
    """Ratios of E2 under shifted calendars, with the observed ratio marked, and their p-values."""
    t = result.table
    fig = Figure(figsize=figsize, layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.hist(t["ratio"].dropna(), bins=30, color="0.75")
    ax1.axvline(result.observed_ratio, color="C3", linewidth=2)
    ax1.set_xlabel("ratio (shifted calendars)")
    ax1.set_ylabel("shifts")
    ax1.set_title(f"observed {result.observed_ratio:.2f}; {100 * result.rank:.0f} % of shifts "
                  "at or above", fontsize=9)  # fmt: skip
    ax2.hist(t["pvalue"].dropna(), bins=np.linspace(0, 1, 21), color="0.75")
    ax2.axvline(0.05, color="0.4", linestyle="--", linewidth=1)
    ax2.set_xlabel("exact p (shifted calendars)")
    ax2.set_title(f"share p < 0.05: {(t['pvalue'] < 0.05).mean():.3f}", fontsize=9)
    return fig
