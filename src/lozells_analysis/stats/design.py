"""Design-based estimation for the resident survey: means, proportions and GLMs.

A :class:`SurveyDesign` holds the survey's weights, strata, clusters (PSUs) and finite
population corrections, and estimates with Taylor linearisation exactly as R's ``survey``
package (``svydesign``, ``svymean``, ``svyciprop``, ``svyby``, ``svyglm``) does. The
numbers are checked against R in ``tests/stats/test_design.py``; the formulas, conventions and
what happens at an estimate of 0 or 1 are written down in ``docs/statistics.md``.

Conventions (all as in R's ``survey``):

* clusters are nested in strata (R's ``nest=TRUE``): a PSU is a (stratum, cluster) pair;
  without ``cluster`` every respondent is their own PSU;
* ``fpc`` is the population size per stratum (number of PSUs in the population for a
  cluster design) or, when every value is at most 1, the sampling fraction; a multistage
  design (``cluster=["area", "household"]``) takes one fpc per stage;
* the variance of an estimate is
  ``sum_h (1 - f_h) n_h / (n_h - 1) * sum_i (z_hi - zbar_h)**2`` where ``z_hi`` are PSU totals
  of the estimate's influence values and ``n_h`` the PSUs in stratum ``h``; with an fpc at
  every stage, each later stage adds the same sum over its units within their parent unit,
  times the sampling fractions of the stages above (R's multistage variance);
* the design degrees of freedom are PSUs minus strata;
* a subgroup (``by=``) or missing answers are *domains*: influence values are zero outside
  the domain but every PSU and stratum of the full design stays in the variance;
* confidence intervals use Student's t with the design degrees of freedom; by-group
  intervals use each group's own degrees of freedom (PSUs minus strata with at least one
  respondent in the group), as ``svyby(..., svyciprop)`` does.

This module holds the :class:`SurveyDesign` class: construction, columns, groups and the
public estimators as thin orchestration. The work is done in
:mod:`~lozells_analysis.stats.stages` (reading the design's columns, stage by stage),
:mod:`~lozells_analysis.stats.variance` (linearised variance on arrays),
:mod:`~lozells_analysis.stats.domain` (domain means and the tidy estimate frame),
:mod:`~lozells_analysis.stats.intervals` (one function per proportion interval method, in
the ``INTERVALS`` registry) and :mod:`~lozells_analysis.stats.glm` (``svyglm``); totals,
ratios, quantiles and the tests of association come from
:class:`~lozells_analysis.stats.estimators.DesignEstimators`.
``SurveyGLMFit`` and ``wilson_score_interval`` are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.columns import column, indicator_values, numeric_column
from lozells_analysis.stats.domain import (
    ESTIMATE_COLUMNS,
    DomainEstimates,
    check_deff,
    domain_estimates,
    estimate_frame,
    group_codes,
)
from lozells_analysis.stats.estimators import DesignEstimators
from lozells_analysis.stats.glm import SurveyGLMFit, survey_glm
from lozells_analysis.stats.intervals import (
    INTERVALS,
    check_level,
    interval_method,
    mean_columns,
    t_quantile,
    wilson_score_interval,
)
from lozells_analysis.stats.reweighting import DesignReweighting
from lozells_analysis.stats.stages import build_design
from lozells_analysis.stats.variance import LONELY_PSU, domain_df, variance_by_group

log = logging.getLogger(__name__)

__all__ = [
    "ESTIMATE_COLUMNS",
    "LONELY_PSU",
    "PROPORTION_METHODS",
    "SurveyDesign",
    "SurveyGLMFit",
    "wilson_score_interval",
]

#: Interval methods accepted by :meth:`SurveyDesign.proportion` (the keys of ``INTERVALS``).
PROPORTION_METHODS = tuple(INTERVALS)

# Older names, still imported from here by compare.py and scales.py.
_check_level = check_level
_t_quantile = t_quantile


class SurveyDesign(DesignEstimators, DesignReweighting):
    """A survey design: weights, strata, clusters (PSUs) and finite population corrections.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weights : str or None
        Column of sampling weights (> 0). ``None`` gives every respondent weight 1.
    strata : str or None
        Column of strata. The programme's natural design is stratified by neighbourhood.
    cluster : str, list of str or None
        Column of PSUs, or one column per sampling stage (``["area", "household"]``);
        PSUs are nested in strata and each stage's units in the units above (the same id
        in two strata, or two PSUs, is two units). ``None``: each respondent is a PSU.
    fpc : str, float, list of them, or None
        One per stage: a column (or number) of the population size (stage 1: PSUs in the
        stratum's population; stage 2: units in the PSU's population) or, when every value
        of the stage is at most 1, the sampling fraction; constant within a stratum (stage
        1) or a unit of the stage above. With an fpc every stage enters the variance
        (R's multistage variance); without, only the first (ultimate clusters). Without
        ``weights``, the weights are the product over stages of ``N / n``, as in R.
    lonely_psu : {"fail", "adjust", "remove", "certainty", "average"}
        What to do with a stratum that has a single PSU (not a certainty PSU), as R's
        ``options(survey.lonely.psu=)``: ``"fail"`` (default) raises :class:`DesignError`;
        ``"adjust"`` centres that PSU at the grand mean instead of its stratum mean;
        ``"remove"`` and ``"certainty"`` let it contribute nothing; ``"average"`` replaces
        its contribution by the average of the other strata present in the domain. At a
        later stage only ``"adjust"``, ``"remove"`` and ``"certainty"`` can be honoured.
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
        cluster: str | Sequence[str] | None = None,
        fpc: str | float | Sequence[str | float] | None = None,
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
        self.n_rows = len(data)
        parts = build_design(data, weights, strata, cluster, fpc, lonely_psu)
        self.w = parts.w
        self.stratum, self.strata_labels = parts.stratum, parts.strata_labels
        self.n_strata = len(self.strata_labels)
        self.psu, self.psu_stratum, self.n_psu_h = parts.psu, parts.psu_stratum, parts.n_psu_h
        self.psu_is_row = not parts.clusters
        self.n_stages = max(len(parts.clusters), 1)
        self.n_psu_total = len(self.psu_stratum)
        self.degf = int(self.n_psu_total - self.n_strata)
        #: Finite population factor ``1 - f_h`` of each stratum (stage 1).
        self.fpc_factor = parts.fpc_factor
        self.lonely_strata = parts.lonely_strata
        #: Where each row sits in the design, for :mod:`~lozells_analysis.stats.variance`.
        self.layout = parts.layout
        log.debug("Built %r", self)

    def __repr__(self) -> str:
        return (
            f"SurveyDesign(n={self.n_rows}, strata={self.n_strata}, psus={self.n_psu_total}, "
            f"df={self.degf}, weights={self.weights_col!r}, strata_col={self.strata_col!r}, "
            f"cluster={self.cluster_col!r}, fpc={self.fpc_spec!r})"
        )

    # ----------------------------------------------------------------------------------
    # groups, variables and variance (public for comparisons: compare.group_differences)
    # ----------------------------------------------------------------------------------
    def groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
        """The group of each row and the table of groups, for ``by=`` columns.

        Parameters
        ----------
        by : str, list of str or None
            Grouping column(s); ``None`` puts every row in one group.

        Returns
        -------
        g : numpy.ndarray
            Group code (0 .. G-1) of each row; -1 where a ``by`` value is missing.
        table : pandas.DataFrame
            One row per observed combination (sorted), one column per ``by`` column. It is
            cached on the design: copy it before changing it.

        Examples
        --------
        >>> d = SurveyDesign(pd.DataFrame({"g": ["b", "a", "b"]}))
        >>> g, table = d.groups("g")
        >>> g.tolist(), table["g"].tolist()
        ([1, 0, 1], ['a', 'b'])
        """
        if by is None:
            by_cols: tuple[str, ...] = ()
        elif isinstance(by, str):
            by_cols = (by,)
        else:
            by_cols = tuple(by)
        if by_cols not in self._group_cache:
            for c in by_cols:
                column(self.data, c, "by")
            self._group_cache[by_cols] = group_codes(self.data, by_cols)
        return self._group_cache[by_cols]

    def values(self, variable: str, kind: str = "proportion") -> np.ndarray:
        """The values of a variable as floats, NaN where not answered.

        Parameters
        ----------
        variable : str
            For ``kind="proportion"``, a 0/1 (or boolean) column or a codebook indicator id
            (the codebook's coding is used); for ``kind="mean"``, a numeric column.
        kind : {"proportion", "mean"}
            What the values will be estimated as.

        Returns
        -------
        numpy.ndarray
            One value per row.

        Examples
        --------
        >>> y = pd.array([True, False, None], dtype="boolean")
        >>> d = SurveyDesign(pd.DataFrame({"y": y, "x": [1, 2.5, 4]}))
        >>> d.values("y").tolist(), d.values("x", "mean").tolist()
        ([1.0, 0.0, nan], [1.0, 2.5, 4.0])
        """
        if kind == "proportion":
            return indicator_values(self.data, variable, self._codebook_or_none)
        if kind == "mean":
            return numeric_column(self.data, variable, "variable")
        raise ParameterError(f"kind must be 'proportion' or 'mean'; got {kind!r}.")

    def variance_by_group(
        self, z: np.ndarray, g: np.ndarray, n_groups: int, present: np.ndarray | None = None
    ) -> np.ndarray:
        """Linearised variance of several domain estimates from their influence values.

        Parameters
        ----------
        z : numpy.ndarray
            Each row's influence value for the one group it belongs to; 0 outside every
            group. For a difference of two domain estimates, ``z_a - z_b`` in one group.
        g : numpy.ndarray
            Group code (0 .. n_groups-1) of each row.
        n_groups : int
            Number of groups.
        present : numpy.ndarray of bool, optional
            The rows in each group's subset (for ``lonely_psu="average"``, which averages
            over the strata present; default every row, as R's ``svyby(covmat=TRUE)``).

        Returns
        -------
        numpy.ndarray
            The variance of each group's estimate, over the full design (every PSU and
            stratum, every stage), with the design's fpc and lonely-PSU rule.

        Examples
        --------
        The influence values of a mean are ``w (y - mean) / sum(w)``; this gives its variance:

        >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 0, 1, 0]}))
        >>> z = (d.data["y"].to_numpy() - 0.5) / 4
        >>> d.variance_by_group(z, np.zeros(4, dtype=int), 1)
        array([0.08333333])
        >>> float(d.mean("y")["se"].iloc[0] ** 2)
        0.08333333333333333
        """
        return variance_by_group(self.layout, z, g, n_groups, present)

    def domain_df(self, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Design degrees of freedom of each group: its PSUs minus its strata.

        Parameters
        ----------
        g : numpy.ndarray
            Group code (0 .. n_groups-1) of each row, -1 for rows in no group.
        n_groups : int
            Number of groups.

        Returns
        -------
        numpy.ndarray
            Per group, the PSUs with a row in it minus the strata with a row in it (floats).

        Examples
        --------
        >>> d = SurveyDesign(pd.DataFrame({"s": list("aabb")}), strata="s")
        >>> d.domain_df(np.array([0, 0, 0, -1]), 1)
        array([1.])
        """
        return domain_df(self.layout, g, n_groups)

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

    def _codebook_or_none(self) -> Any:
        """The codebook, or None when it cannot be loaded (it only matters for item ids)."""
        try:
            return self.codebook
        except Exception as exc:
            log.debug("codebook unavailable: %s", exc)
            return None

    # ----------------------------------------------------------------------------------
    # means and proportions
    # ----------------------------------------------------------------------------------
    def _domain_estimates(
        self, y: np.ndarray, by: str | Sequence[str] | None, deff: str, df: Any
    ) -> DomainEstimates:
        """Weighted domain means of ``y`` and their variance (``variance_by_group``)."""
        g_all, table = self.groups(by)
        variance = self.variance_by_group
        return domain_estimates(self.layout, y, self.w, g_all, table, deff, df, variance)

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
        level = check_level(level)
        deff = check_deff(deff)
        y = numeric_column(self.data, variable, "variable")
        st = self._domain_estimates(y, by, deff, df)
        return estimate_frame(st.table, variable, mean_columns(st, level))

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
        linearised variance is 0 and the design-based intervals would collapse (R returns a
        point, or NaN for ``"beta"``). Instead the interval is Korn-Graubard at the effective
        sample size ``n* = n (qt(a/2, m-1) / qt(a/2, df))^2`` (design effect 1, as it cannot
        be estimated; ``m`` rows in the group, ``df`` its design df): ``[0, qbeta(1 - a/2, 1,
        n*)]`` at ``p = 0``, ``[qbeta(a/2, n*, 1), 1]`` at ``p = 1``. ``se`` stays 0, ``deff``
        is NaN, ``n_eff`` is ``n`` and ``method`` reads ``"<method>+beta_boundary"`` so a
        table says which rows were handled this way. The same interval (``x = p n*``) is
        used for an interior estimate whose variance estimate is 0.
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
        level = check_level(level)
        deff = check_deff(deff)
        interval = interval_method(method)  # an unknown method fails before any work
        y = indicator_values(self.data, variable, self._codebook_or_none)
        st = self._domain_estimates(y, by, deff, df)
        return estimate_frame(st.table, variable, interval(st, level).columns(st.n, level))

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
            One row per model term: ``variable`` (the term, e.g. ``Intercept``, ``wave``,
            ``C(gender)[T.Man]``), ``estimate, se, lower_ci, upper_ci, level, method, n, df,
            statistic, p_value``; ``method`` is ``"svyglm quasibinomial"`` or ``"svyglm
            gaussian"`` and ``n`` the number of rows used. ``result.attrs["model"]`` is the
            :class:`SurveyGLMFit` (coefficients, design covariance, model-based covariance,
            the statsmodels fit).

        Examples
        --------
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 1, 0, 1], "x": [1.0, 2, 3, 4, 5, 6, 1, 2],
        ...                    "s": list("aabbaabb")})
        >>> res = SurveyDesign(df, strata="s").glm("y ~ x", family="binomial")
        >>> res[["variable", "method", "n", "df"]]
            variable                method  n  df
        0  Intercept  svyglm quasibinomial  8   5
        1          x  svyglm quasibinomial  8   5
        >>> round(float(res.attrs["model"].params["x"]), 6)
        1.187363
        """
        return survey_glm(self, formula, family=family, level=level, subset=subset)
