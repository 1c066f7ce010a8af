"""The papermill report runner (``python -m analysis.reports``); see :mod:`analysis.reports.runner`.

The runner's public names are importable from here, as before the package was split.
"""

from analysis.reports import runner
from analysis.reports.runner import *  # noqa: F403 - the runner's public names, listed below

__all__ = list(runner.__all__)
