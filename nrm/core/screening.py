"""Screening scripts (pure): the structure of an agency's guided screening and the logic that
turns answers into what is shown next, the indicators raised and the fields that feed routing and
statistics. No Flask, no database: answers in, decisions out.

Answers are a mapping ``question id -> value``: "yes"/"no" for yes_no, an option id for choice,
a list of option ids for multi and languages, an int for number, ISO text for date, a code for
country and language, free text for text. A missing or empty answer means "not answered".
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

QUESTION_TYPES = ("yes_no", "choice", "multi", "text", "number", "date", "country", "language",
                  "languages")
YES_NO = ("yes", "no")
MAPS_TO = ("age", "age_uncertain", "sex", "citizenship_status", "citizenship_country",
           "native_language", "languages_spoken", "interpreter_needed", "interpreter_provided",
           "encounter_kind", "stay_region", "found_abroad_country", "exploitation_country",
           "exploitation_types", "needs", "asylum_wish", "fear_of_return", "suspect_of_offence",
           "consent_services", "consent_consular", "consent_statistics")
CONDITION_OPERATORS = ("equals", "in", "below", "at_least", "answered")


@dataclass(frozen=True)
class Option:
    id: str
    label: Mapping[str, str]
    raises: tuple[str, ...] = ()
    show_if: Mapping | None = None       # an option offered only when this holds (e.g. a child)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Mapping[str, str]
    ask: Mapping[str, str]
    help: Mapping[str, str] | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    raises: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # yes_no: answer -> ids
    minimum: int | None = None
    maximum: int | None = None
    show_if: Mapping | None = None
    maps_to: str | None = None
    emergency: bool = False
    yes_means: Mapping[str, str] | None = None   # what a "yes" records, where the wording is negative
    line: int = field(default=0, compare=False)  # where it is written, for validation messages


@dataclass(frozen=True)
class Step:
    id: str
    title: Mapping[str, str]
    questions: tuple[Question, ...]
    intro: Mapping[str, str] | None = None
    show_if: Mapping | None = None
    emergency_actions: Mapping[str, tuple[str, ...]] | None = None   # numbered actions, in order
    read_aloud: Mapping[str, tuple[str, ...]] | None = None   # points read to the person, in order
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Script:
    id: str
    agency_kinds: tuple[str, ...]
    title: Mapping[str, str]
    version: str
    content_hash: str
    status: str
    source: str
    steps: tuple[Step, ...]

    @property
    def catalogue_version(self) -> str:
        return f"{self.version}+{self.content_hash[:12]}"

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def questions(self):
        for step in self.steps:
            yield from step.questions


def answered(value) -> bool:
    return value not in (None, "", [], ())


def condition_holds(condition: Mapping, answers: Mapping) -> bool:
    if "any" in condition:
        return any(condition_holds(c, answers) for c in condition["any"])
    if "all" in condition:
        return all(condition_holds(c, answers) for c in condition["all"])
    value = answers.get(condition["question"])
    if "answered" in condition:
        return answered(value) == bool(condition["answered"])
    if not answered(value):
        return False
    if "equals" in condition:
        expected = condition["equals"]
        return expected in value if isinstance(value, list) else value == expected
    if "in" in condition:
        options = condition["in"]
        return any(v in options for v in value) if isinstance(value, list) else value in options
    if "below" in condition or "at_least" in condition:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return value < condition["below"] if "below" in condition else value >= condition["at_least"]
    return False


def visible(item, answers: Mapping) -> bool:
    return item.show_if is None or condition_holds(item.show_if, answers)


def visible_steps(script: Script, answers: Mapping) -> list[Step]:
    return [s for s in script.steps if visible(s, answers)]


def visible_questions(step: Step, answers: Mapping) -> list[Question]:
    return [q for q in step.questions if visible(q, answers)]


def visible_options(question: Question, answers: Mapping) -> tuple[Option, ...]:
    """The options offered now (a child-only option is never offered for an adult)."""
    return tuple(o for o in question.options if o.show_if is None or condition_holds(o.show_if, answers))


def _keep_offered(question: Question, value, answers: Mapping):
    """An answer without the options no longer offered (the age changed to an adult's)."""
    if not question.options or not any(o.show_if for o in question.options):
        return value
    offered = {o.id for o in visible_options(question, answers)}
    if isinstance(value, list):
        kept = [v for v in value if v in offered]
        return kept or None
    return value if value in offered else None


def effective_answers(script: Script, answers: Mapping) -> dict:
    """Only the answers to questions that are visible now: changing an earlier answer can hide a
    follow-up (or an option), whose old answer must then count for nothing."""
    kept: dict = {}  # show_if refers to earlier questions only, so judge by what is kept so far
    for step in script.steps:
        if not visible(step, kept):
            continue
        for question in step.questions:
            if answered(answers.get(question.id)) and visible(question, kept):
                value = _keep_offered(question, answers[question.id], kept)
                if answered(value):
                    kept[question.id] = value
    return kept


def raised(script: Script, answers: Mapping) -> set[str]:
    """The indicator and fact ids the (visible) answers raise."""
    ids: set[str] = set()
    current = effective_answers(script, answers)
    for question in script.questions():
        value = current.get(question.id)
        if value is None:
            continue
        if question.type == "yes_no":
            ids.update(question.raises.get(value, ()))
        elif question.options:
            chosen = value if isinstance(value, list) else [value]
            ids.update(i for option in question.options if option.id in chosen for i in option.raises)
    return ids


def mapped(script: Script, answers: Mapping) -> dict:
    """The answers that feed routing and the coarse analytic fields, by their ``maps_to`` name."""
    current = effective_answers(script, answers)
    return {q.maps_to: current[q.id] for q in script.questions() if q.maps_to and q.id in current}


def emergency(script: Script, answers: Mapping) -> bool:
    """Any emergency question answered yes: the emergency actions must be on screen now."""
    return any(q.emergency and answers.get(q.id) == "yes" for q in script.questions())


def missing_required(step: Step, answers: Mapping) -> list[str]:
    return [q.id for q in visible_questions(step, answers) if q.required and not answered(answers.get(q.id))]
