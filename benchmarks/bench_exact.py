"""Speed of exact inference (issue #16), side by side with the Monte Carlo path in the same run.

Targets:

1. the exact p-value of Venezuela's H1 (plan v2 settings, no bootstrap) within 50 ms, against
   the Monte Carlo p-value from 9,999 surrogates (the path it replaces), timed on the same data;
2. ``make report`` in a fresh clone (data/processed, the plan calibration and every notebook)
   within 150 s;
3. a second ``make report`` in that clone (everything cached but the notebooks) within 25 s.

Targets 2 and 3 are timed for this commit and for the Monte Carlo baseline commit (the commit
before the exact engine, ``--baseline``), each in its own fresh clone (``git clone`` of this
repository), with the project's environment reused: the clone's ``.venv`` is a link to the
running interpreter's environment and ``make -o .venv/.installed`` skips the install, so the
numbers exclude building the environment; ``PYTHONPATH`` points at the clone's ``src``.

Run: ``.venv/bin/python benchmarks/bench_exact.py [--no-report] [--baseline REF]``; writes
``benchmarks/results/exact.json``. The machine is shared: read the numbers side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.inference.plan import get_plan
from analysis.record.data import load_processed
from analysis.record.overview import release_days, select_events
from analysis.settings import project_root
from analysis.timing.coincidence import coincidence_test

OUT = Path(__file__).resolve().parent / "results" / "exact.json"
#: The commit before the exact engine (Monte Carlo p-values and calibration).
BASELINE = "112c25c"
TARGETS = {"h1_exact_s": 0.050, "fresh_report_s": 150.0, "second_report_s": 25.0}


def _best(fn, repeat: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def bench_h1(repeat: int = 20) -> dict[str, object]:
    """Exact p-value of Venezuela's H1 against 9,999 Monte Carlo surrogates, same data."""
    frames = load_processed(country="venezuela")
    pl = get_plan("v2")
    spec = pl.test("H1")
    st = {k: spec.settings[k] for k in ("window", "direction", "jitter_days", "cluster_gap")}
    days = release_days(frames["releases"], pl.start, pl.end)["date"]
    ev = select_events(frames["events"], list(spec.classes), pl.start, pl.end)["date"]
    kw = dict(start=pl.start, end=pl.end, n_bootstrap=0, **st)
    ex_best, ex_med, ex = _best(lambda: coincidence_test(days, ev, **kw), repeat)
    mc_best, mc_med, _ = _best(
        lambda: coincidence_test(days, ev, method="monte carlo", n_surrogates=9_999, seed=1, **kw),
        max(3, repeat // 4),
    )
    return {
        "exact_best_s": round(ex_best, 5),
        "exact_median_s": round(ex_med, 5),
        "exact_pvalue_method": ex.method,  # type: ignore[attr-defined]
        "monte_carlo_9999_best_s": round(mc_best, 5),
        "monte_carlo_9999_median_s": round(mc_med, 5),
        "speedup_median": round(mc_med / ex_med, 1),
        "target_s": TARGETS["h1_exact_s"],
        "meets_target": ex_med <= TARGETS["h1_exact_s"],
        "note": "p-values not printed here (see the report); the exact one has no seed",
    }


def _clone(ref: str, dest: Path) -> None:
    root = project_root()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(root), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "--quiet", ref], check=True)
    (dest / ".venv").symlink_to(Path(sys.prefix))


def _make_report(dest: Path) -> tuple[float, int]:
    env = dict(os.environ, PYTHONPATH=str(dest / "src"), BARGAINING_CHIP_ROOT=str(dest))
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["make", "-o", ".venv/.installed", "report", "REPORT_ARGS=--no-progress"],
        cwd=dest, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        print(proc.stdout[-3000:], file=sys.stderr)
    return elapsed, proc.returncode


def bench_report(ref: str, label: str) -> dict[str, object]:
    """Fresh-clone ``make report`` and a second ``make report`` at ``ref``."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as tmp:
        dest = Path(tmp) / "repo"
        _clone(ref, dest)
        first, rc1 = _make_report(dest)
        second, rc2 = _make_report(dest)
    return {
        "ref": ref,
        "fresh_report_s": round(first, 1),
        "second_report_s": round(second, 1),
        "returncodes": [rc1, rc2],
    }


def main() -> dict[str, object]:
    """Run the benchmarks and write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-report", action="store_true", help="only the H1 p-value timing")
    p.add_argument("--baseline", default=BASELINE, help="Monte Carlo baseline commit")
    p.add_argument("--repeat", type=int, default=20)
    a = p.parse_args()
    result: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "platform": platform.platform()},
        "timestamp_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "h1": bench_h1(a.repeat),
    }  # fmt: skip
    h: dict = result["h1"]  # type: ignore[assignment]
    print(f"H1 exact p-value: {h['exact_median_s'] * 1e3:.1f} ms (median; target 50 ms); "
          f"Monte Carlo 9,999 surrogates: {h['monte_carlo_9999_median_s'] * 1e3:.1f} ms")
    if not a.no_report:
        git = ["git", "-C", str(project_root()), "rev-parse", "HEAD"]
        head = subprocess.run(git, capture_output=True, text=True, check=True).stdout.strip()
        exact = bench_report(head, "exact")
        base = bench_report(a.baseline, "montecarlo")
        result["report"] = {
            "exact": exact, "monte_carlo_baseline": base,
            "targets": {k: TARGETS[k] for k in ("fresh_report_s", "second_report_s")},
            "meets_targets": {k: float(exact[k]) <= TARGETS[k]  # type: ignore[arg-type]
                              for k in TARGETS if k != "h1_exact_s"},
            "note": "environment reused (.venv linked, make -o .venv/.installed); shared machine",
        }  # fmt: skip
        for name, r in (("exact (this commit)", exact), ("Monte Carlo baseline", base)):
            print(f"{name:<24} fresh-clone make report {r['fresh_report_s']:>7.1f} s   "
                  f"second {r['second_report_s']:>6.1f} s   rc {r['returncodes']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {OUT}")
    return result


if __name__ == "__main__":
    main()
