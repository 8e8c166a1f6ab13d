"""Where the project's files live.

The library is installed in editable mode from the repository (``make install``), so the
project root is found from this file's location; ``LOZELLS_PROJECT_ROOT`` overrides it (for
example to point the command line at another checkout).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root: the folder that holds ``data/codebook.yaml``."""
    env = os.environ.get("LOZELLS_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data" / "codebook.yaml").is_file():
            return parent
    return Path.cwd()


def data_dir() -> Path:
    return project_root() / "data"


def codebook_path() -> Path:
    return data_dir() / "codebook.yaml"


def benchmarks_dir() -> Path:
    return data_dir() / "benchmarks"


def synthetic_dir() -> Path:
    return data_dir() / "synthetic"


def synthetic_survey_path() -> Path:
    return synthetic_dir() / "survey.parquet"


def raw_dir() -> Path:
    """Where researchers put their own survey exports (git ignores everything in it)."""
    return data_dir() / "raw"


#: The file name of a redaction list: the names that must never be published, one a line.
REDACTION_LIST = "redaction_list.txt"


def redaction_list_paths() -> list[Path]:
    """The redaction lists read by default: the data owner's for the real data
    (``data/raw/redaction_list.txt``) and the synthetic generator's
    (``data/synthetic/redaction_list.txt``)."""
    return [raw_dir() / REDACTION_LIST, synthetic_dir() / REDACTION_LIST]


def reports_dir() -> Path:
    return project_root() / "reports"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"
