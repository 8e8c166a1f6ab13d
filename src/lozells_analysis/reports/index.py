"""``reports/index.html``: every report, grouped by audience and neighbourhood, failures first.

Drawn from the catalogue and the build state after every build, so it says what is actually
published: a run that failed is listed first with its error in one line, a link to its log,
and the last good report (if any) it left in place. Then the briefing packs, then the research
reports, each grouped by neighbourhood, one plain sentence per report (the entry's
``summary`` in ``reports.yaml``, else the first sentence of the notebook's purpose), and a
"Synthetic data" label on every report built from the shipped synthetic data. Briefing packs
link their briefing view and PDF; research reports their research view, with the briefing
view as "summary". A filter box narrows the list as one types: a few lines of inline
JavaScript, and without JavaScript the box is hidden and everything shows. The page is a
list, not a table, so it reads at 390 px without scrolling sideways.

Plain string building with :func:`html.escape` on every value, so that writing the index
costs nothing on a build where nothing changed.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from lozells_analysis.reports.publish import write_text_atomic
from lozells_analysis.reports.state import BuildState, RunRecord

__all__ = ["OUTPUT_CHECK", "render_index", "summary_sentence", "write_index"]

#: The output-checking record's page, written next to the index (linked when present).
OUTPUT_CHECK = "output-check.html"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  max-width: 60rem; padding: 0 1rem 2rem; color: #1f2328; line-height: 1.45; }
h1 { color: #1f4e79; margin-top: 1.2rem; }
h2 { color: #1f4e79; border-bottom: 2px solid #1f4e79; padding-bottom: 0.2rem;
  margin-top: 2rem; }
h3 { margin: 1.4rem 0 0.4rem; }
a { color: #0b5394; }
ul.reports { list-style: none; padding: 0; margin: 0; }
li.report { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6rem 0.8rem;
  margin: 0 0 0.6rem; overflow-wrap: anywhere; }
li.report h3, li.report h4 { margin: 0 0 0.2rem; font-size: 1.05rem; }
li.report p { margin: 0.2rem 0; }
.meta { font-size: 0.9rem; color: #444; }
.links a { margin: 0 0.8rem 0.2rem 0; display: inline-block; min-height: 24px; line-height: 24px;
  padding: 0.1rem 0; }
.badge { display: inline-block; font-size: 0.8rem; font-weight: 600; padding: 0.05rem 0.45rem;
  border-radius: 0.7rem; margin-right: 0.4rem; }
.badge.synthetic { background: #fff3cd; color: #5c3c00; border: 1px solid #b58100; }
.state { font-weight: 600; }
.succeeded { color: #1a7f37; } .failed { color: #b3261e; } .never { color: #57606a; }
.error { color: #b3261e; font-size: 0.9rem; overflow-wrap: anywhere; }
code { font-size: 0.8rem; color: #57606a; overflow-wrap: anywhere; }
.notice { border-left: 4px solid #b58100; background: #fff8e5; padding: 0.5rem 0.8rem; }
.filter label { font-weight: 600; display: block; margin-bottom: 0.2rem; }
.filter input { font-size: 1rem; padding: 0.35rem 0.5rem; width: 100%; max-width: 24rem;
  box-sizing: border-box; border: 1px solid #57606a; border-radius: 4px; }
section.attention { border: 2px solid #b3261e; border-radius: 6px; padding: 0 0.8rem 0.4rem;
  margin-top: 1rem; }
section.attention h2 { color: #b3261e; border-bottom-color: #b3261e; margin-top: 0.8rem; }
[hidden] { display: none !important; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 600px) { body { padding: 0 0.6rem 1.5rem; } }
"""

# Progressive: the box starts hidden and this shows it; without JavaScript all reports show.
_SCRIPT = """
(function () {
  var box = document.getElementById("filter-box");
  var input = document.getElementById("filter");
  var status = document.getElementById("filter-status");
  if (!box || !input) { return; }
  box.hidden = false;
  function apply() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll("li.report").forEach(function (item) {
      var text = item.getAttribute("data-text") || "";
      var match = words.every(function (w) { return text.indexOf(w) >= 0; });
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    document.querySelectorAll(".group").forEach(function (group) {
      group.hidden = !group.querySelector("li.report:not([hidden])");
    });
    status.textContent = words.length ? shown + " report(s) match" : "";
  }
  input.addEventListener("input", apply);
  apply();
})();
"""

_AUDIENCES = (
    ("briefing", "Briefing packs", "Short reports for residents, commissioners and partners."),
    ("research", "Research reports", "The full analyses, with methods and code."),
)


def _when(iso: str | None) -> str:
    if not iso:
        return "never"
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _area(run: Any) -> str:
    """The neighbourhood (or ward) a run covers, as a group heading."""
    params = getattr(run, "parameters", {}) or {}
    value = params.get("neighbourhood", params.get("ward"))
    if value is None:
        return "Programme-wide"
    text = str(value).strip()
    return "All neighbourhoods" if text.casefold() == "all" else text


@lru_cache(maxsize=64)
def _purpose(notebook: str) -> str:
    """The first sentence of a notebook's purpose paragraph (its first markdown cell)."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if not p.lstrip().startswith("#")]
        if not paragraphs:
            return ""
        flat = " ".join(paragraphs[0].split())
        flat = re.sub(r"[*_`]", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", flat))
        first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", flat)[0]
        return first if first.endswith((".", "!", "?")) else first + "."
    return ""


def summary_sentence(run: Any) -> str:
    """The index's plain sentence for ``run``: its entry's ``summary`` with ``{area}``
    filled in, else the first sentence of its notebook's purpose.

    Examples
    --------
    >>> import types
    >>> run = types.SimpleNamespace(summary="What residents of {area} said.",
    ...                             parameters={"neighbourhood": "all"})
    >>> summary_sentence(run)
    'What residents of all 13 neighbourhoods said.'
    """
    template = getattr(run, "summary", "") or ""
    if template:
        area = _area(run)
        if area == "All neighbourhoods":
            area = "all 13 neighbourhoods"
        return template.replace("{area}", area)
    notebook = getattr(run, "notebook", None)
    return _purpose(str(notebook)) if notebook else ""


def _synthetic(record: RunRecord | None) -> bool:
    return bool(record and any(r.get("synthetic") for r in record.reads))


def _links(run: Any, outputs: dict[str, str], record: RunRecord | None, reports: Path) -> str:
    e = html.escape
    wanted: tuple[tuple[str, str], ...]
    if run.audience == "briefing":
        wanted = (("briefing", "Web page"), ("pdf", "PDF"), ("spreadsheet", "Spreadsheet"))
    else:
        wanted = (
            ("research", "Report"),
            ("briefing", "Summary"),
            ("spreadsheet", "Spreadsheet"),
            ("notebook", "Notebook"),
        )
    of = f'<span class="visually-hidden">: {e(run.title)}</span>'  # unique for screen readers
    links = [
        f'<a href="{e(outputs[view])}">{label}{of}</a>'
        for view, label in wanted
        if view in outputs
    ]
    if record and record.log and (reports / record.log).is_file():
        links.append(f'<a href="{e(record.log)}">Log{of}</a>')
    return " ".join(links)


def _card(run: Any, record: RunRecord | None, reports: Path, level: int = 4) -> str:
    e = html.escape
    outputs = {
        view: name
        for view, name in (record.outputs if record else {}).items()
        if (reports / name).is_file()
    }
    primary = outputs.get(run.audience) or next(iter(outputs.values()), None)
    title = e(run.title)
    heading = f'<a href="{e(primary)}">{title}</a>' if primary else title
    sentence = summary_sentence(run)
    if record is None:
        state = '<span class="state never">Never built</span>'
    elif record.status == "succeeded":
        state = f'<span class="state succeeded">Built</span> {e(_when(record.built_at))}'
    else:
        state = f'<span class="state failed">FAILED</span> {e(_when(record.attempted_at))}; '
        state += (
            f"the report shown is from {e(_when(record.built_at))}" if primary else "no report yet"
        )
    badge = '<span class="badge synthetic">Synthetic data</span>' if _synthetic(record) else ""
    error = ""
    if record and record.status == "failed" and record.error:
        error = f'<p class="error">{e(record.error)}</p>'
    words = " ".join([run.title, run.name, run.audience, _area(run), sentence]).lower()
    if _synthetic(record):
        words += " synthetic"
    if record and record.status == "failed":
        words += " failed"
    links = _links(run, outputs, record, reports)
    if level == 3:  # in the failed runs' section, away from its group: say which it is
        kind = "briefing pack" if run.audience == "briefing" else "research report"
        state = f"{e(_area(run))}, {kind}. {state}"
    return (
        f'<li class="report" data-text="{e(words)}"><h{level}>{heading}</h{level}>'
        + (f"<p>{e(sentence)}</p>" if sentence else "")
        + f'<p class="meta">{badge}{state} <code>{e(run.name)}</code></p>{error}'
        + (f'<p class="links">{links}</p>' if links else "")
        + "</li>"
    )


def _summary(runs: Sequence[Any], state: BuildState, failed: int) -> str:
    last = state.last_build
    text = f"{len(runs)} report(s)"
    if failed:
        text += f', <strong class="failed">{failed} failed</strong>'
    if last.get("finished_at"):
        text += f". Last build {html.escape(_when(last['finished_at']))}"
        if last.get("log"):
            text += f' (<a href="{html.escape(last["log"])}">build log</a>)'
    text += "."
    if last.get("interrupted"):
        why = html.escape(last["interrupted"])
        text += (
            f' <strong class="failed">The last build stopped early ({why}): reports it had'
            " not finished are shown as last built.</strong>"
        )
    return text


def render_index(runs: Sequence[Any], state: BuildState, reports: Path) -> str:
    """The index page's HTML for the catalogue's ``runs`` and the build ``state``.

    Examples
    --------
    >>> import types
    >>> run = types.SimpleNamespace(name="r1", title="<Report>", audience="research",
    ...                             parameters={"level": 0.9})
    >>> page = render_index([run], BuildState(Path("/x/state.json")), Path("/nonexistent"))
    >>> "&lt;Report&gt;" in page and "Never built" in page and "<Report>" not in page
    True
    >>> "<main" in page and 'id="filter"' in page
    True
    """
    records = {run.name: state.runs.get(run.name) for run in runs}
    failed_runs = [r for r in runs if (rec := records[r.name]) and rec.status == "failed"]
    failed_names = {r.name for r in failed_runs}
    sections = []
    if failed_runs:
        cards = "".join(_card(r, records[r.name], reports, 3) for r in failed_runs)
        sections.append(
            '<section class="attention group" aria-labelledby="h-failed">'
            '<h2 id="h-failed">Needs attention: runs that failed</h2>'
            "<p>The last attempt failed; the report linked (if any) is the last good one.</p>"
            f'<ul class="reports">{cards}</ul></section>'
        )
    for audience, heading, blurb in _AUDIENCES:
        members = [r for r in runs if r.audience == audience and r.name not in failed_names]
        if not members:
            continue
        areas: dict[str, list[Any]] = {}
        for run in members:
            areas.setdefault(_area(run), []).append(run)
        groups = []
        for area, group in areas.items():
            cards = "".join(_card(r, records[r.name], reports) for r in group)
            groups.append(
                f'<div class="group"><h3>{html.escape(area)}</h3>'
                f'<ul class="reports">{cards}</ul></div>'
            )
        sections.append(
            f'<section class="group" aria-labelledby="h-{audience}">'
            f'<h2 id="h-{audience}">{heading}</h2><p>{blurb}</p>{"".join(groups)}</section>'
        )
    synthetic = [r for r in runs if _synthetic(records[r.name])]
    notice = ""
    if synthetic:
        which = (
            "Every report here is built"
            if len(synthetic) == len(runs)
            else "The reports marked Synthetic data are built"
        )
        notice = (
            f'<p class="notice"><strong>Synthetic data.</strong> {which} from made-up data, '
            "to test the reports: they are not real findings. Do not quote them.</p>"
        )
    check = (
        f'<p><a href="{OUTPUT_CHECK}">Output-checking record</a>: what was checked before '
        "these reports were published.</p>"
    )
    body = "".join(sections) or "<p>The catalogue (reports.yaml) lists no reports yet.</p>"
    failed = len(failed_runs)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Local Conversations reports</title><style>{_CSS}</style></head><body>"
        "<main><h1>Local Conversations: reports</h1>"
        f"<p>{_summary(runs, state, failed)}</p>{notice}{check}"
        '<div class="filter" id="filter-box" role="search" hidden>'
        '<label for="filter">Filter reports (title, neighbourhood, audience)</label>'
        '<input id="filter" type="search" autocomplete="off">'
        '<p id="filter-status" class="meta" role="status" aria-live="polite"></p></div>'
        f"{body}</main><script>{_SCRIPT}</script></body></html>\n"
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
