"""``lozells build --cluster slurm`` through a simulated Slurm on this machine.

``tests/fake_slurm.py`` puts ``sbatch``, ``squeue`` and ``scancel`` first on ``PATH``: ``sbatch``
keeps the job script dask-jobqueue wrote and runs it (its last line starts a Dask worker) as a
local background process; ``squeue`` lists the live ones; ``scancel`` kills every process of a
job. So the whole path runs here: options, job script, submission, workers joining the
scheduler, the runs, jobs that die, and teardown. Scheduler and workers listen on loopback
only (``interface = "lo"``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lozells_analysis.exceptions import BuildError
from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.cluster import (
    ClusterOptionError,
    job_script,
    parse_cluster_options,
    resolve_settings,
)
from lozells_analysis.reports.project import Project
from lozells_analysis.reports.state import BuildState


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _load("reports_helpers")
fake_slurm = _load("fake_slurm")

pytestmark = pytest.mark.slow

PATIENCE = 240  # seconds: a loaded 2-core machine starts Dask workers slowly

PYPROJECT = """
[project]
name = "someone-elses-project"

[tool.lozells.cluster]
queue = "bbdefault"
account = "lozells-eval"
walltime = "02:00:00"
memory = "1GiB"
job_extra_directives = ["--qos=bbshort"]
interface = "lo"          # scheduler and workers on loopback only
poll_interval = 0.5

[tool.lozells.cluster.pbs]
queue = "pbs-only"
"""


@pytest.fixture
def slurm(tmp_path, monkeypatch):
    """The fake Slurm first on PATH; yields the folder where it keeps its jobs."""
    state = tmp_path / "slurm"
    bin_dir = fake_slurm.install(tmp_path / "fake-bin", state)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    yield state
    fake_slurm.kill_all(state)  # a safety net: a passing test left nothing running


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def assert_torn_down(state: Path) -> None:
    """Every job submitted was cancelled and nothing of any job is still running."""
    wait_for(lambda: not fake_slurm.live_processes(state), "the jobs' processes to end")
    jobs = fake_slurm.job_scripts(state)
    assert jobs, "no job was submitted"
    for job in jobs:
        assert (state / f"{job}.cancelled").exists(), f"job {job} was not cancelled"
    queue = subprocess.run(
        ["squeue", "--noheader", "--format=%i %T"], capture_output=True, text=True, check=True
    )
    assert queue.stdout.strip() == "", queue.stdout


def victim_cells(how: str) -> list[dict]:
    """A report that, on a cluster job and while ``flag`` exists, has its own job cancelled
    (``how="job"``, as a walltime or preemption would) or its Dask worker killed."""
    kill = {
        "job": "subprocess.run(['scancel', os.environ['SLURM_JOB_ID']])",
        "worker": "os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent: the worker",
    }[how]
    return [
        helpers.markdown(f"# Victim ({how})"),
        helpers.code(
            'flag: str = ""  # while this file exists, kill the cluster job or worker\n',
            ["parameters"],
        ),
        helpers.code(
            "import os, signal, subprocess, time\n"
            "if flag and os.path.exists(flag) and os.environ.get('SLURM_JOB_ID'):\n"
            f"    {kill}\n"
            "    time.sleep(120)\n"
            "print('VICTIM-SURVIVED')"
        ),
    ]


def index_row(project, name: str) -> str:
    index = (project.reports / "index.html").read_text(encoding="utf-8")
    [row] = [r for r in index.split('<li class="report"') if f"<code>{name}</code>" in r]
    return row


def test_build_through_simulated_slurm_and_a_killed_job_or_worker_fails_only_its_run(
    tmp_path, slurm
):
    flag = tmp_path / "kill-now"
    catalogue = f"""
reports:
  - id: remote
    notebook: notebooks/tiny.ipynb
    audience: briefing
    for_each: {{greeting: [Lozells, Aston]}}
  - id: job-victim
    notebook: notebooks/job_victim.ipynb
    audience: briefing
    parameters: {{flag: {flag}}}
  - id: worker-victim
    notebook: notebooks/worker_victim.ipynb
    audience: briefing
    parameters: {{flag: {flag}}}
"""
    project = helpers.make_project(
        tmp_path,
        catalogue,
        {
            "tiny.ipynb": helpers.tiny_cells(),
            "job_victim.ipynb": victim_cells("job"),
            "worker_victim.ipynb": victim_cells("worker"),
        },
    )
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    # the command line's options win over pyproject.toml's
    options = parse_cluster_options(["partition=short", "walltime=00:10:00", "max-jobs=2"])

    # 1. a build on this machine publishes a good report of every run
    first = build(project, BuildOptions(jobs=2))
    assert [o.status for o in first.outcomes] == ["built"] * 4
    before = {
        name: (project.reports / f"{name}.briefing.html").read_bytes()
        for name in ("job-victim", "worker-victim")
    }

    # 2. the whole path on the cluster: job scripts, submission, workers joining, runs,
    # teardown. One run has its job cancelled under it, another its worker killed: those
    # two fail, and only those; their last good reports stay published and linked
    flag.touch()
    summary = build(project, BuildOptions(force=True, cluster="slurm", cluster_options=options))
    assert not summary.ok
    assert {o.name: o.status for o in summary.outcomes} == {
        "remote-lozells": "built",
        "remote-aston": "built",
        "job-victim": "failed",
        "worker-victim": "failed",
    }
    page = (project.reports / "remote-aston.briefing.html").read_text()
    assert "GREETING: Aston" in page

    scripts = fake_slurm.job_scripts(slurm)
    assert len(scripts) == 2  # four runs, max_jobs = 2
    jobs_dir = project.state_dir / "jobs"
    for job, script in scripts.items():
        directives = [line for line in script.splitlines() if line.startswith("#SBATCH")]
        for expected in (
            "#SBATCH -J lozells-worker",
            "#SBATCH -p short",  # --cluster-option partition=short over pyproject's queue
            "#SBATCH -A lozells-eval",
            "#SBATCH -t 00:10:00",  # --cluster-option walltime over pyproject's 02:00:00
            "#SBATCH --mem=1G",
            "#SBATCH -n 1",
            "#SBATCH --cpus-per-task=1",
            "#SBATCH --qos=bbshort",
            f"#SBATCH -o {jobs_dir}/lozells-worker-%J.out",
            f"#SBATCH -e {jobs_dir}/lozells-worker-%J.err",
        ):
            assert expected in directives, (expected, directives)
        worker = script.strip().splitlines()[-1]
        assert re.search(r"-m distributed\.cli\.dask_worker tcp://127\.0\.0\.1:\d+ ", worker)
        assert "--nthreads 1 " in worker and "--interface lo" in worker
        assert (jobs_dir / f"lozells-worker-{job}.err").is_file()  # the job's own log
    assert_torn_down(slurm)
    build_log = summary.log.read_text(encoding="utf-8")
    assert "Slurm cluster: submitted job(s)" in build_log
    assert re.search(r"run remote-aston -> Slurm job 100[12] \(worker ", build_log)
    assert "Slurm cluster closed" in build_log

    state = BuildState.load(project.state_file)
    for name, page in before.items():
        assert (project.reports / f"{name}.briefing.html").read_bytes() == page
        record = state.runs[name]
        assert record.status == "failed" and record.outputs["briefing"] == f"{name}.briefing.html"
        row = index_row(project, name)
        assert "FAILED" in row and f'href="{name}.briefing.html"' in row, row
        assert f'href="logs/{name}.log"' in row, row
        run_log = (project.reports / "logs" / f"{name}.log").read_text(encoding="utf-8")
        assert "VICTIM-SURVIVED" not in run_log
    # a killed worker is seen by the scheduler: the run's log names its job and says why
    worker_log = (project.reports / "logs" / "worker-victim.log").read_text(encoding="utf-8")
    assert re.search(
        r"its Slurm job 100[12] \(Dask worker \S+\) ended or lost its worker", worker_log
    )
    assert "KilledWorker" in worker_log and "last good report" in worker_log
    assert "FAILED" not in index_row(project, "remote-aston")

    # 3. what was built is up to date for the next build, which submits no job
    again = build(project, BuildOptions(ids=["remote"], cluster="slurm", cluster_options=options))
    assert [o.status for o in again.outcomes] == ["skipped", "skipped"]
    assert len(fake_slurm.job_scripts(slurm)) == 2


def test_jobs_that_never_start_a_worker_fail_the_runs_and_say_why(tmp_path, slurm):
    project = helpers.make_project(
        tmp_path,
        "reports:\n  - {id: solo, notebook: notebooks/tiny.ipynb, audience: research}\n",
        {"tiny.ipynb": helpers.tiny_cells()},
    )
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    options = parse_cluster_options(
        [
            "job_script_prologue=echo 'module: command not found: bear-apps' >&2",
            "job_script_prologue=exit 3",
        ]
    )
    started = time.monotonic()
    summary = build(project, BuildOptions(cluster="slurm", cluster_options=options))
    assert time.monotonic() - started < PATIENCE
    [outcome] = summary.outcomes
    assert outcome.status == "failed"
    assert "none of the Slurm jobs (1001) started a Dask worker" in outcome.error
    run_log = (project.reports / "logs" / "solo.log").read_text(encoding="utf-8")
    # the published log names the job-log folder relative to the project, never its absolute
    # path (machine detail stays out of reports/)
    assert "job_script_prologue" in run_log and ".lozells/jobs" in run_log
    assert str(project.root) not in run_log
    job_log = project.state_dir / "jobs" / "lozells-worker-1001.err"
    assert "module: command not found" in job_log.read_text()
    assert "FAILED" in index_row(project, "solo")
    assert_torn_down(slurm)


def test_a_refused_submission_is_a_clear_error_and_marks_nothing_failed(tmp_path, slurm):
    project = helpers.make_project(
        tmp_path,
        "reports:\n  - {id: solo, notebook: notebooks/tiny.ipynb, audience: research}\n",
        {"tiny.ipynb": helpers.tiny_cells()},
    )
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    options = {"account": "nosuchaccount"}
    with pytest.raises(BuildError, match="could not submit the worker jobs: .*Invalid account"):
        build(project, BuildOptions(cluster="slurm", cluster_options=options))
    assert "solo" not in BuildState.load(project.state_file).runs
    assert fake_slurm.job_scripts(slurm) == {}
    assert not fake_slurm.live_processes(slurm)


def test_an_interrupted_cluster_build_cancels_its_jobs(tmp_path, slurm):
    control = tmp_path / "control"
    control.mkdir()
    held = helpers.tiny_cells(
        "\nimport os, pathlib, time\n"
        f"pathlib.Path({str(control)!r}, 'started').write_text(str(os.getpid()))\n"
        "time.sleep(120)"
    )
    project = helpers.make_project(
        tmp_path,
        "reports:\n  - {id: held, notebook: notebooks/held.ipynb, audience: research}\n",
        {"held.ipynb": held},
    )
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "lozells"),
            "--root",
            str(project.root),
            "build",
            "--cluster",
            "slurm",
            "--cluster-option",
            "walltime=00:05:00",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: (control / "started").exists() or proc.poll() is not None,
            "the run to start on the cluster",
            PATIENCE,
        )
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    assert_torn_down(slurm)
    assert not (project.reports / "held.research.html").exists()
    page = (project.reports / "index.html").read_text(encoding="utf-8")
    assert "The last build stopped early (build interrupted by SIGINT)" in page


# --- options, without starting anything ----------------------------------------------------


def test_options_come_from_pyproject_then_its_kind_table_then_the_command_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    project = Project.at(tmp_path)
    slurm = resolve_settings(project, "slurm", {"cores": "2", "max_jobs": "3"})
    assert slurm.job["queue"] == "bbdefault" and slurm.job["cores"] == 2
    assert slurm.job["walltime"] == "02:00:00" and slurm.job["processes"] == 1
    assert slurm.max_jobs == 3 and slurm.jobs_for(5) == 3 and slurm.jobs_for(3) == 2
    assert slurm.retries == 0 and slurm.poll_interval == 0.5
    assert slurm.job["log_directory"] == str(tmp_path / ".lozells" / "jobs")

    pbs = resolve_settings(project, "pbs", {"resource_spec": "select=1:ncpus=1:mem=1GB"})
    script = job_script(pbs)
    assert "#PBS -q pbs-only" in script  # [tool.lozells.cluster.pbs] over the shared table
    assert "#PBS -A lozells-eval" in script and "#PBS -l walltime=02:00:00" in script
    assert "#PBS -l select=1:ncpus=1:mem=1GB" in script

    sge = job_script(resolve_settings(project, "sge", {"project": "evaluation"}))
    assert "#$ -q bbdefault" in sge and "#$ -P evaluation" in sge
    assert "#$ -l h_rt=02:00:00" in sge

    slurm_script = job_script(slurm)
    assert "#SBATCH --cpus-per-task=2" in slurm_script and "--nthreads 2" in slurm_script


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cluster-option", "partiton=short"], "unknown option 'partiton' for --cluster slurm"),
        (["--cluster-option", "cores=two"], "cores = 'two' is not a whole number"),
        (["--cluster-option", "walltime"], "expected KEY=VALUE"),
        (["--cluster-option", "cores=1", "--cluster-option", "cores=2"], "a single value"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--cluster or --scheduler, not both"),
    ],
    ids=["typo", "not-a-number", "no-value", "twice", "with-scheduler"],
)
def test_bad_cluster_options_are_usage_errors_before_anything_starts(
    tmp_path, capsys, args, message
):
    from lozells_analysis.cli import main

    assert main(["--root", str(tmp_path), "build", "--cluster", "slurm", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / ".lozells").exists()  # no lock taken, no job log folder


def test_a_bad_pyproject_table_and_an_option_without_cluster_are_usage_errors(tmp_path, capsys):
    from lozells_analysis.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.lozells.cluster.lsf]\nqueue = 'x'\n")
    assert main(["--root", str(tmp_path), "build", "--cluster", "slurm"]) == 2
    assert "[lsf] is not a batch system" in capsys.readouterr().err
    assert main(["--root", str(tmp_path), "build", "--cluster-option", "cores=1"]) == 2
    assert "--cluster-option needs --cluster" in capsys.readouterr().err
    with pytest.raises(ClusterOptionError, match="retries = -1"):
        resolve_settings(Project.at(tmp_path / "elsewhere"), "slurm", {"retries": -1})


class _Listing:
    """A stand-in Dask client and job cluster: what ``scheduler_info`` and the jobs show."""

    def __init__(self) -> None:
        self.running: dict[str, dict] = {}
        self.workers: dict[str, object] = {}

    def scheduler_info(self) -> dict:
        return {"workers": dict(self.running)}

    def close(self) -> None:
        pass


def test_a_worker_missing_from_one_snapshot_is_not_taken_for_dead(monkeypatch):
    """Under load, one look at the scheduler can miss a worker (or see it paused): the
    build must use it again when it is listed as running, not wait for ever for a thread
    (what a full-catalogue benchmark on a loaded machine met: 6 runs waited, job alive)."""
    from types import SimpleNamespace

    from lozells_analysis.reports.cluster import ClusterSettings, _ClusterClient

    listing = _Listing()
    client = _ClusterClient(listing, listing, ClusterSettings("slurm", {"cores": 1}))
    client._stop.set()  # drive the updates by hand
    client._watcher.join(timeout=5)
    address = "tcp://127.0.0.1:40001"
    worker = {address: ("SLURMCluster-0", 1)}
    listing.workers = {"SLURMCluster-0": SimpleNamespace(job_id="1001")}
    jobs = {"SLURMCluster-0": "1001"}

    client._update(worker, jobs, {"1001"})
    assert client._acquire() == address
    client._release(address)
    client._update({}, jobs, {"1001"})  # one snapshot without it: its job still runs
    assert client._workers == {} and address in client._dead
    client._update(worker, jobs, {"1001"})  # listed as running again
    assert address not in client._dead and client._workers == worker
    assert client._acquire() == address  # returns at once instead of waiting
    client._release(address)
    client.close()
