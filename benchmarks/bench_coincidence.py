"""Speed of the coincidence test against baselines, timed in one run (not a test).

Workload: 150 releases and 300 events (uniform days over 3650 days), window 14 days "around",
100,000 surrogates. Baselines that cannot do 100,000 surrogates in reasonable time are timed on a
smaller number and scaled linearly to 100,000 (the "scaled" column says so):

- ``python_loop``: plain Python, uniform surrogates, for each release ``any(|e - t| <= w)``
  over the events.
- ``scipy_permutation_test``: :func:`scipy.stats.permutation_test` (``vectorized=True``,
  ``permutation_type="independent"``) on the same statistic: the mean of our window indicator
  over release days versus the other days of the period (a uniform-without-replacement null). It
  reuses our precomputed indicator, so it measures only the resampling machinery.
- ``pyunicorn_shuffle``: pyunicorn ``EventSeries.event_analysis_significance(method="ECA",
  surrogate="shuffle", window_type="symmetric")`` on the binary daily series (shuffle surrogates
  of both series; same-day releases collapse to one event there).

Run: ``.venv/bin/python benchmarks/bench_coincidence.py`` (writes
``benchmarks/results/coincidence.json``).
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

from analysis.timing.coincidence import coincidence_test, window_indicator

N_SURR = 100_000
N_DAYS = 3650
WINDOW = 14
OUT = Path(__file__).resolve().parent / "results" / "coincidence.json"


def _time(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> dict[str, object]:
    """Run every timing and write the JSON; returns the result dict."""
    rng = np.random.default_rng(2026)
    releases = rng.integers(0, N_DAYS, 150)
    events = rng.integers(0, N_DAYS, 300)
    start, end = 0, N_DAYS - 1
    rows: list[dict[str, object]] = []

    def add(name: str, seconds: float, n_timed: int, note: str) -> None:
        scaled = seconds * N_SURR / n_timed
        rows.append(
            {
                "method": name,
                "n_timed": n_timed,
                "seconds_timed": round(seconds, 6),
                "seconds_per_100k": round(scaled, 6),
                "scaled": n_timed != N_SURR,
                "note": note,
            }
        )

    kw = {"start": start, "end": end, "seed": 1}
    for null in ("jitter", "uniform"):
        t = _time(
            lambda null=null: coincidence_test(
                releases, events, WINDOW, null=null, n_surrogates=N_SURR, n_bootstrap=0, **kw
            )
        )
        add(f"ours_{null}", t, N_SURR, "Monte Carlo, chunks of 2,000, no bootstrap CI")
    t = _time(
        lambda: coincidence_test(releases, events, WINDOW, null="jitter", n_surrogates=N_SURR, **kw)
    )
    add("ours_jitter_with_ci", t, N_SURR, "as ours_jitter plus the 2,000-replicate bootstrap CI")
    t = _time(
        lambda: coincidence_test(
            releases, events, WINDOW, null="circular_shift", n_bootstrap=0, **kw
        ),
        repeat=20,
    )
    rows.append(
        {
            "method": "ours_circular_shift_exact",
            "n_timed": N_DAYS,
            "seconds_timed": round(t, 6),
            "seconds_per_100k": round(t, 6),
            "scaled": False,
            "note": f"exact: all {N_DAYS} shifts with one FFT (not scaled; no sampling)",
        }
    )

    # plain Python loop
    ev_list = [int(x) for x in events]
    n_loop = 200

    def python_loop() -> list[float]:
        r = np.random.default_rng(1)
        out = []
        for _ in range(n_loop):
            days = [int(x) for x in r.integers(start, end + 1, releases.size)]
            hits = 0
            for t_ in days:
                if any(abs(e - t_) <= WINDOW for e in ev_list):
                    hits += 1
            out.append(hits / len(days))
        return out

    add("python_loop", _time(python_loop, repeat=1), n_loop, "uniform null, scaled linearly")

    # scipy permutation_test on the same statistic
    h = window_indicator(events, start, end, WINDOW, "around").astype(float)
    is_release = np.zeros(N_DAYS, dtype=bool)
    is_release[np.unique(releases)] = True
    x, y = h[is_release], h[~is_release]
    n_scipy = 10_000

    def stat(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
        return np.mean(a, axis=axis)

    def scipy_perm() -> object:
        return stats.permutation_test(
            (x, y),
            stat,
            permutation_type="independent",
            vectorized=True,
            n_resamples=n_scipy,
            alternative="greater",
            random_state=1,
        )

    add(
        "scipy_permutation_test",
        _time(scipy_perm, repeat=1),
        n_scipy,
        "vectorized=True, shares our indicator; scaled linearly",
    )

    # pyunicorn shuffle surrogates
    from pyunicorn.eventseries import EventSeries

    mat = np.zeros((N_DAYS, 2), dtype=int)
    mat[np.unique(releases), 0] = 1
    mat[np.unique(events), 1] = 1
    es = EventSeries(mat, taumax=WINDOW)
    n_pyu = 200
    np.random.seed(1)  # noqa: NPY002  (pyunicorn draws from numpy's global state)

    def pyu() -> object:
        return es.event_analysis_significance(
            method="ECA", surrogate="shuffle", n_surr=n_pyu, window_type="symmetric"
        )

    add("pyunicorn_shuffle", _time(pyu, repeat=1), n_pyu, "ECA shuffle surrogates; scaled")

    ref = next(r["seconds_per_100k"] for r in rows if r["method"] == "ours_jitter")
    for r in rows:
        r["ratio_to_ours_jitter"] = round(float(r["seconds_per_100k"]) / float(ref), 4)

    result = {
        "workload": {
            "n_releases": 150,
            "n_events": 300,
            "n_days": N_DAYS,
            "window": WINDOW,
            "direction": "around",
            "n_surrogates": N_SURR,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "platform": platform.platform(),
        },
        "timestamp_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")

    print(f"{'method':28s} {'n timed':>9s} {'s timed':>9s} {'s / 100k':>10s} {'x ours':>8s}")
    for r in rows:
        flag = "*" if r["scaled"] else " "
        print(
            f"{r['method']:28s} {r['n_timed']:>9,d} {r['seconds_timed']:>9.3f} "
            f"{r['seconds_per_100k']:>9.3f}{flag} {r['ratio_to_ours_jitter']:>8.3g}"
        )
    print("* scaled linearly from n timed to 100,000 surrogates")
    print(f"wrote {OUT}")
    return result


if __name__ == "__main__":
    main()
