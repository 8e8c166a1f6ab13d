"""``reports/index.html``: every report, its audience, parameters, state and links.

Drawn from the catalogue and the build state after every build, so it says what is actually
published: a failed run shows its error in one line, with a link to its log, and the last good
report (if any) it left in place. Plain string building with :func:`html.escape` on every value,
so that writing the index costs nothing on a build where nothing changed.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lozells_analysis.reports.provenance import shown_parameters
from lozells_analysis.reports.publish import write_text_atomic
from lozells_analysis.reports.state import BuildState, RunRecord

__all__ = ["render_index", "write_index"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  max-width: 75rem; padding: 0 1rem; color: #1f2328; }
h1 { color: #1f4e79; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem;
  border-bottom: 1px solid #d0d7de; }
th { background: #f6f8fa; }
.state { font-weight: 600; white-space: nowrap; }
.succeeded { color: #1a7f37; } .failed { color: #cf222e; } .never { color: #57606a; }
.error { color: #cf222e; font-size: 0.9rem; overflow-wrap: anywhere; }
code { font-size: 0.85rem; overflow-wrap: anywhere; }
.links a { margin-right: 0.5rem; white-space: nowrap; }
@media (max-width: 600px) { body { padding: 0 0.5rem; } th, td { padding: 0.3rem; } }
"""

_VIEW_LABELS = (
    ("briefing", "briefing"),
    ("research", "research"),
    ("pdf", "PDF"),
    ("notebook", "notebook"),
)


def _when(iso: str | None) -> str:
    if not iso:
        return "never"
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _row(run: Any, record: RunRecord | None, reports: Path) -> str:
    e = html.escape
    shown = shown_parameters(run.parameters, str(reports.parent))  # no machine paths
    params = ", ".join(f"{e(str(k))}={e(json.dumps(v, default=str))}" for k, v in shown.items())
    outputs = {
        view: name
        for view, name in (record.outputs if record else {}).items()
        if (reports / name).is_file()
    }
    primary = outputs.get(run.audience) or next(iter(outputs.values()), None)
    title = e(run.title)
    title_cell = f'<a href="{e(primary)}">{title}</a>' if primary else title
    links = " ".join(
        f'<a href="{e(outputs[view])}">{label}</a>'
        for view, label in _VIEW_LABELS
        if view in outputs
    )
    if record is None:
        state = '<span class="state never">never built</span>'
        when = "never"
    elif record.status == "succeeded":
        state = '<span class="state succeeded">built</span>'
        when = e(_when(record.built_at))
    else:
        state = '<span class="state failed">FAILED</span>'
        when = f"failed {e(_when(record.attempted_at))}"
        when += (
            f"<br>report shown is from {e(_when(record.built_at))}"
            if primary
            else "<br>no report yet"
        )
    log = ""
    if record and record.log and (reports / record.log).is_file():
        log = f'<a href="{e(record.log)}">log</a>'
    error = ""
    if record and record.status == "failed" and record.error:
        error = f'<div class="error">{e(record.error)} {log}</div>'
    elif log:
        links = f"{links} {log}".strip()
    return (
        f"<tr><td>{title_cell}<br><code>{e(run.name)}</code></td><td>{e(run.audience)}</td>"
        f"<td><code>{params or 'defaults'}</code></td><td>{state}{error}</td><td>{when}</td>"
        f'<td class="links">{links}</td></tr>'
    )


def render_index(runs: Sequence[Any], state: BuildState, reports: Path) -> str:
    """The index page's HTML for the catalogue's ``runs`` and the build ``state``.

    Examples
    --------
    >>> import types
    >>> run = types.SimpleNamespace(name="r1", title="<Report>", audience="research",
    ...                             parameters={"level": 0.9})
    >>> page = render_index([run], BuildState(Path("/x/state.json")), Path("/nonexistent"))
    >>> "&lt;Report&gt;" in page and "never built" in page and "<Report>" not in page
    True
    """
    rows = "\n".join(_row(run, state.runs.get(run.name), reports) for run in runs)
    failed = sum(1 for run in runs if (rec := state.runs.get(run.name)) and rec.status == "failed")
    last = state.last_build
    summary = f"{len(runs)} report(s)"
    if failed:
        summary += f', <strong class="failed">{failed} failed</strong>'
    if last.get("finished_at"):
        summary += f". Last build {html.escape(_when(last['finished_at']))}"
        if last.get("log"):
            summary += f' (<a href="{html.escape(last["log"])}">build log</a>)'
    summary += "."
    if last.get("interrupted"):
        why = html.escape(last["interrupted"])
        summary += (
            f' <strong class="failed">The last build stopped early ({why}): reports it had'
            " not finished are shown as last built.</strong>"
        )
    empty = '<tr><td colspan="6">The catalogue (reports.yaml) lists no reports yet.</td></tr>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Local Conversations reports</title><style>{_CSS}</style></head><body>"
        "<h1>Local Conversations: reports</h1>"
        f'<p>{summary} <a href="output-check.html">Output check</a>: what was checked '
        "before publishing.</p>"
        '<div class="scroll"><table><thead><tr><th>Report</th><th>Audience</th>'
        "<th>Parameters</th><th>State</th><th>Built</th><th>Links</th></tr></thead><tbody>"
        f"{rows or empty}</tbody></table></div></body></html>\n"
    )


def write_index(runs: Sequence[Any], state: BuildState, reports: Path) -> Path:
    """Write ``reports/index.html`` atomically (only when its content changed)."""
    target = reports / "index.html"
    page = render_index(runs, state, reports)
    try:
        if target.read_text(encoding="utf-8") == page:
            return target
    except FileNotFoundError:
        pass
    write_text_atomic(target, page)
    return target
