"""Dates to day numbers, daily and weekly series.

Every analysis function works on integer *day numbers* (days since 1970-01-01), so that windows,
shifts and bins are plain integer arithmetic. This module is the only place that converts between
calendar dates and day numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["as_weights", "daily_counts", "from_days", "to_day", "to_days", "weekly_counts"]

_EPOCH = np.datetime64("1970-01-01", "D")


def to_days(dates: Any, *, name: str = "dates") -> np.ndarray:
    """Convert an array-like of dates to integer day numbers.

    Parameters
    ----------
    dates : array-like
        Strings (ISO ``YYYY-MM-DD``), ``datetime64``, ``pandas.Timestamp``, ``datetime.date`` or
        integer day numbers. Times of day are dropped (floored to the day).
    name : str, default "dates"
        Name used in error messages (e.g. ``"releases"``).

    Returns
    -------
    numpy.ndarray
        ``int64`` day numbers (days since 1970-01-01), same order as the input.

    Raises
    ------
    ValueError
        If a value is missing or cannot be read as a date; the message names the position and value.
    """
    if isinstance(dates, (str, bytes)) or not isinstance(dates, Iterable):
        dates = [dates]
    values = list(dates) if not isinstance(dates, (np.ndarray, pd.Series, pd.Index)) else dates
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{name}[{i}] = {float(arr[i])!r} is not a whole day number or a date")
        return arr.astype(np.int64)
    series = pd.Series(np.asarray(values, dtype=object) if arr.dtype == object else arr)
    missing = series.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{name}[{i}] is missing ({series.iloc[i]!r}); every date must be given")
    parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}[{i}] = {series.iloc[i]!r} is not a date; use ISO 'YYYY-MM-DD', datetime64 "
            "or Timestamp"
        )
    return (
        (parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed)
        .to_numpy()
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def to_day(date: Any, *, name: str = "date") -> int:
    """Convert one date to its day number (see :func:`to_days`)."""
    return int(to_days([date], name=name)[0])


def from_days(days: Any) -> pd.DatetimeIndex:
    """Convert day numbers back to a :class:`pandas.DatetimeIndex` (midnight, no time zone)."""
    arr = np.asarray(days, dtype=np.int64)
    return pd.DatetimeIndex((_EPOCH + arr).astype("datetime64[ns]"))


def daily_counts(days: Any, start: int, end: int, weights: Any | None = None) -> np.ndarray:
    """Count (or sum weights of) events per day on the closed range ``[start, end]``.

    Parameters
    ----------
    days : array-like of int
        Day numbers of the events (see :func:`to_days`).
    start, end : int
        First and last day number of the observation period (inclusive).
    weights : array-like, optional
        One non-negative weight per event (e.g. persons released); default 1 each.

    Returns
    -------
    numpy.ndarray
        Length ``end - start + 1``; float if weights are given, else int64.

    Raises
    ------
    ValueError
        If ``end < start``, an event lies outside the period, or weights do not match.
    """
    d = np.asarray(days, dtype=np.int64)
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    outside = (d < start) | (d > end)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(f"days[{i}] = {d[i]} lies outside [start, end] = [{start}, {end}]")
    n = end - start + 1
    if weights is None:
        return np.bincount(d - start, minlength=n).astype(np.int64)
    w = np.asarray(weights, dtype=float)
    if w.shape != d.shape:
        raise ValueError(f"weights has length {w.size}; it must match days (length {d.size})")
    return np.bincount(d - start, weights=w, minlength=n)


def weekly_counts(dates: Any, start: Any, end: Any, weights: Any | None = None) -> pd.Series:
    """Weekly totals (weeks starting Monday) over the period containing ``start`` to ``end``.

    Parameters
    ----------
    dates : array-like
        Event dates (anything :func:`to_days` accepts).
    start, end : date-like
        Observation period (inclusive). Weeks are those whose Monday falls on or before ``end``,
        from the Monday on or before ``start``.
    weights : array-like, optional
        Weight per event (default 1).

    Returns
    -------
    pandas.Series
        Indexed by the Monday of each week (``DatetimeIndex``), zero-filled.
    """
    d = to_days(dates)
    s, e = to_day(start, name="start"), to_day(end, name="end")
    daily = daily_counts(d, s, e, weights)
    # 1970-01-01 was a Thursday: Monday-aligned week number = (day + 3) // 7
    week = (np.arange(s, e + 1) + 3) // 7
    totals = np.bincount(week - week[0], weights=daily.astype(float))
    mondays = (np.arange(week[0], week[-1] + 1) * 7) - 3
    return pd.Series(totals, index=from_days(mondays), name="count")


def as_weights(weights: Any, n: int, *, require_positive_sum: bool = False) -> np.ndarray:
    """Check one weight per release (e.g. persons released) and return them as floats.

    Parameters
    ----------
    weights : array-like
        The weights.
    n : int
        Number of releases they must match.
    require_positive_sum : bool, default False
        Also refuse weights that are all zero.

    Raises
    ------
    ValueError
        Wrong length, a missing, infinite or negative weight (named by position), or (if asked)
        a zero sum.
    """
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != n:
        raise ValueError(f"weights has length {w.size}; it must match releases (length {n})")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"weights[{i}] = {float(w[i])!r} is not allowed; weights must be finite and >= 0"
        )
    if require_positive_sum and w.sum() <= 0:
        raise ValueError("weights sum to 0; at least one release needs a positive weight")
    return w
