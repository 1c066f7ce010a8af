"""Robustness: a specification curve over the choices a timing test leaves open, and
leave-one-out checks for the largest releases.

A specification is one combination of window, direction, null, jitter bin width, event subset,
period and weighting. :func:`specification_curve` runs
:func:`analysis.timing.coincidence.coincidence_test` for every one and adjusts the p-values of the
whole
family: Westfall-Young max-T over shared surrogates (:mod:`analysis.inference.familywise`), which
uses the
strong dependence between near-identical specifications and can reject at the surrogate count
used, with Holm and Benjamini-Hochberg kept for comparison. A reader sees how much the answer
depends on the analyst's choices rather than one chosen specification.

Shared surrogates. Specifications that share a release set (period), a null and a jitter bin
width are run with the same seed, so the jitter (or uniform) null redraws the releases
identically for all of them; for the circular shift the same random shifts are read from each
specification's exact null. Row ``b`` of the null matrix is then one joint draw for every
specification of a group. Groups (different periods, nulls or bin widths) get independent draws;
the maximum over independent copies is stochastically larger than over positively dependent
ones, so joining groups this way errs on the conservative side.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.familywise import FAMILYWISE_METHODS, westfall_young
from analysis.inference.grid import run_grid
from analysis.inference.multitest import adjust
from analysis.timing.calendar import to_day, to_days
from analysis.timing.coincidence import coincidence_test

__all__ = [
    "DateUncertaintyResult",
    "LeaveOneOutResult",
    "SpecificationCurveResult",
    "compare_nulls",
    "date_uncertainty",
    "leave_one_out",
    "specification_curve",
]

_NULLS = ("jitter", "circular_shift", "uniform", "poisson")
_DIRECTIONS = ("before", "after", "around")
_WEIGHTINGS = ("episodes", "persons")
#: Jitter bin widths crossed by default in :func:`specification_curve`.
DEFAULT_JITTER_GRID: tuple[int, ...] = (30, 60, 90)
_SETTINGS = ["period", "event_set", "window", "direction", "null", "jitter_days", "weighting"]
_STATS = ("statistic", "expected", "ratio", "ratio_lo", "ratio_hi", "pvalue")
_P_COLS = ("pvalue", "p_wy", "p_holm")
_ADJUSTMENT_NAMES = {
    "step_down": "Westfall-Young step-down max-T",
    "single_step": "Westfall-Young single-step max-T",
    "minp": "Westfall-Young step-down min-P",
}


@dataclass(frozen=True, eq=False)
class SpecificationCurveResult:
    """Result of :func:`specification_curve`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per specification: the settings (``period``, ``event_set``, ``window``,
        ``direction``, ``null``, ``jitter_days`` (jitter only), ``weighting``), ``n_releases``,
        ``n_events``, ``statistic``, ``expected``, ``ratio``, ``ratio_lo``, ``ratio_hi``,
        ``pvalue``, ``p_wy`` (family-wise, see ``adjustment``), ``p_holm``, ``p_bh``, and
        ``skipped`` (why a specification was dropped, else empty).
    alpha : float
        Level for the counts in :meth:`summary`.
    n_surrogates, seed : settings
    jitter_days : tuple of int
        Jitter bin widths crossed.
    familywise : str
        Westfall-Young method ("step_down", "single_step" or "minp").
    adjustment : str
        The family-wise adjustment used, in words (``p_wy``); Holm and BH are for comparison.
    """

    table: pd.DataFrame = field(repr=False)
    alpha: float
    n_surrogates: int
    seed: int | None
    jitter_days: tuple[int, ...]
    familywise: str = "step_down"
    adjustment: str = ""

    @property
    def ran(self) -> pd.DataFrame:
        """Specifications that ran (not skipped)."""
        return self.table[self.table["skipped"] == ""]

    @property
    def dropped(self) -> pd.DataFrame:
        """Specifications dropped, with the reason in ``skipped``."""
        return self.table[self.table["skipped"] != ""]

    def by(self, column: str) -> pd.DataFrame:
        """Per value of one setting: specifications, median ratio, share with raw p < alpha and
        with Westfall-Young- and Holm-adjusted p < alpha."""
        t = self.ran
        g = t.groupby(column, sort=False)
        share = {c: g[c].apply(lambda p: float((p < self.alpha).mean())) for c in _P_COLS}
        return pd.DataFrame(
            {
                "specs": g.size(),
                "median_ratio": g["ratio"].median(),
                "share_p_raw": share["pvalue"],
                "share_p_wy": share["p_wy"],
                "share_p_holm": share["p_holm"],
            }
        )

    def summary(self) -> str:
        """Short plain-text overview."""
        t = self.ran
        reasons = self.dropped["skipped"].str.split(":").str[0].value_counts()
        a = self.alpha
        lines = [
            "Specification curve",
            "-" * 60,
            f"specifications run        {len(t)}  (skipped: {len(self.dropped)})",
            *[f"  dropped: {r}  {n}" for r, n in reasons.items()],
            f"median ratio              {t['ratio'].median():.3f}",
            f"share with ratio > 1      {(t['ratio'] > 1).mean():.3f}",
            f"share raw p < {a:<10}  {(t['pvalue'] < a).mean():.3f}",
            f"share WY-adjusted p < {a}  {(t['p_wy'] < a).mean():.3f}",
            f"share BH-adjusted p < {a}  {(t['p_bh'] < a).mean():.3f}",
            f"share Holm-adjusted p < {a}  {(t['p_holm'] < a).mean():.3f}",
            f"family-wise adjustment    {self.adjustment}",
            f"jitter bins (days)        {', '.join(map(str, self.jitter_days))}",
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


def _jitter_grid(jitter_days: int | Sequence[int] | None) -> tuple[int, ...]:
    if jitter_days is None:
        return DEFAULT_JITTER_GRID
    grid = [jitter_days] if isinstance(jitter_days, (int, np.integer)) else list(jitter_days)
    if not grid or any(isinstance(j, bool) or not isinstance(j, (int, np.integer)) for j in grid):
        raise ValueError(f"jitter_days = {jitter_days!r}; allowed: whole days >= 1 (or a list)")
    if any(j < 1 for j in grid):
        raise ValueError(f"jitter_days = {jitter_days!r}; allowed: whole days >= 1 (or a list)")
    return tuple(int(j) for j in grid)


def _window_span(window: int, direction: str) -> int:
    return 2 * window + 1 if direction == "around" else window + 1


def _skip_reason(row: dict[str, Any], weights: np.ndarray | None, min_releases: int) -> str:
    jd = row["jitter_days"]
    span = _window_span(row["window"], row["direction"])
    if row["n_releases"] < min_releases:
        return f"fewer than {min_releases} release days"
    if row["n_events"] == 0:
        return "no event"
    if weights is not None and weights.sum() == 0:
        return "no reported figure"
    if weights is not None and row["null"] == "poisson":
        return "poisson null is unweighted"
    if jd is not None and 2 * span >= jd:
        return (
            f"window wider than half the jitter bin: span {span} d >= {jd}/2 d, the jitter "
            "cannot see its own window"
        )
    return ""


def _run_spec(task: dict[str, Any], ss: np.random.SeedSequence) -> tuple[dict, np.ndarray | None]:
    """One specification on its group's seed: statistics and its column of shared null draws."""
    res = coincidence_test(
        task["releases"],
        task["events"],
        task["window"],
        direction=task["direction"],
        null=task["null"],
        n_surrogates=task["n_surrogates"],
        seed=int(ss.generate_state(1)[0]),
        start=task["start"],
        end=task["end"],
        weights=task["weights"],
        jitter_days=task["jitter_days"],
        n_bootstrap=200,
        surrogates=True,  # exact p-value; Monte Carlo draws shared by the family (Westfall-Young)
    )
    stats = dict(
        statistic=res.statistic,
        expected=res.expected,
        ratio=res.ratio,
        ratio_lo=res.ratio_ci[0],
        ratio_hi=res.ratio_ci[1],
        pvalue=res.pvalue,
    )
    null = res.null_distribution
    if task["null"] == "circular_shift":
        n_days = task["end"] - task["start"] + 1
        null = null[np.random.default_rng(ss).integers(0, n_days, size=task["n_surrogates"])]
    return stats, None if null is None else np.asarray(null, dtype=float)


def _validate(
    windows: Sequence[int],
    event_sets: Mapping[str, Sequence[str]],
    periods: Mapping[str, tuple[Any, Any]],
    release_days: pd.DataFrame,
    familywise: str,
) -> None:
    if not windows or any(int(w) < 1 for w in windows):
        raise ValueError(f"windows = {list(windows)}; allowed: whole days >= 1")
    if not event_sets or not periods:
        raise ValueError("event_sets and periods must each name at least one entry")
    for name, (s, e) in periods.items():
        if pd.Timestamp(e) <= pd.Timestamp(s):
            raise ValueError(f"period {name!r}: end {e} is not after start {s}")
    if {"date", "persons"} - set(release_days.columns):
        raise ValueError("release_days needs columns 'date' and 'persons'")
    if familywise not in FAMILYWISE_METHODS:
        raise ValueError(
            f"familywise = {familywise!r} is not allowed; "
            f"use one of {', '.join(FAMILYWISE_METHODS)}"
        )


def _release_masks(
    release_sets: Mapping[str, Sequence[bool]] | None, n: int
) -> dict[str, np.ndarray]:
    """Boolean masks of the release sets, checked against the number of release days."""
    if release_sets is None:
        return {"all releases": np.ones(n, dtype=bool)}
    if not release_sets:
        raise ValueError("release_sets is empty; give at least one name -> mask, or None")
    out = {}
    for name, mask in release_sets.items():
        arr = np.asarray(pd.array(mask, dtype="boolean").fillna(False), dtype=bool)
        if arr.shape != (n,):
            raise ValueError(f"release_sets[{name!r}] has {arr.size} values; release_days has "
                             f"{n} rows (one boolean per release day is allowed)")  # fmt: skip
        out[str(name)] = arr
    return out


def _combos(
    periods: Mapping[str, Any],
    event_sets: Mapping[str, Any],
    windows: Sequence[int],
    directions: Sequence[str],
    nulls: Sequence[str],
    grid: tuple[int, ...],
    weightings: Sequence[str],
) -> list[tuple[Any, ...]]:
    out = []
    for p, e, w, d, n, wt in itertools.product(
        periods, event_sets, windows, directions, nulls, weightings
    ):
        for jd in grid if n == "jitter" else (None,):
            out.append((p, e, int(w), d, n, jd, wt))
    return out


def _adjust_family(table: pd.DataFrame, nulls: list[Any], alpha: float, method: str) -> None:
    """Fill ``p_wy``, ``p_holm``, ``p_bh`` of the specifications that ran (in place)."""
    for c in ("p_wy", "p_holm", "p_bh"):
        table[c] = np.nan
    ok = (table["skipped"] == "").to_numpy()
    if ok.any():
        p = table.loc[ok, "pvalue"].clip(0, 1).to_numpy()
        table.loc[ok, "p_holm"] = adjust(p, "holm", alpha).p_adjusted.to_numpy()
        table.loc[ok, "p_bh"] = adjust(p, "fdr_bh", alpha).p_adjusted.to_numpy()
    fam = np.flatnonzero(ok & np.array([n is not None for n in nulls], dtype=bool))
    if fam.size:
        null = np.column_stack([nulls[i] for i in fam])
        obs = table["statistic"].to_numpy(float)[fam]
        exp = table["expected"].to_numpy(float)[fam]
        wy = westfall_young(obs, null, method=method, expected=exp)
        # raw p-values are exact, the shared draws Monte Carlo: an adjusted p-value is never
        # below its raw one
        raw = table["pvalue"].to_numpy(float)[fam]
        table.loc[table.index[fam], "p_wy"] = np.maximum(wy, raw)


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
    jitter_days: int | Sequence[int] | None = None,
    alpha: float = 0.05,
    seed: int | None = None,
    min_releases: int = 5,
    familywise: str = "step_down",
    n_workers: int | None = 1,
    scheduler: Any = None,
    progress: bool = False,
    release_sets: Mapping[str, Sequence[bool]] | None = None,
) -> SpecificationCurveResult:
    """Run the coincidence test over every combination of analysis choices.

    Parameters
    ----------
    release_days : DataFrame
        ``date`` and ``persons`` (see :func:`analysis.record.overview.release_days`).
    events : DataFrame
        ``date`` and ``event_class`` (see :func:`analysis.record.overview.select_events`).
    windows, directions, nulls, weightings : sequences
        Choices to cross. ``weightings``: ``"episodes"`` (each release day counts 1) or
        ``"persons"`` (weighted by persons released; days without a reported figure weigh 0).
    event_sets : mapping
        Name -> event classes pooled into that subset.
    periods : mapping
        Name -> (start, end); each period is also the observation period of its nulls.
    n_surrogates : int
        Surrogates per specification (also the rows of the shared null matrix).
    jitter_days : int, sequence of int or None
        Jitter bin widths crossed with the jitter null (None: 30, 60 and 90 days).
    alpha : float
        Level used in the summary.
    seed : int or None
        Master seed; every group of specifications sharing period, null and bin width gets one
        child seed (shared surrogate draws). Reproducible whatever the backend.
    min_releases : int
        Specifications with fewer release days, or with no event, are skipped (and say so).
    familywise : {"step_down", "single_step", "minp"}
        Westfall-Young method for ``p_wy`` (:func:`analysis.inference.familywise.westfall_young`).
    n_workers, scheduler
        Where the specifications run (:func:`analysis.inference.grid.run_grid`; default serial).
    progress : bool
        Show a tqdm progress bar.
    release_sets : mapping, optional
        Name -> boolean mask over the rows of ``release_days``: each set is crossed with every
        other choice and named in the ``release_set`` column (e.g. ``{"all releases": all,
        "calendar-blind": found by the sweep}``). Default: one set, ``"all releases"``.

    Returns
    -------
    SpecificationCurveResult

    Notes
    -----
    A jitter specification whose window span (``2 * window + 1`` days around, ``window + 1``
    before or after) is at least half its bin width is dropped: the jitter then moves releases
    by less than the window, so it cannot tell timing inside the window from timing at the scale
    of the bin. ``p_wy`` covers the specifications with a surrogate null (jitter, uniform,
    circular shift, the latter through random shifts of its exact null); poisson specifications
    have no draws and get ``p_wy = nan``.
    """
    directions = _check_choices(directions, _DIRECTIONS, "directions")
    nulls = _check_choices(nulls, _NULLS, "nulls")
    weightings = _check_choices(weightings, _WEIGHTINGS, "weightings")
    grid = _jitter_grid(jitter_days)
    _validate(windows, event_sets, periods, release_days, familywise)
    combos = _combos(periods, event_sets, windows, directions, nulls, grid, weightings)
    masks = _release_masks(release_sets, len(release_days))
    # day numbers once: the test is then pure integer work (dates parsed once, not per spec)
    r_days = to_days(release_days["date"], name="release_days.date")
    e_days = to_days(events["date"], name="events.date")
    e_class = events["event_class"].to_numpy()
    persons = release_days["persons"].fillna(0).to_numpy(dtype=float)
    bounds = {k: (to_day(a, name="start"), to_day(b, name="end")) for k, (a, b) in periods.items()}
    groups = sorted({(c[0], c[4], c[5] or 0) for c in combos}, key=str)
    group_ss = dict(zip(groups, np.random.SeedSequence(seed).spawn(len(groups)), strict=True))
    rows, tasks, task_rows, task_seeds = [], [], [], []
    for (rs_name, rs_mask), (pname, ename, window, direction, null, jd, weighting) in (
        itertools.product(masks.items(), combos)
    ):
        start, end = bounds[pname]
        r_mask = rs_mask & (r_days >= start) & (r_days <= end)
        e_mask = np.isin(e_class, list(event_sets[ename])) & (e_days >= start) & (e_days <= end)
        row: dict[str, Any] = dict(
            zip(_SETTINGS, (pname, ename, window, direction, null, jd, weighting), strict=True)
        )
        row["release_set"] = rs_name
        row.update(n_releases=int(r_mask.sum()), n_events=int(e_mask.sum()))
        weights = persons[r_mask] if weighting == "persons" else None
        row["skipped"] = _skip_reason(row, weights, min_releases)
        rows.append(row)
        if row["skipped"]:
            continue
        task_rows.append(len(rows) - 1)
        task_seeds.append(group_ss[(pname, null, jd or 0)])
        tasks.append(
            dict(
                releases=r_days[r_mask],
                events=e_days[e_mask],
                window=window,
                direction=direction,
                null=null,
                weights=weights,
                start=start,
                end=end,
                jitter_days=jd,
                n_surrogates=n_surrogates,
            )
        )
    out = run_grid(
        _run_spec,
        tasks,
        seed=task_seeds,
        scheduler=scheduler,
        n_workers=n_workers,
        progress=progress,
        desc="specifications",
    )
    null_cols: list[Any] = [None] * len(rows)
    for i, (stats, null_col) in zip(task_rows, out, strict=True):
        rows[i].update(stats)
        null_cols[i] = null_col
    table = pd.DataFrame(rows)
    for c in _STATS:
        if c not in table:
            table[c] = np.nan
    table["jitter_days"] = table["jitter_days"].astype("Int64")
    _adjust_family(table, null_cols, alpha, familywise)
    adjustment = (
        f"{_ADJUSTMENT_NAMES[familywise]} over shared surrogates ({n_surrogates} draws; "
        "p_wy); Holm and BH for comparison"
    )
    return SpecificationCurveResult(
        table=table,
        alpha=alpha,
        n_surrogates=n_surrogates,
        seed=seed,
        jitter_days=grid,
        familywise=familywise,
        adjustment=adjustment,
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


# ---------------------------------------------------------------------------------------------
# date uncertainty: release and event days perturbed by a day or so
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DateUncertaintyResult:
    """Result of :func:`date_uncertainty`.

    Attributes
    ----------
    pvalue : float
        The exact p-value on the dates as recorded.
    pvalues : numpy.ndarray
        The exact p-value of every perturbed record.
    share_significant : float
        Share of perturbed records with ``p <= alpha``.
    settings : dict
        Shift, number of perturbations, alpha, seed and the test settings.
    """

    pvalue: float
    pvalues: np.ndarray = field(repr=False)
    share_significant: float
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Short plain-text table."""
        s = self.settings
        return "\n".join([
            "Date uncertainty (every release and event day moved by -1, 0 or +1 day)",
            "-" * 70,
            f"p-value as recorded                 {self.pvalue:.4g}",
            f"perturbed records                   {s['n_perturb']} (shift up to "
            f"{s['shift']} d, seed {s['seed']})",
            f"share significant at {s['alpha']:<14} {self.share_significant:.3f}",
            f"median p-value, 90% range           {np.median(self.pvalues):.4g} "
            f"[{np.quantile(self.pvalues, 0.05):.4g}, {np.quantile(self.pvalues, 0.95):.4g}]",
        ])  # fmt: skip

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html as _html

        return "<pre>" + _html.escape(self.summary()) + "</pre>"


def date_uncertainty(
    releases: Any,
    events: Any,
    window: int,
    *,
    start: Any,
    end: Any,
    shift: int = 1,
    n_perturb: int = 200,
    alpha: float = 0.05,
    seed: int | None = None,
    release_ends: Any = None,
    event_ends: Any = None,
    **test_kwargs: Any,
) -> DateUncertaintyResult:
    """Share of records, with every release and event day moved by up to ``shift`` days, on
    which the coincidence test stays significant.

    Each release day and each event day moves independently by a whole number of days drawn
    uniformly from ``-shift .. shift`` (kept inside ``[start, end]``; an interval-dated row moves
    as a whole), and the exact test (:func:`analysis.timing.coincidence.coincidence_test`) is run
    on the moved record. A finding that rests on same-day or next-day coincidences moves with
    one-day dating errors; a finding that survives them does not.

    Parameters
    ----------
    releases, events : array-like of dates or day numbers
        As in :func:`analysis.timing.coincidence.coincidence_test`.
    window : int
        Window in days.
    start, end : date-like
        Observation period (required: the moved days must stay inside a fixed period).
    shift : int
        Largest move in days (>= 1).
    n_perturb : int
        Perturbed records (>= 1).
    alpha : float
        Significance level.
    seed : int or None
        Seed of the moves.
    release_ends, event_ends : optional
        Interval ends (see :func:`analysis.timing.coincidence.coincidence_test`).
    **test_kwargs
        Other settings of the test (direction, null, jitter_days, bins, cluster_gap, weights).
    """
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 1:
        raise ValueError(f"shift = {shift!r} must be an int >= 1")
    if isinstance(n_perturb, bool) or not isinstance(n_perturb, (int, np.integer)) or n_perturb < 1:
        raise ValueError(f"n_perturb = {n_perturb!r} must be an int >= 1")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha = {alpha!r} must be between 0 and 1")
    s, e = to_day(start, name="start"), to_day(end, name="end")
    r = to_days(releases, name="releases")
    ev = to_days(events, name="events")
    r_end = r if release_ends is None else to_days(release_ends, name="release_ends")
    ev_end = ev if event_ends is None else to_days(event_ends, name="event_ends")
    kw = dict(test_kwargs, n_bootstrap=0, start=s, end=e)
    base = coincidence_test(r, ev, window, release_ends=r_end, event_ends=ev_end, **kw)
    rng = np.random.default_rng(seed)

    def move(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = rng.integers(-shift, shift + 1, size=first.size)
        d = np.clip(d, s - first, e - last)  # the whole interval stays inside the period
        return first + d, last + d

    pv = np.empty(n_perturb)
    for i in range(n_perturb):
        r1, r1_end = move(r, r_end)
        e1, e1_end = move(ev, ev_end)
        pv[i] = coincidence_test(r1, e1, window, release_ends=r1_end, event_ends=e1_end,
                                 **kw).pvalue  # fmt: skip
    kept = {k: v for k, v in test_kwargs.items() if k != "weights"}
    settings = dict(window=int(window), shift=int(shift), n_perturb=int(n_perturb), alpha=alpha,
                    seed=seed, **kept)  # fmt: skip
    return DateUncertaintyResult(pvalue=base.pvalue, pvalues=pv,
                                 share_significant=float(np.mean(pv <= alpha)),
                                 settings=settings)  # fmt: skip
