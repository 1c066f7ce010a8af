"""Daily and weekly analysis panels: one row per day (or week) of a country's study period.

Pure functions of the tables returned by :func:`analysis.record.data.load_raw` (plus ``events`` from
:func:`analysis.record.data.event_calendar`) or :func:`analysis.record.data.load_processed`. The
panels hold
the series the timing tests use, so that a researcher can take them to Stata or R:

- release days and persons released (day-precision release episodes, as
  :func:`analysis.record.overview.release_days`);
- events per class (day-precision events chosen as :func:`analysis.record.overview.select_events`
  chooses them by default: rows that *are* releases and rows found only through a release's
  source are left out);
- the reference NGO's prisoner count, *only on the dates it was observed* (no interpolation);
- the NGO's arrest and release flows on the dates it reported them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.record.data import EVENT_CLASSES
from analysis.record.overview import prisoner_series, release_days, select_events
from analysis.settings import DEFAULT_COUNTRY, country_settings

__all__ = ["EVENT_CLASS_COLUMNS", "FLOWS", "daily_panel", "event_column", "weekly_panel"]

#: The NGO's flow columns carried on the dates they were reported.
FLOWS: tuple[str, ...] = ("arrests_in_period", "releases_in_period")


def event_column(event_class: str) -> str:
    """Panel column holding the daily (weekly) count of events of ``event_class``."""
    return f"ev_{event_class}"


#: Event-count columns of the panels, one per class, in alphabetical order of class.
EVENT_CLASS_COLUMNS: tuple[str, ...] = tuple(
    event_column(c) for c in sorted(set(EVENT_CLASSES.values()))
)


def _bounds(country: str, start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    cs = country_settings(country)
    s = pd.Timestamp(start if start is not None else cs.start)
    e = pd.Timestamp(end if end is not None else cs.end)
    if e < s:
        raise ValueError(f"end = {e.date()} is before start = {s.date()}; end must be on or after")
    return s, e


def _releases(frames: Mapping[str, pd.DataFrame], days: pd.DatetimeIndex) -> pd.DataFrame:
    rd = release_days(frames["releases"], days[0], days[-1]).set_index("date")
    out = pd.DataFrame(index=days)
    out["release_day"] = days.isin(rd.index).astype("int8")
    out["n_episodes"] = rd["n_episodes"].reindex(days, fill_value=0).astype("int64")
    persons = rd["persons"].reindex(days).astype("Float64").round().astype("Int64")
    out["persons_released"] = persons.where(out["release_day"] == 1, 0)
    return out


def _events(frames: Mapping[str, pd.DataFrame], days: pd.DatetimeIndex) -> pd.DataFrame:
    classes = sorted(set(EVENT_CLASSES.values()))
    ev = select_events(frames["events"], classes, days[0], days[-1])
    table = pd.crosstab(ev["date"], ev["event_class"]).reindex(columns=classes, fill_value=0)
    table = table.reindex(days, fill_value=0).astype("int64")
    table.columns = [event_column(c) for c in classes]
    return table


def _stock_and_flows(pc: pd.DataFrame, ngo: str, days: pd.DatetimeIndex) -> pd.DataFrame:
    out = pd.DataFrame(index=days)
    stock = prisoner_series(pc, ngo, days[0], days[-1])
    out["political_prisoners"] = stock.reindex(days).round().astype("Int64")
    rows = pc[(pc["reported_by"] == ngo) & pc["date"].between(days[0], days[-1])]
    rows = rows.sort_values(["date", "id"], kind="stable")
    for col in FLOWS:
        last = rows.dropna(subset=[col]).groupby("date")[col].last()
        out[col] = last.reindex(days).astype("Float64").round().astype("Int64")
    return out


def daily_panel(
    frames: Mapping[str, pd.DataFrame],
    country: str = DEFAULT_COUNTRY,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """One row per day of the study period with releases, events per class, stock and flows.

    Parameters
    ----------
    frames : mapping of DataFrame
        ``releases``, ``prisoner_counts`` and ``events`` of one country.
    country : str
        Its key in :data:`analysis.settings.COUNTRIES` (the reference NGO and default period).
    start, end : date-like, optional
        Period (inclusive); default the country's study period.

    Returns
    -------
    DataFrame
        ``date``; ``release_day`` (0/1), ``n_episodes``, ``persons_released`` (largest best
        figure of the day; 0 without a release; missing where a release day has no figure);
        ``ev_<class>`` counts; ``political_prisoners`` (the reference NGO's count on the dates
        it was observed, missing elsewhere); ``arrests_in_period``, ``releases_in_period``
        (the NGO's flows on the dates reported, missing elsewhere).

    Raises
    ------
    ValueError
        For an unknown country, an end before the start, or a country whose reference NGO has
        no count in the period.
    """
    s, e = _bounds(country, start, end)
    days = pd.date_range(s, e, freq="D", name="date").astype("datetime64[s]")
    ngo = country_settings(country).reference_ngo
    parts = [
        _releases(frames, days),
        _events(frames, days),
        _stock_and_flows(frames["prisoner_counts"], ngo, days),
    ]
    return pd.concat(parts, axis=1).rename_axis("date").reset_index()


def weekly_panel(daily: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a :func:`daily_panel` to weeks starting Monday.

    Counts (release days, episodes, events per class) are summed; ``persons_released`` is the
    sum of the known daily figures (a lower bound where ``release_days_no_figure`` > 0); the
    stock and the flows are the *last* value observed in the week (missing if none).
    ``n_days`` is the number of days of the week inside the period (edge weeks are partial).
    """
    df = daily.copy()
    week = df["date"] - pd.to_timedelta(df["date"].dt.day_of_week, unit="D")
    g = df.drop(columns="date").groupby(week.rename("week_start"), sort=True)
    counts = ["release_day", "n_episodes", *[c for c in df.columns if c.startswith("ev_")]]
    out = g[counts].sum().astype("int64").rename(columns={"release_day": "release_days"})
    out.insert(0, "n_days", g.size().astype("int64"))
    out["persons_released"] = g["persons_released"].sum().astype("int64")
    unknown = df["persons_released"].isna().astype("int64").groupby(week).sum()
    out["release_days_no_figure"] = unknown.to_numpy()
    for col in ("political_prisoners", *FLOWS):
        out[col] = g[col].last().astype("Int64")
    out.index = out.index.astype("datetime64[s]")
    return out.reset_index()
