"""Shared fixtures: the codebook, the synthetic survey, and a clean tracking environment."""

from __future__ import annotations

import pytest

from lozells_analysis.codebook import load_codebook
from lozells_analysis.synthetic import generate


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
