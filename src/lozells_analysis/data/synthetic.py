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
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lozells_analysis import __version__
from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.paths import project_root, synthetic_dir

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

DEFAULT_SEED = 2016
DEFAULT_N = 2852

# Target pooled, weighted distribution of the valid answers of each categorical item, in
# code order. Rows marked "published" reproduce a Local Conversations headline figure
# (../shared/reference/published_figures.csv): the sum over the indicator's codes.
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


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(DEFAULT_SEED if seed is None else seed)


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
    frame.attrs["source"] = f"synthetic (lozells_analysis {__version__}, seed {seed}, n {n})"
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


# --- synthetic qualitative data --------------------------------------------------------------

#: Made-up names planted in some excerpts, so that redaction can be shown and tested.
PLANTED_NAMES = (
    "Amira Khatun",
    "Delroy Campbell",
    "Shazia Begum",
    "Winston Clarke",
    "Margaret Doyle",
    "Tariq Mahmood",
    "Grace Okafor",
    "Dr Halloran",
)

_WARDS = {
    "West Birmingham": ["Lozells", "Handsworth", "Aston", "Soho and Jewellery Quarter"],
    "East Birmingham": ["Bordesley Green", "Alum Rock", "Hodge Hill", "Ward End"],
}
_GROUPS = [
    "Older people",
    "Carers",
    "Young people",
    "South Asian women",
    "Black Caribbean elders",
    "Refugees and people seeking asylum",
    "Disabled people",
    "Parents of young children",
]
_BARRIER_TEXT = {
    "gp_appointment": [
        "You ring at eight and by ten past all the appointments have gone.",
        "I gave up trying to see a doctor and went to A&E instead.",
        "They tell you to call back tomorrow, every day, for a week.",
    ],
    "digital_exclusion": [
        "Everything is an app now and I don't have a smartphone.",
        "My mum can't fill in the online form, so I have to take time off work.",
        "The surgery only lets you book on the website.",
    ],
    "language_interpreting": [
        "There was no interpreter, so my son had to explain my symptoms.",
        "The letters only come in English and I can't read them.",
        "They booked a phone interpreter but it never connected.",
    ],
    "transport_cost": [
        "The hospital is two buses away and the fares add up.",
        "Parking at the hospital costs more than I spend on food in a day.",
        "I missed the appointment because the bus didn't come.",
    ],
    "awareness_of_services": [
        "Nobody told us the pharmacy could help with that.",
        "I didn't know there was a free health check for my age.",
        "We only found out about the clinic from a neighbour.",
    ],
    "waiting_times": [
        "Eighteen months on the waiting list and still no date.",
        "We waited six hours in the corridor with my dad.",
        "By the time the referral came through it was too late.",
    ],
    "discrimination_cultural": [
        "The receptionist spoke to me like I was stupid because of my accent.",
        "They didn't understand why I wanted a female doctor.",
        "I felt judged the moment I walked in.",
    ],
    "trust": [
        "After what happened to my brother I don't trust them.",
        "People round here would rather ask the community centre than the surgery.",
        "They say they'll call back and they never do, so why would you trust them?",
    ],
    "continuity_of_care": [
        "It's a different locum every time and I have to start my story again.",
        "Nobody knows my history, so nothing joins up.",
        "My notes never seem to follow me between the hospital and the GP.",
    ],
    "not_listened_to": [
        "I knew something was wrong but they sent me home twice.",
        "They talk over you and don't let you finish.",
        "You feel rushed out of the room before you've said what you came to say.",
    ],
}
_THEME_TEXT = {
    "connected": [
        "I know people on my road now; before the project I knew nobody.",
        "The coffee morning means there's always someone to call.",
        "We set up a group chat for the whole street.",
    ],
    "welcomed": [
        "The first time I came in someone made me a cup of tea and showed me round.",
        "New families tell us they felt welcome from day one.",
        "Nobody asks why you're there, you're just part of it.",
    ],
    "belonging": [
        "This feels like my place now, not just where I live.",
        "The young people say they're proud to be from Firs and Bromford.",
        "People stay longer in the area because they feel part of something.",
    ],
    "celebrated": [
        "We had a festival where every culture on the estate cooked.",
        "Residents' photos went up in the library and people loved it.",
        "Local people were thanked in public for what they'd done.",
    ],
    "supported": [
        "When my benefits stopped the team helped me sort it out.",
        "They pointed me to the food bank without making me feel ashamed.",
        "Volunteers check in on the older residents every week.",
    ],
}
_STAKEHOLDERS = [
    "Resident volunteer",
    "Community group lead",
    "Council officer",
    "Health professional",
    "Faith leader",
    "Youth worker",
]


def _pii_clause(rng: np.random.Generator) -> str:
    """A clause carrying made-up personal data: a name, phone, email or postcode."""
    name = PLANTED_NAMES[int(rng.integers(len(PLANTED_NAMES)))]
    first = name.split()[-1] if name.startswith("Dr ") else name.split()[0]
    kind = int(rng.integers(5))
    number = int(rng.integers(100000, 999999))
    if kind == 0:
        return f"My name is {name}, you can ring me on 07700 {number}."
    if kind == 1:
        return f"Email me at {first.lower()}.{number}@example.org if you want to know more."
    if kind == 2:
        return (
            f"I live on the estate, B{int(rng.integers(6, 34))} {int(rng.integers(1, 9))}"
            f"{'ABDEFGHJLNPQRSTUWXYZ'[int(rng.integers(20))]}"
            f"{'ABDEFGHJLNPQRSTUWXYZ'[int(rng.integers(20))]}, near the park."
        )
    if kind == 3:
        return (
            f"Ask {name} at the centre, she'll tell you the same, or ring "
            f"0121 496 {number % 10000:04d}."
        )
    return f"{name} said it happened to her as well."


def generate_listening_events(
    n_excerpts: int = 420, seed: int | None = DEFAULT_SEED
) -> pd.DataFrame:
    """Synthetic coded excerpts from listening events on barriers to and within NHS services.

    Columns: ``excerpt_id``, ``event_id``, ``event``, ``event_date``, ``area`` (East or West
    Birmingham), ``ward``, ``participant_group``, ``codes`` (semicolon-separated barrier
    codes from ``data/qualitative_codes.yaml``), ``text``. About one excerpt in seven
    carries a made-up name, phone number, email or postcode (see :data:`PLANTED_NAMES`).
    """
    rng = _rng(None if seed is None else seed + 1)
    codes = list(_BARRIER_TEXT)
    # code popularity differs by area and participant group
    base = np.array([0.17, 0.12, 0.10, 0.08, 0.07, 0.14, 0.08, 0.08, 0.07, 0.09])
    events: list[dict[str, Any]] = []
    for area, wards in _WARDS.items():
        for k, ward in enumerate(wards):
            events.append(
                {
                    "event_id": f"{'W' if area.startswith('West') else 'E'}{k + 1}",
                    "event": f"Listening event, {ward}",
                    "event_date": pd.Timestamp("2022-09-01")
                    + pd.Timedelta(days=int(21 * len(events))),
                    "area": area,
                    "ward": ward,
                }
            )
    rows = []
    for i in range(n_excerpts):
        ev = events[int(rng.integers(len(events)))]
        group = _GROUPS[int(rng.integers(len(_GROUPS)))]
        p = base.copy()
        if group in ("South Asian women", "Refugees and people seeking asylum"):
            p[codes.index("language_interpreting")] *= 3
        if group == "Older people":
            p[codes.index("digital_exclusion")] *= 3
        if ev["area"] == "East Birmingham":
            p[codes.index("transport_cost")] *= 1.8
        if group == "Black Caribbean elders":
            p[codes.index("discrimination_cultural")] *= 2.5
            p[codes.index("trust")] *= 2
        p /= p.sum()
        k = 1 + int(rng.random() < 0.45) + int(rng.random() < 0.15)
        chosen = list(rng.choice(len(codes), size=k, replace=False, p=p))
        # appointments and digital booking go together more often than chance
        if codes.index("gp_appointment") in chosen and rng.random() < 0.4:
            chosen.append(codes.index("digital_exclusion"))
        chosen = sorted(set(chosen))
        parts = [
            _BARRIER_TEXT[codes[c]][int(rng.integers(len(_BARRIER_TEXT[codes[c]])))]
            for c in chosen
        ]
        if rng.random() < 0.15:
            parts.insert(int(rng.integers(len(parts) + 1)), _pii_clause(rng))
        rows.append(
            {
                "excerpt_id": f"LE{i + 1:04d}",
                **ev,
                "participant_group": group,
                "codes": ";".join(codes[c] for c in chosen),
                "text": " ".join(parts),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["synthetic"] = True
    return frame


def generate_stakeholder_interviews(
    n_excerpts: int = 160, seed: int | None = DEFAULT_SEED
) -> pd.DataFrame:
    """Synthetic coded excerpts from Together We Can stakeholder interviews (Firs and Bromford).

    Columns: ``excerpt_id``, ``interview_id``, ``stakeholder_type``, ``themes``
    (semicolon-separated: connected, welcomed, belonging, celebrated, supported), ``text``.
    """
    rng = _rng(None if seed is None else seed + 2)
    themes = list(_THEME_TEXT)
    n_interviews = 24
    types = [_STAKEHOLDERS[int(rng.integers(len(_STAKEHOLDERS)))] for _ in range(n_interviews)]
    base = np.array([0.26, 0.18, 0.22, 0.12, 0.22])
    rows = []
    for i in range(n_excerpts):
        j = int(rng.integers(n_interviews))
        p = base.copy()
        if types[j] in ("Council officer", "Health professional"):
            p[themes.index("supported")] *= 2
        if types[j] == "Youth worker":
            p[themes.index("belonging")] *= 2
        p /= p.sum()
        k = 1 + int(rng.random() < 0.35)
        chosen = sorted(rng.choice(len(themes), size=k, replace=False, p=p))
        parts = [
            _THEME_TEXT[themes[c]][int(rng.integers(len(_THEME_TEXT[themes[c]])))] for c in chosen
        ]
        if rng.random() < 0.12:
            parts.append(_pii_clause(rng))
        rows.append(
            {
                "excerpt_id": f"SI{i + 1:04d}",
                "interview_id": f"INT{j + 1:02d}",
                "stakeholder_type": types[j],
                "themes": ";".join(themes[c] for c in chosen),
                "text": " ".join(parts),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["synthetic"] = True
    return frame


SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA: generated by lozells_analysis.data.synthetic to match the published "
    "Local Conversations figures. No row describes a real person."
)


def write_synthetic(
    out_dir: str | Path | None = None, n: int = DEFAULT_N, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Generate the synthetic survey and qualitative data and write them to ``out_dir``.

    Writes ``survey.parquet`` (with ``lozells.synthetic`` in its schema metadata),
    ``survey.csv``, ``listening_events.csv``, ``stakeholder_interviews.csv`` and
    ``metadata.json``. Files are written to a temporary name and renamed, so a reader never
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
        "metadata": out / "metadata.json",
    }

    def _atomic(path: Path, write: Callable[[Path], object]) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        write(tmp)
        tmp.replace(path)

    meta = {
        "synthetic": True,
        "notice": SYNTHETIC_NOTICE,
        "generator": f"lozells_analysis.data.synthetic {__version__}",
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
