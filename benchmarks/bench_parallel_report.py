"""Time the notebook stage of `make report` serial vs in parallel (``--jobs 2``), same run.

Side by side (environment and data/processed already built):
- baseline: as many trivial one-cell notebooks as there are real notebooks, through the same
  runner (``run_reports``), serial and with ``jobs=2`` -- the floor set by kernel start-up,
  papermill, HTML export and (for jobs=2) the worker processes;
- the real stage: every notebook in ``notebooks/``, serial (``jobs=1``) and ``jobs=2``, each into
  its own temporary reports folder so the real ``reports/`` is not touched.

It also checks that the two real runs agree (same files, same key numbers, same manifest order).

Usage: ``.venv/bin/python benchmarks/bench_parallel_report.py``; writes
``benchmarks/results/report_parallel.json``. Takes a minute or two.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from analysis.reports import discover_notebooks, project_root, run_reports

JOBS = 2


def _trivial_notebooks(n: int, folder: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["kernelspec"] = spec
    for i in range(n):
        nbformat.write(nb, folder / f"{i:02d}_trivial.ipynb")
    return folder


def _timed(jobs: int, notebooks_dir: Path | None = None) -> tuple[float, object, set[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_reports(notebooks_dir, tmp, progress=False, jobs=jobs)
        wall = time.perf_counter() - t0
        if not res.ok:
            raise SystemExit("a notebook failed:\n" + res.summary())
        files = {p.name for p in Path(tmp).iterdir()}
    return wall, res, files


def _kernels_import_this_checkout(root: Path) -> None:
    """Kernels start in ``notebooks/``: make ``src`` absolute on their PYTHONPATH, so that they
    import this checkout's library and not another install (e.g. an editable one elsewhere)."""
    paths = [str(root / "src")] + [
        str((Path.cwd() / p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if p
    ]  # fmt: skip
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def main() -> None:
    root = project_root()
    _kernels_import_this_checkout(root)
    n = len(discover_notebooks(root / "notebooks"))
    with tempfile.TemporaryDirectory() as tmp:
        trivial = _trivial_notebooks(n, Path(tmp))
        base_serial, _, _ = _timed(1, trivial)
        base_par, _, _ = _timed(JOBS, trivial)
    real_serial, serial, files_serial = _timed(1)
    real_par, par, files_par = _timed(JOBS)
    same = (
        files_serial == files_par
        and [r.name for r in serial.runs] == [r.name for r in par.runs]
        and [r.key_numbers for r in serial.runs] == [r.key_numbers for r in par.runs]
    )
    out = {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "notebooks": n,
        "jobs": JOBS,
        "baseline_trivial_serial_s": round(base_serial, 2),
        f"baseline_trivial_jobs{JOBS}_s": round(base_par, 2),
        "notebook_stage_serial_s": round(real_serial, 2),
        f"notebook_stage_jobs{JOBS}_s": round(real_par, 2),
        "speedup": round(real_serial / real_par, 2),
        "ratio_to_baseline_serial": round(real_serial / base_serial, 2),
        f"ratio_to_baseline_jobs{JOBS}": round(real_par / base_par, 2),
        "identical_output": same,
        "per_notebook_serial_s": {r.name: r.duration_s for r in serial.runs},
        f"per_notebook_jobs{JOBS}_s": {r.name: r.duration_s for r in par.runs},
    }
    print(f"{'what':<48}{'seconds':>10}")
    rows = [
        (f"baseline: {n} trivial notebooks, serial", base_serial),
        (f"baseline: {n} trivial notebooks, --jobs {JOBS}", base_par),
        ("notebook stage, serial", real_serial),
        (f"notebook stage, --jobs {JOBS}", real_par),
    ]
    for label, value in rows:
        print(f"{label:<48}{value:>10.2f}")
    print(f"speed-up {out['speedup']}x; serial and parallel output identical: {same}")
    dest = root / "benchmarks" / "results" / "report_parallel.json"
    dest.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if not same:
        raise SystemExit("serial and parallel runs differ")


if __name__ == "__main__":
    main()
