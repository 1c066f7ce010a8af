"""Project locations and the table of country settings.

Both the record (:mod:`analysis.record.data`) and the report runner (:mod:`analysis.reports`) need
to know
where the project lives; neither should import the other for it. Country-specific choices -- the
reference NGO whose count is the prisoner stock, the labels, the default periods -- live in
:data:`COUNTRIES` and nowhere else, so that notebooks and library functions take ``country`` as a
plain parameter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONFIRM_COUNTRIES",
    "COUNTRIES",
    "DEFAULT_COUNTRY",
    "CountrySettings",
    "country_settings",
    "processed_dir",
    "project_root",
    "raw_dir",
    "resolve_reporter",
]


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Find the project root: ``$BARGAINING_CHIP_ROOT``, else the first folder upwards (from
    ``start`` or the working directory, then from this file) holding ``pyproject.toml`` and
    ``data/raw``.

    Raises
    ------
    FileNotFoundError
        If no such folder exists.
    """
    env = os.environ.get("BARGAINING_CHIP_ROOT")
    if env:
        return Path(env).resolve()
    starts = [Path(start) if start else Path.cwd(), Path(__file__).resolve().parent]
    for s in starts:
        for d in [s.resolve(), *s.resolve().parents]:
            if (d / "pyproject.toml").is_file() and (d / "data" / "raw").is_dir():
                return d
    raise FileNotFoundError(
        "cannot find the project root (a folder with pyproject.toml and data/raw); "
        "set BARGAINING_CHIP_ROOT"
    )


@dataclass(frozen=True)
class CountrySettings:
    """What differs between countries; everything else (classes, plan, tests) carries over.

    Attributes
    ----------
    key : str
        Folder name under ``data/raw`` and the value of the ``country`` parameter.
    label : str
        Name for titles.
    reference_ngo : str
        ``reported_by`` value of the NGO whose count is the prisoner stock.
    reference_ngo_label : str
        The NGO's name for titles and captions.
    iso3 : str
        ISO 3166-1 alpha-3 code (never a counterpart of its own events).
    start, end : str
        Default study period (ISO dates).
    open_bargains : bool
        True where officials on both sides described prisoners-for-concessions deals openly:
        the benchmark cases for reading a null result.
    has_counts : bool
        False where no NGO publishes a dated count of political prisoners held (the record then
        has no ``prisoner_counts`` table rather than arrest totals standing in for one).
    """

    key: str
    label: str
    reference_ngo: str
    reference_ngo_label: str
    iso3: str
    start: str = "2014-01-01"
    end: str = "2026-12-31"
    open_bargains: bool = False
    has_counts: bool = True


COUNTRIES: dict[str, CountrySettings] = {
    "venezuela": CountrySettings(
        "venezuela", "Venezuela", "foro_penal", "Foro Penal", "VEN", end="2026-03-31"
    ),
    "belarus": CountrySettings("belarus", "Belarus", "viasna", "Viasna", "BLR", open_bargains=True),
    "cuba": CountrySettings(
        "cuba", "Cuba", "prisoners_defenders", "Prisoners Defenders", "CUB", open_bargains=True
    ),
    "nicaragua": CountrySettings(
        "nicaragua",
        "Nicaragua",
        "mecanismo_nicaragua",
        "Mecanismo para el Reconocimiento de Personas Presas Políticas",
        "NIC",
        open_bargains=True,
    ),
    # out-of-sample countries of plan v3-confirm (issue #18), collected blind and frozen before
    # any analysis (data/README.md, "frozen for v3-confirm")
    "iran": CountrySettings(
        "iran", "Iran", "other_ngo", "no NGO count (none found)", "IRN", end="2025-12-31",
        has_counts=False,
    ),
    "azerbaijan": CountrySettings(
        "azerbaijan", "Azerbaijan", "other_ngo", "Azerbaijani rights defenders' lists", "AZE",
        end="2025-12-31",
    ),
    "egypt": CountrySettings(
        "egypt", "Egypt", "other_ngo", "no NGO count (none found)", "EGY", end="2025-12-31",
        has_counts=False,
    ),
}
DEFAULT_COUNTRY = "venezuela"
#: The countries collected blind for the registered out-of-sample test (plan v3-confirm).
CONFIRM_COUNTRIES: tuple[str, ...] = ("iran", "azerbaijan", "egypt")


def country_settings(country: str = DEFAULT_COUNTRY) -> CountrySettings:
    """The settings of one country.

    Raises
    ------
    ValueError
        For a country not in :data:`COUNTRIES`, naming the allowed values.
    """
    try:
        return COUNTRIES[country]
    except (KeyError, TypeError):
        raise ValueError(
            f"country={country!r} is not known; allowed: {', '.join(COUNTRIES)}"
        ) from None


def raw_dir(root: str | os.PathLike[str] | None = None, country: str = DEFAULT_COUNTRY) -> Path:
    """``data/raw/<country>`` of the project."""
    country_settings(country)
    return (Path(root) if root else project_root()) / "data" / "raw" / country


def processed_dir(
    root: str | os.PathLike[str] | None = None, country: str = DEFAULT_COUNTRY
) -> Path:
    """``data/processed/<country>`` of the project."""
    country_settings(country)
    return (Path(root) if root else project_root()) / "data" / "processed" / country


def resolve_reporter(country: str = DEFAULT_COUNTRY, reporter: str = "reference_ngo") -> str:
    """The ``reported_by`` value a notebook means: ``"reference_ngo"`` is the country's NGO."""
    return country_settings(country).reference_ngo if reporter == "reference_ngo" else reporter
