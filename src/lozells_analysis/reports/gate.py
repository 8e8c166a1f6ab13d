"""The publish gate: nothing personal and no machine detail leaves the staging folder.

Before a successful run is moved into ``reports/`` (:mod:`.publish`), :func:`prepare_run`

1. rewrites every staged file so it shows no machine path: the project root becomes a path
   relative to it, an absolute parameter value outside it becomes its file name, the staging
   folder disappears, and the published notebook's papermill metadata (input and output
   paths, parameters) is rewritten the same way;
2. scans every staged file with the personal-data rules of
   :mod:`lozells_analysis.stats.disclosure` (through :mod:`.scan`, which normalises the text
   first): both HTML views, the notebook (its code, outputs and metadata), CSV and text
   downloads. A run with any finding is *held back*: it is not published, its last good
   report stays, and it is marked failed with a reason that names the kinds of finding and
   where, never the values ("held back: 2 personal-data findings (phone, email) in the
   briefing view").

:func:`split_log` keeps a run's full log (the notebook's output, tracebacks: they can hold
data values) under ``.lozells/logs/`` and gives the published one with personal data
redacted and paths scrubbed; :func:`clean_message` does the same to a one-line error before
it reaches the index or the console.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lozells_analysis.reports.provenance import shown_parameters
from lozells_analysis.reports.scan import Finding, scan_html, scan_text
from lozells_analysis.stats.disclosure import find_personal, name_pattern, normalise

__all__ = ["GATED_KINDS", "Scrubber", "clean_message", "held_back", "prepare_run", "split_log"]

#: The findings that hold a run back (the small-count rules of the scan are advisory here:
#: the tables suppress small cells themselves).
GATED_KINDS = ("respondent-id", "email", "phone", "postcode", "name", "respondent-column")
_VIEW_WORDS = {
    "research": "the research view",
    "briefing": "the briefing view",
    "notebook": "the published notebook",
    "pdf": "the PDF",
    "log": "the log",
}
# images embedded in an HTML output: base64, not text (it can spell a postcode by chance)
_DATA_URI = re.compile(r"data:[\w.+/-]+;base64,[A-Za-z0-9+/=\s]*")
# inline SVG charts: their path data is numbers (it can look like a phone number by chance);
# only the text they show (labels, <title>) is scanned
_SVG = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
_TEXT_OUTPUTS = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


@dataclass
class Scrubber:
    """Replaces machine paths in text: the project root (made relative), the staging folder
    (removed) and absolute parameter values outside the root (their file names).

    Examples
    --------
    >>> s = Scrubber("/srv/lozells", {"data_path": "/mnt/x/w6.csv"}, "/srv/lozells/.st/r")
    >>> s("read /mnt/x/w6.csv and /srv/lozells/data/a.csv in /srv/lozells/.st/r/out.ipynb")
    'read w6.csv and data/a.csv in out.ipynb'
    """

    root: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    staging: str = ""
    _pairs: list[tuple[str, str]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        shown = shown_parameters(dict(self.parameters), self.root)
        pairs: dict[str, str] = {}
        for key, value in self.parameters.items():
            if isinstance(value, str) and value != shown[key]:
                pairs[value] = str(shown[key])
        if self.staging:
            pairs[self.staging.rstrip("/") + "/"] = ""
            pairs[self.staging.rstrip("/")] = "."
        root = self.root.rstrip("/")
        if root:
            pairs[root + "/"] = ""
            pairs[root] = "."
            resolved = str(Path(root).resolve())
            if resolved != root:
                pairs[resolved + "/"] = ""
                pairs[resolved] = "."
        self._pairs = sorted(pairs.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, text: str) -> str:
        for old, new in self._pairs:
            text = text.replace(old, new)
        return text


def clean_message(text: str | None, scrub: Scrubber, names: Sequence[str]) -> str | None:
    """A message (an error, a log) without machine paths or personal data: each finding is
    replaced by its kind in brackets.

    Examples
    --------
    >>> clean_message("bad row LC0001234 at /srv/p/data/w.csv", Scrubber("/srv/p"), [])
    'bad row [respondent-id] at data/w.csv'
    """
    if text is None:
        return None
    text = normalise(scrub(text))
    for kind, start, end in sorted(find_personal(text), key=lambda f: -f[1]):
        text = text[:start] + f"[{kind}]" + text[end:]
    for name in names:
        text = name_pattern(normalise(name)).sub("[name]", text)
    return text


def _notebook_text(nb: dict[str, Any]) -> str:
    """Every piece of text a published notebook carries (not its images)."""
    parts = [json.dumps(nb.get("metadata", {}), ensure_ascii=False)]
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        parts.append("".join(source) if isinstance(source, list) else str(source))
        for out in cell.get("outputs", []):
            for key in ("text", "evalue"):
                value = out.get(key)
                if value:
                    parts.append("".join(value) if isinstance(value, list) else str(value))
            parts.extend(str(line) for line in out.get("traceback", []))
            for mime, value in (out.get("data") or {}).items():
                if mime in _TEXT_OUTPUTS:
                    parts.append("".join(value) if isinstance(value, list) else str(value))
    text = _SVG.sub(lambda m: _TAG.sub(" ", m.group(0)), "\n".join(parts))
    return _DATA_URI.sub("data:", text)


def _rewrite_notebook(path: Path, run: Any, scrub: Scrubber) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    papermill = nb.get("metadata", {}).get("papermill")
    if isinstance(papermill, dict):
        papermill["input_path"] = run.notebook_display
        papermill["output_path"] = path.name
        papermill["parameters"] = shown_parameters(dict(run.parameters), scrub.root)
    path.write_text(scrub(json.dumps(nb, indent=1, ensure_ascii=False)), encoding="utf-8")


def _scan_file(path: Path, view: str, names: Sequence[str]) -> list[Finding]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        found = scan_html(text, names=names)
    elif path.suffix == ".ipynb":
        found = scan_text(_notebook_text(json.loads(text)), "notebook", names=names)
    else:
        found = scan_text(text, path.name, names=names)
    return [Finding(f.kind, f.where, f.value, view) for f in found if f.kind in GATED_KINDS]


def held_back(findings: Sequence[Finding]) -> str | None:
    """The reason a run is held back, naming kinds and places but no value; None if clean.

    Examples
    --------
    >>> held_back([Finding("phone", "text", "07…23", "briefing"),
    ...            Finding("email", "text", "jo…rg", "briefing")])
    'held back: 2 personal-data findings (phone, email) in the briefing view'
    """
    if not findings:
        return None
    kinds = list(dict.fromkeys(f.kind for f in findings))
    places = list(dict.fromkeys(_VIEW_WORDS.get(f.path, f.path) for f in findings))
    where = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
    plural = "s" if len(findings) != 1 else ""
    return (
        f"held back: {len(findings)} personal-data finding{plural} ({', '.join(kinds)}) in {where}"
    )


def prepare_run(
    run: Any, files: Mapping[str, str], workdir: Path, scrub: Scrubber, names: Sequence[str]
) -> str | None:
    """Scrub machine paths from every staged file of ``run`` and scan it; the reason it is
    held back (see :func:`held_back`), or None when it may be published."""
    findings: list[Finding] = []
    for view, name in files.items():
        path = workdir / name
        if view == "log" or not path.is_file():
            continue
        if path.suffix == ".ipynb":
            _rewrite_notebook(path, run, scrub)
        elif path.suffix in (".html", ".csv", ".txt", ".md", ".json"):
            path.write_text(scrub(path.read_text(encoding="utf-8")), encoding="utf-8")
        if path.suffix in (".html", ".ipynb", ".csv", ".txt", ".md", ".json"):
            findings += _scan_file(path, view, names)
    return held_back(findings)


def split_log(
    full: Path, private: Path, published: Path, scrub: Scrubber, names: Sequence[str]
) -> None:
    """Keep the full run log at ``private`` (outside the published folder) and write the
    published one to ``published``: paths scrubbed, personal data replaced by its kind."""
    text = full.read_text(encoding="utf-8", errors="replace")
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_text(text, encoding="utf-8")
    cleaned = clean_message(text, scrub, names) or ""
    cleaned = re.sub(r"\n*$", "\n", cleaned)
    note = (
        "(the full log, which can hold data values, is kept outside the published folder: "
        f"{scrub(str(private))})\n"
    )
    published.write_text(cleaned + note, encoding="utf-8")
