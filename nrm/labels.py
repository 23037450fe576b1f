"""Translated labels of the reference codes in ``nrm.core.reference``."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "screening_officer": _l("Screening officer"),
    "case_worker": _l("Case worker"),
    "coordinator": _l("NRM coordinator"),
    "analyst": _l("Prosecutor / analyst"),
    "auditor": _l("Auditor"),
    "administrator": _l("Administrator"),
}

ORGANISATION_KIND_LABELS = {
    "police_unit": _l("Internal affairs (police) unit"),
    "customs_post": _l("Customs post"),
    "health_facility": _l("Health facility"),
    "mlssm_central": _l("MLSSM, central office"),
    "mlssm_regional": _l("MLSSM, regional office"),
    "mlssm_child_protection": _l("Child protection body"),
    "ombudsman": _l("Ombudsman (Akyikatchy)"),
    "crisis_centre": _l("Crisis centre"),
    "legal_aid_centre": _l("State-guaranteed legal aid centre"),
    "mfa_consular_department": _l("MFA Consular Department"),
    "foreign_mission": _l("Foreign diplomatic mission"),
    "kyrgyz_mission_abroad": _l("Kyrgyz mission abroad"),
    "ngo": _l("Non-governmental organisation"),
    "prosecutor_office": _l("Prosecutor's office"),
}

REGION_LABELS = {
    "KG-GB": _l("Bishkek city"),
    "KG-GO": _l("Osh city"),
    "KG-B": _l("Batken region"),
    "KG-C": _l("Chui region"),
    "KG-J": _l("Jalal-Abad region"),
    "KG-N": _l("Naryn region"),
    "KG-O": _l("Osh region"),
    "KG-T": _l("Talas region"),
    "KG-Y": _l("Issyk-Kul region"),
}

LANGUAGE_NAMES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
