"""Weekly count models, cross-correlation and Granger tests of release timing.

- :func:`build_weekly_panel` turns release dates and event calendars into one row per week
  (Monday-aligned, as :func:`analysis.timing.calendar.weekly_counts`) with release counts, exposure
  days,
  a trend, seasonal indicators and lead/lag indicators of every event class.
- :func:`count_model` fits a Poisson or negative-binomial GLM to that panel with
  heteroskedasticity- and autocorrelation-consistent (HAC, Newey–West) standard errors and reports
  incidence-rate ratios (IRR).
- :func:`cross_correlation` is the lagged correlation of two weekly series with a surrogate band.
- :func:`granger` runs Granger (predictive) F-tests in both directions.

Weekly release counts are sparse (mostly zeros, occasional large batches), so every model here is
a description of association in time, not of cause; see ``docs/methods_models.md``.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import minimize_scalar
from statsmodels.tsa.stattools import grangercausalitytests

from analysis.results import TextResult
from analysis.timing.calendar import as_weights, from_days, to_day, to_days

__all__ = [
    "CountModelResult",
    "CrossCorrelationResult",
    "GrangerResult",
    "add_flow_outcome",
    "build_weekly_panel",
    "count_model",
    "cross_correlation",
    "granger",
]

_OUTCOMES = ("episodes", "persons", "ngo_releases")
_NON_TERMS = ("episodes", "persons", "days", "ngo_releases")
_FAMILIES = ("poisson", "negbin")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ALPHA_MIN, _ALPHA_MAX = 1e-6, 1e3


def _week_of(days: np.ndarray) -> np.ndarray:
    """Monday-aligned week number (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) // 7


def _windows(value: Any, name: str) -> tuple[tuple[int, int], ...]:
    try:
        out = tuple((int(a), int(b)) for a, b in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} = {value!r} is not allowed; give a sequence of (first, last) week pairs, "
            "e.g. ((1, 2), (3, 4))"
        ) from None
    for a, b in out:
        if not 0 <= a <= b:
            raise ValueError(
                f"{name} contains ({a}, {b}); each window must satisfy 0 <= first <= last weeks"
            )
    return out


def build_weekly_panel(
    releases: Any,
    event_classes: Mapping[str, Any],
    start: Any,
    end: Any,
    leads: Sequence[tuple[int, int]] = ((1, 2),),
    lags: Sequence[tuple[int, int]] = ((0, 0), (1, 2), (3, 4)),
    weights: Any | None = None,
) -> pd.DataFrame:
    """One row per week: release counts, exposure, trend, seasonality, event leads and lags.

    Weeks start on Monday and cover the period as in :func:`analysis.timing.calendar.weekly_counts`
    (the first and last week may be partial; ``days`` counts their observed days).

    Parameters
    ----------
    releases : array-like of date-like
        One entry per release record (episode); all must lie in ``[start, end]``.
    event_classes : mapping of str to array-like of date-like
        Event calendar per class, e.g. ``{"sanctions": [...], "talks": [...]}``. Class names must
        be identifiers (letters, digits, underscore). Events outside the period still switch on
        the indicators of in-period weeks within reach (an event one week after ``end`` sets the
        1-week lead of the last week).
    start, end : date-like
        Observation period (inclusive).
    leads : sequence of (int, int), default ((1, 2),)
        Lead windows ``(a, b)``: column ``{class}_lead{a}_{b}`` is 1 if an event of the class
        falls ``a`` to ``b`` weeks *after* the row's week (releases before events).
    lags : sequence of (int, int), default ((0, 0), (1, 2), (3, 4))
        Lag windows ``(a, b)``: column ``{class}_lag{a}_{b}`` is 1 if an event fell ``a`` to
        ``b`` weeks *before* the row's week (releases after events); ``(0, 0)`` is the same week.
    weights : array-like, optional
        Persons released per record; adds the ``persons`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by the Monday of each week (``week``), with columns ``episodes`` (int),
        ``persons`` (float, only with weights), ``days`` (observed days, 1-7), ``trend`` (years
        since the first week), ``december`` (the week's Thursday is in December),
        ``early_july`` (the week overlaps 1-7 July, around the 5 July independence day) and the
        0/1 lead and lag indicators, class by class in the given order.

    Raises
    ------
    ValueError
        On unreadable dates, releases outside the period, bad weights, bad class names or bad
        windows.
    """
    s, e = to_day(start, name="start"), to_day(end, name="end")
    if e < s:
        raise ValueError(f"end = {end!r} is before start = {start!r}")
    r = to_days(releases, name="releases")
    outside = np.flatnonzero((r < s) | (r > e))
    if outside.size:
        i = int(outside[0])
        raise ValueError(
            f"releases[{i}] = {from_days([r[i]])[0].date()} lies outside the period "
            f"[{from_days([s])[0].date()}, {from_days([e])[0].date()}]"
        )
    if not isinstance(event_classes, Mapping):
        raise ValueError(
            f"event_classes must be a dict of class name -> dates, got {type(event_classes)!r}"
        )
    for cls in event_classes:
        if not isinstance(cls, str) or not _NAME.match(cls):
            raise ValueError(
                f"event_classes key {cls!r} is not allowed; use an identifier such as 'sanctions'"
            )
    lead_w, lag_w = _windows(leads, "leads"), _windows(lags, "lags")

    w0, w1 = int(_week_of(s)), int(_week_of(e))
    weeks = np.arange(w0, w1 + 1)
    mondays = weeks * 7 - 3
    n = weeks.size
    all_days = np.arange(s, e + 1)
    cols: dict[str, Any] = {
        "episodes": np.bincount(_week_of(r) - w0, minlength=n).astype(np.int64),
    }
    if weights is not None:
        wt = as_weights(weights, r.size)
        cols["persons"] = np.bincount(_week_of(r) - w0, weights=wt, minlength=n)
    cols["days"] = np.bincount(_week_of(all_days) - w0, minlength=n).astype(np.int64)
    cols["trend"] = (weeks - w0) * 7 / 365.25
    thursdays = from_days(mondays + 3)
    cols["december"] = (thursdays.month == 12).astype(np.int64)
    week_days = from_days((mondays[:, None] + np.arange(7)[None, :]).ravel())
    early = np.asarray((week_days.month == 7) & (week_days.day <= 7)).reshape(n, 7)
    cols["early_july"] = early.any(axis=1).astype(np.int64)

    for cls, dates in event_classes.items():
        ew = np.unique(_week_of(to_days(dates, name=f"event_classes[{cls!r}]")))
        for a, b in lead_w:
            hits = np.searchsorted(ew, weeks + b, "right") - np.searchsorted(ew, weeks + a, "left")
            cols[f"{cls}_lead{a}_{b}"] = (hits > 0).astype(np.int64)
        for a, b in lag_w:
            hits = np.searchsorted(ew, weeks - a, "right") - np.searchsorted(ew, weeks - b, "left")
            cols[f"{cls}_lag{a}_{b}"] = (hits > 0).astype(np.int64)
    return pd.DataFrame(cols, index=pd.DatetimeIndex(from_days(mondays), name="week"))


# --------------------------------------------------------------------------- count models


@dataclass(frozen=True, repr=False)
class CountModelResult(TextResult):
    """Incidence-rate ratios of a weekly count GLM with HAC standard errors.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per term (``const`` first): ``irr`` = exp(coef), ``ci_low``, ``ci_high`` (95 %),
        ``p_value`` (two-sided Wald z-test with HAC standard error of the null IRR = 1, i.e. no
        change in the weekly release rate with this term, given all other terms), ``coef``,
        ``se``. With the exposure offset, ``const`` is the baseline rate per day.
    family, outcome : str
        The model settings.
    hac_lags : int
        Newey–West maximum lag (weeks).
    n_weeks : int
        Number of weeks (rows) fitted.
    aic : float
        Akaike information criterion (for ``negbin`` it counts the estimated ``alpha``).
    llf : float
        Log-likelihood.
    dispersion : float
        Pearson chi-squared / residual degrees of freedom; well above 1 means overdispersion
        (Poisson standard errors too small; prefer ``negbin``).
    alpha : float or None
        NB2 dispersion parameter (variance = mu + alpha mu^2), estimated by maximum likelihood
        (profile likelihood over alpha in [1e-6, 1e3]), ``None`` for Poisson.
    terms : tuple of str
        Regressors used (besides the constant).
    dropped_terms : tuple of str
        Requested regressors dropped because they are constant in the panel (e.g. an event class
        with no event in reach).
    exposure : str or None
        Column used as exposure (offset log(days)), or ``None``.
    converged : bool
        Whether the GLM iterations converged.
    """

    table: pd.DataFrame = field(compare=False)
    family: str
    outcome: str
    hac_lags: int
    n_weeks: int
    aic: float
    llf: float
    dispersion: float
    alpha: float | None
    terms: tuple[str, ...]
    dropped_terms: tuple[str, ...]
    exposure: str | None
    converged: bool

    @property
    def irr(self) -> pd.Series:
        """Incidence-rate ratios (Series indexed by term)."""
        return self.table["irr"]

    def summary(self) -> str:
        """Plain-text IRR table with the model settings and caveats."""
        fam = (
            "Poisson" if self.family == "poisson" else f"negative binomial (alpha={self.alpha:.3g})"
        )
        lines = [
            f"Weekly {fam} GLM of {self.outcome}; {self.n_weeks} weeks; HAC (Newey-West, "
            f"{self.hac_lags} lags) standard errors",
            f"AIC {self.aic:.1f}; Pearson dispersion {self.dispersion:.2f}"
            + ("" if self.exposure is None else f"; offset log({self.exposure})"),
            "IRR = rate ratio; p-value tests IRR = 1 given the other terms (Wald, HAC SE).",
        ]
        if self.dropped_terms:
            lines.append(f"Dropped (constant): {', '.join(self.dropped_terms)}")
        if self.converged is False:
            lines.append("WARNING: the fit did not converge.")
        tab = self.table[["irr", "ci_low", "ci_high", "p_value"]]
        lines.append(
            tab.to_string(
                formatters={
                    "irr": "{:.3f}".format,
                    "ci_low": "{:.3f}".format,
                    "ci_high": "{:.3f}".format,
                    "p_value": "{:.4f}".format,
                }
            )
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CountModelResult(family={self.family!r}, outcome={self.outcome!r}, "
            f"n_weeks={self.n_weeks}, aic={self.aic:.1f})"
        )


def _fit_glm(
    y: np.ndarray, X: np.ndarray, family: Any, offset: np.ndarray | None, **cov: Any
) -> tuple[Any, bool]:
    """GLM by IRLS; if IRLS does not converge (it can oscillate on heavy-tailed counts), refine
    by Newton–Raphson from the IRLS estimate. Returns the fit and whether it converged."""
    model = sm.GLM(y, X, family=family, offset=offset)
    fit = model.fit(maxiter=100, **cov)
    if bool(getattr(fit, "converged", True)):
        return fit, True
    fit = model.fit(method="newton", start_params=fit.params, maxiter=200, **cov)
    return fit, bool(fit.mle_retvals.get("converged", False))


def _nb_alpha(y: np.ndarray, X: np.ndarray, offset: np.ndarray | None) -> float:
    """NB2 alpha by maximum likelihood: the GLM log-likelihood profiled over log(alpha)."""

    def neg_llf(log_alpha: float) -> float:
        try:
            fam = sm.families.NegativeBinomial(alpha=float(np.exp(log_alpha)))
            llf = float(_fit_glm(y, X, fam, offset)[0].llf)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):  # pragma: no cover
            return np.inf
        return -llf if np.isfinite(llf) else np.inf

    res = minimize_scalar(
        neg_llf,
        bounds=(np.log(_ALPHA_MIN), np.log(_ALPHA_MAX)),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(res.x))


def add_flow_outcome(
    panel: pd.DataFrame,
    flows: pd.DataFrame,
    reporter: str = "foro_penal",
    measure: str = "releases",
    max_days: int = 8,
) -> pd.DataFrame:
    """Add ``ngo_releases``: the NGO's own release (or arrest) flow in the weeks it reported one.

    A flow row of :func:`analysis.record.data.ngo_flows` whose period is at most ``max_days``
    long counts in the week (Monday-aligned, as the panel) that contains its last day; weeks
    without such a report are missing (``NaN``), never filled. Reports whose periods overlap
    (two series of running totals) are not additive: each chain of overlapping periods counts
    once, with its largest figure. The result is a release series
    that does not depend on press attention, beside the press-found episodes.

    Parameters
    ----------
    panel : pandas.DataFrame
        From :func:`build_weekly_panel`.
    flows : pandas.DataFrame
        From :func:`analysis.record.data.ngo_flows` (``data/processed/<country>/flows``).
    reporter : str
        ``reported_by`` of the flows to use (the country's reference NGO).
    measure : {"releases", "arrests"}
        Which flow.
    max_days : int
        Longest period that is placed in a single week.

    Returns
    -------
    pandas.DataFrame
        A copy of ``panel`` with the column ``ngo_releases`` (float, NaN where not reported).
    """
    if measure not in ("releases", "arrests"):
        raise ValueError(f"measure = {measure!r} is not allowed; use 'releases' or 'arrests'")
    if isinstance(max_days, bool) or not isinstance(max_days, (int, np.integer)) or max_days < 1:
        raise ValueError(f"max_days = {max_days!r} is not allowed; it must be an integer >= 1")
    f = flows[(flows["measure"] == measure) & (flows["reported_by"] == reporter)]
    f = f[(f["days"] <= max_days) & f["value"].notna()].sort_values(["period_start", "period_end"])
    a = to_days(f["period_start"], name="flows.period_start")
    b = to_days(f["period_end"], name="flows.period_end")
    # reports whose periods overlap (two series of running totals) are not additive: each
    # chain of overlapping periods counts once, with its largest figure
    chain = np.concatenate([[0], np.cumsum(a[1:] > np.maximum.accumulate(b)[:-1])])
    g = pd.DataFrame({"chain": chain, "end": b, "value": f["value"].to_numpy(float)})
    g = g.groupby("chain").agg(end=("end", "max"), value=("value", "max"))
    week = from_days(_week_of(g["end"].to_numpy()) * 7 - 3)
    by_week = pd.Series(g["value"].to_numpy(float), index=week).groupby(level=0).sum()
    out = panel.copy()
    out["ngo_releases"] = by_week.reindex(panel.index).to_numpy(float)
    return out


def count_model(
    panel: pd.DataFrame,
    family: str = "poisson",
    outcome: str = "episodes",
    hac_lags: int = 4,
    *,
    terms: Sequence[str] | None = None,
    exposure: str | None = "days",
) -> CountModelResult:
    """Fit a weekly Poisson or negative-binomial GLM and report incidence-rate ratios.

    Parameters
    ----------
    panel : pandas.DataFrame
        Output of :func:`build_weekly_panel` (consecutive weeks, in time order).
    family : {"poisson", "negbin"}, default "poisson"
        ``"negbin"`` is NB2 with ``alpha`` estimated by maximum likelihood (the GLM
        log-likelihood profiled over alpha) and then held fixed in the GLM.
    outcome : {"episodes", "persons", "ngo_releases"}, default "episodes"
        Response column. ``persons`` counts are very overdispersed (batch releases); use
        ``negbin`` for them. ``ngo_releases`` (see :func:`add_flow_outcome`) is the NGO's own
        weekly release flow; weeks it did not report are left out (not imputed), so the HAC
        errors treat the remaining weeks as consecutive -- an approximation.
    hac_lags : int, default 4
        Newey–West maximum lag in weeks (>= 0; 0 gives White's heteroskedasticity-robust SE).
    terms : sequence of str, optional
        Regressors; default every column except ``episodes``, ``persons`` and ``days``.
    exposure : str or None, default "days"
        Column of observed days per week used as exposure (offset ``log(days)``), so partial
        first/last weeks are not mistaken for low-rate weeks. ``None``: no offset.

    Returns
    -------
    CountModelResult
        IRRs with 95 % CIs and p-values, n weeks, AIC, dispersion and the settings.

    Raises
    ------
    ValueError
        If ``family``/``outcome``/``hac_lags``/``terms``/``exposure`` is not allowed, the outcome
        is negative or missing, or the regressors are collinear.

    Notes
    -----
    The p-values assume the model's mean structure; HAC only repairs the standard errors for
    heteroskedasticity and serial correlation up to ``hac_lags`` weeks. With few release weeks
    (sparse counts) the asymptotics are rough: treat p-values near 0.05 as inconclusive and
    compare with the surrogate tests.
    """
    if not isinstance(panel, pd.DataFrame):
        raise ValueError(f"panel must be a DataFrame from build_weekly_panel, got {type(panel)!r}")
    if family not in _FAMILIES:
        raise ValueError(f"family = {family!r} is not allowed; use one of {_FAMILIES}")
    if outcome not in _OUTCOMES:
        raise ValueError(f"outcome = {outcome!r} is not allowed; use one of {_OUTCOMES}")
    if outcome not in panel.columns:
        raise ValueError(
            f"outcome = {outcome!r} is not a column of panel (build the panel with weights= "
            "to get 'persons', or add_flow_outcome for 'ngo_releases')"
        )
    if isinstance(hac_lags, bool) or not isinstance(hac_lags, (int, np.integer)) or hac_lags < 0:
        raise ValueError(f"hac_lags = {hac_lags!r} is not allowed; it must be an integer >= 0")
    if exposure is not None and exposure not in panel.columns:
        raise ValueError(f"exposure = {exposure!r} is not a column of panel; use None or 'days'")
    if isinstance(panel.index, pd.DatetimeIndex) and not panel.index.is_monotonic_increasing:
        raise ValueError("panel must be in time order (HAC assumes consecutive weeks)")
    requested = [c for c in panel.columns if c not in _NON_TERMS] if terms is None else list(terms)
    for t in requested:
        if t not in panel.columns or t in _NON_TERMS:
            raise ValueError(
                f"terms contains {t!r}, which is not a regressor column of panel; "
                f"allowed: {[c for c in panel.columns if c not in _NON_TERMS]}"
            )
    if outcome == "ngo_releases":  # only the weeks the NGO reported a flow
        panel = panel[panel[outcome].notna()]
    y = panel[outcome].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)) or np.any(y < 0):
        raise ValueError(f"panel[{outcome!r}] must be finite and >= 0")
    X_df = panel[requested].astype(float)
    if not np.all(np.isfinite(X_df.to_numpy())):
        raise ValueError("panel regressors contain missing or infinite values")
    const_cols = [c for c in requested if X_df[c].nunique() <= 1]
    used = [c for c in requested if c not in const_cols]
    X_df = X_df[used]
    X_df.insert(0, "const", 1.0)
    X = X_df.to_numpy()
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(
            f"terms {used} are collinear (with the constant); drop redundant lead/lag windows"
        )
    if len(y) <= X.shape[1]:
        raise ValueError(f"panel has {len(y)} weeks, too few for {X.shape[1]} coefficients")
    offset = None
    if exposure is not None:
        days = panel[exposure].to_numpy(dtype=float)
        if np.any(~np.isfinite(days) | (days <= 0)):
            raise ValueError(f"panel[{exposure!r}] must be > 0 in every week")
        offset = np.log(days)

    cov = {"cov_type": "HAC", "cov_kwds": {"maxlags": int(hac_lags)}}
    alpha: float | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            fit, converged = _fit_glm(y, X, sm.families.Poisson(), offset, **cov)
        else:
            alpha = _nb_alpha(y, X, offset)
            nb = sm.families.NegativeBinomial(alpha=alpha)
            fit, converged = _fit_glm(y, X, nb, offset, **cov)
    params = np.asarray(fit.params)
    se = np.asarray(fit.bse)
    ci = np.asarray(fit.conf_int(0.05))
    table = pd.DataFrame(
        {
            "irr": np.exp(params),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "p_value": np.asarray(fit.pvalues),
            "coef": params,
            "se": se,
        },
        index=pd.Index(list(X_df.columns), name="term"),
    )
    aic = float(fit.aic) + (2.0 if family == "negbin" else 0.0)
    return CountModelResult(
        table=table,
        family=family,
        outcome=outcome,
        hac_lags=int(hac_lags),
        n_weeks=len(y),
        aic=aic,
        llf=float(fit.llf),
        dispersion=float(fit.pearson_chi2 / fit.df_resid),
        alpha=alpha,
        terms=tuple(used),
        dropped_terms=tuple(const_cols),
        exposure=exposure,
        converged=converged,
    )


# --------------------------------------------------------------------------- cross-correlation


def _series_pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(x, pd.Series) and isinstance(y, pd.Series) and not x.index.equals(y.index):
        raise ValueError("x and y are Series with different indexes; align them first")
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    for name, a in (("x", xa), ("y", ya)):
        if a.ndim != 1:
            raise ValueError(f"{name} has shape {a.shape}; it must be one-dimensional")
        if not np.all(np.isfinite(a)):
            i = int(np.flatnonzero(~np.isfinite(a))[0])
            raise ValueError(f"{name}[{i}] = {float(a[i])} is not allowed; values must be finite")
    if xa.size != ya.size:
        raise ValueError(f"x has length {xa.size} but y has length {ya.size}; they must match")
    for name, a in (("x", xa), ("y", ya)):
        if a.size and np.ptp(a) == 0:
            raise ValueError(f"{name} is constant; a correlation needs variation")
    return xa, ya


def _ccf(xs: np.ndarray, ys: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """corr(x_t, y_{t+k}) for each lag k; ``ys`` may be (m, n). Biased (divide by n) estimator."""
    n = xs.size
    out = np.empty((*ys.shape[:-1], lags.size))
    for j, k in enumerate(lags):
        if k >= 0:
            out[..., j] = ys[..., k:] @ xs[: n - k] / n
        else:
            out[..., j] = ys[..., : n + k] @ xs[-k:] / n
    return out


@dataclass(frozen=True, repr=False)
class CrossCorrelationResult(TextResult):
    """Lagged cross-correlation with a surrogate band.

    Attributes
    ----------
    lags : numpy.ndarray
        ``-max_lag .. max_lag``; at lag ``k`` the value is corr(x_t, y_{t+k}), so a peak at
        ``k > 0`` means x leads y by k steps (weeks).
    ccf : numpy.ndarray
        Observed cross-correlation (standardised over the whole series, divided by n).
    band_low, band_high : numpy.ndarray
        Pointwise ``band`` interval of the surrogate cross-correlations.
    p_pointwise : numpy.ndarray
        Two-sided Monte-Carlo p-value per lag (|surrogate| >= |observed|).
    peak_lag : int
        Lag of the largest |ccf|.
    peak_value : float
        ccf at ``peak_lag``.
    p_global : float
        Monte-Carlo p-value of the maximum |ccf| over all lags against the surrogate maxima
        (controls for looking at every lag).
    n, max_lag, n_surrogates, method, block_size, band, seed, x_name, y_name
        Settings.
    """

    lags: np.ndarray = field(compare=False)
    ccf: np.ndarray = field(compare=False)
    band_low: np.ndarray = field(compare=False)
    band_high: np.ndarray = field(compare=False)
    p_pointwise: np.ndarray = field(compare=False)
    peak_lag: int
    peak_value: float
    p_global: float
    n: int
    max_lag: int
    n_surrogates: int
    method: str
    block_size: int
    band: float
    seed: int | None
    x_name: str
    y_name: str

    def to_frame(self) -> pd.DataFrame:
        """ccf, band and pointwise p-values indexed by lag."""
        return pd.DataFrame(
            {
                "ccf": self.ccf,
                "band_low": self.band_low,
                "band_high": self.band_high,
                "p_pointwise": self.p_pointwise,
            },
            index=pd.Index(self.lags, name="lag"),
        )

    def summary(self) -> str:
        """Plain-text ccf table with the peak and global test."""
        how = (
            "circular shifts of y"
            if self.method == "circular"
            else f"shuffles of {self.block_size}-step blocks of y"
        )
        lines = [
            f"Cross-correlation corr({self.x_name}_t, {self.y_name}_t+k), n = {self.n}; "
            f"k > 0: {self.x_name} leads",
            f"Surrogates: {self.n_surrogates} {how}, seed={self.seed}; "
            f"pointwise {self.band:.0%} band",
            f"Peak at k = {self.peak_lag}: {self.peak_value:.3f}; global p (max |ccf| over lags) "
            f"= {self.p_global:.4g}",
            self.to_frame().to_string(float_format=lambda v: f"{v:.3f}"),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CrossCorrelationResult(n={self.n}, max_lag={self.max_lag}, "
            f"peak_lag={self.peak_lag}, p_global={self.p_global:.4g})"
        )


def cross_correlation(
    x: Any,
    y: Any,
    max_lag: int = 8,
    n_surrogates: int = 1000,
    seed: int | None = None,
    *,
    method: str = "circular",
    block_size: int = 8,
    band: float = 0.95,
    x_name: str = "x",
    y_name: str = "y",
) -> CrossCorrelationResult:
    """Cross-correlation of two weekly series at lags ``-max_lag..max_lag`` with surrogate bands.

    Parameters
    ----------
    x, y : array-like or pandas.Series
        Equal-length, equally spaced series (e.g. weekly events and weekly releases). Series must
        share their index.
    max_lag : int, default 8
        Largest lag (>= 0); needs ``len(x) > 2 * max_lag + 2``.
    n_surrogates : int, default 1000
        Number of surrogate ``y`` series (>= 1).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    method : {"circular", "block"}, default "circular"
        ``"circular"``: ``y`` rotated by a random shift of more than ``max_lag`` steps (keeps
        its autocorrelation, breaks alignment with x). ``"block"``: ``y`` cut into consecutive
        blocks of ``block_size`` steps which are put in random order.
    block_size : int, default 8
        Block length for ``method="block"`` (>= 1).
    band : float, default 0.95
        Coverage of the pointwise band, in (0, 1).
    x_name, y_name : str
        Labels for the summary and plots.

    Returns
    -------
    CrossCorrelationResult

    Raises
    ------
    ValueError
        On non-finite, constant or unequal-length input, or settings out of range.
    """
    xa, ya = _series_pair(x, y)
    n = xa.size
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise ValueError(f"max_lag = {max_lag!r} is not allowed; it must be an integer >= 0")
    if n <= 2 * max_lag + 2:
        raise ValueError(
            f"max_lag = {max_lag} is too large for series of length {n}; need "
            f"length > 2 * max_lag + 2"
        )
    if (
        isinstance(n_surrogates, bool)
        or not isinstance(n_surrogates, (int, np.integer))
        or n_surrogates < 1
    ):
        raise ValueError(f"n_surrogates = {n_surrogates!r} is not allowed; it must be >= 1")
    if method not in ("circular", "block"):
        raise ValueError(f"method = {method!r} is not allowed; use 'circular' or 'block'")
    if (
        isinstance(block_size, bool)
        or not isinstance(block_size, (int, np.integer))
        or not 1 <= block_size <= n
    ):
        raise ValueError(f"block_size = {block_size!r} is not allowed; it must be in 1..{n}")
    if not isinstance(band, (int, float)) or not 0 < band < 1:
        raise ValueError(f"band = {band!r} is not allowed; it must be a number in (0, 1)")

    xs = (xa - xa.mean()) / xa.std()
    ys = (ya - ya.mean()) / ya.std()
    lags = np.arange(-max_lag, max_lag + 1)
    obs = _ccf(xs, ys, lags)
    rng = np.random.default_rng(seed)
    if method == "circular":
        shifts = rng.integers(max_lag + 1, n - max_lag, size=n_surrogates)
        idx = (np.arange(n)[None, :] - shifts[:, None]) % n
    else:
        starts = np.arange(0, n, block_size)
        blocks = [np.arange(a, min(a + block_size, n)) for a in starts]
        idx = np.stack(
            [
                np.concatenate([blocks[i] for i in rng.permutation(len(blocks))])
                for _ in range(n_surrogates)
            ]
        )
    sur = _ccf(xs, ys[idx], lags)
    q = ((1 - band) / 2, 1 - (1 - band) / 2)
    low, high = np.quantile(sur, q, axis=0)
    tol = 1e-12
    p_point = (1 + np.sum(np.abs(sur) >= np.abs(obs) - tol, axis=0)) / (1 + n_surrogates)
    peak = int(np.argmax(np.abs(obs)))
    obs_max = float(np.abs(obs).max())
    p_global = float((1 + np.sum(np.abs(sur).max(axis=1) >= obs_max - tol)) / (1 + n_surrogates))
    return CrossCorrelationResult(
        lags=lags,
        ccf=obs,
        band_low=low,
        band_high=high,
        p_pointwise=p_point,
        peak_lag=int(lags[peak]),
        peak_value=float(obs[peak]),
        p_global=p_global,
        n=n,
        max_lag=int(max_lag),
        n_surrogates=int(n_surrogates),
        method=method,
        block_size=int(block_size),
        band=float(band),
        seed=seed,
        x_name=x_name,
        y_name=y_name,
    )


# --------------------------------------------------------------------------- Granger


_GRANGER_CAVEAT = (
    "Granger causality is predictive, not causal: it asks whether past values of one series "
    "improve a linear autoregressive forecast of the other. The F-test assumes Gaussian, "
    "homoskedastic errors; sparse weekly counts (many zero weeks, rare large batches) violate "
    "this, so read p-values as rough and confirm with surrogate tests."
)


@dataclass(frozen=True, repr=False)
class GrangerResult(TextResult):
    """Granger (ssr F-test) results in both directions.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (direction, lag): ``direction`` (``"x -> y"`` means past x helps predict y),
        ``lag``, ``F``, ``p_value``, ``df_num``, ``df_denom``. The null is that all lagged
        coefficients of the "cause" series (1..lag) are zero in the linear autoregression of the
        "effect" series.
    max_lag : int
        Largest lag tested.
    n : int
        Series length.
    zero_share_x, zero_share_y : float
        Share of zero values in each series (a sparse-count warning sign).
    x_name, y_name : str
        Labels.
    caveat : str
        The interpretation caveat printed by ``summary()``.
    """

    table: pd.DataFrame = field(compare=False)
    max_lag: int
    n: int
    zero_share_x: float
    zero_share_y: float
    x_name: str
    y_name: str
    caveat: str = _GRANGER_CAVEAT

    def p_values(self, direction: str = "x -> y") -> pd.Series:
        """p-values by lag for ``"x -> y"`` or ``"y -> x"``."""
        if direction not in ("x -> y", "y -> x"):
            raise ValueError(f"direction = {direction!r} is not allowed; use 'x -> y' or 'y -> x'")
        sub = self.table[self.table["direction"] == direction]
        return sub.set_index("lag")["p_value"]

    def summary(self) -> str:
        """Plain-text table of F-tests with the caveat."""
        tab = self.table.copy()
        tab["direction"] = tab["direction"].map(
            {
                "x -> y": f"{self.x_name} -> {self.y_name}",
                "y -> x": f"{self.y_name} -> {self.x_name}",
            }
        )
        lines = [
            f"Granger causality (ssr F-test), n = {self.n}, lags 1..{self.max_lag}; "
            f"zero share: {self.x_name} {self.zero_share_x:.0%}, "
            f"{self.y_name} {self.zero_share_y:.0%}",
            tab.to_string(
                index=False,
                formatters={"F": "{:.3f}".format, "p_value": "{:.4f}".format},
            ),
            textwrap.fill("Caveat: " + self.caveat, width=100),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"GrangerResult(n={self.n}, max_lag={self.max_lag})"


def granger(
    x: Any, y: Any, max_lag: int = 4, *, x_name: str = "x", y_name: str = "y"
) -> GrangerResult:
    """Granger-causality F-tests in both directions (x -> y and y -> x).

    Wraps :func:`statsmodels.tsa.stattools.grangercausalitytests` (``ssr_ftest``) for lags
    ``1..max_lag``.

    Parameters
    ----------
    x, y : array-like or pandas.Series
        Equal-length, equally spaced series (e.g. weekly event counts and weekly releases).
    max_lag : int, default 4
        Largest lag (>= 1); needs ``len(x) > 3 * max_lag + 1``.
    x_name, y_name : str
        Labels for the summary.

    Returns
    -------
    GrangerResult

    Raises
    ------
    ValueError
        On non-finite, constant or unequal-length input, or ``max_lag`` out of range.

    Notes
    -----
    "x Granger-causes y" only means past x improves a linear forecast of y beyond y's own past.
    It is not evidence of causation (a common driver, or anticipation of scheduled events, gives
    the same result), and with sparse weekly counts the Gaussian F-test is only approximate.
    """
    xa, ya = _series_pair(x, y)
    n = xa.size
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 1:
        raise ValueError(f"max_lag = {max_lag!r} is not allowed; it must be an integer >= 1")
    if n <= 3 * max_lag + 1:
        raise ValueError(
            f"max_lag = {max_lag} is too large for series of length {n}; need length > "
            "3 * max_lag + 1"
        )
    rows = []
    for direction, cause, effect in (("x -> y", xa, ya), ("y -> x", ya, xa)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = grangercausalitytests(np.column_stack([effect, cause]), maxlag=int(max_lag))
        for lag in range(1, int(max_lag) + 1):
            f, p, df_denom, df_num = res[lag][0]["ssr_ftest"]
            rows.append(
                {
                    "direction": direction,
                    "lag": lag,
                    "F": float(f),
                    "p_value": float(p),
                    "df_num": int(df_num),
                    "df_denom": int(df_denom),
                }
            )
    return GrangerResult(
        table=pd.DataFrame(rows),
        max_lag=int(max_lag),
        n=n,
        zero_share_x=float(np.mean(xa == 0)),
        zero_share_y=float(np.mean(ya == 0)),
        x_name=x_name,
        y_name=y_name,
    )
