"""Calibration of a survey design to population totals, as R's ``postStratify``, ``rake``
and ``calibrate``.

What this module holds: :func:`poststratify`, :func:`rake` and :func:`calibrate`, which
compute the new weights exactly as R does (including ``rake``'s stopping rule and
``calibrate``'s Newton iterations, step halving and rescaling in ``grake``) and return a
calibrated copy of the design (:func:`~lozells_analysis.stats.calibrated.calibrated_design`)
whose standard errors use the calibration residuals; :func:`population_totals` reads the
totals a user gives (a dict, a Series, or a frame of levels and counts); :data:`CALFUNS`, the
calibration functions of :func:`calibrate`. :class:`SurveyDesign` offers these as the
methods ``poststratify``, ``rake`` and ``calibrate``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.calibrated import calibrated_design
from lozells_analysis.stats.calibration import GregStep, PostStratumStep, RakingStep
from lozells_analysis.stats.columns import column

__all__ = ["CALFUNS", "calibrate", "population_totals", "poststratify", "rake"]

#: Calibration functions of :func:`calibrate` (R's ``calfun``).
CALFUNS = ("linear", "raking", "logit")


def _columns(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def population_totals(totals: Any, columns: Sequence[str]) -> pd.Series:
    """Population counts by level, from a dict, a Series or a frame.

    Parameters
    ----------
    totals : dict, pandas.Series or pandas.DataFrame
        ``{level: count}`` (tuples of levels for several columns); a Series indexed by level
        (a MultiIndex for several columns); or a frame with the column(s) and one more
        numeric column of counts (R's ``data.frame(stype=..., Freq=...)``).
    columns : sequence of str
        The design's columns the levels belong to.

    Returns
    -------
    pandas.Series
        Counts (floats) indexed by level (tuples for several columns).

    Examples
    --------
    >>> population_totals(pd.DataFrame({"sex": ["F", "M"], "Freq": [52, 48]}), ["sex"])
    sex
    F    52.0
    M    48.0
    Name: Freq, dtype: float64
    """
    cols = list(columns)
    if isinstance(totals, pd.DataFrame):
        extra = [c for c in totals.columns if c not in cols]
        if len(extra) != 1 or any(c not in totals.columns for c in cols):
            raise DesignError(
                f"A frame of population totals needs the column(s) {cols} and one column of "
                f"counts; it has {list(totals.columns)}."
            )
        s = totals.set_index(cols if len(cols) > 1 else cols[0])[extra[0]]
    elif isinstance(totals, pd.Series):
        s = totals
    elif isinstance(totals, Mapping):
        s = pd.Series(dict(totals))
    else:
        raise DesignError(
            f"Population totals must be a dict, a Series or a frame; got {type(totals).__name__}."
        )
    try:
        s = s.astype(float)
    except (TypeError, ValueError):
        raise DesignError(f"Population totals for {cols} must be numbers.") from None
    if not np.all(np.isfinite(s.to_numpy()) & (s.to_numpy() >= 0)):
        raise DesignError(f"Population totals for {cols} must be finite and >= 0.")
    if not s.index.is_unique:
        raise DesignError(f"Population totals for {cols} name a level twice.")
    return s


def _levels(data: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, list[Any]]:
    """Code of each row's level (crossed over ``cols``) and the levels (tuples if several)."""
    for c in cols:
        if column(data, c, "calibration").isna().any():
            raise DesignError(
                f"Column {c!r} has missing values; every respondent needs a level to be "
                "calibrated (fill or drop them first)."
            )
    if len(cols) == 1:
        codes, uniq = pd.factorize(data[cols[0]], sort=True)
        return codes.astype(np.int64), list(uniq)
    frame = data[cols]
    codes, uniq = pd.factorize(pd.MultiIndex.from_frame(frame), sort=True)
    return codes.astype(np.int64), list(uniq)


def _reweight(
    w: np.ndarray, codes: np.ndarray, levels: list[Any], pop: pd.Series, what: str, partial: bool
) -> tuple[np.ndarray, PostStratumStep]:
    """Post-stratified weights and their step (R's ``postStratify``)."""
    L = len(levels)
    sample = np.bincount(codes, weights=w, minlength=L)
    index = pd.Index(levels, tupleize_cols=True) if levels else pd.Index([])
    found = pop.reindex(index).to_numpy(dtype=float)
    missing = [levels[i] for i in np.flatnonzero(~(found > 0))]
    if missing:
        raise DesignError(
            f"Level(s) {missing[:10]} of {what} are in the sample but have no population total "
            f"(or a total of 0); the totals give {list(pop.index)[:10]}. Check that the levels "
            "are spelled (and typed) as in the data."
        )
    absent = [k for k, v in pop.items() if v > 0 and k not in set(index)]
    if absent and not partial:
        raise DesignError(
            f"Level(s) {absent[:10]} of {what} have a population total but no respondent; "
            "merge them with a neighbouring level, or pass partial=True to ignore them "
            "(R's postStratify(partial=TRUE))."
        )
    new = w * (found / sample)[codes]
    return new, PostStratumStep(codes, L, new, w, label=f"poststratify:{what}")


def poststratify(design: Any, by: str | Sequence[str], totals: Any, partial: bool = False) -> Any:
    """Post-stratify a design to population counts (R's ``postStratify``).

    Parameters
    ----------
    design : SurveyDesign
        The design.
    by : str or list of str
        Post-stratum column(s) (several are crossed).
    totals : dict, pandas.Series or pandas.DataFrame
        Population count of each level (see :func:`population_totals`).
    partial : bool
        Ignore levels with a population count but no respondent (else an error).

    Returns
    -------
    SurveyDesign
        The calibrated design.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"sex": list("FFM"), "y": [1.0, 3, 5]}))
    >>> p = poststratify(d, "sex", {"F": 50, "M": 50})
    >>> p.w.tolist()
    [25.0, 25.0, 50.0]
    """
    cols = _columns(by)
    codes, levels = _levels(design.data, cols)
    pop = population_totals(totals, cols)
    new, step = _reweight(design.w, codes, levels, pop, "+".join(cols), partial)
    return calibrated_design(design, new, step)


def rake(
    design: Any,
    margins: Mapping[str | tuple[str, ...], Any],
    maxit: int = 10,
    epsilon: float = 1.0,
) -> Any:
    """Rake a design to population margins (R's ``rake``: iterative post-stratification).

    Each pass post-stratifies to every margin in turn; raking stops when no cell of the
    cross-classification of all margin columns moves by ``epsilon`` or more (a fraction of
    the total weight when ``epsilon < 1``), or after ``maxit`` passes with a warning, exactly
    as R (so the weights, and the estimates, are R's even when not fully converged).

    Parameters
    ----------
    design : SurveyDesign
        The design.
    margins : dict
        ``{column: totals}`` (a tuple of columns for a crossed margin); totals as
        :func:`population_totals`.
    maxit : int
        Most raking passes (R's ``control$maxit``).
    epsilon : float
        Convergence tolerance on the weighted counts (R's ``control$epsilon``).

    Returns
    -------
    SurveyDesign
        The calibrated design.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> df = pd.DataFrame({"sex": list("FFMM"), "age": list("yoyo")})
    >>> r = rake(SurveyDesign(df), {"sex": {"F": 60, "M": 40}, "age": {"y": 30, "o": 70}})
    >>> r.w.round(2).tolist()
    [18.0, 42.0, 12.0, 28.0]
    """
    if not margins:
        raise ParameterError("rake needs at least one margin.")
    specs = []
    for key, totals in margins.items():
        cols = _columns(key) if isinstance(key, str) else list(key)
        codes, levels = _levels(design.data, cols)
        specs.append((codes, levels, population_totals(totals, cols), "+".join(cols)))
    all_cols = list(dict.fromkeys(c for key in margins for c in _columns(key)))
    cells, _ = _levels(design.data, all_cols)
    w = design.w
    eps = epsilon * float(w.sum()) if epsilon < 1 else float(epsilon)
    old = np.bincount(cells, weights=w)
    converged = False
    steps: list[tuple[np.ndarray, int, np.ndarray]] = []
    for _ in range(maxit):
        steps = []
        for codes, levels, pop, what in specs:
            w, _step = _reweight(w, codes, levels, pop, what, False)
            steps.append((codes, len(levels), w))
        new = np.bincount(cells, weights=w)
        if np.max(np.abs(old - new)) < eps:
            converged = True
            break
        old = new
    if not converged:
        warnings.warn(f"Raking did not converge after {maxit} passes.", stacklevel=3)
    return calibrated_design(design, w, RakingStep(tuple(steps), label="rake"))


def _r_name(patsy_name: str) -> str:
    """R's ``model.matrix`` name of a patsy column (``stype[T.H]`` -> ``stypeH``)."""
    if patsy_name == "Intercept":
        return "(Intercept)"
    m = re.fullmatch(r'(?:Q\("(.+)"\)|C\((\w+)\)|([\w.]+))\[T\.(.+)\]', patsy_name)
    return "".join(p for p in m.groups() if p) if m else patsy_name


def _population_vector(population: Any, names: list[str]) -> np.ndarray:
    """Totals in the model matrix's column order, from names (patsy's or R's) or a sequence."""
    if isinstance(population, Mapping | pd.Series):
        pop = dict(population.items())
        out = []
        for name in names:
            for key in (name, _r_name(name)):
                if key in pop:
                    out.append(float(pop[key]))
                    break
            else:
                raise DesignError(
                    f"The population totals have no entry for model column {name!r} (or "
                    f"{_r_name(name)!r}); they name {list(pop)}."
                )
        extra = set(pop) - set(names) - {_r_name(n) for n in names}
        if extra:
            raise DesignError(f"Population totals {sorted(map(str, extra))} match no column.")
        return np.asarray(out)
    vec = np.asarray(population, dtype=float).ravel()
    if len(vec) != len(names):
        raise DesignError(f"{len(vec)} population totals for {len(names)} model columns {names}.")
    return vec


def _model(design: Any, formula: str) -> tuple[np.ndarray, list[str]]:
    import patsy  # type: ignore[import-untyped]  # patsy ships no type information

    rhs = formula.split("~", 1)[-1]
    try:
        mm = patsy.dmatrix(rhs, design.data, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise DesignError(
            f"Cannot build the calibration model {formula!r}: {exc} (every respondent needs "
            "a value of every calibration variable)."
        ) from None
    return mm.to_numpy(float), [str(c) for c in mm.columns]


Fn = Callable[[np.ndarray], np.ndarray]


def _calfun(name: str, lower: float, upper: float) -> tuple[Fn, Fn]:
    """R's ``cal.linear``, ``cal.raking`` or ``cal.logit``: ``F(u) - 1`` and ``F'(u)``."""

    def inside(u: np.ndarray) -> np.ndarray:  # R's dF test, bounds shifted by 1 as in R
        return np.asarray((u < upper - 1) & (u > lower - 1))

    if name == "linear":
        return (lambda u: np.clip(u + 1, lower, upper) - 1), (lambda u: inside(u).astype(float))
    if name == "raking":
        return (lambda u: np.clip(np.exp(u), lower, upper) - 1), (
            lambda u: np.where(inside(u), np.exp(u), 0.0)
        )
    if not (np.isfinite(lower) and np.isfinite(upper)):
        raise DesignError("calfun='logit' needs finite bounds, e.g. bounds=(0.5, 2).")
    A = (upper - lower) / ((upper - 1) * (1 - lower))

    def fm1(u: np.ndarray) -> np.ndarray:
        e = np.exp(A * u)
        return (lower * (upper - 1) + upper * (1 - lower) * e) / (upper - 1 + (1 - lower) * e) - 1

    def df(u: np.ndarray) -> np.ndarray:
        e = np.exp(A * u)
        d = upper - 1 + (1 - lower) * e
        num = lower * (upper - 1) + upper * (1 - lower) * e
        return upper * (1 - lower) * e * A / d - num * ((1 - lower) * e * A) / d**2

    return fm1, df


def _grake(
    mm: np.ndarray,
    ww: np.ndarray,
    pop: np.ndarray,
    funcs: tuple[Callable, Callable],
    control: tuple[int, float],
) -> tuple[np.ndarray, float | None]:
    """R's ``grake``: calibration factors g by Newton steps; the misfit left if it failed."""
    Fm1, dF = funcs
    maxit, epsilon = control
    sample = mm.T @ ww
    eta = np.zeros(mm.shape[1])
    xeta = mm @ eta
    g, deriv = 1 + Fm1(xeta), dF(xeta)
    it = 1
    scales = pop / sample
    scale = float(np.mean(scales)) if np.min(scales) > 20 else None
    if scale is not None:  # R rescales weights when the totals are far above the sample's
        ww, sample = ww * scale, sample * scale
    failed = None
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            T = (mm * (ww * deriv)[:, None]).T @ mm
            misfit = pop - sample - mm.T @ (ww * Fm1(xeta))
            deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps) @ misfit
            eta = eta + deta
            xeta = mm @ eta
            g, deriv = 1 + Fm1(xeta), dF(xeta)
            while it < maxit and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
                it += 1
                deta = deta / 2
                eta = eta - deta
                xeta = mm @ eta
                g, deriv = 1 + Fm1(xeta), dF(xeta)
            misfit = pop - sample - mm.T @ (ww * Fm1(xeta))
            if np.all(np.abs(misfit) / (1 + np.abs(pop)) < epsilon):
                break
            it += 1
            if it > maxit:
                failed = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
                break
    return (g * scale if scale is not None else g), failed


def _greg_factors(
    mm: np.ndarray, ww: np.ndarray, pop: np.ndarray, formula: str, names: list[str]
) -> np.ndarray:
    """R's ``regcalibrate``: ``g = 1 + X (X'WX)^-1 (totals - X'w)``."""
    M = mm * np.sqrt(ww)[:, None]
    try:
        return np.asarray(1 + mm @ np.linalg.solve(M.T @ M, pop - mm.T @ ww))
    except np.linalg.LinAlgError:
        raise DesignError(
            f"The calibration model {formula!r} has collinear columns {names}; drop one."
        ) from None


def calibrate(
    design: Any,
    formula: str,
    population: Any,
    calfun: str = "linear",
    bounds: tuple[float, float] | None = None,
    maxit: int = 50,
    epsilon: float = 1e-7,
    force: bool = False,
) -> Any:
    """Calibrate a design to population totals of a model's columns (R's ``calibrate``).

    The new weights ``w g`` reproduce ``population`` for every column of the model matrix
    of ``formula``. ``calfun="linear"`` without bounds is the GREG estimator (closed form,
    R's ``regcalibrate``); with bounds, and for ``"raking"`` and ``"logit"``, ``g`` is found
    by R's Newton iterations (``grake``). The standard errors use the residuals of the
    weighted regression of the influence values on the model, as R does.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    formula : str
        The calibration model, e.g. ``"~ stype + api99"`` (patsy; an intercept unless
        ``- 1``). Its variables may have no missing values.
    population : dict, pandas.Series or sequence
        Total of each model column, by patsy name (``Intercept``, ``stype[T.H]``) or R name
        (``(Intercept)``, ``stypeH``), or in the model's column order.
    calfun : {"linear", "raking", "logit"}
        Calibration function.
    bounds : (float, float), optional
        Lower and upper bound of ``g``; required for ``"logit"``.
    maxit : int
        Most Newton iterations.
    epsilon : float
        Tolerance on ``|misfit| / (1 + |total|)``.
    force : bool
        Return the last weights when the iterations fail (else :class:`DesignError`).

    Returns
    -------
    SurveyDesign
        The calibrated design.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"x": [1.0, 2, 3, 4]}))
    >>> c = calibrate(d, "~ x", {"Intercept": 8, "x": 24})
    >>> float(c.w.sum()), float((c.w * d.data["x"]).sum())
    (8.0, 24.0)
    """
    if calfun not in CALFUNS:
        raise ParameterError(f"calfun={calfun!r} is not one of {', '.join(CALFUNS)}.")
    lower, upper = (-np.inf, np.inf) if bounds is None else map(float, bounds)
    if not lower < 1 < upper:
        raise DesignError(f"bounds {bounds} must contain 1 (no change): lower < 1 < upper.")
    mm, names = _model(design, formula)
    pop = _population_vector(population, names)
    ww = design.w
    sample = mm.T @ ww
    if np.any(sample == 0):  # as R: drop columns with no respondent and a zero total
        keep = ~((pop == 0) & np.all(mm == 0, axis=0))
        mm, pop, names = mm[:, keep], pop[keep], [n for n, k in zip(names, keep, strict=True) if k]
    whalf = np.sqrt(ww)
    if calfun == "linear" and not (np.isfinite(lower) or np.isfinite(upper)):
        g = _greg_factors(mm, ww, pop, formula, names)
    else:
        g, failed = _grake(mm, ww, pop, _calfun(calfun, lower, upper), (maxit, epsilon))
        if failed is not None and not force:
            raise DesignError(
                f"Calibration ({calfun}, bounds {bounds}) did not converge in {maxit} "
                f"iterations (misfit {failed:.3g}); widen the bounds, or pass force=True."
            )
    U, s, _ = np.linalg.svd(mm * whalf[:, None], full_matrices=False)
    basis = U[:, s > s[0] * 1e-7] if len(s) else U
    step = GregStep(basis, g * whalf, label=f"calibrate:{calfun}")
    return calibrated_design(design, ww * g, step)
