"""The seed every synthetic data set starts from, so a build is reproducible."""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_SEED"]

#: The default seed of the synthetic survey and qualitative data (the first survey year).
DEFAULT_SEED = 2016


def _rng(seed: int | None) -> np.random.Generator:
    """A generator seeded with ``seed``, or :data:`DEFAULT_SEED` when it is None."""
    return np.random.default_rng(DEFAULT_SEED if seed is None else seed)
