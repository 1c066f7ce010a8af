"""Conditional Poisson lag profile of release days around events (a time-stratified design).

The parametric complement of the surrogate tests: one row per day, the outcome is whether (or how
many persons) a release happened that day, the regressors say whether an event of each class lies
at a given lag from the day, and the days are grouped into strata (calendar months, or fixed bins
of days). :func:`conditional_poisson` fits statsmodels'
:class:`~statsmodels.discrete.conditional_models.ConditionalPoisson`, which conditions on the
number of releases in each stratum: every stratum gets its own baseline rate, so slow trends and
surges (a month with many releases *and* many events) are absorbed and only the placement of
release days *within* a stratum, relative to the events, informs the lag profile -- the logic of
a time-stratified case-crossover design.

- :func:`build_daily_design` -- the daily panel (outcome, lag-bin indicators, strata).
- :func:`conditional_poisson` -- the fit: incidence-rate ratio (IRR) per class and lag bin, and a
  likelihood-ratio test of all event indicators jointly.
- :func:`lag_profile` -- both in one call.

Lag convention: **lag = release day minus event day**. Positive lags are releases *after* the
event (lag 0..6 = the event's day and the six days after it); negative lags are releases
*before* the event. Bins are whole multiples of ``bin_width`` anchored at 0, so with the default
7 days they are ..., [-14, -8], [-7, -1], [0, 6], [7, 13], ... cut at the ``lags`` limits.

The IRR of a bin is the release rate on days with an event of that class at that lag, divided by
the rate on other days of the same stratum (given the other indicators). An association in time,
not evidence of intent.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.conditional_models import ConditionalPoisson

from analysis.results import TextResult
from analysis.timing.calendar import as_weights, from_days, to_day, to_days

__all__ = [
    "STRATA",
    "LagProfileResult",
    "build_daily_design",
    "conditional_loglike",
    "conditional_poisson",
    "lag_bins",
    "lag_profile",
]

#: Stratum kinds of :func:`build_daily_design`.
STRATA: tuple[str, ...] = ("month", "days")

#: The null hypothesis of the likelihood-ratio test, printed by ``summary()``.
LR_NULL = (
    "release days (counts) are Poisson with a constant rate within each stratum, independent of "
    "the event calendar given the stratum; equivalently, given a stratum's total, releases fall "
    "on its days with equal probability (multinomial)"
)

#: |coefficient| above which an estimate is flagged as unstable (IRR beyond e^10 or e^-10).
_UNSTABLE = 10.0
#: Largest remaining Newton step (log-IRR scale) accepted as convergence.
_STEP = 1e-3


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


def _whole(value: Any, name: str, minimum: int | None = None) -> int:
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer, float, np.floating))
    ok = ok and math.isfinite(float(value)) and float(value) == round(float(value))
    if not ok or (minimum is not None and value < minimum):
        need = "a whole number" + ("" if minimum is None else f" >= {minimum}")
        raise ValueError(f"{name} = {value!r} is not allowed; it must be {need}")
    return int(value)


def _check_lags(lags: Any) -> tuple[int, int]:
    try:
        lo, hi = lags
    except (TypeError, ValueError):
        raise ValueError(
            f"lags = {lags!r} is not allowed; give a pair (first, last) of whole days, "
            "e.g. (-30, 30)"
        ) from None
    lo, hi = _whole(lo, "lags[0]"), _whole(hi, "lags[1]")
    if lo > hi:
        raise ValueError(
            f"lags = {lags!r} is not allowed; the first lag must not exceed the last "
            f"(did you mean ({hi}, {lo})?)"
        )
    return lo, hi


def _event_classes(events_by_class: Any) -> dict[str, np.ndarray]:
    if isinstance(events_by_class, pd.DataFrame):
        missing = {"date", "event_class"} - set(events_by_class.columns)
        if missing:
            raise ValueError(
                f"events_by_class is a DataFrame without column(s) {sorted(missing)}; it needs "
                "'date' and 'event_class' (as from analysis.record.overview.select_events)"
            )
        events_by_class = {
            str(c): g["date"] for c, g in events_by_class.groupby("event_class", sort=False)
        }
    if not isinstance(events_by_class, Mapping) or not events_by_class:
        raise ValueError(
            f"events_by_class = {type(events_by_class).__name__} is not allowed; give a non-empty "
            "dict of class name -> dates (or a DataFrame with 'date' and 'event_class')"
        )
    out = {}
    for cls, dates in events_by_class.items():
        if not isinstance(cls, str) or not cls:
            raise ValueError(f"events_by_class key {cls!r} is not allowed; use a class name")
        d = to_days(dates, name=f"events_by_class[{cls!r}]")
        if d.size == 0:
            raise ValueError(f"events_by_class[{cls!r}] is empty; give at least one date")
        out[cls] = np.unique(d)
    return out


def _release_days(release_days: Any, start: int, end: int) -> np.ndarray:
    if isinstance(release_days, pd.DataFrame):
        if "date" not in release_days.columns:
            raise ValueError("release_days is a DataFrame without a 'date' column")
        release_days = release_days["date"]
    if release_days is None:
        raise ValueError("release_days is None; give an array-like of dates")
    r = to_days(release_days, name="release_days")
    if r.size == 0:
        raise ValueError("release_days is empty; at least one release day is needed")
    outside = np.flatnonzero((r < start) | (r > end))
    if outside.size:
        i = int(outside[0])
        raise ValueError(
            f"release_days[{i}] = {from_days([r[i]])[0].date()} lies outside the period "
            f"[{from_days([start])[0].date()}, {from_days([end])[0].date()}] = [start, end]"
        )
    return r


# ---------------------------------------------------------------------------------------------
# the daily design
# ---------------------------------------------------------------------------------------------


def lag_bins(lags: tuple[int, int] = (-30, 30), bin_width: int = 7) -> list[tuple[int, int]]:
    """Lag bins ``[k * bin_width, (k + 1) * bin_width - 1]`` covering ``lags``, cut at its limits.

    Parameters
    ----------
    lags : (int, int), default (-30, 30)
        First and last lag (days; lag = release day minus event day).
    bin_width : int, default 7
        Days per bin (>= 1). Bins are anchored at 0, so one bin is ``[0, bin_width - 1]`` (the
        event's day and the days after it) and the one before is ``[-bin_width, -1]``.

    Returns
    -------
    list of (int, int)
        Inclusive ``(lag_lo, lag_hi)`` pairs in increasing order; the outermost may be shorter.

    Examples
    --------
    >>> lag_bins((-10, 8), 7)
    [(-10, -8), (-7, -1), (0, 6), (7, 8)]
    """
    lo, hi = _check_lags(lags)
    w = _whole(bin_width, "bin_width", 1)
    return [(max(lo, k * w), min(hi, (k + 1) * w - 1)) for k in range(lo // w, hi // w + 1)]


def _term(cls: str, lo: int, hi: int) -> str:
    return f"{cls}_lag{lo:+d}_{hi:+d}"


def _strata_labels(days: np.ndarray, strata: str, strata_days: int) -> np.ndarray:
    if strata == "month":
        return np.asarray(from_days(days).strftime("%Y-%m"), dtype=object)
    first = (days - days[0]) // strata_days * strata_days + days[0]
    return np.asarray(from_days(first).strftime("%Y-%m-%d"), dtype=object)


def build_daily_design(
    release_days: Any,
    events_by_class: Any,
    start: Any,
    end: Any,
    *,
    lags: tuple[int, int] = (-30, 30),
    bin_width: int = 7,
    strata: str = "month",
    strata_days: int = 30,
    persons: Any | None = None,
) -> pd.DataFrame:
    """One row per day in ``[start, end]``: outcome, lag-bin indicators per class, stratum.

    Parameters
    ----------
    release_days : array-like of date-like, or DataFrame with a ``date`` column
        Days with a release (e.g. :func:`analysis.record.overview.release_days`); all in the period.
        Repeated days count once in ``release`` (and their persons add up).
    events_by_class : mapping of str to array-like of date-like, or DataFrame
        Event dates per class, e.g. ``{"negotiation": [...], "envoy_visit": [...]}``, or a
        DataFrame with ``date`` and ``event_class`` (as from :func:`analysis.record.overview.
        select_events`). Events outside the period still switch on indicators of in-period days
        within reach.
    start, end : date-like
        Observation period (inclusive).
    lags : (int, int), default (-30, 30)
        Range of lags (lag = release day minus event day; positive = release after the event).
    bin_width : int, default 7
        Days per lag bin (>= 1); see :func:`lag_bins`.
    strata : {"month", "days"}, default "month"
        ``"month"``: calendar months; ``"days"``: consecutive bins of ``strata_days`` days from
        ``start`` (the last one may be shorter), as in the interval-jitter null.
    strata_days : int, default 30
        Stratum width for ``strata="days"`` (>= 2).
    persons : array-like, optional
        Persons released, one per entry of ``release_days``; adds the ``persons`` column and
        makes it the outcome.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date``: ``release`` (0/1), ``persons`` (only with ``persons``),
        ``stratum`` (label), and one 0/1 column per class and bin named
        ``{class}_lag{lo:+d}_{hi:+d}`` (1 if an event of the class lies at a lag in
        ``[lo, hi]`` from the day, i.e. on a day in ``[day - hi, day - lo]``). ``attrs`` holds
        ``outcome``, ``terms`` (column -> (class, lo, hi)) and ``settings``.

    Raises
    ------
    ValueError
        Naming the parameter, its value and what is allowed.
    """
    s, e = to_day(start, name="start"), to_day(end, name="end")
    if e < s:
        raise ValueError(f"end = {end!r} is before start = {start!r}; end must not precede start")
    if strata not in STRATA:
        raise ValueError(f"strata = {strata!r} is not allowed; use one of {', '.join(STRATA)}")
    width = _whole(strata_days, "strata_days", 2)
    bins = lag_bins(lags, bin_width)
    r = _release_days(release_days, s, e)
    classes = _event_classes(events_by_class)

    days = np.arange(s, e + 1)
    cols: dict[str, Any] = {"release": (np.bincount(r - s, minlength=days.size) > 0).astype(int)}
    if persons is not None:
        cols["persons"] = np.bincount(
            r - s, weights=as_weights(persons, r.size), minlength=days.size
        )
    cols["stratum"] = _strata_labels(days, strata, width)
    terms = {}
    for cls, ev in classes.items():
        for lo, hi in bins:
            hits = np.searchsorted(ev, days - lo, "right") - np.searchsorted(ev, days - hi, "left")
            name = _term(cls, lo, hi)
            cols[name] = (hits > 0).astype(int)
            terms[name] = (cls, lo, hi)
    design = pd.DataFrame(cols, index=pd.DatetimeIndex(from_days(days), name="date"))
    design.attrs = {
        "outcome": "release" if persons is None else "persons",
        "terms": terms,
        "settings": {
            "start": str(from_days([s])[0].date()),
            "end": str(from_days([e])[0].date()),
            "lags": _check_lags(lags),
            "bin_width": int(bin_width),
            "strata": strata,
            "strata_days": width if strata == "days" else None,
            "classes": tuple(classes),
        },
    }
    return design


# ---------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------

_STATUS_NOTE = {
    "zero": "no release day at this lag in the strata where the indicator varies: the "
    "maximum-likelihood IRR is 0 (on the boundary); the limit is kept in the LR test, no interval",
    "infinite": "every release of the strata where this indicator varies falls at this lag: the "
    "maximum-likelihood IRR is infinite (on the boundary); the limit is kept in the LR test",
    "not_identified": "no variation within any informative stratum (no event at this lag in a "
    "stratum with releases): dropped",
    "collinear": "a linear combination of earlier indicators within strata: dropped",
}


@dataclass(frozen=True, repr=False)
class LagProfileResult(TextResult):
    """Conditional Poisson lag profile (see :func:`conditional_poisson`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per class and lag bin: ``term``, ``class``, ``lag_lo``, ``lag_hi`` (lag =
        release day minus event day), ``irr`` (incidence-rate ratio), ``irr_lo``, ``irr_hi``
        (Wald interval at ``level``), ``pvalue`` (two-sided Wald test of IRR = 1 given the other
        indicators and the strata), ``coef``, ``se``, ``n_days`` (days with the indicator on, in
        informative strata), ``n_release_days`` (release days among them) and ``status``:
        ``"estimated"``, ``"zero"`` / ``"infinite"`` (maximum on the boundary), ``"not_identified"``
        or ``"collinear"`` (dropped; numbers NaN).
    lr_statistic, lr_df, lr_pvalue : float, int, float
        Likelihood-ratio test of all event indicators jointly (estimated and boundary terms)
        against none, chi-squared with ``lr_df`` degrees of freedom.
    lr_null : str
        The null hypothesis that test assumes.
    llf, llf_null : float
        Conditional log-likelihoods (multinomial kernel, sum of y log p) with and without the
        indicators.
    n_days, n_strata, n_informative_strata, n_release_days : int
        Days and strata in the design; strata whose outcome varies (the only ones that inform
        the fit); days with a release.
    outcome : str
        ``"release"`` (0/1 per day) or ``"persons"``.
    classes : tuple of str
    lags : (int, int)
    bin_width : int
    strata : str
    strata_days : int or None
    start, end : str
        The design's settings (ISO dates).
    level : float
        Confidence level of the intervals.
    converged : bool
        Whether the optimiser converged.
    notes : tuple of str
        One line per dropped, boundary or unstable term, and other caveats.
    """

    table: pd.DataFrame = field(compare=False)
    lr_statistic: float
    lr_df: int
    lr_pvalue: float
    llf: float
    llf_null: float
    n_days: int
    n_strata: int
    n_informative_strata: int
    n_release_days: int
    outcome: str
    classes: tuple[str, ...]
    lags: tuple[int, int]
    bin_width: int
    strata: str
    strata_days: int | None
    start: str
    end: str
    level: float
    converged: bool
    notes: tuple[str, ...] = ()
    lr_null: str = LR_NULL

    @property
    def irr(self) -> pd.Series:
        """IRR by term (Series)."""
        return self.table.set_index("term")["irr"]

    def summary(self) -> str:
        """Plain-text lag profile with the LR test, settings and notes."""
        st = self.strata if self.strata == "month" else f"{self.strata_days}-day bins"
        lines = [
            f"Conditional Poisson lag profile of {self.outcome}, {self.start} .. {self.end}",
            f"{self.n_days} days, {self.n_release_days} release days; strata: {st} "
            f"({self.n_informative_strata} of {self.n_strata} informative)",
            f"lag = release day - event day (positive: release after the event); "
            f"bins of {self.bin_width} days in [{self.lags[0]}, {self.lags[1]}]",
            f"LR test, all indicators vs none: chi2 = {self.lr_statistic:.2f}, "
            f"df = {self.lr_df}, p = {self.lr_pvalue:.4g}",
            f"Null: {self.lr_null}.",
        ]
        if not self.converged:
            lines.append("WARNING: the optimiser did not converge.")
        cols = ["class", "lag_lo", "lag_hi", "irr", "irr_lo", "irr_hi", "pvalue", "status"]
        fmt = {c: "{:.3g}".format for c in ("irr", "irr_lo", "irr_hi")}
        fmt["pvalue"] = "{:.4f}".format
        lines.append(self.table[cols].to_string(index=False, formatters=fmt))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"LagProfileResult(outcome={self.outcome!r}, n_days={self.n_days}, "
            f"lr_statistic={self.lr_statistic:.3g}, lr_df={self.lr_df}, "
            f"lr_pvalue={self.lr_pvalue:.3g})"
        )


# ---------------------------------------------------------------------------------------------
# likelihoods and term screening
# ---------------------------------------------------------------------------------------------


def conditional_loglike(y: np.ndarray, eta: np.ndarray, groups: np.ndarray) -> float:
    """Conditional Poisson log-likelihood: sum over days of ``y log p``, p = softmax of ``eta``
    within each stratum.

    Given a stratum's total ``Y``, Poisson counts with rates ``exp(eta)`` are multinomial with
    probabilities ``p``; this is that multinomial log-probability without its constant
    ``log Y! - sum log y!`` (the same under every model, so it cancels in likelihood ratios; the
    same convention as statsmodels' ``ConditionalPoisson.loglike``). With ``eta = 0`` (no
    regressors) ``p = 1 / n`` in a stratum of ``n`` days, so the null value is
    ``-sum_strata Y log n``.

    Parameters
    ----------
    y : numpy.ndarray
        Counts per day (>= 0).
    eta : numpy.ndarray
        Linear predictor per day (no stratum intercepts: they cancel).
    groups : numpy.ndarray
        Integer stratum codes ``0..G-1`` per day.

    Returns
    -------
    float
    """
    y, eta = np.asarray(y, dtype=float), np.asarray(eta, dtype=float)
    shift = np.full(int(groups.max()) + 1, -np.inf)
    np.maximum.at(shift, groups, eta)
    shift[~np.isfinite(shift)] = 0.0
    denom = np.bincount(groups, weights=np.exp(eta - shift[groups]), minlength=shift.size)
    total = np.bincount(groups, weights=y, minlength=shift.size)
    used = total > 0
    return float(y @ eta - np.sum(total[used] * (np.log(denom[used]) + shift[used])))


def _varies(x: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per stratum: does ``x`` take more than one value there?"""
    hi = np.full(n_groups, -np.inf)
    lo = np.full(n_groups, np.inf)
    np.maximum.at(hi, groups, x)
    np.minimum.at(lo, groups, x)
    return hi > lo


def _informative(y: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Row mask: strata whose outcome varies (the others drop out of the conditional fit)."""
    return _varies(y, groups, n_groups)[groups]


def _screen(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Status per column and the rows left for the fit.

    A 0/1 indicator with no release on its 1-days (in the strata where it varies) has its
    maximum at IRR = 0; one with every release on its 1-days, at IRR = infinity. In the limit the
    conditional likelihood is that of the data without the days the limit rules out (all with
    y = 0), so those days are removed and the term is reported on the boundary. Repeated until
    no term changes; then terms without within-stratum variation are not identified.
    """
    n_groups = int(groups.max()) + 1
    rows = _informative(y, groups, n_groups)
    status = ["estimated"] * X.shape[1]
    changed = True
    while changed:
        changed = False
        for j in (j for j, s in enumerate(status) if s == "estimated"):
            x, g = X[rows, j], groups[rows]
            var = _varies(x, g, n_groups)[g]
            if not var.any():
                continue
            on_y, off_y = (x * y[rows])[var].sum(), ((1 - x) * y[rows])[var].sum()
            if on_y > 0 and off_y > 0:
                continue
            status[j] = "zero" if on_y == 0 else "infinite"
            drop = np.flatnonzero(rows)[var & (x == (1 if on_y == 0 else 0))]
            rows[drop] = False
            keep = np.flatnonzero(rows)
            rows[keep] = _informative(y[keep], groups[keep], n_groups)
            changed = True
    g = groups[rows]
    for j, s in enumerate(status):
        if s == "estimated" and not _varies(X[rows, j], g, n_groups).any():
            status[j] = "not_identified"
    _mark_collinear(X[rows], g, n_groups, status)
    return status, rows


def _mark_collinear(X: np.ndarray, groups: np.ndarray, n_groups: int, status: list[str]) -> None:
    """Mark estimated columns that add no rank to the within-stratum-demeaned design."""
    counts = np.bincount(groups, minlength=n_groups).clip(min=1)
    kept: list[int] = []
    for j, s in enumerate(status):
        if s != "estimated":
            continue
        cand = [*kept, j]
        means = (
            np.stack([np.bincount(groups, X[:, k], n_groups) for k in cand], 1) / counts[:, None]
        )
        within = X[:, cand] - means[groups]
        if np.linalg.matrix_rank(within) == len(cand):
            kept.append(j)
        else:
            status[j] = "collinear"


# ---------------------------------------------------------------------------------------------
# the fit
# ---------------------------------------------------------------------------------------------


def _design_parts(design: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Outcome, indicator matrix, stratum codes and term names of a daily design."""
    attrs = getattr(design, "attrs", {}) if isinstance(design, pd.DataFrame) else {}
    if not {"outcome", "terms", "settings"} <= set(attrs):
        raise ValueError(
            f"design = {type(design).__name__} is not allowed; give the DataFrame returned by "
            "build_daily_design (its attrs name the outcome and terms)"
        )
    names = list(attrs["terms"])
    missing = [c for c in [attrs["outcome"], "stratum", *names] if c not in design.columns]
    if missing:
        raise ValueError(f"design lacks column(s) {missing}; rebuild it with build_daily_design")
    y = design[attrs["outcome"]].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)) or (y < 0).any() or y.sum() <= 0:
        raise ValueError(
            f"design[{attrs['outcome']!r}] must be finite, >= 0 and not all 0 (no release)"
        )
    groups = pd.factorize(design["stratum"])[0]
    return y, design[names].to_numpy(dtype=float), groups, names


def _fit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, maxiter: int) -> tuple[Any, bool]:
    """ConditionalPoisson by Newton from 0; if that fails, Newton from a BFGS estimate.

    statsmodels' conditional results keep no convergence flag, and its BFGS tolerance applies
    to the score per observation; converged here means the Newton step ``cov @ score`` left at
    the estimate is below ``_STEP`` on the log-IRR scale.
    """
    _, codes = np.unique(groups, return_inverse=True)
    model = ConditionalPoisson(y, X, groups=codes)

    def done(fit: Any) -> bool:
        params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
        if not (np.all(np.isfinite(params)) and np.all(np.isfinite(cov))):
            return False
        return bool(np.abs(cov @ model.score(params)).max() < _STEP)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numerical Hessian / convergence chatter; checked below
        try:
            fit = model.fit(method="newton", maxiter=maxiter)
        except (ValueError, np.linalg.LinAlgError):  # singular Hessian on the way
            fit = None
        if fit is None or not done(fit):  # Newton has no line search: restart from BFGS
            try:
                start = model.fit(method="bfgs", maxiter=maxiter).params
                fit = model.fit(method="newton", start_params=start, maxiter=maxiter)
            except (ValueError, np.linalg.LinAlgError) as exc:
                raise ValueError(
                    "the conditional Poisson model cannot be fitted on this record (singular "
                    f"information: too few release days at the identified lags; {exc}); widen "
                    "bin_width or use fewer classes"
                ) from None
    return fit, done(fit)


def _notes(table: pd.DataFrame, outcome: str, converged: bool) -> tuple[str, ...]:
    notes = []
    for status, text in _STATUS_NOTE.items():
        terms = table.loc[table["status"] == status, "term"].tolist()
        if terms:
            notes.append(f"{status} ({len(terms)}): {', '.join(terms)} -- {text}")
    wild = table.loc[table["coef"].abs() > _UNSTABLE, "term"].tolist()
    if wild:
        notes.append(f"unstable (|log IRR| > {_UNSTABLE:g}, near-separation): {', '.join(wild)}")
    if (table["status"].isin(["zero", "infinite"])).any():
        notes.append("boundary terms make the chi-squared reference of the LR test approximate")
    if outcome == "persons":
        notes.append(
            "persons come in batches (overdispersed): Poisson intervals and p-values are too "
            "narrow; read them as descriptive"
        )
    if not converged:
        notes.append("the optimiser did not converge; the estimates are not reliable")
    return tuple(notes)


def _table(
    design: pd.DataFrame, names: list[str], status: list[str], fit: Any, level: float
) -> pd.DataFrame:
    """Tidy lag-profile table; ``fit`` is None when no term is estimated."""
    terms = design.attrs["terms"]
    k = len(names)
    coef, se, pval = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    est = [j for j, s in enumerate(status) if s == "estimated"]
    if fit is not None:
        coef[est], se[est] = np.asarray(fit.params), np.asarray(fit.bse)
        pval[est] = np.asarray(fit.pvalues)
    z = stats.norm.ppf(0.5 + level / 2)
    irr = np.exp(coef)
    irr[[s == "zero" for s in status]] = 0.0
    irr[[s == "infinite" for s in status]] = np.inf
    return pd.DataFrame(
        {
            "term": names,
            "class": [terms[n][0] for n in names],
            "lag_lo": [terms[n][1] for n in names],
            "lag_hi": [terms[n][2] for n in names],
            "irr": irr,
            "irr_lo": np.exp(coef - z * se),
            "irr_hi": np.exp(coef + z * se),
            "pvalue": pval,
            "coef": coef,
            "se": se,
            "status": status,
        }
    )


def conditional_poisson(
    design: pd.DataFrame, *, level: float = 0.95, maxiter: int = 1000
) -> LagProfileResult:
    """Fit the conditional Poisson model of a daily design; IRR per class and lag bin.

    Each stratum has its own baseline rate, removed by conditioning on the stratum's total
    (statsmodels' ``ConditionalPoisson``); strata whose outcome does not vary (e.g. months
    without a release) drop out. The likelihood-ratio test compares the model with all
    identified indicators against none; without indicators the conditional likelihood is the
    multinomial with equal day probabilities in each stratum (see :func:`conditional_loglike`).

    Parameters
    ----------
    design : pandas.DataFrame
        Output of :func:`build_daily_design`.
    level : float, default 0.95
        Confidence level of the Wald intervals, in (0, 1).
    maxiter : int, default 1000
        Optimiser iterations (>= 1).

    Returns
    -------
    LagProfileResult

    Raises
    ------
    ValueError
        If the design is not from :func:`build_daily_design`, has no release, no indicator is
        identified, or a setting is out of range.

    Notes
    -----
    Indicators without within-stratum variation in informative strata are dropped, and so are
    within-stratum collinear ones (listed in ``notes``). An indicator whose maximum-likelihood
    IRR is 0 or infinite (no release at that lag, or every release at it) is reported on that
    boundary and kept in the LR test through the limit of the likelihood (the days the limit
    rules out are removed). The Wald intervals and the chi-squared reference are asymptotic;
    with few release days per bin they are rough -- compare with the surrogate tests.
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level = {level!r} is not allowed; it must be a number in (0, 1)")
    maxiter = _whole(maxiter, "maxiter", 1)
    y, X, groups, names = _design_parts(design)
    base = _informative(y, groups, int(groups.max()) + 1)
    status, rows = _screen(y, X, groups)
    est = [j for j, s in enumerate(status) if s == "estimated"]
    df = sum(s in ("estimated", "zero", "infinite") for s in status)
    if df == 0:
        raise ValueError(
            "no event indicator is identified: no event lies at any lag bin within a stratum "
            "that has releases; widen lags or strata"
        )
    fit, converged, eta = None, True, np.zeros(int(rows.sum()))
    if est:
        fit, converged = _fit(y[rows], X[np.ix_(rows, est)], groups[rows], maxiter)
        eta = X[np.ix_(rows, est)] @ np.asarray(fit.params)
    llf = conditional_loglike(y[rows], eta, groups[rows])
    llf0 = conditional_loglike(y[base], np.zeros(base.sum()), groups[base])
    lr = max(2.0 * (llf - llf0), 0.0)
    table = _table(design, names, status, fit, float(level))
    table.insert(4, "n_days", X[base].sum(axis=0).astype(int))
    table.insert(5, "n_release_days", ((y[base] > 0) @ X[base]).astype(int))
    st = design.attrs["settings"]
    return LagProfileResult(
        table=table,
        lr_statistic=lr,
        lr_df=int(df),
        lr_pvalue=float(stats.chi2.sf(lr, df)),
        llf=llf,
        llf_null=llf0,
        n_days=len(y),
        n_strata=int(groups.max()) + 1,
        n_informative_strata=int(np.unique(groups[base]).size),
        n_release_days=int((y > 0).sum()),
        outcome=design.attrs["outcome"],
        classes=tuple(st["classes"]),
        lags=tuple(st["lags"]),
        bin_width=int(st["bin_width"]),
        strata=st["strata"],
        strata_days=st["strata_days"],
        start=st["start"],
        end=st["end"],
        level=float(level),
        converged=converged,
        notes=_notes(table, design.attrs["outcome"], converged),
    )


def lag_profile(
    release_days: Any,
    events_by_class: Any,
    start: Any,
    end: Any,
    *,
    lags: tuple[int, int] = (-30, 30),
    bin_width: int = 7,
    strata: str = "month",
    strata_days: int = 30,
    persons: Any | None = None,
    level: float = 0.95,
) -> LagProfileResult:
    """:func:`build_daily_design` then :func:`conditional_poisson`, in one call.

    Parameters are those of the two functions.

    Examples
    --------
    >>> res = lag_profile(rd, {"negotiation": ev}, "2014-01-01", "2026-01-02")  # doctest: +SKIP
    >>> res.summary(); plot_lag_profile(res)  # doctest: +SKIP
    """
    design = build_daily_design(
        release_days,
        events_by_class,
        start,
        end,
        lags=lags,
        bin_width=bin_width,
        strata=strata,
        strata_days=strata_days,
        persons=persons,
    )
    return conditional_poisson(design, level=level)
