"""SQLAlchemy models by aggregate. Importing this package registers every table."""

from nrm.models.accounts import AuthSession, LoginThrottle, Organisation, User
from nrm.models.audit import AuditEvent, AuditHead
from nrm.models.keys import DataKey
from nrm.models.people import Person
from nrm.models.screening import CatalogueVersion, Screening

__all__ = ["AuditEvent", "AuditHead", "AuthSession", "CatalogueVersion", "DataKey", "LoginThrottle",
           "Organisation", "Person", "Screening", "User"]
