"""Plan v3: documented exchanges (E1) apart from timing beyond them (E2), one family-wise rule.

- :func:`e2_test` runs E2 on one country's record with plan v3's settings: releases that are not
  part of a documented exchange (and not short detentions) against events that are not exchanges
  and were found by event search. The result row carries the effect with its interval, the exact
  p-value, and what the test could have detected: the MDE at the level at which the family-wise
  rule first tests it, the MDE at 0.05 and the power at the observed effect.
- :func:`exchange_family` runs E1 and E2 for several countries and applies plan v3's serial
  gatekeeping rule (:func:`analysis.inference.multitest.hierarchical_rule`).
- :func:`e2_robustness` gives the exploratory robustness rows (holiday pardons out, short
  detentions kept, calendar-blind releases only, split periods, ±1-day date noise).
- :func:`planted_power` and :func:`placebo_shifts` are the controls that are not circular: an
  effect planted in the real record, and the real calendar shifted by months or years.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.multitest import HierarchicalResult, hierarchical_rule
from analysis.inference.plan import Hypothesis, PlanVersion, get_plan
from analysis.results import TextResult
from analysis.timing.calendar import from_days, to_days
from analysis.timing.coincidence import coincidence_test
from analysis.timing.exchanges import (
    DocumentedExchanges,
    documented_exchanges,
    timing_events,
    timing_releases,
)
from analysis.timing.nulls import cluster_labels
from analysis.timing.sensitivity import sensitivity

__all__ = [
    "E1_PERIODS",
    "ConfirmResult",
    "ExchangeFamily",
    "PlaceboShifts",
    "PlantedPower",
    "confirm_answer_html",
    "confirm_test",
    "e2_robustness",
    "e2_test",
    "exchange_family",
    "families_beside",
    "family_answer_html",
    "placebo_shifts",
    "planted_power",
]

#: E1's periods (plan v3): four-year blocks, and 2026 apart.
E1_PERIODS: tuple[tuple[str, str, str], ...] = (
    ("2014-2017", "2014-01-01", "2017-12-31"),
    ("2018-2021", "2018-01-01", "2021-12-31"),
    ("2022-2025", "2022-01-01", "2025-12-31"),
    ("2026", "2026-01-01", "2026-12-31"),
)

_TEST_KEYS = ("window", "direction", "null", "jitter_days", "cluster_gap")


def _plan(plan: str | PlanVersion) -> PlanVersion:
    return plan if isinstance(plan, PlanVersion) else get_plan(plan)


def _e2_spec(pl: PlanVersion) -> Hypothesis:
    for t in pl.tests:
        if t.kind == "exchange_timing":
            return t
    raise ValueError(f"plan {pl.version} has no E2 (exchange_timing) test")


def _inputs(
    frames: Mapping[str, pd.DataFrame],
    spec: Hypothesis,
    start: Any,
    end: Any,
    release_options: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = timing_releases(frames["releases"], start, end, **dict(release_options or {}))
    ev = timing_events(frames["events"], spec.classes, start, end)
    return days, ev


def _settings(spec: Hypothesis, events: pd.DataFrame, start: Any, end: Any) -> dict[str, Any]:
    """The coincidence-test keyword arguments of a plan's E2: window, direction, null,
    cluster_gap, and the bins (``jitter_days``, or ``bins`` from the plan's ``bin_rule``, which
    may follow the test's own event calendar, never the releases)."""
    st = {k: spec.settings[k] for k in _TEST_KEYS if k in spec.settings}
    if "bin_rule" in spec.settings:
        from analysis.inference.calibration import bin_settings

        st.pop("jitter_days", None)
        st.update(bin_settings(spec.settings["bin_rule"], events["date"], start, end))
    return st


def _mde_text(x: float) -> str:
    if pd.isna(x):
        return "–"
    return "not reached" if not np.isfinite(x) else f"{x:.2f}×"


def e2_test(
    frames: Mapping[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v3",
    start: Any = None,
    end: Any = None,
    alpha_rule: float = 0.05,
    release_options: Mapping[str, Any] | None = None,
    n_surrogates: int = 9999,
    seed: int | None = None,
    with_sensitivity: bool = True,
) -> dict[str, Any]:
    """E2 on one country's record: timing beyond documented exchanges.

    Parameters
    ----------
    frames : dict of DataFrame
        ``releases`` and ``events`` (:func:`analysis.record.data.load_processed`).
    plan : str or PlanVersion
        A plan with an ``exchange_timing`` test (``"v3"``, ``"v3-confirm"``).
    start, end : date-like, optional
        Period (default the plan's sample).
    alpha_rule : float
        The level at which the family-wise rule first tests this row (its MDE is given there
        and at 0.05).
    release_options : mapping, optional
        Keyword arguments of :func:`analysis.timing.exchanges.timing_releases` (robustness rows).
    n_surrogates : int
        Surrogates where a Monte Carlo cross-check is drawn.
    seed : int or None
        Seed of the bootstrap interval (and of any Monte Carlo part).
    with_sensitivity : bool
        Add the MDE and power columns.

    Returns
    -------
    dict
        ``release_days``, ``events``, ``hits``, ``expected``, ``ratio`` [``ratio_lo``,
        ``ratio_hi``], ``pvalue``, ``pvalue_method``, ``mde_rule``, ``mde_05``,
        ``power_observed``, ``alpha_rule``.

    Raises
    ------
    ValueError
        When the record has no tested release or no tested event in the period.
    """
    pl = _plan(plan)
    spec = _e2_spec(pl)
    start, end = start or pl.start, end or pl.end
    days, ev = _inputs(frames, spec, start, end, release_options)
    if days.empty:
        raise ValueError(f"no tested release day between {start} and {end}")
    if ev.empty:
        raise ValueError(f"no tested event ({', '.join(spec.classes)}) between {start} and {end}")
    st = _settings(spec, ev, start, end)
    res = coincidence_test(days["date"], ev["date"], n_surrogates=n_surrogates, seed=seed,
                           start=start, end=end, **st)  # fmt: skip
    n = len(days)
    row: dict[str, Any] = dict(
        release_days=n, events=len(ev), hits=round(res.statistic * n),
        expected=res.expected * n, ratio=res.ratio, ratio_lo=res.ratio_ci[0],
        ratio_hi=res.ratio_ci[1], pvalue=res.pvalue, pvalue_method=res.pvalue_method,
        alpha_rule=alpha_rule, mde_rule=np.nan, mde_05=np.nan, power_observed=np.nan,
    )  # fmt: skip
    if with_sensitivity:
        # one exact sensitivity gives the MDE at 0.05, at the rule's level and the power there
        sens = sensitivity(days["date"], ev["date"], st["window"], direction=st["direction"],
                           cluster_gap=st["cluster_gap"], start=start, end=end, seed=seed,
                           alpha=0.05, rule_alpha=alpha_rule, observed_ratio=res.ratio,
                           **{k: st[k] for k in ("jitter_days", "bins") if k in st})  # fmt: skip
        row.update(mde_05=sens.mde_ratio, mde_rule=sens.mde_ratio_rule,
                   power_observed=sens.power_observed)  # fmt: skip
    return row


@dataclass(frozen=True)
class ExchangeFamily(TextResult):
    """Plan v3 across countries: E1 per country, E2 per country, the family-wise decisions.

    Attributes
    ----------
    table : DataFrame
        One row per country: E1's share of release days in documented exchanges (whole sample)
        and E2's row (see :func:`e2_test`), with ``stage``, ``p_adjusted``, ``tested`` and
        ``confirmed`` from the rule; ``note`` says why a row could not run.
    e1 : dict of DocumentedExchanges
        Per country, by period.
    rule : HierarchicalResult
    settings : dict
    """

    table: pd.DataFrame
    e1: dict[str, DocumentedExchanges]
    rule: HierarchicalResult
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text table: E1 and E2 per country, and the decisions."""
        lines = [f"Plan {self.settings.get('plan')} -- E1 documented exchanges and E2 timing "
                 "beyond them (confirmatory family: E2, serial gatekeeping)",
                 f"{'country':<11}{'E1 days':>9}{'E2 days':>8}{'hits':>5}{'exp.':>6}"
                 f"{'ratio [95% CI]':>22}{'p':>8}{'adj. p':>8}{'MDE rule':>9}{'MDE .05':>8}"
                 f"{'power':>6}  decision"]  # fmt: skip
        for c, r in self.table.iterrows():
            e1 = f"{r['e1_share_days']:.2f}" if np.isfinite(r["e1_share_days"]) else "–"
            if r["note"]:
                lines.append(f"{c:<11}{e1:>9}  not run: {r['note']}")
                continue
            ci = f"{r['ratio']:.2f} [{r['ratio_lo']:.2f}, {r['ratio_hi']:.2f}]"
            adj = f"{r['p_adjusted']:.3f}" if r["tested"] else "gate"
            dec = "confirmed" if r["confirmed"] else ("not shown" if r["tested"] else "not tested")
            lines.append(f"{c:<11}{e1:>9}{r['release_days']:>8.0f}{r['hits']:>5.0f}"
                         f"{r['expected']:>6.1f}{ci:>22}{r['pvalue']:>8.4f}{adj:>8}"
                         f"{_mde_text(r['mde_rule']):>9}{_mde_text(r['mde_05']):>8}"
                         f"{r['power_observed']:>6.2f}  {dec}")  # fmt: skip
        lines.append("Association in time, not intent. E1 is direct evidence of bargains; E2 asks "
                     "whether other releases follow other events more than chance.")  # fmt: skip
        return "\n".join(lines)


def exchange_family(
    frames_by_country: Mapping[str, Mapping[str, pd.DataFrame]],
    *,
    plan: str | PlanVersion = "v3",
    stages: Sequence[Sequence[str]] | None = None,
    release_options: Mapping[str, Any] | None = None,
    n_surrogates: int = 9999,
    seed: int | None = None,
    with_sensitivity: bool = True,
) -> ExchangeFamily:
    """Plan v3's confirmatory family: E2 per country under the plan's serial gatekeeping rule.

    Parameters
    ----------
    frames_by_country : mapping
        Country -> its frames.
    plan : str or PlanVersion
        Default ``"v3"``.
    stages : sequence of sequence of str, optional
        The rule's order (default the plan's ``stages`` setting: Venezuela, then the benchmarks).
        Countries not in ``frames_by_country`` are dropped from it.
    release_options : mapping, optional
        Keyword arguments of :func:`analysis.timing.exchanges.timing_releases` applied to every
        country's E2 row, e.g. ``{"sweep_only": True}`` for the family on the calendar-blind
        releases only (an exploratory rerun beside the confirmatory family; E1 is unchanged).
    n_surrogates, seed, with_sensitivity
        As in :func:`e2_test`.

    Returns
    -------
    ExchangeFamily
    """
    pl = _plan(plan)
    spec = _e2_spec(pl)
    stages = [list(s) for s in (stages or spec.settings.get("stages") or [list(frames_by_country)])]
    stages = [[c for c in s if c in frames_by_country] for s in stages]
    stages = [s for s in stages if s]
    # the level at which the rule first tests each row: Holm's first step within its stage
    first_alpha = {c: pl.alpha / len(s) for s in stages for c in s}
    seeds = np.random.SeedSequence(seed).generate_state(len(frames_by_country))
    rows, e1 = {}, {}
    for (country, fr), sd in zip(frames_by_country.items(), seeds, strict=True):
        e1[country] = documented_exchanges(fr, E1_PERIODS, seed=int(sd), country=country)
        whole = documented_exchanges(fr, [("sample", pl.start, pl.end)], n_boot=1, seed=0)
        row: dict[str, Any] = {"e1_share_days": float(whole.table["share_days"].iloc[0]),
                               "e1_exchange_days": int(whole.table["exchange_days"].iloc[0]),
                               "note": ""}  # fmt: skip
        try:
            row.update(e2_test(fr, plan=pl, alpha_rule=first_alpha.get(country, pl.alpha),
                               release_options=release_options,
                               n_surrogates=n_surrogates, seed=int(sd),
                               with_sensitivity=with_sensitivity))  # fmt: skip
        except ValueError as exc:
            row.update(pvalue=np.nan, note=str(exc))
        rows[country] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    rule = hierarchical_rule(stages, {c: float(table.loc[c, "pvalue"]) for s in stages for c in s},
                             alpha=pl.alpha)  # fmt: skip
    table["stage"] = rule.table["stage"].reindex(table.index)
    table["p_adjusted"] = rule.table["p_adjusted"].reindex(table.index)
    table["tested"] = rule.table["tested"].reindex(table.index).fillna(False).astype(bool)
    lower_ok = table.get("ratio_lo", pd.Series(np.nan, index=table.index)) > 1
    rejected = rule.table["reject"].reindex(table.index).fillna(False).astype(bool)
    table["confirmed"] = rejected & lower_ok
    table.index.name = "country"
    return ExchangeFamily(table=table, e1=e1, rule=rule,
                          settings=dict(plan=pl.version, plan_date=pl.date, alpha=pl.alpha,
                                        stages=stages, seed=seed, start=pl.start, end=pl.end,
                                        test=dict(spec.settings),
                                        release_options=dict(release_options or {})))  # fmt: skip


def _reach(r: Any) -> str:
    """What an E2 row could have detected, in words (MDE at the rule's level and at 0.05)."""
    def one(x: float, level: str) -> str:
        if pd.isna(x) or np.isfinite(x):
            return f"a ratio of {_mde_text(x)} {level}"
        return f"no effect the record allows {level} (80 % power is not reached)"

    if pd.isna(r["mde_rule"]) and pd.isna(r["mde_05"]) and pd.isna(r["power_observed"]):
        return "(Its sensitivity was not computed.)"
    rule = one(r["mde_rule"], "at the rule's level")
    return (f"The test could have detected {rule} "
            f"({r['alpha_rule']:.3g}) and {one(r['mde_05'], 'at 0.05')}; power at the observed "
            f"effect {r['power_observed']:.2f}.")  # fmt: skip


def _e2_words(r: Any) -> str:
    """One E2 row in words: hits against expected, ratio with interval, exact p."""
    ratio = (f"ratio {r['ratio']:.2f} [{r['ratio_lo']:.2f}, {r['ratio_hi']:.2f}]"
             if np.isfinite(r["ratio"]) else "no ratio (the null expects no hit)")  # fmt: skip
    return (f"{r['hits']:.0f} of {r['release_days']:.0f} release days follow a non-exchange "
            f"event within a week, against {r['expected']:.1f} expected; {ratio}, "
            f"exact p {r['pvalue']:.3f}")  # fmt: skip


def family_answer_html(
    res: ExchangeFamily, lead: str = "venezuela", blind: ExchangeFamily | None = None
) -> str:
    """The report index's lead: E1 and E2 for ``lead`` in words, then the other countries.

    Parameters
    ----------
    res : ExchangeFamily
        The confirmatory family (:func:`exchange_family`).
    lead : str
        The country written first.
    blind : ExchangeFamily, optional
        The same family rerun on the calendar-blind releases only
        (``release_options={"sweep_only": True}``); each country then gets an exploratory line
        beside its confirmatory one.
    """
    import html

    t = res.table
    bt = blind.table if blind is not None else None
    parts = []
    for c in [lead, *[x for x in t.index if x != lead]]:
        if c not in t.index:
            continue
        r = t.loc[c]
        name = html.escape(str(c).capitalize())
        e1 = (f"<b>E1 (documented exchanges):</b> {r['e1_exchange_days']} of the release days "
              f"({100 * r['e1_share_days']:.0f} %) were part of an exchange a page documents "
              "(direct evidence of a bargain, no timing test)."
              if np.isfinite(r["e1_share_days"]) else "<b>E1:</b> no release days.")  # fmt: skip
        if r["note"]:
            e2 = f"<b>E2:</b> not run ({html.escape(str(r['note']))})."
        else:
            status = ("confirmatory" if r["tested"] else
                      "confirmatory, not reached: the gate before it stayed closed")  # fmt: skip
            verdict = ("timing beyond documented exchanges is <b>shown</b>" if r["confirmed"]
                       else "timing beyond documented exchanges is <b>not shown</b>")  # fmt: skip
            e2 = (f"<b>E2 ({status}):</b> {verdict}: {_e2_words(r)} "
                  f"(null: release clusters jittered within their bins). {_reach(r)}")  # fmt: skip
        line = ""
        if bt is not None and c in bt.index:
            b = bt.loc[c]
            if b["note"]:
                line = (" <i>Calendar-blind releases only (exploratory):</i> not run "
                        f"({html.escape(str(b['note']))}).")  # fmt: skip
            else:
                line = (" <i>Calendar-blind releases only (exploratory; the releases the "
                        f"month-by-month sweep found):</i> {_e2_words(b)}; MDE at 0.05 "
                        f"{_mde_text(b['mde_05'])}.")  # fmt: skip
        parts.append(f"<p><b>{name}.</b> {e1} {e2}{line}</p>")
    parts.append("<p>Plan v3, serial gatekeeping at 0.05 (Venezuela first, then the benchmarks "
                 "by Holm). Everything else in this report is exploratory. Association in time, "
                 "not intent.</p>")  # fmt: skip
    return "\n".join(parts)


def families_beside(full: ExchangeFamily, blind: ExchangeFamily) -> pd.DataFrame:
    """E2 per country on the full record and on the calendar-blind releases only, row by row.

    Parameters
    ----------
    full : ExchangeFamily
        The confirmatory family.
    blind : ExchangeFamily
        The family rerun with ``release_options={"sweep_only": True}``.

    Returns
    -------
    DataFrame
        Two rows per country (``record`` = ``full record`` / ``calendar-blind only``) with a
        ``row`` label, ``release_days``, ``hits``, ``expected``, ``ratio`` [``ratio_lo``,
        ``ratio_hi``], ``pvalue``, ``mde_05`` and ``note``; ready for
        :func:`analysis.figures.evidence.plot_e2_rows`.
    """
    cols = ["release_days", "hits", "expected", "ratio", "ratio_lo", "ratio_hi", "pvalue",
            "mde_05", "note"]  # fmt: skip
    rows = []
    for c in full.table.index:
        for label, fam in (("full record", full), ("calendar-blind only", blind)):
            t = fam.table
            r = t.loc[c] if c in t.index else pd.Series({"note": "not in this family"})
            rows.append({"country": c, "record": label, "row": f"{c}: {label}",
                         **{k: r.get(k, np.nan) for k in cols}})  # fmt: skip
    out = pd.DataFrame(rows)
    out["note"] = out["note"].fillna("")
    return out


def e2_robustness(
    frames: Mapping[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v3",
    n_perturb: int = 200,
    n_surrogates: int = 9999,
    seed: int | None = None,
) -> pd.DataFrame:
    """Exploratory robustness rows of E2 (plan v3): one row each, the primary row first.

    Rows: the primary E2; without holiday and national-day pardons; with short detentions kept;
    calendar-blind releases only (``sweep_found``); 2014-2019; 2020-2025; and release and event
    days perturbed independently by -1, 0 or +1 day (``n_perturb`` draws; the row gives the
    share of draws with p < 0.05).
    """
    pl = _plan(plan)
    spec = _e2_spec(pl)
    variants = [
        ("E2 (primary)", {}, None),
        ("without holiday pardons", {"exclude_occasions": ("holiday",)}, None),
        ("short detentions kept", {"exclude_short_detention": False}, None),
        ("calendar-blind releases only", {"sweep_only": True}, None),
        ("2014-2019", {}, ("2014-01-01", "2019-12-31")),
        ("2020-2025", {}, ("2020-01-01", "2025-12-31")),
    ]
    ss = np.random.SeedSequence(seed).generate_state(len(variants) + 1)
    rows = []
    for (label, opts, period), sd in zip(variants, ss, strict=False):
        start, end = period or (pl.start, pl.end)
        try:
            r = e2_test(frames, plan=pl, start=start, end=end, release_options=opts,
                        n_surrogates=n_surrogates, seed=int(sd))  # fmt: skip
            rows.append({"row": label, **r, "note": ""})
        except ValueError as exc:
            rows.append({"row": label, "note": f"not run: {exc}"})
    rows.append({"row": "release and event days ±1 day",
                 **_perturbed(frames, pl, spec, n_perturb, int(ss[-1]))})  # fmt: skip
    return pd.DataFrame(rows)


def _perturbed(frames: Mapping[str, pd.DataFrame], pl: PlanVersion, spec: Hypothesis,
               n: int, seed: int) -> dict[str, Any]:  # fmt: skip
    days, ev = _inputs(frames, spec, pl.start, pl.end)
    if days.empty or ev.empty:
        return {"note": "not run: no tested releases or events"}
    st = _settings(spec, ev, pl.start, pl.end)
    rng = np.random.default_rng(seed)
    lo, hi = to_days([pl.start])[0], to_days([pl.end])[0]
    r0, e0 = to_days(days["date"]), to_days(ev["date"])
    sig = 0
    for _ in range(n):
        r = np.clip(r0 + rng.integers(-1, 2, r0.size), lo, hi)
        e = np.clip(e0 + rng.integers(-1, 2, e0.size), lo, hi)
        res = coincidence_test(r, e, start=lo, end=hi, n_surrogates=999, n_bootstrap=0,
                               seed=int(rng.integers(2**31)), **st)  # fmt: skip
        sig += res.pvalue < 0.05
    return {"share_significant": sig / n, "n_perturb": n, "note": ""}


@dataclass(frozen=True)
class PlantedPower(TextResult):
    """Power of E2 against an effect planted in the real record (a non-circular control).

    Attributes
    ----------
    curve : DataFrame
        ``share`` (planted share of release clusters), ``mean_ratio`` (the ratio the planted
        records show on average), ``power`` (share of planted records with p < ``alpha``).
    mde_share, mde_ratio : float
        Smallest planted share (and its mean ratio) with power >= ``target`` (linear
        interpolation; inf when not reached).
    settings : dict
    """

    curve: pd.DataFrame
    mde_share: float
    mde_ratio: float
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text power curve."""
        s = self.settings
        lines = [f"Planted-effect control -- {s.get('country', '')}: clusters moved to 0-7 days "
                 f"after random E2 events ({s.get('lags')}); alpha {s.get('alpha')}, "
                 f"{s.get('n_sim')} records per share",
                 f"{'share':>6}{'mean ratio':>12}{'power':>7}"]  # fmt: skip
        for r in self.curve.itertuples(index=False):
            lines.append(f"{r.share:>6.2f}{r.mean_ratio:>12.2f}{r.power:>7.2f}")
        lines.append(f"MDE (power {s.get('target')}): share {self.mde_share:.2f}, "
                     f"ratio {self.mde_ratio:.2f}")  # fmt: skip
        return "\n".join(lines)


def _exchange_lags(frames: Mapping[str, pd.DataFrame], window: int) -> np.ndarray:
    rel, ev = frames["releases"], frames["events"]
    if "exchange_event_id" not in rel:
        return np.zeros(0, dtype=np.int64)
    ex = rel[rel["exchange_event_id"].astype("string").fillna("").str.len() > 0]
    when = ev.set_index("id")["date"]
    ids = ex["exchange_event_id"].astype(str)
    ok = ids.isin(when.index).to_numpy()
    lags = (ex["date"].to_numpy()[ok] - when.reindex(ids[ok]).to_numpy()).astype("timedelta64[D]")
    lags = lags.astype(np.int64)
    return lags[(lags >= 0) & (lags <= window)]


def planted_power(
    frames: Mapping[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v3",
    shares: Sequence[float] = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
    n_sim: int = 100,
    alpha: float = 0.05,
    target: float = 0.8,
    seed: int | None = None,
    country: str = "",
) -> PlantedPower:
    """Power of E2 against an effect planted in the real record.

    For each planted ``share``, ``n_sim`` records are made from the real one: that share of the
    tested release clusters (chosen at random) is moved, whole, so that its first day falls a lag
    after a randomly chosen tested event. Lags are drawn from the documented exchanges' lags (0 to
    ``window`` days) where there are at least three, else uniformly on 0..window. Each record is
    tested with the plan's E2 settings; power is the share with p < ``alpha``.
    """
    if not 0 < alpha < 1 or not 0 < target < 1:
        raise ValueError(f"alpha = {alpha!r} and target = {target!r} must lie in (0, 1)")
    if n_sim < 1:
        raise ValueError(f"n_sim = {n_sim!r} must be at least 1")
    bad = [s for s in shares if not 0 < s <= 1]
    if bad:
        raise ValueError(f"shares {bad} must lie in (0, 1]")
    pl = _plan(plan)
    spec = _e2_spec(pl)
    days, ev = _inputs(frames, spec, pl.start, pl.end)
    if days.empty or ev.empty:
        raise ValueError("no tested releases or events to plant an effect into")
    st = _settings(spec, ev, pl.start, pl.end)
    lo, hi = int(to_days([pl.start])[0]), int(to_days([pl.end])[0])
    r0, e0 = to_days(days["date"]), to_days(ev["date"])
    labels = cluster_labels(r0, st.get("cluster_gap", 3))
    n_cl = int(labels.max()) + 1
    first = pd.Series(r0).groupby(labels).min().to_numpy()  # each cluster's first day
    lags = _exchange_lags(frames, st["window"])
    lag_source = ("documented exchanges' lags" if lags.size >= 3 else "uniform lags 0-7 days")
    rng = np.random.default_rng(seed)
    rows = []
    for share in shares:
        k = max(1, round(share * n_cl))
        hits, ratios = 0, []
        for _ in range(n_sim):
            moved = r0.copy()
            for c in rng.choice(n_cl, size=min(k, n_cl), replace=False):
                lag = (int(rng.choice(lags)) if lags.size >= 3
                       else int(rng.integers(0, st["window"] + 1)))  # fmt: skip
                target_day = int(rng.choice(e0)) + lag
                moved[labels == c] = np.clip(r0[labels == c] - first[c] + target_day, lo, hi)
            res = coincidence_test(moved, e0, start=lo, end=hi, n_surrogates=999, n_bootstrap=0,
                                   seed=int(rng.integers(2**31)), **st)  # fmt: skip
            hits += res.pvalue < alpha
            ratios.append(res.ratio)
        rows.append({"share": share, "mean_ratio": float(np.nanmean(ratios)),
                     "power": hits / n_sim})  # fmt: skip
    curve = pd.DataFrame(rows)
    mde_share, mde_ratio = np.inf, np.inf
    ok = np.flatnonzero(curve["power"].to_numpy() >= target)
    if ok.size:
        i = int(ok[0])
        if i == 0:
            mde_share, mde_ratio = float(curve["share"][0]), float(curve["mean_ratio"][0])
        else:
            p0, p1 = curve["power"][i - 1], curve["power"][i]
            f = (target - p0) / (p1 - p0) if p1 > p0 else 1.0
            sh, mr = curve["share"], curve["mean_ratio"]
            mde_share = float(sh[i - 1] + f * (sh[i] - sh[i - 1]))
            mde_ratio = float(mr[i - 1] + f * (mr[i] - mr[i - 1]))
    return PlantedPower(curve=curve, mde_share=mde_share, mde_ratio=mde_ratio,
                        settings=dict(country=country, plan=pl.version, alpha=alpha,
                                      target=target, n_sim=n_sim, seed=seed, lags=lag_source,
                                      n_clusters=n_cl))  # fmt: skip


@dataclass(frozen=True)
class PlaceboShifts(TextResult):
    """E2 against the real event calendar shifted by months or years (a non-circular control).

    Attributes
    ----------
    table : DataFrame
        ``shift_days``, ``ratio``, ``pvalue`` per shift.
    observed_ratio : float
    rank : float
        Share of shifts whose ratio is at least the observed one (an empirical p-value of the
        observed ratio against shifted calendars).
    settings : dict
    """

    table: pd.DataFrame
    observed_ratio: float
    rank: float
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text summary of the shifts."""
        t = self.table
        return "\n".join([
            f"Placebo calendars -- {self.settings.get('country', '')}: {len(t)} shifts of "
            f"±{self.settings.get('min_shift')}..{self.settings.get('max_shift')} days",
            f"  share of shifts with p < 0.05   {(t['pvalue'] < 0.05).mean():.3f}",
            f"  shifted ratios (median, 95th)   {t['ratio'].median():.2f}, "
            f"{t['ratio'].quantile(0.95):.2f}",
            f"  observed ratio                  {self.observed_ratio:.2f}",
            f"  share of shifts at or above it  {self.rank:.3f}",
        ])  # fmt: skip


def placebo_shifts(
    frames: Mapping[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v3",
    n_shifts: int = 400,
    min_shift: int = 90,
    max_shift: int = 1500,
    seed: int | None = None,
    country: str = "",
) -> PlaceboShifts:
    """E2 with the tested events shifted by ``±min_shift..max_shift`` days (circularly within
    the sample, so no event is lost).

    The shifts are a fixed grid: ``n_shifts / 2`` evenly spaced positive shifts and their
    negatives, so the control needs no seed for the shifts themselves.
    """
    if n_shifts < 2 or n_shifts % 2:
        raise ValueError(f"n_shifts = {n_shifts!r} must be an even number >= 2")
    if not 0 < min_shift < max_shift:
        raise ValueError(f"min_shift = {min_shift!r} must be positive and below max_shift = "
                         f"{max_shift!r}")  # fmt: skip
    pl = _plan(plan)
    spec = _e2_spec(pl)
    days, ev = _inputs(frames, spec, pl.start, pl.end)
    if days.empty or ev.empty:
        raise ValueError("no tested releases or events to shift")
    lo, hi = int(to_days([pl.start])[0]), int(to_days([pl.end])[0])
    span = hi - lo + 1

    def settings_for(event_days: np.ndarray) -> dict[str, Any]:
        # bins that follow the event calendar follow the shifted calendar too
        return _settings(spec, pd.DataFrame({"date": from_days(np.sort(event_days))}), lo, hi)

    r0, e0 = to_days(days["date"]), to_days(ev["date"])
    pos = np.unique(np.linspace(min_shift, max_shift, n_shifts // 2).round().astype(int))
    shifts = np.concatenate([-pos[::-1], pos])
    rng = np.random.default_rng(seed)
    rows = []
    for s in shifts:
        e = lo + (e0 - lo + s) % span
        res = coincidence_test(r0, e, start=lo, end=hi, n_surrogates=999, n_bootstrap=0,
                               seed=int(rng.integers(2**31)), **settings_for(e))  # fmt: skip
        rows.append({"shift_days": int(s), "ratio": res.ratio, "pvalue": res.pvalue})
    table = pd.DataFrame(rows)
    obs = coincidence_test(r0, e0, start=lo, end=hi, n_surrogates=999, n_bootstrap=0,
                           seed=seed, **settings_for(e0)).ratio  # fmt: skip
    rank = float((table["ratio"] >= obs - 1e-12).mean())
    return PlaceboShifts(table=table, observed_ratio=float(obs), rank=rank,
                         settings=dict(country=country, plan=pl.version, min_shift=min_shift,
                                       max_shift=max_shift, n_shifts=len(shifts)))  # fmt: skip


@dataclass(frozen=True)
class ConfirmResult(TextResult):
    """The registered out-of-sample test (plan v3-confirm): pooled hits over countries.

    Attributes
    ----------
    hits, expected, ratio : float
        Total hits over the countries in the test, their exact null mean and the pooled ratio.
    ratio_ci : tuple of float
        Cluster-bootstrap 95 % interval of the pooled ratio (clusters resampled within each
        country; seeded).
    pvalue : float
        Exact one-sided p-value: the null of the total is the convolution of every country's
        cluster distributions.
    pvalue_method : str
    mde_share, mde_ratio : float
        Minimum detectable effect at 0.05 and 80 % power (exact).
    countries : DataFrame
        Secondary rows, one per country in the test: release days, events, hits, expected,
        ratio, exact p and MDE.
    excluded : dict
        Country -> why it was left out (e.g. fewer than 20 day-dated release episodes).
    confirmed : bool
        ``pvalue < alpha`` (the registered decision).
    settings : dict
    """

    hits: float
    expected: float
    ratio: float
    ratio_ci: tuple[float, float]
    pvalue: float
    pvalue_method: str
    mde_share: float
    mde_ratio: float
    countries: pd.DataFrame
    excluded: dict[str, str]
    confirmed: bool
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """The confirmatory line, then the secondary rows."""
        lo, hi = self.ratio_ci
        verdict = "CONFIRMED out of sample" if self.confirmed else "not confirmed"
        lines = [f"Plan {self.settings.get('plan')} -- registered confirmatory test "
                 f"({', '.join(self.countries.index)})",
                 f"  pooled hits {self.hits:.0f}, expected {self.expected:.2f}, ratio "
                 f"{self.ratio:.2f} [{lo:.2f}, {hi:.2f}]",
                 f"  p (exact, one-sided) {self.pvalue:.4f} -> {verdict} at "
                 f"{self.settings.get('alpha')}",
                 f"  MDE at 0.05: ratio {_mde_text(self.mde_ratio)} "
                 f"(share of clusters {self.mde_share:.2f})",
                 "  secondary, per country:"]  # fmt: skip
        for c, r in self.countries.iterrows():
            lines.append(f"    {c:<11} days {r['release_days']:>3.0f} events {r['events']:>3.0f} "
                         f"hits {r['hits']:>3.0f} exp {r['expected']:>5.2f} ratio "
                         f"{r['ratio']:>5.2f} p {r['pvalue']:.4f} "
                         f"MDE {_mde_text(r['mde_ratio'])}")  # fmt: skip
        for c, why in self.excluded.items():
            lines.append(f"    {c:<11} left out: {why}")
        return "\n".join(lines)


def _cluster_table(
    frames: Mapping[str, pd.DataFrame], pl: PlanVersion, spec: Hypothesis, bin_rule: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """One country's exact jitter table, its clusters' observed contributions and null means."""
    from analysis.inference.calibration import bin_settings
    from analysis.timing.coincidence import hit_values
    from analysis.timing.exact import jitter_table

    st = spec.settings
    days, ev = _inputs(frames, spec, pl.start, pl.end)
    if days.empty or ev.empty:
        raise ValueError("no tested release day or no tested event")
    s, e = int(to_days([pl.start])[0]), int(to_days([pl.end])[0])
    r, evd = to_days(days["date"]), to_days(ev["date"])
    h = hit_values(evd, s, e, st["window"], st["direction"])
    bs = bin_settings(bin_rule, ev["date"], pl.start, pl.end)
    values, labels = jitter_table(h, r, s, e, bs.get("jitter_days", 1), st["cluster_gap"],
                                  bins=bs.get("bins"))  # fmt: skip
    obs = np.bincount(labels, weights=h[r - s], minlength=values.shape[0])
    mean = np.nanmean(values, axis=1)
    return values, obs, mean, len(days), len(ev)


def _stack(tables: Sequence[np.ndarray]) -> np.ndarray:
    width = max(t.shape[1] for t in tables)
    return np.vstack([np.pad(t, ((0, 0), (0, width - t.shape[1])), constant_values=np.nan)
                      for t in tables])  # fmt: skip


def confirm_test(
    frames_by_country: Mapping[str, Mapping[str, pd.DataFrame]],
    *,
    plan: str | PlanVersion = "v3-confirm",
    bin_rule: Any = None,
    min_release_episodes: int = 20,
    n_boot: int = 2000,
    seed: int | None = 0,
) -> ConfirmResult:
    """The registered out-of-sample test of plan v3-confirm (issue #18), exactly as written.

    Statistic: the total number of hits (a tested release day with a tested event 0-7 days
    before it) over the countries in the test. Null: interval jitter of release clusters within
    the bins of ``bin_rule``, independently in every country, so the null of the total is the
    convolution of all countries' cluster distributions (exact, one-sided). A country with fewer
    than ``min_release_episodes`` day-dated release episodes in the period is left out.

    Parameters
    ----------
    frames_by_country : mapping
        Country -> frames (``releases``, ``events``).
    plan : str or PlanVersion
        Default ``"v3-confirm"``.
    bin_rule : str or dict, optional
        Default the plan's ``bin_rule`` setting (plan v3's surge calibration).
    min_release_episodes : int
        The registration's threshold (20).
    n_boot : int
        Bootstrap replicates of the pooled ratio's interval.
    seed : int or None
        Seed of the bootstrap only; the p-value and the MDE are exact.

    Raises
    ------
    ValueError
        When no country is left in the test.
    """
    from analysis.timing.exact import exact_mde, sum_distribution

    pl = _plan(plan)
    spec = _e2_spec(pl)
    rule = bin_rule if bin_rule is not None else spec.settings["bin_rule"]
    excluded: dict[str, str] = {}
    parts: dict[str, tuple] = {}
    for c, fr in frames_by_country.items():
        rel = fr["releases"]
        inside = (rel["date"] >= pd.Timestamp(pl.start)) & (rel["date"] <= pd.Timestamp(pl.end))
        n_day = int(((rel["date_precision"] == "day") & inside).sum())
        if n_day < min_release_episodes:
            excluded[c] = (f"{n_day} day-dated release episodes at the freeze, fewer than "
                           f"{min_release_episodes}")  # fmt: skip
            continue
        try:
            parts[c] = _cluster_table(fr, pl, spec, rule)
        except ValueError as exc:
            excluded[c] = str(exc)
    if not parts:
        raise ValueError("no country is left in the test: " +
                         "; ".join(f"{c}: {w}" for c, w in excluded.items()))  # fmt: skip
    rows = {}
    for c, (values, obs, mean, n_days, n_ev) in parts.items():
        dist = sum_distribution(values)
        share, mde = exact_mde(values, 0.05)
        exp_c = float(np.nansum(mean))
        hits = float(obs.sum())
        rows[c] = dict(release_days=n_days, events=n_ev, hits=hits, expected=exp_c,
                       ratio=hits / exp_c if exp_c > 0 else np.nan, pvalue=dist.sf(hits),
                       mde_share=share, mde_ratio=mde)  # fmt: skip
    stacked = _stack([p[0] for p in parts.values()])
    total = float(sum(p[1].sum() for p in parts.values()))
    expected = float(sum(np.nansum(p[2]) for p in parts.values()))
    dist = sum_distribution(stacked)
    pvalue = dist.sf(total)
    share, mde = exact_mde(stacked, 0.05)
    rng = np.random.default_rng(seed)
    boots = np.zeros(n_boot)
    for b in range(n_boot):
        num = den = 0.0
        for _, obs, mean, _, _ in parts.values():
            idx = rng.integers(0, obs.size, obs.size)
            num += obs[idx].sum()
            den += np.nansum(mean[idx])
        boots[b] = num / den if den > 0 else np.nan
    ci = (float(np.nanquantile(boots, 0.025)), float(np.nanquantile(boots, 0.975)))
    return ConfirmResult(
        hits=total, expected=expected, ratio=total / expected if expected > 0 else np.nan,
        ratio_ci=ci, pvalue=float(pvalue),
        pvalue_method="exact" if dist.exact else "exact bound",
        mde_share=float(share), mde_ratio=float(mde),
        countries=pd.DataFrame.from_dict(rows, orient="index").rename_axis("country"),
        excluded=excluded, confirmed=bool(pvalue < pl.alpha),
        settings=dict(plan=pl.version, plan_date=pl.date, alpha=pl.alpha, bin_rule=rule,
                      start=pl.start, end=pl.end, n_boot=n_boot, seed=seed,
                      min_release_episodes=min_release_episodes, test=dict(spec.settings)),
    )  # fmt: skip


def confirm_answer_html(result: Any, e1: Mapping[str, DocumentedExchanges] | None = None) -> str:
    """The out-of-sample answer in words: the registered test's result, or why it did not run,
    then E1 per country.

    Parameters
    ----------
    result : ConfirmResult or NotRun
        :func:`confirm_test`'s result, or the :class:`analysis.results.NotRun` it gave.
    e1 : mapping, optional
        Country -> :class:`DocumentedExchanges` (whole sample).
    """
    import html

    head = "<b>Out of sample (plan v3-confirm, registered in issue #18; notebook 11).</b> "
    if isinstance(result, ConfirmResult):
        lo, hi = result.ratio_ci
        verdict = "<b>confirmed</b>" if result.confirmed else "<b>not confirmed</b>"
        text = (f"Timing beyond documented exchanges is {verdict} out of sample: "
                f"{result.hits:.0f} hits against {result.expected:.1f} expected over "
                f"{', '.join(map(str, result.countries.index))}; pooled ratio "
                f"{result.ratio:.2f} [{lo:.2f}, {hi:.2f}], exact p {result.pvalue:.3f} "
                f"(the test could have detected a ratio of {_mde_text(result.mde_ratio)} "
                "at 0.05).")  # fmt: skip
        if result.excluded:
            text += " Left out: " + "; ".join(f"{c} ({w})" for c, w in result.excluded.items())
    else:
        text = ("The registered test <b>did not run</b>: " + html.escape(str(result.reason)) +
                ". This is the registration's own rule, applied to the records as frozen; it says "
                "nothing either way about timing in these countries.")  # fmt: skip
    parts = [f"<p>{head}{text}</p>"]
    if e1:
        bits = []
        for c, r in e1.items():
            t = r.table.iloc[0]
            share = "–" if not np.isfinite(t["share_days"]) else f"{100 * t['share_days']:.0f} %"
            bits.append(f"{html.escape(str(c).capitalize())} {t['exchange_days']} of "
                        f"{t['release_days']} release days ({share})")  # fmt: skip
        parts.append("<p>E1, documented exchanges (direct evidence, no timing test): "
                     + "; ".join(bits) + ".</p>")  # fmt: skip
    return "\n".join(parts)
