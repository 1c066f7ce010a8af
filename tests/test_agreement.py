"""Inter-coder agreement: known answers, kappa against statsmodels, malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from analysis.record import data
from analysis.record.agreement import _kappa, intercoder_agreement, read_second_coding

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("key,row_id,table,status,date,date_precision,political_prisoners,reported_by,"
          "n_released,mechanism,actor,direction,instrument,subtype,source_url,note")  # fmt: skip


def _frames():
    rel = pd.DataFrame({"id": ["rel-20200101-1", "rel-20200105-1", "rel-20200110-1"],
                        "date": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-01-10"]),
                        "date_precision": ["day", "day", "week"],
                        "n_released": pd.array([3, 10, None], dtype="Int64"),
                        "mechanism": ["pardon", "court_order", "unknown"]})  # fmt: skip
    return {"releases": rel}


def _write(tmp_path: Path, lines: list[str]) -> Path:
    d = tmp_path / "venezuela"
    d.mkdir()
    p = d / "second_coding.csv"
    p.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return p


def test_known_answer(tmp_path):
    p = _write(tmp_path, [
        "S1,rel-20200101-1,releases,coded,2020-01-02,day,,,3,pardon,,,,,http://a,n",
        "S2,rel-20200105-1,releases,coded,2020-01-08,day,,,12,court_order,,,,,http://b,n",
        "S3,rel-20200110-1,releases,page_not_found,,,,,,,,,,,http://c,n",
    ])  # fmt: skip
    res = intercoder_agreement(_frames(), read_second_coding(p))
    t = res.table.set_index("field")
    assert (t.loc["date", "n"], t.loc["date", "agree"]) == (2, 1)  # 1 day apart agrees, 3 not
    assert t.loc["date", "share_exact"] == 0.0
    assert (t.loc["n_released", "agree"], t.loc["mechanism", "share"]) == (1, 1.0)
    assert res.status.loc["releases", "page_not_found"] == 1
    assert set(res.disagreements["field"]) == {"date", "n_released"}


def test_kappa_matches_statsmodels():
    rng = np.random.default_rng(0)
    a = list(rng.choice(["x", "y", "z"], 40))
    b = [v if rng.random() < 0.7 else str(rng.choice(["x", "y", "z"])) for v in a]
    cats = sorted(set(a) | set(b))
    table = np.array([[sum(1 for u, v in zip(a, b, strict=True) if u == i and v == j)
                       for j in cats] for i in cats])  # fmt: skip
    assert _kappa(a, b) == pytest.approx(cohens_kappa(table).kappa)
    assert np.isnan(_kappa(["x", "x"], ["x", "x"]))


@pytest.mark.parametrize(
    ("line", "msg"),
    [("S1,rel-20200101-1,prisons,coded,,,,,,,,,,,http://a,n", "column 'table' value 'prisons'"),
     ("S1,rel-20200101-1,releases,done,,,,,,,,,,,http://a,n", "column 'status' value 'done'"),
     ("S1,rel-20200101-1,releases,coded,05/01/2020,,,,,,,,,,http://a,n", "column 'date'")],
)  # fmt: skip
def test_malformed_second_coding_is_located(tmp_path, line, msg):
    p = _write(tmp_path, [line])
    with pytest.raises(ValueError, match=msg) as exc:
        read_second_coding(p)
    assert "venezuela/second_coding.csv:2" in str(exc.value)


def test_unknown_row_id(tmp_path):
    p = _write(tmp_path, ["S9,rel-19990101-1,releases,coded,,,,,,,,,,,http://a,n"])
    with pytest.raises(ValueError, match="rel-19990101-1"):
        intercoder_agreement(_frames(), read_second_coding(p))


def test_curated_second_coding_reads_and_matches_the_record():
    path = ROOT / "data" / "raw" / "venezuela" / "second_coding.csv"
    sc = read_second_coding(path)
    res = intercoder_agreement(data.load_raw(ROOT), sc)
    assert res.status.to_numpy().sum() == len(sc)
    assert (res.table["share"].between(0, 1)).all()
