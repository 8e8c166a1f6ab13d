"""Published comparators (``data/benchmarks/benchmarks.csv``), each with its source.

The file holds the Annual Review 2021 comparison (Local Conversations residents, similarly
deprived areas, England), England's Community Life Survey by year, and England's ONS4
means. Percentages are read as proportions (``proportion`` = ``value`` / 100) so that they
sit on the same scale as the survey estimates; means are left as they are.

Examples
--------
>>> from lozells_analysis.data.comparators import benchmark_value, load_benchmarks
>>> benchmark_value("change_area_run", "England")
0.54
>>> benchmark_value("life_satisfaction_mean", "England (Community Life Survey)", "2019/20")
7.0
>>> len(load_benchmarks()) > 40
True
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pandas as pd

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.tracking import record_read
from lozells_analysis.exceptions import ParameterError
from lozells_analysis.paths import benchmarks_dir

log = logging.getLogger(__name__)

__all__ = [
    "ANNUAL_REVIEW",
    "ANNUAL_REVIEW_MEASURES",
    "benchmark_value",
    "cls_by_wave",
    "load_benchmarks",
]

#: The source of the programme-level comparison the briefing and notebook 03 reproduce.
ANNUAL_REVIEW = "People's Health Trust Annual Review 2021"
#: Its three measures, in the order the Annual Review shows them.
ANNUAL_REVIEW_MEASURES = ("change_area_run", "pull_together", "talk_neighbours_most_days")


@functools.cache
def _read(path: str) -> pd.DataFrame:
    frame = pd.read_csv(
        path, dtype={"period": "string"}, keep_default_na=False, na_values={"value": [""]}
    )
    frame["period"] = frame["period"].replace("", pd.NA)
    frame["proportion"] = frame["value"].where(frame["unit"] != "percent", frame["value"] / 100)
    return frame


def load_benchmarks(path: str | Path | None = None) -> pd.DataFrame:
    """The benchmarks table: ``measure_id, measure, population, period, value, unit, source,
    proportion`` (``proportion`` is ``value`` on the survey's scale)."""
    file = Path(path or benchmarks_dir() / "benchmarks.csv")
    frame = _read(str(file)).copy()
    record_read(file, synthetic=None)  # a changed comparator rebuilds the reports using it
    return frame


def benchmark_value(
    measure_id: str,
    population: str,
    period: str | None = None,
    benchmarks: pd.DataFrame | None = None,
) -> float:
    """One comparator on the survey's scale (a proportion, or a mean).

    Raises
    ------
    ParameterError
        If there is no such row (listing the populations and periods the measure has).
    """
    b = load_benchmarks() if benchmarks is None else benchmarks
    rows = b[(b["measure_id"] == measure_id) & (b["population"] == population)]
    if period is not None:
        rows = rows[rows["period"] == period]
    if len(rows) != 1:
        have = b[b["measure_id"] == measure_id][["population", "period"]].astype(str)
        options = "; ".join(f"{p} ({q})" for p, q in have.itertuples(index=False))
        raise ParameterError(
            f"No single benchmark for {measure_id!r}, {population!r}"
            f"{', ' + period if period else ''}. The file has: {options or 'no rows'}."
        )
    return float(rows["proportion"].iloc[0])


def cls_by_wave(
    indicator_ids: list[str] | tuple[str, ...],
    waves: list[int] | tuple[int, ...],
    codebook: Codebook | None = None,
    benchmarks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """England's Community Life Survey figure for each indicator in each wave's survey year.

    A wave is matched to the CLS year it falls in (``codebook.waves[w].year``); a wave whose
    year has no CLS figure has no row. Indicators without a CLS series have no rows.

    Returns
    -------
    DataFrame
        ``variable, wave, value, period, source``.

    Examples
    --------
    >>> cls_by_wave(["belong_neighbourhood"], [1, 2, 3, 4, 5, 6])[["wave", "value", "period"]]
       wave  value   period
    0     1   0.62  2016/17
    1     2   0.62  2016/17
    2     5   0.62  2018/19
    """
    cb = codebook or load_codebook()
    b = load_benchmarks() if benchmarks is None else benchmarks
    cls = b[b["population"] == "England (Community Life Survey)"]
    rows = []
    for ind in indicator_ids:
        measure = cb.indicator(ind).benchmark
        if not measure:
            continue
        series = cls[cls["measure_id"] == measure]
        for w in waves:
            hit = series[series["period"] == cb.waves[int(w)].year]
            if len(hit):
                rows.append(
                    {
                        "variable": ind,
                        "wave": int(w),
                        "value": float(hit["proportion"].iloc[0]),
                        "period": str(hit["period"].iloc[0]),
                        "source": str(hit["source"].iloc[0]),
                    }
                )
    return pd.DataFrame(rows, columns=["variable", "wave", "value", "period", "source"])
