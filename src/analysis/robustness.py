"""Robustness: a specification curve over the choices a timing test leaves open, and
leave-one-out checks for the largest releases.

A specification is one combination of window, direction, null, event subset, period and
weighting. :func:`specification_curve` runs :func:`analysis.coincidence.coincidence_test` for every
one and adjusts the p-values of the whole family (Holm and Benjamini-Hochberg), so a reader sees
how much the answer depends on the analyst's choices rather than one chosen specification.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.calendar import to_day, to_days
from analysis.coincidence import coincidence_test
from analysis.multitest import adjust

__all__ = [
    "LeaveOneOutResult",
    "SpecificationCurveResult",
    "compare_nulls",
    "leave_one_out",
    "specification_curve",
]

_NULLS = ("jitter", "circular_shift", "uniform", "poisson")
_DIRECTIONS = ("before", "after", "around")
_WEIGHTINGS = ("episodes", "persons")


@dataclass(frozen=True, eq=False)
class SpecificationCurveResult:
    """Result of :func:`specification_curve`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per specification: the settings (``window``, ``direction``, ``null``,
        ``event_set``, ``period``, ``weighting``), ``n_releases``, ``n_events``, ``statistic``,
        ``expected``, ``ratio``, ``ratio_lo``, ``ratio_hi``, ``pvalue``, ``p_holm``, ``p_bh``,
        and ``skipped`` (why a specification could not be run, else empty).
    alpha : float
        Level for the counts in :meth:`summary`.
    n_surrogates, seed, jitter_days : settings
    """

    table: pd.DataFrame = field(repr=False)
    alpha: float
    n_surrogates: int
    seed: int | None
    jitter_days: int | None

    @property
    def ran(self) -> pd.DataFrame:
        """Specifications that ran (not skipped)."""
        return self.table[self.table["skipped"] == ""]

    def by(self, column: str) -> pd.DataFrame:
        """Per value of one setting: specifications, median ratio, share with raw p < alpha and
        with Holm-adjusted p < alpha."""
        t = self.ran
        g = t.groupby(column, sort=False)
        return pd.DataFrame(
            {
                "specs": g.size(),
                "median_ratio": g["ratio"].median(),
                "share_p_raw": g["pvalue"].apply(lambda p: float((p < self.alpha).mean())),
                "share_p_holm": g["p_holm"].apply(lambda p: float((p < self.alpha).mean())),
            }
        )

    def summary(self) -> str:
        """Short plain-text overview."""
        t = self.ran
        n_skip = int((self.table["skipped"] != "").sum())
        lines = [
            "Specification curve",
            "-" * 60,
            f"specifications run        {len(t)}  (skipped: {n_skip})",
            f"median ratio              {t['ratio'].median():.3f}",
            f"share with ratio > 1      {(t['ratio'] > 1).mean():.3f}",
            f"share raw p < {self.alpha:<10}  {(t['pvalue'] < self.alpha).mean():.3f}",
            f"share BH-adjusted p < {self.alpha}  {(t['p_bh'] < self.alpha).mean():.3f}",
            f"share Holm-adjusted p < {self.alpha}  {(t['p_holm'] < self.alpha).mean():.3f}",
            f"surrogates, seed          {self.n_surrogates}, {self.seed}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def _check_choices(values: Sequence[str], allowed: tuple[str, ...], name: str) -> list[str]:
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty; allowed values: {', '.join(allowed)}")
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"{name} contains {bad}; allowed: {', '.join(allowed)}")
    return values


def specification_curve(
    release_days: pd.DataFrame,
    events: pd.DataFrame,
    *,
    windows: Sequence[int] = (7, 14, 30, 60),
    directions: Sequence[str] = _DIRECTIONS,
    nulls: Sequence[str] = ("jitter", "circular_shift"),
    event_sets: Mapping[str, Sequence[str]],
    periods: Mapping[str, tuple[Any, Any]],
    weightings: Sequence[str] = _WEIGHTINGS,
    n_surrogates: int = 999,
    jitter_days: int | None = None,
    alpha: float = 0.05,
    seed: int | None = None,
    min_releases: int = 5,
    progress: bool = False,
) -> SpecificationCurveResult:
    """Run the coincidence test over every combination of analysis choices.

    Parameters
    ----------
    release_days : DataFrame
        ``date`` and ``persons`` (see :func:`analysis.overview.release_days`).
    events : DataFrame
        ``date`` and ``event_class`` (see :func:`analysis.overview.select_events`).
    windows, directions, nulls, weightings : sequences
        Choices to cross. ``weightings``: ``"episodes"`` (each release day counts 1) or
        ``"persons"`` (weighted by persons released; days without a reported figure weigh 0).
    event_sets : mapping
        Name -> event classes pooled into that subset.
    periods : mapping
        Name -> (start, end); each period is also the observation period of its nulls.
    n_surrogates, jitter_days, seed : passed to the test
        Every specification gets its own seed drawn from ``seed`` (reproducible).
    alpha : float
        Level used in the summary.
    min_releases : int
        Specifications with fewer release days, or with no event, are skipped (and say so).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    SpecificationCurveResult
    """
    directions = _check_choices(directions, _DIRECTIONS, "directions")
    nulls = _check_choices(nulls, _NULLS, "nulls")
    weightings = _check_choices(weightings, _WEIGHTINGS, "weightings")
    if not windows or any(int(w) < 1 for w in windows):
        raise ValueError(f"windows = {list(windows)}; allowed: whole days >= 1")
    if not event_sets or not periods:
        raise ValueError("event_sets and periods must each name at least one entry")
    for name, (s, e) in periods.items():
        if pd.Timestamp(e) <= pd.Timestamp(s):
            raise ValueError(f"period {name!r}: end {e} is not after start {s}")
    if {"date", "persons"} - set(release_days.columns):
        raise ValueError("release_days needs columns 'date' and 'persons'")
    combos = list(itertools.product(periods, event_sets, windows, directions, nulls, weightings))
    seeds = np.random.SeedSequence(seed).generate_state(len(combos))
    rows = []
    iterator: Any = enumerate(combos)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(combos), desc="specifications")
    # day numbers once: the test is then pure integer work (dates parsed once, not per spec)
    r_days = to_days(release_days["date"], name="release_days.date")
    e_days = to_days(events["date"], name="events.date")
    e_class = events["event_class"].to_numpy()
    persons = release_days["persons"].fillna(0).to_numpy(dtype=float)
    bounds = {k: (to_day(a, name="start"), to_day(b, name="end")) for k, (a, b) in periods.items()}
    for i, (pname, ename, window, direction, null, weighting) in iterator:
        start, end = bounds[pname]
        r_mask = (r_days >= start) & (r_days <= end)
        e_mask = np.isin(e_class, list(event_sets[ename])) & (e_days >= start) & (e_days <= end)
        row: dict[str, Any] = {
            "period": pname,
            "event_set": ename,
            "window": int(window),
            "direction": direction,
            "null": null,
            "weighting": weighting,
            "n_releases": int(r_mask.sum()),
            "n_events": int(e_mask.sum()),
            "skipped": "",
        }
        weights = persons[r_mask] if weighting == "persons" else None
        reason = ""
        if row["n_releases"] < min_releases:
            reason = f"fewer than {min_releases} release days"
        elif row["n_events"] == 0:
            reason = "no event"
        elif weights is not None and weights.sum() == 0:
            reason = "no reported figure"
        elif weights is not None and null == "poisson":
            reason = "poisson null is unweighted"
        if reason:
            row["skipped"] = reason
            rows.append(row)
            continue
        res = coincidence_test(
            r_days[r_mask],
            e_days[e_mask],
            int(window),
            direction=direction,
            null=null,
            n_surrogates=n_surrogates,
            seed=int(seeds[i]),
            start=start,
            end=end,
            weights=weights,
            jitter_days=jitter_days if null == "jitter" else None,
            n_bootstrap=200,
        )
        row.update(
            statistic=res.statistic,
            expected=res.expected,
            ratio=res.ratio,
            ratio_lo=res.ratio_ci[0],
            ratio_hi=res.ratio_ci[1],
            pvalue=res.pvalue,
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    for c in ("statistic", "expected", "ratio", "ratio_lo", "ratio_hi", "pvalue"):
        if c not in table:
            table[c] = np.nan
    table["p_holm"] = np.nan
    table["p_bh"] = np.nan
    ok = table["skipped"] == ""
    if ok.any():
        p = table.loc[ok, "pvalue"].clip(0, 1)
        table.loc[ok, "p_holm"] = adjust(p.to_numpy(), "holm", alpha).p_adjusted.to_numpy()
        table.loc[ok, "p_bh"] = adjust(p.to_numpy(), "fdr_bh", alpha).p_adjusted.to_numpy()
    return SpecificationCurveResult(
        table=table, alpha=alpha, n_surrogates=n_surrogates, seed=seed, jitter_days=jitter_days
    )


@dataclass(frozen=True, eq=False)
class LeaveOneOutResult:
    """Result of :func:`leave_one_out`: the test with each of the largest release days removed.

    Attributes
    ----------
    table : pandas.DataFrame
        First row ``dropped = "(none)"`` is the full test; then one row per dropped release day
        (its date and persons) with ``statistic``, ``ratio``, ``ratio_lo``, ``ratio_hi``,
        ``pvalue``.
    settings : dict
        The test settings used.
    """

    table: pd.DataFrame = field(repr=False)
    settings: dict[str, Any]

    def summary(self) -> str:
        """Short plain-text table."""
        t = self.table
        lines = [
            "Leave one out (largest release days)",
            "-" * 64,
            f"{'dropped':<12}{'persons':>9}{'ratio':>8}{'95% CI':>18}{'p':>8}",
        ]
        for r in t.itertuples():
            persons = "" if pd.isna(r.persons) else f"{r.persons:.0f}"
            ci = f"[{r.ratio_lo:.2f}, {r.ratio_hi:.2f}]"
            lines.append(f"{r.dropped:<12}{persons:>9}{r.ratio:>8.2f}{ci:>18}{r.pvalue:>8.3f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def leave_one_out(
    release_days: pd.DataFrame,
    event_dates: Any,
    *,
    k: int = 5,
    window: int = 14,
    direction: str = "around",
    null: str = "jitter",
    n_surrogates: int = 2000,
    start: Any = None,
    end: Any = None,
    weighting: str = "episodes",
    jitter_days: int | None = None,
    seed: int | None = None,
) -> LeaveOneOutResult:
    """Re-run one coincidence test with each of the ``k`` largest release days left out.

    "Largest" is by ``persons`` (days without a figure rank last). The same seed is used for
    every run, so differences come from the dropped day, not from Monte Carlo noise.

    Raises
    ------
    ValueError
        If ``k`` < 1 or exceeds the number of release days minus 2.
    """
    n = len(release_days)
    if int(k) < 1 or int(k) > n - 2:
        raise ValueError(f"k = {k}; allowed: 1 .. {n - 2} (release days minus 2)")
    _check_choices([weighting], _WEIGHTINGS, "weighting")
    settings = dict(
        window=window,
        direction=direction,
        null=null,
        n_surrogates=n_surrogates,
        start=start,
        end=end,
        weighting=weighting,
        jitter_days=jitter_days,
        seed=seed,
    )

    def run(df: pd.DataFrame) -> Any:
        w = df["persons"].fillna(0).to_numpy(float) if weighting == "persons" else None
        return coincidence_test(
            df["date"],
            event_dates,
            window,
            direction=direction,
            null=null,
            n_surrogates=n_surrogates,
            seed=seed,
            start=start,
            end=end,
            weights=w,
            jitter_days=jitter_days if null == "jitter" else None,
            n_bootstrap=500,
        )

    rows = []
    full = run(release_days)
    rows.append(
        dict(
            dropped="(none)",
            persons=np.nan,
            statistic=full.statistic,
            ratio=full.ratio,
            ratio_lo=full.ratio_ci[0],
            ratio_hi=full.ratio_ci[1],
            pvalue=full.pvalue,
        )
    )
    order = release_days["persons"].fillna(-1).to_numpy().argsort(kind="stable")[::-1][:k]
    for idx in order:
        drop = release_days.index[idx]
        res = run(release_days.drop(index=drop))
        rows.append(
            dict(
                dropped=str(pd.Timestamp(release_days.loc[drop, "date"]).date()),
                persons=release_days.loc[drop, "persons"],
                statistic=res.statistic,
                ratio=res.ratio,
                ratio_lo=res.ratio_ci[0],
                ratio_hi=res.ratio_ci[1],
                pvalue=res.pvalue,
            )
        )
    return LeaveOneOutResult(table=pd.DataFrame(rows), settings=settings)


def compare_nulls(
    releases: Any,
    events: Any,
    window: int,
    *,
    direction: str = "around",
    nulls: Sequence[str] = ("jitter", "circular_shift", "uniform", "poisson"),
    n_surrogates: int = 2000,
    start: Any = None,
    end: Any = None,
    weights: Any = None,
    jitter_days: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """The same coincidence statistic judged against several nulls, one row per null.

    Shows how much of an apparent coincidence each null attributes to chance: the observed
    statistic is the same in every row; the expected value, ratio and p-value differ. Weights are
    not passed to the (unweighted) poisson null, which is then skipped if weights are given.

    Returns
    -------
    DataFrame
        ``null``, ``statistic``, ``expected``, ``ratio``, ``ratio_lo``, ``ratio_hi``, ``pvalue``,
        ``assumption``.
    """
    nulls = _check_choices(nulls, _NULLS, "nulls")
    seeds = np.random.SeedSequence(seed).generate_state(len(nulls))
    rows = []
    for null, s in zip(nulls, seeds, strict=True):
        if null == "poisson" and weights is not None:
            continue
        r = coincidence_test(
            releases,
            events,
            window,
            direction=direction,
            null=null,
            n_surrogates=n_surrogates,
            seed=int(s),
            start=start,
            end=end,
            weights=weights,
            jitter_days=jitter_days if null == "jitter" else None,
            n_bootstrap=500,
        )
        rows.append(
            dict(
                null=null,
                statistic=r.statistic,
                expected=r.expected,
                ratio=r.ratio,
                ratio_lo=r.ratio_ci[0],
                ratio_hi=r.ratio_ci[1],
                pvalue=r.pvalue,
                assumption=r.null_assumption,
            )
        )
    return pd.DataFrame(rows)
