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
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import datetime as _dt
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis.settings import project_root

__all__ = [
    "ANSWER_TAG",
    "KEY_NUMBERS_TAG",
    "ATTACH_ENV",
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

KEY_NUMBERS_TAG = "key-numbers"
KERNEL_NAME = "python3"
_PACKAGES = (
    "bargaining-chip",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pandera",
    "pyarrow",
    "ruptures",
    "bokeh",
    "papermill",
    "nbconvert",
    "ipykernel",
)


class ParameterError(ValueError):
    """A report parameter is unknown, of the wrong type or outside its allowed values."""


# ---------------------------------------------------------------------------------------------
# Locations
# ---------------------------------------------------------------------------------------------


def discover_notebooks(notebooks_dir: Path, only: Sequence[str] | None = None) -> list[Path]:
    """The notebooks to run, in reading order (sorted by file name).

    Parameters
    ----------
    notebooks_dir : Path
        Folder of ``.ipynb`` files.
    only : sequence of str, optional
        Keep only notebooks whose stem equals or starts with one of these (e.g. ``"02"``).

    Raises
    ------
    ParameterError
        If ``only`` names a notebook that does not exist, or no notebook is found.
    """
    books = sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if not p.name.startswith("."))
    if only:
        chosen = []
        for key in only:
            hits = [p for p in books if p.stem == key or p.stem.startswith(key)]
            if not hits:
                names = ", ".join(p.stem for p in books)
                raise ParameterError(f"--only {key!r} matches no notebook; available: {names}")
            chosen.extend(h for h in hits if h not in chosen)
        books = sorted(chosen)
    if not books:
        raise ParameterError(f"no notebooks found in {notebooks_dir}")
    return books


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}


def _declared_parameters(nb_path: Path) -> dict[str, dict[str, Any]]:
    """Parameters declared in the notebook's ``parameters`` cell: name -> default and help."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return {}
    out: dict[str, dict[str, Any]] = {}
    source = cells[0].source
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    default = ast.literal_eval(node.value)
                except ValueError:
                    default = None
                line = lines[node.lineno - 1]
                help_text = line.split("#", 1)[1].strip() if "#" in line else ""
                out[target.id] = {"default": default, "help": help_text}
    return out


def _choices(help_text: str) -> list[str] | None:
    """Allowed values announced in a parameter comment as ``one of: a, b, c``."""
    m = re.search(r"one of:\s*([^;.()]+)", help_text)
    if not m:
        return None
    return [c.strip().strip("'\"") for c in m.group(1).split(",") if c.strip()]


def _check_type(name: str, value: Any, default: Any, where: str) -> Any:
    if default is None:
        return value
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        raise ParameterError(
            f"parameter {name!r} ({where}) = {value!r} has type {type(value).__name__}; "
            f"allowed: {_TYPE_NAMES.get(expected, expected.__name__)} (default {default!r})"
        )
    return value


def _check_rules(name: str, value: Any, help_text: str, where: str) -> None:
    choices = _choices(help_text)
    if choices is not None:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if str(v) not in choices:
                raise ParameterError(
                    f"parameter {name!r} ({where}) = {v!r} is not allowed; one of: "
                    + ", ".join(choices)
                )
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    positive = name in {"n_surrogates", "jitter_days", "half_width", "n_reps", "max_lag"} or (
        name.startswith("window") or name.endswith("_days")
    )
    if numeric and positive and value <= 0:
        raise ParameterError(f"parameter {name!r} ({where}) = {value!r}; allowed: a number > 0")
    if numeric and name in {"alpha", "band"} and not 0 < value < 1:
        raise ParameterError(f"parameter {name!r} ({where}) = {value!r}; allowed: 0 < value < 1")
    if isinstance(value, list) and name.startswith("window"):
        for v in value:
            if not isinstance(v, (int, float)) or v <= 0:
                raise ParameterError(
                    f"parameter {name!r} ({where}) contains {v!r}; allowed: numbers > 0"
                )


def _check_period(params: Mapping[str, Any], where: str) -> None:
    pairs = [(k, k.replace("start", "end")) for k in params if "start" in k]
    for s_key, e_key in pairs:
        if e_key not in params or params[s_key] in (None, "") or params[e_key] in (None, ""):
            continue
        try:
            s = _dt.date.fromisoformat(str(params[s_key]))
            e = _dt.date.fromisoformat(str(params[e_key]))
        except ValueError as exc:
            raise ParameterError(
                f"parameters {s_key!r}/{e_key!r} ({where}) = {params[s_key]!r}/{params[e_key]!r}:"
                " allowed: ISO dates YYYY-MM-DD"
            ) from exc
        if e < s:
            raise ParameterError(
                f"parameter {e_key!r} ({where}) = {params[e_key]!r} is before {s_key!r} = "
                f"{params[s_key]!r}; the period must end on or after its start"
            )


def validate_parameters(
    notebooks: Sequence[Path],
    global_params: Mapping[str, Any] | None = None,
    per_notebook: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Check every requested parameter against the notebooks' ``parameters`` cells.

    Parameters
    ----------
    notebooks : sequence of Path
        Notebooks that will run.
    global_params : mapping, optional
        Applied to every notebook that declares the name; a name no notebook declares is an error.
    per_notebook : mapping, optional
        ``{notebook stem or prefix: {name: value}}``; each name must be declared by that notebook.

    Returns
    -------
    dict
        ``{notebook stem: {name: value}}`` with the overrides that apply to each notebook.

    Raises
    ------
    ParameterError
        Unknown name, wrong type (the default's type is the contract), a value outside the choices
        announced as ``# one of: a, b`` in the parameters cell, a non-positive window, count or
        number of days, or a period whose end is before its start.
    """
    global_params = dict(global_params or {})
    per_notebook = dict(per_notebook or {})
    declared = {nb.stem: _declared_parameters(nb) for nb in notebooks}
    known_anywhere = set().union(*declared.values()) if declared else set()
    unknown = sorted(set(global_params) - known_anywhere)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; the notebooks declare: "
            + ", ".join(sorted(known_anywhere))
        )
    resolved: dict[str, dict[str, Any]] = {}
    for key in per_notebook:
        if not any(stem == key or stem.startswith(key) for stem in declared):
            raise ParameterError(
                f"parameters given for notebook {key!r}, which is not among those run: "
                + ", ".join(declared)
            )
    for stem, decl in declared.items():
        chosen = {k: v for k, v in global_params.items() if k in decl}
        for key, values in per_notebook.items():
            if stem == key or stem.startswith(key):
                for k, v in values.items():
                    if k not in decl:
                        raise ParameterError(
                            f"unknown parameter {k!r} for notebook {stem!r}; it declares: "
                            + ", ".join(sorted(decl))
                        )
                    chosen[k] = v
        for k, v in list(chosen.items()):
            where = f"notebook {stem}"
            chosen[k] = _check_type(k, v, decl[k]["default"], where)
            _check_rules(k, chosen[k], decl[k]["help"], where)
        merged = {k: d["default"] for k, d in decl.items()} | chosen
        _check_period(merged, f"notebook {stem}")
        for k, d in decl.items():
            if k not in chosen:
                _check_rules(k, d["default"], d["help"], f"notebook {stem} default")
        resolved[stem] = chosen
    return resolved


def _coerce(text: str) -> Any:
    """Read a command-line value as YAML (so ``14`` is an int, ``[7, 14]`` a list)."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, (_dt.date, _dt.datetime)):
        return text.strip()  # dates stay ISO strings, as the notebooks declare them
    return value


def _dates_to_text(value: Any) -> Any:
    """YAML reads 2026-01-03 as a date; the notebooks take ISO strings."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    return value


def parse_cli_parameters(
    items: Sequence[str], params_file: str | os.PathLike[str] | None = None
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Parse ``-p name=value`` / ``-p notebook:name=value`` items and an optional YAML file.

    The YAML file holds ``name: value`` pairs for every notebook and, under a key that is a
    notebook stem (or its number prefix), a mapping for that notebook alone. Command-line items
    override the file.

    Raises
    ------
    ParameterError
        A malformed item, or a YAML file that is missing or not a mapping.
    """
    import yaml

    global_params: dict[str, Any] = {}
    per_nb: dict[str, dict[str, Any]] = {}
    if params_file:
        path = Path(params_file)
        if not path.is_file():
            raise ParameterError(f"--params-file {str(path)!r} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ParameterError(f"--params-file {str(path)!r} is not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ParameterError(f"--params-file {str(path)!r} must hold a mapping of name: value")
        loaded = _dates_to_text(loaded)
        for k, v in loaded.items():
            if isinstance(v, dict):
                per_nb.setdefault(str(k), {}).update(v)
            else:
                global_params[str(k)] = v
    for item in items:
        if "=" not in item:
            raise ParameterError(f"-p {item!r}: expected name=value or notebook:name=value")
        key, value = item.split("=", 1)
        if not key.strip():
            raise ParameterError(f"-p {item!r}: the name is empty")
        if ":" in key:
            nb, name = key.split(":", 1)
            per_nb.setdefault(nb.strip(), {})[name.strip()] = _coerce(value)
        else:
            global_params[key.strip()] = _coerce(value)
    return global_params, per_nb


# ---------------------------------------------------------------------------------------------
# Key numbers
# ---------------------------------------------------------------------------------------------


def show_key_numbers(numbers: Mapping[str, Any], digits: int = 3) -> None:
    """Print a notebook's headline numbers, rounded so a re-run prints the same text.

    Put the call in a cell tagged ``key-numbers`` with ``# NBVAL_CHECK_OUTPUT`` on its first line:
    nbval then checks these lines on every re-run, and the report index shows them.

    Parameters
    ----------
    numbers : mapping
        ``{label: value}``; floats are rounded to ``digits`` significant decimals.
    digits : int, default 3
        Decimal places for floats.
    """
    for label, value in numbers.items():
        if isinstance(value, float):
            value = round(value, digits)
            text = f"{value:.{digits}f}"
        else:
            text = str(value)
        print(f"{label}: {text}")


ANSWER_TAG = "answer"


def read_answer(nb: Any) -> str:
    """The HTML displayed by the cell tagged ``answer`` (empty if none): the report index leads
    with it."""
    parts = []
    for cell in nb.cells:
        if ANSWER_TAG in cell.get("metadata", {}).get("tags", []):
            for o in cell.get("outputs", []):
                data = o.get("data", {})
                if "text/html" in data:
                    parts.append("".join(data["text/html"]))
    return "\n".join(parts)


def read_key_numbers(nb: Any) -> dict[str, str]:
    """Read back the ``label: value`` lines printed by the cell tagged ``key-numbers``."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        if KEY_NUMBERS_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                for line in o.get("text", "").splitlines():
                    if ": " in line:
                        k, v = line.split(": ", 1)
                        out[k.strip()] = v.strip()
    return out


def store_key_outputs(executed: str | os.PathLike[str], source: str | os.PathLike[str]) -> bool:
    """Copy the key-numbers cell outputs of an executed notebook into its source notebook.

    nbval (``make nbtest``) compares a re-run's output of that cell with what the source notebook
    stores, so the stored lines are the reference numbers a reviewer's re-run must reproduce.
    Other cells of the source keep no outputs. Returns True if the source changed.

    Raises
    ------
    ValueError
        If the two notebooks' key-numbers cells do not correspond (different code).
    """
    import nbformat

    ex = nbformat.read(executed, as_version=4)
    src = nbformat.read(source, as_version=4)
    tagged_ex = [c for c in ex.cells if KEY_NUMBERS_TAG in c.metadata.get("tags", [])]
    tagged_src = [c for c in src.cells if KEY_NUMBERS_TAG in c.metadata.get("tags", [])]
    if len(tagged_ex) != len(tagged_src) or any(
        a.source != b.source for a, b in zip(tagged_ex, tagged_src, strict=True)
    ):
        raise ValueError(f"{source}: key-numbers cells differ from the executed notebook")
    changed = False
    for a, b in zip(tagged_ex, tagged_src, strict=True):
        outs = [o for o in a.outputs if o.get("output_type") == "stream"]
        if b.outputs != outs:
            b.outputs, changed = outs, True
        if b.execution_count != 1:
            b.execution_count, changed = 1, True
    if changed:
        _atomic_write(Path(source), nbformat.writes(src) + "\n")
    return changed


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _git_commit(root: Path) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for pkg in _PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _input_checksums(root: Path) -> dict[str, str]:
    files = sorted(
        p
        for sub in ("data/raw", "data/processed")
        for p in (root / sub).rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    return {str(p.relative_to(root)): _sha256(p) for p in files}


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


#: Kernel starts per notebook. Two kernels starting at once (``--jobs``) can draw the same free
#: TCP port (jupyter_client picks ports by binding and releasing them); the loser dies before it
#: answers ``kernel_info``, before any cell has run, and is started again.
_KERNEL_STARTS = 3


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
                pm.execute_notebook(
                    str(nb_path),
                    str(out_nb),
                    parameters=params,
                    kernel_name=kernel,
                    progress_bar=False,
                    cwd=str(nb_path.parent),
                    log_output=False,
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


#: Environment variable through which the runner tells a notebook where its attachments go.
ATTACH_ENV = "BARGAINING_CHIP_ATTACH_DIR"


def attach(table: Any, name: str) -> Path:
    """Write a table that belongs with a notebook's report (e.g. the pairs behind a number).

    Under the runner the file goes to the run's staging folder and is published to ``reports/``
    with the notebook's HTML only when the notebook succeeds (a failed run leaves the last good
    files in place). Run interactively, it is written to ``reports/`` directly.

    Parameters
    ----------
    table : pandas.DataFrame
        The table (written as UTF-8 CSV, dates as ISO).
    name : str
        File name without extension: letters, digits, ``_`` and ``-`` only.

    Returns
    -------
    pathlib.Path
        Where the file was written.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", str(name)):
        raise ValueError(f"name = {name!r}; allowed: letters, digits, '_' and '-'")
    folder = Path(os.environ.get(ATTACH_ENV) or project_root() / "reports")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    _atomic_write(path, table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d"))
    return path


#: Mode of every file the runner writes: readable by everyone, writable by the owner.
REPORT_FILE_MODE = 0o644


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, REPORT_FILE_MODE)  # mkstemp creates 0600; a report is for every reader
    os.replace(tmp, path)


def default_jobs() -> int:
    """Notebooks run at once by default: ``min(2, number of CPUs)``."""
    return max(1, min(2, os.cpu_count() or 1))


def _check_jobs(jobs: Any) -> int:
    if jobs is None:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs = {jobs!r}; allowed: a whole number >= 1")
    return jobs


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


def _publish(path: Path, dest: Path) -> None:
    os.chmod(path, REPORT_FILE_MODE)
    os.replace(path, dest)


def _file_outcome(
    outcome: _Outcome, out_dir: Path, previous: Mapping[str, Any]
) -> tuple[NotebookRun, dict[str, Any]]:
    """Move a notebook's outputs into ``reports/`` (or ``reports/failed/``); its manifest entry."""
    run, nb_out, html_out = outcome
    if run.status == "ok" and nb_out and html_out:
        _publish(nb_out, out_dir / nb_out.name)
        _publish(html_out, out_dir / html_out.name)
        for extra in sorted(nb_out.with_suffix(".attachments").glob("*.csv")):
            _publish(extra, out_dir / extra.name)
        stale = out_dir / "failed" / nb_out.name
        if stale.exists():
            stale.unlink()
        return run, asdict(run)
    failed_dir = out_dir / "failed"
    failed_dir.mkdir(exist_ok=True)
    failed_path = ""
    if nb_out:
        failed_path = str((failed_dir / nb_out.name).relative_to(out_dir))
        _publish(nb_out, failed_dir / nb_out.name)
    run = NotebookRun(**{**asdict(run), "failed_path": failed_path})
    entry = dict(previous.get(run.name, {}))
    entry["last_failure"] = asdict(run)
    if "status" not in entry:
        entry.update({"name": run.name, "title": run.title, "status": "failed"})
    return run, entry


def _previous_entries(manifest_path: Path) -> dict[str, Any]:
    if not manifest_path.exists():
        return {}
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return dict(previous.get("notebooks", {}))


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
    manifest = {
        "project": "bargaining-chip",
        "generated": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git": _git_commit(root),
        "versions": _versions(),
        "kernel": kernel,
        "jobs": jobs,
        "wall_s": round(time.perf_counter() - t0, 2),
        "inputs_sha256": _input_checksums(root),
        "last_run": [r.name for r in runs],
        "notebooks": dict(sorted(notebooks_entry.items())),
    }
    _atomic_write(manifest_path, json.dumps(manifest, indent=2, sort_keys=False, default=str))
    _atomic_write(out_dir / "index.html", build_index(manifest, out_dir))
    return RunResult(tuple(runs), out_dir, manifest_path, wall_s=manifest["wall_s"], jobs=jobs)


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------

_INDEX_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; }
.failed { color: #a00; }
.small { font-size: 85%; color: #555; }
.answer { background: #f7f9fc; border-left: 4px solid #36c; padding: .5rem 1rem; }
"""


def build_index(manifest: Mapping[str, Any], reports_dir: Path) -> str:
    """Render ``index.html`` from a manifest: the answer (if a notebook wrote one), then every
    report with its key numbers, status and provenance.

    A notebook shows the answer by displaying HTML in a cell tagged ``answer`` (see
    :func:`read_answer`); the index leads with it, from that notebook's last good run.
    """
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>bargaining-chip reports</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        "<h1>bargaining-chip: are political-prisoner releases timed to diplomacy and "
        "sanctions?</h1>",
    ]
    answers = [
        e["answer_html"] for e in manifest.get("notebooks", {}).values() if e.get("answer_html")
    ]
    if answers:
        parts.append("<h2>The answer</h2>")
        parts.extend(f"<div class='answer'>{a}</div>" for a in answers)
    parts.append(
        "<h2>Reports</h2><table><tr><th>report</th><th>key numbers</th>"
        "<th>status</th><th>seconds</th></tr>"
    )
    for name, entry in manifest.get("notebooks", {}).items():
        title = esc(entry.get("title") or name)
        link = f"<a href='{esc(name)}.html'>{title}</a>" if entry.get("status") == "ok" else title
        nums = "<br>".join(
            f"{esc(k)}: <b>{esc(str(v))}</b>" for k, v in entry.get("key_numbers", {}).items()
        )
        status = esc(entry.get("status", "?"))
        if "last_failure" in entry:
            lf = entry["last_failure"]
            status += (
                f"<div class='failed'>last run failed {esc(lf.get('finished', ''))} at cell "
                f"{esc(str(lf.get('failed_cell')))}: {esc(lf.get('error', ''))[:200]} "
                f"(<a href='{esc(lf.get('failed_path', ''))}'>failed notebook</a>)</div>"
            )
        params = esc(json.dumps(entry.get("parameters", {}), default=str))
        parts.append(
            f"<tr><td>{link}<div class='small'>{esc(name)}.ipynb · parameters {params}</div></td>"
            f"<td>{nums}</td><td>{status}</td><td>{entry.get('duration_s', '')}</td></tr>"
        )
    parts.append("</table>")
    git = manifest.get("git", {})
    parts.append(
        f"<p class='small'>Generated {esc(str(manifest.get('generated', '')))} from commit "
        f"{esc(str(git.get('commit', '?')))}{' (uncommitted changes)' if git.get('dirty') else ''}"
        ". Inputs, package versions and run times: <a href='manifest.json'>manifest.json</a>. "
        "Associations in time are not evidence of intent.</p></body></html>"
    )
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


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
