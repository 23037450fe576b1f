"""The routing engine (pure): a screening's facts and the service directory in; proposed referrals out.

Rules R1–R8 of DOMAIN.md §5 live in ``sops/routing.yaml`` as data: when a rule applies, which service
type it proposes, how the receiving organisation is chosen, whether it is mandatory, what consent it
needs, which clock gives its deadline, what holds it and the legal basis shown to the user. This
module holds only the vocabulary those rules are written in and the order of evaluation; the clock
lengths come from configuration (DOMAIN.md §7 defaults), passed in as ``clocks``.

Holds: a proposal that must not be sent yet says why —
    safety_check     a foreign victim who fears return or seeks asylum: the consular notification
                     waits for the coordinator (R1, R6 first)
    awaiting_consent an adult has not consented to referral to services
    on_return        a Kyrgyz citizen found abroad: R2–R5 start on return (R7)
    no_organisation  the directory has no organisation that can take it (the coordinator places it)
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from nrm.core.assessment import POSSIBLE, PRESUMED

SERVICE_TYPES = (
    "crisis_centre",
    "consular_mission",
    "kyrgyz_mission_abroad",
    "legal_aid",
    "legal_aid_child_specialist",
    "child_protection",
    "health",
    "refugee_procedure",
    "law_enforcement",
)
RESULTS = (PRESUMED, POSSIBLE)
CITIZENSHIP_KINDS = ("kyrgyz", "foreign", "stateless", "unknown")
CONSENT_GATES = ("services", "consular", "none")
TARGETS = ("by_region", "national", "mission_of_citizenship", "kyrgyz_mission_in_country")
HOLDS = ("safety_check", "awaiting_consent", "on_return", "no_organisation")
HOLD_WHEN = ("fear_of_return", "asylum_wish")
# the condition keys a rule's ``when`` may use, with the values each accepts
CONDITIONS = {
    "results": RESULTS,
    "citizenship": CITIZENSHIP_KINDS,
    "child": (True, False),
    "found_abroad": (True, False),
    "needs_any": None,
    "asylum_wish": (True, False),
}
NEEDS = (
    "medical",
    "psychological",
    "shelter",
    "food",
    "legal",
    "documents",
    "family_contact",
    "education",
    "skills_training",
    "employment",
    "return_or_reintegration",
    "interpreter",
)
# Legal aid categories of the State Legal Aid Act (seeds/001_e617a7a12ec0d28b.txt:123-142)
CATEGORY_CHILD, CATEGORY_FOREIGN, CATEGORY_VICTIM, CATEGORY_UNIDENTIFIED = 6, 11, 12, 13


@dataclass(frozen=True)
class Facts:
    """What routing needs to know about a person (no identity: codes and yes/no only)."""

    result: str
    age: int | None = None
    age_uncertain: bool = False
    citizenship: str | None = None  # "KG", an ISO 3166-1 alpha-2 code, "stateless", None
    stay_region: str | None = None  # ISO 3166-2:KG, "abroad" or None
    found_abroad_country: str | None = None
    needs: frozenset = frozenset()
    asylum_wish: bool = False
    fear_of_return: bool = False
    consent: frozenset = frozenset()  # "services", "consular"
    suspect: bool = False  # also recorded as a suspect (non-punishment, R8)
    identity_established: bool | None = None
    sex: str | None = None
    child_below_age: int = 18

    @property
    def child(self) -> bool:
        # A person whose age is uncertain (or not known) is presumed a child (DOMAIN.md §4).
        return self.age_uncertain or self.age is None or self.age < self.child_below_age

    @property
    def citizenship_kind(self) -> str:
        if not self.citizenship:
            return "unknown"
        if self.citizenship == "stateless":
            return "stateless"
        return "kyrgyz" if self.citizenship == "KG" else "foreign"

    @property
    def found_abroad(self) -> bool:
        return bool(self.found_abroad_country) and self.found_abroad_country != "KG"

    @property
    def urgent(self) -> bool:
        return "shelter" in self.needs


@dataclass(frozen=True)
class Organisation:
    """A directory entry as the engine sees it."""

    code: str
    kind: str
    name: Mapping[str, str]
    services: tuple = ()
    region: str | None = None
    serves_regions: tuple = ()
    country: str | None = None
    accepts_sex: tuple = ()  # empty: any
    min_age: int | None = None
    max_age: int | None = None
    capacity: int | None = None  # None: not recorded, not checked
    occupied: int = 0  # open cases now (filled in by the caller)
    post: str | None = None  # kyrgyz missions abroad: embassy, consulate_general, ...
    resident: bool | None = None  # foreign missions: resident in Bishkek or from abroad
    active: bool = True

    def accepts(self, facts: Facts) -> bool:
        if self.accepts_sex and facts.sex and facts.sex not in self.accepts_sex:
            return False
        if facts.age is not None and not facts.age_uncertain:
            if self.min_age is not None and facts.age < self.min_age:
                return False
            if self.max_age is not None and facts.age > self.max_age:
                return False
        return True

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.occupied >= self.capacity


@dataclass(frozen=True)
class Basis:
    source: str                      # provenance for reviewers (the sources page), never shown to users
    text: Mapping[str, str]
    citation: Mapping[str, str] = field(default_factory=dict)   # the law as a reader of law cites it


@dataclass(frozen=True)
class Rule:
    id: str  # e.g. R2-child
    rule: str  # the rule of DOMAIN.md §5 it implements: R1 … R8
    service: str
    when: Mapping
    target: str
    mandatory: bool
    consent: str  # services | consular | none
    clock: str  # a key of the clocks mapping
    basis: Basis
    urgent_clock: str | None = None
    hold_when: tuple = ()  # fear_of_return, asylum_wish → safety_check
    on_return: bool = False  # held until return when found abroad
    any_region_fallback: bool = False
    national_fallback: bool = False
    legal_aid_categories: bool = False
    title: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Routing:
    version: str
    rules: tuple
    payloads: Mapping[str, tuple]  # service type → the fields its recipient may see
    source: str = ""


@dataclass(frozen=True)
class Proposal:
    rule: str
    rules: tuple  # every rule that proposed it (duplicates merge)
    service: str
    organisation: Organisation | None
    mandatory: bool
    consent: str
    basis: tuple  # Basis of each rule
    deadline_hours: int | None
    deadline_working_days: int | None
    hold: str | None
    categories: tuple = ()  # legal aid categories that apply
    non_punishment: bool = False
    note: str | None = None  # why a different organisation than the region's was chosen

    def to_json(self, language: str = "en") -> dict:
        org = self.organisation
        return {
            "service": self.service,
            "organisation": {"code": org.code, "name": org.name.get(language) or org.name.get("en")}
            if org
            else None,
            "mandatory": self.mandatory,
            "basis": "; ".join(b.citation.get(language) or b.citation.get("en", "") for b in self.basis),
            "basis_text": " ".join(b.text.get(language) or b.text.get("en", "") for b in self.basis),
            "basis_source": "; ".join(b.source for b in self.basis),
            "rule": "+".join(self.rules),
            "deadline_hours": self.deadline_hours,
            "deadline_working_days": self.deadline_working_days,
            "hold": self.hold,
            "consent": self.consent,
            "legal_aid_categories": list(self.categories),
            "non_punishment": self.non_punishment,
            "note": self.note,
        }


def _holds(rule: Rule, facts: Facts) -> bool:
    for key, expected in rule.when.items():
        if key == "results" and facts.result not in expected:
            return False
        if key == "citizenship":
            kinds = expected if isinstance(expected, (list, tuple)) else (expected,)
            if facts.citizenship_kind not in kinds:
                return False
        if key == "child" and facts.child != expected:
            return False
        if key == "found_abroad" and facts.found_abroad != expected:
            return False
        if key == "needs_any" and not (set(expected) & set(facts.needs)):
            return False
        if key == "asylum_wish" and facts.asylum_wish != expected:
            return False
    return True


def _serving(directory, service, region):
    # the most local first: a regional prosecutor before the Procurator General's Office
    found = [o for o in directory if o.active and service in o.services and region in o.serves_regions]
    return sorted(found, key=lambda o: len(o.serves_regions))


def _national(directory, service, facts=None):
    # an organisation that serves every region (the Procurator General's Office, MLSSM), or failing
    # that the first organisation of the service in the capital; with facts: one that has room and
    # accepts the person
    offering = [
        o
        for o in directory
        if o.active and service in o.services and (facts is None or (o.accepts(facts) and not o.full))
    ]
    national = [o for o in offering if len(o.serves_regions) >= 9]
    return (national or [o for o in offering if o.region == "KG-GB"] or [None])[0]


def _choose(rule: Rule, facts: Facts, directory) -> tuple[Organisation | None, str | None]:
    """The receiving organisation and, where it is not the obvious one, a note saying why."""
    if rule.target == "mission_of_citizenship":
        missions = [
            o
            for o in directory
            if o.active
            and rule.service in o.services
            and o.kind == "foreign_mission"
            and o.country == facts.citizenship
        ]
        missions.sort(key=lambda o: not o.resident)
        if missions:
            return missions[0], None
        # no mission accredited: the MFA Consular Department reaches the State of citizenship
        return _by_kind(directory, "mfa_consular_department"), "no_mission_in_directory"
    if rule.target == "kyrgyz_mission_in_country":
        posts = [
            o
            for o in directory
            if o.active
            and rule.service in o.services
            and o.kind == "kyrgyz_mission_abroad"
            and o.country == facts.found_abroad_country
        ]
        order = {"embassy": 0, "consulate_general": 1, "consulate": 2, "chancery": 3}
        posts.sort(key=lambda o: order.get(o.post, 9))
        if posts:
            return posts[0], None
        return _by_kind(directory, "mfa_consular_department"), "no_post_in_country"
    if rule.target == "national":
        return _national(directory, rule.service), None
    # by_region: where the person will stay, respecting the accepted profile and capacity
    region = facts.stay_region if facts.stay_region not in (None, "abroad") else None
    if region:
        candidates = [o for o in _serving(directory, rule.service, region) if o.accepts(facts)]
        open_ = [o for o in candidates if not o.full]
        if open_:
            return open_[0], None
        if rule.any_region_fallback:
            others = [
                o
                for o in directory
                if o.active
                and rule.service in o.services
                and o.accepts(facts)
                and not o.full
                and o not in candidates
            ]
            if others:
                return others[0], ("regional_full" if candidates else "regional_profile")
    if rule.national_fallback:
        org = _national(directory, rule.service, facts)
        if org is not None:
            return org, None if region else "region_unknown"
    return None, ("regional_full" if region else "region_unknown")


def _by_kind(directory, kind):
    return next((o for o in directory if o.active and o.kind == kind), None)


def _hold(rule: Rule, facts: Facts, organisation) -> str | None:
    if any(getattr(facts, name) for name in rule.hold_when):
        return "safety_check"
    if rule.on_return and facts.found_abroad:
        return "on_return"
    if rule.consent != "none" and not facts.child and rule.consent not in facts.consent:
        return "awaiting_consent"
    if organisation is None:
        return "no_organisation"
    return None


def _categories(rule: Rule, facts: Facts) -> tuple:
    if not rule.legal_aid_categories:
        return ()
    found = {CATEGORY_VICTIM}
    if facts.child:
        found.add(CATEGORY_CHILD)
    if facts.citizenship_kind in ("foreign", "stateless"):
        found.add(CATEGORY_FOREIGN)
    if facts.identity_established is False:
        found.add(CATEGORY_UNIDENTIFIED)
    return tuple(sorted(found))


def route(
    routing: Routing, facts: Facts, directory: Iterable[Organisation], clocks: Mapping[str, int]
) -> list[Proposal]:
    """Every referral the rules propose for these facts, in rule order; a service proposed twice to
    the same organisation becomes one proposal carrying both bases."""
    directory = list(directory)
    proposals: list[Proposal] = []
    for rule in routing.rules:
        if not _holds(rule, facts):
            continue
        organisation, note = _choose(rule, facts, directory)
        clock = rule.urgent_clock if rule.urgent_clock and facts.urgent else rule.clock
        hours, working_days = _deadline(clock, clocks)
        proposal = Proposal(
            rule=rule.rule,
            rules=(rule.rule,),
            service=rule.service,
            organisation=organisation,
            mandatory=rule.mandatory,
            consent=rule.consent,
            basis=(rule.basis,),
            deadline_hours=hours,
            deadline_working_days=working_days,
            hold=_hold(rule, facts, organisation),
            categories=_categories(rule, facts),
            non_punishment=rule.service == "law_enforcement" and facts.suspect,
            note=note,
        )
        same = next(
            (
                i
                for i, p in enumerate(proposals)
                if p.service == proposal.service and p.organisation == proposal.organisation
            ),
            None,
        )
        if same is None:
            proposals.append(proposal)
        else:
            earlier = proposals[same]
            proposals[same] = replace(
                earlier,
                rules=earlier.rules + proposal.rules,
                basis=earlier.basis + proposal.basis,
                mandatory=earlier.mandatory or proposal.mandatory,
                hold=earlier.hold or proposal.hold,
                deadline_hours=_earliest(earlier.deadline_hours, proposal.deadline_hours),
                deadline_working_days=_earliest(
                    earlier.deadline_working_days, proposal.deadline_working_days
                ),
            )
    return proposals


def _earliest(a, b):
    present = [x for x in (a, b) if x is not None]
    return min(present) if present else None


def _deadline(clock: str, clocks: Mapping[str, int]) -> tuple[int | None, int | None]:
    """A clock is either ``<name>_hours`` or ``<name>_working_days``; ``deadline_hours`` of a
    working-day clock is the calendar span of that many working days starting on a working day."""
    value = clocks[clock]
    if clock.endswith("_working_days"):
        weeks, days = divmod(value, 5)
        return (weeks * 7 + days) * 24, value
    return value, None


def facts_from_json(item: Mapping, child_below_age: int = 18) -> Facts:
    """Facts from the JSON the ``referrals route`` command reads (see its help)."""
    age = item.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0 or age > 130):
        raise ValueError("age must be a whole number of years or null")
    if item.get("result") not in (PRESUMED, POSSIBLE, "no_indicators"):
        raise ValueError("result must be presumed_victim, possible or no_indicators")
    citizenship = item.get("citizenship")
    if (
        citizenship is not None
        and citizenship != "stateless"
        and not (isinstance(citizenship, str) and len(citizenship) == 2 and citizenship.isalpha())
    ):
        raise ValueError('citizenship must be an ISO 3166-1 alpha-2 code, "stateless" or null')
    needs = item.get("needs") or []
    consent = item.get("consent") or []
    if not isinstance(needs, list) or not isinstance(consent, list):
        raise ValueError("needs and consent must be lists")
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"unknown needs: {', '.join(sorted(map(str, unknown)))}")
    abroad = item.get("found_abroad_country")
    return Facts(
        result=item["result"],
        age=age,
        age_uncertain=bool(item.get("age_uncertain", False)),
        citizenship=citizenship.upper() if citizenship and citizenship != "stateless" else citizenship,
        stay_region=item.get("stay_region"),
        found_abroad_country=abroad.upper() if abroad else None,
        needs=frozenset(needs),
        asylum_wish=bool(item.get("asylum_wish")),
        fear_of_return=bool(item.get("fear_of_return")),
        consent=frozenset(consent),
        suspect=bool(item.get("suspect")),
        identity_established=item.get("identity_established"),
        sex=item.get("sex"),
        child_below_age=child_below_age,
    )
