"""The report pipeline: the catalogue (``reports.yaml``) in, offline HTML reports out.

One concern per module: :mod:`.catalogue` (reading and checking ``reports.yaml``),
:mod:`.parameters` (a notebook's parameters, via papermill's inspection), :mod:`.fingerprint`
(what a run depends on), :mod:`.plan` (which runs are out of date, and why), :mod:`.state`
(what was built), :mod:`.execute` (papermill in a fresh kernel), :mod:`.distributed` (the
same on a Dask cluster), :mod:`.render` (nbconvert, two views), :mod:`.provenance` (the
footer), :mod:`.pdf` (headless Chromium), :mod:`.gate` (the publish gate: paths scrubbed,
every file scanned), :mod:`.differencing` (no small count by subtraction across reports),
:mod:`.output_check` (the record for sign-off), :mod:`.publish` (atomic rename), :mod:`.index`
(``reports/index.html``), :mod:`.lock` (one build at a time), :mod:`.environment` (named
errors for a full disk or unwritable folder), :mod:`.signals` and :mod:`.buildlog`, and
:mod:`.build` (all of it, for ``lozells build``).
"""

from lozells_analysis.reports.build import (
    BuildInterrupted,
    BuildOptions,
    BuildSummary,
    RunOutcome,
    build,
    clean,
    run_statuses,
)
from lozells_analysis.reports.catalogue import Catalogue, ReportRun, load_catalogue
from lozells_analysis.reports.lock import LockHeld
from lozells_analysis.reports.parameters import Parameter, notebook_parameters
from lozells_analysis.reports.project import Project
from lozells_analysis.reports.render import TAGS, external_references

__all__ = [
    "TAGS",
    "BuildInterrupted",
    "BuildOptions",
    "BuildSummary",
    "Catalogue",
    "LockHeld",
    "Parameter",
    "Project",
    "ReportRun",
    "RunOutcome",
    "build",
    "clean",
    "external_references",
    "load_catalogue",
    "notebook_parameters",
    "run_statuses",
]
