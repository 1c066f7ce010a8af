"""Documented exchanges apart from timing (plan v3, estimands E1 and E2).

A release that a page documents as part of an exchange -- prisoners handed to a visiting envoy, a
swap, a deal that names them -- is direct evidence of a bargain. It is *not* evidence that releases
are timed to diplomacy: the event and the release are the same transaction, so counting it as a
coincidence would let the record describe itself. Plan v3 keeps the two apart:

- **E1, documented exchanges** (:func:`documented_exchanges`): the share of release days, and of
  persons released, that belong to a documented exchange, per period, with intervals. No timing
  test is involved.
- **E2, timing beyond documented exchanges** (:func:`timing_releases`, :func:`timing_events`):
  releases that are *not* part of an exchange, against events that are not exchanges
  (``exchange_role = none``) and were found by searching for events (not through a release's page).

Coding rules: ``docs/curation_notes/exchange_coding.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.record.overview import release_days, select_events
from analysis.results import TextResult

__all__ = [
    "DocumentedExchanges",
    "documented_exchanges",
    "exchange_mask",
    "timing_events",
    "timing_releases",
]

_ROLES = ("handover", "announced_exchange")


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("")


def exchange_mask(releases: pd.DataFrame) -> pd.Series:
    """True for release rows that belong to a documented exchange (``exchange_event_id`` set)."""
    if "exchange_event_id" not in releases:
        return pd.Series(False, index=releases.index)
    return _text(releases["exchange_event_id"]).str.len() > 0


def _flag(releases: pd.DataFrame, col: str) -> pd.Series:
    if col not in releases:
        return pd.Series(False, index=releases.index)
    return releases[col].astype("boolean").fillna(False).astype(bool)


def timing_releases(
    releases: pd.DataFrame,
    start: Any = None,
    end: Any = None,
    *,
    exclude_exchanges: bool = True,
    exclude_short_detention: bool = True,
    exclude_occasions: Sequence[str] = (),
    sweep_only: bool = False,
) -> pd.DataFrame:
    """Release *days* for E2: day-dated releases that are not part of a documented exchange.

    Parameters
    ----------
    releases : DataFrame
        The ``releases`` table.
    start, end : date-like, optional
        Period (inclusive).
    exclude_exchanges : bool, default True
        Leave out rows with an ``exchange_event_id`` (they are E1's).
    exclude_short_detention : bool, default True
        Leave out rows coded ``short_detention = true`` (plan v3's declared exclusion).
    exclude_occasions : sequence of str
        ``occasion`` values to leave out (e.g. ``("holiday",)`` for the seasonal robustness row).
    sweep_only : bool, default False
        Keep only rows the calendar-blind sweep found (``sweep_found = true``).

    Returns
    -------
    DataFrame
        As :func:`analysis.record.overview.release_days`: ``date``, ``persons``, ``n_episodes``,
        ``ids``.
    """
    keep = pd.Series(True, index=releases.index)
    if exclude_exchanges:
        keep &= ~exchange_mask(releases)
    if exclude_short_detention:
        keep &= ~_flag(releases, "short_detention")
    if exclude_occasions:
        if "occasion" in releases:
            keep &= ~_text(releases["occasion"]).isin(list(exclude_occasions))
    if sweep_only:
        keep &= _flag(releases, "sweep_found")
    return release_days(releases[keep], start, end)


def timing_events(
    events: pd.DataFrame,
    classes: Sequence[str],
    start: Any = None,
    end: Any = None,
    *,
    exclude_exchanges: bool = True,
) -> pd.DataFrame:
    """Events for E2: the given classes, day-dated, found by event search, not an exchange.

    Rows whose ``exchange_role`` is ``handover`` or ``announced_exchange`` are left out (with
    ``exclude_exchanges``); an uncoded role counts as ``none``. Rows found only through a
    release's page (``found_via = release_source``) and rows that describe a release are left out
    as in :func:`analysis.record.overview.select_events`.
    """
    ev = select_events(events, list(classes), start, end)
    if exclude_exchanges and "exchange_role" in ev:
        ev = ev[~_text(ev["exchange_role"]).isin(_ROLES)]
    return ev.reset_index(drop=True)


def _clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    from scipy.stats import beta

    if n == 0:
        return (np.nan, np.nan)
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True)
class DocumentedExchanges(TextResult):
    """E1: how much of the release record is documented exchanges.

    Attributes
    ----------
    table : DataFrame
        One row per period: ``period``, ``release_days``, ``exchange_days``, ``share_days`` with
        its exact (Clopper-Pearson) interval ``share_days_lo/hi``; ``persons``,
        ``exchange_persons``, ``share_persons`` with a cluster-bootstrap interval over release
        days (``share_persons_lo/hi``; release days without a figure are left out of the persons
        share).
    exchanges : DataFrame
        One row per release in an exchange: release id, date, persons, the exchange event's id,
        date, class and role, and both sources.
    settings : dict
        Country, periods, level, n_boot, seed.
    """

    table: pd.DataFrame
    exchanges: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text table of the shares per period."""
        s = self.settings
        lines = [f"E1 documented exchanges -- {s.get('country', '')} "
                 f"(intervals {100 * s.get('level', 0.95):.0f} %)",
                 f"{'period':<12}{'days':>6}{'exch.':>7}{'share days [CI]':>24}"
                 f"{'share persons [CI]':>26}"]  # fmt: skip
        for r in self.table.itertuples(index=False):
            d = f"{r.share_days:.2f} [{r.share_days_lo:.2f}, {r.share_days_hi:.2f}]"
            p = (f"{r.share_persons:.2f} [{r.share_persons_lo:.2f}, {r.share_persons_hi:.2f}]"
                 if np.isfinite(r.share_persons) else "–")  # fmt: skip
            lines.append(f"{r.period:<12}{r.release_days:>6}{r.exchange_days:>7}{d:>24}{p:>26}")
        lines.append(f"{len(self.exchanges)} releases in documented exchanges; "
                     "direct evidence of a bargain, not a timing test")  # fmt: skip
        return "\n".join(lines)


def _day_table(releases: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """Per release day: persons (largest figure) and whether any row that day is an exchange."""
    df = releases.copy()
    df = df[df["date_precision"] == "day"]
    if start is not None:
        df = df[df["date"] >= pd.Timestamp(start)]
    if end is not None:
        df = df[df["date"] <= pd.Timestamp(end)]
    persons = df["n_released"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ex = exchange_mask(df).to_numpy()
    df = df.assign(_ex=ex, _p=persons, _pex=np.where(ex, persons, np.nan))
    g = df.groupby("date", sort=True)
    out = pd.DataFrame({"exchange": g["_ex"].any(), "persons": g["_p"].max(),
                        "exchange_persons": g["_pex"].max()})  # fmt: skip
    return out.reset_index()


def _persons_share(
    days: pd.DataFrame, n_boot: int, rng: np.random.Generator, level: float
) -> tuple[float, float, float, float, float]:
    d = days[days["persons"].notna()]
    tot = d["persons"].to_numpy(float)
    ex = d["exchange_persons"].fillna(0).to_numpy(float)
    if len(d) == 0 or tot.sum() == 0:
        return np.nan, np.nan, np.nan, 0.0, 0.0
    share = ex.sum() / tot.sum()
    idx = rng.integers(0, len(d), size=(n_boot, len(d)))
    num, den = ex[idx].sum(axis=1), tot[idx].sum(axis=1)
    boots = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    a = (1 - level) / 2
    lo, hi = float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))
    return float(share), lo, hi, float(tot.sum()), float(ex.sum())


def documented_exchanges(
    frames: dict[str, pd.DataFrame],
    periods: Sequence[tuple[str, Any, Any]] | None = None,
    *,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int | None = 0,
    country: str = "",
) -> DocumentedExchanges:
    """E1: the share of release days and of persons released that were documented exchanges.

    Parameters
    ----------
    frames : dict of DataFrame
        ``releases`` and ``events`` (from :func:`analysis.record.data.load_processed`).
    periods : sequence of (label, start, end), optional
        Default: the whole record as one period.
    level : float
        Interval level.
    n_boot : int
        Bootstrap resamples of release days for the persons share.
    seed : int or None
        Seed of the bootstrap (the days share is exact and needs none).
    country : str
        Label.

    Returns
    -------
    DocumentedExchanges
    """
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r} must lie strictly between 0 and 1")
    if n_boot < 1:
        raise ValueError(f"n_boot = {n_boot!r} must be at least 1")
    rel, ev = frames["releases"], frames["events"]
    periods = list(periods) if periods else [("all", None, None)]
    rng = np.random.default_rng(seed)
    rows = []
    for label, start, end in periods:
        days = _day_table(rel, start, end)
        n, k = len(days), int(days["exchange"].sum())
        lo, hi = _clopper_pearson(k, n, level)
        sp, sp_lo, sp_hi, tot, ex = _persons_share(days, n_boot, rng, level)
        rows.append(dict(period=label, release_days=n, exchange_days=k,
                         share_days=k / n if n else np.nan, share_days_lo=lo, share_days_hi=hi,
                         persons=tot, exchange_persons=ex, share_persons=sp,
                         share_persons_lo=sp_lo, share_persons_hi=sp_hi))  # fmt: skip
    ex_rows = rel[exchange_mask(rel)]
    evi = ev.set_index("id")
    listing = pd.DataFrame({
        "release_id": ex_rows["id"].to_numpy(),
        "release_date": ex_rows["date"].dt.strftime("%Y-%m-%d").to_numpy(),
        "persons": ex_rows["n_released"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "event_id": ex_rows["exchange_event_id"].astype(str).to_numpy(),
        "release_source": ex_rows["source_url"].astype(str).to_numpy(),
    })  # fmt: skip
    event_cols = (("event_date", "date"), ("event_class", "event_class"),
                  ("exchange_role", "exchange_role"), ("event_source", "source_url"))  # fmt: skip
    for col, src in event_cols:
        if src in evi:
            vals = evi[src].reindex(listing["event_id"])
        else:
            vals = pd.Series(np.nan, index=listing["event_id"])
        if src == "date":
            vals = pd.to_datetime(vals).dt.strftime("%Y-%m-%d")
        listing[col] = vals.to_numpy()
    return DocumentedExchanges(
        table=pd.DataFrame(rows),
        exchanges=listing.reset_index(drop=True),
        settings=dict(
            country=country,
            level=level,
            n_boot=n_boot,
            seed=seed,
            periods=[(p[0], str(p[1]), str(p[2])) for p in periods],
        ),
    )
