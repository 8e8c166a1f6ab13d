"""The variance of a calibrated design: influence values replaced by calibration residuals.

A post-stratified, raked or calibrated design estimates with its new weights, but its
variance is not that of a re-weighted sample: the calibration removes the part of each
estimate's influence values that the calibration variables explain. R's ``svyrecvar``
does this before the stratified variance, one stored step at a time (``design$postStrata``);
this module holds the same steps and applies them the same way:

* :class:`PostStratumStep` (``postStratify``): ``x - w * (sum of x * w0/w) / (sum of w0)``
  within each post-stratum (``w0``, ``w`` the weights before and after);
* :class:`RakingStep` (``rake``): ten sweeps over the margins of
  ``x - w_m * mean(x / w_m)`` within each level of margin ``m`` (``w_m`` the weights after
  that margin in the last raking pass), R's approximation of the raking projection;
* :class:`GregStep` (``calibrate``): ``qr.resid(qr(X sqrt(w0)), x / (g sqrt(w0))) * g sqrt(w0)``,
  the residual of a weighted regression on the calibration model matrix ``X``.

:class:`Calibration` chains the steps and gives the variance of domain estimates from their
residuals; :mod:`~lozells_analysis.stats.calibrated` puts it into a design.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lozells_analysis.stats.variance import PsuLayout, variance_by_group

__all__ = ["Calibration", "GregStep", "PostStratumStep", "RakingStep", "Step"]


def _rowsum(codes: np.ndarray, n_levels: int, X: np.ndarray) -> np.ndarray:
    """Sums of each column of ``X`` within each level (levels x columns)."""
    return np.stack(
        [np.bincount(codes, weights=X[:, j], minlength=n_levels) for j in range(X.shape[1])],
        axis=1,
    )


class Step(Protocol):
    """One calibration step: maps influence values (n x k) to their residuals."""

    @property
    def label(self) -> str:
        """What the step was (for the design's ``repr``)."""
        ...

    def apply(self, X: np.ndarray) -> np.ndarray:
        """The residuals of ``X`` (n x k)."""
        ...


@dataclass(frozen=True)
class PostStratumStep:
    """Post-stratification (R's ``postStratify``): residuals from post-stratum means.

    Attributes
    ----------
    codes : numpy.ndarray
        Post-stratum (0 .. L-1) of each row.
    n_levels : int
        Number of post-strata, L.
    weights, oldweights : numpy.ndarray
        Weights after and before the post-stratification.
    label : str
        What the step was (for the design's ``repr``).

    Examples
    --------
    >>> step = PostStratumStep(np.array([0, 0, 1]), 2, np.array([2.0, 2, 3]), np.ones(3))
    >>> step.apply(np.array([[1.0], [3.0], [5.0]])).ravel().tolist()
    [-1.0, 1.0, 0.0]
    """

    codes: np.ndarray
    n_levels: int
    weights: np.ndarray
    oldweights: np.ndarray
    label: str = "poststratify"

    def apply(self, X: np.ndarray) -> np.ndarray:
        """``x - w * (sum_s x w0 / w) / (sum_s w0)`` within each post-stratum ``s``.

        Parameters
        ----------
        X : numpy.ndarray
            Influence values, n x k.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> step = PostStratumStep(np.zeros(2, int), 1, np.ones(2), np.ones(2))
        >>> step.apply(np.array([[1.0], [3.0]])).ravel().tolist()
        [-1.0, 1.0]
        """
        sums = _rowsum(self.codes, self.n_levels, X * (self.oldweights / self.weights)[:, None])
        denom = np.bincount(self.codes, weights=self.oldweights, minlength=self.n_levels)
        return X - (sums / denom[:, None])[self.codes] * self.weights[:, None]


@dataclass(frozen=True)
class RakingStep:
    """Raking (R's ``rake``): ten sweeps of post-stratum centring over the margins.

    Attributes
    ----------
    margins : tuple
        Per margin: ``(codes, n_levels, weights)`` with the weights after that margin's
        post-stratification in the last raking pass.
    label : str
        What the step was.

    Examples
    --------
    >>> m = (np.array([0, 0, 1, 1]), 2, np.ones(4))
    >>> RakingStep((m,)).apply(np.array([[1.0], [3.0], [2.0], [2.0]])).ravel().tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """

    margins: tuple[tuple[np.ndarray, int, np.ndarray], ...]
    label: str = "rake"

    def apply(self, X: np.ndarray) -> np.ndarray:
        """``x - w_m * mean(x / w_m)`` within each level of each margin, ten times over.

        Parameters
        ----------
        X : numpy.ndarray
            Influence values, n x k.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> step = RakingStep(((np.zeros(2, int), 1, np.ones(2)),))
        >>> step.apply(np.array([[1.0], [3.0]])).ravel().tolist()
        [-1.0, 1.0]
        """
        for _ in range(10):
            for codes, n_levels, w in self.margins:
                counts = np.bincount(codes, minlength=n_levels).astype(float)
                ave = _rowsum(codes, n_levels, X / w[:, None]) / counts[:, None]
                X = X - w[:, None] * ave[codes]
        return X


@dataclass(frozen=True)
class GregStep:
    """Calibration (R's ``calibrate``): residuals of a weighted regression on the model.

    Attributes
    ----------
    basis : numpy.ndarray
        Orthonormal basis (n x r) of the columns of ``X sqrt(w0)``, ``X`` the calibration
        model matrix and ``w0`` the weights before calibration.
    w : numpy.ndarray
        ``g sqrt(w0)``, with ``g`` the calibration factors.
    label : str
        What the step was.

    Examples
    --------
    >>> q = np.ones((2, 1)) / np.sqrt(2)
    >>> GregStep(q, np.ones(2)).apply(np.array([[1.0], [3.0]])).ravel().round(12).tolist()
    [-1.0, 1.0]
    """

    basis: np.ndarray
    w: np.ndarray
    label: str = "calibrate"

    def apply(self, X: np.ndarray) -> np.ndarray:
        """``qr.resid(basis, x / w) * w``.

        Parameters
        ----------
        X : numpy.ndarray
            Influence values, n x k.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> step = GregStep(np.array([[1.0], [0.0]]), np.ones(2))
        >>> step.apply(np.array([[1.0], [3.0]])).ravel().tolist()
        [0.0, 3.0]
        """
        U = X / self.w[:, None]
        return (U - self.basis @ (self.basis.T @ U)) * self.w[:, None]


@dataclass(frozen=True)
class Calibration:
    """The calibration steps of a design, applied in order (R's ``design$postStrata``).

    Attributes
    ----------
    steps : tuple
        :class:`PostStratumStep`, :class:`RakingStep` and :class:`GregStep` objects.

    Examples
    --------
    >>> cal = Calibration((PostStratumStep(np.zeros(2, int), 1, np.ones(2), np.ones(2)),))
    >>> cal.residuals(np.array([[1.0], [3.0]])).ravel().tolist()
    [-1.0, 1.0]
    """

    steps: tuple[Step, ...] = ()

    def residuals(self, X: np.ndarray) -> np.ndarray:
        """Influence values (n x k) with every calibration step applied.

        Parameters
        ----------
        X : numpy.ndarray
            Influence values.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> Calibration().residuals(np.ones((2, 1))).ravel().tolist()
        [1.0, 1.0]
        """
        for step in self.steps:
            X = step.apply(X)
        return X

    def group_variance(
        self,
        layout: PsuLayout,
        z: np.ndarray,
        g: np.ndarray,
        n_groups: int,
        present: np.ndarray | None = None,
    ) -> np.ndarray:
        """Variance of each group's estimate from its calibration residuals.

        Each group's influence values (``z`` in the group, 0 elsewhere) are a column; the
        residuals are not 0 outside the group, so the groups are taken a block of columns at
        a time.

        Parameters
        ----------
        layout : PsuLayout
            The design.
        z : numpy.ndarray
            Each row's influence value for its group (0 outside every group).
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
        >>> from lozells_analysis.stats.variance import PsuLayout
        >>> s = np.zeros(4, dtype=int)
        >>> lay = PsuLayout(s, np.arange(4), s, np.array([4.0]), np.array([4 / 3]), "fail", True)
        >>> z, g = np.array([1.0, -1, 1, -1]), np.zeros(4, dtype=int)
        >>> Calibration().group_variance(lay, z, g, 1).round(4).tolist()
        [5.3333]
        """
        n = len(z)
        zero = np.zeros(n, dtype=np.int64)
        out = np.zeros(n_groups)
        block = max(1, min(n_groups, 4_000_000 // max(n, 1)))
        rows = np.arange(n)
        for start in range(0, n_groups, block):
            k = min(block, n_groups - start)
            X = np.zeros((n, k))
            inside = (g >= start) & (g < start + k) & (z != 0)
            X[rows[inside], g[inside] - start] = z[inside]
            R = self.residuals(X)
            for j in range(k):
                sub = None if present is None else present & (g == start + j)
                out[start + j] = variance_by_group(layout, R[:, j], zero, 1, sub)[0]
        return out
