"""The house colours, with nothing to import: the charts draw in them and the pages' HTML and
CSS (the comparison verdicts) print them, so a report build colours its pages without
loading a plotting library.

Examples
--------
>>> COMPARISON_COLOURS["better"] == OKABE_ITO[0]
True
"""

from __future__ import annotations

__all__ = ["COMPARISON_COLOURS", "GREY", "OKABE_ITO"]

#: Okabe & Ito (2008) colour-blind-safe palette (black last).
OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
#: Fingertips-style comparison colours, colour-blind safe (the charts add markers as a
#: second cue).
COMPARISON_COLOURS = {
    "better": "#0072B2",
    "similar": "#F0E442",
    "worse": "#D55E00",
    "not compared": "#FFFFFF",
}
#: Secondary marks: intervals that cross zero, comparators' edges.
GREY = "#777777"
