"""Confidence intervals for weighted proportions: one function per method, in one registry.

What this module holds:

* :data:`INTERVALS`, the registry: each ``method=`` of :meth:`SurveyDesign.proportion` mapped
  to the :data:`IntervalFn` that computes it (``logit``, ``xlogit``, ``beta``, ``mean``,
  ``wilson``, ``asin``, ``likelihood``, ``wilson_unweighted``); :func:`interval_method`
  looks a method up in it;
* re-exported from :mod:`~lozells_analysis.stats.boundary`: :class:`ProportionInterval`
  and :func:`with_boundary_fallback`, the Korn-Graubard interval at the effective sample
  size :func:`boundary_sample_size` that every design-based method uses where the estimate
  is 0 or 1 or its variance estimate is 0 (with :func:`clopper_pearson`);
* :func:`wilson_score_interval` on unweighted counts (PHEindicatormethods' interval);
* the shared helpers :func:`check_level`, :func:`t_quantile` and :func:`expit`.

The formulas follow R's ``svyciprop`` and are written down in ``docs/statistics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.boundary import (
    ProportionInterval,
    boundary_sample_size,
    clopper_pearson,
    with_boundary_fallback,
)
from lozells_analysis.stats.domain import DomainEstimates

__all__ = [
    "INTERVALS",
    "IntervalFn",
    "ProportionInterval",
    "asin_interval",
    "beta_interval",
    "boundary_sample_size",
    "check_level",
    "clopper_pearson",
    "expit",
    "interval_method",
    "likelihood_interval",
    "logit_interval",
    "mean_columns",
    "mean_interval",
    "t_quantile",
    "wald_limits",
    "wilson_interval",
    "wilson_score_interval",
    "wilson_unweighted_interval",
    "with_boundary_fallback",
    "xlogit_interval",
]


# --------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------
def check_level(level: float) -> float:
    """The confidence level as a float, or :class:`ParameterError` unless ``0 < level < 1``.

    Parameters
    ----------
    level : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    float
        ``level``.

    Examples
    --------
    >>> check_level(0.95)
    0.95
    """
    if not (isinstance(level, int | float) and 0 < float(level) < 1):
        raise ParameterError(
            f"level must be a number strictly between 0 and 1 (e.g. 0.95), got {level!r}."
        )
    return float(level)


def t_quantile(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value ``qt(1 - (1-level)/2, df)``; normal where ``df`` is infinite.

    Parameters
    ----------
    level : float
        Confidence level.
    df : array-like or float
        Degrees of freedom; NaN is returned where ``df <= 0``.

    Returns
    -------
    numpy.ndarray
        The quantiles, shaped as ``df``.

    Examples
    --------
    >>> t_quantile(0.95, np.array([10.0, np.inf])).round(4)
    array([2.2281, 1.96  ])
    """
    df = np.asarray(df, dtype=float)
    q = 1 - (1 - level) / 2
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(df), stats.norm.ppf(q), stats.t.ppf(q, np.where(df > 0, df, 1)))
    return np.where(df > 0, out, np.nan)


def wald_limits(
    est: np.ndarray, se: np.ndarray, df: np.ndarray | float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The t(df) Wald interval ``est -/+ t se``.

    Parameters
    ----------
    est, se : numpy.ndarray
        Estimates and their standard errors.
    df : array-like or float
        Degrees of freedom (infinite: normal).
    level : float
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper limits.

    Examples
    --------
    >>> lo, hi = wald_limits(np.array([1.0]), np.array([2.0]), np.inf, 0.95)
    >>> round(float(hi[0]), 4)
    4.9199
    """
    t = t_quantile(level, df)
    return est - t * se, est + t * se


def mean_columns(st: DomainEstimates, level: float) -> dict[str, Any]:
    """The columns of a table of means: Wald t(df) intervals, ``deff`` and ``n_eff``.

    Parameters
    ----------
    st : DomainEstimates
        The groups' means, variances, design effects, counts and degrees of freedom.
    level : float
        Confidence level.

    Returns
    -------
    dict
        ``estimate, se, lower_ci, upper_ci, level, method, deff, n, n_eff, df``.
    """
    se = np.sqrt(st.var)
    lower, upper = wald_limits(st.est, se, st.df, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = st.n / st.deff
    return {
        "estimate": st.est,
        "se": se,
        "lower_ci": lower,
        "upper_ci": upper,
        "level": level,
        "method": "wald_t",
        "deff": st.deff,
        "n": st.n,
        "n_eff": n_eff,
        "df": st.df,
    }


def expit(x: np.ndarray) -> np.ndarray:
    """Inverse logit, ``1 / (1 + exp(-x))``.

    Parameters
    ----------
    x : numpy.ndarray
        Log-odds.

    Returns
    -------
    numpy.ndarray
        Probabilities.

    Examples
    --------
    >>> float(expit(np.array(0.0)))
    0.5
    """
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------
# unweighted intervals
# --------------------------------------------------------------------------------------
def wilson_score_interval(x: Any, n: Any, level: float = 0.95) -> pd.DataFrame:
    """Wilson score interval for unweighted counts, as PHEindicatormethods computes it.

    ``lower, upper = (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))`` with ``z`` the
    normal quantile. This is the interval UK public-health indicators (Fingertips,
    ``phe_proportion``) publish; it never collapses at 0 or ``n`` (at ``x = 0`` the lower
    limit is 0 and the upper is ``z^2 / (n + z^2)``).

    Parameters
    ----------
    x, n : array-like
        Counts of "yes" and of respondents; ``0 <= x <= n``, ``n > 0``.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``x, n, estimate, lower_ci, upper_ci, level, method``.

    Examples
    --------
    >>> wilson_score_interval(10, 50).round(6)[["estimate", "lower_ci", "upper_ci"]]
       estimate  lower_ci  upper_ci
    0       0.2  0.112438  0.330371
    >>> float(wilson_score_interval(0, 20)["upper_ci"].iloc[0].round(6))
    0.161125
    """
    level = check_level(level)
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if np.any(n <= 0) or np.any(x < 0) or np.any(x > n):
        raise ParameterError(
            "wilson_score_interval needs 0 <= x <= n and n > 0 for every count; got "
            f"x={x.tolist()[:5]}, n={n.tolist()[:5]}."
        )
    z = stats.norm.ppf(1 - (1 - level) / 2)
    root = z * np.sqrt(np.maximum(z**2 + 4 * x * (1 - x / n), 0.0))
    lower = (2 * x + z**2 - root) / (2 * (n + z**2))
    upper = (2 * x + z**2 + root) / (2 * (n + z**2))
    x_b, n_b = np.broadcast_arrays(x, n)
    return pd.DataFrame(
        {
            "x": x_b,
            "n": n_b,
            "estimate": x_b / n_b,
            "lower_ci": np.clip(lower, 0, 1),
            "upper_ci": np.clip(upper, 0, 1),
            "level": level,
            "method": "wilson_unweighted",
        }
    )


# --------------------------------------------------------------------------------------
# design-based intervals
# --------------------------------------------------------------------------------------
#: An interval method: the groups' estimates and the level in, the intervals out.
IntervalFn = Callable[[DomainEstimates, float], ProportionInterval]


def mean_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"mean"``: Wald interval ``p -/+ t se`` with t(df); not clipped to [0, 1], as in R.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    return with_boundary_fallback(
        d, level, "mean", *wald_limits(d.est, np.sqrt(d.var), d.df, level)
    )


def _logit_limits(d: DomainEstimates, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``expit(logit(p) -/+ t se / (p(1-p)))``."""
    p, se, t = d.est, np.sqrt(d.var), t_quantile(level, d.df)
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.log(p / (1 - p))
        se_eta = se / (p * (1 - p))
        return expit(eta - t * se_eta), expit(eta + t * se_eta)


def logit_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"logit"`` (default): Wald interval on the log-odds, R ``svyciprop(method="logit")``.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    return with_boundary_fallback(d, level, "logit", *_logit_limits(d, level))


def xlogit_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"xlogit"``: R's ``svyciprop(method="xlogit")``; for one proportion it equals logit.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    return with_boundary_fallback(d, level, "xlogit", *_logit_limits(d, level))


def asin_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"asin"``: Wald interval on the arcsine-square-root scale, clipped to [0, 1].

    ``sin^2(asin(sqrt p) -/+ t se / (2 sqrt(p(1-p))))``, with the arcsine-scale limits
    clipped to ``[0, pi/2]`` before mapping back. R's ``svyciprop(method="asin")`` does not
    clip: a limit below 0 (or above ``pi/2``) wraps round through ``sin^2`` and comes back
    *inside* [0, 1], so R's lower limit can be above the estimate itself. Where neither limit
    crosses, the two agree (to 1e-15); where one does, this gives 0 (or 1), the limit the
    interval means.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    p, se, t = d.est, np.sqrt(d.var), t_quantile(level, d.df)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.arcsin(np.sqrt(p))
        se_a = se / (2 * np.sqrt(p * (1 - p)))
        lo = np.sin(np.clip(a - t * se_a, 0, np.pi / 2)) ** 2
        hi = np.sin(np.clip(a + t * se_a, 0, np.pi / 2)) ** 2
    return with_boundary_fallback(d, level, "asin", lo, hi)


def beta_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"beta"``: Korn-Graubard, a Clopper-Pearson interval at the effective sample size.

    ``n_eff = p(1-p)/var * (qt(a/2, n-1) / qt(a/2, design df))^2``; the design df, not a
    ``df=`` override, enters the adjustment.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    p, var, alpha = d.est, d.var, 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = p * (1 - p) / var
        ratio = stats.t.ppf(alpha / 2, np.maximum(d.n_rows - 1, 1)) / stats.t.ppf(
            alpha / 2, np.where(d.design_df > 0, d.design_df, np.nan)
        )
        n_eff = n_eff * ratio**2
        lo = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        hi = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    return with_boundary_fallback(d, level, "beta", lo, hi)


def wilson_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"wilson"``: Wilson interval at the effective sample size ``p(1-p)/var``, t quantile.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    p, var, t = d.est, d.var, t_quantile(level, d.df)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = p * (1 - p) / var
        t2 = t * t
        centre = p + t2 / (2 * n_eff)
        half = t * np.sqrt(p * (1 - p) / n_eff + t2 / (4 * n_eff**2))
        lo = (centre - half) / (1 + t2 / n_eff)
        hi = (centre + half) / (1 + t2 / n_eff)
    return with_boundary_fallback(d, level, "wilson", lo, hi)


def _kl_root(pp: float, target: float) -> tuple[float, float]:
    """Limits where ``KL(pp || pi) = target``, below and above ``pp`` (0 or 1 if none)."""
    eps = 1e-15

    def f(pi: float) -> float:
        return pp * np.log(pp / pi) + (1 - pp) * np.log((1 - pp) / (1 - pi)) - target

    # when even the boundary is inside the likelihood region the limit is 0 (or 1)
    lo = 0.0 if f(eps) <= 0 else optimize.brentq(f, eps, pp, xtol=1e-14, rtol=1e-14)
    hi = 1.0 if f(1 - eps) <= 0 else optimize.brentq(f, pp, 1 - eps, xtol=1e-14, rtol=1e-14)
    return lo, hi


def likelihood_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"likelihood"``: Rao-Scott scaled profile likelihood, R ``svyciprop(method="likelihood")``.

    R profiles the quasibinomial intercept-only ``svyglm`` and reads off where the signed
    root deviance divided by the dispersion reaches ``qt(a/2, df) * sqrt(lambda)``,
    ``lambda`` = design variance / model variance of the log-odds. For one proportion
    this is the root of ``2 KL(p || pi) = q^2 * var * phi / (p(1 - p))``, with ``phi``
    the design-weighted mean squared Pearson residual of the rescaled-weight fit.
    R interpolates a spline through profile points; this solves exactly, so the two
    differ in about the sixth decimal.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates.
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    p, G, g, inside = d.est, d.G, d.g, d.inside
    in_group = d.g_all >= 0
    wsum_rows = np.bincount(
        np.where(in_group, d.g_all, 0), weights=np.where(in_group, d.w, 0.0), minlength=G
    )
    mean_w = wsum_rows / d.n_rows
    yd = np.where(inside, d.y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = (yd - p[g]) ** 2 / (p[g] * (1 - p[g]))
        wt = np.where(inside, d.w, 0.0)
        phi = np.bincount(g, weights=wt / mean_w[g] * pr, minlength=G) / (d.n - 1)
        q = t_quantile(level, d.df)
        target = q * q * d.var * phi / (p * (1 - p)) / 2.0
    lo = np.full(G, np.nan)
    hi = np.full(G, np.nan)
    for i in range(G):  # one root per limit; only for this optional method
        if np.isfinite(target[i]) and 0 < p[i] < 1 and target[i] > 0:
            lo[i], hi[i] = _kl_root(p[i], target[i])
    return with_boundary_fallback(d, level, "likelihood", lo, hi)


def wilson_unweighted_interval(d: DomainEstimates, level: float) -> ProportionInterval:
    """``"wilson_unweighted"``: :func:`wilson_score_interval` on the unweighted counts.

    The estimate is then the *unweighted* proportion, ``se = sqrt(p(1-p)/n)``, ``deff`` is
    NaN, ``n_eff`` is ``n`` and ``df`` infinite. The interval never collapses, so there is
    no boundary fallback.

    Parameters
    ----------
    d : DomainEstimates
        The groups' estimates (only the counts are used).
    level : float
        Confidence level.

    Returns
    -------
    ProportionInterval
    """
    G, n = d.G, d.n
    x = np.bincount(d.g, weights=np.where(d.inside, d.y, 0.0), minlength=G)
    ok = n > 0
    ci = wilson_score_interval(x[ok], n[ok], level)
    lo = np.full(G, np.nan)
    hi = np.full(G, np.nan)
    lo[ok], hi[ok] = ci["lower_ci"].to_numpy(), ci["upper_ci"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        se = np.sqrt(p * (1 - p) / n)
    return ProportionInterval(
        estimate=p,
        se=se,
        lower=lo,
        upper=hi,
        method="wilson_unweighted",
        deff=np.nan,
        n_eff=n,
        df=np.inf,
    )


#: Interval methods of :meth:`SurveyDesign.proportion`, by name.
INTERVALS: dict[str, IntervalFn] = {
    "logit": logit_interval,
    "xlogit": xlogit_interval,
    "beta": beta_interval,
    "mean": mean_interval,
    "wilson": wilson_interval,
    "asin": asin_interval,
    "likelihood": likelihood_interval,
    "wilson_unweighted": wilson_unweighted_interval,
}


def interval_method(method: str) -> IntervalFn:
    """The registered function of an interval method.

    Parameters
    ----------
    method : str
        A key of :data:`INTERVALS`.

    Returns
    -------
    IntervalFn

    Examples
    --------
    >>> interval_method("beta").__name__
    'beta_interval'
    >>> interval_method("exact")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: method='exact' is not one of logit, xlogit, ...
    """
    try:
        return INTERVALS[method]
    except (KeyError, TypeError):
        raise ParameterError(f"method={method!r} is not one of {', '.join(INTERVALS)}.") from None
