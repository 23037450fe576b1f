"""The access matrix: every role (and the same role in another organisation) × every action × every
kind of object, by the URL a user would type or guess, with the answer expected. One world is built
per module: a police screening with its referrals sent, a case opened by the receiving crisis
centre, an identification pending; then each row signs in as its actor and tries.

    allow  GET → 200; POST → anything but 403/404 (the state machine may still refuse it: 303)
    deny   403 (never a 404 that a guess could tell from a 403, never a 500)
"""

import json
from datetime import date

import pytest
from flask import url_for

from nrm import create_app
from nrm.extensions import db
from nrm.models import Attachment, Case, Identification, Referral, Screening, User
from nrm.services import cases, directory, referrals
from nrm.services import screening as screenings
from tests.conftest import (
    FakeClock,
    assert_no_planted_values_in_audit,
    base_config,
    drop_database,
    make_user,
    post_form,
    sign_in,
)
from tests.test_referrals import IDENTITY, PRESUMED_ANSWERS

ACTORS = {
    # name: (role, organisation code, organisation kind)
    "officer": ("screening_officer", "t-police", "police_unit"),
    "officer_elsewhere": ("screening_officer", "t-police-osh", "police_unit"),
    "centre_worker": ("case_worker", "sezim", None),
    "other_centre_worker": ("case_worker", "ak-jurok", None),
    "coordinator": ("coordinator", "t-mlssm", "mlssm_central"),
    "analyst": ("analyst", "t-gpo", "prosecutor_office"),
    "auditor": ("auditor", "t-ombudsman", "ombudsman"),
    "administrator": ("administrator", "t-mlssm", "mlssm_central"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    clock = FakeClock()
    app = create_app(base_config(tmp_path_factory.mktemp("matrix"), CLOCK=clock))
    with app.app_context():
        db.drop_all()
        db.create_all()
        directory.seed()
        db.session.commit()
    accounts = {name: make_user(app, role, username=f"m-{name.replace('_', '-')}", org_code=org, org_kind=kind)
                for name, (role, org, kind) in ACTORS.items()}
    with app.app_context():
        officer = db.session.get(User, accounts["officer"].id)
        screening = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        screening.answers_json = json.dumps(PRESUMED_ANSWERS)
        screenings.set_identity(officer, screening, {**IDENTITY, "birth_date": date(1994, 5, 1)})
        screenings.submit(officer, screening, True, None, None)
        referrals.propose(officer, screening)
        referrals.send_all(officer, screening)
        by_service = {r.service: r for r in referrals.of_screening(screening)}
        worker = db.session.get(User, accounts["centre_worker"].id)
        case = referrals.accept(worker, by_service["crisis_centre"])
        import io

        attachment = cases.add_attachment(worker, case, "scan.pdf", io.BytesIO(b"%PDF-1.4\n" + b"x" * 200))
        draft = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        transfer = _transfer(db.session.get(User, accounts["coordinator"].id), screening)
        db.session.commit()
        ids = {
            "sid": screening.id, "draft": draft.id, "centre": by_service["crisis_centre"].id,
            "consular": by_service["consular_mission"].id, "legal": by_service["legal_aid"].id,
            "case": case.id, "attachment": attachment.id, "person": screening.person_id,
            "ident": db.session.scalar(db.select(Identification.id)),
            "sezim": directory.by_code("sezim").id, "admin_id": accounts["administrator"].id,
            "transfer": transfer.id,
        }
    clients = {}
    for name, account in accounts.items():
        client = app.test_client()
        sign_in(app, client, account, clock)
        clients[name] = client
    yield app, clients, ids
    assert_no_planted_values_in_audit(app)
    drop_database(app)


def _transfer(coordinator, screening):
    """A referral to a partner NRM (Uzbekistan's, the person's country), sealed and in the outbox."""
    from joserfc.jwk import ECKey

    from nrm.services import exchange

    exchange.ensure_keys()
    keys = {}
    for use in ("sig", "enc"):
        key = ECKey.generate_key("P-256", private=True)
        keys[use] = (key.as_dict(private=False), key.thumbprint())
    partner = exchange.add_partner(None, code="uz-nrm", name={"en": "NRM of Uzbekistan"}, country="UZ",
                                   exchange_id="UZ-NRM", url="https://nrm.example.uz/api/v1/exchange/inbox",
                                   keys=keys, checked="video call")
    return exchange.start_transfer(coordinator, screening, partner, {
        "to_partner": True, "given_on": "2026-03-01", "method": "signed_form", "scope": "identity"})


ALL = set(ACTORS)
OFFICER = {"officer"}
RECIPIENT = {"centre_worker"}
COORDINATOR = {"coordinator"}

# (method, url, actors allowed) — everyone else is denied
MATRIX = [
    # screenings: the officer's own organisation; a submitted one is no longer editable
    ("GET", "/screening/", {"officer", "officer_elsewhere"}),
    ("GET", "/screening/{sid}", OFFICER),
    ("GET", "/screening/{draft}/step/safety", OFFICER),
    ("GET", "/screening/{draft}/identity", OFFICER),
    ("POST", "/screening/{draft}/step/safety", OFFICER),
    # the officer's review of the proposals
    ("GET", "/referrals/screening/{sid}", OFFICER),
    ("POST", "/referrals/screening/{sid}/send", OFFICER),
    # a referral: the screening's officer and the receiving organisation's case workers only
    ("GET", "/referrals/{centre}", OFFICER | RECIPIENT),
    ("GET", "/referrals/{centre}/letter?lang=ru", OFFICER | RECIPIENT),
    ("GET", "/referrals/{centre}/letter.pdf?lang=ky", OFFICER | RECIPIENT),
    ("GET", "/referrals/{consular}", OFFICER),
    ("GET", "/referrals/{legal}/letter?lang=en", OFFICER),
    ("POST", "/referrals/{centre}/complete", RECIPIENT),
    ("POST", "/referrals/{centre}/acknowledge", RECIPIENT),
    # a mission has no accounts: the coordinator records its answer on its behalf
    ("POST", "/referrals/{consular}/acknowledge", COORDINATOR),
    ("GET", "/referrals/inbox", {"centre_worker", "other_centre_worker"}),
    # the case: the receiving organisation's case workers only
    ("GET", "/cases/", {"centre_worker", "other_centre_worker"}),
    ("GET", "/cases/{case}", RECIPIENT),
    ("GET", "/cases/{case}/attachments/{attachment}", RECIPIENT),
    ("POST", "/cases/{case}/notes", RECIPIENT),
    ("POST", "/cases/{case}/review", RECIPIENT),
    # the coordinator's workspace: codes and clocks; personal data only with a reason
    ("GET", "/review/", COORDINATOR),
    ("GET", "/review/referrals/{centre}", COORDINATOR),
    ("POST", "/review/referrals/{legal}/release", COORDINATOR),
    ("GET", "/review/identifications", COORDINATOR),
    ("GET", "/review/identifications/{ident}", COORDINATOR),
    ("GET", "/review/cases", COORDINATOR),
    ("GET", "/review/people/{person}/access", COORDINATOR),
    ("POST", "/review/people/{person}/access", COORDINATOR),
    ("GET", "/review/directory", COORDINATOR | {"administrator"}),
    ("GET", "/review/directory/{sezim}", COORDINATOR),
    ("GET", "/review/sources", COORDINATOR | {"auditor"}),
    ("GET", "/review/exchange", COORDINATOR),
    ("GET", "/review/exchange/new", COORDINATOR),
    ("GET", "/review/exchange/{transfer}", COORDINATOR),
    ("POST", "/review/exchange/{transfer}/close", COORDINATOR),
    ("POST", "/review/exchange/{transfer}/accept", COORDINATOR),
    # oversight and administration
    ("GET", "/audit/", {"auditor"}),
    ("GET", "/admin/accounts", {"administrator"}),
    ("GET", "/admin/organisations", {"administrator"}),
    ("GET", "/admin/calendar", {"administrator"}),
    ("POST", "/admin/calendar", {"administrator"}),
    ("GET", "/notifications", ALL),
    ("POST", "/notifications/read", ALL),
    # anonymised statistics
    ("GET", "/statistics/", {"analyst", "coordinator"}),
    ("GET", "/statistics/table?rows=region&cols=sex", {"analyst", "coordinator"}),
    ("GET", "/statistics/table.csv?rows=year&cols=decision", {"analyst", "coordinator"}),
]


def _rows():
    for method, url, allowed in MATRIX:
        for actor in ACTORS:
            yield pytest.param(method, url, actor, actor in allowed, id=f"{actor}-{method}-{url}")


@pytest.mark.parametrize(("method", "url", "actor", "allowed"), list(_rows()))
def test_access_matrix(world, method, url, actor, allowed):
    app, clients, ids = world
    client = clients[actor]
    target = url.format(**ids)
    if method == "GET":
        response = client.get(target)
        assert response.status_code == (200 if allowed else 403), (actor, target, response.status_code)
    else:
        response = post_form(client, target, {"note": "reason", "reason": "identification_decision",
                                              "note-body": "a typed secret value"}, page="/")
        if allowed:
            assert response.status_code not in (403, 404, 500), (actor, target, response.status_code)
        else:
            assert response.status_code == 403, (actor, target, response.status_code)


@pytest.mark.parametrize("actor", list(ACTORS))
def test_guessed_ids_are_not_found_and_reveal_nothing(world, actor):
    _app, clients, _ids = world
    client = clients[actor]
    for url in ("/screening/0123456789abcdef0123456789abcdef", "/referrals/0123456789abcdef0123456789abcdef",
                "/cases/0123456789abcdef0123456789abcdef", "/review/identifications/0123456789abcdef0123456789abcdef",
                "/review/exchange/0123456789abcdef0123456789abcdef"):
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert "Zarylkanbubu" not in response.get_data(as_text=True)


def test_the_recipient_and_the_coordinator_never_see_what_is_not_theirs(world):
    """The case worker sees the crisis-centre payload; nobody but the officer sees the answers."""
    _app, clients, ids = world
    case_page = clients["centre_worker"].get(f"/cases/{ids['case']}").get_data(as_text=True)
    assert "Zarylkanbubu" in case_page and "AN9876543" not in case_page and "ForcedLabour" not in case_page
    queue = clients["coordinator"].get("/review/").get_data(as_text=True)
    summary = clients["coordinator"].get(f"/review/referrals/{ids['centre']}").get_data(as_text=True)
    exchanged = clients["coordinator"].get(f"/review/exchange/{ids['transfer']}").get_data(as_text=True)
    assert "Uzbekistan" in exchanged and "Forced labour" in exchanged
    for page in (queue, summary, exchanged):
        assert "Zarylkanbubu" not in page and "AN9876543" not in page
    for actor in ("analyst", "auditor", "administrator"):
        for url in (f"/screening/{ids['sid']}", f"/cases/{ids['case']}", f"/referrals/{ids['centre']}"):
            body = clients[actor].get(url).get_data(as_text=True)
            assert "Zarylkanbubu" not in body


def test_every_model_with_personal_content_is_covered_by_the_matrix():
    """A new sealed model must come with rows here: the list of covered ones is kept honest."""
    from nrm.security.vault import Sealable

    covered = {"Person", "Screening", "Referral", "Identification", "Case", "CaseTask", "ServiceRecord",
               "CaseNote", "Attachment", "AccessNote", "Transfer"}
    sealed = {cls.__name__ for cls in _subclasses(Sealable) if hasattr(cls, "__tablename__")}
    assert sealed <= covered, sealed - covered
    assert {Attachment, Case, Referral, Screening}  # imported: the matrix exercises each


@pytest.mark.parametrize("actor", list(ACTORS))
def test_only_auditors_read_the_details_of_a_reasoned_access(world, actor):
    """The coordinator's written details are sealed under the person's key; the auditor reads them
    beside the flagged event, nobody else reaches them."""
    _app, clients, ids = world
    page = f"/review/people/{ids['person']}/access"
    details = "Asked by the investigator Cholponbubu"
    if actor == "coordinator":
        post_form(clients["coordinator"], page, {"reason": "prosecutor_request", "details": details}, page=page)
    response = clients[actor].get("/audit/?outcome=flagged")
    body = response.get_data(as_text=True)
    if actor == "auditor":
        assert response.status_code == 200
    else:
        assert response.status_code == 403 and details not in body


def test_the_auditor_sees_the_details_given(world):
    _app, clients, ids = world
    page = f"/review/people/{ids['person']}/access"
    post_form(clients["coordinator"], page, {"reason": "data_correction", "details": "Backupovna asked for it"},
              page=page)
    body = clients["auditor"].get("/audit/?outcome=flagged").get_data(as_text=True)
    assert "Backupovna asked for it" in body


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_the_prosecutor_reaches_no_personal_data_through_any_url(world):
    """Every GET route of the application, with every id of the world filled in: the analyst gets
    statistics, the home and account pages — and nothing that names or describes the person."""
    app, clients, ids = world
    client = clients["analyst"]
    reachable, visited = set(), 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        visited += 1
        values = {}
        for argument in rule.arguments:
            if type(rule._converters[argument]).__name__ == "IntegerConverter":
                values[argument] = ids.get("sezim", 1)
            else:
                values[argument] = next((v for k, v in ids.items() if k.startswith(argument[:3])), ids["sid"])
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        response = client.get(url)
        body = response.get_data(as_text=True)
        # the API document lists the HTCDS code lists (ForcedLabour among them): codes, not a person's
        secrets_here = ("Zarylkanbubu", "AN9876543") + (("ForcedLabour",) if rule.endpoint != "api-docs.openapi_json"
                                                         else ())
        for secret in secrets_here:
            assert secret not in body, (url, secret)
        if response.status_code == 200:
            reachable.add(rule.endpoint)
    workspaces = ("screening", "referrals", "cases", "review", "trail", "admin")
    personal = {e for e in reachable if e.split(".")[0] in workspaces}
    assert not personal, personal
    assert {"statistics.summary", "statistics.table", "statistics.table_csv"} <= reachable
    assert visited >= 35


@pytest.mark.parametrize("actor", list(ACTORS))
def test_the_summary_of_a_submitted_screening(world, actor):
    """No longer editable by anyone; its own officer (a double click, a retry) is shown the result."""
    _app, clients, ids = world
    response = clients[actor].get(f"/screening/{ids['sid']}/summary")
    if actor == "officer":
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/screening/{ids['sid']}")
    else:
        assert response.status_code == 403
