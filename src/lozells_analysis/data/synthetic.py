"""A synthetic Local Conversations survey, calibrated to the published figures.

The respondent-level survey is private, so the project ships a synthetic data set with the
same columns and codes (``data/codebook.yaml``). It is generated, not sampled from real
answers, and is marked synthetic everywhere it goes: the Parquet schema metadata,
``metadata.json`` beside it, and ``DataFrame.attrs["synthetic"]``.

How it is made
--------------
Each respondent gets two correlated latent traits, *connectedness* and *efficacy*, built from
a neighbourhood effect, a modest upward trend over waves, involvement in the Local
Conversation (attending, volunteering or sitting on the steering group all raise both), and
subgroup differences (age, disability, tenure). Each component of collective control adds a
factor of its own, and each item adds noise, so items within a component correlate more
strongly than items across components. An item's answer is its latent value cut at weighted
quantiles chosen so that the pooled weighted distribution of valid answers equals the
target distribution below: that is the calibration to the published Local Conversations
figures (82%, 76%, 46%, 74%, 73%, 81%). Item non-response, "don't know" and "refused" are
then laid over the answers.

Examples
--------
>>> from lozells_analysis.data.synthetic import generate
>>> survey = generate(n=500, seed=1)
>>> survey.attrs["synthetic"], len(survey), survey["neighbourhood"].nunique()
(True, 500, 13)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.qualitative import load_coding_frame
from lozells_analysis.data.refiqda import write_qdpx
from lozells_analysis.data.synthetic_qualitative import (
    PLANTED_NAMES,
    generate_listening_events,
    generate_stakeholder_interviews,
)
from lozells_analysis.data.synthetic_seed import DEFAULT_SEED, _rng
from lozells_analysis.paths import REDACTION_LIST, project_root, synthetic_dir

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SEED",
    "PLANTED_NAMES",
    "TARGETS",
    "generate",
    "generate_listening_events",
    "generate_stakeholder_interviews",
    "write_synthetic",
]

DEFAULT_N = 2852


def _version() -> str:
    """The library's version, from its installed metadata (importing ``__version__`` from
    the package itself would make an import cycle: the package's front door imports this)."""
    try:
        return metadata.version("lozells_analysis")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


# Target pooled, weighted distribution of the valid answers of each categorical item, in
# code order. Rows marked "published" reproduce a Local Conversations headline figure
# (tests/reference/published_figures.csv): the sum over the indicator's codes.
TARGETS: dict[str, list[float]] = {
    "change_area_run": [0.38, 0.44, 0.08, 0.06, 0.04],  # published: 82% agree
    "pull_together": [0.32, 0.44, 0.10, 0.09, 0.05],  # published: 76% agree
    "chat_neighbours": [0.46, 0.28, 0.12, 0.07, 0.07],  # published: 46% most days, 74% weekly
    "trust_people": [0.30, 0.43, 0.20, 0.07],  # published: 73% many or some
    "belong_neighbourhood": [0.38, 0.43, 0.13, 0.06],  # published: 81% very or fairly
    "making_new_connections": [0.54, 0.40, 0.03, 0.02, 0.01],  # Active Communities: 94%
    "different_backgrounds_get_on": [0.28, 0.45, 0.12, 0.10, 0.05],
    "lonely": [0.09, 0.18, 0.22, 0.24, 0.27],
    "know_how_to_get_involved": [0.22, 0.40, 0.15, 0.15, 0.08],
    "skills_to_make_change": [0.18, 0.38, 0.18, 0.17, 0.09],
    "understand_local_decisions": [0.12, 0.33, 0.20, 0.22, 0.13],
    "access_to_resources": [0.14, 0.36, 0.20, 0.19, 0.11],
    "local_facilities_meet_needs": [0.20, 0.38, 0.14, 0.17, 0.11],
    "managing_financially": [0.12, 0.26, 0.34, 0.17, 0.11],
    "influence_decisions": [0.12, 0.30, 0.18, 0.24, 0.16],
    "services_listen": [0.10, 0.32, 0.20, 0.22, 0.16],
    "confident_to_speak_up": [0.25, 0.40, 0.13, 0.14, 0.08],
    "confident_to_take_action": [0.22, 0.40, 0.15, 0.15, 0.08],
    "can_make_a_difference": [0.28, 0.42, 0.13, 0.11, 0.06],
    "formal_volunteering": [0.16, 0.14, 0.15, 0.55],
}

# Which latent trait drives each item (the item's component, or the nearest trait).
_TRAIT = {
    "chat_neighbours": "social_connectedness",
    "belong_neighbourhood": "social_connectedness",
    "trust_people": "social_connectedness",
    "pull_together": "social_connectedness",
    "different_backgrounds_get_on": "social_connectedness",
    "lonely": "social_connectedness",
    "making_new_connections": "social_connectedness",
    "formal_volunteering": "confidence",
}

# Ethnic-group mix (codes 1..5 of the ONS 2021 high-level groups) by neighbourhood type.
_ETHNIC_MIX = {
    "Lozells": [0.52, 0.26, 0.07, 0.09, 0.06],
    "Govanhill": [0.33, 0.06, 0.03, 0.52, 0.06],
    "Anfield": [0.04, 0.05, 0.04, 0.84, 0.03],
    "_default": [0.04, 0.03, 0.03, 0.88, 0.02],
}

_MISSING = {"nonresponse": 0.025, "dont_know": 0.03, "refused": 0.006}


def _weighted_cuts(latent: np.ndarray, w: np.ndarray, shares: list[float]) -> np.ndarray:
    """Cut points so that the weighted share above each cut matches the cumulative targets.

    Returns ``len(shares) - 1`` thresholds, highest first: category 1 (the most positive)
    lies above the first threshold.
    """
    order = np.argsort(-latent, kind="stable")
    cw = np.cumsum(w[order])
    cw /= cw[-1]
    cum = np.cumsum(shares)[:-1] / np.sum(shares)
    idx = np.searchsorted(cw, cum, side="left")
    idx = np.clip(idx, 0, len(order) - 1)
    return latent[order][idx]


def _ordinal(
    latent: np.ndarray, w: np.ndarray, shares: list[float], best_first: bool
) -> np.ndarray:
    """Cut a latent score into categories 1..K with weighted shares ``shares`` (code order)."""
    k = len(shares)
    in_positive_order = shares if best_first else shares[::-1]
    cuts = _weighted_cuts(latent, w, in_positive_order)
    # number of cuts strictly above the value: 0 -> most positive category
    cat = (latent[:, None] < cuts[None, :]).sum(axis=1) + 1
    return cat if best_first else (k + 1 - cat)


def _choice(
    rng: np.random.Generator, n: int, probs: ArrayLike, codes: ArrayLike | None = None
) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    p = p / p.sum()
    idx = np.searchsorted(np.cumsum(p), rng.random(n), side="right")
    idx = np.minimum(idx, len(p) - 1)
    return idx + 1 if codes is None else np.asarray(codes)[idx]


def generate(
    n: int = DEFAULT_N, seed: int | None = DEFAULT_SEED, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Generate a synthetic survey of ``n`` respondents, deterministic for a seed.

    Parameters
    ----------
    n
        Number of respondents (the real evaluation had 2,852).
    seed
        Seed for numpy's random generator; the same seed gives the same frame.
    codebook
        The codebook to follow (default: ``data/codebook.yaml``).

    Returns
    -------
    pandas.DataFrame
        One row per respondent: the design columns, then every item as its integer code
        (categorical items, nullable ``Int8``; don't know 8 and refused 9 kept as codes) or
        its score (0-10 items, float with NaN when not answered). ``attrs["synthetic"]`` is
        True.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    cb = codebook or load_codebook()
    rng = _rng(seed)
    nbhd = list(cb.neighbourhoods.values())
    n_nb = len(nbhd)
    waves = sorted(cb.waves)

    # --- sample structure -------------------------------------------------------------------
    size = rng.uniform(0.75, 1.25, n_nb)
    nb_idx = _choice(rng, n, size) - 1
    wave_share = np.array([0.15, 0.16, 0.17, 0.17, 0.17, 0.18])[: len(waves)]
    wave = np.asarray(waves)[_choice(rng, n, wave_share) - 1]
    nb_names = np.array([x.name for x in nbhd])
    nations = np.array([x.nation for x in nbhd])

    # --- demographics -----------------------------------------------------------------------
    age = _choice(rng, n, [0.13, 0.18, 0.18, 0.17, 0.14, 0.11, 0.09])
    gender = _choice(rng, n, [0.55, 0.438, 0.006, 0.006], [1, 2, 3, 9])
    ethnic = np.empty(n, dtype=np.int8)
    for j, nb in enumerate(nbhd):
        rows = nb_idx == j
        mix = _ETHNIC_MIX.get(nb.name, _ETHNIC_MIX["_default"])
        ethnic[rows] = _choice(rng, int(rows.sum()), mix)
    ethnic[rng.random(n) < 0.01] = 9
    p_dis = 0.12 + 0.045 * (age - 1)
    disability = np.where(rng.random(n) < p_dis, 1, 2)
    tenure = _choice(rng, n, [0.14, 0.13, 0.44, 0.26, 0.03])
    years_area = _choice(rng, n, [0.07, 0.25, 0.20, 0.48])

    # --- survey weights: population / achieved sample per neighbourhood and wave, then a
    # non-response adjustment (younger residents answer less, so count for more) ------------
    pop = np.array([x.population for x in nbhd], dtype=float)
    cell = nb_idx * len(waves) + (np.searchsorted(waves, wave))
    cell_n = np.bincount(cell, minlength=n_nb * len(waves)).astype(float)
    base = pop[nb_idx] / np.maximum(cell_n[cell], 1)
    age_adj = np.array([1.45, 1.25, 1.05, 0.95, 0.9, 0.85, 0.8])[age - 1]
    weight = base * age_adj * rng.lognormal(0.0, 0.15, n)
    weight = np.clip(weight, np.quantile(weight, 0.01), np.quantile(weight, 0.99))
    weight = weight / weight.mean()

    # --- involvement in the Local Conversation grows over the programme ---------------------
    t = (wave - 1) / max(len(waves) - 1, 1)
    p_attend = 0.18 + 0.10 * t
    p_vol = 0.07 + 0.05 * t
    p_steer = 0.035 + 0.02 * t
    u = rng.random(n)
    involvement = np.where(
        u < p_steer,
        4,
        np.where(u < p_steer + p_vol, 3, np.where(u < p_steer + p_vol + p_attend, 2, 1)),
    )
    years_max = np.ceil((wave + 1) / 2).astype(int)  # the programme was 1-4 years old
    years_involved = np.where(involvement > 1, rng.integers(1, years_max + 1), 0).astype(float)

    # --- latent traits ----------------------------------------------------------------------
    involve_eff = np.array([0.0, 0.35, 0.7, 1.0])[involvement - 1]
    nb_conn = rng.normal(0, 0.3, n_nb)[nb_idx]
    nb_eff = rng.normal(0, 0.3, n_nb)[nb_idx]
    trend = 0.05 * (wave - 1)
    older = (age >= 5).astype(float)
    disabled = (disability == 1).astype(float)
    social_rent = (tenure == 3).astype(float)
    long_resident = (years_area == 4).astype(float)
    shared = rng.standard_normal(n)
    conn = (
        nb_conn
        + trend
        + 0.8 * involve_eff
        + 0.2 * older
        + 0.25 * long_resident
        - 0.15 * disabled
        + 0.6 * shared
        + 0.8 * rng.standard_normal(n)
    )
    eff = (
        nb_eff
        + trend
        + involve_eff
        - 0.25 * disabled
        - 0.1 * social_rent
        + 0.1 * (ethnic == 1)
        + 0.6 * shared
        + 0.8 * rng.standard_normal(n)
    )
    traits = {"social_connectedness": conn}
    for comp in ("knowledge_skills", "money_resources", "influence", "confidence"):
        traits[comp] = eff + 0.5 * rng.standard_normal(n)
    traits["money_resources"] = traits["money_resources"] - 0.3 * social_rent

    cols: dict[str, object] = {
        "respondent_id": pd.array([f"LC{i:07d}" for i in range(1, n + 1)], dtype="string"),
        "neighbourhood": pd.Categorical(nb_names[nb_idx], categories=list(nb_names)),
        "nation": pd.Categorical(nations[nb_idx], categories=list(cb.nations)),
        "wave": wave.astype("int64"),
    }
    starts = np.array([cb.waves[w].start.value for w in waves], dtype="int64")
    ends = np.array([cb.waves[w].end.value for w in waves], dtype="int64")
    wi = np.searchsorted(waves, wave)
    day = 86_400 * 10**9
    span_days = (ends[wi] - starts[wi]) // day
    date_ns = starts[wi] + (rng.random(n) * (span_days + 1)).astype("int64") * day
    cols["interview_date"] = pd.to_datetime(date_ns).astype("datetime64[ns]")
    cols["weight"] = weight

    items: dict[str, np.ndarray] = {}
    for item_id, shares in TARGETS.items():
        item = cb.item(item_id)
        trait = traits[_TRAIT.get(item_id, item.component or "social_connectedness")]
        latent = 0.8 * trait + 0.6 * rng.standard_normal(n)
        if item_id == "formal_volunteering":
            latent = latent + 1.2 * involve_eff
        if item_id == "lonely":
            latent = latent - 0.4 * disabled - 0.3 * older * (age >= 7)
        asked = involvement > 1 if item_id == "making_new_connections" else np.ones(n, bool)
        codes = np.zeros(n, dtype=np.int8)
        best_first = item.reverse
        codes[asked] = _ordinal(latent[asked], weight[asked], shares, best_first)
        items[item_id] = _lay_missing(rng, codes, asked, item.scale.missing)

    # ONS4 wellbeing (0-10): connectedness and efficacy lift it, disability lowers it.
    well = 0.45 * conn + 0.2 * eff - 0.7 * disabled + 0.9 * rng.standard_normal(n)
    scores = {
        "life_satisfaction": 6.9 + 0.9 * well + 1.1 * rng.standard_normal(n),
        "worthwhile": 7.2 + 0.8 * well + 1.1 * rng.standard_normal(n),
        "happiness": 6.9 + 0.9 * well + 1.5 * rng.standard_normal(n),
        "anxiety": 3.4 - 0.8 * well + 2.2 * rng.standard_normal(n),
    }
    for sid, s in scores.items():
        val = np.clip(np.rint(s), 0, 10) + 0.0  # + 0.0 turns -0.0 into 0.0
        drop = rng.random(n) < (_MISSING["nonresponse"] + _MISSING["dont_know"])
        val[drop] = np.nan
        items[sid] = val

    items["lc_involvement"] = involvement.astype(np.int8)
    items["lc_years_involved"] = years_involved
    for name, vals in (
        ("age_band", age),
        ("gender", gender),
        ("ethnic_group", ethnic),
        ("disability", disability),
        ("tenure", tenure),
        ("years_in_area", years_area),
    ):
        items[name] = vals.astype(np.int8)
    items["age_band"] = np.where(rng.random(n) < 0.008, 9, items["age_band"]).astype(np.int8)

    # Column order follows the codebook.
    for item_id, item in cb.items.items():
        vals = items[item_id]
        if item.numeric:
            cols[item_id] = vals.astype("float64")
        else:
            arr = pd.array(vals, dtype="Int8")
            arr[vals == 0] = pd.NA
            cols[item_id] = arr
    frame = pd.DataFrame(cols)
    frame.attrs["synthetic"] = True
    frame.attrs["source"] = f"synthetic (lozells_analysis {_version()}, seed {seed}, n {n})"
    return frame


def _lay_missing(
    rng: np.random.Generator, codes: np.ndarray, asked: np.ndarray, missing: tuple[int, ...]
) -> np.ndarray:
    """Blank some answers (item non-response, code 0 here) and mark don't know / refused.

    The calibration targets hold among the valid answers, because the answers marked
    missing are chosen independently of the answer.
    """
    n = len(codes)
    u = rng.random(n)
    out = codes.copy()
    out[~asked] = 0
    dk, refused = (missing + (None, None))[:2]
    p_nr, p_dk, p_ref = _MISSING["nonresponse"], _MISSING["dont_know"], _MISSING["refused"]
    out[asked & (u < p_nr)] = 0
    if dk is not None:
        out[asked & (u >= p_nr) & (u < p_nr + p_dk)] = dk
    if refused is not None:
        out[asked & (u >= p_nr + p_dk) & (u < p_nr + p_dk + p_ref)] = refused
    return out


SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA: generated by lozells_analysis.data.synthetic to match the published "
    "Local Conversations figures. No row describes a real person."
)


def _redaction_list() -> str:
    """The synthetic data's redaction list: the names planted in its quotes, one a line."""
    header = (
        "# Redaction list of the synthetic data: the made-up names planted in its quotes.\n"
        "# One name per line; '#' starts a comment. Written by lozells_analysis.data.synthetic;\n"
        "# the report scan looks for these names (and data/raw/redaction_list.txt's).\n"
    )
    return header + "".join(f"{name}\n" for name in PLANTED_NAMES)


def write_synthetic(
    out_dir: str | Path | None = None, n: int = DEFAULT_N, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Generate the synthetic survey and qualitative data and write them to ``out_dir``.

    Writes ``survey.parquet`` (with ``lozells.synthetic`` in its schema metadata),
    ``survey.csv``, ``listening_events.csv``, ``stakeholder_interviews.csv``, the same
    excerpts as REFI-QDA projects (``listening_events.qdpx``, ``stakeholder_interviews.qdpx``),
    ``redaction_list.txt`` (the :data:`PLANTED_NAMES`, which the report scan reads: see
    :func:`lozells_analysis.stats.disclosure.load_redaction_list`) and ``metadata.json``.
    Files are written to a temporary name and renamed, so a reader never
    sees half a file. Returns the paths written, by name.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir) if out_dir is not None else synthetic_dir()
    out.mkdir(parents=True, exist_ok=True)
    survey = generate(n=n, seed=seed)
    listening = generate_listening_events(seed=seed)
    interviews = generate_stakeholder_interviews(seed=seed)
    paths = {
        "survey": out / "survey.parquet",
        "survey_csv": out / "survey.csv",
        "listening_events": out / "listening_events.csv",
        "stakeholder_interviews": out / "stakeholder_interviews.csv",
        "listening_events_qdpx": out / "listening_events.qdpx",
        "stakeholder_interviews_qdpx": out / "stakeholder_interviews.qdpx",
        "redaction_list": out / REDACTION_LIST,
        "metadata": out / "metadata.json",
    }

    def _atomic(path: Path, write: Callable[[Path], object]) -> None:
        # a name of its own: kernels generating the data at once never share a temporary file
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            write(tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    meta = {
        "synthetic": True,
        "notice": SYNTHETIC_NOTICE,
        "generator": f"lozells_analysis.data.synthetic {_version()}",
        "seed": seed,
        "n": n,
        "codebook_version": load_codebook().version,
        "files": {k: p.name for k, p in paths.items() if k != "metadata"},
    }
    table = pa.Table.from_pandas(survey, preserve_index=False)
    table = table.replace_schema_metadata(
        {
            **(table.schema.metadata or {}),
            b"lozells.synthetic": b"true",
            b"lozells.notice": SYNTHETIC_NOTICE.encode(),
        }
    )
    _atomic(paths["survey"], lambda p: pq.write_table(table, p))
    _atomic(paths["survey_csv"], lambda p: survey.to_csv(p, index=False))
    _atomic(paths["listening_events"], lambda p: listening.to_csv(p, index=False))
    _atomic(paths["stakeholder_interviews"], lambda p: interviews.to_csv(p, index=False))
    frame = load_coding_frame()
    _atomic(
        paths["listening_events_qdpx"],
        lambda p: write_qdpx(listening, frame, p, name="listening_events"),
    )
    _atomic(
        paths["stakeholder_interviews_qdpx"],
        lambda p: write_qdpx(interviews, frame, p, name="stakeholder_interviews"),
    )
    _atomic(paths["redaction_list"], lambda p: p.write_text(_redaction_list(), encoding="utf-8"))
    _atomic(paths["metadata"], lambda p: p.write_text(json.dumps(meta, indent=2) + "\n"))
    log.info("wrote synthetic data (%d respondents) to %s", n, out)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m lozells_analysis.data.synthetic``: write the synthetic data set."""
    doc = cast(str, write_synthetic.__doc__)  # the function has a docstring
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder (default data/synthetic)")
    parser.add_argument("-n", type=int, default=DEFAULT_N, help="respondents")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    paths = write_synthetic(args.out, n=args.n, seed=args.seed)
    for p in paths.values():
        print(p.relative_to(project_root()) if p.is_relative_to(project_root()) else p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
