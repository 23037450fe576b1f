"""Anonymised statistics on a demo data set made through the real service layer: every table the
UI offers obeys the disclosure rules and is consistent with every other one, the CSV is the table
on screen, the HTCDS export is k-anonymous, views and exports are in the trail, and the fact rows
follow the records.

The tests on the module's ``world`` come first: the ones with a fresh ``app`` after them reset the
database, which on PostgreSQL is the same database."""

import csv
import io
import json
import re
from collections import Counter
from html import unescape
from itertools import permutations

import pytest

from nrm import create_app
from nrm.core import demo as core_demo
from nrm.core import disclosure as dc
from nrm.extensions import db
from nrm.models import AuditEvent, Person, Referral, Screening, StatPerson, StatReferral
from nrm.services import demo, directory
from nrm.services import statistics as stats
from nrm.statistics.views import CHOICES
from tests.conftest import FakeClock, base_config, drop_database, make_user, post_form, sign_in

PEOPLE = 260


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    clock = FakeClock()
    app = create_app(base_config(tmp_path_factory.mktemp("stats"), CLOCK=clock,
                                 STATS_K=5, STATS_ROUNDING_BASE=1))
    with app.app_context():
        db.drop_all()
        db.create_all()
        directory.seed()
        db.session.commit()
        demo.generate(PEOPLE, seed=7)
    analyst = make_user(app, "analyst", username="w-analyst", org_code="t-gpo", org_kind="prosecutor_office")
    coordinator = make_user(app, "coordinator", username="w-coord", org_code="t-mlssm", org_kind="mlssm_central")
    yield {"app": app, "analyst": analyst, "coordinator": coordinator, "clock": clock}
    drop_database(app)


def _check(table, k):
    """What is published: never a count below k; margins are the trend tables' own counts."""
    values = [v for row in table.cells for v in row] + table.row_totals + table.col_totals + [table.total]
    for value in values:
        assert value is None or value >= k, (table.rows, table.cols, table.year, value)


def _profiles(app):
    with app.app_context():
        return {s.id: (json.loads(s.profile_json), s.officer_result) for s in db.session.scalars(
            db.select(Screening).where(Screening.status == "submitted"))}


def test_the_demo_data_went_through_the_real_service_layer(world):
    with world["app"].app_context():
        people = db.session.scalar(db.select(db.func.count(Screening.id)).where(Screening.status == "submitted"))
        assert people == PEOPLE
        counted = db.session.scalar(db.select(db.func.count()).select_from(StatPerson))
        assert 0 < counted < PEOPLE                     # no-indicator screenings and refusals are not counted
        assert db.session.scalar(db.select(db.func.count()).select_from(StatReferral)) > counted
        # names are sealed and obviously fictitious
        person = db.session.scalars(db.select(Person)).first()
        assert person.given_name.startswith("DEMO ") and person.family_name.startswith("Fictitious-")
        raw = db.session.execute(db.text("SELECT given_name FROM person LIMIT 1")).scalar()
        assert b"DEMO" not in bytes(raw)
        decisions = Counter(db.session.scalars(db.select(StatPerson.decision)))
        assert decisions["ActualVictimOfTrafficking"] and decisions["pending"]
        assert Counter(db.session.scalars(db.select(StatPerson.case_status)))["Closed"]


def test_every_table_the_ui_offers_obeys_the_disclosure_rules(world):
    app = world["app"]
    with app.app_context():
        k = app.config["STATS_K"]
        years = stats.published_years("persons")
        assert years and years[-1] == 2025          # 2026 is still running: not published
        checked = 0
        for rows in CHOICES:
            if rows == "year":
                continue
            trend = stats.table("year", rows)
            _check(trend, k)
            for year in (*years, dc.ALL_YEARS):
                one = stats.table(rows, None, year)
                _check(one, k)
                # a one-dimension table is a row (or the totals row) of the trend table
                row = trend.col_totals if year == dc.ALL_YEARS else trend.cells[trend.row_keys.index(year)]
                assert [c[0] for c in one.cells] == row
                checked += 1
        for rows, cols in permutations([c for c in CHOICES if c != "year"], 2):
            if stats.DIMENSIONS[rows][0] == stats.DIMENSIONS[cols][0]:
                with pytest.raises(stats.BadQuery):
                    stats.table(rows, cols, years[-1])
                continue
            table = stats.table(rows, cols, years[-1])
            _check(table, k)
            if table.unit == "persons":      # a table with a referral dimension counts referrals
                margins = stats.table(rows, None, years[-1])
                assert table.row_totals == [c[0] for c in margins.cells]
            checked += 1
        assert checked > 150


def test_the_counts_are_the_records_counts(world):
    app = world["app"]
    with app.app_context():
        app.config["STATS_K"], app.config["STATS_ROUNDING_BASE"] = 1, 1
        stats.forget()
        try:
            table = stats.table("sex", None, dc.ALL_YEARS)
            years = set(stats.published_years("persons"))
        finally:
            app.config["STATS_K"] = 5
            stats.forget()
    by_sex = Counter(profile.get("sex") or "other_or_not_stated" for profile, result in _profiles(app).values()
                     if result in stats.COUNTED_RESULTS and profile.get("consent_statistics") is not False
                     and profile["year"] in years)
    assert dict(zip(table.row_keys, [row[0] for row in table.cells], strict=True)) == {
        s: by_sex.get(s, 0) for s in table.row_keys}


def _html_table(html):
    body = html.split('<table class="stats">', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


@pytest.mark.parametrize(("query", "language"), [
    ("rows=region&cols=sex", "en"), ("rows=citizenship&cols=minor&year=2024", "ru"),
    ("rows=exploitation&year=all", "ky"), ("rows=year&cols=nationality", "ru"),
    ("rows=service&cols=referral_outcome&year=2023", "en")])
def test_the_csv_is_exactly_the_table_on_screen(world, query, language):
    app, client = world["app"], world["app"].test_client()
    sign_in(app, client, world["analyst"], world["clock"])
    post_form(client, "/language", {"language": language, "next": "/"}, page="/")
    page = client.get(f"/statistics/table?{query}")
    assert page.status_code == 200
    shown = _html_table(page.get_data(as_text=True))
    export = client.get(f"/statistics/table.csv?{query}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    blank = lines.index([])
    preamble, exported = lines[:blank], lines[blank + 1:]
    assert len(preamble) == 5 and all(len(line) == 1 for line in preamble)   # title, table, period, unit, x
    assert exported == shown
    assert any("x" in row for row in shown[1:])        # something was withheld, and shown as withheld
    with app.app_context():
        actions = [e.action for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.actor_id == world["analyst"].id).order_by(AuditEvent.seq))]
    assert actions[-2:] == ["statistics.view", "statistics.export"]


@pytest.mark.parametrize("query", ["rows=region&cols=sex", "rows=year&cols=nationality",
                                   "rows=exploitation&cols=minor&year=2024"])
def test_the_chart_of_a_two_dimension_table_shows_the_tables_own_cells(world, query):
    """Each bar is one cell of the table, with the same count, and a withheld cell is a withheld bar."""
    app, client = world["app"], world["app"].test_client()
    sign_in(app, client, world["analyst"], world["clock"])
    body = client.get(f"/statistics/table?{query}").get_data(as_text=True)
    shown = _html_table(body)
    header, rows = shown[0], shown[1:-1]                # the last row is the totals
    bars = dict(re.findall(r"<rect [^>]*><title>([^<]+): ([^<]+)</title></rect>", body))
    expected = {}
    for row in rows:
        for column, cell in zip(header[1:-1], row[1:-1], strict=True):   # the last column is the total
            expected[unescape(f"{row[0]}, {column}")] = "withheld" if cell == "x" else cell
    assert {unescape(k): v for k, v in bars.items()} == expected


def test_the_summary_page_and_its_audit_event(world):
    client = world["app"].test_client()
    sign_in(world["app"], client, world["coordinator"], world["clock"])
    page = client.get("/statistics/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "<canvas" not in html
    for word in ("Identification decisions per year", "Children and adults per year", "Types of exploitation",
                 "Referrals sent per year, by service", "Median days"):
        assert word in html
    assert "DEMO" not in html and "Fictitious" not in html
    with world["app"].app_context():
        assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.seq.desc())) == "statistics.summary"


@pytest.mark.parametrize("query", ["rows=name", "rows=sex&cols=sex", "rows=sex&cols=region&year=all",
                                   "rows=sex&year=abc", "rows=citizenship&cols=nationality",
                                   "rows=sex&year=1800", "rows=sex&year=2026", "rows=minor&cols=age_band"])
def test_a_bad_question_gets_a_clear_answer_not_a_500(world, query):
    client = world["app"].test_client()
    sign_in(world["app"], client, world["analyst"], world["clock"])
    page = client.get(f"/statistics/table?{query}")
    assert page.status_code == 200
    assert 'class="error"' in page.get_data(as_text=True) or "cannot be shown" in page.get_data(as_text=True)
    assert client.get(f"/statistics/table.csv?{query}").status_code == 400


def test_the_cli_table_is_the_json_the_issue_names(world):
    app = world["app"]
    result = app.test_cli_runner().invoke(args=["stats", "table", "--rows", "region", "--cols", "sex",
                                                "--year", "2024"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"k", "row_keys", "col_keys", "cells", "row_totals", "col_totals", "total", "withheld",
                         "year", "unit", "rounding_base"}
    assert data["k"] == 5 and len(data["cells"]) == len(data["row_keys"])
    assert len(data["cells"][0]) == len(data["col_keys"]) and data["year"] == "2024"
    assert data["withheld"] == sum(cell is None for row in data["cells"] for cell in row)
    as_csv = app.test_cli_runner().invoke(args=["stats", "table", "--rows", "year", "--format", "csv"])
    assert as_csv.exit_code == 0 and as_csv.output.splitlines()[0] == ",n"
    bad = app.test_cli_runner().invoke(args=["stats", "table", "--rows", "sex", "--cols", "region",
                                             "--year", "all"])
    assert bad.exit_code != 0 and "different dimensions" in bad.output and "2019" in bad.output


def test_the_statistics_follow_the_records_in_the_same_transaction(world):
    """A decision taken through the service layer moves the person's statistics row at once."""
    app = world["app"]
    with app.app_context():
        from nrm.models import Identification, User
        from nrm.services import referrals

        record = next(i for i in db.session.scalars(db.select(Identification).where(Identification.decided_at.is_(None)))
                      if db.session.get(StatPerson, stats.person_key(i.screening_id)) is not None)
        key = stats.person_key(record.screening_id)
        assert db.session.get(StatPerson, key).decision == "pending"
        coordinator = db.session.get(User, world["coordinator"].id)
        referrals.decide_identification(coordinator, record, "ActualVictimOfTrafficking", "Checked.")
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(StatPerson, key).decision == "ActualVictimOfTrafficking"


def test_a_person_who_refused_statistics_is_not_counted(world):
    refused = [sid for sid, (profile, _result) in _profiles(world["app"]).items()
               if profile.get("consent_statistics") is False]
    assert refused
    with world["app"].app_context():
        assert not db.session.scalar(db.select(db.func.count()).select_from(StatPerson).where(
            StatPerson.key.in_([stats.person_key(sid) for sid in refused])))


def test_an_erased_person_is_still_counted(world):
    """Erasure destroys the person's key (DOMAIN.md §8); the anonymous count stays (issue 3)."""
    from nrm.services import people

    app = world["app"]
    with app.app_context():
        app.config["STATS_K"], app.config["STATS_ROUNDING_BASE"] = 1, 1
        stats.forget()
        try:
            before = stats.table("region", "decision", 2024).as_json()
            screening_id = next(sid for sid, (profile, _r) in _profiles(app).items()
                                if profile["year"] == 2024 and db.session.get(StatPerson, stats.person_key(sid)))
            person = db.session.get(Screening, screening_id).person
            people.erase_person(None, person, "consent_withdrawn")
            db.session.commit()
            db.session.expire_all()
            stats.forget()
            assert db.session.get(Screening, screening_id).person.is_erased
            assert stats.table("region", "decision", 2024).as_json() == before
            # and a rebuild from the records keeps the erased person's anonymous row
            from nrm.services import screening as screenings

            stats.rebuild(screenings.statistics_profiles())
            db.session.commit()
            stats.forget()
            assert stats.table("region", "decision", 2024).as_json() == before
        finally:
            app.config["STATS_K"], app.config["STATS_ROUNDING_BASE"] = 5, 1
            stats.forget()


def test_the_same_seed_gives_the_same_people():
    first = list(core_demo.profiles(50, seed=3))
    again = list(core_demo.profiles(50, seed=3))
    other = list(core_demo.profiles(50, seed=4))
    assert first == again and first != other
    assert all(p.given_name.startswith("DEMO ") for p in first)
    ages = [p.age for p in core_demo.profiles(2000, seed=1) if p.age is not None]
    assert any(a < 18 for a in ages) and any(a >= 18 for a in ages)


@pytest.mark.parametrize("bulk", ["--no-bulk", "--bulk"])
def test_the_demo_data_command_shows_progress_and_is_refused_in_production(app, runner, bulk):
    with app.app_context():
        directory.seed()
        db.session.commit()
    result = runner.invoke(args=["demo-data", "--cases", "40", "--seed", "2", bulk])
    assert result.exit_code == 0, result.output
    assert "40 demo people" in result.output and "40/40" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Screening.id))) == 40
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output
    app.config["ENV"] = "production"
    refused = runner.invoke(args=["demo-data", "--cases", "5"])
    assert refused.exit_code != 0 and "production" in refused.output


def test_an_adult_who_refuses_is_not_referred_but_still_counted(app):
    """Issue 4, consent: no referral that needs the person's consent is sent; the screening's
    analytic columns still count them (the anonymous notification)."""
    from dataclasses import replace

    from nrm.services import demo as demo_service

    with app.app_context():
        directory.seed()
        db.session.commit()
        adult = next(p for p in core_demo.profiles(400, seed=11)
                     if p.age and p.age >= 18 and not p.age_uncertain and p.citizenship == "KG")
        adult = replace(adult, consent_services=False, consent_statistics=True, strength="strong")
        actors = demo_service.Actors()
        with demo_service._clock(app) as box:
            demo_service._one(actors, box, adult)
        db.session.commit()
        screening = db.session.scalar(db.select(Screening))
        profile = json.loads(screening.profile_json)
        assert screening.officer_result in stats.COUNTED_RESULTS and profile["consent_services"] is False
        referrals_made = list(db.session.scalars(db.select(Referral)))
        assert referrals_made and all(r.state == "proposed" for r in referrals_made if r.consent_gate == "services")
        assert {r.hold for r in referrals_made if r.consent_gate == "services"} == {"awaiting_consent"}
        counted = db.session.get(StatPerson, stats.person_key(screening.id))
        assert counted is not None and counted.minor == "adult" and counted.region == (profile["region"] or "unknown")
