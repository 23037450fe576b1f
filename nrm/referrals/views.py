"""Referral views: the officer reviews and sends a screening's proposals; the receiving service
sees its inbox and the minimised payload and answers; letters print in the recipient's language.

Every transition goes through ``nrm.services.referrals`` and so through the core state machine: an
event a state does not allow is refused (409) whatever URL asked for it.
"""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forms.referrals import AddReferralForm, IdentityGapForm, ReasonForm
from nrm import labels
from nrm.clock import now
from nrm.core import lifecycle
from nrm.core.routing import SERVICE_TYPES
from nrm.extensions import db
from nrm.models import Organisation, Referral, Screening
from nrm.referrals import bp
from nrm.security import audit, policy
from nrm.services import letters, worklists
from nrm.services import referrals as service
from nrm.views_common import (
    erased_page,
    organisation_from,
    page_number,
    paged,
    reason_choices,
    record_or_404,
    refused,
)

LETTER_LANGUAGES = ("ky", "ru", "en")


class _Erased(Exception):
    def __init__(self, person):
        self.person = person


def _referral(referral_id: str, action: str) -> Referral:
    referral = record_or_404(Referral, referral_id, action)
    if referral.is_erased:
        raise _Erased(referral.person)
    return referral


def _screening(screening_id: str) -> Screening:
    screening = record_or_404(Screening, screening_id, "manage_proposals")
    if screening.is_erased:
        raise _Erased(screening.person)
    return screening


@bp.errorhandler(_Erased)
def _erased(error):
    return erased_page(error.person)


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale())


# ------------------------------------------------------------------ the officer's review

@bp.get("/screening/<screening_id>")
def review(screening_id):
    screening = _screening(screening_id)
    items = service.of_screening(screening)
    add_form = AddReferralForm()
    add_form.service.choices = [(s, str(labels.SERVICE_LABELS[s])) for s in SERVICE_TYPES]
    add_form.organisation.choices = [(str(o.id), o.name_in(_language())) for o in db.session.scalars(
        db.select(Organisation).where(Organisation.in_directory.is_(True), Organisation.active.is_(True))
        .order_by(Organisation.name))]
    remove_form = ReasonForm()
    remove_form.reason.choices = reason_choices(lifecycle.REMOVE_REASONS)
    gap_form = IdentityGapForm()
    gap_form.reason.choices = reason_choices(lifecycle.IDENTITY_GAP_REASONS)
    audit.record("screening.view", object_type="screening", object_id=screening.id)
    db.session.commit()
    return render_template("referrals/review.html", screening=screening, referrals=items,
                           add_form=add_form, remove_form=remove_form, gap_form=gap_form,
                           identity_gaps=service.identity_gaps, rules=service.basis_texts,
                           reference=service.reference_of(screening), language=_language())


@bp.post("/screening/<screening_id>/send")
def send_all(screening_id):
    screening = _screening(screening_id)
    sent, held, incomplete = service.send_all(current_user, screening)
    db.session.commit()
    if sent:
        flash(ngettext("%(num)d referral sent. The receiving service has been notified.",
                       "%(num)d referrals sent. The receiving services have been notified.", sent), "success")
    if held:
        flash(ngettext("%(num)d referral is on hold; it is on the coordinator's queue.",
                       "%(num)d referrals are on hold; they are on the coordinator's queue.", held), "info")
    if incomplete:
        flash(_("A referral to a diplomatic mission was not sent: the mission needs the person's name, "
                "date of birth and document. Complete the identity, or record below why it cannot be "
                "given."), "error")
    if not sent and not held and not incomplete:
        flash(_("Nothing left to send."), "info")
    return redirect(url_for("referrals.review", screening_id=screening.id))


@bp.post("/screening/<screening_id>/add")
def add(screening_id):
    screening = _screening(screening_id)
    form = AddReferralForm()
    form.service.choices = [(s, s) for s in SERVICE_TYPES]
    organisation = organisation_from(form.organisation.data)
    if not form.validate_on_submit() or organisation is None:
        flash(_("Choose a service and an organisation, and say why the referral is needed."), "error")
        return redirect(url_for("referrals.review", screening_id=screening.id))
    try:
        service.add(current_user, screening, form.service.data, organisation, form.note.data)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return redirect(url_for("referrals.review", screening_id=screening.id))
    db.session.commit()
    flash(_("Referral added. Send it with the others."), "success")
    return redirect(url_for("referrals.review", screening_id=screening.id))


@bp.post("/<referral_id>/remove")
def remove(referral_id):
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    screening = _screening(referral.screening_id)
    form = ReasonForm()
    form.reason.choices = reason_choices(lifecycle.REMOVE_REASONS)
    if not form.validate_on_submit():
        flash(_("Choose why the referral is removed."), "error")
        return redirect(url_for("referrals.review", screening_id=screening.id))
    try:
        service.remove(current_user, referral, form.reason.data, form.details.data)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return redirect(url_for("referrals.review", screening_id=screening.id)), 303
    db.session.commit()
    flash(_("Referral removed; the reason is kept."), "success")
    return redirect(url_for("referrals.review", screening_id=screening.id))


@bp.post("/<referral_id>/identity-gap")
def identity_gap(referral_id):
    """The officer records why a mission referral goes without the full identity; it can then be sent."""
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    screening = _screening(referral.screening_id)
    back = redirect(url_for("referrals.review", screening_id=screening.id))
    form = IdentityGapForm()
    form.reason.choices = reason_choices(lifecycle.IDENTITY_GAP_REASONS)
    if not form.validate_on_submit():
        flash(_("Choose why the identity is not complete."), "error")
        return back
    try:
        service.record_identity_gap(current_user, referral, form.reason.data, form.details.data)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return back, 303
    db.session.commit()
    flash(_("The reason is recorded with the referral. Send it when ready."), "success")
    return back


@bp.post("/<referral_id>/consent")
def consent(referral_id):
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    screening = _screening(referral.screening_id)
    try:
        service.record_consent(current_user, referral)
    except lifecycle.IllegalTransition as problem:
        flash(refused(problem), "error")
        return redirect(url_for("referrals.review", screening_id=screening.id))
    db.session.commit()
    flash(_("Consent recorded; the referral can be sent."), "success")
    return redirect(url_for("referrals.review", screening_id=screening.id))


# ------------------------------------------------------------------ the receiving service

@bp.get("/inbox")
@policy.requires("list_inbox")
def inbox():
    mine = db.select(Referral).where(Referral.organisation_id == current_user.organisation_id) \
        .options(service.with_references(Referral.screening))
    # what waits for an answer is the work: what is due first (overdue on top), paged apart
    waiting = paged(mine.where(Referral.state.in_(("sent", "acknowledged")))
                    .order_by(worklists.due_order(), Referral.id), number=page_number("waiting"))
    answered = paged(mine.where(Referral.state.in_(("accepted", "declined", "completed", "withdrawn")))
                     .order_by(Referral.sent_at.desc(), Referral.id))
    language = _language()
    rows = list(waiting.rows) + list(answered.rows)
    senders = worklists.organisation_names((r.screening.organisation_id for r in rows), language)
    return render_template("referrals/inbox.html", waiting=waiting, answered=answered, now=now(),
                           reference=lambda r: service.reference_of(r.screening),
                           people={r.id: worklists.payload_words(r, language) for r in rows},
                           sender=lambda r: senders.get(r.screening.organisation_id, "—"),
                           next_due=worklists.next_due)


@bp.get("/<referral_id>")
def show(referral_id):
    referral = _referral(referral_id, "view_referral")
    decline_form = ReasonForm()
    decline_form.reason.choices = reason_choices(lifecycle.DECLINE_REASONS)
    withdraw_form = ReasonForm()
    withdraw_form.reason.choices = reason_choices(lifecycle.WITHDRAW_REASONS)
    audit.record("referral.view", object_type="referral", object_id=referral.id)
    db.session.commit()
    language = _language()
    return render_template(
        "referrals/show.html", referral=referral, lines=letters.describe(service.payload(referral), language),
        rules=service.basis_texts(referral), decline_form=decline_form, withdraw_form=withdraw_form,
        may_answer=policy.may(current_user, "answer_referral", referral),
        may_withdraw=policy.may(current_user, "withdraw_referral", referral), now=now(),
        letter_languages=LETTER_LANGUAGES, default_letter=letters.default_language(referral),
        reasons=lifecycle)


@bp.post("/<referral_id>/<event>")
def answer(referral_id, event):
    if event not in ("acknowledge", "accept", "decline", "complete", "withdraw"):
        abort(404)
    action = "withdraw_referral" if event == "withdraw" else "answer_referral"
    referral = _referral(referral_id, action)
    back = request.form.get("back") == "review" and policy.may(current_user, "coordinate_referrals")
    target = url_for("review.referral", referral_id=referral.id) if back else \
        url_for("referrals.show", referral_id=referral.id)
    try:
        if event in ("decline", "withdraw"):
            form = ReasonForm()
            form.reason.choices = reason_choices(
                lifecycle.DECLINE_REASONS if event == "decline" else lifecycle.WITHDRAW_REASONS)
            if not form.validate_on_submit():
                flash(_("Choose a reason."), "error")
                return redirect(target)
            getattr(service, event)(current_user, referral, form.reason.data, form.details.data)
        elif event == "accept":
            case = service.accept(current_user, referral)
            db.session.commit()
            if case is not None:
                flash(_("Referral accepted: the case is open."), "success")
                return redirect(url_for("cases.show", case_id=case.id))
        else:
            getattr(service, event)(current_user, referral)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        flash(refused(problem), "error")
        return redirect(target), 303
    db.session.commit()
    flash(_("Done: %(state)s.", state=labels.REFERRAL_STATE_LABELS[referral.state]), "success")
    return redirect(target)


# ------------------------------------------------------------------ letters

def _letter_language() -> str:
    language = request.args.get("lang", "")
    return language if language in LETTER_LANGUAGES else ""


@bp.get("/<referral_id>/letter")
def letter(referral_id):
    referral = _referral(referral_id, "print_letter")
    language = _letter_language() or letters.default_language(referral)
    page = letters.html(referral, language)
    audit.record("referral.letter", object_type="referral", object_id=referral.id)
    db.session.commit()
    return page


@bp.get("/<referral_id>/letter.pdf")
def letter_pdf(referral_id):
    referral = _referral(referral_id, "print_letter")
    language = _letter_language() or letters.default_language(referral)
    document = letters.pdf(referral, language)
    audit.record("referral.letter_pdf", object_type="referral", object_id=referral.id)
    db.session.commit()
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = \
        f'inline; filename="referral-{service.reference_of(referral.screening)}-{language}.pdf"'
    return response

