"""Plan v3's E2 family, robustness rows and non-circular controls on constructed records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.inference.evidence import (
    confirm_test,
    e2_robustness,
    e2_test,
    exchange_family,
    families_beside,
    family_answer_html,
    placebo_shifts,
    planted_power,
)
from analysis.inference.plan import Hypothesis, PlanVersion

CLASSES = ("negotiation", "envoy_visit", "agreement", "sanctions_relief")


def _plan(**extra) -> PlanVersion:
    st = dict(window=7, direction="before", null="jitter", jitter_days=60, cluster_gap=3,
              stages=[["a"], ["b", "c"]])  # fmt: skip
    st.update(extra)
    e2 = Hypothesis("E2", "timing beyond exchanges", "exchange_timing", CLASSES, st)
    return PlanVersion(version="test-v3", date="2026-12-02", start="2014-01-01",
                       end="2025-12-31", tests=(e2,))  # fmt: skip


def _record(seed: int, planted: float = 0.0, n_rel: int = 60, n_ev: int = 50) -> dict:
    """Releases and events spread over 2014-2025; ``planted`` of the releases put 0-3 days
    after an event; the first release is a documented handover at an exchange event."""
    rng = np.random.default_rng(seed)
    lo, hi = pd.Timestamp("2014-01-01"), pd.Timestamp("2025-12-31")
    span = (hi - lo).days
    ev_days = np.sort(rng.choice(span, n_ev, replace=False))
    rel_days = rng.choice(span, n_rel, replace=False)
    k = round(planted * n_rel)
    rel_days[:k] = np.minimum(rng.choice(ev_days, k) + rng.integers(0, 4, k), span)
    rel_days = np.sort(np.unique(rel_days))
    ev_dates = lo + pd.to_timedelta(ev_days, "D")
    rel_dates = lo + pd.to_timedelta(rel_days, "D")
    n, m = len(rel_dates), len(ev_dates)
    ev_ids = [f"dip-{d:%Y%m%d}-1" for d in ev_dates]
    ev = pd.DataFrame({
        "id": ev_ids, "date": ev_dates, "date_precision": ["day"] * m,
        "event_class": pd.array(["negotiation"] * m, dtype="string"),
        "describes_release": pd.array([False] * m, dtype="boolean"),
        "found_via": pd.array(["event_search"] * m, dtype="string"),
        "exchange_role": pd.array(["none"] * m, dtype="string"),
        "source_url": ["https://e.example/"] * m,
    })  # fmt: skip
    ev.loc[0, "exchange_role"] = "handover"
    ev.loc[0, "describes_release"] = True
    rel = pd.DataFrame({
        "id": [f"rel-{d:%Y%m%d}-1" for d in rel_dates], "date": rel_dates,
        "date_precision": ["day"] * n, "n_released": pd.array([2] * n, dtype="Int64"),
        "mechanism": ["pardon"] * n,
        "exchange_event_id": pd.array([None] * n, dtype="string"),
        "occasion": pd.array(["unknown"] * n, dtype="string"),
        "short_detention": pd.array([False] * n, dtype="boolean"),
        "sweep_found": pd.array([True, False] * (n // 2) + [True] * (n % 2), dtype="boolean"),
        "source_url": ["https://r.example/"] * n,
    })  # fmt: skip
    # a documented handover on the day of the exchange event
    hand = rel.iloc[[0]].copy()
    hand["id"] = f"rel-{ev_dates[0]:%Y%m%d}-9"
    hand["date"] = ev_dates[0]
    hand["exchange_event_id"] = ev_ids[0]
    hand["occasion"] = "exchange"
    rel = pd.concat([rel, hand], ignore_index=True)
    return {"releases": rel, "events": ev}


def test_e2_detects_a_planted_effect_and_not_the_handover():
    plan = _plan()
    null_row = e2_test(_record(1), plan=plan, seed=1, with_sensitivity=False)
    strong = e2_test(_record(1, planted=0.5), plan=plan, seed=1, with_sensitivity=False)
    assert null_row["pvalue"] > 0.01
    assert strong["pvalue"] < 0.001 and strong["ratio"] > 2
    assert strong["pvalue_method"].startswith("exact")
    # the handover day is not among E2's releases, nor its event among E2's events
    assert null_row["release_days"] == len(_record(1)["releases"]) - 1
    assert null_row["events"] == len(_record(1)["events"]) - 1


def test_e2_pvalue_does_not_depend_on_the_seed():
    plan = _plan()
    a = e2_test(_record(2), plan=plan, seed=1, with_sensitivity=False)
    b = e2_test(_record(2), plan=plan, seed=99, with_sensitivity=False)
    assert a["pvalue"] == b["pvalue"]


def test_e2_mde_at_rule_level_is_larger_than_at_05():
    row = e2_test(_record(3), plan=_plan(), seed=3, alpha_rule=0.05 / 3)
    assert np.isfinite(row["mde_05"])
    assert row["mde_rule"] >= row["mde_05"]
    assert 0 <= row["power_observed"] <= 1


def test_family_rule_gates_the_benchmarks():
    frames = {"a": _record(4), "b": _record(5, planted=0.5), "c": _record(6, planted=0.5)}
    fam = exchange_family(frames, plan=_plan(), seed=1, with_sensitivity=False)
    t = fam.table
    assert not t.loc["a", "confirmed"]  # no effect in the first stage: the gate stays closed
    assert not t.loc["b", "tested"] and not t.loc["b", "confirmed"]
    assert t.loc["a", "e1_exchange_days"] == 1
    frames["a"] = _record(4, planted=0.5)
    fam = exchange_family(frames, plan=_plan(), seed=1, with_sensitivity=False)
    assert fam.table["confirmed"].all()
    assert "E2 (confirmatory)" in family_answer_html(fam, lead="a")
    assert "Plan test-v3" in fam.summary()


def test_blind_family_uses_only_swept_releases_and_is_written_beside():
    frames = {"a": _record(4), "b": _record(5), "c": _record(6)}
    full = exchange_family(frames, plan=_plan(), seed=1, with_sensitivity=False)
    blind = exchange_family(frames, plan=_plan(), seed=1, with_sensitivity=False,
                            release_options={"sweep_only": True})  # fmt: skip
    for c, fr in frames.items():
        rel = fr["releases"]
        swept = rel[rel["sweep_found"].fillna(False) & rel["exchange_event_id"].isna()]
        assert blind.table.loc[c, "release_days"] == swept["date"].nunique()
        assert blind.table.loc[c, "release_days"] < full.table.loc[c, "release_days"]
        # E1 does not change: it is not a timing test
        assert blind.table.loc[c, "e1_share_days"] == full.table.loc[c, "e1_share_days"]
    assert blind.settings["release_options"] == {"sweep_only": True}
    side = families_beside(full, blind)
    assert side["record"].tolist()[:2] == ["full record", "calendar-blind only"]
    assert len(side) == 2 * len(frames)
    html = family_answer_html(full, lead="a", blind=blind)
    assert html.count("Calendar-blind releases only") == 3
    n_a = blind.table.loc["a", "release_days"]
    assert f"of {n_a:.0f} release days" in html
    assert "Calendar-blind" not in family_answer_html(full, lead="a")
    # a row whose null expects no hit has no ratio, and says so rather than printing nan
    blind.table.loc["b", ["hits", "expected", "ratio", "ratio_lo", "ratio_hi"]] = [0, 0.0] + [
        np.nan
    ] * 3
    html = family_answer_html(full, lead="a", blind=blind)
    assert "nan" not in html and "no ratio (the null expects no hit)" in html


def test_family_row_that_cannot_run_says_why():
    rec = _record(7)
    rec["events"]["exchange_role"] = "handover"  # no independent event left
    fam = exchange_family({"a": rec, "b": _record(8)}, plan=_plan(stages=[["a"], ["b"]]),
                          seed=1, with_sensitivity=False)  # fmt: skip
    assert "no tested event" in fam.table.loc["a", "note"]
    assert not fam.table.loc["b", "tested"]


def test_robustness_rows():
    rob = e2_robustness(_record(9, planted=0.3), plan=_plan(), n_perturb=5, seed=1)
    assert rob["row"].tolist()[:4] == [
        "E2 (primary)",
        "without holiday pardons",
        "short detentions kept",
        "calendar-blind releases only",
    ]
    blind = rob.set_index("row").loc["calendar-blind releases only"]
    prim = rob.set_index("row").loc["E2 (primary)"]
    assert blind["release_days"] < prim["release_days"]
    assert 0 <= rob.iloc[-1]["share_significant"] <= 1


def test_planted_power_rises_with_the_share():
    res = planted_power(_record(10), plan=_plan(), shares=(0.05, 0.4), n_sim=20, seed=2)
    p = res.curve["power"].to_numpy()
    assert p[1] > p[0] and p[1] >= 0.8
    assert res.curve["mean_ratio"].iloc[1] > res.curve["mean_ratio"].iloc[0]
    assert res.mde_share <= 0.4
    with pytest.raises(ValueError, match="shares"):
        planted_power(_record(10), plan=_plan(), shares=(0.0,))


def test_placebo_shifts_rank_an_effect_at_the_top():
    res = placebo_shifts(_record(11, planted=0.5), plan=_plan(), n_shifts=40)
    assert len(res.table) == 40
    assert res.table["shift_days"].abs().min() >= 90
    assert res.rank <= 0.05  # the real calendar beats (almost) every shifted one
    calm = placebo_shifts(_record(12), plan=_plan(), n_shifts=40)
    assert (calm.table["pvalue"] < 0.05).mean() < 0.3
    with pytest.raises(ValueError, match="even"):
        placebo_shifts(_record(12), plan=_plan(), n_shifts=3)


def _confirm_plan() -> PlanVersion:
    st = dict(window=7, direction="before", null="jitter", cluster_gap=3, bin_rule="60-day bins")
    e2 = Hypothesis("C", "pooled", "exchange_timing", CLASSES, st)
    return PlanVersion(version="test-confirm", date="2026-12-02", start="2014-01-01",
                       end="2025-12-31", tests=(e2,))  # fmt: skip


def test_confirm_test_pools_by_convolution():
    from analysis.inference.evidence import _cluster_table
    from analysis.timing.exact import sum_distribution

    plan = _confirm_plan()
    a, b = _record(21), _record(22, planted=0.2)
    res = confirm_test({"a": a, "b": b}, plan=plan, seed=1)
    # the pooled null is the convolution of the two countries' exact nulls
    ta, tb = (_cluster_table(x, plan, plan.tests[0], "60-day bins") for x in (a, b))
    pa, pb = sum_distribution(ta[0]), sum_distribution(tb[0])
    assert pa.step == pb.step == 1.0
    pooled = np.convolve(pa.pmf, pb.pmf)
    off = int(pa.offset + pb.offset)
    k = int(res.hits) - off
    assert res.pvalue == pytest.approx(pooled[max(k, 0):].sum(), rel=1e-9)
    assert res.hits == res.countries["hits"].sum()
    assert res.expected == pytest.approx(res.countries["expected"].sum())
    # each country's secondary p equals the one-country exact coincidence test
    single = e2_test(b, plan=plan, with_sensitivity=False)
    assert res.countries.loc["b", "pvalue"] == pytest.approx(single["pvalue"], rel=1e-9)
    assert res.ratio_ci[0] <= res.ratio <= res.ratio_ci[1]
    assert res.confirmed == (res.pvalue < 0.05)
    assert confirm_test({"a": a, "b": b}, plan=plan, seed=2).pvalue == res.pvalue


def test_confirm_test_leaves_out_a_thin_country_and_detects_a_planted_effect():
    plan = _confirm_plan()
    thin = _record(23, n_rel=12)
    res = confirm_test({"a": _record(24, planted=0.4), "thin": thin}, plan=plan)
    assert "thin" in res.excluded and "fewer than 20" in res.excluded["thin"]
    assert list(res.countries.index) == ["a"]
    assert res.confirmed and res.pvalue < 0.001
    assert np.isfinite(res.mde_ratio)
    with pytest.raises(ValueError, match="no country is left"):
        confirm_test({"thin": thin}, plan=plan)


def test_confirm_answer_in_words():
    from analysis.inference.evidence import confirm_answer_html
    from analysis.results import NotRun
    from analysis.timing.exchanges import documented_exchanges

    rec = _record(31)
    e1 = {"a": documented_exchanges(rec, seed=0, country="a")}
    res = confirm_test({"a": _record(24, planted=0.4)}, plan=_confirm_plan())
    page = confirm_answer_html(res, e1)
    assert "<b>confirmed</b>" in page and "exact p" in page and "A 1 of" in page
    why = "no country is left in the test: a: 7 day-dated release episodes, fewer than 20"
    page = confirm_answer_html(NotRun("registered test", why), e1)
    assert "did not run" in page and "fewer than 20" in page
