"""The output-checking record of a build: ``reports/output-check.json`` and ``.html``.

For each report of the catalogue, each table and figure it publishes, the record lists the
disclosure checks applied (threshold, secondary suppression, rounding, differencing, scan),
their result, and what was suppressed or held back, so a data owner can sign a release off
as output checkers in trusted research environments do. It holds no data value beyond what
the reports themselves publish: numbers of cells suppressed, of quotes held back, of counts
rounded, the kinds of personal-data finding, and table captions.

:func:`run_checks` builds one report's entry when its run finishes (the build keeps it in the
run's record in the build state, so a report that was up to date keeps its entry);
:func:`write_output_check` writes both files from the state after every build.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lozells_analysis.reports.publish import write_text_atomic
from lozells_analysis.reports.state import BuildState

__all__ = [
    "for_run",
    "inventory",
    "render_output_check",
    "run_checks",
    "write_output_check",
]

_CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_SUPPRESSED_CELL = re.compile(r"<td[^>]*>\s*suppressed\s*</td>", re.I)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def inventory(nb: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tables and figures an executed notebook shows, in order: kind, number, cell,
    caption (tables) and how many of its cells read "suppressed".

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "outputs": [
    ...     {"data": {"text/html": "<table><caption>Responses</caption>"
    ...                            "<tr><td>suppressed</td></tr></table>"}},
    ...     {"data": {"image/png": "iVBOR"}}]}]}
    >>> [(i["kind"], i["caption"], i.get("suppressed_cells")) for i in inventory(nb)]
    [('table', 'Responses', 1), ('figure', 'figure 1', None)]
    """
    items: list[dict[str, Any]] = []
    tables = figures = 0
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            page = _text(data.get("text/html"))
            if "<table" in page:
                for chunk in page.split("<table")[1:]:
                    tables += 1
                    caption = _CAPTION.search(chunk)
                    label = (
                        " ".join(html.unescape(_TAG.sub("", caption.group(1))).split())
                        if caption
                        else f"table {tables}"
                    )
                    items.append(
                        {
                            "kind": "table",
                            "number": tables,
                            "cell": number,
                            "caption": label[:200],
                            "suppressed_cells": len(_SUPPRESSED_CELL.findall(chunk)),
                        }
                    )
            elif any(str(k).startswith("image/") for k in data):
                figures += 1
                items.append(
                    {
                        "kind": "figure",
                        "number": figures,
                        "cell": number,
                        "caption": f"figure {figures}",
                    }
                )
    return items


def _sum(records: Sequence[Mapping[str, Any]], check: str, key: str) -> int:
    return sum(int(r.get(key) or 0) for r in records if r.get("check") == check)


def run_checks(
    *,
    name: str,
    title: str,
    audience: str,
    notebook: Mapping[str, Any] | None,
    counts: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    min_n: int,
    rounding: int,
    scan: str | None,
    differencing: str | None,
    error: str | None = None,
) -> dict[str, Any]:
    """One report's entry of the output-checking record.

    ``scan`` and ``differencing`` are the reasons the run was held back or refused by those
    checks (None: passed); ``error`` is any other failure (the run did not finish).
    """
    rounded = audience == "briefing"
    primary = _sum(records, "suppression", "primary")
    secondary = _sum(records, "suppression", "secondary")
    held = _sum(records, "quotes", "held_back")
    checks = {
        "threshold": {
            "rule": f"no count or estimate resting on fewer than {min_n} respondents",
            "result": "applied",
            "suppressed": primary + sum(1 for c in counts if c.get("suppressed")),
        },
        "secondary_suppression": {
            "rule": "rows, columns and totals: no suppressed cell can be worked back",
            "result": "applied" if primary else "not needed",
            "suppressed": secondary,
        },
        "rounding": {
            "rule": (
                f"counts of respondents rounded to the nearest {rounding}"
                if rounded
                else "counts shown exactly (research report)"
            ),
            "result": "applied" if rounded else "not applied",
            "rounded": sum(1 for c in counts if c.get("rounding")),
        },
        "differencing": {
            "rule": (f"no two published counts of nested selections differ by 1 to {min_n - 1}"),
            "result": "refused" if differencing else "passed",
            "detail": differencing or "",
            "counts_registered": len(counts),
        },
        "scan": {
            "rule": "no personal data (emails, phone numbers, postcodes, ids, listed names) "
            "in any published file",
            "result": "held back" if scan else "passed",
            "detail": scan or "",
        },
        "quotes": {
            "rule": "quotes naming a person-like pair not known as a place or organisation "
            "are held back for review",
            "result": "held back" if held else "passed",
            "held_back": held,
            "shown": _sum(records, "quotes", "shown"),
        },
    }
    if error and not (scan or differencing):
        status = "failed"
    elif scan or differencing:
        status = "held back"
    else:
        status = "published"
    items = inventory(notebook) if notebook is not None else []
    for item in items:
        applied = ["threshold", "secondary_suppression", "scan"]
        if item["kind"] == "table":
            applied += ["rounding"] if rounded else []
        item["checks"] = applied
        item["result"] = (
            "held back" if status == "held back" else "passed" if status == "published" else "-"
        )
    return {
        "report": name,
        "title": title,
        "audience": audience,
        "status": status,
        "reason": error or "",
        "checks": checks,
        "items": items,
    }


def render_output_check(record: Mapping[str, Any]) -> str:
    """The record as one offline, accessible HTML page (every value escaped)."""
    e = html.escape
    parts = []
    for entry in record.get("reports", []):
        checks = entry.get("checks", {})
        rows = "".join(
            f'<tr><th scope="row">{e(key.replace("_", " "))}</th><td>{e(str(c.get("rule", "")))}'
            f"</td><td>{e(str(c.get('result', '')))}</td><td>"
            + e(
                "; ".join(
                    f"{k.replace('_', ' ')}: {v}"
                    for k, v in c.items()
                    if k not in ("rule", "result") and v not in ("", None)
                )
            )
            + "</td></tr>"
            for key, c in checks.items()
        )
        items = "".join(
            f"<tr><td>{e(i['kind'])} {i['number']}</td><td>{e(i.get('caption', ''))}</td>"
            f"<td>{e(', '.join(c.replace('_', ' ') for c in i.get('checks', [])))}</td>"
            f"<td>{e(str(i.get('result', '')))}</td>"
            f"<td>{i.get('suppressed_cells', '') if i['kind'] == 'table' else ''}</td></tr>"
            for i in entry.get("items", [])
        )
        reason = f"<p>{e(entry['reason'])}</p>" if entry.get("reason") else ""
        parts.append(
            f"<section><h2>{e(entry.get('title') or entry['report'])}</h2>"
            f"<p><code>{e(entry['report'])}</code>, {e(entry.get('audience', ''))} report: "
            f"<strong>{e(entry.get('status', ''))}</strong></p>{reason}"
            f"<table><caption>Checks applied to {e(entry['report'])}</caption><thead><tr>"
            '<th scope="col">Check</th><th scope="col">Rule</th><th scope="col">Result</th>'
            f'<th scope="col">Suppressed or held back</th></tr></thead><tbody>{rows}</tbody>'
            "</table>"
            + (
                f"<table><caption>Tables and figures in {e(entry['report'])}</caption><thead>"
                '<tr><th scope="col">Item</th><th scope="col">Caption</th>'
                '<th scope="col">Checks</th><th scope="col">Result</th>'
                '<th scope="col">Cells suppressed</th></tr></thead>'
                f"<tbody>{items}</tbody></table>"
                if items
                else "<p>No tables or figures recorded.</p>"
            )
            + "</section>"
        )
    build = record.get("build", {})
    summary = (
        f"Floor: {e(str(build.get('min_n_floor', '')))} respondents; briefing counts rounded "
        f"to the nearest {e(str(build.get('count_rounding', '')))}. Written "
        f"{e(str(build.get('written_at', '')))}."
    )
    css = (
        "body{font-family:system-ui,sans-serif;max-width:75rem;margin:0 auto;padding:0 1rem;"
        "color:#1f2328}h1,h2{color:#1f4e79}table{border-collapse:collapse;width:100%;"
        "margin:0.5rem 0 1rem}th,td{text-align:left;vertical-align:top;padding:0.3rem 0.5rem;"
        "border-bottom:1px solid #d0d7de;overflow-wrap:anywhere}th{background:#f6f8fa}"
        "caption{text-align:left;font-weight:600;padding:0.3rem 0}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Output check: Local Conversations reports</title><style>{css}</style></head>"
        "<body><main><h1>Output check</h1>"
        "<p>What was checked before each report was published, for the data owner's "
        f'sign-off (<a href="index.html">back to the reports</a>). {summary}</p>'
        + "".join(parts)
        + "</main></body></html>\n"
    )


def for_run(
    run: Any,
    result: Any,
    workdir: Path,
    counts: Sequence[Mapping[str, Any]],
    *,
    scan: str | None,
    refused: str | None,
    rules: tuple[int, int],
) -> dict[str, Any]:
    """This attempt's entry (:func:`run_checks`) from a finished run's staged notebook."""
    from lozells_analysis.reports.differencing import collect

    nb = None
    name = result.files.get("notebook")
    if name and (workdir / name).is_file():
        nb = json.loads((workdir / name).read_text(encoding="utf-8"))
    return run_checks(
        name=run.name,
        title=run.title,
        audience=run.audience,
        notebook=nb,
        counts=counts,
        records=collect(nb)[1] if nb is not None else [],
        min_n=rules[0],
        rounding=rules[1],
        scan=scan,
        differencing=refused,
        error=None if result.ok else result.error,
    )


def write_output_check(
    runs: Sequence[Any], state: BuildState, reports: Path, floor: int, rounding: int
) -> tuple[Path, Path]:
    """Write ``output-check.json`` and ``output-check.html`` into ``reports`` from the
    checks each run's record holds (runs never attempted are listed as such)."""
    entries = []
    for run in runs:
        rec = state.runs.get(run.name)
        if rec is not None and rec.checks:
            entry = dict(rec.checks)
            if rec.status == "failed" and entry.get("status") == "published":
                entry["status"] = "failed"
        else:
            entry = {
                "report": run.name,
                "title": run.title,
                "audience": run.audience,
                "status": "never checked" if rec is None else rec.status,
                "reason": "",
                "checks": {},
                "items": [],
            }
        entries.append(entry)
    record = {
        "build": {
            "written_at": state.last_build.get("finished_at", ""),
            "min_n_floor": floor,
            "count_rounding": rounding,
        },
        "reports": entries,
    }
    json_path = reports / "output-check.json"
    html_path = reports / "output-check.html"
    write_text_atomic(json_path, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    write_text_atomic(html_path, render_output_check(record))
    return json_path, html_path
