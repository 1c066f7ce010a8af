"""Descriptive views of the event record: the prisoner-count series, event selections, coverage.

Pure functions of the DataFrames returned by :func:`analysis.record.data.load_processed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.record.data import EVENT_CLASSES

__all__ = [
    "DEFAULT_EVENT_CLASSES",
    "DataOverview",
    "data_overview",
    "prisoner_series",
    "release_dates",
    "release_days",
    "select_events",
    "source_counts",
    "sweep_found_days",
]

#: Event classes used by default in timing tests. ``statement`` is excluded because many 2026
#: statements announce releases (circular); ``other_diplomatic`` is too heterogeneous.
DEFAULT_EVENT_CLASSES: tuple[str, ...] = (
    "negotiation",
    "agreement",
    "envoy_visit",
    "talks_suspended",
    "election",
    "recognition",
    "military_action",
    "sanctions_tightening",
    "sanctions_relief",
)


def _period(df: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    s = pd.Timestamp(start) if start is not None else None
    e = pd.Timestamp(end) if end is not None else None
    if s is not None and e is not None and e < s:
        raise ValueError(f"end ({e.date()}) is before start ({s.date()})")
    mask = pd.Series(True, index=df.index)
    if s is not None:
        mask &= df["date"] >= s
    if e is not None:
        mask &= df["date"] <= e
    return df.loc[mask]


def prisoner_series(
    prisoner_counts: pd.DataFrame,
    reported_by: str = "foro_penal",
    start: Any = None,
    end: Any = None,
) -> pd.Series:
    """The political-prisoner stock over time from one reporter.

    Rows without a total (release-only rows) are dropped. Where a reporter gives two totals on
    one date (e.g. two interviews the same day), both are kept in the table and the *last* by id
    is used here, which keeps the series a function of time; ``data_overview`` counts such dates.

    Returns
    -------
    pandas.Series
        ``political_prisoners`` indexed by date, ascending, dtype float.
    """
    allowed = set(prisoner_counts["reported_by"].dropna())
    if reported_by not in allowed:
        raise ValueError(
            f"reported_by={reported_by!r} has no rows; present: {', '.join(sorted(allowed))}"
        )
    df = prisoner_counts[
        (prisoner_counts["reported_by"] == reported_by)
        & prisoner_counts["political_prisoners"].notna()
    ]
    df = _period(df, start, end).sort_values(["date", "id"])
    s = df.groupby("date")["political_prisoners"].last().astype(float)
    s.name = "political_prisoners"
    return s


def release_dates(
    releases: pd.DataFrame,
    start: Any = None,
    end: Any = None,
    precision: Sequence[str] = ("day",),
) -> pd.DataFrame:
    """Release episodes in a period with day-level dates (by default), for timing tests.

    Episodes known only to the week or month cannot be placed within a window of days; they are
    left out by default (``precision=("day", "week", "month")`` keeps them at their coded date).

    Returns
    -------
    DataFrame
        ``id``, ``date``, ``persons`` (``n_released``, NaN where no figure), ``mechanism``.
    """
    bad = set(precision) - {"day", "week", "month"}
    if bad:
        raise ValueError(f"precision contains {sorted(bad)}; allowed: day, week, month")
    df = _period(releases, start, end)
    df = df[df["date_precision"].isin(list(precision))]
    return pd.DataFrame(
        {
            "id": df["id"].to_numpy(),
            "date": df["date"].to_numpy(),
            "persons": df["n_released"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "mechanism": df["mechanism"].to_numpy(),
        }
    )


def select_events(
    events: pd.DataFrame,
    classes: Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
    precision: Sequence[str] = ("day",),
    exclude_release_events: bool = True,
    include_release_sourced: bool = False,
) -> pd.DataFrame:
    """Events of the given classes (default :data:`DEFAULT_EVENT_CLASSES`) in a period.

    Rows whose event *is* a release (``describes_release``: a swap, a release report or an
    announcement of releases) are dropped by default: counting them as events would make the
    coincidence of releases with "events" true by construction. So are events found only because
    a release's source named them (``found_via == "release_source"``): they were selected
    through releases, which biases a timing test towards coincidence. Set
    ``include_release_sourced=True`` to keep them (e.g. for a sensitivity check).

    Raises
    ------
    ValueError
        For an unknown event class (the message lists the allowed ones).
    """
    classes = list(classes) if classes is not None else list(DEFAULT_EVENT_CLASSES)
    known = sorted(set(EVENT_CLASSES.values()))
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise ValueError(f"unknown event class(es) {unknown}; allowed: {', '.join(known)}")
    df = _period(events, start, end)
    df = df[df["event_class"].isin(classes) & df["date_precision"].isin(list(precision))]
    if exclude_release_events and "describes_release" in df:
        df = df[~df["describes_release"].fillna(False).astype(bool)]
    if not include_release_sourced and "found_via" in df:
        df = df[df["found_via"].fillna("event_search") != "release_source"]
    return df.reset_index(drop=True)


def release_days(
    releases: pd.DataFrame,
    start: Any = None,
    end: Any = None,
    exclude_mechanisms: Sequence[str] = (),
) -> pd.DataFrame:
    """Unique release *days* (day-precision episodes), the unit of the timing tests.

    Several rows can share a day (a batch and a sub-group of it, or two reporters' batches), so
    the tests count days, not rows. ``persons`` is the *largest* best figure reported for that
    day (summing could double-count sub-groups; the largest is a lower bound on the day's total).

    Parameters
    ----------
    releases : DataFrame
        The ``releases`` table.
    start, end : date-like, optional
        Period (inclusive).
    exclude_mechanisms : sequence of str
        Mechanisms to leave out (e.g. ``("prisoner_swap",)``: a swap is a bargain by definition).

    Returns
    -------
    DataFrame
        ``date``, ``persons`` (NaN where no figure), ``n_episodes`` (rows that day), ``ids``.
    """
    df = release_dates(releases, start, end)
    if exclude_mechanisms:
        df = df[~df["mechanism"].isin(list(exclude_mechanisms))]
    g = df.groupby("date", sort=True)
    out = pd.DataFrame(
        {
            "persons": g["persons"].max(),
            "n_episodes": g["id"].size(),
            "ids": g["id"].agg(lambda x: ";".join(sorted(x))),
        }
    ).reset_index()
    return out


def sweep_found_days(days: pd.DataFrame, releases: pd.DataFrame) -> pd.Series:
    """Which release days the calendar-blind sweep found (issue #17).

    Parameters
    ----------
    days : DataFrame
        From :func:`release_days` (its ``ids`` column lists the day's release rows).
    releases : DataFrame
        The ``releases`` table with ``sweep_found``.

    Returns
    -------
    Series of bool
        Aligned with ``days``: True where at least one of the day's rows has
        ``sweep_found = true``; False where none has (also where the column is missing or empty).
    """
    if "sweep_found" not in releases:
        return pd.Series(False, index=days.index, name="sweep_found")
    flag = releases["sweep_found"].astype("boolean").fillna(False).astype(bool)
    found = set(releases.loc[flag, "id"])
    out = days["ids"].astype(str).str.split(";").map(lambda ids: any(i in found for i in ids))
    return out.astype(bool).rename("sweep_found")


def source_counts(frames: dict[str, pd.DataFrame], top: int = 10) -> pd.DataFrame:
    """Rows per source outlet for each raw table (the ``top`` outlets overall, others pooled)."""
    parts = []
    for name in ("prisoner_counts", "releases", "sanctions", "diplomatic"):
        parts.append(frames[name]["source_name"].value_counts().rename(name))
    table = pd.concat(parts, axis=1).fillna(0).astype("int64")
    table["all"] = table.sum(axis=1)
    table = table.sort_values(["all"], ascending=False, kind="stable")
    head, tail = table.iloc[:top], table.iloc[top:]
    if len(tail):
        head = pd.concat([head, tail.sum().to_frame("(other outlets)").T])
    head.index.name = "source_name"
    return head


@dataclass(frozen=True)
class DataOverview:
    """Headline facts about the event record in a period."""

    start: str
    end: str
    n_counts: int
    n_releases: int
    n_releases_day: int
    persons_released_reported: float
    n_events: dict[str, int]
    peak_prisoners: float
    peak_date: str
    last_prisoners: float
    last_date: str
    n_linked: int = 0
    reporters: dict[str, int] = field(default_factory=dict)
    reporter_label: str = "Foro Penal"

    def summary(self) -> str:
        """A short plain-text table."""
        lines = [
            f"Event record {self.start} to {self.end}",
            f"  prisoner-count rows          {self.n_counts}",
            f"  release episodes             {self.n_releases} ({self.n_releases_day} dated to "
            "the day)",
            f"  persons in release episodes  {self.persons_released_reported:.0f} "
            "(sum of best figures; sub-groups may overlap)",
            f"  linked by their source       {self.n_linked} episodes (the source itself ties "
            "the release to a listed event)",
            f"  peak count                   {self.peak_prisoners:.0f} on {self.peak_date} "
            f"({self.reporter_label})",
            f"  latest count                 {self.last_prisoners:.0f} on {self.last_date}",
            "  events by class:",
        ]
        lines += [f"    {k:<22} {v}" for k, v in self.n_events.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def data_overview(
    frames: dict[str, pd.DataFrame],
    start: Any,
    end: Any,
    reporter: str = "foro_penal",
    reporter_label: str = "Foro Penal",
) -> DataOverview:
    """Headline facts of the record between ``start`` and ``end`` (inclusive).

    ``reporter`` is the ``reported_by`` value of the stock series (the country's reference NGO,
    see :data:`analysis.settings.COUNTRIES`); ``reporter_label`` names it in the summary.
    """
    pc = _period(frames["prisoner_counts"], start, end)
    rel = _period(frames["releases"], start, end)
    ev = _period(frames["events"], start, end)
    fp = prisoner_series(frames["prisoner_counts"], reporter, start, end)
    if fp.empty:
        raise ValueError(f"no {reporter_label} count ({reporter}) between {start} and {end}")
    return DataOverview(
        start=str(pd.Timestamp(start).date()),
        end=str(pd.Timestamp(end).date()),
        n_counts=len(pc),
        n_releases=len(rel),
        n_releases_day=int((rel["date_precision"] == "day").sum()),
        persons_released_reported=float(rel["n_released"].sum()),
        n_events={k: int(v) for k, v in ev["event_class"].value_counts().sort_index().items()},
        peak_prisoners=float(fp.max()),
        peak_date=str(fp.idxmax().date()),
        last_prisoners=float(fp.iloc[-1]),
        last_date=str(fp.index[-1].date()),
        n_linked=int(rel["linked_event_id"].notna().sum()) if "linked_event_id" in rel else 0,
        reporters={k: int(v) for k, v in pc["reported_by"].value_counts().sort_index().items()},
        reporter_label=reporter_label,
    )
