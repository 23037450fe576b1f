"""Referral letters: one document per referral in the recipient's language, holding only the
minimised payload sealed at sending, the case reference and the legal basis. Rendered on demand as
an HTML page or, from the same template, a PDF (WeasyPrint) and never stored: the only copy at rest
is the sealed payload.

``describe`` also turns a payload into labelled, translated lines for the screens of the recipient.
"""

from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from nrm import labels, names
from nrm.clock import today
from nrm.models import Referral
from nrm.services import documents
from nrm.services import referrals as service

CIS = {"UZ", "TJ", "RU", "KZ", "AZ", "BY", "UA", "AM", "MD", "TM"}


def default_language(referral: Referral) -> str:
    org = referral.organisation
    if org is not None and org.kind == "foreign_mission":
        return "ru" if org.country in CIS else "en"
    return "ky"


def long_date(value, language: str) -> str:
    """A date as an official letter writes it, in the letter's language: "3 March 2026",
    "3 марта 2026 г.", "2026-ж., 3-март" (a datetime is first taken to the local date)."""
    return format_date(value, "d MMMM y" if language == "en" else "long")


def _country(code, language):
    if code == "stateless":
        return _("Stateless")
    return names.country_name(code, language)


def _language_name(code, language):
    return names.language_name(code, language)


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
        sexes = labels.STAT_VALUE_LABELS["sex"]
        return str(sexes.get(value, sexes["other_or_not_stated"]))
    if field == "birth_date":
        from datetime import date

        return long_date(date.fromisoformat(value), language)
    if field == "exploitation_types" and isinstance(value, list):
        return ", ".join(str(labels.EXPLOITATION_LABELS.get(v, v)) for v in value)
    return str(value)


def describe(payload: dict, language: str) -> list[tuple[str, str]]:
    """Labelled lines of a payload in ``language`` (call inside that locale)."""
    return [
        (str(labels.PAYLOAD_LABELS.get(field, field)), _value(field, value, language))
        for field, value in payload.items()
    ]


def _signatory(referral: Referral):
    """Who signs: the officer who sent the referral (or who proposed it, before it is sent)."""
    from nrm.extensions import db
    from nrm.models import User

    user_id = referral.sent_by_id or referral.created_by_id
    return db.session.get(User, user_id) if user_id else None


def _organisation_lines(org, language: str) -> list[str]:
    """An organisation's address, telephone and e-mail as the directory holds them (often none)."""
    if org is None:
        return []
    lines = [org.address] if org.address else []
    contact = _contact(org.phone, org.email)
    return lines + ([contact] if contact else [])


def _contact(phone: str | None, email: str | None) -> str:
    """ "Tel. …; E-mail: …" in the current locale, with whichever of the two is known."""
    tel, mail = _("Tel."), _("E-mail")
    return "; ".join(filter(None, [f"{tel} {phone}" if phone else "", f"{mail}: {email}" if email else ""]))


def content(referral: Referral, language: str) -> dict:
    """Everything a letter shows, already translated into ``language``: letterhead, outgoing number
    and date, recipient, what is asked and by when, the minimised payload, the legal basis, how to
    acknowledge, and the signature and stamp block of the officer who sends it."""
    from nrm.extensions import db
    from nrm.models import Organisation

    with force_locale(language):
        payload = service.payload(referral)
        rules = service.basis_texts(referral)
        origin = db.session.get(Organisation, referral.screening.organisation_id)
        signatory = _signatory(referral)
        recipient = referral.organisation
        reference = payload.get("reference") or service.reference_of(referral.screening)
        due = referral.acknowledge_due
        due_text = (_("by %(date)s, %(time)s (Bishkek time)", date=long_date(due, language),
                      time=format_time(due, "HH:mm")) if due else "")
        phone = (signatory.work_phone if signatory and signatory.work_phone else
                 origin.phone if origin and origin.phone else None)
        email = (signatory.email if signatory and signatory.email else
                 origin.email if origin and origin.email else None)
        reach = _contact(phone, email)
        in_system = recipient is not None and recipient.kind not in ("foreign_mission",
                                                                     "kyrgyz_mission_abroad")
        if in_system:
            acknowledge = _("Please acknowledge receipt in the NRM system (Referrals received) %(due)s, "
                            "quoting the case reference %(reference)s.", due=due_text, reference=reference)
        else:
            acknowledge = _("Please acknowledge receipt to the sender %(due)s, quoting the case reference "
                            "%(reference)s.", due=due_text, reference=reference)
        if reach:
            acknowledge += " " + _("Contact: %(contact)s.", contact=reach)
        return {
            "language": language,
            "state": _("Kyrgyz Republic"),
            "mechanism": _("National Referral Mechanism for victims of trafficking in persons"),
            "title": _("Referral: %(service)s", service=labels.SERVICE_LABELS[referral.service]),
            "reference": reference,
            "date": long_date(today(), language),
            "to": recipient.name_in(language) if recipient else "—",
            "to_city": recipient.city_in(language) if recipient and recipient.city else None,
            "from": origin.name_in(language) if origin else "—",
            "from_lines": _organisation_lines(origin, language),
            "request": str(labels.SERVICE_REQUEST_LABELS[referral.service]),
            "urgent": _("Urgent: the person needs help today.") if referral.urgent else "",
            "lines": describe(payload, language),
            "basis": [
                (r.title.get(language, ""), r.basis.text.get(language, ""),
                 r.basis.citation.get(language, "")) for r in rules
            ],
            "mandatory": referral.mandatory,
            "sent": long_date(referral.sent_at, language) if referral.sent_at else _("Not sent yet"),
            "paper": _("Recorded from a paper screening; the interview took place on %(date)s.",
                       date=long_date(referral.screening.paper_interview_on, language))
            if referral.screening.paper_interview_on else "",
            "deadline": due_text,
            "acknowledge": acknowledge,
            "signatory": {
                "name": (signatory.full_name or signatory.username) if signatory else "—",
                "position": signatory.position if signatory and signatory.position else "",
                "organisation": origin.name_in(language) if origin else "",
                "phone": phone, "email": email,
            },
            # the page footer, written into CSS strings: stripped of what could end the string
            "footer": {"left": _css_text(reference + " · " + _("Confidential")), "page": _css_text(_("Page")),
                       "of": _css_text(_("of"))},
            "confidential": _(
                "Confidential. Contains personal data of a presumed victim of trafficking in "
                "persons: share with no one who does not need it to help the person. Do not "
                "contact the person's family or employer without the person's agreement."
            ),
            "texts": {
                "to": _("Addressee"),
                "from": _("Sender"),
                "reference": _("Case reference"),
                "number": _("No."),
                "date": _("Date"),
                "sent": _("Sent"),
                "asked": _("What is asked"),
                "by_when": _("By when"),
                "basis": _("Legal basis"),
                "details": _("The person (only what this service needs)"),
                "acknowledge": _("Acknowledgement"),
                "signature": _("Signature"),
                "stamp": _("Place of the seal"),
                "tel": _("Tel."),
                "email": _("E-mail"),
                "mandatory": _("This referral is mandatory.") if referral.mandatory else "",
                "provisional": _(
                    "Provisional NRM wording, pending the authentic text of Government Decision "
                    "No. 493 of 19 September 2019."
                ),
            },
        }


def _css_text(text: str) -> str:
    return "".join(ch for ch in str(text) if ch not in '"\\<>{};\n\r')


def html(referral: Referral, language: str, for_pdf: bool = False) -> str:
    """The letter as HTML: the page the browser prints, and the source of the PDF."""
    from flask import render_template

    letter = content(referral, language)
    with force_locale(language):
        return render_template("referrals/letter.html", letter=letter, referral=referral, for_pdf=for_pdf,
                               letter_css=documents.stylesheet("letter.css") if for_pdf else "")


def pdf(referral: Referral, language: str) -> bytes:
    """The same letter as a PDF (WeasyPrint: A4, the DejaVu fonts, page numbers in the footer)."""
    return documents.pdf(html(referral, language, for_pdf=True))
