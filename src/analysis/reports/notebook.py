"""What a notebook calls while it runs under the runner, and how the runner reads it back.

A notebook prints its headline numbers with :func:`show_key_numbers` (cell tagged
``key-numbers``), may display its answer as HTML (cell tagged ``answer``) and may write tables that
belong with its report with :func:`attach`. The runner reads the first two back from the executed
notebook (:func:`read_key_numbers`, :func:`read_answer`) for the index, and
:func:`store_key_outputs` stores the key numbers in the source notebook as nbval's reference.

These names are the notebooks' side of the runner; they are kept apart from execution so that a
notebook imports them without loading papermill.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.reports.provenance import _atomic_write
from analysis.settings import project_root

__all__ = [
    "ANSWER_TAG",
    "ATTACH_ENV",
    "KEY_NUMBERS_TAG",
    "attach",
    "read_answer",
    "read_key_numbers",
    "show_key_numbers",
    "store_key_outputs",
]

KEY_NUMBERS_TAG = "key-numbers"


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
