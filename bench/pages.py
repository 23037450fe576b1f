"""Every main page of every role over the 100,000-person demo database that the statistics section
builds (SQLite, in-process, one user): the cost of a page when the lists are long, against the
same application's trivial /health. The web section measures the same pages under concurrency on
a small database; this one shows that no page grows with the size of the records."""

from __future__ import annotations

import time

from bench.common import DATA, Result, app_on, ms, timed
from bench.loadtest import PAGES

PEOPLE = 100_000
ROLES = {  # role: (organisation code, organisation kind) of the reader
    "case_worker": ("sezim", None), "coordinator": ("mlssm", "mlssm_central"),
    "analyst": ("bench-gpo", "prosecutor_office"), "auditor": ("bench-omb", "ombudsman"),
}
MORE = {"coordinator": ["/review/directory"], "auditor": ["/audit/?outcome=ok"]}


def _database():
    from bench.stats import _database as build

    build(PEOPLE)
    return DATA / f"stats-{PEOPLE}.sqlite3"


def run() -> tuple[list[Result], list[str]]:
    from nrm.extensions import db
    from tests.conftest import make_user, sign_in

    app = app_on(_database())
    clock = app.config["CLOCK"]
    with app.app_context():         # a database built before an index was added gets it now
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                index.create(bind=db.engine, checkfirst=True)
    results, stamp = [], int(time.time())
    health = None
    for role, (code, kind) in ROLES.items():
        account = make_user(app, role, username=f"bench-{role.replace('_', '')}-{stamp}", org_code=code,
                            org_kind=kind)
        client = app.test_client()
        sign_in(app, client, account, clock)
        if health is None:
            health = timed(lambda c=client: c.get("/health"))
        for path in PAGES[role] + MORE.get(role, []):
            status = client.get(path).status_code
            assert status == 200, (role, path, status)
            seconds = timed(lambda c=client, p=path: c.get(p))
            results.append(Result("pages", f"{role}: {path}, {PEOPLE:,} people", ms(seconds),
                                  f"/health {ms(health)}", f"{seconds / health:,.0f}×", "< 300 ms",
                                  "yes" if seconds < 0.3 else "no"))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    notes = [f"pages: one signed-in user per role, in-process (Flask test client), SQLite, over the "
             f"{PEOPLE:,}-person demo database of the statistics section (its audit trail, referrals and "
             "cases included); lists show 100 rows a page and count at most 10,000."]
    return results, notes
