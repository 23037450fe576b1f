"""The access policy: the one module that decides whether a user may do an action to an object.

Views call ``may``/``require`` (or the ``requires`` decorator); templates are handed only what a
view was allowed to fetch and never decide access themselves. A rule is a function of the user
and the object; an action with no rule is denied (fail closed).
"""

from functools import wraps

from flask import abort

from nrm.core.reference import ORGANISATION_KINDS, ROLE_ORGANISATION_KINDS

ADMIN = "administrator"


def _role(*roles):
    return lambda user, obj=None: user.role in roles


def _manage_account(user, target=None):
    # Administrators manage accounts but never their own (no self-disable, no self-reset).
    return user.role == ADMIN and (target is None or target.id != user.id)


def _manage_organisation(user, org=None):
    # ... nor disable the organisation they belong to (it would lock every administrator out).
    return user.role == ADMIN and (org is None or org.id != user.organisation_id)


# Roles whose accounts see personal data (nrm.services.accounts.PERSONAL_DATA_ROLES).
PERSONAL_DATA_ROLES = ("screening_officer", "case_worker", "coordinator")


def _confirm_account(user, target=None):
    """A second person confirms an account that sees personal data: a coordinator, or a confirmed
    colleague of the same organisation in such a role — never the account itself, never an
    administrator."""
    if user.role not in PERSONAL_DATA_ROLES or getattr(user, "awaiting_confirmation", False):
        return False
    if target is None:
        return True
    if not target.awaiting_confirmation or target.id == user.id:
        return False
    return user.role == "coordinator" or target.organisation_id == user.organisation_id


def _screening_of_own_organisation(user, screening=None):
    return user.role == "screening_officer" and (
        screening is None or screening.organisation_id == user.organisation_id)


def _edit_screening(user, screening=None):
    return _screening_of_own_organisation(user, screening) and (
        screening is None or screening.status == "draft")


def _submitted_screening_of_own_organisation(user, screening=None):
    return _screening_of_own_organisation(user, screening) and (
        screening is None or screening.status == "submitted")


# organisation kinds that have no case-worker accounts (missions, prosecutors, the MFA, MLSSM
# central): a coordinator records their acknowledgement or answer on their behalf
_RECORDED_ON_BEHALF = tuple(k for k in ORGANISATION_KINDS if k not in ROLE_ORGANISATION_KINDS["case_worker"])
_SENT_STATES = ("sent", "acknowledged", "accepted", "declined", "completed", "withdrawn")


def _recipient(user, referral=None):
    """A case worker of the receiving organisation, once the referral has been sent to it."""
    return user.role == "case_worker" and (referral is None or (
        referral.organisation_id == user.organisation_id and referral.state in _SENT_STATES))


def _answer_referral(user, referral=None):
    if referral is None:
        return user.role in ("case_worker", "coordinator")
    if user.role == "coordinator":
        return referral.organisation is not None and referral.organisation.kind in _RECORDED_ON_BEHALF
    return _recipient(user, referral)


def _referral_of_own_screening(user, referral=None):
    return user.role == "screening_officer" and (
        referral is None or referral.screening.organisation_id == user.organisation_id)


def _see_referral(user, referral=None):
    return _recipient(user, referral) or _referral_of_own_screening(user, referral)


def _withdraw_referral(user, referral=None):
    return user.role == "coordinator" or _referral_of_own_screening(user, referral)


def _case_of_own_organisation(user, case=None):
    return user.role == "case_worker" and (case is None or case.organisation_id == user.organisation_id)


def _edit_case(user, case=None):
    return _case_of_own_organisation(user, case) and (case is None or case.status in ("Active", "FollowUp"))


RULES = {
    "view_home": lambda user, obj=None: True,
    "change_own_password": lambda user, obj=None: True,
    "list_accounts": _role(ADMIN),
    "create_account": _role(ADMIN),
    "manage_account": _manage_account,
    "list_organisations": _role(ADMIN),
    "manage_organisation": _manage_organisation,
    # the public holidays and the days the Cabinet announces: the working-day clocks count them
    "manage_calendar": _role(ADMIN),
    # the provenance of the catalogue (rule ids, source lines, versions): reviewers only
    "view_catalogue_sources": _role("coordinator", "auditor"),
    "view_audit_trail": _role("auditor"),
    # the sealed details of a coordinator's reasoned access, shown beside its flagged event
    "view_access_note": _role("auditor"),
    # screenings: officers of the organisation that made them (coordinators' reasoned access and
    # case workers' minimised view come with referrals and cases)
    "list_screenings": _role("screening_officer"),
    "start_screening": _role("screening_officer"),
    "view_screening": _screening_of_own_organisation,
    "edit_screening": _edit_screening,
    "verify_audit_trail": _role("auditor"),
    # referrals: the officer who screened reviews and sends the proposals; the receiving service
    # sees only what was sent to it (the minimised payload); coordinators see the queue as codes and
    # clocks, and personal data only with a stated reason (view_person_with_reason)
    "manage_proposals": _submitted_screening_of_own_organisation,
    "view_referral": _see_referral,
    "print_letter": _see_referral,
    "answer_referral": _answer_referral,
    "withdraw_referral": _withdraw_referral,
    "coordinate_referrals": _role("coordinator"),
    "list_inbox": _role("case_worker"),
    # cases: the receiving organisation's case workers only
    "list_cases": _role("case_worker"),
    "view_case": _case_of_own_organisation,
    "edit_case": _edit_case,
    # the coordinator's workspace
    "view_queue": _role("coordinator"),
    "decide_identification": _role("coordinator"),
    "view_person_with_reason": _role("coordinator"),
    "erase_person": _role("coordinator"),
    "edit_directory": _role("coordinator"),
    "view_directory": _role("coordinator", ADMIN),
    # referrals to and from other countries' NRMs (docs/exchange.md)
    "exchange_referrals": _role("coordinator"),
    "view_notifications": lambda user, obj=None: True,
    "edit_own_profile": lambda user, obj=None: True,
    "confirm_account": _confirm_account,
    # anonymised statistics: prosecutors/analysts and coordinators (tables only, never a row)
    "view_statistics": _role("analyst", "coordinator"),
    "export_statistics": _role("analyst", "coordinator"),
}


def may(user, action: str, obj=None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    rule = RULES.get(action)
    return bool(rule and rule(user, obj))


def require(user, action: str, obj=None) -> None:
    if not may(user, action, obj):
        abort(403)


def requires(action: str):
    """View decorator for actions that need no object."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from flask_login import current_user

            require(current_user, action)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def role_fits_organisation(role: str, organisation_kind: str) -> bool:
    return organisation_kind in ROLE_ORGANISATION_KINDS.get(role, ())
