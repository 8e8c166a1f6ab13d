"""Time and peak memory of generating the synthetic survey and of loading a survey file.

Run: ``.venv/bin/python benchmarks/bench_data.py [--rows 1000000] [--csv-rows 100000,1000000]``

Each measurement runs in a fresh Python process so its peak resident memory (ru_maxrss) is
its own; the baseline line is that of a process that only imports the library, so the
difference is what the step itself costs. Goals (issue #2): generate(n=1_000_000) at most
30 s and 2 GiB; load_survey on a million-row Parquet file at most 5 s including validation.

CSV (issue #12): for each size in ``--csv-rows`` a CSV export is written (the synthetic
survey, one row per respondent, as ``DataFrame.to_csv`` writes it) and loaded with
``load_survey`` in a process of its own. The table gives the file's size, the process's
peak RSS, and two ratios: peak RSS over the file's size (the whole process, importing
pandas and pyarrow included: the issue's measure, 12x before) and the load's own cost over
the file's size (peak minus the import baseline). The goal is a peak under 3x the file.
Nothing is asserted: the figures are for ``docs/data.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

STEP = textwrap.dedent(
    """
    import json, resource, sys, time
    from lozells_analysis.data.synthetic import generate
    from lozells_analysis.data.load import load_survey
    kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    t0 = time.perf_counter()
    if kind == "generate":
        frame = generate(n=n)
    elif kind == "write":
        generate(n=n).to_parquet(path)
        frame = None
    elif kind == "write-csv":
        generate(n=n).to_csv(path, index=False)
        frame = None
    elif kind == "load":
        frame = load_survey(path)
    else:
        frame = None
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = int(frame.memory_usage(deep=True).sum()) if frame is not None else 0
    print(json.dumps({"seconds": seconds, "peak": peak, "frame_bytes": size}))
    """
)


def run(kind: str, n: int, path: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, kind, str(n), path],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--csv-rows",
        default="100000,1000000",
        help="comma-separated row counts of the CSV exports to load (e.g. 100000,1000000,"
        "3000000); empty to skip",
    )
    parser.add_argument(
        "--skip-generate", action="store_true", help="only the CSV loads (and the baseline)"
    )
    args = parser.parse_args()
    gib = 1024**3
    csv_sizes = [int(s) for s in args.csv_rows.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        base = run("baseline", 0, "")
        rows = []
        if not args.skip_generate:
            big = str(Path(tmp) / "survey.parquet")
            rows += [
                ("generate(n=2852)", run("generate", 2852, "")),
                (f"generate(n={args.rows:,})", run("generate", args.rows, "")),
            ]
            run("write", args.rows, big)
            rows.append((f"load_survey({args.rows:,}-row Parquet)", run("load", 0, big)))
            os.unlink(big)
        csv_rows = []
        for n in csv_sizes:
            path = str(Path(tmp) / f"survey_{n}.csv")
            run("write-csv", n, path)
            size = os.path.getsize(path)
            csv_rows.append((n, size, run("load", 0, path)))
            os.unlink(path)
    print(f"{'step':<36}{'seconds':>9}{'peak RSS':>11}{'over import':>13}{'frame':>10}")
    print(f"{'import lozells_analysis (baseline)':<36}{'':>9}{base['peak'] / gib:>9.2f}Gi")
    for name, r in rows:
        print(
            f"{name:<36}{r['seconds']:>9.2f}{r['peak'] / gib:>9.2f}Gi"
            f"{(r['peak'] - base['peak']) / gib:>11.2f}Gi{r['frame_bytes'] / 1e6:>8.0f}MB"
        )
    if csv_rows:
        mib = 1024**2
        print()
        print(
            f"{'load_survey(CSV)':<24}{'file':>10}{'seconds':>9}{'peak RSS':>11}"
            f"{'peak/file':>11}{'load/file':>11}{'frame':>9}"
        )
        for n, size, r in csv_rows:
            print(
                f"{f'{n:,} rows':<24}{size / mib:>8.0f}Mi{r['seconds']:>9.1f}"
                f"{r['peak'] / mib:>9.0f}Mi{r['peak'] / size:>10.2f}x"
                f"{(r['peak'] - base['peak']) / size:>10.2f}x{r['frame_bytes'] / mib:>7.0f}Mi"
            )
        print(
            "peak/file: the loading process's peak RSS (imports included) over the file's "
            "size;\nload/file: the same less the import baseline. Goal: under 3x."
        )


if __name__ == "__main__":
    main()
