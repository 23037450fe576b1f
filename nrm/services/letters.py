"""Referral letters: one document per referral in the recipient's language, holding only the
minimised payload sealed at sending, the case reference and the legal basis. Rendered on demand as
an HTML print layout or a PDF (fpdf2 with a Unicode TrueType font) and never stored: the only
copy at rest is the sealed payload.

``describe`` also turns a payload into labelled, translated lines for the screens of the recipient.
"""

from babel import Locale
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from nrm import labels
from nrm.clock import now
from nrm.models import Referral
from nrm.services import referrals as service

CIS = {"UZ", "TJ", "RU", "KZ", "AZ", "BY", "UA", "AM", "MD", "TM"}


def default_language(referral: Referral) -> str:
    org = referral.organisation
    if org is not None and org.kind == "foreign_mission":
        return "ru" if org.country in CIS else "en"
    return "ky"


def _country(code, language):
    if not code:
        return ""
    if code == "stateless":
        return _("Stateless")
    if code == "KG":
        return Locale.parse(language).territories.get("KG", "KG")
    return Locale.parse(language).territories.get(str(code).upper(), str(code))


def _language_name(code, language):
    return Locale.parse(language).languages.get(code, code) if code else ""


def _value(field: str, value, language: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value in ("yes", "no"):
        return _("Yes") if value == "yes" else _("No")
    if field in ("needs", "document_needs"):
        return ", ".join(str(labels.NEED_LABELS.get(v, v)) for v in value)
    if field == "stay_region":
        return str(labels.REGION_LABELS.get(value, _("Abroad") if value == "abroad" else value))
    if field in ("citizenship", "document_country", "found_abroad_country", "exploitation_country"):
        return _country(value, language)
    if field == "native_language":
        return _language_name(value, language)
    if field == "languages_spoken":
        return (
            ", ".join(_language_name(v, language) for v in value) if isinstance(value, list) else str(value)
        )
    if field == "legal_aid_categories":
        return labels.legal_aid_categories(value)
    if field == "sex":
        return {"female": _("Female"), "male": _("Male")}.get(value, _("Other or not stated"))
    if field == "birth_date":
        from datetime import date

        return format_date(date.fromisoformat(value), "long")
    if field == "exploitation_types" and isinstance(value, list):
        return ", ".join(value)
    return str(value)


def describe(payload: dict, language: str) -> list[tuple[str, str]]:
    """Labelled lines of a payload in ``language`` (call inside that locale)."""
    return [
        (str(labels.PAYLOAD_LABELS.get(field, field)), _value(field, value, language))
        for field, value in payload.items()
    ]


def content(referral: Referral, language: str) -> dict:
    """Everything a letter shows, already translated into ``language``."""
    with force_locale(language):
        payload = service.payload(referral)
        rules = service.basis_texts(referral)
        sender = referral.screening.organisation_id
        from nrm.extensions import db
        from nrm.models import Organisation

        origin = db.session.get(Organisation, sender)
        return {
            "language": language,
            "title": _("Referral: %(service)s", service=labels.SERVICE_LABELS[referral.service]),
            "reference": payload.get("reference"),
            "date": format_date(now().date(), "long"),
            "to": referral.organisation.name_in(language) if referral.organisation else "—",
            "from": origin.name_in(language) if origin else "—",
            "lines": describe(payload, language),
            "basis": [
                (r.title.get(language, ""), r.basis.text.get(language, ""),
                 r.basis.citation.get(language, "")) for r in rules
            ],
            "mandatory": referral.mandatory,
            "sent": format_date(referral.sent_at, "long") if referral.sent_at else _("Not sent yet"),
            "deadline": _("Please acknowledge within %(hours)s hours.", hours=referral.deadline_hours)
            if referral.deadline_hours
            else "",
            "confidential": _(
                "Confidential. Contains personal data of a presumed victim of trafficking in "
                "persons: share with no one who does not need it to help the person. Do not "
                "contact the person's family or employer without the person's agreement."
            ),
            "texts": {
                "to": _("Recipient"),
                "from": _("Sender"),
                "reference": _("Case reference"),
                "date": _("Date"),
                "sent": _("Sent"),
                "basis": _("Legal basis"),
                "details": _("What you need to know"),
                "mandatory": _("This referral is mandatory.") if referral.mandatory else "",
                "provisional": _(
                    "Provisional NRM wording, pending the authentic text of Government Decision "
                    "No. 493 of 19 September 2019."
                ),
            },
        }


def pdf(referral: Referral, language: str) -> bytes:
    """The letter as a PDF. Raises FileNotFoundError when the configured font is missing."""
    from fpdf import FPDF

    letter = content(referral, language)
    font, bold = current_app.config["PDF_FONT"], current_app.config["PDF_FONT_BOLD"]
    document = FPDF(format="A4")
    document.set_title(letter["title"])
    document.set_creator("NRM")
    document.add_font("Body", "", font)
    document.add_font("Body", "B", bold)
    document.set_auto_page_break(True, margin=18)
    document.add_page()
    document.set_margins(20, 18, 20)
    document.set_font("Body", "B", 15)
    document.multi_cell(0, 8, letter["title"], new_x="LMARGIN", new_y="NEXT")
    document.ln(2)
    document.set_font("Body", "", 10)
    texts = letter["texts"]
    for label, value in (
        (texts["reference"], letter["reference"]),
        (texts["date"], letter["date"]),
        (texts["to"], letter["to"]),
        (texts["from"], letter["from"]),
        (texts["sent"], letter["sent"]),
    ):
        document.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    if texts["mandatory"]:
        document.set_font("Body", "B", 10)
        document.multi_cell(0, 6, texts["mandatory"], new_x="LMARGIN", new_y="NEXT")
    document.ln(3)
    document.set_font("Body", "B", 12)
    document.multi_cell(0, 7, texts["details"], new_x="LMARGIN", new_y="NEXT")
    for label, value in letter["lines"]:
        document.set_font("Body", "B", 10)
        document.multi_cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
        document.set_font("Body", "", 10)
        document.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    if letter["deadline"]:
        document.ln(2)
        document.multi_cell(0, 6, letter["deadline"], new_x="LMARGIN", new_y="NEXT")
    document.ln(3)
    document.set_font("Body", "B", 12)
    document.multi_cell(0, 7, texts["basis"], new_x="LMARGIN", new_y="NEXT")
    for title, text, source in letter["basis"]:
        document.set_font("Body", "B", 10)
        document.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        document.set_font("Body", "", 10)
        document.multi_cell(0, 6, f"{text} ({source})", new_x="LMARGIN", new_y="NEXT")
    document.ln(3)
    document.set_font("Body", "", 8)
    document.multi_cell(0, 5, letter["confidential"], new_x="LMARGIN", new_y="NEXT")
    document.multi_cell(0, 5, texts["provisional"], new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
