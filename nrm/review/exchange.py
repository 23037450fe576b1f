"""The coordinator's pages of the transnational exchange (docs/exchange.md): referrals to and from
partner NRMs. A page shows a referral's facts (status, gender, age, citizenship, exploitation,
needs, consent), never the identity: once a referral from abroad is taken up, its person is read
like any other, through the reasoned access."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from forms.referrals import TransferDeclineForm, TransferForm, TransferReleaseForm, WithdrawHeldForm
from nrm import labels
from nrm.extensions import db
from nrm.models import Screening, Transfer
from nrm.review import bp
from nrm.security import audit, policy
from nrm.services import exchange
from nrm.services.references import REFERENCE
from nrm.views_common import record_or_404


def _language() -> str:
    return str(get_locale())


def _choices(codes, words) -> list[tuple[str, str]]:
    return [(code, str(words[code])) for code in codes]


def _transfer_form() -> TransferForm:
    form = TransferForm()
    language = _language()
    form.partner.choices = [("", _("Choose…"))] + [(str(p.id), p.name_in(language))
                                                   for p in exchange.partners()]
    form.consent_method.choices = _choices(exchange.CONSENT_METHODS, labels.CONSENT_METHOD_LABELS)
    form.consent_scope.choices = _choices(exchange.CONSENT_SCOPES, labels.CONSENT_SCOPE_LABELS)
    return form


def _screening_of(reference: str) -> Screening | None:
    found = REFERENCE.fullmatch(reference or "")
    if not found:
        return None
    rows = db.session.scalars(db.select(Screening).where(Screening.id.like(f"{found.group(1).lower()}%"),
                                                         Screening.status == "submitted")).all()
    return rows[0] if len(rows) == 1 else None


@bp.get("/exchange")
def exchange_index():
    policy.require(current_user, "exchange_referrals")
    transfers = exchange.listed()
    named = {t.id: exchange.summary(t).get("reference") for t in transfers}
    return render_template("review/exchange.html", transfers=transfers, named=named,
                           partners=exchange.partners())


@bp.route("/exchange/new", methods=["GET", "POST"])
def exchange_new():
    policy.require(current_user, "exchange_referrals")
    form = _transfer_form()
    if request.method == "GET" and request.args.get("reference"):
        form.reference.data = request.args["reference"][:40]
    if form.validate_on_submit():
        screening = _screening_of(form.reference.data)
        partner = next((p for p in exchange.partners() if str(p.id) == form.partner.data), None)
        if screening is None:
            form.reference.errors.append(labels.EXCHANGE_RULE_LABELS["screening_not_submitted"])
        else:
            consent = {"to_partner": form.consent_to_partner.data, "given_on": form.consent_on.data,
                       "method": form.consent_method.data, "scope": form.consent_scope.data}
            agreement = None
            if form.child_agreement_reference.data and form.child_agreement_on.data:
                agreement = {"reference": form.child_agreement_reference.data.strip(),
                             "given_on": form.child_agreement_on.data.isoformat()}
            try:
                transfer = exchange.start_transfer(current_user, screening, partner, consent, agreement)
            except exchange.NotAllowed as problem:
                db.session.rollback()
                target = {"child_agreement_needed": form.child_agreement_reference,
                          "not_a_partner": form.partner, "partner_keys_missing": form.partner,
                          "consent_needed": form.consent_to_partner}.get(problem.code, form.reference)
                target.errors = [*target.errors, labels.EXCHANGE_RULE_LABELS.get(problem.code, problem.code)]
            else:
                db.session.commit()
                if transfer.state == "held":
                    flash(_("The referral is held: a second coordinator assesses the risk on return "
                            "before it is sent."), "warning")
                else:
                    flash(_("The referral is sealed for the partner and in the outbox; its receipt will "
                            "show here."), "success")
                return redirect(url_for("review.exchange_show", transfer_id=transfer.id))
    return render_template("review/exchange_new.html", form=form)


def _day(text) -> str:
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(text)) if text else "—"
    except (TypeError, ValueError):
        return "—"


def _words(facts: dict, language: str) -> dict:
    """A transfer's facts in the reader's words (the package speaks HTCDS codes)."""
    from nrm import names
    from nrm.services import exports
    from nrm.services.worklists import nationality

    if not facts:
        return {}
    genders = {v["htcds"]: k for k, v in exports.standard("mapping")["gender"].items()}
    sexes = labels.STAT_VALUE_LABELS["sex"]
    exploitation = labels.EXPLOITATION_LABELS

    def htcds(list_name, code):
        return exports.htcds_label(list_name, code, language)

    needs = [str(labels.NEED_LABELS[n]) for n in facts.get("needs", []) if n in labels.NEED_LABELS]
    recruitment = [htcds(name, facts[key]) for key, name in (("recruitment", "recruitment_method"),
                                                             ("relationship", "relationship_to_trafficker"))
                   if facts.get(key)]

    return {
        "status": labels.IDENTIFICATION_LABELS.get(facts.get("status"), "—"),
        "gender": sexes.get(genders.get(facts.get("gender"), "other_or_not_stated")),
        "age": (str(facts["age"]) if facts.get("age") is not None else _("not known"))
               + (" · " + _("a child") if facts.get("is_child") else ""),
        "citizenship": nationality(facts.get("citizenship"), language),
        "languages": ", ".join(names.language_name(names.language_from_iso639_2(c), language)
                               for c in facts.get("languages", [])) or "—",
        "exploitation": [
            (str(exploitation.get(e.get("vic_TypeOfExploitation"), exploitation["Other"])),
             names.country_name(e["country"], language) if e.get("country") else "—")
            for e in facts.get("exploitation", [])],
        "needs": ", ".join(needs or [htcds("support_plan_type", c) for c in facts.get("support", [])]) or "—",
        "control": ", ".join(htcds("methods_of_control", c) for c in facts.get("control", [])) or "—",
        "recruitment": " · ".join(recruitment) or "—",
        "identified_on": _day(facts.get("identified_on")),
        "consent_on": _day(facts.get("consent", {}).get("given_on")),
        "child_agreement": ("{} · {}".format(facts["child_agreement"].get("reference", ""),
                                             _day(facts["child_agreement"].get("given_on")))
                            if isinstance(facts.get("child_agreement"), dict) else None),
        "consent_method": labels.CONSENT_METHOD_LABELS.get(facts.get("consent", {}).get("method"), "—"),
        "consent_scope": labels.CONSENT_SCOPE_LABELS.get(facts.get("consent", {}).get("scope"), "—"),
    }


def _transfer(transfer_id: str) -> Transfer:
    return record_or_404(Transfer, transfer_id, "exchange_referrals")


@bp.get("/exchange/<transfer_id>")
def exchange_show(transfer_id):
    transfer = _transfer(transfer_id)
    decline = TransferDeclineForm()
    decline.reason.choices = _choices(exchange.DECLINE_REASONS, labels.TRANSFER_REASON_LABELS)
    withdraw = WithdrawHeldForm()
    withdraw.reason.choices = _choices(exchange.HOLD_WITHDRAW_REASONS, labels.TRANSFER_REASON_LABELS)
    facts = exchange.summary(transfer)
    words = _words(facts, _language())
    messages = exchange.messages_of(transfer)
    audit.record("exchange.view", object_type="transfer", object_id=transfer.id)
    if transfer.direction == "in":
        exchange.acknowledge(current_user, transfer)      # once: the sender learns a coordinator has it
    db.session.commit()
    return render_template("review/exchange_show.html", transfer=transfer, facts=facts, words=words,
                           messages=messages,
                           decline=decline, withdraw=withdraw, release=TransferReleaseForm(),
                           users=exchange.users_by_id([transfer.created_by_id, transfer.decided_by_id]),
                           own=transfer.created_by_id == current_user.id)


def _back(transfer: Transfer):
    return redirect(url_for("review.exchange_show", transfer_id=transfer.id))


def _act(transfer: Transfer, form, act, done: str):
    if form is not None and not form.validate_on_submit():
        flash(" ".join(str(e) for field in form.errors.values() for e in field), "error")
        return _back(transfer)
    try:
        act()
    except exchange.NotAllowed as problem:
        db.session.rollback()
        flash(labels.EXCHANGE_RULE_LABELS.get(problem.code, problem.code), "error")
        return _back(transfer)
    db.session.commit()
    flash(done, "success")
    return _back(transfer)


@bp.post("/exchange/<transfer_id>/release")
def exchange_release(transfer_id):
    transfer, form = _transfer(transfer_id), TransferReleaseForm()
    return _act(transfer, form, lambda: exchange.release(current_user, transfer, form.note.data),
                _("Released: the referral is sealed for the partner and in the outbox."))


@bp.post("/exchange/<transfer_id>/withdraw")
def exchange_withdraw(transfer_id):
    transfer, form = _transfer(transfer_id), WithdrawHeldForm()
    form.reason.choices = _choices(exchange.HOLD_WITHDRAW_REASONS, labels.TRANSFER_REASON_LABELS)
    return _act(transfer, form,
                lambda: exchange.withdraw_held(current_user, transfer, form.reason.data, form.note.data),
                _("The referral is withdrawn and will not be sent; the reason is kept."))


@bp.post("/exchange/<transfer_id>/accept")
def exchange_accept(transfer_id):
    transfer = _transfer(transfer_id)
    return _act(transfer, None, lambda: exchange.accept(current_user, transfer),
                _("Accepted: the partner is told, and the person's record is made from the referral."))


@bp.post("/exchange/<transfer_id>/decline")
def exchange_decline(transfer_id):
    transfer, form = _transfer(transfer_id), TransferDeclineForm()
    form.reason.choices = _choices(exchange.DECLINE_REASONS, labels.TRANSFER_REASON_LABELS)
    return _act(transfer, form, lambda: exchange.decline(current_user, transfer, form.reason.data,
                                                         form.note.data),
                _("Declined: the partner is told the reason."))


@bp.post("/exchange/<transfer_id>/close")
def exchange_close(transfer_id):
    transfer = _transfer(transfer_id)
    return _act(transfer, None, lambda: exchange.close(current_user, transfer),
                _("Closed: the partner is told."))


@bp.post("/exchange/<transfer_id>/consent-withdrawn")
def exchange_consent_withdrawn(transfer_id):
    transfer = _transfer(transfer_id)
    return _act(transfer, None, lambda: exchange.withdraw_consent(current_user, transfer),
                _("The partner is told that consent was withdrawn and asked to erase what it received."))
