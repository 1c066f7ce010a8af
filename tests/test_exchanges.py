"""E1 (documented exchanges) and E2 (timing beyond them) keep a handover apart from timing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.inference.completeness import (
    chapman,
    completeness_by_country,
    completeness_markdown,
    record_completeness,
)
from analysis.inference.multitest import adjust, hierarchical_rule
from analysis.timing.exchanges import documented_exchanges, timing_events, timing_releases


def _frames() -> dict[str, pd.DataFrame]:
    rel = pd.DataFrame(
        {
            "id": ["rel-20200105-1", "rel-20200301-1", "rel-20200601-1", "rel-20200601-2",
                   "rel-20201224-1", "rel-20201001-1"],
            "date": pd.to_datetime(["2020-01-05", "2020-03-01", "2020-06-01", "2020-06-01",
                                    "2020-12-24", "2020-10-01"]),
            "date_precision": ["day"] * 6,
            "n_released": pd.array([6, 2, 10, 1, 30, 1], dtype="Int64"),
            "mechanism": ["exile", "court_order", "pardon", "pardon", "pardon", "unknown"],
            "exchange_event_id": pd.array(["dip-20200105-1", None, None, None, None, None],
                                          dtype="string"),
            "occasion": pd.array(["exchange", "court_decision", "unknown", "unknown", "holiday",
                                  "unknown"], dtype="string"),
            "short_detention": pd.array([False, False, False, False, False, True],
                                        dtype="boolean"),
            "sweep_found": pd.array([True, False, True, True, True, False], dtype="boolean"),
        }
    )  # fmt: skip
    ev = pd.DataFrame(
        {
            "id": ["dip-20200105-1", "dip-20200228-1", "san-20200530-1"],
            "date": pd.to_datetime(["2020-01-05", "2020-02-28", "2020-05-30"]),
            "date_precision": ["day"] * 3,
            "event_class": pd.array(["envoy_visit", "negotiation", "sanctions_relief"],
                                    dtype="string"),
            "describes_release": pd.array([True, False, False], dtype="boolean"),
            "found_via": pd.array(["event_search"] * 3, dtype="string"),
            "exchange_role": pd.array(["handover", "none", "none"], dtype="string"),
            "source_url": ["https://a.example/1", "https://a.example/2", "https://a.example/3"],
        }
    )  # fmt: skip
    rel["source_url"] = "https://r.example/" + rel["id"]
    return {"releases": rel, "events": ev}


CLASSES = ("negotiation", "envoy_visit", "agreement", "sanctions_relief")


def test_planted_handover_in_e1_not_in_e2():
    fr = _frames()
    e1 = documented_exchanges(fr, seed=1)
    row = e1.table.iloc[0]
    # release days: 01-05, 03-01, 06-01, 10-01, 12-24 -> 5 days, 1 in an exchange
    assert (row.release_days, row.exchange_days) == (5, 1)
    assert row.share_days == pytest.approx(0.2)
    assert row.share_days_lo < 0.2 < row.share_days_hi
    # persons: largest figure per day 6, 2, 10, 1, 30 -> 6 / 49
    assert row.share_persons == pytest.approx(6 / 49)
    assert e1.exchanges["event_id"].tolist() == ["dip-20200105-1"]
    assert e1.exchanges["event_date"].tolist() == ["2020-01-05"]
    days = timing_releases(fr["releases"])
    assert pd.Timestamp("2020-01-05") not in set(days["date"])
    assert pd.Timestamp("2020-10-01") not in set(days["date"])  # short detention excluded
    ev = timing_events(fr["events"], CLASSES)
    assert "dip-20200105-1" not in set(ev["id"])  # the handover event is not an E2 event
    assert set(ev["id"]) == {"dip-20200228-1", "san-20200530-1"}


def test_release_moves_from_e1_to_e2_when_its_exchange_is_removed():
    fr = _frames()
    fr["releases"].loc[0, "exchange_event_id"] = pd.NA
    e1 = documented_exchanges(fr, seed=1)
    assert e1.table.iloc[0].exchange_days == 0
    assert len(e1.exchanges) == 0
    assert pd.Timestamp("2020-01-05") in set(timing_releases(fr["releases"])["date"])


def test_e2_options_occasion_sweep_and_short_detention():
    rel = _frames()["releases"]
    assert len(timing_releases(rel)) == 3
    assert len(timing_releases(rel, exclude_short_detention=False)) == 4
    no_holiday = timing_releases(rel, exclude_occasions=("holiday",))
    assert pd.Timestamp("2020-12-24") not in set(no_holiday["date"])
    blind = timing_releases(rel, sweep_only=True)
    assert set(blind["date"]) == {pd.Timestamp("2020-06-01"), pd.Timestamp("2020-12-24")}


def test_e1_periods_and_bad_level():
    fr = _frames()
    e1 = documented_exchanges(fr, [("H1", "2020-01-01", "2020-06-30"),
                                   ("H2", "2020-07-01", "2020-12-31")], seed=3)  # fmt: skip
    assert e1.table["release_days"].tolist() == [3, 2]
    assert e1.table["exchange_days"].tolist() == [1, 0]
    assert "E1 documented exchanges" in e1.summary()
    with pytest.raises(ValueError, match="level"):
        documented_exchanges(fr, level=1.5)


def test_chapman_known_value_and_interval():
    r = chapman(50, 40, 20)
    assert r["n_hat"] == pytest.approx(51 * 41 / 21 - 1)
    var = 51 * 41 * 30 * 20 / (21**2 * 22)
    assert r["se"] == pytest.approx(np.sqrt(var))
    assert r["seen"] == 70
    assert 70 <= r["lo"] < r["n_hat"] < r["hi"]
    # every episode found by both lists: the estimate is the count seen
    full = chapman(10, 10, 10)
    assert full["n_hat"] == pytest.approx(10) and full["lo"] == full["hi"] == 10
    with pytest.raises(ValueError, match="cannot exceed"):
        chapman(5, 3, 4)
    with pytest.raises(ValueError, match="non-negative"):
        chapman(-1, 3, 0)


def test_release_found_by_both_routes_counts_once():
    rel = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "date": pd.to_datetime(["2015-01-01", "2015-02-01", "2015-03-01", "2015-04-01"]),
            "detection": pd.array(["legacy", "press_search", "sweep", "legacy"], dtype="string"),
            "sweep_found": pd.array([True, False, True, False], dtype="boolean"),
        }
    )
    res = record_completeness(rel, [("all", "2014-01-01", "2025-12-31")])
    row = res.table.iloc[0]
    assert (row.n_earlier, row.n_sweep, row.n_both) == (3, 2, 1)
    assert row.seen == 4  # the row found by both counts once
    assert row.n_hat == pytest.approx(4 * 3 / 2 - 1)
    out = record_completeness(rel, [("all", "2014-01-01", "2025-12-31")],
                              swept_months=["2015-01", "2015-03"])  # fmt: skip
    assert (out.table.iloc[0].n_earlier, out.table.iloc[0].n_sweep) == (1, 2)


def test_completeness_block_names_months_counts_and_unswept_countries():
    rel = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "date": pd.to_datetime(
                ["2015-01-03", "2015-01-20", "2015-03-01", "2019-04-01", "2016-06-01"]
            ),
            "detection": pd.array(
                ["legacy", "press_search", "sweep", "legacy", "legacy"], dtype="string"
            ),
            "sweep_found": pd.array([True, False, True, False, pd.NA], dtype="boolean"),
        }
    )
    ev = pd.DataFrame({"date": pd.to_datetime(["2015-01-10"]), "event_class": ["negotiation"]})
    sweeps = pd.DataFrame({"month": ["2015-01", "2015-03", "2015-01"],
                           "query_id": ["es1", "es1", "en1"],
                           "results_screened": [8, 8, 5]})  # fmt: skip
    eps = pd.DataFrame({"release_id": ["a", "c"],
                        "new_to_record": pd.array([False, True], dtype="boolean")})  # fmt: skip
    md = completeness_markdown({
        "x": {"releases": rel, "events": ev, "sweeps": sweeps, "sweep_episodes": eps},
        "y": {"releases": rel, "events": ev},
    })  # fmt: skip
    assert "**X** (2 months swept: `en1` 1 months (2015-01 to 2015-01); `es1` 2 months" in md
    assert "21 results screened; 2 distinct episodes found, 1 of them new to the record)" in md
    # swept months only: a, b (2015-01) and c (2015-03); 2016 and 2019 rows are left out
    assert "| 2014-2017 | 2 | 2 | 1 | 4 [3, 8] |" in md  # Chapman: 3 * 3 / 2 - 1 = 3.5
    assert "1 of 2 within 30 days of talks, 0 of 0 elsewhere" in md
    assert md.rstrip().endswith("Not swept: Y.")
    tab = completeness_by_country({
        "x": {"releases": rel, "events": ev, "sweeps": sweeps},
        "y": {"releases": rel, "events": ev},
    })  # fmt: skip
    x = tab[tab["country"] == "x"].set_index("period")
    assert x.loc["2014-2017", "n_hat"] == pytest.approx(3.5)
    assert x.loc["2014-2017", "months_swept"] == 2
    assert tab[tab["country"] == "y"]["period"].tolist() == ["not swept"]


def test_readme_capture_recapture_block_is_current():
    from pathlib import Path

    from analysis.inference.completeness import _MAIN_COUNTRIES
    from analysis.record.data import load_processed

    root = Path(__file__).resolve().parents[1]
    frames = {c: load_processed(root, country=c) for c in _MAIN_COUNTRIES}
    block = completeness_markdown(frames)
    readme = (root / "data" / "README.md").read_text(encoding="utf-8")
    assert f"<!-- capture-recapture:start -->\n{block}<!-- capture-recapture:end -->" in readme, (
        "data/README.md capture-recapture is stale: run `python -m analysis.inference.completeness`"
    )


def test_hierarchical_rule_on_constructed_pvalues():
    stages = [["venezuela"], ["belarus", "cuba", "nicaragua"]]
    # gate open: stage 2 by Holm at 0.05 -> 0.01*3=0.03 reject, 0.02*2=0.04 reject, 0.04 reject
    r = hierarchical_rule(stages, {"venezuela": 0.04, "belarus": 0.01, "cuba": 0.02,
                                   "nicaragua": 0.04})  # fmt: skip
    assert r.table["reject"].tolist() == [True, True, True, True]
    # gate closed: nothing after Venezuela is tested, whatever its p-values
    r = hierarchical_rule(stages, {"venezuela": 0.06, "belarus": 0.0001, "cuba": 0.0001,
                                   "nicaragua": 0.0001})  # fmt: skip
    assert r.table["reject"].tolist() == [False, False, False, False]
    assert r.table["tested"].tolist() == [True, False, False, False]
    # Holm inside the stage: 0.02*3 = 0.06 keeps belarus
    r = hierarchical_rule(stages, {"venezuela": 0.001, "belarus": 0.02, "cuba": 0.5,
                                   "nicaragua": 0.3})  # fmt: skip
    assert r.table["reject"].tolist() == [True, False, False, False]
    # a test that could not run closes the gate and is never rejected
    r = hierarchical_rule([["a"], ["b"]], {"a": float("nan"), "b": 0.0})
    assert r.table["reject"].tolist() == [False, False]
    with pytest.raises(ValueError, match="no p-value"):
        hierarchical_rule(stages, {"venezuela": 0.01})
    with pytest.raises(ValueError, match="more than one stage"):
        hierarchical_rule([["a"], ["a"]], {"a": 0.01})


def test_benjamini_yekutieli_is_stricter_than_bh():
    p = [0.001, 0.008, 0.039, 0.041, 0.042]
    by = adjust(p, "fdr_by").p_adjusted.to_numpy()
    bh = adjust(p, "fdr_bh").p_adjusted.to_numpy()
    c = sum(1 / k for k in range(1, 6))
    assert np.allclose(by, np.minimum(bh * c, 1))


def test_exchange_agreement_kappa_and_disagreements():
    from analysis.record.agreement import exchange_agreement

    fr = _frames()
    dip = pd.DataFrame({"id": ["dip-20200105-1", "dip-20200228-1", "dip-20200301-1",
                               "dip-20200302-1"],
                        "exchange_role": pd.array(["handover", "none", "none", None],
                                                  dtype="string")})  # fmt: skip
    frames = {"x": {"releases": fr["releases"], "diplomatic": dip,
                    "sanctions": dip.iloc[0:0]}}  # fmt: skip
    second = pd.DataFrame({
        "row_id": ["dip-20200105-1", "dip-20200228-1", "dip-20200301-1", "dip-20200302-1",
                   "rel-20200105-1", "old-id"],
        "table": ["diplomatic"] * 4 + ["releases", "releases"],
        "exchange_role": ["handover", "announced_exchange", "none", "none", "", ""],
        "exchange_event_id": ["", "", "", "", "dip-20200105-1", ""],
        "occasion": ["", "", "", "", "exchange", "unknown"],
        "short_detention": ["", "", "", "", "", "true"],
        "note": ["n"] * 6,
    })  # fmt: skip
    res = exchange_agreement(frames, {"x": second}, renamed={"old-id": "rel-20201001-1"})
    t = res.table.set_index(["country", "field"])
    role = t.loc[("x", "exchange_role")]
    # 4 pairs: handover/handover, none/announced, none/none, uncoded (= none)/none
    assert (role.n, role.agree) == (4, 3)
    # kappa by hand: table [[1,0,0],[0,0,0],[0,1,2]] over (handover, announced, none)
    po, pe = 3 / 4, (1 * 1 + 0 * 1 + 3 * 2) / 16
    assert role.kappa == pytest.approx((po - pe) / (1 - pe))
    # the role, and a short detention one coder left empty (listed, not a kappa pair)
    assert len(res.disagreements) == 2
    assert set(res.disagreements["row_id"]) == {"dip-20200228-1", "rel-20200105-1"}
    assert t.loc[("x", "in_exchange")].agree == 2
    # short_detention: the renamed row agrees (true, true); false vs empty is not a pair
    assert t.loc[("x", "short_detention")].n == 1


def test_month_end_count_keeps_its_day():
    """Audit fix (issue #17): a count whose page states a cut-off is dated to that day."""
    from analysis.record.data import load_raw

    pc = load_raw(country="venezuela")["prisoner_counts"].set_index("id")
    row = pc.loc["pc-20231231-1"]  # "al cierre de 2023", once dated 2023-12-01 at month precision
    assert row["date"] == pd.Timestamp("2023-12-31") and row["date_precision"] == "day"
    assert "pc-20231201-1" not in pc.index
