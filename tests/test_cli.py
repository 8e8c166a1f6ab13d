"""The ``lozells`` command line: subcommands, output and exit statuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lozells_analysis.cli import main
from lozells_analysis.reports.lock import BuildLock
from lozells_analysis.reports.state import BuildState, RunRecord

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).with_name("reports_helpers.py")
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

TWO_RUNS = """
reports:
  - {id: one, notebook: notebooks/tiny.ipynb, audience: research}
  - {id: two, notebook: notebooks/tiny.ipynb, audience: briefing, parameters: {n: 3}}
"""


def test_params_lists_name_type_default_and_help(tmp_path, capsys):
    nb = helpers.write_notebook(tmp_path / "tiny.ipynb", helpers.tiny_cells())
    assert main(["params", str(nb)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "DEFAULT", "HELP"]
    assert lines[1].split() == ["data_path", "str", '""', "a", "data", "file", "to", "read"]
    assert lines[3].split()[:3] == ["n", "int", "1"]


def test_params_of_a_missing_notebook_is_a_usage_error(tmp_path, capsys):
    assert main(["params", str(tmp_path / "nope.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_build_with_an_invalid_catalogue_exits_2_and_runs_nothing(tmp_path, capsys):
    helpers.make_project(
        tmp_path,
        """
reports:
  - {id: one, notebook: notebooks/tiny.ipynb, audience: research, parameters: {m: 1}}
""",
        {"tiny.ipynb": helpers.tiny_cells()},
    )
    assert main(["--root", str(tmp_path), "build"]) == 2
    err = capsys.readouterr().err
    assert "no parameter 'm'" in err and "valid parameters: data_path (str)" in err
    assert not list((tmp_path / "reports").glob("*.html"))


def test_build_of_an_unknown_id_exits_2(tmp_path, capsys):
    helpers.make_project(tmp_path, TWO_RUNS, {"tiny.ipynb": helpers.tiny_cells()})
    assert main(["--root", str(tmp_path), "build", "three"]) == 2
    assert "valid ids: one, two" in capsys.readouterr().err


def test_build_exits_3_while_another_build_holds_the_lock(tmp_path, capsys):
    helpers.make_project(tmp_path, TWO_RUNS, {"tiny.ipynb": helpers.tiny_cells()})
    with BuildLock(tmp_path / ".lozells" / "build.lock"):
        assert main(["--root", str(tmp_path), "build"]) == 3
        assert main(["--root", str(tmp_path), "clean"]) == 3
    err = capsys.readouterr().err
    assert "another build is running" in err and "--wait" in err


def test_build_of_an_empty_catalogue_succeeds_and_writes_an_index(tmp_path):
    (tmp_path / "reports.yaml").write_text("reports: []\n")
    assert main(["--root", str(tmp_path), "build"]) == 0
    index = (tmp_path / "reports" / "index.html").read_text()
    assert "lists no reports yet" in index
    assert list((tmp_path / "reports" / "logs").glob("build-*.log"))


def test_list_shows_state_and_last_error(tmp_path, capsys):
    helpers.make_project(tmp_path, TWO_RUNS, {"tiny.ipynb": helpers.tiny_cells()})
    state = BuildState(tmp_path / ".lozells" / "state.json")
    state.runs["two"] = RunRecord(
        status="failed",
        error="ValueError: boom (cell [3])",
        attempted_at="2025-01-02T03:04:05+00:00",
    )
    state.save()
    assert main(["--root", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["RUN", "AUDIENCE", "STATE", "LAST", "BUILT", "NOTE"]
    assert out[1].split()[:4] == ["one", "research", "never", "built"]
    assert out[2].split()[:3] == ["two", "briefing", "failed"]
    assert out[2].endswith("ValueError: boom (cell [3])")


def test_clean_removes_reports_and_state_but_keeps_gitkeep(tmp_path, capsys):
    (tmp_path / "reports" / "logs").mkdir(parents=True)
    (tmp_path / "reports" / ".gitkeep").write_text("")
    (tmp_path / "reports" / "a.research.html").write_text("x")
    (tmp_path / ".lozells").mkdir()
    (tmp_path / ".lozells" / "state.json").write_text("{}")
    assert main(["--root", str(tmp_path), "clean"]) == 0
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [".gitkeep"]
    assert not (tmp_path / ".lozells" / "state.json").exists()


def test_generate_calls_write_synthetic(monkeypatch, capsys, tmp_path):
    import lozells_analysis.data.synthetic as synthetic

    written = [tmp_path / "survey.parquet"]
    monkeypatch.setattr(synthetic, "write_synthetic", lambda: written)
    assert main(["generate"]) == 0
    assert capsys.readouterr().out.strip() == str(written[0])


@pytest.mark.slow
def test_build_exit_status_is_0_when_all_succeed_then_1_when_one_fails(tmp_path, capsys):
    helpers.make_project(tmp_path, TWO_RUNS, {"tiny.ipynb": helpers.tiny_cells()})
    assert main(["--root", str(tmp_path), "build", "--jobs", "2"]) == 0
    err = capsys.readouterr().err
    assert "built      one" in err and "built      two" in err
    helpers.write_notebook(tmp_path / "notebooks" / "tiny.ipynb", helpers.failing_cells())
    assert main(["--root", str(tmp_path), "build", "one"]) == 1
    err = capsys.readouterr().err
    assert "FAILED one: ValueError: boom" in err and "logs/one.log" in err


def test_the_command_leaves_out_the_iri_grammar_and_notebooks_still_validate():
    """``lozells`` keeps ``rfc3987_syntax`` (seconds to import) out of its process; nbformat
    still validates a notebook and still rejects a broken one without it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from lozells_analysis.cli import _leave_out_unused_slow_imports\n"
        "_leave_out_unused_slow_imports()\n"
        "import nbformat\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "try:\n"
        "    nbformat.validate({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {},\n"
        "        'cells': [{'cell_type': 'bogus', 'id': 'a', 'metadata': {}, 'source': ''}]})\n"
        "except nbformat.ValidationError:\n"
        "    print('rejected')\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["rejected", "None"], done.stdout
