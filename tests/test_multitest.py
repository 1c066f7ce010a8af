"""Tests of analysis.inference.multitest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.inference.multitest import MultitestResult, adjust


def test_holm_hand_computation():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    p = pd.Series([0.01, 0.04, 0.03, 0.005], index=["talks", "sanctions", "visit", "vote"])
    res = adjust(p, "holm", alpha=0.05)
    assert isinstance(res, MultitestResult)
    np.testing.assert_allclose(res.p_adjusted.to_numpy(), [0.03, 0.06, 0.06, 0.02])
    assert res.reject.tolist() == [True, False, False, True]
    assert list(res.table.index) == ["talks", "sanctions", "visit", "vote"]
    assert res.n_tests == 4 and res.n_rejected == 2


def test_bh_hand_computation():
    # sorted p (0.005, 0.01, 0.03, 0.04) * 4 / rank = (0.02, 0.02, 0.04, 0.04); running min from top
    res = adjust([0.01, 0.04, 0.03, 0.005], method="fdr_bh")
    np.testing.assert_allclose(res.p_adjusted.to_numpy(), [0.02, 0.04, 0.04, 0.02])
    assert res.reject.all()


def test_dataframe_column_and_mapping():
    df = pd.DataFrame({"p_value": [0.2, 0.001], "term": ["a", "b"]}).set_index("term")
    res = adjust(df)
    assert list(res.table.index) == ["a", "b"]
    np.testing.assert_allclose(res.p_adjusted, [0.2, 0.002])
    res2 = adjust(df.rename(columns={"p_value": "p"}), column="p")
    np.testing.assert_allclose(res2.p_raw, [0.2, 0.001])
    res3 = adjust({"x": 0.5, "y": 0.01}, "fdr_bh", 0.1)
    assert res3.reject.to_dict() == {"x": False, "y": True}
    text = str(res3)
    assert "fdr_bh" in text and "false discovery rate 0.1" in text
    assert res3._repr_html_().startswith("<pre>")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0.1, 1.2],), {}, r"pvalues\[1\] = 1.2 is not allowed"),
        (([0.1, np.nan],), {}, r"pvalues\[1\] = nan is not allowed"),
        (([],), {}, "pvalues is empty"),
        (([0.1],), {"method": "bonferroni"}, "method = 'bonferroni' is not allowed"),
        (([0.1],), {"alpha": 0}, "alpha = 0 is not allowed"),
        ((["a"],), {}, "pvalues must be numbers"),
        (([[0.1, 0.2]],), {}, "one-dimensional"),
        ((pd.DataFrame({"q": [0.1]}),), {}, "column = 'p_value' is not a column"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        adjust(*args, **kwargs)


# statsmodels' Holm path calls gc.collect() (slow in a big test process): few examples
@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30))
def test_adjustment_properties(p):
    holm = adjust(p, "holm")
    bh = adjust(p, "fdr_bh")
    raw = np.asarray(p)
    assert np.all(holm.p_adjusted.to_numpy() >= raw - 1e-12)
    assert np.all(bh.p_adjusted.to_numpy() >= raw - 1e-12)
    assert np.all(holm.p_adjusted.to_numpy() <= 1) and np.all(bh.p_adjusted.to_numpy() <= 1)
    # Holm is never less conservative than BH
    assert np.all(holm.p_adjusted.to_numpy() >= bh.p_adjusted.to_numpy() - 1e-12)
    assert holm.n_rejected <= bh.n_rejected
    # adjusted p-values keep the order of the raw ones
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(holm.p_adjusted.to_numpy()[order]) >= -1e-12)
