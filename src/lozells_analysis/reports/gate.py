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

import base64
import binascii
import functools
import html
import io
import json
import logging
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lozells_analysis.reports.provenance import shown_parameters
from lozells_analysis.reports.publish import write_text_atomic
from lozells_analysis.reports.scan import Finding, scan_html, scan_text
from lozells_analysis.stats.disclosure import find_personal, name_pattern, normalise

__all__ = [
    "GATED_KINDS",
    "Scrubber",
    "Unscannable",
    "clean_message",
    "embedded_downloads",
    "held_back",
    "pdf_text",
    "prepare_run",
    "scrub_published_page",
    "split_log",
    "spreadsheet_text",
]

log = logging.getLogger(__name__)

#: The findings that hold a run back (the small-count rules of the scan are advisory here:
#: the tables suppress small cells themselves).
GATED_KINDS = ("respondent-id", "email", "phone", "postcode", "name", "respondent-column")
_VIEW_WORDS = {
    "research": "the research view",
    "briefing": "the briefing view",
    "notebook": "the published notebook",
    "pdf": "the PDF",
    "xlsx": "the spreadsheet",
    "spreadsheet": "the spreadsheet",
    "csv": "the CSV download",
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
    downloads = [body for _, body in embedded_downloads(text)]  # CSV links: decoded, scanned
    return "\n".join([_DATA_URI.sub("data:", text), *downloads])


def _rewrite_notebook(path: Path, run: Any, scrub: Scrubber) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    papermill = nb.get("metadata", {}).get("papermill")
    if isinstance(papermill, dict):
        papermill["input_path"] = run.notebook_display
        papermill["output_path"] = path.name
        papermill["parameters"] = shown_parameters(dict(run.parameters), scrub.root)
    path.write_text(scrub(json.dumps(nb, indent=1, ensure_ascii=False)), encoding="utf-8")


class Unscannable(Exception):
    """A published file whose text cannot be read, so it cannot be checked."""


@functools.lru_cache(maxsize=4)
def pdf_text(data: bytes) -> str:
    """The text of a PDF (every page), read with ``pypdf``; remembered for the last few
    PDFs, since the gate reads each one's text twice (for personal data and for machine
    paths) and extracting it takes about a second.

    Raises
    ------
    Unscannable
        If ``pypdf`` is not installed or the PDF cannot be read: a file that cannot be
        checked is not published.
    """
    try:
        import pypdf
    except ImportError:
        raise Unscannable("the PDF cannot be checked: pypdf is not installed") from None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        meta = " ".join(str(v) for v in (reader.metadata or {}).values())
        return "\n".join([meta, *(page.extract_text() or "" for page in reader.pages)])
    except Exception as exc:  # noqa: BLE001 - any unreadable PDF is held back
        raise Unscannable(f"the PDF cannot be read ({type(exc).__name__})") from None


def spreadsheet_text(data: bytes) -> str:
    """Every cell, sheet name and document property of an ``.xlsx`` workbook, as text.

    Raises
    ------
    Unscannable
        If the workbook cannot be read.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is held back
        raise Unscannable(f"a spreadsheet cannot be read ({type(exc).__name__})") from None
    props = book.properties
    parts = [
        str(getattr(props, key) or "")
        for key in ("title", "subject", "creator", "lastModifiedBy", "description", "keywords")
    ]
    for sheet in book.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            # " | " between cells, as the HTML scan reads each cell on its own: a row of small
            # counts ("0 0 1 0 2 1 0 0 0 0") is not one long phone number
            parts.append(" | ".join(_cell_text(v) for v in row))
    book.close()
    return "\n".join(parts)


def _cell_text(value: Any) -> str:
    """A cell as the scan reads it: a fraction to 6 significant digits (``0.21333333333333335``
    is a share, and its 17 digits would otherwise read as a phone number), a whole number in
    full, text as it is.

    Examples
    --------
    >>> _cell_text(0.21333333333333335), _cell_text(7700900123.0), _cell_text(None)
    ('0.213333', '7700900123', '')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    return str(value)


_DOWNLOAD = re.compile(
    r"data:(text/csv|text/plain|text/tab-separated-values|application/json|"
    r"application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)"
    r"((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,([^\"'\s<>]*)",
    re.I,
)


def embedded_downloads(page: str) -> list[tuple[str, str]]:
    """The downloads embedded in an HTML page as ``data:`` links (CSV, text, JSON, .xlsx),
    decoded: ``(kind, text)`` for each.

    Examples
    --------
    >>> import base64
    >>> link = "data:text/csv;base64," + base64.b64encode(b"a,b\\nx,jo@x.org").decode()
    >>> embedded_downloads(f'<a href="{link}" download="t.csv">CSV</a>')
    [('text/csv', 'a,b\\nx,jo@x.org')]
    """
    found = []
    for match in _DOWNLOAD.finditer(html.unescape(page)):
        mime, _, b64, payload = match.groups()
        try:
            raw = base64.b64decode(payload) if b64 else urllib.parse.unquote_to_bytes(payload)
        except (ValueError, binascii.Error):
            raise Unscannable(f"an embedded {mime} download cannot be decoded") from None
        if mime.lower().endswith("sheet"):
            found.append((mime, spreadsheet_text(raw)))
        else:
            found.append((mime, raw.decode("utf-8", errors="replace")))
    return found


def _scan_file(path: Path, view: str, names: Sequence[str]) -> list[Finding]:
    """The gated findings in one staged file (any format the build publishes)."""
    found: list[Finding] = []
    if path.suffix == ".pdf":
        found = scan_text(pdf_text(path.read_bytes()), "PDF text", names=names)
    elif path.suffix == ".xlsx":
        found = scan_text(spreadsheet_text(path.read_bytes()), "spreadsheet", names=names)
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            found = scan_html(text, names=names)
            for mime, body in embedded_downloads(text):
                found += scan_text(body, f"embedded {mime} download", names=names)
        elif path.suffix == ".ipynb":
            found = scan_text(_notebook_text(json.loads(text)), "notebook", names=names)
        else:
            found = scan_text(text, path.name, names=names)
    return [Finding(f.kind, f.where, f.value, view) for f in found if f.kind in GATED_KINDS]


def scrub_published_page(path: Path, names: Sequence[str]) -> list[Finding]:
    """Scan a page the build writes itself (the index, the output-check record); anything
    personal found is replaced by its kind in brackets and the page rewritten. Returns the
    findings (values masked)."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    scanner = scan_html if path.suffix == ".html" else scan_text
    found = [f for f in scanner(text, names=names) if f.kind in GATED_KINDS]
    if found:
        log.error(
            "%s held %d personal-data finding(s) (%s); replaced by their kinds",
            path.name,
            len(found),
            ", ".join(dict.fromkeys(f.kind for f in found)),
        )
        cleaned = clean_message(text, Scrubber(""), names) or ""
        write_text_atomic(path, cleaned)
    return found


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


def _shows_machine_path(path: Path, scrub: Scrubber) -> bool:
    """Whether a binary file's text (a PDF, whose text cannot be rewritten) shows the project
    or staging folder, or whether it links to a ``file:`` address (an absolute path on the
    machine that printed it). The build prints the PDF from a page already scrubbed and
    makes its links relative (``downloads.add_downloads``, ``pdf.relative_links``), so this
    is the safety net behind them."""
    data = path.read_bytes()
    text = pdf_text(data)
    if any(p and p.rstrip("/") + "/" in text for p in (scrub.root, scrub.staging)):
        return True
    return any(uri.startswith("file:") or uri.startswith("/") for uri in pdf_links(data))


def pdf_links(data: bytes) -> list[str]:
    """The addresses a PDF's link annotations point to.

    Raises
    ------
    Unscannable
        If the PDF cannot be read.
    """
    import pypdf

    from lozells_analysis.reports.pdf import link_actions

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        return [str(action["/URI"]) for action in link_actions(reader.pages)]
    except Exception as exc:  # noqa: BLE001 - any unreadable PDF is held back
        raise Unscannable(f"the PDF cannot be read ({type(exc).__name__})") from None


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
        if path.suffix in (".html", ".ipynb", ".csv", ".txt", ".md", ".json", ".pdf", ".xlsx"):
            try:
                findings += _scan_file(path, view, names)
                if path.suffix == ".pdf" and _shows_machine_path(path, scrub):
                    return "held back: the PDF shows a machine path (it cannot be rewritten)"
            except Unscannable as exc:  # what cannot be checked is not published
                return f"held back: {exc}"
        else:
            return (
                f"held back: {_VIEW_WORDS.get(view, view)} is a kind of file the check cannot read"
            )
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
