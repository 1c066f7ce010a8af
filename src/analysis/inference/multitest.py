"""Multiple-testing adjustment of a family of p-values (Holm, Benjamini–Hochberg).

The timing analysis produces many p-values (one per event class, lead/lag window, lag of a
cross-correlation, ...). :func:`adjust` corrects a family of them at once via
:func:`statsmodels.stats.multitest.multipletests`:

- ``"holm"`` controls the family-wise error rate (probability of at least one false rejection);
- ``"fdr_bh"`` controls the false discovery rate (expected share of false rejections among
  rejections), assuming independent or positively dependent tests;
- ``"fdr_by"`` (Benjamini-Yekutieli) controls it under any dependence.

:func:`hierarchical_rule` is plan v3's one family-wise rule across countries: a stated order of
stages (Venezuela's E2 first, then the benchmarks together), each tested by Holm at the full level
only if every test of the stages before it was rejected (serial gatekeeping; Dmitrienko & Tamhane
2007). It controls the family-wise error rate over all stages at ``alpha``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analysis.results import TextResult

__all__ = ["HierarchicalResult", "MultitestResult", "adjust", "hierarchical_rule"]

_METHODS = ("holm", "fdr_bh", "fdr_by")


@dataclass(frozen=True, repr=False)
class MultitestResult(TextResult):
    """Raw and adjusted p-values of one family of tests.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per test (index = the labels of the input), columns ``p_raw``, ``p_adjusted``,
        ``reject`` (bool: adjusted p-value <= ``alpha``).
    method : str
        ``"holm"`` or ``"fdr_bh"``.
    alpha : float
        Family-wise error rate (Holm) or false discovery rate (BH) level.
    n_tests : int
        Size of the family.
    n_rejected : int
        Number of rejected hypotheses.
    """

    table: pd.DataFrame = field(compare=False)
    method: str
    alpha: float
    n_tests: int
    n_rejected: int

    @property
    def p_raw(self) -> pd.Series:
        """Raw p-values (Series, same index as the input)."""
        return self.table["p_raw"]

    @property
    def p_adjusted(self) -> pd.Series:
        """Adjusted p-values (Series)."""
        return self.table["p_adjusted"]

    @property
    def reject(self) -> pd.Series:
        """Rejections at ``alpha`` (bool Series)."""
        return self.table["reject"]

    def summary(self) -> str:
        """Plain-text table of raw and adjusted p-values."""
        what = "family-wise error rate" if self.method == "holm" else "false discovery rate"
        head = (
            f"Multiple-testing adjustment: {self.method} ({what} {self.alpha:g}); "
            f"{self.n_rejected} of {self.n_tests} rejected"
        )
        body = self.table.to_string(
            formatters={"p_raw": "{:.4g}".format, "p_adjusted": "{:.4g}".format}
        )
        return f"{head}\n{body}"

    def __repr__(self) -> str:
        return (
            f"MultitestResult(method={self.method!r}, alpha={self.alpha}, "
            f"n_tests={self.n_tests}, n_rejected={self.n_rejected})"
        )


def adjust(
    pvalues: Any, method: str = "holm", alpha: float = 0.05, *, column: str | None = None
) -> MultitestResult:
    """Adjust a family of p-values for multiple testing.

    Parameters
    ----------
    pvalues : pandas.Series, pandas.DataFrame, mapping or array-like
        The raw p-values, each in [0, 1]. With a DataFrame, ``column`` names the p-value column
        (default ``"p_value"``); the row index labels the tests. A mapping gives label -> p-value.
    method : {"holm", "fdr_bh", "fdr_by"}, default "holm"
        Holm step-down (family-wise error rate), Benjamini–Hochberg or Benjamini–Yekutieli
        (false discovery rate; the latter under any dependence).
    alpha : float, default 0.05
        Level in (0, 1).
    column : str, optional
        P-value column when ``pvalues`` is a DataFrame.

    Returns
    -------
    MultitestResult
        Table of raw p-values, adjusted p-values and rejections, in the input order.

    Raises
    ------
    ValueError
        If ``method`` or ``alpha`` is not allowed, the family is empty, or a p-value is missing
        or outside [0, 1].

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03, 0.005]).p_adjusted.round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    if method not in _METHODS:
        raise ValueError(f"method = {method!r} is not allowed; use one of {_METHODS}")
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha = {alpha!r} is not allowed; it must be a number in (0, 1)")
    if isinstance(pvalues, pd.DataFrame):
        col = "p_value" if column is None else column
        if col not in pvalues.columns:
            raise ValueError(
                f"column = {col!r} is not a column of pvalues; columns are {list(pvalues.columns)}"
            )
        series = pvalues[col]
    elif isinstance(pvalues, pd.Series):
        series = pvalues
    elif isinstance(pvalues, Mapping):
        series = pd.Series(dict(pvalues), dtype=float)
    else:
        arr = np.atleast_1d(np.asarray(pvalues, dtype=object))
        if arr.ndim != 1:
            raise ValueError(f"pvalues has shape {arr.shape}; it must be one-dimensional")
        series = pd.Series(list(arr))
    try:
        p = pd.to_numeric(series, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"pvalues must be numbers in [0, 1]; {exc}") from None
    if p.size == 0:
        raise ValueError("pvalues is empty; give at least one p-value")
    values = p.to_numpy()
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > 1))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"pvalues[{p.index[i]!r}] = {float(values[i])} is not allowed; "
            "p-values must lie in [0, 1]"
        )
    reject, p_adj, _, _ = multipletests(values, alpha=float(alpha), method=method)
    table = pd.DataFrame(
        {"p_raw": values, "p_adjusted": p_adj, "reject": reject.astype(bool)}, index=p.index
    )
    return MultitestResult(
        table=table,
        method=method,
        alpha=float(alpha),
        n_tests=int(values.size),
        n_rejected=int(reject.sum()),
    )


@dataclass(frozen=True, repr=False)
class HierarchicalResult(TextResult):
    """Decisions of :func:`hierarchical_rule`.

    Attributes
    ----------
    table : DataFrame
        One row per test: ``stage``, ``p_raw``, ``p_adjusted`` (Holm within its stage; NaN when
        the stage was not reached), ``tested`` and ``reject``.
    alpha : float
    stages : list of list of str
    """

    table: pd.DataFrame
    alpha: float
    stages: list[list[str]]

    def summary(self) -> str:
        """One line per test."""
        lines = [f"Hierarchical rule (serial gatekeeping, Holm within stages) at alpha "
                 f"{self.alpha:g}"]  # fmt: skip
        for label, r in self.table.iterrows():
            adj = "not tested (gate closed)" if not r["tested"] else f"{r['p_adjusted']:.4f}"
            verdict = "reject" if r["reject"] else "keep"
            lines.append(f"  stage {r['stage']}  {label!s:<28} p {r['p_raw']:.4f}  adj {adj}  "
                         f"{verdict}")  # fmt: skip
        return "\n".join(lines)


def hierarchical_rule(
    stages: Any, pvalues: Mapping[str, float], alpha: float = 0.05
) -> HierarchicalResult:
    """Serial gatekeeping: stage ``k`` is tested (Holm, level ``alpha``) only if every test of
    every earlier stage was rejected.

    Parameters
    ----------
    stages : sequence of sequence of str
        The order, e.g. ``[["venezuela"], ["belarus", "cuba", "nicaragua"]]``.
    pvalues : mapping
        Test label -> raw p-value; every label of ``stages`` must be present. A test that could
        not run may be given ``nan``: it is never rejected, and it closes the gate.
    alpha : float
        Family-wise level.

    Returns
    -------
    HierarchicalResult

    Raises
    ------
    ValueError
        For an empty stage, a label without a p-value, a label in two stages, or a p-value
        outside [0, 1].
    """
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha = {alpha!r} is not allowed; it must be a number in (0, 1)")
    stages = [list(s) for s in stages]
    seen: set[str] = set()
    for k, s in enumerate(stages):
        if not s:
            raise ValueError(f"stages[{k}] is empty; every stage needs at least one test")
        for label in s:
            if label in seen:
                raise ValueError(f"test {label!r} appears in more than one stage")
            seen.add(label)
            if label not in pvalues:
                raise ValueError(f"test {label!r} of stages[{k}] has no p-value in pvalues")
            p = pvalues[label]
            if not (np.isnan(p) or 0 <= p <= 1):
                raise ValueError(f"pvalues[{label!r}] = {p} is not allowed; it must be in [0, 1]")
    rows = []
    open_gate = True
    for k, s in enumerate(stages):
        p = np.array([float(pvalues[x]) for x in s])
        if open_gate:
            ok = np.isfinite(p)
            adj = np.full(p.size, np.nan)
            rej = np.zeros(p.size, dtype=bool)
            if ok.any():
                r, a, _, _ = multipletests(p[ok], alpha=float(alpha), method="holm")
                adj[ok], rej[ok] = a, r
            rows += [dict(label=x, stage=k + 1, p_raw=p[i], p_adjusted=adj[i], tested=True,
                          reject=bool(rej[i])) for i, x in enumerate(s)]  # fmt: skip
            open_gate = bool(rej.all())
        else:
            rows += [dict(label=x, stage=k + 1, p_raw=p[i], p_adjusted=np.nan, tested=False,
                          reject=False) for i, x in enumerate(s)]  # fmt: skip
    table = pd.DataFrame(rows).set_index("label")
    return HierarchicalResult(table=table, alpha=float(alpha), stages=stages)
