"""Calibration of every test a plan runs, at its own settings, on record-shaped series.

For each coincidence hypothesis of a plan version, :func:`calibrate_plan` measures on series shaped
like the record (:func:`analysis.inference.simulate.simulate_record_shaped`, sizes not outcomes):

- **size** under the clustered null (bursty releases, independent events) and the shared-surge
  null (both series surge together, including a late surge like 2026, with no fine timing link);
- **power** when a share of whole release clusters (5-40 %) is placed 0-7 days after an event
  (``direction="before"`` tests) or before an event (``direction="after"`` tests).

The grid is heavy, so it runs by its own command (``make calibration`` /
``python -m analysis.inference.calibration``), in local processes or on a Dask cluster, and writes
a table to
``data/processed/calibration/<plan>.csv``; notebooks read that table (:func:`load_calibration`).
Same seed, same numbers, whatever the backend.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.plan import get_plan
from analysis.inference.simulate import calibrate
from analysis.settings import project_root

__all__ = [
    "BIN_CANDIDATES",
    "BIN_FRACTIONS",
    "BIN_SIZE_SCENARIOS",
    "FRACTIONS",
    "V3_BINS",
    "BinChoice",
    "PlanCalibration",
    "bin_choice_path",
    "bin_settings",
    "calibrate_plan",
    "calibration_path",
    "choose_bins",
    "load_bin_choice",
    "load_calibration",
    "main",
    "record_shape",
]

#: Planted shares of release clusters for the power curves.
FRACTIONS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.4)
_SIZE = ("record_clustered", "record_surge")


@dataclass(frozen=True, eq=False)
class PlanCalibration:
    """Result of :func:`calibrate_plan` (or :func:`load_calibration`).

    Attributes
    ----------
    table : pandas.DataFrame
        ``shape`` (``record``: the record's own sizes per hypothesis; ``generic``: the
        generator's default record shape, 130 events), ``hypothesis``, ``scenario``
        (record_clustered, record_surge, record_planted), ``fraction`` (planted share; 0 for
        size rows), ``kind`` (size / power), ``window``,
        ``direction``, ``jitter_days``, ``cluster_gap``, ``n_reps``, ``rejections``, ``rate``,
        ``rate_lo``, ``rate_hi`` (95 % Wilson interval).
    settings : dict
        Plan, reps, surrogates, alpha, seed.
    """

    table: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def _rows(self, shape: str) -> pd.DataFrame:
        t = self.table
        return t[t["shape"] == shape] if "shape" in t else t

    def size(self, hypothesis: str, scenario: str, shape: str = "record") -> float:
        """Rejection rate under a null scenario."""
        t = self._rows(shape)
        sel = (t["hypothesis"] == hypothesis) & (t["scenario"] == scenario)
        if not sel.any():
            raise ValueError(f"no calibration row for {hypothesis!r}, {scenario!r}")
        return float(t.loc[sel, "rate"].iloc[0])

    def power(self, hypothesis: str, fraction: float, shape: str = "record") -> float:
        """Rejection rate with ``fraction`` of the clusters planted."""
        t = self._rows(shape)
        sel = (t["hypothesis"] == hypothesis) & (t["kind"] == "power")
        sel &= np.isclose(t["fraction"], fraction)
        if not sel.any():
            raise ValueError(f"no power row for {hypothesis!r} at fraction {fraction}")
        return float(t.loc[sel, "rate"].iloc[0])

    def wide(self) -> pd.DataFrame:
        """One row per hypothesis: size under each null, power at each planted share."""
        t = self.table
        idx = ["shape", "hypothesis"] if "shape" in t else ["hypothesis"]
        size = t[t["kind"] == "size"].pivot_table(index=idx, columns="scenario", values="rate")
        pw = t[t["kind"] == "power"].pivot_table(index=idx, columns="fraction", values="rate")
        pw.columns = [f"power {c:.0%}" for c in pw.columns]
        return size.add_prefix("size ").join(pw)

    def summary(self) -> str:
        """Short plain-text table."""
        s = self.settings
        return (f"Calibration of plan {s.get('plan')} ({s.get('n_reps')} reps x "
                f"{s.get('n_surrogates')} surrogates, alpha {s.get('alpha')}, seed "
                f"{s.get('seed')})\n" + self.wide().round(3).to_string())  # fmt: skip

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        return f"<p>{head}</p>" + self.wide().to_html(float_format=lambda x: f"{x:.3f}")


def record_shape(frames: dict[str, pd.DataFrame], plan: str = "v2") -> dict[str, dict[str, int]]:
    """Sizes (never outcomes) of the record for each coincidence hypothesis of a plan.

    Returns hypothesis -> ``n_clusters`` (release clusters of the test's cluster gap),
    ``n_events`` (events of its classes) and ``n_days`` (length of the primary sample).
    """
    from analysis.record.overview import release_days, select_events
    from analysis.timing.nulls import cluster_labels

    pl = get_plan(plan)
    days = release_days(frames["releases"], pl.start, pl.end)
    d = (days["date"] - pd.Timestamp(pl.start)).dt.days.to_numpy()
    n_days = (pd.Timestamp(pl.end) - pd.Timestamp(pl.start)).days + 1
    out = {}
    for t in pl.tests:
        if t.kind == "coincidence":
            labels = cluster_labels(d, t.settings["cluster_gap"])
            n_ev = len(select_events(frames["events"], list(t.classes), pl.start, pl.end))
            out[t.id] = dict(n_clusters=int(labels.max()) + 1 if d.size else 0,
                             n_events=int(n_ev), n_days=int(n_days))  # fmt: skip
    return out


def _cells(plan: str) -> list[tuple[str, dict[str, Any], str, float]]:
    """(hypothesis, test settings, scenario, fraction) for every cell of the grid."""
    out = []
    for t in get_plan(plan).tests:
        if t.kind != "coincidence":
            continue
        st = {k: t.settings[k] for k in ("window", "direction", "jitter_days", "cluster_gap")}
        out += [(t.id, st, sc, 0.0) for sc in _SIZE]
        out += [(t.id, st, "record_planted", f) for f in FRACTIONS]
    return out


def calibrate_plan(
    plan: str = "v2",
    *,
    n_reps: int = 400,
    n_surrogates: int = 199,
    alpha: float = 0.05,
    seed: int | None = 0,
    shapes: dict[str, dict[str, int]] | None = None,
    n_workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> PlanCalibration:
    """Size and power of each coincidence hypothesis of a plan at its own settings.

    Parameters
    ----------
    plan : str
        Plan version (:mod:`analysis.inference.plan`).
    n_reps : int
        Replications per cell.
    n_surrogates : int
        Surrogates per test.
    alpha : float
        Rejection threshold.
    seed : int or None
        Master seed; cell ``i`` uses the ``i``-th child.
    shapes : dict, optional
        Hypothesis -> generator sizes (``n_clusters``, ``n_events``, ``n_days``), e.g. from
        :func:`record_shape`; default the generator's record shape.
    n_workers, scheduler
        Backend of :func:`analysis.inference.grid.run_grid` (local processes by default, Dask when a
        scheduler address is given or ``DASK_SCHEDULER_ADDRESS`` is set).
    progress : bool
        Show progress.
    """
    cells = _cells(plan)
    seeds = np.random.SeedSequence(seed).generate_state(len(cells))
    rows = []
    from tqdm.auto import tqdm

    bar = tqdm(total=len(cells), desc=f"calibration {plan}", unit="cell", disable=not progress)
    for (hid, st, sc, frac), sd in zip(cells, seeds, strict=True):
        kw = {sc: dict((shapes or {}).get(hid, {}))}
        if sc == "record_planted":
            side = "after" if st["direction"] == "before" else "before"
            kw[sc].update(fraction=frac, plant_side=side, lag_min=0, lag_max=st["window"])
        res = calibrate([sc], ["jitter"], n_reps=n_reps, n_surrogates=n_surrogates,
                        window=st["window"], direction=st["direction"],
                        jitter_days=st["jitter_days"], cluster_gap=st["cluster_gap"],
                        alpha=alpha, seed=int(sd), n_workers=n_workers, scheduler=scheduler,
                        progress=False, scenario_kwargs=kw)  # fmt: skip
        bar.update()
        r = res.table.iloc[0]
        rows.append(dict(hypothesis=hid, scenario=sc, fraction=frac,
                         kind="size" if sc in _SIZE else "power", **st, n_reps=int(r["n_reps"]),
                         rejections=int(r["rejections"]), rate=float(r["rate"]),
                         rate_lo=float(r["rate_lo"]), rate_hi=float(r["rate_hi"])))  # fmt: skip
    bar.close()
    settings = dict(plan=plan, n_reps=n_reps, n_surrogates=n_surrogates, alpha=alpha, seed=seed,
                    shapes=shapes or {})  # fmt: skip
    return PlanCalibration(table=pd.DataFrame(rows), settings=settings)


# ---------------------------------------------------------------------------------------------
# the surge-robust null: choice of the jitter bins (issue #16), outcome-free
# ---------------------------------------------------------------------------------------------

#: Candidate bin rules for the surge-robust null. ``jitter_days``: fixed bins; ``change_point``:
#: bins split where the test's own event calendar changes rate
#: (:func:`analysis.timing.nulls.change_point_bins`, segments of at least ``min_days``), each
#: segment cut into pieces of at most ``max_days``.
BIN_CANDIDATES: dict[str, dict[str, Any]] = {
    "30-day bins": dict(jitter_days=30),
    "60-day bins": dict(jitter_days=60),
    "90-day bins": dict(jitter_days=90),
    "change-point bins, at most 30 d": dict(change_point=True, min_days=30, max_days=30),
    "change-point bins, at most 60 d": dict(change_point=True, min_days=30, max_days=60),
    "change-point bins, at most 90 d": dict(change_point=True, min_days=30, max_days=90),
}
#: The bin rule chosen for plan v3 by :func:`choose_bins` (1000 record-shaped replications per
#: cell, seed 2026, exact p-values; fixed 2026-12-02 before any v3 outcome was computed; table in
#: docs/methods_coincidence.md and docs/calibration/v3_bins.csv): among the candidates whose size
#: is at most 0.05 under the clustered, v2-surge, strong-surge and late-surge nulls for H1-H3,
#: the one with the highest mean power. Use it as
#: ``coincidence_test(..., **bin_settings(V3_BINS, events, start, end))``.
V3_BINS = "change-point bins, at most 60 d"
#: Null scenarios every candidate must hold its size under (<= alpha).
BIN_SIZE_SCENARIOS: tuple[str, ...] = (
    "record_clustered", "record_surge", "record_strong_surge", "record_late_surge",
)  # fmt: skip
#: Planted shares of release clusters for the power of the candidates (record_surge base).
BIN_FRACTIONS: tuple[float, ...] = (0.1, 0.2, 0.3)


def bin_settings(
    rule: str | dict[str, Any], events: Any, start: Any, end: Any, *, segments: Any = None
) -> dict[str, Any]:
    """Keyword arguments of :func:`analysis.timing.coincidence.coincidence_test` for a bin rule.

    Parameters
    ----------
    rule : str or dict
        A name of :data:`BIN_CANDIDATES` (e.g. :data:`V3_BINS`) or its settings.
    events : array-like of dates or day numbers
        The test's own event calendar (change-point bins follow it; never the releases).
    start, end : date-like
        Observation period.
    segments : array-like of int, optional
        Change points already found (:func:`analysis.timing.nulls.change_points`).

    Returns
    -------
    dict
        ``{"jitter_days": J}`` or ``{"bins": first day of every bin (day numbers)}``.
    """
    from analysis.timing.calendar import to_day, to_days
    from analysis.timing.nulls import change_point_bins

    spec = BIN_CANDIDATES[rule] if isinstance(rule, str) else dict(rule)
    if not spec.get("change_point"):
        return {"jitter_days": int(spec["jitter_days"])}
    s, e = to_day(start, name="start"), to_day(end, name="end")
    ev = to_days(events, name="events") if len(events) else np.zeros(0, dtype=np.int64)
    bins = change_point_bins(ev, s, e, min_days=spec["min_days"], max_days=spec["max_days"],
                             segments=segments)  # fmt: skip
    return {"bins": bins}


def _bins_rep(job: tuple[Any, ...], ss: np.random.SeedSequence) -> list[tuple[Any, ...]]:
    """One replication: every scenario simulated once, every candidate tested on it (exact)."""
    from analysis.inference.simulate import simulate
    from analysis.timing.coincidence import coincidence_test
    from analysis.timing.nulls import change_points

    rep, hid, st, shape, scenarios, candidates = job
    out = []
    for (sc, frac), sc_ss in zip(scenarios, ss.spawn(len(scenarios)), strict=True):
        kw = dict(shape)
        if sc == "record_planted":
            side = "after" if st["direction"] == "before" else "before"
            kw.update(fraction=frac, plant_side=side, lag_min=0, lag_max=st["window"])
        d = simulate(sc, seed=sc_ss, **kw)
        seg: dict[int, np.ndarray] = {}  # change points once per series and min_days
        for name in candidates:
            spec = BIN_CANDIDATES[name]
            if spec.get("change_point") and spec["min_days"] not in seg:
                seg[spec["min_days"]] = change_points(d.events, d.start, d.end,
                                                      min_days=spec["min_days"])  # fmt: skip
            bs = bin_settings(name, d.events, d.start, d.end,
                              segments=seg.get(spec.get("min_days", 0)))  # fmt: skip
            p = coincidence_test(d.releases, d.events, st["window"], direction=st["direction"],
                                 null="jitter", cluster_gap=st["cluster_gap"], start=d.start,
                                 end=d.end, n_bootstrap=0, **bs).pvalue  # fmt: skip
            out.append((rep, hid, sc, frac, name, p))
    return out


@dataclass(frozen=True, eq=False)
class BinChoice:
    """Result of :func:`choose_bins`: size and power of every candidate bin rule.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table: ``hypothesis``, ``scenario``, ``kind`` (size / power), ``fraction``,
        ``candidate``, ``n_reps``, ``rejections``, ``rate``, ``rate_lo``, ``rate_hi``.
    chosen : str
        The candidate chosen: among those whose size is at most ``alpha`` under every null
        scenario for every hypothesis, the one with the highest mean power (ties: the first in
        :data:`BIN_CANDIDATES`). Empty when none holds its size.
    settings : dict
        Plan, reps, alpha, seed, shapes, scenario settings.
    """

    table: pd.DataFrame
    chosen: str
    settings: dict[str, Any] = field(default_factory=dict)

    def wide(self) -> pd.DataFrame:
        """One row per candidate: the largest size under each null scenario (over hypotheses)
        and the mean power at each planted share."""
        t = self.table
        size = t[t["kind"] == "size"].pivot_table(index="candidate", columns="scenario",
                                                  values="rate", aggfunc="max")  # fmt: skip
        size = size[[c for c in BIN_SIZE_SCENARIOS if c in size.columns]]
        size.columns = [f"max size {c.removeprefix('record_')}" for c in size.columns]
        pw = t[t["kind"] == "power"].pivot_table(index="candidate", columns="fraction",
                                                 values="rate", aggfunc="mean")  # fmt: skip
        pw.columns = [f"mean power {c:.0%}" for c in pw.columns]
        out = size.join(pw)
        out["size ok"] = out.filter(like="max size").max(axis=1) <= self.settings["alpha"]
        order = [c for c in BIN_CANDIDATES if c in out.index]
        return out.loc[order]

    def summary(self) -> str:
        """Short plain-text table."""
        s = self.settings
        head = (f"Choice of the surge-robust null ({s.get('n_reps')} reps per cell, exact "
                f"p-values, alpha {s.get('alpha')}, seed {s.get('seed')}): chosen "
                f"{self.chosen or 'none'}")  # fmt: skip
        return head + "\n" + self.wide().round(3).to_string()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        return f"<p>{head}</p>" + self.wide().to_html(float_format=lambda x: f"{x:.3f}")


def _pick(table: pd.DataFrame, alpha: float) -> str:
    size = table[table["kind"] == "size"].groupby("candidate")["rate"].max()
    power = table[table["kind"] == "power"].groupby("candidate")["rate"].mean()
    ok = [c for c in BIN_CANDIDATES if c in size.index and size[c] <= alpha]
    if not ok:
        return ""
    best = max(power.get(c, 0.0) for c in ok)
    return next(c for c in ok if power.get(c, 0.0) >= best - 1e-12)


def choose_bins(
    plan: str = "v2",
    *,
    hypotheses: tuple[str, ...] = ("H1", "H2", "H3"),
    candidates: tuple[str, ...] = tuple(BIN_CANDIDATES),
    n_reps: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 2026,
    shapes: dict[str, dict[str, int]] | None = None,
    n_workers: int | None = None,
    progress: bool = False,
) -> BinChoice:
    """Size and power of each candidate bin rule on record-shaped series; choose one.

    Outcome-free: every series is simulated (:mod:`analysis.inference.simulate`), sized like the
    record (``shapes``, :func:`record_shape`: sizes, never outcomes), and tested with each
    hypothesis's window, direction and cluster gap; the bins differ. Every p-value is exact.

    Parameters
    ----------
    plan : str
        Plan whose coincidence tests give window, direction and cluster gap.
    hypotheses : tuple of str
        Coincidence hypotheses of the plan.
    candidates : tuple of str
        Names of :data:`BIN_CANDIDATES`.
    n_reps : int
        Replications per scenario (every candidate sees the same series).
    alpha : float
        Nominal level; a candidate must keep its size at most ``alpha``.
    seed : int or None
        Master seed.
    shapes : dict, optional
        Hypothesis -> generator sizes (default the generator's record shape).
    n_workers : int or None
        Local processes (:func:`analysis.inference.grid.run_grid`).
    progress : bool
        Show progress.
    """
    from analysis.inference.grid import run_grid
    from analysis.inference.simulate import SURGE_SCENARIOS, _wilson

    pl = get_plan(plan)
    scen = [(sc, 0.0) for sc in BIN_SIZE_SCENARIOS] + [("record_planted", f)
                                                      for f in BIN_FRACTIONS]  # fmt: skip
    tasks = []
    for hid in hypotheses:
        st = pl.test(hid).settings
        st = {k: st[k] for k in ("window", "direction", "cluster_gap")}
        shape = dict((shapes or {}).get(hid, {}))
        tasks += [(i, hid, st, shape, scen, tuple(candidates)) for i in range(n_reps)]
    out = run_grid(_bins_rep, tasks, seed=seed, n_workers=n_workers, progress=progress,
                   desc="bin choice")  # fmt: skip
    pv = pd.DataFrame([row for rows in out for row in rows],
                      columns=["rep", "hypothesis", "scenario", "fraction", "candidate",
                               "pvalue"])  # fmt: skip
    pv["reject"] = pv["pvalue"] <= alpha
    agg = (pv.groupby(["hypothesis", "scenario", "fraction", "candidate"], sort=False)["reject"]
           .agg(["size", "sum"]).reset_index()
           .rename(columns={"size": "n_reps", "sum": "rejections"}))  # fmt: skip
    agg["rejections"] = agg["rejections"].astype(int)
    agg["rate"] = agg["rejections"] / agg["n_reps"]
    ci = [_wilson(k, n) for k, n in zip(agg["rejections"], agg["n_reps"], strict=True)]
    agg["rate_lo"] = [c[0] for c in ci]
    agg["rate_hi"] = [c[1] for c in ci]
    agg.insert(2, "kind", np.where(agg["scenario"] == "record_planted", "power", "size"))
    settings = dict(plan=plan, hypotheses=list(hypotheses), n_reps=n_reps, alpha=alpha,
                    seed=seed, shapes=shapes or {}, scenarios={k: dict(v) for k, v in
                                                               SURGE_SCENARIOS.items()},
                    candidates={c: BIN_CANDIDATES[c] for c in candidates})  # fmt: skip
    return BinChoice(table=agg, chosen=_pick(agg, alpha), settings=settings)


def bin_choice_path(root: Any = None) -> Path:
    """``data/processed/calibration/v3_bins.csv``."""
    return calibration_path("v3_bins", root)


def load_bin_choice(root: Any = None) -> BinChoice:
    """Read the cached bin choice (written by ``python -m analysis.inference.calibration
    --bins``)."""
    path = bin_choice_path(root)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found; run `python -m analysis.inference.calibration --bins`"
        )
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    table = pd.read_csv(path)
    return BinChoice(table=table, chosen=meta.get("chosen", ""), settings=meta)


def calibration_path(plan: str = "v2", root: Any = None) -> Path:
    """``data/processed/calibration/<plan>.csv``."""
    return (
        (Path(root) if root else project_root())
        / "data"
        / "processed"
        / "calibration"
        / (f"{plan}.csv")
    )


def load_calibration(plan: str = "v2", root: Any = None) -> PlanCalibration:
    """Read the cached calibration of a plan.

    Raises
    ------
    FileNotFoundError
        With the command that writes it.
    """
    path = calibration_path(plan, root)
    if not path.is_file():
        cmd = f"python -m analysis.inference.calibration --plan {plan}"
        raise FileNotFoundError(f"{path} not found; run `make calibration` ({cmd})")
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return PlanCalibration(table=pd.read_csv(path), settings=meta)


def _write(res: PlanCalibration | BinChoice, path: Path) -> None:
    """Write the table and its settings together, all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".cal-") as tmp:
        t = Path(tmp)
        res.table.to_csv(t / path.name, index=False, lineterminator="\n", float_format="%.6g")
        meta = json.dumps(res.settings, indent=2, sort_keys=True) + "\n"
        (t / path.with_suffix(".json").name).write_text(meta, encoding="utf-8")
        for f in (path.name, path.with_suffix(".json").name):
            os.replace(t / f, path.parent / f)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.inference.calibration [--plan v2] [--reps N] [--scheduler ADDRESS]``."""
    p = argparse.ArgumentParser(prog="python -m analysis.inference.calibration")
    p.add_argument("--plan", default="v2")
    p.add_argument("--reps", type=int, default=1000)
    p.add_argument("--surrogates", type=int, default=199)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, help="Dask scheduler address")
    p.add_argument("--country", default="venezuela", help="whose record gives the sizes")
    p.add_argument("--bins", action="store_true",
                   help="choose the surge-robust bins (issue #16) instead")  # fmt: skip
    a = p.parse_args(argv)
    if a.bins:
        return _main_bins(a)
    try:
        from analysis.record.data import load_processed

        shapes = record_shape(load_processed(country=a.country), a.plan)
        runs = {name: calibrate_plan(a.plan, n_reps=a.reps, n_surrogates=a.surrogates,
                                     seed=a.seed, shapes=sh, n_workers=a.workers,
                                     scheduler=a.scheduler, progress=True)
                for name, sh in (("record", shapes), ("generic", None))}  # fmt: skip
        table = pd.concat([r.table.assign(shape=n) for n, r in runs.items()], ignore_index=True)
        settings = dict(runs["record"].settings, country=a.country)
        res = PlanCalibration(table=table[["shape", *runs["record"].table.columns]],
                              settings=settings)  # fmt: skip
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = calibration_path(a.plan)
    _write(res, path)
    print(res.summary())
    print(f"written: {path}")
    return 0


def _main_bins(a: argparse.Namespace) -> int:
    from analysis.record.data import load_processed

    shapes = record_shape(load_processed(country=a.country), a.plan)
    res = choose_bins(a.plan, n_reps=a.reps, seed=a.seed, shapes=shapes, n_workers=a.workers,
                      progress=True)  # fmt: skip
    settings = dict(res.settings, country=a.country, chosen=res.chosen)
    path = bin_choice_path()
    _write(BinChoice(table=res.table, chosen=res.chosen, settings=settings), path)
    print(res.summary())
    print(f"written: {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
