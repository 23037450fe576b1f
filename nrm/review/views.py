"""The coordinator's workspace. The queue and the case summaries show codes, organisations and
clocks — never a name. Personal data opens only through ``access`` with a stated reason, recorded
in the trail as a flagged event (``person.view_with_reason.<reason>``) whose object is the sealed
note of the details the coordinator wrote (``access_note:<id>``, shown to auditors)."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from forms.referrals import (
    DecisionForm,
    DirectoryForm,
    KeepHoldForm,
    NoteForm,
    OrganisationChoiceForm,
    QueueFilterForm,
    ReasonForm,
    WithdrawHeldForm,
)
from nrm import labels
from nrm.clock import now, today
from nrm.core import lifecycle
from nrm.core.reference import REGIONS
from nrm.core.routing import SERVICE_TYPES
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models import Case, Escalation, Identification, Organisation, Person, Referral, Screening
from nrm.models.people import ERASURE_REASONS
from nrm.review import bp
from nrm.security import audit, policy
from nrm.services import directory, people, references, worklists
from nrm.services import referrals as service
from nrm.services import screening as screenings
from nrm.services.cases import case_order
from nrm.views_common import (
    erased_page,
    organisation_choices,
    organisation_from,
    paged,
    reason_choices,
    record_or_404,
    refused,
)

ACCESS_REASONS = (
    "identification_decision",
    "safety_check_review",
    "rerouting",
    "prosecutor_request",
    "erasure_request",
    "data_correction",
)


def _language() -> str:
    return str(get_locale())


def _referral(referral_id: str) -> Referral:
    return record_or_404(Referral, referral_id, "coordinate_referrals")


@bp.get("/")
@policy.requires("view_queue")
def queue():
    form = QueueFilterForm(request.args)
    form.state.choices = [("", _("Open (not yet answered or held)"))] + [
        (s, str(labels.REFERRAL_STATE_LABELS[s])) for s in lifecycle.REFERRAL_STATES
    ]
    form.region.choices = [("", _("All regions"))] + [(r, str(labels.REGION_LABELS[r])) for r in REGIONS]
    form.service.choices = [("", _("All services"))] + [
        (s, str(labels.SERVICE_LABELS[s])) for s in SERVICE_TYPES
    ]
    at = now()
    query = db.select(Referral)
    state = form.state.data if form.state.data in lifecycle.REFERRAL_STATES else ""
    if state:
        query = query.where(Referral.state == state)
    else:
        query = query.where(
            db.or_(
                Referral.state.in_(("sent", "acknowledged", "declined")),
                db.and_(Referral.state == "proposed", Referral.hold.is_not(None)),
            )
        )
    if form.region.data in REGIONS:
        query = query.where(Referral.region == form.region.data)
    if form.service.data in SERVICE_TYPES:
        query = query.where(Referral.service == form.service.data)
    if form.overdue.data:
        query = query.where(
            db.or_(
                db.and_(Referral.state == "sent", Referral.acknowledge_due <= at),
                db.and_(Referral.state.in_(("sent", "acknowledged")), Referral.accept_due <= at),
            )
        )
    # what is due first on top: overdue, then the soonest; held and declined ones (no clock) after
    page = paged(query.order_by(worklists.due_order().is_(None), worklists.due_order(), Referral.created_at,
                                Referral.id)
                 .options(service.with_references(Referral.screening), selectinload(Referral.organisation)))
    # open escalations grouped per record: one line per referral or decision, with its reasons
    open_escalations = db.session.scalars(
        db.select(Escalation)
        .where(Escalation.resolved_at.is_(None))
        .order_by(Escalation.created_at)
        .limit(1000)
    ).all()
    groups: dict = {}
    for e in open_escalations:
        group = groups.setdefault((e.subject_type, e.subject_id), {"subject_type": e.subject_type,
                                                                    "subject_id": e.subject_id, "kinds": [],
                                                                    "since": e.created_at})
        if e.kind not in group["kinds"]:
            group["kinds"].append(e.kind)
    escalated = set(groups)
    grouped = list(groups.values())
    escalation_page = max(1, request.args.get("escalations", 1, type=int))
    shown_groups = grouped[(escalation_page - 1) * 20:escalation_page * 20]
    named = references.describe(((g["subject_type"], g["subject_id"]) for g in shown_groups), _language())
    language = _language()
    found = worklists.profiles(r.screening_id for r in page.rows)
    persons = {r.id: worklists.person_words(found.get(r.screening_id), language) for r in page.rows}
    senders = worklists.organisation_names((r.screening.organisation_id for r in page.rows), language)
    alerts = db.session.scalars(
        db.select(Referral)
        .where(
            Referral.non_punishment.is_(True),
            Referral.service == "law_enforcement",
            Referral.state.in_(lifecycle.REFERRAL_OPEN),
        )
        .limit(100)
        .options(service.with_references(Referral.screening), selectinload(Referral.organisation))
    ).all()
    pending = (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Identification)
            .where(Identification.status == lifecycle.POSSIBLE_VICTIM)
        )
        or 0
    )
    return render_template(
        "review/queue.html",
        form=form,
        page=page,
        filters={k: v for k, v in request.args.items() if k != "page"},
        escalations=shown_groups,
        escalation_total=len(grouped),
        escalation_page=escalation_page,
        named=named,
        escalated=escalated,
        people=persons,
        sender=lambda r: senders.get(r.screening.organisation_id, "—"),
        next_due=worklists.next_due,
        alerts=alerts,
        pending=pending,
        now=at,
        reference=lambda r: service.reference_of(r.screening),
    )


@bp.get("/referrals/<referral_id>")
def referral(referral_id):
    item = _referral(referral_id)
    language = _language()
    decline_form, withdraw_form = ReasonForm(), ReasonForm()
    decline_form.reason.choices = reason_choices(lifecycle.DECLINE_REASONS)
    withdraw_form.reason.choices = reason_choices(lifecycle.WITHDRAW_REASONS)
    choose = OrganisationChoiceForm()
    choose.organisation.choices = organisation_choices(item.service, language, exclude=item.organisation_id)
    escalations = db.session.scalars(
        db.select(Escalation).where(Escalation.subject_type == "referral", Escalation.subject_id == item.id)
    ).all()
    audit.record("referral.review", object_type="referral", object_id=item.id)
    db.session.commit()
    return render_template(
        "review/referral.html",
        referral=item,
        rules=service.basis_texts(item),
        note_form=NoteForm(),
        keep_form=KeepHoldForm(),
        withdraw_held_form=_withdraw_held_form(),
        choose=choose,
        decline_form=decline_form,
        withdraw_form=withdraw_form,
        escalations=escalations,
        on_behalf=policy.may(current_user, "answer_referral", item),
        now=now(),
        reference=service.reference_of(item.screening),
    )


def _back(item: Referral):
    return redirect(url_for("review.referral", referral_id=item.id))


@bp.post("/referrals/<referral_id>/release")
def release(referral_id):
    item = _referral(referral_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Write why the hold is lifted."), "error")
        return _back(item)
    try:
        service.release_hold(current_user, item, form.note.data)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return _back(item)
    db.session.commit()
    flash(_("Hold lifted. Send the referral when ready."), "success")
    return _back(item)


def _withdraw_held_form() -> WithdrawHeldForm:
    form = WithdrawHeldForm()
    form.reason.choices = reason_choices(lifecycle.HOLD_WITHDRAW_REASONS)
    return form


@bp.post("/referrals/<referral_id>/keep-hold")
def keep_hold(referral_id):
    """The hold stands: the safety check is not over. Looked at again on the review date."""
    item = _referral(referral_id)
    form = KeepHoldForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for field in form.errors.values() for e in field), "error")
        return _back(item)
    try:
        service.keep_hold(current_user, item, form.review_on.data, form.note.data)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return _back(item)
    db.session.commit()
    flash(_("The referral stays on hold until it is looked at again."), "success")
    return _back(item)


@bp.post("/referrals/<referral_id>/withdraw-held")
def withdraw_held(referral_id):
    """The held referral is never sent (non-refoulement, or the person's wish)."""
    item = _referral(referral_id)
    form = _withdraw_held_form()
    if not form.validate_on_submit():
        flash(_("Choose the ground and write the reason."), "error")
        return _back(item)
    try:
        service.withdraw_held(current_user, item, form.reason.data, form.note.data)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        flash(refused(problem), "error")
        return _back(item)
    db.session.commit()
    flash(_("The referral is withdrawn and will not be sent; the reason is kept."), "success")
    return _back(item)


@bp.post("/referrals/<referral_id>/send")
def send(referral_id):
    item = _referral(referral_id)
    try:
        service.send(current_user, item)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        flash(refused(problem), "error")
        return _back(item)
    db.session.commit()
    flash(_("Referral sent."), "success")
    return _back(item)


@bp.post("/referrals/<referral_id>/route")
def route(referral_id):
    """Assign the organisation of a held proposal, or re-route a declined referral."""
    item = _referral(referral_id)
    form = OrganisationChoiceForm()
    form.organisation.choices = organisation_choices(item.service, _language(), exclude=item.organisation_id)
    if not form.validate_on_submit():
        flash(_("Choose the organisation and write why."), "error")
        return _back(item)
    organisation = organisation_from(form.organisation.data)
    try:
        if item.state == "declined":
            again = service.reroute(current_user, item, organisation, form.note.data)
            db.session.commit()
            flash(_("Re-routed: a new referral has been sent."), "success")
            return redirect(url_for("review.referral", referral_id=again.id))
        service.assign(current_user, item, organisation)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        flash(refused(problem), "error")
        return _back(item)
    db.session.commit()
    flash(_("Organisation chosen."), "success")
    return _back(item)


@bp.post("/escalations/<subject_type>/<subject_id>/resolve")
@policy.requires("view_queue")
def resolve(subject_type, subject_id):
    """Every open escalation of one record marked handled at once."""
    found = db.session.scalars(db.select(Escalation).where(
        Escalation.subject_type == subject_type, Escalation.subject_id == subject_id,
        Escalation.resolved_at.is_(None))).all()
    if not found:
        abort(404)
    for escalation in found:
        escalation.resolved_at, escalation.resolved_by_id = now(), current_user.id
    audit.record("escalation.resolve", object_type=subject_type, object_id=subject_id)
    db.session.commit()
    flash(_("Escalation marked as handled."), "success")
    return redirect(url_for("review.queue"))


# ------------------------------------------------------------------ identification


@bp.get("/identifications")
@policy.requires("decide_identification")
def identifications():
    page = paged(
        db.select(Identification)
        .order_by(Identification.status != lifecycle.POSSIBLE_VICTIM, Identification.due_at,
                  Identification.id)
        .options(service.with_references(Identification.screening))
    )
    language = _language()
    found = worklists.profiles(i.screening_id for i in page.rows)
    senders = worklists.organisation_names((i.screening.organisation_id for i in page.rows), language)
    return render_template(
        "review/identifications.html",
        page=page,
        now=now(),
        reference=lambda i: service.reference_of(i.screening),
        people={i.id: worklists.person_words(found.get(i.screening_id), language) for i in page.rows},
        sender=lambda i: senders.get(i.screening.organisation_id, "—"),
    )


def _identification(identification_id: str) -> Identification:
    return record_or_404(Identification, identification_id, "decide_identification")


def _render_identification(record: Identification, form: DecisionForm, status: int = 200):
    screening = record.screening
    if screening.is_erased:
        return erased_page(screening.person)
    criteria, _script = screenings.catalogue_of(screening)
    assessment = json.loads(screening.assessment_json or "{}") if not screening.is_erased else {}
    audit.record("identification.view", object_type="identification", object_id=record.id)
    db.session.commit()
    return render_template(
        "review/identification.html",
        record=record,
        screening=screening,
        criteria=criteria,
        assessment=assessment,
        form=form,
        referrals=service.of_screening(screening),
        now=now(),
        language=_language(),
        cases=db.session.scalars(db.select(Case).where(Case.person_id == record.person_id)).all(),
        reference=service.reference_of(screening),
    ), status


def _decision_form():
    form = DecisionForm()
    form.decision.choices = [
        (c, str(labels.IDENTIFICATION_LABELS[c])) for c in (lifecycle.ACTUAL_VICTIM, lifecycle.NOT_A_VICTIM)
    ]
    return form


@bp.get("/identifications/<identification_id>")
def identification(identification_id):
    return _render_identification(_identification(identification_id), _decision_form())


@bp.post("/identifications/<identification_id>")
def decide(identification_id):
    record = _identification(identification_id)
    form = _decision_form()
    if not form.validate_on_submit():
        return _render_identification(record, form, 422)
    try:
        service.decide_identification(current_user, record, form.decision.data, form.reasons.data)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        flash(refused(problem), "error")
        return redirect(url_for("review.identification", identification_id=record.id))
    db.session.commit()
    flash(_("Decision recorded: %(d)s.", d=labels.IDENTIFICATION_LABELS[record.status]), "success")
    return redirect(url_for("review.identifications"))


# ------------------------------------------------------------------ case summaries


@bp.get("/cases")
@policy.requires("view_queue")
def cases():
    page = paged(db.select(Case).order_by(*case_order()).options(
        service.with_references(Case.referral, Referral.screening), selectinload(Case.organisation)))
    language = _language()
    found = worklists.profiles(c.referral.screening_id for c in page.rows)
    return render_template(
        "review/cases.html",
        page=page,
        now=now(),
        reference=lambda c: service.reference_of(c.referral.screening),
        people={c.id: worklists.person_words(found.get(c.referral.screening_id), language)
                for c in page.rows},
    )


# ------------------------------------------------------------------ reasoned access and erasure


def _person(person_id: str) -> Person:
    return record_or_404(Person, person_id, "view_person_with_reason")


def _access_form():
    form = ReasonForm()
    form.reason.choices = [(code, _access_label(code)) for code in ACCESS_REASONS]
    return form


def _access_label(code):
    return str(labels.ACCESS_REASON_LABELS[code])


@bp.route("/people/<person_id>/access", methods=["GET", "POST"])
def access(person_id):
    person = _person(person_id)
    if person.is_erased:
        return erased_page(person)
    form = _access_form()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template(
            "review/access.html", person=person, form=form
        ), 422 if request.method == "POST" else 200
    note = people.record_access(current_user, person, form.reason.data, form.details.data)
    audit.record(
        f"person.view_with_reason.{form.reason.data}",
        object_type="access_note",
        object_id=note.id,
        outcome="flagged",
    )
    db.session.commit()
    screening_rows = db.session.scalars(db.select(Screening).where(Screening.person_id == person.id)).all()
    erase_form = ReasonForm()
    erase_form.reason.choices = [(code, _erasure_label(code)) for code in ERASURE_REASONS]
    return render_template(
        "review/person.html",
        person=person,
        screenings=screening_rows,
        erase_form=erase_form,
        reason=_access_label(form.reason.data),
    )


def _erasure_label(code):
    return {
        "consent_withdrawn": _("The person withdrew consent and the law allows erasure"),
        "retention_expired": _("The retention period has ended"),
        "court_order": _("A court order"),
        "entered_in_error": _("Recorded in error"),
    }[code]


@bp.post("/people/<person_id>/erase")
def erase(person_id):
    person = _person(person_id)
    policy.require(current_user, "erase_person", person)
    form = ReasonForm()
    form.reason.choices = [(code, _erasure_label(code)) for code in ERASURE_REASONS]
    if not form.validate_on_submit() or request.form.get("confirm") != "erase":
        flash(_("Choose the reason and tick the confirmation to erase."), "error")
        return redirect(url_for("review.queue"))
    if person.is_erased:
        flash(_("This person's data was already erased."), "info")
        return redirect(url_for("review.queue"))
    people.erase_person(current_user, person, form.reason.data)
    db.session.commit()
    flash(
        _(
            "Erased: the person's data key is destroyed, so their data is unreadable here and in every "
            "backup. The anonymous statistics remain."
        ),
        "success",
    )
    return redirect(url_for("review.queue"))


# ------------------------------------------------------------------ directory editor


@bp.get("/directory")
@policy.requires("view_directory")
def directory_index():
    orgs = db.session.scalars(
        db.select(Organisation)
        .where(Organisation.in_directory.is_(True))
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    return render_template(
        "review/directory.html",
        organisations=orgs,
        language=_language(),
        occupancy=directory.occupancy(),
        may_edit=policy.may(current_user, "edit_directory"),
    )


def _directory_form(org: Organisation | None, formdata=None):
    data = None
    if org is not None and formdata is None:
        data = {
            "services": org.service_list(),
            "serves_regions": org.region_list(),
            "accepts_sex": [s for s in (org.accepts_sex or "").split(",") if s],
            "min_age": org.min_age,
            "max_age": org.max_age,
            "capacity": org.capacity,
            "address": org.address,
            "phone": org.phone,
            "email": org.email,
            "accepts_referrals": org.accepts_referrals,
            "intake_paused_reason": org.intake_paused_reason,
            "intake_paused_until": org.intake_paused_until,
        }
    form = DirectoryForm(formdata=formdata, data=data)
    form.services.choices = [(s, str(labels.SERVICE_LABELS[s])) for s in SERVICE_TYPES]
    form.serves_regions.choices = [(r, str(labels.REGION_LABELS[r])) for r in REGIONS]
    form.accepts_sex.choices = [
        ("female", _("Female")),
        ("male", _("Male")),
        ("other_or_not_stated", _("Other or not stated")),
    ]
    return form


@bp.route("/directory/<int:org_id>", methods=["GET", "POST"])
@policy.requires("edit_directory")
def directory_edit(org_id):
    org = db.session.get(Organisation, org_id)
    if org is None or not org.in_directory:
        abort(404)
    form = _directory_form(org, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        if (
            form.min_age.data is not None
            and form.max_age.data is not None
            and form.min_age.data > form.max_age.data
        ):
            form.max_age.errors.append(_("The maximum age must not be below the minimum age."))
        elif form.intake_paused_until.data and form.intake_paused_until.data <= today():
            form.intake_paused_until.errors.append(_("Give a date after today, or leave it empty."))
        else:
            try:
                directory.update(
                    current_user,
                    org,
                    services=form.services.data,
                    serves_regions=form.serves_regions.data,
                    accepts_sex=form.accepts_sex.data,
                    min_age=form.min_age.data,
                    max_age=form.max_age.data,
                    capacity=form.capacity.data,
                    address=(form.address.data or "").strip() or None,
                    phone=(form.phone.data or "").strip() or None,
                    email=(form.email.data or "").strip() or None,
                    accepts_referrals=form.accepts_referrals.data,
                    intake_paused_reason=(form.intake_paused_reason.data or "").strip() or None,
                    intake_paused_until=form.intake_paused_until.data,
                )
            except ValidationFailed as problem:
                db.session.rollback()
                getattr(form, problem.field).errors.append(problem.message)
            else:
                db.session.commit()
                flash(_("Directory entry saved."), "success")
                return redirect(url_for("review.directory_index"))
    return render_template(
        "review/directory_edit.html", org=org, form=form, language=_language()
    ), 422 if form.errors else 200


@bp.get("/sources")
@policy.requires("view_catalogue_sources")
def sources():
    """The reviewer's view of the catalogue: the rule ids, the source lines behind every rule,
    indicator and fact, and the catalogue versions in use and stored. This is the only page that
    shows them; results, letters, forms and lists cite laws by name, number, date and article."""
    from nrm.models import CatalogueVersion
    from nrm.services import screening as screenings

    catalogue = screenings.catalogue()
    stored = db.session.execute(db.select(CatalogueVersion.id, CatalogueVersion.kind,
                                          CatalogueVersion.created_at)
                                .order_by(CatalogueVersion.created_at.desc()).limit(200)).all()
    organisations = db.session.scalars(db.select(Organisation).where(Organisation.in_directory.is_(True))
                                       .order_by(Organisation.code)).all()
    return render_template("review/sources.html", catalogue=catalogue, stored=stored, language=_language(),
                           organisations=organisations,
                           workspace=current_user.role == "coordinator")
