"""The guided screening through the real forms: steps, drafts, conditional questions, emergency,
identity and duplicate check, summary, submission, the explained result, access and sealing."""

import json
import re

import pytest
from sqlalchemy import text

from nrm.extensions import db
from nrm.models import AuditEvent, Screening, User
from nrm.services import screening as service
from tests.conftest import make_user, post_form


def _start(client, language="ky"):
    response = post_form(client, "/screening/new", {"interview_language": language}, page="/screening/")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    match = re.search(r"/screening/([0-9a-f]{32})/step/(\w+)", response.headers["Location"])
    return match.group(1), match.group(2)


def _step(client, sid, step, data, action="next"):
    return post_form(client, f"/screening/{sid}/step/{step}", {**data, "action": action})


def _script(app, sid):
    with app.app_context():
        return service.catalogue_of(db.session.get(Screening, sid))[1]


def _walk_to_summary(client, app, sid, answers_by_question):
    """Press Next through every step, giving the answers named (by question id) where they are."""
    script = _script(app, sid)
    step = script.steps[0].id
    for _ in range(60):
        page_questions = {q.id for q in script.step(step).questions}
        data = {k: v for k, v in answers_by_question.items() if k in page_questions}
        response = _step(client, sid, step, data)
        assert response.status_code == 302, (step, response.get_data(as_text=True)[:800])
        location = response.headers["Location"]
        if location.endswith("/emergency"):
            location = re.search(r'href="([^"]+/step/\w+)"', client.get(location).get_data(as_text=True)).group(1)
        if location.endswith("/summary"):
            return
        step = location.rsplit("/", 1)[1]
    pytest.fail("never reached the summary")


LABOUR_CASE = {
    "in_immediate_danger": "no", "age": "29", "sex": "male", "citizenship_status": "foreign",
    "consent_explained_in_own_language": "yes", "consent_services": "yes",
}


@pytest.fixture
def officer(app, client, login):
    return login("screening_officer")


def test_every_agency_has_a_script_starting_with_safety_and_ending_with_consent(app):
    with app.app_context():
        scripts = service.catalogue().scripts
    assert {"police", "customs", "health", "mlssm", "ombudsman", "ngo"} <= set(scripts)
    for script in scripts.values():
        ids = [s.id for s in script.steps]
        assert ids[0] == "safety" and "consent" in ids and "person" in ids and "child" in ids


def test_a_screening_is_sealed_and_resumable(app, client, officer):
    sid, first = _start(client)
    assert first == "safety"
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    _step(client, sid, "person", {"age": "34", "sex": "female"}, action="save")
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert json.loads(screening.answers_json)["age"] == 34
        raw = db.session.execute(text("SELECT answers FROM screening WHERE id = :i"), {"i": sid}).scalar()
        assert b"female" not in bytes(raw) and b"\"age\": 34" not in bytes(raw)
    # a new browser session of the same officer resumes where it was left
    response = client.get(f"/screening/{sid}/resume")
    assert response.headers["Location"].endswith(f"/screening/{sid}/step/person")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="34"' in page


def test_an_invalid_answer_is_refused_in_the_officers_language_and_nothing_is_lost(app, client, officer):
    sid, _ = _start(client)
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    response = _step(client, sid, "person", {"age": "two hundred", "sex": "female"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing you entered has been lost" in page
    assert 'value="two hundred"' in page


@pytest.mark.parametrize("action", ["save", "back"])
def test_leaving_a_page_with_a_wrong_answer_keeps_it_on_screen(app, client, officer, action):
    sid, _ = _start(client)
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    response = _step(client, sid, "person", {"age": "two hundred", "sex": "female"}, action=action)
    assert response.status_code == 422
    assert 'value="two hundred"' in response.get_data(as_text=True)


def test_saving_with_a_required_question_unanswered_is_allowed(app, client, officer):
    sid, _ = _start(client)
    response = _step(client, sid, "consent", {"consent_services": "yes"}, action="save")
    assert response.status_code == 302
    with app.app_context():
        assert json.loads(db.session.get(Screening, sid).answers_json)["consent_services"] == "yes"


def test_the_interview_script_is_shown_in_the_persons_language_beside_the_officers(app, client, officer):
    post_form(client, "/language", {"language": "ru", "next": "/"}, page="/")
    sid, _ = _start(client, language="ky")
    page = client.get(f"/screening/{sid}/step/safety").get_data(as_text=True)
    assert 'lang="ky"' in page and '<html lang="ru">' in page
    script = _script(app, sid)
    question = script.steps[0].questions[0]
    assert question.label["ru"] in page and question.ask["ky"] in page


def test_an_emergency_answer_puts_the_emergency_actions_on_screen_first(app, client, officer):
    sid, _ = _start(client)
    response = _step(client, sid, "safety", {"in_immediate_danger": "yes"})
    assert response.headers["Location"].endswith(f"/screening/{sid}/emergency")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Act now" in page and "102" in page


def test_conditional_questions_appear_only_when_relevant(app, client, officer):
    sid, _ = _start(client)
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    page = client.get(f"/screening/{sid}/step/person").get_data(as_text=True)
    assert 'id="q-citizenship_country"' not in page
    response = _step(client, sid, "person", {"citizenship_status": "foreign"})
    assert response.headers["Location"].endswith("/step/person")  # more questions opened here
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="q-citizenship_country"' in page


def test_full_screening_submitted_with_reasons_per_dimension(app, client, officer):
    sid, _ = _start(client, language="ru")
    _walk_to_summary(client, app, sid, LABOUR_CASE)
    page = client.get(f"/screening/{sid}/summary").get_data(as_text=True)
    assert "Summary before submitting" in page
    # the reasons come first, then the question whether the officer agrees
    assert 0 < page.index("Elements") < page.index("Do you agree with this result?")
    response = post_form(client, f"/screening/{sid}/summary", {"agreement": "agree"})
    assert response.headers["Location"].endswith(f"/screening/{sid}")
    page = client.get(f"/screening/{sid}").get_data(as_text=True)
    assert "Why: the indicators found, by dimension" in page
    assert not re.search(r"\b[0-9a-f]{12,}\b", page.split("<main", 1)[1]), "a catalogue hash on the result page"
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert screening.status == "submitted" and screening.result in ("no_indicators", "possible", "presumed_victim")
        profile = json.loads(screening.profile_json)
        assert profile["age_band"] == "25-34" and profile["sex"] == "male" and profile["agency"] == "police_unit"
    # submitted: no more changes through any URL
    assert post_form(client, f"/screening/{sid}/step/person", {"age": "30", "action": "next"},
                     page=f"/screening/{sid}").status_code == 403


def test_disagreeing_needs_a_result_and_a_justification_and_both_are_kept(app, client, officer):
    sid, _ = _start(client)
    _walk_to_summary(client, app, sid, LABOUR_CASE)
    response = post_form(client, f"/screening/{sid}/summary", {"agreement": "disagree"})
    assert response.status_code == 422 and "write why" in response.get_data(as_text=True)
    response = post_form(client, f"/screening/{sid}/summary", {
        "agreement": "disagree", "officer_result": "presumed_victim",
        "justification": "Signs of control by the companion at the crossing"})
    assert response.status_code == 302
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert screening.officer_result == "presumed_victim"
        assert screening.justification == "Signs of control by the companion at the crossing"
    assert "The officer disagrees" in client.get(f"/screening/{sid}").get_data(as_text=True)


def test_identity_is_optional_sealed_and_a_duplicate_is_signalled_without_content(app, client, officer):
    first, _ = _start(client)
    post_form(client, f"/screening/{first}/identity", {"family_name": "Testovamkhanova",
                                                       "given_name": "Zarylkanbubu",
                                                       "document_number": "AN9876543"})
    second, _ = _start(client)
    response = post_form(client, f"/screening/{second}/identity", {"document_number": "an 9876543"})
    page = response.get_data(as_text=True)
    assert "may have been screened before" in page and "1 earlier record" in page
    assert "Zarylkanbubu" not in page and "Testovamkhanova" not in page


def test_another_organisation_cannot_open_or_guess_a_screening(app, client, officer, clock):
    from tests.conftest import sign_in

    sid, _ = _start(client)
    other = make_user(app, "screening_officer", username="other-officer", org_code="t-customs")
    intruder = app.test_client()
    sign_in(app, intruder, other, clock)
    for url in (f"/screening/{sid}", f"/screening/{sid}/resume", f"/screening/{sid}/step/safety",
                f"/screening/{sid}/summary", f"/screening/{sid}/identity"):
        assert intruder.get(url).status_code == 403, url
    assert intruder.get("/screening/" + "0" * 32).status_code == 404
    assert sid not in intruder.get("/screening/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["case_worker", "coordinator", "analyst", "auditor", "administrator"])
def test_other_roles_cannot_reach_screenings(app, client, login, role):
    login(role)
    assert client.get("/screening/").status_code == 403
    assert post_form(client, "/screening/new", {"interview_language": "ky"}, page="/").status_code == 403


def test_every_view_of_a_screening_is_audited(app, client, officer):
    sid, _ = _start(client)
    client.get(f"/screening/{sid}/step/safety")
    client.get(f"/screening/{sid}/identity")
    with app.app_context():
        views = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "screening.view",
                                                               AuditEvent.object_id == sid)).all()
    assert len(views) == 2


def test_an_old_screening_keeps_the_wording_it_was_made_under(app, client, officer, tmp_path):
    import shutil

    from sops.loader import ROOT, load_catalogue

    sid, _ = _start(client)
    _walk_to_summary(client, app, sid, LABOUR_CASE)
    post_form(client, f"/screening/{sid}/summary", {"agreement": "agree"})
    folder = tmp_path / "sops"
    shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    criteria_file = folder / "criteria.yaml"
    criteria_file.write_text(criteria_file.read_text(encoding="utf-8").replace(
        'en: "Deceptive recruitment"', 'en: "Recruitment by deceit (new wording)"'), encoding="utf-8")
    app.extensions["nrm_catalogue"] = load_catalogue(folder)
    page = client.get(f"/screening/{sid}").get_data(as_text=True)
    assert "Deceptive recruitment" in page and "new wording" not in page
    new_sid, _ = _start(client)
    with app.app_context():
        old, new = db.session.get(Screening, sid), db.session.get(Screening, new_sid)
        assert old.criteria_version_id != new.criteria_version_id


# ------------------------------------------------------------------ field-ready screening (issue 13)

@pytest.fixture
def customs_officer(app, client, login):
    return login("screening_officer", org_code="t-customs", org_kind="customs_post")


def test_the_customs_child_walk_asks_about_the_childs_safety_right_after_the_age(app, client, customs_officer):
    sid, first = _start(client)
    assert _script(app, sid).id == "customs"
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    response = _step(client, sid, "person", {"age": "15", "sex": "female", "citizenship_status": "kyrgyz"})
    assert response.headers["Location"].endswith(f"/screening/{sid}/step/child_safety")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="q-accompanying_adult"' in page and 'id="q-parents_or_guardian"' in page
    assert 'id="q-trusted_adult"' in page
    # the child-only kinds of exploitation are offered to the child
    page = client.get(f"/screening/{sid}/step/exploitation").get_data(as_text=True)
    assert 'value="ChildLabour"' in page and 'value="SaleOfChildren"' in page


def test_an_adult_is_never_offered_child_only_options(app, client, customs_officer):
    sid, _ = _start(client)
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    response = _step(client, sid, "person", {"age": "27", "sex": "male", "citizenship_status": "kyrgyz"})
    assert not response.headers["Location"].endswith("/child_safety")
    page = client.get(f"/screening/{sid}/step/exploitation").get_data(as_text=True)
    assert 'value="ForcedLabour"' in page
    assert 'value="ChildLabour"' not in page and 'value="SaleOfChildren"' not in page
    # and the server refuses one sent by hand, keeping the other answers on screen
    response = _step(client, sid, "exploitation", {"exploitation_types": ["ForcedLabour", "ChildLabour"]})
    assert response.status_code == 422
    assert re.search(r'<input checked[^>]*value="ForcedLabour"', response.get_data(as_text=True))
    with app.app_context():
        assert "exploitation_types" not in json.loads(db.session.get(Screening, sid).answers_json)


def test_an_age_changed_to_an_adults_drops_a_child_only_answer(app):
    with app.app_context():
        script = service.catalogue().scripts["customs"]
    from nrm.core import screening as sc

    answers = {"age": 15, "exploitation_types": ["ChildLabour", "ForcedLabour"]}
    assert sc.effective_answers(script, answers)["exploitation_types"] == ["ChildLabour", "ForcedLabour"]
    assert sc.effective_answers(script, {**answers, "age": 27})["exploitation_types"] == ["ForcedLabour"]


def test_consent_is_read_as_numbered_points_in_the_persons_language_apart_from_the_officers_instruction(
        app, client, officer):
    post_form(client, "/language", {"language": "ru", "next": "/"}, page="/")
    sid, _ = _start(client, language="ky")
    page = client.get(f"/screening/{sid}/step/consent").get_data(as_text=True)
    consent = _script(app, sid).step("consent")
    read = re.search(r'<ol class="points script" lang="ky"[^>]*>(.*?)</ol>', page, re.S)
    assert read, "no numbered list in the person's language"
    assert read.group(1).count("<li>") == len(consent.read_aloud["ky"]) == 7
    assert consent.intro["ru"] in page and consent.intro["ky"] not in read.group(1)
    assert "Прочитайте" not in read.group(1)    # nothing meant for the officer inside what is read out


def test_answer_options_are_shown_in_the_persons_language_beside_the_officers(app, client, officer):
    post_form(client, "/language", {"language": "ru", "next": "/"}, page="/")
    sid, _ = _start(client, language="ky")
    page = client.get(f"/screening/{sid}/step/person").get_data(as_text=True)
    assert "Женский" in page or "Женщина" in page
    sex = next(q for q in _script(app, sid).step("person").questions if q.id == "sex")
    assert sex.options[0].label["ru"] in page and sex.options[0].label["ky"] in page
    assert re.search(r'class="in-person-language" lang="ky">· Ооба<', page)      # yes/no too


def test_the_emergency_page_is_a_numbered_list_with_the_numbers_large_and_reachable_from_every_step(
        app, client, officer):
    sid, _ = _start(client)
    for step in _script(app, sid).steps:
        page = client.get(f"/screening/{sid}/step/{step.id}").get_data(as_text=True)
        assert f"/screening/{sid}/emergency?back={step.id}" in page, step.id
    page = client.get(f"/screening/{sid}/emergency?back=debts").get_data(as_text=True)
    for number in ("102", "103", "112", "189"):
        assert f'<span class="number">{number}</span>' in page
    actions = re.search(r'<ol class="points emergency-actions"[^>]*>(.*?)</ol>', page, re.S).group(1)
    assert actions.count("<li>") == 6
    assert f"/screening/{sid}/step/debts" in page      # back to where the officer was


def test_a_negatively_worded_question_says_what_yes_records(app, client, customs_officer):
    sid, _ = _start(client, language="en")
    page = client.get(f"/screening/{sid}/step/person").get_data(as_text=True)
    age_uncertain = next(q for q in _script(app, sid).step("person").questions if q.id == "age_uncertain")
    assert f'<p class="yes-means">{age_uncertain.yes_means["en"]}</p>' in page   # the officer reads it


def test_a_birth_date_in_the_future_or_too_long_ago_is_refused_and_the_rest_kept(app, client, officer):
    sid, _ = _start(client)
    for bad, words in (("2031-05-01", "in the future"), ("1890-01-01", "too far in the past")):
        response = post_form(client, f"/screening/{sid}/identity",
                             {"family_name": "Testovamkhanova", "birth_date": bad})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and words in page, bad
        assert 'value="Testovamkhanova"' in page
    response = post_form(client, f"/screening/{sid}/identity", {"birth_date": "01.05.1994"})
    assert response.status_code == 302      # dd.mm.yyyy typed by hand is read too


@pytest.mark.parametrize("script_id", ["police", "customs", "health", "mlssm", "ombudsman", "ngo"])
def test_the_paper_prompt_sheet_exists_for_each_agency_in_each_language(app, client, officer, script_id):
    import io

    from pypdf import PdfReader

    with app.app_context():
        script = service.catalogue().scripts[script_id]
    for officer_language, person_language in (("ky", "ky"), ("ru", "ky"), ("en", "ru")):
        response = client.get(f"/screening/sheet/{script_id}.pdf?lang={officer_language}&person={person_language}")
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.data)).pages)
        flat = " ".join(text.split())
        safety, consent = script.steps[0], script.step("consent")
        # the safety questions first, then the consent text, each in its language
        first_safety = " ".join(safety.questions[0].label[officer_language].split())[:30]
        first_point = " ".join(consent.read_aloud[person_language][0].split())[:30]
        assert first_safety in flat and first_point in flat, (script_id, officer_language)
        assert flat.index(first_safety) < flat.index(first_point)
        for number in ("102", "103", "112", "189"):
            assert number in flat


def test_a_paper_screening_starts_the_identification_clock_from_the_interview_date(app, client, officer):
    from datetime import timedelta

    from nrm.models import Identification
    from nrm.services import referrals

    three_days_ago = (app.config["CLOCK"]() - timedelta(days=3)).date()
    response = post_form(client, "/screening/new", {"interview_language": "ru", "from_paper": "y",
                                                     "interview_on": three_days_ago.isoformat(),
                                                     "interview_place": "Dostuk border post"}, page="/screening/")
    assert response.status_code == 302
    sid = re.search(r"/screening/([0-9a-f]{32})/", response.headers["Location"]).group(1)
    # a paper date in the future is refused, with the rest kept
    future = post_form(client, "/screening/new", {"interview_language": "ru", "from_paper": "y",
                                                   "interview_on": "2031-01-01", "interview_place": "Kept place"},
                       page="/screening/")
    assert future.status_code == 422 and 'value="Kept place"' in future.get_data(as_text=True)
    _walk_to_summary(client, app, sid, {**LABOUR_CASE, "citizenship_status": "kyrgyz", "recruited": "yes",
                                        "job_different": "yes", "long_hours": "yes", "threats": "violence",
                                        "exploitation_types": ["ForcedLabour"]})
    post_form(client, f"/screening/{sid}/summary", {"agreement": "agree"})
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert screening.paper_interview_on == three_days_ago and screening.paper_place == "Dostuk border post"
        record = db.session.scalar(db.select(Identification).where(Identification.screening_id == sid))
        if record is None:                           # the result was possible: open it to compare clocks
            record = referrals.open_identification(db.session.get(User, officer.id), screening)
            db.session.commit()
        started = referrals.due(screening.detected_at, "identification_decision_working_days")
        assert record.due_at == started
        from_today = referrals.due(app.config["CLOCK"](), "identification_decision_working_days")
        assert record.due_at < from_today
    page = client.get(f"/screening/{sid}").get_data(as_text=True)
    assert "Recorded from a paper screening" in page and "Dostuk border post" in page
