"""Sensitivity diagnostics (informative days, largest ratio, MDE), controls and plan versions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.inference.controls import linked_events, run_controls
from analysis.inference.plan import PLANS, get_plan
from analysis.record import data
from analysis.timing.coincidence import coincidence_test, window_indicator
from analysis.timing.nulls import jitter_ranges
from analysis.timing.revolving import revolving_door
from analysis.timing.sensitivity import cluster_shares, sensitivity

ROOT = Path(__file__).resolve().parents[1]


def _brute(releases, events, window, direction, jd, gap, s, e):
    """Enumerate every position of every cluster: mean share, best share, varies?"""
    r = np.asarray(releases)
    h = window_indicator(np.asarray(events), s, e, window, direction)
    labels, offsets, lo, hi = jitter_ranges(r, s, e, jd, gap)
    out = []
    for c in range(lo.size):
        members = np.flatnonzero(labels == c)
        vals = [h[a + offsets[members] - s].sum() / r.size for a in range(lo[c], hi[c] + 1)]
        out.append((np.mean(vals), np.max(vals), np.ptp(vals) > 0, members.size))
    return out


def test_shares_match_brute_force_and_test_expectation():
    rng = np.random.default_rng(3)
    r = np.sort(rng.integers(0, 600, 40))
    ev = np.sort(rng.integers(0, 600, 15))
    res = sensitivity(r, ev, 5, direction="before", jitter_days=30, cluster_gap=2,
                      start=0, end=599, n_sim=500, seed=1)  # fmt: skip
    brute = _brute(r, ev, 5, "before", 30, 2, 0, 599)
    assert res.expected == pytest.approx(sum(b[0] for b in brute))
    assert res.max_statistic == pytest.approx(sum(b[1] for b in brute))
    assert res.n_informative_clusters == sum(b[2] for b in brute)
    assert res.n_informative == sum(b[3] for b in brute if b[2])
    t = coincidence_test(r, ev, 5, direction="before", null="jitter", jitter_days=30,
                         cluster_gap=2, start=0, end=599, n_surrogates=10,
                         n_bootstrap=0)  # fmt: skip
    assert res.expected == pytest.approx(t.expected)
    shares = cluster_shares(r, ev, 5, direction="before", jitter_days=30, cluster_gap=2,
                            start=0, end=599)  # fmt: skip
    assert shares.shape[0] == len(brute)


def test_window_as_wide_as_bin_is_blind():
    r = np.arange(5, 600, 40)
    ev = np.arange(0, 600, 3)  # an event every 3 days: every position coincides
    res = sensitivity(r, ev, 14, direction="around", jitter_days=30, start=0, end=599,
                      n_sim=500, seed=0)  # fmt: skip
    assert res.n_informative == 0
    assert res.max_ratio == pytest.approx(1.0)
    assert not res.detectable and np.isinf(res.mde_ratio)
    assert "not reached" in res.summary()


def test_power_curve_size_and_power():
    rng = np.random.default_rng(0)
    r = np.sort(rng.choice(3000, 80, replace=False))
    ev = np.sort(rng.choice(3000, 60, replace=False))
    res = sensitivity(r, ev, 7, direction="before", jitter_days=60, start=0, end=2999,
                      n_sim=3000, seed=5)  # fmt: skip
    curve = res.power_curve
    assert 0.01 <= curve["power"].iloc[0] <= 0.06  # fraction 0: the null's own rejection rate
    assert curve["power"].iloc[-1] == pytest.approx(1.0)
    assert curve["ratio"].is_monotonic_increasing
    assert res.detectable and 1.0 < res.mde_ratio <= res.max_ratio
    again = sensitivity(r, ev, 7, direction="before", jitter_days=60, start=0, end=2999,
                        n_sim=3000, seed=5)  # fmt: skip
    pd.testing.assert_frame_equal(curve, again.power_curve)


def test_planted_effect_at_mde_is_detected_by_the_test():
    """Releases planted at the MDE's share are rejected by the real test about 80 % of the time."""
    rng = np.random.default_rng(11)
    ev = np.sort(rng.choice(np.arange(10, 2990), 50, replace=False))
    base = np.sort(rng.choice(3000, 70, replace=False))
    sens = sensitivity(base, ev, 7, direction="before", jitter_days=60, cluster_gap=0,
                       start=0, end=2999, n_sim=2000, seed=1)  # fmt: skip
    hits = 0
    for rep in range(60):
        g = np.random.default_rng(rep)
        r = base.copy()
        idx = g.random(r.size) < min(1.0, sens.mde_fraction + 0.1)
        r[idx] = np.minimum(ev[g.integers(0, ev.size, idx.sum())] + g.integers(0, 8, idx.sum()),
                            2999)  # fmt: skip
        p = coincidence_test(np.sort(r), ev, 7, direction="before", jitter_days=60,
                             cluster_gap=0, start=0, end=2999, n_surrogates=199,
                             n_bootstrap=0, seed=rep).pvalue  # fmt: skip
        hits += p <= 0.05
    assert hits / 60 >= 0.6


@pytest.mark.parametrize(
    ("kw", "msg"),
    [({"alpha": 1.5}, "alpha"), ({"power": 0}, "power"), ({"n_sim": 10}, "n_sim"),
     ({"jitter_days": 0}, "jitter_days"), ({"direction": "sideways"}, "direction")],
)  # fmt: skip
def test_sensitivity_rejects_bad_arguments(kw, msg):
    with pytest.raises(ValueError, match=msg):
        sensitivity([10, 50], [12], 3, start=0, end=99, **kw)


def test_plans_name_every_setting_and_keep_v1():
    v1, v2 = get_plan("v1"), get_plan("v2")
    assert v1.test("H1").settings == dict(window=14, direction="around", null="jitter",
                                         jitter_days=30, cluster_gap=3)  # fmt: skip
    assert v1.test("H4").settings["null"] == "circular_shift"
    assert v2.end == "2026-01-02" and v2.date > v1.date
    for t in v2.tests:
        keys = {"window", "direction", "null", "jitter_days", "cluster_gap"}
        if t.kind == "revolving":
            keys = {"window", "max_gap", "null", "jitter_days"}
        assert keys <= set(t.settings), t.id
    spec = v2.test("H1")
    res = coincidence_test([10, 40, 90], [8, 39], n_surrogates=99, start=0, end=200,
                           **spec.settings)  # fmt: skip
    assert res.window == spec.settings["window"] and res.jitter_days == 60
    with pytest.raises(ValueError, match="allowed: v1"):
        get_plan("v9")
    with pytest.raises(ValueError, match="H9"):
        v2.test("H9")
    assert set(PLANS) >= {"v1", "v2", "v2-post-capture"}


def test_revolving_jitter_null_detects_restocking_and_holds_under_surge():
    rng = np.random.default_rng(2)
    t = np.arange(0, 3000, 20)
    ev = np.sort(rng.choice(np.arange(100, 2900), 25, replace=False))  # inside the counts
    pre = np.array([np.any((e >= d) & (e <= d + 30)) for d in t for e in [ev]])
    steps = np.where(pre, 30.0, -5.0) + rng.normal(0, 5, t.size)
    counts = pd.Series(300 + np.cumsum(steps), index=pd.to_datetime("2014-01-01")
                       + pd.to_timedelta(t, "D"))  # fmt: skip
    evd = pd.to_datetime("2014-01-01") + pd.to_timedelta(ev, "D")
    r = revolving_door(counts, evd, null="jitter", jitter_days=90, n_surrogates=499, seed=1)
    assert r.pvalue < 0.01 and r.statistic > 20 and r.null == "jitter"
    again = revolving_door(counts, evd, null="jitter", jitter_days=90, n_surrogates=499, seed=1)
    np.testing.assert_array_equal(r.null_distribution, again.null_distribution)
    assert "jittered within 90-day bins" in r.summary()
    # shared surge, no alignment: the stock and the events both rise in the second half
    size = []
    for rep in range(40):
        g = np.random.default_rng(100 + rep)
        ev2 = np.sort(
            np.concatenate(
                [
                    g.choice(np.arange(0, 1500), 5, replace=False),
                    g.choice(np.arange(1500, 2950), 25, replace=False),
                ]
            )
        )
        steps2 = np.where(t >= 1500, 15.0, -5.0) + g.normal(0, 10, t.size)
        c2 = pd.Series(300 + np.cumsum(steps2), index=counts.index)
        e2 = pd.to_datetime("2014-01-01") + pd.to_timedelta(ev2, "D")
        size.append(revolving_door(c2, e2, null="jitter", jitter_days=90, n_surrogates=199,
                                   seed=rep).pvalue <= 0.05)  # fmt: skip
    assert np.mean(size) <= 0.15
    with pytest.raises(ValueError, match="null"):
        revolving_door(counts, evd, null="shuffle")


@pytest.fixture(scope="module")
def frames():
    raw = data.load_raw(ROOT)
    raw["events"] = data.event_calendar(raw)
    return raw


def test_positive_control_detected_with_plan_v2_not_v1(frames):
    v2 = run_controls(frames, plan="v2", n_surrogates=1999, seed=3)
    t = v2.table
    pos = t[t["kind"] == "positive"].iloc[0]
    assert pos["pvalue"] < 0.01 and v2.positive_detected
    assert set(t["kind"]) == {"positive", "negative"}
    assert (t["passed"] == np.where(t["kind"] == "positive", t["pvalue"] < 0.01,
                                    t["pvalue"] >= 0.05)).all()  # fmt: skip
    ev = linked_events(frames, "2014-01-01", "2026-01-02")
    assert len(ev) == pos["n_events"] and ev["id"].is_unique
    v1 = run_controls(frames, plan="v1", n_surrogates=1999, seed=3)
    assert v1.table.iloc[0]["pvalue"] > 0.01  # the plan-1 settings cannot see it
    assert "source-linked events" in v2.summary()
    with pytest.raises(ValueError, match="placebo_shifts"):
        run_controls(frames, placebo_shifts=(0,))
    with pytest.raises(ValueError, match="revolving"):
        run_controls(frames, hypothesis="H4")


def test_attempt_reports_a_thin_record_instead_of_failing():
    from analysis.results import NotRun, attempt

    res = attempt("revolving door", revolving_door, pd.Series([1.0, 2.0]), ["2020-01-01"])
    assert isinstance(res, NotRun) and not res
    assert "revolving door: not run on this record" in res.summary()
    assert "at least 3 are needed" in str(res)
    with pytest.raises(TypeError):  # only ValueError means "this record cannot support it"
        attempt("x", lambda: 1 + "a")
    assert attempt("sum", sum, [1, 2]) == 3


def test_controls_on_a_record_without_events_of_a_class(frames):
    res = run_controls(frames, negative_classes=("recognition", "talks_suspended"),
                       n_surrogates=199, seed=1)  # fmt: skip
    t = res.table.set_index("control")
    for c in ("class: recognition", "class: talks_suspended"):
        if t.loc[c, "n_events"] == 0:
            assert np.isnan(t.loc[c, "pvalue"]) and not t.loc[c, "passed"]
            assert t.loc[c, "reading"].startswith("not run")
