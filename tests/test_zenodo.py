"""``.zenodo.json``: the metadata Zenodo reads when a tagged GitHub release is archived with a DOI.

Zenodo refuses a deposit whose metadata lack a required field or use a value outside its
vocabularies, and the failure shows only after the tag is pushed; these checks follow Zenodo's
deposit metadata reference (required: upload_type, title, creators with a name, description,
access_right, and a licence for open access).
"""

from __future__ import annotations

import json
import tomllib

import yaml

from analysis.settings import project_root

ROOT = project_root()
UPLOAD_TYPES = {"publication", "poster", "presentation", "dataset", "image", "video", "software",
                "lesson", "physicalobject", "other"}  # fmt: skip
ACCESS_RIGHTS = {"open", "embargoed", "restricted", "closed"}
#: Top-level keys of Zenodo's deposit metadata (an unknown key makes the deposit fail).
KNOWN_KEYS = {
    "upload_type", "publication_type", "image_type", "publication_date", "title", "creators",
    "description", "access_right", "license", "embargo_date", "access_conditions", "doi",
    "prereserve_doi", "keywords", "notes", "related_identifiers", "contributors", "references",
    "communities", "grants", "journal_title", "journal_volume", "journal_issue", "journal_pages",
    "conference_title", "conference_acronym", "conference_dates", "conference_place",
    "conference_url", "conference_session", "conference_session_part", "imprint_publisher",
    "imprint_isbn", "imprint_place", "partof_title", "partof_pages", "thesis_supervisors",
    "thesis_university", "subjects", "version", "language", "locations", "dates", "method",
}  # fmt: skip


def _zenodo() -> dict:
    return json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))


def test_required_fields_and_vocabularies():
    z = _zenodo()
    assert set(z) <= KNOWN_KEYS, set(z) - KNOWN_KEYS
    for key in ("upload_type", "title", "creators", "description", "access_right"):
        assert z.get(key), f"{key} is required"
    assert z["upload_type"] in UPLOAD_TYPES
    assert z["access_right"] in ACCESS_RIGHTS
    if z["access_right"] in ("open", "embargoed"):
        assert z.get("license"), "open access needs a licence"
    assert isinstance(z["creators"], list)
    for c in z["creators"]:
        assert isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"].strip()
        assert set(c) <= {"name", "affiliation", "orcid", "gnd"}
    assert isinstance(z.get("keywords", []), list)
    assert all(isinstance(k, str) and k for k in z.get("keywords", []))
    assert len(z.get("language", "eng")) == 3


def test_agrees_with_the_project_and_its_citation():
    z = _zenodo()
    with open(ROOT / "pyproject.toml", "rb") as fh:
        version = tomllib.load(fh)["project"]["version"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert z["version"] == version == str(cff["version"])
    assert {c["name"] for c in z["creators"]} == {a.get("name") for a in cff["authors"]}
    assert z["license"] == "cc-by-4.0"
    dp = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["licenses"][0]["name"].lower() == z["license"]
