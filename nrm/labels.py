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
    "partner_nrm": _l("Another country's NRM"),
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

# What a letter asks each service to do (the "What is asked" paragraph).
SERVICE_REQUEST_LABELS = {
    "crisis_centre": _l("Please admit the person to your crisis centre and provide shelter, psychological "
                        "support and assistance, or tell us at once if you cannot."),
    "consular_mission": _l("Please confirm the person's identity and citizenship and, where needed, issue "
                           "identity or travel documents. Contact the person only through the sender: the "
                           "person's safety comes first."),
    "kyrgyz_mission_abroad": _l("Please assist this citizen of the Kyrgyz Republic: identity and travel "
                                "documents, safety and return. Contact the person only through the sender."),
    "legal_aid": _l("Please assign a lawyer to provide State-guaranteed legal aid to the person, "
                    "regardless of income."),
    "legal_aid_child_specialist": _l("Please assign a lawyer specialised in cases involving children to "
                                     "provide State-guaranteed legal aid to the child."),
    "child_protection": _l("Please take the child under protection, assess the child's situation and draw up "
                           "an individual protection plan with the child."),
    "health": _l("Please provide the person with the medical care they need; emergency care is free of "
                 "charge."),
    "refugee_procedure": _l("Please register the person's application and open the refugee or statelessness "
                            "procedure."),
    "law_enforcement": _l("For your information and action under criminal procedure. Where the person is "
                          "also recorded as a suspect, the non-punishment provision applies."),
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
    # withdrawing a held referral (the coordinator)
    "non_refoulement": _l("Non-refoulement: contact with the country of origin could put the person at risk"),
    "person_wish": _l("The person does not want this contact"),
    # a diplomatic mission referral without the full identity
    "person_declines_identity": _l("The person does not want to give their identity"),
    "no_documents": _l("The person has no documents"),
    "documents_held_by_others": _l("The documents are held by someone else"),
    "identity_unknown_to_person": _l("The person does not know their date of birth or full name"),
    "not_safe_to_ask_now": _l("It is not safe to ask now"),
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

CALENDAR_DAY_KIND_LABELS = {
    "day_off": _l("A day off"),
    "working_day": _l("A working day (moved from a day off)"),
}

CALENDAR_ORIGIN_LABELS = {
    "law": _l("Public holiday under the law"),
    "configuration": _l("Set in the configuration"),
    "recorded": _l("Announced by the Cabinet (recorded here)"),
}

RESULT_LABELS = {
    "presumed_victim": _l("Presumed victim of trafficking"),
    "possible": _l("Possible victim — interview further"),
    "no_indicators": _l("No indicators found"),
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
    "transfer_received": _l("A referral has arrived from another country's NRM"),
    "transfer_acknowledged": _l("A partner NRM acknowledged our referral"),
    "transfer_accepted": _l("A partner NRM accepted our referral"),
    "transfer_declined": _l("A partner NRM declined our referral"),
    "transfer_closed": _l("A referral between countries was closed"),
    "transfer_consent_withdrawn": _l("Consent withdrawn: a referral from a partner NRM was erased"),
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
    "Servitude": _l("Servitude"),
    "ForcedAdoption": _l("Forced adoption"),
    "Surrogacy": _l("Surrogacy"),
    "ForcedMilitaryByNonStateActors": _l("Forced military service"),
    "Other": _l("Other exploitation"),
    "Multiple": _l("Several types"),
    "Unknown": _l("Not known"),
}

STAT_VALUE_LABELS = {
    "sex": {"female": _l("Female"), "male": _l("Male"), "other_or_not_stated": _l("Other or not stated"),
            "transgender_feminine": _l("Transgender woman"), "transgender_masculine": _l("Transgender man"),
            "non_conforming": _l("Non-conforming")},
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
        from nrm.names import country_name

        return country_name(value, language)
    found = STAT_VALUE_LABELS.get(dimension, {}).get(value)
    return str(found) if found is not None else str(value)


# The audit trail in words: a label per action (dynamic suffixes are labelled by
# ``audit_action_label``), per kind of object and per outcome.
IDENTITY_GAP_LABELS = {
    "name": _l("name"),
    "birth_date": _l("date of birth"),
    "document": _l("identity document"),
}

AUDIT_ACTION_LABELS = {
    "account.change_role": _l("Account: role or organisation changed"),
    "account.confirm": _l("Account: confirmed by a second person"),
    "account.confirmation_refused": _l("Account: confirmation refused"),
    "account.confirmation_required": _l("Account: a second person's confirmation required"),
    "account.create": _l("Account created"),
    "account.disable": _l("Account disabled"),
    "account.email": _l("Account: notification e-mail changed"),
    "account.enable": _l("Account enabled"),
    "account.password_changed": _l("Password changed"),
    "account.password_reset": _l("Password reset by an administrator"),
    "account.profile": _l("Account: name, position or contact details changed"),
    "account.totp_enrolled": _l("Second factor set up"),
    "account.totp_reset": _l("Second factor reset by an administrator"),
    "account.unlock": _l("Account unlocked"),
    "audit.verify": _l("Audit trail verified"),
    "audit.view": _l("Audit trail read"),
    "auth.login": _l("Sign-in: password"),
    "auth.logout": _l("Sign-out"),
    "auth.password": _l("Sign-in: new password set"),
    "auth.totp": _l("Sign-in: second-factor code"),
    "backup.create": _l("Backup made"),
    "backup.restore": _l("Backup restored"),
    "calendar.add": _l("Calendar: day added"),
    "calendar.remove": _l("Calendar: day removed"),
    "case.attachment_add": _l("Case: document attached"),
    "case.attachment_view": _l("Case: attached document opened"),
    "case.close": _l("Case closed"),
    "case.follow_up": _l("Case moved to follow-up"),
    "case.intake": _l("Case: intake recorded"),
    "case.needs": _l("Case: needs assessed"),
    "case.note": _l("Case: note added"),
    "case.open": _l("Case opened"),
    "case.reopen": _l("Case reopened"),
    "case.review": _l("Case reviewed"),
    "case.service": _l("Case: service delivered"),
    "case.task_add": _l("Case: task added"),
    "case.task_done": _l("Case: task done"),
    "case.transfer": _l("Case transferred"),
    "case.view": _l("Case opened for reading"),
    "directory.intake_paused": _l("Directory: intake paused"),
    "directory.intake_resumed": _l("Directory: intake resumed"),
    "directory.seed": _l("Directory loaded"),
    "directory.update": _l("Directory entry changed"),
    "escalation": _l("Escalated to the coordinators"),
    "escalation.resolve": _l("Escalation handled"),
    "identification.decide": _l("Identification decided"),
    "identification.open": _l("Identification opened"),
    "identification.view": _l("Identification read"),
    "keys.add": _l("Master key added"),
    "keys.export": _l("Data keys exported"),
    "keys.retire": _l("Master key retired"),
    "keys.rewrap": _l("Data keys re-wrapped"),
    "organisation.create": _l("Organisation created"),
    "organisation.disable": _l("Organisation disabled"),
    "organisation.enable": _l("Organisation enabled"),
    "person.create": _l("Person record created"),
    "person.erase": _l("Person's data erased"),
    "person.update": _l("Person's identity changed"),
    "person.view_with_reason": _l("Person's data opened with a reason"),
    "referral.accept": _l("Referral accepted"),
    "referral.acknowledge": _l("Referral acknowledged"),
    "referral.add": _l("Referral added"),
    "referral.assign": _l("Referral assigned"),
    "referral.complete": _l("Referral completed"),
    "referral.consent": _l("Referral: consent recorded"),
    "referral.decline": _l("Referral declined"),
    "referral.hold": _l("Referral held"),
    "referral.hold_kept": _l("Referral: hold kept"),
    "referral.identity_missing": _l("Referral sent without full identity (reason recorded)"),
    "referral.letter": _l("Referral letter opened"),
    "referral.letter_pdf": _l("Referral letter printed (PDF)"),
    "referral.propose": _l("Referral proposed"),
    "referral.release_hold": _l("Referral hold lifted"),
    "referral.remove": _l("Referral removed"),
    "referral.reroute": _l("Referral re-routed"),
    "referral.review": _l("Referral reviewed"),
    "referral.send": _l("Referral sent"),
    "referral.view": _l("Referral read"),
    "referral.withdraw": _l("Referral withdrawn"),
    "retention.run": _l("Retention run"),
    "screening.create": _l("Screening started"),
    "screening.submit": _l("Screening submitted"),
    "screening.update": _l("Screening answers saved"),
    "screening.view": _l("Screening read"),
    "statistics.export": _l("Statistics exported"),
    "statistics.export_htcds": _l("HTCDS data set exported"),
    "statistics.export_rows": _l("Row-level data set exported"),
    "statistics.agreement_add": _l("Data-sharing agreement recorded"),
    "statistics.agreement_end": _l("Data-sharing agreement ended"),
    "statistics.summary": _l("Statistics summary read"),
    "statistics.view": _l("Statistics table read"),
    "api.call": _l("API call by an agency system"),
    "api_client.register": _l("API client registered"),
    "api_client.revoke": _l("API client revoked"),
    "api_client.rotate": _l("API client's token replaced"),
    "exchange.consent_withdrawn": _l("Exchange: consent withdrawn, partner asked to erase"),
    "exchange.delivered": _l("Exchange: package delivered, signed receipt kept"),
    "exchange.file_written": _l("Exchange: package written to a file"),
    "exchange.keys_retire": _l("Exchange: one of our keys retired"),
    "exchange.keys_rotate": _l("Exchange: new key pair"),
    "exchange.partner_key": _l("Exchange: partner's key recorded"),
    "exchange.partner_key_retire": _l("Exchange: partner's key retired"),
    "exchange.receive": _l("Exchange: package received"),
    "exchange.refused": _l("Exchange: package refused"),
    "exchange.transfer_create": _l("Exchange: referral to a partner NRM prepared"),
    "exchange.transfer_held": _l("Exchange: referral held for a second coordinator"),
    "exchange.transfer_send": _l("Exchange: referral sent to a partner NRM"),
    "exchange.transfer_withdraw": _l("Exchange: held referral withdrawn"),
    "exchange.transfer_acknowledged": _l("Exchange: incoming referral acknowledged to the sender"),
    "exchange.transfer_accepted": _l("Exchange: incoming referral accepted"),
    "exchange.transfer_declined": _l("Exchange: incoming referral declined"),
    "exchange.transfer_closed": _l("Exchange: referral closed"),
    "exchange.view": _l("Exchange: referral between countries viewed"),
}

AUDIT_OBJECT_LABELS = {
    "access_note": _l("Person's data"),
    "api_client": _l("API client"),
    "exchange_keys": _l("Exchange keys"),
    "exchange_package": _l("Exchange package"),
    "transfer": _l("Referral between countries"),
    "audit_trail": _l("Audit trail"),
    "backup": _l("Backup"),
    "calendar": _l("Calendar"),
    "case": _l("Case"),
    "data_keys": _l("Data keys"),
    "directory": _l("Directory"),
    "identification": _l("Identification"),
    "master_key": _l("Master key"),
    "organisation": _l("Organisation"),
    "person": _l("Person"),
    "referral": _l("Referral"),
    "retention": _l("Retention"),
    "screening": _l("Screening"),
    "statistics": _l("Statistics"),
    "user": _l("Account"),
}

AUDIT_OUTCOME_LABELS = {
    "ok": _l("Done"),
    "failed": _l("Failed"),
    "locked": _l("Refused: locked"),
    "disabled": _l("Refused: disabled"),
    "unconfirmed": _l("Refused: awaiting confirmation"),
    "flagged": _l("Flagged for review"),
    "broken": _l("Trail broken"),
    "refused": _l("Refused"),
}

ACCESS_REASON_LABELS = {
    "identification_decision": _l("To take the identification decision"),
    "safety_check_review": _l("To review a safety check before a consular contact"),
    "rerouting": _l("To re-route a referral"),
    "prosecutor_request": _l("A prosecutor's or court's written request"),
    "erasure_request": _l("A request to erase the person's data"),
    "data_correction": _l("To correct the person's data"),
}

CONFIRMATION_LABELS = {
    "create": _l("new account"),
    "change": _l("role or organisation changed"),
    "password_reset": _l("password reset"),
    "totp_reset": _l("second factor reset"),
}


def audit_action_label(action: str) -> str:
    """An audit action in words; a dynamic suffix (why a confirmation, which reason, which
    escalation) is labelled too."""
    if action in AUDIT_ACTION_LABELS:
        return str(AUDIT_ACTION_LABELS[action])
    base, _dot, suffix = action.rpartition(".")
    details = {"account.confirmation_required": CONFIRMATION_LABELS,
               "person.view_with_reason": ACCESS_REASON_LABELS,
               "escalation": NOTIFICATION_LABELS}.get(base)
    if details is not None and base in AUDIT_ACTION_LABELS:
        return f"{AUDIT_ACTION_LABELS[base]}: {details.get(suffix, suffix)}"
    return action


# ------------------------------------------------------------------ the exchange with partner NRMs

TRANSFER_STATE_LABELS = {
    "held": _l("Waiting for a coordinator"),
    "sent": _l("Sent"),
    "acknowledged": _l("Acknowledged by the partner"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
    "erased": _l("Erased: consent withdrawn"),
}

# one message of an exchange, by direction and what it carries
EXCHANGE_MESSAGE_LABELS = {
    ("out", "referral"): _l("Referral sent"),
    ("in", "referral"): _l("Referral received"),
    ("out", "acknowledged"): _l("We acknowledged the referral"),
    ("in", "acknowledged"): _l("The partner acknowledged the referral"),
    ("out", "accepted"): _l("We accepted the referral"),
    ("in", "accepted"): _l("The partner accepted the referral"),
    ("out", "declined"): _l("We declined the referral"),
    ("in", "declined"): _l("The partner declined the referral"),
    ("out", "closed"): _l("We closed the referral"),
    ("in", "closed"): _l("The partner closed the referral"),
    ("out", "consent_withdrawn"): _l("We told the partner that consent was withdrawn"),
    ("in", "consent_withdrawn"): _l("The partner told us that consent was withdrawn"),
}

TRANSFER_REASON_LABELS = {
    "fear_of_return": _l("Fear of return or a wish for asylum is recorded and this is the person's country "
                         "of citizenship: a second coordinator must assess the risk before it is sent"),
    "coordinator_review": _l("Received from the partner: a coordinator accepts or declines it"),
    "consent_withdrawn": _l("The person withdrew consent"),
    "non_refoulement": _l("Non-refoulement: contact with the country of origin could put the person at risk"),
    "person_wish": _l("The person does not wish it"),
    "not_our_national": _l("The person is not a national or resident of this country"),
    "insufficient_information": _l("Not enough information to act on"),
    "person_declined": _l("The person declined assistance"),
    "other": _l("Another reason (see the note)"),
}

CONSENT_METHOD_LABELS = {
    "signed_form": _l("Signed consent form"),
    "oral_with_witness": _l("Oral consent before a witness, recorded in writing"),
}

CONSENT_SCOPE_LABELS = {
    "identity": _l("With the person's identity (names, date of birth, document)"),
    "no_identity": _l("Without identity (age, gender, citizenship, exploitation and needs only)"),
}

EXCHANGE_RULE_LABELS = {
    "consent_needed": _l("The person's consent to sending their data to this body in this country "
                         "is needed."),
    "child_agreement_needed": _l("A child's referral goes only with the child protection authority's "
                                 "agreement: enter its reference and date."),
    "second_coordinator": _l("A second coordinator must release a referral held for fear of return."),
    "not_a_partner": _l("Choose a partner NRM."),
    "partner_keys_missing": _l("The partner's keys are not recorded yet."),
    "screening_not_submitted": _l("No submitted screening has this case reference."),
    "not_a_victim": _l("Only a presumed or identified victim is referred to a partner NRM: this screening "
                       "found no indicators, or the person was found not to be a victim."),
    "not_held": _l("This referral is not waiting for a decision any more."),
    "note_needed": _l("Write the assessment."),
    "reason_needed": _l("Choose a reason."),
    "not_sent": _l("This referral was not sent."),
    "not_accepted": _l("Only an accepted referral can be closed."),
    "package_invalid": _l("This referral does not fit the exchange format (a value is too long or not in "
                          "the standard's lists): nothing was sent. The operator's log names the field."),
    "no_exchange_keys": _l("Our exchange keys are missing: the operator creates them "
                           "(flask exchange keys create)."),
}
