"""Exact null distributions, power and MDE (analysis.timing.exact): known answers enumerated by
hand or by brute force, agreement with Monte Carlo on the record, dates as intervals, bins."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.inference.calibration import BIN_CANDIDATES, _pick, bin_settings
from analysis.inference.reach import rule_level
from analysis.inference.robustness import date_uncertainty
from analysis.timing.coincidence import coincidence_test, hit_values, window_indicator
from analysis.timing.exact import (
    critical_value,
    exact_mde,
    expected_ratio,
    jitter_table,
    planted_power,
    sum_distribution,
    upper_tail,
)
from analysis.timing.intervals import interval_end
from analysis.timing.nulls import change_point_bins, change_points, jitter_ranges
from analysis.timing.sensitivity import sensitivity

ROOT = Path(__file__).resolve().parents[1]


def _brute_pmf(values: np.ndarray) -> dict[float, float]:
    """Enumerate every joint position of the clusters (uniform, independent)."""
    rows = [v[~np.isnan(v)] for v in values]
    out: dict[float, float] = {}
    n = np.prod([r.size for r in rows])
    for combo in itertools.product(*rows):
        key = round(float(sum(combo)), 9)
        out[key] = out.get(key, 0.0) + 1.0 / n
    return out


# ---------------------------------------------------------------------------------------------
# known answers
# ---------------------------------------------------------------------------------------------


def test_two_clusters_by_hand() -> None:
    # period [0, 9], 5-day bins; events on days 2 and 7, window 1 "before": hit days {2, 3} and
    # {7, 8}; each release hits with probability 2/5 in its bin, independently
    res = coincidence_test([2, 7], [2, 7], 1, direction="before", null="jitter", jitter_days=5,
                           cluster_gap=0, start=0, end=9, n_bootstrap=0)  # fmt: skip
    assert res.method == "exact"
    assert res.statistic == 1.0
    assert res.pvalue == pytest.approx(4 / 25)  # P(both hit) = (2/5)^2
    support, pmf = res.null_pmf
    np.testing.assert_allclose(support, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(pmf, [9 / 25, 12 / 25, 4 / 25])
    assert res.expected == pytest.approx(0.4)
    one = coincidence_test([2, 5], [2, 7], 1, direction="before", jitter_days=5, cluster_gap=0,
                           start=0, end=9, n_bootstrap=0)  # fmt: skip
    assert one.pvalue == pytest.approx(1 - 9 / 25)  # P(S >= 1/2)


def test_uniform_null_is_binomial() -> None:
    rng = np.random.default_rng(5)
    r = rng.integers(0, 365, 25)
    e = rng.integers(0, 365, 12)
    res = coincidence_test(r, e, 5, direction="around", null="uniform", start=0, end=364,
                           n_bootstrap=0)  # fmt: skip
    p = window_indicator(e, 0, 364, 5, "around").mean()
    k = round(res.statistic * r.size)
    assert res.method == "exact"
    assert res.pvalue == pytest.approx(stats.binom.sf(k - 1, r.size, p), rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_convolution_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = np.sort(rng.integers(0, 60, 7))
    e = rng.integers(0, 60, 5)
    w = rng.integers(1, 4, r.size).astype(float)
    h = window_indicator(e, 0, 59, 3, "before").astype(float)
    values, _ = jitter_table(h, r, 0, 59, 8, 2, w)
    brute = _brute_pmf(values)
    d = sum_distribution(values)
    assert d.exact
    for x, p in brute.items():
        assert d.pmf[round(x - d.offset)] == pytest.approx(p, abs=1e-12)
    assert d.pmf.sum() == pytest.approx(1.0)
    obs = float(h[r] @ w)
    exact = sum(p for x, p in brute.items() if x >= obs - 1e-9)
    res = coincidence_test(r, e, 3, direction="before", jitter_days=8, cluster_gap=2, weights=w,
                           start=0, end=59, n_bootstrap=0)  # fmt: skip
    assert res.pvalue == pytest.approx(exact, abs=1e-12)


def test_non_integer_weights_give_a_bracket_around_the_truth() -> None:
    rng = np.random.default_rng(11)
    r = np.sort(rng.integers(0, 60, 6))
    e = rng.integers(0, 60, 6)
    w = rng.uniform(0.3, 2.0, r.size)
    h = window_indicator(e, 0, 59, 3, "around").astype(float)
    values, _ = jitter_table(h, r, 0, 59, 10, 0, w)
    obs = float(h[r] @ w)
    truth = sum(p for x, p in _brute_pmf(values).items() if x >= obs - 1e-9)
    p_hi, p_lo, how = upper_tail(values, obs)
    assert how == "exact bound"
    assert p_lo - 1e-12 <= truth <= p_hi + 1e-12
    res = coincidence_test(r, e, 3, jitter_days=10, cluster_gap=0, weights=w, start=0, end=59,
                           n_bootstrap=0)  # fmt: skip
    assert res.method == "exact bound" and res.pvalue == pytest.approx(p_hi)
    assert res.pvalue_lower == pytest.approx(p_lo)
    # equal weights are a rescaled count: exact, and the unweighted answer
    eq = coincidence_test(r, e, 3, jitter_days=10, cluster_gap=0, weights=[0.7] * r.size,
                          start=0, end=59, n_bootstrap=0)  # fmt: skip
    un = coincidence_test(r, e, 3, jitter_days=10, cluster_gap=0, start=0, end=59, n_bootstrap=0)
    assert eq.method == "exact" and eq.pvalue == un.pvalue


def test_exact_pvalue_does_not_depend_on_the_seed() -> None:
    rng = np.random.default_rng(3)
    r = rng.integers(0, 900, 40)
    e = rng.integers(0, 900, 30)
    ps = {coincidence_test(r, e, 7, direction="before", jitter_days=60, start=0, end=899,
                           seed=s, n_bootstrap=0).pvalue for s in (1, 2, 2026, None)}  # fmt: skip
    assert len(ps) == 1
    circ = {coincidence_test(r, e, 7, null="circular_shift", start=0, end=899, seed=s,
                             n_bootstrap=0).pvalue for s in (1, 2)}  # fmt: skip
    assert len(circ) == 1


def test_surrogates_on_request_agree_with_the_exact_pvalue() -> None:
    rng = np.random.default_rng(9)
    r = rng.integers(0, 2000, 60)
    e = rng.integers(0, 2000, 50)
    res = coincidence_test(r, e, 7, direction="before", jitter_days=30, start=0, end=1999,
                           surrogates=True, n_surrogates=20_000, seed=1, n_bootstrap=0)  # fmt: skip
    assert res.method == "exact" and res.null_distribution.size == 20_000
    mc = np.mean(res.null_distribution >= res.statistic - 1e-9)
    assert abs(mc - res.pvalue) <= 4 * np.sqrt(res.pvalue * (1 - res.pvalue) / 20_000) + 1e-4


# ---------------------------------------------------------------------------------------------
# agreement with 10^5 surrogates on the record
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frames():
    from analysis.record import data

    raw = data.load_raw(ROOT)
    raw["events"] = data.event_calendar(raw)
    return raw


@pytest.mark.parametrize("hid", ["H1", "H2", "H3"])
def test_agrees_with_monte_carlo_on_the_record(frames, hid: str) -> None:
    from analysis.inference.plan import get_plan
    from analysis.record.overview import release_days, select_events

    pl = get_plan("v2")
    st = {k: pl.test(hid).settings[k] for k in ("window", "direction", "jitter_days",
                                                "cluster_gap")}  # fmt: skip
    days = release_days(frames["releases"], pl.start, pl.end)
    ev = select_events(frames["events"], list(pl.test(hid).classes), pl.start, pl.end)
    kw = dict(start=pl.start, end=pl.end, n_bootstrap=0, **st)
    ex = coincidence_test(days["date"], ev["date"], **kw)
    n = 100_000
    mc = coincidence_test(days["date"], ev["date"], method="monte carlo", n_surrogates=n,
                          seed=5, **kw)  # fmt: skip
    assert ex.method == "exact" and mc.method == "monte carlo"
    se = np.sqrt(max(ex.pvalue * (1 - ex.pvalue), 1e-6) / n)
    assert abs(mc.pvalue - ex.pvalue) <= 4 * se + 2 / n
    assert ex.expected == pytest.approx(mc.expected)
    # the support of the exact null carries the Monte Carlo mean
    support, pmf = ex.null_pmf
    assert float(support @ pmf) == pytest.approx(ex.expected, rel=1e-9)
    assert float(np.mean(mc.null_distribution)) == pytest.approx(ex.expected, abs=5e-3)


# ---------------------------------------------------------------------------------------------
# power and MDE
# ---------------------------------------------------------------------------------------------


def test_planted_power_equals_brute_force() -> None:
    rng = np.random.default_rng(4)
    r = np.sort(rng.integers(0, 80, 6))
    e = rng.integers(0, 80, 6)
    h = window_indicator(e, 0, 79, 2, "before").astype(float)
    values, _ = jitter_table(h, r, 0, 79, 10, 0)
    alpha = 0.1
    crit = critical_value(values, alpha)
    rows = [v[~np.isnan(v)] for v in values]
    f = 0.35
    # mixture per cluster: (1 - f) uniform + f at its best value
    power = 0.0
    for combo in itertools.product(*[range(x.size) for x in rows]):
        pr = 1.0
        for x, k in zip(rows, combo, strict=True):
            best = x >= x.max() - 1e-12
            pr *= (1 - f) / x.size + f * best[k] / best.sum()
        if sum(x[k] for x, k in zip(rows, combo, strict=True)) >= crit - 1e-9:
            power += pr
    assert planted_power(values, f, alpha) == pytest.approx(power, abs=1e-12)
    assert planted_power(values, 0.0, alpha) <= alpha + 1e-12  # size of the exact test


def test_mde_at_the_rule_level_is_larger_and_consistent() -> None:
    rng = np.random.default_rng(12)
    r = np.sort(rng.integers(0, 3000, 80))
    e = rng.integers(0, 3000, 60)
    h = window_indicator(e, 0, 2999, 7, "before").astype(float)
    values, _ = jitter_table(h, r, 0, 2999, 60, 3)
    f05, r05 = exact_mde(values, 0.05)
    f_rule, r_rule = exact_mde(values, 0.05 / 4)
    assert 0 < f05 < f_rule < 1 and r05 < r_rule
    assert planted_power(values, f05, 0.05) == pytest.approx(0.8, abs=2e-3)
    assert planted_power(values, f_rule, 0.0125) == pytest.approx(0.8, abs=2e-3)
    assert expected_ratio(values, f05) == pytest.approx(r05)
    res = sensitivity(r, e, 7, direction="before", jitter_days=60, start=0, end=2999,
                      rule_alpha=0.0125, observed_ratio=r_rule)  # fmt: skip
    assert res.method == "exact"
    assert res.mde_ratio == pytest.approx(r05) and res.mde_ratio_rule == pytest.approx(r_rule)
    assert res.power_observed == pytest.approx(0.8, abs=2e-3)
    assert "rule's level" in res.summary()
    assert rule_level(0.05, 4) == 0.0125 and rule_level(0.05, 4, "none") == 0.05
    with pytest.raises(ValueError, match="rule"):
        rule_level(0.05, 4, "hochberg")
    with pytest.raises(ValueError, match="m ="):
        rule_level(0.05, 0)


def test_mde_not_reached_for_a_blind_test() -> None:
    # every bin fully covered by event windows: no cluster can move off a hit
    values = np.ones((5, 10))
    assert exact_mde(values, 0.05) == (float("inf"), float("inf"))


# ---------------------------------------------------------------------------------------------
# dates as intervals
# ---------------------------------------------------------------------------------------------


def test_interval_event_hit_is_a_probability() -> None:
    # event known to the week [10, 16]; window 3 "before": day 12 sees [9, 12] -> 3 of 7 days
    h = hit_values([10], 0, 40, 3, "before", event_ends=[16])
    assert h[12] == pytest.approx(3 / 7)
    # day 16 sees [13, 16]: 4 of 7; day 19 sees [16, 19]: 1 of 7; day 20: none
    assert h[16] == pytest.approx(4 / 7) and h[19] == pytest.approx(1 / 7)
    assert h[9] == 0.0 and h[20] == 0.0
    # with a dated event on day 12 as well: day 12 is a sure hit, day 17 ([14, 17]) is not
    # reached by the dated event: 3 of 7
    h2 = hit_values([10, 12], 0, 40, 3, "before", event_ends=[16, 12])
    assert h2[12] == 1.0 and h2[17] == pytest.approx(3 / 7)
    # two interval events: 1 - (1 - p1)(1 - p2)
    h3 = hit_values([10, 14], 0, 40, 3, "before", event_ends=[16, 20])
    assert h3[16] == pytest.approx(1 - (1 - 4 / 7) * (1 - 3 / 7))


def test_interval_release_by_hand() -> None:
    # release known to [20, 26], dated event on day 22, window 3 "before": hit days 22..25
    res = coincidence_test([20], [22], 3, direction="before", release_ends=[26], jitter_days=30,
                           start=0, end=59, n_bootstrap=0)  # fmt: skip
    assert res.statistic == pytest.approx(4 / 7)
    assert res.n_interval_releases == 1 and res.n_interval_events == 0
    # null: the block's first day moves over its bin [0, 29] (the block keeps its 7 days); the
    # mean over its 30 positions of (hit days inside the block) / 7
    h = np.zeros(60)
    h[22:26] = 1
    vals = [h[a : a + 7].mean() for a in range(30)]
    assert res.expected == pytest.approx(np.mean(vals))
    assert res.pvalue == pytest.approx(np.mean(np.array(vals) >= 4 / 7 - 1e-9))
    _, _, lo, hi = jitter_ranges([20], 0, 59, 30, 3, release_ends=[26])
    assert (lo[0], hi[0]) == (0, 29)
    _, _, _, hi_end = jitter_ranges([50], 0, 59, 30, 3, release_ends=[56])
    assert hi_end[0] == 53  # the whole interval stays inside the period
    mc = coincidence_test([20], [22], 3, direction="before", release_ends=[26], jitter_days=30,
                          start=0, end=59, n_bootstrap=0, method="monte carlo",
                          n_surrogates=20_000, seed=1)  # fmt: skip
    assert mc.statistic == pytest.approx(res.statistic)
    assert float(np.mean(mc.null_distribution)) == pytest.approx(res.expected, abs=0.01)


def test_interval_rows_are_their_own_clusters() -> None:
    labels, _, lo, hi = jitter_ranges([10, 11, 12], 0, 99, 30, 3, release_ends=[10, 17, 12])
    assert labels[0] == labels[2] != labels[1]
    assert hi[labels[1]] == 29 and lo[labels[1]] == 0


def test_interval_end_rule() -> None:
    end = interval_end(["2024-03-04", "2024-02-01", "2024-02-10"], ["week", "month", "day"])
    assert [str(d.date()) for d in end] == ["2024-03-10", "2024-02-29", "2024-02-10"]
    with pytest.raises(ValueError, match="precision"):
        interval_end(["2024-01-01"], ["year"])


def test_interval_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="release_ends"):
        coincidence_test([5], [5], 2, release_ends=[4], start=0, end=30)
    with pytest.raises(ValueError, match="release_ends"):
        coincidence_test([5, 6], [5], 2, release_ends=[7], start=0, end=30)
    with pytest.raises(ValueError, match="event_ends"):
        hit_values([5], 0, 30, 2, event_ends=[3])
    with pytest.raises(ValueError, match="poisson"):
        coincidence_test([5], [5], 2, null="poisson", event_ends=[9], start=0, end=30)
    with pytest.raises(ValueError, match="method"):
        coincidence_test([5], [5], 2, method="bootstrap", start=0, end=30)


def test_interval_rows_on_the_record(frames) -> None:
    from analysis.timing.intervals import interval_events, interval_releases, n_interval_rows

    r = interval_releases(frames["releases"], "2014-01-01", "2026-01-02")
    e = interval_events(frames["events"], ["negotiation", "envoy_visit", "agreement"],
                        "2014-01-01", "2026-01-02")  # fmt: skip
    assert n_interval_rows(r) > 0 and n_interval_rows(e) > 0
    assert (r["end"] >= r["date"]).all() and (e["end"] >= e["date"]).all()
    assert set(r["precision"]) <= {"day", "week", "month"}
    res = coincidence_test(r["date"], e["date"], 7, direction="before", jitter_days=60,
                           release_ends=r["end"], event_ends=e["end"], start="2014-01-01",
                           end="2026-01-02", n_bootstrap=0)  # fmt: skip
    assert res.n_interval_releases == n_interval_rows(r)
    assert res.n_interval_events == n_interval_rows(e)
    assert res.method == "exact bound" and res.pvalue_lower <= res.pvalue


def test_date_uncertainty_keeps_a_strong_effect_and_loses_a_same_day_one() -> None:
    e = np.arange(30, 2000, 60)
    strong = e + 3  # releases 3 days after each event; window 7 "before"
    res = date_uncertainty(strong, e, 7, direction="before", jitter_days=60, start=0, end=2100,
                           n_perturb=40, seed=1)  # fmt: skip
    assert res.pvalue < 1e-6 and res.share_significant == 1.0
    assert len(res.pvalues) == 40 and "share significant" in res.summary()
    # a window of 1 day "before", releases exactly 1 day after, 5-day bins (chance 2/5): each
    # pair stays a hit with probability 5/9 after the moves, so significance mostly goes
    edge = e[:8] + 1
    fragile = date_uncertainty(edge, e[:8], 1, direction="before", jitter_days=5, start=0,
                               end=2100, n_perturb=60, seed=1)  # fmt: skip
    assert fragile.pvalue == pytest.approx(0.4**8)
    assert fragile.share_significant < 0.5
    with pytest.raises(ValueError, match="shift"):
        date_uncertainty(strong, e, 7, start=0, end=2100, shift=0)


# ---------------------------------------------------------------------------------------------
# bins of unequal width, change points, the bin choice
# ---------------------------------------------------------------------------------------------


def test_change_points_find_a_planted_rate_change() -> None:
    rng = np.random.default_rng(2)
    quiet = rng.integers(0, 3000, 20)
    busy = rng.integers(1200, 1500, 60)
    seg = change_points(np.concatenate([quiet, busy]), 0, 2999, min_days=30)
    assert any(abs(s - 1200) <= 30 for s in seg) and any(abs(s - 1500) <= 30 for s in seg)
    bins = change_point_bins(np.concatenate([quiet, busy]), 0, 2999, max_days=60)
    assert bins[0] == 0 and (np.diff(np.append(bins, 3000)) <= 60).all()
    assert np.isin(seg[:-1], bins).all()  # every change point starts a bin
    # with no events, bins are just equal pieces
    flat = change_point_bins([], 0, 299, max_days=100)
    assert flat.tolist() == [0, 100, 200]


def test_unequal_bins_keep_clusters_in_their_bin() -> None:
    bins = [0, 10, 50, 55]
    _, _, lo, hi = jitter_ranges([3, 12, 52, 80], 0, 99, 30, 0, bins=bins)
    assert lo.tolist() == [0, 10, 50, 55] and hi.tolist() == [9, 49, 54, 99]
    res = coincidence_test([3, 12, 52, 80], [4, 13], 2, direction="before", bins=bins, start=0,
                           end=99, n_bootstrap=0)  # fmt: skip
    assert res.bins == (0, 10, 50, 55) and res.jitter_days is None
    with pytest.raises(ValueError, match="bins must start"):
        jitter_ranges([3], 0, 99, 30, bins=[1, 10])
    with pytest.raises(ValueError, match="increasing"):
        jitter_ranges([3], 0, 99, 30, bins=[0, 10, 10])
    with pytest.raises(ValueError, match="only for null"):
        coincidence_test([3], [4], 2, null="uniform", bins=bins, start=0, end=99)


def test_bin_choice_rule() -> None:
    rows = []
    for cand, size, power in [("30-day bins", 0.04, 0.5), ("60-day bins", 0.06, 0.9),
                              ("90-day bins", 0.05, 0.7)]:  # fmt: skip
        rows += [dict(candidate=cand, kind="size", rate=size), dict(candidate=cand, kind="size",
                 rate=0.01), dict(candidate=cand, kind="power", rate=power)]  # fmt: skip
    t = pd.DataFrame(rows)
    assert _pick(t, 0.05) == "90-day bins"  # 60 d fails the size; 90 d has more power than 30
    assert _pick(t.assign(rate=0.2), 0.05) == ""
    assert bin_settings("60-day bins", [5], 0, 99) == {"jitter_days": 60}
    cp = bin_settings("change-point bins, at most 30 d", [5, 6], 0, 99)
    assert cp["bins"][0] == 0
    assert set(BIN_CANDIDATES) >= {"30-day bins", "60-day bins", "90-day bins"}


def test_primary_family_rows_carry_both_mdes_and_intervals(frames) -> None:
    from dataclasses import replace

    from analysis.inference.calibration import V3_BINS
    from analysis.inference.plan import Hypothesis, get_plan
    from analysis.inference.summary import answer_html, primary_tests

    v2 = get_plan("v2")
    h1 = v2.test("H1")
    st = {k: v for k, v in h1.settings.items() if k != "jitter_days"}
    plan = replace(v2, version="test-v3", tests=(
        Hypothesis("H1", h1.label, "coincidence", h1.classes, dict(st, bin_rule=V3_BINS)),
        v2.test("H2"),
    ))  # fmt: skip
    res = primary_tests(frames, plan=plan, intervals=True, seed=1)
    t = res.table.set_index("id")
    assert (t["rule_alpha"] == 0.05 / 2).all()
    assert (t["mde_rule"] >= t["mde_05"]).all() and t["mde_05"].equals(t["mde"])
    assert t["power_observed"].between(0, 1).all()
    assert t.loc["H1", "n_interval_releases"] > 0 and t.loc["H1", "n_interval_events"] > 0
    assert t.loc["H1", "jitter_days"] is None or np.isnan(t.loc["H1", "jitter_days"])
    assert set(t["pvalue_method"]) <= {"exact", "exact bound"}
    html = answer_html(res)
    assert "MDE at the rule's level" in html and "MDE at 0.05" in html
    assert "power at the observed effect" in html
