"""One pandera schema per curated table in ``data/raw``.

The raw CSVs are validated *as text* (every cell a string, empty = missing), so that a bad cell is
reported with its exact value rather than lost in a failed type conversion;
:mod:`analysis.record.data`
converts the validated text to proper dtypes afterwards. Rules that involve two columns (``min <=
max``, ``end_date >= date``) and cross-table references are checked in :mod:`analysis.record.data`.

The allowed values below are the data dictionary's (``data/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "ACTORS",
    "BODIES",
    "DATE_PRECISIONS",
    "DETECTIONS",
    "DIPLOMATIC_SUBTYPES",
    "DIRECTIONS",
    "EXCHANGE_ROLES",
    "FOUND_VIA",
    "INSTRUMENTS",
    "ISO3_CODES",
    "MECHANISMS",
    "OCCASIONS",
    "RENAMED_TABLES",
    "RENAME_CHANGES",
    "REPORTERS",
    "TABLES",
    "TableSpec",
    "schema_for",
]

DATE_PRECISIONS = ("day", "week", "month")
REPORTERS = (
    "government",
    "foro_penal",
    "other_ngo",
    "foreign_government",
    "press",
    "viasna",
    "prisoners_defenders",
    "mecanismo_nicaragua",
)
MECHANISMS = (
    "pardon",
    "amnesty",
    "court_order",
    "prisoner_swap",
    "exile",
    "humanitarian",
    "conditional_release",
    "sentence_completed",
    "unknown",
)
ACTORS = ("US", "EU", "UK", "Canada", "other")
DIRECTIONS = ("tightening", "relief")
INSTRUMENTS = (
    "executive_order",
    "designation",
    "general_license",
    "license_revocation",
    "license_expiry",
    "delisting",
    "tanker_seizure",
    "eu_council_decision",
    "visa_restriction",
    "aid_decision",
    "other",
)
DIPLOMATIC_SUBTYPES = (
    "negotiation_round",
    "talks_suspended",
    "agreement",
    "envoy_visit",
    "high_level_meeting",
    "mediation_initiative",
    "election",
    "recognition",
    "military_action",
    "statement",
    "other",
)
BOOLEANS = ("true", "false")
#: How a diplomatic row was found: by searching for diplomatic events (``event_search``), or only
#: because a release's source named it (``release_source``). Events of the second kind are
#: selected *through* releases, so timing tests leave them out by default (selection bias).
FOUND_VIA = ("event_search", "release_source")
#: How a release episode was found (``releases.detection``): a search plan that does not depend on
#: the event calendar (``press_search``, ``ngo_report``, ``government_statement``), a search around
#: an event (``event_search``), or a row curated before the field existed (``legacy``).
#: ``sweep`` is the month-by-month, calendar-blind sweep (docs/curation_notes/sweep_protocol.md).
DETECTIONS = (
    "sweep",
    "press_search",
    "ngo_report",
    "event_search",
    "government_statement",
    "legacy",
)
#: The part an event plays in a documented exchange (docs/curation_notes/exchange_coding.md):
#: prisoners handed over during or as part of it, a deal that includes releases announced or
#: concluded by it, or neither.
EXCHANGE_ROLES = ("handover", "announced_exchange", "none")
#: Why a release happened on its day, from its sources: a holiday or national-day pardon, a court
#: decision, a documented exchange, or not stated.
OCCASIONS = ("holiday", "court_decision", "exchange", "unknown")
#: ISO 3166-1 alpha-3 codes (the 249 officially assigned codes) plus XKX (Kosovo, a
#: user-assigned code in common use).
ISO3_CODES: frozenset[str] = frozenset(
    """ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
    BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV
    CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI
    ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD
    GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY
    JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF
    MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM
    NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT
    PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD
    STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN
    TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE XKX""".split()
)

#: Counterpart codes besides ISO 3166-1 alpha-3: international bodies.
BODIES = ("EU", "UN", "OAS", "UNASUR", "CARICOM", "COE", "OSCE", "IAEA")
_CODE = r"(?:[A-Z]{3}|" + "|".join(BODIES) + ")"
_COUNTERPARTS = rf"^{_CODE}(?:;{_CODE})*$"
_ISO3 = r"^[A-Z]{3}$"
_CP_RULE = "counterparts must be ISO alpha-3 codes or " + "|".join(BODIES) + ", ';'-separated"

#: The sweep tables' own columns, all required (then their sources; ``n_released`` of an
#: episode is optional, where the page gives it).
_SWEEP_FIELDS = ("id", "month", "query_id", "language", "query", "date_run", "results_screened",
                 "episodes_found", "episodes_new")  # fmt: skip
_EPISODE_FIELDS = ("id", "date", "date_precision", "month_swept", "query_id", "release_id",
                   "new_to_record")  # fmt: skip
#: Tables whose ids a ``renamed_ids`` row may name, and what became of the id.
RENAMED_TABLES = ("prisoner_counts", "releases", "sanctions", "diplomatic", "release_nationalities")
RENAME_CHANGES = ("renamed", "removed")
_OLD_ID = r"(?:pc|rel|san|dip|nat)-\d{8}-\d+"

_SOURCE = ("source_url", "source_name", "evidence", "additional_sources")
#: ``true`` where the cited page reports the event or figure after the fact (a retrospective or
#: second-hand account, published well after the date), ``false`` where it reports it at the time.
_SECOND_HAND = "second_hand"


@dataclass(frozen=True)
class TableSpec:
    """Columns and rules of one curated table.

    Attributes
    ----------
    name : str
        Table name; the file is ``data/raw/<name>.csv``.
    id_prefix : str
        Every id looks like ``<prefix>-YYYYMMDD-<n>``.
    columns : tuple of str
        Every column, in file order.
    required : tuple of str
        Columns that may not be empty.
    counts : tuple of str
        Non-negative whole-number columns.
    categories : dict
        Column -> allowed values.
    dates : tuple of str
        ISO date columns (``YYYY-MM-DD``).
    booleans : tuple of str
        ``true`` / ``false`` columns.
    optional : tuple of str
        Columns a file may leave out (added after the first release of the record; user files
        and older copies stay valid). A missing optional column reads as empty.
    patterns : tuple of (column, regex, rule)
        Further format rules, e.g. ISO country codes.
    country_codes : tuple of str
        Columns whose ``;``-separated codes must be known ISO 3166-1 alpha-3 codes (or
        :data:`BODIES`).
    table_required : bool
        False for linked tables a country may not have (e.g. ``release_nationalities``).
    id_rule : tuple of (regex, rule), optional
        Overrides the ``<prefix>-YYYYMMDD-n`` id format: an unanchored regex and the rule's
        wording (``renamed_ids``, whose ids are old ids of any table).
    """

    name: str
    id_prefix: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    counts: tuple[str, ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    dates: tuple[str, ...] = ("date",)
    booleans: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    patterns: tuple[tuple[str, str, str], ...] = ()
    country_codes: tuple[str, ...] = ()
    table_required: bool = True
    id_rule: tuple[str, str] | None = None

    @property
    def filename(self) -> str:
        """File name in ``data/raw``."""
        return f"{self.name}.csv"

    @property
    def id_regex(self) -> tuple[str, str]:
        """The id format: an unanchored regex and the rule's wording."""
        if self.id_rule is not None:
            return self.id_rule
        return rf"{self.id_prefix}-\d{{8}}-\d+", f"id must look like {self.id_prefix}-YYYYMMDD-n"


TABLES: dict[str, TableSpec] = {
    "prisoner_counts": TableSpec(
        name="prisoner_counts",
        id_prefix="pc",
        columns=(
            "id",
            "date",
            "date_precision",
            "political_prisoners",
            "civilians",
            "military",
            "men",
            "women",
            "adolescents",
            "foreigners",
            "arrests_in_period",
            "releases_in_period",
            "period_start",
            "reported_by",
            _SECOND_HAND,
            *_SOURCE,
        ),
        required=("id", "date", "date_precision", "reported_by", *_SOURCE[:3]),
        counts=(
            "political_prisoners",
            "civilians",
            "military",
            "men",
            "women",
            "adolescents",
            "foreigners",
            "arrests_in_period",
            "releases_in_period",
        ),
        categories=(("date_precision", DATE_PRECISIONS), ("reported_by", REPORTERS)),
        dates=("date", "period_start"),
        booleans=(_SECOND_HAND,),
        optional=("period_start", _SECOND_HAND),
    ),
    "releases": TableSpec(
        name="releases",
        id_prefix="rel",
        columns=(
            "id",
            "date",
            "date_precision",
            "n_released",
            "n_released_min",
            "n_released_max",
            "reported_by",
            "mechanism",
            "foreigners_included",
            "high_value",
            "notable_people",
            "linked_event_id",
            "linked_event_note",
            "detection",
            _SECOND_HAND,
            "exchange_event_id",
            "occasion",
            "short_detention",
            "sweep_found",
            *_SOURCE,
        ),
        required=("id", "date", "date_precision", "mechanism", *_SOURCE[:3]),
        counts=("n_released", "n_released_min", "n_released_max"),
        categories=(
            ("date_precision", DATE_PRECISIONS),
            ("reported_by", REPORTERS),
            ("mechanism", MECHANISMS),
            ("detection", DETECTIONS),
            ("occasion", OCCASIONS),
        ),
        booleans=(
            "foreigners_included",
            "high_value",
            _SECOND_HAND,
            "short_detention",
            "sweep_found",
        ),
        optional=(
            "high_value",
            "detection",
            _SECOND_HAND,
            "exchange_event_id",
            "occasion",
            "short_detention",
            "sweep_found",
        ),
    ),
    "sanctions": TableSpec(
        name="sanctions",
        id_prefix="san",
        columns=(
            "id",
            "date",
            "date_precision",
            "actor",
            "direction",
            "instrument",
            "target",
            "description",
            "counterparts",
            _SECOND_HAND,
            "exchange_role",
            *_SOURCE,
        ),
        required=(
            "id",
            "date",
            "date_precision",
            "actor",
            "direction",
            "instrument",
            "description",
            *_SOURCE[:3],
        ),
        categories=(
            ("date_precision", DATE_PRECISIONS),
            ("actor", ACTORS),
            ("direction", DIRECTIONS),
            ("instrument", INSTRUMENTS),
            ("exchange_role", EXCHANGE_ROLES),
        ),
        booleans=(_SECOND_HAND,),
        optional=("counterparts", _SECOND_HAND, "exchange_role"),
        patterns=(("counterparts", _COUNTERPARTS, _CP_RULE),),
        country_codes=("counterparts",),
    ),
    "diplomatic": TableSpec(
        name="diplomatic",
        id_prefix="dip",
        columns=(
            "id",
            "date",
            "date_precision",
            "end_date",
            "subtype",
            "parties",
            "mediator",
            "description",
            "describes_release",
            "found_via",
            "counterparts",
            _SECOND_HAND,
            "exchange_role",
            *_SOURCE,
        ),
        required=(
            "id",
            "date",
            "date_precision",
            "subtype",
            "description",
            "describes_release",
            "found_via",
            *_SOURCE[:3],
        ),
        categories=(
            ("date_precision", DATE_PRECISIONS),
            ("subtype", DIPLOMATIC_SUBTYPES),
            ("found_via", FOUND_VIA),
            ("exchange_role", EXCHANGE_ROLES),
        ),
        dates=("date", "end_date"),
        booleans=("describes_release", _SECOND_HAND),
        optional=("counterparts", _SECOND_HAND, "exchange_role"),
        patterns=(("counterparts", _COUNTERPARTS, _CP_RULE),),
        country_codes=("counterparts",),
    ),
    "release_nationalities": TableSpec(
        name="release_nationalities",
        id_prefix="nat",
        columns=(
            "id",
            "release_id",
            "date",
            "nationality",
            "n_persons",
            "dual_national",
            "names",
            *_SOURCE,
        ),
        required=("id", "release_id", "date", "nationality", *_SOURCE[:3]),
        counts=("n_persons",),
        booleans=("dual_national",),
        patterns=(("nationality", _ISO3, "nationality must be an ISO 3166-1 alpha-3 code"),),
        country_codes=("nationality",),
        table_required=False,
    ),
    "sweeps": TableSpec(
        name="sweeps",
        id_prefix="swq",
        columns=(*_SWEEP_FIELDS, *_SOURCE),
        required=(*_SWEEP_FIELDS, *_SOURCE[:3]),
        counts=("results_screened", "episodes_found", "episodes_new"),
        dates=("date_run",),
        patterns=(("month", r"^\d{4}-\d{2}$", "month must look like YYYY-MM"),),
        table_required=False,
    ),
    "sweep_episodes": TableSpec(
        name="sweep_episodes",
        id_prefix="swe",
        columns=(*_EPISODE_FIELDS, "n_released", *_SOURCE),
        required=(*_EPISODE_FIELDS, *_SOURCE[:3]),
        counts=("n_released",),
        categories=(("date_precision", DATE_PRECISIONS),),
        booleans=("new_to_record",),
        patterns=(("month_swept", r"^\d{4}-\d{2}$", "month_swept must look like YYYY-MM"),),
        table_required=False,
    ),
    "renamed_ids": TableSpec(
        name="renamed_ids",
        id_prefix="",
        columns=(
            "id",
            "in_table",
            "change",
            "new_id",
            "changed_on",
            "git_commit",
            "reason",
            "note",
            *_SOURCE[:2],
        ),
        required=(
            "id",
            "in_table",
            "change",
            "changed_on",
            "git_commit",
            "reason",
            *_SOURCE[:2],
        ),
        categories=(("in_table", RENAMED_TABLES), ("change", RENAME_CHANGES)),
        dates=("changed_on",),
        patterns=(
            ("new_id", rf"^{_OLD_ID}$", "new_id must be a record id (pc|rel|san|dip|nat-...)"),
            ("git_commit", r"^[0-9a-f]{7,40}$", "git_commit must be 7-40 hexadecimal characters"),
        ),
        table_required=False,
        id_rule=(_OLD_ID, "id must be an old record id (pc|rel|san|dip|nat-YYYYMMDD-n)"),
    ),
}

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _is_calendar_date(s: object) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(s)
    except (TypeError, ValueError):
        return False
    return True


def _known_codes(s: object) -> bool:
    codes = str(s).split(";")
    return all(c in ISO3_CODES or c in BODIES for c in codes)


def schema_for(spec: TableSpec) -> pa.DataFrameSchema:
    """The pandera schema of a table, on its text form (strings; missing = null).

    Check names are the rule names that :func:`analysis.record.data.validate_file` reports.
    """
    import pandera.pandas as pa  # imported here: loading processed data does not need it

    cats = dict(spec.categories)
    cols: dict[str, pa.Column] = {}
    for col in spec.columns:
        checks: list[pa.Check] = []
        if col == "id":
            regex, rule = spec.id_regex
            checks.append(pa.Check.str_matches(rf"^{regex}$", error=rule))
        if col in spec.dates:
            checks.append(pa.Check.str_matches(_ISO_DATE, error="date must be ISO YYYY-MM-DD"))
            checks.append(
                pa.Check(
                    _is_calendar_date, element_wise=True, name="date must exist on the calendar"
                )
            )
        if col in spec.counts:
            checks.append(pa.Check.str_matches(r"^-?\d+$", error="count must be a whole number"))
            checks.append(
                pa.Check(lambda s: ~s.str.startswith("-"), name="count must not be negative")
            )
        if col in cats:
            allowed = cats[col]
            checks.append(pa.Check.isin(allowed, error="value must be one of " + "|".join(allowed)))
        for pcol, regex, rule in spec.patterns:
            if col == pcol:
                checks.append(pa.Check.str_matches(regex, error=rule))
        if col in spec.country_codes:
            checks.append(
                pa.Check(
                    _known_codes,
                    element_wise=True,
                    name="unknown country code (ISO 3166-1 alpha-3, or " + "|".join(BODIES) + ")",
                )
            )
        if col in spec.booleans:
            checks.append(pa.Check.isin(BOOLEANS, error="value must be true|false or empty"))
        if col == "source_url":
            checks.append(
                pa.Check.str_matches(r"^https?://\S+$", error="source_url must be an http(s) URL")
            )
        cols[col] = pa.Column(
            str,
            checks=checks,
            nullable=col not in spec.required,
            unique=col == "id",
            report_duplicates="exclude_first",
            required=True,
            coerce=False,
        )
    return pa.DataFrameSchema(cols, strict=False, name=spec.name)
