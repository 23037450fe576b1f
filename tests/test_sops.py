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


# ------------------------------------------------------------------ screening scripts

COMMON = (ROOT / "screening" / "common.yaml").read_text(encoding="utf-8")
CUSTOMS = (ROOT / "screening" / "customs.yaml").read_text(encoding="utf-8")


def _catalogue_with(tmp_path, common=COMMON, customs=CUSTOMS):
    folder = tmp_path / "sops"
    shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "screening" / "common.yaml").write_text(common, encoding="utf-8")
    (folder / "screening" / "customs.yaml").write_text(customs, encoding="utf-8")
    return folder


def _question_line(text, question_id):
    return _line_of(text, f"- id: {question_id}\n")


def test_show_if_on_a_later_question_is_named(tmp_path):
    broken = COMMON.replace("- id: age\n", "- id: age\n        show_if: {question: consent_services, equals: \"yes\"}\n", 1)
    problems = check(_catalogue_with(tmp_path, common=broken))
    hit = [p for p in problems if p.field == "steps[person].questions[age].show_if"]
    assert hit and "not an earlier question" in hit[0].message
    assert hit[0].file == "sops/screening/common.yaml" and hit[0].line == _question_line(broken, "age")


def test_an_unreachable_condition_is_named(tmp_path):
    old = "question: recruited\n          equals: \"yes\""
    assert old in COMMON
    broken = COMMON.replace(old, "question: recruited\n          equals: \"maybe\"", 1)
    problems = check(_catalogue_with(tmp_path, common=broken))
    assert any("unreachable: 'recruited' can never be 'maybe'" in p.message for p in problems), problems


def test_an_unknown_indicator_in_raises_is_named(tmp_path):
    broken = CUSTOMS.replace("documents_confiscated]", "documents_confiscated_forever]", 1)
    assert broken != CUSTOMS
    problems = check(_catalogue_with(tmp_path, customs=broken))
    assert any(p.file == "sops/screening/customs.yaml" and "unknown indicator or fact id 'documents_confiscated_forever'"
               in p.message for p in problems), problems


def test_a_missing_translation_in_a_script_is_named(tmp_path):
    match = re.search(r"\n(\s+)ky: .*\n", CUSTOMS)
    broken = CUSTOMS[: match.start()] + "\n" + CUSTOMS[match.end():]
    problems = check(_catalogue_with(tmp_path, customs=broken))
    assert any(p.file == "sops/screening/customs.yaml" and p.field.endswith(".ky")
               and p.message == "translation is missing" for p in problems), problems


def test_a_duplicate_question_and_a_missing_common_step_are_named(tmp_path):
    broken = CUSTOMS.replace("- id: ticket_bought_by_other\n", "- id: documents_held_by_companion\n", 1)
    broken = broken.replace("- use: debts", "- use: debtz", 1)
    problems = check(_catalogue_with(tmp_path, customs=broken))
    messages = " | ".join(p.message for p in problems)
    assert "duplicate question id 'documents_held_by_companion'" in messages
    assert "common.yaml has no step 'debtz'" in messages


# ------------------------------------------------------------------ authoring rules (issue 13)

def test_a_negatively_worded_question_without_its_declared_sense_is_refused(tmp_path):
    old = 'en: "Safe to talk here"'
    assert old in COMMON
    broken = COMMON.replace(old, 'en: "Not safe to talk here"', 1)
    problems = check(_catalogue_with(tmp_path, common=broken))
    hit = [p for p in problems if p.field == "steps[safety].questions[safe_to_talk_here].yes_means"]
    assert hit and "negative" in hit[0].message and hit[0].line == _question_line(broken, "safe_to_talk_here")
    # a question asked in the negative is caught as well, in Russian too
    old_ru = 'ru: "Вы чувствуете себя в безопасности, разговаривая со мной здесь, где нас никто не слышит?"'
    assert old_ru in COMMON
    broken = COMMON.replace(old_ru, 'ru: "Не боитесь ли вы говорить здесь?"', 1)
    problems = check(_catalogue_with(tmp_path / "ru", common=broken))
    assert any(p.field.endswith("safe_to_talk_here].yes_means") for p in problems)


def test_a_declared_sense_makes_the_negative_wording_acceptable(tmp_path):
    fixed = COMMON.replace('en: "Safe to talk here"', 'en: "Not safe to talk here"', 1).replace(
        "      - id: safe_to_talk_here\n        type: yes_no\n",
        "      - id: safe_to_talk_here\n        type: yes_no\n        yes_means:\n"
        "          en: \"Yes = it is not safe\"\n          ru: \"Да = небезопасно\"\n          ky: \"Ооба = коопсуз эмес\"\n", 1)
    assert check(_catalogue_with(tmp_path, common=fixed)) == []


@pytest.mark.parametrize("leak", ["see seeds/001_e617a7a12ec0d28b.txt:831", "DOMAIN.md §5", "rule R3 applies",
                                  "version 3f2a9c0b1d4e5f60"])
def test_an_internal_reference_in_a_users_text_is_refused(tmp_path, leak):
    old = 'en: "Safe to talk here"'
    problems = check(_catalogue_with(tmp_path, common=COMMON.replace(old, f'en: "Safe to talk here ({leak})"', 1)))
    assert any("no internal reference" in p.message and p.field.endswith("label.en") for p in problems), problems


def test_points_read_aloud_must_be_the_same_in_every_language(tmp_path):
    start = COMMON.index("    read_aloud:\n")
    ky = COMMON.index("      ky:\n", start)
    first_ky_point = COMMON.index("        - ", ky)
    broken = COMMON[:first_ky_point] + COMMON[COMMON.index("\n", first_ky_point) + 1:]
    problems = check(_catalogue_with(tmp_path, common=broken))
    assert any(p.field == "steps[consent].read_aloud" and "ky 6, ru 7, en 7" in p.message for p in problems), problems


def test_an_option_shown_only_on_a_condition_is_checked_like_a_question(tmp_path):
    broken = COMMON.replace("                - question: age\n                  below: 18\n",
                            "                - question: consent_services\n                  equals: \"yes\"\n", 1)
    problems = check(_catalogue_with(tmp_path, common=broken))
    assert any(".options[ChildLabour]" in p.field and "not an earlier question" in p.message for p in problems)


def test_a_stored_older_catalogue_still_loads_for_the_screenings_made_under_it():
    """A screening keeps the catalogue it was made under: text written before the authoring rules
    (a seed reference in a help text, emergency actions as one numbered text) must still load."""
    from sops.loader import load_snapshot

    common = COMMON.replace('en: "Safe to talk here"', 'en: "Safe to talk here (seeds/001_x.txt:12)"', 1)
    start = common.index("    emergency_actions:\n")
    end = common.index("    questions:\n", start)
    old_style = "    emergency_actions:\n" + "".join(
        f"      {lang}: |-\n        1. Call 102.\n        2. Stay with the person.\n" for lang in ("en", "ru", "ky"))
    common = common[:start] + old_style + common[end:]
    files = {"criteria.yaml": ORIGINAL, "screening/common.yaml": common, "screening/customs.yaml": CUSTOMS}
    catalogue = load_snapshot(files)
    safety = catalogue.scripts["customs"].steps[0]
    assert safety.emergency_actions["en"] == ("Call 102.", "Stay with the person.")
