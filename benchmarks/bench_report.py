"""Time the notebook stage of `make report` (environment and data/processed already built).

Side by side in the same run:
- baseline: papermill executing as many trivial one-cell notebooks as there are real notebooks
  (the floor set by kernel start-up and papermill itself);
- the real stage: ``analysis.reports.run_reports`` over every notebook in ``notebooks/``, written to
  a temporary reports folder so the real ``reports/`` is not touched.

Target (issue 2/5): the full notebook stage in 60 s or less on the 2-core machine.

Usage: ``.venv/bin/python benchmarks/bench_report.py [--repeat N]``; writes
``benchmarks/results/report_stage.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbformat.v4 import new_code_cell, new_notebook

from analysis.reports import discover_notebooks, project_root, run_reports

TARGET_S = 60.0


def _baseline(n: int, folder: Path) -> float:
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src = folder / "trivial.ipynb"
    nbformat.write(nb, src)
    t0 = time.perf_counter()
    for i in range(n):
        pm.execute_notebook(
            str(src), str(folder / f"out{i}.ipynb"), kernel_name="python3", progress_bar=False
        )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    root = project_root()
    books = discover_notebooks(root / "notebooks")
    base, real, per_nb = [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            base.append(_baseline(len(books), Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            res = run_reports(reports_dir=tmp, progress=False)
            real.append(time.perf_counter() - t0)
            if not res.ok:
                raise SystemExit("a notebook failed:\n" + res.summary())
            per_nb.append({r.name: r.duration_s for r in res.runs})
    out = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "notebooks": len(books),
        "baseline_trivial_notebooks_s": round(statistics.median(base), 2),
        "notebook_stage_s": round(statistics.median(real), 2),
        "ratio_to_baseline": round(statistics.median(real) / statistics.median(base), 2),
        "target_s": TARGET_S,
        "meets_target": statistics.median(real) <= TARGET_S,
        "per_notebook_s": per_nb[-1],
        "repeats": args.repeat,
    }
    print(f"{'what':<44}{'seconds':>10}")
    print(
        f"{'baseline: ' + str(len(books)) + ' trivial notebooks (papermill)':<44}"
        f"{out['baseline_trivial_notebooks_s']:>10.2f}"
    )
    print(f"{'notebook stage of make report':<44}{out['notebook_stage_s']:>10.2f}")
    for k, v in out["per_notebook_s"].items():
        print(f"  {k:<42}{v:>10.2f}")
    print(
        f"ratio to baseline {out['ratio_to_baseline']}; target <= {TARGET_S:.0f} s: "
        f"{'met' if out['meets_target'] else 'NOT met'}"
    )
    dest = root / "benchmarks" / "results" / "report_stage.json"
    dest.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
