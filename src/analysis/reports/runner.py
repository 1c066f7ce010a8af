"""The papermill report runner: ``python -m analysis.reports`` (what ``make report`` calls).

It executes the notebooks in ``notebooks/`` in order, each with its parameters, and writes under
``reports/``:

- ``<name>.ipynb`` -- the executed notebook;
- ``<name>.html`` -- a standalone page (code hidden behind a toggle, figures embedded);
- ``manifest.json`` -- parameters, git commit, checksums of every input data file, package
  versions, start/end time and duration of every notebook;
- ``index.html`` -- links to every report with its headline numbers.

Parameters come from ``-p name=value`` (every notebook that declares ``name``),
``-p notebook:name=value`` (one notebook) or a YAML file (``--params-file``), and are validated
against each notebook's ``parameters`` cell before any kernel starts.

Notebooks run ``--jobs N`` at a time, each in its own process (default ``min(2, CPUs)``); the
reports, key numbers and manifest order are those of a serial run. Every file written is readable
by everyone (mode 0644).

Failures are contained: each notebook runs into a staging folder (removed afterwards), and only a
complete run replaces the previous report. A failed notebook is kept at
``reports/failed/<name>.ipynb`` for debugging, the last good report of it stays untouched, the
other notebooks still run, and the command exits non-zero naming the notebook and the cell that
failed.

Notebooks show their headline numbers with :func:`show_key_numbers` in a cell tagged
``key-numbers``; the runner reads them back from the executed notebook for the index.

The runner is split by concern, each module readable on its own:

- :mod:`analysis.reports.params` -- parameters and their validation, which notebooks run;
- :mod:`analysis.reports.execute` -- running a notebook (papermill, HTML export, retries);
- :mod:`analysis.reports.provenance` -- manifest, checksums, versions, publishing files;
- :mod:`analysis.reports.index` -- the index page;
- :mod:`analysis.reports.notebook` -- what a notebook calls (key numbers, answer, attachments).

This module ties them together (:func:`run_reports`, :func:`main`) and keeps the public names.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.reports.execute import (  # noqa: F401 - private names kept for tests
    KERNEL_NAME,
    NotebookRun,
    RunResult,
    _execute,
    _kernel_config,
    _kernel_start_failed,
    _run_one,
)
from analysis.reports.index import build_index
from analysis.reports.notebook import (
    ANSWER_TAG,
    ATTACH_ENV,
    KEY_NUMBERS_TAG,
    attach,
    read_answer,
    read_key_numbers,
    show_key_numbers,
    store_key_outputs,
)
from analysis.reports.params import (
    ParameterError,
    _check_jobs,
    default_jobs,
    discover_notebooks,
    parse_cli_parameters,
    validate_parameters,
)
from analysis.reports.provenance import (  # noqa: F401 - private names kept for tests
    REPORT_FILE_MODE,
    _atomic_write,
    _file_outcome,
    _previous_entries,
    build_manifest,
)
from analysis.settings import project_root

__all__ = [
    "ANSWER_TAG",
    "ATTACH_ENV",
    "KEY_NUMBERS_TAG",
    "NotebookRun",
    "ParameterError",
    "RunResult",
    "attach",
    "build_index",
    "default_jobs",
    "discover_notebooks",
    "main",
    "parse_cli_parameters",
    "project_root",
    "read_answer",
    "read_key_numbers",
    "run_reports",
    "show_key_numbers",
    "store_key_outputs",
    "validate_parameters",
]


def run_reports(
    notebooks_dir: str | os.PathLike[str] | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
    *,
    global_params: Mapping[str, Any] | None = None,
    per_notebook: Mapping[str, Mapping[str, Any]] | None = None,
    only: Sequence[str] | None = None,
    kernel: str = KERNEL_NAME,
    progress: bool = True,
    jobs: int | None = None,
) -> RunResult:
    """Execute the notebooks with papermill and write the reports, manifest and index.

    Parameters
    ----------
    notebooks_dir, reports_dir : path, optional
        Default ``<root>/notebooks`` and ``<root>/reports``.
    global_params, per_notebook : mapping, optional
        Parameter overrides (see :func:`validate_parameters`); validated before any kernel starts.
    only : sequence of str, optional
        Run only these notebooks (stems or number prefixes).
    kernel : str, default "python3"
        Jupyter kernel name; the project's virtual environment provides ``python3``.
    progress : bool, default True
        Show a progress bar over notebooks.
    jobs : int, optional
        Notebooks run at once, each in its own process (default :func:`default_jobs`). The
        reports, key numbers and manifest order are those of a serial run (``jobs=1``).

    Returns
    -------
    RunResult
        Per-notebook status, durations and key numbers; ``ok`` is False if any notebook failed.

    Raises
    ------
    ParameterError
        For a bad parameter or ``jobs`` (before any kernel starts).
    """
    from tqdm.auto import tqdm

    jobs = _check_jobs(jobs)
    root = project_root()
    nb_dir = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    out_dir = Path(reports_dir) if reports_dir else root / "reports"
    books = discover_notebooks(nb_dir, only)
    params = validate_parameters(books, global_params, per_notebook)

    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    notebooks_entry = _previous_entries(manifest_path)
    runs: list[NotebookRun] = []
    staging_root = out_dir / ".staging"
    staging_root.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(dir=staging_root) as tmp:
            bar = tqdm(total=len(books), desc="notebooks", unit="nb", disable=not progress,
                       file=sys.stderr)  # fmt: skip
            for outcome in _execute(books, params, Path(tmp), kernel, jobs, bar):
                run, entry = _file_outcome(outcome, out_dir, notebooks_entry)
                notebooks_entry[run.name] = entry
                runs.append(run)
            bar.close()
    finally:
        with contextlib.suppress(OSError):  # another run may still be staging: leave it
            staging_root.rmdir()
    wall_s = round(time.perf_counter() - t0, 2)
    manifest = build_manifest(
        root, kernel=kernel, jobs=jobs, wall_s=wall_s, runs=runs, notebooks=notebooks_entry
    )
    _atomic_write(manifest_path, json.dumps(manifest, indent=2, sort_keys=False, default=str))
    _atomic_write(out_dir / "index.html", build_index(manifest, out_dir))
    return RunResult(tuple(runs), out_dir, manifest_path, wall_s=manifest["wall_s"], jobs=jobs)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (0 only if every notebook succeeded)."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.reports",
        description="Run the notebooks with papermill and write reports/ (HTML, manifest, index).",
    )
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="[NB:]NAME=VALUE",
        help="parameter override; repeatable; NB is a notebook stem or prefix",
    )
    parser.add_argument("--params-file", help="YAML file of parameters (see module docstring)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NB",
        help="run only this notebook (stem or number prefix); repeatable",
    )
    parser.add_argument("--notebooks-dir", default=None)
    parser.add_argument("--reports-dir", default=None)
    parser.add_argument("--kernel", default=KERNEL_NAME)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help=f"notebooks run at once, each in its own process (default {default_jobs()})",
    )
    parser.add_argument(
        "--update-key-numbers",
        action="store_true",
        help="after a run with default parameters, store each notebook's key numbers in the "
        "source notebook as the reference nbval checks",
    )
    args = parser.parse_args(argv)
    if args.update_key_numbers and (args.param or args.params_file):
        print(
            "error: --update-key-numbers needs the default parameters (no -p/--params-file)",
            file=sys.stderr,
        )
        return 2
    try:
        global_params, per_nb = parse_cli_parameters(args.param, args.params_file)
        result = run_reports(
            args.notebooks_dir,
            args.reports_dir,
            global_params=global_params,
            per_notebook=per_nb,
            only=args.only or None,
            kernel=args.kernel,
            progress=not args.no_progress,
            jobs=args.jobs,
        )
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    if args.update_key_numbers:
        nb_dir = Path(args.notebooks_dir) if args.notebooks_dir else project_root() / "notebooks"
        for r in result.runs:
            if r.status == "ok":
                changed = store_key_outputs(
                    result.reports_dir / f"{r.name}.ipynb", nb_dir / f"{r.name}.ipynb"
                )
                print(f"key numbers of {r.name}: {'updated' if changed else 'unchanged'}")
    print(f"reports written to {result.reports_dir} (index.html, manifest.json)")
    failed = [r for r in result.runs if r.status != "ok"]
    for r in failed:
        print(
            f"FAILED: notebook {r.name} at cell {r.failed_cell}: {r.error}\n"
            f"        executed notebook kept at {result.reports_dir / r.failed_path}; "
            "the last good report is untouched",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
