"""Data that travels (issue 15): the `ctdc` and `public` export profiles against the HTCDS 2.0 and
CTDC code lists kept in nrm/standards, k-anonymity checked from the public file alone, the checker a
partner runs, and a person with several types of exploitation counted once."""

import csv
import json
import random
import re
import shutil
from collections import Counter

import pytest

from nrm import create_app
from nrm.extensions import db
from nrm.services import demo, directory, exports
from nrm.services import statistics as stats
from tests.conftest import FakeClock, base_config, drop_database

PEOPLE = 300


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    clock = FakeClock()
    app = create_app(base_config(tmp_path_factory.mktemp("exports"), CLOCK=clock))
    with app.app_context():
        db.drop_all()
        db.create_all()
        directory.seed()
        db.session.commit()
        demo.generate(PEOPLE, seed=15)
    yield app
    drop_database(app)


def _export(app, tmp_path, profile, *extra):
    target = tmp_path / f"{profile}.csv"
    result = app.test_cli_runner().invoke(args=["stats", "export", "--profile", profile, *extra, str(target)])
    return target, result


def _agreement(app):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["stats", "agreement", "list"]).output
    if "DSA-CTDC-1" not in listed:
        result = runner.invoke(args=["stats", "agreement", "add", "--reference", "DSA-CTDC-1",
                                     "--partner", "IOM CTDC", "--signed", "2026-01-10"])
        assert result.exit_code == 0, result.output


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_the_mapping_names_only_codes_of_the_standards():
    mapping = exports.standard("mapping")
    ctdc = {c["name"] for c in exports.ctdc_columns()}
    exploitation = set(exports.htcds_codes("exploitation_type"))
    for ours, target in mapping["exploitation"].items():
        assert target["htcds"] in exploitation, ours
        assert set(target["ctdc"]) <= ctdc, ours
    genders = set(exports.htcds_codes("gender"))
    ctdc_genders = set(next(c for c in exports.ctdc_columns() if c["name"] == "gender")["values"])
    for ours, target in mapping["gender"].items():
        assert target["htcds"] in genders and target["ctdc"] in ctdc_genders, ours
    control = set(exports.htcds_codes("methods_of_control"))
    for indicator, target in mapping["methods_of_control"].items():
        assert target["htcds"] in control and target["ctdc"] in ctdc, indicator
    relationship = set(exports.htcds_codes("relationship_to_trafficker"))
    method = set(exports.htcds_codes("recruitment_method"))
    for kind, target in mapping["recruiter"].items():
        assert target["relationship"] in relationship | {None} and target["method"] in method, kind
        assert target["ctdc"] in ctdc
    plans = set(exports.htcds_codes("support_plan_type"))
    assert set(mapping["needs"].values()) <= plans | {None}
    makers = set(exports.htcds_codes("trafficking_status_decision_maker"))
    assert set(mapping["decision_maker"].values()) <= makers
    # every screening option of exploitation and gender is mapped
    from sops.loader import load_catalogue

    catalogue = load_catalogue()
    for script in catalogue.scripts.values():
        for step in script.steps:
            for question in step.questions:
                if question.id == "exploitation_types":
                    assert {o.id for o in question.options} == set(mapping["exploitation"])
                if question.id == "sex":
                    assert {o.id for o in question.options} == set(mapping["gender"])
                if question.id == "needs":
                    assert {o.id for o in question.options} == set(mapping["needs"])


@pytest.mark.parametrize("profile", ["ctdc", "public"])
def test_every_exported_column_and_value_is_in_the_lists_kept_in_the_repository(world, tmp_path, profile):
    _agreement(world)
    target, result = _export(world, tmp_path, profile, *(["--agreement", "DSA-CTDC-1"] if profile == "ctdc" else []))
    assert result.exit_code == 0, result.output
    header, body = _rows(target)
    ctdc = {c["name"]: c for c in exports.ctdc_columns()}
    htcds_fields = {f for lst in exports.standard("htcds")["lists"].values() for f in lst.get("fields", [])}
    assert header == ([c["name"] for c in exports.ctdc_columns()] if profile == "ctdc"
                      else list(exports.PUBLIC_COLUMNS))
    for name in header:
        assert name in ctdc or name in htcds_fields, name
    assert body
    for row in body:
        for name, value in zip(header, row, strict=True):
            column = ctdc.get(name)
            if name == "vic_TraffickingStatus":
                assert value in exports.htcds_codes("trafficking_status")
            elif column["type"] == "flag":
                assert value in ("0", "1", "-99"), (name, value)
            elif column["type"] == "category":
                groups = exports.standard("mapping")["public_age_groups"].values() if (
                    profile == "public" and name == "ageBroad") else ()
                assert value in column["values"] or value in groups or value == "-99", (name, value)
            elif column["type"] == "iso3166_alpha2":
                assert value == "-99" or (len(value) == 2 and value.isupper()), (name, value)
            elif column["type"] == "year":
                assert value == "-99" or (value.isdigit() and len(value) == 4), (name, value)   # no range
    assert exports.validate(target)[1] == []
    sidecar = json.loads((tmp_path / f"{profile}.csv.json").read_text())
    assert sidecar["profile"] == profile and sidecar["rows"] == len(body)
    assert sidecar["standards"]["htcds"]["version"] == "2.0" and sidecar["years"]


def test_the_public_profile_keeps_most_values_and_is_k_anonymous_from_the_file_alone(world, tmp_path):
    target, result = _export(world, tmp_path, "public")
    assert result.exit_code == 0, result.output
    header, body = _rows(target)
    k = world.config["STATS_EXPORT_K"]
    # from the file alone: every combination of every column occurs at least k times
    assert min(Counter(tuple(row) for row in body).values()) >= k
    column = {name: i for i, name in enumerate(header)}
    for name in ("gender", "ageBroad", "citizenship", "typeOfExploitConcatenated", "vic_TraffickingStatus"):
        kept = sum(1 for row in body if row[column[name]] != "-99")
        assert kept > len(body) / 2, (name, kept, len(body))
    assert all(re.fullmatch(r"\d{4}|-99", row[column["yearOfRegistration"]]) for row in body)  # no ranges
    assert all(row[column["vic_TraffickingStatus"]] != "-99" for row in body)    # status never blanked
    sidecar = json.loads((tmp_path / "public.csv.json").read_text())
    assert sidecar["k"] == k and sidecar["rows"] == len(body) and "withheld" in sidecar
    assert len(body) + sidecar["withheld"] >= 0.8 * sidecar["rows"]          # little withheld


def test_a_ctdc_export_is_refused_without_an_agreement_in_force(world, tmp_path):
    target, result = _export(world, tmp_path, "ctdc", "--agreement", "NO-SUCH")
    assert result.exit_code != 0 and "agreement" in result.output and not target.exists()


def test_the_checker_names_line_and_column_of_each_fault(world, tmp_path):
    _agreement(world)
    target, result = _export(world, tmp_path, "ctdc", "--agreement", "DSA-CTDC-1")
    assert result.exit_code == 0, result.output
    assert world.test_cli_runner().invoke(args=["stats", "validate-export", str(target)]).exit_code == 0
    header, body = _rows(target)
    corrupted = tmp_path / "corrupted.csv"
    shutil.copy(tmp_path / "ctdc.csv.json", tmp_path / "corrupted.csv.json")
    bad = [list(row) for row in body]
    bad[1][header.index("citizenship")] = "XX"                 # not an ISO code
    bad[3][header.index("yearOfRegistration")] = "2022-2023"   # a range
    dropped = header.index("ageBroad")                          # a missing column
    with corrupted.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([h for i, h in enumerate(header) if i != dropped])
        writer.writerows([[v for i, v in enumerate(row) if i != dropped] for row in bad])
    result = world.test_cli_runner().invoke(args=["stats", "validate-export", str(corrupted)])
    assert result.exit_code != 0
    assert "line 1, column ageBroad: column missing" in result.output
    assert "line 3, column citizenship: 'XX' is not an ISO 3166-1 alpha-2 code" in result.output
    assert "line 5, column yearOfRegistration: '2022-2023' is not a year" in result.output
    # a partner runs the same check with nothing but the package
    from nrm.validate_export import main

    assert main([str(corrupted)]) == 1 and main([str(target)]) == 0


def test_a_person_with_two_types_of_exploitation_is_one_person_and_two_yes_columns():
    record = {"year": 2025, "agency": "police_unit", "encounter": "police_operation", "gender": "female",
              "age": 22, "child": False, "citizenship": "UZ", "exploitation": ["ForcedLabour", "SexualExploitation"],
              "exploitation_country": "RU", "indicators": ["debt_bondage", "documents_confiscated"],
              "recruiter": "friend_or_acquaintance", "status": "ActualVictimOfTrafficking", "case_status": None}
    row = exports.ctdc_row(record)
    assert row["isForcedLabour"] == "1" and row["isSexualExploit"] == "1" and row["isSexAndLabour"] == "1"
    assert row["isOtherExploit"] == "0" and row["ageBroad"] == "21--23" and row["gender"] == "Female"
    assert row["meansOfControlDebtBondage"] == "1" and row["meansOfControlWithholdsDocuments"] == "1"
    assert row["meansOfControlNotSpecified"] == "0" and row["recruiterRelationFriend"] == "1"
    fact = stats.person_fact({"year": 2025, "sex": "female", "age_band": "18-24", "minor": False,
                              "citizenship": "UZ", "exploitation_types": record["exploitation"]},
                             "presumed_victim")
    assert fact["exploitation"] == "Multiple"      # one person, one row, in every statistics table


def test_the_anonymiser_is_k_anonymous_for_any_k():
    rng = random.Random(3)
    for k in (3, 11, 25):
        rows = [{"a": rng.choice("xyz"), "b": rng.choice("pq"), "c": str(rng.randint(1, 9)),
                 "vic_TraffickingStatus": rng.choice(["ActualVictimOfTrafficking", "PossibleVictimOfTrafficking"])}
                for _ in range(400)]
        kept, _blanked, withheld = exports.anonymise(rows, k, ["c", "a", "b"])
        assert min(Counter(tuple(r.values()) for r in kept).values()) >= k
        assert len(kept) + withheld == 400


def test_a_screening_with_two_types_is_one_counted_person_and_two_yes_columns(app, login):
    """Through the real service layer: one screening, two types of exploitation."""
    from nrm.models import StatPerson
    from tests.test_referrals import screen

    with app.app_context():
        directory.seed()
        db.session.commit()
    officer = login("screening_officer")
    screen(app, officer.id, exploitation_types=["ForcedLabour", "SexualExploitation"])
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StatPerson)) == 1
        (record,) = exports.records()
        row = exports.ctdc_row(record)
    assert record["exploitation"] == ["ForcedLabour", "SexualExploitation"]
    assert (row["isForcedLabour"], row["isSexualExploit"], row["isSexAndLabour"]) == ("1", "1", "1")
    assert row["typeOfExploitConcatenated"] == "Forced labour and/or services;Sexual exploitation"
