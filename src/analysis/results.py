"""The base of the text-summary result objects (as ``scipy.stats`` keeps its result classes apart).

A result class inherits :class:`TextResult` and implements ``summary()``; ``str(result)`` is the
summary and a notebook shows it as preformatted HTML.
"""

from __future__ import annotations

import html

__all__ = ["TextResult"]


class TextResult:
    """Mixin: ``__str__`` is ``summary()``; notebooks show the summary as preformatted HTML."""

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"
