"""Names, never codes: countries and languages in ky, ru and en, in the order people here need them.

Countries are the ISO 3166-1 list (``pycountry``, the Debian iso-codes data) and nothing else — no
"Eurozone", "Outlying Oceania" or CLDR pseudo-regions — named from CLDR (Babel) in the user's
language. Kyrgyz names were checked against CLDR's ky locale, which covers all 249 codes; where the
Russian name used in the Kyrgyz Republic differs from CLDR's, ``COUNTRY_NAME_OVERRIDES`` says so.
The region's countries and the main destinations of labour migration come first
(``PRIORITY_COUNTRIES``), then the rest in alphabetical order of the user's language.

Interview languages are those of ``nrm/standards/languages.yaml`` (ISO 639 codes with their ky/ru/en
names, Dungan included, whose name CLDR lacks), in the order of that file.
"""

from functools import cache
from pathlib import Path

import pycountry
import yaml
from babel import Locale

# Kyrgyzstan, its neighbours and the main destinations of migrants from Kyrgyzstan.
PRIORITY_COUNTRIES = ("KG", "KZ", "RU", "UZ", "TJ", "CN", "TR", "KR", "AE")
# The name used in the Kyrgyz Republic's own Russian texts, where CLDR's differs.
COUNTRY_NAME_OVERRIDES = {
    "ru": {"KG": "Кыргызстан", "AE": "Объединённые Арабские Эмираты"},
}
LANGUAGES_FILE = Path(__file__).parent / "standards" / "languages.yaml"
# Alphabetical order as readers of each language expect it (Ң after Н, Ө after О, Ү after У in
# Kyrgyz; Ё after Е): code-point order would put those letters after Я.
ALPHABETS = {
    "ky": "абвгдеёжзийклмнңоөпрстуүфхцчшщъыьэюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
}


def collation_key(text: str, language: str):
    alphabet = ALPHABETS.get(language)
    folded = text.casefold()
    if not alphabet:
        return folded
    return tuple(alphabet.index(ch) if ch in alphabet else 100 + ord(ch) for ch in folded)


@cache
def country_codes() -> tuple[str, ...]:
    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


def is_country(code) -> bool:
    return isinstance(code, str) and code.upper() in country_codes()


def country_name(code: str | None, language: str) -> str:
    """The country's name in ``language``; a code that is not a country is returned as given."""
    if not code:
        return ""
    code = str(code).upper()
    override = COUNTRY_NAME_OVERRIDES.get(language, {}).get(code)
    if override:
        return override
    return Locale.parse(language).territories.get(code, code) if is_country(code) else code


@cache
def _sorted_countries(language: str) -> tuple[tuple[str, str], ...]:
    rest = [(code, country_name(code, language)) for code in country_codes()
            if code not in PRIORITY_COUNTRIES]
    return tuple(sorted(rest, key=lambda pair: collation_key(pair[1], language)))


def countries(language: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the priority countries in their order, every other country alphabetically), as (code, name)."""
    return [(c, country_name(c, language)) for c in PRIORITY_COUNTRIES], list(_sorted_countries(language))


@cache
def _languages() -> tuple[dict, ...]:
    data = yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8"))
    return tuple(data["languages"])


def language_codes() -> tuple[str, ...]:
    return tuple(entry["key"] for entry in _languages())


def language_iso639_2(code: str) -> str:
    """The ISO 639-2 (T) code of one of our interview languages, as HTCDS asks (prs_PrimaryLanguage);
    the code itself for one the standards file does not hold."""
    entry = next((e for e in _languages() if e["key"] == code), None)
    return (entry.get("iso639_2t") or entry.get("iso639_2b") or code) if entry else code


def language_from_iso639_2(code: str) -> str:
    """Our key for an ISO 639-2 code (B or T form), e.g. from a partner's package."""
    entry = next((e for e in _languages() if code in (e.get("iso639_2t"), e.get("iso639_2b"))), None)
    return entry["key"] if entry else code


def language_name(code: str | None, language: str) -> str:
    """The language's name in ``language`` (a capital first letter: it stands alone in lists)."""
    if not code:
        return ""
    entry = next((e for e in _languages() if e["key"] == code), None)
    name = entry["name"].get(language) or entry["name"]["en"] if entry else \
        Locale.parse(language).languages.get(code, code)
    return name[:1].upper() + name[1:]


def languages(language: str) -> list[tuple[str, str]]:
    """The interview languages as (code, name), in the order of the standards file."""
    return [(code, language_name(code, language)) for code in language_codes()]
