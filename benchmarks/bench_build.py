"""Time the report catalogue on a simulated Slurm cluster against the serial build.

By default: the repository's full catalogue (``reports.yaml``, every run) built four ways,
ratios side by side in one table:

1. ``lozells build --force --jobs 1``: the serial build, one report kernel at a time;
2. ``lozells build --force --cluster slurm`` with ``max_jobs`` 1, 2 and 4 (``--workers``):
   worker jobs of one core each, through a stand-in ``sbatch``/``squeue``/``scancel`` put
   first on ``PATH`` (``tests/fake_slurm.py``, loaded by path: each "job" is the job script
   dask-jobqueue wrote, run as a local process, so it is a real Dask worker).

On one machine this measures what the cluster path costs (the scheduler, job start-up,
shipping notebooks and rendered files back and forth) and how far the workers overlap on
the cores this machine has, not the speed-up of a real cluster, where each job has its
own node. The machine's core count and load average are printed with the table.

An untimed warm-up builds the first run once before anything is timed (imports, the
kernel's first start, the parameter cache), so no row pays for them alone. The builds go to
a scratch project (symlinks to ``notebooks/`` and ``data/``), never to ``reports/``.

``--naive`` also times, first, the comparison of issue #5: the naive loop a researcher
would script (the ``papermill`` then ``jupyter nbconvert --to html`` command lines, report
by report), ``lozells build --force`` with the default parallelism, and a no-op build
(goals: the full build at most half the naive loop; the no-op under one second).

Run it with::

    .venv/bin/python benchmarks/bench_build.py                       # all runs, 1/2/4 workers
    .venv/bin/python benchmarks/bench_build.py --only themes barriers-all --workers 1,2
    .venv/bin/python benchmarks/bench_build.py --synthetic 4 --workers 1   # a quick check
    .venv/bin/python benchmarks/bench_build.py --naive --no-cluster        # issue #5 only

``--only`` takes entry ids or run names, as ``lozells build`` does; ``--synthetic N`` times N
runs of a small notebook (pandas, a plot, a table) instead of ``reports.yaml``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SMALL_NOTEBOOK_CELLS = [
    ("markdown", "# Benchmark report\n\nA small stand-in for an analysis notebook.", []),
    (
        "code",
        'neighbourhood: str = "Lozells"  # which neighbourhood\nn: int = 200  # rows of fake data',
        ["parameters"],
    ),
    ("code", "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt", []),
    (
        "code",
        "rng = np.random.default_rng(len(neighbourhood))\n"
        "df = pd.DataFrame({'wave': rng.integers(1, 7, n), 'score': rng.normal(5, 2, n)})\n"
        "df.groupby('wave').score.describe().round(2)",
        [],
    ),
    (
        "code",
        "fig, ax = plt.subplots(figsize=(6, 3))\n"
        "df.groupby('wave').score.mean().plot(ax=ax, marker='o')\n"
        "ax.set_title(neighbourhood);",
        [],
    ),
]


def _small_notebook(path: Path) -> None:
    cells = []
    for i, (kind, source, tags) in enumerate(SMALL_NOTEBOOK_CELLS):
        cell = {"cell_type": kind, "id": f"c{i}", "metadata": {"tags": tags}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": cells,
        "metadata": {
            "kernelspec": {
                "name": "lozells-analysis",
                "language": "python",
                "display_name": "Python (lozells-analysis)",
            }
        },
    }
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def make_project(scratch: Path, synthetic: int | None) -> Path:
    """A scratch project root holding the catalogue to time; returns its root."""
    root = scratch / "project"
    root.mkdir()
    real = yaml.safe_load((REPO / "reports.yaml").read_text()) or {}
    if synthetic is None and real.get("reports"):
        (root / "notebooks").symlink_to(REPO / "notebooks")
        (root / "data").symlink_to(REPO / "data")
        shutil.copy(REPO / "reports.yaml", root / "reports.yaml")
        if (REPO / "requirements.lock").exists():
            shutil.copy(REPO / "requirements.lock", root / "requirements.lock")
        return root
    (root / "notebooks").mkdir()
    _small_notebook(root / "notebooks" / "bench.ipynb")
    places = [
        "Lozells",
        "Aston",
        "Birchfield",
        "Handsworth",
        "Newtown",
        "Nechells",
        "Perry Barr",
        "Soho",
        "Winson Green",
        "Ladywood",
        "Hockley",
        "Digbeth",
    ]
    count = synthetic or 6
    catalogue = {
        "reports": [
            {
                "id": "bench",
                "notebook": "notebooks/bench.ipynb",
                "audience": "briefing",
                "for_each": {"neighbourhood": (places * (count // len(places) + 1))[:count]},
            }
        ]
    }
    if count > len(places):
        raise SystemExit(f"--synthetic is limited to {len(places)} runs")
    (root / "reports.yaml").write_text(yaml.safe_dump(catalogue), encoding="utf-8")
    return root


def naive_loop(runs: list, out: Path) -> float:
    """papermill CLI then nbconvert CLI for each run, serially; returns seconds."""
    out.mkdir()
    started = time.perf_counter()
    for run in runs:
        executed = out / f"{run.name}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(run.notebook),
                str(executed),
                "-k",
                run.kernel,
                "-y",
                yaml.safe_dump(run.parameters),
                "--cwd",
                str(run.notebook.parent),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def lozells(root: Path, *args: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "lozells"), "--root", str(root), "-q", "build", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"lozells build {' '.join(args)} failed ({done.returncode}):\n{done.stderr}"
        )
    return elapsed


def _fake_slurm():
    """tests/fake_slurm.py, loaded by path (the tests' stand-in Slurm)."""
    spec = importlib.util.spec_from_file_location("fake_slurm", REPO / "tests" / "fake_slurm.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cluster_comparison(
    root: Path, scratch: Path, workers: list[int], only: list[str]
) -> list[tuple[str, float, int]]:
    """The serial build, then the simulated Slurm cluster with each number of worker jobs;
    prints each row as it is measured (a long run that is stopped keeps what it measured)
    and returns (label, seconds, jobs submitted) rows, the serial build first."""
    fake = _fake_slurm()
    state = scratch / "slurm"
    bin_dir = fake.install(scratch / "fake-bin", state)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    print(f"{'build':<40}{'jobs':>6}{'seconds':>10}{'/ serial':>10}{'speed-up':>10}", flush=True)
    serial = lozells(root, "--force", "-j", "1", *only)
    rows = [("lozells build --force -j 1 (serial)", serial, 0)]
    print_row(*rows[0], serial)
    try:
        for n in workers:
            before = len(fake.job_scripts(state))
            seconds = lozells(
                root,
                "--force",
                "--cluster",
                "slurm",
                "--cluster-option",
                f"max_jobs={n}",
                "--cluster-option",
                "cores=1",  # one run at a time per job: n jobs = n workers
                "--cluster-option",
                "interface=lo",  # scheduler and workers on loopback only
                "--cluster-option",
                "memory=2GiB",
                "--cluster-option",
                "poll_interval=2",
                *only,
                env=env,
            )
            jobs = len(fake.job_scripts(state)) - before
            rows.append((f"simulated Slurm, {n} worker job{'s' if n > 1 else ''}", seconds, jobs))
            print_row(*rows[-1], serial)
    finally:
        fake.kill_all(state)
    return rows


def print_row(label: str, seconds: float, jobs: int, serial: float) -> None:
    print(
        f"{label:<40}{jobs or '-':>6}{seconds:>10.1f}{seconds / serial:>10.2f}"
        f"{serial / seconds:>10.2f}",
        flush=True,
    )


def naive_comparison(root: Path, scratch: Path, runs: list, only: list[str]) -> None:
    """Issue #5: the naive loop, the default parallel build, and a no-op build."""
    naive = naive_loop(runs, scratch / "naive")
    full = lozells(root, "--force", *only)
    noop = lozells(root, *only)
    print(f"{'method':<42}{'seconds':>10}{'/ naive':>10}")
    for label, seconds in (
        ("naive loop (papermill CLI + nbconvert CLI)", naive),
        ("lozells build --force", full),
        ("lozells build (nothing changed)", noop),
    ):
        print(f"{label:<42}{seconds:>10.2f}{seconds / naive:>10.2f}")
    print(
        f"full build / naive = {full / naive:.2f} (goal <= 0.50); "
        f"no-op build = {noop:.2f} s (goal < 1 s)\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="ID",
        help="time only these entry ids or run names (default: the whole catalogue)",
    )
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="time N runs of a small notebook instead of reports.yaml",
    )
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="worker jobs of the simulated Slurm cluster to time, comma-separated",
    )
    parser.add_argument(
        "--naive",
        action="store_true",
        help="also time the naive papermill + nbconvert loop and a no-op build (issue #5)",
    )
    parser.add_argument(
        "--no-cluster", action="store_true", help="skip the serial and simulated Slurm builds"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="lozells-bench-"))
    try:
        root = make_project(scratch, args.synthetic)
        from lozells_analysis.reports.catalogue import load_catalogue

        runs = load_catalogue(root / "reports.yaml", root=root).select(args.only)
        source = (
            "synthetic notebook"
            if (root / "notebooks").is_dir() and not (root / "notebooks").is_symlink()
            else "reports.yaml"
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"catalogue: {source}, {len(runs)} runs; {len(os.sched_getaffinity(0))} cores; "
            f"load average before: {load}",
            flush=True,
        )
        # untimed warm-up: imports, the kernel's first start, the parameter cache
        lozells(root, "--force", "-j", "1", runs[0].name)
        if args.naive:
            naive_comparison(root, scratch, runs, args.only)
        if not args.no_cluster:
            workers = [int(n) for n in args.workers.split(",") if n.strip()]
            cluster_comparison(root, scratch, workers, args.only)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"load average after: {load}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
