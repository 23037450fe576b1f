"""The exchange with a partner NRM (docs/exchange.md): sealing a referral (JWS ES256 nested in a JWE
ECDH-ES+A256KW/A256GCM), opening one, and a partner's inbox taking a package over HTTP — the two
instances of tests/test_exchange.py, each on its own SQLite database and keys, served on loopback."""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from bench.common import Result, ms, timed

PACKAGES = 60


def run() -> tuple[list[Result], list[str]]:
    import urllib.request

    from nrm.clock import now
    from nrm.extensions import db
    from nrm.models import Organisation
    from nrm.services import exchange
    from tests.test_exchange import Instance, start
    from tests.test_referrals import screen

    root = Path(tempfile.mkdtemp(prefix="nrm-bench-exchange-"))
    kg, kz = Instance(root / "kg", "KG-NRM-MLSSM", "KG"), Instance(root / "kz", "KZ-NRM", "KZ")
    kg.partner_id = kg.record_partner(kz, "KZ", "kz-nrm")
    kz.partner_id = kz.record_partner(kg, "KG", "kg-nrm")
    results = []
    try:
        transfer_id = start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
        with kg.ctx():
            from nrm.models import Transfer

            partner = db.session.get(Organisation, kg.partner_id)
            referral = exchange._content(db.session.get(Transfer, transfer_id))["referral"]

            def body():
                at = now()
                return {"nrmx": exchange.VERSION, "type": "referral", "message_id": uuid.uuid4().hex,
                        "exchange_id": "KG-NRM-MLSSM:" + uuid.uuid4().hex[:22], "from": "KG-NRM-MLSSM",
                        "to": "KZ-NRM", "sent_at": exchange._iso(at),
                        "valid_until": exchange._iso(at + timedelta(days=1)), "referral": referral}

            sample = body()
            seal = timed(lambda: exchange.seal(partner, sample), repeat=20)
            serialise = timed(lambda: json.dumps(sample, ensure_ascii=False, sort_keys=True), repeat=20)
            package = exchange.seal(partner, sample)
            packages = [exchange.seal(partner, body()) for _ in range(PACKAGES + 1)]
        results.append(Result("exchange", "seal a referral (sign, then encrypt to the partner)", ms(seal),
                              f"JSON alone {serialise * 1e6:.0f} µs", f"{seal / serialise:,.0f}×", "< 50 ms",
                              "yes" if seal < 0.05 else "no"))
        with kz.ctx():
            opened = timed(lambda: exchange.open_package(package), repeat=20)
        results.append(Result("exchange", "open a package (decrypt, verify, check the format)", ms(opened),
                              f"seal {ms(seal)}", f"{opened / seal:.2f}×", "< 50 ms",
                              "yes" if opened < 0.05 else "no"))

        def post(data: bytes, url: str, content_type: str | None):
            request = urllib.request.Request(url, data=data, method="POST" if data else "GET")  # noqa: S310
            if content_type:
                request.add_header("Content-Type", content_type)
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback only
                answer.read()

        health = kz.inbox.replace("/api/v1/exchange/inbox", "/health")
        baseline = timed(lambda: post(b"", health, None), repeat=20)
        queue = iter(packages)
        taken = timed(lambda: post(next(queue).encode(), kz.inbox, "application/jose"), repeat=PACKAGES)
        measure = "a partner's inbox takes a referral over HTTP (stored, receipt signed)"
        results.append(Result("exchange", measure, ms(taken),
                              f"/health {ms(baseline)}", f"{taken / baseline:,.0f}×", "< 300 ms",
                              "yes" if taken < 0.3 else "no"))
        with kz.ctx():
            stored = db.session.scalar(db.select(db.func.count()).select_from(Transfer))
        assert stored == PACKAGES + 1, stored     # every package taken once (the warm-up included)
    finally:
        kg.close()
        kz.close()
    return results, [f"exchange: P-256 keys, joserfc; {PACKAGES} distinct packages posted one after "
                     "another to a werkzeug server on 127.0.0.1 (threaded), SQLite; each is decrypted, "
                     "verified, checked against the format, checked for duplicates by blind index, "
                     "stored sealed, and answered with a signed receipt."]
