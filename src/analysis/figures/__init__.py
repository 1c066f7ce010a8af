"""Every figure. Functions draw what a result object holds and never recompute a statistic.

- :mod:`analysis.figures.plots` -- the record, calibration, specification curve, revolving door.
- :mod:`analysis.figures.coincidence` -- null distributions, controls, power curves, forest plots.
- :mod:`analysis.figures.models` -- event studies, incidence-rate ratios, lag profiles.
- :mod:`analysis.figures.dyadic` -- foreign-national releases against their governments' events.
- :mod:`analysis.figures.timeline` -- the interactive (offline) timeline.
"""
