"""Scheduled jobs (APScheduler): the NRM clocks and retention.

Every job is idempotent and runs under a database lock (a lease row in ``job_lock``), so a
restarted scheduler, two schedulers, or a scheduler beside a manual ``scheduler --once`` never do
the same work twice: escalations and notifications are unique per subject in the database too.

    escalate_overdue     unacknowledged / unaccepted referrals past their clock → coordinators
    identification_due   identification decisions past their clock → coordinators
    reflection_period    recovery and reflection periods ending within 3 days → the case workers
    case_reviews         active cases whose review is due → the case workers
    retention            DOMAIN.md §7 retention classes: crypto-shred, then delete
    mail_notifications   one content-free e-mail per user with new notifications (if MAIL_SERVER)
    exchange_outbox      packages to partner NRMs not yet receipted, retried with a growing pause
"""

import fcntl
import logging
import os
import socket
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from nrm.clock import now
from nrm.extensions import db, savepoint

log = logging.getLogger(__name__)


def escalate_overdue() -> str:
    from nrm.services import referrals

    at, raised = now(), 0
    for referral in db.session.scalars(referrals.overdue_query(at)):
        if referral.state == "sent" and referral.acknowledge_due and referral.acknowledge_due <= at:
            raised += referrals.escalate("acknowledgement_overdue", "referral", referral.id)
        if referral.accept_due and referral.accept_due <= at:
            raised += referrals.escalate("acceptance_overdue", "referral", referral.id)
    return f"{raised} escalated"


def identification_due() -> str:
    from nrm.core.lifecycle import POSSIBLE_VICTIM
    from nrm.models import Identification
    from nrm.services import referrals

    at, raised = now(), 0
    for record in db.session.scalars(db.select(Identification).where(
            Identification.status == POSSIBLE_VICTIM, Identification.due_at <= at)):
        raised += referrals.escalate("identification_overdue", "identification", record.id)
    return f"{raised} escalated"


def reflection_period() -> str:
    from nrm.models import Case
    from nrm.services import notifications

    at, sent = now(), 0
    # the period ends within three days and has not ended: once per case
    for case in db.session.scalars(db.select(Case).where(
            Case.status == "Active", Case.reflection_ends_at > at,
            Case.reflection_ends_at <= at + timedelta(days=3))):
        sent += notifications.notify_organisation(case.organisation_id, "reflection_period_ending", "case",
                                                  case.id)
    return f"{sent} notified"


def case_reviews() -> str:
    from nrm.models import Case
    from nrm.services import notifications

    at, sent = now(), 0
    period = timedelta(days=current_app.config["CLOCKS"]["case_review_days"])
    for case in db.session.scalars(db.select(Case).where(Case.status == "Active", Case.next_review_at <= at)):
        # the same case due for review again, a period later: the notification is renewed, not repeated
        sent += notifications.notify_organisation(case.organisation_id, "case_review_due", "case", case.id,
                                                  since=case.next_review_at - period)
    return f"{sent} notified"


def retention() -> str:
    from nrm.services import retention as service

    counts = service.run(dry_run=False)
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def mail_notifications() -> str:
    from flask import current_app

    from nrm.services import notifications

    return f"{notifications.send_emails(current_app.config)} mailed"


def exchange_outbox() -> str:
    from nrm.services import exchange

    delivered, failed = exchange.deliver_due()
    return f"{delivered} delivered, {failed} to retry"


JOBS = {
    "escalate_overdue": escalate_overdue,
    "identification_due": identification_due,
    "reflection_period": reflection_period,
    "case_reviews": case_reviews,
    "retention": retention,
    "mail_notifications": mail_notifications,
    "exchange_outbox": exchange_outbox,
}


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def acquire(name: str, holder: str, seconds: int) -> bool:
    """Take the lease on a job; False while another process holds it."""
    from nrm.models import JobLock

    if db.session.get(JobLock, name) is None:
        try:
            with savepoint():
                db.session.add(JobLock(name=name))
        except IntegrityError:
            pass
        db.session.commit()
    at = now()
    taken = db.session.execute(
        update(JobLock).where(JobLock.name == name, db.or_(JobLock.locked_until.is_(None),
                                                           JobLock.locked_until < at))
        .values(holder=holder, locked_until=at + timedelta(seconds=seconds)))
    db.session.commit()
    return taken.rowcount == 1


def release(name: str, holder: str, result: str) -> None:
    from nrm.models import JobLock

    db.session.execute(update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
                       .values(locked_until=None, last_run_at=now(), last_result=result[:200]))
    db.session.commit()


def run(app, name: str) -> str | None:
    """Run one job under its lock; None if another process holds it."""
    with app.app_context():
        holder = _holder()
        if not acquire(name, holder, app.config["SCHEDULER_LOCK_SECONDS"]):
            return None
        result = "failed"
        try:
            result = JOBS[name]()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            raise
        finally:
            release(name, holder, result)


def run_all(app) -> dict:
    results = {}
    for name in JOBS:
        try:
            results[name] = run(app, name)
        except Exception:  # noqa: BLE001 - one failing job must not stop the others; logged in run()
            results[name] = "failed"
    return results


def scheduler(app, blocking: bool):
    """An APScheduler that runs every job each SCHEDULER_INTERVAL_SECONDS."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    sched = cls(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    interval = int(app.config["SCHEDULER_INTERVAL_SECONDS"])
    for name in JOBS:
        sched.add_job(run, "interval", args=(app, name), id=name, seconds=interval, next_run_time=now())
    return sched


_IN_PROCESS = {}


def start_in_process(app) -> bool:
    """For `make run`: one background scheduler per instance, guarded by a file lock (the
    reloader's parent process, a second `flask run` or a gunicorn worker simply do not get it)."""
    if _IN_PROCESS.get("lock") is not None:
        return False
    path = Path(app.instance_path) / "scheduler.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _IN_PROCESS["lock"] = handle
    sched = scheduler(app, blocking=False)
    sched.start()
    _IN_PROCESS["scheduler"] = sched
    return True
