"""Cases of a receiving service: opened when its case worker accepts a referral; intake, needs
assessment, service plan, services delivered, notes, attachments, reflection period, review,
transfer and closure. Every write is sealed under the person's key and recorded in the trail."""

import json
from datetime import date

from flask import current_app

from nrm.clock import now, today
from nrm.core import lifecycle
from nrm.extensions import db
from nrm.models import Attachment, Case, CaseNote, CaseTask, Organisation, Referral, Screening, ServiceRecord
from nrm.models.cases import NEEDS
from nrm.security import audit, vault
from nrm.services import calendar

INTAKE_FIELDS = ("arrival_date", "accommodation", "interpreter_arranged", "safety_concerns", "notes")


def clocks() -> dict:
    return current_app.config["CLOCKS"]


def open_case(actor, referral: Referral) -> Case:
    existing = db.session.scalar(db.select(Case).where(Case.referral_id == referral.id))
    if existing:
        return existing
    screening = db.session.get(Screening, referral.screening_id)
    at = now()
    # the recovery and reflection period runs from presumed-victim status: the screening's submission
    started = screening.submitted_at or at
    case = Case(
        person=referral.person,
        data_key=referral.data_key,
        referral_id=referral.id,
        organisation_id=referral.organisation_id,
        status="Active",
        opened_at=at,
        opened_by_id=actor.id,
        reflection_ends_at=calendar.due(started, "reflection_period_days"),
        next_review_at=calendar.due(at, "case_review_days"),
    )
    case.intake_json = json.dumps({}, ensure_ascii=False)
    case.needs_json = json.dumps({}, ensure_ascii=False)
    db.session.add(case)
    db.session.flush()
    audit.record("case.open", object_type="case", object_id=case.id, actor=actor)
    return case


def history(case: Case, limit: int = 200) -> list:
    """What was done on the case, newest first: (time, who, action) from the audit trail of the
    case itself (reading it adds nothing: views are not listed)."""
    from nrm.models import AuditEvent, User

    rows = db.session.execute(
        db.select(AuditEvent.at, User.username, AuditEvent.action)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "case", AuditEvent.object_id == case.id,
               AuditEvent.action.not_in(("case.view", "case.attachment_view")))
        .order_by(AuditEvent.seq.desc()).limit(limit)).all()
    return [(at, username or "—", action) for at, username, action in rows]


def case_order():
    """Cases in the order of the work: open ones first, the review due soonest (overdue) on top,
    then those in follow-up by their follow-up date, then the closed, most recent first."""
    rank = db.case((Case.status == "Active", 0), (Case.status == "FollowUp", 1), else_=2)
    return rank, Case.next_review_at, Case.follow_up_on, Case.opened_at.desc(), Case.id


def visible_to(organisation_id: int):
    return db.select(Case).where(Case.organisation_id == organisation_id)


def intake(case: Case) -> dict:
    return json.loads(case.intake_json or "{}")


def needs(case: Case) -> dict:
    return json.loads(case.needs_json or "{}")


def _require_open(case: Case) -> None:
    if case.status not in ("Active", "FollowUp"):
        raise lifecycle.IllegalTransition("case_closed")


def save_intake(actor, case: Case, fields: dict) -> None:
    _require_open(case)
    current = intake(case)
    current.update({k: v for k, v in fields.items() if k in INTAKE_FIELDS})
    case.intake_json = json.dumps(current, ensure_ascii=False, default=str)
    audit.record("case.intake", object_type="case", object_id=case.id, actor=actor)


def save_needs(actor, case: Case, assessment: dict) -> None:
    """``assessment`` maps each need to {"needed": bool, "notes": str}."""
    _require_open(case)
    clean = {
        need: {"needed": bool(v.get("needed")), "notes": (v.get("notes") or "").strip()}
        for need, v in assessment.items()
        if need in NEEDS
    }
    case.needs_json = json.dumps(clean, ensure_ascii=False)
    audit.record("case.needs", object_type="case", object_id=case.id, actor=actor)


def add_task(actor, case: Case, need: str, description: str, due_on: date | None) -> CaseTask:
    _require_open(case)
    if need not in NEEDS:
        raise ValueError("unknown need")
    task = CaseTask(case_id=case.id, data_key=case.data_key, need=need, due_on=due_on, created_at=now())
    task.description = description.strip()
    db.session.add(task)
    db.session.flush()
    audit.record("case.task_add", object_type="case", object_id=case.id, actor=actor)
    return task


def complete_task(actor, case: Case, task: CaseTask) -> None:
    _require_open(case)
    if task.case_id != case.id or task.done_at is not None:
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    task.done_at = now()
    audit.record("case.task_done", object_type="case", object_id=case.id, actor=actor)


def record_service(actor, case: Case, need: str, delivered_on: date, note: str | None) -> ServiceRecord:
    _require_open(case)
    if need not in NEEDS:
        raise ValueError("unknown need")
    if delivered_on > today():
        raise ValueError("a service cannot be delivered in the future")
    record = ServiceRecord(
        case_id=case.id,
        data_key=case.data_key,
        need=need,
        delivered_on=delivered_on,
        recorded_by_id=actor.id,
        recorded_at=now(),
    )
    record.note = (note or "").strip() or None
    db.session.add(record)
    db.session.flush()
    audit.record("case.service", object_type="case", object_id=case.id, actor=actor)
    return record


def add_note(actor, case: Case, body: str) -> CaseNote:
    _require_open(case)
    note = CaseNote(case_id=case.id, data_key=case.data_key, author_id=actor.id, created_at=now())
    note.body = body.strip()
    db.session.add(note)
    db.session.flush()
    audit.record("case.note", object_type="case", object_id=case.id, actor=actor)
    return note


def attachment_path(attachment_id: str):
    """Under the folder that backups copy (nrm.services.backup.attachments_dir)."""
    from nrm.services.backup import attachments_dir

    folder = attachments_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{attachment_id}.sealed"


def add_attachment(actor, case: Case, filename: str, stream) -> Attachment:
    """Seal an uploaded file (type sniffed, size limited); refuses with vault.FileRejected."""
    _require_open(case)
    attachment = Attachment(
        case_id=case.id,
        data_key=case.data_key,
        uploaded_by_id=actor.id,
        uploaded_at=now(),
        content_type="application/octet-stream",
        size=0,
    )
    target = attachment_path(attachment.id)
    content_type, size = vault.seal_file(
        attachment, "content", stream, target, current_app.config["ATTACHMENT_MAX_BYTES"]
    )
    attachment.content_type, attachment.size = content_type, size
    # the name keeps the extension of what the file really is: a PNG sent as "x.html" is "x.png"
    attachment.filename = _safe_name(filename, content_type)
    db.session.add(attachment)
    db.session.flush()
    audit.record("case.attachment_add", object_type="case", object_id=case.id, actor=actor)
    return attachment


EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def _safe_name(filename: str, content_type: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = stem.strip(" .")[:110] or "attachment"
    return stem + EXTENSIONS.get(content_type, "")


def open_attachment(attachment: Attachment):
    return vault.open_file(attachment, "content", attachment_path(attachment.id))


def mark_reviewed(actor, case: Case) -> None:
    _require_open(case)
    case.next_review_at = calendar.due(now(), "case_review_days")
    audit.record("case.review", object_type="case", object_id=case.id, actor=actor)


def close(actor, case: Case, reason: str, note: str | None, follow_up_on: date | None) -> None:
    """Close, or move to follow-up when a follow-up date is given."""
    event = "follow_up" if follow_up_on and case.status == "Active" else "close"
    case.status = lifecycle.case(case.status, event, reason, follow_up_on)
    case.closure_reason = reason
    case.closure_note = (note or "").strip() or None
    if event == "follow_up":
        case.follow_up_on = follow_up_on
    else:
        case.closed_at = now()
    audit.record(f"case.{event}", object_type="case", object_id=case.id, actor=actor)


def reopen(actor, case: Case) -> None:
    case.status = lifecycle.case(case.status, "reopen")
    case.follow_up_on = None
    audit.record("case.reopen", object_type="case", object_id=case.id, actor=actor)


def transfer(actor, case: Case, organisation: Organisation, note: str):
    """Transfer to another centre: this case closes as ClosedReferred and a new referral is sent."""
    from nrm.services import referrals

    referral = case.referral
    if organisation.id == case.organisation_id:
        raise lifecycle.IllegalTransition("service_not_offered")
    referrals.require_recipient(organisation, referral.service)
    if not (note or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    case.status = lifecycle.case(case.status, "transfer")
    case.closed_at, case.closure_reason, case.transferred_to_id = now(), "transferred", organisation.id
    case.closure_note = note.strip()
    if referral.state == "accepted":
        referral.state = lifecycle.referral(lifecycle.ReferralState(referral.state), "complete")
        referral.completed_at = now()
    audit.record("case.transfer", object_type="case", object_id=case.id, actor=actor)
    again = referrals.resend_to(actor, referral, organisation)
    referrals.send(actor, again)
    return again


def reflection_days_left(case: Case) -> int | None:
    if case.reflection_ends_at is None:
        return None
    return max(
        0, (case.reflection_ends_at - now()).days + (1 if (case.reflection_ends_at - now()).seconds else 0)
    )
