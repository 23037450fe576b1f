"""Local time: "today", every printed date and the working-day clocks are those of Bishkek (UTC+6),
the stored times UTC; public holidays from the maintained calendar and from a date an administrator
adds (issue 13)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from nrm.core import clocks as clk
from nrm.services import calendar
from tests.conftest import make_user, post_form, sign_in
from tests.test_referrals import _send_all, referral_of, screen, seeded  # noqa: F401 - fixtures

BISHKEK = ZoneInfo("Asia/Bishkek")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BISHKEK)


# (situation, started (Bishkek wall clock), clock, due (Bishkek wall clock))
DUE = [
    ("Friday evening, 10 working days: two weekends skipped",
     local(2026, 11, 27, 19, 30), "identification_decision_working_days", local(2026, 12, 11, 19, 30)),
    ("Friday 23:30 (still Friday 17:30 UTC): counted from the Bishkek Friday",
     local(2026, 11, 27, 23, 30), "identification_decision_working_days", local(2026, 12, 11, 23, 30)),
    ("Saturday 00:30 in Bishkek (Friday 18:30 UTC): counted from the Bishkek Saturday",
     local(2026, 11, 28, 0, 30), "identification_decision_working_days", local(2026, 12, 11, 0, 30)),
    ("the day before Independence Day (Monday 31 August 2026, a public holiday)",
     local(2026, 8, 28, 10, 0), "asylum_application_working_days", local(2026, 9, 14, 10, 0)),
    ("before the New Year holidays: 1–7 January are days off",
     local(2026, 12, 31, 9, 0), "identification_decision_working_days", local(2027, 1, 21, 9, 0)),
    ("hours run through the night and the weekend",
     local(2026, 11, 27, 23, 30), "acknowledgement_hours", local(2026, 11, 28, 23, 30)),
]


@pytest.mark.parametrize(("situation", "start", "clock", "expected"), DUE, ids=[d[0] for d in DUE])
def test_a_working_day_clock_falls_due_on_the_right_bishkek_day(app, situation, start, clock, expected):
    with app.app_context():
        due = calendar.due(start.astimezone(UTC), clock)
    assert due.tzinfo is not None and due.astimezone(BISHKEK) == expected, situation


def test_a_day_the_cabinet_announces_moves_every_working_day_clock(app, runner):
    start = local(2026, 12, 1, 10, 0).astimezone(UTC)          # a Tuesday
    with app.app_context():
        before = calendar.due(start, "asylum_application_working_days").astimezone(BISHKEK)
    assert before == local(2026, 12, 15, 10, 0)
    result = runner.invoke(args=["holidays", "add", "07.12.2026", "--name", "Day off moved by the Cabinet"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = calendar.due(start, "asylum_application_working_days").astimezone(BISHKEK)
    assert after == local(2026, 12, 16, 10, 0)
    # a Saturday declared a working day counts again; removing the day off restores the old due date
    assert runner.invoke(args=["holidays", "add", "2026-12-05", "--working", "--name", "Working Saturday"]) \
        .exit_code == 0
    with app.app_context():
        assert calendar.due(start, "asylum_application_working_days").astimezone(BISHKEK) == local(2026, 12, 15, 10, 0)
    assert runner.invoke(args=["holidays", "remove", "2026-12-07"]).exit_code == 0
    assert runner.invoke(args=["holidays", "remove", "2026-12-05"]).exit_code == 0
    with app.app_context():
        assert calendar.due(start, "asylum_application_working_days").astimezone(BISHKEK) == before
    listed = runner.invoke(args=["holidays", "list", "--year", "2026"]).output
    assert "31.08.2026" in listed and "Independence" in listed


def test_the_administrator_records_a_day_on_the_calendar_page(app, client, login):
    login("administrator")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "31.08.2026" in page and "Public holiday under the law" in page
    response = post_form(client, "/admin/calendar", {"day": "2026-12-07", "kind": "day_off", "name": ""},
                         page="/admin/calendar")
    assert response.status_code == 422 and 'value="2026-12-07"' in response.get_data(as_text=True)
    response = post_form(client, "/admin/calendar", {"day": "2026-12-07", "kind": "day_off",
                                                     "name": "Day off moved by the Cabinet"}, page="/admin/calendar")
    assert response.status_code == 302
    with app.app_context():
        assert not calendar.is_working_day(date(2026, 12, 7))
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Day off moved by the Cabinet" in page and "07.12.2026" in page


def test_the_pure_core_counts_what_it_is_given():
    cal = clk.WorkingCalendar(days_off=frozenset({date(2026, 3, 9)}), working_days=frozenset({date(2026, 3, 7)}))
    assert cal.is_working_day(date(2026, 3, 7)) and not cal.is_working_day(date(2026, 3, 9))
    assert not cal.is_working_day(date(2026, 3, 8))


def test_at_0030_in_bishkek_a_service_delivered_today_is_recorded_and_a_letter_is_dated_today(
        seeded, client, login, app, clock):  # noqa: F811
    clock.current = local(2026, 3, 3, 0, 30).astimezone(UTC)     # 2 March 18:30 UTC
    officer = login("screening_officer")
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    centre = referral_of(seeded, sid, "crisis_centre")
    letter = client.get(f"/referrals/{centre}/letter?lang=en").get_data(as_text=True)
    assert "3 March 2026" in letter and "2 March 2026" not in letter
    worker = make_user(app, "case_worker", username="sezim-night", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, clock)
    case_url = post_form(wc, f"/referrals/{centre}/accept", page=f"/referrals/{centre}").headers["Location"]
    case_path = case_url[case_url.index("/cases/"):]
    response = post_form(wc, case_path + "/services", {"service-need": "shelter", "service-delivered_on": "2026-03-03",
                                                       "service-note": ""}, page=case_path)
    assert response.status_code == 302
    # and at 23:30 Bishkek, the next day is still in the future
    clock.current = local(2026, 3, 3, 23, 30).astimezone(UTC)
    sign_in(app, wc, worker, clock)
    response = post_form(wc, case_path + "/services", {"service-need": "medical", "service-delivered_on": "2026-03-04",
                                                       "service-note": "kept"}, page=case_path)
    assert response.status_code == 422 and "in the future" in response.get_data(as_text=True)


def test_a_due_date_in_the_past_is_refused_with_the_task_kept(seeded, client, officer, app, clock):  # noqa: F811
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    centre = referral_of(seeded, sid, "crisis_centre")
    worker = make_user(app, "case_worker", username="sezim-tasks", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, clock)
    case_url = post_form(wc, f"/referrals/{centre}/accept", page=f"/referrals/{centre}").headers["Location"]
    case_path = case_url[case_url.index("/cases/"):]
    response = post_form(wc, case_path + "/tasks", {"task-need": "legal", "task-description": "Find a lawyer",
                                                    "task-due_on": "1999-05-01"}, page=case_path)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "has passed" in page and 'value="Find a lawyer"' in page


@pytest.fixture
def officer(seeded, client, login):  # noqa: F811
    return login("screening_officer")
