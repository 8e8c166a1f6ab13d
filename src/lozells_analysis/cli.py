"""The ``lozells`` command line: a thin layer over :mod:`lozells_analysis.reports`.

Exit status: 0 every requested run succeeded (or was already up to date); 1 some run failed;
2 a usage or catalogue error, or a survey file that does not fit the codebook
(``lozells check``; nothing ran); 3 another build holds the lock (``--wait`` waits
instead); 4 the machine stopped the build: no space left, a read-only, missing or
unwritable ``reports/`` or ``.lozells/`` (one line on stderr naming the folder; published
reports are left as they were); 130 or 143 the build was interrupted by SIGINT or SIGTERM
(published reports are left intact).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only; the commands import their modules lazily
    from lozells_analysis.reports.project import Project

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_ENVIRONMENT = 0, 1, 2, 3, 4

log = logging.getLogger("lozells_analysis.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lozells",
        description="Build the Local Conversations reports listed in reports.yaml.",
        epilog="Exit status: 0 all requested runs succeeded or were up to date, 1 a run "
        "failed, 2 usage or catalogue error, 3 another build holds the lock, 4 no space "
        "left or a read-only, missing or unwritable output folder (published reports "
        "untouched), 130/143 interrupted.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="project root (default: the repository, or $LOZELLS_PROJECT_ROOT)",
    )
    parser.add_argument(
        "--catalogue", type=Path, help="catalogue file (default: ROOT/reports.yaml)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only print failures")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="execute and publish reports (skips what has not changed)")
    b.add_argument("ids", nargs="*", metavar="ID", help="entry ids or run names (default: all)")
    b.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    b.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="runs in parallel on this machine (default: number of cores)",
    )
    b.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="submit runs to a Dask distributed scheduler, e.g. tcp://HOST:8786",
    )
    b.add_argument(
        "--cluster",
        choices=["slurm", "pbs", "sge"],
        help="start Dask workers as batch jobs for this build (dask-jobqueue) and cancel them "
        "at the end; options from [tool.lozells.cluster] in pyproject.toml and --cluster-option",
    )
    b.add_argument(
        "--cluster-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of --cluster (repeatable; wins over pyproject.toml), e.g. "
        "queue=bbdefault account=myproject walltime=02:00:00 memory=8GB cores=1 max_jobs=10 "
        "job_extra_directives=--qos=bbdefault",
    )
    b.add_argument(
        "--pdf",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print each briefing pack to PDF with headless Chromium (an entry can opt out "
        "with 'pdf: false'); default: when Chromium is installed. --pdf requires it, "
        "--no-pdf makes none",
    )
    b.add_argument(
        "--wait",
        action="store_true",
        help="if another build is running, wait for it instead of exiting with 3",
    )

    sub.add_parser("list", help="every run in the catalogue, its state and when it was built")

    p = sub.add_parser("params", help="the parameters a notebook takes")
    p.add_argument("notebook", type=Path, metavar="NOTEBOOK")

    c = sub.add_parser("clean", help="remove built reports, logs and build state")
    c.add_argument("--wait", action="store_true", help="wait for a running build to finish")

    sub.add_parser("generate", help="write the synthetic survey data into data/synthetic/")

    k = sub.add_parser("check", help="check a survey file against the codebook (no reports run)")
    k.add_argument("file", type=Path, metavar="FILE", help="CSV, Excel, SPSS, Stata or Parquet")
    k.add_argument("--mapping", type=Path, default=None, help="a mapping file (YAML)")
    k.add_argument("--sheet", default=None, help="Excel: the sheet holding the data")
    return parser


def _progress_handler(quiet: bool) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    handler.setLevel(logging.ERROR if quiet else logging.INFO)
    ours = logging.getLogger("lozells_analysis")
    ours.addHandler(handler)
    if ours.getEffectiveLevel() > logging.INFO:
        ours.setLevel(logging.INFO)
    return handler


def _project(args: argparse.Namespace) -> Project:
    from lozells_analysis.reports.project import Project

    return Project.at(args.root, catalogue=args.catalogue)


def _cmd_build(args: argparse.Namespace) -> int:
    from lozells_analysis.reports.build import BuildInterrupted, BuildOptions, build, describe

    if args.jobs is not None and args.jobs < 1:
        print("lozells build: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    cluster_options = _cluster_options(args)
    if cluster_options is None:
        return EXIT_USAGE
    options = BuildOptions(
        ids=args.ids,
        force=args.force,
        jobs=args.jobs,
        scheduler=args.scheduler,
        cluster=args.cluster,
        cluster_options=cluster_options,
        pdf=args.pdf,
        wait=args.wait,
    )
    try:
        summary = build(_project(args), options)
    except BuildInterrupted as exc:
        print(f"lozells build: {exc}; published reports were left intact", file=sys.stderr)
        return 128 + exc.signum
    print(describe(summary), file=sys.stderr)
    if summary.index is not None and not args.quiet:
        print(f"index: {summary.index}", file=sys.stderr)
    return EXIT_OK if summary.ok else EXIT_FAILED


def _cluster_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--cluster-option`` as a dict, checked (with pyproject.toml's) before the build
    starts; None after printing why they are not usable (a usage error)."""
    if args.cluster and args.scheduler:
        print("lozells build: give --cluster or --scheduler, not both", file=sys.stderr)
        return None
    if args.cluster_option and not args.cluster:
        print("lozells build: --cluster-option needs --cluster", file=sys.stderr)
        return None
    if not args.cluster:
        return {}
    from lozells_analysis.reports.cluster import (
        ClusterOptionError,
        parse_cluster_options,
        resolve_settings,
    )

    try:
        options = parse_cluster_options(args.cluster_option)
        resolve_settings(_project(args), args.cluster, options)
    except ClusterOptionError as exc:
        print(f"lozells build: {exc}", file=sys.stderr)
        return None
    return options


def _cmd_list(args: argparse.Namespace) -> int:
    from lozells_analysis.reports.build import run_statuses

    statuses = run_statuses(_project(args))
    if not statuses:
        print("The catalogue lists no reports.")
        return EXIT_OK
    rows = [("RUN", "AUDIENCE", "STATE", "LAST BUILT", "NOTE")]
    for s in statuses:
        built = (s.record.built_at or "never") if s.record else "never"
        note = ""
        if s.record and s.record.status == "failed":
            note = s.record.error or ""
        elif s.state == "out of date":
            note = s.reason or ""
        rows.append((s.run.name, s.run.audience, s.state, built, note))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])), row[4])
    return EXIT_OK


def _cmd_params(args: argparse.Namespace) -> int:
    from lozells_analysis.reports.parameters import notebook_parameters

    params = notebook_parameters(args.notebook)
    if not params:
        print(f"{args.notebook}: no cell tagged 'parameters'")
        return EXIT_OK
    rows = [("NAME", "TYPE", "DEFAULT", "HELP")] + [
        (p.name, p.type, p.default, p.help) for p in params
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3])
    return EXIT_OK


def _cmd_clean(args: argparse.Namespace) -> int:
    from lozells_analysis.reports.build import clean

    removed = clean(_project(args), wait=args.wait)
    print(f"removed {len(removed)} item(s)")
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    from lozells_analysis.data.synthetic import (
        write_synthetic,  # the lead's module; imported only when asked
    )

    written = write_synthetic()
    for path in written or []:
        print(path)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    """Load and validate a survey file; every problem is listed, no traceback is shown."""
    from lozells_analysis.data.load import load_survey

    survey = load_survey(args.file, mapping=args.mapping, sheet=args.sheet)
    waves = sorted(survey["wave"].unique())
    print(
        f"{args.file}: {len(survey):,} respondents, "
        f"{survey['neighbourhood'].nunique()} neighbourhoods, waves {waves[0]}-{waves[-1]}, "
        f"{sum(c in survey for c in _codebook_items())} codebook items: no problems found."
    )
    return EXIT_OK


def _codebook_items() -> list[str]:
    from lozells_analysis.data.codebook import load_codebook

    return list(load_codebook().items)


def _leave_out_unused_slow_imports() -> None:
    """Keep ``rfc3987_syntax`` out of this process. jsonschema (which nbformat imports, and so
    papermill and nbconvert) imports it when installed, only to check the "iri" string format,
    which no notebook schema uses; importing it compiles an Earley grammar, about 3 s of every
    ``lozells`` process that builds. Only the command's own process is affected, and only when
    jsonschema has not been imported yet."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not importable"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lozells`` command line; return its exit status."""
    _leave_out_unused_slow_imports()
    from lozells_analysis.exceptions import (
        BuildEnvironmentError,
        CatalogueError,
        LozellsError,
        SurveyDataError,
    )
    from lozells_analysis.reports.lock import LockHeld

    args = _parser().parse_args(argv)
    handler = _progress_handler(args.quiet)
    commands = {
        "build": _cmd_build,
        "list": _cmd_list,
        "params": _cmd_params,
        "clean": _cmd_clean,
        "generate": _cmd_generate,
        "check": _cmd_check,
    }
    try:
        return commands[args.command](args)
    except LockHeld as exc:
        print(f"lozells {args.command}: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (CatalogueError, SurveyDataError) as exc:
        print(f"lozells {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildEnvironmentError as exc:
        print(f"lozells {args.command}: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except LozellsError as exc:
        print(f"lozells {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # no space, read-only, permission denied: one line, not a traceback
        from lozells_analysis.reports.environment import environment_error

        problem = environment_error(exc)
        if problem is None:
            raise
        print(f"lozells {args.command}: {problem}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    finally:
        logging.getLogger("lozells_analysis").removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
