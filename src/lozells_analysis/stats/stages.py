"""Building a survey design from its columns: weights, strata, stages of clusters, fpc.

What this module holds: :func:`build_design`, which :class:`SurveyDesign` calls to read and
check its columns, and :class:`DesignParts`, what it returns: the weights, where every row
sits in the design (:class:`~lozells_analysis.stats.variance.PsuLayout`, with one layout per
later sampling stage) and the degrees of freedom. Everything follows R's ``svydesign(id=,
strata=, weights=, fpc=, nest=TRUE)``:

* clusters are nested in strata and each stage's units in the units of the stage before
  (the same id in two PSUs is two units);
* ``fpc`` gives, for each stage, the population size of the row's stratum (stage 1: PSUs in
  the population of the stratum; stage 2: second-stage units in the population of the PSU)
  or, when every value of that stage is at most 1, the sampling fraction;
* with an fpc, every stage contributes to the variance (R's ``multistage``): stage ``s``
  adds the variance of its units' totals within their parent unit, multiplied by the
  sampling fractions of the stages above it; without an fpc only the first stage counts
  (the with-replacement "ultimate cluster" variance);
* without weights but with an fpc, the weight of a row is the product over stages of
  ``N_s / n_s``, as R derives it;
* a stratum (or, at a later stage, a unit) with one sampled unit whose fpc is not 0 is a
  *lonely* unit: ``lonely_psu="fail"`` raises :class:`DesignError`; a certainty unit
  (population = sample) contributes nothing and is never lonely.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.columns import as_python, factorize_column, numeric_column
from lozells_analysis.stats.variance import (
    LONELY_PSU,
    PsuLayout,
    check_lonely_psus,
    nest_psus,
    stratum_scale,
)

__all__ = ["CERTAIN", "DesignParts", "build_design", "population_sizes"]

#: A finite population factor ``1 - f`` below this is a certainty unit (R's ``onestrat``).
CERTAIN = 1e-7


@dataclass(frozen=True)
class DesignParts:
    """A design read from its columns (what :class:`SurveyDesign` keeps).

    Attributes
    ----------
    w : numpy.ndarray
        Weight of each row.
    stratum, psu, psu_stratum : numpy.ndarray
        Stratum and PSU of each row; stratum of each PSU.
    strata_labels : pandas.Index
        The strata.
    n_psu_h, fpc_factor : numpy.ndarray
        Per stratum: sampled PSUs and ``1 - f_h``.
    lonely_strata : list
        Strata with one PSU (and a non-zero fpc factor).
    layout : PsuLayout
        Stage 1, with the later stages in ``layout.stages``.
    clusters : tuple of str
        The cluster column of each stage.
    """

    w: np.ndarray
    stratum: np.ndarray
    strata_labels: pd.Index
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu_h: np.ndarray
    fpc_factor: np.ndarray
    lonely_strata: list
    layout: PsuLayout
    clusters: tuple[str, ...]


def _names(cluster: str | Sequence[str] | None) -> tuple[str, ...]:
    """The cluster columns, one per stage (none without clusters)."""
    if cluster is None:
        return ()
    if isinstance(cluster, str):
        return (cluster,)
    if isinstance(cluster, Sequence) and cluster and all(isinstance(c, str) for c in cluster):
        if len(set(cluster)) < len(cluster):
            raise DesignError(f"cluster names a column twice: {list(cluster)}.")
        return tuple(cluster)
    raise ParameterError(
        f"cluster must be a column name, a non-empty list of names (one per stage) or None; "
        f"got {cluster!r}."
    )


def _fpc_specs(fpc: object, n_stages: int) -> tuple[object, ...] | None:
    """One fpc (a column name or a number) per stage, or None without an fpc."""
    if fpc is None:
        return None
    specs = tuple(fpc) if isinstance(fpc, list | tuple) else (fpc,)
    stages = max(n_stages, 1)
    if len(specs) != stages:
        raise DesignError(
            f"fpc gives {len(specs)} stage(s) but the design has {stages} stage(s) of "
            f"clusters: give one fpc per stage (R's svydesign(id=~psu+ssu, fpc=~N1+N2)), "
            "or none for the with-replacement (ultimate cluster) variance."
        )
    for s in specs:
        if s is None or not isinstance(s, str | int | float) or isinstance(s, bool):
            raise ParameterError(
                f"each fpc must be a column name or a number; got {s!r} in {fpc!r}."
            )
    return specs


def _fpc_values(data: pd.DataFrame, specs: tuple[object, ...]) -> tuple[list[np.ndarray], bool]:
    """The fpc of each row at each stage, and whether they are population sizes.

    As R's ``as.fpc``: population sizes when any value of any stage is above 1 (then none
    may be below 1), sampling fractions otherwise.
    """
    values = [
        numeric_column(data, s, "fpc") if isinstance(s, str) else np.full(len(data), float(s))  # type: ignore[arg-type]  # checked in _fpc_specs
        for s in specs
    ]
    every = np.concatenate(values)
    sizes = bool(np.any(every > 1))
    if sizes and np.any(every < 1):
        raise DesignError(
            f"fpc {list(specs)} mixes sampling fractions (< 1) and population sizes (> 1); "
            "give one or the other, for every stage (as R's svydesign)."
        )
    return values, sizes


def population_sizes(
    values: np.ndarray,
    spec: object,
    parent: np.ndarray,
    n_units: np.ndarray,
    name_of: Callable[[int], str],
    sizes: bool,
) -> np.ndarray:
    """Population size of each stratum (or parent unit) from an fpc column.

    Parameters
    ----------
    values : numpy.ndarray
        The fpc of each row: population sizes (``inf`` allowed) or sampling fractions.
    spec : object
        What the caller gave (a column name or number), for messages.
    parent : numpy.ndarray
        The stratum (stage 1) or parent unit (later stages) of each row.
    n_units : numpy.ndarray
        Sampled units in each stratum or parent unit.
    name_of : callable
        The name of stratum (or parent unit) ``i`` in messages, e.g. ``"stratum 'a'"``.
    sizes : bool
        True: the values are population sizes; False: sampling fractions. As R decides it
        for all stages at once: sizes when any fpc value of any stage is above 1.

    Returns
    -------
    numpy.ndarray
        ``N`` per stratum or parent unit (``n / f`` for fractions).

    Examples
    --------
    >>> s, n = np.array([0, 0, 1, 1]), np.array([2.0, 2])
    >>> population_sizes(np.array([10.0, 10, 4, 4]), "N", s, n, str, True)
    array([10.,  4.])
    >>> population_sizes(np.array([0.5, 0.5, 1, 1]), "f", s, n, str, False)
    array([4., 2.])
    """
    K = len(n_units)
    if np.isnan(values).any() or (values <= 0).any():
        raise DesignError(f"fpc {spec!r} has missing or non-positive values.")
    lo = np.full(K, np.inf)
    hi = np.full(K, -np.inf)
    np.minimum.at(lo, parent, values)
    np.maximum.at(hi, parent, values)
    with np.errstate(invalid="ignore"):
        spread = np.where(np.isinf(hi), 0.0, hi - lo)
    if np.any(spread > 1e-9 * np.maximum(1, hi)):
        raise DesignError(
            f"fpc {spec!r} varies within {name_of(int(np.argmax(spread)))}; it must be one "
            "population size (or sampling fraction) per stratum at stage 1, and per unit of "
            "the stage above at later stages."
        )
    pop = lo if sizes else n_units / lo
    if np.any(pop < n_units - 1e-9):
        raise DesignError(
            f"fpc {spec!r} gives a population smaller than the sample in "
            f"{name_of(int(np.argmax(n_units - pop)))}; for a cluster design give the number "
            "of clusters in the population."
        )
    return pop


def _factor(pop: np.ndarray, n_units: np.ndarray) -> np.ndarray:
    """``1 - n/N`` (1 for an infinite population), exactly 0 for a certainty unit."""
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(np.isinf(pop), 1.0, (pop - n_units) / pop)
    return np.where(f < CERTAIN, 0.0, np.clip(f, 0.0, 1.0))


def _later_stage(
    data: pd.DataFrame,
    parent: np.ndarray,
    names: tuple[str, str],
    fpc: tuple[np.ndarray, object, bool],
    multiplier: np.ndarray,
    lonely_psu: str,
    stage: int,
) -> tuple[PsuLayout, np.ndarray, np.ndarray]:
    """Layout of one later stage; its units' codes and population per parent unit."""
    above, name = names
    codes, labels = factorize_column(data, name, "cluster")
    unit, unit_parent = nest_psus(parent, codes, len(labels))
    n_s = np.bincount(unit_parent, minlength=len(multiplier)).astype(float)

    def name_of(i: int) -> str:
        row = int(np.flatnonzero(parent == i)[0])
        value = as_python(data[above].iloc[row])
        return f"the stage-{stage - 1} unit {above}={value!r} (row {as_python(data.index[row])!r})"

    values, spec, sizes = fpc
    pop = population_sizes(values, spec, parent, n_s, name_of, sizes)
    factor = _factor(pop, n_s)
    lonely = np.flatnonzero((n_s == 1) & (factor > 0))
    if len(lonely) and lonely_psu in ("fail", "average"):
        raise DesignError(
            f"Stage {stage}: {name_of(int(lonely[0]))} has one sampled {name!r} unit out of "
            f"{pop[lonely[0]]:g} in the population ({len(lonely)} such unit(s)), so its "
            f"stage-{stage} variance cannot be estimated. "
            + (
                "R gives NaN for lonely_psu='average' at a later stage; use 'adjust', "
                "'remove' or 'certainty'."
                if lonely_psu == "average"
                else "Build the design with lonely_psu='adjust', 'remove' or 'certainty'."
            )
        )
    scale = multiplier * stratum_scale(factor, n_s)
    layout = PsuLayout(
        stratum=parent,
        psu=unit,
        psu_stratum=unit_parent,
        n_psu_h=n_s,
        scale=scale,
        lonely_psu=lonely_psu,
        psu_is_row=False,
    )
    return layout, unit, pop


def _strata(data: pd.DataFrame, strata: str | None) -> tuple[np.ndarray, pd.Index]:
    """Stratum code of each row and the strata (one stratum without a column)."""
    if strata is None:
        return np.zeros(len(data), dtype=np.int64), pd.Index(["(all)"])
    if not isinstance(strata, str):
        raise DesignError(
            f"strata must be one column name (the first stage's strata); got {strata!r}. "
            "Strata at later stages (R's svydesign(strata=~s1+s2)) are not supported."
        )
    return factorize_column(data, strata, "strata")


def _weights(data: pd.DataFrame, weights: str | None, prob: np.ndarray | None) -> np.ndarray:
    """The sampling weights: the column, else ``1 / prob`` from the fpc, else ones."""
    if weights is None:
        if prob is None:
            return np.ones(len(data))
        if not np.all(prob > 0):
            raise DesignError(
                "Without weights the fpc must give finite population sizes at every stage "
                "(R derives the weights from them); give weights or finite fpc values."
            )
        return np.asarray(1.0 / prob, dtype=float)
    w = numeric_column(data, weights, "weights")
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise DesignError(
            f"Weight column {weights!r} has {int(bad.sum())} missing, zero, negative or "
            f"infinite values (first at row {data.index[np.argmax(bad)]!r}). Every "
            "respondent needs a weight > 0; drop or fix those rows before building "
            "the design."
        )
    # R keeps selection probabilities and weights by 1 / prob: 1 / (1 / w), which may differ
    # from w in the last bit; that bit decides exact ties of weighted quantiles as R does
    return 1.0 / (1.0 / w)


def _with_fpc(
    data: pd.DataFrame,
    names: tuple[str, ...],
    specs: tuple[object, ...],
    lonely_psu: str,
    stratum: np.ndarray,
    psus: tuple[np.ndarray, np.ndarray],
    labels: pd.Index,
) -> tuple[np.ndarray, np.ndarray, list[PsuLayout]]:
    """With an fpc: stage 1's ``1 - f_h``, each row's selection probability (R's ``prob``)
    and the layouts of the later stages (R's ``multistage``)."""
    psu, psu_stratum = psus
    n_psu_h = np.bincount(psu_stratum, minlength=len(labels)).astype(float)
    values, sizes = _fpc_values(data, specs)
    pop = population_sizes(
        values[0],
        specs[0],
        stratum,
        n_psu_h,
        lambda i: f"stratum {as_python(labels[i])!r}",
        sizes,
    )
    # as R: the product of 1 / (N/n) over stages (R's prod() accumulates in long double)
    prob = (1 / (pop / n_psu_h))[stratum].astype(np.longdouble)
    # stage s counts with the sampling fractions of the stages above it
    multiplier = (n_psu_h / pop)[psu_stratum]
    parent = psu
    stages: list[PsuLayout] = []
    for s in range(2, len(specs) + 1):
        fpc_s = (values[s - 1], specs[s - 1], sizes)
        layout_s, unit, pop_s = _later_stage(
            data, parent, (names[s - 2], names[s - 1]), fpc_s, multiplier, lonely_psu, s
        )
        stages.append(layout_s)
        prob = prob * (1 / (pop_s / layout_s.n_psu_h))[parent]
        multiplier = (multiplier * layout_s.n_psu_h / pop_s)[layout_s.psu_stratum]
        parent = unit
    return _factor(pop, n_psu_h), prob.astype(float), stages


def build_design(
    data: pd.DataFrame,
    weights: str | None,
    strata: str | None,
    cluster: str | Sequence[str] | None,
    fpc: object,
    lonely_psu: str,
) -> DesignParts:
    """Read and check a design's columns; see :class:`SurveyDesign` for the arguments.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weights, strata : str or None
        Weight and strata columns.
    cluster : str, list of str or None
        Cluster column of each stage.
    fpc : str, float, list of them, or None
        One fpc per stage.
    lonely_psu : str
        Lonely-PSU rule.

    Returns
    -------
    DesignParts

    Examples
    --------
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2], "ssu": [1, 2, 1, 1],
    ...                    "N1": [10, 10, 10, 10], "N2": [4, 4, 1, 1]})
    >>> parts = build_design(df, None, None, ["psu", "ssu"], ["N1", "N2"], "fail")
    >>> parts.w.tolist()  # 10/2 * 4/2 and 10/2 * 1/1
    [10.0, 10.0, 5.0, 5.0]
    >>> parts.layout.stages[0].scale.round(3).tolist()  # f1 * (1 - f2) n2/(n2 - 1); certain
    [0.2, 0.0]
    """
    if lonely_psu not in LONELY_PSU:
        raise ParameterError(f"lonely_psu={lonely_psu!r} is not one of {', '.join(LONELY_PSU)}.")
    names = _names(cluster)
    specs = _fpc_specs(fpc, len(names))
    n = len(data)
    stratum, labels = _strata(data, strata)
    if names:
        c_codes, c_labels = factorize_column(data, names[0], "cluster")
        psu, psu_stratum = nest_psus(stratum, c_codes, len(c_labels))
    else:
        psu, psu_stratum = np.arange(n, dtype=np.int64), stratum
    n_psu_h = np.bincount(psu_stratum, minlength=len(labels)).astype(float)
    factor, prob, stages = np.ones(len(labels)), None, list[PsuLayout]()
    if specs is not None:
        factor, prob, stages = _with_fpc(
            data, names, specs, lonely_psu, stratum, (psu, psu_stratum), labels
        )
    lonely = check_lonely_psus(np.where(factor > 0, n_psu_h, 0), labels, lonely_psu, strata)
    layout = PsuLayout(
        stratum=stratum,
        psu=psu,
        psu_stratum=psu_stratum,
        n_psu_h=n_psu_h,
        scale=stratum_scale(factor, n_psu_h),
        lonely_psu=lonely_psu,
        psu_is_row=not names,
        stages=tuple(stages),
    )
    return DesignParts(
        w=_weights(data, weights, prob),
        stratum=stratum,
        strata_labels=labels,
        psu=psu,
        psu_stratum=psu_stratum,
        n_psu_h=n_psu_h,
        fpc_factor=factor,
        lonely_strata=lonely,
        layout=layout,
        clusters=names,
    )
