"""Plan-level dyadic analyses: the dyadic family and the plan's timing tests by stratum.

These run the hypotheses of a plan version (:data:`analysis.inference.plan.PLANS`), so they live
in the inference stage; the tests themselves (:func:`analysis.timing.dyadic.dyadic_test`,
:func:`analysis.timing.coincidence.coincidence_test`) are in the timing stage and take their
settings as arguments.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.multitest import adjust
from analysis.inference.plan import get_plan
from analysis.record.overview import release_days, select_events
from analysis.timing.coincidence import coincidence_test
from analysis.timing.dyadic import STRATA, dyadic_test
from analysis.timing.sensitivity import sensitivity

__all__ = [
    "StratifiedTimingResult",
    "dyadic_answer_html",
    "dyadic_family",
    "stratified_timing",
]

_KEYS = ("window", "direction", "null", "jitter_days", "cluster_gap")


@dataclass(frozen=True, eq=False)
class StratifiedTimingResult:
    """Result of :func:`stratified_timing`.

    Attributes
    ----------
    table : DataFrame
        One row per (stratum, hypothesis): ``stratum``, ``hypothesis``, ``n_release_days``,
        ``n_events``, ``statistic``, ``expected``, ``ratio``, ``ratio_lo``, ``ratio_hi``,
        ``pvalue``, ``mde_ratio`` (nan where a stratum has no release day).
    settings : dict
        Plan version, period, strata and what they mean, surrogates, simulations, seed.
    """

    table: pd.DataFrame = field(repr=False)
    settings: dict[str, Any]

    def summary(self) -> str:
        """Short plain-text table."""
        cols = ["stratum", "hypothesis", "n_release_days", "ratio", "ratio_lo", "ratio_hi",
                "pvalue", "mde_ratio"]  # fmt: skip
        head = f"Plan {self.settings['plan']} timing tests by stratum ({self.settings['period']})"
        return head + "\n" + self.table[cols].to_string(index=False, float_format="%.3f")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = (f"<p><b>Plan {html.escape(self.settings['plan'])} timing tests by stratum</b> "
                f"({html.escape(self.settings['period'])})</p>")  # fmt: skip
        return head + self.table.to_html(index=False, float_format=lambda x: f"{x:.3f}")


def _flag(releases: pd.DataFrame, column: str) -> set[str]:
    if column not in releases:
        return set()
    return set(releases.loc[releases[column].fillna(False).astype(bool), "id"])


def _strata_days(days: pd.DataFrame, releases: pd.DataFrame) -> dict[str, pd.DataFrame]:
    foreign, high = _flag(releases, "foreigners_included"), _flag(releases, "high_value")
    ids = days["ids"].str.split(";")
    is_f = ids.map(lambda x: bool(foreign.intersection(x))).to_numpy(dtype=bool)
    is_h = ids.map(lambda x: bool(high.intersection(x))).to_numpy(dtype=bool)
    return {"all": days, "foreign": days[is_f], "high_value": days[is_h],
            "other": days[~is_f & ~is_h]}  # fmt: skip


def _stratum_row(
    days: pd.DataFrame, ev: pd.DataFrame, st: dict[str, Any], period: tuple[str, str],
    n_surrogates: int, n_sim: int, seed: int,
) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = dict(n_release_days=len(days), n_events=len(ev))
    nan = float("nan")
    if len(days) == 0 or len(ev) == 0:
        return row | dict(statistic=nan, expected=nan, ratio=nan, ratio_lo=nan, ratio_hi=nan,
                          pvalue=nan, mde_ratio=nan)  # fmt: skip
    s1, s2 = (int(x) for x in np.random.SeedSequence(seed).generate_state(2))
    res = coincidence_test(days["date"], ev["date"], n_surrogates=n_surrogates, seed=s1,
                           start=period[0], end=period[1], **st)  # fmt: skip
    mde = nan
    if st["null"] == "jitter" and n_sim:
        mde = sensitivity(
            days["date"],
            ev["date"],
            st["window"],
            direction=st["direction"],
            jitter_days=st["jitter_days"],
            cluster_gap=st["cluster_gap"],
            start=period[0],
            end=period[1],
            n_sim=n_sim,
            seed=s2,
        ).mde_ratio
    return row | dict(statistic=res.statistic, expected=res.expected, ratio=res.ratio,
                      ratio_lo=res.ratio_ci[0], ratio_hi=res.ratio_ci[1], pvalue=res.pvalue,
                      mde_ratio=mde)  # fmt: skip


def stratified_timing(
    frames: Mapping[str, pd.DataFrame],
    plan: str = "v2",
    strata: Sequence[str] = ("foreign", "high_value", "other"),
    *,
    seed: int | None = None,
    n_surrogates: int = 9999,
    n_sim: int = 2000,
) -> StratifiedTimingResult:
    """The plan's coincidence hypotheses run separately on strata of release days.

    Parameters
    ----------
    frames : mapping of DataFrame
        From :func:`analysis.record.data.load_processed` (``releases``, ``events``).
    plan : str, default "v2"
        Plan version (:data:`analysis.inference.plan.PLANS`); its period, event classes and test
        settings
        are used as named there.
    strata : sequence of str
        From :data:`STRATA`: ``"foreign"`` -- release days with an episode that includes
        foreigners (``releases.foreigners_included``); ``"high_value"`` -- with an episode
        flagged ``high_value``; ``"other"`` -- neither (false or unknown); ``"all"`` -- every
        release day. ``foreign`` and ``high_value`` overlap.
    seed : int or None
        Seed; each test derives its own.
    n_surrogates : int, default 9999
        Surrogates per test.
    n_sim : int, default 2000
        Simulations per planted share for the MDE (:func:`analysis.timing.sensitivity.sensitivity`);
        0 skips it.

    Returns
    -------
    StratifiedTimingResult

    Raises
    ------
    ValueError
        For an unknown plan or stratum (naming the allowed values).
    """
    pl = get_plan(plan)
    bad = [s for s in strata if s not in STRATA]
    if bad or not strata:
        raise ValueError(f"strata = {tuple(strata)!r}; allowed: one or more of {', '.join(STRATA)}")
    period = (pl.start, pl.end)
    by = _strata_days(release_days(frames["releases"], *period), frames["releases"])
    tests = [t for t in pl.tests if t.kind == "coincidence"]
    seeds = np.random.SeedSequence(seed).generate_state(len(tests) * len(strata))
    rows, k = [], 0
    for stratum in strata:
        for t in tests:
            ev = select_events(frames["events"], list(t.classes), *period)
            st = {key: t.settings[key] for key in _KEYS}
            row = _stratum_row(by[stratum], ev, st, period, n_surrogates, n_sim, int(seeds[k]))
            rows.append(dict(stratum=stratum, hypothesis=t.id) | row)
            k += 1
    return StratifiedTimingResult(
        table=pd.DataFrame(rows),
        settings=dict(plan=pl.version, period=f"{pl.start} .. {pl.end}", strata=tuple(strata),
                      n_surrogates=n_surrogates, n_sim=n_sim, seed=seed),
    )  # fmt: skip


def _power_at(curve: pd.DataFrame | None, ratio: float) -> float:
    """Power at an effect of ``ratio`` from a power curve (``ratio``, ``power``), interpolated."""
    if curve is None or not len(curve) or not np.isfinite(ratio):
        return float("nan")
    c = curve.sort_values("ratio")
    return float(np.interp(ratio, c["ratio"], c["power"]))


def dyadic_family(
    frames: Mapping[str, pd.DataFrame],
    plan: str = "v2-dyadic",
    *,
    n_surrogates: int = 9999,
    seed: int | None = None,
) -> pd.DataFrame:
    """Run a plan's dyadic family (:data:`analysis.inference.plan.PLANS`) with Holm across it.

    Returns
    -------
    DataFrame
        One row per hypothesis: ``id``, ``hypothesis``, ``null``, ``n``, ``statistic``,
        ``expected``, ``ratio``, ``ratio_lo``, ``ratio_hi``, ``pvalue``, ``p_holm``, ``mde``
        (= ``mde_05``, the MDE at the family's level), ``mde_rule`` (at the level Holm first tests
        each row, ``rule_alpha``), ``power_observed`` (power at the observed ratio, at the rule's
        level), ``max_ratio``, ``supported`` (Holm p < alpha and interval above 1).
    """
    pl = get_plan(plan)
    tests = [t for t in pl.tests if t.kind == "dyadic"]
    if not tests:
        raise ValueError(f"plan = {plan!r} has no dyadic hypothesis")
    seeds = np.random.SeedSequence(seed).generate_state(len(tests))
    rule_alpha = pl.alpha / len(tests)  # Holm's first step: the level the rule first tests at
    rows = []
    for t, sd in zip(tests, seeds, strict=True):
        kw = dict(classes=t.classes, start=pl.start, end=pl.end, n_surrogates=n_surrogates,
                  seed=int(sd), **t.settings)  # fmt: skip
        r = dyadic_test(frames, alpha=pl.alpha, **kw)
        at_rule = r if rule_alpha == pl.alpha else dyadic_test(frames, alpha=rule_alpha, **kw)
        rows.append(dict(id=t.id, hypothesis=t.label, null=r.null, n=r.n,
                         statistic=r.statistic, expected=r.expected, ratio=r.ratio,
                         ratio_lo=r.ratio_ci[0], ratio_hi=r.ratio_ci[1], pvalue=r.pvalue,
                         mde=r.mde_ratio, mde_05=r.mde_ratio, mde_rule=at_rule.mde_ratio,
                         rule_alpha=rule_alpha,
                         power_observed=_power_at(at_rule.power_curve, r.ratio),
                         max_ratio=r.max_ratio))  # fmt: skip
    out = pd.DataFrame(rows)
    out["p_holm"] = adjust(out["pvalue"].to_numpy(), "holm", pl.alpha).p_adjusted.to_numpy()
    out["supported"] = (out["p_holm"] < pl.alpha) & (out["ratio_lo"] > 1)
    return out


def dyadic_answer_html(family: pd.DataFrame | None, country: str = "venezuela") -> str:
    """One paragraph for the report index: whose prisoners, whose concessions?

    Parameters
    ----------
    family : DataFrame or None
        From :func:`dyadic_family` (None when the country has no coded nationalities).
    country : str
        Whose record it is.
    """
    import html as _html

    if family is None or not len(family):
        return (f"<p><b>Whose prisoners, whose concessions?</b> No nationalities are coded for "
                f"{_html.escape(country)} yet; the dyadic family is not run.</p>")  # fmt: skip
    parts = []
    for r in family.itertuples():
        mde = f"MDE {r.mde:.1f}×" if np.isfinite(r.mde) else "MDE not reached (test blind here)"
        verdict = "supported" if r.supported else "not supported"
        parts.append(f"{r.id} ({r.null} null): ratio {r.ratio:.2f} [{r.ratio_lo:.2f}, "
                     f"{r.ratio_hi:.2f}], Holm p = {r.p_holm:.3f}, {mde}: {verdict}")  # fmt: skip
    return (
        "<p><b>Whose prisoners, whose concessions?</b> Foreign nationals released within a week "
        f"after their own government's talks, visits or relief ({int(family['n'].iloc[0])} "
        "foreign-national releases, plan v2-dyadic): " + _html.escape("; ".join(parts)) + ". "
        "D1 asks whether the own channel beats other governments' channels, D2 whether the own "
        "channel beats chance within 60-day bins; the family was written after a developer's "
        "exploratory look (disclosed in the plan), so read it as partly exploratory. Association "
        "in time, not intent.</p>"
    )
