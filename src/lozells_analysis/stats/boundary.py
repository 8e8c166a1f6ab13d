"""Intervals where a design-based interval would collapse: an estimate of 0 or 1.

What this module holds: :class:`ProportionInterval` (what every interval method of
:mod:`~lozells_analysis.stats.intervals` returns), :func:`with_boundary_fallback`, which
every design-based method applies, :func:`boundary_sample_size` (the Korn-Graubard effective
sample size when the design effect cannot be estimated) and :func:`clopper_pearson`.

At an estimate of 0 or 1 every respondent in the group gave the same answer: the linearised
variance is 0, so R's intervals are a point (logit, mean) or NaN (``method="beta"``:
``p(1-p)/var`` is 0/0). The library uses the Korn-Graubard interval (a Clopper-Pearson
interval at an effective sample size) with the effective sample size ``n`` (design effect 1,
as Korn and Graubard 1998 and the NCHS standard for proportions recommend when it cannot be
estimated) and R's degrees-of-freedom adjustment, so the design still enters through its df.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from lozells_analysis.stats.domain import DomainEstimates

__all__ = [
    "ProportionInterval",
    "boundary_sample_size",
    "clopper_pearson",
    "with_boundary_fallback",
]


def clopper_pearson(x: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson interval ``[qbeta(a/2, x, n-x+1), qbeta(1-a/2, x+1, n-x)]``.

    The lower limit is 0 at ``x = 0`` and the upper is 1 at ``x = n``. ``x`` need not be a
    whole number (it is ``p n`` for a weighted estimate ``p``).

    Parameters
    ----------
    x, n : numpy.ndarray
        "Yes" counts and sample sizes.
    level : float
        Confidence level.

    Returns
    -------
    lower, upper : numpy.ndarray

    Examples
    --------
    >>> lo, hi = clopper_pearson(np.array([0.0, 4.0]), np.array([4.0, 4.0]), 0.95)
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.3976], [0.6024, 1.0])
    """
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
        hi = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
    return lo, hi


@dataclass(frozen=True)
class ProportionInterval:
    """Per group: the estimate, its interval and the columns that go with them.

    Attributes
    ----------
    estimate, se, lower, upper : numpy.ndarray
        Proportion, standard error and interval limits.
    method : numpy.ndarray or str
        Method of each row (``"<method>+beta_boundary"`` where the fallback was used).
    deff, n_eff, df : numpy.ndarray or float
        Design effect, effective sample size and degrees of freedom.
    """

    estimate: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    method: np.ndarray | str
    deff: np.ndarray | float
    n_eff: np.ndarray
    df: np.ndarray | float

    def columns(self, n: np.ndarray, level: float) -> dict[str, Any]:
        """Values of the estimate table's columns (:func:`~.domain.estimate_frame`).

        Parameters
        ----------
        n : numpy.ndarray
            Respondents who answered, per group.
        level : float
            Confidence level.

        Returns
        -------
        dict
            ``estimate, se, lower_ci, upper_ci, level, method, deff, n, n_eff, df``.
        """
        return {
            "estimate": self.estimate,
            "se": self.se,
            "lower_ci": self.lower,
            "upper_ci": self.upper,
            "level": level,
            "method": self.method,
            "deff": self.deff,
            "n": n,
            "n_eff": self.n_eff,
            "df": self.df,
        }


#: An interval method: the groups' estimates and the level in, the intervals out.
def boundary_sample_size(d: DomainEstimates, level: float) -> np.ndarray:
    """Korn-Graubard effective sample size where the design effect cannot be estimated.

    At an estimate of 0 or 1 the variance is 0, so ``p(1-p)/var`` (R's ``method="beta"``)
    is 0/0. Following Korn and Graubard (1998) and the NCHS standard for proportions, the
    effective sample size is then the number of respondents ``n`` (design effect 1), with
    R's degrees-of-freedom adjustment ``(qt(a/2, m - 1) / qt(a/2, df))^2`` (``m`` rows in
    the group, ``df`` its design df): the design still widens the interval through ``df``.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    numpy.ndarray
        ``n * (qt(a/2, m - 1) / qt(a/2, df))^2`` per group (NaN when ``df <= 0``).

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0] * 6, "s": [1, 1, 1, 2, 2, 2], "c": [1, 2, 3, 1, 2, 2]})
    >>> st = SurveyDesign(df, strata="s", cluster="c")._domain_estimates(
    ...     df["y"].to_numpy(), None, "replace", None)
    >>> boundary_sample_size(st, 0.95).round(3)  # 6 * (qt(.025, 5) / qt(.025, 3))^2
    array([3.915])
    """
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = stats.t.ppf(alpha / 2, np.maximum(d.n_rows - 1, 1)) / stats.t.ppf(
            alpha / 2, np.where(d.design_df > 0, d.design_df, np.nan)
        )
    return np.asarray(d.n * ratio**2, dtype=float)


def with_boundary_fallback(
    d: DomainEstimates, level: float, method: str, lower: np.ndarray, upper: np.ndarray
) -> ProportionInterval:
    """A design-based interval, with Korn-Graubard where it would collapse.

    Where the estimate is 0 or 1, or its variance estimate is 0, the interval is the
    Korn-Graubard (Clopper-Pearson) interval at the effective sample size of
    :func:`boundary_sample_size`, ``n*``: ``[0, qbeta(1 - a/2, 1, n*)]`` at ``p = 0``,
    ``[qbeta(a/2, n*, 1), 1]`` at ``p = 1`` (R's ``method="beta"`` formula with
    ``x = p n*``). Those rows' ``method`` reads ``"<method>+beta_boundary"`` and their
    ``n_eff`` is ``n``. With ``df <= 0`` the interval is NaN, as every t-based interval.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.
    method : str
        Name of the method that computed ``lower`` and ``upper``.
    lower, upper : numpy.ndarray
        The method's limits.

    Returns
    -------
    ProportionInterval

    Examples
    --------
    >>> import pandas as pd
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> y = np.array([0.0, 0, 0, 0])
    >>> st = SurveyDesign(pd.DataFrame({"y": y}))._domain_estimates(y, None, "replace", None)
    >>> ci = with_boundary_fallback(st, 0.95, "logit", np.array([0.0]), np.array([0.0]))
    >>> round(float(ci.upper[0]), 6), round(1 - 0.025 ** (1 / 4), 6), ci.method.tolist()
    (0.602365, 0.602365, ['logit+beta_boundary'])
    """
    p, n = d.est, d.n
    boundary = (n > 0) & ((p == 0) | (p == 1) | (d.var == 0))
    methods = np.full(len(p), method, dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = n / d.deff
    if boundary.any():
        n_star = np.where(boundary, boundary_sample_size(d, level), 1.0)
        kg_lo, kg_hi = clopper_pearson(np.where(boundary, p * n_star, 0.5), n_star, level)
        unknown = np.isnan(n_star)
        lower = np.where(boundary, np.where(unknown, np.nan, kg_lo), lower)
        upper = np.where(boundary, np.where(unknown, np.nan, kg_hi), upper)
        methods[boundary] = f"{method}+beta_boundary"
        n_eff = np.where(boundary, n, n_eff)
    return ProportionInterval(
        estimate=p,
        se=np.sqrt(d.var),
        lower=lower,
        upper=upper,
        method=methods,
        deff=d.deff,
        n_eff=n_eff,
        df=d.df,
    )
