"""Helpers shared by the blueprints' views (blueprints never import each other)."""

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from nrm import labels
from nrm.core import lifecycle
from nrm.extensions import db
from nrm.models import Organisation
from nrm.security import policy


def record_or_404(model, record_id: str, action: str):
    """The record the URL names, if the policy lets the current user do ``action`` to it:
    404 for an id that names nothing, 403 for one the user has no business with."""
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    policy.require(current_user, action, record)
    return record


def erased_page(person):
    """The page every view of an erased person's record answers with (200): the data are gone,
    the page says so; nothing else is shown."""
    from flask import render_template

    return render_template("errors/erased.html", erased_at=getattr(person, "erased_at", None)), 200


def refused(problem: lifecycle.IllegalTransition):
    messages = {
        "not_allowed_in_state": _("This cannot be done in the record's present state. The page shows it as "
                                  "it is now."),
        "held": _("This referral is on hold and cannot be sent yet."),
        "mandatory": _("A mandatory referral cannot be removed."),
        "reason_required": _("Give a reason."),
        "organisation_required": _("Choose the receiving organisation first."),
        "service_not_offered": _("That organisation does not receive this service."),
        "not_receiving": _("That organisation is not taking referrals at present. Choose another one, or "
                           "leave the referral to the coordinator."),
        "case_closed": _("The case is closed."),
        "follow_up_date_required": _("Give the follow-up date."),
        "review_date_required": _("Give the date on which the hold is looked at again (today or later)."),
        "identity_incomplete": _("A diplomatic mission needs the person's name, date of birth and document: "
                                 "complete the identity, or record why it cannot be given."),
    }
    return messages.get(problem.code, messages["not_allowed_in_state"])


def reason_choices(codes):
    return [(code, str(labels.REASON_LABELS[code])) for code in codes]


def organisation_choices(service_type: str, language: str, exclude: int | None = None):
    from nrm.clock import today

    orgs = db.session.scalars(db.select(Organisation).where(
        Organisation.in_directory.is_(True), Organisation.active.is_(True)).order_by(Organisation.name))
    day = today()
    return [(str(o.id), o.name_in(language)) for o in orgs
            if o.receives(service_type, day) and o.id != exclude]


def organisation_from(value) -> Organisation | None:
    """The organisation a submitted id names, or None for anything that is not a plausible id
    (empty, not digits, or too large for the database's integer: never an error page)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 9:     # "²" is a digit to isdigit()
        return None
    return db.session.get(Organisation, int(text))


# Lists are paged, newest first. Counting millions of rows on every view would cost seconds, so a
# count stops at COUNT_LIMIT: above it the page says "more than" and offers the next page while
# pages are full.
PAGE_SIZE = 100
COUNT_LIMIT = 10_000


class Page:
    """One page of a list: ``rows``, ``number``, ``pages`` (None when the count passed the limit),
    ``total`` (capped at the limit) and ``has_next``."""

    def __init__(self, rows, number: int, total: int, page_size: int, count_limit: int):
        self.rows, self.number = rows, number
        self.pages = max(1, -(-total // page_size)) if total <= count_limit else None
        self.total = min(total, count_limit)
        self.has_next = (number < self.pages) if self.pages is not None else len(rows) == page_size


def page_number(parameter: str = "page") -> int:
    """The page number in the query string, or 1 for anything that is not a sensible page number."""
    from flask import request

    text = request.args.get(parameter, "")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


def paged(query, page_size: int | None = None, number: int | None = None,
          count_limit: int | None = None) -> Page:
    """Run an ordered select for one page (one COUNT bounded by the limit, one SELECT)."""
    page_size = page_size or PAGE_SIZE
    count_limit = count_limit or COUNT_LIMIT
    number = number or page_number()
    total = db.session.scalar(db.select(db.func.count()).select_from(
        query.order_by(None).limit(count_limit + 1).subquery()))
    rows = db.session.scalars(query.limit(page_size).offset((number - 1) * page_size)).all()
    return Page(rows, number, total, page_size, count_limit)
