"""Building through a Dask distributed cluster (a LocalCluster on loopback)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import distributed  # a pinned dependency: a missing one fails, never skips
import pytest

from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.render import external_references

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

pytestmark = pytest.mark.slow


def test_build_through_a_local_dask_cluster(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    catalogue = f"""
reports:
  - id: remote
    notebook: notebooks/tiny.ipynb
    audience: briefing
    parameters: {{data_path: {data}}}
    for_each: {{greeting: [Lozells, Aston]}}
  - {{id: broken, notebook: notebooks/fail.ipynb, audience: research}}
"""
    project = helpers.make_project(
        tmp_path,
        catalogue,
        {"tiny.ipynb": helpers.tiny_cells(), "fail.ipynb": helpers.failing_cells()},
    )
    with distributed.LocalCluster(
        host="127.0.0.1",
        n_workers=1,
        threads_per_worker=2,
        processes=True,
        dashboard_address=None,
    ) as cluster:
        summary = build(project, BuildOptions(scheduler=cluster.scheduler_address))
    assert {o.name: o.status for o in summary.outcomes} == {
        "remote-lozells": "built",
        "remote-aston": "built",
        "broken": "failed",
    }
    page = (project.reports / "remote-aston.briefing.html").read_text()
    assert "GREETING: Aston" in page and external_references(page) == []
    assert "<code>data.csv</code>" in page  # the worker's recorded read reached the footer
    assert "ValueError" in (project.reports / "logs" / "broken.log").read_text()
    # and the state it left lets the next local build skip everything
    again = build(project, BuildOptions(ids=["remote"]))
    assert [o.status for o in again.outcomes] == ["skipped", "skipped"]


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    from lozells_analysis.exceptions import BuildError

    project = helpers.make_project(
        tmp_path,
        """
reports:
  - {id: solo, notebook: notebooks/tiny.ipynb, audience: research}
""",
        {"tiny.ipynb": helpers.tiny_cells()},
    )
    with pytest.raises(BuildError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        build(project, BuildOptions(scheduler="tcp://127.0.0.1:9", scheduler_timeout=2))
