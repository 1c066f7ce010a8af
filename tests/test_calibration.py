"""Calibration of the plan's tests: cells, shapes, caching and reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.inference import calibration as cal
from analysis.inference.plan import get_plan


def test_cells_cover_every_coincidence_test_at_its_own_settings():
    cells = cal._cells("v2")
    ids = {c[0] for c in cells}
    assert ids == {t.id for t in get_plan("v2").tests if t.kind == "coincidence"}
    h3 = [c for c in cells if c[0] == "H3"]
    assert h3[0][1] == dict(window=7, direction="after", jitter_days=60, cluster_gap=3)
    assert [c[3] for c in h3 if c[2] == "record_planted"] == list(cal.FRACTIONS)


def test_small_calibration_is_reproducible_and_round_trips(tmp_path, monkeypatch):
    shapes = {"H1": dict(n_clusters=30, n_events=20, n_days=1500)}
    monkeypatch.setattr(cal, "FRACTIONS", (0.4,))
    a = cal.calibrate_plan("v2", n_reps=12, n_surrogates=49, seed=3, shapes=shapes, n_workers=1)
    b = cal.calibrate_plan("v2", n_reps=12, n_surrogates=49, seed=3, shapes=shapes, n_workers=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert set(t["kind"]) == {"size", "power"} and t["rate"].between(0, 1).all()
    assert (t["rate_lo"] <= t["rate"]).all() and (t["rate"] <= t["rate_hi"]).all()
    assert a.power("H1", 0.4) >= a.size("H1", "record_clustered")  # planted 40 %: more rejections
    path = tmp_path / "data" / "processed" / "calibration" / "v2.csv"
    cal._write(a, path)
    (tmp_path / "pyproject.toml").write_text("")
    back = cal.load_calibration("v2", root=tmp_path)
    np.testing.assert_allclose(back.table["rate"], a.table["rate"], rtol=1e-5)  # 6 digits on disk
    assert back.settings["n_reps"] == 12 and "H1" in back.wide().index
    with pytest.raises(FileNotFoundError, match="make calibration"):
        cal.load_calibration("v1", root=tmp_path)
    with pytest.raises(ValueError, match="no power row"):
        a.power("H9", 0.4)


def test_record_shape_reads_sizes_not_outcomes():
    days = pd.to_datetime(["2015-01-01", "2015-01-02", "2015-03-01", "2016-01-01"])
    frames = {
        "releases": pd.DataFrame({"id": [f"r{i}" for i in range(4)], "date": days,
                                  "date_precision": "day", "n_released": pd.array([1] * 4),
                                  "mechanism": "pardon"}),
        "events": pd.DataFrame({"id": ["e1", "e2"], "date": pd.to_datetime(["2015-01-05",
                                "2015-06-01"]), "date_precision": "day",
                                "event_class": ["negotiation", "sanctions_relief"],
                                "describes_release": False, "found_via": "event_search"}),
    }  # fmt: skip
    sh = cal.record_shape(frames, "v2")
    assert sh["H1"] == dict(n_clusters=3, n_events=1, n_days=4385)
    assert sh["H2"]["n_events"] == 1 and sh["H3"]["n_events"] == 1
