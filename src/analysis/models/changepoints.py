"""Change points in the Foro Penal political-prisoner count series, placed against events.

The Foro Penal counts are published irregularly (sometimes weekly, sometimes months apart).
:func:`detect_changepoints` runs :mod:`ruptures` on the *observed values in time order*, i.e. on
the sequence of reports, not on a regular calendar grid: no values are interpolated, and a break
found between report ``i - 1`` and report ``i`` means the level changed at some unknown date in
``(date[i - 1], date[i]]``. Both ends of that interval are reported. Consequences:

- ``min_size`` is a number of *reports*, not of days;
- periods with dense reporting weigh more in the segment costs than sparse periods;
- the timing of a break is only known to the reporting gap, which can be long; compare the gap
  with the distances returned by :func:`nearest_events` before reading anything into them.

:func:`nearest_events` then gives, for every break and event class, the nearest event and the
signed distance in days (break date minus event date: positive = break after the event).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import ruptures as rpt

from analysis.results import TextResult
from analysis.timing.calendar import from_days, to_days

__all__ = ["ChangepointResult", "NearestEventsResult", "detect_changepoints", "nearest_events"]

_METHODS = ("pelt", "binseg")
_MODELS = ("l2", "rbf")


@dataclass(frozen=True, repr=False)
class ChangepointResult(TextResult):
    """Detected change points of an irregularly sampled series.

    Attributes
    ----------
    dates : pandas.DatetimeIndex
        Observation dates in time order.
    values : numpy.ndarray
        Observed values in the same order.
    break_indices : numpy.ndarray
        Position (in ``dates``) of the first observation of each new segment.
    change_dates : pandas.DatetimeIndex
        Date of the first observation after each break (latest possible change date).
    previous_dates : pandas.DatetimeIndex
        Date of the last observation before each break (the change happened after it).
    segments : pandas.DataFrame
        One row per segment: ``start``, ``end`` (dates of first/last observation), ``n_obs``,
        ``mean``.
    penalty : float
        Penalty used (the default is computed, see :func:`detect_changepoints`).
    method, model : str
        ruptures search method and cost model.
    min_size : int
        Minimum segment length in observations.
    n_breaks : int or None
        Fixed number of breaks requested (binseg only), else ``None``.
    """

    dates: pd.DatetimeIndex = field(compare=False)
    values: np.ndarray = field(compare=False)
    break_indices: np.ndarray = field(compare=False)
    change_dates: pd.DatetimeIndex = field(compare=False)
    previous_dates: pd.DatetimeIndex = field(compare=False)
    segments: pd.DataFrame = field(compare=False)
    penalty: float | None
    method: str
    model: str
    min_size: int
    n_breaks: int | None

    def to_frame(self) -> pd.DataFrame:
        """One row per break: gap start (last obs before), change date, level before/after."""
        means = self.segments["mean"].to_numpy()
        return pd.DataFrame(
            {
                "previous_date": self.previous_dates,
                "change_date": self.change_dates,
                "gap_days": (self.change_dates - self.previous_dates).days,
                "mean_before": means[:-1],
                "mean_after": means[1:],
            },
            index=pd.RangeIndex(len(self.change_dates), name="break"),
        )

    def summary(self) -> str:
        """Plain-text table of breaks and segments."""
        pen = "n/a" if self.penalty is None else f"{self.penalty:.4g}"
        lines = [
            f"Change points ({self.method}, cost {self.model}, penalty {pen}, min_size "
            f"{self.min_size} obs) on {len(self.dates)} irregular observations "
            f"{self.dates[0].date()} to {self.dates[-1].date()}: {len(self.change_dates)} breaks",
            "A break lies between previous_date (exclusive) and change_date (inclusive).",
        ]
        if len(self.change_dates):
            lines.append(self.to_frame().to_string(float_format=lambda v: f"{v:.1f}"))
        lines.append("Segments:")
        lines.append(self.segments.to_string(float_format=lambda v: f"{v:.1f}"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ChangepointResult(n_obs={len(self.dates)}, n_breaks={len(self.change_dates)}, "
            f"method={self.method!r}, model={self.model!r})"
        )


def _default_penalty(signal: np.ndarray, model: str) -> float:
    n = signal.shape[0]
    if model == "l2":
        # BIC-type penalty 2 sigma^2 log n, sigma from the MAD of first differences (robust to
        # the level shifts themselves)
        d = np.diff(signal[:, 0])
        sigma = 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2) if d.size else 0.0
        if not np.isfinite(sigma) or sigma <= 0:
            sigma = float(np.std(signal[:, 0])) or 1.0
        return float(2 * sigma**2 * np.log(n))
    # rbf cost of a segment is bounded by its length; log(n) per break is the usual choice
    return float(np.log(n))


def detect_changepoints(
    dates: Any,
    counts: Any,
    *,
    penalty: float | None = None,
    method: str = "pelt",
    min_size: int = 3,
    model: str = "l2",
    n_breaks: int | None = None,
    duplicates: str = "raise",
) -> ChangepointResult:
    """Detect level changes in an irregularly sampled count series with :mod:`ruptures`.

    Parameters
    ----------
    dates : array-like of date-like
        Observation (report) dates; sorted internally (see ``duplicates`` for repeated dates).
    counts : array-like of float
        Observed values (e.g. Foro Penal's count of political prisoners), one per date.
    penalty : float, optional
        Penalty per break (> 0). Default for ``"l2"``: ``2 sigma^2 log(n)`` with ``sigma`` the
        robust (MAD) noise scale from first differences; for ``"rbf"``: ``log(n)``. Larger
        penalties give fewer breaks.
    method : {"pelt", "binseg"}, default "pelt"
        Exact penalised search (PELT) or binary segmentation.
    min_size : int, default 3
        Minimum number of observations per segment (>= 1).
    model : {"l2", "rbf"}, default "l2"
        Cost: ``"l2"`` detects mean shifts; ``"rbf"`` (kernel) detects distribution changes.
    n_breaks : int, optional
        With ``method="binseg"``, return exactly this many breaks instead of using the penalty.
    duplicates : {"raise", "mean"}, default "raise"
        Several reports on one date: raise, or average them into one observation.

    Returns
    -------
    ChangepointResult
        Break positions and dates, segment means and the settings.

    Raises
    ------
    ValueError
        On unreadable or duplicate dates, non-finite counts, mismatched lengths, too few
        observations for ``min_size``, or a setting outside its allowed values.

    Notes
    -----
    Breaks are searched on the observation index (every observation is a candidate, ruptures'
    ``jump=1``); see the module docstring for what that means for irregular spacing.
    """
    if method not in _METHODS:
        raise ValueError(f"method = {method!r} is not allowed; use one of {_METHODS}")
    if duplicates not in ("raise", "mean"):
        raise ValueError(f"duplicates = {duplicates!r} is not allowed; use 'raise' or 'mean'")
    if model not in _MODELS:
        raise ValueError(f"model = {model!r} is not allowed; use one of {_MODELS}")
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 1:
        raise ValueError(f"min_size = {min_size!r} is not allowed; it must be an integer >= 1")
    if penalty is not None and (
        not isinstance(penalty, (int, float)) or not np.isfinite(penalty) or penalty <= 0
    ):
        raise ValueError(f"penalty = {penalty!r} is not allowed; it must be a number > 0")
    if n_breaks is not None:
        if method != "binseg":
            raise ValueError(f"n_breaks = {n_breaks!r} is only allowed with method='binseg'")
        if (
            isinstance(n_breaks, bool)
            or not isinstance(n_breaks, (int, np.integer))
            or n_breaks < 1
        ):
            raise ValueError(f"n_breaks = {n_breaks!r} is not allowed; it must be an integer >= 1")
    d = to_days(dates, name="dates")
    try:
        y = np.asarray(counts, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("counts must be numbers, one per date") from None
    if y.ndim != 1 or y.shape != d.shape:
        raise ValueError(
            f"counts has shape {y.shape}; it must be 1-D with one value per date ({d.size})"
        )
    if not np.all(np.isfinite(y)):
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(
            f"counts[{i}] = {float(y[i])} is not allowed; counts must be finite "
            "(drop missing reports first)"
        )
    order = np.argsort(d, kind="stable")
    d, y = d[order], y[order]
    dup = np.flatnonzero(np.diff(d) == 0)
    if dup.size and duplicates == "raise":
        raise ValueError(
            f"dates has a duplicate ({from_days([d[dup[0]]])[0].date()}); give one value per "
            "date or pass duplicates='mean'"
        )
    if dup.size:  # duplicates == "mean"
        d, inverse = np.unique(d, return_inverse=True)
        y = np.bincount(inverse, weights=y) / np.bincount(inverse)
    n = d.size
    if n < 2 * min_size:
        raise ValueError(
            f"{n} observations are too few for min_size = {min_size}; need at least {2 * min_size}"
        )

    signal = y.reshape(-1, 1)
    if model == "rbf":
        sd = signal.std()
        signal = (signal - signal.mean()) / (sd if sd > 0 else 1.0)
    pen: float | None = None
    if n_breaks is None:
        pen = float(penalty) if penalty is not None else _default_penalty(signal, model)
    algo_cls = rpt.Pelt if method == "pelt" else rpt.Binseg
    algo = algo_cls(model=model, min_size=int(min_size), jump=1).fit(signal)
    try:
        bkps = algo.predict(n_bkps=n_breaks) if n_breaks is not None else algo.predict(pen=pen)
    except rpt.exceptions.BadSegmentationParameters:
        raise ValueError(
            f"n_breaks = {n_breaks} is too many for {n} observations with min_size = {min_size}"
        ) from None
    idx = np.asarray(bkps[:-1], dtype=np.int64)
    bounds = np.concatenate([[0], idx, [n]])
    dt = from_days(d)
    segments = pd.DataFrame(
        {
            "start": dt[bounds[:-1]],
            "end": dt[bounds[1:] - 1],
            "n_obs": np.diff(bounds),
            "mean": [float(y[a:b].mean()) for a, b in itertools.pairwise(bounds)],
        },
        index=pd.RangeIndex(bounds.size - 1, name="segment"),
    )
    return ChangepointResult(
        dates=dt,
        values=y,
        break_indices=idx,
        change_dates=dt[idx],
        previous_dates=dt[idx - 1],
        segments=segments,
        penalty=pen,
        method=method,
        model=model,
        min_size=int(min_size),
        n_breaks=None if n_breaks is None else int(n_breaks),
    )


@dataclass(frozen=True, repr=False)
class NearestEventsResult(TextResult):
    """Each break placed against the event calendar.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (break, event class): ``break`` (number), ``change_date``,
        ``previous_date``, ``event_class``, ``nearest_event`` to the change date (NaT if none
        within ``max_days``; on a tie the earlier event), ``distance_days`` (change_date minus
        event date; positive = break after the event; NaN if none), ``in_gap`` (some event of
        the class lies in the reporting gap ``(previous_date, change_date]`` in which the change
        happened; not limited by ``max_days``).
    max_days : int or None
        Largest |distance| accepted.
    """

    table: pd.DataFrame = field(compare=False)
    max_days: int | None

    def summary(self) -> str:
        """Plain-text table of nearest events."""
        lim = "no limit" if self.max_days is None else f"within {self.max_days} days"
        head = (
            f"Nearest event per class to each break ({lim}); distance = change date - event "
            "date (positive: break after event)"
        )
        return f"{head}\n{self.table.to_string(index=False)}"

    def __repr__(self) -> str:
        return f"NearestEventsResult(rows={len(self.table)}, max_days={self.max_days})"


def nearest_events(
    result: ChangepointResult, events: Mapping[str, Any], max_days: int | None = None
) -> NearestEventsResult:
    """Place every detected break against the event calendar.

    Parameters
    ----------
    result : ChangepointResult
        Output of :func:`detect_changepoints`.
    events : mapping of str to array-like of date-like
        Event dates per class.
    max_days : int, optional
        Only events within this many days (|distance| <= max_days) count as nearest; ``None``:
        no limit.

    Returns
    -------
    NearestEventsResult

    Raises
    ------
    ValueError
        If ``result`` is not a :class:`ChangepointResult`, ``events`` is not a mapping or
        ``max_days`` is negative.
    """
    if not isinstance(result, ChangepointResult):
        raise ValueError(f"result must be a ChangepointResult, got {type(result)!r}")
    if not isinstance(events, Mapping):
        raise ValueError(f"events must be a dict of class name -> dates, got {type(events)!r}")
    if max_days is not None and (
        isinstance(max_days, bool) or not isinstance(max_days, (int, np.integer)) or max_days < 0
    ):
        raise ValueError(f"max_days = {max_days!r} is not allowed; it must be an integer >= 0")
    change = to_days(result.change_dates)
    prev = to_days(result.previous_dates)
    rows = []
    for cls, dates in events.items():
        ev = np.sort(to_days(dates, name=f"events[{cls!r}]"))
        for b, (c, p) in enumerate(zip(change, prev, strict=True)):
            near, dist, in_gap = pd.NaT, np.nan, False
            if ev.size:
                j = np.searchsorted(ev, c)
                cand = ev[max(j - 1, 0) : j + 1]
                k = int(cand[np.argmin(np.abs(c - cand))])
                if max_days is None or abs(c - k) <= max_days:
                    near, dist = from_days([k])[0], float(c - k)
                in_gap = bool(np.any((ev > p) & (ev <= c)))
            rows.append(
                {
                    "break": b,
                    "change_date": from_days([c])[0],
                    "previous_date": from_days([p])[0],
                    "event_class": cls,
                    "nearest_event": near,
                    "distance_days": dist,
                    "in_gap": in_gap,
                }
            )
    cols = [
        "break",
        "change_date",
        "previous_date",
        "event_class",
        "nearest_event",
        "distance_days",
        "in_gap",
    ]
    table = pd.DataFrame(rows, columns=cols)
    return NearestEventsResult(table=table, max_days=None if max_days is None else int(max_days))
