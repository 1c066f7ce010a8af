"""The data dictionary in one place: what every table and column means, for the database, the
Datasette pages and the release codebook.

The curators write the dictionary once, in ``data/README.md`` (a ``### `<table>.csv` `` section per
table with a ``| column | type | meaning |`` table); :func:`column_descriptions` reads it, so a
column the curators add and document there reaches the browsable database and the release without
a code change. Where the README gives no meaning (derived tables, columns documented in prose),
the short labels of the Stata export (:data:`analysis.record.export.LABELS`) stand in, then the
few derived columns described here.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from analysis.settings import project_root

__all__ = ["TABLE_DESCRIPTIONS", "column_description", "column_descriptions"]

#: One line per table: what a row is.
TABLE_DESCRIPTIONS: dict[str, str] = {
    "countries": "The countries of the record and their reference NGO (the prisoner-count series).",
    "prisoner_counts": "Reported numbers of political prisoners at dated points (curated, cited).",
    "releases": "Release episodes of political prisoners (curated, cited).",
    "sanctions": "Sanctions actions by the US, EU, UK, Canada and others (curated, cited).",
    "diplomatic": "Negotiations, visits, agreements, elections, recognitions (curated, cited).",
    "release_nationalities": "Foreign and dual nationals per release episode (curated, cited).",
    "sweeps": "Log of the calendar-blind release sweep: every fixed query run for every month.",
    "sweep_episodes": "Release episodes the calendar-blind sweep found, matched to releases.",
    "renamed_ids": "Ids that left the record (re-dated or removed rows) and the id to cite today.",
    "events": "Diplomatic and sanctions rows on one calendar, each with an event class.",
    "flows": "The reference NGO's arrests and releases per stated period (not additive).",
    "coverage": "Rows per year per curated table and country.",
    "release_event_pairs": (
        "Every release and every event of the same country within 7 days of each other "
        "(both directions; days_after_event < 0 means the release came first). Association "
        "in time, not evidence of intent."
    ),
    "documented_exchanges": (
        "Events coded as part of a documented exchange (exchange_role handover or "
        "announced_exchange), with the releases coded as belonging to them."
    ),
}

#: Columns the database adds to every table, and derived columns the README does not list.
_EXTRA: dict[str, str] = {
    "key": "Row key in this database: <country>/<id> (ids repeat across countries)",
    "country": "Country of the record (a key of the countries table)",
    "linked_event_key": "Key of the event in linked_event_id (events table)",
    "exchange_event_key": "Key of the event in exchange_event_id (events table)",
    "release_key": "Key of the release in release_id (releases table)",
    "exchange_role": "Part the event plays in a documented exchange: handover, "
    "announced_exchange or none",
    "measure": "arrests or releases",
    "period_end": "Last day of the period (the count row's date)",
    "days": "Days in the period",
    "value": "Persons arrested or released in the period",
    "derivation": "as_reported, difference_of_running_totals or inconsistent_running_totals",
    "label": "Country name",
    "reference_ngo": "reported_by value of the NGO whose count is the prisoner stock",
    "reference_ngo_label": "Name of the reference NGO",
    "iso3": "ISO 3166-1 alpha-3 code",
    "start": "First day of the default study period",
    "end": "Last day the record covers (default study period end)",
    "open_bargains": "Officials on both sides described prisoners-for-concessions deals openly",
    "has_counts": "An NGO publishes a dated count of political prisoners held",
    "days_after_event": "Release date minus event date, in days",
}

#: Columns documented in the README's prose rather than its tables (the sweep logs).
_TABLE_EXTRA: dict[str, dict[str, str]] = {
    "sweeps": {
        "month": "Month swept, YYYY-MM",
        "query_id": "Fixed query of the sweep protocol",
        "language": "Language of the query",
        "query": "The query as run",
        "date_run": "Day the query was run",
        "results_screened": "Search results screened",
        "episodes_found": "Release episodes found in the results",
        "episodes_new": "Of which new to the record",
        "source_url": "Top-ranked result screened",
        "additional_sources": "Other results screened, ' | '-separated",
        "evidence": "One-line screening note",
    },
    "sweep_episodes": {
        "month_swept": "Month swept, YYYY-MM",
        "query_id": "Fixed query that found the episode",
        "release_id": "Matching or new row of releases",
        "new_to_record": "The episode was not in the record before the sweep",
        "n_released": "Persons released, where stated",
        "source_url": "Page where the sweep found the episode",
    },
}

_SECTION = re.compile(r"^###\s+(.+)$")
_TABLE_NAME = re.compile(r"`([a-z_]+)\.csv`")
_CODE = re.compile(r"`([a-z_]+)`")


def _parse(text: str) -> dict[tuple[str, str], str]:
    """``(table, column) -> meaning`` from the README's ``| column | type | meaning |`` tables."""
    out: dict[tuple[str, str], str] = {}
    tables: list[str] = []
    for line in text.splitlines():
        m = _SECTION.match(line)
        if m:
            tables = _TABLE_NAME.findall(m.group(1))
            continue
        if not tables or not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] == "column":
            continue
        meaning = cells[2] or (f"values: {cells[1]}" if cells[1] else "")
        for col in _CODE.findall(cells[0]):
            for t in tables:
                out[(t, col)] = meaning.replace("`", "")
    return out


@lru_cache(maxsize=8)
def _readme(path: str, mtime: float) -> dict[tuple[str, str], str]:
    return _parse(Path(path).read_text(encoding="utf-8"))


def column_descriptions(root: str | os.PathLike[str] | None = None) -> dict[tuple[str, str], str]:
    """``(table, column) -> meaning`` as documented in ``data/README.md`` (empty if absent)."""
    path = (Path(root) if root else project_root()) / "data" / "README.md"
    if not path.is_file():
        return {}
    return dict(_readme(str(path), path.stat().st_mtime))


def column_description(table: str, column: str, root: str | os.PathLike[str] | None = None) -> str:
    """What ``column`` of ``table`` means: the README's dictionary, else a label, else ``""``."""
    from analysis.record.export import _TABLE_LABELS, LABELS

    documented = column_descriptions(root)
    if column == "date_precision":  # the README shares this row with date; the label is exact
        return LABELS[column]
    if (table, column) in documented:
        return documented[(table, column)]
    if column in _TABLE_EXTRA.get(table, {}):
        return _TABLE_EXTRA[table][column]
    label = _TABLE_LABELS.get(table, {}).get(column) or LABELS.get(column)
    if label:
        return label
    if column in _EXTRA:
        return _EXTRA[column]
    for (_, col), meaning in documented.items():  # same column documented for another table
        if col == column:
            return meaning
    return ""
