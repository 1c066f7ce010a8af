"""bargaining-chip: is Venezuela's release of political prisoners timed to diplomacy and sanctions?

Import name ``analysis``. Modules, one concern each:

- :mod:`analysis.data` -- read ``data/raw``, validate, write ``data/processed``.
- :mod:`analysis.reports` -- the papermill report runner (``python -m analysis.reports``).
"""

__version__ = "0.1.0"
