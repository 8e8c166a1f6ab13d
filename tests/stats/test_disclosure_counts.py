"""Counts of respondents, secondary suppression with totals, and quotes held back for review
(issue 13): planted tables and text, each checked by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.stats import qualitative as q
from lozells_analysis.stats.disclosure import (
    hold_back_quotes,
    known_names,
    name_like_pairs,
    suppress,
)
from lozells_analysis.stats.published import CountRules

# --- secondary suppression: rows, columns and totals ------------------------------------------


def _with_totals(cells: dict[tuple[str, int], int]) -> pd.DataFrame:
    """A two-way table of counts with its row totals, column totals and grand total as
    cells (area "Total", wave 0), as a published table shows them."""
    areas = sorted({a for a, _ in cells})
    waves = sorted({w for _, w in cells})
    rows = [{"area": a, "wave": w, "n": cells[a, w]} for a, w in itertools.product(areas, waves)]
    for a in areas:
        rows.append({"area": a, "wave": 0, "n": sum(cells[a, w] for w in waves)})
    for w in waves:
        rows.append({"area": "Total", "wave": w, "n": sum(cells[a, w] for a in areas)})
    rows.append({"area": "Total", "wave": 0, "n": sum(cells.values())})
    out = pd.DataFrame(rows)
    out["estimate"] = out["n"].astype(float)
    return out


def _recoverable(out: pd.DataFrame) -> list[int]:
    """The suppressed cells a reader can work back exactly from what is published: each
    row and each column of the table (totals included) is one equation, the hidden cells
    the unknowns; a hidden cell is recoverable when its unit vector lies in the row space."""
    hidden = list(np.flatnonzero(out["suppressed"].to_numpy()))
    equations = []
    for key, total_of in (("area", "wave"), ("wave", "area")):
        for _, idx in out.groupby(key).groups.items():
            sub = out.loc[idx]
            total = sub.index[sub[total_of] == (0 if total_of == "wave" else "Total")]
            parts = sub.index.difference(total)
            row = np.zeros(len(hidden))
            for i, h in enumerate(hidden):
                if h in parts:
                    row[i] = 1
                elif h in total:
                    row[i] = -1
            if row.any():
                equations.append(row)
    if not equations:
        return []
    a = np.array(equations)
    rank = np.linalg.matrix_rank(a)
    found = []
    for i, h in enumerate(hidden):
        unit = np.zeros(len(hidden))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append(int(h))
    return found


CELLS_3X3 = {
    ("A", 1): 3,
    ("A", 2): 40,
    ("A", 3): 50,
    ("B", 1): 60,
    ("B", 2): 70,
    ("B", 3): 80,
    ("C", 1): 90,
    ("C", 2): 100,
    ("C", 3): 110,
}


def test_a_3x3_table_with_totals_gives_no_suppressed_cell_back():
    table = _with_totals(CELLS_3X3)
    out = suppress(table, secondary_by="area", secondary_across="wave")
    assert out.loc[0, "suppressed"]  # A, wave 1: 3 respondents
    assert out["suppressed"].sum() >= 4  # a 2x2 pattern at least
    assert _recoverable(out) == []
    for key in ("area", "wave"):
        assert not (out.groupby(key)["suppressed"].sum() == 1).any()


def test_the_check_of_recoverability_can_fail():
    """Rows only: the small cell comes back from its column total (what issue 13 found)."""
    out = suppress(_with_totals(CELLS_3X3), secondary_by="area")
    assert 0 in _recoverable(out)


def test_a_small_total_is_protected_too():
    cells = dict(CELLS_3X3)
    cells["A", 1], cells["A", 2], cells["A", 3] = 2, 3, 4  # row total 9: small itself
    out = suppress(_with_totals(cells), secondary_by="area", secondary_across="wave")
    total_a = out.index[(out["area"] == "A") & (out["wave"] == 0)][0]
    assert out.loc[total_a, "suppressed"]
    assert _recoverable(out) == []


@pytest.mark.parametrize("small", list(CELLS_3X3))
def test_any_one_small_cell_of_a_3x3_table_stays_hidden(small):
    cells = dict(CELLS_3X3)
    cells["A", 1] = 30
    cells[small] = 4
    out = suppress(_with_totals(cells), secondary_by="area", secondary_across="wave")
    assert _recoverable(out) == []


# --- counts of respondents ----------------------------------------------------------------------


def test_counts_below_the_floor_are_suppressed_and_briefing_counts_rounded():
    research = CountRules(min_n=10)
    briefing = CountRules(min_n=10, rounding=5, audience="briefing")
    assert research.shown(3).suppressed and research.shown(3).value is None
    assert research.shown(157).value == 157
    assert briefing.shown(157).value == 155 and briefing.shown(157).rounded
    assert briefing.shown(158).value == 160
    assert briefing.shown(9).suppressed
    assert briefing.shown(10).value == 10
    assert CountRules(min_n=10).with_min_n(20).shown(15).suppressed
    assert CountRules(min_n=10).with_min_n(3).min_n == 10  # never below the floor


def test_count_rules_come_from_the_build_environment():
    env = {
        "LOZELLS_AUDIENCE": "briefing",
        "LOZELLS_MIN_N_FLOOR": "12",
        "LOZELLS_COUNT_ROUNDING": "10",
    }
    rules = CountRules.from_environment(env)
    assert (rules.min_n, rules.rounding, rules.audience) == (12, 10, "briefing")
    assert rules.shown(157).value == 160 and rules.shown(11).suppressed
    research = CountRules.from_environment({**env, "LOZELLS_AUDIENCE": "research"})
    assert research.rounding is None and research.shown(157).value == 157


# --- quotes with name-like pairs ----------------------------------------------------------------


def test_name_like_pairs_that_are_not_known_places_are_found():
    known = known_names()
    assert name_like_pairs("Mary Smith runs the group.", known) == ["Mary Smith"]
    assert name_like_pairs("Ask at Together We Can in East Birmingham.", known) == []
    assert name_like_pairs("NHS England and Aston University wrote.", known) == []
    assert name_like_pairs("The GP in Lozells was kind. When Tuesday came.", known) == []
    assert name_like_pairs("Our Clifton Estate group met.", known) == []
    assert name_like_pairs("I saw Tom O'Brien-Hughes there.", known) == ["Tom O'Brien-Hughes"]


def test_quotes_with_names_are_held_back_and_counted():
    frame = pd.DataFrame({"quote": ["Mary Smith helped me.", "Lozells is home.", "Fine."]})
    kept, held = hold_back_quotes(frame)
    assert kept["quote"].tolist() == ["Lozells is home.", "Fine."] and held == 1


def test_qualitative_quotes_never_return_a_held_back_quote():
    ex = pd.DataFrame(
        {
            "excerpt_id": ["1", "2", "3"],
            "codes": ["trust"] * 3,
            "text": [
                "Bernadette Okafor at the desk was rude.",
                "Nobody at Together We Can listened.",
                "I do not trust them.",
            ],
        }
    )
    out = q.quotes(ex, "trust", n=3)
    assert not out["quote"].str.contains("Okafor").any()
    assert len(out) == 2 and out.attrs["held_back"] == 1
