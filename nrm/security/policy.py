"""The access policy: the one module that decides whether a user may do an action to an object.

Views call ``may``/``require`` (or the ``requires`` decorator); templates are handed only what a
view was allowed to fetch and never decide access themselves. A rule is a function of the user
and the object; an action with no rule is denied (fail closed).
"""

from functools import wraps

from flask import abort

from nrm.core.reference import ROLE_ORGANISATION_KINDS

ADMIN = "administrator"


def _role(*roles):
    return lambda user, obj=None: user.role in roles


def _manage_account(user, target=None):
    # Administrators manage accounts but never their own (no self-disable, no self-reset).
    return user.role == ADMIN and (target is None or target.id != user.id)


def _manage_organisation(user, org=None):
    # ... nor disable the organisation they belong to (it would lock every administrator out).
    return user.role == ADMIN and (org is None or org.id != user.organisation_id)


def _screening_of_own_organisation(user, screening=None):
    return user.role == "screening_officer" and (
        screening is None or screening.organisation_id == user.organisation_id)


def _edit_screening(user, screening=None):
    return _screening_of_own_organisation(user, screening) and (
        screening is None or screening.status == "draft")


RULES = {
    "view_home": lambda user, obj=None: True,
    "change_own_password": lambda user, obj=None: True,
    "list_accounts": _role(ADMIN),
    "create_account": _role(ADMIN),
    "manage_account": _manage_account,
    "list_organisations": _role(ADMIN),
    "manage_organisation": _manage_organisation,
    "view_audit_trail": _role("auditor"),
    # screenings: officers of the organisation that made them (coordinators' reasoned access and
    # case workers' minimised view come with referrals and cases)
    "list_screenings": _role("screening_officer"),
    "start_screening": _role("screening_officer"),
    "view_screening": _screening_of_own_organisation,
    "edit_screening": _edit_screening,
    "verify_audit_trail": _role("auditor"),
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
