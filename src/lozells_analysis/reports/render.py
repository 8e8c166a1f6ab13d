"""Rendering an executed notebook to the two HTML views, each one offline file.

* ``research``: code present but folded into ``<details>`` (expandable), every output shown.
* ``briefing``: no code, no prompts, no error outputs or tracebacks, no stderr; cells tagged
  ``research_only`` are left out.

Both use nbconvert's :class:`~nbconvert.HTMLExporter` with the ``lozells`` template (in
``templates/``), which extends JupyterLab's and drops the scripts it loads from CDNs. Image
outputs and markdown attachments are embedded as ``data:`` URIs. :func:`external_references`
then checks the result: a report that would need the network fails the run instead of being
published.

Cell tags the notebooks can use (nbconvert's TagRemovePreprocessor):

``remove_cell``   the cell is left out of both views;
``remove_input``  the cell's code is left out of both views, its output shown;
``remove_output`` the cell's output is left out of both views;
``research_only`` the cell is left out of the briefing view.
"""

from __future__ import annotations

import copy
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lozells_analysis.exceptions import BuildError
from lozells_analysis.present.comparisons import verdict_css
from lozells_analysis.present.headlines import RESEARCH_CLASS
from lozells_analysis.present.release import methods_box_html
from lozells_analysis.reports.provenance import footer_html, header_html, run_provenance

if TYPE_CHECKING:
    from lozells_analysis.reports.job import RunJob

log = logging.getLogger(__name__)

__all__ = ["TAGS", "VIEWS", "external_references", "render_html", "render_views", "view_file"]

TEMPLATES = Path(__file__).parent / "templates"
_RECORD_PREFIX = "application/vnd.lozells."
VIEWS = ("research", "briefing")
TAGS = {
    "remove_cell": "left out of both views",
    "remove_input": "code left out of both views, output shown",
    "remove_output": "output left out of both views",
    "research_only": "left out of the briefing view",
}


def view_file(name: str, view: str) -> str:
    """The file name of a run's view.

    Examples
    --------
    >>> view_file("briefing-lozells", "briefing")
    'briefing-lozells.briefing.html'
    """
    return f"{name}.{view}.html"


def _briefing_notebook(nb: Any) -> Any:
    """A copy of ``nb`` without research-only cells, error outputs or stderr streams."""
    nb = copy.deepcopy(nb)
    kept = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "research_only" in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                _without_research_details(out)
                for out in cell.outputs
                if out.get("output_type") != "error"
                and not (out.get("output_type") == "stream" and out.get("name") == "stderr")
            ]
        else:
            cell.source = _RESEARCH_SPAN.sub("", cell.source)
        kept.append(cell)
    nb.cells = kept
    return nb


#: A technical detail marked for researchers (``headlines.research_detail``); no nesting.
_RESEARCH_SPAN = re.compile(rf'<span class="{re.escape(RESEARCH_CLASS)}">.*?</span>', re.S)


def _without_research_details(out: Any) -> Any:
    """An output whose HTML has no ``lozells-research`` details (p-values and the like)."""
    data = out.get("data") or {}
    if "text/html" in data:
        value = data["text/html"]
        text = "".join(value) if isinstance(value, list) else str(value)
        data["text/html"] = _RESEARCH_SPAN.sub("", text)
    return out


def _drop_records(nb: Any) -> None:
    """Remove the hidden records the library leaves for the build (what each published count
    counts, which disclosure checks ran: ``application/vnd.lozells.*``) from a copy about to
    be rendered; no reader sees them."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                out
                for out in cell.outputs
                if not (
                    out.get("data")
                    and all(str(k).startswith(_RECORD_PREFIX) for k in out.get("data", {}))
                )
            ]


def render_html(
    nb: Any, view: str, *, title: str, header: str = "", footer: str = "", preface: str = ""
) -> str:
    """Render a notebook node to one self-contained HTML page for ``view``.

    ``header``, ``footer`` and ``preface`` (shown just after the notebook's title: the
    methods box of a research report's briefing view) are trusted HTML fragments (already
    escaped by the caller).
    """
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    if view == "briefing":
        nb = _briefing_notebook(nb)
    else:
        nb = copy.deepcopy(nb)
    _drop_records(nb)
    nb.metadata["title"] = title
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
    config.HTMLExporter.preprocessors = ["nbconvert.preprocessors.TagRemovePreprocessor"]
    # nbconvert's exporter constructor is unannotated
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        config=config, template_name="lozells", extra_template_basedirs=[str(TEMPLATES)]
    )
    # Not ``embed_images``: nbconvert then re-parses each inline HTML tag of a markdown cell
    # on its own and breaks it (``<em>x</em>`` becomes ``<em></em>x``). Plots are outputs,
    # embedded anyway; a markdown image pointing at a file is caught by external_references.
    exporter.embed_images = False
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    if view == "briefing":
        exporter.exclude_input = True
    resources = {
        "metadata": {"name": title},
        "lozells": {
            "view": view,
            "header_html": header,
            "footer_html": footer,
            "preface_html": "",
            "verdict_css": verdict_css(),
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return _after_title(body, preface)


def _after_title(page: str, fragment: str) -> str:
    """``page`` with ``fragment`` just after its first ``</h1>`` (the notebook's title), so
    the headings stay in order; before ``</main>`` when the page has no h1.

    Examples
    --------
    >>> _after_title("<main><h1>T</h1><p>x</p></main>", "<aside>m</aside>")
    '<main><h1>T</h1><aside>m</aside><p>x</p></main>'
    """
    if not fragment:
        return page
    at = page.find("</h1>")
    if at >= 0:
        at += len("</h1>")
    else:
        at = page.rfind("</main>")
        at = at if at >= 0 else len(page)
    return page[:at] + fragment + page[at:]


class _ReferenceFinder(HTMLParser):
    _ATTRS = {
        "script": ("src",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "iframe": ("src",),
        "frame": ("src",),
        "embed": ("src",),
        "object": ("data",),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
        "track": ("src",),
        "input": ("src",),
        "image": ("href", "xlink:href"),
        "use": ("href", "xlink:href"),
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        wanted = self._ATTRS.get(tag, ())
        for name, value in attrs:
            if name == "style" and value:
                self._check_css(value)
            if name in wanted and value is not None:
                value = value.strip()
                if tag in ("use", "image") and value.startswith("#"):
                    continue
                if not value.startswith("data:"):
                    self.found.append(f"<{tag} {name}={value[:120]!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data)

    def _check_css(self, css: str) -> None:
        lowered = css.lower()
        start = 0
        while (at := lowered.find("url(", start)) >= 0:
            target = lowered[at + 4 : at + 200].strip().strip("'\"")
            if not target.startswith(("data:", "#")):
                self.found.append(f"css url({css[at + 4 : at + 124]!r})")
            start = at + 4
        if "@import" in lowered:
            self.found.append("css @import")


def external_references(html: str) -> list[str]:
    """Every reference in ``html`` that a browser would fetch from outside the file.

    Scripts, stylesheets, images, frames and media must be inline or ``data:`` URIs; plain
    links (``<a href>``) are navigation, not loading, and are allowed.

    Examples
    --------
    >>> external_references('<img src="data:image/png;base64,AA"><a href="https://x.org">x</a>')
    []
    >>> external_references('<script src="https://cdn.x/require.js"></script><img src="p.png">')
    ["<script src='https://cdn.x/require.js'>", "<img src='p.png'>"]
    """
    finder = _ReferenceFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def render_views(executed: Path, job: RunJob, reads: list[dict], workdir: Path) -> dict[str, str]:
    """Render both views of an executed run into ``workdir``; return view -> file name.

    Raises
    ------
    BuildError
        If a view would load anything from outside the file.
    """
    import nbformat

    nb = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]  # not annotated
    provenance = run_provenance(job.provenance, job, reads)
    files = {}
    for view in VIEWS:
        preface = ""
        if view == "briefing" and job.audience == "research":
            preface = methods_box_html(int(job.parameters.get("min_n", 10) or 10))
        html = render_html(
            nb,
            view,
            title=job.title,
            header=header_html(
                job.title, job.audience, view, provenance["parameters"], provenance
            ),
            footer=footer_html(provenance, view),
            preface=preface,
        )
        problems = external_references(html)
        if problems:
            raise BuildError(
                f"the {view} view of {job.name} would load {len(problems)} resource(s) from "
                f"outside the file, e.g. {problems[0]}; make the notebook embed it (images as "
                "PNG/SVG outputs, no JavaScript widgets)"
            )
        name = view_file(job.name, view)
        (workdir / name).write_text(html, encoding="utf-8")
        files[view] = name
    return files
