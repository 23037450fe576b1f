"""The promises of docs/threat-model.md, tried as an attacker would: an administrator never reaches
case content by any sequence of their own actions, a coordinator cannot lock anyone out, the second
factor cannot be guessed at any pace, a copy of the database locates nobody, and the lower findings
(a disabled recipient, a disguised attachment, an erased person's pages) hold."""

import io
import itertools
import json
import re
from datetime import date, timedelta

import pyotp
import pytest
from sqlalchemy import inspect, text

from nrm.extensions import db
from nrm.models import AuditEvent, AuthSession, Case, Organisation, Referral, StatPerson, User
from nrm.security import totp
from nrm.services import cases, directory, referrals
from nrm.services import screening as screenings
from nrm.services import statistics as stats
from tests.conftest import TEST_PASSWORD, csrf_from, make_user, post_form, sign_in
from tests.test_referrals import IDENTITY, PRESUMED_ANSWERS

# ------------------------------------------------------------------ a world with a case in it


@pytest.fixture
def world(app, clock):
    """A presumed victim screened by the police, referrals sent, a case opened at Sezim with a task,
    a service, a note and an attachment."""
    with app.app_context():
        directory.seed()
        db.session.commit()
    officer = make_user(app, "screening_officer", username="w-officer", org_code="t-police", org_kind="police_unit")
    worker = make_user(app, "case_worker", username="w-worker", org_code="sezim")
    admin = make_user(app, "administrator", username="w-admin", org_code="t-mlssm", org_kind="mlssm_central")
    coordinator = make_user(app, "coordinator", username="w-coord", org_code="t-mlssm", org_kind="mlssm_central")
    with app.app_context():
        officer_user = db.session.get(User, officer.id)
        screening = screenings.start(officer_user, screenings.catalogue().scripts["police"], "uz")
        screening.answers_json = json.dumps(PRESUMED_ANSWERS)
        screenings.set_identity(officer_user, screening, {**IDENTITY, "birth_date": date(1994, 5, 1)})
        screenings.submit(officer_user, screening, True, None, None)
        referrals.propose(officer_user, screening)
        referrals.send_all(officer_user, screening)
        by_service = {r.service: r for r in referrals.of_screening(screening)}
        worker_user = db.session.get(User, worker.id)
        case = referrals.accept(worker_user, by_service["crisis_centre"])
        cases.add_task(worker_user, case, "medical", "Doctor's visit for Zarylkanbubu", date(2026, 3, 20))
        cases.record_service(worker_user, case, "shelter", date(2026, 3, 2), "Room 4")
        cases.add_note(worker_user, case, "Zarylkanbubu is afraid of the recruiter")
        cases.add_attachment(worker_user, case, "scan.pdf", io.BytesIO(b"%PDF-1.4\n" + b"x" * 100))
        db.session.commit()
        ids = {"sid": screening.id, "case": case.id, "person": screening.person_id,
               "centre": by_service["crisis_centre"].id, "consular": by_service["consular_mission"].id,
               "sezim": directory.by_code("sezim").id, "police": officer.organisation_id,
               "mlssm": admin.organisation_id}
    return {"officer": officer, "worker": worker, "admin": admin, "coordinator": coordinator, "ids": ids}


CASE_URLS = ("/cases/{case}", "/referrals/{centre}", "/screening/{sid}", "/review/people/{person}/access",
             "/referrals/{centre}/letter")


def _reads_case_content(client, ids) -> bool:
    for url in CASE_URLS:
        body = client.get(url.format(**ids)).get_data(as_text=True)
        if "Zarylkanbubu" in body or "Testovamkhanova" in body:
            return True
    return False


# ------------------------------------------------------------------ 3. separation of duties


def _take_over(app, username, password, clock):
    """What the administrator can do with a password they were shown: sign in, set a password of
    their own, enrol their own authenticator, and keep the browser. None if any step refuses."""
    client = app.test_client()
    response = post_form(client, "/auth/login", {"username": username, "password": password})
    location = response.headers.get("Location", "")
    if response.status_code != 302:
        return None
    if location.endswith("/auth/new-password"):
        new = "a brand new passphrase 77"
        response = post_form(client, "/auth/new-password", {"password": new, "confirm": new})
        location = response.headers.get("Location", "")
    if location.endswith("/auth/enrol"):
        page = client.get("/auth/enrol").get_data(as_text=True)
        secret = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        clock.advance(seconds=31)
        response = post_form(client, "/auth/enrol", {"code": pyotp.TOTP(secret).at(clock())})
        location = response.headers.get("Location", "")
    elif location.endswith("/auth/code"):
        return None          # the administrator does not hold the account's authenticator
    return client if response.status_code == 302 and "/auth/" not in location else None


ROLE_TARGETS = {                         # role -> the organisation a new account of it goes to
    "screening_officer": "police", "case_worker": "sezim", "coordinator": "mlssm",
    "analyst": "mlssm", "auditor": "mlssm",
}
ACTIONS = ("create", "reset-password", "reset-second-factor", "disable", "enable", "unlock",
           "role:case_worker", "role:coordinator", "role:screening_officer", "role:analyst")


def _apply(app, admin_client, world, state, action, target_role):
    """One administrator action through the web UI; returns a password the page showed, if any."""
    ids = world["ids"]
    if action == "create":
        username = f"x{len(state['accounts'])}-{target_role.replace('_', '')}"
        page = post_form(admin_client, "/admin/accounts", {
            "username": username, "role": target_role,
            "organisation": ids[ROLE_TARGETS[target_role]]}).get_data(as_text=True)
        state["accounts"].append(username)
    else:
        if not state["accounts"]:
            return None
        username = state["accounts"][-1]
        with app.app_context():
            user_id = db.session.scalar(db.select(User.id).where(User.username == username))
        if action.startswith("role:"):
            role = action.split(":", 1)[1]
            page = post_form(admin_client, f"/admin/accounts/{user_id}", {
                "role": role, "organisation": ids[ROLE_TARGETS[role]]}).get_data(as_text=True)
        else:
            page = post_form(admin_client, f"/admin/accounts/{user_id}/{action}",
                             page="/admin/accounts").get_data(as_text=True)
    found = re.search(r'<p class="one-time-password"><code>([^<]+)</code>', page)
    if found:
        state["passwords"][username] = found.group(1)
    return username


@pytest.mark.parametrize("first_role", list(ROLE_TARGETS))
def test_no_sequence_of_an_administrators_own_actions_reads_a_case(app, clock, world, first_role):
    """Every sequence of two actions after creating an account of each role (create, reset the
    password or the second factor, disable, enable, unlock, move it into each role), and after each
    step the administrator tries every password they were ever shown — signing in, choosing a
    password, enrolling an authenticator of their own — and then every URL of the case. None of it
    ever shows the person."""
    for sequence in itertools.product(ACTIONS[1:], repeat=2):
        admin_client = app.test_client()
        sign_in(app, admin_client, world["admin"], clock)
        state = {"accounts": [], "passwords": {}}
        for action in ("create", *sequence):
            _apply(app, admin_client, world, state, action, first_role)
            assert not _reads_case_content(admin_client, world["ids"])
            for username, password in list(state["passwords"].items()):
                taken = _take_over(app, username, password, clock)
                if taken is not None:
                    assert not _reads_case_content(taken, world["ids"]), (first_role, sequence, username)
                    state["passwords"].pop(username)     # now it has the administrator's password
        # the administrator could also create a second account in the same role and try again
        with app.app_context():
            assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
                AuditEvent.action.like("person.view%"))) == 0


def test_a_reset_of_an_account_that_sees_personal_data_waits_for_a_colleague_and_tells_its_owner(
        app, clock, world):
    admin_client = app.test_client()
    sign_in(app, admin_client, world["admin"], clock)
    page = post_form(admin_client, f"/admin/accounts/{world['worker'].id}/reset-password",
                     page="/admin/accounts").get_data(as_text=True)
    assert "one-time-password" not in page and "waiting for confirmation" in page
    with app.app_context():
        worker = db.session.get(User, world["worker"].id)
        assert worker.awaiting_confirmation
        from nrm.models import Notification

        kinds = set(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == worker.id)))
        assert "account_reset" in kinds
    # the old password no longer opens the account, and nobody has a new one yet
    refused = post_form(app.test_client(), "/auth/login", {"username": "w-worker", "password": TEST_PASSWORD})
    assert refused.status_code == 200 and "not correct" in refused.get_data(as_text=True)
    # a colleague of Sezim (or a coordinator) confirms and hands over a new password
    colleague = make_user(app, "case_worker", username="w-colleague", org_code="sezim")
    client = app.test_client()
    sign_in(app, client, colleague, clock)
    assert "w-worker" in client.get("/accounts/confirm").get_data(as_text=True)
    page = post_form(client, f"/accounts/confirm/{world['worker'].id}", page="/accounts/confirm").get_data(
        as_text=True)
    password = re.search(r'<p class="one-time-password"><code>([^<]+)</code>', page).group(1)
    taken = _take_over(app, "w-worker", password, clock)
    assert taken is not None and _reads_case_content(taken, world["ids"])   # the person's own account works


def test_nobody_confirms_their_own_account_and_an_officer_elsewhere_cannot_confirm(app, clock, world):
    admin_client = app.test_client()
    sign_in(app, admin_client, world["admin"], clock)
    post_form(admin_client, f"/admin/accounts/{world['worker'].id}/reset-second-factor", page="/admin/accounts")
    officer = app.test_client()
    sign_in(app, officer, world["officer"], clock)
    assert "w-worker" not in officer.get("/accounts/confirm").get_data(as_text=True)
    assert post_form(officer, f"/accounts/confirm/{world['worker'].id}", page="/").status_code == 403
    assert post_form(admin_client, f"/accounts/confirm/{world['worker'].id}", page="/").status_code == 403


# ------------------------------------------------------------------ 2. intake is not access


def test_a_coordinator_cannot_disable_an_organisation_in_any_way(app, clock, world):
    coordinator = app.test_client()
    sign_in(app, coordinator, world["coordinator"], clock)
    mlssm = world["ids"]["mlssm"]
    with app.app_context():
        in_directory = db.session.scalar(db.select(Organisation.id).where(Organisation.code == "mlssm"))
    for org_id in (in_directory, world["ids"]["sezim"]):
        page = f"/review/directory/{org_id}"
        # the old form's field, and every way of pausing intake
        post_form(coordinator, page, {"services": "crisis_centre", "active": "", "accepts_referrals": ""}, page=page)
        post_form(coordinator, page, {"services": "crisis_centre", "accepts_referrals": "",
                                      "intake_paused_reason": "Full until spring"}, page=page)
        assert post_form(coordinator, f"/admin/organisations/{org_id}/disable", {"reason": "x"},
                         page="/").status_code == 403
    with app.app_context():
        assert all(o.active for o in db.session.scalars(db.select(Organisation)))
        sezim = db.session.get(Organisation, world["ids"]["sezim"])
        assert not sezim.accepts_referrals and sezim.intake_paused_reason == "Full until spring"
        actions = set(db.session.scalars(db.select(AuditEvent.action)))
        assert "directory.intake_paused" in actions and "organisation.disable" not in actions
    # Sezim's staff still work on their open case; the administrators still sign in
    worker = app.test_client()
    sign_in(app, worker, world["worker"], clock)
    assert _reads_case_content(worker, world["ids"])
    admin = app.test_client()
    sign_in(app, admin, world["admin"], clock)
    assert admin.get("/admin/accounts").status_code == 200
    assert mlssm


def test_pausing_intake_needs_a_reason_and_routes_around_the_organisation(app, clock, world):
    coordinator = app.test_client()
    sign_in(app, coordinator, world["coordinator"], clock)
    page = f"/review/directory/{world['ids']['sezim']}"
    response = post_form(coordinator, page, {"services": "crisis_centre", "serves_regions": ["KG-GB"]}, page=page)
    assert response.status_code == 422 and "Say why" in response.get_data(as_text=True)
    with app.app_context():
        from nrm.core import routing as rt

        sezim = db.session.get(Organisation, world["ids"]["sezim"])
        sezim.accepts_referrals, sezim.intake_paused_reason = False, "Repairs"
        db.session.commit()
        facts = rt.facts_from_json({"result": "presumed_victim", "age": 30, "citizenship": "KG",
                                    "stay_region": "KG-GB", "consent": ["services"]})
        proposals = rt.route(referrals.routing(), facts, directory.entries(), app.config["CLOCKS"])
        assert next(p for p in proposals if p.service == "crisis_centre").organisation.code != "sezim"


def test_the_last_administrators_organisation_and_account_cannot_be_disabled(app, clock, world, runner):
    other_admin = make_user(app, "administrator", username="w-admin-2", org_code="t-other-ministry",
                            org_kind="mlssm_central")
    client = app.test_client()
    sign_in(app, client, other_admin, clock)
    # every active administrator is at MLSSM but this one: disabling MLSSM leaves w-admin-2
    with app.app_context():
        db.session.get(User, world["admin"].id).active = False
        db.session.commit()
    response = post_form(client, f"/admin/organisations/{world['ids']['mlssm']}/disable", {"reason": "test"},
                         page="/admin/organisations")
    assert response.status_code == 302
    result = runner.invoke(args=["orgs", "disable", "t-other-ministry", "--reason", "test"])
    assert result.exit_code != 0 and "no active administrator" in result.output
    result = runner.invoke(args=["users", "disable", "w-admin-2"])
    assert result.exit_code != 0 and "no active administrator" in result.output
    with app.app_context():
        assert db.session.get(Organisation, other_admin.organisation_id).active
        assert not db.session.get(Organisation, world["ids"]["mlssm"]).active


def test_orgs_enable_restores_a_disabled_organisation_with_an_audit_event(app, world, runner, clock):
    result = runner.invoke(args=["orgs", "disable", "sezim", "--reason", "Inspection"])
    assert result.exit_code == 0, result.output
    refused = post_form(app.test_client(), "/auth/login", {"username": "w-worker", "password": TEST_PASSWORD})
    assert "disabled" in refused.get_data(as_text=True)
    result = runner.invoke(args=["orgs", "enable", "sezim"])
    assert result.exit_code == 0 and "enabled sezim" in result.output
    worker = app.test_client()
    sign_in(app, worker, world["worker"], clock)
    with app.app_context():
        events = [e.action for e in db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.object_type == "organisation").order_by(AuditEvent.seq))]
        assert events[-2:] == ["organisation.disable", "organisation.enable"]
        assert db.session.get(Organisation, world["ids"]["sezim"]).disabled_reason is None


# ------------------------------------------------------------------ 4. a second factor that cannot be guessed


def _pending(app, account):
    client = app.test_client()
    response = post_form(client, "/auth/login", {"username": account.username, "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/auth/code")
    return client


def _wrong(app, account, clock):
    with app.app_context():
        right = totp.current_code(db.session.get(User, account.id))
    return f"{(int(right) + 1) % 1_000_000:06d}"


def _right(app, account, clock):
    from tests.conftest import fresh_code

    return fresh_code(app, account, clock)


def test_twelve_wrong_codes_at_four_a_minute_lock_the_account(app, clock):
    """Each guess through a fresh sign-in, 16 s apart: the per-minute throttle never starts, the
    account's own count does."""
    account = make_user(app, "case_worker", username="slow-guesser", org_code="t-sezim")
    for _attempt in range(12):
        clock.advance(seconds=16)
        client = app.test_client()
        response = post_form(client, "/auth/login", {"username": "slow-guesser", "password": TEST_PASSWORD})
        if response.headers.get("Location", "").endswith("/auth/code"):
            post_form(client, "/auth/code", {"code": _wrong(app, account, clock)})
    with app.app_context():
        user = db.session.get(User, account.id)
        assert user.totp_locked_at is not None and user.totp_failures == 10
    # the right code no longer opens anything, through a new sign-in or an old one
    refused = post_form(app.test_client(), "/auth/login", {"username": "slow-guesser", "password": TEST_PASSWORD})
    assert "Too many wrong codes" in refused.get_data(as_text=True)


def test_a_lock_ends_every_pending_sign_in_and_the_right_code_is_refused_through_each(app, clock):
    account = make_user(app, "coordinator", username="six-windows", org_code="t-mlssm", org_kind="mlssm_central")
    windows = [_pending(app, account) for _ in range(6)]
    tokens = [csrf_from(w.get("/auth/code").get_data(as_text=True)) for w in windows]
    for n in range(10):
        clock.advance(seconds=16)      # 4 a minute: the per-minute throttle never starts
        windows[n % 5].post("/auth/code", data={"csrf_token": tokens[n % 5], "code": _wrong(app, account, clock)})
    right = _right(app, account, clock)
    response = windows[5].post("/auth/code", data={"csrf_token": tokens[5], "code": right})
    assert response.status_code == 302 and "/auth/code" not in response.headers["Location"]
    assert windows[5].get("/").status_code == 302
    with app.app_context():
        assert db.session.get(User, account.id).totp_locked_at is not None
        assert db.session.scalar(db.select(db.func.count()).select_from(AuthSession).where(
            AuthSession.user_id == account.id, AuthSession.ended_at.is_(None))) == 0
    # an administrator unlocks it; the right code works again
    admin = make_user(app, "administrator", username="unlocker", org_code="t-mlssm", org_kind="mlssm_central")
    admin_client = app.test_client()
    sign_in(app, admin_client, admin, clock)
    post_form(admin_client, f"/admin/accounts/{account.id}/unlock", page="/admin/accounts")
    sign_in(app, app.test_client(), account, clock)


def test_a_slow_pace_gains_nothing_over_a_day(app, clock):
    account = make_user(app, "screening_officer", username="patient", org_code="t-police")
    for _ in range(9):
        clock.advance(minutes=20)
        client = _pending(app, account)
        post_form(client, "/auth/code", {"code": _wrong(app, account, clock)})
    clock.advance(hours=2)                  # 9 failures within the day: not locked yet
    client = _pending(app, account)
    post_form(client, "/auth/code", {"code": _wrong(app, account, clock)})
    with app.app_context():
        assert db.session.get(User, account.id).totp_locked_at is not None


# ------------------------------------------------------------------ 5. a dump that locates nobody


CODES = {"female", "male", "other_or_not_stated", "0-11", "12-17", "18-24", "25-34", "35-49", "50+", "UZ", "RU",
         "KG", "uz", "ForcedLabour", "SexualExploitation", "shelter", "medical", "documents"}
STAT_TABLES = {"stat_person", "stat_referral"}
NOT_ABOUT_A_PERSON = {"organisation", "user_account", "catalogue_version", "alembic_version", "audit_head",
                      "job_lock", "login_throttle", "auth_session", "data_key"}


def test_a_copy_of_the_database_holds_no_demographic_code_outside_the_statistics(app, world):
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        found = []
        for table in tables:
            if table in STAT_TABLES or table in NOT_ABOUT_A_PERSON:
                continue
            for row in db.session.execute(text(f"SELECT * FROM {table}")).mappings():  # noqa: S608 - our tables
                for column, value in row.items():
                    if isinstance(value, str) and value in CODES:
                        found.append((table, column, value))
                    if isinstance(value, str) and any(v in value.split(",") for v in CODES if len(v) > 2):
                        found.append((table, column, value))
        assert found == [], found


def test_no_statistics_row_can_be_joined_to_a_record(app, world):
    with app.app_context():
        ids = set()
        for table in ("screening", "person", "referral", "case_record", "identification", "data_key"):
            ids |= set(db.session.scalars(text(f"SELECT id FROM {table}")))  # noqa: S608 - our tables
        assert ids
        for table in STAT_TABLES:
            for row in db.session.execute(text(f"SELECT * FROM {table}")).mappings():  # noqa: S608
                assert not (set(map(str, row.values())) & ids), table
        counted = db.session.scalar(db.select(db.func.count()).select_from(StatPerson))
        assert counted == 1
        # the application finds its own row again, with the key only it can compute
        assert db.session.get(StatPerson, stats.person_key(world["ids"]["sid"])) is not None


def _moment(value):
    from datetime import datetime

    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_rows_about_a_person_keep_only_the_precision_their_clocks_need(app, world):
    with app.app_context():
        for value in db.session.execute(text("SELECT started_at, updated_at, submitted_at FROM screening")).first():
            moment = _moment(value)
            assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0), moment
        for (sent,) in db.session.execute(text("SELECT sent_at FROM referral WHERE sent_at IS NOT NULL")):
            moment = _moment(sent)
            assert (moment.second, moment.microsecond) == (0, 0), moment
        raw = db.session.execute(text("SELECT interview_language FROM screening")).scalar()
        assert isinstance(raw, bytes | memoryview) and b"uz" not in bytes(raw)


def test_the_sign_in_throttle_keeps_no_hash_that_a_guess_could_check(app):
    import hashlib

    client = app.test_client()
    post_form(client, "/auth/login", {"username": "correct horse battery staple 42", "password": "x"})
    with app.app_context():
        keys = list(db.session.scalars(text("SELECT name_hash FROM login_throttle")))
    assert keys and hashlib.sha256(b"correct horse battery staple 42").hexdigest() not in keys


# ------------------------------------------------------------------ 6. the lower findings


def test_a_referral_to_a_disabled_organisation_is_refused_whatever_the_form_says(app, clock, world):
    with app.app_context():
        akjurok = db.session.scalar(db.select(Organisation).where(Organisation.code == "ak-jurok"))
        akjurok.active = False
        db.session.commit()
        target = akjurok.id
    officer = app.test_client()
    sign_in(app, officer, world["officer"], clock)
    page = f"/referrals/screening/{world['ids']['sid']}"
    response = post_form(officer, f"/referrals/screening/{world['ids']['sid']}/add",
                         {"service": "crisis_centre", "organisation": str(target), "note": "She asked for Osh"},
                         page=page)
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.scalars(db.select(Referral).where(Referral.organisation_id == target)).all()
    # the same for a case transfer
    worker = app.test_client()
    sign_in(app, worker, world["worker"], clock)
    post_form(worker, f"/cases/{world['ids']['case']}/transfer",
              {"transfer-organisation": str(target), "transfer-note": "Family in Osh"},
              page=f"/cases/{world['ids']['case']}")
    with app.app_context():
        assert db.session.get(Case, world["ids"]["case"]).status == "Active"


def test_an_attachment_keeps_the_extension_of_what_it_is(app, clock, world):
    worker = app.test_client()
    sign_in(app, worker, world["worker"], clock)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    post_form(worker, f"/cases/{world['ids']['case']}/attachments",
              {"file-file": (io.BytesIO(png), "invoice.html")}, page=f"/cases/{world['ids']['case']}",
              content_type="multipart/form-data")
    with app.app_context():
        from nrm.models import Attachment

        names = {a.filename for a in db.session.scalars(db.select(Attachment))}
    assert "invoice.png" in names and not any(n.endswith(".html") for n in names)


def test_every_page_of_an_erased_person_answers_and_says_so(app, clock, world):
    coordinator = app.test_client()
    sign_in(app, coordinator, world["coordinator"], clock)
    page = f"/review/people/{world['ids']['person']}/access"
    post_form(coordinator, page, {"reason": "erasure_request"}, page=page)
    post_form(coordinator, f"/review/people/{world['ids']['person']}/erase",
              {"reason": "consent_withdrawn", "confirm": "erase"}, page=page)
    ids = world["ids"]
    with app.app_context():
        identification = db.session.scalar(text("SELECT id FROM identification"))
    pages = {
        "officer": [f"/screening/{ids['sid']}", f"/referrals/screening/{ids['sid']}", "/screening/",
                    f"/referrals/{ids['centre']}", f"/referrals/{ids['centre']}/letter",
                    f"/referrals/{ids['centre']}/letter.pdf"],
        "worker": [f"/cases/{ids['case']}", f"/referrals/{ids['centre']}", "/referrals/inbox", "/cases/",
                   f"/referrals/{ids['centre']}/letter"],
        "coordinator": [f"/review/referrals/{ids['consular']}", f"/review/identifications/{identification}",
                        "/review/", "/review/cases", "/review/identifications", page],
    }
    for name, urls in pages.items():
        client = app.test_client()
        sign_in(app, client, world[name], clock)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)
            if url.endswith(("/letter", ids["sid"], ids["case"], "/access")) and response.status_code == 200:
                assert "erased" in response.get_data(as_text=True), url
            assert "Zarylkanbubu" not in response.get_data(as_text=True)
    assert timedelta(0) is not None
