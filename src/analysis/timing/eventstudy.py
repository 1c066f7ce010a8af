"""Event-study profile of release intensity around events, with surrogate bands.

For each event (a diplomatic meeting, a sanctions decision, ...) take the daily release series in
the window ``[-half_width, +half_width]`` days around it; the *profile* is the average over events
of the release count at each offset, i.e. the release intensity (episodes per day, and persons per
day when weights are given) as a function of the distance to an event. A peak before offset 0
would mean releases tend to precede events; a peak after, that they follow.

The reference band comes from *surrogate* release calendars that keep the number and size of the
release clusters but destroy their timing relative to the events:

- ``null="jitter"`` (default): the period is cut into fixed consecutive bins of ``jitter_days``
  days from ``start``; every same-day release cluster is moved to a uniformly drawn day of *its
  own* bin. Slow trends and seasonality coarser than the bin are kept; the fine timing is
  randomised. This is the conservative null for "releases cluster near events beyond what their
  month-scale rate explains".
- ``null="uniform"``: every cluster is moved to a uniformly drawn day of the whole period (keeps
  nothing but the cluster sizes; anti-conservative when the release rate has trends).

Edge handling: only events whose full window lies within ``[start, end]`` are used, so every
offset is averaged over the same set of events; the others are reported as dropped. Duplicate
event days are counted once.

Bands are *pointwise*: with 2 * half_width + 1 offsets some excursions outside a 95 % band are
expected by chance. The single pre-registered test is the window statistic (mean profile over
``test_window``) against the same surrogates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.results import TextResult
from analysis.timing.calendar import as_weights, daily_counts, from_days, to_day, to_days

__all__ = ["EventStudyResult", "event_study"]

_NULLS = ("jitter", "uniform")


@dataclass(frozen=True, repr=False)
class EventStudyResult(TextResult):
    """Event-study profile and surrogate bands.

    Attributes
    ----------
    offsets : numpy.ndarray
        Days relative to the event, ``-half_width .. +half_width``.
    profile : numpy.ndarray
        Mean release episodes per day at each offset (smoothed if ``smooth`` was given).
    band_low, band_high : numpy.ndarray
        Pointwise ``band`` quantile interval of the surrogate profiles.
    null_mean : numpy.ndarray
        Mean surrogate profile (expected intensity under the null).
    persons_profile, persons_band_low, persons_band_high, persons_null_mean : numpy.ndarray or None
        The same for persons released per day (``None`` without weights).
    window_stat : float
        Mean of ``profile`` over ``test_window`` (episodes per day).
    window_null_mean : float
        Mean of that statistic over the surrogates.
    window_p : float
        One-sided Monte-Carlo p-value ``(1 + #{surrogate >= observed}) / (1 + n_surrogates)``
        for the null "release timing is unrelated to the events beyond the null model".
    persons_window_stat, persons_window_p : float or None
        The same test for persons per day (``None`` without weights).
    event_days_used : numpy.ndarray
        Day numbers of the events that entered the average.
    n_events_dropped : int
        Events whose window did not fit in the period (plus duplicates).
    n_releases, n_clusters : int
        Release records and distinct release days.
    start, end, half_width, n_surrogates, band, seed, null, jitter_days, smooth, test_window
        The settings.
    """

    offsets: np.ndarray = field(compare=False)
    profile: np.ndarray = field(compare=False)
    band_low: np.ndarray = field(compare=False)
    band_high: np.ndarray = field(compare=False)
    null_mean: np.ndarray = field(compare=False)
    persons_profile: np.ndarray | None = field(compare=False)
    persons_band_low: np.ndarray | None = field(compare=False)
    persons_band_high: np.ndarray | None = field(compare=False)
    persons_null_mean: np.ndarray | None = field(compare=False)
    window_stat: float
    window_null_mean: float
    window_p: float
    persons_window_stat: float | None
    persons_window_p: float | None
    event_days_used: np.ndarray = field(compare=False)
    n_events_dropped: int
    n_releases: int
    n_clusters: int
    start: pd.Timestamp
    end: pd.Timestamp
    half_width: int
    n_surrogates: int
    band: float
    seed: int | None
    null: str
    jitter_days: int
    smooth: int | None
    test_window: tuple[int, int]

    @property
    def n_events(self) -> int:
        """Number of events averaged."""
        return int(self.event_days_used.size)

    def to_frame(self) -> pd.DataFrame:
        """Profile and bands as a DataFrame indexed by offset."""
        cols: dict[str, np.ndarray] = {
            "profile": self.profile,
            "band_low": self.band_low,
            "band_high": self.band_high,
            "null_mean": self.null_mean,
        }
        if self.persons_profile is not None:
            cols |= {
                "persons_profile": self.persons_profile,
                "persons_band_low": self.persons_band_low,  # type: ignore[dict-item]
                "persons_band_high": self.persons_band_high,  # type: ignore[dict-item]
                "persons_null_mean": self.persons_null_mean,  # type: ignore[dict-item]
            }
        return pd.DataFrame(cols, index=pd.Index(self.offsets, name="offset"))

    def summary(self) -> str:
        """Short plain-text summary: settings, window test and profile at selected offsets."""
        lo, hi = self.test_window
        null = f"jitter within {self.jitter_days}-day bins" if self.null == "jitter" else "uniform"
        lines = [
            f"Event study: {self.n_events} events used ({self.n_events_dropped} dropped: window "
            f"outside period or duplicate), {self.n_releases} releases on {self.n_clusters} days",
            f"Period {self.start.date()} to {self.end.date()}; window +/-{self.half_width} days; "
            f"smooth={self.smooth}; null={null}; {self.n_surrogates} surrogates, seed={self.seed}",
            f"Mean episodes/day over offsets [{lo}, {hi}]: {self.window_stat:.4g} "
            f"(null mean {self.window_null_mean:.4g}); one-sided p = {self.window_p:.4g}",
        ]
        if self.persons_window_stat is not None:
            lines.append(
                f"Mean persons/day over offsets [{lo}, {hi}]: {self.persons_window_stat:.4g}; "
                f"one-sided p = {self.persons_window_p:.4g}"
            )
        lines.append(
            f"Bands are pointwise {self.band:.0%}; excursions at some offsets are expected."
        )
        step = max(1, self.half_width // 6)
        keep = (self.offsets % step == 0) | (self.offsets == 0)
        tab = self.to_frame().loc[keep, ["profile", "null_mean", "band_low", "band_high"]]
        lines.append(tab.to_string(float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"EventStudyResult(n_events={self.n_events}, half_width={self.half_width}, "
            f"null={self.null!r}, window_p={self.window_p:.4g})"
        )


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} = {value!r} is not allowed; it must be an integer >= {minimum}")
    return int(value)


def _smooth(daily: np.ndarray, width: int | None) -> np.ndarray:
    """Centred moving average over ``width`` days; at the period edges, over the days inside."""
    if width is None or width == 1:
        return daily.astype(float)
    kernel = np.ones(width)
    num = np.apply_along_axis(np.convolve, -1, daily.astype(float), kernel, mode="same")
    den = np.convolve(np.ones(daily.shape[-1]), kernel, mode="same")
    return num / den


def _redraw(
    clusters: np.ndarray,
    start: int,
    end: int,
    null: str,
    jitter_days: int,
    k: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``k`` surrogate draws of the cluster days, shape ``(k, n_clusters)``.

    ``"jitter"``: uniform within the cluster's fixed bin ``start + j * jitter_days ...``
    (the last bin is cut at ``end``); ``"uniform"``: uniform on ``[start, end]``.
    """
    if null == "jitter":
        bin_start = start + ((clusters - start) // jitter_days) * jitter_days
        bin_len = np.minimum(bin_start + jitter_days - 1, end) - bin_start + 1
    else:
        bin_start = np.full(clusters.size, start)
        bin_len = np.full(clusters.size, end - start + 1)
    u = rng.random((k, clusters.size))
    return bin_start[None, :] + np.floor(u * bin_len[None, :]).astype(np.int64)


def event_study(
    releases: Any,
    events: Any,
    *,
    start: Any,
    end: Any,
    half_width: int = 90,
    weights: Any | None = None,
    n_surrogates: int = 1000,
    band: float = 0.95,
    seed: int | None = None,
    null: str = "jitter",
    jitter_days: int = 30,
    smooth: int | None = None,
    test_window: tuple[int, int] | None = None,
) -> EventStudyResult:
    """Release intensity around events, with a surrogate reference band.

    Parameters
    ----------
    releases : array-like of date-like
        One entry per release record (episode); several on the same day form one cluster.
    events : array-like of date-like
        Event dates (one event class).
    start, end : date-like
        Observation period (inclusive). Every release must lie inside it.
    half_width : int, default 90
        Window half-width in days (>= 1).
    weights : array-like, optional
        Persons released per record (non-negative); adds the persons-per-day profile.
    n_surrogates : int, default 1000
        Number of surrogate release calendars (>= 1).
    band : float, default 0.95
        Coverage of the pointwise surrogate band, in (0, 1).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same bands.
    null : {"jitter", "uniform"}, default "jitter"
        Surrogate model (see module docstring).
    jitter_days : int, default 30
        Bin length of the jitter null (>= 1). Ignored by ``null="uniform"``.
    smooth : int, optional
        Odd width (days) of a centred moving average applied to the daily series (observed and
        surrogate alike) before windowing, e.g. 7. ``None`` or 1: no smoothing.
    test_window : tuple of int, optional
        Offsets ``(lo, hi)`` (inclusive, within the window) whose mean intensity is tested
        against the surrogates. Default ``(-min(30, half_width), -1)``: "more releases in the
        month before events?".

    Returns
    -------
    EventStudyResult
        Offsets, profile, bands, null mean, window test and settings.

    Raises
    ------
    ValueError
        On an unreadable date, a release outside the period, mismatched or negative weights, no
        event with a full window inside the period, or a setting outside its allowed range.
    """
    s, e = to_day(start, name="start"), to_day(end, name="end")
    if e < s:
        raise ValueError(f"end = {end!r} is before start = {start!r}")
    hw = _check_int(half_width, "half_width", 1)
    n_sur = _check_int(n_surrogates, "n_surrogates", 1)
    jd = _check_int(jitter_days, "jitter_days", 1)
    if not isinstance(band, (int, float)) or not 0 < band < 1:
        raise ValueError(f"band = {band!r} is not allowed; it must be a number in (0, 1)")
    if null not in _NULLS:
        raise ValueError(f"null = {null!r} is not allowed; use one of {_NULLS}")
    if smooth is not None:
        sm = _check_int(smooth, "smooth", 1)
        if sm % 2 == 0:
            raise ValueError(f"smooth = {smooth!r} is not allowed; it must be an odd integer")
    if test_window is None:
        test_window = (-min(30, hw), -1)
    lo, hi = (int(v) for v in test_window)
    if not -hw <= lo <= hi <= hw:
        raise ValueError(
            f"test_window = {test_window!r} is not allowed; need -half_width <= lo <= hi <= "
            f"half_width (half_width = {hw})"
        )

    r = to_days(releases, name="releases")
    if r.size == 0:
        raise ValueError("releases is empty; give at least one release date")
    outside = np.flatnonzero((r < s) | (r > e))
    if outside.size:
        i = int(outside[0])
        raise ValueError(
            f"releases[{i}] = {from_days([r[i]])[0].date()} lies outside the period "
            f"[{from_days([s])[0].date()}, {from_days([e])[0].date()}]"
        )
    if weights is not None:
        w = as_weights(weights, r.size)
    ev_all = to_days(events, name="events")
    ev = np.unique(ev_all)
    ev = ev[(ev - hw >= s) & (ev + hw <= e)]
    if ev.size == 0:
        raise ValueError(
            f"no event has its full window (+/-{hw} days) inside the period; got {ev_all.size} "
            "events -- widen the period or reduce half_width"
        )

    offsets = np.arange(-hw, hw + 1)
    idx = (ev - s)[:, None] + offsets[None, :]
    n_days = e - s + 1
    width = None if smooth is None else int(smooth)

    def profile_of(daily: np.ndarray) -> np.ndarray:
        # daily: (..., n_days) -> (..., n_offsets)
        return _smooth(daily, width)[..., idx].mean(axis=-2)

    clusters, inverse = np.unique(r, return_inverse=True)
    c_count = np.bincount(inverse).astype(float)
    c_persons = None if weights is None else np.bincount(inverse, weights=w)
    prof = profile_of(daily_counts(r, s, e).astype(float))
    prof_p = None if weights is None else profile_of(daily_counts(r, s, e, w))

    rng = np.random.default_rng(seed)
    sur = np.empty((n_sur, offsets.size))
    sur_p = None if c_persons is None else np.empty((n_sur, offsets.size))
    chunk = max(1, min(n_sur, 2_000_000 // max(n_days, 1)))
    for a in range(0, n_sur, chunk):
        b = min(n_sur, a + chunk)
        k = b - a
        new = _redraw(clusters, s, e, null, jd, k, rng)
        flat = (new - s) + (np.arange(k) * n_days)[:, None]
        daily = np.bincount(
            flat.ravel(), weights=np.tile(c_count, k), minlength=k * n_days
        ).reshape(k, n_days)
        sur[a:b] = profile_of(daily)
        if sur_p is not None and c_persons is not None:
            daily_p = np.bincount(
                flat.ravel(), weights=np.tile(c_persons, k), minlength=k * n_days
            ).reshape(k, n_days)
            sur_p[a:b] = profile_of(daily_p)

    q = ((1 - band) / 2, 1 - (1 - band) / 2)
    in_win = (offsets >= lo) & (offsets <= hi)
    stat = float(prof[in_win].mean())
    sur_stat = sur[:, in_win].mean(axis=1)
    # tolerance guards against floating-point ties between identical sums
    p = float((1 + np.sum(sur_stat >= stat - 1e-12)) / (1 + n_sur))
    p_stat = p_p = None
    if prof_p is not None and sur_p is not None:
        p_stat = float(prof_p[in_win].mean())
        sur_p_stat = sur_p[:, in_win].mean(axis=1)
        p_p = float((1 + np.sum(sur_p_stat >= p_stat - 1e-9)) / (1 + n_sur))

    def bands(x: np.ndarray | None) -> tuple[np.ndarray | None, ...]:
        if x is None:
            return None, None, None
        low, high = np.quantile(x, q, axis=0)
        return low, high, x.mean(axis=0)

    low, high, mean = bands(sur)
    p_low, p_high, p_mean = bands(sur_p)
    return EventStudyResult(
        offsets=offsets,
        profile=prof,
        band_low=low,  # type: ignore[arg-type]
        band_high=high,  # type: ignore[arg-type]
        null_mean=mean,  # type: ignore[arg-type]
        persons_profile=prof_p,
        persons_band_low=p_low,
        persons_band_high=p_high,
        persons_null_mean=p_mean,
        window_stat=stat,
        window_null_mean=float(sur_stat.mean()),
        window_p=p,
        persons_window_stat=p_stat,
        persons_window_p=p_p,
        event_days_used=ev,
        n_events_dropped=int(ev_all.size - ev.size),
        n_releases=int(r.size),
        n_clusters=int(clusters.size),
        start=from_days([s])[0],
        end=from_days([e])[0],
        half_width=hw,
        n_surrogates=n_sur,
        band=float(band),
        seed=seed,
        null=null,
        jitter_days=jd,
        smooth=width,
        test_window=(lo, hi),
    )
