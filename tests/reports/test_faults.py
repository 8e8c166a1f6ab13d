"""Faults during a build never cost a good report.

Each test starts from a small project whose two reports (``stable`` and ``victim``) were
built successfully, then makes one thing go wrong while ``lozells build`` runs: a notebook
that raises, a kernel killed mid-run, a cell or a run past its timeout, SIGTERM/SIGINT/SIGKILL
to the build, two builds at once, a bad notebook parameter, a bad survey file. In each it
checks the four promises of the pipeline:

1. the last good reports are intact and byte-for-byte unchanged (every file under
   ``reports/`` except ``logs/`` and ``index.html`` is hashed before and after);
2. the index tells the truth (the failed run is marked FAILED with a one-line error and a
   link to its log, and still links the last good report);
3. the exit status is non-zero;
4. the next build recovers by itself (no stale lock, no staging left over, no manual clean-up).

The builds run through the real command line (``lozells_analysis.cli.main``) in a
subprocess. The launcher pins the library folder whose digest decides rebuilds to a folder of
the test's own, so that colleagues editing ``src/`` meanwhile cannot make the ``stable``
report rebuild (and change bytes) between two builds of one test.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lozells_analysis.reports.lock import BuildLock, LockHeld
from lozells_analysis.reports.project import Project
from lozells_analysis.reports.state import BuildState

from ..browser_support import process_gone

pytestmark = pytest.mark.slow

KERNEL = "lozells-analysis"
PNG = (  # a 2x2 PNG, so that the published report embeds an image
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAjDgEDLr"
    "HNPgAAAABJRU5ErkJggg=="
)
# Polling deadlines only guard against a hung test; nothing here asserts a duration.
PATIENCE = 240.0

LAUNCHER = """\
import sys
from pathlib import Path

import lozells_analysis.reports.project as project

project.LIBRARY = Path(sys.argv[1])  # the test's own library folder (see module docstring)

from lozells_analysis.cli import main

sys.exit(main(sys.argv[2:]))
"""


# --- notebooks -----------------------------------------------------------------------------


def code(source: str, tags: list[str] | None = None) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": tags or []},
        "execution_count": None,
        "outputs": [],
        "source": textwrap.dedent(source).strip() + "\n",
    }


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def write_notebook(path: Path, cells: list[dict]) -> Path:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {
                "name": KERNEL,
                "language": "python",
                "display_name": "Python (lozells-analysis)",
            },
            "language_info": {"name": "python"},
        },
        "cells": [{**cell, "id": f"c{i}"} for i, cell in enumerate(cells)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


PARAMETERS = code(
    """
    neighbourhood: str = "Lozells"  # which neighbourhood
    data_path: str = ""  # a survey file to load, or "" for none
    mapping_path: str = ""  # a mapping file for it, or "" for none
    """,
    ["parameters"],
)


def good_cells(title: str, body: str = "") -> list[dict]:
    """A report that checks its parameters, optionally loads a survey, shows a table and
    an image. ``body`` is extra code run before the outputs (a fault, say)."""
    cells = [
        markdown(f"# {title}\n\nA tiny report for the fault tests."),
        PARAMETERS,
        code("""
            from lozells_analysis.data.selection import check_neighbourhood
            from lozells_analysis.data.load import load_survey
            neighbourhood = check_neighbourhood(neighbourhood)
            survey = load_survey(data_path, mapping=mapping_path or None) if data_path else None
            """),
    ]
    if body:
        cells.append(code(body))
    cells.append(
        code(f"""
        import base64
        from IPython.display import HTML, Image, display
        rows = 0 if survey is None else len(survey)
        display(HTML(f"<table><tr><th>Neighbourhood</th><td>{{neighbourhood}}</td></tr>"
                     f"<tr><th>Rows read</th><td>{{rows}}</td></tr></table>"))
        display(Image(data=base64.b64decode("{PNG}")))
        """)
    )
    return cells


def raising() -> str:
    return "raise ValueError('boom: the analysis found no <b>data</b>')"


def killing_its_kernel() -> str:
    return "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"


def sleeping() -> str:
    return "import time\ntime.sleep(600)"


def holding(control: Path) -> str:
    """Write the kernel's pid, then wait until the test creates ``control/go``."""
    return f"""
import os, time
from pathlib import Path
control = Path({str(control)!r})
(control / "kernel.pid.tmp").write_text(str(os.getpid()))
(control / "kernel.pid.tmp").rename(control / "kernel.pid")
deadline = time.monotonic() + 300
while not (control / "go").exists() and time.monotonic() < deadline:
    time.sleep(0.05)
"""


# --- the project ---------------------------------------------------------------------------


def catalogue_text(victim: str = "", victim_params: dict | None = None) -> str:
    """Two reports: ``stable`` (research) and ``victim`` (briefing). ``victim`` adds keys
    (timeouts) to the victim's entry."""
    params = json.dumps(victim_params or {"neighbourhood": "Lozells"})
    return textwrap.dedent(f"""\
        defaults:
          kernel: {KERNEL}
          cell_timeout: 120
          run_timeout: 300
        reports:
          - id: stable
            notebook: notebooks/stable.ipynb
            audience: research
          - id: victim
            notebook: notebooks/victim.ipynb
            audience: briefing
            parameters: {params}
        """) + textwrap.indent(textwrap.dedent(victim), "    ")


def make_project(root: Path) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    write_notebook(root / "notebooks" / "stable.ipynb", good_cells("Stable report"))
    write_notebook(root / "notebooks" / "victim.ipynb", good_cells("Victim report"))
    (root / "reports.yaml").write_text(catalogue_text(), encoding="utf-8")
    (root / "library").mkdir(exist_ok=True)
    (root / "library" / "module.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / "requirements.lock").write_text("pandas==2.2.0\n", encoding="utf-8")
    (root / "control").mkdir(exist_ok=True)
    (root / "launcher.py").write_text(LAUNCHER, encoding="utf-8")
    return project_at(root)


def project_at(root: Path) -> Project:
    return Project(
        root=root,
        catalogue=root / "reports.yaml",
        reports=root / "reports",
        state_dir=root / ".lozells",
        library=root / "library",
        lock_file=root / "requirements.lock",
    )


def command(root: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        str(root / "launcher.py"),
        str(root / "library"),
        "--root",
        str(root),
        *args,
    ]


def lozells(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``lozells --root ROOT ARGS`` to completion."""
    return subprocess.run(
        command(root, *args), capture_output=True, text=True, timeout=PATIENCE, cwd=root
    )


def start(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        command(root, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root
    )


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


# --- what must hold after a fault ----------------------------------------------------------


def published(project: Project) -> dict[str, str]:
    """SHA-256 of every published file (not logs, not the index or the output check, which
    every build rewrites)."""
    out = {}
    rewritten = {"index.html", "output-check.html", "output-check.json"}
    for path in sorted(project.reports.rglob("*")):
        rel = path.relative_to(project.reports).as_posix()
        if path.is_file() and not rel.startswith("logs/") and rel not in rewritten:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def index_row(project: Project, name: str) -> str:
    page = (project.reports / "index.html").read_text(encoding="utf-8")
    rows = [
        row
        for row in re.findall(r'<li class="report".*?</li>', page, re.S)
        if f"<code>{name}</code>" in row
    ]
    assert len(rows) == 1, f"index has {len(rows)} rows for {name}"
    return rows[0]


def links(row: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', row)]


def assert_lock_free(project: Project) -> None:
    try:
        with BuildLock(project.build_lock):
            pass
    except LockHeld as exc:  # pragma: no cover - the failure we test for
        pytest.fail(f"the build lock is still held after the build ended: {exc}")


def assert_no_staging(project: Project) -> None:
    left = list(project.staging.iterdir()) if project.staging.exists() else []
    assert not left, f"staging leftovers: {left}"


def assert_contained(project: Project, before: dict[str, str], error: str) -> None:
    """Published files unchanged; the victim FAILED in state and index, with its log."""
    assert published(project) == before, "a published report changed, vanished or appeared"
    state = BuildState.load(project.state_file)
    victim, stable = state.runs["victim"], state.runs["stable"]
    assert victim.status == "failed" and stable.status == "succeeded"
    assert error in (victim.error or ""), victim.error
    assert "\n" not in victim.error
    row = index_row(project, "victim")
    assert "FAILED" in row and html.escape(error) in row, row
    assert "report shown is from" in row, row
    targets = links(row)
    assert "logs/victim.log" in targets, targets
    assert error in (project.reports / "logs" / "victim.log").read_text(encoding="utf-8")
    assert "victim.briefing.html" in targets, "the index no longer links the last good report"
    for target in targets:
        assert (project.reports / target).is_file(), f"index links a missing file {target}"
    assert "FAILED" not in index_row(project, "stable")
    assert_no_staging(project)
    assert_lock_free(project)


def assert_recovers(
    project: Project, before: dict[str, str], rebuilt: int = 1, *, restore: bool = True
) -> None:
    """The next build succeeds with no clean-up by hand, rebuilds only the victim
    (``rebuilt`` runs) and leaves the stable report's bytes alone. With ``restore`` the
    fault (victim notebook, catalogue) is undone first; without, the same build is rerun."""
    if restore:
        write_notebook(project.root / "notebooks" / "victim.ipynb", good_cells("Victim report"))
        (project.root / "reports.yaml").write_text(catalogue_text(), encoding="utf-8")
    done = lozells(project.root, "build")
    assert done.returncode == 0, done.stderr
    summary = f"{rebuilt} built, {2 - rebuilt} up to date, 0 failed"
    assert summary in done.stderr, done.stderr
    after = published(project)
    for name, digest in before.items():
        if name.startswith("stable."):
            assert after[name] == digest, f"{name} was rebuilt or changed"
    assert set(after) == set(before)
    state = BuildState.load(project.state_file)
    assert {r.status for r in state.runs.values()} == {"succeeded"}
    assert "FAILED" not in index_row(project, "victim")
    assert_no_staging(project)
    assert_lock_free(project)


@dataclass
class Built:
    project: Project
    before: dict[str, str]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A project with both reports built once, copied afresh by :func:`built`."""
    root = tmp_path_factory.mktemp("baseline") / "project"
    project = make_project(root)
    done = lozells(root, "build", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert published(project), "the baseline build published nothing"
    return root


@pytest.fixture
def built(baseline: Path, tmp_path: Path) -> Built:
    root = tmp_path / "project"
    shutil.copytree(baseline, root, symlinks=True)
    project = project_at(root)
    before = published(project)
    assert {
        "stable.research.html",
        "stable.briefing.html",
        "victim.briefing.html",
        "victim.research.html",
    } <= set(before)
    return Built(project, before)


# --- faults inside a run -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault, catalogue_extra, error",
    [
        (raising, "", "ValueError: boom: the analysis found no <b>data</b>"),
        (killing_its_kernel, "", "the kernel died"),
        (sleeping, "cell_timeout: 3\n", "a cell ran longer than cell_timeout (3 s)"),
        (sleeping, "run_timeout: 8\n", "the run took longer than run_timeout (8 s)"),
    ],
    ids=["notebook-raises", "kernel-killed", "cell-timeout", "run-timeout"],
)
def test_a_failing_run_keeps_the_last_good_report(built, fault, catalogue_extra, error):
    project = built.project
    write_notebook(
        project.root / "notebooks" / "victim.ipynb", good_cells("Victim report", fault())
    )
    (project.root / "reports.yaml").write_text(catalogue_text(catalogue_extra))
    done = lozells(project.root, "build")
    assert done.returncode == 1, done.stderr
    assert "FAILED victim" in done.stderr and error in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert_contained(project, built.before, error)
    assert_recovers(project, built.before)


def test_a_bad_notebook_parameter_fails_the_run_cleanly(built):
    project = built.project
    (project.root / "reports.yaml").write_text(
        catalogue_text(victim_params={"neighbourhood": "Atlantis"})
    )
    done = lozells(project.root, "build")
    assert done.returncode == 1, done.stderr
    assert "ParameterError" in done.stderr and "Atlantis" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert_contained(project, built.before, "Atlantis")
    log = (project.reports / "logs" / "victim.log").read_text(encoding="utf-8")
    assert "Lozells" in log.split("ParameterError", 1)[1], "the message lists no valid names"
    assert_recovers(project, built.before)


def test_a_catalogue_error_runs_nothing_and_changes_nothing(built):
    project = built.project
    index = (project.reports / "index.html").read_bytes()
    (project.root / "reports.yaml").write_text(
        catalogue_text(victim_params={"neighborhood": "Lozells"})
    )  # misspelt name
    done = lozells(project.root, "build")
    assert done.returncode == 2, done.stderr
    assert "neighborhood" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert published(project) == built.before
    assert (project.reports / "index.html").read_bytes() == index
    assert_lock_free(project)
    assert_recovers(project, built.before, rebuilt=0)


# --- faults to the build itself ------------------------------------------------------------


def start_held_build(built: Built) -> tuple[subprocess.Popen, int]:
    """Start a build whose victim run waits (holding its kernel) until ``control/go``."""
    control = built.project.root / "control"
    write_notebook(
        built.project.root / "notebooks" / "victim.ipynb",
        good_cells("Victim report", holding(control)),
    )
    proc = start(built.project.root, "build")
    wait_for(
        lambda: (control / "kernel.pid").exists() or proc.poll() is not None,
        "the victim's kernel to start",
    )
    if proc.poll() is not None:
        pytest.fail(f"the build ended early: {proc.communicate()}")
    return proc, int((control / "kernel.pid").read_text())


@pytest.mark.parametrize(
    "signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_signal_to_the_build_stops_it_and_keeps_every_report(built, signum, status):
    project = built.project
    proc, kernel = start_held_build(built)
    try:
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == status, err
    assert "interrupted" in err and "left intact" in err, err
    assert "Traceback" not in err, err
    wait_for(lambda: process_gone(kernel), "the interrupted run's kernel to be stopped")
    assert published(project) == built.before
    # The index still shows the last good report of every run, and links only real files.
    row = index_row(project, "victim")
    assert "victim.briefing.html" in links(row)
    for target in links(row):
        assert (project.reports / target).is_file()
    state = BuildState.load(project.state_file)
    assert "finished_at" in state.last_build
    build_log = project.reports / state.last_build["log"]
    assert "interrupted" in build_log.read_text(encoding="utf-8")
    page = (project.reports / "index.html").read_text(encoding="utf-8")
    assert f"The last build stopped early (build interrupted by {signum.name})" in page
    assert_no_staging(project)
    assert_lock_free(project)
    (project.root / "control" / "go").touch()  # the same build again, not held this time
    assert_recovers(project, built.before, restore=False)


def test_a_build_killed_outright_is_recovered_by_the_next(built):
    """SIGKILL (out of memory, power cut): nothing can run on the way out, so staging is
    left behind and the index is not rewritten; the next build must cope by itself."""
    project = built.project
    proc, kernel = start_held_build(built)
    index = (project.reports / "index.html").read_bytes()
    try:
        proc.kill()
        proc.communicate(timeout=PATIENCE)
    finally:
        if not process_gone(kernel):  # an orphan of the killed build: ours to stop
            os.kill(kernel, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert published(project) == built.before
    assert (project.reports / "index.html").read_bytes() == index
    assert_lock_free(project)  # the kernel dropped the dead build's flock
    assert project.staging.exists() and any(project.staging.iterdir())
    (project.root / "control" / "go").touch()  # the same build again, not held this time
    assert_recovers(project, built.before, restore=False)  # and removes the staging left


def test_a_second_build_while_one_runs_exits_3_or_waits(built):
    project = built.project
    control = project.root / "control"
    first, kernel = start_held_build(built)
    waiting = None
    try:
        second = lozells(project.root, "build")
        assert second.returncode == 3, second.stderr
        assert "another build is running" in second.stderr and "--wait" in second.stderr
        assert "Traceback" not in second.stderr
        assert published(project) == built.before
        waiting = start(project.root, "build", "--wait")
        (control / "go").touch()
        out, err = first.communicate(timeout=PATIENCE)
        assert first.returncode == 0, err
        out, err = waiting.communicate(timeout=PATIENCE)
        assert waiting.returncode == 0, err
    finally:
        (control / "go").touch()
        for proc in (first, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
    wait_for(lambda: process_gone(kernel), "the first build's kernel to stop")
    after = published(project)
    assert set(after) == set(built.before)
    assert all(after[n] == d for n, d in built.before.items() if n.startswith("stable."))
    state = BuildState.load(project.state_file)
    assert {r.status for r in state.runs.values()} == {"succeeded"}
    assert_no_staging(project)
    assert_lock_free(project)


def test_a_stale_lock_file_and_staging_leftovers_need_no_clean_up(built):
    project = built.project
    project.build_lock.write_text("pid 999999, started 2020-01-01T00:00:00\n")
    leftover = project.staging / "20200101-000000-000000" / "victim"
    leftover.mkdir(parents=True)
    (leftover / "victim.briefing.html").write_text("<p>half-written</p>")
    write_notebook(project.root / "notebooks" / "victim.ipynb", good_cells("Victim report 2"))
    done = lozells(project.root, "build")
    assert done.returncode == 0, done.stderr
    assert_no_staging(project)
    assert_lock_free(project)
    assert "Victim report 2" in (project.reports / "victim.briefing.html").read_text()


def test_an_unreadable_build_state_rebuilds_instead_of_failing(built):
    project = built.project
    project.state_file.write_text('{"version": 1, "runs": {"victim": ')  # torn write
    done = lozells(project.root, "build")
    assert done.returncode == 0, done.stderr
    assert "2 built" in done.stderr, done.stderr
    assert set(published(project)) == set(built.before)
    state = BuildState.load(project.state_file)
    assert {r.status for r in state.runs.values()} == {"succeeded"}


# --- bad survey files through the command line ---------------------------------------------


def bad_input_corpus() -> dict:
    """The corpus of bad survey files of tests/data/test_bad_input.py."""
    from ..data import test_bad_input

    return test_bad_input.CORPUS


def corpus_catalogue(entries: dict[str, tuple[Path, Path | None]]) -> str:
    lines = [
        f"defaults:\n  kernel: {KERNEL}\n  cell_timeout: 120\n  run_timeout: 300\n",
        "reports:\n",
    ]
    for kind, (data, mapping) in entries.items():
        params = {"data_path": str(data), "mapping_path": str(mapping) if mapping else ""}
        lines.append(
            f"  - id: {kind}\n    notebook: notebooks/survey.ipynb\n"
            f"    audience: briefing\n    parameters: {json.dumps(params)}\n"
        )
    return "".join(lines)


def file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def corpus_families() -> dict:
    """One bad file of each family of the corpus (each file format, the mapping file, a
    folder, an unknown format), the first of each in name order: the build's handling of a
    data error is the same whichever fault the loader found, so the end-to-end test needs
    each way a file reaches the loader, not each fault. Every one of the 61 faults goes
    through the same loader, and ``lozells check``, in ``tests/data/test_bad_input.py``."""
    corpus = bad_input_corpus()
    chosen: dict = {}
    for kind in sorted(corpus):
        chosen.setdefault(kind.split("_", 1)[0], kind)
    return {kind: corpus[kind] for kind in chosen.values()}


def test_corpus_families_cover_every_file_format_and_the_mapping():
    families = {kind.split("_", 1)[0] for kind in corpus_families()}
    assert {"csv", "excel", "parquet", "spss", "stata", "mapping", "unknown"} <= families
    assert families == {kind.split("_", 1)[0] for kind in bad_input_corpus()}


def test_every_bad_survey_file_fails_its_run_cleanly_and_publishes_nothing(tmp_path):
    """The bad-input corpus end to end, one file of each family (:func:`corpus_families`):
    one report per kind is first built on good data, then pointed at its bad file. Every run
    fails with the SurveyDataError (file named) and no traceback from pandas; every published
    file is unchanged; the bad files too. One more report reads a file that is replaced in
    place by a truncated export (what the nightly build meets when a researcher's export
    breaks)."""
    from lozells_analysis.data.synthetic import generate

    corpus = corpus_families()
    root = tmp_path / "project"
    project = make_project(root)
    write_notebook(root / "notebooks" / "survey.ipynb", good_cells("Survey report"))
    good = root / "good" / "survey.parquet"
    good.parent.mkdir()
    generate(n=60, seed=5).to_parquet(good)
    in_place = root / "good" / "export.csv"
    generate(n=60, seed=5).to_csv(in_place, index=False)
    bad = {}
    for kind, case in corpus.items():
        folder = root / "bad" / kind
        folder.mkdir(parents=True)
        bad[kind] = case.make(folder)
    inputs = {kind: file_digest(path) for kind, (path, _) in bad.items()}

    phase1 = {kind: (good, None) for kind in corpus} | {"in_place": (in_place, None)}
    (root / "reports.yaml").write_text(corpus_catalogue(phase1), encoding="utf-8")
    first = subprocess.run(
        [
            sys.executable,
            "-m",
            "lozells_analysis.cli",
            "--root",
            str(root),
            "build",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=root,
    )
    assert first.returncode == 0, first.stderr
    before = published(project)
    assert len([n for n in before if n.endswith(".briefing.html")]) == len(phase1)

    truncated = in_place.read_bytes()
    in_place.write_bytes(truncated[: truncated.rfind(b",", 0, len(truncated) - 40)])
    phase2 = dict(bad) | {"in_place": (in_place, None)}
    (root / "reports.yaml").write_text(corpus_catalogue(phase2), encoding="utf-8")
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "lozells_analysis.cli",
            "--root",
            str(root),
            "build",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=root,
    )
    err = second.stderr
    assert second.returncode == 1, err
    assert f"0 built, 0 up to date, {len(phase2)} failed" in err, err
    assert "Traceback" not in err and "site-packages" not in err, err
    assert published(project) == before, "a bad survey file changed a published report"
    state = BuildState.load(project.state_file)
    for kind, (path, _) in phase2.items():
        assert f"FAILED {kind}: SurveyDataError: " in err, (kind, err)
        record = state.runs[kind]
        assert record.status == "failed" and "SurveyDataError" in record.error
        log = (project.reports / "logs" / f"{kind}.log").read_text(encoding="utf-8")
        message = log[log.index("SurveyDataError") :]
        # the published log shows the path relative to the project root (issue 13)
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        assert shown in message and str(root) not in message, (kind, message[:400])
        fragment = corpus[kind].fragment if kind in corpus else "truncated"
        assert fragment in message, (kind, message[:400])
        assert "site-packages" not in log.split("--- kernel process output")[0], kind
        row = index_row(project, kind)
        assert "FAILED" in row and "SurveyDataError" in row and "report shown is from" in row
        if kind in inputs:
            assert file_digest(path) == inputs[kind], f"{kind}: the bad file was modified"


def test_a_broken_mapping_file_is_noticed_by_the_next_build(built):
    """A researcher's mapping file is an input like the survey: when it changes (here, it
    now names a column the survey does not have) the report must be rebuilt, and so fail,
    not be kept as "up to date" from the old mapping."""
    from lozells_analysis.data.synthetic import generate

    project = built.project
    data = project.root / "raw" / "export.csv"
    data.parent.mkdir()
    generate(n=60, seed=5).rename(columns={"trust_people": "Q7"}).to_csv(data, index=False)
    mapping = project.root / "raw" / "mapping.yaml"
    mapping.write_text("columns: {Q7: trust_people}\n", encoding="utf-8")
    (project.root / "reports.yaml").write_text(
        catalogue_text(victim_params={"data_path": str(data), "mapping_path": str(mapping)})
    )
    done = lozells(project.root, "build")
    assert done.returncode == 0, done.stderr
    before = published(project)
    mapping.write_text("columns: {Q99_trust: trust_people}\n", encoding="utf-8")
    done = lozells(project.root, "build")
    assert done.returncode == 1, (
        "the mapping file changed but the build kept the report as up to date:\n" + done.stderr
    )
    assert "FAILED victim: SurveyDataError" in done.stderr and "Q99_trust" in done.stderr
    assert published(project) == before
