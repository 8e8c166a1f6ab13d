"""Data in: what the survey is (the codebook) and getting it in.

:mod:`.codebook` (every item, its scale and indicator coding), :mod:`.load` (reading an export
in any format, with a mapping file), :mod:`.validate` (checking it against the codebook),
:mod:`.selection` (a notebook's parameters and the rows they select), :mod:`.comparators`
(published figures to compare against), :mod:`.qualitative` (coding frames and coded
excerpts), :mod:`.synthetic` (the labelled synthetic data set) and :mod:`.tracking` (which
files a report run read).
"""

from lozells_analysis.data.load import (
    FORMATS,
    load_listening_events,
    load_mapping,
    load_stakeholder_interviews,
    load_survey,
    read_table,
)

__all__ = [
    "FORMATS",
    "load_listening_events",
    "load_mapping",
    "load_stakeholder_interviews",
    "load_survey",
    "read_table",
]
