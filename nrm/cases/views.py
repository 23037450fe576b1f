"""Case views of the receiving service: the list, the case page and one POST per kind of entry.
Each view asks the policy about this case, calls ``nrm.services.cases`` and redirects back."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from forms.referrals import (
    AttachmentForm,
    CaseNoteForm,
    CloseForm,
    IntakeForm,
    NeedsForm,
    NoteForm,
    ServiceForm,
    TaskForm,
)
from nrm import labels
from nrm.cases import bp
from nrm.clock import now
from nrm.core import lifecycle
from nrm.extensions import db
from nrm.models import Attachment, Case, CaseNote, CaseTask, Referral, ServiceRecord
from nrm.models.cases import NEEDS
from nrm.security import audit, policy, vault
from nrm.services import cases as service
from nrm.services import letters, worklists
from nrm.services import referrals as referrals_service
from nrm.views_common import (
    erased_page,
    organisation_choices,
    organisation_from,
    paged,
    reason_choices,
    record_or_404,
    refused,
)


class _Erased(Exception):
    def __init__(self, person):
        self.person = person


def _case(case_id: str, action: str = "view_case") -> Case:
    case = record_or_404(Case, case_id, action)
    if case.is_erased:
        raise _Erased(case.person)
    return case


@bp.errorhandler(_Erased)
def _erased(error):
    return erased_page(error.person)


def _need_choices():
    return [(n, str(labels.NEED_LABELS[n])) for n in NEEDS]


def _forms(case: Case) -> dict:
    stored_intake = service.intake(case)
    intake = IntakeForm(prefix="intake", data={k: v for k, v in stored_intake.items() if k != "arrival_date"})
    if stored_intake.get("arrival_date") and not intake.arrival_date.data:
        from datetime import date

        intake.arrival_date.data = date.fromisoformat(stored_intake["arrival_date"])
    assessment = service.needs(case)
    needs = NeedsForm(prefix="needs", data={"needed": [n for n, v in assessment.items() if v.get("needed")]})
    needs.needed.choices = _need_choices()
    task, delivered = TaskForm(prefix="task"), ServiceForm(prefix="service")
    task.need.choices = delivered.need.choices = _need_choices()
    close = CloseForm(prefix="close")
    close.reason.choices = reason_choices(lifecycle.CLOSURE_REASONS)
    transfer = NoteForm(prefix="transfer")
    return {
        "intake": intake,
        "needs": needs,
        "task": task,
        "service": delivered,
        "note": CaseNoteForm(prefix="note"),
        "attachment": AttachmentForm(prefix="file"),
        "close": close,
        "transfer": transfer,
    }


@bp.get("/")
@policy.requires("list_cases")
def index():
    page = paged(
        service.visible_to(current_user.organisation_id).order_by(*service.case_order())
        .options(referrals_service.with_references(Case.referral, Referral.screening))
    )
    language = str(get_locale())
    senders = worklists.organisation_names((c.referral.screening.organisation_id for c in page.rows),
                                           language)
    return render_template(
        "cases/index.html",
        page=page,
        now=now(),
        reference=lambda c: referrals_service.reference_of(c.referral.screening),
        # what the referral told this service, no more (its minimised payload)
        people={c.id: worklists.payload_words(c.referral, language) for c in page.rows},
        sender=lambda c: senders.get(c.referral.screening.organisation_id, "—"),
    )


# The case page in sections a worker moves between (one at a time: a long case stays readable on a
# phone); each form belongs to one section, and a form sent back with an error opens its section.
SECTIONS = ("summary", "plan", "services", "notes", "files", "history")
FORM_SECTIONS = {"intake": "summary", "needs": "summary", "transfer": "summary", "close": "summary",
                 "task": "plan", "service": "services", "note": "notes", "attachment": "files"}


def render_case(case: Case, forms: dict | None = None, status: int = 200, section: str | None = None):
    language = str(get_locale())
    failed = [name for name, form in (forms or {}).items() if form.errors]
    section = (FORM_SECTIONS.get(failed[0]) if failed else None) or section or request.args.get("section")
    section = section if section in SECTIONS else "summary"
    forms = forms or _forms(case)
    audit.record("case.view", object_type="case", object_id=case.id)
    db.session.commit()
    tasks = db.session.scalars(
        db.select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.due_on, CaseTask.created_at)
    ).all()
    delivered = db.session.scalars(
        db.select(ServiceRecord)
        .where(ServiceRecord.case_id == case.id)
        .order_by(ServiceRecord.delivered_on.desc())
    ).all()
    notes = db.session.scalars(
        db.select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.created_at.desc())
    ).all()
    files = db.session.scalars(
        db.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.uploaded_at.desc())
    ).all()
    transfer_choices = organisation_choices(case.referral.service, language, exclude=case.organisation_id)
    return render_template(
        "cases/show.html",
        case=case,
        forms=forms,
        tasks=tasks,
        delivered=delivered,
        notes=notes,
        files=files,
        lines=letters.describe(referrals_service.payload(case.referral), language),
        reference=referrals_service.reference_of(case.referral.screening),
        reflection_left=service.reflection_days_left(case),
        now=now(),
        transfer_choices=transfer_choices,
        may_edit=policy.may(current_user, "edit_case", case),
        assessment=service.needs(case),
        section=section,
        sections=SECTIONS,
        history=service.history(case) if section == "history" else [],
    ), status


@bp.get("/<case_id>")
def show(case_id):
    return render_case(_case(case_id))


def _done(case: Case, message: str, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    section = {"intake": "summary", "needs": "summary"}.get(anchor, anchor)
    return redirect(url_for("cases.show", case_id=case.id,
                            section=section if section in SECTIONS and section != "summary" else None))


def _invalid(case: Case, forms: dict):
    db.session.rollback()
    return render_case(case, forms, 422)


@bp.post("/<case_id>/intake")
def intake(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["intake"] = IntakeForm(prefix="intake")
    if not form.validate_on_submit():
        return _invalid(case, forms)
    service.save_intake(
        current_user,
        case,
        {
            "arrival_date": form.arrival_date.data.isoformat() if form.arrival_date.data else None,
            "accommodation": form.accommodation.data,
            "interpreter_arranged": form.interpreter_arranged.data,
            "safety_concerns": form.safety_concerns.data,
            "notes": form.notes.data,
        },
    )
    return _done(case, _("Intake saved."), "intake")


@bp.post("/<case_id>/needs")
def needs(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["needs"] = NeedsForm(prefix="needs")
    form.needed.choices = _need_choices()
    if not form.validate_on_submit():
        return _invalid(case, forms)
    chosen = set(form.needed.data or [])
    service.save_needs(current_user, case, {n: {"needed": n in chosen, "notes": ""} for n in NEEDS})
    if (form.notes.data or "").strip():
        service.add_note(current_user, case, form.notes.data)
    return _done(case, _("Needs assessment saved."), "needs")


@bp.post("/<case_id>/tasks")
def add_task(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["task"] = TaskForm(prefix="task")
    form.need.choices = _need_choices()
    if not form.validate_on_submit():
        return _invalid(case, forms)
    service.add_task(current_user, case, form.need.data, form.description.data, form.due_on.data)
    return _done(case, _("Added to the service plan."), "plan")


@bp.post("/<case_id>/tasks/<task_id>/done")
def task_done(case_id, task_id):
    case = _case(case_id, "edit_case")
    task = db.session.get(CaseTask, task_id)
    if task is None or task.case_id != case.id:
        abort(404)
    try:
        service.complete_task(current_user, case, task)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    return _done(case, _("Task done."), "plan")


@bp.post("/<case_id>/services")
def add_service(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["service"] = ServiceForm(prefix="service")
    form.need.choices = _need_choices()
    if not form.validate_on_submit():     # a date after today (in Bishkek) is refused by the field
        return _invalid(case, forms)
    service.record_service(current_user, case, form.need.data, form.delivered_on.data, form.note.data)
    return _done(case, _("Service recorded."), "services")


@bp.post("/<case_id>/notes")
def add_note(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["note"] = CaseNoteForm(prefix="note")
    if not form.validate_on_submit():
        return _invalid(case, forms)
    service.add_note(current_user, case, form.body.data)
    return _done(case, _("Note saved."), "notes")


@bp.post("/<case_id>/attachments")
def add_attachment(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["attachment"] = AttachmentForm(prefix="file")
    if not form.validate_on_submit():
        return _invalid(case, forms)
    upload = form.file.data
    try:
        service.add_attachment(current_user, case, upload.filename, upload.stream)
    except vault.FileRejected as problem:
        form.file.errors.append(_attachment_error(problem))
        return _invalid(case, forms)
    return _done(case, _("File attached (encrypted)."), "files")


def _attachment_error(problem) -> str:
    if getattr(problem, "reason", "") == "too_large":
        return _("The file is too large.")
    return _("Only PDF, PNG and JPEG files can be attached.")


@bp.get("/<case_id>/attachments/<attachment_id>")
def attachment(case_id, attachment_id):
    case = _case(case_id)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.case_id != case.id:
        abort(404)
    audit.record("case.attachment_view", object_type="case", object_id=case.id)
    db.session.commit()
    from urllib.parse import quote

    response = Response(service.open_attachment(item), mimetype=item.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(item.filename)}"
    return response


@bp.post("/<case_id>/review")
def reviewed(case_id):
    case = _case(case_id, "edit_case")
    service.mark_reviewed(current_user, case)
    return _done(case, _("Review recorded; the next one is due in two weeks."))


@bp.post("/<case_id>/close")
def close(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["close"] = CloseForm(prefix="close")
    form.reason.choices = reason_choices(lifecycle.CLOSURE_REASONS)
    if not form.validate_on_submit():
        return _invalid(case, forms)
    try:
        service.close(current_user, case, form.reason.data, form.note.data, form.follow_up_on.data)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    return _done(case, _("Case status: %(s)s.", s=labels.CASE_STATUS_LABELS[case.status]))


@bp.post("/<case_id>/reopen")
def reopen(case_id):
    case = _case(case_id, "view_case")
    try:
        service.reopen(current_user, case)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    return _done(case, _("Case reopened."))


@bp.post("/<case_id>/transfer")
def transfer(case_id):
    case = _case(case_id, "edit_case")
    forms = _forms(case)
    form = forms["transfer"] = NoteForm(prefix="transfer")
    target = request.form.get("transfer-organisation", "")
    organisation = organisation_from(target)
    if not form.validate_on_submit() or organisation is None:
        flash(_("Choose the centre and write why the case is transferred."), "error")
        return _invalid(case, forms)
    try:
        service.transfer(current_user, case, organisation, form.note.data)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        flash(refused(problem), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    db.session.commit()
    flash(_("Case transferred; the other centre has been sent a referral."), "success")
    return redirect(url_for("cases.index"))
