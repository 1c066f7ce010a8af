"""Tests of analysis.models.conditional (daily design, conditional Poisson lag profile) and its
figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy import stats
from statsmodels.discrete.conditional_models import ConditionalPoisson

from analysis.figures.models import plot_lag_profile
from analysis.models.conditional import (
    LagProfileResult,
    build_daily_design,
    conditional_loglike,
    conditional_poisson,
    lag_bins,
    lag_profile,
)

START = int(np.datetime64("2020-01-01", "D").astype(np.int64))  # day number, a Wednesday


def _period(years: int) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of ``years`` years from 2020-01-01 and their month codes."""
    days = np.arange(START, START + round(365.25 * years))
    months = pd.factorize(pd.DatetimeIndex(days.astype("datetime64[D]")).to_period("M"))[0]
    return days, months


# ----------------------------------------------------------------------------- design


def test_lag_bins_anchored_at_zero_and_cut_at_limits():
    assert lag_bins((-10, 8), 7) == [(-10, -8), (-7, -1), (0, 6), (7, 8)]
    assert lag_bins((-30, 30), 7)[4:6] == [(-7, -1), (0, 6)]
    assert lag_bins((0, 0), 1) == [(0, 0)]


def test_design_lag_convention_hand_placed():
    # event on 2020-01-11 (day 10 of the period); lag = release day - event day
    d = build_daily_design(
        ["2020-01-12", "2020-01-12", "2020-02-05"],
        {"talks": ["2020-01-11"]},
        "2020-01-01",
        "2020-02-29",
        lags=(-7, 6),
        persons=[3, 4, 10],
    )
    assert len(d) == 60 and d.index[0] == pd.Timestamp("2020-01-01")
    assert list(d.columns) == ["release", "persons", "stratum", "talks_lag-7_-1", "talks_lag+0_+6"]
    assert d["release"].sum() == 2 and d.loc["2020-01-12", "persons"] == 7  # repeated day: once
    after = d.index[d["talks_lag+0_+6"] == 1]
    before = d.index[d["talks_lag-7_-1"] == 1]
    assert after.min() == pd.Timestamp("2020-01-11") and after.max() == pd.Timestamp("2020-01-17")
    assert before.min() == pd.Timestamp("2020-01-04") and before.max() == pd.Timestamp("2020-01-10")
    assert d["stratum"].iloc[[0, -1]].tolist() == ["2020-01", "2020-02"]
    assert d.attrs["outcome"] == "persons"
    assert d.attrs["terms"]["talks_lag+0_+6"] == ("talks", 0, 6)


def test_design_day_strata_and_dataframe_events():
    ev = pd.DataFrame({"date": ["2020-01-05", "2020-01-20"], "event_class": ["a", "b"]})
    d = build_daily_design(
        ["2020-01-03"], ev, "2020-01-01", "2020-01-25", lags=(0, 3), strata="days", strata_days=10
    )
    assert d["stratum"].nunique() == 3 and (d["stratum"].iloc[:10] == "2020-01-01").all()
    assert d["a_lag+0_+3"].sum() == 4 and d["b_lag+0_+3"].sum() == 4


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"release_days": []}, "release_days"),
        ({"release_days": ["2019-12-31"]}, "release_days"),
        ({"lags": (30, -30)}, "lags"),
        ({"lags": 7}, "lags"),
        ({"bin_width": 0}, "bin_width"),
        ({"bin_width": 2.5}, "bin_width"),
        ({"strata": "week"}, "strata"),
        ({"strata": "days", "strata_days": 1}, "strata_days"),
        ({"events_by_class": {}}, "events_by_class"),
        ({"events_by_class": {"a": []}}, "events_by_class"),
        ({"end": "2019-01-01"}, "end"),
        ({"persons": [1, 2]}, "weights"),
    ],
)
def test_design_malformed_input_names_the_parameter(kwargs, name):
    args = {
        "release_days": ["2020-01-10"],
        "events_by_class": {"a": ["2020-01-05"]},
        "start": "2020-01-01",
        "end": "2020-03-31",
    } | kwargs
    with pytest.raises(ValueError, match=name):
        build_daily_design(**args)


def test_fit_malformed_input():
    with pytest.raises(ValueError, match="design"):
        conditional_poisson(pd.DataFrame({"release": [0, 1]}))
    d = build_daily_design(["2020-01-10"], {"a": ["2020-01-05"]}, "2020-01-01", "2020-01-31")
    with pytest.raises(ValueError, match="level"):
        conditional_poisson(d, level=1.5)
    # the only event is far from every stratum with a release: nothing to estimate
    with pytest.raises(ValueError, match="no event indicator is identified"):
        lag_profile(["2020-01-10"], {"a": ["2020-06-01"]}, "2020-01-01", "2020-07-31")


# ----------------------------------------------------------------------------- likelihood


def test_null_loglike_is_uniform_multinomial():
    rng = np.random.default_rng(3)
    groups = np.repeat([0, 1, 2], [31, 28, 30])
    y = rng.poisson(0.3, groups.size).astype(float)
    total = np.bincount(groups, y)
    sizes = np.bincount(groups)
    expected = -np.sum(total * np.log(sizes))
    assert conditional_loglike(y, np.zeros(y.size), groups) == pytest.approx(expected)
    X = rng.integers(0, 2, (y.size, 1)).astype(float)
    assert ConditionalPoisson(y, X, groups=groups).loglike(np.zeros(1)) == pytest.approx(expected)
    # and it is the multinomial log-probability up to a constant that cancels in the LR
    beta = 0.7
    eta = X[:, 0] * beta
    gap = conditional_loglike(y, eta, groups) - conditional_loglike(y, 0 * eta, groups)
    direct = 0.0
    for g in range(3):
        yg, eg = y[groups == g], np.exp(eta[groups == g])
        n = int(yg.sum())
        direct += stats.multinomial.logpmf(yg, n, eg / eg.sum())
        direct -= stats.multinomial.logpmf(yg, n, np.full(yg.size, 1 / yg.size))
    assert gap == pytest.approx(direct)
    assert ConditionalPoisson(y, X, groups=groups).loglike(np.array([beta])) == pytest.approx(
        conditional_loglike(y, eta, groups)
    )


# ----------------------------------------------------------------------------- known answers


def test_known_answer_releases_follow_events():
    rng = np.random.default_rng(11)
    days, _ = _period(3)
    events = START + 20 + 45 * np.arange(23) + rng.integers(0, 10, 23)
    after = (events[:, None] + np.arange(7)).ravel()
    rel = np.union1d(days[rng.random(days.size) < 0.02], after[rng.random(after.size) < 0.4])
    res = lag_profile(rel, {"talks": events}, int(days[0]), int(days[-1]), lags=(-14, 13))
    row = res.table.set_index("term").loc["talks_lag+0_+6"]
    assert row["status"] == "estimated" and row["irr"] > 10 and row["irr_lo"] > 4
    assert res.lr_pvalue < 0.001 and res.lr_df == 4
    others = res.table[res.table["term"] != "talks_lag+0_+6"]
    assert (others["irr_lo"] < 1).all() and (others["irr_hi"] > 1).all()
    assert res.n_release_days == rel.size and res.n_days == days.size
    assert "LR test" in res.summary() and "Poisson" in res._repr_html_()


def test_null_size_with_shared_monthly_surges():
    """Releases independent of events given a common monthly surge: LR size near 0.05."""
    days, months = _period(4)
    pvalues = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        surge = rng.gamma(0.7, 1 / 0.7, months.max() + 1)[months]
        rel = days[rng.random(days.size) < np.minimum(0.04 * surge, 0.5)]
        ev = {c: days[rng.random(days.size) < 0.02 * surge] for c in ("a", "b")}
        res = lag_profile(rel, ev, int(days[0]), int(days[-1]), lags=(-14, 13))
        pvalues.append(res.lr_pvalue)
    size = np.mean(np.array(pvalues) < 0.05)
    assert 0.01 <= size <= 0.10


def test_strata_absorb_a_surge():
    """More releases in months with many events: the unconditional GLM IRR is biased upwards,
    the conditional IRR stays near 1."""
    rng = np.random.default_rng(5)
    days, months = _period(6)
    hot = (rng.random(months.max() + 1) < 0.5)[months]
    dom = pd.DatetimeIndex(days.astype("datetime64[D]")).day.to_numpy()
    rel = days[rng.random(days.size) < np.where(hot, 0.10, 0.01)]
    ev = days[hot & (dom <= 20) & (rng.random(days.size) < 0.25)]  # lag 0..6 stays in the month
    d = build_daily_design(rel, {"talks": ev}, int(days[0]), int(days[-1]), lags=(0, 6))
    glm = sm.GLM(d["release"], sm.add_constant(d[["talks_lag+0_+6"]]), family=sm.families.Poisson())
    glm_irr = float(np.exp(glm.fit().params["talks_lag+0_+6"]))
    row = conditional_poisson(d).table.iloc[0]
    assert glm_irr > 2.5
    assert 0.6 < row["irr"] < 1.6 and row["irr_lo"] < 1 < row["irr_hi"]


def test_boundary_and_unidentified_bins_are_reported_not_fatal():
    rng = np.random.default_rng(2)
    days, _ = _period(2)
    rel = days[rng.random(days.size) < 0.05]
    talks = START + 30 + 60 * np.arange(11)
    quiet = rel[:1] + 100  # keep its lag -7..-1 window free of releases
    rel = np.setdiff1d(rel, quiet[0] + np.arange(-7, 0))
    far = [START - 400]  # out of reach of every in-period day
    res = lag_profile(
        rel, {"talks": talks, "quiet": quiet, "far": far}, int(days[0]), int(days[-1]), lags=(-7, 6)
    )
    status = res.table.set_index("term")["status"]
    assert status["quiet_lag-7_-1"] == "zero" and res.irr["quiet_lag-7_-1"] == 0
    assert status["far_lag+0_+6"] == "not_identified" and np.isnan(res.irr["far_lag+0_+6"])
    assert status["talks_lag+0_+6"] == "estimated"
    assert any("not_identified" in n for n in res.notes) and any("zero" in n for n in res.notes)
    assert np.isfinite(res.lr_statistic) and res.lr_df == int(
        status.isin(["estimated", "zero"]).sum()
    )
    assert res.converged
    # the boundary limit: the same likelihood as the indicator with a very negative coefficient
    d = build_daily_design(
        rel, {"talks": talks, "quiet": quiet}, int(days[0]), int(days[-1]), lags=(-7, 6)
    )
    limit = conditional_poisson(d)
    coef = limit.table["coef"].fillna(-40.0).to_numpy()  # boundary terms: log IRR -> -inf
    groups = pd.factorize(d["stratum"])[0]
    eta = d[limit.table["term"]].to_numpy(float) @ coef
    assert limit.table["status"].eq("zero").any()
    assert conditional_loglike(d["release"].to_numpy(float), eta, groups) == pytest.approx(
        limit.llf, abs=1e-6
    )


# ----------------------------------------------------------------------------- figure


def test_plot_lag_profile():
    rng = np.random.default_rng(1)
    days, _ = _period(2)
    rel = days[rng.random(days.size) < 0.05]
    ev = {"a": START + 15 + 40 * np.arange(18), "b": START + 35 + 50 * np.arange(14)}
    res = lag_profile(rel, ev, int(days[0]), int(days[-1]), lags=(-14, 13))
    assert isinstance(res, LagProfileResult)
    fig = plot_lag_profile(res)
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_yscale() == "log"
    assert any(np.allclose(line.get_ydata(), 1) for line in ax.get_lines())
    assert "LR p" in ax.get_title()
    with pytest.raises(ValueError, match="LagProfileResult"):
        plot_lag_profile("not a result")
