"""The audit trail: the one place where audit events are written, and their verification.

Every sign-in, account action and (later) every sight of personal data calls ``record``. The event
joins the caller's transaction, so it commits or rolls back with the change it describes. It holds
who, role, organisation, action, object type and id, time, client address and outcome — never a
field value: callers pass ids, not content.

Integrity: events form a hash chain. ``hash`` = HMAC-SHA256(audit key, canonical JSON of the
event's fields and the previous event's hash). The audit key lives outside the database
(instance/keys/audit.key), so someone who can write to the database cannot forge a valid chain.

Serialisation: ``record`` keeps the event with its transaction; just before the transaction commits
(after everything else in it is written, so no other lock is awaited meanwhile) its events are
chained: the one-row ``audit_head`` table is updated before it is read, which locks it until the
commit (a row lock on PostgreSQL, the database write lock on SQLite), the events get their ``seq``,
``prev_hash`` and ``hash``, and the new head is written. ``seq`` is also unique. Concurrent workers
wait for each other only for those last milliseconds, and never fork the chain. ``at`` is when the
event was recorded, so two transactions committing in the other order than they recorded may show
times a few milliseconds out of ``seq`` order; ``seq`` is the order of the trail.

``verify`` also checks that the chain ends where the head says, which catches a
naive truncation; an attacker who can write the database *and* knows to rewrite the head can still
cut events from the very end, so ``audit verify`` prints the head for operators to record
elsewhere (docs/threat-model.md).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from nrm.clock import now
from nrm.extensions import db
from nrm.models.audit import GENESIS, AuditEvent, AuditHead

_HEAD = "nrm_audit_head"
_PENDING = "nrm_audit_pending"


def _canonical(event: AuditEvent) -> bytes:
    fields = [
        event.seq, event.at.isoformat(), event.actor_id, event.actor_role, event.actor_org_id,
        event.action, event.object_type, event.object_id, event.outcome, event.client_addr,
        event.prev_hash,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def compute_hash(event: AuditEvent, key: bytes) -> str:
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


def _audit_key() -> bytes:
    return current_app.extensions["nrm_audit_key"]


def _head(session) -> tuple[int, str]:
    """The chain head as this transaction sees it, taking the writers' lock the first time."""
    head = session.info.get(_HEAD)
    if head is None:
        with session.no_autoflush:
            session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
            row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
        head = (row.seq, row.hash)
    return head


_MOVED = "nrm_audit_head_moved"


@sa_event.listens_for(Session, "before_commit")
def _chain(session):
    """Chain the transaction's events and write the head, last thing before the commit.

    Everything else of the transaction is flushed first, so the writers' lock is taken only after
    every other lock the transaction needs (no deadlock: the lock on the head is always the last
    one) and is held only for the inserts of the events and the head. A savepoint's release also
    calls this hook: the events wait for the real commit."""
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.flush()
        seq, prev_hash = _head(session)
        key = _audit_key()
        for event in pending:
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = compute_hash(event, key)
            session.add(event)
        session.info[_HEAD] = (seq, prev_hash)
        session.info[_MOVED] = True
    if session.info.pop(_MOVED, False):
        seq, digest = session.info[_HEAD]
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=digest))


def _forget(session):
    session.info.pop(_HEAD, None)
    session.info.pop(_MOVED, None)
    session.info.pop(_PENDING, None)


@sa_event.listens_for(Session, "after_commit")
def _forget_after_commit(session):
    """A savepoint's release also calls this hook: the transaction, its events and its hold on the
    head go on until the real commit."""
    if not session.in_nested_transaction():
        _forget(session)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, previous_transaction):
    """Every rollback of the transaction drops its events, even one that never reached the database
    (a plain after_rollback fires only after a real one); a savepoint's rollback is not the
    transaction's."""
    if not previous_transaction.nested:
        _forget(session)


def record(action: str, *, object_type: str | None = None, object_id=None,
           outcome: str = "ok", actor=None) -> AuditEvent:
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    session = db.session()
    if session.in_nested_transaction():
        # a savepoint rolled back would not take its events with it: record after the savepoint
        raise RuntimeError("audit events are recorded outside savepoints")
    if not session.in_transaction():
        session.begin()         # so that a rollback before any query still drops the event
    event = AuditEvent(
        at=now(),
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", None),
        actor_org_id=getattr(actor, "organisation_id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        client_addr=request.remote_addr if has_request_context() else None,
    )
    session.info.setdefault(_PENDING, []).append(event)     # chained and written at commit (_chain)
    return event



def record_many(events: list[dict]) -> int:
    """Append many events in one statement (the demo data set's bulk path): the same fields and
    the same chain as ``record``, under the same writers' lock. Each dict holds ``action``, ``at``,
    ``actor`` (a User or None), ``object_type`` and ``object_id``."""
    if not events:
        return 0
    session = db.session()
    seq, prev_hash = _head(session)
    key = _audit_key()
    rows = []
    for item in events:
        actor = item.get("actor")
        seq += 1
        row = {"seq": seq, "at": item["at"], "actor_id": getattr(actor, "id", None),
               "actor_role": getattr(actor, "role", None),
               "actor_org_id": getattr(actor, "organisation_id", None),
               "action": item["action"], "object_type": item.get("object_type"),
               "object_id": None if item.get("object_id") is None else str(item["object_id"]),
               "outcome": item.get("outcome", "ok"), "client_addr": None, "prev_hash": prev_hash}
        prev_hash = row["hash"] = compute_hash(SimpleNamespace(**row), key)
        rows.append(row)
    session.execute(insert(AuditEvent), rows)
    session.info[_HEAD] = (seq, prev_hash)
    session.info[_MOVED] = True
    return len(rows)

PROBLEMS = {
    "gap": "sequence jumps from {before} to {seq} (events missing or reordered)",
    "order": "does not follow the event before it (reordered, or an event was removed)",
    "edited": "its content does not match its hash (edited)",
    "truncated": "the chain ends at event {before} but its head says {seq} (events removed from the end)",
}


@dataclass
class Verification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str | None = None  # English, for the command line and logs
    problem: str | None = None  # gap | order | edited | truncated, for translated messages


def verify(batch: int = 5000) -> Verification:
    """Walk the whole chain in order; report the first event that does not fit."""
    key = _audit_key()
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    for event in db.session.scalars(query):
        problem = None
        if event.seq != expected_seq:
            problem = "gap"
        elif event.prev_hash != prev_hash:
            problem = "order"
        elif not hmac.compare_digest(event.hash, compute_hash(event, key)):
            problem = "edited"
        if problem:
            reason = PROBLEMS[problem].format(before=expected_seq - 1, seq=event.seq)
            return Verification(False, checked, expected_seq - 1, prev_hash, broken_seq=event.seq,
                                broken_id=event.id, reason=reason, problem=problem)
        checked += 1
        expected_seq, prev_hash = event.seq + 1, event.hash
    head = db.session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    if (head.seq, head.hash) != (expected_seq - 1, prev_hash):
        return Verification(False, checked, expected_seq - 1, prev_hash, broken_seq=head.seq,
                            reason=PROBLEMS["truncated"].format(before=expected_seq - 1, seq=head.seq),
                            problem="truncated")
    return Verification(True, checked, expected_seq - 1, prev_hash)
