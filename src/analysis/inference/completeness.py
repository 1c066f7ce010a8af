"""What the record misses: two-source capture-recapture of release episodes (issue #17).

The calendar-blind sweep (``docs/curation_notes/sweep_protocol.md``) and the earlier routes (legacy
rows, press and event searches) are two ways of finding the same release episodes. With ``n1``
episodes found by the earlier routes, ``n2`` by the sweep and ``m`` by both, Chapman's
nearly unbiased estimator of the total is

    N = (n1 + 1)(n2 + 1) / (m + 1) - 1,
    Var(N) = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2))

(Chapman 1951; Seber 1982, section 3.1.1). The interval is Chao's (1987) log-normal interval for
the number never found, ``f0 = N - r`` with ``r = n1 + n2 - m`` distinct episodes seen, which
never falls below ``r``.

Assumptions, and where they are likely to fail here:

- **Independence of the routes.** Both routes search the same stored pages; large, well-reported
  releases are easy for both (positive dependence), which biases ``N`` *down* (the record looks
  more complete than it is). The earlier routes also searched periods of talks, which the sweep
  does not: dependence that differs between talk and non-talk periods is exactly the selection the
  sweep is meant to reveal.
- **Closed population within a period.** Release episodes are fixed past events, so closure
  holds within a period; heterogeneous catchability (small releases in provincial outlets) does
  not, and also biases ``N`` down.
- **Perfect matching.** An episode found by both routes must be matched (same day, same people);
  a missed match inflates ``N``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.results import TextResult

__all__ = [
    "CaptureRecapture",
    "chapman",
    "completeness_by_country",
    "completeness_markdown",
    "record_completeness",
    "sweep_selection",
    "update_readme_completeness",
]


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} = {value!r} must be a non-negative whole number")
    return int(value)


def chapman(n1: int, n2: int, m: int, level: float = 0.95) -> dict[str, float]:
    """Chapman's two-list estimate of a closed population, with Chao's log-normal interval.

    Parameters
    ----------
    n1, n2 : int
        Episodes found by list 1 and by list 2.
    m : int
        Episodes found by both (``m <= min(n1, n2)``).
    level : float
        Interval level.

    Returns
    -------
    dict
        ``n_hat``, ``se``, ``lo``, ``hi``, ``seen`` (distinct episodes), ``completeness_1``,
        ``completeness_2`` and ``completeness_union`` (share of ``n_hat`` each list and both
        together found).

    Raises
    ------
    ValueError
        For negative counts, ``m`` above ``n1`` or ``n2``, or a level outside (0, 1).
    """
    n1, n2, m = _count(n1, "n1"), _count(n2, "n2"), _count(m, "m")
    if m > min(n1, n2):
        raise ValueError(f"m = {m} (found by both) cannot exceed n1 = {n1} or n2 = {n2}")
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r} must lie strictly between 0 and 1")
    from scipy.stats import norm

    seen = n1 + n2 - m
    n_hat = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    f0 = n_hat - seen
    z = float(norm.ppf(0.5 + level / 2))
    if f0 > 0 and var > 0:
        c = float(np.exp(z * np.sqrt(np.log(1 + var / f0**2))))
        lo, hi = seen + f0 / c, seen + f0 * c
    else:
        lo = hi = float(max(n_hat, seen))
    frac = (lambda k: k / n_hat if n_hat > 0 else np.nan)  # noqa: E731
    return dict(n_hat=float(n_hat), se=float(np.sqrt(var)), lo=float(lo), hi=float(hi),
                seen=float(seen), completeness_1=frac(n1), completeness_2=frac(n2),
                completeness_union=frac(seen))  # fmt: skip


@dataclass(frozen=True)
class CaptureRecapture(TextResult):
    """Capture-recapture estimates of the number of release episodes, per period.

    Attributes
    ----------
    table : DataFrame
        One row per period: ``n_earlier`` (list 1: found by the earlier routes), ``n_sweep``
        (list 2), ``n_both``, ``n_hat`` [``lo``, ``hi``], ``se`` and the completeness of the
        record before the sweep (``completeness_1``) and after it (``completeness_union``).
    settings : dict
        Country, level, months the sweep covered, the routes.
    """

    table: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text table."""
        lines = [f"Capture-recapture of release episodes -- {self.settings.get('country', '')} "
                 "(Chapman; Chao log-normal interval)",
                 f"{'period':<12}{'earlier':>8}{'sweep':>7}{'both':>6}{'N [CI]':>22}"
                 f"{'complete before':>17}{'after':>7}"]  # fmt: skip
        for r in self.table.itertuples(index=False):
            ci = f"{r.n_hat:.0f} [{r.lo:.0f}, {r.hi:.0f}]"
            lines.append(f"{r.period:<12}{r.n_earlier:>8}{r.n_sweep:>7}{r.n_both:>6}{ci:>22}"
                         f"{r.completeness_1:>17.2f}{r.completeness_union:>7.2f}")  # fmt: skip
        lines.append("Assumes independent routes and perfect matching; both likely fail in the "
                     "direction of a record that looks more complete than it is.")  # fmt: skip
        return "\n".join(lines)


def record_completeness(
    releases: pd.DataFrame,
    periods: Sequence[tuple[str, Any, Any]] | None = None,
    *,
    swept_months: Sequence[str] | None = None,
    level: float = 0.95,
    country: str = "",
) -> CaptureRecapture:
    """Two-source capture-recapture of release episodes: earlier routes vs the sweep.

    An episode is a release row. List 1 holds the rows found by the earlier routes (``detection``
    other than ``sweep``); list 2 the rows the sweep found (``sweep_found = true``); a row in
    both is counted once, in ``n_both``.

    Parameters
    ----------
    releases : DataFrame
        The ``releases`` table with ``detection`` and ``sweep_found``.
    periods : sequence of (label, start, end), optional
        Default 2014-2017, 2018-2021, 2022-2025 and all three together.
    swept_months : sequence of "YYYY-MM", optional
        Months the sweep covered (from ``sweeps.csv``); rows in other months are left out of both
        lists, so that a month never swept does not count as a miss.
    level : float
        Interval level.
    country : str
        Label.
    """
    for col in ("detection", "sweep_found"):
        if col not in releases:
            raise ValueError(f"releases has no column {col!r}; capture-recapture needs it")
    if periods is None:
        periods = [("2014-2017", "2014-01-01", "2017-12-31"),
                   ("2018-2021", "2018-01-01", "2021-12-31"),
                   ("2022-2025", "2022-01-01", "2025-12-31"),
                   ("2014-2025", "2014-01-01", "2025-12-31")]  # fmt: skip
    rel = releases
    if swept_months is not None:
        rel = rel[rel["date"].dt.strftime("%Y-%m").isin(set(swept_months))]
    sweep = rel["sweep_found"].astype("boolean").fillna(False).astype(bool)
    earlier = rel["detection"].astype("string").fillna("legacy") != "sweep"
    rows = []
    for label, start, end in periods:
        inside = (rel["date"] >= pd.Timestamp(start)) & (rel["date"] <= pd.Timestamp(end))
        n1 = int((earlier & inside).sum())
        n2 = int((sweep & inside).sum())
        m = int((earlier & sweep & inside).sum())
        rows.append({"period": label, "n_earlier": n1, "n_sweep": n2, "n_both": m,
                     **chapman(n1, n2, m, level)})  # fmt: skip
    return CaptureRecapture(
        table=pd.DataFrame(rows),
        settings=dict(country=country, level=level,
                      swept_months=None if swept_months is None else len(set(swept_months))),
    )  # fmt: skip


def sweep_selection(
    releases: pd.DataFrame,
    events: pd.DataFrame,
    classes: Sequence[str] = ("negotiation", "envoy_visit", "agreement"),
    window: int = 30,
    swept_months: Sequence[str] | None = None,
) -> pd.DataFrame:
    """How the sweep re-finds earlier rows in periods of talks and elsewhere.

    Earlier-route rows (``detection`` not ``sweep``) in months the sweep covered are split by
    whether a talks event lies within ``window`` days of the release. If the earlier routes
    found releases by searching periods of talks, the rows they found *outside* talks are those
    any search finds, and the share the sweep re-finds is higher there than inside talk periods
    (Fisher's exact test, two-sided).

    Returns
    -------
    DataFrame
        One row per group (``talk period``, ``elsewhere``): ``rows``, ``sweep_found``,
        ``share``, with Fisher's odds ratio and p-value in ``attrs``.
    """
    from scipy.stats import fisher_exact

    rel = releases[releases["detection"].astype("string").fillna("legacy") != "sweep"]
    if swept_months is not None:
        rel = rel[rel["date"].dt.strftime("%Y-%m").isin(set(swept_months))]
    ev = events[events["event_class"].isin(list(classes))]["date"].to_numpy("datetime64[D]")
    d = rel["date"].to_numpy("datetime64[D]")
    near = np.array([bool(np.any(np.abs((ev - x).astype(int)) <= window)) for x in d], dtype=bool)
    found = rel["sweep_found"].astype("boolean").fillna(False).to_numpy(bool)
    rows = []
    for label, mask in (("talk period", near), ("elsewhere", ~near)):
        n, k = int(mask.sum()), int((found & mask).sum())
        rows.append({"group": label, "rows": n, "sweep_found": k,
                     "share": k / n if n else np.nan})  # fmt: skip
    out = pd.DataFrame(rows).set_index("group")
    table = [[out.loc[g, "sweep_found"], out.loc[g, "rows"] - out.loc[g, "sweep_found"]]
             for g in out.index]  # fmt: skip
    odds, p = fisher_exact(table) if out["rows"].min() > 0 else (np.nan, np.nan)
    out.attrs.update(odds_ratio=float(odds), fisher_p=float(p), window=window,
                     classes=list(classes))  # fmt: skip
    return out


def completeness_by_country(
    frames_by_country: Mapping[str, Mapping[str, pd.DataFrame]], level: float = 0.95
) -> pd.DataFrame:
    """Capture-recapture per period for every swept country, in one table.

    Parameters
    ----------
    frames_by_country : mapping
        Country -> its frames (``releases`` and, where the country was swept, ``sweeps``).
    level : float
        Interval level.

    Returns
    -------
    DataFrame
        The rows of :func:`record_completeness` (over each country's swept months) with
        ``country`` and ``months_swept`` in front; a country without a sweep has one row with
        ``period`` = ``not swept``.
    """
    parts = []
    for country, fr in frames_by_country.items():
        sw = fr.get("sweeps")
        if sw is None or sw.empty:
            parts.append(pd.DataFrame([{"country": country, "months_swept": 0,
                                        "period": "not swept"}]))  # fmt: skip
            continue
        months = sorted(set(sw["month"].astype(str)))
        t = record_completeness(fr["releases"], swept_months=months, level=level,
                                country=country).table  # fmt: skip
        t.insert(0, "months_swept", len(months))
        t.insert(0, "country", country)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def _fmt(x: Any, digits: int = 0) -> str:
    return "–" if pd.isna(x) else f"{x:.{digits}f}"


def completeness_markdown(frames_by_country: Mapping[str, Mapping[str, pd.DataFrame]]) -> str:
    """The capture-recapture block of ``data/README.md``, one section per swept country.

    For each country with a ``sweeps`` table: the months and queries swept, Chapman's estimate
    per period over the swept months (:func:`record_completeness`), and how often the sweep
    re-found earlier rows within 30 days of talks and elsewhere (:func:`sweep_selection`).
    Countries without a sweep are named as not swept.

    Parameters
    ----------
    frames_by_country : mapping
        Country -> its processed frames (``releases``, ``events``, optionally ``sweeps``).

    Returns
    -------
    str
        Markdown, ending with a newline.
    """
    out: list[str] = []
    not_swept = []
    for country, fr in frames_by_country.items():
        sw = fr.get("sweeps")
        if sw is None or sw.empty:
            not_swept.append(country.capitalize())
            continue
        months = sorted(set(sw["month"].astype(str)))
        per_query = []
        for q, g in sw.groupby("query_id", sort=True):
            m = sorted(set(g["month"].astype(str)))
            per_query.append(f"`{q}` {len(m)} months ({m[0]} to {m[-1]})")
        cr = record_completeness(fr["releases"], swept_months=months, country=country)
        sel = sweep_selection(fr["releases"], fr["events"], swept_months=months)
        screened = int(sw["results_screened"].sum())
        eps = fr.get("sweep_episodes")
        found = ""
        if eps is not None:
            new_rows = eps["new_to_record"].astype("string").str.lower().eq("true").sum()
            found = (f"; {len(eps)} distinct episodes found, {int(new_rows)} of them new to "
                     "the record")  # fmt: skip
        out.append(f"**{country.capitalize()}** ({len(months)} months swept: "
                   f"{'; '.join(per_query)}; {screened} results screened{found})")  # fmt: skip
        out.append("")
        out.append("| period | earlier routes | sweep | both | N [95 % CI] | complete before the "
                   "sweep | after |")  # fmt: skip
        out.append("|---|---|---|---|---|---|---|")
        for r in cr.table.itertuples(index=False):
            c1, cu = _fmt(r.completeness_1, 2), _fmt(r.completeness_union, 2)
            out.append(f"| {r.period} | {r.n_earlier} | {r.n_sweep} | {r.n_both} | "
                       f"{_fmt(r.n_hat)} [{_fmt(r.lo)}, {_fmt(r.hi)}] | {c1} | {cu} |")  # fmt: skip
        out.append("")
        p = sel.attrs.get("fisher_p", np.nan)
        talk, other = sel.loc["talk period"], sel.loc["elsewhere"]
        out.append(f"Earlier rows the sweep re-found, over all swept months: "
                   f"{talk['sweep_found']:.0f} of {talk['rows']:.0f} within 30 days of talks, "
                   f"{other['sweep_found']:.0f} of {other['rows']:.0f} elsewhere "
                   f"(Fisher p {_fmt(p, 3)}).")  # fmt: skip
        out.append("")
    if not_swept:
        out.append(f"Not swept: {', '.join(not_swept)}.")
        out.append("")
    return "\n".join(out)


def update_readme_completeness(root: str | None = None) -> bool:
    """Rewrite the generated capture-recapture block of ``data/README.md``; True if it changed.

    The block sits between ``<!-- capture-recapture:start -->`` and
    ``<!-- capture-recapture:end -->`` and is computed from ``data/processed`` (run
    ``make data`` first) for the four countries of the main record.
    """
    from pathlib import Path

    from analysis.record.data import load_processed, replace_marked_block
    from analysis.settings import project_root

    base = Path(root) if root else project_root()
    frames = {c: load_processed(base, country=c) for c in _MAIN_COUNTRIES}
    block = completeness_markdown(frames)
    return replace_marked_block(base / "data" / "README.md", "capture-recapture", block)


#: The countries of the main record (the out-of-sample records are frozen and reported apart).
_MAIN_COUNTRIES = ("venezuela", "belarus", "cuba", "nicaragua")


if __name__ == "__main__":  # python -m analysis.inference.completeness
    changed = update_readme_completeness()
    print("data/README.md capture-recapture block " + ("updated" if changed else "unchanged"))
