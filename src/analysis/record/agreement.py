"""Inter-coder agreement: a second coder re-codes a random sample from the cited pages alone.

The second coding lives in ``data/raw/<country>/second_coding.csv`` (hand-curated, cited like every
raw row): one row per sampled record with the record's ``row_id`` and ``table``, a ``status``
(``coded``, ``page_not_found``, ``page_ambiguous``) and the fields the coder read from the page.
:func:`intercoder_agreement` compares it with the curated tables: dates within ±1 day (and
exactly), counts exactly, classes exactly with Cohen's kappa.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FIELDS", "AgreementResult", "intercoder_agreement", "read_second_coding"]

#: Fields compared per table and how: "date", "count" or "class".
FIELDS: dict[str, dict[str, str]] = {
    "prisoner_counts": {"date": "date", "date_precision": "class",
                        "political_prisoners": "count", "reported_by": "class"},
    "releases": {"date": "date", "date_precision": "class", "n_released": "count",
                 "mechanism": "class"},
    "sanctions": {"date": "date", "date_precision": "class", "actor": "class",
                  "direction": "class", "instrument": "class"},
    "diplomatic": {"date": "date", "date_precision": "class", "subtype": "class"},
}  # fmt: skip
_STATUS = ("coded", "page_not_found", "page_ambiguous")
_COLUMNS = ("key", "row_id", "table", "status", "source_url",
            *sorted({f for v in FIELDS.values() for f in v}))  # fmt: skip


@dataclass(frozen=True, eq=False)
class AgreementResult:
    """Result of :func:`intercoder_agreement`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per table and field: ``n`` (pairs where both coders gave a value), ``agree``,
        ``share``, ``kappa`` (classes), ``share_exact`` (dates: same day).
    status : pandas.DataFrame
        Sampled rows per table and status (coded / page not found / ambiguous).
    disagreements : pandas.DataFrame
        ``key``, ``row_id``, ``table``, ``field``, ``first``, ``second``.
    """

    table: pd.DataFrame
    status: pd.DataFrame
    disagreements: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        """Short plain-text tables."""
        return ("Inter-coder agreement (second coder blind, from cited pages)\n"
                + self.table.to_string(index=False) + "\n\nSample status\n"
                + self.status.to_string())  # fmt: skip

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return ("<p><b>Inter-coder agreement</b></p>"
                + self.table.to_html(index=False, float_format=lambda x: f"{x:.2f}")
                + html.escape("Sample status") + self.status.to_html())  # fmt: skip


def read_second_coding(path: str | Path) -> pd.DataFrame:
    """Read and check a second-coding file (text form; empty cells are missing).

    Raises
    ------
    ValueError
        Naming the file, line, column and value for a missing column, an unknown table or
        status, or a date that is not ISO ``YYYY-MM-DD``.
    """
    path = Path(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    where = f"{path.parent.name}/{path.name}"
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{where}:1 column(s) {missing} missing; required: {list(_COLUMNS)}")
    for col, allowed in (("table", tuple(FIELDS)), ("status", _STATUS)):
        bad = ~df[col].isin(allowed)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{where}:{i + 2} column {col!r} value {df[col].iloc[i]!r}: "
                             f"must be one of {'|'.join(allowed)}")  # fmt: skip
    dates = pd.to_datetime(df["date"].replace("", None), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() & df["date"].ne("")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where}:{i + 2} column 'date' value {df['date'].iloc[i]!r}: "
                         "date must be ISO YYYY-MM-DD")  # fmt: skip
    return df


def _text(v: Any, kind: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    if kind == "date":
        return str(pd.Timestamp(v).date())
    if kind == "count":
        return str(int(v))
    return str(v)


def _kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two codings of the same items (nan when undefined)."""
    cats = sorted(set(a) | set(b))
    if len(a) < 2 or len(cats) < 2:
        return float("nan")
    idx = {c: i for i, c in enumerate(cats)}
    m = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b, strict=True):
        m[idx[x], idx[y]] += 1
    n = m.sum()
    po = np.trace(m) / n
    pe = float((m.sum(0) @ m.sum(1)) / n**2)
    return float((po - pe) / (1 - pe)) if pe < 1 else float("nan")


def _compare(first: str, second: str, kind: str) -> tuple[bool, bool]:
    """(agree, exact): dates agree within one day."""
    if kind == "date":
        gap = abs((pd.Timestamp(first) - pd.Timestamp(second)).days)
        return gap <= 1, gap == 0
    return first == second, first == second


def intercoder_agreement(frames: dict[str, pd.DataFrame], second: pd.DataFrame) -> AgreementResult:
    """Compare a second coding with the curated tables.

    Parameters
    ----------
    frames : dict of DataFrame
        The curated tables (:func:`analysis.record.data.load_processed` or ``load_raw``).
    second : DataFrame
        From :func:`read_second_coding`.

    Raises
    ------
    ValueError
        When a ``row_id`` is not in its table (naming key, table and id).
    """
    pairs, dis = [], []
    for r in second[second["status"] == "coded"].itertuples(index=False):
        base = frames[r.table].set_index("id")
        if r.row_id not in base.index:
            raise ValueError(f"second coding {r.key}: row_id {r.row_id!r} is not in {r.table}")
        for fld, kind in FIELDS[r.table].items():
            a, b = _text(base.at[r.row_id, fld], kind), str(getattr(r, fld))
            if not a or not b:
                continue
            ok, exact = _compare(a, b, kind)
            pairs.append((r.table, fld, kind, a, b, ok, exact))
            if not ok:
                dis.append((r.key, r.row_id, r.table, fld, a, b))
    p = pd.DataFrame(pairs, columns=["table", "field", "kind", "a", "b", "agree", "exact"])
    rows = []
    for (t, f, k), g in p.groupby(["table", "field", "kind"], sort=False):
        rows.append(
            dict(
                table=t,
                field=f,
                kind=k,
                n=len(g),
                agree=int(g["agree"].sum()),
                share=float(g["agree"].mean()),
                share_exact=float(g["exact"].mean()) if k == "date" else np.nan,
                kappa=_kappa(list(g["a"]), list(g["b"])) if k == "class" else np.nan,
            )
        )
    status = pd.crosstab(second["table"], second["status"])  # fmt: skip
    return AgreementResult(
        table=pd.DataFrame(rows),
        status=status,
        disagreements=pd.DataFrame(dis, columns=["key", "row_id", "table", "field", "first",
                                                 "second"]),
    )  # fmt: skip


#: Ids changed by the audit fixes after the exchange sample was drawn (2026-12-02): the second coder
#: coded the old id. From docs/curation_notes/venezuela_exchange_and_audit_notes.md,
#: benchmarks_exchange_and_audit_notes.md and audit_leftovers_notes.md.
RENAMED_IDS: dict[str, str] = {
    "san-20170824-1": "san-20170829-1", "san-20180319-1": "san-20180321-1",
    "san-20180521-1": "san-20180524-1", "san-20181101-1": "san-20181102-1",
    "san-20190125-1": "san-20190130-1", "san-20190805-1": "san-20190807-1",
    "san-20250324-1": "san-20250327-1", "san-20260109-2": "san-20260115-1",
    "san-20181127-1": "san-20181129-1", "san-20221024-1": "san-20221026-1",
    "dip-20251214-1": "dip-20251213-2", "rel-20220501-1": "rel-20220527-1",
}  # fmt: skip

#: Exchange fields compared, per table: the event's role; for releases whether the release is in
#: an exchange at all, the exchange's event, the occasion and short detention.
EXCHANGE_FIELDS: dict[str, tuple[str, ...]] = {
    "diplomatic": ("exchange_role",),
    "sanctions": ("exchange_role",),
    "releases": ("in_exchange", "exchange_event_id", "occasion", "short_detention"),
}


@dataclass(frozen=True, eq=False)
class ExchangeAgreement:
    """Result of :func:`exchange_agreement`.

    Attributes
    ----------
    table : DataFrame
        One row per country (and ``all``) and field: ``n`` (pairs where both coders gave a
        value), ``agree``, ``share`` and Cohen's ``kappa``.
    disagreements : DataFrame
        ``country``, ``row_id``, ``table``, ``field``, ``first``, ``second``, ``second_note``.
    missing : list of str
        Sampled rows no longer in the record (removed as duplicates), left out.
    """

    table: pd.DataFrame
    disagreements: pd.DataFrame = field(repr=False)
    missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Short plain-text table."""
        return ("Exchange coding: blind second coder vs first coder\n"
                + self.table.to_string(index=False)
                + f"\n{len(self.disagreements)} disagreements (listed and adjudicated in "
                "docs/curation_notes/exchange_adjudication.md)")  # fmt: skip

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _cell(v: Any) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return str(v).strip()


def exchange_agreement(
    frames_by_country: dict[str, dict[str, pd.DataFrame]],
    second_by_country: dict[str, pd.DataFrame],
    renamed: dict[str, str] | None = None,
) -> ExchangeAgreement:
    """Agreement of the blind second coder with the record on the exchange coding.

    Parameters
    ----------
    frames_by_country : dict
        Country -> its tables (``releases``, ``diplomatic``, ``sanctions``).
    second_by_country : dict
        Country -> its ``exchange_second_coding.csv`` (columns ``row_id``, ``table``,
        ``exchange_role``, ``exchange_event_id``, ``occasion``, ``short_detention``, ``note``).
    renamed : dict, optional
        Old id -> new id for rows re-identified after the sample was drawn (default
        :data:`RENAMED_IDS`). Event ids named in ``exchange_event_id`` are mapped too.

    Returns
    -------
    ExchangeAgreement
        Kappa per field; an empty second value (the coder could not tell) is left out of the
        pairs for ``short_detention`` only, where empty is an allowed answer of its own.
    """
    ren = RENAMED_IDS if renamed is None else renamed
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    dis, missing = [], []
    for country, second in second_by_country.items():
        fr = frames_by_country[country]
        indexed = {t: fr[t].set_index("id") for t in EXCHANGE_FIELDS}  # once per country
        for r in second.itertuples(index=False):
            table = r.table
            rid = ren.get(r.row_id, r.row_id)
            cur = indexed[table]
            if rid not in cur.index:
                missing.append(f"{country}/{r.row_id}")
                continue
            row = cur.loc[rid]
            for f in EXCHANGE_FIELDS[table]:
                if f == "in_exchange":
                    a = "true" if _cell(row.get("exchange_event_id")) else "false"
                    b = "true" if _cell(r.exchange_event_id) else "false"
                elif f == "exchange_event_id":
                    a = _cell(row.get(f))
                    b = ren.get(_cell(r.exchange_event_id), _cell(r.exchange_event_id))
                    if not (a or b):
                        continue  # both say "no exchange": counted under in_exchange
                else:
                    a, b = _cell(row.get(f)), _cell(getattr(r, f))
                    if f == "exchange_role":
                        a = a or "none"
                    if f == "short_detention" and (not a or not b):
                        if a != b:
                            dis.append(dict(country=country, row_id=rid, table=table, field=f,
                                            first=a, second=b,
                                            second_note=_cell(r.note)))  # fmt: skip
                        continue
                pairs.setdefault((country, f), []).append((a, b))
                if a != b:
                    dis.append(dict(country=country, row_id=rid, table=table, field=f, first=a,
                                    second=b, second_note=_cell(r.note)))  # fmt: skip
    rows = []
    fields = sorted({f for (_, f) in pairs}, key=lambda f: [x for v in EXCHANGE_FIELDS.values()
                                                             for x in v].index(f))  # fmt: skip
    for c in [*second_by_country, "all"]:
        for f in fields:
            pr = [p for (cc, ff), v in pairs.items() if ff == f and c in (cc, "all") for p in v]
            if not pr:
                continue
            a, b = [x for x, _ in pr], [y for _, y in pr]
            agree = sum(x == y for x, y in pr)
            rows.append(dict(country=c, field=f, n=len(pr), agree=agree, share=agree / len(pr),
                             kappa=_kappa(a, b)))  # fmt: skip
    return ExchangeAgreement(table=pd.DataFrame(rows), disagreements=pd.DataFrame(dis),
                             missing=missing)  # fmt: skip
