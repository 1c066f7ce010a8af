"""The plan, its tests and what they can see.

- :mod:`analysis.inference.plan` -- the dated plan versions and their hypotheses.
- :mod:`analysis.inference.summary` -- the primary family, the decision rule, the answer.
- :mod:`analysis.inference.controls` -- positive and negative controls.
- :mod:`analysis.inference.comparative` -- the same tests on several countries.
- :mod:`analysis.inference.simulate`, :mod:`analysis.inference.calibration` -- synthetic series,
  size and power of every test at its own settings (``python -m analysis.inference.calibration``).
- :mod:`analysis.inference.robustness` -- specification curve, leave-one-out.
- :mod:`analysis.inference.multitest`, :mod:`analysis.inference.familywise` -- Holm/BH and
  Westfall-Young adjustment.
- :mod:`analysis.inference.grid` -- heavy grids in local processes or on a Dask cluster.
"""
