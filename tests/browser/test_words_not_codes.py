"""Words, not codes (issue 13): every main page of every role, every letter (HTML and the PDF's
text) and every CSV, in Kyrgyz, Russian and English, read in Debian's Chromium — no file path, no
`.txt:`, no `DOMAIN`, no `§`, no rule id, no catalogue hash, no snake_case code of the catalogue or
the reference lists, and no English word on a Kyrgyz or Russian page outside names."""

import io
import json
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from nrm.core import lifecycle
from nrm.core import routing as rt
from nrm.core.reference import ORGANISATION_KINDS, REGIONS, ROLES
from nrm.extensions import db
from nrm.models import Identification, User
from nrm.services import directory, referrals
from nrm.services import screening as screenings
from tests.browser.conftest import sign_in
from tests.conftest import make_user
from tests.test_referrals import IDENTITY, PRESUMED_ANSWERS

pytestmark = pytest.mark.browser

LANGUAGE_BUTTONS = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
INTERNAL = [
    (re.compile(r"seeds/|\b\w+\.(?:py|txt|ya?ml|md)\b"), "a file name"),
    (re.compile(r"\.txt:"), "a seed line"),
    (re.compile(r"DOMAIN|ARCHITECTURE"), "a design document"),
    (re.compile(r"§"), "a section sign"),
    (re.compile(r"\bR[1-8]\b"), "a rule id"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "a hash or an internal id"),
    (re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"), "a snake_case code"),
]
# words a Kyrgyz or Russian page may show in Latin letters: "English" (the language switcher names each
# language in itself), names of people and accounts, the case
# reference, and the standards and file formats known by their Latin names
LATIN_ALLOWED = {"English", "NRM", "HTCDS", "CTDC", "CSV", "PDF", "PNG", "JPEG", "ISO", "asanova", "police-osh-city", "IOM", "UNODC", "ILO", "TOTP", "QR", "Zarylkanbubu",
                 "Testovamkhanova", "Kubanychbekovna", "Sezim"}


def _codes(app) -> set[str]:
    """Every code a user must never see raw: catalogue ids, reference lists, states, reasons."""
    with app.app_context():
        catalogue = screenings.catalogue()
    codes = set(catalogue.criteria.indicators) | set(catalogue.criteria.facts)
    for script in catalogue.scripts.values():
        for step in script.steps:
            codes.add(step.id)
            for question in step.questions:
                codes.add(question.id)
                codes |= {o.id for o in question.options}
    codes |= set(ROLES) | set(ORGANISATION_KINDS) | set(REGIONS) | set(rt.SERVICE_TYPES)
    codes |= set(lifecycle.REFERRAL_STATES) | set(lifecycle.CASE_STATUSES)
    codes |= {lifecycle.POSSIBLE_VICTIM, lifecycle.ACTUAL_VICTIM, lifecycle.NOT_A_VICTIM}
    codes |= {"presumed_victim", "no_indicators", "awaiting_consent", "safety_check", "no_organisation"}
    # a plain word that is also a code (other, none, female, shelter ...) is a word: only codes that
    # cannot be mistaken for one count
    return {c for c in codes if "_" in c or re.search(r"[a-z][A-Z]", c) or re.fullmatch(r"[A-Z]{2}-\w+", c)}


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        directory.seed()
        db.session.commit()
    accounts = {
        "screening_officer": make_user(live_app, "screening_officer", username="w-officer"),
        "case_worker": make_user(live_app, "case_worker", username="w-worker", org_code="sezim"),
        "coordinator": make_user(live_app, "coordinator", username="w-coordinator"),
        "analyst": make_user(live_app, "analyst", username="w-analyst", org_code="t-gpo",
                             org_kind="prosecutor_office"),
        "auditor": make_user(live_app, "auditor", username="w-auditor", org_code="t-omb", org_kind="ombudsman"),
        "administrator": make_user(live_app, "administrator", username="w-admin"),
    }
    from datetime import date

    with live_app.app_context():
        officer = db.session.get(User, accounts["screening_officer"].id)
        screening = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        screening.answers_json = json.dumps({**PRESUMED_ANSWERS, "fear_of_return": "yes"})
        screenings.set_identity(officer, screening, {**IDENTITY, "birth_date": date(1994, 5, 1)})
        screenings.submit(officer, screening, True, None, None)
        referrals.propose(officer, screening)
        referrals.send_all(officer, screening)
        by_service = {r.service: r for r in referrals.of_screening(screening)}
        centre, legal = by_service["crisis_centre"], by_service["legal_aid"]
        case = referrals.accept(db.session.get(User, accounts["case_worker"].id), centre)
        draft = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        ident = db.session.scalar(db.select(Identification.id).where(Identification.screening_id == screening.id))
        db.session.commit()
        ids = {"sid": screening.id, "draft": draft.id, "centre": centre.id, "case": case.id,
               "consular": by_service["consular_mission"].id, "legal": legal.id, "ident": ident,
               "person": screening.person_id, "reference": referrals.reference_of(screening)}
        ids.update(_exchanged(live_app, db.session.get(User, accounts["coordinator"].id), screening))
        steps = [s.id for s in screenings.catalogue().scripts["police"].steps]
    return accounts, ids, steps


def _exchanged(app, coordinator, screening) -> dict:
    """A partner NRM (Uzbekistan's, the person's country) with a referral each way: ours, held for
    fear of return, and one it sent us. The partner's keys are ours here, so that one instance can
    seal what "the partner" sends it."""
    import uuid
    from datetime import timedelta

    from nrm.clock import now
    from nrm.services import exchange

    exchange.ensure_keys()
    keys = {k["use"]: (k, k["kid"]) for k in exchange.public_keys()["keys"]}
    partner = exchange.add_partner(None, code="w-uz-nrm", name={"en": "NRM of Uzbekistan",
                                   "ru": "НМП Узбекистана", "ky": "Өзбекстандын УКБМ"}, country="UZ",
                                   exchange_id="UZ-NRM", url="http://127.0.0.1:9/api/v1/exchange/inbox",
                                   keys=keys, checked="test")
    consent = {"to_partner": True, "given_on": "2026-03-01", "method": "signed_form", "scope": "identity"}
    held = exchange.start_transfer(coordinator, screening, partner, consent)
    content = exchange._content(held)["referral"]
    content["consent"] = {**content["consent"], "to_body": app.config["EXCHANGE_ID"], "to_country": "KG"}
    body = {"nrmx": exchange.VERSION, "type": "referral", "message_id": uuid.uuid4().hex,
            "exchange_id": "UZ-NRM:" + uuid.uuid4().hex[:16], "from": "UZ-NRM", "to": app.config["EXCHANGE_ID"],
            "sent_at": exchange._iso(now()), "valid_until": exchange._iso(now() + timedelta(days=1)),
            "referral": content}
    exchange.receive(exchange.seal(partner, body))
    incoming = next(t for t in exchange.listed() if t.direction == "in")
    db.session.commit()
    return {"held": held.id, "incoming": incoming.id}


PAGES = {
    "screening_officer": ["/", "/screening/", "/screening/{draft}/identity", "/screening/{draft}/summary",
                          "/screening/{draft}/emergency", "/screening/{sid}", "/referrals/screening/{sid}",
                          "/referrals/{centre}", "/notifications", "/profile"],
    "case_worker": ["/", "/referrals/inbox", "/referrals/{centre}", "/cases/", "/cases/{case}",
                    "/cases/{case}?section=plan", "/cases/{case}?section=services", "/cases/{case}?section=notes",
                    "/cases/{case}?section=files", "/cases/{case}?section=history"],
    "coordinator": ["/", "/review/", "/review/referrals/{centre}", "/review/referrals/{consular}",
                    "/review/identifications", "/review/identifications/{ident}", "/review/cases",
                    "/review/directory", "/review/people/{person}/access", "/statistics/",
                    "/statistics/table?rows=region&cols=sex", "/statistics/table?rows=year&cols=exploitation",
                    "/review/exchange", "/review/exchange/new", "/review/exchange/{held}",
                    "/review/exchange/{incoming}"],
    "analyst": ["/", "/statistics/", "/statistics/table?rows=citizenship&cols=minor"],
    "auditor": ["/", "/audit/", "/audit/?reference={reference}"],
    "administrator": ["/", "/admin/accounts", "/admin/organisations", "/admin/calendar", "/review/directory"],
}
LETTERS = ["/referrals/{centre}/letter", "/referrals/{consular}/letter", "/referrals/{legal}/letter"]
CSVS = ["/statistics/table.csv?rows=year&cols=sex", "/statistics/table.csv?rows=year&cols=decision",
        "/statistics/table.csv?rows=year&cols=exploitation"]


def _problems(text: str, where: str, language: str, codes: set[str], allowed: set[str]) -> list[str]:
    found = []
    for pattern, what in INTERNAL:
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 40):match.end() + 40]
            found.append(f"{where}: {what} {match.group(0)!r} in …{around!r}")
    for code in codes:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(f"{where}: the code {code!r}")
    if language in ("ky", "ru"):
        # case references (NRM-2026-088ABDEB) are identifiers, whatever letters their hex part holds
        text = re.sub(r"\bNRM-\d{4}-[0-9A-F]{8}\b", "NRM", text)
        for word in set(re.findall(r"[A-Za-z][A-Za-z'’-]{2,}", text)):
            if word not in allowed and not any(word in a for a in allowed):
                found.append(f"{where}: the English word {word!r}")
    return found


@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_speaks_in_words(live_app, page, world, role):
    accounts, ids, steps = world
    base = live_app.config["LIVE_URL"]
    codes = _codes(live_app)
    allowed = LATIN_ALLOWED | {a.username for a in accounts.values()} | {ids["reference"]} | {
        "t-police", "t-sezim", "t-mlssm", "t-gpo", "t-omb", "Test"}
    sign_in(page, base, live_app, accounts[role])
    paths = list(PAGES[role])
    if role == "screening_officer":
        paths += [f"/screening/{{draft}}/step/{step}" for step in steps]
    found = []
    for language, button in LANGUAGE_BUTTONS.items():
        page.goto(base + "/")
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        for path in paths:
            response = page.goto(base + path.format(**ids))
            assert response.status == 200, (role, path, response.status)
            if path.startswith("/admin/"):    # the administrator's identifiers (organisation codes for
                page.evaluate("document.querySelectorAll('main code').forEach(e => e.remove())")  # the CLI)
            text = page.locator("body").inner_text()
            # form controls show their options and values: read those too
            text += "\n" + "\n".join(page.locator("option").all_inner_texts())
            found += _problems(text, f"{language} {path}", language, codes, allowed)
    assert not found, "\n".join(sorted(set(found))[:60])


def test_every_letter_and_every_csv_speaks_in_words(live_app, page, world):
    accounts, ids, _steps = world
    base = live_app.config["LIVE_URL"]
    codes = _codes(live_app)
    # what the officer typed about the person (the contact) is the person's data, not the product's words
    allowed = LATIN_ALLOWED | {ids["reference"], "t-police", "Test", "via", "Tash-Kumyr"} | {
        a.username for a in accounts.values()}
    found = []
    sign_in(page, base, live_app, accounts["screening_officer"])
    for language in LANGUAGE_BUTTONS:
        for path in LETTERS:
            url = base + path.format(**ids) + f"?lang={language}"
            response = page.goto(url)
            if response.status != 200:
                continue                     # a held referral has no letter yet
            found += _problems(page.locator("body").inner_text(), f"{language} {path}", language, codes, allowed)
            pdf = page.request.get(url.replace("/letter?", "/letter.pdf?"))
            assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
            text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.body())).pages)
            found += _problems(text, f"{language} {path} (PDF)", language, codes, allowed)
    page.context.clear_cookies()
    sign_in(page, base, live_app, accounts["analyst"])
    for language, button in LANGUAGE_BUTTONS.items():
        page.goto(base + "/")
        page.get_by_role("button", name=button).click()
        for path in CSVS:
            response = page.request.get(base + path)
            assert response.status == 200 and "csv" in response.headers["content-type"]
            found += _problems(response.text(), f"{language} {path}", language, codes, allowed)
    assert not found, "\n".join(sorted(set(found))[:60])
