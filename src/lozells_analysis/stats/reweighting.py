"""Methods of :class:`~lozells_analysis.stats.design.SurveyDesign` that make a new design.

:class:`DesignReweighting` is a mixin of ``SurveyDesign``: :meth:`~DesignReweighting.to_replicate`
(R's ``as.svrepdesign``: JK1, JKn or bootstrap replicate weights, a
:class:`~lozells_analysis.stats.replicate.ReplicateDesign`), and
:meth:`~DesignReweighting.poststratify`, :meth:`~DesignReweighting.rake` and
:meth:`~DesignReweighting.calibrate` (R's ``postStratify``, ``rake`` and ``calibrate``: a
calibrated copy of the design whose standard errors use the calibration residuals). The
work is in :mod:`~lozells_analysis.stats.repweights` and
:mod:`~lozells_analysis.stats.calibrate`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError
from lozells_analysis.stats import calibrate as _cal
from lozells_analysis.stats.calibrated import CalibratedDesignMixin
from lozells_analysis.stats.replicate import ReplicateDesign
from lozells_analysis.stats.repweights import bootstrap_factors, jackknife_factors
from lozells_analysis.stats.variance import PsuLayout

__all__ = ["DesignReweighting"]


class DesignReweighting:
    """Replicate weights and calibration for a :class:`SurveyDesign` (a mixin).

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> df = pd.DataFrame({"sex": list("FFMM"), "y": [1.0, 2, 3, 5]})
    >>> SurveyDesign(df).poststratify("sex", {"F": 30, "M": 70}).mean("y")["estimate"]
    0    3.25
    Name: estimate, dtype: float64
    """

    if TYPE_CHECKING:  # provided by SurveyDesign
        data: pd.DataFrame
        w: np.ndarray
        layout: PsuLayout
        strata_col: str | None
        fpc_spec: Any
        fpc_factor: np.ndarray
        lonely_psu: str
        n_stages: int

    def to_replicate(
        self,
        type: str = "JKn",
        replicates: int = 50,
        mse: bool = True,
        seed: int | np.random.Generator | None = None,
    ) -> ReplicateDesign:
        """Replicate weights for this design (R's ``as.svrepdesign``).

        ``"JKn"`` (stratified designs) drops each PSU in turn and weights up the rest of its
        stratum, ``rscales = (1 - f_h)(n_h - 1)/n_h``; ``"JK1"`` (unstratified designs)
        drops each PSU, ``scale = (1 - f)(P - 1)/P``; ``"bootstrap"`` is the rescaled
        bootstrap of R's ``bootweights`` (with the fpc, drawn without replacement from the
        population). Lonely PSUs follow the design's ``lonely_psu`` as R's ``jknweights``
        does. Only the first stage's PSUs and fpc are used (R drops later stages' fpcs with a
        warning, as this does). The weights are kept per PSU, as R's compressed weights.

        Parameters
        ----------
        type : {"JKn", "JK1", "bootstrap"}
            Replicate method.
        replicates : int
            Number of bootstrap replicates (the jackknives make one per PSU).
        mse : bool
            Centre the replicates at the full-sample estimate (default; R's default is
            ``mse=FALSE``).
        seed : int or numpy.random.Generator, optional
            Random numbers for the bootstrap (numpy's: the draws are not R's).

        Returns
        -------
        ReplicateDesign

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3], "s": list("aabb")})
        >>> rep = SurveyDesign(df, strata="s").to_replicate("JKn")
        >>> rep
        ReplicateDesign(n=4, type='JKn', replicates=4, df=2, mse=True)
        >>> rep.total("y")[["estimate", "se"]].round(4)  # a total: the linearised SE, sqrt(2)
           estimate      se
        0      10.0  1.4142
        """
        if isinstance(self, CalibratedDesignMixin):
            raise DesignError(
                "to_replicate of a calibrated design would drop the calibration from the "
                "replicates (R's as.svrepdesign does not recalibrate them); make the replicate "
                "design from the uncalibrated design."
            )
        lay = self.layout
        stratified = self.strata_col is not None
        if self.fpc_spec is not None and getattr(self, "n_stages", 1) > 1:
            warnings.warn(
                "Finite population corrections after the first stage are dropped.", stacklevel=2
            )
        if type in ("JK1", "JKn"):
            f = jackknife_factors(
                lay.psu_stratum, self.fpc_factor, self.lonely_psu, stratified, type
            )
        elif type == "bootstrap":
            popsize = None
            if self.fpc_spec is not None:
                with np.errstate(divide="ignore"):
                    popsize = np.round(lay.n_psu_h / (1 - self.fpc_factor))
            f = bootstrap_factors(
                lay.psu_stratum, popsize, replicates, np.random.default_rng(seed)
            )
        else:
            raise DesignError(
                f"to_replicate(type={type!r}) is not available: use 'JKn' (stratified), 'JK1' "
                "(unstratified) or 'bootstrap'. BRR and Fay weights need a design with two "
                "PSUs per stratum and a Hadamard matrix; pass published ones to ReplicateDesign."
            )
        return ReplicateDesign.from_multipliers(self.data, self.w, lay.psu, f, type, mse)

    def poststratify(self, column: str | Sequence[str], totals: Any, partial: bool = False) -> Any:
        """Post-stratify to population counts (R's ``postStratify``).

        Each post-stratum's weights are scaled to its population count; standard errors use
        the residuals from post-stratum means, as R's. Calibrations accumulate: a
        post-stratified design can be raked or calibrated again.

        Parameters
        ----------
        column : str or list of str
            Post-stratum column(s) (several are crossed); no missing values.
        totals : dict, pandas.Series or pandas.DataFrame
            Population count of each level: ``{"F": 5210, "M": 4990}``, a Series indexed by
            level, or a frame of the column(s) and a count column.
        partial : bool
            Ignore levels with a count but no respondent (else :class:`DesignError`).

        Returns
        -------
        SurveyDesign
            A calibrated copy of the design.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFFM"), "y": [1.0, 2, 3, 5]})
        >>> p = SurveyDesign(df).poststratify("sex", {"F": 50, "M": 50})
        >>> p.w.round(3).tolist(), float(p.mean("y")["estimate"].iloc[0])
        ([16.667, 16.667, 16.667, 50.0], 3.5)
        """
        return _cal.poststratify(self, column, totals, partial)

    def rake(
        self,
        margins: Mapping[str | tuple[str, ...], Any],
        maxit: int = 10,
        epsilon: float = 1.0,
    ) -> Any:
        """Rake to population margins (R's ``rake``), e.g. census age and sex counts.

        Iterative post-stratification to each margin in turn, stopping by R's rule (no
        cross-classified weighted count moves by ``epsilon``); standard errors use R's
        raking residuals.

        Parameters
        ----------
        margins : dict
            ``{column: totals}``; totals as :meth:`poststratify`.
        maxit : int
            Most passes (a warning if not converged).
        epsilon : float
            Tolerance on weighted counts (a fraction of the total weight when < 1).

        Returns
        -------
        SurveyDesign
            A calibrated copy of the design.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> df = pd.DataFrame({"sex": list("FFMM"), "age": list("yoyo"), "y": [1.0, 2, 3, 4]})
        >>> r = SurveyDesign(df).rake({"sex": {"F": 60, "M": 40}, "age": {"y": 30, "o": 70}})
        >>> r.w.round(2).tolist()
        [18.0, 42.0, 12.0, 28.0]
        """
        return _cal.rake(self, margins, maxit, epsilon)

    def calibrate(
        self,
        formula: str,
        population: Any,
        calfun: str = "linear",
        bounds: tuple[float, float] | None = None,
        maxit: int = 50,
        epsilon: float = 1e-7,
        force: bool = False,
    ) -> Any:
        """Calibrate to population totals of a model's columns (R's ``calibrate``).

        ``calfun="linear"`` (GREG), ``"raking"`` or ``"logit"`` (needs ``bounds``), with
        optional bounds on the weight ratio ``g``; standard errors use the residuals of the
        weighted regression on the model, as R's.

        Parameters
        ----------
        formula : str
            Calibration model, e.g. ``"~ agegroup + sex"``.
        population : dict, pandas.Series or sequence
            Total of each model column, by patsy name (``Intercept``, ``sex[T.M]``) or R name
            (``(Intercept)``, ``sexM``), or in column order.
        calfun : {"linear", "raking", "logit"}
            Calibration function.
        bounds : (float, float), optional
            Bounds on ``g``.
        maxit : int
            Most iterations.
        epsilon : float
            Tolerance on the relative misfit of the totals.
        force : bool
            Keep the weights of a calibration that did not converge.

        Returns
        -------
        SurveyDesign
            A calibrated copy of the design.

        Examples
        --------
        >>> from lozells_analysis.stats.design import SurveyDesign
        >>> d = SurveyDesign(pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [2.0, 3, 5, 6]}))
        >>> c = d.calibrate("~ x", {"Intercept": 8, "x": 24})
        >>> round(float(c.total("y")["estimate"].iloc[0]), 6)
        37.6
        """
        return _cal.calibrate(self, formula, population, calfun, bounds, maxit, epsilon, force)
