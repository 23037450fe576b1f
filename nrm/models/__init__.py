"""SQLAlchemy models by aggregate. Importing this package registers every table."""

from nrm.models.accounts import AuthSession, LoginThrottle, Organisation, User
from nrm.models.audit import AuditEvent, AuditHead
from nrm.models.keys import DataKey
from nrm.models.people import Person

__all__ = ["AuditEvent", "AuditHead", "AuthSession", "DataKey", "LoginThrottle", "Organisation", "Person",
           "User"]
