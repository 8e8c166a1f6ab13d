"""End-to-end builds of tiny notebooks: publish, skip, rebuild, fail, time out, interrupt."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.render import external_references
from lozells_analysis.reports.state import BuildState

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

pytestmark = pytest.mark.slow

CATALOGUE = """
reports:
  - id: tiny
    notebook: notebooks/tiny.ipynb
    audience: research
    parameters: {{data_path: {data}, n: 2}}
  - id: pack
    notebook: notebooks/tiny.ipynb
    audience: briefing
    for_each: {{greeting: [Lozells, Aston]}}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A project with three runs (one research, two briefing packs), built once."""
    root = tmp_path_factory.mktemp("project")
    data = root / "data.csv"
    data.write_text("id,score\n1,5\n")
    project = helpers.make_project(
        root, CATALOGUE.format(data=data), {"tiny.ipynb": helpers.tiny_cells()}
    )
    summary = build(project, BuildOptions(jobs=2))
    return project, summary, data


def test_build_publishes_every_run_and_both_views(built):
    project, summary, _ = built
    assert summary.ok
    assert sorted((o.name, o.status) for o in summary.outcomes) == [
        ("pack-aston", "built"),
        ("pack-lozells", "built"),
        ("tiny", "built"),
    ]
    for name in ("tiny", "pack-lozells", "pack-aston"):
        for suffix in (".research.html", ".briefing.html", ".ipynb"):
            assert (project.reports / f"{name}{suffix}").is_file()
        assert (project.reports / "logs" / f"{name}.log").is_file()
    assert (
        "GREETING: LozellsLozells"
        not in (project.reports / "pack-lozells.research.html").read_text()
    )
    assert "GREETING: Lozells" in (project.reports / "pack-lozells.briefing.html").read_text()
    assert "GREETING: hellohello" in (project.reports / "tiny.research.html").read_text()
    # nothing half-written or staged is left where people read reports
    assert not [p for p in project.reports.rglob("*") if p.name.endswith(".tmp")]
    assert not list((project.state_dir / "staging").glob("*/*"))


def test_html_has_no_external_references_and_embeds_images(built):
    project, _, _ = built
    for page in project.reports.glob("*.html"):
        html = page.read_text()
        assert external_references(html) == [], page.name
        assert "require.js" not in html and "mathjax" not in html.lower()
        assert "<script src" not in html
    research = (project.reports / "tiny.research.html").read_text()
    assert 'src="data:image/png;base64,' in research
    # text from data arrives escaped, never as live markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in research
    assert "<script>alert(1)</script>" not in research


def test_research_view_folds_code_and_briefing_view_has_none(built):
    project, _, _ = built
    research = (project.reports / "tiny.research.html").read_text()
    briefing = (project.reports / "tiny.briefing.html").read_text()
    assert '<details class="lozells-code"><summary>Show code</summary>' in research
    assert "record_read" in research and "RESEARCH-ONLY-NOTE" in research
    assert "STDERR-MARKER" in research
    assert "<details" not in briefing and "record_read" not in briefing
    assert "STDERR-MARKER" not in briefing and "RESEARCH-ONLY-NOTE" not in briefing
    assert 'class="jp-InputPrompt' not in briefing and 'class="jp-OutputPrompt' not in briefing
    assert "REMOVED-CELL" not in research and "REMOVED-CELL" not in briefing


def test_provenance_footer_names_commit_data_hash_parameters_and_versions(built):
    project, _, data = built
    import hashlib

    for view in ("research", "briefing"):
        html = (project.reports / f"tiny.{view}.html").read_text()
        footer = html[html.index('<footer class="lozells-provenance') :]
        assert hashlib.sha256(data.read_bytes()).hexdigest() in footer
        assert "<code>data.csv</code>" in footer  # relative to the project root
        assert "SYNTHETIC data" in footer
        assert "Git commit" in footer and "Python" in footer and "pandas" in footer
        assert "Synthetic data" in html  # the badge at the top
        params = '"n": 2}</code>' in footer or "&quot;n&quot;: 2}</code>" in footer
        # the reader of the briefing view sees no raw parameters; the research view has them
        assert params == (view == "research")
    briefing = (project.reports / "tiny.briefing.html").read_text()
    assert "<h2>Provenance</h2>" in briefing  # the end of the quality and methods annex
    assert "research report, briefing view" not in briefing
    assert 'class="lozells-methods-box"' in briefing  # a research report's briefing view
    assert 'href="../docs/statistics.md"' in briefing


def test_index_lists_every_run_with_links(built):
    project, _, _ = built
    index = (project.reports / "index.html").read_text()
    # research reports link both views (the briefing one as "Summary"); briefing packs only
    # the view their readers want
    assert 'href="tiny.research.html"' in index and 'href="tiny.briefing.html"' in index
    for name in ("pack-lozells", "pack-aston"):
        assert f'href="{name}.briefing.html"' in index
        assert f'href="{name}.research.html"' not in index
    assert "Tiny report: Lozells" in index and "FAILED" not in index
    assert external_references(index) == []


def _build_in_a_new_process(project, modules: tuple[str, ...]) -> dict:
    """Build ``project`` in a Python process of its own; the runs' statuses (sorted) and
    which of ``modules`` that process imported."""
    script = f"""
import json, sys
from pathlib import Path
from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.project import Project
p = Project(root=Path({str(project.root)!r}), catalogue=Path({str(project.catalogue)!r}),
            reports=Path({str(project.reports)!r}), state_dir=Path({str(project.state_dir)!r}),
            library=Path({str(project.library)!r}), lock_file=Path({str(project.lock_file)!r}))
s = build(p, BuildOptions())
heavy = sorted(m for m in {modules!r} if m in sys.modules)
print(json.dumps({{"statuses": sorted(o.status for o in s.outcomes), "heavy": heavy}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_noop_build_skips_everything_without_importing_papermill_or_nbconvert(built):
    project, _, _ = built
    result = _build_in_a_new_process(
        project, ("papermill", "nbconvert", "nbformat", "jsonschema", "nbclient")
    )
    assert result == {"statuses": ["skipped", "skipped", "skipped"], "heavy": []}


def test_a_build_publishes_without_loading_a_plotting_or_statistics_library(tmp_path):
    """The notebooks draw and compute in their kernels; the build process only runs and
    publishes them, so it never pays for importing matplotlib, seaborn or scipy.stats
    (seconds in every cron build and every test build)."""
    project, _ = _single(tmp_path)
    result = _build_in_a_new_process(
        project, ("matplotlib", "seaborn", "scipy.stats", "statsmodels")
    )
    assert result == {"statuses": ["built"], "heavy": []}
    page = (project.reports / "solo.research.html").read_text(encoding="utf-8")
    assert ".lozells-verdict-better" in page  # the comparison colours are in its CSS


def _single(tmp_path, cells=None, params="{greeting: one}"):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    catalogue = f"""
reports:
  - id: solo
    notebook: notebooks/solo.ipynb
    audience: research
    parameters: {{data_path: {data}, {params[1:-1]}}}
"""
    project = helpers.make_project(
        tmp_path, catalogue, {"solo.ipynb": cells or helpers.tiny_cells()}
    )
    return project, data


def _reasons(summary):
    return [(o.status, o.reason) for o in summary.outcomes]


def test_skip_when_nothing_changed_and_rebuild_on_each_kind_of_change(tmp_path):
    project, data = _single(tmp_path)
    assert _reasons(build(project)) == [("built", "never built")]
    assert _reasons(build(project)) == [("skipped", "up to date")]

    # touching a data file without changing its bytes is not a change
    os.utime(data, (time.time() + 5, time.time() + 5))
    assert _reasons(build(project)) == [("skipped", "up to date")]

    data.write_text("a\n2\n")  # one byte of data
    assert _reasons(build(project)) == [("built", "data.csv changed")]

    text = project.catalogue.read_text().replace("greeting: one", "greeting: two")
    project.catalogue.write_text(text)
    assert _reasons(build(project)) == [("built", "parameters changed")]

    nb_path = project.root / "notebooks" / "solo.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][2]["execution_count"] = 7
    nb_path.write_text(json.dumps(nb))  # outputs only: not a source change
    assert _reasons(build(project)) == [("skipped", "up to date")]
    nb["cells"][2]["source"] += "\nprint('more')"
    nb_path.write_text(json.dumps(nb))
    assert _reasons(build(project)) == [("built", "notebook changed")]

    (project.library / "module.py").write_text("VALUE = 2\n")
    assert _reasons(build(project)) == [("built", "library changed")]

    project.lock_file.write_text("pandas==2.2.1\n")
    assert _reasons(build(project, BuildOptions(force=True))) == [("built", "forced")]
    assert _reasons(build(project)) == [("skipped", "up to date")]

    (project.reports / "solo.research.html").unlink()
    assert _reasons(build(project)) == [("built", "outputs missing")]


def test_failing_run_keeps_last_good_report_is_marked_failed_and_others_go_on(tmp_path):
    from lozells_analysis.cli import main

    catalogue = """
reports:
  - {id: good, notebook: notebooks/good.ipynb, audience: research}
  - {id: flaky, notebook: notebooks/flaky.ipynb, audience: briefing}
"""
    project = helpers.make_project(
        tmp_path,
        catalogue,
        {"good.ipynb": helpers.tiny_cells(), "flaky.ipynb": helpers.tiny_cells()},
    )
    assert build(project).ok
    before = (project.reports / "flaky.briefing.html").read_bytes()

    helpers.write_notebook(project.root / "notebooks" / "flaky.ipynb", helpers.failing_cells())
    (project.library / "module.py").write_text("VALUE = 2\n")  # so 'good' rebuilds too
    summary = build(project)
    assert not summary.ok
    assert {o.name: o.status for o in summary.outcomes} == {"good": "built", "flaky": "failed"}
    failed = summary.failed[0]
    assert failed.error == "ValueError: boom: <b>bad</b> data (cell [2])"
    assert (project.reports / "flaky.briefing.html").read_bytes() == before

    log = (project.reports / "logs" / "flaky.log").read_text()
    assert "Traceback" in log or "ValueError" in log
    assert "raise ValueError('boom: <b>bad</b> data')" in log

    record = BuildState.load(project.state_file).runs["flaky"]
    assert record.status == "failed" and record.outputs["briefing"] == "flaky.briefing.html"

    index = (project.reports / "index.html").read_text()
    [row] = [r for r in index.split('<li class="report"') if "<code>flaky</code>" in r]
    assert "FAILED" in row
    assert "ValueError: boom: &lt;b&gt;bad&lt;/b&gt; data (cell [2])" in row
    assert 'href="logs/flaky.log">Log' in row
    assert 'href="flaky.briefing.html"' in row  # the last good report is still linked
    assert "report shown is from" in row

    # the command line says so with its exit status; a failed run is retried every build
    assert main(["--root", str(project.root), "build", "flaky"]) == 1


def test_cell_timeout_and_run_timeout_fail_the_run_instead_of_hanging(tmp_path):
    catalogue = """
reports:
  - id: stuck-cell
    notebook: notebooks/slow.ipynb
    audience: research
    parameters: {sleep: 60.0}
    cell_timeout: 2
  - id: long-run
    notebook: notebooks/slow.ipynb
    audience: research
    parameters: {sleep: 60.0}
    cell_timeout: 120
    run_timeout: 4
"""
    project = helpers.make_project(tmp_path, catalogue, {"slow.ipynb": helpers.tiny_cells()})
    summary = build(project, BuildOptions(jobs=2))
    errors = {o.name: o.error for o in summary.outcomes}
    assert [o.status for o in summary.outcomes] == ["failed", "failed"]
    assert "cell_timeout (2 s)" in errors["stuck-cell"]
    assert "run_timeout (4 s)" in errors["long-run"]
    assert not (project.reports / "stuck-cell.research.html").exists()


def test_sigterm_leaves_published_reports_intact(tmp_path):
    project, _ = _single(tmp_path, params="{sleep: 0.0}")
    assert build(project).ok
    published = {p.name: p.read_bytes() for p in project.reports.glob("solo.*")}
    project.catalogue.write_text(
        project.catalogue.read_text().replace("sleep: 0.0", "sleep: 60.0")
    )
    script = f"""
import sys
from pathlib import Path
from lozells_analysis.reports.build import build, BuildInterrupted
from lozells_analysis.reports.project import Project
p = Project(root=Path({str(project.root)!r}), catalogue=Path({str(project.catalogue)!r}),
            reports=Path({str(project.reports)!r}), state_dir=Path({str(project.state_dir)!r}),
            library=Path({str(project.library)!r}), lock_file=Path({str(project.lock_file)!r}))
try:
    build(p)
except BuildInterrupted as exc:
    print("INTERRUPTED", exc.signum)
    sys.exit(143)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    reads_files = []
    while time.monotonic() < deadline and not reads_files:  # wait until the kernel runs
        reads_files = list((project.state_dir / "staging").glob("*/solo/reads.jsonl"))
        time.sleep(0.2)
    assert reads_files, "the run never started"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "INTERRUPTED 15" in out
    assert {p.name: p.read_bytes() for p in project.reports.glob("solo.*")} == published
    assert not [p for p in project.reports.rglob("*") if p.name.endswith(".tmp")]
    record = BuildState.load(project.state_file).runs["solo"]
    assert record.status == "succeeded"  # the last good build still stands
