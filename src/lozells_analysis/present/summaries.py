"""The tables the notebooks show, composed from the statistics modules in one call each.

A notebook cell should be one short library call under a sentence. The functions here put
together :mod:`~lozells_analysis.stats.design`, :mod:`~lozells_analysis.stats.compare`,
:mod:`~lozells_analysis.stats.trends` and :mod:`~lozells_analysis.stats.disclosure` so that every
estimate a report shows has its interval, its label from the codebook, and has been through
small-number suppression and the reliability flag. They add no statistics of their own,
except the data-quality descriptions of notebook 01 (counts, item non-response, and Kish's
design effect due to weighting).

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
from lozells_analysis.present.tables import indicator_label
from lozells_analysis.stats import disclosure
from lozells_analysis.stats.compare import classify_against_benchmark, group_differences
from lozells_analysis.stats.design import SurveyDesign

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
    by: str | list | None = None,
    level: float = 0.95,
    min_n: int = 10,
    secondary_by: str | None = None,
) -> pd.DataFrame:
    """Weighted percentages of codebook indicators with intervals, suppressed and flagged.

    Returns the rows of :meth:`SurveyDesign.proportion` for each indicator, one under the
    other, plus ``label`` (the codebook's), ``suppressed``, ``suppression_reason``,
    ``interpret_with_caution`` and ``reliability_note``.
    """
    cb = design.codebook
    parts = []
    for ind in indicators:
        est = design.proportion(ind, by=by, level=level)
        est.insert(0, "label", indicator_label(ind, cb))
        parts.append(est)
    return _protect(pd.concat(parts, ignore_index=True), min_n, secondary_by)


def means(
    design: SurveyDesign,
    items: Sequence[str],
    by: str | list | None = None,
    level: float = 0.95,
    min_n: int = 10,
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
    return disclosure.flag_reliability(out, max_width=np.inf)


# --- notebook 01: data quality ----------------------------------------------------------------
def response_counts(
    survey: pd.DataFrame, rows: str = "neighbourhood", columns: str = "wave", min_n: int = 10
) -> pd.DataFrame:
    """Number of responses in each cell of ``rows`` by ``columns``, tidy, with cells under
    ``min_n`` suppressed (and a second cell in the same row, so none can be worked back)."""
    counts = survey.groupby([rows, columns], observed=True).size().rename("n").reset_index()
    return disclosure.suppress(counts, min_n=min_n, secondary_by=rows)


def count_table(
    counts: pd.DataFrame,
    rows: str = "neighbourhood",
    columns: str = "wave",
    labels: dict | None = None,
) -> pd.DataFrame:
    """The tidy counts of :func:`response_counts` as a wide table of text ("suppressed")."""
    c = counts.copy()
    c["cell"] = [
        ("suppressed" if s else f"{int(n):,}")
        for n, s in zip(c["n"], c["suppressed"], strict=True)
    ]
    if labels:
        c[columns] = c[columns].map(lambda v: labels.get(v, v))
    wide = c.pivot(index=rows, columns=columns, values="cell")
    wide.columns.name = None
    return wide.fillna("-")


def item_nonresponse(
    survey: pd.DataFrame, codebook: Codebook | None = None, domains: Sequence[str] | None = None
) -> pd.DataFrame:
    """For each survey item: the share answered, "don't know", refused, and left blank.

    Examples
    --------
    >>> df = pd.DataFrame({"trust_people": pd.array([1, 8, 9, None], dtype="Int8"),
    ...                    "life_satisfaction": [7.0, 88, 99, None]})
    >>> item_nonresponse(df)[["item", "answered", "dont_know", "refused", "blank"]]
                    item  answered  dont_know  refused  blank
    0       trust_people      0.25       0.25     0.25   0.25
    1  life_satisfaction      0.25       0.25     0.25   0.25
    """
    cb = codebook or load_codebook()
    rows = []
    for item in cb.items.values():
        if item.id not in survey.columns or (domains and item.domain not in domains):
            continue
        codes = cb.codes_of(survey[item.id], item)
        n = len(codes)
        dk = [c for c, lab in item.labels.items() if lab == "Don't know"]
        ref = [c for c, lab in item.labels.items() if lab in ("Refused", "Prefer not to say")]
        blank = np.isnan(codes)
        is_dk = np.isin(codes, dk)
        is_ref = np.isin(codes, ref)
        rows.append(
            {
                "item": item.id,
                "wording": item.wording,
                "domain": cb.domains[item.domain],
                "answered": float(np.mean(~blank & ~is_dk & ~is_ref)) if n else np.nan,
                "dont_know": float(np.mean(is_dk)) if n else np.nan,
                "refused": float(np.mean(is_ref)) if n else np.nan,
                "blank": float(np.mean(blank)) if n else np.nan,
                "n": n,
            }
        )
    return pd.DataFrame(rows)


def weighting_effect(
    survey: pd.DataFrame, by: str | None = "neighbourhood", weight: str = "weight"
) -> pd.DataFrame:
    """Kish's design effect due to weighting, ``n * sum(w^2) / sum(w)^2 = 1 + CV(w)^2``, with
    the effective sample size ``n / deff`` and the weights' range, overall and per group.

    Examples
    --------
    >>> df = pd.DataFrame({"g": ["a", "a", "b", "b"], "weight": [1.0, 3.0, 2.0, 2.0]})
    >>> weighting_effect(df, by="g")[["group", "n", "deff_weighting", "n_effective"]].round(3)
         group  n  deff_weighting  n_effective
    0        a  2           1.250        1.600
    1        b  2           1.000        2.000
    2  Overall  4           1.125        3.556
    """

    def one(w: np.ndarray) -> dict:
        n = len(w)
        deff = n * np.sum(w**2) / np.sum(w) ** 2
        return {
            "n": n,
            "deff_weighting": float(deff),
            "n_effective": float(n / deff),
            "min_weight": float(w.min()),
            "max_weight": float(w.max()),
            "max_to_min": float(w.max() / w.min()),
        }

    rows = []
    if by is not None:
        for g, sub in survey.groupby(by, observed=True, sort=True):
            rows.append({"group": str(g), **one(sub[weight].to_numpy(float))})
    rows.append({"group": "Overall", **one(survey[weight].to_numpy(float))})
    return pd.DataFrame(rows)


def validation_summary(survey: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """What the checks on loading found, as a table of check and result.

    :func:`~lozells_analysis.data.load.load_survey` refuses a file that fails any codebook check,
    so a loaded survey has passed them; this table says so and adds the checks that only
    warn: interview dates outside their wave's fieldwork window, respondents who answered
    fewer than half of the items, and the spread of the weights.
    """
    cb = codebook or load_codebook()
    item_cols = [i for i in cb.items if i in survey.columns]
    answered = pd.DataFrame({i: ~np.isnan(cb.codes_of(survey[i], cb.items[i])) for i in item_cols})
    low = int((answered.mean(axis=1) < 0.5).sum())
    outside = 0
    if "interview_date" in survey.columns:
        start = survey["wave"].map({w: v.start for w, v in cb.waves.items()})
        end = survey["wave"].map({w: v.end for w, v in cb.waves.items()})
        d = pd.to_datetime(survey["interview_date"])
        outside = int(((d < start) | (d > end)).sum())
    w = survey["weight"].to_numpy(float)
    n = len(survey)
    checks = [
        (
            "Columns and codes match the codebook (every value a valid code or in range)",
            f"passed: {len(item_cols)} items, {n:,} responses",
        ),
        (
            "Respondent identifiers unique",
            "passed" if survey["respondent_id"].is_unique else "FAILED",
        ),
        (
            "Neighbourhoods and waves known to the codebook",
            f"passed: {survey['neighbourhood'].nunique()} neighbourhoods, "
            f"{survey['wave'].nunique()} waves",
        ),
        (
            "Interview dates inside their wave's fieldwork window",
            "all inside" if outside == 0 else f"{outside:,} outside (check the wave column)",
        ),
        (
            "Respondents who answered fewer than half the items",
            "none" if low == 0 else f"{low:,} ({low / n:.1%})",
        ),
        ("Weights positive and finite", f"passed: from {w.min():.2f} to {w.max():.2f}"),
    ]
    return pd.DataFrame(checks, columns=["Check", "Result"])


# --- notebook 03: benchmarks ------------------------------------------------------------------
def benchmark_comparison(
    design: SurveyDesign,
    measures: Sequence[str] = ANNUAL_REVIEW_MEASURES,
    comparators: Sequence[str] = ("Similarly deprived areas", "England"),
    by: str | None = None,
    level: float = 0.95,
    min_n: int = 10,
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
        ``[by,] variable, label, estimate, lower_ci, upper_ci, n, n_eff, level, comparator,
        comparator_value, comparison, published, suppressed, interpret_with_caution,
        reliability_note, source``.
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
    return pd.DataFrame(rows)


def spine_table(
    design: SurveyDesign,
    neighbourhood: str,
    measures: Sequence[str] = ANNUAL_REVIEW_MEASURES,
    comparator: str = "England",
    level: float = 0.95,
    min_n: int = 10,
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
    by: str,
    level: float = 0.95,
    min_n: int = 10,
    adjust: str = "holm",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An indicator by the groups of ``by`` (suppressed and flagged), and every pair of
    published groups compared, p-values adjusted (Holm by default) across the pairs.

    Suppressed groups are left out of the comparisons, so no difference can reveal them.
    """
    est = proportions(design, [indicator], by=by, level=level, min_n=min_n)
    shown = [g for g, s in zip(est[by], est["suppressed"], strict=True) if not s]
    if len(shown) < 2:
        return est, pd.DataFrame(
            columns=[
                "group_1",
                "group_2",
                "difference",
                "lower_ci",
                "upper_ci",
                "p_value",
                "p_adjusted",
            ]
        )
    import itertools

    pairs = list(itertools.combinations(shown, 2))
    diffs = group_differences(design, indicator, by=by, pairs=pairs, level=level, adjust=adjust)
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
    return pd.concat(parts, ignore_index=True)


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
    all the collective-control items together, on the items' 0-1 scores."""
    from lozells_analysis.stats.scales import COMPONENTS, cronbach_alpha, item_score

    cb = codebook or load_codebook()
    rows = []
    groups = [(c, cb.component_items(c)) for c in COMPONENTS]
    groups.append(("collective_control", [i for c in COMPONENTS for i in cb.component_items(c)]))
    for comp, items in groups:
        scores = pd.DataFrame({i: item_score(survey, i, cb) for i in items})
        scores["weight"] = survey["weight"].to_numpy(float)
        a = cronbach_alpha(scores, items, weights="weight", level=level)
        a.insert(0, "label", cb.components.get(comp, "Collective control (all items)"))
        a.insert(0, "component", comp)
        rows.append(a)
    out = pd.concat(rows, ignore_index=True)
    return out.rename(columns={"alpha": "estimate"})


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
    design: SurveyDesign, level: float = 0.95, min_n: int = 10, period: str = "2019/20"
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
    survey: pd.DataFrame, level: float = 0.95, min_n: int = 10, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Weighted percentage of respondents in each ONS4 band, per item, with intervals."""
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
    return _protect(pd.concat(rows, ignore_index=True), min_n)
