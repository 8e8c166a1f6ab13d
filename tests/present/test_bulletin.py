"""present.bulletin: the pack's front written for its own area, in plain words."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from lozells_analysis.data.codebook import load_codebook
from lozells_analysis.data.load import load_listening_events, load_survey
from lozells_analysis.present import bulletin
from lozells_analysis.present.release import Release

RELEASE = Release("1 December 2026", "Spring 2027", "Evaluation team")


@pytest.fixture(scope="module")
def packs():
    survey = load_survey()
    events = load_listening_events()
    return {
        name: bulletin.briefing_pack(
            survey, name, [1, 2, 3, 4, 5, 6], events=events, release=RELEASE
        )
        for name in ("Lozells", "Govanhill", "Caia Park")
    }


def _sentences(points):
    return [s for p in points for s in re.split(r"(?<=\.)\s+(?=[A-Z0-9])", p) if s]


@pytest.mark.parametrize("name", ["Lozells", "Govanhill", "Caia Park"])
def test_main_points_are_at_most_six_plain_sentences(packs, name):
    points = packs[name].main_points()
    assert 1 <= len(_sentences(points)) <= 6
    text = " ".join(points)
    assert "p =" not in text and "wave" not in text.lower()
    wordings = [i.wording for i in load_codebook().items.values()]
    assert not any(w in text for w in wordings)
    assert "2016 to 2019" in text or name in text


@pytest.mark.parametrize(
    ("name", "audience"),
    [("Lozells", "Lozells Health Commission"), ("Govanhill", "local partners")],
)
def test_front_names_its_area_audience_period_and_release(packs, name, audience):
    front = str(packs[name].front())
    assert f'<h1 id="top">{name}, 2016 to 2019' in front
    assert audience in front and "1 December 2026" in front and "Spring 2027" in front
    assert front.index("Things you need to know") < front.index("Contents")
    others = {"Lozells", "Govanhill", "Caia Park"} - {name}
    assert not any(o in front for o in others)


def test_scottish_area_is_compared_with_scotland_only(packs):
    pack = packs["Govanhill"]
    assert set(pack.compared["comparator"]) == {"Scotland"}
    html = html_lib.unescape(str(pack.comparisons()))
    assert "No comparable published figure for Scotland; England's is not used" in html
    assert "than England" not in html and "to England" not in html


def test_welsh_area_says_no_comparable_figure(packs):
    pack = packs["Caia Park"]
    assert pack.compared.empty
    assert "No comparable published figure for Wales" in str(pack.comparisons())


def test_govanhill_says_the_listening_events_do_not_cover_it(packs):
    pack = packs["Govanhill"]
    assert any("do not cover Govanhill" in t for t in pack.things_to_know())
    assert str(pack.barriers()) == ""
    assert "nhs-services" not in dict(pack.contents())


def test_lozells_reports_the_listening_events_as_birmingham_wide(packs):
    html = str(packs["Lozells"].barriers())
    assert "not Lozells alone" in html


def test_programme_wide_figures_are_labelled_as_such(packs):
    annex = str(packs["Lozells"].annex())
    assert "82% (programme-wide, all areas)" in annex
    assert "not figures for Lozells" in annex
    assert "82%" not in str(packs["Lozells"].comparisons())


def test_annex_has_the_methods_box_and_links_the_statistics_guide(packs):
    annex = str(packs["Govanhill"].annex())
    for term in ("Design", "Weights", "Uncertainty", "Ranges", "Reliability"):
        assert f"<dt>{term}</dt>" in annex
    assert 'href="../docs/statistics.md"' in annex
    assert "min_n" not in annex and "logit" not in annex
    assert "scottish-household-survey-2019-annual-report" in annex
