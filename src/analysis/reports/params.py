"""Report parameters and their validation, checked before any kernel starts.

Parameters come from ``-p name=value`` (every notebook that declares ``name``),
``-p notebook:name=value`` (one notebook) or a YAML file (``--params-file``). Each notebook's
``parameters`` cell is the contract: a name it declares, the type of its default, the values
announced in its comment as ``# one of: a, b``, positive windows and counts, and periods that end
on or after their start. Also here: which notebooks run (:func:`discover_notebooks`) and how many
at once (:func:`default_jobs`).
"""

from __future__ import annotations

import ast
import datetime as _dt
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ParameterError",
    "default_jobs",
    "discover_notebooks",
    "parse_cli_parameters",
    "validate_parameters",
]


class ParameterError(ValueError):
    """A report parameter is unknown, of the wrong type or outside its allowed values."""


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


def default_jobs() -> int:
    """Notebooks run at once by default: ``min(2, number of CPUs)``."""
    return max(1, min(2, os.cpu_count() or 1))


def _check_jobs(jobs: Any) -> int:
    if jobs is None:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs = {jobs!r}; allowed: a whole number >= 1")
    return jobs
