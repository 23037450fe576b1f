"""/api/v1 (issue 16): the access matrix of scope × endpoint × organisation, tokens that are revoked,
expired or merely cookies, every call in the trail, the same rules as the form for a screening,
problem documents in the caller's language."""

import json
from datetime import timedelta

import pytest

from nrm.extensions import db
from nrm.models import ApiClient, AuditEvent, Organisation, Referral
from nrm.services import api_clients
from tests.conftest import make_user, sign_in
from tests.test_referrals import referral_of, screen, seeded  # noqa: F401 - fixture

ADULT = {"in_immediate_danger": "no", "age": 29, "sex": "male", "citizenship_status": "kyrgyz",
         "stay_region": "KG-C", "recruited": "yes", "job_different": "yes", "pay_different": "yes",
         "long_hours": "yes", "restricted_movement": "yes", "threats": "violence",
         "exploitation_types": ["ForcedLabour"], "exploitation_country": "RU",
         "consent_explained_in_own_language": "yes", "consent_services": "yes"}


@pytest.fixture
def world(seeded, login):  # noqa: F811
    app = seeded
    officer = login("screening_officer")
    sid = screen(app, officer.id)
    with app.app_context():
        from nrm.models import Screening, User
        from nrm.services import referrals

        referrals.send_all(db.session.get(User, officer.id), db.session.get(Screening, sid))
        db.session.commit()
        org = {code: db.session.scalar(db.select(Organisation).where(Organisation.code == code))
               for code in ("sezim", "ak-jurok", "gpo")}
        police = db.session.get(User, officer.id).organisation
        tokens = {}
        for name, organisation, scopes in (
                ("sezim-crm", org["sezim"], ["referrals:read", "referrals:write"]),
                ("akjurok-crm", org["ak-jurok"], ["referrals:read", "referrals:write"]),
                ("sezim-reader", org["sezim"], ["referrals:read"]),
                ("police-system", police, ["screenings:write"]),
                ("gpo-stats", org["gpo"], ["statistics:read"]),
                ("revoked", org["sezim"], ["referrals:read"]),
                ("expired", org["sezim"], ["referrals:read"])):
            _client, tokens[name] = api_clients.register(name, organisation, scopes)
        api_clients.revoke(db.session.scalar(db.select(ApiClient).where(ApiClient.name == "revoked")))
        expired = db.session.scalar(db.select(ApiClient).where(ApiClient.name == "expired"))
        expired.expires_at = app.config["CLOCK"]() - timedelta(minutes=1)
        db.session.commit()
    ids = {"centre": referral_of(app, sid, "crisis_centre"), "legal": referral_of(app, sid, "legal_aid")}
    return app, tokens, ids


def call(app, token, method, path, body=None, language=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if language:
        headers["Accept-Language"] = language
    client = app.test_client()
    return client.open(path, method=method, headers=headers, json=body)


MATRIX = [
    # (client, method, path, expected status) — every scope against every endpoint, own and others' ids
    ("sezim-crm", "GET", "/api/v1/referrals", 200),
    ("sezim-crm", "GET", "/api/v1/referrals/{centre}", 200),
    ("sezim-crm", "GET", "/api/v1/referrals/{legal}", 404),           # sent to another organisation
    ("sezim-crm", "POST", "/api/v1/referrals/{centre}/acknowledge", 200),
    ("sezim-crm", "POST", "/api/v1/referrals/{legal}/acknowledge", 404),
    ("sezim-crm", "POST", "/api/v1/screenings", 403),
    ("sezim-crm", "GET", "/api/v1/statistics/summary", 403),
    ("sezim-reader", "GET", "/api/v1/referrals/{centre}", 200),
    ("sezim-reader", "POST", "/api/v1/referrals/{centre}/accept", 403),    # read-only scope
    ("akjurok-crm", "GET", "/api/v1/referrals", 200),
    ("akjurok-crm", "GET", "/api/v1/referrals/{centre}", 404),
    ("akjurok-crm", "POST", "/api/v1/referrals/{centre}/accept", 404),
    ("police-system", "GET", "/api/v1/referrals", 403),
    ("police-system", "GET", "/api/v1/referrals/{centre}", 403),
    ("police-system", "GET", "/api/v1/statistics/table?rows=year", 403),
    ("gpo-stats", "GET", "/api/v1/statistics/table?rows=year", 200),
    ("gpo-stats", "GET", "/api/v1/statistics/summary", 200),
    ("gpo-stats", "GET", "/api/v1/referrals", 403),
    ("gpo-stats", "POST", "/api/v1/screenings", 403),
    ("revoked", "GET", "/api/v1/referrals", 401),
    ("expired", "GET", "/api/v1/referrals", 401),
    (None, "GET", "/api/v1/referrals", 401),
    (None, "GET", "/api/v1/health", 200),
    (None, "GET", "/api/v1/openapi.json", 200),
]


@pytest.mark.parametrize(("who", "method", "path", "status"), MATRIX,
                         ids=[f"{c}-{m}-{p}" for c, m, p, _s in MATRIX])
def test_the_api_access_matrix(world, who, method, path, status):
    app, tokens, ids = world
    response = call(app, tokens.get(who), method, path.format(**ids))
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status >= 400:
        assert response.mimetype == "application/problem+json" and response.json["status"] == status


def test_a_page_session_cookie_never_opens_the_api(world, clock):
    app, _tokens, _ids = world
    worker = make_user(app, "case_worker", username="sezim-web", org_code="sezim")
    client = app.test_client()
    sign_in(app, client, worker, clock)
    assert client.get("/referrals/inbox").status_code == 200
    assert client.get("/api/v1/referrals").status_code == 401


def test_every_call_is_in_the_trail_naming_the_client(world):
    app, tokens, ids = world
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "api.call"))
        sezim = db.session.scalar(db.select(ApiClient.id).where(ApiClient.name == "sezim-crm"))
    call(app, tokens["sezim-crm"], "GET", f"/api/v1/referrals/{ids['centre']}")
    call(app, tokens["sezim-crm"], "GET", f"/api/v1/referrals/{ids['legal']}")
    call(app, tokens["revoked"], "GET", "/api/v1/referrals")
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "api.call")
                                    .order_by(AuditEvent.seq)).all()[before:]
        assert [(e.object_id, e.outcome) for e in events] == [(str(sezim), "ok"), (str(sezim), "refused"),
                                                               (None, "refused")]
        viewed = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "referral.view",
                                                               AuditEvent.object_id == ids["centre"]))
        assert viewed.actor_id is not None


def test_the_recipient_sees_only_its_minimised_payload(world):
    app, tokens, ids = world
    body = call(app, tokens["sezim-crm"], "GET", f"/api/v1/referrals/{ids['centre']}").json
    assert body["payload"]["given_name"] == "Zarylkanbubu" and "document_number" not in body["payload"]
    assert body["reference"].startswith("NRM-")


def test_acknowledge_accept_and_a_refused_transition(world):
    app, tokens, ids = world
    token, path = tokens["sezim-crm"], f"/api/v1/referrals/{ids['centre']}"
    assert call(app, token, "POST", path + "/accept").json["state"] == "accepted"
    again = call(app, token, "POST", path + "/acknowledge")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.get(Referral, ids["centre"]).state == "accepted"
    bad = call(app, token, "POST", path + "/decline", {"reason": "because"})
    assert bad.status_code == 422 and "reason" in bad.json["errors"]


def test_a_screening_by_api_follows_the_forms_rules_and_returns_reasons_and_referrals(world):
    app, tokens, _ids = world
    token = tokens["police-system"]
    wrong = call(app, token, "POST", "/api/v1/screenings",
                 {"interview_language": "ru", "answers": {**ADULT, "age": "two hundred", "shoe_size": 42,
                                                          "exploitation_types": ["ChildLabour"]}})
    assert wrong.status_code == 422
    assert {"age", "shoe_size", "exploitation_types"} <= set(wrong.json["errors"])
    missing = call(app, token, "POST", "/api/v1/screenings",
                   {"interview_language": "ru", "answers": {k: v for k, v in ADULT.items()
                                                            if k != "consent_explained_in_own_language"}})
    assert missing.status_code == 422 and "consent_explained_in_own_language" in missing.json["errors"]
    done = call(app, token, "POST", "/api/v1/screenings", {"interview_language": "ru", "answers": ADULT},
                language="ru")
    assert done.status_code == 201, done.get_data(as_text=True)
    result = done.json
    assert result["result"] in ("presumed_victim", "possible") and result["reference"].startswith("NRM-")
    assert any(d["indicators"] for d in result["dimensions"].values())
    assert all(r["state"] == "proposed" for r in result["referrals"])
    assert any("ы" in i["text"] or "е" in i["text"] for d in result["dimensions"].values()
               for i in d["indicators"])                       # reasons in the caller's language


def test_problems_speak_the_callers_language(world):
    app, _tokens, _ids = world
    answer = call(app, None, "GET", "/api/v1/referrals", language="ky")
    assert answer.status_code == 401 and answer.json["title"] != "A valid API token is needed."
    assert json.loads(answer.get_data(as_text=True))["type"].endswith("/401")


def test_a_rotated_token_replaces_the_old_one(world):
    app, tokens, _ids = world
    with app.app_context():
        client = db.session.scalar(db.select(ApiClient).where(ApiClient.name == "sezim-reader"))
        fresh = api_clients.rotate(client)
        db.session.commit()
    assert call(app, tokens["sezim-reader"], "GET", "/api/v1/referrals").status_code == 401
    assert call(app, fresh, "GET", "/api/v1/referrals").status_code == 200


def test_an_api_account_never_signs_in_on_a_page(world):
    from tests.conftest import TEST_PASSWORD, post_form

    app, _tokens, _ids = world
    response = post_form(app.test_client(), "/auth/login", {"username": "api-sezim-crm", "password": TEST_PASSWORD})
    assert response.status_code in (200, 422) and "/auth/code" not in response.headers.get("Location", "")
