"""Design-based GLMs for replicate-weight and calibrated designs, as R's ``svyglm``.

What this module holds: :func:`replicate_glm` (the model refitted with each replicate's
weights, R's ``svyglm`` on an ``svrepdesign``), :func:`calibrated_glm` (the sandwich of
:mod:`~lozells_analysis.stats.glm` with the score's influence values replaced by their
calibration residuals, as R's ``svyglm`` on a calibrated ``svydesign``), the array helper
:func:`replicate_glm_coefficients`; both build their coefficient table with
:func:`~lozells_analysis.stats.glm.glm_table`, as :meth:`SurveyDesign.glm` does (re-exported
here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.glm import GLM_FAMILIES, _model_matrices, glm_table
from lozells_analysis.stats.intervals import check_level
from lozells_analysis.stats.repestimators import RepDesign
from lozells_analysis.stats.repweights import replicate_covariance
from lozells_analysis.stats.variance import vcov_matrix

__all__ = ["calibrated_glm", "glm_table", "replicate_glm", "replicate_glm_coefficients"]


def _irls(
    X: np.ndarray, y: np.ndarray, a: np.ndarray, beta: np.ndarray, binomial: bool
) -> np.ndarray:
    """Weighted least squares (gaussian) or logistic IRLS from ``beta``, to convergence."""
    if not binomial:
        XtA = X.T * a
        return np.asarray(np.linalg.solve(XtA @ X, XtA @ y))
    for _ in range(100):
        eta = X @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        v = mu * (1 - mu)
        XtW = X.T * (a * v)
        step = np.linalg.solve(XtW @ X, X.T @ (a * (y - mu)))
        beta = beta + step
        if np.max(np.abs(step)) <= 1e-13 * (1 + np.max(np.abs(beta))):
            break
    return beta


def replicate_glm_coefficients(
    X: np.ndarray, y: np.ndarray, weights: list[np.ndarray], beta0: np.ndarray, binomial: bool
) -> np.ndarray:
    """GLM coefficients refitted with each replicate's weights (R's ``svyglm`` for replicates).

    Each fit starts from the full-sample coefficients and runs to convergence; a replicate
    whose model matrix is singular (e.g. a level seen only in the PSUs it drops) gives NaN
    coefficients, which :func:`replicate_covariance` then drops as R does.

    Parameters
    ----------
    X, y : numpy.ndarray
        Model matrix and outcome of the rows used.
    weights : list of numpy.ndarray
        The analysis weights of each replicate, for those rows.
    beta0 : numpy.ndarray
        Full-sample coefficients.
    binomial : bool
        Logistic (True) or linear (False) regression.

    Returns
    -------
    numpy.ndarray
        R x k.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1, 2, 3]])
    >>> y = np.array([1.0, 3, 5, 7])
    >>> replicate_glm_coefficients(X, y, [np.ones(4)], np.zeros(2), False).round(6).tolist()
    [[1.0, 2.0]]
    """
    out = np.full((len(weights), X.shape[1]), np.nan)
    for r, a in enumerate(weights):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                out[r] = _irls(X, y, a, beta0.copy(), binomial)
        except np.linalg.LinAlgError:
            continue  # singular in this replicate: NaN, dropped from the variance
    return out


def replicate_glm(
    design: RepDesign, formula: str, family: str, level: float, subset: Any
) -> pd.DataFrame:
    """A GLM with replicate-weight covariance (see ``ReplicateDesign.glm``).

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    formula : str
        A patsy formula.
    family : {"binomial", "gaussian"}
        Logistic or linear regression.
    level : float
        Confidence level.
    subset : boolean array-like or None
        Rows to fit.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [0.0, 1, 0, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> replicate_glm(d, "y ~ x", "gaussian", 0.95, None)["estimate"].round(4).tolist()
    [1.3636, 2.1818]
    """
    import statsmodels.api as sm

    if family not in GLM_FAMILIES:
        raise ParameterError(f"family must be 'binomial' or 'gaussian'; got {family!r}.")
    y_df, X_df, rows = _model_matrices(cast(Any, design), formula, family, subset)
    y, X = y_df.iloc[:, 0].to_numpy(float), X_df.to_numpy(float)
    if family == "binomial" and not np.all((y == 0) | (y == 1)):
        raise DesignError(f"The outcome of {formula!r} must be 0/1 for family binomial.")
    wr = design.w[rows] / design.w[rows].mean()
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Gaussian()
    res = sm.GLM(y, X, family=fam, var_weights=wr).fit(tol=1e-14, maxiter=200)
    beta = np.asarray(res.params)
    reps = [design.rw.column(r)[rows] for r in range(design.rw.n_replicates)]
    B = replicate_glm_coefficients(X, y, reps, beta, family == "binomial")
    V = replicate_covariance(B, beta, design.scale, design.rscales, design.mse)
    mu = fam.link.inverse(X @ beta)
    ww = wr * (mu * (1 - mu) if family == "binomial" else 1.0)
    naive = np.linalg.inv(X.T @ (X * ww[:, None]))
    fit = np.ones(design.n_rows, dtype=bool) if subset is None else np.asarray(subset, bool)
    df = int(design.domain_df(np.where(fit, 0, -1), 1)[0]) + 1 - X.shape[1]
    model = (formula, family, list(X_df.columns), len(rows), res)
    return glm_table(model, beta, V, naive, df, level)


def calibrated_glm(
    design: Any,
    formula: str,
    family: str,
    level: float,
    subset: Any,
    residuals: Callable[[np.ndarray], np.ndarray],
) -> pd.DataFrame:
    """A GLM on a calibrated design: the sandwich with calibration residuals (R ``svyglm``).

    The fit and ``A^-1`` are those of :meth:`SurveyDesign.glm`; the influence values
    ``score A^-1`` are replaced by ``residuals(...)`` before the linearised variance, as R's
    ``svyrecvar`` does with a calibrated design's ``postStrata``.

    Parameters
    ----------
    design : SurveyDesign
        The calibrated design.
    formula : str
        A patsy formula.
    family : {"binomial", "gaussian"}
        Logistic or linear regression.
    level : float
        Confidence level.
    subset : boolean array-like or None
        A domain.
    residuals : callable
        Influence values (n x k) to their calibration residuals.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [0.0, 1, 0, 2]}))
    >>> out = calibrated_glm(d, "y ~ x", "gaussian", 0.95, None, lambda Z: Z)
    >>> bool(np.allclose(out["se"], d.glm("y ~ x", family="gaussian")["se"]))
    True
    """
    import statsmodels.api as sm

    level = check_level(level)
    if family not in GLM_FAMILIES:
        raise ParameterError(f"family must be 'binomial' or 'gaussian'; got {family!r}.")
    y_df, X_df, rows = _model_matrices(design, formula, family, subset)
    y, X = y_df.iloc[:, 0].to_numpy(float), X_df.to_numpy(float)
    if family == "binomial" and not np.all((y == 0) | (y == 1)):
        raise DesignError(f"The outcome of {formula!r} must be 0/1 for family binomial.")
    wr = design.w[rows] / design.w[rows].mean()
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Gaussian()
    res = sm.GLM(y, X, family=fam, var_weights=wr).fit(tol=1e-14, maxiter=200)
    beta = np.asarray(res.params)
    eta = X @ beta
    mu, dmu = fam.link.inverse(eta), fam.link.inverse_deriv(eta)
    vmu = fam.variance(mu)
    Ainv = np.linalg.inv(X.T @ (X * (wr * dmu * dmu / vmu)[:, None]))
    Z = np.zeros((design.n_rows, X.shape[1]))
    Z[rows] = (X * (wr * (y - mu) * dmu / vmu)[:, None]) @ Ainv
    used = np.zeros(design.n_rows, dtype=bool)
    used[rows] = True
    V = vcov_matrix(design.layout, residuals(Z), used)
    df = int(design.domain_df(np.where(used, 0, -1), 1)[0]) + 1 - X.shape[1]
    return glm_table(
        (formula, family, list(X_df.columns), len(rows), res), beta, V, Ainv, df, level
    )
