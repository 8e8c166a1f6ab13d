"""A stand-in Slurm on one machine: ``sbatch``, ``squeue`` and ``scancel`` as small Python
scripts in a folder put first on ``PATH`` (loaded by path by tests/reports/test_cluster.py and
benchmarks/bench_build.py; not a test module itself).

- ``sbatch SCRIPT`` keeps a copy of the job script (``STATE/<id>.sh``, what the tests assert
  on), refuses it the way Slurm would for an account named ``nosuchaccount``, starts it with
  ``bash`` as a background process in a session of its own (stdout/stderr to the ``#SBATCH -o``
  / ``-e`` files, ``%J`` replaced), with ``SLURM_JOB_ID`` set, and prints
  ``Submitted batch job <id>``. The job script's last line is dask-jobqueue's
  ``python -m distributed.cli.dask_worker tcp://...`` command, so the job is a Dask worker.
- ``squeue --noheader --format='%i %T' --jobs=ID,...`` prints ``<id> RUNNING`` for each job whose
  script process is still alive (all of the jobs with no ``--jobs``).
- ``scancel ID ...`` kills every process of the job, as Slurm's cgroup does: each process
  started under the job carries ``FAKE_SLURM_JOB=<state folder>:<id>`` in its environment
  (the Dask worker, its nanny and the report kernels it starts), so kernels that left the
  job's process group are found too. SIGTERM first, SIGKILL after two seconds.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

MARKER = "FAKE_SLURM_JOB"

_COMMON = r"""
import os, re, signal, subprocess, sys, time
from pathlib import Path

STATE = Path(__STATE__)
MARKER = "FAKE_SLURM_JOB"


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def job_pid(job):
    try:
        return int((STATE / f"{job}.pid").read_text())
    except (OSError, ValueError):
        return None


def job_processes(job):
    tag = f"{MARKER}={STATE}:{job}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if tag in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            pass
    return found
"""

_SBATCH = r"""
script = Path(sys.argv[-1]).read_text()
if re.search(r"^#SBATCH -A nosuchaccount$", script, re.M):
    sys.exit("sbatch: error: Batch job submission failed: Invalid account or "
             "account/partition combination specified")
STATE.mkdir(parents=True, exist_ok=True)
job = 1000
while True:
    job += 1
    try:
        fd = os.open(STATE / f"{job}.sh", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        break
    except FileExistsError:
        continue
os.write(fd, script.encode())
os.close(fd)


def directive(flag, default):
    m = re.search(rf"^#SBATCH {flag} (\S+)$", script, re.M)
    return Path((m.group(1) if m else default).replace("%J", str(job)).replace("%j", str(job)))


out = directive("-o", str(STATE / f"slurm-{job}.out"))
err = directive("-e", str(out))
out.parent.mkdir(parents=True, exist_ok=True)
err.parent.mkdir(parents=True, exist_ok=True)
env = dict(os.environ, SLURM_JOB_ID=str(job), **{MARKER: f"{STATE}:{job}"})
with open(out, "ab") as o, open(err, "ab") as e:
    proc = subprocess.Popen(["bash", str(STATE / f"{job}.sh")], stdin=subprocess.DEVNULL,
                            stdout=o, stderr=e, env=env, start_new_session=True)
(STATE / f"{job}.pid").write_text(str(proc.pid))
print(f"Submitted batch job {job}")
"""

_SQUEUE = r"""
jobs = None
args = sys.argv[1:]
for i, arg in enumerate(args):
    if arg.startswith("--jobs="):
        jobs = arg.split("=", 1)[1].split(",")
    elif arg in ("-j", "--jobs"):
        jobs = args[i + 1].split(",")
if jobs is None:
    jobs = sorted(p.stem for p in STATE.glob("*.pid"))
for job in jobs:
    pid = job_pid(job)
    if pid and alive(pid):
        print(f"{job} RUNNING")
"""

_SCANCEL = r"""
for job in [a for a in sys.argv[1:] if not a.startswith("-")]:
    (STATE / f"{job}.cancelled").touch()
    pids = set(job_processes(job))
    if job_pid(job):
        pids.add(job_pid(job))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.05)
        pids = {p for p in pids if alive(p)}
        if not pids:
            break
"""


def install(bin_dir: Path, state: Path) -> Path:
    """Write ``sbatch``, ``squeue`` and ``scancel`` into ``bin_dir`` (jobs kept in ``state``);
    returns ``bin_dir``, to put first on ``PATH``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    common = _COMMON.replace("__STATE__", repr(str(state)))
    for name, body in (("sbatch", _SBATCH), ("squeue", _SQUEUE), ("scancel", _SCANCEL)):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{common}\n{body}", encoding="utf-8")
        path.chmod(0o755)
    return bin_dir


def job_scripts(state: Path) -> dict[str, str]:
    """Job id -> the job script ``sbatch`` was given, for every job submitted so far."""
    return {p.stem: p.read_text() for p in sorted(state.glob("*.sh"))}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def live_processes(state: Path) -> list[int]:
    """Every live process started under any of the fake jobs (empty after a clean teardown)."""
    prefix = f"{MARKER}={state}:".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                tagged = any(v.startswith(prefix) for v in f.read().split(b"\0"))
        except OSError:
            continue
        if tagged and _alive(int(entry)):
            found.append(int(entry))
    return found


def kill_all(state: Path, timeout: float = 5.0) -> None:
    """Kill whatever is left of the fake jobs (a test's safety net)."""
    deadline = time.monotonic() + timeout
    while (pids := live_processes(state)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
