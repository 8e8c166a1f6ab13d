"""Time the report build three ways, side by side, on one catalogue.

1. the naive loop a researcher would script: for each report, the ``papermill`` command line
   then the ``jupyter nbconvert --to html`` command line, one after the other;
2. ``lozells build --force`` (every report rebuilt, in parallel kernels);
3. ``lozells build`` again with nothing changed (every report skipped).

Then (unless ``--no-cluster``) the same catalogue on a simulated Slurm cluster
(``lozells build --force --cluster slurm``, with the stand-in ``sbatch``/``squeue``/``scancel``
of ``tests/fake_slurm.py`` running each job as a local process) with 1, 2 and 4 worker jobs,
against the serial build (``--jobs 1``), ratios side by side. On one machine this measures
the cost of the cluster path (scheduler, job start-up, shipping the files back), not a
speed-up a real cluster would give: the workers share this machine's cores.

The catalogue is the repository's ``reports.yaml`` when it lists any runs, otherwise (or with
``--synthetic N``) N runs of a small notebook that imports pandas and matplotlib, draws a
plot and shows a table, like the real ones. The builds go to a scratch folder, never to
``reports/``. Run it with::

    .venv/bin/python benchmarks/bench_build.py            # the real catalogue, or 6 runs
    .venv/bin/python benchmarks/bench_build.py --synthetic 8 --jobs 2
    .venv/bin/python benchmarks/bench_build.py --synthetic 2 --workers 1,2   # quick

Goals (issue #5): the full build at most half the naive loop's time on a 2-core machine; the
no-op build under one second.
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


def cluster_comparison(root: Path, scratch: Path, workers: list[int]) -> None:
    """Serial build, then the simulated Slurm cluster with each number of worker jobs."""
    fake = _fake_slurm()
    state = scratch / "slurm"
    bin_dir = fake.install(scratch / "fake-bin", state)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    rows = [("serial build (--jobs 1)", lozells(root, "--force", "--jobs", "1"), 0)]
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
                "interface=lo",  # scheduler and workers on loopback only
                "--cluster-option",
                "memory=2GiB",
                "--cluster-option",
                "poll_interval=2",
                env=env,
            )
            jobs = len(fake.job_scripts(state)) - before
            rows.append((f"simulated Slurm, max_jobs={n}", seconds, jobs))
    finally:
        fake.kill_all(state)
    serial = rows[0][1]
    print()
    print(f"{'build':<36}{'jobs':>6}{'seconds':>10}{'vs serial':>11}{'speed-up':>10}")
    for label, seconds, jobs in rows:
        print(
            f"{label:<36}{jobs or '-':>6}{seconds:>10.2f}{seconds / serial:>11.2f}"
            f"{serial / seconds:>10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="time N runs of a small notebook instead of reports.yaml",
    )
    parser.add_argument("--jobs", type=int, help="passed to lozells build --jobs")
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="worker jobs of the simulated Slurm cluster to time, comma-separated",
    )
    parser.add_argument(
        "--no-cluster", action="store_true", help="skip the simulated Slurm cluster builds"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="lozells-bench-"))
    try:
        root = make_project(scratch, args.synthetic)
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        from lozells_analysis.reports.catalogue import load_catalogue

        runs = load_catalogue(root / "reports.yaml", root=root).runs
        naive = naive_loop(runs, scratch / "naive")
        full = lozells(root, "--force", *jobs)
        noop = lozells(root, *jobs)
        cores = len(os.sched_getaffinity(0))
        source = (
            "synthetic"
            if args.synthetic
            or root.joinpath("notebooks").is_dir()
            and not (root / "notebooks").is_symlink()
            else "reports.yaml"
        )
        print(f"catalogue: {source}, {len(runs)} runs; {cores} cores")
        print(f"{'method':<42}{'seconds':>10}{'vs naive':>10}")
        for label, seconds in (
            ("naive loop (papermill CLI + nbconvert CLI)", naive),
            ("lozells build --force", full),
            ("lozells build (nothing changed)", noop),
        ):
            print(f"{label:<42}{seconds:>10.2f}{seconds / naive:>10.2f}")
        print(
            f"full build / naive = {full / naive:.2f} (goal <= 0.50); "
            f"no-op build = {noop:.2f} s (goal < 1 s)"
        )
        if not args.no_cluster:
            workers = [int(n) for n in args.workers.split(",") if n.strip()]
            cluster_comparison(root, scratch, workers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
