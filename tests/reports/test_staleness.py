"""Every input that can change a report is fingerprinted, and every published file verified.

One tiny project is built once: four runs of one notebook, each reading one kind of project
file through the library's own loader (comparators, codebook, coding frame, a survey export
beside its ``metadata.json``), and one run that reads nothing. Each input is then changed in
turn: the build must rebuild exactly the runs that read it (a comparator edit, a codebook
edit and a reverted edit are real builds; the other inputs are checked through the plan the
build follows), and a truncated or overwritten published file must be rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from lozells_analysis import paths
from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.plan import load_project_catalogue, plan
from lozells_analysis.reports.project import TEMPLATES
from lozells_analysis.reports.state import BuildState

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

pytestmark = pytest.mark.slow

READER = [
    helpers.markdown("# Reader report"),
    helpers.code(
        'read: str = ""  # which project file to read\nroot: str = ""  # the project folder\n',
        ["parameters"],
    ),
    helpers.code(
        "from pathlib import Path\n"
        "R = Path(root)\n"
        "if read == 'benchmarks':\n"
        "    from lozells_analysis.data.comparators import load_benchmarks\n"
        "    b = load_benchmarks(R / 'data' / 'benchmarks' / 'benchmarks.csv')\n"
        "    print('COMPARATOR', int(b['value'].iloc[0]))\n"
        "elif read == 'codebook':\n"
        "    from lozells_analysis.data.codebook import load_codebook\n"
        "    print('CODEBOOK', load_codebook(R / 'data' / 'codebook.yaml').version)\n"
        "elif read == 'codes':\n"
        "    from lozells_analysis.data.qualitative import load_coding_frame\n"
        "    frame = load_coding_frame(R / 'data' / 'qualitative_codes.yaml')\n"
        "    print('THEMES', len(frame.themes))\n"
        "elif read == 'survey':\n"
        "    from lozells_analysis.data.tracking import record_read\n"
        "    record_read(R / 'data' / 'synthetic' / 'survey.csv', synthetic=True)\n"
        "print('DONE', read)\n"
    ),
]

CATALOGUE = """
defaults: {{cell_timeout: 120, run_timeout: 300}}
reports:
  - id: reader
    notebook: notebooks/reader.ipynb
    audience: briefing
    parameters: {{root: "{root}"}}
    for_each: {{read: [benchmarks, codebook, codes, survey]}}
  - id: plain
    title: Plain report
    notebook: notebooks/reader.ipynb
    audience: research
"""

BENCHMARKS = (
    "measure_id,measure,population,period,value,unit,source\n"
    "change_area_run,Can change the way the area is run (agree),"
    "Local Conversations residents,2016-2019,82,percent,Annual Review 2021\n"
)
ALL = {"reader-benchmarks", "reader-codebook", "reader-codes", "reader-survey", "plain"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("stale")
    data = root / "data"
    (data / "benchmarks").mkdir(parents=True)
    (data / "synthetic").mkdir()
    (data / "benchmarks" / "benchmarks.csv").write_text(BENCHMARKS)
    shutil.copy(paths.data_dir() / "codebook.yaml", data / "codebook.yaml")
    shutil.copy(paths.data_dir() / "qualitative_codes.yaml", data / "qualitative_codes.yaml")
    (data / "synthetic" / "survey.csv").write_text("respondent_id,wave\n1,1\n2,1\n")
    (data / "synthetic" / "metadata.json").write_text(json.dumps({"synthetic": True}))
    shutil.copytree(TEMPLATES, root / "templates")
    (root / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 99\n\n[tool.lozells]\nmin_n_floor = 10\ncount_rounding = 5\n"
    )
    project = helpers.make_project(root, CATALOGUE.format(root=root), {"reader.ipynb": READER})
    project = dataclasses.replace(project, templates=root / "templates")
    summary = build(project, BuildOptions(jobs=2))
    assert summary.ok, [(o.name, o.error) for o in summary.failed]
    return project


def out_of_date(project) -> dict[str, str]:
    """Run name -> why the next build would rebuild it (what ``lozells list`` shows)."""
    state = BuildState.load(project.state_file)
    decisions = plan(project, load_project_catalogue(project).runs, state)
    return {name: reason for name, (reason, _) in decisions.items() if reason}


def built(summary) -> dict[str, str]:
    assert summary.ok, [(o.name, o.error) for o in summary.failed]
    return {o.name: o.reason for o in summary.outcomes if o.status == "built"}


def page(project, name: str, view: str = "briefing") -> str:
    return (project.reports / f"{name}.{view}.html").read_text(encoding="utf-8")


def footer(html: str) -> str:
    return html[html.index('<footer class="lozells-provenance') :]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_file_a_library_loader_reads_is_recorded_and_listed_with_its_hash(project):
    root = project.root
    expected = {
        "reader-benchmarks": ["data/benchmarks/benchmarks.csv"],
        "reader-codebook": ["data/codebook.yaml"],
        "reader-codes": ["data/qualitative_codes.yaml"],
        # the metadata beside a data file decides its SYNTHETIC label: it is an input too
        "reader-survey": ["data/synthetic/metadata.json", "data/synthetic/survey.csv"],
        "plain": [],
    }
    state = BuildState.load(project.state_file)
    for name, files in expected.items():
        reads = sorted(
            Path(r["path"]).relative_to(root).as_posix() for r in state.runs[name].reads
        )
        assert reads == files, name
        annex = footer(page(project, name, "research"))
        for file in files:
            # relative to the project root, with the hash of the bytes read
            assert f"<code>{file}</code>" in annex, (name, file)
            assert sha(root / file) in annex, (name, file)
        assert str(root) not in annex[annex.index("Data files read") :], name
    assert "SYNTHETIC data" in footer(page(project, "reader-survey"))
    # reference files (comparators, codebook) are not survey data: no false "mixed" label
    assert "MIX of real and synthetic" not in footer(page(project, "reader-survey"))
    assert "COMPARATOR 82" in page(project, "reader-benchmarks")
    assert out_of_date(project) == {}


def test_a_comparator_edit_rebuilds_only_its_report_and_so_does_the_revert(project):
    csv = project.root / "data" / "benchmarks" / "benchmarks.csv"
    original = csv.read_text()
    csv.write_text(original.replace(",82,", ",99,"))  # same size: caught by the hash
    assert out_of_date(project) == {"reader-benchmarks": "data/benchmarks/benchmarks.csv changed"}
    assert built(build(project)) == {"reader-benchmarks": "data/benchmarks/benchmarks.csv changed"}
    assert "COMPARATOR 99" in page(project, "reader-benchmarks")
    assert out_of_date(project) == {}

    csv.write_text(original)  # reverted: the published report (99) is stale again
    assert built(build(project)) == {"reader-benchmarks": "data/benchmarks/benchmarks.csv changed"}
    html = page(project, "reader-benchmarks")
    assert "COMPARATOR 82" in html and "COMPARATOR 99" not in html
    assert sha(csv) in footer(html)
    assert out_of_date(project) == {}


def test_a_codebook_edit_rebuilds_only_the_report_that_read_it(project):
    codebook = project.root / "data" / "codebook.yaml"
    codebook.write_text(codebook.read_text() + "# a note added by the data manager\n")
    assert built(build(project)) == {"reader-codebook": "data/codebook.yaml changed"}
    assert sha(codebook) in footer(page(project, "reader-codebook"))
    assert out_of_date(project) == {}


def _edit(project, relative: str, old: str, new: str):
    path = project.root / relative
    before = path.read_bytes()
    text = before.decode()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path, before


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        pytest.param(
            "data/qualitative_codes.yaml",
            "\n",
            "\n# recoded\n",
            {"reader-codes": "data/qualitative_codes.yaml changed"},
            id="coding-frame",
        ),
        pytest.param(
            "data/synthetic/metadata.json",
            "true",
            "false",
            {"reader-survey": "data/synthetic/metadata.json changed"},
            id="metadata",
        ),
        pytest.param(
            "data/synthetic/survey.csv",
            "2,1",
            "2,2",
            {"reader-survey": "data/synthetic/survey.csv changed"},
            id="survey",
        ),
        pytest.param(
            "reports.yaml",
            "title: Plain report",
            "title: Plain",
            {"plain": "title changed"},
            id="title",
        ),
        pytest.param(
            "reports.yaml",
            "audience: research",
            "audience: briefing",
            {"plain": "audience changed"},
            id="audience",
        ),
        pytest.param(
            "templates/lozells/index.html.j2",
            "{%",
            "{# a new footer #}{%",
            dict.fromkeys(ALL, "templates changed"),
            id="templates",
        ),
        pytest.param(
            "library/module.py", "1", "2", dict.fromkeys(ALL, "library changed"), id="library"
        ),
        pytest.param(  # a disclosure rule governs every report
            "pyproject.toml",
            "count_rounding = 5",
            "count_rounding = 10",
            dict.fromkeys(ALL, "settings changed"),
            id="disclosure-settings",
        ),
        pytest.param(  # a linter's setting changes no report
            "pyproject.toml", "line-length = 99", "line-length = 100", {}, id="other-settings"
        ),
        pytest.param(
            "requirements.lock", "2.2.0", "2.2.1", dict.fromkeys(ALL, "lock changed"), id="lock"
        ),
    ],
)
def test_each_input_makes_exactly_the_runs_that_depend_on_it_out_of_date(
    project, relative, old, new, expected
):
    path, before = _edit(project, relative, old, new)
    try:
        assert out_of_date(project) == expected
    finally:
        path.write_bytes(before)
    assert out_of_date(project) == {}  # the same bytes again: nothing to do


def test_a_truncated_or_overwritten_published_file_is_rebuilt_and_the_log_says_so(project):
    truncated = project.reports / "reader-codes.briefing.html"
    truncated.write_bytes(truncated.read_bytes()[:500])
    overwritten = project.reports / "plain.research.html"
    size = overwritten.stat().st_size
    overwritten.write_bytes((b"garbage " * size)[:size])  # same size: caught by the hash
    reasons = out_of_date(project)
    assert set(reasons) == {"reader-codes", "plain"}
    assert reasons["reader-codes"].startswith("published reader-codes.briefing.html is truncated")
    assert reasons["plain"] == (
        "published plain.research.html was overwritten (its SHA-256 no longer matches what "
        "was published)"
    )
    summary = build(project)
    assert set(built(summary)) == {"reader-codes", "plain"}
    log = summary.log.read_text()
    assert "reader-codes: published reader-codes.briefing.html is truncated" in log
    assert "plain: published plain.research.html was overwritten" in log
    assert "THEMES" in page(project, "reader-codes")
    assert overwritten.read_bytes().startswith(b"<!DOCTYPE html>")
    assert out_of_date(project) == {}
    assert {o.status for o in build(project).outcomes} == {"skipped"}
