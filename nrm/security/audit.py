"""The one place where audit events are written.

Every account action, sign-in and (later) every sight of personal data calls ``record``. The event
goes into the caller's transaction, so it commits or rolls back with the change it describes.
It holds who, role, organisation, action, object type and id, time and client address, never a
field value: callers pass ids, not content.
"""

from flask import has_request_context, request
from flask_login import current_user

from nrm.clock import now
from nrm.extensions import db
from nrm.models.audit import AuditEvent


def record(action: str, *, object_type: str | None = None, object_id=None,
           outcome: str = "ok", actor=None) -> AuditEvent:
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
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
    db.session.add(event)
    return event
