"""The same pre-registered tests on several countries, side by side.

One country cannot tell "no bargaining" from "a test that cannot see bargaining". Belarus, Cuba
and Nicaragua released political prisoners in exchanges that officials on both sides described
openly; running the plan's family on their records, with the same settings, shows what the tests
find where a bargain is known to have happened -- the benchmark for reading Venezuela's result.

Each country is one task of :func:`analysis.inference.grid.run_grid` (local processes by default, a
Dask
cluster when given a scheduler address); the seed of each country is derived from the master seed
and its position, so the numbers do not depend on the backend or the number of workers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.inference.controls import positive_control
from analysis.inference.grid import run_grid
from analysis.inference.plan import get_plan
from analysis.inference.summary import primary_tests
from analysis.record.overview import release_days, select_events
from analysis.settings import COUNTRIES, country_settings
from analysis.timing.eventstudy import event_study

__all__ = ["ComparisonResult", "comparative_answer_html", "compare_countries"]

_TALKS = ("negotiation", "envoy_visit", "agreement")


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """Result of :func:`compare_countries`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per country and hypothesis: ``country``, ``label``, ``open_bargains``, the
        primary-test columns of :func:`analysis.inference.summary.primary_tests` (effect, interval,
        p-value, Holm p within the country, MDE, ``supported``, ``note``).
    controls : pandas.DataFrame
        One row per country: the source-linked positive control under the plan's H1 settings
        (``n_events``, ``ratio``, ``ratio_lo``, ``ratio_hi``, ``pvalue``).
    studies : dict
        Country -> :class:`analysis.timing.eventstudy.EventStudyResult` around talks (or None when
        the
        record has no talks event).
    settings : dict
        Plan, countries, surrogates, seed, backend arguments.
    """

    table: pd.DataFrame
    controls: pd.DataFrame
    studies: dict[str, Any] = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Short plain-text table."""
        cols = ["country", "id", "n_releases", "n_events", "effect", "effect_lo", "effect_hi",
                "pvalue", "p_holm", "mde", "supported"]  # fmt: skip
        return (f"Plan {self.settings['plan']} by country\n"
                + self.table[cols].round(3).to_string(index=False)
                + "\n\nSource-linked positive control\n"
                + self.controls.round(4).to_string(index=False))  # fmt: skip

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return comparative_answer_html(self)


def _linked_control(frames: dict, plan: str, n_surrogates: int, seed: int) -> dict[str, Any]:
    row = positive_control(frames, plan=plan, n_surrogates=n_surrogates, seed=seed)
    return {k: row[k] for k in ("n_releases", "n_events", "ratio", "ratio_lo", "ratio_hi",
                                "pvalue")}  # fmt: skip


def _talks_study(frames: dict, plan: str, seed: int) -> Any:
    pl = get_plan(plan)
    days = release_days(frames["releases"], pl.start, pl.end)
    ev = select_events(frames["events"], list(_TALKS), pl.start, pl.end)
    if not len(ev) or not len(days):
        return None
    try:
        return event_study(days["date"], ev["date"], start=pl.start, end=pl.end, half_width=60,
                           n_surrogates=500, seed=seed, jitter_days=60, smooth=7)  # fmt: skip
    except ValueError:  # every event too near the period's ends for the window
        return None


def _one_country(task: dict[str, Any], ss: np.random.SeedSequence) -> dict[str, Any]:
    """One grid task: the plan's family, the positive control and an event study."""
    from analysis.record.data import load_processed

    s1, s2, s3 = (int(x) for x in ss.generate_state(3))
    frames = load_processed(task["root"], country=task["country"])
    if task.get("include_user"):
        from analysis.record.userdata import load_with_user

        frames = load_with_user(frames, country=task["country"], root=task["root"])
    prim = primary_tests(frames, plan=task["plan"], n_surrogates=task["n_surrogates"], seed=s1,
                         country=task["country"])  # fmt: skip
    ctrl = _linked_control(frames, task["plan"], task["n_surrogates"], s2)
    return {"table": prim.table, "verdict": prim.verdict, "control": ctrl,
            "study": _talks_study(frames, task["plan"], s3)}  # fmt: skip


def compare_countries(
    countries: list[str] | None = None,
    *,
    plan: str = "v2",
    n_surrogates: int = 9999,
    seed: int | None = None,
    root: Any = None,
    scheduler: Any = None,
    n_workers: int | None = None,
    progress: bool = False,
    include_user: bool = False,
) -> ComparisonResult:
    """Run a plan's primary family and the source-linked control on each country's record.

    Parameters
    ----------
    countries : list of str, optional
        Keys of :data:`analysis.settings.COUNTRIES` (default: all, Venezuela first).
    plan : str
        Plan version (the same settings for every country).
    n_surrogates : int
        Surrogates per test.
    seed : int or None
        Master seed; country ``i`` uses child ``i``.
    root : path, optional
        Project root (for ``data/processed``).
    scheduler : str or distributed.Client, optional
        Dask scheduler address (or ``DASK_SCHEDULER_ADDRESS``); default local processes.
    n_workers : int, optional
        Local processes (1: in this process).
    progress : bool
        Show a progress bar.
    include_user : bool
        Merge each country's user rows (``data/user/<country>/``,
        :func:`analysis.record.userdata.load_with_user`).

    Raises
    ------
    ValueError
        For an unknown country, naming the allowed ones.
    """
    names = list(countries) if countries is not None else list(COUNTRIES)
    for c in names:
        country_settings(c)
    get_plan(plan)
    tasks = [dict(country=c, plan=plan, n_surrogates=n_surrogates, include_user=include_user,
                  root=None if root is None else str(root)) for c in names]  # fmt: skip
    out = run_grid(_one_country, tasks, seed=seed, scheduler=scheduler, n_workers=n_workers,
                   progress=progress, desc="countries")  # fmt: skip
    tables, controls, studies = [], [], {}
    for c, r in zip(names, out, strict=True):
        cs = country_settings(c)
        t = r["table"].copy()
        t.insert(0, "country", c)
        t.insert(1, "label", cs.label)
        t.insert(2, "open_bargains", cs.open_bargains)
        tables.append(t)
        controls.append({"country": c, "label": cs.label, **r["control"]})
        studies[c] = r["study"]
    return ComparisonResult(
        table=pd.concat(tables, ignore_index=True),
        controls=pd.DataFrame(controls),
        studies=studies,
        settings=dict(plan=plan, countries=names, n_surrogates=n_surrogates, seed=seed),
    )


def _country_line(res: ComparisonResult, country: str) -> str:
    t = res.table[res.table["country"] == country]
    c = res.controls[res.controls["country"] == country].iloc[0]
    label = t["label"].iloc[0]
    sup = t[t["supported"]]
    run = t[t["pvalue"].notna()]
    head = (f"supported: {', '.join(sup['id'])}" if len(sup)
            else f"none of {len(run)} hypotheses run is supported")  # fmt: skip
    mde = run["mde"].replace(np.inf, np.nan).dropna()
    reach = f"; smallest MDE {mde.min():.1f}" if len(mde) else ""
    ctrl = (f"source-linked control ratio {c['ratio']:.2f}, p = {c['pvalue']:.4f}"
            if np.isfinite(c["pvalue"]) else "no source-linked event in the sample")  # fmt: skip
    n_days = int(t.loc[t["effect_unit"] == "ratio", "n_releases"].max())
    return (f"<li><b>{html.escape(label)}</b> ({n_days} release days): "
            f"{html.escape(head)}{reach}; {html.escape(ctrl)}.</li>")  # fmt: skip


def comparative_answer_html(res: ComparisonResult) -> str:
    """The answer for each country in words, for the report index."""
    items = "".join(_country_line(res, c) for c in res.settings["countries"])
    bench = [c for c in res.settings["countries"] if country_settings(c).open_bargains]
    return (
        f"<p><b>Each country, the same test (plan {html.escape(res.settings['plan'])}).</b> "
        "Benchmarks: "
        + html.escape(", ".join(country_settings(c).label for c in bench))
        + " — governments whose prisoners-for-concessions deals officials described openly."
        f"</p><ul>{items}</ul><p class='small'>Read Venezuela's result against the benchmarks: "
        "where a known bargain is detected, the test can see one; where the benchmark's own "
        "record is too thin (few release days, large MDE), a null there says nothing, and "
        "neither does a null for Venezuela at a similar MDE. Association in time, not intent.</p>"
    )
