"""bargaining-chip: are political-prisoner releases timed to diplomacy and sanctions?

Import name ``analysis``; one front door for the reader, as ``statsmodels.api`` or ``scipy.stats``::

    import analysis as bc
    frames = bc.load_processed(country="venezuela")
    res = bc.coincidence_test(bc.release_days(frames["releases"])["date"], events["date"],
                              **bc.PLANS["v2"].test("H1").settings)
    res.summary(); bc.plot_null(res)

The names below are loaded on first use (importing ``analysis`` stays fast). The modules behind
them are grouped by the stage they serve:

- :mod:`analysis.record` -- curated tables, schemas, validation, processed data, exports;
- :mod:`analysis.timing` -- coincidence tests, nulls, sensitivity, event studies, dyadic tests;
- :mod:`analysis.models` -- count GLMs, conditional Poisson lag profiles, change points;
- :mod:`analysis.inference` -- the plan, the primary family, controls, calibration, robustness,
  multiple testing, the comparison of countries, the grid backend;
- :mod:`analysis.figures` -- every figure;
- :mod:`analysis.reports` -- the papermill runner (``python -m analysis.reports``);
- :mod:`analysis.settings` -- project locations and the table of country settings.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["COUNTRIES", "country_settings", "project_root"], "analysis.settings"),
    **dict.fromkeys(
        [
            "load_processed",
            "load_raw",
            "event_calendar",
            "ngo_flows",
            "build",
            "DataValidationError",
        ],
        "analysis.record.data",
    ),
    **dict.fromkeys(
        ["release_days", "select_events", "prisoner_series", "data_overview"],
        "analysis.record.overview",
    ),
    **dict.fromkeys(["intercoder_agreement", "read_second_coding"], "analysis.record.agreement"),
    "load_with_user": "analysis.record.userdata",
    "build_database": "analysis.record.database",
    "build_release": "analysis.record.release",
    **dict.fromkeys(["coincidence_test", "coincidence_rates"], "analysis.timing.coincidence"),
    "sensitivity": "analysis.timing.sensitivity",
    "plan_sensitivity": "analysis.inference.reach",
    "event_study": "analysis.timing.eventstudy",
    "revolving_door": "analysis.timing.revolving",
    "coincidence_pairs": "analysis.timing.pairs",
    **dict.fromkeys(["dyadic_test", "foreign_releases"], "analysis.timing.dyadic"),
    **dict.fromkeys(["dyadic_family", "stratified_timing"], "analysis.inference.dyadic"),
    **dict.fromkeys(
        ["count_model", "build_weekly_panel", "cross_correlation", "granger"],
        "analysis.models.counts",
    ),
    "lag_profile": "analysis.models.conditional",
    "detect_changepoints": "analysis.models.changepoints",
    **dict.fromkeys(["PLANS", "get_plan"], "analysis.inference.plan"),
    **dict.fromkeys(["primary_tests", "answer_html"], "analysis.inference.summary"),
    "run_controls": "analysis.inference.controls",
    "compare_countries": "analysis.inference.comparative",
    **dict.fromkeys(
        [
            "calibrate_plan",
            "load_calibration",
            "V3_BINS",
            "bin_settings",
            "choose_bins",
            "load_bin_choice",
        ],
        "analysis.inference.calibration",
    ),
    **dict.fromkeys(
        ["exact_mde", "planted_power", "sum_distribution", "jitter_table"], "analysis.timing.exact"
    ),
    **dict.fromkeys(["interval_releases", "interval_events"], "analysis.timing.intervals"),
    **dict.fromkeys(["change_point_bins", "change_points"], "analysis.timing.nulls"),
    "rule_level": "analysis.inference.reach",
    "date_uncertainty": "analysis.inference.robustness",
    **dict.fromkeys(["simulate", "calibrate"], "analysis.inference.simulate"),
    **dict.fromkeys(["specification_curve", "leave_one_out"], "analysis.inference.robustness"),
    "adjust": "analysis.inference.multitest",
    "westfall_young": "analysis.inference.familywise",
    "run_grid": "analysis.inference.grid",
    **dict.fromkeys(
        [
            "show",
            "plot_timeline",
            "plot_coverage",
            "plot_calibration",
            "plot_plan_calibration",
            "plot_specification_curve",
        ],
        "analysis.figures.plots",
    ),
    **dict.fromkeys(
        ["plot_null", "plot_controls", "plot_power_curves", "plot_forest", "plot_event_studies"],
        "analysis.figures.coincidence",
    ),
    **dict.fromkeys(
        ["plot_event_study", "plot_irr", "plot_lag_profile"], "analysis.figures.models"
    ),
    "plot_dyadic_timeline": "analysis.figures.dyadic",
    "interactive_timeline": "analysis.figures.timeline",
    **dict.fromkeys(["run_reports", "show_key_numbers"], "analysis.reports"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
