"""`make loadtest`: 50 signed-in users of mixed roles for 60 s against gunicorn (PostgreSQL when
NRM_TEST_DATABASE_URL names one, as `make loadtest` arranges), loopback only. Passes when there
was no error, every screening a client saw submitted is in the database exactly once with its
referrals once each, and the audit chain verifies. Prints a table of what was done and how fast."""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections import defaultdict

from bench.common import DATA
from bench.server import Server, signed_in

ROLES = {"screening_officer": 20, "case_worker": 8, "coordinator": 8, "analyst": 8, "auditor": 6}
PAGES = {
    "case_worker": ["/", "/referrals/inbox", "/cases/", "/notifications"],
    "coordinator": ["/review/", "/review/identifications", "/review/cases", "/statistics/"],
    "analyst": ["/statistics/", "/statistics/table?rows=region&cols=sex",
                "/statistics/table.csv?rows=year&cols=decision",
                "/statistics/table?rows=service&cols=referral_outcome"],
    "auditor": ["/audit/", "/audit/?action=screening.submit"],
}


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = []
        self.submitted, self.sent = [], []

    def add(self, kind, status, elapsed, ok):
        with self.lock:
            self.times[kind].append(elapsed)
            if not ok:
                self.errors.append((kind, status))


def officer(client, account, until, rec):
    for draft in account.drafts:
        if time.monotonic() > until:
            return
        status, _t, e, _l = client.request("GET", f"/screening/{draft}/summary")
        rec.add("screening summary", status, e, status == 200)
        status, _t, e, location = client.request("POST", f"/screening/{draft}/summary",
                                                 {"agreement": "agree"})
        ok = status == 302 and location.endswith(f"/screening/{draft}")
        rec.add("screening submit", status, e, ok)
        if not ok:
            continue
        with rec.lock:
            rec.submitted.append(draft)
        status, _t, e, _l = client.request("GET", f"/screening/{draft}")
        rec.add("screening result", status, e, status == 200)
        status, _t, e, _l = client.request("GET", f"/referrals/screening/{draft}")
        rec.add("referral review", status, e, status == 200)
        status, _t, e, location = client.request("POST", f"/referrals/screening/{draft}/send")
        rec.add("referrals send", status, e, status == 302)
        if status == 302:
            with rec.lock:
                rec.sent.append(draft)


def reader(client, account, until, rec):
    pages = PAGES[account.role]
    n = 0
    while time.monotonic() < until:
        path = pages[n % len(pages)]
        status, _t, e, _l = client.request("GET", path)
        rec.add(f"{account.role}: {path.split('?')[0]}", status, e, status == 200)
        n += 1


def run(seconds: int = 60, drafts: int = 60) -> int:
    database_url = os.environ.get("NRM_TEST_DATABASE_URL")
    server = Server(DATA / "load", database_url=database_url, workers=4)
    print(f"preparing {sum(ROLES.values())} accounts and {ROLES['screening_officer'] * drafts} drafts "
          f"on {'PostgreSQL' if database_url else 'SQLite'} …", flush=True)
    accounts = server.prepare(ROLES, drafts_per_officer=drafts)
    server.start()
    rec = Recorder()
    try:
        clients = signed_in(server, accounts)
        print(f"{len(clients)} users signed in; {seconds} s of load …", flush=True)
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=officer if a.role == "screening_officer" else reader,
                                    args=(c, a, until, rec)) for c, a in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        memory = server.worker_memory_mib()
    finally:
        server.stop()
    problems = verify(server, rec)
    total = sum(len(v) for v in rec.times.values())
    print(f"\n{'request':<58} {'n':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, values in sorted(rec.times.items()):
        print(f"{kind:<58} {len(values):>6} {statistics.median(values) * 1000:>8.1f} "
              f"{percentile(values, 0.95) * 1000:>8.1f}")
    print(f"\n{total} requests in {seconds} s ({total / seconds:.0f}/s); errors: {len(rec.errors)}; "
          f"screenings submitted: {len(rec.submitted)}, referrals sent for {len(rec.sent)}; "
          f"worker memory: {', '.join(f'{m:.0f}' for m in memory)} MiB")
    for problem in problems + [f"error: {k} → {s}" for k, s in rec.errors[:20]]:
        print("FAIL", problem)
    return 1 if problems or rec.errors else 0


def verify(server, rec) -> list[str]:
    """Nothing lost, nothing twice, the chain intact — read back through the application."""
    from collections import Counter

    from nrm import create_app
    from nrm.extensions import db
    from nrm.models import Referral, Screening
    from nrm.security import audit

    problems = []
    app = create_app(server.config())
    with app.app_context():
        submitted = set(db.session.scalars(db.select(Screening.id).where(Screening.status == "submitted")))
        if submitted != set(rec.submitted):
            problems.append(f"submitted screenings: {len(submitted)} in the database, "
                            f"{len(rec.submitted)} acknowledged to clients")
        pairs = Counter(db.session.execute(db.select(Referral.screening_id, Referral.service)).all())
        twice = [pair for pair, n in pairs.items() if n > 1]
        if twice:
            problems.append(f"{len(twice)} referrals exist twice")
        missing = [s for s in rec.sent if not any(p[0] == s for p in pairs)]
        if missing:
            problems.append(f"{len(missing)} screenings sent without referrals")
        not_sent = db.session.scalar(db.select(db.func.count(Referral.id)).where(
            Referral.screening_id.in_(rec.sent), Referral.state == "proposed", Referral.hold.is_(None),
            Referral.organisation_id.is_not(None))) if rec.sent else 0
        if not_sent:
            problems.append(f"{not_sent} ready referrals were not sent")
        result = audit.verify()
        if not result.ok:
            problems.append(f"audit chain broken at event {result.broken_seq}")
        db.session.remove()
        db.engine.dispose()
    return problems


if __name__ == "__main__":
    sys.exit(run(int(os.environ.get("NRM_LOAD_SECONDS", "60"))))
