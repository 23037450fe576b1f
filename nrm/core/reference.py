"""Reference codes of the NRM (DOMAIN.md §2, §6): roles, organisation kinds, regions.

Codes only; their translated labels live in ``nrm.labels``.
"""

ROLES = (
    "screening_officer",  # police, customs, health, MLSSM, Ombudsman, NGO hotline staff
    "case_worker",        # crisis centres and other receiving services
    "coordinator",        # MLSSM NRM coordinators
    "analyst",            # prosecutor / analyst: anonymised statistics only
    "auditor",            # oversight: the audit trail only
    "administrator",      # accounts, organisations, keys; no case content
)

ORGANISATION_KINDS = (
    "police_unit",
    "customs_post",
    "health_facility",
    "mlssm_central",
    "mlssm_regional",
    "mlssm_child_protection",
    "ombudsman",
    "crisis_centre",
    "legal_aid_centre",
    "mfa_consular_department",
    "foreign_mission",
    "kyrgyz_mission_abroad",
    "partner_nrm",          # another country's NRM body, reached through the transnational exchange
    "ngo",
    "prosecutor_office",
)

# ISO 3166-2:KG
REGIONS = ("KG-GB", "KG-GO", "KG-B", "KG-C", "KG-J", "KG-N", "KG-O", "KG-T", "KG-Y")

# Which organisation kinds an account of each role may belong to (separation of duties).
ROLE_ORGANISATION_KINDS = {
    "screening_officer": (
        "police_unit", "customs_post", "health_facility", "mlssm_central", "mlssm_regional",
        "mlssm_child_protection", "ombudsman", "ngo",
    ),
    "case_worker": (
        "crisis_centre", "legal_aid_centre", "health_facility", "mlssm_child_protection",
        "mlssm_regional", "ngo",
    ),
    "coordinator": ("mlssm_central", "mlssm_regional"),
    "analyst": ("prosecutor_office", "mlssm_central"),
    "auditor": ("ombudsman", "mlssm_central", "prosecutor_office"),
    "administrator": ("mlssm_central",),
}
