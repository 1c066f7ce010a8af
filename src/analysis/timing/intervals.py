"""Dates as intervals: releases and events known only to a week or a month.

A row dated to a week (``date_precision == "week"``: the date is the Monday) is known to lie in
``[date, date + 6]``; a row dated to a month (the date is the 1st) in ``[date, last day of the
month]``. Dropping such rows throws away releases and talks; placing them at their coded date
invents a precision the sources do not give. The coincidence test takes them as intervals
(:func:`analysis.timing.coincidence.coincidence_test`, ``release_ends`` / ``event_ends``):

- an **event** known to ``[a, b]`` falls on each of its days with probability ``1 / (b - a + 1)``;
  the hit value of a release day is the probability that at least one event lies in its window;
- a **release** known to ``[a, b]`` contributes the probability that its unknown day is a hit:
  the mean hit value over its interval;
- under the null the interval moves as a block (its own cluster, anchored at its first day).

Intervals are cut at the observation period (a month that starts inside the period but ends
after it keeps only its days inside). Weekly and monthly rows are kept as separate rows: a
day-precision release inside a weekly row's week is not merged with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.record.overview import release_dates, release_days, select_events

__all__ = ["PRECISIONS", "interval_end", "interval_events", "interval_releases", "n_interval_rows"]

#: Date precisions that enter as intervals, with their rule.
PRECISIONS: dict[str, str] = {
    "day": "the day itself",
    "week": "date (a Monday) to date + 6 days",
    "month": "date (the 1st) to the last day of that month",
}


def interval_end(dates: Any, precision: Any) -> pd.Series:
    """Last possible day of each date given its precision (day, week or month).

    Raises
    ------
    ValueError
        For a precision other than day, week or month.
    """
    d = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
    p = pd.Series(precision).astype(str).reset_index(drop=True)
    bad = sorted(set(p) - set(PRECISIONS))
    if bad:
        raise ValueError(f"precision {bad} not allowed; use one of {', '.join(PRECISIONS)}")
    end = d.copy()
    week = p == "week"
    month = p == "month"
    end[week] = d[week] + pd.Timedelta(days=6)
    end[month] = d[month] + pd.offsets.MonthEnd(0)
    return end


def _clip(df: pd.DataFrame, end: Any) -> pd.DataFrame:
    if end is not None:
        df["end"] = df["end"].where(df["end"] <= pd.Timestamp(end), pd.Timestamp(end))
    return df


def interval_releases(
    releases: pd.DataFrame,
    start: Any = None,
    end: Any = None,
    exclude_mechanisms: Sequence[str] = (),
) -> pd.DataFrame:
    """Release days (day precision, as :func:`analysis.record.overview.release_days`) plus the
    rows known only to a week or month, each as an interval.

    Returns
    -------
    DataFrame
        ``date`` (first possible day), ``end`` (last possible day), ``persons``, ``precision``.
        Day rows first (one per release day), then interval rows in date order.
    """
    days = release_days(releases, start, end, exclude_mechanisms=exclude_mechanisms)
    day_rows = pd.DataFrame({"date": days["date"], "end": days["date"],
                             "persons": days["persons"], "precision": "day"})  # fmt: skip
    wide = release_dates(releases, start, end, precision=("week", "month"))
    if exclude_mechanisms:
        wide = wide[~wide["mechanism"].isin(list(exclude_mechanisms))]
    prec = releases.set_index("id").loc[wide["id"], "date_precision"].to_numpy()
    iv = pd.DataFrame({"date": pd.to_datetime(wide["date"]).to_numpy(),
                       "end": interval_end(wide["date"], prec).to_numpy(),
                       "persons": wide["persons"].to_numpy(), "precision": prec})  # fmt: skip
    iv = _clip(iv, end).sort_values("date", kind="stable")
    return pd.concat([day_rows, iv], ignore_index=True)


def interval_events(
    events: pd.DataFrame, classes: Sequence[str] | None, start: Any = None, end: Any = None,
    **kwargs: Any,
) -> pd.DataFrame:  # fmt: skip
    """Events of the given classes, day-precision ones as days and the others as intervals
    (selection as :func:`analysis.record.overview.select_events`; ``kwargs`` passed on).

    Returns
    -------
    DataFrame
        The selected rows with ``end`` (last possible day) added.
    """
    ev = select_events(events, classes, start, end, precision=("day", "week", "month"), **kwargs)
    ev = ev.copy()
    ev["end"] = interval_end(ev["date"], ev["date_precision"]).to_numpy()
    return _clip(ev, end).reset_index(drop=True)


def n_interval_rows(df: pd.DataFrame) -> int:
    """Rows of an interval table whose end is after their first day."""
    return int(np.count_nonzero(pd.to_datetime(df["end"]) > pd.to_datetime(df["date"])))
