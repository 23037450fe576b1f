"""The routing engine, table-driven: every rule R1–R8 and the combinations of DOMAIN.md §5, on a
small directory built here (so a test says exactly which organisations exist), plus the shipped
directory's region map and the `referrals route` command."""

import json

import pytest

from nrm.core import routing as rt
from sops.loader import ROOT, CatalogueInvalid
from sops.routing_loader import load_directory, load_routing

CLOCKS = {"acknowledgement_hours": 24, "acknowledgement_urgent_hours": 4, "acceptance_hours": 72,
          "consular_notification_hours": 24, "asylum_application_working_days": 10}
ROUTING = load_routing(ROOT / "routing.yaml")
NORTH = ("KG-GB", "KG-C", "KG-T", "KG-Y", "KG-N")
SOUTH = ("KG-GO", "KG-O", "KG-J", "KG-B")
ALL = NORTH + SOUTH


def org(code, kind, services, serves=(), **extra):
    return rt.Organisation(code=code, kind=kind, name={"en": code, "ru": code, "ky": code},
                           services=tuple(services), serves_regions=tuple(serves), **extra)


def directory(**overrides):
    entries = [
        org("mlssm", "mlssm_central", ["refugee_procedure"], ALL, region="KG-GB"),
        org("sezim", "crisis_centre", ["crisis_centre"], NORTH, region="KG-GB"),
        org("ak-jurok", "crisis_centre", ["crisis_centre"], SOUTH, region="KG-GO"),
        *[org(f"legal-{r}", "legal_aid_centre", ["legal_aid", "legal_aid_child_specialist"], (r,), region=r)
          for r in ALL],
        *[org(f"child-{r}", "mlssm_child_protection", ["child_protection"], (r,), region=r) for r in ALL],
        *[org(f"health-{r}", "health_facility", ["health"], (r,), region=r) for r in ALL],
        org("mfa", "mfa_consular_department", ["consular_mission", "kyrgyz_mission_abroad"], region="KG-GB"),
        org("mission-uz", "foreign_mission", ["consular_mission"], country="UZ", resident=True),
        org("mission-in-abroad", "foreign_mission", ["consular_mission"], country="IN", resident=False),
        org("mission-in", "foreign_mission", ["consular_mission"], country="IN", resident=True),
        org("kg-chancery-surgut", "kyrgyz_mission_abroad", ["kyrgyz_mission_abroad"], country="RU",
            post="chancery"),
        org("kg-embassy-ru", "kyrgyz_mission_abroad", ["kyrgyz_mission_abroad"], country="RU", post="embassy"),
        org("gpo", "prosecutor_office", ["law_enforcement"], ALL, region="KG-GB"),
        org("prosecutor-KG-O", "prosecutor_office", ["law_enforcement"], ("KG-O",), region="KG-O"),
    ]
    for code, changes in overrides.items():
        entries = [rt.Organisation(**{**e.__dict__, **changes}) if e.code == code else e for e in entries]
    return entries


def route(entries=None, **facts):
    base = {"result": "presumed_victim", "age": 30, "citizenship": "KG", "stay_region": "KG-GB",
            "consent": ["services", "consular"]}
    return rt.route(ROUTING, rt.facts_from_json({**base, **facts}), entries or directory(), CLOCKS)


def by_service(proposals):
    return {p.service: p for p in proposals}


def code(proposal):
    return proposal.organisation.code if proposal.organisation else None


# ------------------------------------------------------------------ one row per situation

CASES = [
    # (situation, facts, {service: (organisation, mandatory, hold)} expected exactly)
    ("Kyrgyz adult in Bishkek", {},
     {"legal_aid": ("legal-KG-GB", True, None), "crisis_centre": ("sezim", False, None),
      "law_enforcement": ("gpo", True, None)}),
    ("Kyrgyz adult in Osh region: regional prosecutor before the GPO", {"stay_region": "KG-O"},
     {"legal_aid": ("legal-KG-O", True, None), "crisis_centre": ("ak-jurok", False, None),
      "law_enforcement": ("prosecutor-KG-O", True, None)}),
    ("foreign adult (Uzbekistan) with a medical need",
     {"citizenship": "UZ", "needs": ["medical"], "stay_region": "KG-C"},
     {"consular_mission": ("mission-uz", True, None), "legal_aid": ("legal-KG-C", True, None),
      "crisis_centre": ("sezim", False, None), "health": ("health-KG-C", False, None),
      "law_enforcement": ("gpo", True, None)}),
    ("foreign child with fear of return",
     {"citizenship": "UZ", "age": 15, "fear_of_return": True, "stay_region": "KG-GO", "consent": []},
     {"consular_mission": ("mission-uz", True, "safety_check"),
      "child_protection": ("child-KG-GO", True, None),
      "legal_aid_child_specialist": ("legal-KG-GO", True, None),
      "crisis_centre": ("ak-jurok", False, None), "law_enforcement": ("gpo", True, None)}),
    ("foreign adult seeking asylum: refugee procedure first, consulate held",
     {"citizenship": "UZ", "asylum_wish": True},
     {"consular_mission": ("mission-uz", True, "safety_check"), "refugee_procedure": ("mlssm", True, None),
      "legal_aid": ("legal-KG-GB", True, None), "crisis_centre": ("sezim", False, None),
      "law_enforcement": ("gpo", True, None)}),
    ("stateless adult", {"citizenship": "stateless", "stay_region": "KG-T"},
     {"refugee_procedure": ("mlssm", True, None), "legal_aid": ("legal-KG-T", True, None),
      "crisis_centre": ("sezim", False, None), "law_enforcement": ("gpo", True, None)}),
    ("Kyrgyz citizen found in Russia: the embassy now, the rest on return",
     {"stay_region": "abroad", "found_abroad_country": "RU"},
     {"kyrgyz_mission_abroad": ("kg-embassy-ru", True, None), "legal_aid": ("legal-KG-GB", True, "on_return"),
      "crisis_centre": ("sezim", False, "on_return"), "law_enforcement": ("gpo", True, None)}),
    ("adult who has not consented: services wait, mandatory notifications do not",
     {"citizenship": "UZ", "consent": []},
     {"consular_mission": ("mission-uz", True, None), "legal_aid": ("legal-KG-GB", True, "awaiting_consent"),
      "crisis_centre": ("sezim", False, "awaiting_consent"), "law_enforcement": ("gpo", True, None)}),
    ("child without consent: protective referral is not consent-gated",
     {"age": 12, "consent": []},
     {"child_protection": ("child-KG-GB", True, None), "legal_aid_child_specialist": ("legal-KG-GB", True, None),
      "crisis_centre": ("sezim", False, None), "law_enforcement": ("gpo", True, None)}),
    ("age uncertain: presumed a child", {"age": None, "age_uncertain": True},
     {"child_protection": ("child-KG-GB", True, None), "legal_aid_child_specialist": ("legal-KG-GB", True, None),
      "crisis_centre": ("sezim", False, None), "law_enforcement": ("gpo", True, None)}),
    ("possible child (interview further): protection and a lawyer, not the rest",
     {"result": "possible", "age": 16},
     {"child_protection": ("child-KG-GB", True, None),
      "legal_aid_child_specialist": ("legal-KG-GB", True, None)}),
    ("possible child who needs a safe place to stay: shelter now, beside protection and a lawyer",
     {"result": "possible", "age": 16, "needs": ["shelter"], "consent": []},
     {"child_protection": ("child-KG-GB", True, None),
      "legal_aid_child_specialist": ("legal-KG-GB", True, None), "crisis_centre": ("sezim", False, None)}),
    ("possible child who needs food, in Osh region",
     {"result": "possible", "age": 9, "needs": ["food"], "stay_region": "KG-O"},
     {"child_protection": ("child-KG-O", True, None),
      "legal_aid_child_specialist": ("legal-KG-O", True, None), "crisis_centre": ("ak-jurok", False, None)}),
    ("possible adult who needs shelter: nothing yet (shelter for a possible adult waits)",
     {"result": "possible", "needs": ["shelter"]}, {}),
    ("possible adult: nothing yet", {"result": "possible"}, {}),
    ("no indicators: nothing", {"result": "no_indicators"}, {}),
    ("foreign national with no mission in the directory: through the MFA",
     {"citizenship": "PK"},
     {"consular_mission": ("mfa", True, None), "legal_aid": ("legal-KG-GB", True, None),
      "crisis_centre": ("sezim", False, None), "law_enforcement": ("gpo", True, None)}),
]


@pytest.mark.parametrize(("situation", "facts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_routing_table(situation, facts, expected):
    got = {p.service: (code(p), p.mandatory, p.hold) for p in route(**facts)}
    assert got == expected


@pytest.mark.parametrize("region", ALL)
def test_the_crisis_centre_follows_the_region_map(region):
    proposal = by_service(route(stay_region=region))["crisis_centre"]
    assert code(proposal) == ("sezim" if region in NORTH else "ak-jurok")
    assert proposal.note is None


def test_a_full_centre_sends_to_the_next_with_room_and_says_why():
    entries = directory(sezim={"capacity": 10, "occupied": 10})
    proposal = by_service(route(entries, stay_region="KG-C"))["crisis_centre"]
    assert code(proposal) == "ak-jurok" and proposal.note == "regional_full"


def test_when_every_centre_is_full_the_coordinator_places_the_person():
    entries = directory(sezim={"capacity": 1, "occupied": 1}, **{"ak-jurok": {"capacity": 2, "occupied": 5}})
    proposal = by_service(route(entries, stay_region="KG-C"))["crisis_centre"]
    assert proposal.organisation is None and proposal.hold == "no_organisation"
    assert proposal.note == "regional_full"


def test_a_centre_that_does_not_accept_the_profile_is_skipped():
    entries = directory(sezim={"accepts_sex": ("female",)})
    proposal = by_service(route(entries, stay_region="KG-GB", sex="male"))["crisis_centre"]
    assert code(proposal) == "ak-jurok" and proposal.note == "regional_profile"
    adult_only = directory(sezim={"min_age": 18})
    assert code(by_service(route(adult_only, age=14))["crisis_centre"]) == "ak-jurok"


def test_a_resident_mission_is_preferred_to_one_accredited_from_abroad():
    assert code(by_service(route(citizenship="IN"))["consular_mission"]) == "mission-in"


def test_the_embassy_is_preferred_to_a_chancery_in_the_same_country():
    proposal = by_service(route(stay_region="abroad", found_abroad_country="RU"))["kyrgyz_mission_abroad"]
    assert code(proposal) == "kg-embassy-ru"


def test_a_stateless_asylum_seeker_gets_one_refugee_referral_with_both_bases():
    proposals = [p for p in route(citizenship="stateless", asylum_wish=True) if p.service == "refugee_procedure"]
    assert len(proposals) == 1
    assert proposals[0].rules == ("R1", "R6")
    assert proposals[0].deadline_working_days == 10 and proposals[0].deadline_hours == 24


def test_legal_aid_records_every_category_that_applies():
    assert by_service(route())["legal_aid"].categories == (12,)
    assert by_service(route(citizenship="TJ"))["legal_aid"].categories == (11, 12)
    assert by_service(route(age=15))["legal_aid_child_specialist"].categories == (6, 12)
    unidentified = rt.route(ROUTING, rt.Facts(result="presumed_victim", age=30, citizenship="stateless",
                                              stay_region="KG-GB", consent=frozenset({"services"}),
                                              identity_established=False), directory(), CLOCKS)
    assert by_service(unidentified)["legal_aid"].categories == (11, 12, 13)


def test_the_asylum_clock_is_ten_working_days():
    proposal = by_service(route(citizenship="UZ", asylum_wish=True))["refugee_procedure"]
    assert proposal.deadline_working_days == 10 and proposal.deadline_hours == 14 * 24


def test_a_child_shelter_referral_runs_on_the_urgent_clock_and_carries_both_bases():
    proposal = by_service(route(age=14, needs=["shelter"]))["crisis_centre"]
    assert proposal.deadline_hours == CLOCKS["acknowledgement_urgent_hours"]
    assert len(proposal.basis) == 2       # the crisis-centre rule and the child's safe-place rule


def test_urgent_shelter_shortens_the_acknowledgement_clock():
    assert by_service(route(needs=["shelter"]))["crisis_centre"].deadline_hours == 4
    assert by_service(route())["crisis_centre"].deadline_hours == 24


def test_a_victim_recorded_as_a_suspect_carries_the_non_punishment_flag():
    assert by_service(route(suspect=True))["law_enforcement"].non_punishment is True
    assert by_service(route())["law_enforcement"].non_punishment is False


@pytest.mark.parametrize("citizenship", ["UZ", "TJ", "RU", "KZ", "IN", "PK", "CN", "TR"])
@pytest.mark.parametrize("fear", [False, True])
def test_a_foreign_victim_always_gets_a_mandatory_consular_referral(citizenship, fear):
    proposal = by_service(route(citizenship=citizenship, fear_of_return=fear, consent=[]))["consular_mission"]
    assert proposal.mandatory and proposal.organisation is not None
    assert proposal.hold == ("safety_check" if fear else None)


@pytest.mark.parametrize("age", [0, 9, 10, 17])
@pytest.mark.parametrize("region", ["KG-GB", "KG-B", "abroad"])
def test_a_child_always_gets_child_protection_and_a_child_specialist_lawyer(age, region):
    facts = {"age": age, "stay_region": region, "consent": []}
    if region == "abroad":
        facts["found_abroad_country"] = "KZ"
    services = by_service(route(**facts))
    assert services["child_protection"].mandatory and services["legal_aid_child_specialist"].mandatory
    assert "legal_aid" not in services


@pytest.mark.parametrize("citizenship", ["KG", "UZ", "stateless", None])
def test_every_presumed_victim_gets_legal_aid(citizenship):
    services = by_service(route(citizenship=citizenship, age=40))
    assert services["legal_aid"].mandatory
    assert 12 in services["legal_aid"].categories


def test_the_shipped_directory_routes_every_region_to_its_centre():
    entries = [rt.Organisation(code=e["code"], kind=e["kind"], name=e["name"], services=tuple(e["services"]),
                               serves_regions=tuple(e["serves_regions"]), region=e["region"],
                               country=e["country"], post=e["post"], resident=e["resident"])
               for e in load_directory(ROOT / "directory.yaml")]
    for region in ALL:
        services = by_service(route(entries, stay_region=region, citizenship="UZ", needs=["medical"]))
        assert code(services["crisis_centre"]) == ("sezim" if region in NORTH else "ak-jurok")
        assert services["legal_aid"].organisation.serves_regions == (region,)
        assert services["health"].organisation.serves_regions == (region,)
        assert code(services["consular_mission"]) == "mission-uz"


def test_the_shipped_directory_invents_no_contact_details():
    text = (ROOT / "directory.yaml").read_text(encoding="utf-8")
    for key in ("address:", "phone:", "email:", "capacity:", "http"):
        assert key not in text


# ------------------------------------------------------------------ the rules file is checked

def test_a_malformed_routing_rule_names_file_line_and_field(tmp_path):
    text = (ROOT / "routing.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "routing.yaml"
    broken.write_text(text.replace("service: consular_mission", "service: consulate", 1)
                      .replace("target: mission_of_citizenship", "target: wherever", 1), encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as raised:
        load_routing(broken)
    problems = [str(p) for p in raised.value.problems]
    line = text.splitlines().index("    service: consular_mission") + 1
    assert any(p.startswith(f"routing.yaml:{line}: rules[R1-consular].service") for p in problems)
    assert any("rules[R1-consular].target" in p and "wherever" in p for p in problems)


def test_a_directory_entry_with_an_unknown_key_or_bad_region_is_refused(tmp_path):
    path = tmp_path / "directory.yaml"
    path.write_text("directory: x\nversion: '1'\norganisations:\n  - code: a\n    kind: crisis_centre\n"
                    "    name: {en: A, ru: A, ky: A}\n    region: KG-XX\n    phone: '123'\n    source: x\n",
                    encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as raised:
        load_directory(path)
    problems = [str(p) for p in raised.value.problems]
    assert any("directory.yaml:7: organisations[a].region" in p for p in problems)
    assert any("directory.yaml:8: organisations[a].phone" in p for p in problems)


# ------------------------------------------------------------------ the command

def test_referrals_route_prints_one_list_per_object(runner):
    facts = [{"result": "presumed_victim", "age": 15, "citizenship": "UZ", "stay_region": "KG-GO",
              "found_abroad_country": None, "needs": ["medical", "shelter", "documents"], "asylum_wish": False,
              "fear_of_return": True, "consent": ["services", "consular"]},
             {"result": "no_indicators", "age": 30, "citizenship": "KG"}]
    result = runner.invoke(args=["referrals", "route", "-"], input=json.dumps(facts))
    assert result.exit_code == 0, result.output
    lists = json.loads(result.output)
    assert len(lists) == 2 and lists[1] == []
    first = {item["service"]: item for item in lists[0]}
    consular = first["consular_mission"]
    assert set(consular) >= {"service", "organisation", "mandatory", "basis", "deadline_hours", "hold"}
    assert consular["organisation"]["code"] == "mission-uz" and consular["organisation"]["name"]
    assert consular["mandatory"] is True and consular["hold"] == "safety_check"
    assert "Decision No. 493 of 19 September 2019" in consular["basis"]     # as a reader of law cites it
    assert "001_e617a7a12ec0d28b.txt:831" in consular["basis_source"]      # provenance, for reviewers
    assert first["child_protection"]["deadline_hours"] == 4
    assert first["crisis_centre"]["organisation"]["code"] == "ak-jurok"


def test_referrals_route_takes_a_single_object_and_names_bad_input(runner):
    one = runner.invoke(args=["referrals", "route", "-"],
                        input='{"result": "presumed_victim", "age": 40, "citizenship": "KG", "stay_region": "KG-Y"}')
    assert one.exit_code == 0 and isinstance(json.loads(one.output)[0], dict)
    bad = runner.invoke(args=["referrals", "route", "-"], input='{"result": "presumed_victim", "age": "old"}')
    assert bad.exit_code != 0 and "age" in bad.output
    unknown = runner.invoke(args=["referrals", "route", "-"], input='[{"result": "possible", "colour": 1}]')
    assert unknown.exit_code != 0 and "item 0" in unknown.output and "colour" in unknown.output
    broken = runner.invoke(args=["referrals", "route", "-"], input="{not json")
    assert broken.exit_code != 0 and "not valid JSON" in broken.output
