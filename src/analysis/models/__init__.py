"""Parametric models of the release series.

- :mod:`analysis.models.counts` -- weekly count GLMs, cross-correlation, Granger tests.
- :mod:`analysis.models.conditional` -- conditional Poisson (case-crossover) lag profiles.
- :mod:`analysis.models.changepoints` -- breaks in the prisoner-count series.
"""
