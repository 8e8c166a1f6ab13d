"""Where a command's CPU time goes, by kind of process and by the test that started it.

Runs the command (by default ``make test``), reads every process in ``/proc`` twice a second
until it ends, and prints the CPU seconds used while it ran:

- by kind of process: Jupyter kernels, Chromium, the pytest workers, ``lozells`` build
  processes, the catalogue's background builder, Dask workers, ...;
- by test file and by test: a process belongs to the test named in its environment
  (``PYTEST_CURRENT_TEST``, which pytest sets while a test runs and every process it starts
  inherits) or, failing that, to its nearest ancestor's. The pytest workers' own CPU (the
  quick tests, in-process builds) has no test of its own and is shown as ``(workers)``.

Processes that start and end between two readings are missed, and the reading itself costs
CPU (the run takes longer with it), so the figures are a floor for the work and an upper
bound for the wall time. It answers one question: whether a 2-core machine is waiting or
working, and on what.

Run it with::

    .venv/bin/python benchmarks/suite_cpu.py                    # make test
    .venv/bin/python benchmarks/suite_cpu.py -- make test-fast
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")

KINDS = [  # (part of the command line, kind): the first that matches wins
    ("ipykernel_launcher", "Jupyter kernels"),
    ("lozells_analysis.cli", "lozells build processes"),
    ("launcher.py", "lozells build processes"),
    ("/bin/lozells", "lozells build processes"),
    ("browser_support.py", "catalogue builder"),
    ("lib/chromium/chromium", "Chromium"),
    ("chrome", "Chromium"),
    ("playwright", "Playwright driver"),
    ("exec(eval(sys.stdin", "pytest workers"),
    ("jupyter-lab", "JupyterLab"),
    ("jupyterlab", "JupyterLab"),
    ("-m pytest", "pytest controller"),
    ("bin/pytest", "pytest controller"),
    ("distributed", "Dask"),
    ("multiprocessing", "process pools"),
    ("python", "other Python"),
]


def kind(command: str) -> str:
    """The kind of a process, from its command line."""
    return next((name for part, name in KINDS if part in command), "other")


@dataclass
class Seen:
    """One process as read from ``/proc``: CPU at first and last reading, its parent."""

    first: float
    last: float
    parent: str
    command: str = ""
    test: str | None = None


@dataclass
class Sampler:
    processes: dict[tuple[str, str], Seen] = field(default_factory=dict)
    by_pid: dict[str, tuple[str, str]] = field(default_factory=dict)
    started: bool = False

    def read(self) -> None:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            key = (pid, stat[19])  # pid and start time: a reused pid is another process
            cpu = (int(stat[11]) + int(stat[12])) / TICK
            seen = self.processes.get(key)
            if seen is None:
                # a process already running when sampling began counts from now
                seen = Seen(cpu if not self.started else 0.0, cpu, stat[1])
                seen.test = _test_of(pid)
                self.processes[key] = seen
                self.by_pid[pid] = key
            if not seen.command:
                seen.command = _command(pid)
            seen.last = cpu
        self.started = True

    def owner(self, key: tuple[str, str]) -> str | None:
        """What a process worked for: the catalogue's background build if it or an
        ancestor is the builder (whichever test's set-up started it), else the test it or
        its nearest ancestor was started for."""
        chain = []
        for _ in range(30):
            seen = self.processes[key]
            chain.append(seen)
            parent = self.by_pid.get(seen.parent)
            if parent is None or parent == key:
                break
            key = parent
        if any(kind(seen.command) == "catalogue builder" for seen in chain):
            return "(the catalogue build)"
        return next((seen.test for seen in chain if seen.test), None)


def _test_of(pid: str) -> str | None:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for entry in f.read().split(b"\0"):
                if entry.startswith(b"PYTEST_CURRENT_TEST="):
                    name = entry.split(b"=", 1)[1].decode(errors="replace")
                    return name.rsplit(" (", 1)[0]  # drop " (setup)", " (call)"
    except OSError:
        pass
    return None


def _command(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def table(title: str, counts: Counter, rows: int) -> str:
    lines = [f"\n{title}", "-" * len(title)]
    lines += [f"{cpu:8.1f}  {name}" for name, cpu in counts.most_common(rows) if cpu >= 0.5]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="*", default=["make", "test"])
    args = parser.parse_args()
    sampler = Sampler()
    sampler.read()
    start = time.monotonic()
    child = subprocess.Popen(args.command)
    while child.poll() is None:
        time.sleep(0.5)
        sampler.read()
    wall = time.monotonic() - start
    kinds, files, tests = Counter(), Counter(), Counter()
    for key, seen in sampler.processes.items():
        used = seen.last - seen.first
        if used <= 0:
            continue
        what = kind(seen.command)
        test = sampler.owner(key)
        if what == "pytest workers" or test is None:
            test = f"({what})"
        kinds[what] += used
        files[test.split("::")[0]] += used
        tests[test] += used
    total = sum(kinds.values())
    print(
        f"\n{' '.join(args.command)}: exit {child.returncode}, {wall:.0f} s wall, "
        f"{total:.0f} CPU s ({total / wall:.2f} cores on average, {os.cpu_count()} here)"
    )
    print(table("CPU s by kind of process", kinds, 20))
    print(table("CPU s by test file (with the processes its tests started)", files, 30))
    print(table("CPU s by test", tests, 40))
    return child.returncode


if __name__ == "__main__":
    raise SystemExit(main())
