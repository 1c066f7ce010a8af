"""What each test of a plan could have detected, at the level its decision rule acts on.

A family's decision rule does not test every hypothesis at 0.05: Holm tests the smallest p-value
first, at ``alpha / m`` for a family of ``m``, and no row can be rejected unless it clears that
first step or a later one at ``alpha / (m - k + 1)``. Before the outcome is known, the level at
which the rule *first* tests a row is ``alpha / m``. So each row carries

- ``mde_rule``: its minimum detectable effect (80 % power) at the rule's first level,
- ``mde_05``: its MDE at 0.05 (what a single test would see),
- ``power_observed``: the exact power, at the rule's first level, against a planted effect as
  large as the observed ratio.

The MDE and power are exact (:mod:`analysis.timing.exact`): no seed, no simulation.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from analysis.inference.plan import PlanVersion, get_plan
from analysis.record.overview import release_days, select_events
from analysis.timing.sensitivity import SensitivityResult, sensitivity

__all__ = ["RULES", "PlanSensitivity", "plan_sensitivity", "rule_level"]

#: Family-wise rules whose first level :func:`rule_level` knows.
RULES: tuple[str, ...] = ("holm", "bonferroni", "none")


def rule_level(alpha: float, m: int, rule: str = "holm") -> float:
    """The level at which a family-wise rule first tests a row of a family of ``m``.

    Holm and Bonferroni: ``alpha / m`` (Holm's first step); ``"none"``: ``alpha``.

    Raises
    ------
    ValueError
        For an unknown rule, ``m < 1`` or ``alpha`` outside (0, 1).
    """
    if rule not in RULES:
        raise ValueError(f"rule = {rule!r}; allowed: {', '.join(RULES)}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha = {alpha!r} must be between 0 and 1")
    if int(m) < 1:
        raise ValueError(f"m = {m!r} must be >= 1 (the number of hypotheses in the family)")
    return alpha if rule == "none" else alpha / int(m)


@dataclass(frozen=True, eq=False)
class PlanSensitivity:
    """Result of :func:`plan_sensitivity`: one :class:`SensitivityResult` per coincidence test.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per hypothesis: settings, ``n_releases``, ``n_informative``, ``max_ratio``,
        ``rule_alpha``, ``mde_rule`` (MDE at the rule's first level), ``mde_05`` (MDE at 0.05),
        ``mde_ratio`` (= ``mde_05``, kept for existing readers), ``mde_fraction``.
    results : dict
        Hypothesis id -> :class:`SensitivityResult`.
    plan : str
        Plan version.
    """

    table: pd.DataFrame
    results: dict[str, SensitivityResult] = field(repr=False)
    plan: str = ""

    def summary(self) -> str:
        """Short plain-text table."""
        return f"Sensitivity of plan {self.plan}\n" + self.table.to_string(index=False)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>Sensitivity of plan {html.escape(self.plan)}</b></p>" + self.table.to_html(
            index=False, float_format=lambda x: f"{x:.3f}"
        )


def plan_sensitivity(
    frames: dict[str, pd.DataFrame],
    plan: str | PlanVersion = "v2",
    *,
    rule: str = "holm",
    n_sim: int = 2000,
    seed: int | None = None,
) -> PlanSensitivity:
    """:func:`analysis.timing.sensitivity.sensitivity` of every coincidence test of a plan.

    Parameters
    ----------
    frames : dict of DataFrame
        From :func:`analysis.record.data.load_processed`.
    plan : str or PlanVersion
        Plan version (see :mod:`analysis.inference.plan`).
    rule : {"holm", "bonferroni", "none"}
        The family's decision rule; sets the first level (:func:`rule_level`) over the plan's
        whole family (every hypothesis, coincidence or not).
    n_sim, seed
        Kept for callers of the Monte Carlo version; the exact method uses neither.
    """
    pl = plan if isinstance(plan, PlanVersion) else get_plan(plan)
    days = release_days(frames["releases"], pl.start, pl.end)
    level = rule_level(pl.alpha, len(pl.tests), rule)
    results, rows = {}, []
    for t in pl.tests:
        if t.kind != "coincidence":
            continue
        st = t.settings
        ev = select_events(frames["events"], list(t.classes), pl.start, pl.end)
        if not len(ev) or not len(days):
            continue  # nothing to detect against: the test is not run on this record
        res = sensitivity(days["date"], ev["date"], st["window"], direction=st["direction"],
                          jitter_days=st["jitter_days"], cluster_gap=st["cluster_gap"],
                          start=pl.start, end=pl.end, alpha=0.05, rule_alpha=level,
                          n_sim=n_sim, seed=seed)  # fmt: skip
        results[t.id] = res
        rows.append(dict(id=t.id, window=st["window"], direction=st["direction"],
                         jitter_days=st["jitter_days"], n_events=len(ev),
                         n_releases=res.n_releases, n_informative=res.n_informative,
                         max_ratio=res.max_ratio, rule_alpha=level, mde_rule=res.mde_ratio_rule,
                         mde_05=res.mde_ratio, mde_ratio=res.mde_ratio,
                         mde_fraction=res.mde_fraction))  # fmt: skip
    return PlanSensitivity(table=pd.DataFrame(rows), results=results, plan=pl.version)
