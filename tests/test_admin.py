"""Administration of accounts and organisations, and the access matrix of this issue's actions."""

import re

import pytest

from nrm.extensions import db
from nrm.models import AuditEvent, AuthSession, Organisation, User
from tests.conftest import ROLE_ORGS, make_user, post_form, sign_in


def _events(app, action):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)).all()


# role × action × object: expected HTTP status for a signed-in user of each role.
ADMIN_PAGES = [("GET", "/admin/accounts"), ("GET", "/admin/organisations")]
MATRIX = [
    (role, method, url, 200 if role == "administrator" else 403)
    for role in ROLE_ORGS for method, url in ADMIN_PAGES
]


@pytest.mark.parametrize(("role", "method", "url", "expected"), MATRIX)
def test_access_matrix_for_administration_pages(app, client, login, role, method, url, expected):
    login(role)
    assert client.get(url).status_code == expected


ACCOUNT_ACTIONS = ["disable", "enable", "unlock", "reset-password", "reset-second-factor"]


@pytest.mark.parametrize("role", [r for r in ROLE_ORGS if r != "administrator"])
@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_no_other_role_can_act_on_an_account(app, client, login, role, action):
    victim = make_user(app, "case_worker", username="victim-account", org_code="t-other")
    login(role)
    response = post_form(client, f"/admin/accounts/{victim.id}/{action}", page="/")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, victim.id).active


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_no_other_role_can_act_on_an_organisation(app, client, login, action):
    target = make_user(app, "case_worker", username="someone", org_code="t-other")
    login("coordinator")
    response = post_form(client, f"/admin/organisations/{target.organisation_id}/{action}", page="/")
    assert response.status_code == 403


@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_an_administrator_cannot_act_on_their_own_account(app, client, login, action):
    me = login("administrator")
    response = post_form(client, f"/admin/accounts/{me.id}/{action}", page="/")
    assert response.status_code == 403


def test_an_administrator_cannot_disable_their_own_organisation(app, client, login):
    me = login("administrator")
    response = post_form(client, f"/admin/organisations/{me.organisation_id}/disable", page="/")
    assert response.status_code == 403


def test_guessing_a_missing_id_is_a_plain_404(app, client, login):
    login("administrator")
    assert post_form(client, "/admin/accounts/99999/disable", page="/").status_code == 404


def test_administrator_creates_an_account_that_can_sign_in(app, client, clock, login):
    login("administrator")
    with app.app_context():
        org_id = db.session.scalar(db.select(Organisation.id).where(Organisation.code == "t-mlssm"))
    response = post_form(client, "/admin/accounts", {"username": "A.Asanova", "role": "analyst",
                                                     "organisation": org_id, "full_name": "Ainura Asanova",
                                                     "position": "Prosecutor"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "One-time password for a.asanova" in page
    password = re.search(r'<p class="one-time-password"><code>([^<]+)</code>', page).group(1)
    assert len(password) >= 12
    assert "no-store" in response.headers["Cache-Control"]
    assert len(_events(app, "account.create")) == 1
    with app.app_context():
        created = db.session.scalar(db.select(User).where(User.username == "a.asanova"))
        assert (created.full_name, created.position) == ("Ainura Asanova", "Prosecutor")

    newcomer = app.test_client()
    response = post_form(newcomer, "/auth/login", {"username": "a.asanova", "password": password})
    assert response.headers["Location"].endswith("/auth/new-password")
    new = "Issyk-Kul in June is lovely"
    response = post_form(newcomer, "/auth/new-password", {"password": new, "confirm": new})
    assert response.headers["Location"].endswith("/auth/enrol")  # every role needs TOTP


def test_an_account_that_sees_personal_data_is_usable_only_once_a_second_person_confirms_it(
        app, client, clock, login):
    """The administrator never holds its password: the confirming coordinator receives it."""
    login("administrator")
    coordinator = make_user(app, "coordinator", username="coord-confirms")
    with app.app_context():
        org_id = db.session.scalar(db.select(Organisation.id).where(Organisation.code == "t-mlssm"))
    response = post_form(client, "/admin/accounts", {"username": "new.coord", "role": "coordinator",
                                                     "organisation": org_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "waiting for confirmation" in page
    assert 'class="one-time-password"' not in page
    with app.app_context():
        newcomer = db.session.scalar(db.select(User).where(User.username == "new.coord"))
        assert newcomer.awaiting_confirmation
    confirmer = app.test_client()
    sign_in(app, confirmer, coordinator, clock)
    assert "new.coord" in confirmer.get("/accounts/confirm").get_data(as_text=True)
    page = post_form(confirmer, f"/accounts/confirm/{newcomer.id}", page="/accounts/confirm").get_data(as_text=True)
    password = re.search(r'<p class="one-time-password"><code>([^<]+)</code>', page).group(1)
    response = post_form(app.test_client(), "/auth/login", {"username": "new.coord", "password": password})
    assert response.headers["Location"].endswith("/auth/new-password")
    assert len(_events(app, "account.confirm")) == 1


def test_account_form_errors_keep_what_was_typed(app, client, login):
    login("administrator")
    with app.app_context():
        police = db.session.scalar(db.select(Organisation).where(Organisation.code == "t-mlssm"))
        org_id = police.id
    response = post_form(client, "/admin/accounts", {"username": "keep.me", "role": "case_worker",
                                                     "organisation": org_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cannot belong to an organisation of this kind" in page
    assert 'value="keep.me"' in page
    response = post_form(client, "/admin/accounts", {"username": "bad name!", "role": "coordinator",
                                                     "organisation": org_id})
    assert response.status_code == 422 and 'value="bad name!"' in response.get_data(as_text=True)


def test_disabling_an_account_kills_all_its_sessions(app, client, clock, login):
    target = make_user(app, "screening_officer", username="officer-x")
    elsewhere = app.test_client()
    sign_in(app, elsewhere, target, clock)
    assert elsewhere.get("/").status_code == 200

    login("administrator")
    response = post_form(client, f"/admin/accounts/{target.id}/disable", page="/admin/accounts")
    assert response.status_code == 302
    assert elsewhere.get("/").status_code == 302
    with app.app_context():
        open_sessions = db.session.scalars(db.select(AuthSession).where(
            AuthSession.user_id == target.id, AuthSession.ended_at.is_(None))).all()
        assert open_sessions == []
    response = post_form(elsewhere, "/auth/login", {"username": "officer-x",
                                                    "password": "correct horse battery staple 42"})
    assert "disabled" in response.get_data(as_text=True)

    post_form(client, f"/admin/accounts/{target.id}/enable", page="/admin/accounts")
    sign_in(app, elsewhere, target, clock)
    assert elsewhere.get("/").status_code == 200
    assert [e.action for e in _events(app, "account.disable")] == ["account.disable"]
    assert len(_events(app, "account.enable")) == 1


def test_disabling_an_organisation_signs_out_its_members(app, client, clock, login):
    member = make_user(app, "case_worker", username="cw-1", org_code="t-akjurok")
    elsewhere = app.test_client()
    sign_in(app, elsewhere, member, clock)
    login("administrator")
    refused = post_form(client, f"/admin/organisations/{member.organisation_id}/disable",
                        page="/admin/organisations")
    assert refused.status_code == 302 and elsewhere.get("/").status_code == 200   # no reason, no change
    post_form(client, f"/admin/organisations/{member.organisation_id}/disable", {"reason": "Merged into another"},
              page="/admin/organisations")
    assert elsewhere.get("/").status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, member.organisation_id).disabled_reason == "Merged into another"
    post_form(client, f"/admin/organisations/{member.organisation_id}/enable",
              page="/admin/organisations")
    sign_in(app, elsewhere, member, clock)
    assert elsewhere.get("/").status_code == 200


def test_unlock_reset_password_and_second_factor(app, client, clock, login):
    target = make_user(app, "analyst", username="analyst-x")
    other = app.test_client()
    for attempt in range(5):
        post_form(other, "/auth/login", {"username": "analyst-x", "password": f"nope {attempt}"})
    login("administrator")
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert "Locked" in page
    post_form(client, f"/admin/accounts/{target.id}/unlock", page="/admin/accounts")
    sign_in(app, other, target, clock)

    response = post_form(client, f"/admin/accounts/{target.id}/reset-second-factor",
                         page="/admin/accounts")
    assert response.status_code == 302
    assert other.get("/").status_code == 302  # reset ends their sessions
    response = post_form(other, "/auth/login", {"username": "analyst-x",
                                                "password": "correct horse battery staple 42"})
    assert response.headers["Location"].endswith("/auth/enrol")

    response = post_form(client, f"/admin/accounts/{target.id}/reset-password", page="/admin/accounts")
    assert "One-time password for analyst-x" in response.get_data(as_text=True)
    for action in ("account.unlock", "account.totp_reset", "account.password_reset"):
        assert len(_events(app, action)) == 1, action


def test_administrator_creates_and_disables_an_organisation(app, client, login):
    login("administrator")
    response = post_form(client, "/admin/organisations", {
        "code": "Police-Osh", "name_en": "Osh city internal affairs", "name_ru": "УВД города Ош",
        "name_ky": "Ош шаарынын ИИББ", "kind": "police_unit",
        "region": "KG-GO", "parent": 0})
    assert response.status_code == 302
    with app.app_context():
        org = db.session.scalar(db.select(Organisation).where(Organisation.code == "police-osh"))
        assert org.region == "KG-GO" and org.kind == "police_unit"
        assert org.name_in("ru") == "УВД города Ош" and org.name_in("ky") == "Ош шаарынын ИИББ"
    response = post_form(client, "/admin/organisations", {
        "code": "police-osh", "name_en": "Duplicate", "name_ru": "Дубликат", "name_ky": "Кайталоо",
        "kind": "police_unit", "region": "", "parent": 0})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "already used" in page and 'value="Duplicate"' in page
    response = post_form(client, "/admin/organisations", {
        "code": "x1", "name_en": "Bad kind", "name_ru": "x", "name_ky": "x", "kind": "secret_police",
        "region": "", "parent": 0})
    assert response.status_code == 422
    assert len(_events(app, "organisation.create")) == 1


def test_audit_events_of_account_actions_carry_actor_and_address(app, client, login):
    admin = login("administrator")
    target = make_user(app, "auditor", username="aud-2")
    post_form(client, f"/admin/accounts/{target.id}/disable", page="/admin/accounts")
    (event,) = _events(app, "account.disable")
    assert (event.actor_id, event.actor_role, event.actor_org_id) == (
        admin.id, "administrator", admin.organisation_id)
    assert event.object_type == "user" and event.object_id == str(target.id)
    assert event.client_addr == "127.0.0.1"


def test_administrator_sees_no_case_content_only_accounts(app, client, login):
    """Nothing an administrator can open shows another user's secrets."""
    login("administrator")
    target = make_user(app, "coordinator", username="coord-secret")
    page = client.get("/admin/accounts").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.password_hash not in page
    assert "totp" not in page.lower() or "second factor" in page.lower()
