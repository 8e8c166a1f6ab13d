"""Calibrated designs: a :class:`SurveyDesign` whose variance uses calibration residuals.

:func:`calibrated_design` makes the calibrated copy of a design (what ``poststratify``,
``rake`` and ``calibrate`` return): an instance of a subclass of the design's class with
:class:`CalibratedDesignMixin` first, which overrides the one variance hook,
``variance_by_group`` (the influence values' calibration residuals, from the
:class:`~lozells_analysis.stats.calibration.Calibration`, before the design variance), and
``glm`` (whose coefficients' influence values need the same residuals). Every other
estimator (``mean``, ``proportion``, ``total``, ``ratio``, ``quantile`` and the comparisons)
computes its variance through ``variance_by_group``, so one path gives every calibrated
standard error. Tests it cannot yet calibrate (``chisq``, ``ttest``) raise
:class:`DesignError`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError
from lozells_analysis.stats.calibration import Calibration, Step
from lozells_analysis.stats.repglm import calibrated_glm
from lozells_analysis.stats.variance import PsuLayout

__all__ = ["CalibratedDesignMixin", "calibrated_design"]


_NOT_CALIBRATED = (
    "{} does not use the calibration residuals yet, so on a calibrated design its test "
    "would ignore the calibration; run it on the design before calibrating, or use glm()."
)


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


class CalibratedDesignMixin:
    """What a calibrated design changes: its variance uses the calibration residuals.

    Placed before :class:`~lozells_analysis.stats.design.SurveyDesign` in the calibrated
    design's class (:func:`calibrated_design`), it overrides the design's variance hooks.
    """

    calibration: Calibration

    if TYPE_CHECKING:  # provided by SurveyDesign
        layout: PsuLayout
        w: np.ndarray

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
