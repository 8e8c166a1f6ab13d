"""Replicate-weight survey designs, as R's ``svrepdesign``: :class:`ReplicateDesign`.

Many surveys publish replicate weights instead of (or as well as) strata and PSUs: each
replicate is the sample re-weighted as if part of it had not been drawn (a jackknife, a
balanced half-sample, a bootstrap). An estimate's variance is then the spread of the
estimate over the replicates, ``scale * sum_r rscales_r (theta_r - theta)^2`` (R's
``svrVar``), whatever the estimator. :class:`ReplicateDesign` takes the weights the data owner
supplies (or :meth:`SurveyDesign.to_replicate` makes them, as R's ``as.svrepdesign``) and
offers the estimators of :class:`~lozells_analysis.stats.design.SurveyDesign` with the same
tidy columns. The array work is in :mod:`~lozells_analysis.stats.repweights`; the numbers
are checked against R in ``tests/stats/test_replicate.py``.

Conventions (all as R's ``survey``): the degrees of freedom are the rank of the replicate
(analysis) weights minus one, of the rows in the group for a by-group estimate; a group is
a domain (replicate estimates use that group's rows only; a replicate that leaves a group
empty is dropped for it); the proportion's ``"logit"`` interval uses the replicate variance
of the log-odds (R's ``svyciprop`` refits ``svyglm`` in each replicate); other interval
methods use the replicate variance of the proportion.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.columns import column, indicator_values, numeric_column
from lozells_analysis.stats.domain import check_deff, group_codes
from lozells_analysis.stats.intervals import check_level
from lozells_analysis.stats.repcolumns import read_design_columns, replicate_scales
from lozells_analysis.stats.repestimators import (
    TOTAL_COLUMNS,
    replicate_mean,
    replicate_proportion,
    replicate_quantile,
    replicate_ratio,
    replicate_total,
)
from lozells_analysis.stats.repglm import replicate_glm
from lozells_analysis.stats.repweights import REPLICATE_TYPES, RepFactors, RepWeights

log = logging.getLogger(__name__)

__all__ = ["REPLICATE_TYPES", "TOTAL_COLUMNS", "ReplicateDesign"]


class ReplicateDesign:
    """A survey design with replicate weights (R's ``svrepdesign``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, with the replicate-weight columns.
    weights : str or None
        Column of full-sample weights (> 0); ``None`` gives every respondent weight 1.
    repweights : list of str or str
        The replicate-weight columns, or a regular expression matching their names (as R's
        ``repweights="wt[0-9]+"``). They must have no missing values.
    type : {"BRR", "Fay", "JK1", "JKn", "bootstrap"}
        How the replicates were made (default ``"BRR"``, as R); sets the default ``scale``
        and ``rscales`` as R does: BRR ``1/R``; Fay ``1/(R (1-rho)^2)``; bootstrap
        ``1/(R-1)``; JK1 ``(R-1)/R`` (guessed, with a warning, when not given); JKn needs
        ``rscales`` (for combined weights) or guesses ``1/max`` of each multiplier column.
    scale : float, optional
        Overall variance multiplier (not allowed for BRR and Fay, whose scale is fixed).
    rscales : float or sequence of float, optional
        Per-replicate multipliers (e.g. ``(n_h - 1)/n_h`` for JKn); default 1.
    mse : bool
        Centre the replicates at the full-sample estimate (default; R's default is
        ``mse=FALSE``, which centres at their mean).
    rho : float, optional
        Fay's coefficient (``type="Fay"`` only).
    combined_weights : bool
        True (default, as R) when the replicate columns are full weights; False when they
        are multipliers of ``weights``.
    codebook : Codebook, optional
        For codebook indicator ids in :meth:`proportion` and :meth:`glm`.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0] * 4,
    ...                    "r1": [0.0, 2, 1, 1], "r2": [2.0, 0, 1, 1],
    ...                    "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, weights="w", repweights="^r[0-9]", type="JKn", rscales=0.5)
    >>> d
    ReplicateDesign(n=4, type='JKn', replicates=4, df=2, mse=True)
    >>> d.mean("y")[["estimate", "se", "df"]].round(4)
       estimate      se   df
    0       2.5  0.3536  2.0
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        repweights: Sequence[str] | str | None = None,
        type: str = "BRR",
        scale: float | None = None,
        rscales: float | Sequence[float] | np.ndarray | None = None,
        mse: bool = True,
        rho: float | None = None,
        combined_weights: bool = True,
        codebook: Any = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ParameterError(
                f"data must be a pandas DataFrame, got {data.__class__.__name__}."
            )
        if len(data) == 0:
            raise DesignError("The survey data have no rows: there is nothing to estimate.")
        if type not in REPLICATE_TYPES:
            raise DesignError(
                f"type={type!r} is not a replicate type this library can honour; use one of "
                f"{', '.join(REPLICATE_TYPES)}."
            )
        w, cols, A = read_design_columns(data, weights, repweights)
        scale_, rscales_ = replicate_scales(type, A, scale, rscales, rho, combined_weights)
        self._setup(data, w, RepWeights(A, None, w, combined_weights), type, scale_, rscales_)
        self.mse = bool(mse)
        self.rho = rho
        self.weights_col = weights
        self.repweights_cols = cols
        self._codebook = codebook

    def _setup(
        self,
        data: pd.DataFrame,
        w: np.ndarray,
        rw: RepWeights,
        kind: str,
        scale: float,
        rscales: np.ndarray,
    ) -> None:
        self.data = data
        self.w = w
        self.n_rows = len(data)
        self.rw = rw
        self.type = kind
        self.scale = scale
        self.rscales = np.asarray(rscales, dtype=float)
        self._group_cache: dict[tuple, tuple[np.ndarray, pd.DataFrame]] = {}

    @classmethod
    def from_multipliers(
        cls,
        data: pd.DataFrame,
        w: np.ndarray,
        unit: np.ndarray,
        factors: RepFactors,
        kind: str,
        mse: bool = True,
    ) -> ReplicateDesign:
        """A design from multipliers kept per PSU (R's compressed ``as.svrepdesign`` weights).

        Parameters
        ----------
        data : pandas.DataFrame
            The respondents.
        w : numpy.ndarray
            Full-sample weights.
        unit : numpy.ndarray
            Row of ``factors.factors`` (the PSU) of each respondent.
        factors : RepFactors
            Multipliers (one row per PSU, one column per replicate), scale and rscales.
        kind : str
            Replicate type (one of :data:`REPLICATE_TYPES`).
        mse : bool
            Centre at the full-sample estimate.

        Returns
        -------
        ReplicateDesign

        Examples
        --------
        >>> f = RepFactors(np.array([[0.0, 2], [2, 0]]), 0.5, np.ones(2))
        >>> d = ReplicateDesign.from_multipliers(
        ...     pd.DataFrame({"y": [1.0, 3]}), np.ones(2), np.array([0, 1]), f, "JK1")
        >>> float(d.mean("y")["se"].iloc[0])
        1.0
        """
        self = cls.__new__(cls)
        rw = RepWeights(factors.factors, unit, w, False)
        self._setup(data, w, rw, kind, factors.scale, factors.rscales)
        self.mse = bool(mse)
        self.rho = None
        self.weights_col = None
        self.repweights_cols = []
        self._codebook = None
        return self

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign(n={self.n_rows}, type={self.type!r}, "
            f"replicates={self.rw.n_replicates}, df={self.degf}, mse={self.mse})"
        )

    # ----------------------------------------------------------------------------------
    # groups, values, degrees of freedom
    # ----------------------------------------------------------------------------------
    def groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
        """The group of each row (-1 where a ``by`` value is missing) and the table of groups.

        Parameters
        ----------
        by : str, list of str or None
            Grouping column(s).

        Returns
        -------
        g : numpy.ndarray
        table : pandas.DataFrame

        Examples
        --------
        >>> df = pd.DataFrame({"g": ["b", "a"], "r1": [1.0, 0], "r2": [0, 1.0]})
        >>> ReplicateDesign(df, repweights="^r", type="bootstrap").groups("g")[0].tolist()
        [1, 0]
        """
        by_cols = () if by is None else (by,) if isinstance(by, str) else tuple(by)
        if by_cols not in self._group_cache:
            for c in by_cols:
                column(self.data, c, "by")
            self._group_cache[by_cols] = group_codes(self.data, by_cols)
        return self._group_cache[by_cols]

    def _codebook_or_none(self) -> Any:
        if self._codebook is None:
            try:
                from lozells_analysis.data.codebook import load_codebook

                self._codebook = load_codebook()
            except Exception as exc:  # only codebook item ids need it
                log.debug("codebook unavailable: %s", exc)
        return self._codebook

    def values(self, variable: str, kind: str = "proportion") -> np.ndarray:
        """A variable's values as floats, NaN where not answered (see ``SurveyDesign.values``).

        Parameters
        ----------
        variable : str
            Column (or codebook indicator id for ``kind="proportion"``).
        kind : {"proportion", "mean"}
            0/1 indicator or numeric.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> d = ReplicateDesign(pd.DataFrame({"y": [1, 0], "r1": [1.0, 0], "r2": [0, 1.0]}),
        ...                     repweights=["r1", "r2"], type="bootstrap")
        >>> d.values("y").tolist()
        [1.0, 0.0]
        """
        if kind == "proportion":
            return indicator_values(self.data, variable, self._codebook_or_none)
        if kind == "mean":
            return numeric_column(self.data, variable, "variable")
        raise ParameterError(f"kind must be 'proportion' or 'mean'; got {kind!r}.")

    @cached_property
    def degf(self) -> int:
        """Degrees of freedom: rank of the replicate weights minus one (R's ``degf``).

        Examples
        --------
        >>> df = pd.DataFrame({"r1": [0.0, 2, 1, 1], "r2": [2.0, 0, 1, 1],
        ...                    "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
        >>> ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5).degf
        2
        """
        return int(self.domain_df(np.zeros(self.n_rows, dtype=np.int64), 1)[0])

    def domain_df(self, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Degrees of freedom of each group: rank of its rows' replicate weights minus one.

        Parameters
        ----------
        g : numpy.ndarray
            Group of each row (-1: in no group).
        n_groups : int
            Number of groups.

        Returns
        -------
        numpy.ndarray
            Floats; NaN for an empty group.

        Examples
        --------
        >>> d = ReplicateDesign(pd.DataFrame({"r1": [1.0, 0, 1], "r2": [0, 1.0, 1]}),
        ...                     repweights=["r1", "r2"], type="bootstrap")
        >>> d.domain_df(np.array([0, 0, 1]), 2).tolist()
        [1.0, 0.0]
        """
        ranks = self.rw.ranks(g, n_groups).astype(float)
        return np.where(ranks > 0, ranks - 1, np.nan)

    # ----------------------------------------------------------------------------------
    # means and proportions
    # ----------------------------------------------------------------------------------
    def mean(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: str = "replace",
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted mean of a numeric column, per group, with its replicate SE (R ``svymean``).

        Parameters
        ----------
        variable : str
            Numeric column (NaN: not answered, left out as R's ``na.rm=TRUE``).
        by : str or list of str, optional
            Grouping column(s) (R's ``svyby``).
        level : float
            Confidence level of the t(df) Wald interval.
        deff : {"replace", "true"}
            Design-effect reference, as :meth:`SurveyDesign.mean`.
        df : float, optional
            Degrees of freedom instead of the design's (``numpy.inf``: normal quantiles).

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable, estimate, se, lower_ci, upper_ci, level, method,
            deff, n, n_eff, df``; ``method`` is ``"wald_t"``.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "g": list("aabb"),
        ...                    "r1": [0.0, 2, 1, 1], "r2": [2.0, 0, 1, 1]})
        >>> d = ReplicateDesign(df, repweights=["r1", "r2"], type="JK1", scale=0.5)
        >>> d.mean("y", by="g")[["g", "estimate", "se"]]
           g  estimate   se
        0  a       2.0  1.0
        1  b       4.0  0.0
        """
        y = numeric_column(self.data, variable, "variable")
        return replicate_mean(self, y, variable, by, (check_level(level), check_deff(deff), df))

    def proportion(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        method: str = "logit",
        level: float = 0.95,
        deff: str = "replace",
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted proportion of a 0/1 indicator, per group, with an interval (R ``svyciprop``).

        Parameters
        ----------
        variable : str
            A 0/1 (or boolean) column or a codebook indicator id.
        by : str or list of str, optional
            Grouping column(s).
        method : str
            As :meth:`SurveyDesign.proportion`, except ``"likelihood"`` (R profiles a
            replicate-weight ``svyglm``, which this library does not). ``"logit"`` uses the
            replicate variance of the log-odds, as R does.
        level : float
            Confidence level.
        deff : {"replace", "true"}
            Design-effect reference.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`mean`; ``method`` names the interval.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1, 0, 1, 1], "r1": [0.0, 2, 1, 1], "r2": [2.0, 0, 1, 1],
        ...                    "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
        >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
        >>> d.proportion("y", method="mean")[["estimate", "se", "method"]].round(4)
           estimate    se method
        0      0.75  0.25   mean
        """
        settings = (check_level(level), check_deff(deff), df)
        y = indicator_values(self.data, variable, self._codebook_or_none)
        return replicate_proportion(self, y, variable, by, method, settings)

    # ----------------------------------------------------------------------------------
    # totals, ratios, quantiles
    # ----------------------------------------------------------------------------------
    def total(
        self,
        variable: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted total of a numeric (or 0/1) column, per group (R ``svytotal``).

        Parameters
        ----------
        variable : str
            Numeric column; missing values are left out (R's ``na.rm=TRUE``).
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level of the t(df) Wald interval.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable, estimate, se, lower_ci, upper_ci, level, method,
            n, df``; ``method`` is ``"wald_t"``.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 3], "r1": [0.0, 2], "r2": [2.0, 0]})
        >>> d = ReplicateDesign(df, repweights=["r1", "r2"], type="JK1", scale=0.5)
        >>> d.total("y")[["estimate", "se"]]
           estimate   se
        0       4.0  2.0
        """
        return replicate_total(self, variable, by, check_level(level), df)

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Ratio of two weighted totals, per group (R ``svyratio``).

        Rows missing either variable are left out (R's ``na.rm=TRUE``).

        Parameters
        ----------
        numerator, denominator : str
            Numeric columns.
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level of the t(df) Wald interval.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable`` (the numerator), ``estimate, se, lower_ci,
            upper_ci, level, method, n, df, denominator``.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 3], "x": [1.0, 1], "r1": [0.0, 2], "r2": [2.0, 0]})
        >>> d = ReplicateDesign(df, repweights=["r1", "r2"], type="JK1", scale=0.5)
        >>> d.ratio("y", "x")[["estimate", "se", "denominator"]]
           estimate   se denominator
        0       2.0  1.0           x
        """
        return replicate_ratio(self, numerator, denominator, by, check_level(level), df)

    def quantile(
        self,
        variable: str,
        q: float | Sequence[float] = 0.5,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted quantiles with Woodruff intervals, per group (R ``svyquantile``, survey 4.x).

        As R with its defaults (``qrule="math"``, ``interval.type="mean"``): the quantile is
        the smallest value whose weighted share reaches ``q``; the interval maps the Wald
        interval of the share below the estimate (replicate variance, t with df) back through
        the weighted distribution; ``se = (upper - lower) / (2 t)``. A limit outside [0, 1]
        on the share scale is NaN, as in R. Missing values are left out, and the degrees of
        freedom are those of the rows that answered.

        Parameters
        ----------
        variable : str
            Numeric column.
        q : float or sequence of float
            Probabilities in [0, 1].
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's.

        Returns
        -------
        pandas.DataFrame
            Group columns (one row per group and probability), then ``variable, estimate,
            se, lower_ci, upper_ci, level, method, n, df, quantile``; ``method`` is
            ``"woodruff"``.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "r1": [0.0, 2, 1, 1], "r2": [2.0, 0, 1, 1],
        ...                    "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
        >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
        >>> d.quantile("y", q=0.5)[["quantile", "estimate"]]
           quantile  estimate
        0       0.5       2.0
        """
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if not np.all((qs >= 0) & (qs <= 1)):
            raise ParameterError(f"q must be probabilities in [0, 1]; got {qs.tolist()}.")
        return replicate_quantile(self, variable, qs, by, check_level(level), df)

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
        """Design-based GLM with replicate variance (R ``svyglm`` on a replicate design).

        The point estimates are the weighted fit (weights rescaled to mean 1); the model is
        refitted with each replicate's weights, from those estimates, to convergence, and
        the covariance is R's ``svrVar`` of the replicate coefficients. ``df`` is the
        design df of the rows in ``subset`` + 1 - number of coefficients.

        Parameters
        ----------
        formula : str
            A patsy formula, e.g. ``"y ~ x + C(group)"``.
        family : {"binomial", "gaussian"}
            Logistic (quasibinomial) or linear regression.
        level : float
            Confidence level.
        subset : boolean array-like, optional
            Rows to fit (a domain: replicate weights of the other rows are not used).

        Returns
        -------
        pandas.DataFrame
            One row per term, the columns of :meth:`SurveyDesign.glm`; ``attrs["model"]``
            is the :class:`~lozells_analysis.stats.glm.SurveyGLMFit`.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [0.0, 1, 0, 2],
        ...                    "r1": [0.0, 2, 1, 1], "r2": [2.0, 0, 1, 1],
        ...                    "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
        >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
        >>> d.glm("y ~ x", family="gaussian")[["variable", "estimate", "df"]].round(4)
            variable  estimate  df
        0  Intercept    1.3636   1
        1          x    2.1818   1
        """
        return replicate_glm(self, formula, family, check_level(level), subset)
