"""Coding frames: the codes the qualitative excerpts are tagged with.

The listening events (barriers to and within NHS services) and the stakeholder interviews
(the five Together We Can themes) are excerpts of what people said, each tagged with one or
more codes from ``data/qualitative_codes.yaml``. This module reads that coding frame; the
excerpts themselves are read by :func:`lozells_analysis.data.load.load_listening_events`
and :func:`lozells_analysis.data.load.load_stakeholder_interviews`, and counted by
:mod:`lozells_analysis.stats.qualitative`.
"""

from __future__ import annotations

from pathlib import Path

from lozells_analysis.data.coding import Code, CodingFrame, read_yaml_frame
from lozells_analysis.data.tracking import record_read
from lozells_analysis.paths import data_dir

__all__ = ["Code", "CodingFrame", "load_coding_frame"]


def load_coding_frame(path: str | Path | None = None) -> CodingFrame:
    """Read the coding frame (default ``data/qualitative_codes.yaml``).

    A REFI-QDA project (``.qdpx``, exported from NVivo, ATLAS.ti, MAXQDA or QualCoder) is
    read too: its codes become the frame (see :func:`lozells_analysis.data.refiqda.read_qdpx`).

    Examples
    --------
    >>> cf = load_coding_frame()
    >>> cf.barriers["gp_appointment"].label, cf.barriers["waiting_times"].stage
    ('Getting a GP appointment', 'within')
    >>> list(cf.themes)
    ['connected', 'welcomed', 'belonging', 'celebrated', 'supported']
    """
    file = Path(path or data_dir() / "qualitative_codes.yaml")
    if file.suffix.lower() == ".qdpx":
        from lozells_analysis.data.refiqda import read_qdpx_coding_frame

        frame = read_qdpx_coding_frame(file)
        record_read(file, synthetic=None)
        return frame
    frame = read_yaml_frame(str(file))
    record_read(file, synthetic=None)  # a changed coding frame rebuilds the reports using it
    return frame
