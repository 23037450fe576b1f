"""In-app notifications: a kind and a record reference for each user concerned, never personal
data. Creating the same notification twice (a retried job, a second scheduler) adds nothing."""

from sqlalchemy.exc import IntegrityError

from nrm.clock import now
from nrm.extensions import db, savepoint
from nrm.models import Notification, User

KINDS = ("referral_received", "acknowledgement_overdue", "acceptance_overdue", "declined",
         "identification_pending", "identification_overdue", "reflection_period_ending",
         "case_review_due", "non_punishment", "account_reset", "account_awaiting_confirmation",
         "transfer_received", "transfer_acknowledged", "transfer_accepted", "transfer_declined",
         "transfer_closed", "transfer_consent_withdrawn")


def _notify(users, kind: str, subject_type: str, subject_id: str, since=None) -> int:
    """One notification per user, record and reason: the same reason about the same record again
    updates the one there is (unread again, at the new time) when it was last raised before
    ``since`` — a new review period, say — and otherwise adds nothing."""
    created = 0
    for user in users:
        existing = db.session.scalar(db.select(Notification).where(
            Notification.user_id == user.id, Notification.kind == kind,
            Notification.subject_type == subject_type, Notification.subject_id == str(subject_id)))
        if existing is not None:
            if since is not None and existing.created_at < since:
                existing.created_at, existing.read_at, existing.emailed_at = now(), None, None
                created += 1
            continue
        try:
            with savepoint():
                db.session.add(Notification(user_id=user.id, kind=kind, subject_type=subject_type,
                                            subject_id=str(subject_id), created_at=now()))
            created += 1
        except IntegrityError:
            continue
    return created


def notify_organisation(organisation_id: int, kind: str, subject_type: str, subject_id: str,
                        since=None) -> int:
    """Every active case worker of the receiving organisation."""
    users = db.session.scalars(db.select(User).where(
        User.organisation_id == organisation_id, User.role == "case_worker", User.active.is_(True)))
    return _notify(list(users), kind, subject_type, subject_id, since)


def notify_role(role: str, kind: str, subject_type: str, subject_id: str) -> int:
    users = db.session.scalars(db.select(User).where(User.role == role, User.active.is_(True)))
    return _notify(list(users), kind, subject_type, subject_id)


def notify_users(users, kind: str, subject_type: str, subject_id: str) -> int:
    return _notify([u for u in users if u.active], kind, subject_type, subject_id)


def notify_user(user_id: int, kind: str, subject_type: str, subject_id: str) -> int:
    user = db.session.get(User, user_id)
    return _notify([user] if user is not None and user.active else [], kind, subject_type, subject_id)


def unread_count(user) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def listed(user):
    """A user's notifications, unread first, newest first (a query, to be paged)."""
    return (db.select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                      Notification.id.desc()))


def mark_one_read(user, notification_id: int) -> Notification | None:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    notification.read_at = notification.read_at or now()
    return notification


def mark_read(user) -> None:
    for notification in db.session.scalars(db.select(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))):
        notification.read_at = now()


def send_emails(config) -> int:
    """One short mail per user with unread notifications not mailed yet, when MAIL_SERVER is set.
    The mail says only that there is something to look at: no kind, no record, no name."""
    import smtplib
    from email.message import EmailMessage

    if not config.get("MAIL_SERVER"):
        return 0
    pending = db.session.execute(db.select(User, Notification)
                                 .join(Notification, Notification.user_id == User.id)
                                 .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
                                        User.email.is_not(None), User.active.is_(True))).all()
    by_user: dict = {}
    for user, notification in pending:
        by_user.setdefault(user, []).append(notification)
    if not by_user:
        return 0
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for user, items in by_user.items():
            message = EmailMessage()
            message["From"] = config["MAIL_SENDER"] or config["MAIL_USERNAME"]
            message["To"] = user.email
            message["Subject"] = "NRM"
            message.set_content(
                f"Сизде жаңы билдирүүлөр бар: {len(items)}.\n"
                f"У вас новые уведомления: {len(items)}.\n"
                f"You have new notifications: {len(items)}.\n")
            smtp.send_message(message)
            for notification in items:
                notification.emailed_at = now()
            sent += 1
    return sent
