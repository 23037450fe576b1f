"""Normalising identifiers for exact-match duplicate detection (pure).

The same passport is typed "AN 1234567", "an1234567" or — on a Russian keyboard — with the
Cyrillic letters А and Н; the same person is "Асанова Айгерим" in one screening and
"Aigerim ASANOVA" in the next. Normalisation maps all of these to one string, which the vault then
turns into a keyed HMAC (a blind index). Only exact matches are found, by design: fuzzy matching
would need the plaintext.
"""

import unicodedata
from datetime import date

# Cyrillic capitals that look like Latin ones on documents (passport series are Latin letters).
_HOMOGLYPHS = str.maketrans("АВЕКМНОРСТХУІ", "ABEKMHOPCTXYI")

# Transliteration for names: Russian and Kyrgyz Cyrillic to plain Latin, one convention only,
# so that a name written in either script meets itself.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "ng", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "і": "i", "ј": "j", "ғ": "g", "қ": "k", "ҳ": "h", "ұ": "u", "ә": "a", "һ": "h",
}
# Latin spellings that the same Cyrillic name commonly takes, folded to one form.
_LATIN_FOLDS = (("kh", "h"), ("dzh", "j"), ("zh", "j"), ("yu", "u"), ("ya", "a"), ("iy", "i"),
                ("ii", "i"), ("y", "i"), ("w", "v"), ("q", "k"), ("x", "h"))


def document_number(raw: str | None) -> str | None:
    """Upper-case, Latin letters for Cyrillic look-alikes, letters and digits only."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).upper().translate(_HOMOGLYPHS)
    kept = "".join(ch for ch in text if ch.isascii() and ch.isalnum())
    return kept or None


def _latin(word: str) -> str:
    word = "".join(_TRANSLIT.get(ch, ch) for ch in word)
    word = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    word = "".join(ch for ch in word if ch.isascii() and ch.isalpha())
    for long, short in _LATIN_FOLDS:
        word = word.replace(long, short)
    return word


def person_name(*parts: str | None) -> str | None:
    """Order-insensitive, script-insensitive, case-insensitive form of a full name."""
    words = []
    for part in parts:
        if part:
            text = unicodedata.normalize("NFKC", part).casefold().replace("-", " ").replace("'", " ")
            words.extend(w for w in (_latin(token) for token in text.split()) if w)
    return " ".join(sorted(words)) or None


def name_and_birth_date(given: str | None, family: str | None, born: date | None) -> str | None:
    name = person_name(given, family)
    if not name or born is None:
        return None
    return f"{name}|{born.isoformat()}"
