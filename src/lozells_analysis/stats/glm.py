"""Design-based generalised linear models, as R's ``svyglm``: the fit and its tidy table.

What this module holds: :func:`survey_glm`, which :meth:`SurveyDesign.glm` calls, and
:class:`SurveyGLMFit`, the fit kept in the result's ``attrs["model"]``. The point estimates
are the weighted (pseudo-)maximum-likelihood fit (statsmodels, weights rescaled to mean 1);
the covariance is the sandwich ``A^-1 V A^-1`` with ``V`` the linearised design variance of
the score (:func:`lozells_analysis.stats.variance.vcov_matrix`). The formulas are written
down in ``docs/statistics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import solve_triangular

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.intervals import check_level, t_quantile
from lozells_analysis.stats.variance import PsuLayout, vcov_matrix

__all__ = ["GLM_COLUMNS", "GLM_FAMILIES", "GLMDesign", "SurveyGLMFit", "glm_table", "survey_glm"]

#: Families of :func:`survey_glm` and the ``method`` each writes in the table.
GLM_FAMILIES = {"binomial": "svyglm quasibinomial", "gaussian": "svyglm gaussian"}

#: Columns of the coefficient table: the library's tidy schema, then the test.
GLM_COLUMNS = [
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "level",
    "method",
    "n",
    "df",
    "statistic",
    "p_value",
]


class GLMDesign(Protocol):
    """What :func:`survey_glm` needs of a design; :class:`SurveyDesign` provides it.

    (A protocol rather than the class itself keeps this module from importing
    :mod:`~lozells_analysis.stats.design`, which imports it.)
    """

    data: pd.DataFrame
    w: np.ndarray
    n_rows: int
    layout: PsuLayout

    def values(self, variable: str, kind: str = "proportion") -> np.ndarray:
        """A variable's values as floats, NaN where not answered."""
        ...

    def domain_df(self, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Design degrees of freedom of each group."""
        ...


@dataclass
class SurveyGLMFit:
    """A design-based GLM fit (what :meth:`SurveyDesign.glm` keeps in ``attrs["model"]``).

    Attributes
    ----------
    params, vcov : pandas.Series, pandas.DataFrame
        Coefficients and their design-based (sandwich) covariance, as ``coef(svyglm)`` and
        ``vcov(svyglm)``.
    naive_cov : pandas.DataFrame
        The model-based ``(X'WX)^-1`` (R's ``naive.cov``).
    df : int
        Residual degrees of freedom: design df of the rows used + 1 - number of coefficients.
    results : statsmodels GLMResults
        The weighted point fit (its own standard errors are *not* design-based).
    """

    formula: str
    family: str
    params: pd.Series
    vcov: pd.DataFrame
    naive_cov: pd.DataFrame
    df: int
    n: int
    results: Any = field(repr=False)

    def __deepcopy__(self, memo: dict) -> SurveyGLMFit:
        # pandas deep-copies ``attrs`` whenever a frame is derived; the fit is read-only.
        return self


def _model_data(design: GLMDesign, formula: str, family: str) -> pd.DataFrame:
    """The design's data ready for patsy: a binomial outcome coded 0/1, numpy dtypes."""
    data = design.data
    lhs = formula.split("~", 1)[0].strip()
    if family == "binomial":  # a 0/1 column, or a codebook indicator id
        data = data.assign(**{lhs: design.values(lhs, "proportion")})
    # patsy reads numpy dtypes only: pandas' nullable columns (the survey's Int8 codes,
    # Float64, boolean) become float64 with NaN, which NA_action="drop" then drops.
    nullable = [
        c
        for c in data.columns
        if isinstance(data[c].dtype, pd.api.extensions.ExtensionDtype)
        and pd.api.types.is_numeric_dtype(data[c].dtype)
    ]
    if nullable:
        data = data.assign(**{c: data[c].astype("float64") for c in nullable})
    return data


def _dmatrices(formula: str, data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """patsy's outcome and model matrix of the complete rows of ``data``."""
    import patsy  # type: ignore[import-untyped]  # patsy ships no type information

    try:
        return patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as exc:
        raise DesignError(f"Cannot build the model matrix of {formula!r}: {exc}") from None


def _aliased(X_df: pd.DataFrame) -> list[str]:
    """Columns that are linear combinations of the columns before them (R's aliased terms)."""
    X = X_df.to_numpy(float)
    kept: list[int] = []
    out = []
    for j in range(X.shape[1]):
        trial = X[:, [*kept, j]]
        if np.linalg.matrix_rank(trial) > len(kept):
            kept.append(j)
        else:
            out.append(str(X_df.columns[j]))
    return out


def _model_matrices(
    design: GLMDesign, formula: str, family: str, subset: Any
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Outcome and model matrix of the rows used, and those rows' positions in the data.

    As R's ``glm`` (``model.frame(drop.unused.levels=TRUE)``), levels of a factor absent
    from the rows used (a subset, complete cases) are dropped; a model matrix that is still
    not of full rank is a :class:`DesignError` naming the aliased columns.
    """
    data = _model_data(design, formula, family)
    if not data.index.is_unique:
        raise DesignError("The data's index must be unique to fit a GLM; reset_index().")
    if subset is not None:
        mask = np.asarray(subset, dtype=bool)
        if mask.shape != (design.n_rows,):
            raise ParameterError(f"subset must have one value per row ({design.n_rows}).")
        data = data[mask]
    y_df, X_df = _dmatrices(formula, data)
    X = X_df.to_numpy(float)
    if len(X) and np.linalg.matrix_rank(X) < X.shape[1]:
        used = data.loc[y_df.index]
        used = used.assign(
            **{
                c: used[c].cat.remove_unused_categories()
                for c in used.columns
                if isinstance(used[c].dtype, pd.CategoricalDtype)
            }
        )
        y_df, X_df = _dmatrices(formula, used)
        aliased = _aliased(X_df)
        if aliased:
            raise DesignError(
                f"The model {formula!r} cannot be estimated on these {len(X_df)} rows: "
                f"{', '.join(aliased)} (each a linear combination of the columns before it; "
                "R reports NA for such terms). Drop or merge those terms, or fit on rows "
                "where they vary."
            )
    return y_df, X_df, design.data.index.get_indexer(y_df.index)


def _sandwich(
    design: GLMDesign, y: np.ndarray, X: np.ndarray, rows: np.ndarray, family: str
) -> tuple[Any, np.ndarray, np.ndarray]:
    """The weighted fit, its design-based covariance ``A^-1 V A^-1`` and ``A^-1``."""
    import statsmodels.api as sm

    wr = design.w[rows] / design.w[rows].mean()
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Gaussian()
    res = sm.GLM(y, X, family=fam, var_weights=wr).fit(tol=1e-14, maxiter=200)
    beta = np.asarray(res.params)
    eta = X @ beta
    mu = fam.link.inverse(eta)
    dmu = fam.link.inverse_deriv(eta)
    vmu = fam.variance(mu)
    work_w = wr * dmu * dmu / vmu
    # (X'WX)^-1 from the QR of sqrt(W) X, as R's chol2inv(qr.R): inverting X'WX itself
    # loses cond(X'WX) * eps, which is 1e-9 for a covariate in the tens
    r_factor = np.linalg.qr(X * np.sqrt(work_w)[:, None], mode="r")
    r_inv = solve_triangular(r_factor, np.eye(X.shape[1]))
    Ainv = r_inv @ r_inv.T
    score = X * (wr * (y - mu) * dmu / vmu)[:, None]
    Z = np.zeros((design.n_rows, X.shape[1]))
    Z[rows] = score @ Ainv
    used = np.zeros(design.n_rows, dtype=bool)
    used[rows] = True  # the rows of the (sub)design, for lonely_psu="average"
    return res, vcov_matrix(design.layout, Z, used), Ainv


def survey_glm(
    design: GLMDesign,
    formula: str,
    family: str = "binomial",
    level: float = 0.95,
    subset: Any = None,
) -> pd.DataFrame:
    """Design-based GLM, matching R's ``svyglm``; see :meth:`SurveyDesign.glm`.

    Parameters
    ----------
    design : GLMDesign
        The survey design (a :class:`SurveyDesign`).
    formula : str
        A patsy formula, e.g. ``"change_area_run ~ C(wave)"``.
    family : {"binomial", "gaussian"}
        Logistic (quasibinomial, logit link) or linear regression.
    level : float
        Confidence level of the intervals.
    subset : boolean array-like, optional
        A domain: rows outside it are left out of the fit but the full design is kept.

    Returns
    -------
    pandas.DataFrame
        One row per model term: ``variable`` (the term, e.g. ``Intercept``), ``estimate,
        se, lower_ci, upper_ci, level, method, n, df, statistic, p_value``;
        ``attrs["model"]`` is the :class:`SurveyGLMFit`.
    """
    level = check_level(level)
    if family not in GLM_FAMILIES:
        raise ParameterError(f"family must be 'binomial' or 'gaussian'; got {family!r}.")
    y_df, X_df, rows = _model_matrices(design, formula, family, subset)
    y = y_df.iloc[:, 0].to_numpy(float)
    X = X_df.to_numpy(float)
    if family == "binomial" and not np.all((y == 0) | (y == 1)):
        raise DesignError(f"The outcome of {formula!r} must be 0/1 for family binomial.")
    res, V, Ainv = _sandwich(design, y, X, rows, family)
    beta = np.asarray(res.params)
    used = np.zeros(design.n_rows, dtype=bool)
    used[rows] = True
    df = int(design.domain_df(np.where(used, 0, -1), 1)[0]) + 1 - X.shape[1]
    model = (formula, family, list(X_df.columns), int(used.sum()), res)
    return glm_table(model, beta, V, Ainv, df, level)


def glm_table(
    model: tuple[str, str, list[str], int, Any],
    beta: np.ndarray,
    V: np.ndarray,
    naive: np.ndarray,
    df: int,
    level: float,
) -> pd.DataFrame:
    """The coefficient table of a design-based GLM from its estimates and covariance.

    Parameters
    ----------
    model : tuple
        ``(formula, family, terms, n, results)``: the model, its coefficient names, the rows
        used and the statsmodels point fit.
    beta, V, naive : numpy.ndarray
        Coefficients, design covariance and model-based covariance.
    df : int
        Residual degrees of freedom.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`~lozells_analysis.stats.glm.GLM_COLUMNS`, with the
        :class:`~lozells_analysis.stats.glm.SurveyGLMFit` in ``attrs["model"]``.

    Examples
    --------
    >>> t = glm_table(("y ~ 1", "gaussian", ["Intercept"], 11, None), np.array([2.0]),
    ...               np.eye(1), np.eye(1), 10, 0.95)
    >>> t[["variable", "estimate", "se", "df"]]
        variable  estimate   se  df
    0  Intercept       2.0  1.0  10
    """
    formula, family, terms, n, results = model
    se = np.sqrt(np.diag(V))
    tq = float(t_quantile(level, df))
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = beta / se
    pval = 2 * stats.t.sf(np.abs(tstat), df) if df > 0 else np.full(len(beta), np.nan)
    out = pd.DataFrame(
        {
            "variable": terms,
            "estimate": beta,
            "se": se,
            "lower_ci": beta - tq * se,
            "upper_ci": beta + tq * se,
            "level": level,
            "method": GLM_FAMILIES[family],
            "n": n,
            "df": df,
            "statistic": tstat,
            "p_value": pval,
        }
    )[GLM_COLUMNS]
    out.attrs["model"] = SurveyGLMFit(
        formula=formula,
        family=family,
        params=pd.Series(beta, index=terms),
        vcov=pd.DataFrame(V, index=terms, columns=terms),
        naive_cov=pd.DataFrame(naive, index=terms, columns=terms),
        df=df,
        n=n,
        results=results,
    )
    return out
