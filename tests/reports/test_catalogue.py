"""reports.yaml: expansion, output names, and rejection of bad entries before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lozells_analysis.exceptions import CatalogueError
from lozells_analysis.reports.catalogue import load_catalogue
from lozells_analysis.reports.parameters import notebook_parameters, value_matches

PARAMS = (
    'neighbourhood: str = "Lozells"  # which neighbourhood\n'
    "waves: list = [1, 2, 3]  # survey waves\n"
    "level: float = 0.95  # confidence level\n"
    "min_n: int = 10  # smallest cell shown\n"
    "show_notes = True\n"
)


def write_notebook(path: Path, params: str = PARAMS, title: str = "Tiny report") -> Path:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {
                "name": "lozells-analysis",
                "language": "python",
                "display_name": "Python (lozells-analysis)",
            },
            "language_info": {"name": "python"},
        },
        "cells": [
            {"cell_type": "markdown", "id": "t", "metadata": {}, "source": f"# {title}\n"},
            {
                "cell_type": "code",
                "id": "p",
                "metadata": {"tags": ["parameters"]},
                "execution_count": None,
                "outputs": [],
                "source": params,
            },
            {
                "cell_type": "code",
                "id": "b",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": "print(neighbourhood)",
            },
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def catalogue(tmp_path: Path, body: str) -> Path:
    write_notebook(tmp_path / "notebooks" / "nb.ipynb")
    path = tmp_path / "reports.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_for_each_expands_to_one_run_per_value_named_from_id_and_value(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - id: pack
    notebook: notebooks/nb.ipynb
    audience: briefing
    parameters: {min_n: 15}
    for_each: {neighbourhood: [Lozells, Lozells East]}
  - id: quality
    notebook: notebooks/nb.ipynb
    audience: research
""",
    )
    runs = load_catalogue(path).runs
    assert [r.name for r in runs] == ["pack-lozells", "pack-lozells-east", "quality"]
    assert runs[1].parameters == {"min_n": 15, "neighbourhood": "Lozells East"}
    assert runs[1].title == "Tiny report: Lozells East"
    assert runs[2].title == "Tiny report"
    assert runs[0].kernel == "lozells-analysis" and runs[0].cell_timeout == 600


def test_unknown_parameter_is_rejected_listing_the_valid_ones(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - id: quality
    notebook: notebooks/nb.ipynb
    audience: research
    parameters: {neighborhood: Aston}
""",
    )
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    message = str(err.value)
    assert "no parameter 'neighborhood'" in message
    assert "neighbourhood (str), waves (list), level (float), min_n (int)" in message


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("{level: high}", "'level' of notebooks/nb.ipynb must be float, got str"),
        ("{min_n: 2.5}", "'min_n' of notebooks/nb.ipynb must be int, got float"),
        ("{waves: 3}", "'waves' of notebooks/nb.ipynb must be list, got int"),
        ("{min_n: true}", "'min_n' of notebooks/nb.ipynb must be int, got bool"),
        ("{show_notes: 1}", "'show_notes' of notebooks/nb.ipynb must be bool, got int"),
    ],
)
def test_mistyped_parameter_is_rejected(tmp_path, params, expected):
    path = catalogue(
        tmp_path,
        f"""
reports:
  - id: quality
    notebook: notebooks/nb.ipynb
    audience: research
    parameters: {params}
""",
    )
    with pytest.raises(CatalogueError, match=expected):
        load_catalogue(path)


def test_mistyped_for_each_value_is_rejected(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - id: pack
    notebook: notebooks/nb.ipynb
    audience: briefing
    for_each: {level: [0.9, "0.95"]}
""",
    )
    with pytest.raises(CatalogueError, match="'level' .* must be float, got str '0.95'"):
        load_catalogue(path)


def test_an_int_is_accepted_for_a_float_parameter(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - {id: q, notebook: notebooks/nb.ipynb, audience: research, parameters: {level: 1}}
""",
    )
    assert load_catalogue(path).runs[0].parameters == {"level": 1}


def test_missing_notebook_is_a_catalogue_error(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - {id: gone, notebook: notebooks/does_not_exist.ipynb, audience: research}
""",
    )
    with pytest.raises(CatalogueError, match="notebooks/does_not_exist.ipynb does not exist"):
        load_catalogue(path)


def test_every_problem_is_reported_at_once(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - {id: a, notebook: notebooks/nb.ipynb, audience: public}
  - {id: b, notebook: notebooks/nb.ipynb, audience: research, parameters: {x: 1}}
  - {id: a, notebook: notebooks/nb.ipynb, audience: research, colour: red}
""",
    )
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    message = str(err.value)
    assert "has 4 problem(s)" in message
    assert "'audience' must be one of" in message
    assert "no parameter 'x'" in message
    assert "unknown key(s) ['colour']" in message
    assert "output name(s) ['a']" in message


def test_empty_catalogue_has_no_runs(tmp_path):
    path = tmp_path / "reports.yaml"
    path.write_text("# nothing yet\nreports: []\n")
    assert load_catalogue(path).runs == []


def test_select_by_id_or_name_and_reject_unknown_ids(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - id: pack
    notebook: notebooks/nb.ipynb
    audience: briefing
    for_each: {neighbourhood: [Lozells, Aston]}
  - {id: quality, notebook: notebooks/nb.ipynb, audience: research}
""",
    )
    cat = load_catalogue(path)
    assert [r.name for r in cat.select(["pack"])] == ["pack-lozells", "pack-aston"]
    assert [r.name for r in cat.select(["pack-aston"])] == ["pack-aston"]
    assert len(cat.select([])) == 3
    with pytest.raises(CatalogueError, match="valid ids: pack, pack-aston"):
        cat.select(["nope"])


def test_parameter_inspection_is_cached_by_notebook_content(tmp_path):
    nb = write_notebook(tmp_path / "nb.ipynb")
    cache = tmp_path / "cache.json"
    first = notebook_parameters(nb, cache=cache)
    assert [(p.name, p.type, p.help) for p in first][:2] == [
        ("neighbourhood", "str", "which neighbourhood"),
        ("waves", "list", "survey waves"),
    ]
    assert first[-1].name == "show_notes" and first[-1].type == "bool"  # from the literal
    stored = json.loads(cache.read_text())
    assert len(stored["notebooks"]) == 1
    write_notebook(nb, params='neighbourhood: str = "Aston"\n')
    assert [p.name for p in notebook_parameters(nb, cache=cache)] == ["neighbourhood"]
    assert len(json.loads(cache.read_text())["notebooks"]) == 2


@pytest.mark.parametrize(
    ("value", "type_name", "ok"),
    [
        ("x", "str", True),
        (1, "str", False),
        (None, "Optional[str]", True),
        (None, "str", False),
        ([1], "list[int]", True),
        ({"a": 1}, "dict", True),
        (1.5, "int", False),
        (True, "bool", True),
        ("anything", "None", True),
        (3, "int | None", True),
        ("3", "int | None", False),
    ],
)
def test_value_matches(value, type_name, ok):
    assert value_matches(value, type_name) is ok


def test_a_parameter_papermill_cannot_read_is_an_error_naming_the_line(tmp_path):
    """papermill only logs a warning and skips a line with two '='; the catalogue says why."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell('data_path: str = ""  # "" = synthetic\nlevel: float = 0.95')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CatalogueError, match=r"'data_path'.*line 1.*more than one '='"):
        notebook_parameters(path)


def test_an_entry_can_opt_out_of_the_pdf_and_give_its_index_sentence(tmp_path):
    path = catalogue(
        tmp_path,
        """
reports:
  - id: pack
    notebook: notebooks/nb.ipynb
    audience: briefing
    pdf: false
    summary: What {area} residents said.
    for_each: {neighbourhood: [Lozells]}
  - id: other
    notebook: notebooks/nb.ipynb
    audience: briefing
""",
    )
    pack, other = load_catalogue(path).runs
    assert pack.pdf is False and pack.summary == "What {area} residents said."
    assert other.pdf is True and other.summary == ""


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("audience: briefing\n    pdf: sometimes", "'pdf' must be true or false"),
        ("audience: research\n    pdf: true", "'pdf: true' is for briefing packs only"),
        ("audience: research\n    summary: [a, b]", "'summary' must be one sentence"),
    ],
)
def test_pdf_and_summary_are_checked(tmp_path, entry, message):
    path = catalogue(
        tmp_path,
        f"reports:\n  - id: pack\n    notebook: notebooks/nb.ipynb\n    {entry}\n",
    )
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)
