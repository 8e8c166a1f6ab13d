"""A briefing pack in the shape of an ONS statistical bulletin, written for its neighbourhood.

:func:`briefing_pack` computes everything a pack shows for one neighbourhood (or ``"all"``,
the programme) and returns a :class:`BriefingPack` whose methods return the pack's parts as
HTML, from the templates in ``present/templates/bulletin/``:

* :meth:`BriefingPack.front`: the title (neighbourhood and years), the release block (release
  date, data period, next update, contact: ``[tool.lozells.release]`` in ``pyproject.toml``),
  **Main points** (at most six plain sentences: years, not wave numbers; no p-values; no
  question text), **Things you need to know** (synthetic data, uncertainty in plain words,
  what the figures cannot say, which sources do not cover the area) and the contents;
* :meth:`BriefingPack.comparisons`: each measure against the published figures for the
  area's nation (from ``data/neighbourhoods.yaml``), Fingertips colours with the word, a
  legend and a spine per measure;
* :meth:`BriefingPack.trend_sentences`, :meth:`BriefingPack.barriers`,
  :meth:`BriefingPack.glossary`, :meth:`BriefingPack.annex` (quality and methods; the build
  adds the provenance after it).

Nothing here names a wave, a parameter, a file or a module: a councillor reads it.

The release details, the period in words, the methods text and the templates are in
:mod:`lozells_analysis.present.release`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lozells_analysis.data.codebook import Codebook
from lozells_analysis.data.neighbourhoods import Neighbourhood, Neighbourhoods, load_neighbourhoods
from lozells_analysis.present import headlines
from lozells_analysis.present.comparisons import comparison_html, legend_html
from lozells_analysis.present.release import (
    METHODS,
    STATISTICS_DOC,
    Release,
    load_release,
    methods,
    methods_box_html,
    period_text,
    render_template,
    season_labels,
)
from lozells_analysis.present.tables import Html, format_number, format_percent
from lozells_analysis.stats.compare import compare_with_comparators

log = logging.getLogger(__name__)

__all__ = [
    "METHODS",
    "STATISTICS_DOC",
    "BriefingPack",
    "Release",
    "briefing_pack",
    "load_release",
    "methods",
    "methods_box_html",
    "period_text",
    "season_labels",
]

#: The measures every pack compares (indicators as percentages; ``life_satisfaction`` a mean).
PACK_PROPORTIONS = (
    "change_area_run",
    "pull_together",
    "talk_neighbours_most_days",
    "belong_neighbourhood",
)
PACK_MEANS = ("life_satisfaction",)
#: The measures the pack follows over time.
TREND_MEASURES = ("belong_neighbourhood", "pull_together")


# --- sentences -----------------------------------------------------------------------------
def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _value(v: float, kind: str) -> str:
    return format_percent(v) if kind == "percent" else format_number(v, 1)


def _direction(category: str, polarity: str | None) -> str:
    """ "better" / "worse" as the direction of the number (higher or lower)."""
    if category in ("higher", "lower"):
        return category
    up = (category == "better") == (polarity != "lower")
    return "higher" if up else "lower"


def _mid_sentence(name: str) -> str:
    """A comparator's name as it reads mid-sentence (place names keep their capital)."""
    return _lower_first(name) if name.startswith(("Similarly", "All ")) else name


def _comparison_clause(comps: pd.DataFrame, kind: str) -> str:
    """``"higher than England (54%) and similar to ..."`` for a main point."""
    parts = []
    for c in comps.itertuples():
        cat = str(c.comparison)
        v = _value(c.comparator_value, kind)
        name = _mid_sentence(str(c.comparator))
        if cat == "similar":
            parts.append(f"similar to {name} ({v})")
        elif cat in ("better", "worse", "higher", "lower"):
            parts.append(f"{_direction(cat, c.polarity)} than {name} ({v})")
    return " and ".join(parts)


# --- the pack ------------------------------------------------------------------------------
@dataclass
class BriefingPack:
    """What one pack shows; its methods return the parts as HTML."""

    area: Neighbourhood
    hoods: Neighbourhoods
    period: str
    n_responses: int
    synthetic: bool
    level: float
    min_n: int
    estimates: pd.DataFrame
    compared: pd.DataFrame
    by_wave: pd.DataFrame
    trend: pd.DataFrame
    trend_reference: pd.DataFrame | None
    release: Release
    events: pd.DataFrame | None = None
    barriers_table: pd.DataFrame | None = None
    programme_figures: list[str] = field(default_factory=list)

    # -- words used throughout
    @property
    def name(self) -> str:
        return self.area.name

    @property
    def title(self) -> str:
        return f"{self.name}, {self.period}: what residents told the Local Conversations survey"

    @property
    def nation_words(self) -> str:
        return self.area.nation or "England"

    def no_comparator_sentence(self) -> str:
        """What a measure without a comparable published figure says."""
        if self.area.is_programme:
            return "No comparable published figure for England."
        return (
            f"No comparable published figure for {self.area.nation}; England's is not used "
            "instead."
        )

    @property
    def events_cover(self) -> bool:
        return "listening_events" in self.area.qualitative_sources

    @property
    def trend_heading(self) -> str:
        return f"Changes from {self.period}"

    # -- the parts
    def main_points(self) -> list[str]:
        """At most six plain sentences, built from the estimates and comparisons."""
        points = []
        where = (
            "across the Local Conversations areas" if self.area.is_programme else f"in {self.name}"
        )
        for r in self.estimates.itertuples():
            if bool(getattr(r, "suppressed", False)) or pd.isna(r.estimate):
                continue
            comps = self.compared[self.compared["variable"] == r.variable]
            clause = _comparison_clause(comps, r.kind)
            if r.kind == "percent":
                text = f"{_value(r.estimate, 'percent')} of residents {where} " + _lower_first(
                    str(r.label)
                )
            else:
                text = (
                    f"Residents {where} rated their {_lower_first(str(r.label))} "
                    f"{_value(r.estimate, 'mean')} out of 10 on average"
                )
            points.append(text + (f", {clause}" if clause else "") + ".")
        trend_words = self._trend_summary()
        if trend_words:
            points.append(trend_words)
        return points[:6]

    def _trend_summary(self) -> str:
        """One sentence on every measure followed over time (no p-value, no wave number)."""
        if self.trend.empty:
            return ""
        moving = [
            f"a clear {'rise' if t.direction == 'increasing' else 'fall'} in the share who "
            f"{_lower_first(str(t.label))}"
            for t in self.trend.itertuples()
            if t.direction in ("increasing", "decreasing")
        ]
        steady = [
            _lower_first(str(t.label))
            for t in self.trend.itertuples()
            if t.direction == "no significant trend"
        ]
        parts = list(moving)
        if steady:
            parts.append("no clear rise or fall in the share who " + " or ".join(steady))
        if not parts:
            return ""
        return f"From {self.period} there was " + ", and ".join(parts) + "."

    def things_to_know(self) -> list[str]:
        """The caveats, in plain words, before any finding."""
        out = []
        who = "the thirteen Local Conversations areas" if self.area.is_programme else self.name
        if self.synthetic:
            out.append(
                "These figures are made up. They come from synthetic data created to test "
                f"this pack, not from real residents of {who}, so they are not findings."
            )
        out.append(
            f"The figures come from {headlines.count_phrase(self.n_responses, 'survey response')} "
            f"from residents of {who}, {self.period}. Because only some residents "
            "answered, each figure is an estimate: the range given with it is where the figure "
            f"for all residents very probably lies ({self.level:.0%} confidence)."
        )
        nation = self.hoods.comparators.get(self.area.nation or "England")
        if self.area.is_programme:
            out.append(
                "Like People's Health Trust's Annual Review, the programme is compared with "
                "England, although three of its areas are in Scotland and Wales. "
                "\u201cSimilar\u201d means the survey cannot tell the two figures apart, "
                "not that they are the same."
            )
        elif nation is not None:
            out.append(
                f"{self.name} is compared with published figures for {self.area.nation} "
                f"from the {nation.survey} where the same question was asked. "
                "\u201cSimilar\u201d means the survey cannot tell the two figures apart, "
                "not that they are the same." + (f" {nation.note}" if nation.note else "")
            )
        out.append(
            "The figures cannot show that the Local Conversation caused any difference: people "
            "who take part may differ from those who do not, and the national figures come "
            f"from other surveys with their own methods and years. Figures resting on fewer "
            f"than {self.min_n} answers are not shown."
        )
        if not self.events_cover:
            src = self.hoods.sources.get("listening_events")
            place = src.place if src else "Birmingham"
            out.append(
                f"The listening events on NHS services were held in {place}, so they do not "
                f"cover {self.name} and this pack does not report them."
            )
        return out

    def contents(self) -> list[tuple[str, str]]:
        items = [
            ("comparisons", f"How {self.name} compares"),
            ("over-time", self.trend_heading),
        ]
        if self.events_cover:
            items.append(("nhs-services", "What residents said about NHS services"))
        items += [("glossary", "Glossary"), ("quality-and-methods", "Quality and methods")]
        return items

    def front(self) -> Html:
        """Title, release block, synthetic warning, Main points, Things you need to know,
        contents."""
        standfirst = (
            f"A briefing for {self.area.audience} on what residents of {self.name}"
            f"{' (' + self.area.local_authority + ')' if self.area.local_authority else ''} "
            "said about their neighbourhood, how sure we can be of each figure, and how it "
            f"compares with {self.nation_words}."
        )
        return render_template(
            "front.html.j2",
            title=self.title,
            standfirst=standfirst,
            release=self.release,
            period=self.period,
            audience=self.area.audience,
            synthetic=self.synthetic,
            area=self.name,
            main_points=self.main_points(),
            things=self.things_to_know(),
            contents=self.contents(),
        )

    def heading(self, anchor: str) -> Html:
        """The ``<h2>`` of one of the sections in :meth:`contents`."""
        text = dict(self.contents())[anchor]
        return Html(f'<h2 id="{html.escape(anchor)}">{html.escape(text)}</h2>')

    def comparisons(self) -> Html:
        """The comparison section's body: legend, then one row per measure with its spine."""
        cats = ["better", "similar", "worse", "not compared"]
        caption = f"{self.name}, {self.period}: residents' answers against published figures"
        footnote = ""
        if self.programme_figures:
            footnote = (
                "Programme-wide figures published for all Local Conversations areas together "
                "are in the Quality and methods section; they are not figures for "
                f"{self.name}."
                if not self.area.is_programme
                else ""
            )
        return Html(
            str(legend_html(cats))
            + str(
                comparison_html(
                    self.estimates,
                    self.compared,
                    area=self.name,
                    caption=caption,
                    no_comparator=self.no_comparator_sentence(),
                    footnote=footnote,
                )
            )
        )

    def trend_sentences(self) -> Html:
        """One plain sentence per measure followed over time (first and last year)."""
        out = []
        seasons = season_labels()
        for t in self.trend.itertuples():
            rows = self.by_wave[
                (self.by_wave["variable"] == t.variable) & ~self.by_wave["suppressed"]
            ]
            rows = rows.sort_values("wave")
            if len(rows) < 2:
                continue
            a, b = rows.iloc[0], rows.iloc[-1]
            verdict = (
                "no clear rise or fall"
                if t.direction == "no significant trend"
                else f"a clear {'rise' if t.direction == 'increasing' else 'fall'}"
            )
            out.append(
                f"{t.label}: {format_percent(a['estimate'])} in {seasons[int(a['wave'])].lower()}"
                f" and {format_percent(b['estimate'])} in {seasons[int(b['wave'])].lower()}: "
                f"{verdict}."
            )
        return headlines.as_html(out)

    def trend_caption(self) -> str:
        ref = (
            " The dashed line is England (Community Life Survey)."
            if self.trend_reference is not None
            else f" No comparable yearly figure for {self.nation_words} is drawn."
        )
        return (
            f"{self.name}, {self.period}: residents (%) at each survey, with the range each "
            "figure very probably lies in." + ref
        )

    @property
    def survey_source(self) -> str:
        kind = " (synthetic data)" if self.synthetic else ""
        return f"Local Conversations resident survey{kind}"

    def barriers(self) -> Html:
        """The listening events' most common barriers (only when they cover the area)."""
        if not self.events_cover or self.barriers_table is None or self.events is None:
            return Html("")
        src = self.hoods.sources["listening_events"]
        rows = self.barriers_table.dropna(subset=["estimate"]).head(3)
        lines = [
            f"{r.label}: raised in {format_percent(r.estimate)} of the excerpts "
            f"({format_percent(r.lower_ci)} to {format_percent(r.upper_ci)})."
            for r in rows.itertuples()
        ]
        alone = "the whole programme" if self.area.is_programme else f"{self.name} alone"
        intro = (
            f"{src.name} ({src.place}): "
            f"{headlines.count_phrase(len(self.events), 'comment')} at "
            f"{headlines.count_phrase(int(self.events['event_id'].nunique()), 'event')}. "
            f"They cover Birmingham, not {alone}. The barriers raised most often:"
        )
        return headlines.as_html(lines, intro=intro)

    def glossary(self) -> Html:
        terms = [
            (
                "Range (95% confidence interval)",
                "Where the figure for all residents very probably lies, given that only some "
                "answered. A wide range means the figure is uncertain.",
            ),
            (
                "Better, similar, worse",
                "How the area compares with a published figure. Better or worse: the published "
                "figure lies outside the area's range, so the difference is unlikely to be "
                "chance. Similar: it lies inside, so the survey cannot tell them apart.",
            ),
            (
                "Weighted",
                "Answers count more or less so that the people who answered stand for the "
                "whole neighbourhood.",
            ),
            (
                "Local Conversation",
                "A People's Health Trust programme in which residents of a neighbourhood decide "
                "what to do to improve it.",
            ),
            (
                "Programme-wide figure",
                "A figure published for all Local Conversations areas together, not for one area.",
            ),
        ]
        if self.synthetic:
            terms.append(
                (
                    "Synthetic data",
                    "Made-up answers created to test this pack; they describe no real person.",
                )
            )
        return render_template("glossary.html.j2", terms=terms)

    def annex(self) -> Html:
        """Quality and methods: the methods box, the sources (with addresses), and the
        programme-wide published figures labelled as such."""
        sources: list[tuple[str, str | None]] = [(self.survey_source, None)]
        comps = self.compared.assign(period=self.compared["period"].fillna(""))
        for (source, period), sub in comps.groupby(["source", "period"], sort=False):
            names = " and ".join(dict.fromkeys(sub["comparator"].astype(str)))
            when = f", {period}" if period else ""
            url = sub["url"].dropna().iloc[0] if sub["url"].notna().any() else None
            sources.append((f"{source}{when} ({names})", url))
        if self.events_cover:
            sources.append((self.hoods.sources["listening_events"].name, None))
        return render_template(
            "annex.html.j2",
            methods=methods(self.min_n),
            statistics_doc=STATISTICS_DOC,
            sources=sources,
            programme_intro=(
                "Published by People's Health Trust (Annual Review 2021) for all Local "
                "Conversations areas together, 2016 to 2019. They are not figures for "
                f"{self.name}."
                if not self.area.is_programme
                else "Published by People's Health Trust (Annual Review 2021) for all Local "
                "Conversations areas together, 2016 to 2019; this pack's figures reproduce them."
            ),
            programme_figures=self.programme_figures,
        )


def _comparator_frame(figures: Sequence[Any], measures: dict[str, str]) -> pd.DataFrame:
    """``variable, comparator, comparator_value, period, source, url`` for the area."""
    rows = []
    for variable, measure in measures.items():
        for f in (f for f in figures if f.measure == measure):
            rows.append(
                {
                    "variable": variable,
                    "comparator": f.name,
                    "comparator_value": f.value,
                    "period": f.period,
                    "source": f.source,
                    "url": f.url,
                }
            )
    cols = ["variable", "comparator", "comparator_value", "period", "source", "url"]
    return pd.DataFrame(rows, columns=cols)


def _programme_figures(cb: Codebook) -> list[str]:
    from lozells_analysis.data.comparators import ANNUAL_REVIEW, load_benchmarks

    b = load_benchmarks()
    pub = b[(b["source"] == ANNUAL_REVIEW) & (b["population"] == "Local Conversations residents")]
    out = []
    for r in pub.itertuples():
        ind = next((i for i in cb.indicators.values() if i.benchmark == r.measure_id), None)
        label = ind.label if ind is not None else str(r.measure)
        out.append(f"{label}: {format_percent(r.proportion)} (programme-wide, all areas)")
    return out


def briefing_pack(
    survey: pd.DataFrame,
    neighbourhood: str,
    waves: Sequence[int],
    *,
    level: float = 0.95,
    min_n: int = 10,
    events: pd.DataFrame | None = None,
    hoods: Neighbourhoods | None = None,
    release: Release | None = None,
    trend_items: Sequence[str] = TREND_MEASURES,
) -> BriefingPack:
    """Compute everything one briefing pack shows.

    Parameters
    ----------
    survey : DataFrame
        The whole survey (``data.load_survey``); the neighbourhood and waves are selected here.
    neighbourhood : str
        A neighbourhood of ``data/neighbourhoods.yaml`` or ``"all"``.
    waves, level, min_n
        As checked by :func:`lozells_analysis.data.selection.check_parameters`.
    events : DataFrame, optional
        The listening-event excerpts; used only when they cover the area.
    """
    from lozells_analysis.data import comparators as benchmarks
    from lozells_analysis.data import selection
    from lozells_analysis.present import summaries

    hoods = hoods or load_neighbourhoods()
    area = hoods.get(neighbourhood)
    sel = selection.check_parameters(neighbourhood, list(waves), level, min_n)
    part = selection.select_survey(survey, sel.neighbourhood, sel.waves)
    design = summaries.design_for(part)
    cb = design.codebook

    props = summaries.proportions(design, list(PACK_PROPORTIONS), level=sel.level, min_n=sel.min_n)
    props["kind"] = "percent"
    means = summaries.means(design, list(PACK_MEANS), level=sel.level, min_n=sel.min_n)
    means["kind"] = "mean"
    means["label"] = "Life satisfaction"
    estimates = pd.concat([props, means], ignore_index=True)

    measures = {v: cb.indicator(v).benchmark or v for v in PACK_PROPORTIONS}
    measures |= {v: cb.items[v].benchmark or v for v in PACK_MEANS}
    polarity = {v: cb.indicator(v).polarity for v in PACK_PROPORTIONS}
    polarity |= {v: cb.items[v].polarity for v in PACK_MEANS}
    # the programme spans three nations: like the Annual Review, it is compared with England
    nation = hoods.comparators.get(area.nation or "England")
    comps = _comparator_frame(nation.figures if nation else (), measures)
    compared = compare_with_comparators(estimates, comps, polarity)

    trend_items = selection.check_indicators(list(trend_items), name="trend_items")
    by_wave = summaries.proportions(
        design, list(trend_items), by="wave", level=sel.level, min_n=sel.min_n
    )
    trend = summaries.trend_tests(design, list(trend_items), level=sel.level)
    reference = (
        benchmarks.cls_by_wave(list(trend_items), sel.waves) if area.nation == "England" else None
    )

    barriers = None
    if events is not None and "listening_events" in area.qualitative_sources:
        from lozells_analysis.stats import qualitative

        barriers = qualitative.code_frequencies(events, min_n=sel.min_n, level=sel.level)

    return BriefingPack(
        area=area,
        hoods=hoods,
        period=period_text(sel.waves, cb),
        n_responses=len(part),
        synthetic=bool(survey.attrs.get("synthetic")),
        level=sel.level,
        min_n=sel.min_n,
        estimates=estimates,
        compared=compared,
        by_wave=by_wave,
        trend=trend,
        trend_reference=reference,
        release=release or load_release(),
        events=events if barriers is not None else None,
        barriers_table=barriers,
        programme_figures=_programme_figures(cb),
    )
