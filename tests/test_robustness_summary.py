"""Revolving-door test, specification curve, leave-one-out, primary tests and the answer text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.inference.robustness import leave_one_out, specification_curve
from analysis.inference.summary import PRIMARY_TESTS, answer_html, primary_tests
from analysis.record import data
from analysis.timing.revolving import revolving_door

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ revolving door


def _stock(days: np.ndarray, values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.to_datetime("2020-01-01") + pd.to_timedelta(days, "D"))


def test_revolving_known_answer():
    # observations every 10 days; the stock rises by 30 only in the interval ending on day 40,
    # and one event falls 10 days after that end
    days = np.arange(0, 101, 10)
    values = np.array([100, 100, 100, 100, 130, 130, 130, 130, 130, 130, 130], float)
    ev = [pd.Timestamp("2020-01-01") + pd.Timedelta(days=50)]
    r = revolving_door(_stock(days, values), ev, window=10, max_gap=20, seed=0)
    # intervals ending at 40 and 50 are "pre-event" (event at 50 within [end, end + 10])
    assert r.n_pre == 2 and r.n_other == 8
    assert r.rate_pre == pytest.approx((90 + 0) / 2)  # 30 per 10 days = 90 per 30 days
    assert r.rate_other == pytest.approx(0.0)
    assert r.statistic == pytest.approx(45.0)
    assert r.null_distribution.size == 101
    assert 0 < r.pvalue <= 1
    assert "Revolving door" in r.summary()


def test_revolving_planted_effect_and_null():
    rng = np.random.default_rng(3)
    days = np.sort(rng.choice(np.arange(1, 2000), 250, replace=False))
    days = np.concatenate([[0], days])
    events = np.sort(rng.choice(np.arange(100, 1900), 15, replace=False))
    # planted: the stock jumps in the 20 days before each event, drifts down otherwise
    daily = np.full(2000, -0.2)
    for e in events:
        daily[e - 20 : e] += 3.0
    level = 500 + np.concatenate([[0], np.cumsum(daily)])
    base = pd.Timestamp("2018-01-01")
    ev_dates = [base + pd.Timedelta(days=int(e)) for e in events]
    r = revolving_door(
        _stock(days, level[days]).set_axis(base + pd.to_timedelta(days, "D")),
        ev_dates,
        window=20,
        seed=1,
    )
    assert r.statistic > 0 and r.pvalue < 0.01
    assert r.ci[0] > 0
    flat = 500 + rng.normal(0, 5, days.size)
    r0 = revolving_door(
        pd.Series(flat, index=base + pd.to_timedelta(days, "D")), ev_dates, window=20, seed=1
    )
    assert r0.pvalue > 0.01


def test_revolving_errors():
    s = _stock(np.arange(0, 50, 10), np.arange(5, dtype=float))
    ev = [pd.Timestamp("2020-01-20")]
    with pytest.raises(ValueError, match="window = 0; allowed"):
        revolving_door(s, ev, window=0)
    with pytest.raises(ValueError, match="events is empty"):
        revolving_door(s, [], window=5)
    with pytest.raises(ValueError, match="lies outside the period"):
        revolving_door(s, [pd.Timestamp("2021-01-01")], window=5)
    with pytest.raises(ValueError, match="at least 3"):
        revolving_door(s.iloc[:2], ev)
    with pytest.raises(ValueError, match="pandas Series"):
        revolving_door([1, 2, 3], ev)


# ------------------------------------------------------------------ specification curve


def _toy():
    base = pd.Timestamp("2015-01-01")
    rng = np.random.default_rng(0)
    ev_days = np.sort(rng.choice(np.arange(0, 1400), 40, replace=False))
    # half the releases 0-3 days after an event (planted), half anywhere
    rel_days = np.concatenate(
        [ev_days[:20] + rng.integers(0, 4, 20), rng.choice(np.arange(0, 1460), 20, replace=False)]
    )
    rel_days = np.unique(rel_days)
    rd = pd.DataFrame(
        {
            "date": base + pd.to_timedelta(rel_days, "D"),
            "persons": rng.integers(1, 50, rel_days.size).astype(float),
        }
    )
    ev = pd.DataFrame(
        {
            "date": base + pd.to_timedelta(ev_days, "D"),
            "event_class": np.where(np.arange(40) % 2 == 0, "negotiation", "sanctions_relief"),
        }
    )
    return rd, ev


def test_specification_curve_grid_and_adjustment():
    rd, ev = _toy()
    res = specification_curve(
        rd,
        ev,
        windows=(7, 14),
        directions=("before", "around"),
        nulls=("uniform",),
        event_sets={"all": ["negotiation", "sanctions_relief"], "neg": ["negotiation"]},
        periods={"all": ("2015-01-01", "2018-12-31"), "empty": ("2030-01-01", "2030-12-31")},
        weightings=("episodes", "persons"),
        n_surrogates=199,
        seed=4,
    )
    t = res.table
    assert len(t) == 2 * 2 * 2 * 1 * 2 * 2
    assert (t.loc[t["period"] == "empty", "skipped"] != "").all()
    ran = res.ran
    assert len(ran) == 16
    assert (ran["p_holm"] >= ran["pvalue"] - 1e-12).all()
    assert (ran["p_bh"] <= ran["p_holm"] + 1e-12).all()
    # the planted effect (releases just after events) shows under the naive null
    assert ran["ratio"].median() > 1.5
    assert res.by("direction").loc["before", "share_p_raw"] == 1.0
    again = specification_curve(
        rd,
        ev,
        windows=(7, 14),
        directions=("before", "around"),
        nulls=("uniform",),
        event_sets={"all": ["negotiation", "sanctions_relief"], "neg": ["negotiation"]},
        periods={"all": ("2015-01-01", "2018-12-31"), "empty": ("2030-01-01", "2030-12-31")},
        weightings=("episodes", "persons"),
        n_surrogates=199,
        seed=4,
    )
    pd.testing.assert_frame_equal(t, again.table)
    assert "specifications run        16" in res.summary()


def test_specification_curve_release_sets_cross_every_choice():
    rd, ev = _toy()
    half = np.arange(len(rd)) % 2 == 0
    kw = dict(windows=(7,), directions=("before",), nulls=("uniform",),
              event_sets={"all": ["negotiation", "sanctions_relief"]},
              periods={"all": ("2015-01-01", "2018-12-31")}, weightings=("episodes",),
              n_surrogates=99, seed=4)  # fmt: skip
    res = specification_curve(rd, ev, release_sets={"all releases": np.ones(len(rd), bool),
                                                    "half": half}, **kw)  # fmt: skip
    t = res.table.set_index("release_set")
    assert list(t.index) == ["all releases", "half"]
    assert t.loc["half", "n_releases"] == half.sum()
    assert t.loc["all releases", "n_releases"] == len(rd)
    # the default is one set that names itself
    one = specification_curve(rd, ev, **kw)
    assert one.table["release_set"].tolist() == ["all releases"]
    assert one.table["ratio"].iloc[0] == pytest.approx(t.loc["all releases", "ratio"])
    with pytest.raises(ValueError, match=r"release_sets\['half'\] has 3 values"):
        specification_curve(rd, ev, release_sets={"half": [True, False, True]}, **kw)


def test_sweep_found_days_flags_a_day_if_any_row_was_found():
    from analysis.record.overview import release_days, sweep_found_days

    rel = pd.DataFrame({
        "id": ["rel-20200101-1", "rel-20200101-2", "rel-20200105-1", "rel-20200109-1"],
        "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-05", "2020-01-09"]),
        "date_precision": ["day"] * 4, "n_released": pd.array([3, 1, 2, 5], dtype="Int64"),
        "mechanism": ["pardon"] * 4,
        "sweep_found": pd.array([False, True, pd.NA, False], dtype="boolean"),
    })  # fmt: skip
    days = release_days(rel)
    assert sweep_found_days(days, rel).tolist() == [True, False, False]
    assert not sweep_found_days(days, rel.drop(columns="sweep_found")).any()


def test_specification_curve_errors():
    rd, ev = _toy()
    kw = dict(event_sets={"a": ["negotiation"]}, periods={"p": ("2015-01-01", "2016-01-01")})
    with pytest.raises(ValueError, match=r"nulls contains \['bogus'\]"):
        specification_curve(rd, ev, nulls=("bogus",), **kw)
    with pytest.raises(ValueError, match="windows"):
        specification_curve(rd, ev, windows=(0,), **kw)
    with pytest.raises(ValueError, match="is not after start"):
        specification_curve(
            rd, ev, event_sets={"a": ["negotiation"]}, periods={"p": ("2016-01-01", "2015-01-01")}
        )


def test_leave_one_out_drops_largest():
    rd, ev = _toy()
    res = leave_one_out(
        rd,
        ev["date"],
        k=3,
        null="uniform",
        n_surrogates=199,
        seed=1,
        start="2015-01-01",
        end="2018-12-31",
    )
    t = res.table
    assert t["dropped"].iloc[0] == "(none)"
    top3 = rd.sort_values("persons", ascending=False, kind="stable")["persons"].iloc[:3]
    assert sorted(t["persons"].iloc[1:].tolist(), reverse=True) == top3.tolist()
    assert len(t) == 4
    with pytest.raises(ValueError, match="k = 0"):
        leave_one_out(rd, ev["date"], k=0)


# ------------------------------------------------------------------ primary tests / answer


@pytest.fixture(scope="module")
def frames():
    raw = data.load_raw(ROOT)
    raw["events"] = data.event_calendar(raw)
    return raw


def test_primary_tests_on_record(frames):
    res = primary_tests(frames, n_surrogates=999, seed=11)
    t = res.table
    assert list(t["id"]) == [s["id"] for s in PRIMARY_TESTS]
    assert (t["p_holm"] >= t["pvalue"] - 1e-12).all()
    assert ((t["p_holm"] < 0.05) & (t["effect_lo"] > t["null_effect"])).eq(t["supported"]).all()
    again = primary_tests(frames, n_surrogates=999, seed=11)
    pd.testing.assert_frame_equal(t, again.table)
    page = answer_html(res)
    assert "Short answer" in page and "<table>" in page
    for r in t.itertuples():
        assert f"{r.effect:.2f}" in page


def test_answer_follows_decision_rule(frames):
    res = primary_tests(frames, n_surrogates=199, seed=1)
    fake = res.table.copy()
    fake.loc[0, ["p_holm", "effect_lo", "supported"]] = [0.001, 1.5, True]
    from analysis.inference.summary import PrimaryTests

    supported = PrimaryTests(table=fake, verdict="v", settings=res.settings)
    assert "more often than chance" in answer_html(supported)
    fake.loc[:, "supported"] = False
    fake.loc[:, "naive_pvalue"] = [0.001, 0.5, 0.5, np.nan]
    none = PrimaryTests(table=fake, verdict="v", settings=res.settings)
    assert "does not show releases timed" in answer_html(none)
    assert "naive test that ignores that bunching finds strong" in answer_html(none)
    fake.loc[:, "naive_pvalue"] = [0.4, 0.5, 0.5, np.nan]
    calm = PrimaryTests(table=fake, verdict="v", settings=res.settings)
    assert "Even a naive test" in answer_html(calm)


def test_compare_nulls_same_statistic_different_nulls():
    from analysis.inference.robustness import compare_nulls

    rd, ev = _toy()
    t = compare_nulls(
        rd["date"],
        ev["date"],
        7,
        direction="before",
        n_surrogates=499,
        seed=2,
        start="2015-01-01",
        end="2018-12-31",
    )
    assert list(t["null"]) == ["jitter", "circular_shift", "uniform", "poisson"]
    assert t["statistic"].nunique() == 1
    assert (t.set_index("null").loc["uniform", "pvalue"]) < 0.01  # planted effect
    w = compare_nulls(
        rd["date"],
        ev["date"],
        7,
        weights=rd["persons"],
        n_surrogates=199,
        seed=2,
        start="2015-01-01",
        end="2018-12-31",
    )
    assert "poisson" not in set(w["null"])
    with pytest.raises(ValueError, match="nulls contains"):
        compare_nulls(rd["date"], ev["date"], 7, nulls=("gaussian",))


def test_revolving_by_class_rows_and_notes():
    from analysis.timing.revolving import revolving_by_class

    days = np.arange(0, 400, 10)
    rng = np.random.default_rng(5)
    s = _stock(days, 100 + rng.normal(0, 3, days.size).cumsum())
    base = pd.Timestamp("2020-01-01")
    ev = pd.DataFrame(
        {
            "date": [base + pd.Timedelta(days=d) for d in (55, 155, 255, 355, 900)],
            "event_class": ["a", "a", "a", "a", "b"],
        }
    )
    t = revolving_by_class(s, ev, ["a", "b"], window=20, seed=0)
    assert list(t["event_class"]) == ["a", "b"]
    assert t.loc[0, "n_events"] == 4 and 0 <= t.loc[0, "pvalue"] <= 1
    assert t.loc[1, "note"] == "no event in the span of the counts"


def test_revolving_fft_null_equals_loop_over_shifts():
    from analysis.timing.revolving import _pre_mask

    rng = np.random.default_rng(9)
    days = np.unique(np.concatenate([[0], rng.choice(np.arange(1, 300), 40, replace=False), [300]]))
    s = _stock(days, 200 + rng.normal(0, 10, days.size).cumsum())
    ev = [pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(d)) for d in (40, 41, 150, 290)]
    r = revolving_door(s, ev, window=12, max_gap=30, seed=0)
    t = days
    gaps = np.diff(t)
    valid = gaps <= 30
    ends = t[1:][valid]
    rates = (np.diff(s.to_numpy())[valid] / gaps[valid]) * 30
    ind = np.zeros(301, dtype=np.int64)
    for d in (40, 41, 150, 290):
        ind[d] += 1
    brute = []
    for k in range(301):
        cum = np.concatenate([[0], np.cumsum(np.roll(ind, k))])
        pre = _pre_mask(ends, cum, 0, 12)
        brute.append(rates[pre].mean() - rates[~pre].mean() if 0 < pre.sum() < pre.size else np.nan)
    np.testing.assert_allclose(r.null_distribution, np.array(brute), rtol=1e-9, atol=1e-9)
    assert r.null_distribution[0] == pytest.approx(r.statistic)


def test_answer_escapes_small_p(frames):
    res = primary_tests(frames, n_surrogates=199, seed=1)
    fake = res.table.copy()
    fake.loc[0, "naive_pvalue"] = 0.0001
    from analysis.inference.summary import PrimaryTests

    page = answer_html(PrimaryTests(table=fake, verdict="v", settings=res.settings))
    assert "(p &lt; 0.001)" in page and "(p < 0.001)" not in page


def test_specification_curve_jitter_grid_drops_blind_windows_and_wy():
    rd, ev = _toy()
    res = specification_curve(
        rd,
        ev,
        windows=(3, 7, 14),
        directions=("before", "around"),
        nulls=("jitter", "uniform"),
        event_sets={"all": ["negotiation", "sanctions_relief"]},
        periods={"all": ("2015-01-01", "2018-12-31")},
        weightings=("episodes",),
        n_surrogates=199,
        jitter_days=(30, 60),
        seed=3,
    )
    t = res.table
    assert res.jitter_days == (30, 60)
    assert set(t.loc[t["null"] == "jitter", "jitter_days"]) == {30, 60}
    assert t.loc[t["null"] == "uniform", "jitter_days"].isna().all()
    # span: window + 1 (before), 2 * window + 1 (around); dropped when 2 * span >= bin
    span = np.where(t["direction"] == "around", 2 * t["window"] + 1, t["window"] + 1)
    blind = (t["null"] == "jitter") & (2 * span >= t["jitter_days"].fillna(10**6))
    assert blind.any()
    assert t.loc[blind, "skipped"].str.startswith("window wider than half the jitter bin").all()
    assert (t.loc[~blind, "skipped"] == "").all()
    ran = res.ran
    mc = ran["null"].isin(["jitter", "uniform"])
    # same shared draws: Westfall-Young never below the raw Monte Carlo p-value, above Holm's floor
    assert (ran.loc[mc, "p_wy"] >= ran.loc[mc, "pvalue"] - 1e-12).all()
    assert ran["p_wy"].notna().all()
    assert "Westfall-Young step-down max-T" in res.adjustment
    assert "dropped: window wider than half the jitter bin" in res.summary()
    assert "share_p_wy" in res.by("null").columns
    with pytest.raises(ValueError, match="familywise = 'bonferroni' is not allowed"):
        specification_curve(
            rd,
            ev,
            event_sets={"a": ["negotiation"]},
            periods={"p": ("2015-01-01", "2016-01-01")},
            familywise="bonferroni",
        )
    with pytest.raises(ValueError, match="jitter_days = 0"):
        specification_curve(
            rd,
            ev,
            event_sets={"a": ["negotiation"]},
            periods={"p": ("2015-01-01", "2016-01-01")},
            jitter_days=0,
        )
