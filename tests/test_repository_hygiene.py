"""What git holds: notebooks without outputs, no survey answers, no built reports.

Survey answers are personal data and reports are regenerated, so neither may enter the
repository: ``data/raw/`` (a researcher's own exports) and ``reports/`` are ignored, and every
notebook is committed stripped of outputs and execution counts (nbstripout in pre-commit).
The notebooks are checked as git holds them (the index), not as they are in someone's
working tree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout


def tracked(*patterns: str) -> list[str]:
    return [line for line in git("ls-files", "-z", "--", *patterns).split("\0") if line]


def ignored(path: str) -> bool:
    """Whether git ignores ``path`` (which need not exist)."""
    result = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "-q", "--no-index", "--", path],
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr)
    return result.returncode == 0


def output_problems(nb: dict) -> list[str]:
    """Why a notebook (as JSON) is not stripped: one line per offending cell."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution count {cell['execution_count']}")
    if "papermill" in nb.get("metadata", {}):
        problems.append("notebook metadata carries a papermill run record")
    return problems


def test_output_check_catches_an_executed_notebook():
    executed = {
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "source": "# T"},
            {
                "cell_type": "code",
                "execution_count": 3,
                "source": "1",
                "outputs": [{"output_type": "execute_result", "data": {"text/plain": "1"}}],
            },
        ],
    }
    assert output_problems(executed) == ["cell 1 has 1 output(s)", "cell 1 has execution count 3"]
    stripped = {
        "metadata": {},
        "cells": [{"cell_type": "code", "execution_count": None, "source": "1", "outputs": []}],
    }
    assert output_problems(stripped) == []


def test_the_report_notebooks_are_in_git():
    notebooks = tracked("notebooks/*.ipynb")
    assert notebooks, "no notebook under notebooks/ is tracked by git"


@pytest.mark.parametrize("path", tracked("*.ipynb") or ["<none tracked>"])
def test_notebooks_in_git_carry_no_outputs(path):
    if path == "<none tracked>":
        pytest.fail("git tracks no notebook at all (see test_the_report_notebooks_are_in_git)")
    nb = json.loads(git("show", f":{path}"))  # the version in git's index
    problems = output_problems(nb)
    assert not problems, (
        f"{path} is committed with outputs ({'; '.join(problems)}). "
        "Strip it: `.venv/bin/nbstripout` or `pre-commit run --all-files`."
    )


def test_nbstripout_runs_before_every_commit():
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "nbstripout" in config


@pytest.mark.parametrize(
    "path",
    [
        "data/raw/survey.csv",
        "data/raw/2019 export.sav",
        "data/raw/waves/wave6.parquet",
        "data/raw/survey.xlsx",
        "data/raw/.hidden.dta",
        "data/raw/mapping.yaml",
        "data/raw/redaction_list.txt",
    ],
)
def test_raw_survey_exports_are_ignored(path):
    assert ignored(path), f"{path} would be committed: data/raw/ must be git-ignored"


@pytest.mark.parametrize("path", ["data/raw/README.md", "data/raw/.gitkeep"])
def test_the_raw_folder_keeps_its_readme(path):
    assert not ignored(path)


def test_nothing_in_data_raw_is_tracked_but_its_readme():
    assert set(tracked("data/raw")) <= {"data/raw/README.md", "data/raw/.gitkeep"}


def test_every_file_now_in_data_raw_is_ignored():
    present = [p for p in (ROOT / "data" / "raw").rglob("*") if p.is_file()]
    exposed = [
        str(p.relative_to(ROOT))
        for p in present
        if p.name not in {"README.md", ".gitkeep"} and not ignored(str(p.relative_to(ROOT)))
    ]
    assert not exposed, f"files in data/raw/ that git would commit: {exposed}"


def test_no_built_report_is_tracked():
    assert tracked("reports") == ["reports/.gitkeep"]


@pytest.mark.parametrize(
    "path",
    [
        "reports/index.html",
        "reports/briefing-lozells.briefing.html",
        "reports/logs/build-1.log",
        "reports/screenshots/index-390.png",
        ".lozells/state.json",
        "data/synthetic/survey.parquet",
        "data/synthetic/redaction_list.txt",
    ],
)
def test_built_and_generated_files_are_ignored(path):
    assert ignored(path)


def test_no_respondent_level_data_file_is_tracked():
    binary = tracked("*.sav", "*.dta", "*.parquet", "*.xlsx", "*.xls", "*.feather", "*.pkl")
    assert not binary, f"survey-like data files tracked by git: {binary}"
    with_ids = []
    for path in tracked("*.csv", "*.tsv"):
        header = git("show", f":{path}").splitlines()[:1]
        if header and "respondent_id" in header[0]:
            with_ids.append(path)
    assert not with_ids, f"tracked tables with a respondent_id column: {with_ids}"


def declared_parameters(nb: dict) -> list[str]:
    """The names assigned in a notebook's cell tagged ``parameters`` (read with ``ast``)."""
    import ast

    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"])
            names = []
            for node in ast.parse(source).body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.append(node.target.id)
                elif isinstance(node, ast.Assign):
                    names += [t.id for t in node.targets if isinstance(t, ast.Name)]
            return names
    return []


@pytest.mark.parametrize("path", tracked("notebooks/*.ipynb") or ["<none tracked>"])
def test_every_notebook_parameter_can_be_set_from_the_catalogue(path, tmp_path):
    """Every name a notebook's parameters cell declares is one ``reports.yaml`` can set
    (``lozells params`` lists it); a parameter the pipeline cannot see cannot be pointed at
    a researcher's own data."""
    from lozells_analysis.reports.parameters import notebook_parameters

    if path == "<none tracked>":
        pytest.fail("git tracks no notebook under notebooks/")
    copy = tmp_path / Path(path).name
    copy.write_text(git("show", f":{path}"), encoding="utf-8")
    declared = declared_parameters(json.loads(copy.read_text(encoding="utf-8")))
    assert declared, f"{path} has no cell tagged 'parameters'"
    visible = [p.name for p in notebook_parameters(copy)]
    missing = [name for name in declared if name not in visible]
    assert not missing, (
        f"{path}: parameters {missing} are declared but invisible to `lozells params` and "
        "reports.yaml (papermill cannot parse their line: no '=' in a parameter's comment)"
    )
