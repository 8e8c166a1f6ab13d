"""present.comparisons: Fingertips verdicts in colour-blind-safe colours, always with the word."""

from __future__ import annotations

import re

import pandas as pd

from lozells_analysis.present.comparisons import (
    FINGERTIPS_CLASSIC,
    VERDICT_COLOURS,
    comparison_html,
    contrast_ratio,
    legend_html,
    text_colour,
    verdict_html,
)


def test_every_verdict_word_reads_on_its_colour_at_wcag_aa():
    for colour in VERDICT_COLOURS.values():
        assert contrast_ratio(colour, text_colour(colour)) >= 4.5


def test_better_and_worse_are_not_fingertips_red_and_green():
    assert VERDICT_COLOURS["better"] != FINGERTIPS_CLASSIC["better"]
    assert VERDICT_COLOURS["worse"] != FINGERTIPS_CLASSIC["worse"]
    # blue and vermilion: the Okabe-Ito pair that red-green colour-blind readers tell apart
    assert (VERDICT_COLOURS["better"], VERDICT_COLOURS["worse"]) == ("#0072B2", "#D55E00")


def test_the_chip_always_carries_the_word():
    for cat in ("better", "similar", "worse", "higher", "lower", "not compared"):
        assert f">{cat.capitalize()}<" in verdict_html(cat)


def test_legend_explains_each_verdict_once():
    html = str(legend_html())
    for word in ("Better", "Similar", "Worse", "Not compared"):
        assert html.count(f">{word}<") == 1


def _tables():
    est = pd.DataFrame(
        {
            "variable": ["a", "b"],
            "label": ["Trust neighbours", "Life satisfaction"],
            "estimate": [0.6, 6.8],
            "lower_ci": [0.55, 6.6],
            "upper_ci": [0.65, 7.0],
            "kind": ["percent", "mean"],
        }
    )
    comps = pd.DataFrame(
        {
            "variable": ["a"],
            "comparator": ["Scotland"],
            "comparator_value": [0.5],
            "comparison": ["better"],
            "period": ["2019"],
        }
    )
    return est, comps


def test_each_measure_shows_figure_verdict_and_a_described_spine():
    est, comps = _tables()
    html = str(
        comparison_html(
            est, comps, area="Govanhill", caption="Govanhill, 2016 to 2019", no_comparator="None."
        )
    )
    assert "60% (55% to 65%)" in html and "6.8 (6.6 to 7.0)" in html
    assert ">Better</span> <span>than Scotland (50%, 2019)" in html
    assert ">Not compared</span> <span>None.</span>" in html
    assert re.search(
        r'<svg class="lozells-spine"[^>]*aria-label="Govanhill: 60%; Scotland 50%', html
    )
    assert 'data-measure="a" data-estimate="0.6"' in html
    # each cell names its column, so the phone layout (one card per measure) keeps the labels
    assert html.count('data-label="Compared with"') == 2
