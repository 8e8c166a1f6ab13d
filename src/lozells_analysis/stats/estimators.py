"""Totals, ratios, quantiles and design-based tests: methods of :class:`SurveyDesign`.

:class:`DesignEstimators` is mixed into :class:`~lozells_analysis.stats.design.SurveyDesign`
(it keeps ``design.py`` small); each method is a thin call of the function that does the
work, in :mod:`~lozells_analysis.stats.totals` (R's ``svytotal``, ``svyratio``),
:mod:`~lozells_analysis.stats.quantiles` (``svyquantile``) and
:mod:`~lozells_analysis.stats.designtests` (``svychisq``, ``svyttest``). Every method returns
a tidy frame in the library's schema (:mod:`~lozells_analysis.stats.schema`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lozells_analysis.stats.designtests import survey_chisq, survey_ttest
from lozells_analysis.stats.domain import DomainDesign
from lozells_analysis.stats.intervals import check_level
from lozells_analysis.stats.quantiles import survey_quantile
from lozells_analysis.stats.totals import survey_ratio, survey_total

__all__ = ["DesignEstimators"]


class DesignEstimators:
    """``total``, ``ratio``, ``quantile``, ``chisq`` and ``ttest`` of a :class:`SurveyDesign`.

    A mixin: the methods use only what :class:`~lozells_analysis.stats.domain.DomainDesign`
    describes (weights, layout, groups, values).
    """

    def total(
        self: DomainDesign,
        variable: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Estimated population total of a numeric column, per group (R ``svytotal``).

        ``sum w y`` over the group's respondents who answered; its linearised variance
        over the full design (R's ``svyby(~y, ~g, design, svytotal, na.rm=TRUE)``); a
        t(df) Wald interval on the group's degrees of freedom.

        Parameters
        ----------
        variable : str
            Numeric or 0/1 column; NaN is not answered.
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's (``numpy.inf``: normal, as R's
            ``confint``).

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable, estimate, se, lower_ci, upper_ci, level,
            method, n, df``; ``method`` is ``"wald_t"``.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [10.0, 10, 20, 20], "g": list("aabb")})
        >>> SurveyDesign(df, weights="w").total("y", by="g")[["g", "estimate", "se", "n"]]
           g  estimate         se  n
        0  a      30.0  19.148542  2
        1  b     140.0  82.462113  2
        """
        return survey_total(self, variable, by, check_level(level), df)

    def ratio(
        self: DomainDesign,
        numerator: str,
        denominator: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Ratio of two estimated totals, per group (R ``svyratio``).

        ``sum w y / sum w x`` over the rows that answered both; linearised variance with
        influence values ``w (y - R x) / sum w x`` over the full design; a t(df) Wald
        interval on the group's degrees of freedom.

        Parameters
        ----------
        numerator, denominator : str
            Numeric columns.
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's (``numpy.inf``: normal).

        Returns
        -------
        pandas.DataFrame
            Group columns, then ``variable`` (the numerator), ``estimate, se, lower_ci,
            upper_ci, level, method, n, df, denominator``; ``method`` is ``"ratio"``.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"y": [2.0, 3, 5, 6], "x": [1.0, 2, 2, 3]})
        >>> SurveyDesign(df).ratio("y", "x")[["estimate", "se", "denominator"]].round(4)
           estimate      se denominator
        0       2.0  0.2041           x
        """
        return survey_ratio(self, numerator, denominator, by, check_level(level), df)

    def quantile(
        self: DomainDesign,
        variable: str,
        q: float | Sequence[float] = 0.5,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """Weighted quantiles with Woodruff intervals, per group (R ``svyquantile``).

        As R's survey 4.x defaults (``qrule="math"``, ``interval.type="mean"``,
        ``ci=TRUE``): the estimate is the smallest value whose weighted share reaches
        ``q``; the interval maps the Wald interval of the share at or below the estimate
        back through the weighted distribution (NaN past a share of 0 or 1, as R); ``se``
        is ``(upper - lower) / (2 t)``. Missing values are left out; ``df`` is the group's
        design df among the rows that answered.

        Parameters
        ----------
        variable : str
            Numeric column.
        q : float or sequence of float
            Probabilities in [0, 1] (0.5: the median).
        by : str or list of str, optional
            Grouping column(s).
        level : float
            Confidence level.
        df : float, optional
            Degrees of freedom instead of each group's (``numpy.inf``: normal).

        Returns
        -------
        pandas.DataFrame
            One row per group and probability: group columns, then ``variable, estimate,
            se, lower_ci, upper_ci, level, method, n, df, quantile``; ``method`` is
            ``"woodruff"``.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> y = [3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4]
        >>> out = SurveyDesign(pd.DataFrame({"y": y})).quantile("y", q=[0.25, 0.5])
        >>> out[["quantile", "estimate", "lower_ci", "upper_ci", "se"]].round(4)
           quantile  estimate  lower_ci  upper_ci      se
        0      0.25       3.0       2.0       5.0  0.7167
        1      0.50       4.0       3.0       7.0  0.9556
        """
        return survey_quantile(self, variable, q, by, check_level(level), df)

    def chisq(self: DomainDesign, row: str, col: str, statistic: str = "F") -> pd.DataFrame:
        """Rao-Scott test of association between two categorical columns (R ``svychisq``).

        The Pearson ``X^2`` of the weighted table, corrected for the design by the
        eigenvalues of the design-effect matrix ``Delta``: ``statistic="F"`` (R's
        default) refers ``X^2 / tr(Delta)`` to F with ``d0 = tr(Delta)^2 / tr(Delta^2)`` and
        ``d0 * df`` degrees of freedom; ``"Chisq"`` refers ``X^2 / mean eigenvalue`` to
        chi-squared with ``(r-1)(c-1)`` df. Rows missing either column are left out.

        Parameters
        ----------
        row, col : str
            Categorical columns.
        statistic : {"F", "Chisq"}
            Which Rao-Scott statistic.

        Returns
        -------
        pandas.DataFrame
            One row: ``variable`` (``"row x col"``); ``estimate, se, lower_ci, upper_ci,
            level`` NaN (a test estimates nothing); ``method``; ``n`` the rows used; ``df``
            the design df; then ``statistic`` (F, or the Pearson ``X^2`` for ``"Chisq"``, as
            R prints them), ``ndf``, ``ddf`` (NaN for ``"Chisq"``), ``p_value``, ``pearson``
            and ``design_effect`` (mean eigenvalue of ``Delta``).

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"a": list("xxxxyyyy") * 3, "b": list("pqppqqqp") * 3})
        >>> out = SurveyDesign(df).chisq("a", "b")
        >>> out[["variable", "statistic", "ndf", "ddf", "p_value"]].round(4)
          variable  statistic  ndf   ddf  p_value
        0    a x b       5.75  1.0  23.0    0.025
        """
        return survey_chisq(self, row, col, statistic)

    def ttest(self: DomainDesign, variable: str, group: str, level: float = 0.95) -> pd.DataFrame:
        """Design-based t-test of the difference between two groups' means (R ``svyttest``).

        The difference of the weighted means (second value of ``group``, sorted, minus the
        first), its linearised SE over the full design, and t with the residual df of R's
        ``svyglm(y ~ group)``: the design df of the rows used minus 1.

        Parameters
        ----------
        variable : str
            Numeric column.
        group : str
            Column with two values among the rows that answered.
        level : float
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            One row: ``variable, estimate, se, lower_ci, upper_ci, level, method, n, df,
            statistic, p_value, group, group_1, group_2, estimate_1, estimate_2``.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 6, 8], "g": list("aaabbb")})
        >>> SurveyDesign(df).ttest("y", "g")[["group_1", "group_2", "estimate", "df"]]
          group_1 group_2  estimate   df
        0       b       a       4.0  4.0
        """
        return survey_ttest(self, variable, group, level)
