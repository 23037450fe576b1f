"""Fictitious people for the demonstration data set (pure: a seed in, the same people out).

The distributions are plausible for the Kyrgyz Republic's NRM, not statistics of it: most people
met by the police or at the border are Kyrgyz citizens exploited abroad (Russia, Kazakhstan,
Türkiye, the UAE, Korea), foreign victims come mostly from Uzbekistan and Tajikistan, about one in
six is a child, labour exploitation outnumbers sexual exploitation. Names are obviously invented:
every given name starts with "DEMO" and every family name is "Fictitious-<number>".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

REGION_WEIGHTS = {"KG-GB": 22, "KG-GO": 10, "KG-B": 6, "KG-C": 16, "KG-J": 14, "KG-N": 4, "KG-O": 16,
                  "KG-T": 4, "KG-Y": 6, "abroad": 2}
CITIZENSHIP_WEIGHTS = {"KG": 78, "UZ": 8, "TJ": 5, "KZ": 2, "RU": 1, "AF": 1, "CN": 1, "IN": 1, "PK": 1,
                       "stateless": 2}
DESTINATION_WEIGHTS = {"RU": 34, "KZ": 18, "KG": 20, "TR": 10, "AE": 6, "KR": 5, "CN": 2, "DE": 2, "PL": 1,
                       "GB": 1, "unknown": 1}
EXPLOITATION_WEIGHTS = {"ForcedLabour": 46, "SexualExploitation": 24, "DomesticServitude": 8,
                        "ForcedBegging": 4, "ForcedCriminality": 3, "ForcedMarriage": 6, "ChildLabour": 4,
                        "SaleOfChildren": 1, "OrganRemoval": 1, "Other": 3}
AGENCY_WEIGHTS = {"police_unit": 45, "customs_post": 15, "ngo": 18, "mlssm_regional": 8, "health_facility": 6,
                  "ombudsman": 3, "mlssm_child_protection": 3, "mlssm_central": 2}
YEAR_WEIGHTS = {2019: 8, 2020: 6, 2021: 9, 2022: 11, 2023: 13, 2024: 15, 2025: 18, 2026: 20}
LANGUAGES = {"ky": 60, "ru": 30, "uz": 6, "tg": 4}
GIVEN_NAMES = ("Aigul", "Aibek", "Nurlan", "Gulnara", "Bakyt", "Cholpon", "Azamat", "Zarina", "Timur",
               "Aizada", "Dilnoza", "Farrukh", "Madina", "Rustam", "Saltanat", "Eldiyar")


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Profile:
    number: int
    when: datetime
    agency: str
    language: str
    given_name: str
    family_name: str
    sex: str
    age: int | None
    age_uncertain: bool
    citizenship: str                 # ISO code, "KG" or "stateless"
    stay_region: str
    exploitation_types: tuple[str, ...]
    exploitation_country: str
    strength: str                    # strong | weak | none: how many indicators the answers raise
    consent_services: bool
    consent_statistics: bool
    fear_of_return: bool
    outcome: str                     # accepted | declined | pending (what receiving services do)
    decision: str                    # ActualVictimOfTrafficking | NotAVictimOfTrafficking | pending
    closes: bool                     # the crisis-centre case is closed in the end


def profile(rng: random.Random, number: int, years: dict | None = None) -> Profile:
    year = _pick(rng, years or YEAR_WEIGHTS)
    when = datetime(year, 1, 1, 8, tzinfo=UTC) + timedelta(days=rng.randrange(365),
                                                        minutes=rng.randrange(600))
    child = rng.random() < 0.17
    uncertain = rng.random() < 0.04
    adult_age = max(18, min(75, int(rng.gauss(30, 9))))
    age = None if rng.random() < 0.03 else (rng.randint(6, 17) if child else adult_age)
    citizenship = _pick(rng, CITIZENSHIP_WEIGHTS)
    types = [_pick(rng, EXPLOITATION_WEIGHTS)]
    if rng.random() < 0.12:
        types.append(_pick(rng, EXPLOITATION_WEIGHTS))
    if not child:
        types = [t for t in types if t not in ("ChildLabour", "SaleOfChildren")] or ["ForcedLabour"]
    destination = _pick(rng, DESTINATION_WEIGHTS)
    if citizenship != "KG" and destination != "unknown":
        destination = "KG"           # foreigners met in Kyrgyzstan were mostly exploited here
    strength = rng.choices(("strong", "weak", "none"), weights=(70, 20, 10))[0]
    return Profile(
        number=number,
        when=when,
        agency=_pick(rng, AGENCY_WEIGHTS),
        language=_pick(rng, LANGUAGES),
        given_name=f"DEMO {rng.choice(GIVEN_NAMES)}",
        family_name=f"Fictitious-{number:07d}",
        sex=rng.choices(("female", "male", "other_or_not_stated"), weights=(58, 40, 2))[0],
        age=age,
        age_uncertain=uncertain,
        citizenship=citizenship,
        stay_region=_pick(rng, REGION_WEIGHTS),
        exploitation_types=tuple(sorted(set(types))),
        exploitation_country=destination,
        strength=strength,
        consent_services=rng.random() < 0.9,
        consent_statistics=rng.random() < 0.97,
        fear_of_return=citizenship != "KG" and rng.random() < 0.15,
        outcome=rng.choices(("accepted", "declined", "pending"), weights=(80, 8, 12))[0],
        decision=rng.choices(("ActualVictimOfTrafficking", "NotAVictimOfTrafficking", "pending"),
                             weights=(70, 12, 18))[0],
        closes=rng.random() < 0.6,
    )


def profiles(n: int, seed: int):
    """``n`` people, the same ones for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - fictitious data, reproducible on purpose
    for number in range(1, n + 1):
        yield profile(rng, number)
