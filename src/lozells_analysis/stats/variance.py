"""Taylor-linearisation variance of survey estimates, as pure functions on arrays.

What this module holds:

* :class:`PsuLayout`, where every row sits in the design (stratum, PSU) and the per-stratum
  factor ``(1 - f_h) n_h / (n_h - 1)`` of the variance;
* :func:`nest_psus` (clusters nested in strata, R's ``nest=TRUE``) and
  :func:`stratum_scale`; the columns are read into a layout by
  :mod:`~lozells_analysis.stats.stages` (finite population corrections, later stages);
* lonely-PSU handling (a stratum with one PSU): :func:`check_lonely_psus` and
  :func:`combine_strata`, with the rules of R's ``options(survey.lonely.psu=)``;
* the variances themselves: :func:`variance_by_group` (many domain estimates at once),
  :func:`vcov_matrix` (covariance of several estimates, e.g. GLM coefficients) and
  :func:`domain_df` (design degrees of freedom of each domain).

A multistage design (R's ``svydesign(id=~psu+ssu, fpc=~N1+N2)``) keeps one layout per later
stage in :attr:`PsuLayout.stages`: stage ``s`` treats the units of stage ``s - 1`` as its
strata and its own units as PSUs, with the sampling fractions of the stages above folded
into its ``scale``; the variance is the sum over stages (R's ``multistage``).

Domains and the lonely-PSU rule ``"average"``: R computes a domain's variance on the design
subset to the domain's rows, so "the other strata" it averages over are the strata with at
least one row in the domain. ``present`` (the rows in the domain's subset) carries that.

The formulas are those of R's ``survey`` package and are written down in
``docs/statistics.md``; :class:`lozells_analysis.stats.design.SurveyDesign` builds the layout
and calls these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.columns import as_python

__all__ = [
    "LONELY_PSU",
    "PsuLayout",
    "check_lonely_psus",
    "combine_strata",
    "domain_df",
    "nest_psus",
    "stratum_scale",
    "variance_by_group",
    "vcov_matrix",
]

#: Lonely-PSU rules, as R's ``options(survey.lonely.psu=)``.
LONELY_PSU = ("fail", "adjust", "remove", "certainty", "average")


@dataclass(frozen=True)
class PsuLayout:
    """Where each row sits in the design, and the per-stratum variance factor.

    Attributes
    ----------
    stratum : numpy.ndarray
        Stratum code (0 .. H-1) of each row.
    psu : numpy.ndarray
        PSU code (0 .. P-1) of each row; PSUs are nested in strata.
    psu_stratum : numpy.ndarray
        Stratum code of each PSU (length P).
    n_psu_h : numpy.ndarray
        Number of PSUs in each stratum, as floats (length H).
    scale : numpy.ndarray
        ``(1 - f_h) n_h / (n_h - 1)`` per stratum; ``1 - f_h`` for a stratum with one PSU;
        exactly 0 for a certainty stratum (``f_h = 1``). At a later stage, multiplied by the
        sampling fractions of the stages above.
    lonely_psu : str
        The lonely-PSU rule, one of :data:`LONELY_PSU`.
    psu_is_row : bool
        True when every row is its own PSU (no ``cluster``): the PSU totals are the rows.
    stages : tuple of PsuLayout
        The later stages of a multistage design (empty for one stage): ``stratum`` is then
        the unit of the stage above and ``psu`` the unit of this stage.
    """

    stratum: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu_h: np.ndarray
    scale: np.ndarray
    lonely_psu: str
    psu_is_row: bool
    stages: tuple[PsuLayout, ...] = ()

    @property
    def n_rows(self) -> int:
        """Number of rows (respondents)."""
        return len(self.stratum)

    @property
    def n_strata(self) -> int:
        """Number of strata, H."""
        return len(self.n_psu_h)

    @property
    def n_psu_total(self) -> int:
        """Number of PSUs, P."""
        return len(self.psu_stratum)

    @property
    def lonely_mask(self) -> np.ndarray:
        """True for each stratum with a single PSU that is not a certainty PSU."""
        return (self.n_psu_h == 1) & (self.scale > 0)


def nest_psus(
    stratum: np.ndarray, cluster: np.ndarray, n_clusters: int
) -> tuple[np.ndarray, np.ndarray]:
    """PSU code of each row and stratum of each PSU, with clusters nested in strata.

    A PSU is a (stratum, cluster) pair (R's ``nest=TRUE``): the same cluster id in two strata
    is two PSUs.

    Parameters
    ----------
    stratum, cluster : numpy.ndarray
        Stratum and cluster codes of each row (non-negative integers).
    n_clusters : int
        Number of distinct cluster codes.

    Returns
    -------
    psu, psu_stratum : numpy.ndarray
        PSU code per row (0 .. P-1, in sorted (stratum, cluster) order) and the stratum code
        of each PSU.

    Examples
    --------
    >>> psu, psu_stratum = nest_psus(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 0]), 2)
    >>> psu.tolist(), psu_stratum.tolist()
    ([0, 1, 2, 2], [0, 0, 1])
    """
    pair = stratum * n_clusters + cluster
    psu, uniq = pd.factorize(pair, sort=True)
    return psu.astype(np.int64), (np.asarray(uniq) // n_clusters).astype(np.int64)


def stratum_scale(fpc: np.ndarray, n_psu_h: np.ndarray) -> np.ndarray:
    """Per-stratum variance factor ``(1 - f_h) n_h / (n_h - 1)``; ``1 - f_h`` when ``n_h = 1``.

    Parameters
    ----------
    fpc : numpy.ndarray
        ``1 - f_h`` per stratum (:func:`fpc_factor`).
    n_psu_h : numpy.ndarray
        PSUs per stratum.

    Returns
    -------
    numpy.ndarray
        The factor of each stratum.

    Examples
    --------
    >>> stratum_scale(np.array([1.0, 0.5]), np.array([3, 1])).tolist()
    [1.5, 0.5]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_psu_h > 1, fpc * n_psu_h / (n_psu_h - 1), fpc)


def check_lonely_psus(
    n_psu_h: np.ndarray, strata_labels: pd.Index, rule: str, strata_name: str | None
) -> list:
    """Labels of the strata with a single PSU; raise if the rule is ``"fail"`` and any exist.

    Parameters
    ----------
    n_psu_h : numpy.ndarray
        PSUs per stratum.
    strata_labels : pandas.Index
        Stratum labels.
    rule : str
        Lonely-PSU rule, one of :data:`LONELY_PSU`.
    strata_name : str or None
        The strata column, for the message.

    Returns
    -------
    list
        Labels of the lonely strata (empty when there are none).

    Examples
    --------
    >>> check_lonely_psus(np.array([2, 1]), pd.Index(["a", "b"]), "adjust", "s")
    ['b']
    """
    if rule not in LONELY_PSU:
        raise ParameterError(f"lonely_psu={rule!r} is not one of {', '.join(LONELY_PSU)}.")
    lonely = [strata_labels[i] for i in np.flatnonzero(n_psu_h == 1)]
    if lonely and rule == "fail":
        names = ", ".join(repr(as_python(x)) for x in lonely[:10])
        raise DesignError(
            f"Stratum {names} of {strata_name!r} has only one PSU, so its variance cannot be "
            "estimated. Merge it with a similar stratum, or build the design with "
            "lonely_psu='adjust' (centre it at the grand mean, as R's "
            "options(survey.lonely.psu='adjust')) or lonely_psu='remove'."
        )
    return lonely


def combine_strata(
    per_stratum: np.ndarray,
    lonely_mask: np.ndarray,
    rule: str,
    present: np.ndarray | None = None,
) -> np.ndarray:
    """Sum per-stratum variance contributions (H x ...) applying the lonely-PSU rule.

    ``"remove"`` and ``"certainty"`` drop the lonely strata's contributions; ``"average"``
    replaces them by the average of the other strata present (R: the sum over the strata
    that are not lonely times ``present / present and not lonely``, NaN when every stratum
    present is lonely); ``"adjust"`` keeps them as computed (centred at 0, the grand mean of
    the influence values).

    Parameters
    ----------
    per_stratum : numpy.ndarray
        Contribution of each stratum (first axis: strata).
    lonely_mask : numpy.ndarray
        True for each stratum with a single PSU.
    rule : str
        Lonely-PSU rule.
    present : numpy.ndarray, optional
        Whether each stratum has a row in the (domain's) subset, shaped as ``per_stratum``
        or as its first axis; default every stratum. Only ``"average"`` uses it.

    Returns
    -------
    numpy.ndarray
        The sum over strata.

    Examples
    --------
    >>> lonely = np.array([False, False, True])
    >>> float(combine_strata(np.array([1.0, 2.0, 9.0]), lonely, "average"))
    4.5
    >>> float(combine_strata(np.array([1.0, 0.0, 9.0]), lonely, "average",
    ...                      np.array([True, False, True])))
    2.0
    """
    if rule in ("remove", "certainty") or (rule == "average" and lonely_mask.any()):
        ok = ~lonely_mask
        if rule == "average" and not ok.any():
            raise DesignError("Every stratum has one PSU: 'average' has nothing to average.")
        shape = (-1,) + (1,) * (per_stratum.ndim - 1)
        ok_b = ok.reshape(shape)
        total = np.where(ok_b, per_stratum, 0.0).sum(axis=0)
        if rule != "average":
            return total
        pres = np.ones(len(ok), bool) if present is None else np.asarray(present, bool)
        if pres.ndim == 1:
            pres = pres.reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total * pres.sum(axis=0) / (pres & ok_b).sum(axis=0)
    return per_stratum.sum(axis=0)


def _stratum_sums(
    layout: PsuLayout, z: np.ndarray, g: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per (stratum, group): sum and sum of squares of the PSU totals of ``z``."""
    H, G = layout.n_strata, n_groups
    if layout.psu_is_row:
        key = layout.stratum * G + g
        S = np.bincount(key, weights=z, minlength=H * G).reshape(H, G)
        SS = np.bincount(key, weights=z * z, minlength=H * G).reshape(H, G)
        return S, SS
    P = layout.n_psu_total
    key = layout.psu * G + g
    if P * G <= 4 * layout.n_rows + 1_000_000:
        T = np.bincount(key, weights=z, minlength=P * G)
        A = np.bincount(key, weights=np.abs(z), minlength=P * G)
        key2 = (layout.psu_stratum[:, None] * G + np.arange(G)[None, :]).ravel()
    else:
        uniq, inv = np.unique(key, return_inverse=True)
        T = np.bincount(inv, weights=z)
        A = np.bincount(inv, weights=np.abs(z))
        key2 = layout.psu_stratum[uniq // G] * G + uniq % G
    # a PSU holding a whole domain has total exactly 0; drop the rounding residue
    T = np.where(np.abs(T) <= 1e-12 * A, 0.0, T)
    S = np.bincount(key2, weights=T, minlength=H * G).reshape(H, G)
    SS = np.bincount(key2, weights=T * T, minlength=H * G).reshape(H, G)
    return S, SS


def _stage_variance(
    layout: PsuLayout, z: np.ndarray, g: np.ndarray, G: int, present: np.ndarray | None
) -> np.ndarray:
    """One stage's variance of G domain estimates (see :func:`variance_by_group`)."""
    S, SS = _stratum_sums(layout, z, g, G)
    n_h = layout.n_psu_h[:, None]
    centred = SS - np.where(n_h > 1, S * S / n_h, 0.0)  # lonely PSU: centred at 0
    # PSU totals that are all equal give 0; do not let rounding (SS - S^2/n) leave 1e-34
    centred = np.where(centred <= 1e-13 * SS, 0.0, centred)
    per_stratum = layout.scale[:, None] * centred
    pres = None
    if present is not None and layout.lonely_psu == "average" and layout.lonely_mask.any():
        H = layout.n_strata
        key = layout.stratum[present] * G + g[present]
        pres = np.bincount(key, minlength=H * G).reshape(H, G) > 0
    return combine_strata(per_stratum, layout.lonely_mask, layout.lonely_psu, pres)


def variance_by_group(
    layout: PsuLayout,
    z: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    present: np.ndarray | None = None,
) -> np.ndarray:
    """Linearised variance of G domain estimates at once.

    Parameters
    ----------
    layout : PsuLayout
        The design.
    z : numpy.ndarray
        Each row's influence value for the one group it belongs to, 0 outside every domain.
    g : numpy.ndarray
        Group code (0 .. G-1) of each row; rows outside every domain may have any code as
        long as their ``z`` is 0.
    n_groups : int
        Number of groups, G.
    present : numpy.ndarray of bool, optional
        The rows in each group's subset of the design (R's ``svyby`` and ``na.rm``: the
        rows of the group that answered). Only the lonely-PSU rule ``"average"`` uses it:
        it averages over the strata present in the group. Default: every row, for every
        group (the whole design, as R's ``svyby(..., covmat=TRUE)`` covariances).

    Returns
    -------
    numpy.ndarray
        The variance of each group's estimate (length G):
        ``sum_h scale_h * sum_i (z_hi - zbar_h)**2`` over PSU totals ``z_hi``, with the
        lonely-PSU rule applied, plus the same over the units of each later stage.

    Examples
    --------
    >>> s = np.array([0, 0, 0, 0])
    >>> lay = PsuLayout(s, np.arange(4), s, np.array([4.0]), np.array([4 / 3]), "fail", True)
    >>> variance_by_group(lay, np.array([1.0, -1.0, 1.0, -1.0]), np.zeros(4, int), 1).round(4)
    array([5.3333])
    """
    var = _stage_variance(layout, z, g, n_groups, present)
    for stage in layout.stages:
        var = var + _stage_variance(stage, z, g, n_groups, None)
    return var


def _stage_vcov(layout: PsuLayout, Z: np.ndarray, present: np.ndarray | None) -> np.ndarray:
    """One stage's covariance matrix of the estimates with influence matrix ``Z``."""
    k = Z.shape[1]
    H = layout.n_strata
    if layout.psu_is_row:
        T, strat = Z, layout.stratum
    else:
        P = layout.n_psu_total
        T = np.column_stack(
            [np.bincount(layout.psu, weights=Z[:, j], minlength=P) for j in range(k)]
        ).reshape(P, k)
        strat = layout.psu_stratum
    S = np.column_stack(
        [np.bincount(strat, weights=T[:, j], minlength=H) for j in range(k)]
    ).reshape(H, k)
    n_h = layout.n_psu_h
    mean = np.where(n_h[:, None] > 1, S / np.maximum(n_h, 1)[:, None], 0.0)
    D = T - mean[strat]
    keep = layout.scale.copy()
    lonely = layout.lonely_mask
    factor = 1.0
    if layout.lonely_psu in ("remove", "certainty", "average"):
        keep[lonely] = 0.0
    if layout.lonely_psu == "average" and lonely.any():
        pres = np.ones(H, bool)
        if present is not None:
            pres = np.bincount(layout.stratum[present], minlength=H) > 0
        n_ok = int((pres & ~lonely).sum())
        if n_ok == 0:
            return np.full((k, k), np.nan)
        factor = pres.sum() / n_ok
    return factor * ((D * keep[strat][:, None]).T @ D)


def vcov_matrix(layout: PsuLayout, Z: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Linearised covariance matrix of k estimates with influence matrix ``Z`` (n x k).

    Parameters
    ----------
    layout : PsuLayout
        The design.
    Z : numpy.ndarray
        Influence values, one row per respondent and one column per estimate.
    present : numpy.ndarray of bool, optional
        The rows of the (sub)design the estimates use (e.g. a GLM's rows); only the
        lonely-PSU rule ``"average"`` uses it (see :func:`variance_by_group`).

    Returns
    -------
    numpy.ndarray
        The k x k covariance matrix, with the lonely-PSU rule applied, summed over stages.

    Examples
    --------
    >>> s = np.array([0, 0, 0, 0])
    >>> lay = PsuLayout(s, np.arange(4), s, np.array([4.0]), np.array([4 / 3]), "fail", True)
    >>> vcov_matrix(lay, np.array([[1.0, 1], [-1, 0], [1, -1], [-1, 0]])).round(4)
    array([[5.3333, 0.    ],
           [0.    , 2.6667]])
    """
    if layout.lonely_psu == "average" and not (~layout.lonely_mask).any():
        raise DesignError("Every stratum has one PSU: 'average' has nothing to average.")
    out = _stage_vcov(layout, Z, present)
    for stage in layout.stages:
        out = out + _stage_vcov(stage, Z, None)
    return out


def domain_df(layout: PsuLayout, g: np.ndarray, n_groups: int) -> np.ndarray:
    """Design degrees of freedom of each domain: PSUs with a row in it minus strata with one.

    Parameters
    ----------
    layout : PsuLayout
        The design.
    g : numpy.ndarray
        Group code (0 .. G-1) of each row, -1 for rows in no group.
    n_groups : int
        Number of groups, G.

    Returns
    -------
    numpy.ndarray
        The degrees of freedom of each group, as floats (length G).

    Examples
    --------
    >>> s = np.array([0, 0, 1, 1])
    >>> lay = PsuLayout(s, np.arange(4), s, np.array([2.0, 2]), np.array([2.0, 2]), "fail", True)
    >>> domain_df(lay, np.array([0, 0, 0, -1]), 1).tolist()
    [1.0]
    """
    G = n_groups
    H = layout.n_strata
    inside = g >= 0
    gg = g[inside]
    strata_present = (
        np.bincount(layout.stratum[inside] * G + gg, minlength=H * G).reshape(H, G) > 0
    ).sum(axis=0)
    if layout.psu_is_row:
        psus_present = np.bincount(gg, minlength=G)
    else:
        P = layout.n_psu_total
        key = layout.psu[inside] * G + gg
        if P * G <= 4 * layout.n_rows + 1_000_000:
            psus_present = (np.bincount(key, minlength=P * G).reshape(P, G) > 0).sum(axis=0)
        else:
            psus_present = np.bincount(np.unique(key) % G, minlength=G)
    return (psus_present - strata_present).astype(float)
