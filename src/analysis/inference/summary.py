"""The pre-registered primary tests and the answer in words (``docs/analysis_plan.md``).

:data:`PRIMARY_TESTS` is the plan's family of hypotheses, fixed before looking at results.
:func:`primary_tests` runs them on the event record, adjusts their p-values together (Holm), and
applies the plan's decision rule; :func:`answer_html` turns the result into the plain-words answer
that leads the report index.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.multitest import adjust
from analysis.inference.plan import Hypothesis, PlanVersion, get_plan
from analysis.record.overview import prisoner_series, release_days, select_events
from analysis.settings import country_settings
from analysis.timing.coincidence import coincidence_test
from analysis.timing.intervals import interval_events, interval_releases
from analysis.timing.revolving import revolving_door
from analysis.timing.sensitivity import sensitivity

__all__ = ["PRIMARY_TESTS", "PrimaryTests", "answer_html", "primary_tests"]

#: The current plan's primary family as flat dictionaries (``docs/analysis_plan.md``). Every entry
#: names its test settings explicitly: ``coincidence_test(releases, events, **settings)``.
PRIMARY_TESTS: tuple[dict[str, Any], ...] = tuple(t.as_dict() for t in get_plan("v2").tests)


@dataclass(frozen=True, eq=False)
class PrimaryTests:
    """Result of :func:`primary_tests`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per hypothesis: ``id``, ``hypothesis``, ``event_classes``, ``window``,
        ``direction``, ``n_releases``, ``n_events``, ``effect`` (coincidence: observed/expected
        ratio; revolving door: difference in persons per 30 days), ``effect_lo``, ``effect_hi``,
        ``effect_unit``, ``pvalue`` (``pvalue_method``: exact unless Monte Carlo), ``p_holm``,
        ``supported``, ``naive_ratio`` and ``naive_pvalue`` (the same coincidence test under the
        uniform null, for contrast); what the test could detect: ``rule_alpha`` (the level at
        which Holm first tests a row, ``alpha / m``), ``mde_rule`` (MDE at 80 % power at that
        level), ``mde_05`` (MDE at 0.05; ``mde`` is the same column, kept for existing readers),
        ``power_observed`` (power at ``rule_alpha`` against an effect as large as the observed
        one), ``n_interval_releases`` and ``n_interval_events`` (rows dated by interval).
    verdict : str
        The decision rule applied to the family, in words.
    settings : dict
        Window, null, jitter bin, period, surrogates, seed, alpha.
    """

    table: pd.DataFrame = field(repr=False)
    verdict: str
    settings: dict[str, Any]

    def summary(self) -> str:
        """Short plain-text table."""
        t = self.table
        lines = ["Primary tests (pre-registered), Holm-adjusted across the family", "-" * 78]
        for r in t.itertuples():
            ci = f"[{r.effect_lo:.2f}, {r.effect_hi:.2f}]"
            lines.append(
                f"{r.id}  {r.effect_unit:<9}{r.effect:>8.2f} {ci:<16} p={r.pvalue:.3f} "
                f"Holm p={r.p_holm:.3f}  {'supported' if r.supported else 'not supported'}"
            )
        lines.append(self.verdict)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


_COINCIDENCE_KEYS = ("window", "direction", "null", "jitter_days", "cluster_gap")


def _coincidence_row(
    spec: Hypothesis, days: pd.DataFrame, ev: pd.DataFrame, period: tuple[Any, Any],
    n_surrogates: int, seeds: np.ndarray, with_sensitivity: bool, rule_alpha: float = 0.05,
) -> dict[str, Any]:  # fmt: skip
    st = {k: spec.settings.get(k) for k in _COINCIDENCE_KEYS}
    start, end = period
    bins = {}
    if spec.settings.get("bin_rule"):  # e.g. calibration.V3_BINS: bins from the test's events
        from analysis.inference.calibration import bin_settings

        bins = bin_settings(spec.settings["bin_rule"], ev["date"], start, end)
        st["jitter_days"] = bins.get("jitter_days")
    ends = {}
    if "end" in days and "end" in ev:  # dates as intervals (primary_tests(intervals=True))
        ends = dict(release_ends=days["end"], event_ends=ev["end"])
    res = coincidence_test(days["date"], ev["date"], n_surrogates=n_surrogates,
                           seed=int(seeds[0]), start=start, end=end,
                           **{**st, **bins, **ends})  # fmt: skip
    naive = coincidence_test(days["date"], ev["date"], st["window"], direction=st["direction"],
                             null="uniform", n_surrogates=n_surrogates, seed=int(seeds[1]),
                             start=start, end=end, n_bootstrap=200, **ends)  # fmt: skip
    row = dict(
        window=st["window"], n_releases=len(days), effect=res.ratio, effect_lo=res.ratio_ci[0],
        effect_hi=res.ratio_ci[1], effect_unit="ratio", null_effect=1.0, pvalue=res.pvalue,
        naive_ratio=naive.ratio, naive_pvalue=naive.pvalue, statistic=res.statistic,
        expected=res.expected, null=st["null"], jitter_days=st["jitter_days"],
        n_informative=np.nan, max_effect=np.nan, mde=np.nan, mde_rule=np.nan, mde_05=np.nan,
        rule_alpha=rule_alpha, power_observed=np.nan, pvalue_method=res.method,
        n_interval_releases=res.n_interval_releases, n_interval_events=res.n_interval_events,
    )  # fmt: skip
    if with_sensitivity and st["null"] == "jitter" and len(ev):
        sens = sensitivity(days["date"], ev["date"], st["window"], direction=st["direction"],
                           jitter_days=st["jitter_days"] or 30, cluster_gap=st["cluster_gap"],
                           start=start, end=end, alpha=0.05, rule_alpha=rule_alpha,
                           observed_ratio=res.ratio, bins=bins.get("bins"),
                           **ends)  # fmt: skip
        row.update(n_informative=sens.n_informative, max_effect=sens.max_ratio,
                   mde=sens.mde_ratio, mde_rule=sens.mde_ratio_rule, mde_05=sens.mde_ratio,
                   power_observed=sens.power_observed)  # fmt: skip
    return row


def _revolving_row(
    spec: Hypothesis, frames: dict[str, pd.DataFrame], ev: pd.DataFrame, reporter: str,
    period: tuple[Any, Any], n_surrogates: int, seeds: np.ndarray, power: float = 0.8,
    rule_alpha: float = 0.05,
) -> dict[str, Any]:  # fmt: skip
    counts = prisoner_series(frames["prisoner_counts"], reporter, *period)
    ev_in = ev[(ev["date"] >= counts.index[0]) & (ev["date"] <= counts.index[-1])]
    st = dict(spec.settings)
    extra = {"n_surrogates": n_surrogates} if st.get("null") == "jitter" else {}
    res = revolving_door(counts, ev_in["date"], seed=int(seeds[0]), **st, **extra)
    nd = res.null_distribution[np.isfinite(res.null_distribution)]
    # location-shift MDE: the shift of the null distribution detected with the target power, at
    # the rule's first level and at 0.05; power at the observed effect: the share of the null
    # shifted by the observed effect that clears the rule's critical value
    mde_05 = float(np.quantile(nd, 1 - 0.05) - np.quantile(nd, 1 - power))
    mde = float(np.quantile(nd, 1 - rule_alpha) - np.quantile(nd, 1 - power))
    crit = float(np.quantile(nd, 1 - rule_alpha))
    p_obs = float(np.mean(nd + (res.statistic - float(np.mean(nd))) >= crit))
    return dict(
        window=st["window"], n_releases=len(counts), n_events=len(ev_in), effect=res.statistic,
        effect_lo=res.ci[0], effect_hi=res.ci[1], effect_unit="per 30 d", null_effect=0.0,
        pvalue=res.pvalue, naive_ratio=np.nan, naive_pvalue=np.nan, statistic=res.rate_pre,
        expected=res.rate_other, null=st.get("null", "circular_shift"),
        jitter_days=st.get("jitter_days"), n_informative=res.n_pre, max_effect=np.nan,
        mde=mde_05, mde_rule=mde, mde_05=mde_05, rule_alpha=rule_alpha, power_observed=p_obs,
        pvalue_method="monte carlo" if st.get("null") == "jitter" else "exact",
    )  # fmt: skip


def _empty_row(spec: Hypothesis, n_releases: int) -> dict[str, Any]:
    nan = float("nan")
    unit = "ratio" if spec.kind == "coincidence" else "per 30 d"
    return dict(
        window=spec.settings["window"], n_releases=n_releases, effect=nan, effect_lo=nan,
        effect_hi=nan, effect_unit=unit, null_effect=1.0 if unit == "ratio" else 0.0,
        pvalue=nan, naive_ratio=nan, naive_pvalue=nan, statistic=nan, expected=nan,
        null=spec.settings.get("null"), jitter_days=spec.settings.get("jitter_days"),
        n_informative=nan, max_effect=nan, mde=nan, mde_rule=nan, mde_05=nan, rule_alpha=nan,
        power_observed=nan, pvalue_method="",
    )  # fmt: skip


def _holm(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm over the hypotheses that could be run (nan p-values stay nan)."""
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = adjust(p[ok], "holm", alpha).p_adjusted.to_numpy()
    return out


def _verdict(table: pd.DataFrame, alpha: float) -> str:
    n_sup = int(table["supported"].sum())
    skipped = table.loc[table["pvalue"].isna(), "id"].tolist()
    if n_sup == 0:
        text = (
            f"Decision rule: no primary hypothesis is supported at family-wise level {alpha} "
            "(Holm). The record does not show release timing beyond what the clustering of "
            "releases and events explains at this resolution."
        )
    else:
        ids = ", ".join(table.loc[table["supported"], "id"])
        text = (
            f"Decision rule: {n_sup} of {len(table)} primary hypotheses supported at "
            f"family-wise level {alpha} (Holm): {ids}. Association in time, not proof of intent."
        )
    if skipped:
        text += f" Not run on this record (too thin; see the table's note): {', '.join(skipped)}."
    return text


def primary_tests(
    frames: dict[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v2",
    start: Any = None,
    end: Any = None,
    n_surrogates: int = 9999,
    alpha: float | None = None,
    seed: int | None = None,
    reporter: str | None = None,
    country: str = "venezuela",
    with_sensitivity: bool = True,
    intervals: bool = False,
) -> PrimaryTests:
    """Run a plan's primary family on the event record and apply its decision rule.

    Coincidence hypotheses use release *days* (:func:`analysis.record.overview.release_days`) and
    events of day precision that are not themselves releases
    (:func:`analysis.record.overview.select_events`), with the settings the plan names for each
    hypothesis. The revolving-door hypothesis uses the reference NGO's count
    (:func:`analysis.timing.revolving.revolving_door`). A hypothesis is *supported* when its
    Holm-adjusted one-sided p-value is below ``alpha`` and the lower end of its effect interval
    lies above no effect (ratio 1, difference 0). Every row also says what the test could have
    detected (:func:`analysis.timing.sensitivity.sensitivity`): informative release days, the
    largest
    attainable ratio and the minimum detectable effect at 80 % power.

    Parameters
    ----------
    frames : dict of DataFrame
        From :func:`analysis.record.data.load_processed`.
    plan : str or PlanVersion
        ``"v2"`` (current), ``"v1"`` (kept for comparison), ``"v2-post-capture"``, or a plan.
    start, end : date-like, optional
        Period; default the plan's primary sample.
    n_surrogates : int
        Surrogates per test.
    alpha : float, optional
        Family-wise level (default the plan's).
    seed : int or None
        Seed; each test derives its own from it.
    reporter : str, optional
        ``reported_by`` value of the prisoner count for the revolving door (default: the
        country's reference NGO, :data:`analysis.settings.COUNTRIES`).
    country : str
        Whose record ``frames`` is (sets the default reporter and labels the result).
    with_sensitivity : bool
        Add the sensitivity columns (``n_informative``, ``max_effect``, ``mde``).
    intervals : bool
        Let releases and events dated only to a week or month take part as intervals
        (:mod:`analysis.timing.intervals`); False keeps day-precision rows only (plans v1, v2).

    Notes
    -----
    A hypothesis whose settings name a ``bin_rule`` (a name of
    :data:`analysis.inference.calibration.BIN_CANDIDATES`, e.g. ``V3_BINS``) gets its jitter bins
    from that rule on its own event calendar.
    """
    pl = plan if isinstance(plan, PlanVersion) else get_plan(plan)
    reporter = reporter or country_settings(country).reference_ngo
    period = (start or pl.start, end or pl.end)
    alpha = pl.alpha if alpha is None else alpha
    rule_alpha = alpha / len(pl.tests)  # Holm's first step: where each row is first tested
    seeds = np.random.SeedSequence(seed).generate_state(3 * len(pl.tests))
    days = release_days(frames["releases"], *period)
    coin_days = interval_releases(frames["releases"], *period) if intervals else days
    rows = []
    for i, spec in enumerate(pl.tests):
        ev = select_events(frames["events"], list(spec.classes), *period)
        if intervals and spec.kind == "coincidence":
            ev = interval_events(frames["events"], list(spec.classes), *period)
        row: dict[str, Any] = {"id": spec.id, "hypothesis": spec.label,
                               "event_classes": ", ".join(spec.classes),
                               "direction": spec.settings.get("direction", "before"),
                               "n_events": len(ev)}  # fmt: skip
        sd = seeds[3 * i : 3 * i + 3]
        try:
            if spec.kind == "coincidence":
                row.update(_coincidence_row(spec, coin_days, ev, period, n_surrogates, sd,
                                            with_sensitivity, rule_alpha))  # fmt: skip
            else:
                row.update(_revolving_row(spec, frames, ev, reporter, period, n_surrogates, sd,
                                          rule_alpha=rule_alpha))  # fmt: skip
            row["note"] = ""
        except ValueError as exc:  # a thin record: the test cannot run; say why, do not guess
            row.update(_empty_row(spec, len(days)), note=f"not run: {exc}")
        rows.append(row)
    table = pd.DataFrame(rows)
    table["p_holm"] = _holm(table["pvalue"].to_numpy(), alpha)
    table["supported"] = (table["p_holm"] < alpha) & (table["effect_lo"] > table["null_effect"])
    settings = dict(
        country=country, reporter=reporter, plan=pl.version, plan_date=pl.date,
        start=str(pd.Timestamp(period[0]).date()), end=str(pd.Timestamp(period[1]).date()),
        n_surrogates=n_surrogates, alpha=alpha, seed=seed, intervals=intervals,
        rule_alpha=rule_alpha, tests={t.id: dict(t.settings) for t in pl.tests},
    )  # fmt: skip
    return PrimaryTests(table=table, verdict=_verdict(table, alpha), settings=settings)


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _mde_text(r: Any, col: str = "mde_rule") -> str:
    v = getattr(r, col)
    if pd.isna(v):
        return "–"
    if not np.isfinite(v):
        return "none (test blind here)"
    unit = "×" if r.effect_unit == "ratio" else " persons/30 d"
    return f"{v:.2f}{unit}"


def _power_text(r: Any) -> str:
    return "–" if pd.isna(r.power_observed) else f"{r.power_observed:.2f}"


def _lead(t: pd.DataFrame, s: dict[str, Any]) -> str:
    esc = html.escape
    sup = t[t["supported"]]
    if not sup.empty:
        return (
            "<p><b>Short answer: the record shows releases falling near "
            + esc("; ".join(sup["hypothesis"].str.lower()))
            + " more often than chance at the fine time scale tested</b> — an association in "
            "time, not proof that releases were traded.</p>"
        )
    naive_hit = bool((t["naive_pvalue"] < s["alpha"]).any())
    contrast = (
        "Releases and diplomatic events do bunch together in the same months, and a naive "
        "test that ignores that bunching finds strong coincidence; but once"
        if naive_hit
        else "Even a naive test that ignores the bunching of releases finds little "
        "coincidence; and once"
    )
    coin = t[t["effect_unit"] == "ratio"]
    bins = sorted({int(j) for j in coin["jitter_days"].dropna()})
    mde = coin["mde_rule"].replace(np.inf, np.nan).dropna()
    reach = (
        f" At this resolution the tests could have detected effects of about "
        f"{mde.min():.1f}× to {mde.max():.1f}× the chance rate (80 % power at the level "
        "where Holm first tests each hypothesis); smaller "
        'bargains would go unseen, so this is "not shown", not "shown absent".'
        if len(mde)
        else ""
    )
    return (
        "<p><b>Short answer: the record does not show releases timed to talks or sanctions "
        f"relief beyond what clustering explains.</b> {contrast} releases are redrawn within "
        f"their own {'/'.join(map(str, bins))}-day bins (keeping the slow co-movement of both "
        f"series), none of the {len(t)} pre-registered hypotheses passes the family-wise "
        f"test at {s['alpha']}.{esc(reach)}</p>"
    )


def answer_html(result: PrimaryTests) -> str:
    """The answer in plain words with the headline table, as an HTML fragment.

    Every number comes from ``result``; the wording follows the decision rule, shows for every
    hypothesis what its test could have detected (minimum detectable effect), and always states
    what the design cannot show (intent, causation) and where the data are thin.
    """
    t = result.table
    s = result.settings
    esc = html.escape
    rows = []
    for r in t.itertuples():
        unit = "×" if r.effect_unit == "ratio" else " persons/30 d"
        naive = ""
        if not pd.isna(r.naive_ratio):
            naive = f"{r.naive_ratio:.2f}× (p {esc(_p(r.naive_pvalue))})"
        rows.append(
            f"<tr><td>{esc(r.id)}</td><td>{esc(r.hypothesis)}</td><td>{esc(r.event_classes)}"
            f"</td><td>{r.window} d {esc(r.direction)}</td>"
            f"<td>{r.effect:.2f}{unit} [{r.effect_lo:.2f}, {r.effect_hi:.2f}]</td>"
            f"<td>{esc(_p(r.pvalue))}</td><td>{esc(_p(r.p_holm))}</td><td>{naive}</td>"
            f"<td>{esc(_mde_text(r, 'mde_rule'))}</td><td>{esc(_mde_text(r, 'mde_05'))}</td>"
            f"<td>{esc(_power_text(r))}</td><td>{'yes' if r.supported else 'no'}</td></tr>"
        )
    table = (
        "<table><tr><th></th><th>hypothesis</th><th>event classes</th><th>window</th>"
        "<th>effect [95% CI]</th><th>p (one-sided)</th><th>Holm p</th>"
        "<th>naive uniform null</th>"
        f"<th>MDE at the rule's level (Holm's first step, α/{len(t)} = "
        f"{s['alpha'] / len(t):.4g}; 80% power)</th><th>MDE at 0.05</th>"
        "<th>power at the observed effect (rule's level)</th>"
        "<th>supported</th></tr>" + "".join(rows) + "</table>"
    )
    direction_words = (
        "window 'before': an event in the days before the release (the release follows it); "
        "'after': an event in the days after the release (a gesture before it)"
    )
    caveats = (
        f"<p class='small'>Plan {esc(str(s.get('plan')))} ({esc(str(s.get('plan_date')))}). "
        "Coincidence effects: share of release days with an event in the window, divided by its "
        "mean under the null (interval jitter: each cluster of releases redrawn within its fixed "
        "bin; exact p-values by convolution over clusters, no seed); "
        f"{direction_words}. The "
        "revolving-door effect: mean change of the NGO count per 30 days in intervals ending "
        "shortly before a negotiation round minus the other intervals, against the event "
        "calendar jittered within bins. MDE: the smallest effect the test detects with 80 % "
        "power on this record (coincidence: a share of release clusters placed next to events, "
        "computed exactly; revolving door: a shift of the statistic), at the level where Holm "
        "first tests each hypothesis (α divided by the family size) and, for comparison, at "
        "0.05; power at the observed effect: the power, at the rule's level, against a planted "
        "effect as large as the one observed. "
        f"Period {s['start']} to {s['end']}. Caveats: the record is thin in 2014–2016 and "
        "2021–2023; release days with weekly or monthly dates are left out; the jitter test "
        "sees only timing finer than its bins, so a slower quid-pro-quo (months) is neither "
        "shown nor excluded. The controls notebook shows that the same test detects the "
        "releases' own source-linked events; the robustness notebook shows how the answer "
        "varies over windows, nulls, event subsets and periods.</p>"
    )
    label = country_settings(s.get("country", "venezuela")).label
    head = f"<p><b>{esc(label)}</b> — plan {esc(str(s.get('plan')))}, primary family</p>"
    return head + _lead(t, s) + f"<p>{esc(result.verdict)}</p>" + table + caveats
