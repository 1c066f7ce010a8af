"""Grid backend: same seed -> identical numbers serially, on local processes and on a local Dask
cluster; clear errors for bad arguments; record-shaped scenarios run through calibrate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.inference.calibration import calibrate_plan
from analysis.inference.comparative import compare_countries
from analysis.inference.grid import resolve_backend, run_grid, task_seeds
from analysis.inference.simulate import calibrate, simulate

_TINY = dict(
    scenarios=("clustered", "record_surge", "record_planted"),
    nulls=("jitter", "circular_shift"),
    n_reps=4,
    n_surrogates=49,
    seed=8,
    progress=False,
)


_SHAPES = {h: dict(n_clusters=25, n_events=15, n_days=1200) for h in ("H1", "H2", "H3")}


def _draw(task: int, ss: np.random.SeedSequence) -> float:
    return float(task + np.random.default_rng(ss).random())


@pytest.fixture(scope="module")
def serial() -> pd.DataFrame:
    return calibrate(n_workers=1, **_TINY).pvalues


def test_processes_match_serial(serial: pd.DataFrame) -> None:
    res = calibrate(n_workers=2, **_TINY)
    assert res.backend == "processes (2 workers)"
    pd.testing.assert_frame_equal(res.pvalues, serial)


def test_dask_cluster_matches_serial(serial: pd.DataFrame, monkeypatch) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        # the environment variable names the cluster: run_grid opens and closes its own client
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
        out = run_grid(_draw, range(5), seed=3, progress=False)
        monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
        with distributed.Client(cluster) as client:
            res = calibrate(scheduler=client, **_TINY)
            plan_dask = calibrate_plan("v2", n_reps=4, n_surrogates=49, seed=5, shapes=_SHAPES,
                                       scheduler=client)  # fmt: skip
            cmp_dask = compare_countries(["belarus", "nicaragua"], n_surrogates=99, seed=4,
                                         scheduler=client)  # fmt: skip
    assert out == run_grid(_draw, range(5), seed=3, n_workers=1, progress=False)
    assert res.backend == "dask (client)"
    pd.testing.assert_frame_equal(res.pvalues, serial)
    # the plan's calibration table and the comparison of countries: the same numbers locally
    plan_local = calibrate_plan("v2", n_reps=4, n_surrogates=49, seed=5, shapes=_SHAPES,
                                n_workers=1)  # fmt: skip
    pd.testing.assert_frame_equal(plan_dask.table, plan_local.table)
    cmp_local = compare_countries(["belarus", "nicaragua"], n_surrogates=99, seed=4, n_workers=2)
    pd.testing.assert_frame_equal(cmp_dask.table, cmp_local.table)
    pd.testing.assert_frame_equal(cmp_dask.controls, cmp_local.controls)


def test_run_grid_order_and_seeds() -> None:
    a = run_grid(_draw, range(9), seed=1, n_workers=1, progress=False)
    b = run_grid(_draw, range(9), seed=1, n_workers=2, progress=False)
    assert a == b and [int(x) for x in a] == list(range(9))
    ss = np.random.SeedSequence(1).spawn(9)
    assert run_grid(_draw, range(9), seed=ss, n_workers=1, progress=False) == a
    assert len(task_seeds(None, 3)) == 3


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_bad_n_workers(bad: object) -> None:
    with pytest.raises(ValueError, match=r"n_workers = .* must be an int >= 1 or None"):
        run_grid(_draw, [1], seed=0, n_workers=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_workers"):
        calibrate(n_workers=bad, n_reps=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [42, "", object()])
def test_bad_scheduler(bad: object, monkeypatch) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(ValueError, match="scheduler = "):
        resolve_backend(bad)
    with pytest.raises(ValueError, match="scheduler = "):
        calibrate(scheduler=bad, n_reps=1)


def test_bad_seed_list() -> None:
    with pytest.raises(ValueError, match="one SeedSequence per task"):
        run_grid(_draw, range(3), seed=np.random.SeedSequence(0).spawn(2), progress=False)
    with pytest.raises(ValueError, match="seed = -1"):
        run_grid(_draw, range(3), seed=-1, progress=False)


def test_backend_resolution(monkeypatch) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert resolve_backend(None, 1).kind == "serial"
    assert resolve_backend(None, 3).kind == "processes"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:8786")
    b = resolve_backend(None, 1)
    assert b.kind == "dask" and str(b) == "dask (tcp://127.0.0.1:8786)"


# ------------------------------------------------------------------ record-shaped scenarios


def test_record_shaped_generators() -> None:
    late_r, late_e = [], []
    for s in range(20):
        d = simulate("record_surge", seed=s)
        cl = d.params["cluster"]
        assert np.unique(cl).size == 73 and d.events.size == 130 and d.end == 4382
        for k in np.unique(cl):
            days = d.releases[cl == k]
            assert 1 <= days.size <= 5 and days.max() - days.min() <= 6
        late_r.append((d.releases > d.end - 365).mean())
        late_e.append((d.events > d.end - 365).mean())
    # last year (1/12 of the period) carries several times its share of both series
    assert np.mean(late_r) > 2.5 / 12 and np.mean(late_e) > 2 / 12
    c = simulate("record_clustered", seed=1)
    assert not c.planted.any() and (c.releases > c.end - 365).mean() < 0.2


@pytest.mark.parametrize("side", ["after", "before"])
def test_record_planted_moves_whole_clusters(side: str) -> None:
    d = simulate("record_planted", seed=5, fraction=0.4, plant_side=side, lag_min=2, lag_max=5)
    cl = d.params["cluster"]
    moved = np.unique(cl[d.planted])
    assert moved.size == round(0.4 * 73)
    for k in moved:
        on = cl == k
        assert d.planted[on].all()
        gap = (
            d.releases[on].min() - d.events if side == "after" else d.events - d.releases[on].min()
        )
        assert np.any((gap >= 2) & (gap <= 5)) or d.releases[on].min() in (d.start, d.end)
    with pytest.raises(ValueError, match="plant_side = 'x' is not allowed"):
        simulate("record_planted", plant_side="x")
