"""The assessment engine against DOMAIN.md §4, vignette by vignette, and its properties."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrm.core.assessment import POSSIBLE, PRESUMED, RESULT_ORDER, UnknownIds, assess
from sops.loader import ROOT, load_catalogue

CRITERIA = load_catalogue(ROOT).criteria
N = "no_indicators"

# name, age, age_uncertain, facts, indicators, expected result, child?, positive dimensions
D1, D2, D3 = "deceptive_recruitment", "coercive_recruitment", "recruitment_abuse_of_vulnerability"
D4, D5, D6 = "exploitative_conditions", "coercion_at_destination", "abuse_of_vulnerability_at_destination"
VIGNETTES = [
    ("adult labour exploitation, construction abroad", 30, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_wages", "excessive_hours", "low_or_no_pay",
      "documents_confiscated", "threat_violence"], PRESUMED, False, {D1, D4, D5}),
    ("adult sexual exploitation", 22, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_travel_recruitment",
      "forced_prostitution_or_sexual_services", "bad_living_conditions", "wage_manipulation",
      "violence_against_person", "isolation_confinement_surveillance"], PRESUMED, False, {D1, D4, D5}),
    ("adult domestic servitude", 41, False, [],
     ["abuse_economic_situation", "abuse_lack_of_information", "general_context_of_vulnerability",
      "excessive_hours", "bad_living_conditions", "isolation_confinement_surveillance", "wages_withheld"],
     PRESUMED, False, {D3, D4, D5}),
    ("adult forced begging", 58, False, [],
     ["abuse_emotional_dependency", "abuse_family_situation", "abuse_economic_situation", "forced_begging",
      "low_or_no_pay", "bad_living_conditions", "dependency_on_exploiter", "economic_dependency",
      "difficulty_living_in_unknown_area"], PRESUMED, False, {D3, D4, D6}),
    ("adult forced criminality", 19, False, [],
     ["deceived_conditions_of_work", "deceived_wages", "deceived_education", "forced_criminal_activity",
      "very_bad_working_conditions", "hazardous_work", "threat_denunciation_to_authorities",
      "forced_to_lie_to_authorities", "threat_violence"], PRESUMED, False, {D1, D4, D5}),
    ("adult organ removal", 35, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_wages", "organ_removal", "bad_living_conditions",
      "isolation_confinement_surveillance", "violence_against_person"], PRESUMED, False, {D1, D4, D5}),
    ("adult forced marriage", 24, False, [],
     ["abduction_or_sale", "violence_at_recruitment", "excessive_hours", "bad_living_conditions",
      "isolation_confinement_surveillance", "violence_against_person"], PRESUMED, False, {D2, D4, D5}),
    ("adult debt bondage in agriculture", 33, False, [],
     ["debt_bondage_at_recruitment", "money_withheld_at_recruitment", "threat_violence_at_recruitment",
      "wage_manipulation", "low_or_no_pay", "very_bad_working_conditions", "debt_bondage", "wages_withheld"],
     PRESUMED, False, {D2, D4, D5}),
    ("adult means only through vulnerability at destination", 27, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_housing", "excessive_hours", "hazardous_work",
      "dependency_on_exploiter", "irregular_status_at_destination", "difficulties_in_the_past"],
     PRESUMED, False, {D1, D4, D6}),
    ("adult with every dimension positive", 45, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_contract", "violence_at_recruitment",
      "threat_violence_at_recruitment", "abuse_irregular_status", "abuse_economic_situation",
      "abuse_lack_of_information", "excessive_hours", "low_or_no_pay", "documents_confiscated",
      "debt_bondage", "dependency_on_exploiter", "economic_dependency", "family_situation_at_destination"],
     PRESUMED, False, {D1, D2, D3, D4, D5, D6}),
    ("migrant worker: poor conditions, no coercion", 28, False, [],
     ["excessive_hours", "low_or_no_pay", "no_social_protection", "labour_law_not_respected"],
     POSSIBLE, False, {D4}),
    ("migrant worker: low pay and no contract only", 31, False, [],
     ["low_or_no_pay", "no_social_protection"], POSSIBLE, False, set()),
    ("smuggled migrant: transported, irregular status, no exploitation", 25, False, ["transported"],
     ["abuse_irregular_status"], N, False, set()),
    ("only weak indicators", 38, False, [],
     ["general_context_of_vulnerability", "deceived_education", "difficulties_in_the_past",
      "threat_to_inform_family_or_community"], N, False, set()),
    ("nothing at all", 50, False, [], [], N, False, set()),
    ("one strong indicator alone", 29, False, [], ["documents_confiscated"], POSSIBLE, False, set()),
    ("two medium indicators in different dimensions", 29, False, [],
     ["deceived_wages", "wages_withheld"], POSSIBLE, False, set()),
    ("recruitment and exploitation, no coercion at destination", 26, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_wages", "excessive_hours", "low_or_no_pay"],
     POSSIBLE, False, {D1, D4}),
    ("exploitation and coercion, nothing known of recruitment", 36, False, [],
     ["excessive_hours", "low_or_no_pay", "documents_confiscated", "threat_violence"],
     POSSIBLE, False, {D4, D5}),
    ("weak recruitment indicator does not carry dimension 1", 30, False, [],
     ["deceived_education", "excessive_hours", "bad_living_conditions", "debt_bondage", "threat_violence"],
     POSSIBLE, False, {D4, D5}),
    ("one strong and one weak make a dimension positive", 30, False, [],
     ["deceived_nature_of_job_location_employer", "deceived_education", "excessive_hours",
      "bad_living_conditions", "documents_confiscated", "threat_to_inform_family_or_community"],
     PRESUMED, False, {D1, D4, D5}),
    ("two medium and one weak make a dimension positive", 30, False, [],
     ["deceived_wages", "deceived_housing", "deceived_education", "excessive_hours", "hazardous_work",
      "dependency_on_exploiter", "economic_dependency", "difficulties_in_the_past"],
     PRESUMED, False, {D1, D4, D6}),
    ("two medium alone do not make a dimension positive", 30, False, [],
     ["deceived_wages", "deceived_housing", "excessive_hours", "hazardous_work", "debt_bondage",
      "threat_violence"], POSSIBLE, False, {D4, D5}),
    ("child-only facts do not count for an adult", 30, False, ["child_sold_or_offered_for_sale"],
     [], N, False, set()),
    ("age 18 is an adult: act and exploitation are not enough", 18, False, ["recruited"],
     ["excessive_hours", "hazardous_work"], POSSIBLE, False, {D4}),
    # children: means are irrelevant
    ("child labour exploitation", 15, False, ["recruited"],
     ["excessive_hours", "hazardous_work"], PRESUMED, True, {D4}),
    ("age 17 is a child", 17, False, ["recruited"], ["excessive_hours", "hazardous_work"],
     PRESUMED, True, {D4}),
    ("child in the worst forms of child labour", 16, False, ["recruited", "child_in_worst_forms_of_labour"],
     [], PRESUMED, True, set()),
    ("sale of a newborn", 0, False, ["transferred", "child_sold_or_offered_for_sale"], [],
     PRESUMED, True, set()),
    ("child offered for sale at 12", 12, False, ["recruited", "child_sold_or_offered_for_sale"], [],
     PRESUMED, True, set()),
    ("child sexual exploitation", 16, False, ["harboured"],
     ["forced_prostitution_or_sexual_services", "bad_living_conditions", "wage_manipulation"],
     PRESUMED, True, {D4}),
    ("child forced begging (no schooling counts as medium)", 11, False, ["transported"],
     ["forced_begging", "no_access_to_education", "bad_living_conditions"], PRESUMED, True, {D4}),
    ("child domestic servitude", 14, False, ["received", "harboured"],
     ["excessive_hours", "bad_living_conditions"], PRESUMED, True, {D4}),
    ("child organ removal", 16, False, ["transported"], ["organ_removal", "hazardous_work"],
     PRESUMED, True, {D4}),
    ("child with means but no act known", 14, False, [],
     ["excessive_hours", "low_or_no_pay", "documents_confiscated"], POSSIBLE, True, {D4}),
    ("child recruited by deception: the act is implied", 15, False, [],
     ["deceived_nature_of_job_location_employer", "excessive_hours", "low_or_no_pay"], PRESUMED, True, {D4}),
    ("child recruited, no exploitation", 13, False, ["recruited"], ["deceived_education"], N, True, set()),
    ("child: act facts only", 10, False, ["transported", "received"], [], N, True, set()),
    ("child in worst forms of labour, no act known", 15, False, ["child_in_worst_forms_of_labour"], [],
     N, True, set()),
    ("child: begging and no school only", 9, False, [], ["forced_begging", "no_access_to_education"],
     POSSIBLE, True, set()),
    ("adult: the same begging and no school only", 19, False, [],
     ["forced_begging", "no_access_to_education"], N, False, set()),
    ("age unknown: presumed a child", None, False, ["recruited"], ["excessive_hours", "low_or_no_pay"],
     PRESUMED, True, {D4}),
    ("age stated but uncertain: presumed a child", 25, True, ["recruited"],
     ["excessive_hours", "low_or_no_pay"], PRESUMED, True, {D4}),
    ("age uncertain, nothing found", 20, True, [], [], N, True, set()),
]


@pytest.mark.parametrize(("name", "age", "uncertain", "facts", "indicators", "result", "child", "positive"),
                         VIGNETTES, ids=[v[0] for v in VIGNETTES])
def test_vignette(name, age, uncertain, facts, indicators, result, child, positive):
    outcome = assess(CRITERIA, age=age, age_uncertain=uncertain, facts=facts, indicators=indicators)
    assert outcome.result == result
    assert outcome.child is child
    assert {d for d, r in outcome.dimensions.items() if r.positive} == positive
    listed = {i for r in outcome.dimensions.values() for i in r.indicators}
    applicable = {i for i in indicators if CRITERIA.indicators[i].applies(child)}
    assert listed == applicable  # every indicator is shown under its dimension: the "why"


def test_there_are_at_least_forty_vignettes():
    assert len(VIGNETTES) >= 40


def test_elements_explain_the_result():
    outcome = assess(CRITERIA, age=30, indicators=VIGNETTES[0][4])
    assert outcome.elements == {"act": True, "means": True, "purpose": True}
    child = assess(CRITERIA, age=15, facts=["recruited"], indicators=["excessive_hours", "hazardous_work"])
    assert child.elements == {"act": True, "means": False, "purpose": True}


def test_unknown_ids_are_named():
    with pytest.raises(UnknownIds) as problem:
        assess(CRITERIA, age=30, facts=["teleported"], indicators=["excessive_hours", "bad_vibes"])
    assert problem.value.ids == ["bad_vibes", "teleported"]


def test_the_result_carries_the_catalogue_version():
    outcome = assess(CRITERIA, age=30)
    assert outcome.catalogue_version.startswith("2026.1-provisional+")
    assert outcome.to_json()["catalogue_version"] == outcome.catalogue_version


ALL_INDICATORS = sorted(CRITERIA.indicators)
ALL_FACTS = sorted(CRITERIA.facts)


@settings(max_examples=400, deadline=None)
@given(base=st.sets(st.sampled_from(ALL_INDICATORS)), extra=st.sets(st.sampled_from(ALL_INDICATORS)),
       facts=st.sets(st.sampled_from(ALL_FACTS)), more_facts=st.sets(st.sampled_from(ALL_FACTS)),
       age=st.one_of(st.none(), st.integers(0, 90)), uncertain=st.booleans())
def test_adding_indicators_or_facts_never_lowers_the_result(base, extra, facts, more_facts, age, uncertain):
    before = assess(CRITERIA, age=age, age_uncertain=uncertain, facts=facts, indicators=base)
    after = assess(CRITERIA, age=age, age_uncertain=uncertain, facts=facts | more_facts, indicators=base | extra)
    assert RESULT_ORDER[after.result] >= RESULT_ORDER[before.result]


@settings(max_examples=200, deadline=None)
@given(indicators=st.sets(st.sampled_from(ALL_INDICATORS)), facts=st.sets(st.sampled_from(ALL_FACTS)))
def test_an_adult_is_never_presumed_without_means_and_a_child_never_without_purpose(indicators, facts):
    adult = assess(CRITERIA, age=40, facts=facts, indicators=indicators)
    if adult.result == PRESUMED:
        assert adult.elements["means"] and adult.elements["purpose"]
    child = assess(CRITERIA, age=10, facts=facts, indicators=indicators)
    if child.result == PRESUMED:
        assert child.elements["act"] and child.elements["purpose"]


# ------------------------------------------------------------------ the CLI matches the engine

def test_the_cli_matches_the_engine_for_every_vignette(app, runner):
    batch = [{"age": v[1], "age_uncertain": v[2], "facts": v[3], "indicators": v[4]} for v in VIGNETTES]
    result = runner.invoke(args=["screening", "assess", "-"], input=json.dumps(batch))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert len(printed) == len(VIGNETTES)
    for case, output in zip(batch, printed, strict=True):
        assert output == assess(CRITERIA, **case).to_json()
    assert set(printed[0]) == {"result", "child", "dimensions", "elements", "catalogue_version"}


def test_the_cli_reads_a_single_object_from_a_file(app, runner, tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"age": 17, "age_uncertain": False, "facts": ["recruited"],
                                "indicators": ["excessive_hours", "hazardous_work"]}))
    result = runner.invoke(args=["screening", "assess", str(case)])
    assert result.exit_code == 0
    assert json.loads(result.output)["result"] == PRESUMED


@pytest.mark.parametrize(("payload", "message"), [
    ('{"age": 30, "indicators": ["excessive_hours", "made_up_id"]}', "made_up_id"),
    ('[{"age": 30}, {"facts": ["nope"]}]', "item 1: unknown indicator or fact ids: nope"),
    ('{"age": "thirty"}', "age must be a whole number"),
    ('{"age": 30, "indicators": "excessive_hours"}', "indicators must be a list"),
    ('{"age": 30, "colour": "red"}', "unknown keys"),
    ('{"age": 30,', "not valid JSON"),
])
def test_cli_errors_name_the_problem(app, runner, payload, message):
    result = runner.invoke(args=["screening", "assess", "-"], input=payload)
    assert result.exit_code != 0 and message in result.output
