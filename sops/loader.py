"""Load and validate the SOP catalogue; every problem names the file, the line and the field.

The YAML is read through PyYAML's node tree, so each mapping and list keeps the line it came
from. Validation collects every problem it finds rather than stopping at the first, so an SOP
author fixes a file in one pass. ``flask --app nrm sops check`` prints them; the application
refuses to start while any remains.
"""

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nrm.core import screening as sc
from nrm.core.assessment import STRENGTHS, Criteria, Dimension, Fact, Indicator, Rule
from nrm.core.reference import ORGANISATION_KINDS

LANGUAGES = ("ky", "ru", "en")
ROOT = Path(__file__).resolve().parent
CRITERIA_FILE = "criteria.yaml"
SCREENING_DIR = "screening"
COMMON_FILE = "common.yaml"

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
# What must never reach a user: a file, a seed line, the design documents, a rule id, a hash.
# Provenance belongs in `source` fields and YAML comments, which no page shows.
INTERNAL_REFERENCE = re.compile(
    r"seeds/|\.txt\b|\.ya?ml\b|DOMAIN|ARCHITECTURE|§|\bR[1-8]\b|\b[0-9a-f]{12,}\b")


# A yes_no question whose short label opens with a negation, or whose question is asked in the
# negative ("Don't you…?", "Do you not…?", "Не…ли…?"), needs yes_means: a "Yes" there reads both
# ways. A negation inside a positive question ("…where no one can hear us?") is fine.
NEGATIVE_LABEL = {
    "en": re.compile(r"^\s*(not|no|never|nobody|no one|without)\b", re.IGNORECASE),
    "ru": re.compile(r"^\s*(не|нет|никто|никогда|без)(?![а-яё])", re.IGNORECASE),
}
NEGATIVE_QUESTION = {
    "en": re.compile(r"(^|[.?!]\s+)(\w+n't|(do|does|did|is|are|was|were|have|has|can|could|will|would)"
                     r"\s+(you|they|he|she|it|the person|the child)\s+not)\b", re.IGNORECASE),
    "ru": re.compile(r"(^|[.?!]\s+)(не|нет)(?![а-яё])", re.IGNORECASE),
}


# Authoring rules (no internal reference in a user's text, negative wording declared) hold for the
# catalogue being loaded or checked; a stored snapshot of an older version, which screenings made
# under it still need, is read under the structural rules only.
_AUTHORING = ContextVar("sops_authoring_rules", default=True)

def _translations(reader, node, key, where, text: dict) -> dict:
    """The en/ru/ky texts of a mapping, each present and free of internal references."""
    for language in LANGUAGES:
        if not isinstance(text.get(language), str) or not text[language].strip():
            reader.problem(_line(node, key), f"{where}.{key}.{language}", "translation is missing")
        elif found := internal_reference(text[language]):
            reader.problem(_line(node, key), f"{where}.{key}.{language}",
                           f"users see this text: no internal reference ({found!r}); "
                           "put provenance in `source` or a comment")
    return {k: v for k, v in text.items() if k in LANGUAGES and isinstance(v, str)}


NUMBERING = re.compile(r"^\s*\d+[.)]\s*")


def internal_reference(text: str) -> str | None:
    if not _AUTHORING.get():
        return None
    found = INTERNAL_REFERENCE.search(text or "")
    return found.group(0) if found else None


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


class _Checker:
    """Checks on a line-aware YAML tree that report into the reader's problem list."""

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

    def texts(self, node, where, key="text"):
        text = self.require(node, key, dict, where)
        if text is None:
            return {}
        return _translations(self.r, node, key, where, text)

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


class _CriteriaChecker(_Checker):
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


class _ScriptChecker:
    """Checks one screening script, assembled from common.yaml and the agency file."""

    def __init__(self, known_ids: set[str]):
        self.known_ids = known_ids

    # -- texts and scalars, reported against the reader of the file the node came from
    def texts(self, r, node, key, where, required=True):
        text = node.get(key) if isinstance(node, Node) else None
        if text is None:
            if required:
                r.problem(_line(node), f"{where}.{key}", "is missing")
            return None
        if not isinstance(text, dict):
            r.problem(_line(node, key), f"{where}.{key}", "must be a mapping of en, ru and ky texts")
            return None
        return _translations(r, node, key, where, text)

    def ids_known(self, r, line, where, ids):
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            r.problem(line, where, "must be a list of indicator or fact ids")
            return ()
        for identifier in ids:
            if identifier not in self.known_ids:
                r.problem(line, where, f"unknown indicator or fact id {identifier!r}")
        return tuple(ids)

    def question(self, r, node, where) -> sc.Question | None:
        if not isinstance(node, Node) or not isinstance(node.get("id"), str):
            r.problem(_line(node), where, "a question needs an id")
            return None
        qid = node["id"]
        where = f"{where}.questions[{qid}]"
        qtype = node.get("type")
        if qtype not in sc.QUESTION_TYPES:
            r.problem(_line(node, "type"), f"{where}.type",
                      f"{qtype!r} is not one of {', '.join(sc.QUESTION_TYPES)}")
        label = self.texts(r, node, "label", where) or {}
        ask = self.texts(r, node, "ask", where, required=False) or label
        help_text = self.texts(r, node, "help", where, required=False)
        options = []
        if qtype in ("choice", "multi"):
            raw = node.get("options")
            if not isinstance(raw, list) or not raw:
                r.problem(_line(node), f"{where}.options", f"a {qtype} question needs options")
            seen = set()
            for option, line in zip(raw or [], getattr(raw, "item_lines", []), strict=False):
                oid = option.get("id") if isinstance(option, Node) else None
                if not isinstance(oid, str):
                    r.problem(line, f"{where}.options", "each option needs an id")
                    continue
                if oid in seen:
                    r.problem(line, f"{where}.options[{oid}]", f"duplicate option id {oid!r}")
                seen.add(oid)
                olabel = self.texts(r, option, "label", f"{where}.options[{oid}]") or {}
                oraises = self.ids_known(r, _line(option, "raises"), f"{where}.options[{oid}].raises",
                                         option.get("raises", []))
                oshow = option.get("show_if")
                if oshow is not None and not isinstance(oshow, dict):
                    r.problem(_line(option, "show_if"), f"{where}.options[{oid}].show_if",
                              "must be a condition mapping")
                    oshow = None
                options.append(sc.Option(oid, olabel, oraises, oshow))
        elif "options" in node:
            r.problem(_line(node, "options"), f"{where}.options", f"a {qtype} question has no options")
        raises = {}
        if "raises" in node:
            if qtype != "yes_no" or not isinstance(node["raises"], dict):
                r.problem(_line(node, "raises"), f"{where}.raises",
                          "question-level raises is a mapping of \"yes\"/\"no\" to ids (yes_no only); "
                          "choice options carry their own raises")
            else:
                for answer, ids in node["raises"].items():
                    if answer not in sc.YES_NO:
                        r.problem(_line(node, "raises"), f"{where}.raises",
                                  f"{answer!r} is not \"yes\" or \"no\"")
                    raises[answer] = self.ids_known(r, _line(node, "raises"), f"{where}.raises.{answer}", ids)
        maps_to = node.get("maps_to")
        if maps_to is not None and maps_to not in sc.MAPS_TO:
            r.problem(_line(node, "maps_to"), f"{where}.maps_to", f"{maps_to!r} is not a known field")
        yes_means = self.texts(r, node, "yes_means", where, required=False)
        if yes_means and qtype != "yes_no":
            r.problem(_line(node, "yes_means"), f"{where}.yes_means", "only a yes_no question has yes_means")
        if qtype == "yes_no" and not yes_means and _AUTHORING.get():
            for language in NEGATIVE_LABEL:
                if (NEGATIVE_LABEL[language].search(label.get(language, ""))
                        or NEGATIVE_QUESTION[language].search(ask.get(language, ""))):
                    r.problem(_line(node), f"{where}.yes_means",
                              f"the {language} wording is negative, so a plain yes reads both ways: "
                              "say what a yes records in yes_means (or word it positively)")
                    break
        emergency = bool(node.get("emergency", False))
        if emergency and qtype != "yes_no":
            r.problem(_line(node, "emergency"), f"{where}.emergency",
                      "only a yes_no question can be an emergency")
        for bound in ("min", "max"):
            if bound in node and (qtype != "number" or not isinstance(node[bound], int)):
                r.problem(_line(node, bound), f"{where}.{bound}",
                          "only a number question has whole-number bounds")
        return sc.Question(
            id=qid, type=qtype or "text", label=label, ask=ask, help=help_text,
            required=bool(node.get("required", False)), options=tuple(options), raises=raises,
            minimum=node.get("min"), maximum=node.get("max"), show_if=node.get("show_if"),
            maps_to=maps_to, emergency=emergency, yes_means=yes_means, line=node.line)

    def step(self, r, node, where) -> sc.Step | None:
        if not isinstance(node, Node) or not isinstance(node.get("id"), str):
            r.problem(_line(node), where, "a step needs an id (or `use:` a common step)")
            return None
        sid = node["id"]
        where = f"steps[{sid}]"
        title = self.texts(r, node, "title", where) or {}
        intro = self.texts(r, node, "intro", where, required=False)
        actions = self.points(r, node, "emergency_actions", where)
        read_aloud = self.points(r, node, "read_aloud", where)
        raw = node.get("questions")
        if not isinstance(raw, list) or not raw:
            r.problem(_line(node), f"{where}.questions", "a step needs at least one question")
            raw = []
        questions = [q for q in (self.question(r, item, where) for item in raw) if q]
        return sc.Step(sid, title, tuple(questions), intro, node.get("show_if"), actions,
                       read_aloud=read_aloud, line=node.line)

    def points(self, r, node, key, where):
        """Numbered points read to the person: a list per language, the same number in each."""
        raw = node.get(key)
        if raw is None:
            return None
        if not isinstance(raw, dict):
            r.problem(_line(node, key), f"{where}.{key}", "must be a mapping of en, ru and ky lists")
            return None
        lists = {}
        for language in LANGUAGES:
            items = raw.get(language)
            if isinstance(items, str):   # catalogues before 2026.2 wrote "1. …" lines in one text
                items = [NUMBERING.sub("", line).strip() for line in items.splitlines() if line.strip()]
            if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip()
                                                                   for i in items):
                r.problem(_line(node, key), f"{where}.{key}.{language}", "must be a non-empty list of texts")
                continue
            for item in items:
                if internal_reference(item):
                    r.problem(_line(node, key), f"{where}.{key}.{language}",
                              f"users see this text: no internal reference ({internal_reference(item)!r})")
            lists[language] = tuple(items)
        if len({len(v) for v in lists.values()}) > 1:
            counts = ", ".join(f"{k} {len(v)}" for k, v in lists.items())
            r.problem(_line(node, key), f"{where}.{key}",
                      f"each language must have the same points ({counts})")
        return lists or None

    # -- cross-references within the assembled script
    def conditions(self, r, line, where, condition, earlier: dict[str, sc.Question]):
        if not isinstance(condition, dict):
            r.problem(line, f"{where}.show_if", "must be a condition mapping")
            return
        for combinator in ("any", "all"):
            if combinator in condition:
                parts = condition[combinator]
                if not isinstance(parts, list) or not parts:
                    r.problem(line, f"{where}.show_if.{combinator}", "must be a non-empty list of conditions")
                    return
                for part in parts:
                    self.conditions(r, line, where, part, earlier)
                return
        target = condition.get("question")
        operators = [k for k in condition if k in sc.CONDITION_OPERATORS]
        if not isinstance(target, str) or len(operators) != 1:
            r.problem(line, f"{where}.show_if",
                      f"needs `question` and one of {', '.join(sc.CONDITION_OPERATORS)} (or any/all)")
            return
        question = earlier.get(target)
        if question is None:
            r.problem(line, f"{where}.show_if",
                      f"refers to {target!r}, which is not an earlier question of this script")
            return
        operator, value = operators[0], condition[operators[0]]
        possible = (set(sc.YES_NO) if question.type == "yes_no" else
                    {o.id for o in question.options} if question.type in ("choice", "multi") else None)
        values = value if operator == "in" else [value] if operator == "equals" else []
        if operator == "in" and not isinstance(value, list):
            r.problem(line, f"{where}.show_if.in", "must be a list")
        if possible is not None:
            for v in values:
                if v not in possible:
                    takes = ", ".join(sorted(possible))
                    r.problem(line, f"{where}.show_if",
                              f"unreachable: {target!r} can never be {v!r} (it takes {takes})")
        if operator in ("below", "at_least") and (question.type != "number" or not isinstance(value, int)):
            r.problem(line, f"{where}.show_if", f"{operator} needs a number question and a whole number")

    def assemble(self, r, data, common: dict, common_lines: dict, common_reader) -> sc.Script | None:
        where = "script"
        script_id = data.get("script")
        if not isinstance(script_id, str) or not script_id:
            r.problem(_line(data), "script", "is missing")
        kinds = data.get("agency_kinds")
        if not isinstance(kinds, list) or not kinds:
            r.problem(_line(data), "agency_kinds", "must list the organisation kinds that use this script")
            kinds = []
        for kind in kinds:
            if kind not in ORGANISATION_KINDS:
                r.problem(_line(data, "agency_kinds"), "agency_kinds", f"unknown organisation kind {kind!r}")
        title = self.texts(r, data, "title", where) or {}
        for key in ("version", "source"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                r.problem(_line(data), key, "is missing")
        raw = data.get("steps")
        if not isinstance(raw, list) or not raw:
            r.problem(_line(data), "steps", "is missing")
            return None
        steps, origins = [], []
        for node, line in zip(raw, raw.item_lines, strict=True):
            if isinstance(node, Node) and "use" in node:
                used = node["use"]
                if used not in common:
                    r.problem(line, "steps.use", f"common.yaml has no step {used!r}")
                    continue
                steps.append(common[used])
                origins.append((common_reader, common_lines[used]))
            else:
                step = self.step(r, node, "steps")
                if step:
                    steps.append(step)
                    origins.append((r, line))
        if steps and steps[0].id != "safety":
            r.problem(raw.item_lines[0], "steps", "the first step must be `safety` (immediate danger first)")
        seen_steps, earlier, maps = set(), {}, {}
        for step, (reader, line) in zip(steps, origins, strict=True):
            if step.id in seen_steps:
                r.problem(line, f"steps[{step.id}]", f"duplicate step id {step.id!r}")
            seen_steps.add(step.id)
            if step.show_if is not None:
                self.conditions(reader, line, f"steps[{step.id}]", step.show_if, earlier)
            for question in step.questions:
                qwhere = f"steps[{step.id}].questions[{question.id}]"
                if question.id in earlier:
                    reader.problem(question.line, qwhere, f"duplicate question id {question.id!r}")
                if question.show_if is not None:
                    self.conditions(reader, question.line, qwhere, question.show_if, earlier)
                for option in question.options:
                    if option.show_if is not None:
                        self.conditions(reader, question.line, f"{qwhere}.options[{option.id}]",
                                        option.show_if, earlier)
                if question.maps_to:
                    if question.maps_to in maps:
                        reader.problem(question.line, f"{qwhere}.maps_to",
                                       f"{question.maps_to!r} is already given by {maps[question.maps_to]!r}")
                    maps[question.maps_to] = question.id
                earlier[question.id] = question
        return sc.Script(id=script_id or "", agency_kinds=tuple(kinds), title=title,
                         version=str(data.get("version", "")), content_hash="",
                         status=str(data.get("status", "provisional")), source=str(data.get("source", "")),
                         steps=tuple(steps))


def load_scripts(folder: Path, criteria: Criteria, prefix: str) -> tuple[dict[str, sc.Script], list[Problem]]:
    checker = _ScriptChecker(set(criteria.indicators) | set(criteria.facts))
    common_path = folder / COMMON_FILE
    if not common_path.exists():
        return {}, [Problem(f"{prefix}/{COMMON_FILE}", 1, "(file)", "is missing")]
    common_reader = _Reader(common_path, f"{prefix}/{COMMON_FILE}")
    common_data, common_raw = common_reader.read()
    common, common_lines = {}, {}
    raw_steps = common_data.get("steps") if isinstance(common_data, Node) else None
    if not isinstance(raw_steps, list):
        common_reader.problem(1, "steps", "common.yaml must have a list of steps")
        raw_steps = []
    for node, line in zip(raw_steps, getattr(raw_steps, "item_lines", []), strict=False):
        step = checker.step(common_reader, node, "steps")
        if step:
            if step.id in common:
                common_reader.problem(line, f"steps[{step.id}]", f"duplicate step id {step.id!r}")
            common[step.id], common_lines[step.id] = step, line
    scripts, problems = {}, list(common_reader.problems)
    for path in sorted(folder.glob("*.yaml")):
        if path.name == COMMON_FILE:
            continue
        reader = _Reader(path, f"{prefix}/{path.name}")
        data, raw = reader.read()
        common_reader.problems = []
        script = checker.assemble(reader, data, common, common_lines, common_reader) \
            if isinstance(data, Node) else None
        if data is not None and not isinstance(data, Node):
            reader.problem(1, "(file)", "must be a mapping with script, agency_kinds, title, steps")
        problems += reader.problems + common_reader.problems
        if script and script.id:
            if script.id in scripts:
                problems.append(Problem(reader.display, 1, "script", f"duplicate script id {script.id!r}"))
            digest = hashlib.sha256(common_raw + b"\0" + raw).hexdigest()
            scripts[script.id] = sc.Script(**{**script.__dict__, "content_hash": digest})
    unique, seen = [], set()
    for problem in problems:
        if problem not in seen:
            unique.append(problem)
            seen.add(problem)
    return scripts, unique


@dataclass(frozen=True)
class Catalogue:
    criteria: Criteria
    scripts: dict
    # the YAML texts by path relative to the catalogue folder, for version snapshots
    texts: dict = field(default_factory=dict)
    script_files: dict = field(default_factory=dict)
    routing: object = None      # nrm.core.routing.Routing (routing.yaml), None in a snapshot
    directory: tuple = ()       # directory.yaml entries: the seed of the directory of services

    def snapshot(self, kind: str) -> dict[str, str]:
        """The texts a version of ``criteria`` or ``script:<id>`` consists of."""
        if kind == "criteria":
            return {CRITERIA_FILE: self.texts[CRITERIA_FILE]}
        script_file = self.script_files[kind.split(":", 1)[1]]
        common = f"{SCREENING_DIR}/{COMMON_FILE}"
        return {common: self.texts[common], script_file: self.texts[script_file]}

    def script_for(self, organisation_kind: str) -> sc.Script | None:
        return next((s for s in self.scripts.values() if organisation_kind in s.agency_kinds), None)


def load_catalogue(root: Path = ROOT) -> Catalogue:
    """The whole catalogue: criteria and every agency screening script."""
    criteria = load_criteria(root / CRITERIA_FILE, f"{root.name}/{CRITERIA_FILE}")
    scripts, problems, script_files = {}, [], {}
    texts = {CRITERIA_FILE: (root / CRITERIA_FILE).read_text(encoding="utf-8")}
    if (root / SCREENING_DIR).is_dir():
        scripts, problems = load_scripts(root / SCREENING_DIR, criteria, f"{root.name}/{SCREENING_DIR}")
        for path in sorted((root / SCREENING_DIR).glob("*.yaml")):
            relative = f"{SCREENING_DIR}/{path.name}"
            texts[relative] = path.read_text(encoding="utf-8")
            data = yaml.safe_load(texts[relative]) if path.name != COMMON_FILE else None
            if isinstance(data, dict) and data.get("script") in scripts:
                script_files[data["script"]] = relative
    routing, directory = None, ()
    from sops.routing_loader import DIRECTORY_FILE, ROUTING_FILE, load_directory, load_routing

    for name, loader in ((ROUTING_FILE, load_routing), (DIRECTORY_FILE, load_directory)):
        if (root / name).is_file():
            try:
                loaded = loader(root / name, f"{root.name}/{name}")
            except CatalogueInvalid as invalid:
                problems.extend(invalid.problems)
                continue
            if name == ROUTING_FILE:
                routing = loaded
            else:
                directory = tuple(loaded)
    if problems:
        raise CatalogueInvalid(problems)
    return Catalogue(criteria=criteria, scripts=scripts, texts=texts, script_files=script_files,
                     routing=routing, directory=directory)


def load_snapshot(files: dict[str, str]) -> Catalogue:
    """Rebuild a catalogue from stored texts (a screening's versions), through the same structural
    checks; the authoring rules added since (see ``_AUTHORING``) do not unmake an older version."""
    import tempfile

    token = _AUTHORING.set(False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "sops"
            for relative, text in files.items():
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_text(text, encoding="utf-8")
            return load_catalogue(root)
    finally:
        _AUTHORING.reset(token)


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
