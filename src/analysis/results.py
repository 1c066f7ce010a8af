"""The base of the text-summary result objects (as ``scipy.stats`` keeps its result classes apart).

A result class inherits :class:`TextResult` and implements ``summary()``; ``str(result)`` is the
summary and a notebook shows it as preformatted HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

__all__ = ["NotRun", "TextResult", "attempt"]


class TextResult:
    """Mixin: ``__str__`` is ``summary()``; notebooks show the summary as preformatted HTML."""

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"


class NotRun(TextResult):
    """A result that could not be computed on this record, with the reason (falsy).

    Notebooks run on every country's record; where a record is too thin for a test (no event of
    a class, too few intervals), the cell shows this instead of failing, and ``if result:``
    skips the figure.
    """

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason

    def summary(self) -> str:
        """One line: what was not run and why."""
        return f"{self.what}: not run on this record -- {self.reason}"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"NotRun({self.what!r}, {self.reason!r})"


def attempt(what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, or :class:`NotRun` with the reason when it raises ValueError.

    Only :class:`ValueError` -- the library's "this input cannot support the test" -- is caught;
    any other error is a bug and propagates.
    """
    try:
        return func(*args, **kwargs)
    except ValueError as exc:
        return NotRun(what, str(exc))
