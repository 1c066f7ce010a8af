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
    "FRACTIONS",
    "PlanCalibration",
    "calibrate_plan",
    "calibration_path",
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


def _write(res: PlanCalibration, path: Path) -> None:
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
    a = p.parse_args(argv)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
