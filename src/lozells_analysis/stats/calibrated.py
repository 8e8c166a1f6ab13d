"""Calibrated designs: a :class:`SurveyDesign` whose variance uses calibration residuals.

:func:`calibrated_design` makes the calibrated copy of a design (what ``poststratify``,
``rake`` and ``calibrate`` return): an instance of a subclass of the design's class with
:class:`CalibratedDesignMixin` first, which overrides the variance hooks
(``_domain_estimates``, ``variance_by_group``, ``glm``) and the estimators that compute
their variance directly (``total``, ``ratio``, ``quantile``, whose standard errors and
intervals it recomputes from the :class:`~lozells_analysis.stats.calibration.Calibration`
residuals). Tests it cannot yet calibrate (``chisq``, ``ttest``) raise :class:`DesignError`.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError
from lozells_analysis.stats.calibration import Calibration, Step
from lozells_analysis.stats.domain import DomainEstimates, answered, domain_estimates
from lozells_analysis.stats.intervals import t_quantile, wald_limits
from lozells_analysis.stats.repglm import calibrated_glm
from lozells_analysis.stats.repweights import qrule_math
from lozells_analysis.stats.variance import PsuLayout

__all__ = ["CalibratedDesignMixin", "calibrated_design", "with_variance"]


_NOT_CALIBRATED = (
    "{} does not use the calibration residuals yet, so on a calibrated design its test "
    "would ignore the calibration; run it on the design before calibrating, or use glm()."
)


def with_variance(out: pd.DataFrame, var: np.ndarray, level: float) -> pd.DataFrame:
    """An estimate table with its ``se`` and t(df) Wald interval from a new variance.

    Parameters
    ----------
    out : pandas.DataFrame
        A table with ``estimate`` and ``df``, one row per group.
    var : numpy.ndarray
        The variance of each row's estimate.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [1.0], "df": [np.inf], "se": [0.0]})
    >>> with_variance(t, np.array([1.0]), 0.95).round(2).values.tolist()
    [[1.0, inf, 1.0, -0.96, 2.96]]
    """
    out = out.copy()
    est = out["estimate"].to_numpy(float)
    se = np.sqrt(np.where(np.isfinite(est), var, np.nan))
    lower, upper = wald_limits(est, se, out["df"].to_numpy(float), level)
    out["se"], out["lower_ci"], out["upper_ci"] = se, lower, upper
    return out


def woodruff_from_variance(
    design: Any,
    out: pd.DataFrame,
    y: np.ndarray,
    domain: tuple[np.ndarray, np.ndarray, int],
    level: float,
) -> pd.DataFrame:
    """Woodruff intervals of quantile estimates with the design's (calibrated) variance.

    Parameters
    ----------
    design : SurveyDesign
        The design, whose ``variance_by_group`` gives the share's variance.
    out : pandas.DataFrame
        ``SurveyDesign.quantile``'s table (group-major, ``quantile`` column).
    y : numpy.ndarray
        The variable.
    domain : tuple
        Each row's group (0 outside), whether it is in a group and answered, and G.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6]}))
    >>> plain = d.quantile("y", 0.5)
    >>> y = d.data["y"].to_numpy()
    >>> again = woodruff_from_variance(d, plain, y, (np.zeros(6, int), np.ones(6, bool), 1), 0.95)
    >>> again[["lower_ci", "upper_ci"]].equals(plain[["lower_ci", "upper_ci"]])
    True
    """
    g, inside, G = domain
    Q = len(out) // max(G, 1)
    qhat = out["estimate"].to_numpy(float).reshape(G, Q)
    t = t_quantile(level, out["df"].to_numpy(float).reshape(G, Q)[:, 0])
    w = np.where(inside, design.w, 0.0)
    W = np.bincount(g, weights=w, minlength=G)
    members = [np.flatnonzero(inside & (g == k)) for k in range(G)]
    lo, hi = np.full((G, Q), np.nan), np.full((G, Q), np.nan)
    for j in range(Q):
        below = np.where(inside, y <= qhat[g, j], False).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.bincount(g, weights=w * below, minlength=G) / W
            z = np.where(inside, w * (below - share[g]) / W[g], 0.0)
            se = np.sqrt(design.variance_by_group(z, g, G, inside))
        for k, rows in enumerate(members):
            for lim, p in ((lo, share[k] - t[k] * se[k]), (hi, share[k] + t[k] * se[k])):
                if 0 <= p <= 1 and len(rows):
                    lim[k, j] = qrule_math(y[rows], design.w[rows], p)
    out = out.copy()
    out["lower_ci"], out["upper_ci"] = lo.ravel(), hi.ravel()
    out["se"] = ((hi - lo) / (2 * t[:, None])).ravel()
    return out


def _not_calibrated(name: str, example_args: str) -> Callable[..., pd.DataFrame]:
    """A method ``name`` that raises :class:`DesignError`: calibrated designs lack it."""

    def method(self: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
        raise DesignError(_NOT_CALIBRATED.format(name))

    method.__name__ = name
    method.__qualname__ = f"CalibratedDesignMixin.{name}"
    method.__doc__ = f"""Not available for calibrated designs (:class:`DesignError`).

        Parameters
        ----------
        *args, **kwargs
            As ``SurveyDesign.{name}``.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({{"sex": list("FFMM"), "y": [1.0, 2, 3, 5], "x": [1.0, 1, 2, 2]}})
        >>> d = SurveyDesign(df).poststratify("sex", {{"F": 30, "M": 70}})
        >>> d.{name}({example_args})
        Traceback (most recent call last):
        ...
        lozells_analysis.exceptions.DesignError: {name} does not use the calibration ...
        """
    return method


def _srs_variance(st: DomainEstimates, deff: str) -> np.ndarray:
    """Variance under simple random sampling (the design effect's reference)."""
    G, n, W = st.G, st.n, st.W
    wd = np.where(st.inside, st.w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(st.inside, np.where(st.inside, st.y, 0.0) - st.est[st.g], 0.0)
        s2 = np.bincount(st.g, weights=wd * resid * resid, minlength=G) / W * n / (n - 1)
        if deff == "replace":
            return np.asarray(s2 / n)
        return np.where(W >= n, s2 * (W - n) / (W * n), np.nan)


class CalibratedDesignMixin:
    """What a calibrated design changes: its variance uses the calibration residuals.

    Placed before :class:`~lozells_analysis.stats.design.SurveyDesign` in the calibrated
    design's class (:func:`calibrated_design`), it overrides the design's variance hooks.
    """

    calibration: Calibration

    if TYPE_CHECKING:  # provided by SurveyDesign
        layout: PsuLayout
        w: np.ndarray

        def groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
            """Group of each row and the table of groups."""
            ...

        def values(self, variable: str, kind: str = "proportion") -> np.ndarray:
            """A variable's values."""
            ...

    def variance_by_group(
        self, z: np.ndarray, g: np.ndarray, n_groups: int, present: np.ndarray | None = None
    ) -> np.ndarray:
        """Variance of several domain estimates from their influence values, calibrated.

        Parameters
        ----------
        z : numpy.ndarray
            Each row's influence value for its group; 0 outside every group.
        g : numpy.ndarray
            Group of each row.
        n_groups : int
            Number of groups.
        present : numpy.ndarray of bool, optional
            The rows in each group's subset (for ``lonely_psu="average"``).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFMM"), "y": [1.0, 2, 3, 5], "x": [1.0, 1, 2, 2]})
        >>> d = SurveyDesign(df).poststratify("sex", {"F": 30, "M": 70})
        >>> round(float(d.variance_by_group(np.array([1.0, -1, 0, 0]), np.zeros(4, int), 1)[0]), 4)
        2.6667
        """
        return self.calibration.group_variance(self.layout, z, g, n_groups, present)

    def _domain_estimates(
        self, y: np.ndarray, by: str | Sequence[str] | None, deff: str, df: Any
    ) -> DomainEstimates:
        g_all, table = self.groups(by)
        st = domain_estimates(self.layout, y, self.w, g_all, table, deff, df)
        with np.errstate(invalid="ignore", divide="ignore"):
            yd = np.where(st.inside, y, 0.0)
            Wg = np.where(st.W[st.g] > 0, st.W[st.g], 1.0)
            z = np.where(st.inside, self.w * (yd - st.est[st.g]) / Wg, 0.0)
            var = self.variance_by_group(z, st.g, st.G, st.inside)
            var = np.where(st.n > 0, var, np.nan)
            deff_v = var / _srs_variance(st, deff)
        return dataclasses.replace(st, var=var, deff=deff_v)

    def glm(
        self,
        formula: str,
        family: str = "binomial",
        level: float = 0.95,
        subset: Any = None,
    ) -> pd.DataFrame:
        """Design-based GLM whose covariance uses the calibration residuals (R ``svyglm``).

        As :meth:`SurveyDesign.glm`, with the influence values of the coefficients
        replaced by their calibration residuals before the design variance.

        Parameters
        ----------
        formula : str
            A patsy formula.
        family : {"binomial", "gaussian"}
            Logistic or linear regression.
        level : float
            Confidence level.
        subset : boolean array-like, optional
            A domain.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFMM"), "y": [1.0, 2, 3, 5], "x": [1.0, 1, 2, 2]})
        >>> d = SurveyDesign(df).poststratify("sex", {"F": 30, "M": 70})
        >>> d.glm("y ~ x", family="gaussian")["variable"].tolist()
        ['Intercept', 'x']
        """
        return calibrated_glm(self, formula, family, level, subset, self.calibration.residuals)

    def total(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted totals per group with calibrated SEs (R ``svytotal`` on a calibrated design).

        Parameters
        ----------
        variable : str
            Numeric column.
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFMM"), "y": [1.0, 2, 3, 5], "x": [1.0, 1, 2, 2]})
        >>> d = SurveyDesign(df).poststratify("sex", {"F": 30, "M": 70})
        >>> d.total("y")[["estimate"]]
           estimate
        0     325.0
        """
        out = super().total(variable, by, level, df)  # type: ignore[misc]  # SurveyDesign's
        y = self.values(variable, "mean")
        g, inside, G = self._domain(by, y)
        z = np.where(inside, self.w * np.where(inside, y, 0.0), 0.0)
        return with_variance(out, self.variance_by_group(z, g, G, inside), level)

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Ratios of weighted totals with calibrated SEs (R ``svyratio`` on a calibrated design).

        Parameters
        ----------
        numerator, denominator : str
            Numeric columns.
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFMM"), "y": [1.0, 2, 3, 5], "x": [1.0, 1, 2, 2]})
        >>> d = SurveyDesign(df).poststratify("sex", {"F": 30, "M": 70})
        >>> round(float(d.ratio("y", "x")["estimate"].iloc[0]), 4)
        1.9118
        """
        out = super().ratio(numerator, denominator, by, level, df)  # type: ignore[misc]
        y, x = self.values(numerator, "mean"), self.values(denominator, "mean")
        g, inside, G = self._domain(by, y, x)
        wy = np.where(inside, self.w * np.where(inside, y, 0.0), 0.0)
        wx = np.where(inside, self.w * np.where(inside, x, 0.0), 0.0)
        X = np.bincount(g, weights=wx, minlength=G)
        est = out["estimate"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(inside, (wy - est[g] * wx) / X[g], 0.0)
        return with_variance(out, self.variance_by_group(z, g, G, inside), level)

    def quantile(
        self,
        variable: str,
        q: float | Sequence[float] = 0.5,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Quantiles with Woodruff intervals from the calibrated variance (R ``svyquantile``).

        See ``SurveyDesign.quantile``: the share at or below each estimate gets the
        calibrated variance, and its interval is mapped back through R's ``qrule_math``.

        Parameters
        ----------
        variable : str
            Numeric column.
        q : float or sequence of float
            Probabilities.
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFMM"), "y": [1.0, 2, 3, 5], "x": [1.0, 1, 2, 2]})
        >>> d = SurveyDesign(df).poststratify("sex", {"F": 30, "M": 70})
        >>> d.quantile("y", 0.5)[["quantile", "estimate"]]
           quantile  estimate
        0       0.5       3.0
        """
        out = super().quantile(variable, q, by, level, df)  # type: ignore[misc]
        y = self.values(variable, "mean")
        g, inside, G = self._domain(by, y)
        return woodruff_from_variance(self, out, y, (g, inside, G), level)

    def _domain(
        self, by: str | Sequence[str] | None, *values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int]:
        g_all, table = self.groups(by)
        inside = answered(g_all, *values)
        return np.where(inside, g_all, 0), inside, len(table)

    chisq = _not_calibrated("chisq", '"sex", "sex"')
    ttest = _not_calibrated("ttest", '"y", "sex"')

    def __repr__(self) -> str:
        base = super().__repr__()
        steps = ", ".join(s.label for s in self.calibration.steps)
        return f"Calibrated{base[:-1]}, calibration=[{steps}])"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self).__mro__[2], self.__dict__))


_CLASSES: dict[type, type] = {}


def _calibrated_class(base: type) -> type:
    """The calibrated subclass of a design class (made once per class)."""
    if base not in _CLASSES:
        doc = f"A calibrated {base.__name__}: its variance uses the calibration residuals."
        _CLASSES[base] = type(
            f"Calibrated{base.__name__}",
            (CalibratedDesignMixin, base),
            {"__module__": __name__, "__doc__": doc},
        )
    return _CLASSES[base]


def _restore(base: type, state: dict) -> Any:
    cls: Any = _calibrated_class(base)
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def calibrated_design(design: Any, weights: np.ndarray, step: Step) -> Any:
    """A copy of a design with new weights and one more calibration step.

    Parameters
    ----------
    design : SurveyDesign
        The design (possibly calibrated already: the steps accumulate, as in R).
    weights : numpy.ndarray
        The calibrated weights.
    step : PostStratumStep, RakingStep or GregStep
        What the variance must remove.

    Returns
    -------
    SurveyDesign
        An instance of the calibrated subclass of the design's class.

    Examples
    --------
    >>> from lozells_analysis.stats.calibration import PostStratumStep
    >>> class D:
    ...     def __init__(self): self.w = np.ones(2)
    >>> step = PostStratumStep(np.zeros(2, int), 1, np.full(2, 5.0), np.ones(2))
    >>> new = calibrated_design(D(), np.full(2, 5.0), step)
    >>> type(new).__name__, new.w.tolist(), len(new.calibration.steps)
    ('CalibratedD', [5.0, 5.0], 1)
    """
    if isinstance(design, CalibratedDesignMixin):
        base = type(design).__mro__[2]
        steps = design.calibration.steps
    else:
        base, steps = type(design), ()
    new = copy.copy(design)
    new.__class__ = _calibrated_class(base)
    new.w = np.asarray(weights, dtype=float)
    new.calibration = Calibration((*steps, step))
    return new
