"""Dyadic tests: foreign nationals released near their own country's events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.figures.dyadic import plot_dyadic_timeline
from analysis.inference.dyadic import stratified_timing
from analysis.timing.dyadic import (
    EU_MEMBERS,
    ISO3_CODES,
    dyadic_test,
    foreign_releases,
    own_channel_events,
)

D0 = pd.Timestamp("2020-01-01")


def _d(x) -> pd.Series:
    return D0 + pd.to_timedelta(np.asarray(x, dtype=np.int64), unit="D")


def _events(days, counterparts, event_class="negotiation") -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame(
        {
            "id": [f"dip-{i}" for i in range(n)],
            "date": _d(days),
            "date_precision": "day",
            "event_class": event_class,
            "counterparts": list(counterparts),
            "describes_release": False,
            "found_via": "event_search",
        }
    )


def _units(days, nationalities) -> pd.DataFrame:
    return pd.DataFrame({"date": _d(days), "nationality": list(nationalities)})


FAST = dict(n_sim=0, n_bootstrap=0)


def _toy():
    units = _units([12, 32, 52, 70], ["USA", "ESP", "ESP", "USA"])
    ev = _events([10, 50, 30], ["USA", "USA", "ESP"])
    return units, ev


def test_known_answer_labels_null():
    """USA events 10, 50; ESP event 30; releases USA@12 (hit), ESP@32 (hit), ESP@52, USA@70.

    Share 2/4. Under permutation each day is equally USA or ESP: hit probabilities 1/2, 1/2,
    1/2, 0 -> expected 3/8. Of the 6 assignments of {USA, USA, ESP, ESP}, 3 reach >= 2 hits.
    """
    res = dyadic_test(_toy(), 7, null="labels", n_surrogates=20000, seed=3, start=D0,
                      end=D0 + pd.Timedelta(days=99), **FAST)  # fmt: skip
    assert res.statistic == pytest.approx(0.5)
    assert res.expected == pytest.approx(0.375)
    assert res.ratio == pytest.approx(4 / 3)
    assert res.pvalue == pytest.approx(0.5, abs=0.02)
    assert res.n == 4 and res.n_nationalities == 2 and res.n_events == 3
    assert list(res.units["hit"]) == [True, True, False, False]
    assert res.max_ratio == pytest.approx(0.75 / 0.375)  # best assignment: 3 hits
    assert "own channel vs any channel" in res.null_assumption


def test_known_answer_jitter_null():
    """30-day bins from day 0: hit days are 10-17 (USA), 50-57 (USA), 30-37 (ESP).

    Reachable hit days per release: 8/30, 8/30, 8/30, 0/30 -> expected 0.2.
    """
    res = dyadic_test(_toy(), 7, null="jitter", jitter_days=30, n_surrogates=500, seed=3,
                      start=D0, end=D0 + pd.Timedelta(days=99), **FAST)  # fmt: skip
    assert res.statistic == pytest.approx(0.5)
    assert res.expected == pytest.approx(0.2)
    assert res.jitter_days == 30
    assert res.null_distribution.mean() == pytest.approx(0.2, abs=0.02)


def _world(rng, n_units=40, planted=True, n_countries=4, span=2000):
    """Own calendars for a few countries; releases near own events (planted) or near any."""
    codes = ["USA", "ESP", "COL", "BRA"][:n_countries]
    ev_days = {c: np.sort(rng.choice(np.arange(20, span - 20), 12, replace=False)) for c in codes}
    nat = rng.choice(codes, n_units)
    if planted:
        src = nat
    else:  # near an event of ANY country, nationality independent of it
        src = rng.choice(codes, n_units)
    days = np.array([rng.choice(ev_days[c]) + rng.integers(0, 8) for c in src])
    ev = _events(np.concatenate(list(ev_days.values())),
                 [c for c in codes for _ in ev_days[c]])  # fmt: skip
    return _units(days, nat), ev, span


@pytest.mark.parametrize("null", ["labels", "jitter"])
def test_planted_own_channel_effect_is_detected(null):
    units, ev, span = _world(np.random.default_rng(7))
    res = dyadic_test((units, ev), 7, null=null, n_surrogates=2000, seed=1, start=D0,
                      end=D0 + pd.Timedelta(days=span), jitter_days=60, n_sim=0)  # fmt: skip
    assert res.statistic == pytest.approx(1.0)
    assert res.pvalue < 0.01
    assert res.ratio > 1.5 and res.ratio_ci[0] > 1.0


@pytest.mark.slow
def test_labels_null_size_when_releases_sit_near_any_country():
    """Releases near events of any country equally: the labels null rejects about alpha."""
    rejections = []
    for rep in range(200):
        units, ev, span = _world(np.random.default_rng(1000 + rep), n_units=60, planted=False)
        res = dyadic_test((units, ev), 7, null="labels", n_surrogates=199, seed=rep,
                          start=D0, end=D0 + pd.Timedelta(days=span), **FAST)  # fmt: skip
        rejections.append(res.pvalue <= 0.05)
    assert 0.02 <= np.mean(rejections) <= 0.09


def test_near_any_country_is_not_own_channel_but_is_near_own_events():
    """The two nulls ask different questions: releases near any country's events (nationality
    independent) sit near their own country's events more than anywhere in the bin (jitter
    rejects) but no more than near the other nationalities' events (labels does not)."""
    units, ev, span = _world(np.random.default_rng(21), n_units=60, planted=False)
    kw = dict(n_surrogates=999, seed=4, start=D0, end=D0 + pd.Timedelta(days=span), **FAST)
    assert dyadic_test((units, ev), 7, null="jitter", jitter_days=60, **kw).pvalue < 0.01
    assert dyadic_test((units, ev), 7, null="labels", **kw).pvalue > 0.05


def test_mde_labels_and_jitter_are_reported():
    units, ev, span = _world(np.random.default_rng(3), n_units=30, planted=False)
    kw = dict(n_surrogates=199, seed=2, start=D0, end=D0 + pd.Timedelta(days=span),
              n_bootstrap=0, n_sim=300)  # fmt: skip
    lab = dyadic_test((units, ev), 7, null="labels", **kw)
    jit = dyadic_test((units, ev), 7, null="jitter", jitter_days=60, **kw)
    for res in (lab, jit):
        curve = res.power_curve
        assert curve["power"].iloc[0] <= 0.1  # no planting: the null's own rate
        assert curve["power"].iloc[-1] >= 0.8
        assert 1.0 < res.mde_ratio <= res.max_ratio + 1e-9
        assert 0 < res.mde_fraction <= 1
        assert "MDE" in res.summary()


def test_eu_members_match_eu_events():
    ev = _events([10, 40, 70], ["EU", "FRA", "USA;EU"])
    fra = own_channel_events(ev, "FRA")
    assert list(fra["id"]) == ["dip-0", "dip-1", "dip-2"]
    assert list(own_channel_events(ev, "FRA", eu_members_match_eu=False)["id"]) == ["dip-1"]
    assert list(own_channel_events(ev, "USA")["id"]) == ["dip-2"]  # not an EU member
    assert list(own_channel_events(ev, "GBR")["id"]) == []  # left the EU in 2020
    assert len(EU_MEMBERS) == 27 and EU_MEMBERS <= ISO3_CODES
    units = _units([12, 80], ["DEU", "USA"])
    on = dyadic_test((units, ev), 7, null="jitter", n_surrogates=99, seed=0, **FAST)
    off = dyadic_test((units, ev), 7, null="jitter", n_surrogates=99, seed=0,
                      eu_members_match_eu=False, **FAST)  # fmt: skip
    assert on.statistic == pytest.approx(0.5) and off.statistic == pytest.approx(0.0)


def test_own_channel_events_uses_classes_and_drops_release_events():
    ev = _events([10, 20, 30], ["USA", "USA", "USA"])
    ev.loc[1, "event_class"] = "sanctions_relief"
    ev.loc[2, "describes_release"] = True
    assert list(own_channel_events(ev, "USA")["id"]) == ["dip-0", "dip-1"]
    assert list(own_channel_events(ev, "USA", classes=["sanctions_relief"])["id"]) == ["dip-1"]


@pytest.mark.parametrize("code", ["XYZ", "usa", "US", "EU", None])
def test_unknown_nationality_code_raises(code):
    ev = _events([10], ["USA"])
    with pytest.raises(ValueError, match="nationality"):
        own_channel_events(ev, code)
    units = _units([12, 20], ["USA", code])
    with pytest.raises(ValueError, match="ISO 3166-1 alpha-3"):
        dyadic_test((units, ev), 7, n_surrogates=99, **FAST)


def test_no_foreign_releases_raises():
    ev = _events([10], ["USA"])
    empty = _units([], [])
    with pytest.raises(ValueError, match="no foreign-national releases"):
        dyadic_test((empty, ev), 7, n_surrogates=99, **FAST)
    units = _units([500], ["USA"])
    with pytest.raises(ValueError, match="no foreign-national releases"):
        dyadic_test((units, ev), 7, n_surrogates=99, end=D0 + pd.Timedelta(days=100), **FAST)


def test_bad_settings_raise_naming_the_parameter():
    units, ev = _toy()
    for kw, msg in [({"null": "uniform"}, "null"), ({"window": 0}, "window"),
                    ({"direction": "sideways"}, "direction"), ({"n_surrogates": 0}, "n_surrogates"),
                    ({"seed": -1}, "seed"), ({"n_sim": 5}, "n_sim"), ({"alpha": 2}, "alpha"),
                    ({"jitter_days": 0, "null": "jitter"}, "jitter_days")]:  # fmt: skip
        args = {"window": 7, "n_surrogates": 99} | kw
        with pytest.raises(ValueError, match=msg):
            dyadic_test((units, ev), **args)
    with pytest.raises(ValueError, match="at least two nationalities"):
        dyadic_test((_units([12], ["USA"]), ev), 7, n_surrogates=99, **FAST)
    with pytest.raises(ValueError, match="frames_or_tables"):
        dyadic_test("releases.csv", 7)


@pytest.mark.parametrize("null", ["labels", "jitter"])
def test_same_seed_same_result(null):
    units, ev, _ = _world(np.random.default_rng(5), n_units=20, planted=False)
    kw = dict(null=null, n_surrogates=300, seed=11, n_sim=200, n_bootstrap=300)
    a = dyadic_test((units, ev), 7, **kw)
    b = dyadic_test((units, ev), 7, **kw)
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert (a.pvalue, a.ratio_ci, a.mde_ratio) == (b.pvalue, b.ratio_ci, b.mde_ratio)
    pd.testing.assert_frame_equal(a.power_curve, b.power_curve)
    c = dyadic_test((units, ev), 7, **(kw | {"seed": 12}))
    assert not np.array_equal(a.null_distribution, c.null_distribution)


def _frames():
    rel = pd.DataFrame(
        {
            "id": ["rel-1", "rel-2", "rel-3", "rel-4"],
            "date": _d([12, 32, 52, 70]),
            "date_precision": ["day", "day", "day", "month"],
            "n_released": pd.array([3, 1, 5, 2], dtype="Int64"),
            "mechanism": "pardon",
            "foreigners_included": pd.array([True, True, False, True], dtype="boolean"),
            "high_value": pd.array([False, True, False, pd.NA], dtype="boolean"),
        }
    )
    nat = pd.DataFrame(
        {
            "id": ["nat-1", "nat-2", "nat-3", "nat-4"],
            "release_id": ["rel-1", "rel-1", "rel-2", "rel-4"],
            "date": _d([12, 12, 32, 70]),
            "nationality": ["USA", "ESP", "ESP", "USA"],
            "n_persons": pd.array([2, 1, pd.NA, 1], dtype="Int64"),
        }
    )
    return {"releases": rel, "release_nationalities": nat, "events": _toy()[1]}


def test_foreign_releases_joins_and_keeps_day_precision():
    out = foreign_releases(_frames())
    assert list(out.columns) == ["date", "nationality", "n_persons", "release_ids"]
    assert list(out["nationality"]) == ["ESP", "USA", "ESP"]  # the month-dated rel-4 is out
    assert out["n_persons"].iloc[0] == 1 and np.isnan(out["n_persons"].iloc[2])
    assert list(out["release_ids"]) == ["rel-1", "rel-1", "rel-2"]
    res = dyadic_test(_frames(), 7, n_surrogates=99, seed=0, **FAST)
    assert res.n == 3 and res.n_release_days == 2
    fr = _frames()
    fr["release_nationalities"].loc[0, "release_id"] = "rel-9"
    with pytest.raises(ValueError, match="rel-9"):
        foreign_releases(fr)
    with pytest.raises(ValueError, match="release_nationalities"):
        foreign_releases({"releases": fr["releases"]})


def test_result_summary_and_html():
    res = dyadic_test(_toy(), 7, n_surrogates=99, seed=0, n_sim=0)
    for text in (res.summary(), res._repr_html_()):
        assert "ratio" in text and "p-value" in text and "not computed" in text


def test_stratified_timing_table():
    rng = np.random.default_rng(0)
    n = 60
    days = np.sort(rng.choice(np.arange(0, 4000), n, replace=False))
    rel = pd.DataFrame(
        {
            "id": [f"rel-{i}" for i in range(n)],
            "date": pd.Timestamp("2014-01-01") + pd.to_timedelta(days, unit="D"),
            "date_precision": "day",
            "n_released": pd.array([1] * n, dtype="Int64"),
            "mechanism": "pardon",
            "foreigners_included": pd.array(rng.random(n) < 0.3, dtype="boolean"),
            "high_value": pd.array(rng.random(n) < 0.3, dtype="boolean"),
        }
    )
    ev_days = np.sort(rng.choice(np.arange(0, 4000), 40, replace=False))
    ev = _events(np.zeros(40), ["USA"] * 40)
    ev["date"] = pd.Timestamp("2014-01-01") + pd.to_timedelta(ev_days, unit="D")
    ev["event_class"] = np.where(np.arange(40) % 2, "negotiation", "sanctions_relief")
    res = stratified_timing({"releases": rel, "events": ev}, "v2",
                            ("all", "foreign", "high_value", "other"), seed=1,
                            n_surrogates=199, n_sim=0)  # fmt: skip
    t = res.table
    assert len(t) == 4 * 3 and set(t["hypothesis"]) == {"H1", "H2", "H3"}
    n_all = t.loc[t["stratum"] == "all", "n_release_days"].iloc[0]
    f, h = rel["foreigners_included"].to_numpy(bool), rel["high_value"].to_numpy(bool)
    assert n_all == n
    assert t.loc[t["stratum"] == "foreign", "n_release_days"].iloc[0] == f.sum()
    assert t.loc[t["stratum"] == "other", "n_release_days"].iloc[0] == (~f & ~h).sum()
    assert t["pvalue"].between(0, 1).all()
    assert "H1" in res.summary() and "<table" in res._repr_html_()
    with pytest.raises(ValueError, match="strata"):
        stratified_timing({"releases": rel, "events": ev}, strata=("foreigners",))


def test_plot_dyadic_timeline_returns_figure():
    fig = plot_dyadic_timeline(_frames())
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["USA", "ESP"]  # ESP on top


def test_iso3_codes_match_pycountry():
    """The validation list equals ISO 3166-1 as published by pycountry, plus Kosovo (XKX)."""
    pycountry = pytest.importorskip("pycountry")
    from analysis.record.schemas import ISO3_CODES

    assert ISO3_CODES == {c.alpha_3 for c in pycountry.countries} | {"XKX"}


def test_dyadic_family_on_the_record_and_its_answer():
    from pathlib import Path

    from analysis.inference.dyadic import dyadic_answer_html, dyadic_family
    from analysis.record import data

    root = Path(__file__).resolve().parents[1]
    frames = data.load_raw(root)
    frames["events"] = data.event_calendar(frames)
    fam = dyadic_family(frames, n_surrogates=199, seed=2)
    assert list(fam["id"]) == ["D1", "D2"] and list(fam["null"]) == ["labels", "jitter"]
    assert (fam["p_holm"] >= fam["pvalue"] - 1e-12).all()
    assert ((fam["p_holm"] < 0.05) & (fam["ratio_lo"] > 1)).eq(fam["supported"]).all()
    # every row says what it could have detected at the rule's level (Holm's first step, 0.025)
    assert (fam["rule_alpha"] == 0.025).all()
    assert (fam["mde_rule"] >= fam["mde_05"] - 1e-9).all()
    assert fam["power_observed"].between(0, 1).all()
    again = dyadic_family(frames, n_surrogates=199, seed=2)
    pd.testing.assert_frame_equal(fam, again)
    page = dyadic_answer_html(fam)
    assert "D1 (labels null)" in page and "D2 (jitter null)" in page
    assert "not run" in dyadic_answer_html(None, "belarus")
    with pytest.raises(ValueError, match="no dyadic hypothesis"):
        dyadic_family(frames, plan="v2")


def test_moved_plan_functions_stay_reachable_from_the_timing_module():
    import analysis.timing.dyadic as td
    from analysis.inference import dyadic as idy

    for name in ("stratified_timing", "dyadic_family", "dyadic_answer_html",
                 "StratifiedTimingResult"):  # fmt: skip
        assert getattr(td, name) is getattr(idy, name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        td.nope  # noqa: B018
