"""The coding-frame types, and reading a YAML coding frame (no dependencies on other loaders).

Kept apart from :mod:`lozells_analysis.data.qualitative` so that both it and
:mod:`lozells_analysis.data.refiqda` (coding frames read from a REFI-QDA project) can use
them without importing each other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from lozells_analysis.exceptions import ParameterError

__all__ = ["Code", "CodingFrame", "read_yaml_frame"]


@dataclass(frozen=True)
class Code:
    id: str
    label: str
    stage: str | None = None  # barriers: "access" (getting in) or "within" (once in)
    description: str | None = None


@dataclass(frozen=True)
class CodingFrame:
    """The codes of ``data/qualitative_codes.yaml``: ``barriers`` and ``themes``."""

    barriers: dict[str, Code]
    themes: dict[str, Code]

    def frame(self, kind: str) -> dict[str, Code]:
        if kind not in ("barriers", "themes"):
            raise ParameterError(f"kind must be 'barriers' or 'themes', got {kind!r}.")
        return self.barriers if kind == "barriers" else self.themes


@functools.cache
def read_yaml_frame(path: str) -> CodingFrame:
    """The coding frame of a YAML file (cached by path; does not record the read)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))

    def parse(section: str) -> dict[str, Code]:
        return {
            k: Code(k, v["label"], v.get("stage"), v.get("description"))
            for k, v in (raw.get(section) or {}).items()
        }

    return CodingFrame(parse("barriers"), parse("themes"))
