"""Load and validate the SOP catalogue; every problem names the file, the line and the field.

The YAML is read through PyYAML's node tree, so each mapping and list keeps the line it came
from. Validation collects every problem it finds rather than stopping at the first, so an SOP
author fixes a file in one pass. ``flask --app nrm sops check`` prints them; the application
refuses to start while any remains.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from nrm.core.assessment import STRENGTHS, Criteria, Dimension, Fact, Indicator, Rule

LANGUAGES = ("ky", "ru", "en")
ROOT = Path(__file__).resolve().parent
CRITERIA_FILE = "criteria.yaml"

# DOMAIN.md §4: the catalogue may add indicators, never rename these.
CANONICAL_DIMENSIONS = (
    "deceptive_recruitment", "coercive_recruitment", "recruitment_abuse_of_vulnerability",
    "exploitative_conditions", "coercion_at_destination", "abuse_of_vulnerability_at_destination",
)
CANONICAL_INDICATORS = (
    "deceived_nature_of_job_location_employer", "deceived_conditions_of_work", "deceived_contract",
    "deceived_wages", "deceived_housing", "deceived_documents_or_status", "deceived_travel_recruitment",
    "deceived_marriage_or_adoption", "deceived_family_reunification", "deceived_education",
    "violence_at_recruitment", "abduction_or_sale", "documents_confiscated_at_recruitment",
    "debt_bondage_at_recruitment", "isolation_or_confinement_at_recruitment",
    "threat_denunciation_at_recruitment", "threat_violence_at_recruitment",
    "violence_against_family_at_recruitment", "money_withheld_at_recruitment",
    "abuse_irregular_status", "abuse_lack_of_language_or_education", "abuse_lack_of_information",
    "abuse_family_situation", "abuse_economic_situation", "abuse_emotional_dependency",
    "false_information_about_authorities", "general_context_of_vulnerability",
    "excessive_hours", "bad_living_conditions", "hazardous_work", "low_or_no_pay",
    "labour_law_not_respected", "no_social_protection", "very_bad_working_conditions",
    "wage_manipulation", "forced_prostitution_or_sexual_services", "forced_begging",
    "forced_criminal_activity", "no_access_to_education",
    "documents_confiscated", "debt_bondage", "isolation_confinement_surveillance",
    "violence_against_person", "forced_tasks_or_clients", "forced_to_lie_to_authorities",
    "threat_denunciation_to_authorities", "threat_worse_conditions", "threat_violence",
    "violence_against_family", "wages_withheld", "under_strong_influence",
    "threat_to_inform_family_or_community",
    "dependency_on_exploiter", "difficulty_living_in_unknown_area", "economic_dependency",
    "family_situation_at_destination", "irregular_status_at_destination", "difficulties_in_the_past",
)
CANONICAL_FACTS = ("recruited", "transported", "transferred", "harboured", "received",
                   "child_in_worst_forms_of_labour", "child_sold_or_offered_for_sale")
CONDITION_KEYS = ("strong", "medium", "weak", "medium_or_weak")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class CatalogueInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Node(dict):
    """A mapping that remembers its line and the line of each key."""

    line = 0
    key_lines: dict


class Items(list):
    """A list that remembers its line and the line of each item."""

    line = 0
    item_lines: list


class _Reader:
    def __init__(self, path: Path, display: str):
        self.path, self.display, self.problems = path, display, []
        self._constructor = yaml.SafeLoader("")

    def problem(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.display, line, field, message))

    def read(self):
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem(1, "(file)", "is not UTF-8 text")
            return None, b""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            self.problem((mark.line + 1) if mark else 1, "(syntax)", str(getattr(error, "problem", error)))
            return None, text.encode("utf-8")
        return (self._build(node) if node is not None else None), text.encode("utf-8")

    def _build(self, node):
        if isinstance(node, yaml.MappingNode):
            result = Node()
            result.line, result.key_lines = node.start_mark.line + 1, {}
            for key_node, value_node in node.value:
                key = self._constructor.construct_object(key_node, deep=True)
                if key in result:
                    self.problem(key_node.start_mark.line + 1, str(key), "duplicate key")
                result[key] = self._build(value_node)
                result.key_lines[key] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            result = Items(self._build(item) for item in node.value)
            result.line = node.start_mark.line + 1
            result.item_lines = [item.start_mark.line + 1 for item in node.value]
            return result
        return self._constructor.construct_object(node, deep=True)


def _line(container, key=None) -> int:
    if isinstance(container, Node) and key is not None:
        return container.key_lines.get(key, container.line)
    return getattr(container, "line", 1)


class _CriteriaChecker:
    def __init__(self, reader: _Reader, data):
        self.r, self.data = reader, data

    def require(self, node, key, kind, where, allow_empty=False):
        if not isinstance(node, Node) or key not in node:
            self.r.problem(_line(node), f"{where}.{key}" if where else key, "is missing")
            return None
        value = node[key]
        if not isinstance(value, kind) or (not allow_empty and value in ("", [], {})):
            self.r.problem(_line(node, key), f"{where}.{key}" if where else key,
                           f"must be a non-empty {kind.__name__ if isinstance(kind, type) else 'value'}")
            return None
        return value

    def texts(self, node, where):
        text = self.require(node, "text", dict, where)
        if text is None:
            return {}
        for language in LANGUAGES:
            if not isinstance(text.get(language), str) or not text[language].strip():
                self.r.problem(_line(node, "text"), f"{where}.text.{language}", "translation is missing")
        return {k: v for k, v in text.items() if k in LANGUAGES and isinstance(v, str)}

    def choice(self, node, key, allowed, where, default=None):
        if default is not None and key not in node:
            return default
        value = self.require(node, key, str, where)
        if value is not None and value not in allowed:
            self.r.problem(_line(node, key), f"{where}.{key}",
                           f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return value

    def items(self, key):
        items = self.require(self.data, key, list, "")
        return [] if items is None else list(zip(items, items.item_lines, strict=True))

    def check(self) -> Criteria | None:
        data, r = self.data, self.r
        if not isinstance(data, Node):
            r.problem(1, "(file)",
                      "must be a mapping with catalogue, version, dimensions, indicators, facts, rule")
            return None
        version = self.require(data, "version", str, "")
        status = data.get("status", "provisional")
        self.require(data, "source", str, "")
        seen: dict[str, int] = {}

        def unique(identifier, line, where):
            if identifier in seen:
                r.problem(line, f"{where}.id",
                          f"duplicate id {identifier!r} (first at line {seen[identifier]})")
            seen[identifier] = line

        dimensions = {}
        for node, line in self.items("dimensions"):
            where = f"dimensions[{node.get('id', '?') if isinstance(node, Node) else '?'}]"
            dim_id = self.require(node, "id", str, where)
            element = self.choice(node, "element", ("act", "means", "purpose"), where)
            text = self.texts(node, where)
            if dim_id:
                unique(dim_id, line, where)
                dimensions[dim_id] = Dimension(dim_id, element or "means", text,
                                               bool(node.get("implies_act", False)))
        for missing in set(CANONICAL_DIMENSIONS) - set(dimensions):
            r.problem(_line(data, "dimensions"), "dimensions", f"canonical dimension {missing!r} is missing")

        indicators = {}
        for node, line in self.items("indicators"):
            where = f"indicators[{node.get('id', '?') if isinstance(node, Node) else '?'}]"
            ind_id = self.require(node, "id", str, where)
            dimension = self.require(node, "dimension", str, where)
            if dimension and dimension not in dimensions:
                r.problem(_line(node, "dimension"), f"{where}.dimension", f"unknown dimension {dimension!r}")
            strength = self.choice(node, "strength", STRENGTHS, where)
            strength_child = node.get("strength_child") if isinstance(node, Node) else None
            if strength_child is not None and strength_child not in STRENGTHS:
                r.problem(_line(node, "strength_child"), f"{where}.strength_child",
                          f"{strength_child!r} is not one of {', '.join(STRENGTHS)}")
            applies_to = self.choice(node, "applies_to", ("adult", "child", "both"), where)
            text = self.texts(node, where)
            source = self.require(node, "source", str, where)
            if ind_id:
                unique(ind_id, line, where)
                indicators[ind_id] = Indicator(ind_id, dimension or "", strength or "weak",
                                               applies_to or "both", text, source or "", strength_child)
        for missing in sorted(set(CANONICAL_INDICATORS) - set(indicators)):
            r.problem(_line(data, "indicators"), "indicators", f"canonical indicator {missing!r} is missing")

        facts = {}
        for node, line in self.items("facts"):
            where = f"facts[{node.get('id', '?') if isinstance(node, Node) else '?'}]"
            fact_id = self.require(node, "id", str, where)
            element = self.choice(node, "element", ("act", "purpose"), where)
            applies_to = self.choice(node, "applies_to", ("adult", "child", "both"), where, default="both")
            text = self.texts(node, where)
            source = self.require(node, "source", str, where)
            if fact_id:
                unique(fact_id, line, where)
                facts[fact_id] = Fact(fact_id, element or "act", text, source or "", applies_to or "both")
        for missing in sorted(set(CANONICAL_FACTS) - set(facts)):
            r.problem(_line(data, "facts"), "facts", f"canonical fact {missing!r} is missing")

        rule = self.rule(dimensions, facts)
        if r.problems or rule is None or version is None:
            return None
        return Criteria(version=version, content_hash="", status=str(status), dimensions=dimensions,
                        indicators=indicators, facts=facts, rule=rule)

    def conditions(self, node, key):
        items = self.require(node, key, list, "rule")
        result = []
        for item, line in zip(items or [], getattr(items, "item_lines", []), strict=False):
            if not isinstance(item, Node) or not item:
                self.r.problem(line, f"rule.{key}",
                               "each condition is a mapping like {strong: 1, medium_or_weak: 1}")
                continue
            for k, v in item.items():
                if k not in CONDITION_KEYS:
                    self.r.problem(line, f"rule.{key}.{k}", f"unknown count; use {', '.join(CONDITION_KEYS)}")
                elif not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    self.r.problem(line, f"rule.{key}.{k}", "must be a whole number of at least 1")
            result.append(dict(item))
        return tuple(result)

    def ids(self, node, key, known, where, kind):
        values = self.require(node, key, list, where)
        for value, line in zip(values or [], getattr(values, "item_lines", []), strict=False):
            if value not in known:
                self.r.problem(line, f"{where}.{key}", f"unknown {kind} {value!r}")
        return tuple(values or ())

    def rule(self, dimensions, facts):
        node = self.require(self.data, "rule", dict, "")
        if node is None:
            return None
        age = self.require(node, "child_below_age", int, "rule")
        groups_node = self.require(node, "adult_presumed", list, "rule")
        groups = []
        for group, line in zip(groups_node or [], getattr(groups_node, "item_lines", []), strict=False):
            if not isinstance(group, list) or not group:
                self.r.problem(line, "rule.adult_presumed", "each group is a non-empty list of dimensions")
                continue
            for dim in group:
                if dim not in dimensions:
                    self.r.problem(line, "rule.adult_presumed", f"unknown dimension {dim!r}")
            groups.append(tuple(group))
        child = self.require(node, "child_presumed", dict, "rule") or Node()
        return Rule(
            child_below_age=age or 18,
            age_uncertain_is_child=bool(node.get("age_uncertain_is_child", True)),
            dimension_positive=self.conditions(node, "dimension_positive"),
            adult_presumed=tuple(groups),
            child_act_facts=self.ids(child, "act_facts", facts, "rule.child_presumed", "fact"),
            child_purpose_dimensions=self.ids(child, "purpose_dimensions", dimensions,
                                              "rule.child_presumed", "dimension"),
            child_purpose_facts=self.ids(child, "purpose_facts", facts, "rule.child_presumed", "fact"),
            possible=self.conditions(node, "possible"),
        )


def load_criteria(path: Path, display: str | None = None) -> Criteria:
    """Read and check a criteria file; raise CatalogueInvalid listing every problem."""
    reader = _Reader(path, display or path.name)
    data, raw = reader.read()
    criteria = _CriteriaChecker(reader, data).check() if data is not None or not reader.problems else None
    if reader.problems or criteria is None:
        raise CatalogueInvalid(reader.problems or [Problem(reader.display, 1, "(file)", "is empty")])
    return Criteria(**{**criteria.__dict__, "content_hash": hashlib.sha256(raw).hexdigest()})


@dataclass(frozen=True)
class Catalogue:
    criteria: Criteria


def load_catalogue(root: Path = ROOT) -> Catalogue:
    """The whole catalogue (the agency screening scripts join it as they are written)."""
    return Catalogue(criteria=load_criteria(root / CRITERIA_FILE, f"{root.name}/{CRITERIA_FILE}"))


def check(path: Path) -> list[Problem]:
    """Every problem in a catalogue folder or in one criteria file (empty list = valid)."""
    try:
        if path.is_dir():
            load_catalogue(path)
        else:
            load_criteria(path, path.name)
    except CatalogueInvalid as invalid:
        return invalid.problems
    return []
