"""The publish gate: planted personal data is never published, ``min_n`` has a floor, and no
machine path appears under ``reports/`` (issue 13)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from lozells_analysis.exceptions import CatalogueError
from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.plan import load_project_catalogue
from lozells_analysis.reports.scan import scan_html, scan_text
from lozells_analysis.reports.state import BuildState
from lozells_analysis.stats import qualitative as q
from lozells_analysis.stats.disclosure import redact

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

# Forms the old patterns missed: a full-width at sign, a phone with slashes, a phone with a
# space between every digit, a postcode with a non-breaking space, a thin-space phone, an
# international number.
PLANTED = {
    "email": "jo.smith\uff20example.org",
    "phone": "0121/496/0123",
    "spaced phone": "0 7 7 0 0 9 0 0 1 2 3",
    "postcode": "B19\u00a04AB",
    "thin-space phone": "07700\u2009900\u2009123",
    "international phone": "+33 1 42 68 53 00",
}


# --- the scan and redaction normalise the text ------------------------------------------------


@pytest.mark.parametrize("form", list(PLANTED))
def test_scan_finds_planted_forms(form):
    found = scan_html(f"<p>Contact: {PLANTED[form]} please.</p>", names=[])
    assert found, f"{form} not found"
    assert {f.kind for f in found} <= {"email", "phone", "postcode"}
    assert scan_text(f"x,{PLANTED[form]}\n", "data.csv", names=[])


@pytest.mark.parametrize("form", list(PLANTED))
def test_redact_removes_planted_forms(form):
    out = redact(f"Contact: {PLANTED[form]} please.")
    assert out in {
        "Contact: [email] please.",
        "Contact: [phone] please.",
        "Contact: [postcode] please.",
    }


def test_no_false_positives_on_ordinary_numbers():
    page = (
        "<p>Based on 1,204 respondents in 2024 2025; estimate 0.0123456789; "
        "SHA-256 3f20121496012356ab; built 2025-01-01T00:00:00+00:00.</p>"
        "<pre>0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10</pre>"
    )
    assert [f for f in scan_html(page, names=[]) if f.kind == "phone"] == []


def test_context_columns_beside_quotes_are_redacted():
    ex = pd.DataFrame(
        {
            "excerpt_id": ["1"],
            "codes": ["trust"],
            "text": ["It was fine."],
            "participant_group": ["carers, ring 0121/496/0123"],
            "stakeholder_type": ["jo\uff20example.org"],
        }
    )
    out = q.quotes(ex, "trust", context=("participant_group", "stakeholder_type"))
    assert out.loc[0, "participant_group"] == "carers, ring [phone]"
    assert out.loc[0, "stakeholder_type"] == "[email]"


# --- the min_n floor --------------------------------------------------------------------------

MIN_N_CELLS = [
    helpers.markdown("# Counts"),
    helpers.code("min_n: int = 10  # smallest count shown", ["parameters"]),
    helpers.code("print(min_n)"),
]


def _floor_project(root: Path, min_n: int, floor: int | None = None):
    catalogue = (
        "reports:\n  - id: counts\n    notebook: notebooks/counts.ipynb\n"
        f"    audience: briefing\n    parameters: {{min_n: {min_n}}}\n"
    )
    project = helpers.make_project(root, catalogue, {"counts.ipynb": MIN_N_CELLS})
    if floor is not None:
        (root / "pyproject.toml").write_text(f"[tool.lozells]\nmin_n_floor = {floor}\n")
    return project


def test_min_n_below_default_floor_is_a_catalogue_error(tmp_path):
    project = _floor_project(tmp_path, 1)
    with pytest.raises(
        CatalogueError, match=r"entry 'counts': min_n = 1 is below the project floor of 10"
    ):
        load_project_catalogue(project)


def test_min_n_floor_comes_from_the_project_configuration(tmp_path):
    project = _floor_project(tmp_path, 15, floor=20)
    with pytest.raises(CatalogueError, match="floor of 20"):
        load_project_catalogue(project)
    (tmp_path / "pyproject.toml").write_text("[tool.lozells]\nmin_n_floor = 15\n")
    assert load_project_catalogue(project).runs[0].parameters == {"min_n": 15}


def test_min_n_below_floor_in_for_each_is_refused(tmp_path):
    catalogue = (
        "reports:\n  - id: counts\n    notebook: notebooks/counts.ipynb\n"
        "    audience: briefing\n    for_each: {min_n: [10, 3]}\n"
    )
    project = helpers.make_project(tmp_path, catalogue, {"counts.ipynb": MIN_N_CELLS})
    with pytest.raises(CatalogueError, match="min_n = 3"):
        load_project_catalogue(project)


# --- the gate in a build ----------------------------------------------------------------------

PRINTING = [
    helpers.markdown("# Printing report"),
    helpers.code('data_path: str = ""  # the file to print', ["parameters"]),
    helpers.code(
        "from lozells_analysis.data.tracking import record_read\n"
        "record_read(data_path, synthetic=True)\n"
        "print(open(data_path, encoding='utf-8').read())\n"
        "import sys; print('CONTENT', open(data_path, encoding='utf-8').read(), file=sys.stderr)"
    ),
]


def _files_text(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="replace")
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.slow
def test_planted_personal_data_holds_the_run_back(tmp_path):
    data = tmp_path / "data" / "responses.csv"
    data.parent.mkdir()
    data.write_text("area,count\nLozells,40\n", encoding="utf-8")
    catalogue = (
        "reports:\n  - id: pack\n    notebook: notebooks/print.ipynb\n"
        "    audience: briefing\n    parameters: {data_path: data/responses.csv}\n"
    )
    project = helpers.make_project(tmp_path, catalogue, {"print.ipynb": PRINTING})
    (tmp_path / "notebooks" / "data").symlink_to(tmp_path / "data")
    first = build(project)
    assert first.ok, first.failed
    good = (project.reports / "pack.briefing.html").read_bytes()

    data.write_text(
        "area,contact\n" + "".join(f"Lozells,{v}\n" for v in PLANTED.values()), encoding="utf-8"
    )
    second = build(project, BuildOptions(force=True))
    assert not second.ok
    [failed] = second.failed
    assert failed.error.startswith("held back: ")
    assert "personal-data findings" in failed.error and "briefing view" in failed.error
    assert "phone" in failed.error and "email" in failed.error and "postcode" in failed.error
    # the last good report stays; the run is marked failed; the index says why
    assert (project.reports / "pack.briefing.html").read_bytes() == good
    record = BuildState.load(project.state_file).runs["pack"]
    assert record.status == "failed" and record.error == failed.error
    index = (project.reports / "index.html").read_text(encoding="utf-8")
    assert "held back: " in index
    # no planted value, in any form, anywhere under reports/ (index, logs, reports)
    for name, text in _files_text(project.reports).items():
        scan = scan_html if name.endswith(".html") else scan_text
        found = [f for f in scan(text, names=[]) if f.kind != "small-count"]
        assert not found, (name, found)
        for value in PLANTED.values():
            assert value not in text, (name, value)
    # the full log is kept outside the published folder
    private = (project.state_dir / "logs" / "pack.log").read_text(encoding="utf-8")
    assert PLANTED["phone"] in private


@pytest.mark.slow
def test_no_machine_path_under_reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    outside = tmp_path_factory.mktemp("elsewhere") / "export.csv"
    outside.write_text("area,count\nAston,50\n", encoding="utf-8")
    catalogue = (
        "reports:\n  - id: far\n    notebook: notebooks/print.ipynb\n"
        f"    audience: research\n    parameters: {{data_path: {outside}}}\n"
        "  - id: near\n    notebook: notebooks/print.ipynb\n"
        f"    audience: briefing\n    parameters: {{data_path: {root / 'inside.csv'}}}\n"
    )
    (root / "inside.csv").write_text("area,count\nLozells,40\n", encoding="utf-8")
    project = helpers.make_project(root, catalogue, {"print.ipynb": PRINTING})
    summary = build(project, BuildOptions(jobs=2))
    assert summary.ok, summary.failed
    base = str(root.parent)
    texts = _files_text(project.reports)
    assert "far.research.html" in texts and "near.ipynb" in texts and "logs/near.log" in texts
    for name, text in texts.items():
        for path in (str(root), str(outside.parent), base):
            assert path not in text, (name, path)
    header = texts["far.research.html"]
    assert 'data_path = "export.csv"' in header
    # a briefing view shows no parameters at all (#14); its research view shows them relative
    assert "data_path" not in texts["near.briefing.html"]
    assert 'data_path = "inside.csv"' in texts["near.research.html"]
    nb = json.loads(texts["near.ipynb"])
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/print.ipynb"
    assert nb["metadata"]["papermill"]["output_path"] == "near.ipynb"
    assert nb["metadata"]["papermill"]["parameters"] == {"data_path": "inside.csv"}


def test_images_embedded_in_notebook_outputs_are_not_scanned_as_text():
    from lozells_analysis.reports.gate import _notebook_text
    from lozells_analysis.stats.disclosure import find_personal, normalise

    html = '<img src="data:image/png;base64,AlJQ/W5 5EV/Gud+07700900123==">'
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "",
                "outputs": [{"output_type": "display_data", "data": {"text/html": html}}],
            }
        ]
    }
    assert find_personal(normalise(_notebook_text(nb))) == []
