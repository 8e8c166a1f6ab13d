"""What every briefing pack's release says, and the templates it is written with.

The release block's details (``[tool.lozells.release]`` in ``pyproject.toml``), the data
period in years rather than wave numbers, the methods box (design, weights, variance,
intervals, low-reliability rule), and the Jinja templates in ``present/templates/bulletin/``
that :mod:`lozells_analysis.present.bulletin` and the build (a research report's briefing
view opens with :func:`methods_box_html`) fill in.

Examples
--------
>>> period_text([1, 2, 3, 4, 5, 6]), period_text([4])
('2016 to 2019', '2018')
>>> len(METHODS) >= 5 and all(term and text for term, text in methods(10))
True
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.paths import project_root
from lozells_analysis.present.tables import CAUTION, Html

log = logging.getLogger(__name__)

__all__ = [
    "METHODS",
    "STATISTICS_DOC",
    "Release",
    "load_release",
    "methods",
    "methods_box_html",
    "period_text",
    "render_template",
    "season_labels",
]

TEMPLATES = Path(__file__).parent / "templates" / "bulletin"
#: Where the statistics guide is, relative to a built report in ``reports/``.
STATISTICS_DOC = "../docs/statistics.md"
#: The methods box: (term, text); ``{min_n}`` is filled in.
METHODS = (
    (
        "Design",
        "Residents were sampled in each of the thirteen neighbourhoods separately, so each "
        "neighbourhood is its own stratum.",
    ),
    (
        "Weights",
        "Each answer is weighted so that the answers match each neighbourhood's population "
        "and make up for people who did not take part.",
    ),
    (
        "Uncertainty",
        "The margin of each figure allows for the weights and the sampling design "
        "(Taylor linearisation).",
    ),
    (
        "Ranges",
        "Each range is a 95% confidence interval: the true figure for all residents very "
        "probably lies in it (for percentages it is worked out on the log-odds scale, so it "
        "stays between 0% and 100%).",
    ),
    (
        "Reliability",
        "A figure resting on fewer than {min_n} answers is not shown. A figure resting on "
        "few answers, or with a range wider than 20 percentage points, is marked "
        "\u201c{caution}\u201d.",
    ),
)


def methods(min_n: int) -> list[tuple[str, str]]:
    """The methods box's entries with the low-reliability threshold filled in."""
    return [(term, text.format(min_n=min_n, caution=CAUTION)) for term, text in METHODS]


@functools.cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_template(template: str, **context: Any) -> Html:
    """Render one of the bulletin templates (values escaped)."""
    return Html(_environment().get_template(template).render(**context))


def methods_box_html(min_n: int = 10, statistics_doc: str = STATISTICS_DOC) -> str:
    """The short methods box a research report's briefing view opens with (the \u2020 symbol
    for low reliability explained once)."""
    return str(
        render_template(
            "methods_box.html.j2",
            methods=methods(min_n),
            symbol_note="",
            statistics_doc=statistics_doc,
        )
    )


# --- configuration -------------------------------------------------------------------------
@dataclass(frozen=True)
class Release:
    """The release block: from ``[tool.lozells.release]`` in ``pyproject.toml``."""

    release_date: str
    next_update: str
    contact_name: str
    contact_email: str = ""


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def load_release(root: Path | None = None, today: dt.date | None = None) -> Release:
    """The release details; an empty or missing ``release_date`` means the day of the build.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "pyproject.toml").write_text(
    ...         '[tool.lozells.release]\\nnext_update = "Spring 2027"\\n'
    ...         'contact_name = "Evaluation team"\\n')
    ...     r = load_release(Path(d), today=dt.date(2026, 11, 28))
    >>> r.release_date, r.next_update, r.contact_name
    ('28 November 2026', 'Spring 2027', 'Evaluation team')
    """
    file = (root or project_root()) / "pyproject.toml"
    conf: dict[str, Any] = {}
    try:
        conf = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("no release details read from %s: %s", file.name, exc)
    rel = conf.get("tool", {}).get("lozells", {}).get("release", {}) or {}
    date = str(rel.get("release_date") or "") or _long_date(today or dt.date.today())
    return Release(
        release_date=date,
        next_update=str(rel.get("next_update") or "To be announced"),
        contact_name=str(rel.get("contact_name") or "The evaluation team"),
        contact_email=str(rel.get("contact_email") or ""),
    )


def period_text(waves: Sequence[int], codebook: Codebook | None = None) -> str:
    """The calendar years the waves span: ``"2016 to 2019"`` (one year: ``"2018"``)."""
    cb = codebook or load_codebook()
    first = min(cb.waves[int(w)].start.year for w in waves)
    last = max(cb.waves[int(w)].start.year for w in waves)
    return str(first) if first == last else f"{first} to {last}"


def season_labels(codebook: Codebook | None = None, two_lines: bool = False) -> dict[int, str]:
    """Each wave as a reader names it: ``"Spring 2016"`` (from the codebook's wave labels);
    ``two_lines``: ``"Spring\\n2016"`` for a chart's axis.

    Examples
    --------
    >>> season_labels()[1], season_labels(two_lines=True)[6]
    ('Spring 2016', 'Autumn\\n2019')
    """
    cb = codebook or load_codebook()
    out = {}
    for w, v in cb.waves.items():
        m = re.search(r"\(([^)]*)\)", v.label)
        text = m.group(1).capitalize() if m else str(v.start.year)
        out[w] = text.replace(" ", "\n", 1) if two_lines else text
    return out
