"""SQLAlchemy models by aggregate. Importing this package registers every table."""

from nrm.models.accounts import AuthSession, LoginThrottle, Organisation, User
from nrm.models.audit import AuditEvent, AuditHead

__all__ = ["AuditEvent", "AuditHead", "AuthSession", "LoginThrottle", "Organisation", "User"]
