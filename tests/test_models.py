"""Tests of analysis.models.counts (weekly panel, count GLMs, cross-correlation, Granger) and
figures."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.figures.models import plot_ccf, plot_irr
from analysis.models.counts import (
    CountModelResult,
    build_weekly_panel,
    count_model,
    cross_correlation,
    granger,
)
from analysis.timing.calendar import weekly_counts

# ----------------------------------------------------------------------------- panel


def test_panel_hand_placed_event():
    # 2024-01-01 is a Monday; 8 full weeks to Sunday 2024-02-25; event on Wed 2024-01-24 (week 3)
    panel = build_weekly_panel(
        ["2024-01-02", "2024-01-03", "2024-02-20"],
        {"talks": ["2024-01-24"]},
        "2024-01-01",
        "2024-02-25",
        weights=[5, 1, 10],
    )
    assert len(panel) == 8
    assert panel.index[0] == pd.Timestamp("2024-01-01") and panel.index.name == "week"
    assert panel["episodes"].tolist() == [2, 0, 0, 0, 0, 0, 0, 1]
    assert panel["persons"].tolist() == [6, 0, 0, 0, 0, 0, 0, 10]
    assert panel["days"].tolist() == [7] * 8
    assert panel["talks_lead1_2"].tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    assert panel["talks_lag0_0"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0]
    assert panel["talks_lag1_2"].tolist() == [0, 0, 0, 0, 1, 1, 0, 0]
    assert panel["talks_lag3_4"].tolist() == [0, 0, 0, 0, 0, 0, 1, 1]
    np.testing.assert_allclose(panel["trend"], np.arange(8) * 7 / 365.25)
    assert panel["december"].sum() == 0 and panel["early_july"].sum() == 0
    assert list(panel.columns) == [
        "episodes",
        "persons",
        "days",
        "trend",
        "december",
        "early_july",
        "talks_lead1_2",
        "talks_lag0_0",
        "talks_lag1_2",
        "talks_lag3_4",
    ]


def test_panel_matches_weekly_counts_and_partial_weeks():
    rel = ["2023-12-06", "2023-12-06", "2024-01-10", "2024-01-12"]
    panel = build_weekly_panel(rel, {}, "2023-12-06", "2024-01-16")
    wc = weekly_counts(rel, "2023-12-06", "2024-01-16")
    np.testing.assert_array_equal(panel["episodes"].to_numpy(), wc.to_numpy())
    assert panel.index.equals(wc.index)
    # Wed 2023-12-06 starts the period: first week has 5 observed days; last week Mon-Tue: 2
    assert panel["days"].iloc[0] == 5 and panel["days"].iloc[-1] == 2
    # weeks whose Thursday is in December: Mondays 12-04 .. 12-25 (Thu 12-28); not 2024-01-01
    dec = panel.loc[panel["december"] == 1].index
    assert [d.strftime("%m-%d") for d in dec] == ["12-04", "12-11", "12-18", "12-25"]


def test_panel_early_july_and_out_of_period_event():
    panel = build_weekly_panel(
        [], {"vote": ["2024-07-24"]}, "2024-06-17", "2024-07-21", leads=[(1, 1)], lags=[]
    )
    flagged = panel.index[panel["early_july"] == 1]
    assert [d.strftime("%m-%d") for d in flagged] == ["07-01"]  # Mon 1 - Sun 7 July 2024
    # the event lies one week after the last week: only the last week's 1-week lead is set
    assert panel["vote_lead1_1"].tolist() == [0, 0, 0, 0, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event_classes": {"bad name": []}}, "event_classes key 'bad name' is not allowed"),
        ({"event_classes": [1, 2]}, "event_classes must be a dict"),
        ({"leads": [(2, 1)]}, r"leads contains \(2, 1\)"),
        ({"lags": "soon"}, "lags = 'soon' is not allowed"),
        ({"weights": [1]}, "weights has length 1"),
        ({"releases": ["2025-01-01"]}, r"releases\[0\] = 2025-01-01 lies outside"),
        ({"end": "2023-01-01"}, "before start"),
    ],
)
def test_panel_bad_input(kwargs, message):
    args = {
        "releases": ["2024-01-02", "2024-01-09"],
        "event_classes": {"talks": ["2024-01-24"]},
        "start": "2024-01-01",
        "end": "2024-02-25",
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        build_weekly_panel(**args)


# ----------------------------------------------------------------------------- count models


def simulated_panel(seed: int, irr_lead: float, alpha: float | None = None, base: float = 0.4):
    """~10 years of weeks with 60 random events; weekly rate base * irr_lead^lead1_2."""
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2014-01-06"), pd.Timestamp("2023-12-31")
    ev = start + pd.to_timedelta(rng.choice(3600, 60, replace=False), "D")
    panel = build_weekly_panel([], {"sanctions": ev}, start, end)
    mu = base * irr_lead ** panel["sanctions_lead1_2"].to_numpy() * panel["days"] / 7
    if alpha is not None:  # gamma-Poisson mixture: NB2 with this alpha
        mu = mu * rng.gamma(1 / alpha, alpha, size=mu.size)
    panel["episodes"] = rng.poisson(mu)
    return panel


def test_poisson_recovers_planted_lead_irr():
    panel = simulated_panel(seed=7, irr_lead=2.5)
    res = count_model(panel, "poisson")
    assert isinstance(res, CountModelResult)
    row = res.table.loc["sanctions_lead1_2"]
    assert row["ci_low"] < 2.5 < row["ci_high"]
    assert abs(np.log(row["irr"]) - np.log(2.5)) < 0.3
    assert row["p_value"] < 1e-4
    # baseline rate per day (exposure offset) near 0.4 / 7
    assert res.table.loc["const", "irr"] == pytest.approx(0.4 / 7, rel=0.3)
    assert res.n_weeks == len(panel)
    assert 0.8 < res.dispersion < 1.2
    assert res.alpha is None and res.converged


def test_poisson_hac_ci_coverage():
    # over 40 simulated panels the 95% HAC intervals cover the truth most of the time, for the
    # planted lead (IRR 2.5) and for a term without effect (IRR 1); sparse dummies make HAC
    # somewhat anti-conservative, hence the loose bound
    hits = {"sanctions_lead1_2": 0, "sanctions_lag3_4": 0}
    truth = {"sanctions_lead1_2": 2.5, "sanctions_lag3_4": 1.0}
    for seed in range(40):
        tab = count_model(simulated_panel(seed=100 + seed, irr_lead=2.5)).table
        for term in hits:
            hits[term] += int(tab.loc[term, "ci_low"] < truth[term] < tab.loc[term, "ci_high"])
    assert hits["sanctions_lead1_2"] >= 33
    assert hits["sanctions_lag3_4"] >= 30


def test_negbin_beats_poisson_on_overdispersed_data():
    panel = simulated_panel(seed=3, irr_lead=2.0, alpha=2.0, base=1.0)
    pois = count_model(panel, "poisson")
    nb = count_model(panel, "negbin")
    assert pois.dispersion > 2.0
    assert nb.aic < pois.aic - 20
    assert 1.0 < nb.alpha < 4.0
    assert abs(nb.dispersion - 1) < abs(pois.dispersion - 1)
    row = nb.table.loc["sanctions_lead1_2"]
    assert row["ci_low"] < 2.0 < row["ci_high"]
    assert "negative binomial" in nb.summary()
    # same alpha and coefficients as statsmodels' discrete NB2 maximum likelihood
    X = sm.add_constant(panel[list(nb.terms)].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.NegativeBinomial(
            panel["episodes"].astype(float), X, offset=np.log(panel["days"])
        ).fit(disp=0, maxiter=500)
    assert nb.alpha == pytest.approx(ref.params.iloc[-1], rel=1e-3)
    np.testing.assert_allclose(nb.table["coef"], ref.params.iloc[:-1], atol=2e-3)


def test_hac_changes_se_not_irr():
    panel = simulated_panel(seed=5, irr_lead=1.5)
    a = count_model(panel, hac_lags=0)
    b = count_model(panel, hac_lags=8)
    np.testing.assert_allclose(a.table["irr"], b.table["irr"])
    assert not np.allclose(a.table["se"], b.table["se"])


def test_terms_selection_constant_dropped_and_summary():
    panel = simulated_panel(seed=5, irr_lead=1.5)
    panel["never"] = 0
    res = count_model(panel, terms=["sanctions_lead1_2", "never"])
    assert res.terms == ("sanctions_lead1_2",)
    assert res.dropped_terms == ("never",)
    assert list(res.table.index) == ["const", "sanctions_lead1_2"]
    text = str(res)
    assert "IRR = 1" in text and "HAC" in text and "Dropped (constant): never" in text
    assert res._repr_html_().startswith("<pre>")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"family": "gaussian"}, "family = 'gaussian' is not allowed"),
        ({"outcome": "deaths"}, "outcome = 'deaths' is not allowed"),
        ({"outcome": "persons"}, "outcome = 'persons' is not a column"),
        ({"hac_lags": -1}, "hac_lags = -1 is not allowed"),
        ({"terms": ["episodes"]}, "terms contains 'episodes'"),
        ({"terms": ["nope"]}, "terms contains 'nope'"),
        ({"exposure": "hours"}, "exposure = 'hours' is not a column"),
    ],
)
def test_count_model_bad_input(kwargs, message):
    panel = simulated_panel(seed=1, irr_lead=1.0)
    with pytest.raises(ValueError, match=message):
        count_model(panel, **kwargs)


def test_count_model_collinear_and_negative():
    panel = simulated_panel(seed=1, irr_lead=1.0)
    panel["copy"] = panel["sanctions_lead1_2"]
    with pytest.raises(ValueError, match="collinear"):
        count_model(panel)
    panel = simulated_panel(seed=1, irr_lead=1.0)
    panel.loc[panel.index[3], "episodes"] = -1
    with pytest.raises(ValueError, match="must be finite and >= 0"):
        count_model(panel)


# ----------------------------------------------------------------------------- cross-correlation


def planted_pair(seed: int, lag: int, n: int = 400):
    rng = np.random.default_rng(seed)
    x = rng.poisson(0.3, n).astype(float)
    y = np.roll(x, lag) * 2 + rng.poisson(0.3, n)  # y_t depends on x_{t-lag}
    return x, y


@pytest.mark.parametrize("method", ["circular", "block"])
@pytest.mark.parametrize("lag", [3, -2])
def test_ccf_peak_at_planted_lag(method, lag):
    x, y = planted_pair(seed=4, lag=lag)
    res = cross_correlation(x, y, max_lag=8, n_surrogates=300, seed=1, method=method)
    assert res.peak_lag == lag
    assert res.p_global < 0.01
    j = list(res.lags).index(lag)
    assert res.ccf[j] > res.band_high[j]
    assert res.p_pointwise[j] < 0.01


def test_ccf_lag0_is_pearson_and_reproducible():
    x, y = planted_pair(seed=9, lag=0)
    a = cross_correlation(x, y, 5, 200, seed=3)
    b = cross_correlation(x, y, 5, 200, seed=3)
    c = cross_correlation(x, y, 5, 200, seed=4)
    assert a.ccf[5] == pytest.approx(np.corrcoef(x, y)[0, 1])
    np.testing.assert_array_equal(a.band_low, b.band_low)
    assert not np.array_equal(a.band_low, c.band_low)
    assert "x leads" in a.summary()
    assert list(a.to_frame().index) == list(range(-5, 6))


def test_ccf_no_relation_not_significant():
    rng = np.random.default_rng(21)
    x, y = rng.poisson(0.5, 300).astype(float), rng.poisson(0.5, 300).astype(float)
    res = cross_correlation(x, y, 8, 500, seed=0)
    assert res.p_global > 0.05


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=12, max_size=60),
    st.integers(0, 4),
)
def test_ccf_bounded_property(values, max_lag):
    x = np.asarray(values)
    y = np.roll(x, 1) + np.arange(x.size) % 3
    if np.ptp(x) < 1e-6 or np.ptp(y) < 1e-6:
        return
    res = cross_correlation(x, y, max_lag, 5, seed=0)
    assert np.all(np.abs(res.ccf) <= 1 + 1e-9)
    assert np.all((res.p_pointwise > 0) & (res.p_pointwise <= 1))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1.0, 2, 3], [1.0, 2]), {}, "x has length 3 but y has length 2"),
        (([1.0] * 30, list(range(30))), {}, "x is constant"),
        (([1.0, np.nan] * 15, list(range(30))), {}, r"x\[1\] = nan"),
        ((list(range(10)), list(range(10))), {"max_lag": 5}, "max_lag = 5 is too large"),
        ((list(range(30)), list(range(30))), {"max_lag": -1}, "max_lag = -1"),
        ((list(range(30)), list(range(30))), {"method": "phase"}, "method = 'phase'"),
        ((list(range(30)), list(range(30))), {"block_size": 0}, "block_size = 0"),
        ((list(range(30)), list(range(30))), {"n_surrogates": 0}, "n_surrogates = 0"),
    ],
)
def test_ccf_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cross_correlation(*args, **kwargs)


def test_ccf_series_must_align():
    x = pd.Series(np.arange(30.0), index=range(30))
    y = pd.Series(np.arange(30.0) ** 2, index=range(1, 31))
    with pytest.raises(ValueError, match="different indexes"):
        cross_correlation(x, y, 3, 10)


# ----------------------------------------------------------------------------- Granger


def test_granger_detects_planted_direction_only():
    rng = np.random.default_rng(12)
    n = 400
    x = rng.normal(size=n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.3 * y[t - 1] + 0.6 * x[t - 1] + rng.normal()
    res = granger(x, y, max_lag=3, x_name="events", y_name="releases")
    assert (res.p_values("x -> y") < 1e-6).all()
    assert (res.p_values("y -> x") > 0.05).all()
    assert len(res.table) == 6
    text = res.summary()
    assert "events -> releases" in text and "predictive, not causal" in text
    assert "sparse" in text


def test_granger_zero_share_and_bad_input():
    rng = np.random.default_rng(0)
    x = (rng.random(200) < 0.1).astype(float)
    y = rng.poisson(0.2, 200).astype(float)
    res = granger(x, y, 2)
    assert res.zero_share_x == pytest.approx(np.mean(x == 0))
    with pytest.raises(ValueError, match="max_lag = 0 is not allowed"):
        granger(x, y, 0)
    with pytest.raises(ValueError, match="max_lag = 10 is too large"):
        granger(x[:20], y[:20], 10)
    with pytest.raises(ValueError, match="direction = 'both'"):
        res.p_values("both")


# ----------------------------------------------------------------------------- figures


def test_plots_irr_and_ccf():
    res = count_model(simulated_panel(seed=7, irr_lead=2.5))
    fig = plot_irr(res)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert "const" not in [t.get_text() for t in ax.get_yticklabels()]
    x, y = planted_pair(seed=4, lag=3)
    fig = plot_ccf(cross_correlation(x, y, 6, 50, seed=0))
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(ValueError, match="needs a CountModelResult"):
        plot_irr(fig)  # type: ignore[arg-type]


def test_negbin_persons_heavy_tailed_converges():
    # lognormal batch sizes: plain IRLS oscillates here; count_model refines by Newton
    rng = np.random.default_rng(1)
    start, end = pd.Timestamp("2014-01-06"), pd.Timestamp("2025-12-28")
    rel = start + pd.to_timedelta(rng.integers(0, 4300, 90), "D")
    w = np.round(np.exp(rng.normal(1.5, 1.8, 90))) + 1
    ev = {
        "s": start + pd.to_timedelta(rng.integers(0, 4300, 100), "D"),
        "d": start + pd.to_timedelta(rng.integers(0, 4300, 140), "D"),
    }
    panel = build_weekly_panel(rel, ev, start, end, weights=w)
    res = count_model(panel, "negbin", "persons")
    assert res.converged
    assert res.alpha > 5  # strongly overdispersed persons counts
    X = sm.add_constant(panel[list(res.terms)].astype(float))
    fam = sm.families.NegativeBinomial(alpha=res.alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        irls = sm.GLM(panel["persons"], X, family=fam, offset=np.log(panel["days"])).fit()
    assert not irls.converged
    assert res.llf >= irls.llf - 1e-9


def test_flow_outcome_known_answer_and_model():
    from analysis.models.counts import add_flow_outcome

    panel = build_weekly_panel(["2025-01-08"], {"talks": ["2025-01-06"]}, "2025-01-06",
                               "2025-03-02")  # fmt: skip
    flows = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"],
        "reported_by": ["foro_penal"] * 4 + ["government"],
        "measure": ["releases", "releases", "releases", "arrests", "releases"],
        "period_start": pd.to_datetime(["2025-01-13", "2025-01-15", "2025-01-27", "2025-01-27",
                                        "2025-01-27"]),
        "period_end": pd.to_datetime(["2025-01-16", "2025-01-17", "2025-02-02", "2025-02-02",
                                      "2025-02-02"]),
        "days": [4, 3, 7, 7, 7],
        "value": [10.0, 4.0, 3.0, 99.0, 50.0],
        "derivation": ["as_reported"] * 5,
    })  # fmt: skip
    out = add_flow_outcome(panel, flows)
    got = out["ngo_releases"]
    assert got[pd.Timestamp("2025-01-13")] == 10.0  # overlapping reports count once (largest)
    assert got[pd.Timestamp("2025-01-27")] == 3.0  # arrests and other reporters left out
    assert got.isna().sum() == len(panel) - 2  # weeks without a report stay missing
    assert "ngo_releases" not in panel.columns
    # a year of weekly bulletins, every other week: the model uses only the reported weeks
    year = build_weekly_panel(["2024-03-05"], {"talks": ["2024-02-01", "2024-06-01"]},
                              "2024-01-01", "2024-12-29")  # fmt: skip
    ends = year.index[::2] + pd.Timedelta(days=6)
    rng = np.random.default_rng(1)
    weekly = pd.DataFrame({"id": [f"w{i}" for i in range(len(ends))], "reported_by": "foro_penal",
                           "measure": "releases", "period_start": ends - pd.Timedelta(days=6),
                           "period_end": ends, "days": 7,
                           "value": rng.poisson(3, len(ends)).astype(float),
                           "derivation": "as_reported"})  # fmt: skip
    res = count_model(add_flow_outcome(year, weekly), "poisson", "ngo_releases", 2)
    assert res.n_weeks == len(ends) < len(year)
    with pytest.raises(ValueError, match="measure"):
        add_flow_outcome(panel, flows, measure="deaths")
    with pytest.raises(ValueError, match="max_days"):
        add_flow_outcome(panel, flows, max_days=0)
