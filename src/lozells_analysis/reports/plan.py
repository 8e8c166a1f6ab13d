"""Deciding what a build must do: which runs are out of date, and why.

A run is rebuilt when it was never built, its last attempt failed, anything its key covers
changed (see :mod:`.fingerprint`: notebook, parameters, kernel, audience, title, notebook
path, the ``[tool.lozells]`` settings, templates, library, lock), one of the files it read
changed (survey, mapping, codebook, comparators, coding frame, ``metadata.json``: anything a
library loader records),
or one of the files it published is missing or no longer what was published (truncated,
overwritten). :func:`plan` gives the reason; ``lozells list`` shows it (:func:`run_statuses`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lozells_analysis.reports.catalogue import Catalogue, ReportRun, load_catalogue
from lozells_analysis.reports.fingerprint import (
    changed_input,
    changed_output,
    changed_read,
    directory_digest,
    display_path,
    file_digest,
    run_inputs,
    run_key,
    settings_digest,
)
from lozells_analysis.reports.project import Project
from lozells_analysis.reports.state import BuildState, RunRecord

if TYPE_CHECKING:
    from lozells_analysis.reports.options import BuildSummary

log = logging.getLogger(__name__)

__all__ = ["Decisions", "RunStatus", "describe", "load_project_catalogue", "plan", "run_statuses"]

#: run name -> (why it must be built, or None when up to date; the digests of its inputs)
Decisions = dict[str, tuple[str | None, dict[str, str]]]


@dataclass
class RunStatus:
    """A run's standing for ``lozells list``: its record and whether it is up to date."""

    run: ReportRun
    record: RunRecord | None
    state: str
    reason: str | None


def load_project_catalogue(project: Project) -> Catalogue:
    """The project's catalogue, checked (see :func:`.catalogue.load_catalogue`)."""
    return load_catalogue(project.catalogue, root=project.root, cache=project.parameters_cache)


def _outputs_problem(project: Project, record: RunRecord, audience: str, pdf: bool) -> str | None:
    """Why the published files of ``record`` cannot be trusted, or None when they can."""
    wanted = ["research", "briefing"] + (["pdf"] if pdf and audience == "briefing" else [])
    for view in wanted:
        if view not in record.outputs or not (project.reports / record.outputs[view]).is_file():
            return "outputs missing"
    for view, name in record.outputs.items():
        published = record.published.get(view)
        if published is None:
            return f"published {name} was not recorded"
        problem = changed_output(project.reports / name, published)
        if problem is not None:
            return f"published {name} {problem}"
    return None


def plan(
    project: Project,
    runs: Sequence[ReportRun],
    state: BuildState,
    *,
    force: bool = False,
    pdf: bool = False,
) -> Decisions:
    """For each run: why it must be (re)built (``None`` when it is up to date), and its inputs.

    Reasons: ``forced``, ``never built``, ``last run failed``, ``<input> changed`` (notebook,
    parameters, kernel, audience, title, notebook_path, settings, templates, library, lock),
    ``outputs missing``, ``published <file> ...`` (truncated, overwritten, not recorded) and
    ``<file read> changed`` (relative to the project root). Refreshes the mtime of the files
    it re-hashed in ``state``.
    """
    library = directory_digest(project.library)
    templates = directory_digest(project.templates)
    lock = file_digest(project.lock_file) if project.lock_file else "none"
    settings = settings_digest(project.root)
    decisions: Decisions = {}
    for run in runs:
        inputs = run_inputs(
            notebook_digest=run.notebook_digest,
            parameters=run.parameters,
            kernel=run.kernel,
            audience=run.audience,
            title=run.title,
            notebook_path=run.notebook_display,
            templates=templates,
            settings=settings,
            library=library,
            lock=lock,
        )
        record = state.runs.get(run.name)
        reason: str | None = None
        if force:
            reason = "forced"
        elif record is None or record.key is None:
            reason = "never built"
        elif record.status != "succeeded":
            reason = "last run failed"
        elif record.key != run_key(inputs):
            reason = f"{changed_input(record.inputs, inputs) or 'input'} changed"
        else:
            changed, refreshed = changed_read(record.reads)
            if changed is not None:
                reason = f"{display_path(changed, project.root)} changed"
            else:
                record.reads = refreshed
                reason = _outputs_problem(project, record, run.audience, pdf and run.pdf)
        decisions[run.name] = (reason, inputs)
    return decisions


def run_statuses(project: Project) -> list[RunStatus]:
    """Every catalogue run with its last record and whether it is up to date.

    Reads the build state without the build lock: a state file of the wrong shape is
    reported (a warning) and read as empty, and left for the next build to move aside.
    """
    catalogue = load_project_catalogue(project)
    state = BuildState.load(project.state_file)
    decisions = plan(project, catalogue.runs, state)
    statuses = []
    for run in catalogue.runs:
        record = state.runs.get(run.name)
        reason = decisions[run.name][0]
        if record is None:
            word = "never built"
        elif record.status == "failed":
            word = "failed"
        elif reason:
            word = "out of date"
        else:
            word = "up to date"
        statuses.append(RunStatus(run, record, word, reason))
    return statuses


def describe(summary: BuildSummary) -> str:
    """A one-paragraph account of a build, for the end of the command line's output."""
    built = sum(o.status == "built" for o in summary.outcomes)
    skipped = sum(o.status == "skipped" for o in summary.outcomes)
    text = (
        f"{built} built, {skipped} up to date, {len(summary.failed)} failed "
        f"in {summary.duration:.1f}s"
    )
    return text + "".join(f"\n  FAILED {o.name}: {o.error} (log: {o.log})" for o in summary.failed)
