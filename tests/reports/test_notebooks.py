"""End-to-end: every notebook runs under papermill with its defaults and a second parameter set,
its headline figures equal what the library computes, and errors read as one sentence.

Each notebook's first run is the real catalogue's run of it (``reports.yaml``, built once per
session by ``browser_support`` for every report test), read from its published ``.ipynb``; the
second parameter sets and the failing runs are executed here, once per session, a few at a
time in separate processes, while the catalogue builds. Each test reads the executed notebook
it needs.
"""

from __future__ import annotations

import html
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from lozells_analysis.data.load import load_listening_events, load_survey
from lozells_analysis.paths import notebooks_dir
from lozells_analysis.present import summaries
from lozells_analysis.present.tables import format_interval, format_number
from lozells_analysis.stats import scales
from lozells_analysis.stats.design import SurveyDesign

from .. import browser_support as support

pytestmark = [pytest.mark.slow, pytest.mark.catalogue]

NOTEBOOKS = sorted(p.stem for p in notebooks_dir().glob("0*.ipynb"))

#: The run of the real catalogue that is each notebook's first run here.
CATALOGUE_RUN = {
    "01_data_quality": "data-quality-all",
    "02_social_connectedness_trends": "connectedness-trends-lozells",
    "03_benchmark_comparison": "benchmarks-all",
    "04_collective_control": "collective-control-lozells",
    "05_wellbeing": "wellbeing-lozells",
    "06_who_benefits": "who-benefits-all",
    "07_health_service_barriers": "barriers-all",
    "08_stakeholder_themes": "themes",
    "09_briefing_pack": "briefing-lozells",
}


def _catalogue_parameters(run_name: str) -> dict:
    """The parameters the real catalogue gives ``run_name`` (``{}`` if it cannot be read:
    the catalogue fixture then fails the tests with the reason)."""
    for run in support.catalogue_runs():
        if run.name == run_name:
            return dict(run.parameters)
    return {}


#: Each notebook with the real catalogue's parameters (index 0) and a second parameter set.
RUNS = {
    "01_data_quality": [{}, {"neighbourhood": "Anfield", "waves": [2, 3, 4]}],
    "02_social_connectedness_trends": [
        {},
        {
            "neighbourhood": "all",
            "waves": [3, 4, 5, 6],
            "items": ["trust_people", "lonely_often_always"],
        },
    ],
    "03_benchmark_comparison": [{}, {"neighbourhood": "Govanhill", "waves": [1, 2, 3]}],
    "04_collective_control": [
        {},
        {"neighbourhood": "Benchill", "waves": [4, 5, 6], "outcome": "influence"},
    ],
    "05_wellbeing": [{}, {"neighbourhood": "all", "waves": [5, 6], "level": 0.9}],
    "06_who_benefits": [
        {},
        {"neighbourhood": "Rhyl West", "waves": [1, 2, 3, 4], "indicator": "belong_neighbourhood"},
    ],
    "07_health_service_barriers": [
        {},
        {"neighbourhood": "Lozells", "waves": [4, 5, 6], "ward": "Lozells"},
    ],
    "08_stakeholder_themes": [{}, {"neighbourhood": "Niddrie", "waves": [2, 3]}],
    "09_briefing_pack": [{}, {"neighbourhood": "Anfield", "waves": [3, 4, 5, 6]}],
}
for _name, _run in CATALOGUE_RUN.items():
    RUNS[_name][0] = _catalogue_parameters(_run)

#: Runs that must stop with a researcher-readable message.
FAILING = {
    "unknown": ("01_data_quality", {"neighbourhood": "Lozels"}),
    "no_waves": ("03_benchmark_comparison", {"waves": [7, 8]}),
}
DEFAULTS = {"neighbourhood": "Lozells", "waves": [1, 2, 3, 4, 5, 6], "level": 0.95, "min_n": 10}


def _execute(src: str, out: str, params: dict) -> tuple[float, str | None]:
    import papermill as pm

    start = time.perf_counter()
    try:
        pm.execute_notebook(
            src,
            out,
            parameters=params,
            kernel_name="lozells-analysis",
            progress_bar=False,
            cwd=str(Path(src).parent),
        )
        error = None
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    return time.perf_counter() - start, error


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """{(name, index or key): (path, seconds, error)} for every run."""
    out_dir = tmp_path_factory.mktemp("notebooks")
    jobs = {}
    for name, sets in RUNS.items():
        for i, params in enumerate(sets):
            if i > 0:
                jobs[(name, i)] = (name, params)
    for key, (name, params) in FAILING.items():
        jobs[(name, key)] = (name, params)
    results = {}
    workers = max(1, min(3, os.cpu_count() or 2))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            key: pool.submit(
                _execute,
                str(notebooks_dir() / f"{name}.ipynb"),
                str(out_dir / f"{name}-{key[1]}.ipynb"),
                params,
            )
            for key, (name, params) in jobs.items()
        }
        built = support.built_catalogue(tmp_path_factory)
        durations = {o.name: o.duration for o in built.summary.outcomes}
        for name, run_name in CATALOGUE_RUN.items():
            path = built.reports / f"{run_name}.ipynb"
            error = None if path.is_file() else f"{run_name} was not built: {built.error}"
            results[(name, 0)] = (path, durations.get(run_name, 0.0), error)
        for key, fut in futures.items():
            seconds, error = fut.result()
            results[key] = (out_dir / f"{key[0]}-{key[1]}.ipynb", seconds, error)
    times = "; ".join(f"{k[0][:2]}/{k[1]} {v[1]:.1f}s" for k, v in results.items())
    print(f"\nnotebook execution times ({workers} at a time): {times}")
    return results


def _nb(executed, name, i=0):
    path, _, error = executed[(name, i)]
    assert error is None, f"{name} run {i} failed: {error}"
    return nbformat.read(path, as_version=4)


def _html(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("data", {}).get("text/html", ""))
    return "\n".join(parts)


def _text(nb) -> str:
    raw = re.sub(r"<style>.*?</style>", " ", _html(nb), flags=re.S)
    raw = re.sub(r'src="data:[^"]+"', "", raw)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


def _params(name, i):
    return {**DEFAULTS, **RUNS[name][i]}


def _survey(params):
    s = load_survey()
    keep = s["wave"].isin(params["waves"])
    if params["neighbourhood"] != "all":
        keep &= s["neighbourhood"] == params["neighbourhood"]
    return s[keep].copy()


def _design(frame):
    return SurveyDesign(frame, weights="weight", strata="neighbourhood")


# --- every notebook -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_with_the_project_kernel(name):
    nb = nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "lozells-analysis"
    assert nb.metadata["kernelspec"]["display_name"] == "Python (lozells-analysis)"
    assert nb.metadata["kernelspec"]["language"] == "python"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert not re.search(r"^\s*(def|class)\s", cell.source, flags=re.M)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in (
        'data_path: str = ""',
        'neighbourhood: str = "Lozells"',
        "waves: list = [1, 2, 3, 4, 5, 6]",
        "level: float = 0.95",
        "min_n: int = 10",
    ):
        assert line in params[0].source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_papermill_sees_every_parameter_with_its_type_and_help(name):
    """papermill's inspection skips a line with two '=' (e.g. in its comment) silently, and
    the catalogue would then reject that parameter: every assignment must be seen."""
    import ast

    from lozells_analysis.reports import notebook_parameters

    path = notebooks_dir() / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assigned = [n.target.id for n in ast.parse(cell.source).body if isinstance(n, ast.AnnAssign)]
    seen = {p.name: p for p in notebook_parameters(path)}
    assert list(seen) == assigned
    for param in seen.values():
        assert param.type not in ("", "None"), param
        assert param.help, f"{name}: parameter {param.name} has no help comment"


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize("run", [0, 1])
def test_runs_top_to_bottom_with_banner_first(executed, name, run):
    nb = _nb(executed, name, run)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    shown = [o for o in outputs if "text/html" in o.get("data", {})]  # not the build's records
    first = shown[0]
    assert "lozells-synthetic" in first["data"]["text/html"]  # the synthetic-data banner
    for o in outputs:
        assert o.output_type != "error"
        assert not (o.output_type == "stream" and o.name == "stderr"), o.text[:300]
        plain = o.get("data", {}).get("text/plain", "")
        assert not plain.startswith(("Text(", "<Figure", "<matplotlib")), plain
    body = _html(nb)
    for fig in re.findall(r"<figure.*?</figure>", body, flags=re.S):
        svg = re.search(r"<svg[^>]*>", fig).group(0)  # nbconvert reorders attributes
        assert 'role="img"' in svg and re.search(r'aria-label="[^"]{20,}"', svg)
        assert "Source: " in fig
        assert "<summary>Show the data</summary>" in fig and 'href="data:text/csv;base64,' in fig
    assert "respondent_id" not in body and "LC000" not in body


# --- headline figures equal the library ---------------------------------------------------------
@pytest.mark.parametrize("run", [0, 1])
def test_01_weighting_effect(executed, run):
    p = _params("01_data_quality", run)
    w = _survey(p)["weight"].to_numpy()
    deff = len(w) * np.sum(w**2) / np.sum(w) ** 2
    text = _text(_nb(executed, "01_data_quality", run))
    assert f"by {format_number(deff, 2)}: its {len(w):,} survey responses carry as much" in text


@pytest.mark.parametrize("run", [0, 1])
def test_02_wave_estimates(executed, run):
    name = "02_social_connectedness_trends"
    p = _params(name, run)
    items = p.get("items", ["belong_neighbourhood", "pull_together"])
    est = _design(_survey(p)).proportion(items[0], by="wave")
    text = _text(_nb(executed, name, run))
    for _, r in est.iterrows():
        if r["n"] >= 10:
            assert format_interval(r["estimate"], r["lower_ci"], r["upper_ci"]) in text


def _headline_numbers(nb) -> dict[str, tuple[float, float, float]]:
    found = re.findall(
        r'data-measure="([^"]+)" data-estimate="([^"]+)" data-lower="([^"]+)" '
        r'data-upper="([^"]+)"',
        _html(nb),
    )
    return {m: tuple(map(float, v)) for m, *v in found}


@pytest.mark.parametrize("run", [0, 1])
def test_03_programme_comparison_reproduces_the_annual_review(executed, run):
    p = {**_params("03_benchmark_comparison", run), "neighbourhood": "all"}
    nb = _nb(executed, "03_benchmark_comparison", run)
    got = _headline_numbers(nb)
    design = _design(_survey(p))
    for ind, published in [
        ("change_area_run", 0.82),
        ("pull_together", 0.76),
        ("talk_neighbours_most_days", 0.46),
    ]:
        r = design.proportion(ind).iloc[0]
        assert got[ind] == pytest.approx((r["estimate"], r["lower_ci"], r["upper_ci"]))
        if run == 0:  # every wave: the synthetic data are calibrated to the published figures
            assert round(r["estimate"] * 100) == round(published * 100)
    assert "higher than England (54%)" in _text(nb)


@pytest.mark.parametrize("run", [0, 1])
def test_04_collective_control_by_wave(executed, run):
    p = _params("04_collective_control", run)
    s = _survey(p)
    scored = s.join(scales.collective_control(s))
    est = _design(scored).mean("collective_control", by="wave")
    text = _text(_nb(executed, "04_collective_control", run))
    for _, r in est.iterrows():
        assert format_interval(r["estimate"], r["lower_ci"], r["upper_ci"], "mean") in text


@pytest.mark.parametrize("run", [0, 1])
def test_05_life_satisfaction_headline(executed, run):
    p = _params("05_wellbeing", run)
    r = _design(_survey(p)).mean("life_satisfaction", level=p["level"]).iloc[0]
    got = _headline_numbers(_nb(executed, "05_wellbeing", run))
    assert got["life_satisfaction"] == pytest.approx((r["estimate"], r["lower_ci"], r["upper_ci"]))


@pytest.mark.parametrize("run", [0, 1])
def test_06_breakdown_with_suppression(executed, run):
    name = "06_who_benefits"
    p = _params(name, run)
    indicator = p.get("indicator", "change_area_run")
    frame = summaries.model_frame(_survey(p), ["disability"])
    est = _design(frame).proportion(indicator, by="disability")
    text = _text(_nb(executed, name, run))
    for _, r in est.iterrows():
        cell = format_interval(r["estimate"], r["lower_ci"], r["upper_ci"])
        assert (cell in text) == (r["n"] >= 10)
    assert "p (Holm)" in text


@pytest.mark.parametrize("run", [0, 1])
def test_07_barrier_shares_and_redaction(executed, run):
    name = "07_health_service_barriers"
    ward = RUNS[name][run].get("ward", "all")
    ev = load_listening_events()
    if ward != "all":
        ev = ev[ev["ward"] == ward]
    share = ev["codes"].str.split(";").map(lambda c: "waiting_times" in c).mean()
    text = _text(_nb(executed, name, run))
    assert f"Waiting times Once in {format_interval(share, None, None)} (" in text
    from lozells_analysis.data.synthetic import PLANTED_NAMES

    assert not any(n in text for n in PLANTED_NAMES)
    assert "@example.org" not in text and "07700" not in text


@pytest.mark.parametrize("run", [0, 1])
def test_08_theme_counts(executed, run):
    from lozells_analysis.data.load import load_stakeholder_interviews

    iv = load_stakeholder_interviews()
    share = iv["themes"].str.split(";").map(lambda c: "belonging" in c).mean()
    nb = _nb(executed, "08_stakeholder_themes", run)
    alts = html.unescape(" ".join(re.findall(r'aria-label="([^"]*)"', _html(nb))))
    assert f"Belonging {format_interval(share, None, None)}" in alts
    by_type = iv.groupby("stakeholder_type")["themes"].agg(
        lambda t: (t.str.split(";").map(lambda c: "belonging" in c).mean(), len(t))
    )
    text = _text(nb)
    for share_g, n in by_type:
        assert (format_interval(share_g, None, None) + " (" in text) or n < 10


@pytest.mark.parametrize("run", [0, 1])
def test_09_briefing_headlines_equal_the_library(executed, run):
    p = _params("09_briefing_pack", run)
    nb = _nb(executed, "09_briefing_pack", run)
    got = _headline_numbers(nb)
    design = _design(_survey(p))
    for ind in ("change_area_run", "pull_together", "talk_neighbours_most_days"):
        r = design.proportion(ind).iloc[0]
        assert got[ind] == pytest.approx((r["estimate"], r["lower_ci"], r["upper_ci"]))
        assert format_interval(r["estimate"], r["lower_ci"], r["upper_ci"]) in _text(nb)
    m = design.mean("life_satisfaction").iloc[0]
    assert got["life_satisfaction"] == pytest.approx((m["estimate"], m["lower_ci"], m["upper_ci"]))
    text = _text(nb)
    assert text.index("Things you need to know") < text.index(f"How {p['neighbourhood']} compares")
    assert p["neighbourhood"] in text


@pytest.mark.parametrize("run", [0, 1])
def test_09_briefing_view_has_no_code_and_no_traceback(executed, run):
    from lozells_analysis.reports.render import render_html

    nb = _nb(executed, "09_briefing_pack", run)
    for cell in nb.cells:
        if cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            assert tags & {"remove_input", "remove_cell", "injected-parameters"}, cell.source
    # the pipeline's own briefing renderer, not a copy of its configuration
    body = render_html(nb, "briefing", title="Briefing")
    visible = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", body, flags=re.S)
    assert "<h1" in visible  # the page did render
    for bad in ("Traceback", "summaries.", "import ", "sel.level", "jp-InputArea-editor"):
        assert bad not in visible


# --- errors read as one sentence ----------------------------------------------------------------
def test_unknown_neighbourhood_stops_with_a_readable_message(executed):
    path, _, error = executed[("01_data_quality", "unknown")]
    assert error.startswith(
        "ParameterError: Unknown neighbourhood 'Lozels'. Did you mean 'Lozells'?"
    )
    nb = nbformat.read(path, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 1
    assert "pandas" not in "\n".join(errors[0].traceback)


def test_wave_range_without_data_stops_with_a_readable_message(executed):
    _, _, error = executed[("03_benchmark_comparison", "no_waves")]
    assert "ParameterError" in error and "waves 7-8" in error and "waves 1-6" in error


def test_execution_times_are_reported(executed):
    times = pd.Series({f"{k[0]}/{k[1]}": v[1] for k, v in executed.items()})
    assert (times > 0).all()
