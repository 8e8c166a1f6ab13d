"""Replicate weights on arrays: storage, replicate sums, variance, degrees of freedom.

What this module holds (the array side of
:class:`~lozells_analysis.stats.replicate.ReplicateDesign`):

* :class:`RepWeights`, the replicate weights of a design, either one column per replicate
  for every row (as a data owner publishes them) or *compressed* as R's
  ``as.svrepdesign`` keeps them (one row of multipliers per PSU), with
  :meth:`RepWeights.sums` (weighted sums of every group in every replicate at once) and
  :meth:`RepWeights.ranks`;
* :func:`replicate_variance`, R's ``svrVar``: ``scale * sum_r rscales_r (theta_r - c)^2``
  with ``c`` the full-sample estimate (``mse=True``) or the mean of the replicates;
* :func:`qr_rank`, the rank R's ``degf`` reads off ``qr(weights(design, "analysis"),
  tol=1e-5)`` (LINPACK's test: a column whose part not explained by the columns before it
  is below ``tol`` times its norm does not count);
* :func:`jackknife_factors` and :func:`bootstrap_factors`: the multipliers R's
  ``jk1weights``, ``jknweights`` and ``bootweights`` make, with the same scales and lonely-PSU
  rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import solve_triangular

from lozells_analysis.exceptions import DesignError

__all__ = [
    "REPLICATE_TYPES",
    "RepFactors",
    "RepWeights",
    "bootstrap_factors",
    "jackknife_factors",
    "qr_rank",
    "qrule_math",
    "replicate_covariance",
    "replicate_variance",
]

#: Replicate types of :class:`~lozells_analysis.stats.replicate.ReplicateDesign` (R names).
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap")


@dataclass(frozen=True)
class RepWeights:
    """Replicate weights: the analysis weight of row ``i`` in replicate ``r``.

    That weight is ``factors[unit[i], r]`` times ``pw[i]`` unless ``combined`` (then the
    factors already hold it); without ``unit`` there is one row of factors per data row.

    Attributes
    ----------
    factors : numpy.ndarray
        Multipliers or combined weights, one column per replicate (U x R).
    unit : numpy.ndarray or None
        Row of ``factors`` of each data row (its PSU for a compressed design).
    pw : numpy.ndarray
        The full-sample (sampling) weights.
    combined : bool
        True when ``factors`` already include the sampling weights.
    """

    factors: np.ndarray
    unit: np.ndarray | None
    pw: np.ndarray
    combined: bool

    @property
    def n_replicates(self) -> int:
        """Number of replicates, R."""
        return int(self.factors.shape[1])

    def column(self, r: int) -> np.ndarray:
        """The analysis weights of replicate ``r``, one per row.

        Parameters
        ----------
        r : int
            Replicate (0 .. R-1).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> rw = RepWeights(np.array([[0.0, 2], [2, 0]]), np.array([0, 0, 1]),
        ...                 np.array([1.0, 2, 3]), False)
        >>> rw.column(1).tolist()
        [2.0, 4.0, 0.0]
        """
        f = self.factors[:, r] if self.unit is None else self.factors[self.unit, r]
        return f if self.combined else f * self.pw

    def sums(self, v: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Replicate-weighted sums of ``v`` in every group: ``sum_{g_i = k} a_ir v_i``.

        Parameters
        ----------
        v : numpy.ndarray
            One value per row (finite wherever ``g >= 0``).
        g : numpy.ndarray
            Group (0 .. G-1) of each row; rows with ``g < 0`` are left out.
        n_groups : int
            Number of groups, G.

        Returns
        -------
        numpy.ndarray
            R x G: one row per replicate.

        Examples
        --------
        >>> rw = RepWeights(np.array([[0.0, 2], [2, 0]]), np.array([0, 0, 1]),
        ...                 np.array([1.0, 2, 3]), False)
        >>> rw.sums(np.ones(3), np.array([0, 0, 1]), 2).tolist()
        [[0.0, 6.0], [6.0, 0.0]]
        """
        keep = g >= 0
        gk = g[keep]
        unit, factors, combined = self.unit, self.factors, self.combined
        if unit is None and self.patterns is not None:  # multipliers of the distinct rows
            (unit, factors), combined = self.patterns, False
        vals = v[keep] if combined else (v * self.pw)[keep]
        if unit is not None:
            U = factors.shape[0]
            T = np.bincount(
                unit[keep] * n_groups + gk, weights=vals, minlength=U * n_groups
            ).reshape(U, n_groups)
            return np.asarray(factors.T @ T)
        S = sparse.csr_matrix((vals, (gk, np.flatnonzero(keep))), shape=(n_groups, len(g)))
        return np.asarray((S @ self.factors).T)

    @cached_property
    def patterns(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The distinct rows of multipliers of uncompressed weights, as R's ``compress``.

        A row's replicate weights are its sampling weight times a row of multipliers, and
        a published design has few distinct rows of multipliers (one per PSU for a
        jackknife). Rows with the same multipliers are found by hashing each row (its dot
        product with a fixed random vector, divided by its weight), then checked exactly:
        each row's weights must be its weight times its pattern's multipliers, to the bit
        (otherwise, or with many distinct rows, the weights are used row by row). Only the
        degrees of freedom use them (a rank does not change when rows are scaled by
        positive weights or repeated); the replicate sums use them too (the weights as
        given are the sampling weight times these multipliers, to the last bit or so).

        Returns
        -------
        tuple or None
            Each row's pattern and the distinct rows (U x R); None when the weights are
            compressed already, or have too many distinct rows to be worth it.

        Examples
        --------
        Sixteen rows, two PSUs, unequal weights, combined replicate weights:

        >>> psu = np.repeat([0, 1], 8)
        >>> w = np.linspace(1.0, 2.5, 16)
        >>> combined = np.column_stack([np.where(psu == j, 0.0, 2 * w) for j in (0, 1)])
        >>> unit, rows = RepWeights(combined, None, w, True).patterns
        >>> unit.tolist() == psu.tolist(), rows.tolist()
        (True, [[0.0, 2.0], [2.0, 0.0]])
        """
        if self.unit is not None:
            return None
        n, R = self.factors.shape
        pw = self.pw if self.combined else np.ones(n)
        direction = np.random.default_rng(20240615).standard_normal(R)
        # the multipliers' projection, rounded: rows of one pattern share it
        codes, uniques = pd.factorize(np.round(self.factors @ direction / pw, 8))
        U = len(uniques)
        if U * 8 > n or U > 100_000 or (codes < 0).any():  # mostly distinct: no gain
            return None
        first = np.full(U, n, dtype=np.int64)
        np.minimum.at(first, codes, np.arange(n))
        rows = self.factors[first] / pw[first, None]
        step = 1 << 15
        for start in range(0, n, step):  # a hash is not proof: check every row exactly
            part = slice(start, start + step)
            if not np.array_equal(self.factors[part], rows[codes[part]] * pw[part, None]):
                return None
        return codes.astype(np.int64), rows

    def ranks(self, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Rank of each group's analysis weights (rows x replicates), by :func:`qr_rank`.

        For weights kept per PSU, the rank is that of the multipliers of the PSUs present
        (scaling rows by positive weights does not change a rank); groups with the same PSUs
        share the computation.

        Parameters
        ----------
        g : numpy.ndarray
            Group of each row (rows with ``g < 0`` are left out).
        n_groups : int
            Number of groups, G.

        Returns
        -------
        numpy.ndarray
            G ranks (0 for an empty group).

        Examples
        --------
        >>> rw = RepWeights(np.array([[0.0, 2], [2, 0]]), np.array([0, 1]), np.ones(2), False)
        >>> rw.ranks(np.array([0, 1]), 2).tolist()
        [1, 1]
        """
        out = np.zeros(n_groups, dtype=np.int64)
        keep = g >= 0
        unit, factors = self.unit, self.factors
        if unit is None and self.patterns is not None:
            unit, factors = self.patterns
        if unit is not None:
            U = factors.shape[0]
            key = unit[keep] * n_groups + g[keep]
            present = np.bincount(key, minlength=U * n_groups).reshape(U, n_groups) > 0
            cache: dict[bytes, int] = {}
            for k in range(n_groups):
                pattern = present[:, k].tobytes()
                if pattern not in cache:
                    F = factors[present[:, k]]
                    cache[pattern] = qr_rank(F.T @ F)
                out[k] = cache[pattern]
            return out
        order = np.argsort(g, kind="stable")
        bounds = np.searchsorted(g[order], np.arange(n_groups + 1))
        for k in range(n_groups):
            rows = order[bounds[k] : bounds[k + 1]]
            A = self.factors[rows] if self.combined else self.factors[rows] * self.pw[rows, None]
            out[k] = qr_rank(A.T @ A)
        return out


def qr_rank(gram: np.ndarray, tol: float = 1e-5) -> int:
    """Rank of a matrix from its cross-products, by R's ``qr()`` (LINPACK) test.

    Columns are taken left to right; one counts when the part of it not explained by the
    columns already counted has a norm of at least ``tol`` times its own norm.

    Parameters
    ----------
    gram : numpy.ndarray
        ``A'A`` (k x k).
    tol : float
        R's ``tol`` (``degf`` uses 1e-5).

    Returns
    -------
    int

    Examples
    --------
    >>> A = np.array([[1.0, 2, 3], [1, 2, 0], [1, 2, 1]])
    >>> qr_rank(A.T @ A)
    2
    """
    k = gram.shape[0]
    L = np.zeros((k, k))
    kept: list[int] = []
    for j in range(k):
        gjj = gram[j, j]
        if gjj <= 0:
            continue
        m = len(kept)
        c = np.zeros(0)
        if m:
            c = solve_triangular(L[:m, :m], gram[kept, j], lower=True)
        resid = gjj - float(c @ c)
        if resid >= tol * tol * gjj:
            L[m, :m] = c
            L[m, m] = np.sqrt(resid)
            kept.append(j)
    return len(kept)


def replicate_variance(
    thetas: np.ndarray, coef: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """R's ``svrVar`` for each column: ``scale * sum_r rscales_r (theta_r - c)^2``.

    ``c`` is the full-sample estimate when ``mse`` is true, otherwise the mean of the
    replicates with ``rscales > 0``. Replicates whose estimate is not finite (a replicate
    that leaves a group empty) are dropped for that column, as R's ``na.omit`` does.

    Parameters
    ----------
    thetas : numpy.ndarray
        Replicate estimates, R x G.
    coef : numpy.ndarray
        Full-sample estimates (G).
    scale : float
        Overall scale.
    rscales : numpy.ndarray
        Scale of each replicate (R).
    mse : bool
        Centre at the full-sample estimate.

    Returns
    -------
    numpy.ndarray
        The variance of each column (NaN where every replicate was dropped).

    Examples
    --------
    >>> th = np.array([[1.0], [3.0]])
    >>> replicate_variance(th, np.array([1.5]), 0.5, np.ones(2), mse=False).tolist()
    [1.0]
    >>> replicate_variance(th, np.array([1.5]), 0.5, np.ones(2), mse=True).tolist()
    [1.25]
    """
    ok = np.isfinite(thetas)
    rs = rscales[:, None] * ok
    t0 = np.where(ok, thetas, 0.0)
    if mse:
        centre = np.asarray(coef, dtype=float)
    else:
        use = ok & (rscales[:, None] > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(use, t0, 0.0).sum(axis=0) / use.sum(axis=0)
    dev = np.where(ok, t0 - centre, 0.0)
    v = scale * (rs * dev * dev).sum(axis=0)
    return np.where(ok.any(axis=0), v, np.nan)


@dataclass(frozen=True)
class RepFactors:
    """Multipliers of a replicate design made from a design: one row per PSU.

    Attributes
    ----------
    factors : numpy.ndarray
        P x R multipliers of the sampling weights.
    scale : float
        Overall scale.
    rscales : numpy.ndarray
        Scale of each replicate.
    """

    factors: np.ndarray
    scale: float
    rscales: np.ndarray


def _jk1_factors(P: int, fpc: np.ndarray, stratified: bool) -> RepFactors:
    """R's ``jk1weights``: one replicate per PSU dropped, scale ``(1 - f)(P - 1)/P``."""
    if stratified:
        raise DesignError(
            "type='JK1' cannot be used for a stratified design (R's as.svrepdesign "
            "refuses it too): use type='JKn', or 'bootstrap'."
        )
    if P < 2 or fpc[0] == 0:
        raise DesignError("JK1 needs at least two PSUs and a sample that is not a census.")
    F = np.full((P, P), P / (P - 1))
    np.fill_diagonal(F, 0.0)
    return RepFactors(F, float(fpc[0] * (P - 1) / P), np.ones(P))


def jackknife_factors(
    psu_stratum: np.ndarray, fpc: np.ndarray, lonely_psu: str, stratified: bool, kind: str
) -> RepFactors:
    """Jackknife multipliers as R's ``jk1weights`` / ``jknweights`` (``as.svrepdesign``).

    JKn: for each PSU ``j`` of a stratum ``h`` with ``n_h`` PSUs, one replicate with the PSU
    dropped (multiplier 0) and the rest of its stratum weighted up by ``n_h / (n_h - 1)``;
    ``rscales = (1 - f_h)(n_h - 1)/n_h``. A stratum with one PSU follows ``lonely_psu``:
    ``"adjust"`` makes one replicate dropping it and weighting every other PSU by
    ``H/(H - 1)``; ``"remove"``, ``"certainty"`` and ``"average"`` make none (``"average"``
    scales the variance by PSUs / replicates). JK1 (no strata): one replicate per PSU, scale
    ``(1 - f)(P - 1)/P``. A stratum sampled in full (``1 - f_h = 0``) makes no replicate.

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum of each PSU (P).
    fpc : numpy.ndarray
        ``1 - f_h`` per stratum.
    lonely_psu : str
        The design's lonely-PSU rule.
    stratified : bool
        Whether the design has strata.
    kind : {"JK1", "JKn"}
        Jackknife type.

    Returns
    -------
    RepFactors

    Examples
    --------
    >>> jackknife_factors(np.array([0, 0]), np.ones(1), "fail", True, "JKn").factors.tolist()
    [[0.0, 2.0], [2.0, 0.0]]
    """
    P = len(psu_stratum)
    if kind == "JK1":
        return _jk1_factors(P, fpc, stratified)
    if not stratified:
        raise DesignError(
            "type='JKn' needs a stratified design (R: 'Must use JK1 or bootstrap for an "
            "unstratified design'); use type='JK1' or 'bootstrap'."
        )
    H = int(psu_stratum.max()) + 1
    n_h = np.bincount(psu_stratum, minlength=H)
    cols: list[np.ndarray] = []
    rscales: list[float] = []
    for h in range(H):
        members = np.flatnonzero(psu_stratum == h)
        if n_h[h] == 1:
            if lonely_psu == "fail":
                raise DesignError(
                    f"Stratum {h} has only one PSU, so a jackknife replicate cannot be made; "
                    "build the design with lonely_psu='adjust', 'remove', 'certainty' or "
                    "'average' (as R's options(survey.lonely.psu=))."
                )
            if lonely_psu == "adjust":
                col = np.where(psu_stratum == h, 0.0, H / (H - 1))
                cols.append(col)
                rscales.append((H - 1) / H)
            continue
        if fpc[h] == 0:
            continue  # a census stratum: R drops its replicates
        for j in members:
            col = np.ones(P)
            col[members] = n_h[h] / (n_h[h] - 1)
            col[j] = 0.0
            cols.append(col)
            rscales.append(float(fpc[h] * (n_h[h] - 1) / n_h[h]))
    if not cols:
        raise DesignError("Every stratum was sampled in full: there is no sampling variance.")
    scale = 1.0
    if len(cols) < P and lonely_psu == "average":
        scale = P / len(cols)
    return RepFactors(np.column_stack(cols), scale, np.asarray(rscales))


def bootstrap_factors(
    psu_stratum: np.ndarray,
    popsize: np.ndarray | None,
    replicates: int,
    rng: np.random.Generator,
) -> RepFactors:
    """Rescaled-bootstrap multipliers as R's ``bootweights`` (Canty and Davison).

    In each stratum and replicate, ``n_h`` PSUs are drawn with replacement (without an fpc)
    or, with a population of ``N_h`` PSUs, without replacement from the ``n_h`` PSUs each
    repeated to length ``N_h``; a PSU's multiplier is the number of times it was drawn. The
    scale is ``m / ((m - 1)(R - 1))`` with ``m`` the harmonic mean of PSUs per stratum.
    The random numbers are numpy's, so the replicates are not R's draws.

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum of each PSU (P).
    popsize : numpy.ndarray or None
        Population PSUs per stratum, or None without an fpc.
    replicates : int
        Number of replicates, R.
    rng : numpy.random.Generator
        Source of the draws.

    Returns
    -------
    RepFactors

    Examples
    --------
    >>> f = bootstrap_factors(np.array([0, 0, 0]), None, 4, np.random.default_rng(1))
    >>> f.factors.sum(axis=0).tolist(), round(f.scale, 4)
    ([3.0, 3.0, 3.0, 3.0], 0.5)
    """
    H = int(psu_stratum.max()) + 1
    F = np.zeros((len(psu_stratum), replicates))
    n_h = np.bincount(psu_stratum, minlength=H)
    for h in range(H):
        members = rng.permutation(np.flatnonzero(psu_stratum == h))
        n = len(members)
        if popsize is None:
            draws = rng.integers(0, n, size=(replicates, n))
            counts = np.stack([np.bincount(d, minlength=n) for d in draws], axis=1)
        else:
            N = int(popsize[h])
            copies = np.full(n, N // n)
            copies[: N % n] += 1
            counts = np.stack(
                [rng.multivariate_hypergeometric(copies, n) for _ in range(replicates)], axis=1
            )
        F[members] = counts
    m = 1.0 / np.mean(1.0 / n_h[n_h > 0])
    if m <= 1 or replicates < 2:
        raise DesignError(
            "The bootstrap needs at least two PSUs per stratum on average and two replicates."
        )
    return RepFactors(F, float(m / ((m - 1) * (replicates - 1))), np.ones(replicates))


def replicate_covariance(
    thetas: np.ndarray, coef: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """R's ``svrVar`` for several estimates at once: their covariance matrix.

    Replicates with any estimate not finite are dropped (R's ``na.omit`` on the matrix).

    Parameters
    ----------
    thetas : numpy.ndarray
        Replicate estimates, R x k.
    coef : numpy.ndarray
        Full-sample estimates (k).
    scale : float
        Overall scale.
    rscales : numpy.ndarray
        Scale of each replicate.
    mse : bool
        Centre at the full-sample estimate (else at the mean of the replicates).

    Returns
    -------
    numpy.ndarray
        k x k.

    Examples
    --------
    >>> th = np.array([[1.0, 0.0], [3.0, 2.0]])
    >>> replicate_covariance(th, np.array([2.0, 1.0]), 0.5, np.ones(2), mse=True).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    ok = np.isfinite(thetas).all(axis=1)
    if not ok.any():
        raise DesignError("Every replicate estimate is missing: there is no variance estimate.")
    th, rs = thetas[ok], rscales[ok]
    centre = coef if mse else th[rs > 0].mean(axis=0)
    dev = (th - centre) * np.sqrt(rs)[:, None]
    return np.asarray(scale * dev.T @ dev)


def qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Weighted quantile by R's ``qrule_math`` (``svyquantile``'s default rule).

    The smallest value whose weighted cumulative share is at least ``p`` (the lower of two
    values when the share is exactly ``p``). Sums are accumulated in extended precision, as R
    does, so that exact ties at ``p`` are decided the same way.

    Parameters
    ----------
    x, w : numpy.ndarray
        Values and weights (rows with weight 0 are ignored).
    p : float
        Probability in [0, 1].

    Returns
    -------
    float

    Examples
    --------
    >>> qrule_math(np.array([3.0, 1, 2, 4]), np.ones(4), 0.5)
    2.0
    >>> qrule_math(np.array([3.0, 1, 2, 4]), np.ones(4), 0.6)
    3.0
    """
    keep = w != 0
    x, w = x[keep], w[keep]
    if len(x) == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(float)
    total = float(np.cumsum(w.astype(np.longdouble))[-1])
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if len(below) else 0
    nxt = pos if pos == len(xs) - 1 else pos + 1
    return float(xs[pos] if p - cumw[pos] / total == 0 else xs[nxt])
