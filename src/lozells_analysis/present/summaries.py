"""The tables the notebooks show, composed from the statistics modules in one call each.

A notebook cell should be one short library call under a sentence. The functions here put
together :mod:`~lozells_analysis.stats.design`, :mod:`~lozells_analysis.stats.compare`,
:mod:`~lozells_analysis.stats.trends` and :mod:`~lozells_analysis.stats.disclosure` so that every
estimate a report shows has its interval, its label from the codebook, and has been through
small-number suppression and the reliability flag. They add no statistics of their own,
except the data-quality descriptions of notebook 01 (counts, item non-response, and Kish's
design effect due to weighting), which are in :mod:`~lozells_analysis.present.quality` and
are re-exported here.

Examples
--------
>>> from lozells_analysis.data.load import load_survey
>>> from lozells_analysis.present import summaries
>>> survey = load_survey()
>>> est = summaries.proportions(summaries.design_for(survey), ["change_area_run"])
>>> est[["variable", "label", "suppressed"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'variable': 'change_area_run',
  'label': 'Agree people who get involved can change the way the area is run',
  'suppressed': False}]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.comparators import (
    ANNUAL_REVIEW,
    ANNUAL_REVIEW_MEASURES,
    load_benchmarks,
)
from lozells_analysis.exceptions import ParameterError

# notebook 01's data-quality tables, importable from here as before they moved to quality.py
from lozells_analysis.present.quality import (  # noqa: F401
    count_table,
    item_nonresponse,
    response_counts,
    validation_summary,
    weighting_effect,
)
from lozells_analysis.present.tables import indicator_label
from lozells_analysis.stats import disclosure
from lozells_analysis.stats.compare import classify_against_benchmark, group_differences
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.disclosure import DEFAULT_MIN_N
from lozells_analysis.stats.published import counted
from lozells_analysis.stats.schema import SCHEMA_COLUMNS, by_columns, group_name

log = logging.getLogger(__name__)

__all__ = [
    "CONTROL_SCORES",
    "COVARIATES",
    "benchmark_comparison",
    "breakdown",
    "design_for",
    "item_nonresponse",
    "means",
    "model_frame",
    "proportions",
    "response_counts",
    "spine_table",
    "ons4_bands",
    "ons4_comparison",
    "reliability",
    "term_labels",
    "trend_tests",
    "validation_summary",
    "weighting_effect",
    "with_scores",
]


def design_for(survey: pd.DataFrame, codebook: Codebook | None = None) -> SurveyDesign:
    """The programme's survey design: survey weights, stratified by neighbourhood, each
    respondent their own PSU (the survey was not clustered)."""
    return SurveyDesign(
        survey, weights="weight", strata="neighbourhood", codebook=codebook or load_codebook()
    )


def _protect(
    table: pd.DataFrame, min_n: int, secondary_by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    out = disclosure.suppress(table, min_n=min_n, secondary_by=secondary_by)
    return disclosure.flag_reliability(out)


def proportions(
    design: SurveyDesign,
    indicators: Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    secondary_by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Weighted proportions (0-1) of codebook indicators with intervals, suppressed and
    flagged.

    Returns the rows of :meth:`SurveyDesign.proportion` for each indicator, one under the
    other, plus ``label`` (the codebook's), ``suppressed``, ``suppression_reason``,
    ``interpret_with_caution`` and ``reliability_note``. ``by`` is a column name or a list
    of them.
    """
    cb = design.codebook
    parts = []
    for ind in indicators:
        est = design.proportion(ind, by=by, level=level)
        est.insert(0, "label", indicator_label(ind, cb))
        parts.append(est)
    out = _protect(pd.concat(parts, ignore_index=True), min_n, secondary_by)
    return counted(out, design.data, by_columns(by))


def means(
    design: SurveyDesign,
    items: Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Weighted means of numeric items with intervals, suppressed and flagged (interval width
    is not used for the flag: it is on the item's own scale)."""
    cb = design.codebook
    parts = []
    for item in items:
        est = design.mean(item, by=by, level=level)
        est.insert(0, "label", indicator_label(item, cb))
        parts.append(est)
    out = disclosure.suppress(pd.concat(parts, ignore_index=True), min_n=min_n)
    return counted(disclosure.flag_reliability(out, max_width=np.inf), design.data, by_columns(by))


# --- notebook 03: benchmarks ------------------------------------------------------------------
def benchmark_comparison(
    design: SurveyDesign,
    measures: Sequence[str] = ANNUAL_REVIEW_MEASURES,
    comparators: Sequence[str] = ("Similarly deprived areas", "England"),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    source: str = ANNUAL_REVIEW,
) -> pd.DataFrame:
    """Survey estimates of the Annual Review measures against the published comparators.

    Each row is one estimate (per ``by`` group) against one comparator, classified as
    better / similar / worse (Fingertips: is the comparator outside the estimate's
    ``level`` interval; direction from the indicator's polarity). The published Local
    Conversations figure is in ``published``, so the reproduction can be checked.

    Returns
    -------
    DataFrame
        ``label``, the rows of :func:`proportions` (``[by columns,] variable, estimate, se,
        lower_ci, upper_ci, level, method, deff, n, n_eff, df``, the disclosure flags), then
        ``comparator, comparator_value, comparison, published, source``; proportions 0-1.
    """
    cb = design.codebook
    b = load_benchmarks()
    b = b[b["source"] == source]
    est = proportions(design, list(measures), by=by, level=level, min_n=min_n)
    rows = []
    for _, r in est.iterrows():
        ind = cb.indicator(r["variable"])
        pub = b[
            (b["measure_id"] == ind.benchmark)
            & (b["population"] == "Local Conversations residents")
        ]
        for comp in comparators:
            hit = b[(b["measure_id"] == ind.benchmark) & (b["population"] == comp)]
            value = float(hit["proportion"].iloc[0]) if len(hit) else np.nan
            category = classify_against_benchmark(
                r["lower_ci"], r["upper_ci"], value, ind.polarity
            )[0]
            rows.append(
                {
                    **r.to_dict(),
                    "comparator": comp,
                    "comparator_value": value,
                    "comparison": "not compared" if r["suppressed"] else category,
                    "published": float(pub["proportion"].iloc[0]) if len(pub) else np.nan,
                    "source": source,
                }
            )
    return counted(pd.DataFrame(rows), design.data, by_columns(by))


def spine_table(
    design: SurveyDesign,
    neighbourhood: str,
    measures: Sequence[str] = ANNUAL_REVIEW_MEASURES,
    comparator: str = "England",
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    source: str = ANNUAL_REVIEW,
) -> pd.DataFrame:
    """One row per measure for :func:`lozells_analysis.present.plots.spine_chart`: the
    neighbourhood's estimate, the comparator, the range and quartiles across the
    neighbourhoods (published ones only), and the better/similar/worse category."""
    comp = benchmark_comparison(
        design,
        measures,
        (comparator,),
        by="neighbourhood",
        level=level,
        min_n=min_n,
        source=source,
    )
    rows = []
    for var, sub in comp.groupby("variable", sort=False):
        shown = sub[~sub["suppressed"]]
        me = sub[sub["neighbourhood"].astype(str) == neighbourhood]
        if me.empty:
            raise ParameterError(
                f"No estimate for {neighbourhood} in the spine chart: it is "
                "not in the selected data."
            )
        me = me.iloc[0]
        vals = shown["estimate"].to_numpy(float)
        rows.append(
            {
                "indicator": me["label"],
                "variable": var,
                "estimate": me["estimate"],
                "lower_ci": me["lower_ci"],
                "upper_ci": me["upper_ci"],
                comparator: me["comparator_value"],
                "min": np.min(vals),
                "q25": np.quantile(vals, 0.25),
                "q75": np.quantile(vals, 0.75),
                "max": np.max(vals),
                "comparison": me["comparison"],
                "suppressed": bool(me["suppressed"]),
            }
        )
    return pd.DataFrame(rows)


# --- notebooks 04-06: breakdowns and models ---------------------------------------------------
def model_frame(
    survey: pd.DataFrame,
    categorical: Sequence[str] = (),
    numeric: Sequence[str] = (),
    codebook: Codebook | None = None,
    min_n: int = 1,
) -> pd.DataFrame:
    """The survey with ``categorical`` items as labelled categories and ``numeric`` items as
    floats, "don't know", refused and prefer-not-to-say set to missing, ready for
    :meth:`SurveyDesign.glm` formulas (``C(gender)``) and ``by=`` breakdowns.

    A category with fewer than ``min_n`` respondents is set to missing too (so a model never
    reports a coefficient for a handful of people); ``attrs["dropped_categories"]`` lists
    them as ``"item: label (n)"``.

    Examples
    --------
    >>> df = pd.DataFrame({"gender": pd.array([1, 2, 9], dtype="Int8"),
    ...                    "lc_years_involved": [0.0, 3, 88]})
    >>> out = model_frame(df, ["gender"], ["lc_years_involved"])
    >>> out["gender"].tolist(), out["lc_years_involved"].tolist()
    (['Woman', 'Man', nan], [0.0, 3.0, nan])
    """
    cb = codebook or load_codebook()
    out = survey.copy()
    dropped: list[str] = []
    for c in categorical:
        item = cb.item(c)
        codes = pd.Series(cb.codes_of(out[c], item), index=out.index)
        valid = {k: v for k, v in item.labels.items() if k in item.scale.valid_codes}
        cat = pd.Series(
            pd.Categorical(codes.map(valid), categories=list(valid.values())), index=out.index
        )
        sizes = cat.value_counts()
        small = [lab for lab, k in sizes.items() if 0 < k < min_n]
        if small:
            dropped.extend(f"{c}: {lab} ({int(sizes[lab])})" for lab in small)
            cat = cat.where(~cat.isin(small))
        out[c] = cat.cat.remove_unused_categories()
    for c in numeric:
        item = cb.item(c)
        v = pd.Series(cb.codes_of(out[c], item), index=out.index)
        out[c] = v.where(~v.isin(item.missing_codes))
    out.attrs = dict(survey.attrs)
    out.attrs["dropped_categories"] = dropped
    if dropped:
        log.info("categories with fewer than %d respondents left out: %s", min_n, dropped)
    return out


def breakdown(
    design: SurveyDesign,
    indicator: str,
    by: str | Sequence[str],
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    adjust: str = "holm",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An indicator by the groups of ``by`` (suppressed and flagged), and every pair of
    published groups compared, p-values adjusted (Holm by default) across the pairs.

    ``by`` is a column name or a list of them (a group is then named by the tuple of its
    values). The comparisons are the table of
    :func:`~lozells_analysis.stats.compare.group_differences` (``estimate`` the difference,
    0-1). Suppressed groups are left out of the comparisons, so no difference can reveal
    them.
    """
    keys = by_columns(by)
    est = proportions(design, [indicator], by=keys, level=level, min_n=min_n)
    names = [group_name(tuple(r), len(keys)) for r in est[keys].itertuples(index=False, name=None)]
    shown = [g for g, s in zip(names, est["suppressed"], strict=True) if not s]
    if len(shown) < 2:
        return est, pd.DataFrame(
            columns=[
                *SCHEMA_COLUMNS,
                "group_1",
                "group_2",
                "estimate_1",
                "estimate_2",
                "statistic",
                "p_value",
                "p_adjusted",
                "adjust",
            ]
        )
    import itertools

    pairs = list(itertools.combinations(shown, 2))
    diffs = group_differences(design, indicator, by=keys, pairs=pairs, level=level, adjust=adjust)
    return est, diffs


# --- trends, scales, wellbeing ------------------------------------------------------------------
def trend_tests(
    design: SurveyDesign, indicators: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """The design-based linear trend test over waves for each indicator, labelled."""
    from lozells_analysis.stats.trends import linear_trend

    parts = []
    for ind in indicators:
        t = linear_trend(design, ind, level=level)
        t.insert(0, "label", indicator_label(ind, design.codebook))
        parts.append(t)
    return counted(pd.concat(parts, ignore_index=True), design.data)


#: Collective control: the five components and the overall index.
CONTROL_SCORES = (
    "social_connectedness",
    "knowledge_skills",
    "money_resources",
    "influence",
    "confidence",
    "collective_control",
)
#: The covariates of the regressions of notebooks 04 and 05.
COVARIATES = ("age_band", "gender", "ethnic_group", "disability")


def with_scores(survey: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The survey with the collective-control component scores and overall index (0-100)
    added as columns (:func:`lozells_analysis.stats.scales.collective_control`)."""
    from lozells_analysis.stats.scales import collective_control

    cb = codebook or load_codebook()
    scores = collective_control(survey, cb)
    out = survey.drop(columns=[c for c in scores.columns if c in survey.columns]).join(scores)
    out.attrs = dict(survey.attrs)
    return out


def reliability(
    survey: pd.DataFrame, level: float = 0.95, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Cronbach's alpha (survey-weighted, Feldt interval) of each component's items and of
    all the collective-control items together, on the items' 0-1 scores.

    The rows of :func:`~lozells_analysis.stats.scales.cronbach_alpha` (``variable`` the
    component, ``estimate`` alpha) with the component's ``label`` first."""
    from lozells_analysis.stats.scales import COMPONENTS, cronbach_alpha, item_score

    cb = codebook or load_codebook()
    rows = []
    groups = [(c, cb.component_items(c)) for c in COMPONENTS]
    groups.append(("collective_control", [i for c in COMPONENTS for i in cb.component_items(c)]))
    for comp, items in groups:
        scores = pd.DataFrame({i: item_score(survey, i, cb) for i in items})
        scores["weight"] = survey["weight"].to_numpy(float)
        a = cronbach_alpha(scores, items, weights="weight", level=level, variable=comp)
        a.insert(0, "label", cb.components.get(comp, "Collective control (all items)"))
        rows.append(a)
    return counted(
        pd.concat(rows, ignore_index=True),
        survey,
        noun="respondents answering every item of {variable}",
    )


def term_labels(
    terms: Sequence[str], codebook: Codebook | None = None, reference: dict | None = None
) -> dict[str, str]:
    """Readable names for model terms: ``C(gender)[T.Man]`` -> ``"Gender: Man"``.

    Examples
    --------
    >>> term_labels(["C(gender)[T.Man]", "lc_years_involved"])  # doctest: +NORMALIZE_WHITESPACE
    {'C(gender)[T.Man]': 'Gender: Man',
     'lc_years_involved': 'Years involved in the Local Conversation'}
    """
    import re

    names = {
        "lc_involvement": "Involvement",
        "age_band": "Age",
        "gender": "Gender",
        "ethnic_group": "Ethnic group",
        "disability": "Disability or long-term condition",
        "lc_years_involved": "Years involved in the Local Conversation",
        "social_connectedness": "Social connectedness score (per 10 points)",
    }
    out = {}
    for t in terms:
        m = re.fullmatch(r"C\((\w+)\)\[T\.(.*)\]", t)
        if m:
            out[t] = f"{names.get(m.group(1), m.group(1))}: {m.group(2)}"
        else:
            out[t] = names.get(t, t.replace("_", " "))
    return out


def ons4_comparison(
    design: SurveyDesign, level: float = 0.95, min_n: int = DEFAULT_MIN_N, period: str = "2019/20"
) -> pd.DataFrame:
    """ONS4 means with intervals against England's means (Community Life Survey, ``period``)
    where published, classified higher/similar/lower (better/worse by the item's polarity)."""
    cb = design.codebook
    b = load_benchmarks()
    items = ["life_satisfaction", "worthwhile", "happiness", "anxiety"]
    est = means(design, items, level=level, min_n=min_n)
    values, cats = [], []
    for _, r in est.iterrows():
        item = cb.items[r["variable"]]
        hit = b[(b["measure_id"] == (item.benchmark or "")) & (b["period"] == period)]
        v = float(hit["value"].iloc[0]) if len(hit) else np.nan
        values.append(v)
        cats.append(
            "not compared"
            if r["suppressed"]
            else classify_against_benchmark(r["lower_ci"], r["upper_ci"], v, item.polarity)[0]
        )
    est["comparator"] = f"England in {period}"
    est["comparator_value"] = values
    est["comparison"] = cats
    return est


def ons4_bands(
    survey: pd.DataFrame,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Weighted share (0-1) of respondents in each ONS4 band, per item, with intervals."""
    from lozells_analysis.stats.scales import ons4_band

    cb = codebook or load_codebook()
    frame = survey.copy()
    rows = []
    cols = []
    for item in ("life_satisfaction", "worthwhile", "happiness", "anxiety"):
        v = pd.Series(cb.codes_of(frame[item], cb.items[item]), index=frame.index)
        v = v.where(~v.isin(cb.items[item].missing_codes))
        band = pd.Series(
            np.asarray(ons4_band(v.to_numpy(), item, cb), dtype=object), index=frame.index
        )
        # ons4_band above raised CodebookError if the item had no bands
        for b in cb.bands[cast(str, cb.items[item].bands)]:
            col = f"_{item}__{b.label}"
            frame[col] = np.where(v.isna(), np.nan, (band == b.label).astype(float))
            cols.append((col, item, b.label))
    design = design_for(frame, cb)
    for col, item, label in cols:
        est = design.proportion(col, level=level)
        est["variable"] = item
        est.insert(0, "band", label)
        est.insert(0, "label", indicator_label(item, cb))
        rows.append(est)
    return counted(_protect(pd.concat(rows, ignore_index=True), min_n), survey)
