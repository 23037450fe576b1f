"""SQLAlchemy models by aggregate. Importing this package registers every table."""

from nrm.models.accounts import AuthSession, LoginThrottle, Organisation, User
from nrm.models.api import ApiClient
from nrm.models.audit import AuditEvent, AuditHead
from nrm.models.calendar import CalendarDay
from nrm.models.cases import Attachment, Case, CaseNote, CaseTask, ServiceRecord
from nrm.models.exchange import ExchangeMessage, PartnerKey, Transfer
from nrm.models.keys import DataKey
from nrm.models.people import AccessNote, Person
from nrm.models.referrals import Escalation, Identification, JobLock, Notification, Referral
from nrm.models.screening import CatalogueVersion, Screening
from nrm.models.statistics import DataSharingAgreement, StatPerson, StatReferral

__all__ = ["AccessNote", "ApiClient", "Attachment", "AuditEvent", "AuditHead", "AuthSession", "CalendarDay",
           "Case", "ExchangeMessage", "PartnerKey", "Transfer",
           "CaseNote", "CaseTask", "CatalogueVersion", "DataKey", "Escalation", "Identification", "JobLock",
           "LoginThrottle", "Notification", "Organisation", "Person", "Referral", "Screening",
           "ServiceRecord", "DataSharingAgreement", "StatPerson", "StatReferral", "User"]
