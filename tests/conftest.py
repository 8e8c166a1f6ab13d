"""Shared fixtures: the codebook, the synthetic survey, the vendored reference answers.

Reference answers (R ``survey`` results, the published figures, the Community Life Survey
comparators) live in ``tests/reference/`` (see its README). A missing reference file fails the
test that needs it, naming the file: the proof against R is never skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from lozells_analysis.cli import _leave_out_unused_slow_imports
from lozells_analysis.data.codebook import load_codebook
from lozells_analysis.data.synthetic import generate

from . import browser_support

REFERENCE = Path(__file__).resolve().parent / "reference"

# As the ``lozells`` command does: nbformat's jsonschema need not compile rfc3987_syntax's
# grammar (seconds) in each test process that reads or runs a notebook.
_leave_out_unused_slow_imports()

# Property-based tests: 60 examples each in the whole suite; `make test-fast` selects the
# "fast" profile (--hypothesis-profile=fast) to keep the pre-commit loop under a minute.
settings.register_profile("default", max_examples=60)
settings.register_profile("fast", max_examples=15)
settings.load_profile("default")


def reference_file(relative: str) -> Path:
    """The path of a vendored reference file; fails the calling test when it is missing."""
    path = REFERENCE / relative
    if not path.is_file():
        pytest.fail(
            f"reference file missing: tests/reference/{relative} "
            "(tests/reference/README.md says where it comes from and how to regenerate it)",
            pytrace=False,
        )
    return path


@cache
def _reference_csv(relative: str) -> pd.DataFrame:
    return pd.read_csv(reference_file(relative))


def reference_rows(relative: str) -> list[dict[str, str]]:
    """A vendored CSV as a list of dicts of strings (as published)."""
    with reference_file(relative).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def r_ref() -> dict:
    """Results from R's ``survey`` package (``tests/reference/r_survey/r_ref.json``)."""
    return json.loads(reference_file("r_survey/r_ref.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def r_trend() -> dict:
    """R's trend results: ``prop.trend.test``, ``svyglm`` slopes by domain, wave contrasts
    (``tests/reference/r_survey/r_trend.json``, made by ``r_trend.R``)."""
    return json.loads(reference_file("r_survey/r_trend.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def r_replicate() -> dict:
    """R's replicate-weight and calibrated designs: ``svrepdesign`` of each type,
    ``as.svrepdesign``, ``postStratify``, ``rake``, ``calibrate``
    (``tests/reference/r_survey/r_replicate.json``, made by ``r_replicate.R``)."""
    return json.loads(reference_file("r_survey/r_replicate.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def r_design2() -> dict:
    """R's answers for multistage designs, every lonely-PSU rule and the added estimators
    (``svytotal``, ``svyquantile``, ``svyratio``, ``svychisq``, ``svyttest``):
    ``tests/reference/r_survey/r_design2.json``, made by ``r_design2.R``."""
    return json.loads(reference_file("r_survey/r_design2.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_dataset() -> Callable[[str], pd.DataFrame]:
    """A fresh copy of one of R's example data sets, e.g. ``reference_dataset("apiclus1.csv")``."""

    def load(name: str) -> pd.DataFrame:
        return _reference_csv(f"r_survey/{name}").copy()

    return load


@pytest.fixture(scope="session")
def published_figures() -> list[dict[str, str]]:
    """The published headline figures with their sources."""
    return reference_rows("published_figures.csv")


@pytest.fixture(scope="session")
def community_life_survey() -> list[dict[str, str]]:
    """England comparators from the Community Life Survey."""
    return reference_rows("community_life_survey_england.csv")


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def synthetic_survey():
    """The default synthetic survey (n=2852, default seed). Do not modify it in a test."""
    return generate()


@pytest.fixture(autouse=True)
def _no_read_tracking(monkeypatch):
    """Tests that load data must not append to a report build's read log."""
    monkeypatch.delenv("LOZELLS_READS_FILE", raising=False)


def pytest_collection_modifyitems(config, items):
    """Run the slow end-to-end tests that build their own projects first (they overlap the
    catalogue's build, and many of them wait on processes and timeouts), then those that read
    the catalogue, and the quick ones last, where they fill the gaps as the parallel workers
    finish. Only the order changes: every test is independent of it."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("catalogue"):
            return 1
        return 0 if item.get_closest_marker("slow") else 2

    items.sort(key=rank)  # stable: the collection order within each group


@pytest.fixture(scope="session", autouse=True)
def _catalogue_build_starts_with_the_session(request, tmp_path_factory):
    """When any selected test needs the real catalogue (marked ``catalogue``), its build
    starts now, in a process of its own, and overlaps the tests that come before."""
    if any(item.get_closest_marker("catalogue") for item in request.session.items):
        browser_support.start_catalogue_build(browser_support.catalogue_folder(tmp_path_factory))


def pytest_unconfigure(config):
    """A catalogue build still running when the session ends (stopped early) is stopped."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller does this
        return
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None and factory._basetemp is not None:
        browser_support.stop_catalogue_build(factory.getbasetemp() / "catalogue")
