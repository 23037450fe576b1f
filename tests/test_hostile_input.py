"""Hostile input (issue 7): every form every role can reach, found by crawling the pages that role
sees, is filled with Hypothesis-generated hostile values — scripts, SQL, control characters,
right-to-left marks, huge strings, wrong types, malformed UTF-8 — and submitted. Never a 500,
never a database error on the page, never a script stored and shown back unescaped."""

import html
import os
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.test_access_matrix import world  # noqa: F401 - the module-scoped world of the matrix

SCRIPT = "<script>alert(1)</script>"
HOSTILE = st.one_of(
    st.sampled_from([
        SCRIPT, "\"><img src=x onerror=alert(1)>", "' OR '1'='1", "'; DROP TABLE person; --", "../../etc/passwd",
        "%00", "\x00", "\u202eevil", "{{ 7*7 }}", "${7*7}", "-1", "0", "99999999999999999999", "1e309", "NaN",
        "2026-02-30", "0000-00-00", "²", "١٢", "ЖЖЖ" * 400, "x" * 100_000, "", " ", "\r\n\r\n", "🙂" * 50, "null", "[]",
    ]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)
LEAKS = re.compile(r"Traceback|sqlalchemy|psycopg|sqlite3|OperationalError|IntegrityError|jinja2\.", re.I)
# CI: 8 fixed draws per form. A longer hunt: NRM_FUZZ_EXAMPLES=200 NRM_FUZZ_RANDOM=1 (docs/development.md)
FUZZ_EXAMPLES = int(os.environ.get("NRM_FUZZ_EXAMPLES", "8"))
FUZZ_RANDOM = bool(os.environ.get("NRM_FUZZ_RANDOM"))
SKIP_ACTIONS = ("/auth/logout",)          # would end the session the crawl runs in


class _Forms(HTMLParser):
    """Forms of a page: action, method and the names of their fields (with the choices offered)."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._current = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        if tag == "form":
            self._current = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                             "fields": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea") and attrs.get("name"):
            if attrs.get("type") in ("submit", "hidden") and attrs["name"] == "csrf_token":
                return
            self._current["fields"].setdefault(attrs["name"], [])
            if attrs.get("value") is not None:
                self._current["fields"][attrs["name"]].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _crawl(client, start=("/",), limit=40):
    """The pages a role reaches by following links from home, and the forms on them."""
    seen, queue, forms = set(), list(start), []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url.startswith(("/static", "/auth/logout")) or url.endswith((".pdf", ".csv")):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        queue += [link.split("#")[0] for link in parser.links if link.split("#")[0] not in seen]
        for form in parser.forms:
            form["page"] = url
            form["action"] = urljoin(url, form["action"] or url)
            if not form["action"].startswith(SKIP_ACTIONS):
                forms.append(form)
    return forms


def _csrf(client, page):
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(page).get_data(as_text=True))
    return match.group(1) if match else ""


@pytest.mark.parametrize("actor", ["officer", "coordinator", "analyst"])
def test_malformed_utf8_and_huge_query_strings_get_an_answer(world, actor):  # noqa: F811
    _app, clients, ids = world
    client = clients[actor]
    for url in ("/", "/screening/", "/review/?state=%ff%fe&region=%c3%28", "/statistics/table?rows=%ff",
                "/statistics/table?rows=region&cols=" + "x" * 20_000, f"/referrals/{ids['centre']}?lang=%ff",
                "/audit/?page=-1&date_from=%ff", "/review/?page=99999999999999999999"):
        response = client.get(url)
        assert response.status_code < 500, (actor, url[:80], response.status_code)
        assert not LEAKS.search(response.get_data(as_text=True))


def test_a_nul_byte_anywhere_in_a_form_is_refused_before_it_reaches_the_database(world):  # noqa: F811
    """PostgreSQL refuses NUL in text: in a repeated field's later value or in a field's name it
    must be a 400 too, never a database error."""
    _app, clients, _ids = world
    client = clients["coordinator"]
    page = re.search(r'href="(/review/directory/\d+)"', client.get("/review/directory").get_data(as_text=True)).group(1)
    token = _csrf(client, page)
    for data in ({"services": ["shelter", "x\x00y"]}, {"addr\x00ess": "a"}, {"email": "a@b.kg\x00"}):
        response = client.post(page, data={**data, "csrf_token": token})
        assert response.status_code == 400, data
        assert not LEAKS.search(response.get_data(as_text=True))


@pytest.mark.parametrize(("name", "content", "refused"), [
    ("scan.pdf", b"%PDF-1.4\n" + b"x" * 2000, False),
    ("../../../../etc/passwd.pdf", b"%PDF-1.4\n" + b"x" * 500, False),       # stored under its own id only
    ("photo.png", b"MZ\x90\x00" + b"x" * 500, True),                           # an executable called .png
    ("page.pdf", b"<html><script>alert(1)</script></html>", True),            # HTML called .pdf
    ("big.pdf", b"%PDF-1.4\n" + b"x" * (11 * 1024 * 1024), True),             # above ATTACHMENT_MAX_BYTES
    ("", b"", True),
])
def test_hostile_attachment_uploads(world, name, content, refused):  # noqa: F811
    import io

    from nrm.extensions import db
    from nrm.models import Attachment
    from nrm.services import cases
    from tests.conftest import csrf_from

    app, clients, ids = world
    client = clients["centre_worker"]
    page = client.get(f"/cases/{ids['case']}")
    assert page.status_code == 200
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Attachment.id)))
    response = client.post(f"/cases/{ids['case']}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "file-file": (io.BytesIO(content), name)})
    assert response.status_code in (302, 413, 422), response.status_code   # 422: the form again, with the error
    with app.app_context():
        after = list(db.session.scalars(db.select(Attachment).order_by(Attachment.uploaded_at)))
        assert len(after) == before + (0 if refused else 1), (name, response.status_code)
        if not refused:
            newest = max(after, key=lambda a: (a.uploaded_at, a.id not in {x.id for x in after[:before]}))
            path = cases.attachment_path(newest.id)
            assert path.parent == cases.attachment_path("x").parent and path.name == f"{newest.id}.sealed"
            assert "/" not in newest.filename and ".." not in newest.filename.replace("..pdf", "")
            assert content[20:60] not in path.read_bytes()


# the administrator last: its forms disable and reset the other accounts of the world
ROLES = ["officer", "centre_worker", "coordinator", "analyst", "auditor", "administrator"]


@pytest.mark.parametrize("actor", ROLES)
def test_every_form_survives_hostile_input(world, actor):  # noqa: F811 - the fixture imported above
    app, clients, _ids = world
    client = clients[actor]
    start = ["/"]
    if actor == "officer":        # drafts and referral proposals are reached from ids, not links
        start += [f"/screening/{_ids['draft']}/step/{step}" for step in (
            "safety", "person", "encounter", "police_context", "recruitment", "travel", "work_and_living",
            "control_and_coercion", "documents", "debts", "child", "exploitation", "needs", "consent")]
        start += [f"/screening/{_ids['draft']}/identity", f"/referrals/screening/{_ids['sid']}"]
    forms = _crawl(client, start)
    assert forms, f"{actor}: no form found to fuzz"
    token = _csrf(client, "/")

    # no shrinking: a failure names the form and the value as found, and a crawl stays bounded in time;
    # derandomised, so CI sees the same draws every run (a failure can be replayed, not a coin toss)
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=(Phase.explicit, Phase.generate), derandomize=not FUZZ_RANDOM)
    @given(data=st.data())
    def fuzz(data):
        for form in forms:
            values = {name: data.draw(st.one_of(HOSTILE, st.sampled_from(choices)) if choices else HOSTILE)
                      for name, choices in form["fields"].items()}
            try:
                if form["method"] == "get":
                    response = client.get(form["action"], query_string=values)
                else:
                    response = client.post(form["action"], data={**values, "csrf_token": token})
            except Exception as error:   # the test client re-raises what would have been a 500
                raise AssertionError(f"{actor}: {form['method'].upper()} {form['action']} → {error!r}") from error
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (actor, form["action"], response.status_code)
            # what the user typed comes back in the form, as it should (Hypothesis also draws string
            # constants of our own code, such as a file name): only what the server adds can leak
            echoed = body
            for value in sorted(values.values(), key=len, reverse=True):
                if value.strip():
                    echoed = echoed.replace(html.escape(value), "")
            leak = LEAKS.search(echoed)
            # on failure: the form, the status, the words around the leak and the values sent, so it can be replayed
            assert not leak, (actor, form["action"], response.status_code,
                              body[max(0, leak.start() - 200):leak.end() + 200] if leak else "",
                              {name: value[:80] for name, value in values.items()})
            assert SCRIPT not in body, (actor, form["action"], "a script came back unescaped")

    fuzz()
    # and nothing stored shows back unescaped on any page the role can see
    for page in {form["page"] for form in forms}:
        body = client.get(page).get_data(as_text=True)
        assert SCRIPT not in body and "<img src=x onerror" not in body, page





@pytest.mark.parametrize("value", ["²", "١٢", "12²", "0x1F", "1_000", " 7", "9" * 10])
def test_digits_that_are_not_ascii_digits_never_reach_int(world, value):  # noqa: F811
    """`"²".isdigit()` is true and `int("²")` raises: ids and page numbers from the URL or a form
    accept ASCII digits only."""
    from nrm.views_common import organisation_from, page_number

    app, _clients, _ids = world
    with app.test_request_context(f"/?page={value}"):
        assert organisation_from(value) is None
        assert page_number() == 1
