"""Screening views: parse the form, call ``nrm.services.screening``, render.

Every page that shows a person's answers records a ``screening.view`` audit event. Answers live
only in the sealed draft on the server (never in the cookie or the URL), so a screening survives a
timeout, a closed tab or a change of device and resumes at the step it was left on.
"""

import json
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from forms.screening import IdentityForm, StartForm, SubmitForm, country_choices, step_form, values_of
from nrm import labels, names
from nrm.core import screening as sc
from nrm.core.assessment import POSSIBLE, PRESUMED
from nrm.extensions import db
from nrm.models import Screening
from nrm.screening import bp
from nrm.security import audit, policy
from nrm.services import referrals
from nrm.services import screening as service
from nrm.views_common import erased_page, record_or_404

SCRIPT_LANGUAGES = ("ky", "ru", "en")  # languages the SOP texts exist in (others: interpreter)
RESULTS = (PRESUMED, POSSIBLE, "no_indicators")


def _officer_language() -> str:
    return str(get_locale())


class _Erased(Exception):
    """The person of this screening was erased: every page of it says so (views_common.erased_page)."""

    def __init__(self, person):
        self.person = person


def _screening(screening_id: str, action: str) -> Screening:
    screening = record_or_404(Screening, screening_id, action)
    if screening.is_erased:
        raise _Erased(screening.person)
    return screening


@bp.errorhandler(_Erased)
def _erased(error):
    return erased_page(error.person)


def _viewed(screening: Screening) -> None:
    audit.record("screening.view", object_type="screening", object_id=screening.id)
    db.session.commit()


@bp.get("/")
@policy.requires("list_screenings")
def index():
    form = StartForm()
    form.interview_language.choices = _language_names()
    form.interview_language.data = _officer_language()
    return _index_page(form)


def _index_page(form, status_code: int = 200):
    """The organisation's screenings: drafts to finish first (the most recently touched on top), then
    the submitted ones, newest first; `?status=draft|submitted` keeps one kind (kept in the URL)."""
    from nrm.services import worklists
    from nrm.views_common import paged

    status = request.args.get("status") if request.args.get("status") in ("draft", "submitted") else ""
    query = service.visible_to_org(current_user.organisation_id)
    if status:
        query = query.where(Screening.status == status)
    page = paged(query.order_by((Screening.status == "submitted"), Screening.updated_at.desc(), Screening.id))
    language = _officer_language()
    found = worklists.profiles(s.id for s in page.rows if s.status == "submitted")
    people = {sid: worklists.person_words(profile, language) for sid, profile in found.items() if profile}
    waiting = referrals.waiting_counts([s.id for s in page.rows if s.status == "submitted"])
    return render_template("screening/index.html", page=page, status=status, people=people, waiting=waiting,
                           form=form, script=service.script_for(current_user),
                           sheets=service.catalogue().scripts, reference=referrals.reference_of,
                           result_label=_result_label), status_code


def _language_names():
    from nrm.labels import LANGUAGE_NAMES

    return [(code, LANGUAGE_NAMES[code]) for code in SCRIPT_LANGUAGES]


@bp.get("/sheet/<script_id>.pdf")
@policy.requires("list_screenings")
def sheet(script_id):
    """The paper prompt sheet of an agency's script, in the officer's language (``lang``) with the
    person's beside it (``person``); no personal data is on it."""
    from flask import make_response

    from nrm.services import sheets

    script = service.catalogue().scripts.get(script_id)
    if script is None:
        abort(404)
    asked = request.args.get("lang"), request.args.get("person")
    officer = asked[0] if asked[0] in SCRIPT_LANGUAGES else _officer_language()
    person = asked[1] if asked[1] in SCRIPT_LANGUAGES else officer
    response = make_response(sheets.pdf(script, officer, person))
    response.headers["Content-Type"] = "application/pdf"
    name = f"nrm-sheet-{script.id}-{officer}-{person}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.post("/new")
@policy.requires("start_screening")
def new():
    script = service.script_for(current_user)
    if script is None:
        abort(403)
    form = StartForm()
    form.interview_language.choices = _language_names()
    if not form.validate_on_submit():
        return _index_page(form, 422)
    paper = form.from_paper.data
    screening = service.start(current_user, script, form.interview_language.data,
                              paper_interview_on=form.interview_on.data if paper else None,
                              paper_place=form.interview_place.data if paper else None)
    db.session.commit()
    return redirect(url_for("screening.step", screening_id=screening.id, step_id=screening.current_step))


@bp.get("/<screening_id>/resume")
def resume(screening_id):
    screening = _screening(screening_id, "view_screening")
    if screening.status != "draft":
        return redirect(url_for("screening.result", screening_id=screening.id))
    return redirect(url_for("screening.step", screening_id=screening.id,
                            step_id=screening.current_step or "safety"))


def _progress(script, given, step_id):
    steps = sc.visible_steps(script, sc.effective_answers(script, given))
    ids = [s.id for s in steps]
    return steps, (ids.index(step_id) + 1 if step_id in ids else 1)


@bp.route("/<screening_id>/step/<step_id>", methods=["GET", "POST"])
def step(screening_id, step_id):
    screening = _screening(screening_id, "edit_screening")
    _criteria, script = service.catalogue_of(screening)
    current_step = script.step(step_id)
    if current_step is None:
        abort(404)
    given = service.answers(screening)
    current = sc.effective_answers(script, given)
    shown = [q for q in current_step.questions if sc.visible(q, current)]
    form = step_form(current_step, _officer_language(), screening.interview_language,
                     formdata=request.form if request.method == "POST" else None, data=given, offered=current)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "next")
        form.validate()
        # "back" and "save" may leave required questions unanswered; an answer that is wrong (not
        # just missing) always stops here, so nothing typed is ever dropped
        wrong = [q for q in shown if getattr(form, q.id).errors
                 and (action == "next" or _typed(getattr(form, q.id)))]
        if action == "autosave":
            # the page saves what was typed before the session can end: every answer that is valid
            # is sealed into the draft now; one that is not waits for the officer (nothing moves)
            answered_now = values_of(form, current_step)
            values = {q.id: answered_now[q.id] for q in shown if q not in wrong}
            service.save_step(current_user, screening, script, current_step, values, go_to=step_id)
            db.session.commit()
            from nrm.services import sessions

            return {"saved": sum(1 for v in values.values() if sc.answered(v)), "kept_back": len(wrong),
                    "idle_seconds": sessions.idle_seconds_left(sessions.current())}
        if not wrong:
            answered_now = values_of(form, current_step)
            values = {q.id: answered_now[q.id] for q in shown}
            merged = {k: v for k, v in {**given, **values}.items() if sc.answered(v)}
            now_shown = [q for q in current_step.questions
                         if sc.visible(q, sc.effective_answers(script, merged))]
            appeared = action == "next" and any(q not in shown for q in now_shown)
            if action == "back":
                target = service.previous_step(script, merged, step_id)
            elif action == "next" and not appeared:
                target = service.next_step(script, merged, step_id)
            else:
                target = step_id
            service.save_step(current_user, screening, script, current_step, values, go_to=target)
            db.session.commit()
            if action == "save":
                flash(_("The screening is saved. Resume it from the list at any time."), "success")
                return redirect(url_for("screening.index"))
            if action == "next" and current_step.emergency_actions and sc.emergency(script, merged):
                return redirect(url_for("screening.emergency", screening_id=screening.id))
            if appeared:
                flash(_("Your answers opened more questions on this page."), "info")
            if target is None:
                return redirect(url_for("screening.summary", screening_id=screening.id))
            return redirect(url_for("screening.step", screening_id=screening.id, step_id=target))
        status = 422
    else:
        _viewed(screening)
    steps, position = _progress(script, given, step_id)
    return render_template(
        "screening/step.html", screening=screening, script=script, step=current_step, form=form,
        steps=steps, position=position, shown=shown, officer_language=_officer_language(),
        person_language=screening.interview_language, option_labels=_option_labels,
        emergency=current_step.emergency_actions and sc.emergency(script, given)), status


def _option_labels(question, language: str) -> dict:
    """The answer options of ``question`` in ``language`` (the person's), to show beside the
    officer's: the officer reads them out instead of translating on the spot."""
    if question.type == "yes_no":
        with force_locale(language):
            return {"yes": _("Yes"), "no": _("No")}
    return {o.id: o.label.get(language) for o in question.options}


def _typed(field) -> bool:
    return any(str(value).strip() for value in (field.raw_data or []))


@bp.get("/<screening_id>/emergency")
def emergency(screening_id):
    screening = _screening(screening_id, "edit_screening")
    _criteria, script = service.catalogue_of(screening)
    given = service.answers(screening)
    safety = script.steps[0]
    back = request.args.get("back")
    ids = {s.id for s in sc.visible_steps(script, sc.effective_answers(script, given))}
    _viewed(screening)
    return render_template("screening/emergency.html", screening=screening, step=safety,
                           next_step=back if back in ids else service.next_step(script, given, safety.id),
                           officer_language=_officer_language())


@bp.route("/<screening_id>/identity", methods=["GET", "POST"])
def identity(screening_id):
    screening = _screening(screening_id, "edit_screening")
    person = screening.person
    form = IdentityForm(obj=None if request.method == "POST" else person)
    form.document_country.choices = country_choices(_officer_language())
    matches = None
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data or None for name in
                  ("family_name", "given_name", "patronymic", "other_names", "birth_date",
                   "document_number", "document_country", "contact")}
        matches = service.set_identity(current_user, screening, fields)
        db.session.commit()
        if not matches:
            flash(_("Identity details saved."), "success")
            return redirect(url_for("screening.summary", screening_id=screening.id))
    elif request.method == "GET":
        _viewed(screening)
    return render_template("screening/identity.html", screening=screening, form=form, matches=matches), \
        422 if form.errors else 200


@bp.route("/<screening_id>/summary", methods=["GET", "POST"])
def summary(screening_id):
    screening = _screening(screening_id, "view_screening")
    if screening.status == "submitted":     # submitted meanwhile (a double click, a retry): show it
        flash(_("This screening has been submitted; here is its result."), "info")
        return redirect(url_for("screening.result", screening_id=screening.id))
    policy.require(current_user, "edit_screening", screening)
    criteria, script = service.catalogue_of(screening)
    given = service.answers(screening)
    current = sc.effective_answers(script, given)
    form = SubmitForm()
    form.officer_result.choices = [("", "—")] + [(code, _result_label(code)) for code in RESULTS]
    outcome, _values = service.assessment_of(criteria, script, given)
    missing = [(s, q) for s in sc.visible_steps(script, current) for q in sc.visible_questions(s, current)
               if q.required and not sc.answered(current.get(q.id))]
    if form.validate_on_submit() and not missing:
        agrees = form.agreement.data == "agree"
        if not agrees and (not form.officer_result.data or not (form.justification.data or "").strip()):
            form.justification.errors.append(
                _("To disagree, choose your assessment and write why. Both are kept beside the result."))
        else:
            try:
                service.submit(current_user, screening, agrees, form.officer_result.data or None,
                               form.justification.data)
            except service.AlreadySubmitted:
                db.session.rollback()
                flash(_("This screening has been submitted; here is its result."), "info")
                return redirect(url_for("screening.result", screening_id=screening.id))
            proposed = referrals.propose(current_user, screening)
            db.session.commit()
            if proposed:
                flash(ngettext("The routing rules propose %(num)d referral. Review it and send it.",
                               "The routing rules propose %(num)d referrals. Review them and send.",
                               len(proposed)), "info")
            return redirect(url_for("screening.result", screening_id=screening.id))
    elif request.method == "GET":
        _viewed(screening)
    return render_template("screening/summary.html", screening=screening, script=script, form=form,
                           steps=sc.visible_steps(script, current), answers=current, outcome=outcome,
                           assessment=json.loads(service.assessment_document(outcome)), criteria=criteria,
                           missing=missing, officer_language=_officer_language(),
                           display=_display), 422 if request.method == "POST" else 200


def _result_label(code):
    return str(labels.RESULT_LABELS[code])


def _display(question, value, language):
    """An answer as words: options by their label, countries and languages by their name."""
    if question.type == "yes_no":
        return _("Yes") if value == "yes" else _("No")
    if question.options:
        labels_of = {o.id: o.label.get(language, o.id) for o in question.options}
        return ", ".join(labels_of.get(v, v) for v in (value if isinstance(value, list) else [value]))
    if question.type == "country":
        return names.country_name(value, language)
    if question.type in ("language", "languages"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.language_name(v, language) for v in values)
    if question.type == "date":
        return format_date(date.fromisoformat(value)) if isinstance(value, str) else str(value)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


@bp.get("/<screening_id>")
def result(screening_id):
    screening = _screening(screening_id, "view_screening")
    if screening.status != "submitted":
        return redirect(url_for("screening.resume", screening_id=screening.id))
    criteria, script = service.catalogue_of(screening)
    assessment = json.loads(screening.assessment_json or "{}")
    _viewed(screening)
    return render_template("screening/result.html", screening=screening, criteria=criteria, script=script,
                           referral_count=len(referrals.of_screening(screening)),
                           assessment=assessment, result_label=_result_label(screening.result),
                           officer_label=_result_label(screening.officer_result or screening.result),
                           officer_language=_officer_language())
