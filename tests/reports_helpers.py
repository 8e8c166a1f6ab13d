"""Tiny notebooks and catalogues for the report-pipeline tests (loaded by path by the
tests/test_reports_*.py and tests/test_cli.py modules; not a test module itself)."""

from __future__ import annotations

import json
from pathlib import Path

from lozells_analysis.reports.project import Project

KERNEL = "lozells-analysis"
# a 2x2 red PNG, displayed as an image output
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAjDgEDLr"
    "HNPgAAAABJRU5ErkJggg=="
)


def code(source: str, tags: list[str] | None = None) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": tags or []},
        "execution_count": None,
        "outputs": [],
        "source": source,
    }


def markdown(source: str, tags: list[str] | None = None) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": tags or []}, "source": source}


def write_notebook(path: Path, cells: list[dict]) -> Path:
    for i, cell in enumerate(cells):
        cell.setdefault("id", f"c{i}")
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": KERNEL, "language": "python", "display_name": KERNEL},
            "language_info": {"name": "python"},
        },
        "cells": cells,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def tiny_cells(extra: str = "") -> list[dict]:
    """Title, parameters, a cell recording a read and printing, stderr, a table, an image."""
    return [
        markdown("# Tiny report\n\nWhat it shows."),
        code(
            'data_path: str = ""  # a data file to read\n'
            'greeting: str = "hello"  # what to print\n'
            "n: int = 1  # how many times\n"
            "sleep: float = 0.0  # seconds to wait\n",
            ["parameters"],
        ),
        code(
            "import sys, time\n"
            "from lozells_analysis.data.tracking import record_read\n"
            "if data_path:\n"
            "    record_read(data_path, synthetic=True)\n"
            "time.sleep(sleep)\n"
            "print('GREETING:', greeting * n)\n"
            "print('STDERR-MARKER', file=sys.stderr)" + extra
        ),
        code(
            "from IPython.display import HTML, Image, display\n"
            "import html\n"
            "display(HTML('<table><tr><td>' + html.escape('<script>alert(1)</script>')"
            " + '</td></tr></table>'))\n"
            f"display(Image(data=__import__('base64').b64decode('{PNG}')))"
        ),
        markdown("RESEARCH-ONLY-NOTE", ["research_only"]),
        code("print('REMOVED-CELL')", ["remove_cell"]),
    ]


def failing_cells() -> list[dict]:
    return [
        markdown("# Failing report"),
        code("n: int = 1  # unused", ["parameters"]),
        code("raise ValueError('boom: <b>bad</b> data')"),
    ]


def make_project(root: Path, catalogue: str, notebooks: dict[str, list[dict]]) -> Project:
    """A project under ``root`` whose library is a folder of its own (so that edits to the
    real library by other people do not make these tests rebuild)."""
    for name, cells in notebooks.items():
        write_notebook(root / "notebooks" / name, cells)
    (root / "reports.yaml").write_text(catalogue, encoding="utf-8")
    library = root / "library"
    library.mkdir(exist_ok=True)
    (library / "module.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / "requirements.lock").write_text("pandas==2.2.0\n", encoding="utf-8")
    return Project(
        root=root,
        catalogue=root / "reports.yaml",
        reports=root / "reports",
        state_dir=root / ".lozells",
        library=library,
        lock_file=root / "requirements.lock",
    )
