"""Positive and negative controls: can the test see a bargain, and does it see ghosts?

- **Positive control on the record**: releases against the events that the releases' own sources
  name as their occasion (``releases.linked_event_id``). The link is true by construction, so a
  test that cannot detect it cannot detect a bargain either.
- **Negative controls**: placebo calendars (the plan's event calendar moved by whole years, which
  keeps its seasonality and spacing but breaks any alignment) and event classes that theory does
  not tie to releases. A placebo that comes out significant points to seasonality or to a flaw in
  the null, and is reported with that reading.

Every control runs the plan's own test settings (:mod:`analysis.inference.plan`), so its result
speaks
about the test that produced the answer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.plan import PlanVersion, get_plan
from analysis.record.overview import release_days, select_events
from analysis.timing.coincidence import coincidence_test
from analysis.timing.sensitivity import sensitivity

__all__ = [
    "ControlsResult",
    "controls_answer_html",
    "linked_events",
    "positive_control",
    "run_controls",
]

_KEYS = ("window", "direction", "null", "jitter_days", "cluster_gap")


@dataclass(frozen=True, eq=False)
class ControlsResult:
    """Result of :func:`run_controls`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per control: ``control``, ``kind`` (positive / negative), ``expect``
        (detect / not detect), ``n_releases``, ``n_events``, ``ratio``, ``ratio_lo``,
        ``ratio_hi``, ``pvalue``, ``mde``, ``passed`` and ``reading`` (the result in words).
    settings : dict
        Plan version, test settings, period, thresholds, surrogates, seed.
    """

    table: pd.DataFrame = field(repr=False)
    settings: dict[str, Any]

    @property
    def positive_detected(self) -> bool:
        """Whether every positive control was detected at the positive threshold."""
        pos = self.table[self.table["kind"] == "positive"]
        return bool(len(pos)) and bool(pos["passed"].all())

    def summary(self) -> str:
        """Short plain-text table."""
        lines = [f"Controls (plan {self.settings['plan']}: {self.settings['test']})", "-" * 78]
        for r in self.table.itertuples():
            lines.append(
                f"{r.control:<34} {r.kind:<8} ratio {r.ratio:5.2f} "
                f"[{r.ratio_lo:.2f}, {r.ratio_hi:.2f}] p={r.pvalue:.4f} "
                f"{'pass' if r.passed else 'FAIL'}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        cols = ["control", "kind", "n_releases", "n_events", "ratio", "ratio_lo", "ratio_hi",
                "pvalue", "mde", "passed", "reading"]  # fmt: skip
        return (
            f"<p><b>Controls</b> (plan {html.escape(str(self.settings['plan']))}: "
            f"{html.escape(self.settings['test'])})</p>"
            + self.table[cols].to_html(index=False, float_format=lambda x: f"{x:.3f}")
        )


def linked_events(frames: dict[str, pd.DataFrame], start: Any, end: Any) -> pd.DataFrame:
    """The events that releases' own sources name as their occasion, dated to the day, in a period.

    Includes events that are themselves releases or were found through a release's source: here
    the link is the point (a positive control), not a bias.
    """
    rel = frames["releases"]
    ids = set(rel["linked_event_id"].dropna().astype(str))
    ev = select_events(
        frames["events"], sorted(frames["events"]["event_class"].dropna().unique()), start, end,
        exclude_release_events=False, include_release_sourced=True,
    )  # fmt: skip
    return ev[ev["id"].isin(ids)].reset_index(drop=True)


def _shift_events(ev: pd.DataFrame, days: int, start: Any, end: Any) -> pd.DataFrame:
    out = ev.copy()
    out["date"] = out["date"] + pd.Timedelta(days=days)
    keep = (out["date"] >= pd.Timestamp(start)) & (out["date"] <= pd.Timestamp(end))
    return out[keep].reset_index(drop=True)


def _one(name: str, kind: str, days: pd.DataFrame, ev: pd.DataFrame, st: dict[str, Any],
         period: tuple[Any, Any], n_surrogates: int, seed: int) -> dict[str, Any]:  # fmt: skip
    ss = np.random.SeedSequence(seed).generate_state(2)
    if not len(ev) or not len(days):
        nan = float("nan")
        return dict(control=name, kind=kind, expect="detect" if kind == "positive" else
                    "not detect", n_releases=len(days), n_events=len(ev), ratio=nan,
                    ratio_lo=nan, ratio_hi=nan, pvalue=nan, mde=nan)  # fmt: skip
    res = coincidence_test(days["date"], ev["date"], n_surrogates=n_surrogates,
                           seed=int(ss[0]), start=period[0], end=period[1], **st)  # fmt: skip
    mde = np.nan
    if st["null"] == "jitter":
        mde = sensitivity(days["date"], ev["date"], st["window"], direction=st["direction"],
                          jitter_days=st["jitter_days"], cluster_gap=st["cluster_gap"],
                          start=period[0], end=period[1], n_sim=2000,
                          seed=int(ss[1])).mde_ratio  # fmt: skip
    return dict(control=name, kind=kind, expect="detect" if kind == "positive" else "not detect",
                n_releases=len(days), n_events=len(ev), ratio=res.ratio,
                ratio_lo=res.ratio_ci[0], ratio_hi=res.ratio_ci[1], pvalue=res.pvalue,
                mde=mde)  # fmt: skip


def _reading(r: pd.Series, pos_alpha: float, neg_alpha: float) -> tuple[bool, str]:
    if not np.isfinite(r["pvalue"]):
        return False, "not run: no event (or no release) of this kind in the sample"
    if r["kind"] == "positive":
        ok = r["pvalue"] < pos_alpha
        return ok, ("detected: the test sees a link that is true by construction" if ok else
                    "NOT detected: the test cannot see even the source-stated links at these "
                    "settings")  # fmt: skip
    ok = r["pvalue"] >= neg_alpha
    return ok, ("no spurious coincidence" if ok else
                "significant placebo: read as seasonality or a flaw in the null, and weigh the "
                "primary result with it")  # fmt: skip


def positive_control(
    frames: dict[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v2",
    hypothesis: str = "H1",
    n_surrogates: int = 9999,
    seed: int | None = None,
) -> dict[str, Any]:
    """The source-linked positive control alone, with one hypothesis's test settings.

    Returns
    -------
    dict
        ``control``, ``kind``, ``expect``, ``n_releases``, ``n_events``, ``ratio``,
        ``ratio_lo``, ``ratio_hi``, ``pvalue``, ``mde`` (nan where the record has no
        source-linked event in the plan's sample).
    """
    pl = plan if isinstance(plan, PlanVersion) else get_plan(plan)
    st = {k: pl.test(hypothesis).settings[k] for k in _KEYS}
    days = release_days(frames["releases"], pl.start, pl.end)
    ev = linked_events(frames, pl.start, pl.end)
    return _one("source-linked events", "positive", days, ev, st, (pl.start, pl.end),
                n_surrogates, int(np.random.SeedSequence(seed).generate_state(1)[0]))  # fmt: skip


def run_controls(
    frames: dict[str, pd.DataFrame],
    *,
    plan: str | PlanVersion = "v2",
    hypothesis: str = "H1",
    placebo_shifts: tuple[int, ...] = (-730, -365, 365, 730),
    negative_classes: tuple[str, ...] = ("election",),
    positive_alpha: float = 0.01,
    negative_alpha: float = 0.05,
    n_surrogates: int = 9999,
    seed: int | None = None,
) -> ControlsResult:
    """Run the positive and negative controls with one hypothesis's test settings.

    Parameters
    ----------
    frames : dict of DataFrame
        From :func:`analysis.record.data.load_processed`.
    plan : str or PlanVersion
        Plan version whose settings and primary sample are used.
    hypothesis : str
        The coincidence hypothesis whose test settings and events the controls use.
    placebo_shifts : tuple of int
        Shifts of that hypothesis's event calendar in days (whole years keep seasonality).
    negative_classes : tuple of str
        Event classes that theory does not tie to releases.
    positive_alpha, negative_alpha : float
        A positive control passes when ``p < positive_alpha``; a negative one when
        ``p >= negative_alpha``.
    n_surrogates : int
        Surrogates per test.
    seed : int or None
        Seed; each control derives its own.

    Returns
    -------
    ControlsResult
    """
    pl = plan if isinstance(plan, PlanVersion) else get_plan(plan)
    spec = pl.test(hypothesis)
    if spec.kind != "coincidence":
        raise ValueError(f"hypothesis = {hypothesis!r} is a {spec.kind} test; controls need a "
                         "coincidence hypothesis")  # fmt: skip
    if not placebo_shifts or any(int(s) == 0 for s in placebo_shifts):
        raise ValueError(f"placebo_shifts = {placebo_shifts!r}; allowed: non-zero day shifts")
    st = {k: spec.settings[k] for k in _KEYS}
    period = (pl.start, pl.end)
    days = release_days(frames["releases"], *period)
    select_events(frames["events"], list(spec.classes), *period)
    full = select_events(frames["events"], list(spec.classes))
    jobs = [("source-linked events", "positive", linked_events(frames, *period))]
    jobs += [(f"{hypothesis} calendar shifted {s:+d} d", "negative",
              _shift_events(full, int(s), *period)) for s in placebo_shifts]  # fmt: skip
    jobs += [(f"class: {c}", "negative", select_events(frames["events"], [c], *period))
             for c in negative_classes]  # fmt: skip
    seeds = np.random.SeedSequence(seed).generate_state(len(jobs))
    rows = [_one(n, k, days, ev, st, period, n_surrogates, int(sd))
            for (n, k, ev), sd in zip(jobs, seeds, strict=True)]  # fmt: skip
    table = pd.DataFrame(rows)
    read = [_reading(r, positive_alpha, negative_alpha) for _, r in table.iterrows()]
    table["passed"] = [ok for ok, _ in read]
    table["reading"] = [txt for _, txt in read]
    test = (f"{hypothesis}: window {st['window']} d {st['direction']}, {st['null']} null, "
            f"{st['jitter_days']}-day bins, cluster gap {st['cluster_gap']} d")  # fmt: skip
    return ControlsResult(
        table=table,
        settings=dict(
            plan=pl.version,
            test=test,
            start=pl.start,
            end=pl.end,
            n_surrogates=n_surrogates,
            positive_alpha=positive_alpha,
            negative_alpha=negative_alpha,
            seed=seed,
            **st,
        ),
    )


def controls_answer_html(current: ControlsResult, previous: ControlsResult | None = None) -> str:
    """One paragraph for the report index: can the test see a bargain?

    Parameters
    ----------
    current : ControlsResult
        Controls under the current plan.
    previous : ControlsResult, optional
        The same controls under an earlier plan, reported beside it.
    """
    esc = html.escape
    t = current.table
    pos = t[t["kind"] == "positive"].iloc[0]
    neg = t[t["kind"] == "negative"]
    seen = "detects" if pos["passed"] else "does NOT detect"
    text = (
        f"<p><b>Can the test see a bargain?</b> With plan {esc(current.settings['plan'])}'s "
        f"settings ({esc(current.settings['test'])}), the test {seen} the releases' own "
        f"source-linked events ({int(pos['n_events'])} events): ratio {pos['ratio']:.2f} "
        f"[{pos['ratio_lo']:.2f}, {pos['ratio_hi']:.2f}], p = {pos['pvalue']:.4f} (threshold "
        f"{current.settings['positive_alpha']}). {int(neg['passed'].sum())} of {len(neg)} "
        "negative controls (placebo calendars shifted by whole years, unrelated event classes) "
        "show no spurious coincidence"
    )
    bad = neg[~neg["passed"]]
    if len(bad):
        text += "; significant: " + esc(", ".join(bad["control"])) + " (read as seasonality)"
    text += "."
    if previous is not None:
        p0 = previous.table[previous.table["kind"] == "positive"].iloc[0]
        text += (
            f" Under plan {esc(previous.settings['plan'])} the same control gave p = "
            f"{p0['pvalue']:.4f}: its ±{previous.settings['window']}-day windows were too wide "
            "for its bins to see even a known link."
        )
    return text + "</p>"
