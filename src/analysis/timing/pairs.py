"""Citable pairs: every release and event that fall within a coincidence test's window.

A coincidence test reports a share; a reviewer wants the rows behind it. :func:`coincidence_pairs`
lists each release-event pair that the test counts, with both ids, both dates, the lag in days and
both citations (description, source name and URL), so that each pair can be checked against its
two pages in a minute.

Windows follow :func:`analysis.timing.coincidence.window_indicator` (closed intervals of whole
days):
for release day ``t`` and event day ``e``,

- ``"before"``: the event lies in ``[t - window, t]`` (lag ``t - e`` in ``[0, window]``);
- ``"after"``: the event lies in ``[t, t + window]`` (lag in ``[-window, 0]``);
- ``"around"``: ``|e - t| <= window``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.timing.calendar import to_days
from analysis.timing.coincidence import DIRECTIONS

__all__ = ["PAIR_COLUMNS", "coincidence_pairs", "release_day_pairs"]

#: Columns of the table returned by :func:`coincidence_pairs`, in order.
PAIR_COLUMNS: tuple[str, ...] = (
    "release_id",
    "release_date",
    "release_date_precision",
    "persons",
    "event_id",
    "event_date",
    "event_date_precision",
    "event_class",
    "lag_days",
    "release_description",
    "event_description",
    "release_source_name",
    "release_source_url",
    "event_source_name",
    "event_source_url",
)

#: Where each optional output column is read from, in order of preference (first present wins).
_RELEASE_FIELDS: dict[str, tuple[str, ...]] = {
    "release_date_precision": ("date_precision",),
    "persons": ("n_released", "persons"),
    "release_description": ("description", "evidence"),
    "release_source_name": ("source_name",),
    "release_source_url": ("source_url",),
}
_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "event_date_precision": ("date_precision",),
    "event_class": ("event_class",),
    "event_description": ("description",),
    "event_source_name": ("source_name",),
    "event_source_url": ("source_url",),
}


def _check_window(window: Any) -> int:
    number = (int, float, np.integer, np.floating)
    if isinstance(window, number) and not isinstance(window, bool):
        w = float(window)
        if math.isfinite(w) and w == round(w) and w >= 0:
            return int(w)
    raise ValueError(f"window = {window!r} must be a whole number of days >= 0")


def _check_frame(frame: Any, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame with columns id and date; got {type(frame)}")
    missing = [c for c in ("id", "date") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {', '.join(missing)}; it needs id and date "
            f"(has: {', '.join(map(str, frame.columns))})"
        )
    return frame.reset_index(drop=True)


def _pick(frame: pd.DataFrame, fields: dict[str, tuple[str, ...]], rows: np.ndarray) -> dict:
    """Take each output column from the first source column present (missing -> <NA>)."""
    out: dict[str, Any] = {}
    for target, sources in fields.items():
        col = next((c for c in sources if c in frame.columns), None)
        if col is None:
            out[target] = pd.array([pd.NA] * len(rows), dtype="string")
        else:
            out[target] = frame[col].iloc[rows].reset_index(drop=True).array
    return out


def _bounds(direction: str, window: int) -> tuple[int, int]:
    """Event offsets ``e - t`` admitted by the window, as a closed interval."""
    return {"before": (-window, 0), "after": (0, window), "around": (-window, window)}[direction]


def _match(rel_days: np.ndarray, ev_days: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, ...]:
    """Indices (release, event) of every pair with ``lo <= e - t <= hi``."""
    order = np.argsort(ev_days, kind="stable")
    sorted_ev = ev_days[order]
    first = np.searchsorted(sorted_ev, rel_days + lo, side="left")
    last = np.searchsorted(sorted_ev, rel_days + hi, side="right")
    counts = last - first
    r_idx = np.repeat(np.arange(rel_days.size), counts)
    starts = np.repeat(first, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return r_idx, order[starts + offsets]


def coincidence_pairs(
    releases_df: pd.DataFrame,
    events_df: pd.DataFrame,
    window: int,
    direction: str = "around",
    sort: Sequence[str] = ("release_date", "release_id", "event_date", "event_id"),
) -> pd.DataFrame:
    """Every release-event pair within the window of a coincidence test, with both citations.

    Parameters
    ----------
    releases_df : DataFrame
        Release rows with ``id`` and ``date`` (e.g. ``frames["releases"]`` or
        :func:`analysis.record.overview.release_dates`). Used when present: ``date_precision``,
        ``n_released`` (or ``persons``), ``description`` (else ``evidence``, the paraphrase of
        what the source states), ``source_name``, ``source_url``.
    events_df : DataFrame
        Event rows with ``id`` and ``date`` (e.g. :func:`analysis.record.overview.select_events`).
        Used
        when present: ``date_precision``, ``event_class``, ``description``, ``source_name``,
        ``source_url``.
    window : int
        Window in whole days (>= 0; 0 pairs same-day events only).
    direction : {"before", "after", "around"}
        Where the event must lie relative to the release day ``t``: ``[t - window, t]``,
        ``[t, t + window]`` or ``|e - t| <= window`` (as in
        :func:`analysis.timing.coincidence.window_indicator`).
    sort : sequence of str
        Output columns to sort by.

    Returns
    -------
    DataFrame
        One row per pair, columns :data:`PAIR_COLUMNS`; ``lag_days`` is release day minus event
        day (positive: the event came first). Columns absent from the inputs are ``<NA>``.

    Raises
    ------
    ValueError
        For a window that is not a whole number >= 0, an unknown direction, a frame without
        ``id`` or ``date``, or a missing or unreadable date (naming the row).
    TypeError
        If an input is not a DataFrame.

    Examples
    --------
    >>> rel = pd.DataFrame({"id": ["r1"], "date": ["2024-01-10"]})
    >>> ev = pd.DataFrame({"id": ["e1", "e2"], "date": ["2024-01-03", "2024-01-30"]})
    >>> coincidence_pairs(rel, ev, 14, "before")[["release_id", "event_id", "lag_days"]]
      release_id event_id  lag_days
    0         r1       e1         7
    """
    window = _check_window(window)
    if direction not in DIRECTIONS:
        allowed = ", ".join(DIRECTIONS)
        raise ValueError(f"direction = {direction!r} is not allowed; use one of {allowed}")
    rel = _check_frame(releases_df, "releases_df")
    ev = _check_frame(events_df, "events_df")
    rel_days = to_days(rel["date"], name="releases_df['date']")
    ev_days = to_days(ev["date"], name="events_df['date']")
    r_idx, e_idx = _match(rel_days, ev_days, *_bounds(direction, window))
    out = pd.DataFrame(
        {
            "release_id": rel["id"].iloc[r_idx].astype("string").reset_index(drop=True).array,
            "release_date": rel_days[r_idx].astype("datetime64[D]").astype("datetime64[s]"),
            "event_id": ev["id"].iloc[e_idx].astype("string").reset_index(drop=True).array,
            "event_date": ev_days[e_idx].astype("datetime64[D]").astype("datetime64[s]"),
            "lag_days": (rel_days[r_idx] - ev_days[e_idx]).astype("int64"),
            **_pick(rel, _RELEASE_FIELDS, r_idx),
            **_pick(ev, _EVENT_FIELDS, e_idx),
        }
    )
    unknown = [c for c in sort if c not in PAIR_COLUMNS]
    if unknown:
        raise ValueError(f"sort names unknown column(s) {unknown}; allowed: {PAIR_COLUMNS}")
    out = out.loc[:, list(PAIR_COLUMNS)]
    return out.sort_values(list(sort), kind="stable").reset_index(drop=True)


def release_day_pairs(
    releases: pd.DataFrame,
    days: pd.DataFrame,
    events_df: pd.DataFrame,
    window: int,
    direction: str = "around",
) -> pd.DataFrame:
    """:func:`coincidence_pairs` for the release *days* a test used, cited by their episodes.

    Parameters
    ----------
    releases : DataFrame
        The ``releases`` table (for each episode's date, description and source).
    days : DataFrame
        Release days from :func:`analysis.record.overview.release_days` (its ``ids`` column lists
        the episodes of each day, ``;``-separated).
    events_df, window, direction
        As in :func:`coincidence_pairs`.

    Returns
    -------
    DataFrame
        One row per episode of a used release day and event within the window.

    Raises
    ------
    ValueError
        If ``days`` has no ``ids`` column or names an episode that is not in ``releases``.
    """
    if "ids" not in days.columns:
        raise ValueError("days must come from analysis.record.overview.release_days (no 'ids')")
    ids = [i for s in days["ids"] for i in str(s).split(";") if i]
    unknown = sorted(set(ids) - set(releases["id"]))
    if unknown:
        raise ValueError(f"days names episodes not in releases: {unknown[:5]}")
    return coincidence_pairs(releases[releases["id"].isin(ids)], events_df, window, direction)
