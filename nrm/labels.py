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

SERVICE_LABELS = {
    "crisis_centre": _l("Crisis centre"),
    "consular_mission": _l("Diplomatic mission of the person's country"),
    "kyrgyz_mission_abroad": _l("Kyrgyz mission abroad"),
    "legal_aid": _l("State-guaranteed legal aid"),
    "legal_aid_child_specialist": _l("Lawyer specialised in children's cases"),
    "child_protection": _l("Child protection"),
    "health": _l("Health care"),
    "refugee_procedure": _l("Refugee or statelessness procedure"),
    "law_enforcement": _l("Criminal-justice notification"),
}

REFERRAL_STATE_LABELS = {
    "proposed": _l("Proposed"),
    "sent": _l("Sent"),
    "acknowledged": _l("Acknowledged"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "completed": _l("Completed"),
    "withdrawn": _l("Withdrawn"),
    "removed": _l("Removed"),
}

HOLD_LABELS = {
    "safety_check": _l("Held for the coordinator: the person fears return or seeks asylum"),
    "awaiting_consent": _l("Waiting for the person's consent"),
    "on_return": _l("Starts when the person returns to Kyrgyzstan"),
    "no_organisation": _l("No organisation found: the coordinator places it"),
}

ROUTING_NOTE_LABELS = {
    "no_mission_in_directory": _l(
        "No mission of this country in the directory: through the MFA Consular Department"),
    "no_post_in_country": _l(
        "No Kyrgyz post in this country in the directory: through the MFA Consular Department"),
    "regional_full": _l("The region's organisation is full: the next one with room"),
    "regional_profile": _l("The region's organisation does not accept this profile: another one that does"),
    "region_unknown": _l("Region not known: chosen by default, check it"),
}

REASON_LABELS = {
    # removing an optional proposal
    "person_declines_service": _l("The person does not want this service"),
    "not_needed": _l("Not needed"),
    "already_served": _l("Already served elsewhere"),
    # declining a referral
    "no_capacity": _l("No capacity"),
    "profile_not_accepted": _l("Profile not accepted"),
    "outside_service_area": _l("Outside our service area"),
    "person_declined": _l("The person declined"),
    "duplicate": _l("Duplicate referral"),
    # withdrawing
    "consent_withdrawn": _l("Consent withdrawn"),
    "person_unreachable": _l("Person unreachable"),
    "entered_in_error": _l("Entered in error"),
    "rerouted": _l("Re-routed"),
    # closing a case
    "goals_met": _l("Service plan completed"),
    "returned_home": _l("Returned home"),
    "reintegrated": _l("Reintegrated"),
    "person_withdrew": _l("The person withdrew"),
    "lost_contact": _l("Lost contact"),
    "transferred": _l("Transferred"),
    "deceased": _l("Deceased"),
    "other": _l("Other"),
}

# The categories of professional legal aid regardless of income under the State Legal Aid Act that
# the routing rules record, by their number in the Act's list (seeds/001_e617a7a12ec0d28b.txt:125-140).
LEGAL_AID_CATEGORY_LABELS = {
    6: _l("a child"),
    11: _l("a foreign national, stateless person or refugee"),
    12: _l("a victim of trafficking in persons"),
    13: _l("a person whose identity has not been established"),
}


def legal_aid_categories(value) -> str:
    """The categories of a referral ("6,12" or [6, 12]) in words."""
    codes = [int(c) for c in (value.split(",") if isinstance(value, str) else value or []) if str(c).strip()]
    return "; ".join(str(LEGAL_AID_CATEGORY_LABELS.get(c, c)) for c in codes)


NEED_LABELS = {
    "medical": _l("Medical care"),
    "psychological": _l("Psychological support"),
    "legal": _l("Legal help"),
    "shelter": _l("Shelter"),
    "food": _l("Food"),
    "documents": _l("Identity documents"),
    "family_contact": _l("Family contact"),
    "education": _l("Education"),
    "skills_training": _l("Skills training"),
    "employment": _l("Employment"),
    "return_or_reintegration": _l("Return or reintegration"),
    "interpreter": _l("Interpreter"),
}

EMERGENCY_SERVICE_LABELS = {
    "police": _l("Police"),
    "ambulance": _l("Ambulance"),
    "emergency": _l("Single emergency number"),
    "fire": _l("Fire and rescue"),
    "trafficking_hotline": _l("Hotline on safe migration and trafficking (free)"),
}

STRENGTH_LABELS = {
    "strong": _l("strong indicator"),
    "medium": _l("medium indicator"),
    "weak": _l("weak indicator"),
}

CASE_STATUS_LABELS = {
    "Active": _l("Open case"),
    "FollowUp": _l("Follow-up"),
    "Closed": _l("Closed"),
    "ClosedReferred": _l("Closed — transferred"),
}

IDENTIFICATION_LABELS = {
    "PossibleVictimOfTrafficking": _l("Possible victim — decision pending"),
    "ActualVictimOfTrafficking": _l("Identified as a victim of trafficking"),
    "NotAVictimOfTrafficking": _l("Not a victim of trafficking"),
}

NOTIFICATION_LABELS = {
    "referral_received": _l("A referral has arrived"),
    "acknowledgement_overdue": _l("A referral was not acknowledged in time"),
    "acceptance_overdue": _l("A referral was not accepted or declined in time"),
    "declined": _l("A referral was declined: re-route it"),
    "identification_pending": _l("An identification decision is due"),
    "identification_overdue": _l("An identification decision is overdue"),
    "reflection_period_ending": _l("A recovery and reflection period ends within 3 days"),
    "case_review_due": _l("A case review is due"),
    "non_punishment": _l("Non-punishment: a presumed victim is also recorded as a suspect"),
    "account_reset": _l("Your sign-in details were reset by an administrator. If you did not ask for "
                        "it, tell your coordinator."),
    "account_awaiting_confirmation": _l("An account is waiting for your confirmation"),
}

PAYLOAD_LABELS = {
    "reference": _l("Case reference"),
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "patronymic": _l("Patronymic"),
    "birth_date": _l("Date of birth"),
    "age": _l("Age"),
    "sex": _l("Sex"),
    "citizenship": _l("Citizenship"),
    "document_number": _l("Document number"),
    "document_country": _l("Document issued by"),
    "document_needs": _l("Needs documents or return"),
    "native_language": _l("Native language"),
    "languages_spoken": _l("Languages spoken"),
    "interpreter_needed": _l("Interpreter needed"),
    "needs": _l("Needs"),
    "medical_needs": _l("Medical need"),
    "urgent": _l("Urgent (shelter or safety)"),
    "stay_region": _l("Region of stay"),
    "found_abroad_country": _l("Country where the person is"),
    "contact": _l("How to reach the person"),
    "legal_aid_categories": _l("Legal aid categories"),
    "child_views": _l("The child's views"),
    "asylum_wish": _l("Wishes to seek asylum"),
    "exploitation_types": _l("Forms of exploitation"),
    "exploitation_country": _l("Country of exploitation"),
    "non_punishment": _l("Non-punishment: the person is also recorded as a suspect"),
}

# ------------------------------------------------------------------ statistics

STAT_DIMENSION_LABELS = {
    "year": _l("Year"),
    "region": _l("Region"),
    "sex": _l("Sex"),
    "age_band": _l("Age band"),
    "minor": _l("Child or adult"),
    "citizenship": _l("Citizenship"),
    "nationality": _l("Kyrgyz, foreign or stateless"),
    "exploitation": _l("Type of exploitation"),
    "exploitation_country": _l("Country of exploitation"),
    "agency": _l("Identifying agency"),
    "result": _l("Screening result"),
    "service": _l("Referral service"),
    "referral_outcome": _l("Referral outcome"),
    "decision": _l("Identification decision"),
    "case_status": _l("Case status"),
}

EXPLOITATION_LABELS = {
    "SexualExploitation": _l("Sexual exploitation"),
    "ForcedLabour": _l("Forced labour"),
    "DomesticServitude": _l("Domestic servitude"),
    "ForcedBegging": _l("Forced begging"),
    "ForcedCriminality": _l("Forced criminality"),
    "ForcedMarriage": _l("Forced marriage"),
    "OrganRemoval": _l("Organ removal"),
    "ChildLabour": _l("Child labour"),
    "SaleOfChildren": _l("Sale of children"),
    "Other": _l("Other exploitation"),
    "Multiple": _l("Several types"),
    "Unknown": _l("Not known"),
}

STAT_VALUE_LABELS = {
    "sex": {"female": _l("Female"), "male": _l("Male"), "other_or_not_stated": _l("Other or not stated")},
    "minor": {"@child": _l("Child"), "@adult": _l("Adult")},
    "age_band": {"child-unknown": _l("Age not known (presumed a child)"),
                 "adult-unknown": _l("Age not known (an adult)")},
    "nationality": {"KG": _l("Kyrgyz citizen"), "@foreign": _l("Foreign national"),
                    "stateless": _l("Stateless"), "unknown": _l("Not known")},
    "result": {"@presumed_victim": _l("Presumed victim of trafficking"),
               "none": _l("Possible victim — interview further")},
    "decision": {**IDENTIFICATION_LABELS, "pending": _l("Decision pending"),
                 "none": _l("Possible victim: no decision opened")},
    "case_status": {**CASE_STATUS_LABELS, "no_case": _l("No case opened")},
    "region": {**REGION_LABELS, "abroad": _l("Abroad"), "unknown": _l("Not known")},
    "exploitation": EXPLOITATION_LABELS,
    "agency": ORGANISATION_KIND_LABELS,
    "service": SERVICE_LABELS,
    "referral_outcome": REFERRAL_STATE_LABELS,
}
_COUNTRY_EXTRAS = {"other": _l("Other countries"), "stateless": _l("Stateless"), "unknown": _l("Not known")}


def stat_value_label(dimension: str, value: str, language: str) -> str:
    """The label of a statistics value in ``language``; countries by their name in that language."""
    if dimension in ("citizenship", "exploitation_country"):
        if value in _COUNTRY_EXTRAS:
            return str(_COUNTRY_EXTRAS[value])
        from babel import Locale

        return Locale.parse(language).territories.get(value, value)
    found = STAT_VALUE_LABELS.get(dimension, {}).get(value)
    return str(found) if found is not None else str(value)
