"""Design-based estimation for the resident survey: means, proportions and GLMs.

A :class:`SurveyDesign` holds the survey's weights, strata, clusters (PSUs) and finite
population corrections, and estimates with Taylor linearisation exactly as R's ``survey``
package (``svydesign``, ``svymean``, ``svyciprop``, ``svyby``, ``svyglm``) does. The
numbers are checked against R in ``tests/test_design.py``; the formulas, conventions and
what happens at an estimate of 0 or 1 are written down in ``docs/statistics.md``.

Conventions (all as in R's ``survey``):

* clusters are nested in strata (R's ``nest=TRUE``): a PSU is a (stratum, cluster) pair;
  without ``cluster`` every respondent is their own PSU;
* ``fpc`` is the population size per stratum (number of PSUs in the population for a
  cluster design) or, when every value is at most 1, the sampling fraction;
* the variance of an estimate is
  ``sum_h (1 - f_h) n_h / (n_h - 1) * sum_i (z_hi - zbar_h)**2`` where ``z_hi`` are PSU totals
  of the estimate's influence values and ``n_h`` the PSUs in stratum ``h``;
* the design degrees of freedom are PSUs minus strata;
* a subgroup (``by=``) or missing answers are *domains*: influence values are zero outside
  the domain but every PSU and stratum of the full design stays in the variance;
* confidence intervals use Student's t with the design degrees of freedom; by-group
  intervals use each group's own degrees of freedom (PSUs minus strata with at least one
  respondent in the group), as ``svyby(..., svyciprop)`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from lozells_analysis.exceptions import DesignError, ParameterError

log = logging.getLogger(__name__)

__all__ = [
    "PROPORTION_METHODS",
    "SurveyDesign",
    "SurveyGLMFit",
    "wilson_score_interval",
]

#: Interval methods accepted by :meth:`SurveyDesign.proportion`.
PROPORTION_METHODS = (
    "logit",
    "xlogit",
    "beta",
    "mean",
    "wilson",
    "asin",
    "likelihood",
    "wilson_unweighted",
)
LONELY_PSU = ("fail", "adjust", "remove", "certainty", "average")
ESTIMATE_COLUMNS = [
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "level",
    "method",
    "deff",
    "n",
    "n_eff",
    "df",
]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _check_level(level: float) -> float:
    if not (isinstance(level, int | float) and 0 < float(level) < 1):
        raise ParameterError(
            f"level must be a number strictly between 0 and 1 (e.g. 0.95), got {level!r}."
        )
    return float(level)


def _t_quantile(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value: qt(1 - (1-level)/2, df); normal where df is infinite."""
    df = np.asarray(df, dtype=float)
    q = 1 - (1 - level) / 2
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(df), stats.norm.ppf(q), stats.t.ppf(q, np.where(df > 0, df, 1)))
    return np.where(df > 0, out, np.nan)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


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
    level = _check_level(level)
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


# --------------------------------------------------------------------------------------
# the design
# --------------------------------------------------------------------------------------
class SurveyDesign:
    """A survey design: weights, strata, clusters (PSUs) and finite population corrections.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weights : str or None
        Column of sampling weights (> 0). ``None`` gives every respondent weight 1.
    strata : str or None
        Column of strata. The programme's natural design is stratified by neighbourhood.
    cluster : str or None
        Column of PSUs; PSUs are nested in strata (the same id in two strata is two PSUs).
        ``None``: each respondent is a PSU.
    fpc : str, float or None
        Column (or one number) of the population size per stratum (PSUs in the population
        for a cluster design) or, when every value is at most 1, the sampling fraction.
        Must be constant within a stratum.
    lonely_psu : {"fail", "adjust", "remove", "certainty", "average"}
        What to do with a stratum that has a single PSU, as R's
        ``options(survey.lonely.psu=)``: ``"fail"`` (default) raises :class:`DesignError`;
        ``"adjust"`` centres that PSU at the grand mean instead of its stratum mean;
        ``"remove"`` and ``"certainty"`` let it contribute nothing; ``"average"`` replaces
        its contribution by the average of the other strata.
    codebook : Codebook or None
        Used when :meth:`proportion` is given a codebook indicator id rather than a 0/1
        column; loaded lazily with :func:`lozells_analysis.data.codebook.load_codebook` if needed.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1, 0, 1, 1, 0, 1], "w": [1.0, 2, 1, 1, 2, 1],
    ...                    "s": ["a", "a", "a", "b", "b", "b"]})
    >>> d = SurveyDesign(df, weights="w", strata="s")
    >>> d
    SurveyDesign(n=6, strata=2, psus=6, df=4, weights='w', strata_col='s', cluster=None, fpc=None)
    >>> d.proportion("y", method="mean")[["estimate", "se", "df"]].round(4)
       estimate      se   df
    0       0.5  0.2652  4.0
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | None = None,
        cluster: str | None = None,
        fpc: str | float | None = None,
        lonely_psu: str = "fail",
        codebook: Any = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
        if len(data) == 0:
            raise DesignError("The survey data have no rows: there is nothing to estimate.")
        if lonely_psu not in LONELY_PSU:
            raise ParameterError(
                f"lonely_psu={lonely_psu!r} is not one of {', '.join(LONELY_PSU)}."
            )
        self.data = data
        self.weights_col = weights
        self.strata_col = strata
        self.cluster_col = cluster
        self.fpc_spec = fpc
        self.lonely_psu = lonely_psu
        self._codebook = codebook
        self._group_cache: dict[tuple, tuple[np.ndarray, pd.DataFrame]] = {}
        n = len(data)
        self.n_rows = n

        # weights
        if weights is None:
            w = np.ones(n)
        else:
            w = self._numeric_column(weights, "weights")
            bad = ~np.isfinite(w) | (w <= 0)
            if bad.any():
                raise DesignError(
                    f"Weight column {weights!r} has {int(bad.sum())} missing, zero, negative or "
                    f"infinite values (first at row {data.index[np.argmax(bad)]!r}). Every "
                    "respondent needs a weight > 0; drop or fix those rows before building "
                    "the design."
                )
        self.w = w

        # strata
        if strata is None:
            s_codes = np.zeros(n, dtype=np.int64)
            s_labels = pd.Index(["(all)"])
        else:
            s_codes, s_labels = self._factorize(strata, "strata")
        self.stratum = s_codes
        self.strata_labels = s_labels
        self.n_strata = len(s_labels)

        # PSUs, nested in strata
        if cluster is None:
            self.psu_is_row = True
            self.psu = np.arange(n, dtype=np.int64)
            self.n_psu_total = n
            self.psu_stratum = s_codes
            n_psu_h = np.bincount(s_codes, minlength=self.n_strata)
        else:
            self.psu_is_row = False
            c_codes, c_labels = self._factorize(cluster, "cluster")
            pair = s_codes * len(c_labels) + c_codes
            psu, uniq = pd.factorize(pair, sort=True)
            self.psu = psu.astype(np.int64)
            self.n_psu_total = len(uniq)
            self.psu_stratum = (np.asarray(uniq) // len(c_labels)).astype(np.int64)
            n_psu_h = np.bincount(self.psu_stratum, minlength=self.n_strata)
        self.n_psu_h = n_psu_h.astype(float)
        self.degf = int(self.n_psu_total - self.n_strata)

        # finite population correction: factor (1 - f_h) per stratum
        self.fpc_factor = self._fpc_factor(fpc)

        lonely = np.flatnonzero(n_psu_h == 1)
        self.lonely_strata = [self.strata_labels[i] for i in lonely]
        if len(lonely) and lonely_psu == "fail":
            names = ", ".join(repr(x) for x in self.lonely_strata[:10])
            raise DesignError(
                f"Stratum {names} of {strata!r} has only one PSU, so its variance cannot be "
                "estimated. Merge it with a similar stratum, or build the design with "
                "lonely_psu='adjust' (centre it at the grand mean, as R's "
                "options(survey.lonely.psu='adjust')) or lonely_psu='remove'."
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(
                n_psu_h > 1, self.fpc_factor * n_psu_h / (n_psu_h - 1), self.fpc_factor
            )
        self._scale = scale
        self._lonely_mask = n_psu_h == 1
        log.debug("Built %r", self)

    # ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"SurveyDesign(n={self.n_rows}, strata={self.n_strata}, psus={self.n_psu_total}, "
            f"df={self.degf}, weights={self.weights_col!r}, strata_col={self.strata_col!r}, "
            f"cluster={self.cluster_col!r}, fpc={self.fpc_spec!r})"
        )

    def _column(self, name: str, role: str) -> pd.Series:
        if name not in self.data.columns:
            raise DesignError(
                f"The {role} column {name!r} is not in the data. Columns present: "
                f"{', '.join(map(str, list(self.data.columns)[:25]))}."
            )
        return self.data[name]

    def _numeric_column(self, name: str, role: str) -> np.ndarray:
        col = self._column(name, role)
        try:
            return col.astype("float64").to_numpy(na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise DesignError(
                f"The {role} column {name!r} must be numeric; it holds {col.dtype} ({exc})."
            ) from None

    def _factorize(self, name: str, role: str) -> tuple[np.ndarray, pd.Index]:
        col = self._column(name, role)
        codes, labels = pd.factorize(col, sort=True)
        if (codes < 0).any():
            raise DesignError(
                f"The {role} column {name!r} has {int((codes < 0).sum())} missing values. "
                "Every respondent must belong to a stratum and a PSU; fill or drop them."
            )
        return codes.astype(np.int64), pd.Index(labels)

    def _fpc_factor(self, fpc: str | float | None) -> np.ndarray:
        H = self.n_strata
        if fpc is None:
            return np.ones(H)
        if isinstance(fpc, str):
            vals = self._numeric_column(fpc, "fpc")
        elif isinstance(fpc, int | float):
            vals = np.full(self.n_rows, float(fpc))
        else:
            raise ParameterError(f"fpc must be a column name, a number or None; got {fpc!r}.")
        if np.isnan(vals).any() or (vals <= 0).any():
            raise DesignError(f"fpc {fpc!r} has missing or non-positive values.")
        lo = np.full(H, np.inf)
        hi = np.full(H, -np.inf)
        np.minimum.at(lo, self.stratum, vals)
        np.maximum.at(hi, self.stratum, vals)
        if np.any(hi - lo > 1e-9 * np.maximum(1, hi)):
            bad = self.strata_labels[np.argmax(hi - lo)]
            raise DesignError(
                f"fpc {fpc!r} varies within stratum {bad!r}; it must be one population size "
                "(or sampling fraction) per stratum."
            )
        n_h = np.bincount(self.psu_stratum, minlength=H).astype(float)
        if np.all(vals <= 1):
            frac = lo
            pop = n_h / frac
        elif np.any(vals <= 1):
            raise DesignError(
                f"fpc {fpc!r} mixes sampling fractions (<= 1) and population sizes (> 1); "
                "give one or the other."
            )
        else:
            pop = lo
        if np.any(pop < n_h - 1e-9):
            bad = self.strata_labels[np.argmax(n_h - pop)]
            raise DesignError(
                f"fpc {fpc!r} gives a population smaller than the sample in stratum {bad!r}; "
                "for a cluster design give the number of PSUs in the population."
            )
        return np.clip((pop - n_h) / pop, 0.0, 1.0)

    # ----------------------------------------------------------------------------------
    # variance core
    # ----------------------------------------------------------------------------------
    def _combine_strata(self, per_stratum: np.ndarray) -> np.ndarray:
        """Sum per-stratum variance contributions (H x ...) applying the lonely-PSU rule."""
        if self.lonely_psu in ("remove", "certainty"):
            per_stratum = per_stratum.copy()
            per_stratum[self._lonely_mask] = 0.0
        elif self.lonely_psu == "average" and self._lonely_mask.any():
            ok = ~self._lonely_mask
            if not ok.any():
                raise DesignError("Every stratum has one PSU: 'average' has nothing to average.")
            return per_stratum[ok].sum(axis=0) * self.n_strata / ok.sum()
        return per_stratum.sum(axis=0)

    def _variance_groups(self, z: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Linearised variance of G domain estimates at once.

        ``z`` holds each row's influence value for the one group it belongs to (``g``), 0
        outside every domain. Returns the variance of each group's estimate (length G).
        """
        H, G = self.n_strata, n_groups
        if self.psu_is_row:
            key = self.stratum * G + g
            S = np.bincount(key, weights=z, minlength=H * G).reshape(H, G)
            SS = np.bincount(key, weights=z * z, minlength=H * G).reshape(H, G)
        else:
            P = self.n_psu_total
            key = self.psu * G + g
            if P * G <= 4 * self.n_rows + 1_000_000:
                T = np.bincount(key, weights=z, minlength=P * G)
                A = np.bincount(key, weights=np.abs(z), minlength=P * G)
                key2 = (self.psu_stratum[:, None] * G + np.arange(G)[None, :]).ravel()
            else:
                uniq, inv = np.unique(key, return_inverse=True)
                T = np.bincount(inv, weights=z)
                A = np.bincount(inv, weights=np.abs(z))
                key2 = self.psu_stratum[uniq // G] * G + uniq % G
            # a PSU holding a whole domain has total exactly 0; drop the rounding residue
            T = np.where(np.abs(T) <= 1e-12 * A, 0.0, T)
            S = np.bincount(key2, weights=T, minlength=H * G).reshape(H, G)
            SS = np.bincount(key2, weights=T * T, minlength=H * G).reshape(H, G)
        n_h = self.n_psu_h[:, None]
        centred = SS - np.where(n_h > 1, S * S / n_h, 0.0)  # lonely PSU: centred at 0
        # PSU totals that are all equal give 0; do not let rounding (SS - S^2/n) leave 1e-34
        centred = np.where(centred <= 1e-13 * SS, 0.0, centred)
        per_stratum = self._scale[:, None] * centred
        return self._combine_strata(per_stratum)

    def _vcov_matrix(self, Z: np.ndarray) -> np.ndarray:
        """Linearised covariance matrix of k estimates with influence matrix ``Z`` (n x k)."""
        k = Z.shape[1]
        H = self.n_strata
        if self.psu_is_row:
            T = Z
            strat = self.stratum
        else:
            T = np.zeros((self.n_psu_total, k))
            np.add.at(T, self.psu, Z)
            strat = self.psu_stratum
        out = np.zeros((H, k, k))
        S = np.zeros((H, k))
        np.add.at(S, strat, T)
        n_h = self.n_psu_h
        mean = np.where(n_h[:, None] > 1, S / np.maximum(n_h, 1)[:, None], 0.0)
        D = T - mean[strat]
        for h in range(H):  # H is small (strata); the rows are handled by matrix products
            Dh = D[strat == h]
            out[h] = self._scale[h] * (Dh.T @ Dh)
        return self._combine_strata(out)

    def _domain_df(self, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Design df of each group: PSUs with a row in it minus strata with a row in it."""
        G = n_groups
        inside = g >= 0
        gg = g[inside]
        strata_present = (
            np.bincount(self.stratum[inside] * G + gg, minlength=self.n_strata * G).reshape(
                self.n_strata, G
            )
            > 0
        ).sum(axis=0)
        if self.psu_is_row:
            psus_present = np.bincount(gg, minlength=G)
        else:
            P = self.n_psu_total
            key = self.psu[inside] * G + gg
            if P * G <= 4 * self.n_rows + 1_000_000:
                psus_present = (np.bincount(key, minlength=P * G).reshape(P, G) > 0).sum(axis=0)
            else:
                psus_present = np.bincount(np.unique(key) % G, minlength=G)
        return (psus_present - strata_present).astype(float)

    # ----------------------------------------------------------------------------------
    # groups and variables
    # ----------------------------------------------------------------------------------
    def _groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
        """Group code per row (-1 when a ``by`` value is missing) and the group key table."""
        if by is None:
            by_cols: tuple[str, ...] = ()
        elif isinstance(by, str):
            by_cols = (by,)
        else:
            by_cols = tuple(by)
        if by_cols in self._group_cache:
            return self._group_cache[by_cols]
        if not by_cols:
            result = (np.zeros(self.n_rows, dtype=np.int64), pd.DataFrame(index=[0]))
        else:
            for c in by_cols:
                self._column(c, "by")
            codes_list, labels_list = [], []
            for c in by_cols:
                codes, labels = pd.factorize(self.data[c], sort=True)
                codes_list.append(codes.astype(np.int64))
                labels_list.append(labels)
            combined = np.zeros(self.n_rows, dtype=np.int64)
            missing = np.zeros(self.n_rows, dtype=bool)
            for codes, labels in zip(codes_list, labels_list, strict=True):
                missing |= codes < 0
                combined = combined * len(labels) + np.maximum(codes, 0)
            present = np.unique(combined[~missing])
            g = np.searchsorted(present, combined)
            g[missing] = -1
            keys = {}
            rem = present.copy()
            for c, labels in zip(reversed(by_cols), reversed(labels_list), strict=True):
                keys[c] = np.asarray(labels)[rem % len(labels)]
                rem = rem // len(labels)
            table = pd.DataFrame({c: keys[c] for c in by_cols})
            for c in by_cols:
                if isinstance(self.data[c].dtype, pd.CategoricalDtype):
                    table[c] = pd.Categorical(table[c], dtype=self.data[c].dtype)
            result = (g.astype(np.int64), table)
        self._group_cache[by_cols] = result
        return result

    @property
    def codebook(self) -> Any:
        """The codebook, loaded on first use."""
        if self._codebook is None:
            try:
                from lozells_analysis.data.codebook import load_codebook
            except ImportError as exc:  # pragma: no cover - the codebook ships with the package
                raise DesignError(
                    f"The codebook module could not be imported ({exc}); pass 0/1 columns."
                ) from None
            self._codebook = load_codebook()
        return self._codebook

    def _indicator(self, variable: str) -> np.ndarray:
        """A 0/1 variable as floats with NaN for missing; codebook coding for item ids."""
        if variable in self.data.columns:
            col = self.data[variable]
            if pd.api.types.is_bool_dtype(col.dtype):
                return col.astype("float64").to_numpy(na_value=np.nan)
            if pd.api.types.is_numeric_dtype(col.dtype):
                y = col.astype("float64").to_numpy(na_value=np.nan)
                ok = np.isnan(y) | (y == 0) | (y == 1)
                if ok.all():
                    return y
                offending = pd.unique(y[~ok])[:8]
            else:
                offending = pd.unique(col.dropna())[:8]
            if self._codebook is not None or self._codebook_available():
                if self.codebook.has_indicator(variable):
                    return self.codebook.indicator_values(self.data, variable).to_numpy(float)
            raise DesignError(
                f"Column {variable!r} is not a 0/1 indicator: it holds {list(offending)}. "
                "Pass a 0/1 (or boolean) column, or a codebook indicator id so the codebook's "
                "coding is used."
            )
        if (self._codebook is not None or self._codebook_available()) and (
            self.codebook.has_indicator(variable)
        ):
            return self.codebook.indicator_values(self.data, variable).to_numpy(float)
        raise DesignError(
            f"{variable!r} is neither a column of the data nor a codebook indicator. Columns "
            f"present: {', '.join(map(str, list(self.data.columns)[:25]))}."
        )

    def _codebook_available(self) -> bool:
        try:
            self.codebook  # noqa: B018 - loads it
        except Exception as exc:  # a missing codebook only matters for item ids
            log.debug("codebook unavailable: %s", exc)
            return False
        return True

    # ----------------------------------------------------------------------------------
    # means and proportions
    # ----------------------------------------------------------------------------------
    def _domain_stats(
        self, y: np.ndarray, by: str | Sequence[str] | None, deff: str, df_override: Any = None
    ) -> dict:
        """Weighted domain means and their linearised variance, for every group at once."""
        g_all, table = self._groups(by)
        G = len(table)
        inside = (g_all >= 0) & ~np.isnan(y)
        g = np.where(inside, g_all, 0)
        wd = np.where(inside, self.w, 0.0)
        yd = np.where(inside, y, 0.0)
        n = np.bincount(g, weights=inside, minlength=G)
        W = np.bincount(g, weights=wd, minlength=G)
        WY = np.bincount(g, weights=wd * yd, minlength=G)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = WY / W
            resid = np.where(inside, yd - est[g], 0.0)
            z = wd * resid / np.where(W[g] > 0, W[g], 1.0)
        var = self._variance_groups(z, g, G)
        var = np.where(n > 0, var, np.nan)
        # design effect: SRS variance from the weighted population variance (svyvar)
        with np.errstate(invalid="ignore", divide="ignore"):
            s2 = np.bincount(g, weights=wd * resid * resid, minlength=G) / W * n / (n - 1)
            if deff == "replace":
                vsrs = s2 / n
            else:
                vsrs = np.where(W >= n, s2 * (W - n) / (W * n), np.nan)
            deff_v = var / vsrs
        design_df = self._domain_df(g_all, G)
        df = design_df if df_override is None else np.full(G, float(df_override))
        n_rows = np.bincount(g_all[g_all >= 0], minlength=G).astype(float)
        return {
            "table": table,
            "est": est,
            "var": var,
            "n": n,
            "deff": deff_v,
            "df": df,
            "design_df": design_df,
            "n_rows": n_rows,
            "W": W,
            "g": g,
            "inside": inside,
            "G": G,
            "g_all": g_all,
        }

    def _frame(self, table: pd.DataFrame, variable: str, cols: dict) -> pd.DataFrame:
        out = table.reset_index(drop=True).copy()
        out["variable"] = variable
        for k, v in cols.items():
            out[k] = v
        by_cols = list(table.columns)
        out = out[by_cols + ESTIMATE_COLUMNS]
        out["n"] = out["n"].astype("int64")
        return out

    def mean(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: str = "replace",
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted mean of a numeric column, per group, with a t(df) Wald interval.

        Missing values (NaN) are a domain: the respondents who answered, in the full
        design (R's ``svymean(..., na.rm=TRUE)``).

        Parameters
        ----------
        variable : str
            Numeric column.
        by : str or list of str, optional
            Grouping column(s); one row per observed combination.
        level : float
            Confidence level.
        deff : {"replace", "true"}
            Design-effect reference: with-replacement SRS (Kish, default) or
            without-replacement SRS (needs weights that sum to the population).
        df : float, optional
            Degrees of freedom for the interval instead of the design's (``numpy.inf`` gives
            normal quantiles, as R's ``confint(svymean(...))``).

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable, estimate, se, lower_ci, upper_ci, level, method,
            deff, n, n_eff, df``; ``method`` is ``"wald_t"``.

        Examples
        --------
        >>> df = pd.DataFrame({"x": [1.0, 2, 3, 4, np.nan, 6], "w": [1.0] * 6,
        ...                    "g": ["a", "a", "a", "b", "b", "b"]})
        >>> SurveyDesign(df, weights="w").mean("x", by="g")[["g", "estimate", "n", "df"]]
           g  estimate  n   df
        0  a       2.0  3  2.0
        1  b       5.0  2  2.0
        """
        level = _check_level(level)
        deff = self._check_deff(deff)
        y = self._numeric_column(variable, "variable")
        st = self._domain_stats(y, by, deff, df)
        se = np.sqrt(st["var"])
        t = _t_quantile(level, st["df"])
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = st["n"] / st["deff"]
        return self._frame(
            st["table"],
            variable,
            {
                "estimate": st["est"],
                "se": se,
                "lower_ci": st["est"] - t * se,
                "upper_ci": st["est"] + t * se,
                "level": level,
                "method": "wald_t",
                "deff": st["deff"],
                "n": st["n"],
                "n_eff": n_eff,
                "df": st["df"],
            },
        )

    @staticmethod
    def _check_deff(deff: str | bool) -> str:
        if deff is True or deff == "true":
            return "true"
        if deff == "replace":
            return "replace"
        raise ParameterError(f"deff must be 'replace' (Kish, default) or 'true'; got {deff!r}.")

    def proportion(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        method: str = "logit",
        level: float = 0.95,
        deff: str = "replace",
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted proportion of a 0/1 indicator, per group, with a confidence interval.

        Parameters
        ----------
        variable : str
            A 0/1 (or boolean) column, NaN for not answered; or a codebook indicator id,
            whose coding the codebook supplies (don't know / refused become NaN).
        by : str or list of str, optional
            Grouping column(s). Each group is a domain of the full design; its interval uses
            the group's own degrees of freedom, as ``svyby(..., svyciprop)``.
        method : str
            ``"logit"`` (default; R ``svyciprop(method="logit")``), ``"xlogit"``,
            ``"beta"`` (Korn-Graubard), ``"mean"`` (Wald with t; not clipped to [0, 1], as
            in R), ``"wilson"`` (Wilson with the effective sample size ``p(1-p)/var``, the
            form of survey 4.5, t quantile), ``"asin"``, ``"likelihood"`` (Rao-Scott scaled
            profile likelihood), or ``"wilson_unweighted"`` (the PHEindicatormethods Wilson
            score interval on unweighted counts: the estimate is then the *unweighted*
            proportion, ``deff`` is NaN and ``df`` infinite).
        level : float
            Confidence level.
        deff : {"replace", "true"}
            Design-effect reference (see :meth:`mean`).
        df : float, optional
            Degrees of freedom instead of the design's (``numpy.inf``: normal quantiles).
            The ``beta`` method keeps the design df in its effective-sample-size adjustment.

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable, estimate, se, lower_ci, upper_ci, level, method,
            deff, n, n_eff, df``. ``n`` is the number of respondents who answered;
            ``n_eff = n / deff``.

        Notes
        -----
        **Estimates of 0 or 1.** Every respondent in the group gave the same answer, so the
        linearised variance is 0 and the design-based intervals would collapse to a point
        (R returns a zero-width or NaN interval). Instead the interval is the Clopper-Pearson
        (Korn-Graubard with ``n_eff = n``, the NCHS convention) interval: at ``p = 0`` it is
        ``[0, qbeta(1 - a/2, 1, n)]``, at ``p = 1`` it is ``[qbeta(a/2, n, 1), 1]``. ``se``
        stays 0, ``deff`` is NaN, ``n_eff`` is ``n`` and ``method`` reads
        ``"<method>+beta_boundary"`` so a table says which rows were handled this way.
        The same fallback (``[qbeta(a/2, x, n-x+1), qbeta(1-a/2, x+1, n-x)]`` with
        ``x = p n``) is used for an interior estimate whose variance estimate is 0 (e.g. a
        group whose respondents all sit in one PSU that holds the whole group).
        ``"wilson_unweighted"`` needs no special case (its interval never collapses).

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1, 1, 1, 0, 1, 1, 1, 1], "s": list("aaaabbbb")})
        >>> out = SurveyDesign(df, strata="s").proportion("y", by="s", method="beta")
        >>> out[["s", "estimate", "lower_ci", "upper_ci", "method"]].round(4)
           s  estimate  lower_ci  upper_ci              method
        0  a      0.75    0.1319    0.9979                beta
        1  b      1.00    0.3976    1.0000  beta+beta_boundary
        """
        level = _check_level(level)
        deff = self._check_deff(deff)
        if method not in PROPORTION_METHODS:
            raise ParameterError(
                f"method={method!r} is not one of {', '.join(PROPORTION_METHODS)}."
            )
        y = self._indicator(variable)
        st = self._domain_stats(y, by, deff, df)
        if method == "wilson_unweighted":
            return self._proportion_unweighted(y, st, variable, level)
        p, var, df, n = st["est"], st["var"], st["df"], st["n"]
        se = np.sqrt(var)
        alpha = 1 - level
        t = _t_quantile(level, df)
        with np.errstate(invalid="ignore", divide="ignore"):
            if method == "mean":
                lo, hi = p - t * se, p + t * se
            elif method in ("logit", "xlogit"):
                eta = np.log(p / (1 - p))
                se_eta = se / (p * (1 - p))
                lo, hi = _expit(eta - t * se_eta), _expit(eta + t * se_eta)
            elif method == "asin":
                a = np.arcsin(np.sqrt(p))
                se_a = se / (2 * np.sqrt(p * (1 - p)))
                lo = np.sin(np.clip(a - t * se_a, 0, np.pi / 2)) ** 2
                hi = np.sin(np.clip(a + t * se_a, 0, np.pi / 2)) ** 2
            elif method == "beta":
                n_eff = p * (1 - p) / var
                ratio = stats.t.ppf(alpha / 2, np.maximum(st["n_rows"] - 1, 1)) / stats.t.ppf(
                    alpha / 2, np.where(st["design_df"] > 0, st["design_df"], np.nan)
                )
                n_eff = n_eff * ratio**2
                lo = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
                hi = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
            elif method == "wilson":
                n_eff = p * (1 - p) / var
                t2 = t * t
                centre = p + t2 / (2 * n_eff)
                half = t * np.sqrt(p * (1 - p) / n_eff + t2 / (4 * n_eff**2))
                lo = (centre - half) / (1 + t2 / n_eff)
                hi = (centre + half) / (1 + t2 / n_eff)
            else:  # likelihood
                lo, hi = self._likelihood_interval(y, st, level)
        # p = 0 or 1, or any zero variance estimate: Clopper-Pearson with n_eff = n
        boundary = (n > 0) & ((p == 0) | (p == 1) | (var == 0))
        methods = np.full(len(p), method, dtype=object)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff_out = n / st["deff"]
        if boundary.any():
            nb = np.where(boundary, n, 1.0)
            xb = np.where(boundary, p * n, 0.5)
            with np.errstate(invalid="ignore", divide="ignore"):
                cp_lo = np.where(xb > 0, stats.beta.ppf(alpha / 2, xb, nb - xb + 1), 0.0)
                cp_hi = np.where(xb < nb, stats.beta.ppf(1 - alpha / 2, xb + 1, nb - xb), 1.0)
            lo = np.where(boundary, cp_lo, lo)
            hi = np.where(boundary, cp_hi, hi)
            methods[boundary] = f"{method}+beta_boundary"
            n_eff_out = np.where(boundary, n, n_eff_out)
        return self._frame(
            st["table"],
            variable,
            {
                "estimate": p,
                "se": se,
                "lower_ci": lo,
                "upper_ci": hi,
                "level": level,
                "method": methods,
                "deff": st["deff"],
                "n": n,
                "n_eff": n_eff_out,
                "df": df,
            },
        )

    def _proportion_unweighted(
        self, y: np.ndarray, st: dict, variable: str, level: float
    ) -> pd.DataFrame:
        G, g, inside = st["G"], st["g"], st["inside"]
        n = st["n"]
        x = np.bincount(g, weights=np.where(inside, y, 0.0), minlength=G)
        ok = n > 0
        ci = wilson_score_interval(x[ok], n[ok], level)
        lo = np.full(G, np.nan)
        hi = np.full(G, np.nan)
        lo[ok], hi[ok] = ci["lower_ci"].to_numpy(), ci["upper_ci"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            p = x / n
            se = np.sqrt(p * (1 - p) / n)
        return self._frame(
            st["table"],
            variable,
            {
                "estimate": p,
                "se": se,
                "lower_ci": lo,
                "upper_ci": hi,
                "level": level,
                "method": "wilson_unweighted",
                "deff": np.nan,
                "n": n,
                "n_eff": n,
                "df": np.inf,
            },
        )

    def _likelihood_interval(
        self, y: np.ndarray, st: dict, level: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rao-Scott scaled profile-likelihood interval (R ``svyciprop(method="likelihood")``).

        R profiles the quasibinomial intercept-only ``svyglm`` and reads off where the signed
        root deviance divided by the dispersion reaches ``qt(a/2, df) * sqrt(lambda)``,
        ``lambda`` = design variance / model variance of the log-odds. For one proportion
        this is the root of ``2 KL(p || pi) = q^2 * var * phi / (p(1 - p))``, with ``phi``
        the design-weighted mean squared Pearson residual of the rescaled-weight fit.
        R interpolates a spline through profile points; this solves exactly, so the two
        differ in about the sixth decimal.
        """
        p, var, df, G = st["est"], st["var"], st["df"], st["G"]
        g, inside, g_all = st["g"], st["inside"], st["g_all"]
        in_group = g_all >= 0
        wsum_rows = np.bincount(
            np.where(in_group, g_all, 0), weights=np.where(in_group, self.w, 0.0), minlength=G
        )
        n_rows = st["n_rows"]
        mean_w = wsum_rows / n_rows
        yd = np.where(inside, y, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            pr = (yd - p[g]) ** 2 / (p[g] * (1 - p[g]))
            wt = np.where(inside, self.w, 0.0)
            phi = np.bincount(g, weights=wt / mean_w[g] * pr, minlength=G) / (st["n"] - 1)
            q = _t_quantile(level, df)
            target = q * q * var * phi / (p * (1 - p)) / 2.0
        lo = np.full(G, np.nan)
        hi = np.full(G, np.nan)

        def kl(pi: float, pp: float) -> float:
            return pp * np.log(pp / pi) + (1 - pp) * np.log((1 - pp) / (1 - pi))

        for i in range(G):  # one root per limit; only for this optional method
            pp, tg = p[i], target[i]
            if not (np.isfinite(tg) and 0 < pp < 1 and tg > 0):
                continue
            eps = 1e-15

            def f(x: float, pp: float = pp, tg: float = tg) -> float:
                return kl(x, pp) - tg

            # when even the boundary is inside the likelihood region the limit is 0 (or 1)
            lo[i] = 0.0 if f(eps) <= 0 else optimize.brentq(f, eps, pp, xtol=1e-14, rtol=1e-14)
            hi[i] = (
                1.0 if f(1 - eps) <= 0 else optimize.brentq(f, pp, 1 - eps, xtol=1e-14, rtol=1e-14)
            )
        return lo, hi

    # ----------------------------------------------------------------------------------
    # GLM
    # ----------------------------------------------------------------------------------
    def glm(
        self,
        formula: str,
        family: str = "binomial",
        level: float = 0.95,
        subset: Any = None,
    ) -> pd.DataFrame:
        """Design-based GLM, matching R's ``svyglm`` (``quasibinomial`` for binomial).

        The point estimates are the weighted (pseudo-)maximum-likelihood fit, computed with
        statsmodels on weights rescaled to mean 1; the covariance is the sandwich
        ``A^-1 V A^-1`` with ``V`` the linearised design variance of the score, as in
        ``svyglm``. Rows with a missing value in the model are a domain (the full design is
        kept). Intervals and p-values use t with ``df`` = design df of the rows used + 1 -
        number of coefficients (``svyglm``'s ``df.residual``).

        Parameters
        ----------
        formula : str
            A patsy formula, e.g. ``"change_area_run ~ C(wave)"``. For ``binomial`` the
            outcome must be 0/1, or a codebook indicator id (its coding is used).
        family : {"binomial", "gaussian"}
            Logistic (logit link) or linear regression.
        level : float
            Confidence level of the intervals.
        subset : boolean array-like, optional
            A domain (e.g. one neighbourhood): rows outside it are left out of the fit but
            the full design is kept for the variance, as ``svyglm(design=subset(des, ...))``.

        Returns
        -------
        pandas.DataFrame
            ``term, estimate, se, statistic, lower_ci, upper_ci, p_value, df, level``.
            ``result.attrs["model"]`` is the :class:`SurveyGLMFit` (coefficients, design
            covariance, model-based covariance, the statsmodels fit).

        Examples
        --------
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 1, 0, 1], "x": [1.0, 2, 3, 4, 5, 6, 1, 2],
        ...                    "s": list("aabbaabb")})
        >>> res = SurveyDesign(df, strata="s").glm("y ~ x", family="binomial")
        >>> res[["term", "df"]]
                term  df
        0  Intercept   5
        1          x   5
        >>> round(float(res.attrs["model"].params["x"]), 6)
        1.187363
        """
        import patsy  # type: ignore[import-untyped]  # patsy ships no type information
        import statsmodels.api as sm

        level = _check_level(level)
        if family not in ("binomial", "gaussian"):
            raise ParameterError(f"family must be 'binomial' or 'gaussian'; got {family!r}.")
        data = self.data
        lhs = formula.split("~", 1)[0].strip()
        if family == "binomial" and lhs in data.columns:
            y_ind = self._indicator(lhs)
            data = data.assign(**{lhs: y_ind})
        elif family == "binomial" and lhs not in data.columns:
            data = data.assign(**{lhs: self._indicator(lhs)})
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
        try:
            y_df, X_df = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
        except patsy.PatsyError as exc:
            raise DesignError(f"Cannot build the model matrix of {formula!r}: {exc}") from None
        if not data.index.is_unique:
            raise DesignError("The data's index must be unique to fit a GLM; reset_index().")
        if subset is not None:
            mask = np.asarray(subset, dtype=bool)
            if mask.shape != (self.n_rows,):
                raise ParameterError(f"subset must have one value per row ({self.n_rows}).")
            keep = y_df.index.isin(data.index[mask])
            y_df, X_df = y_df[keep], X_df[keep]
        rows = data.index.get_indexer(y_df.index)
        used = np.zeros(self.n_rows, dtype=bool)
        used[rows] = True
        y = y_df.iloc[:, 0].to_numpy(float)
        X = X_df.to_numpy(float)
        w = self.w[rows]
        wr = w / self.w[rows].mean()
        if family == "binomial":
            if not np.all((y == 0) | (y == 1)):
                raise DesignError(f"The outcome of {formula!r} must be 0/1 for family binomial.")
            fam = sm.families.Binomial()
        else:
            fam = sm.families.Gaussian()
        model = sm.GLM(y, X, family=fam, var_weights=wr)
        res = model.fit(tol=1e-14, maxiter=200)
        beta = np.asarray(res.params)
        eta = X @ beta
        mu = fam.link.inverse(eta)
        dmu = fam.link.inverse_deriv(eta)
        vmu = fam.variance(mu)
        work_w = wr * dmu * dmu / vmu
        A = X.T @ (X * work_w[:, None])
        Ainv = np.linalg.inv(A)
        score = X * (wr * (y - mu) * dmu / vmu)[:, None]
        Z = np.zeros((self.n_rows, X.shape[1]))
        Z[rows] = score @ Ainv
        V = self._vcov_matrix(Z)
        se = np.sqrt(np.diag(V))
        g_used = np.where(used, 0, -1)
        df = int(self._domain_df(g_used, 1)[0]) + 1 - X.shape[1]
        tq = float(_t_quantile(level, df))
        with np.errstate(invalid="ignore", divide="ignore"):
            tstat = beta / se
        pval = 2 * stats.t.sf(np.abs(tstat), df) if df > 0 else np.full(len(beta), np.nan)
        terms = list(X_df.columns)
        out = pd.DataFrame(
            {
                "term": terms,
                "estimate": beta,
                "se": se,
                "statistic": tstat,
                "lower_ci": beta - tq * se,
                "upper_ci": beta + tq * se,
                "p_value": pval,
                "df": df,
                "level": level,
            }
        )
        out.attrs["model"] = SurveyGLMFit(
            formula=formula,
            family=family,
            params=pd.Series(beta, index=terms),
            vcov=pd.DataFrame(V, index=terms, columns=terms),
            naive_cov=pd.DataFrame(Ainv, index=terms, columns=terms),
            df=df,
            n=int(used.sum()),
            results=res,
        )
        return out
