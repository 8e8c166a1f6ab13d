"""A nightly build is never stuck: a state file of the wrong shape, a full disk, a read-only,
missing or unwritable folder, kernels writing at once, an alias bomb in ``reports.yaml``.

Each gives a warning or one line on stderr with a documented exit status (see
``docs/scheduling.md``), never a traceback, and leaves published reports as they were.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lozells_analysis.cli import main
from lozells_analysis.exceptions import CatalogueError
from lozells_analysis.reports import publish
from lozells_analysis.reports.catalogue import load_catalogue
from lozells_analysis.reports.state import BuildState, check_state

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

SOLO = """
reports:
  - {id: solo, notebook: notebooks/solo.ipynb, audience: briefing, parameters: {greeting: one}}
"""


def published(root: Path) -> dict[str, str]:
    """SHA-256 of every published report (not logs, the index or the output check)."""
    reports = root / "reports"
    rewritten = {"index.html", "output-check.html", "output-check.json"}
    return {
        p.relative_to(reports).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(reports.rglob("*"))
        if p.is_file() and "logs" not in p.relative_to(reports).parts and p.name not in rewritten
    }


def assert_one_line(err: str, status_line: str) -> None:
    assert "Traceback" not in err and "During handling" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(status_line), err


@pytest.fixture(scope="module")
def solo(tmp_path_factory):
    """A one-run project built once through the command line."""
    root = tmp_path_factory.mktemp("solo")
    helpers.make_project(root, SOLO, {"solo.ipynb": helpers.tiny_cells()})
    assert main(["--root", str(root), "build"]) == 0
    return root


@pytest.fixture
def fresh(solo):
    """The solo project, needing a rebuild (its parameter changed); restored afterwards."""
    catalogue = solo / "reports.yaml"
    before = catalogue.read_text()
    catalogue.write_text(before.replace("greeting: one", "greeting: two"))
    yield solo
    catalogue.write_text(before)
    for top in (solo / "reports", solo / ".lozells"):
        for folder in [top, *top.rglob("*")]:
            if folder.is_dir() and not folder.is_symlink():
                os.chmod(folder, 0o755)


# --- the build state ------------------------------------------------------------------------

BAD_STATES = {
    "not-json": '{"version": 1, "runs": {"solo": ',
    "runs-a-list": '{"version": 1, "runs": []}',
    "null-record": '{"version": 1, "runs": {"solo": null}}',
    "no-status": '{"version": 1, "runs": {"solo": {"key": "abc", "outputs": {}}}}',
    "wrong-types": '{"version": 1, "runs": {"solo": {"status": "succeeded", "inputs": []}}}',
    "output-outside-reports": (
        '{"version": 1, "runs": {"solo": {"status": "succeeded", '
        '"outputs": {"research": "../../etc/passwd"}}}}'
    ),
    "a-list": "[]",
}


@pytest.mark.parametrize("kind", sorted(BAD_STATES))
def test_a_state_file_of_the_wrong_shape_is_moved_aside_with_a_warning(kind, tmp_path, caplog):
    path = tmp_path / "state.json"
    path.write_text(BAD_STATES[kind])
    state = BuildState.load(path, move_aside=True)
    assert state.runs == {} and state.last_build == {}
    [aside] = tmp_path.glob("state.json.bad-*")
    assert aside.read_text() == BAD_STATES[kind] and not path.exists()
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "is not valid" in warning.getMessage() and aside.name in warning.getMessage()
    state.save()  # what the build then writes is valid again
    assert check_state(json.loads(path.read_text())) == []


@pytest.mark.parametrize("kind", ["runs-a-list", "null-record", "no-status", "not-json"])
def test_lozells_list_warns_about_a_bad_state_file_and_shows_every_run(kind, tmp_path, capsys):
    helpers.make_project(tmp_path, SOLO, {"solo.ipynb": helpers.tiny_cells()})
    (tmp_path / ".lozells").mkdir()
    (tmp_path / ".lozells" / "state.json").write_text(BAD_STATES[kind])
    assert main(["--root", str(tmp_path), "list"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "is not valid" in err
    assert out.splitlines()[1].split()[:4] == ["solo", "briefing", "never", "built"]
    # list holds no lock: it leaves the file for the next build to move aside
    assert (tmp_path / ".lozells" / "state.json").read_text() == BAD_STATES[kind]


def test_a_parameter_cache_of_the_wrong_shape_is_ignored(tmp_path, capsys):
    helpers.make_project(tmp_path, SOLO, {"solo.ipynb": helpers.tiny_cells()})
    (tmp_path / ".lozells").mkdir()
    cache = tmp_path / ".lozells" / "parameters.json"
    cache.write_text('{"version": 1, "notebooks": []}')
    assert main(["--root", str(tmp_path), "list"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert isinstance(json.loads(cache.read_text())["notebooks"], dict)  # rewritten


@pytest.mark.slow
def test_a_build_with_a_bad_state_file_moves_it_aside_and_proceeds(tmp_path, capsys):
    helpers.make_project(tmp_path, SOLO, {"solo.ipynb": helpers.tiny_cells()})
    (tmp_path / ".lozells").mkdir()
    (tmp_path / ".lozells" / "state.json").write_text(BAD_STATES["runs-a-list"])
    assert main(["--root", str(tmp_path), "build"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "is not valid" in err and "1 built" in err
    assert len(list((tmp_path / ".lozells").glob("state.json.bad-*"))) == 1
    assert BuildState.load(tmp_path / ".lozells" / "state.json").runs["solo"].status == (
        "succeeded"
    )


# --- the machine: no space, read-only, missing, permission denied ---------------------------


def test_the_exit_statuses_are_in_the_command_line_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "4 no space left or a read-only, missing or unwritable output folder" in text
    docs = Path(__file__).parents[2] / "docs" / "scheduling.md"
    assert "`4`" in docs.read_text()


@pytest.mark.slow
def test_no_space_left_while_publishing_is_one_line_and_exit_4(fresh, monkeypatch, capsys):
    before = published(fresh)

    def full(path: Path) -> OSError:
        return OSError(errno.ENOSPC, "No space left on device", str(path))

    def publish_file(staged: Path, target: Path) -> None:
        raise full(target)

    def write_bytes_atomic(path: Path, data: bytes) -> None:
        raise full(path)

    monkeypatch.setattr(publish, "publish_file", publish_file)
    monkeypatch.setattr(publish, "write_bytes_atomic", write_bytes_atomic)
    assert main(["--root", str(fresh), "build"]) == 4
    err = capsys.readouterr().err
    assert_one_line(err, "lozells build: no space left on the device holding reports/")
    assert "published reports were left as they were" in err
    assert published(fresh) == before
    monkeypatch.undo()
    assert main(["--root", str(fresh), "build"]) == 0  # space again: the next build catches up


@pytest.mark.slow  # fault injection on a built project
def test_a_read_only_file_system_is_one_line_and_exit_4(fresh, monkeypatch, capsys):
    before = published(fresh)
    real = tempfile.mkstemp
    reports = str(fresh / "reports")

    def read_only(*args, **kwargs):
        if str(kwargs.get("dir", "")).startswith(reports):
            raise OSError(errno.EROFS, "Read-only file system", kwargs["dir"])
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    started = time.monotonic()
    assert main(["--root", str(fresh), "build"]) == 4
    err = capsys.readouterr().err
    assert_one_line(err, "lozells build: reports is on a read-only file system")
    assert time.monotonic() - started < 30  # refused before anything runs
    assert published(fresh) == before


@pytest.mark.slow  # fault injection on a built project
def test_a_missing_output_folder_is_one_line_and_exit_4(fresh, capsys):
    moved = fresh / "reports-elsewhere"
    (fresh / "reports").rename(moved)
    try:
        (fresh / "reports").symlink_to(fresh / "unmounted-share")
        assert main(["--root", str(fresh), "build"]) == 4
        err = capsys.readouterr().err
        assert_one_line(err, "lozells build: the output folder reports is missing: it links to")
        assert not (fresh / "unmounted-share").exists()
    finally:
        (fresh / "reports").unlink()
        moved.rename(fresh / "reports")


def _as_unprivileged() -> list[str]:
    """A command prefix that makes file permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.mark.slow  # fault injection on a built project
@pytest.mark.parametrize(
    ("folder", "shown"), [("reports", "reports"), (".lozells", ".lozells")], ids=str
)
def test_an_unwritable_folder_is_one_line_and_exit_4(fresh, folder, shown):
    before = published(fresh)
    prefix = _as_unprivileged()
    target = fresh / folder
    for path in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        os.chmod(path, 0o555)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "lozells_analysis.cli", "--root", str(fresh), "build"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # one line, nothing else
    assert_one_line(done.stderr, f"lozells build: permission denied on {shown}")
    assert f"{shown} is read-only (dr-xr-xr-x)" in done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o555
    assert published(fresh) == before


# --- kernels writing at once ----------------------------------------------------------------


WRITE = (
    "import sys\n"
    "from lozells_analysis.data.synthetic import write_synthetic\n"
    "write_synthetic(sys.argv[1], n=40, seed=3)\n"
)


@pytest.mark.slow  # several processes at once
def test_parallel_writers_of_the_synthetic_data_never_share_a_temporary_file(tmp_path):
    """What kernels do when data/synthetic is missing and a build runs with -j 4."""
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITE, str(tmp_path)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [writer.communicate(timeout=300)[1] for writer in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], errors
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert json.loads((tmp_path / "metadata.json").read_text())["synthetic"] is True


def test_each_synthetic_write_uses_a_temporary_name_of_its_own(tmp_path, monkeypatch):
    names: list[str] = []
    real = os.replace

    def spy(src, dst):
        names.append(Path(src).name)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    from lozells_analysis.data.synthetic import write_synthetic

    write_synthetic(tmp_path, n=40, seed=3)
    write_synthetic(tmp_path, n=40, seed=3)
    assert len(names) == len(set(names)) > 2


# --- the catalogue --------------------------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return (
        "defaults:\n  kernel: k\nbomb:\n"
        + "".join(f"  {line}\n" for line in lines)
        + ("reports: []\n")
    )


def test_a_catalogue_alias_bomb_is_refused_quickly_naming_the_problem(tmp_path, capsys):
    catalogue = tmp_path / "reports.yaml"
    catalogue.write_text(alias_bomb())
    started = time.monotonic()
    with pytest.raises(CatalogueError, match="YAML aliases expand the document to [0-9,]+ val"):
        load_catalogue(catalogue)
    assert time.monotonic() - started < 2
    assert main(["--root", str(tmp_path), "list"]) == 2
    err = capsys.readouterr().err
    assert "alias bomb" in err and "Traceback" not in err


def test_a_catalogue_with_a_self_referring_alias_is_refused(tmp_path):
    catalogue = tmp_path / "reports.yaml"
    catalogue.write_text("defaults: &d {kernel: [*d]}\nreports: []\n")
    with pytest.raises(CatalogueError, match="refers to a node that contains it"):
        load_catalogue(catalogue)


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path):
    helpers.make_project(
        tmp_path,
        """
reports:
  - &base {id: one, notebook: notebooks/solo.ipynb, audience: research}
  - {<<: *base, id: two, parameters: {n: 2}}
""",
        {"solo.ipynb": helpers.tiny_cells()},
    )
    runs = load_catalogue(tmp_path / "reports.yaml").runs
    assert [(r.name, r.audience, r.parameters) for r in runs] == [
        ("one", "research", {}),
        ("two", "research", {"n": 2}),
    ]
