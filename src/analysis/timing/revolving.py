"""The "revolving door": is the political-prisoner stock restocked before talks?

Foro Penal's count is observed at irregular dates. Between two consecutive observations the stock
changes at an average daily rate ``(y[i+1] - y[i]) / (t[i+1] - t[i])``. An interval is
*pre-event* when it ends within ``window`` days before an event (``t[i+1] <= e <= t[i+1] +
window``): the stock change it records happened in the run-up to that event. The statistic is the
difference between the mean rate of pre-event intervals and the mean rate of the other intervals
(persons per 30 days); restocking before talks makes it positive.

Two nulls. ``null="circular_shift"`` (plan version 1) shifts the event calendar circularly over
the observation period, by every possible shift (an exact permutation distribution, no sampling):
it keeps the spacing of the events and the whole prisoner series as observed, and breaks only
their alignment. It fails when the stock and the events share slow surges (a shifted calendar
moves events out of the surge; see notebook 6). ``null="jitter"`` (plan version 2) moves each
event uniformly within its own bin of ``jitter_days`` days (Monte Carlo): the slow co-movement of
events and stock at scales longer than the bin is kept, and only the alignment within bins is
tested. The p-value is one-sided (restocking: a larger difference), counting the observed
alignment.

Intervals longer than ``max_gap`` days are left out: a change spread over months cannot be placed
before or after an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.timing.calendar import from_days, to_day, to_days

__all__ = ["RevolvingDoorResult", "revolving_by_class", "revolving_door"]

_PER = 30.0  # rates are reported per 30 days


@dataclass(frozen=True, eq=False)
class RevolvingDoorResult:
    """Result of :func:`revolving_door`.

    Attributes
    ----------
    statistic : float
        Mean stock change per 30 days in pre-event intervals minus that in other intervals.
    rate_pre, rate_other : float
        The two means (persons per 30 days).
    ci : tuple of float
        95% percentile-bootstrap interval of ``statistic`` (intervals resampled within group).
    pvalue : float
        One-sided p-value: exact over all circular shifts, or Monte Carlo over jittered calendars.
    null_distribution : numpy.ndarray
        The statistic at every shift (shift 0 is the observed alignment), or per surrogate.
    null : str
        ``"circular_shift"`` or ``"jitter"``; ``jitter_days``: bin width (jitter only).
    n_pre, n_other : int
        Intervals in each group. ``n_dropped``: intervals longer than ``max_gap``.
    window, max_gap : int
        Settings. ``start``/``end``: period (ISO dates). ``seed``: bootstrap seed.
    """

    statistic: float
    rate_pre: float
    rate_other: float
    ci: tuple[float, float]
    pvalue: float
    null_distribution: np.ndarray
    n_pre: int
    n_other: int
    n_dropped: int
    n_events: int
    window: int
    max_gap: int
    start: str
    end: str
    seed: int | None
    intervals: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    null: str = "circular_shift"
    jitter_days: int | None = None

    def _null_text(self) -> str:
        if self.null == "jitter":
            return (
                f"events jittered within {self.jitter_days}-day bins, "
                f"{len(self.null_distribution)} surrogates"
            )
        return f"events shifted circularly, all {len(self.null_distribution)} shifts"

    def summary(self) -> str:
        """Short plain-text table."""
        lo, hi = self.ci
        rows = [
            ("pre-event rate (per 30 d)", f"{self.rate_pre:+.1f}  ({self.n_pre} intervals)"),
            ("other rate (per 30 d)", f"{self.rate_other:+.1f}  ({self.n_other} intervals)"),
            ("difference [95% CI]", f"{self.statistic:+.1f} [{lo:+.1f}, {hi:+.1f}]"),
            ("p-value (one-sided)", f"{self.pvalue:.3f}"),
            ("null", self._null_text()),
            ("window, max gap", f"{self.window} d before an event; intervals <= {self.max_gap} d"),
            ("events, dropped", f"{self.n_events}, {self.n_dropped} long intervals left out"),
            ("period", f"{self.start} .. {self.end}"),
        ]
        w = max(len(k) for k, _ in rows)
        body = "\n".join(f"{k:<{w}}  {v}" for k, v in rows)
        return f"Revolving door: stock change before events\n{'-' * (w + 30)}\n{body}"

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def _pre_mask(ends: np.ndarray, ev_ind_cum: np.ndarray, start: int, window: int) -> np.ndarray:
    """True where an event falls in [end, end + window] (cumulative-sum lookup)."""
    lo = ends - start
    hi = np.minimum(lo + window, len(ev_ind_cum) - 2)
    return (ev_ind_cum[hi + 1] - ev_ind_cum[lo]) > 0


def _shift_null(ends: np.ndarray, rates: np.ndarray, ind: np.ndarray, window: int) -> np.ndarray:
    """The statistic at every circular shift of the event indicator ``ind``, all at once.

    For interval ``j`` (ending at offset ``ends[j]``) and shift ``k``, the number of events in
    ``[ends[j], min(ends[j] + window, T - 1)]`` after rolling ``ind`` by ``k`` is a circular
    cross-correlation, computed for every ``k`` with one FFT per interval.
    """
    T = ind.size
    lo = ends
    hi = np.minimum(ends + window, T - 1)
    cols = np.arange(T)
    win = ((cols[None, :] >= lo[:, None]) & (cols[None, :] <= hi[:, None])).astype(float)
    counts = np.fft.irfft(
        np.fft.rfft(win, axis=1) * np.conj(np.fft.rfft(ind.astype(float))), n=T, axis=1
    )
    # counts[j, k] = sum_t win[j, t] * ind[(t - k) mod T]  (ind rolled forward by k)
    pre = counts > 0.5
    n_pre = pre.sum(axis=0)
    n_other = rates.size - n_pre
    sum_pre = rates @ pre
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = sum_pre / n_pre - (rates.sum() - sum_pre) / n_other
    stat[(n_pre == 0) | (n_other == 0)] = np.nan
    return stat


def _jitter_null(
    ends: np.ndarray,
    rates: np.ndarray,
    ev: np.ndarray,
    T: int,
    window: int,
    jitter_days: int,
    n_surrogates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The statistic for ``n_surrogates`` calendars, each event redrawn uniformly in its bin.

    ``ev`` and ``ends`` are offsets from the period start; bins are ``[k * jitter_days,
    (k + 1) * jitter_days - 1]``, the last one cut at ``T - 1``.
    """
    lo = (ev // jitter_days) * jitter_days
    width = np.minimum(lo + jitter_days, T) - lo
    hi = np.minimum(ends + window, T - 1)
    out = np.empty(n_surrogates)
    chunk = 500
    for i in range(0, n_surrogates, chunk):
        k = min(chunk, n_surrogates - i)
        days = lo + (rng.random((k, ev.size)) * width).astype(np.int64)
        flat = (days + (np.arange(k) * T)[:, None]).ravel()
        ind = np.bincount(flat, minlength=k * T).reshape(k, T)
        cum = np.concatenate([np.zeros((k, 1)), np.cumsum(ind, axis=1)], axis=1)
        pre = (cum[:, hi + 1] - cum[:, ends]) > 0
        n_pre = pre.sum(axis=1)
        sum_pre = pre @ rates
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = sum_pre / n_pre - (rates.sum() - sum_pre) / (rates.size - n_pre)
        stat[(n_pre == 0) | (n_pre == rates.size)] = np.nan
        out[i : i + k] = stat
    return out


def revolving_door(
    counts: pd.Series,
    events: Any,
    *,
    window: int = 30,
    max_gap: int = 60,
    start: Any = None,
    end: Any = None,
    n_bootstrap: int = 2000,
    seed: int | None = None,
    null: str = "circular_shift",
    jitter_days: int = 90,
    n_surrogates: int = 9999,
) -> RevolvingDoorResult:
    """Test whether the prisoner stock rises faster in the run-up to events.

    Parameters
    ----------
    counts : pandas.Series
        Stock of political prisoners indexed by date (one reporter; see
        :func:`analysis.record.overview.prisoner_series`).
    events : array-like of dates
        Event dates (e.g. negotiation rounds).
    window : int, default 30
        An interval is pre-event if an event falls within ``window`` days after its end.
    max_gap : int, default 60
        Intervals longer than this are left out.
    start, end : date-like, optional
        Period for the circular shift (default: first and last count).
    n_bootstrap : int, default 2000
        Bootstrap replicates for the interval of the difference.
    seed : int or None
        Seed of the bootstrap and of the jitter surrogates.
    null : {"circular_shift", "jitter"}
        Null model (see the module docstring): exact circular shifts of the event calendar, or
        events jittered within bins (holds under shared surges).
    jitter_days : int, default 90
        Bin width of the jitter null.
    n_surrogates : int, default 9999
        Surrogate calendars of the jitter null.

    Returns
    -------
    RevolvingDoorResult

    Raises
    ------
    ValueError
        Fewer than 3 counts, window or max_gap < 1, no events, events outside the period, or
        fewer than 2 intervals in either group.
    """
    if not isinstance(counts, pd.Series):
        raise ValueError(f"counts must be a pandas Series indexed by date, got {type(counts)}")
    if len(counts) < 3:
        raise ValueError(f"counts has {len(counts)} observations; at least 3 are needed")
    if int(window) < 1:
        raise ValueError(f"window = {window}; allowed: whole days >= 1")
    if int(max_gap) < 1:
        raise ValueError(f"max_gap = {max_gap}; allowed: whole days >= 1")
    if int(n_bootstrap) < 1:
        raise ValueError(f"n_bootstrap = {n_bootstrap}; allowed: >= 1")
    if null not in ("circular_shift", "jitter"):
        raise ValueError(f"null = {null!r}; allowed: 'circular_shift', 'jitter'")
    if int(jitter_days) < 1 or int(n_surrogates) < 1:
        raise ValueError(
            f"jitter_days = {jitter_days}, n_surrogates = {n_surrogates}; allowed: >= 1"
        )
    if counts.isna().any():
        raise ValueError("counts contains missing values; drop them first")
    t = to_days(counts.index, name="counts.index")
    order = np.argsort(t, kind="stable")
    t, y = t[order], counts.to_numpy(dtype=float)[order]
    ev = to_days(events, name="events")
    if ev.size == 0:
        raise ValueError("events is empty")
    s = to_day(start, name="start") if start is not None else int(t[0])
    e = to_day(end, name="end") if end is not None else int(t[-1])
    if e <= s:
        raise ValueError(f"end ({from_days([e])[0].date()}) must be after start")
    out = (ev < s) | (ev > e)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise ValueError(
            f"events[{i}] = {from_days([ev[i]])[0].date()} lies outside the period "
            f"{from_days([s])[0].date()} .. {from_days([e])[0].date()}"
        )
    keep_obs = (t >= s) & (t <= e)
    t, y = t[keep_obs], y[keep_obs]
    gaps = np.diff(t)
    valid = (gaps > 0) & (gaps <= max_gap)
    n_dropped = int((~valid).sum())
    starts, ends = t[:-1][valid], t[1:][valid]
    rates = (np.diff(y)[valid] / gaps[valid]) * _PER

    T = e - s + 1
    ind = np.zeros(T, dtype=np.int64)
    np.add.at(ind, ev - s, 1)

    pre = _pre_mask(ends, np.concatenate([[0], np.cumsum(ind)]), s, window)
    if pre.sum() < 2 or (~pre).sum() < 2:
        raise ValueError(
            f"{int(pre.sum())} pre-event and {int((~pre).sum())} other intervals; need >= 2 of "
            "each (widen window or max_gap, or use a longer period)"
        )
    observed = float(rates[pre].mean() - rates[~pre].mean())
    boot_ss, null_ss = np.random.SeedSequence(seed).spawn(2)
    if null == "circular_shift":
        null_dist = _shift_null(ends - s, rates, ind, window)
        finite = null_dist[np.isfinite(null_dist)]
        pvalue = float(np.mean(finite >= observed - 1e-12))
    else:
        null_dist = _jitter_null(
            ends - s, rates, ev - s, T, int(window), int(jitter_days), int(n_surrogates),
            np.random.default_rng(null_ss),
        )  # fmt: skip
        finite = null_dist[np.isfinite(null_dist)]
        pvalue = float((1 + np.sum(finite >= observed - 1e-12)) / (1 + finite.size))

    rng = np.random.default_rng(seed if null == "circular_shift" else boot_ss)
    a, b = rates[pre], rates[~pre]
    boots = rng.choice(a, (n_bootstrap, a.size)).mean(1) - rng.choice(
        b, (n_bootstrap, b.size)
    ).mean(1)
    ci = (float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975)))
    intervals = pd.DataFrame(
        {
            "from": from_days(starts),
            "to": from_days(ends),
            "change_per_30d": rates,
            "pre_event": pre,
        }
    )
    return RevolvingDoorResult(
        statistic=observed,
        rate_pre=float(a.mean()),
        rate_other=float(b.mean()),
        ci=ci,
        pvalue=pvalue,
        null_distribution=null_dist,
        n_pre=int(pre.sum()),
        n_other=int((~pre).sum()),
        n_dropped=n_dropped,
        n_events=int(ev.size),
        window=int(window),
        max_gap=int(max_gap),
        start=str(from_days([s])[0].date()),
        end=str(from_days([e])[0].date()),
        seed=seed,
        intervals=intervals,
        null=null,
        jitter_days=int(jitter_days) if null == "jitter" else None,
    )


def revolving_by_class(
    counts: pd.Series,
    events: pd.DataFrame,
    classes: Any,
    *,
    window: int = 30,
    max_gap: int = 60,
    seed: int | None = None,
    **null_kwargs: Any,
) -> pd.DataFrame:
    """:func:`revolving_door` for each event class in turn (descriptive; not a family test).

    ``null_kwargs`` (``null``, ``jitter_days``, ``n_surrogates``) are passed to
    :func:`revolving_door`.

    Events outside the span of ``counts`` are dropped first. Classes with too few events or
    intervals get a row with ``note`` saying why.

    Returns
    -------
    DataFrame
        ``event_class``, ``n_events``, ``n_pre``, ``rate_pre``, ``rate_other``, ``difference``,
        ``ci_lo``, ``ci_hi``, ``pvalue``, ``note``.
    """
    lo, hi = counts.index.min(), counts.index.max()
    rows = []
    for cls in classes:
        ev = events.loc[(events["event_class"] == cls) & events["date"].between(lo, hi), "date"]
        row: dict[str, Any] = {"event_class": cls, "n_events": len(ev), "note": ""}
        if len(ev) == 0:
            row["note"] = "no event in the span of the counts"
            rows.append(row)
            continue
        try:
            r = revolving_door(counts, ev, window=window, max_gap=max_gap, seed=seed, **null_kwargs)
        except ValueError as exc:
            row["note"] = str(exc)
            rows.append(row)
            continue
        row.update(
            n_pre=r.n_pre,
            rate_pre=r.rate_pre,
            rate_other=r.rate_other,
            difference=r.statistic,
            ci_lo=r.ci[0],
            ci_hi=r.ci[1],
            pvalue=r.pvalue,
        )
        rows.append(row)
    return pd.DataFrame(rows)
