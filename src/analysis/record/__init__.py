"""The record: curated tables, their schemas and validation, processed data, exports.

- :mod:`analysis.record.schemas` -- one table spec per curated table (columns, rules).
- :mod:`analysis.record.data` -- read ``data/raw/<country>``, validate, write ``data/processed``
  (``python -m analysis.record.data build``).
- :mod:`analysis.record.overview` -- descriptive views, release days, event selection.
- :mod:`analysis.record.agreement` -- inter-coder agreement of a blind second coding.
- :mod:`analysis.record.userdata` -- a researcher's own rows merged with the curated record.
- :mod:`analysis.record.panels`, :mod:`analysis.record.export` -- daily and weekly panels; Stata,
  Parquet and CSV exports with a codebook (``python -m analysis.record.export``).
- :mod:`analysis.record.dictionary` -- what every table and column means (from data/README.md).
- :mod:`analysis.record.database` -- the record as one SQLite database with Datasette metadata
  (``make db``, ``make serve``).
- :mod:`analysis.record.release` -- versioned data releases with a changelog (``make release``).
"""
