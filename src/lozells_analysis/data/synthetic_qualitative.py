"""Synthetic qualitative data: listening-event excerpts coded with barriers to and within NHS
services, and stakeholder-interview excerpts coded with the five Together We Can themes.

Made up, like the synthetic survey, and labelled synthetic; some excerpts carry planted
personal details (:data:`PLANTED_NAMES`, phone numbers, emails, postcodes) so that redaction
and the publish-time scan can be shown and tested. The generator writes those names to
``data/synthetic/redaction_list.txt``, as a data owner keeps a redaction list beside real data.

Examples
--------
>>> events = generate_listening_events(n_excerpts=40, seed=1)
>>> events.attrs["synthetic"], len(events) > 0
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.data.synthetic_seed import DEFAULT_SEED, _rng

__all__ = ["PLANTED_NAMES", "generate_listening_events", "generate_stakeholder_interviews"]


# -------------------------------------------------------------

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
