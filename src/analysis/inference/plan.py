"""The pre-registered analysis plans, one frozen object per dated version.

``docs/analysis_plan.md`` is the text; this module is the code the notebooks run. A changed plan
is a new version with its date and reasons; the old versions stay here and are still run and
reported beside the current one. Every hypothesis names its test settings explicitly, so a
reviewer can re-run it by hand::

    spec = PLANS["v2"].test("H1")
    coincidence_test(release_days, events, **spec.settings)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CURRENT_PLAN", "PLANS", "Hypothesis", "PlanVersion", "get_plan"]


@dataclass(frozen=True)
class Hypothesis:
    """One pre-registered hypothesis and the exact settings of its test.

    Attributes
    ----------
    id, label : str
        ``H1`` ... and the hypothesis in words.
    kind : {"coincidence", "revolving", "dyadic", "exchange_timing"}
        :func:`analysis.timing.coincidence.coincidence_test`,
        :func:`analysis.timing.revolving.revolving_door`
        or :func:`analysis.timing.dyadic.dyadic_test`; ``exchange_timing`` is plan v3's E2
        (:func:`analysis.inference.evidence.e2_test`).
    classes : tuple of str
        Event classes (see :data:`analysis.record.data.EVENT_CLASSES`).
    settings : dict
        Keyword arguments of the test function (window, direction, null, jitter_days,
        cluster_gap for coincidence tests; window, max_gap, null, jitter_days for the revolving
        door).
    """

    id: str
    label: str
    kind: str
    classes: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Flat dictionary (id, label, kind, classes and every setting)."""
        return {"id": self.id, "label": self.label, "kind": self.kind,
                "classes": self.classes, **self.settings}  # fmt: skip


@dataclass(frozen=True)
class PlanVersion:
    """A dated version of the analysis plan.

    Attributes
    ----------
    version, date : str
        ``"v1"``, ``"v2"`` ... and the ISO date it was fixed.
    start, end : str
        Primary sample (ISO dates).
    tests : tuple of Hypothesis
        The primary family, adjusted together (Holm).
    alpha : float
        Family-wise level.
    note : str
        One line on what the version changed and why (the reasons are in the plan text).
    """

    version: str
    date: str
    start: str
    end: str
    tests: tuple[Hypothesis, ...]
    alpha: float = 0.05
    note: str = ""

    def test(self, hid: str) -> Hypothesis:
        """The hypothesis with id ``hid``."""
        for t in self.tests:
            if t.id == hid:
                return t
        raise ValueError(f"hypothesis {hid!r} is not in plan {self.version}; "
                         f"allowed: {', '.join(t.id for t in self.tests)}")  # fmt: skip


_TALKS = ("negotiation", "envoy_visit", "agreement")

_V1 = PlanVersion(
    version="v1",
    date="2026-11-24",
    start="2014-01-01",
    end="2026-03-31",
    note="first plan: +-14-day windows in 30-day jitter bins; circular-shift null for H4",
    tests=(
        Hypothesis("H1", "Releases cluster around talks (negotiation rounds, envoy visits, "
                   "agreements)", "coincidence", _TALKS,
                   dict(window=14, direction="around", null="jitter", jitter_days=30,
                        cluster_gap=3)),
        Hypothesis("H2", "Releases cluster around sanctions relief (payment on delivery)",
                   "coincidence", ("sanctions_relief",),
                   dict(window=14, direction="around", null="jitter", jitter_days=30,
                        cluster_gap=3)),
        Hypothesis("H3", "Releases come shortly before negotiation rounds (a gesture)",
                   "coincidence", ("negotiation",),
                   dict(window=14, direction="after", null="jitter", jitter_days=30,
                        cluster_gap=3)),
        Hypothesis("H4", "The prisoner stock rises before negotiation rounds (revolving door)",
                   "revolving", ("negotiation",),
                   dict(window=30, max_gap=60, null="circular_shift")),
    ),
)  # fmt: skip

#: Plan version 2 settings (docs/analysis_plan.md, version 2): a 7-day window matched to the lag
#: distribution of the source-linked release-event pairs, bins chosen by calibration on
#: record-shaped series, releases after the event for talks and relief.
V2_WINDOW = 7
V2_JITTER_DAYS = 60

_V2 = PlanVersion(
    version="v2",
    date="2026-11-30",
    start="2014-01-01",
    end="2026-01-02",
    note=("windows from the lag distribution of source-linked pairs (releases 0-7 days after the "
          "event), 60-day jitter bins from calibration, sample ends before the 3 January 2026 "
          "capture, H4 null that holds under shared surges"),
    tests=(
        Hypothesis("H1", "Releases follow talks within a week (negotiation rounds, envoy "
                   "visits, agreements)", "coincidence", _TALKS,
                   dict(window=V2_WINDOW, direction="before", null="jitter",
                        jitter_days=V2_JITTER_DAYS, cluster_gap=3)),
        Hypothesis("H2", "Releases follow sanctions relief within a week (payment on delivery)",
                   "coincidence", ("sanctions_relief",),
                   dict(window=V2_WINDOW, direction="before", null="jitter",
                        jitter_days=V2_JITTER_DAYS, cluster_gap=3)),
        Hypothesis("H3", "Releases come in the week before negotiation rounds (a gesture)",
                   "coincidence", ("negotiation",),
                   dict(window=V2_WINDOW, direction="after", null="jitter",
                        jitter_days=V2_JITTER_DAYS, cluster_gap=3)),
        Hypothesis("H4", "The prisoner stock rises before negotiation rounds (revolving door)",
                   "revolving", ("negotiation",),
                   dict(window=30, max_gap=60, null="jitter", jitter_days=90)),
    ),
)  # fmt: skip

#: The post-capture study (3 January - 31 March 2026), pre-registered in plan version 2 as its
#: own family: the event classes that the 2026 releases' own sources point to.
POST_CAPTURE = PlanVersion(
    version="v2-post-capture",
    date="2026-11-30",
    start="2026-01-03",
    end="2026-03-31",
    note="a different game (about 16x the earlier release rate); its own family",
    tests=(
        Hypothesis("P1", "Releases follow official statements within 3 days", "coincidence",
                   ("statement",),
                   dict(window=3, direction="before", null="jitter", jitter_days=14,
                        cluster_gap=0)),
        Hypothesis("P2", "Releases follow US military or sanctions actions within 3 days",
                   "coincidence", ("military_action", "sanctions_relief",
                                   "sanctions_tightening"),
                   dict(window=3, direction="before", null="jitter", jitter_days=14,
                        cluster_gap=0)),
        Hypothesis("P3", "Releases follow talks and envoy visits within 3 days", "coincidence",
                   _TALKS,
                   dict(window=3, direction="before", null="jitter", jitter_days=14,
                        cluster_gap=0)),
    ),
)  # fmt: skip

_OWN = ("negotiation", "envoy_visit", "agreement", "sanctions_relief")

#: Chips by value (issue #12), added 2026-11-30 as its own family: are foreign nationals released
#: near contacts of THEIR OWN government? Settings carried over from plan v2's H1 (a release
#: within 7 days after the event, 60-day bins), not chosen on these data.
DYADIC = PlanVersion(
    version="v2-dyadic",
    date="2026-11-30",
    start="2014-01-01",
    end="2026-01-02",
    note="foreign nationals matched to their own government's talks, visits and relief",
    tests=(
        Hypothesis("D1", "Foreign nationals are released after their OWN government's contacts "
                   "rather than other governments' (own channel vs any channel)", "dyadic", _OWN,
                   dict(window=V2_WINDOW, direction="before", null="labels", cluster_gap=3)),
        Hypothesis("D2", "Foreign nationals are released within a week after their own "
                   "government's contacts, more than anywhere in their 60-day bin", "dyadic",
                   _OWN, dict(window=V2_WINDOW, direction="before", null="jitter",
                              jitter_days=V2_JITTER_DAYS, cluster_gap=3)),
    ),
)  # fmt: skip

#: Plan version 3's bins (docs/analysis_plan.md, version 3): the surge-robust null chosen by the
#: outcome-free calibration of issue #16 (size <= 0.05 under the clustered, shared-surge,
#: strong-surge and late-surge scenarios, then power; docs/methods_coincidence.md): release
#: clusters jittered within bins split where the test's own event calendar changes rate (segments of
#: at least 30 days), each segment cut into pieces of at most 60 days. A name of
#: :data:`analysis.inference.calibration.BIN_CANDIDATES`.
V3_BIN_RULE = "change-point bins, at most 60 d"
#: E2's event classes (plan v3 and the registered v3-confirm): talks, visits, agreements, relief.
E2_CLASSES = ("negotiation", "envoy_visit", "agreement", "sanctions_relief")
_E2_SETTINGS: dict[str, Any] = dict(window=7, direction="before", null="jitter", cluster_gap=3,
                                    bin_rule=V3_BIN_RULE)  # fmt: skip

#: Plan version 3 (2026-12-02): documented exchanges (E1, descriptive) apart from timing beyond
#: them (E2, the confirmatory family), one serial-gatekeeping rule over the four countries.
_V3 = PlanVersion(
    version="v3",
    date="2026-12-02",
    start="2014-01-01",
    end="2025-12-31",
    note=("E2: releases not in a documented exchange (short detentions out) after non-exchange "
          "events found by event search, within 7 days; change-point bins of at most 60 days; "
          "serial gatekeeping: Venezuela, then the benchmarks by Holm"),
    tests=(
        Hypothesis("E2", "Releases that are not part of a documented exchange follow "
                   "non-exchange talks, visits, agreements or relief within a week",
                   "exchange_timing", E2_CLASSES,
                   dict(_E2_SETTINGS, stages=[["venezuela"], ["belarus", "cuba", "nicaragua"]])),
    ),
)  # fmt: skip

#: Plan v3-confirm, registered in issue #18 (copied as written into docs/analysis_plan.md): the
#: same E2 on Iran, Azerbaijan and Egypt, pooled; one test is the whole confirmatory family.
V3_CONFIRM = PlanVersion(
    version="v3-confirm",
    date="2026-12-02",
    start="2014-01-01",
    end="2025-12-31",
    note=("registered in issue #18: total hits over the countries in the test, exact p by "
          "convolution, confirmed if p < 0.05; countries with < 20 day-dated releases left out"),
    tests=(
        Hypothesis("C1", "Out of sample: releases not part of a documented exchange "
                   "follow non-exchange talks, visits, agreements or relief (incl. aid) within "
                   "a week, pooled over Iran, Azerbaijan and Egypt", "exchange_timing",
                   E2_CLASSES, dict(_E2_SETTINGS, min_release_episodes=20)),
    ),
)  # fmt: skip

PLANS: dict[str, PlanVersion] = {
    "v1": _V1,
    "v2": _V2,
    "v2-post-capture": POST_CAPTURE,
    "v2-dyadic": DYADIC,
    "v3": _V3,
    "v3-confirm": V3_CONFIRM,
}
CURRENT_PLAN = "v3"


def get_plan(version: str = CURRENT_PLAN) -> PlanVersion:
    """A plan version by name.

    Raises
    ------
    ValueError
        For an unknown version, naming the allowed ones.
    """
    if version not in PLANS:
        raise ValueError(f"plan = {version!r} is not known; allowed: {', '.join(PLANS)}")
    return PLANS[version]
