"""The catalogue validator: every kind of broken file fails, naming file, line and field."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nrm import create_app
from nrm.errors import StartupError
from sops.loader import ROOT, check
from tests.conftest import base_config

ORIGINAL = (ROOT / "criteria.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _broken(tmp_path, old, new, count=1):
    assert old in ORIGINAL, old
    folder = tmp_path / "sops"
    folder.mkdir()
    text = ORIGINAL.replace(old, new, count)
    (folder / "criteria.yaml").write_text(text, encoding="utf-8")
    return folder, text


def test_the_shipped_catalogue_is_valid():
    assert check(ROOT) == []


BREAKAGES = [
    ("unknown dimension of an indicator",
     "{id: excessive_hours, dimension: exploitative_conditions,",
     "{id: excessive_hours, dimension: exploitative_condition,",
     "{id: excessive_hours", "indicators[excessive_hours].dimension", "unknown dimension 'exploitative_condition'"),
    ("missing translation",
     'ru: "Долговая кабала", ', "", 'text: {en: "Debt bondage", ky:', "indicators[debt_bondage].text.ru",
     "translation is missing"),
    ("duplicate id",
     "{id: wages_withheld,", "{id: threat_violence,", "LAST {id: threat_violence,",
     "indicators[threat_violence].id", "duplicate id 'threat_violence'"),
    ("unknown fact in the child rule",
     "act_facts: [recruited,", "act_facts: [recruted,", "act_facts:",
     "rule.child_presumed.act_facts", "unknown fact 'recruted'"),
    ("unknown dimension in the adult rule",
     "- [exploitative_conditions]", "- [exploitation]", "- [exploitation]",
     "rule.adult_presumed", "unknown dimension 'exploitation'"),
    ("bad strength",
     "{id: hazardous_work, dimension: exploitative_conditions, strength: medium,",
     "{id: hazardous_work, dimension: exploitative_conditions, strength: huge,",
     "{id: hazardous_work", "indicators[hazardous_work].strength", "'huge' is not one of strong, medium, weak"),
    ("a canonical id renamed",
     "{id: deceived_wages,", "{id: deceived_pay,", "\nindicators:",
     "indicators", "canonical indicator 'deceived_wages' is missing"),
    ("bad count in a condition",
     "- {medium: 3}", "- {medium: three}", "- {medium: three}",
     "rule.dimension_positive.medium", "must be a whole number"),
]


@pytest.mark.parametrize(("what", "old", "new", "line_of", "field", "message"), BREAKAGES,
                         ids=[b[0] for b in BREAKAGES])
def test_each_kind_of_broken_file_is_named_by_line_and_field(tmp_path, what, old, new, line_of, field, message):
    folder, text = _broken(tmp_path, old, new)
    problems = check(folder)
    if line_of.startswith("LAST "):  # the second occurrence is the one reported
        needle = line_of[5:]
        expected_line = text[: text.rindex(needle)].count("\n") + 1
    else:
        expected_line = _line_of(text, line_of.lstrip("\n"))
    matching = [p for p in problems if p.field == field and message in p.message]
    assert matching, problems
    assert matching[0].file == "sops/criteria.yaml"
    assert matching[0].line == expected_line, (what, matching[0])


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    folder, text = _broken(tmp_path, "  - id: exploitative_conditions\n", "  - id: [exploitative_conditions\n")
    (problem,) = check(folder)
    assert problem.field == "(syntax)" and problem.line >= _line_of(text, "id: [exploitative")


def test_a_duplicate_yaml_key_is_reported(tmp_path):
    folder, text = _broken(tmp_path, 'version: "2026.1-provisional"', 'version: "2026.1-provisional"\nversion: "2"')
    problems = check(folder)
    assert any(p.field == "version" and p.message == "duplicate key" and p.line == _line_of(text, 'version: "2"')
               for p in problems)


def test_sops_check_command_passes_on_the_shipped_catalogue_and_fails_on_a_broken_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRM_")}
    env["NRM_INSTANCE_PATH"] = str(tmp_path / "no-keys-needed")
    ok = subprocess.run([sys.executable, "-m", "flask", "--app", "nrm", "sops", "check"], env=env,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    folder, _ = _broken(tmp_path, "{id: wages_withheld,", "{id: threat_violence,")
    bad = subprocess.run([sys.executable, "-m", "flask", "--app", "nrm", "sops", "check", str(folder)],
                         env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert re.search(r"sops/criteria\.yaml:\d+: indicators\[threat_violence\]\.id: duplicate id", bad.stderr)


def test_the_app_refuses_to_start_on_an_invalid_catalogue(tmp_path):
    folder, _ = _broken(tmp_path, 'ru: "Долговая кабала", ', "")
    with pytest.raises(StartupError) as problem:
        create_app(base_config(tmp_path, SOP_PATH=str(folder)))
    assert "indicators[debt_bondage].text.ru: translation is missing" in str(problem.value)
    assert "flask --app nrm sops check" in str(problem.value)


def test_changing_a_wording_changes_the_catalogue_version(tmp_path):
    from sops.loader import load_catalogue

    folder = tmp_path / "sops"
    shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    before = load_catalogue(folder).criteria
    text = (folder / "criteria.yaml").read_text(encoding="utf-8")
    (folder / "criteria.yaml").write_text(text.replace('en: "Debt bondage"', 'en: "Debt bondage (owed money)"'),
                                          encoding="utf-8")
    after = load_catalogue(folder).criteria
    assert before.catalogue_version != after.catalogue_version
    assert before.indicators["debt_bondage"].text["en"] == "Debt bondage"
    assert Path(folder / "criteria.yaml").exists()
