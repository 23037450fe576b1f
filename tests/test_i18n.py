"""Kyrgyz, Russian and English: catalogs complete, switch visible and remembered per user."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from nrm.extensions import db
from nrm.models import User
from tests.conftest import make_user, post_form, sign_in

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "nrm" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)\w")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _catalog(path):
    with path.open("rb") as handle:
        return read_po(handle)


def _source_messages() -> set[str]:
    method_map = [("nrm/**.py", "python"), ("forms/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _key(message_id):
    return message_id if isinstance(message_id, str) else message_id[0]


def test_the_template_catalog_matches_the_source():
    in_source = _source_messages()
    in_pot = {_key(m.id) for m in _catalog(TRANSLATIONS / "messages.pot") if m.id}
    missing, stale = in_source - in_pot, in_pot - in_source
    assert not missing and not stale, (
        f"run `make translations` and translate: missing {sorted(missing)[:5]}, stale {sorted(stale)[:5]}")


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_every_message_is_translated(language):
    pot_ids = {_key(m.id) for m in _catalog(TRANSLATIONS / "messages.pot") if m.id}
    catalog = _catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    translated = {_key(m.id): m for m in catalog if m.id}
    assert pot_ids <= set(translated), f"{language}: not in catalog {sorted(pot_ids - set(translated))[:5]}"
    for message_id in pot_ids:
        message = translated[message_id]
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        assert all(forms) and not message.fuzzy, f"{language}: untranslated {message_id!r}"
        for form in forms:     # a plural form carries the placeholders of the singular or the plural id
            assert any(set(PLACEHOLDER.findall(i)) == set(PLACEHOLDER.findall(form)) for i in ids), (
                f"{language}: placeholders differ in {message_id!r}")


@pytest.mark.parametrize(("language", "sign_in_word"), [("ky", "Кирүү"), ("ru", "Войти"), ("en", "Sign in")])
def test_the_sign_in_page_in_each_language(app, client, language, sign_in_word):
    response = post_form(client, "/language", {"language": language, "next": "/auth/login"},
                         page="/auth/login")
    assert response.headers["Location"] == "/auth/login"
    page = client.get("/auth/login").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert sign_in_word in page


def test_the_browser_language_is_used_before_any_choice(app, client):
    page = client.get("/auth/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ru">' in page


def test_the_choice_is_remembered_for_the_user(app, client, clock, login):
    account = login("case_worker")
    post_form(client, "/language", {"language": "ru", "next": "/"}, page="/")
    with app.app_context():
        assert db.session.get(User, account.id).language == "ru"
    other_browser = app.test_client()
    sign_in(app, other_browser, account, clock)
    page = other_browser.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in page and "Выйти" in page


def test_an_unknown_language_is_ignored(app, client):
    post_form(client, "/language", {"language": "xx", "next": "/auth/login"}, page="/auth/login")
    page = client.get("/auth/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_form_errors_come_in_the_users_language(app, client):
    make_user(app, "auditor", username="aud-ru")
    post_form(client, "/language", {"language": "ru", "next": "/auth/login"}, page="/auth/login")
    response = post_form(client, "/auth/login", {"username": "aud-ru", "password": "wrong one"})
    page = response.get_data(as_text=True)
    assert "Имя пользователя или пароль" in page or "неверн" in page.lower()
    assert 'value="aud-ru"' in page  # what was typed is kept


def test_kyrgyz_is_the_default_language(tmp_path):
    from nrm import create_app
    from tests.conftest import base_config

    config = base_config(tmp_path)
    del config["BABEL_DEFAULT_LOCALE"]
    app = create_app(config)
    page = app.test_client().get("/auth/login").get_data(as_text=True)
    assert '<html lang="ky">' in page and "Кирүү" in page
