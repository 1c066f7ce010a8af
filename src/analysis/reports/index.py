"""The index page, ``reports/index.html``, rendered from the manifest alone.

It leads with the answer (the HTML a notebook displayed in its cell tagged ``answer``), then lists
every report with its key numbers, status, parameters and run time, and ends with the provenance
line (commit, link to ``manifest.json``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["build_index"]

_INDEX_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; }
.failed { color: #a00; }
.small { font-size: 85%; color: #555; }
.answer { background: #f7f9fc; border-left: 4px solid #36c; padding: .5rem 1rem; overflow-x: auto; }
"""


def build_index(manifest: Mapping[str, Any], reports_dir: Path) -> str:
    """Render ``index.html`` from a manifest: the answer (if a notebook wrote one), then every
    report with its key numbers, status and provenance.

    A notebook shows the answer by displaying HTML in a cell tagged ``answer`` (see
    :func:`read_answer`); the index leads with it, from that notebook's last good run.
    """
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>bargaining-chip reports</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        "<h1>bargaining-chip: are political-prisoner releases timed to diplomacy and "
        "sanctions?</h1>",
    ]
    answers = [
        e["answer_html"] for e in manifest.get("notebooks", {}).values() if e.get("answer_html")
    ]
    if answers:
        parts.append("<h2>The answer</h2>")
        parts.extend(f"<div class='answer'>{a}</div>" for a in answers)
    parts.append(
        "<h2>Reports</h2><table><tr><th>report</th><th>key numbers</th>"
        "<th>status</th><th>seconds</th></tr>"
    )
    for name, entry in manifest.get("notebooks", {}).items():
        title = esc(entry.get("title") or name)
        link = f"<a href='{esc(name)}.html'>{title}</a>" if entry.get("status") == "ok" else title
        nums = "<br>".join(
            f"{esc(k)}: <b>{esc(str(v))}</b>" for k, v in entry.get("key_numbers", {}).items()
        )
        status = esc(entry.get("status", "?"))
        if "last_failure" in entry:
            lf = entry["last_failure"]
            status += (
                f"<div class='failed'>last run failed {esc(lf.get('finished', ''))} at cell "
                f"{esc(str(lf.get('failed_cell')))}: {esc(lf.get('error', ''))[:200]} "
                f"(<a href='{esc(lf.get('failed_path', ''))}'>failed notebook</a>)</div>"
            )
        params = esc(json.dumps(entry.get("parameters", {}), default=str))
        parts.append(
            f"<tr><td>{link}<div class='small'>{esc(name)}.ipynb · parameters {params}</div></td>"
            f"<td>{nums}</td><td>{status}</td><td>{entry.get('duration_s', '')}</td></tr>"
        )
    parts.append("</table>")
    git = manifest.get("git", {})
    parts.append(
        f"<p class='small'>Generated {esc(str(manifest.get('generated', '')))} from commit "
        f"{esc(str(git.get('commit', '?')))}{' (uncommitted changes)' if git.get('dirty') else ''}"
        ". Inputs, package versions and run times: <a href='manifest.json'>manifest.json</a>. "
        "Associations in time are not evidence of intent.</p></body></html>"
    )
    return "\n".join(parts)
