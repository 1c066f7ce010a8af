"""Execution: each notebook run with papermill into a staging folder, ``jobs`` at a time.

A notebook runs in its own kernel with its parameters; its executed copy and a standalone HTML page
(code hidden behind a toggle, figures embedded, stderr dropped) are written to staging. With
``jobs > 1`` notebooks run in worker processes and their outcomes are yielded in book order, so the
result is that of a serial run. A kernel that dies while starting is started again; a failing cell
never is.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.reports.notebook import ATTACH_ENV, read_answer, read_key_numbers

__all__ = ["KERNEL_NAME", "NotebookRun", "RunResult"]

KERNEL_NAME = "python3"


@dataclass(frozen=True)
class NotebookRun:
    """Outcome of one notebook in a report run."""

    name: str
    status: str  # "ok" or "failed"
    parameters: dict[str, Any]
    started: str
    finished: str
    duration_s: float
    key_numbers: dict[str, str] = field(default_factory=dict)
    answer_html: str = ""
    title: str = ""
    error: str = ""
    failed_cell: int | None = None
    failed_path: str = ""


@dataclass(frozen=True)
class RunResult:
    """Outcome of a whole report run (see :func:`run_reports`)."""

    runs: tuple[NotebookRun, ...]
    reports_dir: Path
    manifest_path: Path
    wall_s: float | None = None
    jobs: int = 1

    @property
    def ok(self) -> bool:
        """True if every notebook ran to the end."""
        return all(r.status == "ok" for r in self.runs)

    def summary(self) -> str:
        """One line per notebook: status, seconds, and the failed cell if any."""
        lines = [f"{'notebook':<28} {'status':<7} {'seconds':>8}"]
        for r in self.runs:
            extra = f"  cell {r.failed_cell}: {r.error}" if r.status != "ok" else ""
            lines.append(f"{r.name:<28} {r.status:<7} {r.duration_s:8.1f}{extra}")
        total = sum(r.duration_s for r in self.runs)
        lines.append(f"{'total':<28} {'':<7} {total:8.1f}")
        if self.wall_s is not None:
            lines.append(f"{f'wall clock ({self.jobs} at a time)':<36} {self.wall_s:8.1f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _title(nb: Any, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


_TOGGLE = """
<style>
  body.code-hidden .jp-CodeCell .jp-Cell-inputWrapper,
  body.code-hidden .jp-CodeCell .jp-InputArea { display: none; }
  #code-toggle { position: fixed; top: 8px; right: 12px; z-index: 100; padding: 4px 10px;
                 font: 13px sans-serif; cursor: pointer; }
</style>
<script>
  document.addEventListener("DOMContentLoaded", function () {
    document.body.classList.add("code-hidden");
    var b = document.createElement("button");
    b.id = "code-toggle"; b.textContent = "Show code";
    b.onclick = function () {
      var hidden = document.body.classList.toggle("code-hidden");
      b.textContent = hidden ? "Show code" : "Hide code";
    };
    document.body.appendChild(b);
  });
</script>
"""


def _to_html(nb: Any) -> str:
    """Standalone HTML: images inline, no web fonts or scripts fetched, code behind a toggle."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.embed_images = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # progress bars and warnings on stderr are for the console, not readers
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("name") != "stderr"]
    body, _ = exporter.from_notebook_node(nb)
    # Scripts from a CDN are not needed to read a report; drop them so it renders offline.
    body = re.sub(r"<script[^>]+src=\"https?://[^\"]+\"[^>]*>\s*</script>", "", body)
    return body.replace("</head>", _TOGGLE + "</head>", 1)


def _failure_info(exc: BaseException) -> tuple[int | None, str]:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return exc.cell_index, f"{exc.ename}: {exc.evalue}"
    return None, f"{type(exc).__name__}: {exc}"


#: Kernel starts per notebook. Two kernels starting at once (``--jobs``) on TCP can draw the same
#: free port (jupyter_client picks ports by binding and releasing them); the loser dies before it
#: answers ``kernel_info``, before any cell has run, and is started again. Kernels run on IPC
#: transport where the system has it (see :func:`_kernel_config`), which has no port to share;
#: the retry stays for TCP and for any other death before the first cell.
_KERNEL_STARTS = 3


@contextlib.contextmanager
def _kernel_config() -> Iterator[dict[str, Any]]:
    """Keyword arguments for papermill that start the kernel on IPC transport (Unix sockets).

    Over TCP, ipykernel warns on every start that the kernel "is running over TCP without
    encryption", which buries the progress bar of ``make report``. IPC sockets are files readable
    only by their owner; each kernel gets its own short-lived folder (under the system's temp
    folder, since a socket path is limited to about 100 characters), so parallel kernels cannot
    collide. On Windows, which has no IPC transport, the kernel stays on TCP.

    The kernel's own log is kept to critical messages: jupyter_client interrupts every kernel
    (SIGINT) as it shuts it down, and ipykernel sometimes logs "KeyboardInterrupt caught in
    kernel" to the console for it. A failing cell is still reported in the notebook and the table.
    """
    from traitlets.config import Config

    quiet = {"extra_arguments": ["--IPKernelApp.log_level=CRITICAL"]}
    if os.name == "nt":
        yield {"config": Config({"NotebookClient": quiet})}
        return
    with tempfile.TemporaryDirectory(prefix="bc-kernel-", ignore_cleanup_errors=True) as folder:
        ipc = {"transport": "ipc", "ip": os.path.join(folder, "kernel")}
        yield {"config": Config({"KernelManager": ipc, "NotebookClient": quiet})}


def _kernel_start_failed(exc: BaseException) -> bool:
    """True for a kernel that died while starting (no cell ran), never for a failing cell."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    text = f"{type(exc).__name__}: {exc}"
    return "kernel_info" in text or "Address already in use" in text or "Kernel died" in text


def _run_one(
    nb_path: Path, params: dict[str, Any], staging: Path, kernel: str
) -> tuple[NotebookRun, Path | None, Path | None]:
    import nbformat
    import papermill as pm

    started = _dt.datetime.now(_dt.UTC)
    t0 = time.perf_counter()
    out_nb = staging / f"{nb_path.stem}.ipynb"
    attach_dir = staging / f"{nb_path.stem}.attachments"
    attach_dir.mkdir(exist_ok=True)
    error, failed_cell = "", None
    previous_env = os.environ.get(ATTACH_ENV)
    os.environ[ATTACH_ENV] = str(attach_dir)  # the kernel inherits it
    try:
        for attempt in range(1, _KERNEL_STARTS + 1):
            try:
                with _kernel_config() as transport:
                    pm.execute_notebook(
                        str(nb_path),
                        str(out_nb),
                        parameters=params,
                        kernel_name=kernel,
                        progress_bar=False,
                        cwd=str(nb_path.parent),
                        log_output=False,
                        **transport,
                    )
                status = "ok"
                break
            except Exception as exc:
                if attempt < _KERNEL_STARTS and _kernel_start_failed(exc):
                    continue  # no cell ran: start a fresh kernel
                status = "failed"
                failed_cell, error = _failure_info(exc)
                break
    finally:
        if previous_env is None:
            os.environ.pop(ATTACH_ENV, None)
        else:
            os.environ[ATTACH_ENV] = previous_env
    duration = time.perf_counter() - t0
    finished = _dt.datetime.now(_dt.UTC)
    key_numbers: dict[str, str] = {}
    answer = ""
    title = nb_path.stem
    html_path = None
    if out_nb.exists():
        nb = nbformat.read(out_nb, as_version=4)
        title = _title(nb, nb_path.stem)
        if status == "ok":
            key_numbers = read_key_numbers(nb)
            answer = read_answer(nb)
            html_path = staging / f"{nb_path.stem}.html"
            try:
                html_path.write_text(_to_html(nb), encoding="utf-8")
            except Exception as exc:
                status, error, html_path = "failed", f"HTML export: {exc}", None
    run = NotebookRun(
        name=nb_path.stem,
        status=status,
        parameters=params,
        started=started.isoformat(timespec="seconds"),
        finished=finished.isoformat(timespec="seconds"),
        duration_s=round(duration, 2),
        key_numbers=key_numbers,
        answer_html=answer,
        title=title,
        error=error,
        failed_cell=failed_cell,
    )
    return run, (out_nb if out_nb.exists() else None), html_path


def _crashed(nb_path: Path, params: dict[str, Any], exc: BaseException) -> NotebookRun:
    """A failed run for a notebook whose worker process died (no output notebook)."""
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    return NotebookRun(
        name=nb_path.stem,
        status="failed",
        parameters=params,
        started=now,
        finished=now,
        duration_s=0.0,
        title=nb_path.stem,
        error=f"worker process failed: {type(exc).__name__}: {exc}",
    )


_Outcome = tuple[NotebookRun, Path | None, Path | None]


def _execute(
    books: Sequence[Path],
    params: Mapping[str, dict[str, Any]],
    staging: Path,
    kernel: str,
    jobs: int,
    bar: Any,
) -> Iterator[_Outcome]:
    """Run the notebooks (``jobs`` at a time, in processes) and yield outcomes in book order."""
    if jobs == 1 or len(books) == 1:
        for nb_path in books:
            bar.set_postfix_str(nb_path.stem)
            yield _run_one(nb_path, params[nb_path.stem], staging, kernel)
            bar.update()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")  # no fork of a parent that may hold threads
    with ProcessPoolExecutor(max_workers=min(jobs, len(books)), mp_context=ctx) as pool:
        futures = [pool.submit(_run_one, nb, params[nb.stem], staging, kernel) for nb in books]
        for nb_path, fut in zip(books, futures, strict=True):
            try:
                outcome = fut.result()
            except Exception as exc:  # a worker died: record it, keep the others
                outcome = (_crashed(nb_path, params[nb_path.stem], exc), None, None)
            bar.update()
            yield outcome
