"""The paper prompt sheet of a screening script: for a post without a connection, the whole
interview on paper — the safety questions and the consent text first, then every step — in the
officer's language with the person's beside it, tick boxes for the answers, and each condition
("ask only if …") in words. Entered in the system later as a paper screening (nrm.services.screening
.start with the interview's date and place)."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from nrm.core import screening as sc
from nrm.services import documents


def _text(texts, language) -> str:
    return (texts or {}).get(language) or (texts or {}).get("en") or ""


def condition_words(condition, questions: dict, language: str) -> str:
    """A show_if condition as the officer reads it: «Age (years)» under 18; «Citizenship» is «Foreign»."""
    if "any" in condition:
        return _(" or ").join(condition_words(c, questions, language) for c in condition["any"])
    if "all" in condition:
        return _(" and ").join(condition_words(c, questions, language) for c in condition["all"])
    question = questions.get(condition["question"])
    name = f"«{_text(question.label, language)}»" if question else condition["question"]

    def value_words(value):
        if question and question.type == "yes_no":
            return _("Yes") if value == "yes" else _("No")
        option = next((o for o in (question.options if question else ()) if o.id == value), None)
        return f"«{_text(option.label, language)}»" if option else str(value)

    if "equals" in condition:
        return _("%(question)s is %(value)s", question=name, value=value_words(condition["equals"]))
    if "in" in condition:
        values = _(" or ").join(value_words(v) for v in condition["in"])
        return _("%(question)s is %(value)s", question=name, value=values)
    if "below" in condition:
        return _("%(question)s is under %(n)s", question=name, n=condition["below"])
    if "at_least" in condition:
        return _("%(question)s is %(n)s or more", question=name, n=condition["at_least"])
    if "answered" in condition:
        return (_("%(question)s is answered", question=name) if condition["answered"]
                else _("%(question)s is not answered", question=name))
    return ""


def ordered_steps(script: sc.Script) -> list[sc.Step]:
    """Safety first, then consent (what is read to the person before the questions), then the rest."""
    first = [s for s in script.steps if s.id == "safety"] + [s for s in script.steps if s.id == "consent"]
    return first + [s for s in script.steps if s not in first]


def pdf(script: sc.Script, officer_language: str, person_language: str) -> bytes:
    questions = {q.id: q for s in script.steps for q in s.questions}
    with force_locale(officer_language):
        html = render_template(
            "screening/sheet.html", script=script, steps=ordered_steps(script), officer=officer_language,
            person=person_language, questions=questions, condition_words=condition_words,
            css=documents.stylesheet("sheet.css"), text=_text,
            visible_options=lambda q: q.options)
    return documents.pdf(html)
