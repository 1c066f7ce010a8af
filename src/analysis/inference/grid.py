"""One backend for heavy grids: serial, local processes, or a Dask distributed cluster.

:func:`run_grid` calls ``func(task, seed_sequence)`` for every task and returns the results in
task order. Every task gets its own :class:`numpy.random.SeedSequence` (child ``i`` of
``SeedSequence(seed).spawn(len(tasks))``, or the children passed in), so the numbers do not
depend on the backend or on the number of workers.

Backends
--------
``serial``
    ``n_workers=1``: a plain loop in this process.
``processes``
    :class:`concurrent.futures.ProcessPoolExecutor` with ``n_workers`` processes (default
    ``os.cpu_count()``).
``dask``
    A Dask distributed cluster, when ``scheduler`` is given (an address such as
    ``"tcp://10.0.0.5:8786"`` or a ``distributed.Client``) or the environment variable
    ``DASK_SCHEDULER_ADDRESS`` is set. Dask is imported only then. ``func`` must be importable on
    the workers (a module-level function of an installed package).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

__all__ = ["ENV_SCHEDULER", "Backend", "resolve_backend", "run_grid", "task_seeds"]

#: Environment variable naming a Dask scheduler address (used when ``scheduler`` is None).
ENV_SCHEDULER = "DASK_SCHEDULER_ADDRESS"

SeedLike = int | np.integer | np.random.SeedSequence | Sequence[np.random.SeedSequence] | None


@dataclass(frozen=True)
class Backend:
    """Where a grid runs.

    Attributes
    ----------
    kind : {"serial", "processes", "dask"}
    n_workers : int or None
        Local processes (None for dask: the cluster decides).
    scheduler : str or distributed.Client or None
        Dask scheduler (address or client).
    """

    kind: str
    n_workers: int | None
    scheduler: Any = None

    def __str__(self) -> str:
        if self.kind == "dask":
            where = self.scheduler if isinstance(self.scheduler, str) else "client"
            return f"dask ({where})"
        return f"{self.kind} ({self.n_workers} worker{'s' if self.n_workers != 1 else ''})"


def _check_workers(n_workers: Any) -> int:
    if n_workers is None:
        return os.cpu_count() or 1
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)):
        raise ValueError(f"n_workers = {n_workers!r} must be an int >= 1 or None (all cores)")
    if n_workers < 1:
        raise ValueError(f"n_workers = {n_workers!r} must be an int >= 1 or None (all cores)")
    return int(n_workers)


def _is_client(obj: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(obj, Client)


def _check_scheduler(scheduler: Any) -> Any:
    if scheduler is None:
        return os.environ.get(ENV_SCHEDULER) or None
    if isinstance(scheduler, str):
        if not scheduler.strip():
            raise ValueError("scheduler = '' is empty; give a Dask scheduler address or a Client")
        return scheduler.strip()
    if _is_client(scheduler):
        return scheduler
    raise ValueError(
        f"scheduler = {scheduler!r} is not allowed; use a Dask scheduler address "
        "(e.g. 'tcp://127.0.0.1:8786'), a distributed.Client, or None"
    )


def resolve_backend(scheduler: Any = None, n_workers: Any = None) -> Backend:
    """Choose the backend from ``scheduler``, ``$DASK_SCHEDULER_ADDRESS`` and ``n_workers``.

    Parameters
    ----------
    scheduler : str, distributed.Client or None
        Dask scheduler; None: ``$DASK_SCHEDULER_ADDRESS`` if set, else local.
    n_workers : int or None
        Local processes (None: ``os.cpu_count()``; 1: serial in this process). Checked even when
        a scheduler is given.

    Returns
    -------
    Backend

    Raises
    ------
    ValueError
        ``n_workers`` not an int >= 1 or None; ``scheduler`` neither an address nor a Client.
    """
    workers = _check_workers(n_workers)
    sched = _check_scheduler(scheduler)
    if sched is not None:
        return Backend("dask", None, sched)
    return Backend("serial" if workers == 1 else "processes", workers)


def task_seeds(seed: SeedLike, n_tasks: int) -> list[np.random.SeedSequence]:
    """One :class:`numpy.random.SeedSequence` per task.

    Parameters
    ----------
    seed : int, SeedSequence, sequence of SeedSequence or None
        Master seed (children ``SeedSequence(seed).spawn(n_tasks)``) or the children themselves.
    n_tasks : int
        Number of tasks.

    Returns
    -------
    list of SeedSequence
    """
    if isinstance(seed, Sequence) and not isinstance(seed, str):
        seeds = list(seed)
        if len(seeds) != n_tasks or not all(isinstance(s, np.random.SeedSequence) for s in seeds):
            raise ValueError(
                f"seed is a sequence of {len(seeds)} items; give one SeedSequence per task "
                f"({n_tasks}) or an int / None"
            )
        return seeds
    if isinstance(seed, np.random.SeedSequence):
        return seed.spawn(n_tasks)
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed = {seed!r} is not allowed; use a non-negative int or None")
    return np.random.SeedSequence(seed).spawn(n_tasks)


def _run_chunk(
    func: Callable[[Any, np.random.SeedSequence], Any],
    pairs: list[tuple[Any, np.random.SeedSequence]],
) -> list[Any]:
    return [func(task, ss) for task, ss in pairs]


def _chunks(pairs: list[Any], n_workers: int) -> list[list[Any]]:
    size = max(1, math.ceil(len(pairs) / (4 * n_workers)))
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def _run_serial(func: Callable, pairs: list[Any], bar: Any) -> list[Any]:
    out = []
    for task, ss in pairs:
        out.append(func(task, ss))
        bar.update(1)
    return out


def _run_processes(func: Callable, pairs: list[Any], n_workers: int, bar: Any) -> list[Any]:
    chunks = _chunks(pairs, n_workers)
    out: list[Any] = []
    with ProcessPoolExecutor(max_workers=min(n_workers, len(chunks))) as ex:
        for res in ex.map(_run_chunk, [func] * len(chunks), chunks):
            out.extend(res)
            bar.update(len(res))
    return out


def _dask_client(scheduler: Any) -> tuple[Any, bool]:
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            f"scheduler = {scheduler!r} needs Dask: pip install 'dask[distributed]'"
        ) from None
    if isinstance(scheduler, str):
        return Client(scheduler), True
    return scheduler, False


def _run_dask(func: Callable, pairs: list[Any], scheduler: Any, bar: Any) -> list[Any]:
    from distributed import as_completed

    client, own = _dask_client(scheduler)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        chunks = _chunks(pairs, n_workers)
        futures = client.map(_run_chunk, [func] * len(chunks), chunks, pure=False)
        sizes = {f.key: len(c) for f, c in zip(futures, chunks, strict=True)}
        for fut in as_completed(futures):
            bar.update(sizes[fut.key])
        out: list[Any] = []
        for res in client.gather(futures):
            out.extend(res)
        return out
    finally:
        if own:
            client.close()


def run_grid(
    func: Callable[[Any, np.random.SeedSequence], Any],
    tasks: Sequence[Any],
    *,
    seed: SeedLike,
    scheduler: Any = None,
    n_workers: int | None = None,
    progress: bool = True,
    desc: str = "grid",
) -> list[Any]:
    """Run ``func(task, seed_sequence)`` over ``tasks``, locally or on a Dask cluster.

    Parameters
    ----------
    func : callable
        ``func(task, seed_sequence) -> result``; a module-level function (it is pickled).
    tasks : sequence
        Picklable task descriptions.
    seed : int, SeedSequence, sequence of SeedSequence or None
        Task ``i`` gets child ``i`` of ``SeedSequence(seed).spawn(len(tasks))``, or ``seed[i]``
        when a sequence of SeedSequences is given (e.g. tasks that must share draws). Results are
        identical whatever the backend and the number of workers.
    scheduler : str, distributed.Client or None
        Dask scheduler address or client; None: ``$DASK_SCHEDULER_ADDRESS`` if set, else local.
    n_workers : int or None
        Local processes (None: ``os.cpu_count()``, 1: serial in this process).
    progress : bool
        Show a tqdm progress bar.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        One result per task, in task order.

    Raises
    ------
    ValueError
        Bad ``n_workers``, ``scheduler`` or ``seed``.
    ImportError
        A Dask scheduler is asked for but dask[distributed] is not installed.
    """
    backend = resolve_backend(scheduler, n_workers)
    tasks = list(tasks)
    pairs = list(zip(tasks, task_seeds(seed, len(tasks)), strict=True))
    with tqdm(total=len(pairs), disable=not progress, desc=desc) as bar:
        if backend.kind == "dask":
            return _run_dask(func, pairs, backend.scheduler, bar)
        if backend.kind == "serial" or len(pairs) <= 1:
            return _run_serial(func, pairs, bar)
        return _run_processes(func, pairs, int(backend.n_workers or 1), bar)
