"""Coding frames: the codes the qualitative excerpts are tagged with.

The listening events (barriers to and within NHS services) and the stakeholder interviews
(the five Together We Can themes) are excerpts of what people said, each tagged with one or
more codes from ``data/qualitative_codes.yaml``. This module reads that coding frame; the
excerpts themselves are read by :func:`lozells_analysis.data.load.load_listening_events`
and :func:`lozells_analysis.data.load.load_stakeholder_interviews`, and counted by
:mod:`lozells_analysis.stats.qualitative`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from lozells_analysis.data.tracking import record_read
from lozells_analysis.exceptions import ParameterError
from lozells_analysis.paths import data_dir

__all__ = ["Code", "CodingFrame", "load_coding_frame"]


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
def _load_coding_frame(path: str) -> CodingFrame:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))

    def parse(section: str) -> dict[str, Code]:
        return {
            k: Code(k, v["label"], v.get("stage"), v.get("description"))
            for k, v in (raw.get(section) or {}).items()
        }

    return CodingFrame(parse("barriers"), parse("themes"))


def load_coding_frame(path: str | Path | None = None) -> CodingFrame:
    """Read the coding frame (default ``data/qualitative_codes.yaml``).

    Examples
    --------
    >>> cf = load_coding_frame()
    >>> cf.barriers["gp_appointment"].label, cf.barriers["waiting_times"].stage
    ('Getting a GP appointment', 'within')
    >>> list(cf.themes)
    ['connected', 'welcomed', 'belonging', 'celebrated', 'supported']
    """
    file = Path(path or data_dir() / "qualitative_codes.yaml")
    frame = _load_coding_frame(str(file))
    record_read(file, synthetic=None)  # a changed coding frame rebuilds the reports using it
    return frame
