"""The briefing packs as the build publishes them: each written for its own neighbourhood and
audience and never another's, with Main points, Things you need to know before the findings,
and no machine path (three packs of the real catalogue, built once per session: see
``browser_support``)."""

from __future__ import annotations

import html
import re

import pytest

from lozells_analysis.data.codebook import load_codebook
from lozells_analysis.paths import project_root

from .. import browser_support as support

pytestmark = [pytest.mark.slow, pytest.mark.catalogue]

AREAS = {
    "lozells": ("Lozells", "Lozells Health Commission"),
    "govanhill": ("Govanhill", "local partners"),
    "caia-park": ("Caia Park", "local partners"),
}


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """The folder the catalogue was built in, and each area's published briefing pack."""
    pages = {
        slug: support.published_view(tmp_path_factory, f"briefing-{slug}.briefing").read_text(
            encoding="utf-8"
        )
        for slug in AREAS
    }
    return support.catalogue_folder(tmp_path_factory), pages


def _visible(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]+"', "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("slug", list(AREAS))
def test_each_pack_names_its_own_area_and_audience_and_never_another(packs, slug):
    _, pages = packs
    name, audience = AREAS[slug]
    text = _visible(pages[slug])
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", pages[slug], flags=re.S).group(1)
    assert html.unescape(h1).startswith(f"{name}, 2016 to 2019")
    assert audience in text
    for other, (other_name, other_audience) in AREAS.items():
        if other != slug:
            assert other_name not in text
            if other_audience != audience:
                assert other_audience not in text


@pytest.mark.parametrize("slug", list(AREAS))
def test_main_points_first_then_things_to_know_before_any_finding(packs, slug):
    _, pages = packs
    page = pages[slug]
    points = re.search(r'<ul class="lozells-main-points">(.*?)</ul>', page, flags=re.S).group(1)
    items = [html.unescape(re.sub(r"<[^>]+>", "", i)).strip() for i in points.split("</li>")]
    text = " ".join(i for i in items if i)
    sentences = [s for s in re.split(r"(?<=\.)\s+(?=[A-Z0-9])", text) if s]
    assert 1 <= len(sentences) <= 6
    assert "p =" not in text and "wave" not in text.lower()
    assert not any(i.wording in text for i in load_codebook().items.values())
    assert (
        page.index('id="main-points"')
        < page.index('id="things-you-need-to-know"')
        < page.index('id="contents-heading"')
        < page.index('id="comparisons"')
        < page.index('id="glossary"')
        < page.index('id="quality-and-methods"')
        < page.index('id="provenance"')
    )


@pytest.mark.parametrize("slug", list(AREAS))
def test_no_machine_detail_is_shown_to_the_reader(packs, slug):
    root, pages = packs
    page = pages[slug]
    # the provenance at the end (folded) lists the files read; nothing before it names one
    text = _visible(page[: page.index('id="provenance"')])
    assert str(root) not in page and str(project_root()) not in page
    assert not re.search(r"(?<![\w.])/(home|tmp|work|srv|Users|root)/", page)
    for code_word in (
        "briefing report, briefing view",
        "lozells_analysis.",
        "min_n",
        "p =",
        "Parameters:",
        "survey.parquet",
        "logit",
        "waves 1-6",
    ):
        assert code_word not in text, code_word
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no ISO timestamp
    assert "Synthetic data" in text and "do not quote it" in text
    assert 'class="lozells-verdict lozells-verdict-' in page  # coloured verdicts, with words


def test_govanhill_says_the_birmingham_listening_events_do_not_cover_it(packs):
    _, pages = packs
    text = _visible(pages["govanhill"])
    assert "do not cover Govanhill" in text
    assert "What residents said about NHS services" not in text
    assert "No comparable published figure for Scotland" in text
    assert "Scottish Household Survey" in text


def test_caia_park_is_compared_with_no_other_nation(packs):
    _, pages = packs
    text = _visible(pages["caia-park"])
    assert "No comparable published figure for Wales" in text
    assert "than England" not in text and "similar to England" not in text


def test_lozells_pack_shows_the_listening_events_and_the_programme_figure_labelled(packs):
    _, pages = packs
    text = _visible(pages["lozells"])
    assert "What residents said about NHS services" in text
    assert "82% (programme-wide, all areas)" in text
