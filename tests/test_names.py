"""Words, not codes: country and language pickers and names (issue 13)."""

import re

import pycountry
import pytest

from nrm import names
from tests.conftest import post_form
from tests.test_screening import _start, _step

ISO_3166_1 = {c.alpha_2 for c in pycountry.countries}


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_every_country_and_every_language_has_a_name_in_each_locale(language):
    for code in ISO_3166_1:
        name = names.country_name(code, language)
        assert name and name != code, (language, code)
    for code, name in names.languages(language):
        assert name and name.casefold() != code, (language, code)
    assert names.language_name("dng", language) == {"ky": "Дунган тили", "ru": "Дунганский язык",
                                                    "en": "Dungan"}[language]


def test_the_country_picker_holds_iso_3166_1_only_with_the_region_first(app, client, login):
    login("screening_officer")
    post_form(client, "/language", {"language": "ru", "next": "/"}, page="/")
    sid, _ = _start(client, language="ru")
    _step(client, sid, "safety", {"in_immediate_danger": "no"})
    _step(client, sid, "person", {"citizenship_status": "foreign"})
    page = client.get(f"/screening/{sid}/step/person").get_data(as_text=True)
    select = re.search(r"<select[^>]*id=\"citizenship_country\".*?</select>", page, re.S).group(0)
    codes = re.findall(r'<option value="([^"]*)"', select)
    assert codes[0] == "" and set(codes[1:]) == ISO_3166_1 and len(codes[1:]) == len(ISO_3166_1)
    assert codes[1:10] == list(names.PRIORITY_COUNTRIES)
    for pseudo in ("Eurozone", "Еврозона", "Pseudo", "Внешняя Океания", "Outlying Oceania"):
        assert pseudo not in select
    assert ">Узбекистан<" in select and ">Кыргызстан<" in select


def test_a_kyrgyz_list_is_in_kyrgyz_alphabetical_order():
    _first, rest = names.countries("ky")
    ordered = [name for _code, name in rest]
    assert ordered == sorted(ordered, key=lambda n: names.collation_key(n, "ky"))
    # Ө sorts right after О, not after Я
    position = {name: i for i, name in enumerate(ordered)}
    assert position["Оман"] < position["Пакистан"]
