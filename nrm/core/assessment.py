"""The assessment engine (pure): indicator and fact ids in; result and reasons out.

Everything that decides — dimensions, strengths, the combination rule — comes from the criteria
catalogue (``sops/criteria.yaml``), so the authentic Decision 493 criteria can replace the
provisional ones as data. The result is advisory: the officer may disagree with a written
justification, and the coordinator takes the formal identification decision (DOMAIN.md §4).

    result   presumed_victim | possible | no_indicators
    child    the child rule applied (under 18, or age uncertain: presumed a child)
    dimensions  for each dimension: positive or not, and the indicators present in it
    elements    act / means / purpose, for a reviewer or a court to follow
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PRESUMED, POSSIBLE, NONE = "presumed_victim", "possible", "no_indicators"
RESULT_ORDER = {NONE: 0, POSSIBLE: 1, PRESUMED: 2}
STRENGTHS = ("strong", "medium", "weak")
STRENGTH_ORDER = {s: i for i, s in enumerate(STRENGTHS)}


@dataclass(frozen=True)
class Dimension:
    id: str
    element: str
    text: Mapping[str, str]
    implies_act: bool = False


@dataclass(frozen=True)
class Indicator:
    id: str
    dimension: str
    strength: str
    applies_to: str
    text: Mapping[str, str]
    source: str
    strength_child: str | None = None

    def strength_for(self, child: bool) -> str:
        return self.strength_child if child and self.strength_child else self.strength

    def applies(self, child: bool) -> bool:
        return self.applies_to == "both" or self.applies_to == ("child" if child else "adult")


@dataclass(frozen=True)
class Fact:
    id: str
    element: str
    text: Mapping[str, str]
    source: str
    applies_to: str = "both"

    def applies(self, child: bool) -> bool:
        return self.applies_to == "both" or self.applies_to == ("child" if child else "adult")


@dataclass(frozen=True)
class Rule:
    child_below_age: int
    age_uncertain_is_child: bool
    dimension_positive: tuple[Mapping[str, int], ...]
    adult_presumed: tuple[tuple[str, ...], ...]
    child_act_facts: tuple[str, ...]
    child_purpose_dimensions: tuple[str, ...]
    child_purpose_facts: tuple[str, ...]
    possible: tuple[Mapping[str, int], ...]


@dataclass(frozen=True)
class Criteria:
    version: str
    content_hash: str
    status: str
    dimensions: Mapping[str, Dimension]
    indicators: Mapping[str, Indicator]
    facts: Mapping[str, Fact]
    rule: Rule

    @property
    def catalogue_version(self) -> str:
        return f"{self.version}+{self.content_hash[:12]}"


class UnknownIds(ValueError):
    def __init__(self, ids: Iterable[str]):
        self.ids = sorted(ids)
        super().__init__("unknown indicator or fact ids: " + ", ".join(self.ids))


@dataclass
class DimensionResult:
    positive: bool
    indicators: list[str]
    counts: dict[str, int]


@dataclass
class Assessment:
    result: str
    child: bool
    dimensions: dict[str, DimensionResult]
    elements: dict[str, bool]
    facts: list[str]
    not_applicable: list[str]
    catalogue_version: str
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The shape `flask --app nrm screening assess` prints (issue 4, item 6)."""
        return {
            "result": self.result,
            "child": self.child,
            "dimensions": {d: {"positive": r.positive, "indicators": r.indicators}
                           for d, r in self.dimensions.items()},
            "elements": self.elements,
            "catalogue_version": self.catalogue_version,
        }


def is_child(rule: Rule, age: int | None, age_uncertain: bool) -> bool:
    if age_uncertain or age is None:
        return rule.age_uncertain_is_child
    return age < rule.child_below_age


def _satisfies(counts: Mapping[str, int], condition: Mapping[str, int]) -> bool:
    def count(key):
        if key == "medium_or_weak":
            return counts.get("medium", 0) + counts.get("weak", 0)
        return counts.get(key, 0)

    return all(count(key) >= needed for key, needed in condition.items())


def assess(criteria: Criteria, *, age: int | None = None, age_uncertain: bool = False,
           facts: Iterable[str] = (), indicators: Iterable[str] = ()) -> Assessment:
    facts, indicators = set(facts), set(indicators)
    unknown = (indicators - set(criteria.indicators)) | (facts - set(criteria.facts))
    if unknown:
        raise UnknownIds(unknown)
    rule = criteria.rule
    child = is_child(rule, age, age_uncertain)

    present = [criteria.indicators[i] for i in indicators]
    applicable = [i for i in present if i.applies(child)]
    fact_objects = [criteria.facts[f] for f in facts]
    applicable_facts = {f.id for f in fact_objects if f.applies(child)}
    not_applicable = sorted({i.id for i in present if not i.applies(child)}
                            | {f.id for f in fact_objects if not f.applies(child)})

    dimensions: dict[str, DimensionResult] = {}
    for dim_id in criteria.dimensions:
        members = sorted((i for i in applicable if i.dimension == dim_id),
                         key=lambda i: (STRENGTH_ORDER[i.strength_for(child)], i.id))
        counts = Counter(i.strength_for(child) for i in members)
        positive = any(_satisfies(counts, c) for c in rule.dimension_positive)
        dimensions[dim_id] = DimensionResult(positive, [i.id for i in members], dict(counts))

    def positive(dim_ids):
        return any(dimensions[d].positive for d in dim_ids)

    act = bool(applicable_facts & {f for f, o in criteria.facts.items() if o.element == "act"}) or any(
        dimensions[d].indicators for d, o in criteria.dimensions.items() if o.implies_act)
    purpose_facts = applicable_facts & set(rule.child_purpose_facts)
    elements = {
        "act": act,
        "means": positive(d for d, o in criteria.dimensions.items() if o.element == "means"),
        "purpose": positive(d for d, o in criteria.dimensions.items() if o.element == "purpose")
        or bool(purpose_facts),
    }

    if child:
        child_act = bool(applicable_facts & set(rule.child_act_facts)) or act
        presumed = child_act and (positive(rule.child_purpose_dimensions) or bool(purpose_facts))
    else:
        presumed = all(positive(group) for group in rule.adult_presumed)

    total = Counter(i.strength_for(child) for i in applicable)
    if presumed:
        result = PRESUMED
    elif any(_satisfies(total, c) for c in rule.possible):
        result = POSSIBLE
    else:
        result = NONE
    return Assessment(result=result, child=child, dimensions=dimensions, elements=elements,
                      facts=sorted(applicable_facts), not_applicable=not_applicable,
                      catalogue_version=criteria.catalogue_version, counts=dict(total))
