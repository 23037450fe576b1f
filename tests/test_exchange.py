"""The transnational exchange between two NRMs (docs/exchange.md): two instances of the app, each
with its own database and keys, served on loopback by real HTTP servers, exchange referrals both
ways — sent, received, held, accepted, closed, each message answered with a signed receipt. A
package twice is taken once; one changed byte, an unknown key or a package past its validity is
refused and leaves nothing; a referral to the country of origin of a person who fears return waits
for a second coordinator; nothing personal is readable on the wire or in a file."""

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from joserfc import jwe, jws
from joserfc.jwk import ECKey
from werkzeug.serving import make_server

from nrm import create_app
from nrm.extensions import db
from nrm.models import ExchangeMessage, Person, Transfer, User
from nrm.security.keys import b64decode
from nrm.services import directory, exchange, exports
from tests.conftest import (
    PLANTED_VALUES,
    FakeClock,
    assert_no_planted_values_in_audit,
    base_config,
    make_user,
    post_form,
    sign_in,
)
from tests.test_referrals import screen


class Instance:
    """One NRM: an app on its own SQLite database and keys, served on 127.0.0.1."""

    def __init__(self, root: Path, exchange_id: str, country: str):
        root.mkdir()
        self.clock = FakeClock()
        config = base_config(root, CLOCK=self.clock, EXCHANGE_ID=exchange_id, EXCHANGE_COUNTRY=country,
                             DATABASE_URL=f"sqlite:///{root / 'nrm.sqlite3'}")
        self.app = create_app(config)
        self.exchange_id = exchange_id
        with self.app.app_context():
            db.create_all()
            directory.seed()
            exchange.ensure_keys()
            db.session.commit()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.inbox = f"http://127.0.0.1:{self.server.server_port}/api/v1/exchange/inbox"
        self.officer = make_user(self.app, "screening_officer")
        self.coordinator = make_user(self.app, "coordinator")
        self.second = make_user(self.app, "coordinator", username="t-coordinator-2")

    def ctx(self):
        return self.app.app_context()

    def public_keys(self) -> dict:
        with self.ctx():
            return {k["use"]: k for k in exchange.public_keys()["keys"]}

    def record_partner(self, other: "Instance", country: str, code: str) -> int:
        keys = other.public_keys()
        with self.ctx():
            partner = exchange.add_partner(
                None, code=code, name={"en": f"NRM of {country}", "ru": f"НМП {country}", "ky": f"УКБМ {country}"},
                country=country, exchange_id=other.exchange_id, url=other.inbox,
                keys={use: (jwk, jwk["kid"]) for use, jwk in keys.items()},
                checked="read out by video call, 2026-03-01, both sides")
            db.session.commit()
            return partner.id

    def user(self, account):
        return db.session.get(User, account.id)

    def deliver(self) -> tuple[int, int]:
        with self.ctx():
            return exchange.deliver_due()

    def transfers(self) -> list[Transfer]:
        return list(db.session.scalars(db.select(Transfer).order_by(Transfer.created_at)))

    def close(self):
        self.server.shutdown()
        assert_no_planted_values_in_audit(self.app)
        with self.ctx():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def pair(tmp_path):
    """Kyrgyzstan's NRM and a partner (here Kazakhstan's), each knowing the other's checked keys."""
    kg = Instance(tmp_path / "kg", "KG-NRM-MLSSM", "KG")
    kz = Instance(tmp_path / "kz", "KZ-NRM", "KZ")
    kg.partner_id = kg.record_partner(kz, "KZ", "kz-nrm")
    kz.partner_id = kz.record_partner(kg, "KG", "kg-nrm")
    yield kg, kz
    kg.close()
    kz.close()


CONSENT = {"to_partner": True, "given_on": "2026-03-01", "method": "signed_form", "scope": "identity"}


def start(instance: Instance, screening_id: str, consent=CONSENT, agreement=None) -> str:
    from nrm.models import Organisation, Screening

    with instance.ctx():
        transfer = exchange.start_transfer(instance.user(instance.coordinator), db.session.get(Screening, screening_id),
                                           db.session.get(Organisation, instance.partner_id), consent, agreement)
        db.session.commit()
        return transfer.id


def only_transfer(instance: Instance) -> Transfer:
    rows = instance.transfers()
    assert len(rows) == 1, [t.state for t in rows]
    return rows[0]


def coordinator_client(instance: Instance, account):
    client = instance.app.test_client()
    sign_in(instance.app, client, account, instance.clock)
    return client


def test_a_referral_travels_both_ways_each_step_with_its_signed_receipt(pair):
    kg, kz = pair
    # Kyrgyzstan -> Kazakhstan: a Kazakh citizen identified in Bishkek, through the coordinator's page
    sid = screen(kg.app, kg.officer.id, citizenship_country="KZ")
    with kg.ctx():
        from nrm.models import Screening
        from nrm.services.referrals import reference_of

        reference = reference_of(db.session.get(Screening, sid))
    page = coordinator_client(kg, kg.coordinator)
    answer = post_form(page, "/review/exchange/new", {
        "reference": reference, "partner": str(kg.partner_id), "consent_to_partner": "y",
        "consent_on": "01.03.2026", "consent_method": "signed_form", "consent_scope": "identity"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert kg.deliver() == (1, 0)
    with kz.ctx():
        incoming = only_transfer(kz)
        assert (incoming.direction, incoming.state) == ("in", "held")
        facts = exchange.summary(incoming)
        assert facts["citizenship"] == "KZ" and facts["identity_sent"]
        assert facts["languages"] == ["uzb"]            # ISO 639-2, as HTCDS asks
        assert facts["exploitation"][0]["vic_TypeOfExploitation"] == "ForcedLabour"
        # needs and the assessment's indicators travel as HTCDS support plan types and methods of control
        assert "Health" in facts["support"] and facts["control"]
        assert set(facts["control"]) <= set(exports.htcds_codes("methods_of_control"))
    # the partner's coordinator opens it: we learn it is in a coordinator's hands
    coordinator_client(kz, kz.coordinator).get(f"/review/exchange/{only_transfer_id(kz)}")
    assert kz.deliver() == (1, 0)
    with kg.ctx():
        assert only_transfer(kg).state == "acknowledged"
    with kz.ctx():
        exchange.accept(kz.user(kz.coordinator), only_transfer(kz))
        db.session.commit()
    assert kz.deliver() == (1, 0)
    with kg.ctx():
        assert only_transfer(kg).state == "accepted"
    with kz.ctx():
        exchange.close(kz.user(kz.coordinator), only_transfer(kz))
        db.session.commit()
    assert kz.deliver() == (1, 0)
    with kg.ctx():
        assert only_transfer(kg).state == "closed"
    # the pages say it in words
    shown = page.get(f"/review/exchange/{only_transfer_id(kg)}").get_data(as_text=True)
    assert "Closed" in shown and "signed receipt received" in shown

    # Kazakhstan -> Kyrgyzstan: a Kyrgyz citizen identified in Almaty, taken up on our page
    back = screen(kz.app, kz.officer.id, citizenship_status="kyrgyz", found_abroad_country="KZ",
                  stay_region="abroad")
    start(kz, back)
    assert kz.deliver() == (1, 0)
    with kg.ctx():
        incoming = next(t for t in kg.transfers() if t.direction == "in")
        assert incoming.state == "held"
        incoming_id = incoming.id
    listing = page.get("/review/exchange").get_data(as_text=True)
    assert "Waiting for a coordinator" in listing and "from the partner" in listing
    # the coordinator is told, in words naming the partner, with a link that opens the referral
    told = page.get("/notifications").get_data(as_text=True)
    assert "A referral has arrived from another country" in told and "NRM of KZ" in told
    with kg.ctx():
        from nrm.models import Notification

        note = db.session.scalar(db.select(Notification).where(Notification.kind == "transfer_received"))
    assert page.get(f"/notifications/{note.id}").headers["Location"].endswith(f"/review/exchange/{incoming_id}")
    page.get(f"/review/exchange/{incoming_id}")
    page.get(f"/review/exchange/{incoming_id}")      # opened twice: acknowledged once
    assert kg.deliver() == (1, 0)
    with kz.ctx():
        assert next(t for t in kz.transfers() if t.direction == "out").state == "acknowledged"
    assert post_form(page, f"/review/exchange/{incoming_id}/accept",
                     page=f"/review/exchange/{incoming_id}").status_code == 302
    with kg.ctx():
        person_id = db.session.get(Transfer, incoming_id).person_id
        assert db.session.get(Person, person_id).family_name == "Testovamkhanova"
    assert kg.deliver() == (1, 0)
    assert post_form(page, f"/review/exchange/{incoming_id}/close",
                     page=f"/review/exchange/{incoming_id}").status_code == 302
    assert kg.deliver() == (1, 0)
    with kz.ctx():
        assert next(t for t in kz.transfers() if t.direction == "out").state == "closed"
    # every message of both sides was taken, and answered with a receipt signed by the other side
    from nrm.models import Organisation

    for side in (kg, kz):
        with side.ctx():
            sent = db.session.scalars(db.select(ExchangeMessage).where(ExchangeMessage.direction == "out")).all()
            assert len(sent) == 4 and all(m.delivered_at and m.receipt for m in sent)
            partner = db.session.get(Organisation, side.partner_id)
            for message in sent:
                assert exchange.check_receipt(partner, message.receipt, message.id)["result"] == "stored"


def only_transfer_id(instance: Instance) -> str:
    with instance.ctx():
        return only_transfer(instance).id


def _package(kg: Instance) -> str:
    with kg.ctx():
        return db.session.scalars(db.select(ExchangeMessage.package).where(
            ExchangeMessage.direction == "out")).first()


def _post(client, body: str, content_type="application/jose"):
    return client.post("/api/v1/exchange/inbox", data=body, content_type=content_type)


def _stored(kz: Instance) -> tuple[int, int]:
    with kz.ctx():
        return (db.session.scalar(db.select(db.func.count(Transfer.id))),
                db.session.scalar(db.select(db.func.count(ExchangeMessage.id))))


def test_the_same_package_twice_makes_one_referral_and_the_same_receipt(pair):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    package = _package(kg)
    inbox = kz.app.test_client()
    first, second = _post(inbox, package), _post(inbox, package)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert _stored(kz) == (1, 1)
    # the receipt was lost on the way: the outbox sends again, the partner answers "already received"
    assert kg.deliver() == (1, 0)
    assert _stored(kz) == (1, 1)


@pytest.mark.parametrize("change", ["header", "key", "ciphertext", "tag"])
def test_a_package_with_one_changed_byte_is_refused_and_nothing_is_stored(pair, change):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    parts = _package(kg).split(".")
    index = {"header": 0, "key": 1, "ciphertext": 3, "tag": 4}[change]
    segment = parts[index]
    middle = len(segment) // 2
    parts[index] = segment[:middle] + ("A" if segment[middle] != "A" else "B") + segment[middle + 1:]
    answer = _post(kz.app.test_client(), ".".join(parts))
    assert answer.status_code == 422
    assert answer.json["type"].rsplit("/", 1)[-1].startswith("exchange-")
    assert _stored(kz) == (0, 0)


def test_a_package_signed_by_an_unknown_key_is_refused(pair):
    kg, kz = pair
    rogue = ECKey.generate_key("P-256", private=True)
    body = {"nrmx": "1.0", "type": "referral", "message_id": "a" * 32, "exchange_id": "KG-NRM-MLSSM:" + "b" * 22,
            "from": "KG-NRM-MLSSM", "to": "KZ-NRM", "sent_at": "2026-03-02T09:00:00Z",
            "valid_until": "2026-03-10T09:00:00Z", "referral": {}}
    signed = jws.serialize_compact({"alg": "ES256", "kid": rogue.thumbprint()}, json.dumps(body), rogue,
                                   algorithms=["ES256"])
    enc = kz.public_keys()["enc"]
    package = jwe.encrypt_compact({"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": enc["kid"]}, signed,
                                  ECKey.import_key(enc), algorithms=["ECDH-ES+A256KW", "A256GCM"])
    answer = _post(kz.app.test_client(), package)
    assert answer.status_code == 422 and answer.json["type"].endswith("exchange-unknown_sender_key")
    assert _stored(kz) == (0, 0)


def test_a_package_past_its_validity_is_refused_with_a_clear_reason(pair):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    kz.clock.advance(days=15)
    answer = _post(kz.app.test_client(), _package(kg))
    assert answer.status_code == 422 and answer.json["type"].endswith("exchange-expired")
    assert "validity" in answer.json["detail"]
    assert _stored(kz) == (0, 0)
    # the outbox stops trying once the package is past its validity
    kg.clock.advance(days=15)
    assert kg.deliver() == (0, 1)
    with kg.ctx():
        message = db.session.scalars(db.select(ExchangeMessage)).one()
        assert message.next_attempt_at is None and "HTTP 422" in message.last_error


def test_garbage_and_wrong_content_types_are_refused_not_failed(pair):
    _kg, kz = pair
    inbox = kz.app.test_client()
    assert _post(inbox, "not a package").status_code == 422
    assert _post(inbox, "a.b.c.d.e").status_code == 422
    assert _post(inbox, "{}", content_type="application/json").status_code == 415
    assert _stored(kz) == (0, 0)


def test_to_the_country_of_origin_of_a_person_who_fears_return_it_waits_for_a_second_coordinator(pair):
    kg, kz = pair
    transfer_id = start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ", fear_of_return="yes"))
    with kg.ctx():
        held = db.session.get(Transfer, transfer_id)
        assert (held.state, held.reason) == ("held", "fear_of_return")
        assert db.session.scalar(db.select(db.func.count(ExchangeMessage.id))) == 0
    own = coordinator_client(kg, kg.coordinator)
    assert "another coordinator decides" in own.get(f"/review/exchange/{transfer_id}").get_data(as_text=True)
    post_form(own, f"/review/exchange/{transfer_id}/release", {"note": "assessed"},
              page=f"/review/exchange/{transfer_id}")
    with kg.ctx():
        assert db.session.get(Transfer, transfer_id).state == "held"
    second = coordinator_client(kg, kg.second)
    refused = post_form(second, f"/review/exchange/{transfer_id}/release", {"note": ""},
                        page=f"/review/exchange/{transfer_id}", follow_redirects=True)
    assert "Write the assessment" in refused.get_data(as_text=True)
    post_form(second, f"/review/exchange/{transfer_id}/release",
              {"note": "Risk assessed with the person and UNHCR: she asks to return; no threat known."},
              page=f"/review/exchange/{transfer_id}")
    with kg.ctx():
        assert db.session.get(Transfer, transfer_id).state == "sent"
    assert kg.deliver() == (1, 0)
    assert _stored(kz)[0] == 1


def test_without_consent_to_that_body_or_a_childs_agreement_nothing_is_sealed(pair):
    kg, _kz = pair
    sid = screen(kg.app, kg.officer.id, citizenship_country="KZ")
    child = screen(kg.app, kg.officer.id, citizenship_country="KZ", age=15)
    with kg.ctx():
        from nrm.models import Screening
        from nrm.services.referrals import reference_of

        references = {s: reference_of(db.session.get(Screening, s)) for s in (sid, child)}
    page = coordinator_client(kg, kg.coordinator)
    form = {"reference": references[sid], "partner": str(kg.partner_id), "consent_on": "01.03.2026",
            "consent_method": "signed_form", "consent_scope": "no_identity"}
    answer = post_form(page, "/review/exchange/new", form)
    assert answer.status_code == 200 and "Without this consent nothing is sent" in answer.get_data(as_text=True)
    assert references[sid] in answer.get_data(as_text=True)          # the answers are kept
    answer = post_form(page, "/review/exchange/new", {**form, "reference": references[child],
                                                       "consent_to_partner": "y"})
    assert "child protection authority" in answer.get_data(as_text=True)
    with kg.ctx():
        assert kg.transfers() == []
    answer = post_form(page, "/review/exchange/new", {
        **form, "reference": references[child], "consent_to_partner": "y",
        "child_agreement_reference": "Decision 14-07/233", "child_agreement_on": "28.02.2026"})
    assert answer.status_code == 302
    with kg.ctx():
        content = json.loads(only_transfer(kg).content_json)["referral"]
        assert content["child_protection_agreement"]["reference"] == "Decision 14-07/233"
        assert "family_name" not in content["person"]           # consent without identity


def test_a_person_found_not_to_be_a_victim_is_not_referred_abroad(pair):
    from nrm.models import Identification, Screening
    from nrm.services.referrals import reference_of

    kg, _kz = pair
    sid = screen(kg.app, kg.officer.id, citizenship_country="KZ")
    with kg.ctx():           # the coordinator's decision: not a victim
        db.session.scalar(db.select(Identification).where(Identification.screening_id == sid)).status = \
            "NotAVictimOfTrafficking"
        reference = reference_of(db.session.get(Screening, sid))
        db.session.commit()
    page = coordinator_client(kg, kg.coordinator)
    answer = post_form(page, "/review/exchange/new", {
        "reference": reference, "partner": str(kg.partner_id), "consent_to_partner": "y",
        "consent_on": "01.03.2026", "consent_method": "signed_form", "consent_scope": "identity"})
    assert answer.status_code == 200 and "Only a presumed or identified victim" in answer.get_data(as_text=True)
    with kg.ctx():
        assert kg.transfers() == []


def test_consent_withdrawn_asks_the_partner_to_erase_and_it_does(pair):
    kg, kz = pair
    transfer_id = start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    kg.deliver()
    with kz.ctx():
        exchange.accept(kz.user(kz.coordinator), only_transfer(kz))
        db.session.commit()
        person_id = only_transfer(kz).person_id
    with kg.ctx():
        exchange.withdraw_consent(kg.user(kg.coordinator), db.session.get(Transfer, transfer_id))
        db.session.commit()
    assert kg.deliver() == (1, 0)
    with kz.ctx():
        erased = only_transfer(kz)
        assert erased.state == "erased" and erased.is_erased and erased.content_json is None
        assert db.session.get(Person, person_id).is_erased


def test_the_outbox_retries_until_the_partner_answers_and_delivers_once(pair):
    kg, kz = pair
    with kg.ctx():
        from nrm.models import Organisation

        partner = db.session.get(Organisation, kg.partner_id)
        partner.exchange_url = "http://127.0.0.1:9/api/v1/exchange/inbox"     # nothing listens there
        db.session.commit()
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    assert kg.deliver() == (0, 1)
    assert kg.deliver() == (0, 0)                  # not due again before its pause
    kg.clock.advance(minutes=1)
    assert kg.deliver() == (0, 1)
    with kg.ctx():
        message = db.session.scalars(db.select(ExchangeMessage)).one()
        assert message.attempts == 2 and message.next_attempt_at - kg.clock() == timedelta(minutes=2)
        db.session.get(Organisation, kg.partner_id).exchange_url = kz.inbox
        db.session.commit()
    kg.clock.advance(minutes=2)
    assert kg.deliver() == (1, 0)
    assert kg.deliver() == (0, 0)
    assert _stored(kz) == (1, 1)


def test_a_package_carried_as_a_file_shows_no_personal_value_and_is_imported_on_the_other_side(pair, tmp_path):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    with kg.ctx():
        message_id = db.session.scalars(db.select(ExchangeMessage.id)).one()
    path, receipt = tmp_path / "package.jwe", tmp_path / "receipt.jws"
    out = kg.app.test_cli_runner().invoke(args=["exchange", "write", message_id, str(path)])
    assert out.exit_code == 0, out.output
    text = path.read_text()
    decoded = b"".join(b64decode(part) for part in text.strip().split("."))
    for value in PLANTED_VALUES + ("1994-05-01", "ForcedLabour", "KZ-NRM-MLSSM"):
        assert value not in text and value.encode() not in decoded
    assert json.loads(b64decode(text.split(".")[0])).keys() <= {"alg", "enc", "kid", "cty", "typ", "epk"}
    imported = kz.app.test_cli_runner().invoke(args=["exchange", "import", str(path), "--receipt", str(receipt)])
    assert imported.exit_code == 0 and "stored" in imported.output, imported.output
    again = kz.app.test_cli_runner().invoke(args=["exchange", "import", str(path), "--receipt",
                                                  str(tmp_path / "again.jws")])
    assert "already_received" in again.output
    taken = kg.app.test_cli_runner().invoke(args=["exchange", "receipt", str(receipt)])
    assert taken.exit_code == 0, taken.output
    with kg.ctx():
        assert db.session.get(ExchangeMessage, message_id).delivered_at is not None
    assert _stored(kz) == (1, 1)


def test_a_partner_key_is_recorded_only_with_the_fingerprint_checked(pair):
    kg, _kz = pair
    other = ECKey.generate_key("P-256", private=True)
    public = other.as_dict(private=False)
    with kg.ctx():
        from nrm.models import Organisation

        partner = db.session.get(Organisation, kg.partner_id)
        for jwk, given, code in ((public, "wrong", "fingerprint_mismatch"),
                                 (other.as_dict(private=True), other.thumbprint(), "not_a_public_key"),
                                 ({"kty": "oct", "k": "AAAA"}, "x", "not_a_public_key")):
            with pytest.raises(exchange.NotAllowed) as refused:
                exchange.add_partner_key(None, partner, "sig", jwk, given, "phone")
            assert refused.value.code == code


def _cli(instance: Instance, *args):
    result = instance.app.test_cli_runner().invoke(args=["exchange", *args])
    return result


def test_the_operator_records_partners_and_rotates_our_keys_on_the_command_line(pair, tmp_path):
    kg, kz = pair
    # a new partner's keys, recorded only with the fingerprints read out by another channel
    sig, enc = (ECKey.generate_key("P-256", private=True) for _ in range(2))
    for name, key in (("uz-sig.jwk", sig), ("uz-enc.jwk", enc)):
        (tmp_path / name).write_text(json.dumps(key.as_dict(private=False)))
    common = ["partner", "add", "--code", "uz-nrm", "--name-en", "NRM of Uzbekistan", "--country", "uz",
              "--exchange-id", "UZ-NRM", "--url", "https://nrm.example.uz/api/v1/exchange/inbox",
              "--sig", str(tmp_path / "uz-sig.jwk"), "--enc", str(tmp_path / "uz-enc.jwk"),
              "--checked", "video call 2026-03-01"]
    wrong = _cli(kg, *common, "--sig-fingerprint", enc.thumbprint(), "--enc-fingerprint", enc.thumbprint())
    assert wrong.exit_code != 0 and "fingerprint does not match" in wrong.output
    plain = _cli(kg, *[a if a != "https://nrm.example.uz/api/v1/exchange/inbox" else "http://nrm.example.uz/in"
                       for a in common], "--sig-fingerprint", sig.thumbprint(), "--enc-fingerprint", enc.thumbprint())
    assert plain.exit_code != 0
    right = _cli(kg, *common, "--sig-fingerprint", sig.thumbprint(), "--enc-fingerprint", enc.thumbprint())
    assert right.exit_code == 0, right.output
    listing = _cli(kg, "partner", "list").output
    assert "uz-nrm" in listing and sig.thumbprint() in listing and "video call 2026-03-01" in listing

    # rotation: what a partner sealed to the old key still opens, and the old key signs meanwhile
    old = {k["use"]: k["kid"] for k in json.loads(_cli(kg, "keys", "show").stdout)["keys"]}
    assert _cli(kg, "keys", "rotate").exit_code == 0
    shown = json.loads(_cli(kg, "keys", "show").stdout)["keys"]
    new = {k["use"]: k["kid"] for k in shown if k["kid"] not in old.values()}
    assert set(new) == {"sig", "enc"}
    start(kz, screen(kz.app, kz.officer.id, citizenship_status="kyrgyz", found_abroad_country="KZ",
                     stay_region="abroad"))
    assert kz.deliver() == (1, 0)             # sealed to our old encryption key, receipt by our old key
    with kg.ctx():
        incoming = next(t for t in kg.transfers() if t.direction == "in")
        incoming_id = incoming.id
        exchange.acknowledge(kg.user(kg.coordinator), incoming)
        db.session.commit()
    assert kg.deliver() == (1, 0)
    # the newest key of a use cannot be retired; once the old signing key is, the new one signs, and the
    # partner refuses it until it records it — the outbox retries meanwhile
    assert _cli(kg, "keys", "retire", new["sig"]).exit_code != 0
    assert "No such key" in _cli(kg, "keys", "retire", "-a-kid-may-begin-with-a-hyphen").output
    assert _cli(kg, "keys", "retire", old["sig"]).exit_code == 0
    with kg.ctx():
        exchange.accept(kg.user(kg.coordinator), db.session.get(Transfer, incoming_id))
        db.session.commit()
    assert kg.deliver() == (0, 1)
    with kg.ctx():
        assert "unknown_sender_key" in db.session.scalars(db.select(ExchangeMessage.last_error).where(
            ExchangeMessage.delivered_at.is_(None))).one()
    for use in ("sig", "enc"):
        jwk = next(k for k in shown if k["kid"] == new[use])
        (tmp_path / f"kg-{use}.jwk").write_text(json.dumps(jwk))
        recorded = _cli(kz, "partner", "key", "kg-nrm", "--use", use, "--jwk", str(tmp_path / f"kg-{use}.jwk"),
                        "--fingerprint", new[use], "--checked", "letter through the embassy")
        assert recorded.exit_code == 0, recorded.output
    kg.clock.advance(minutes=2)
    assert kg.deliver() == (1, 0)
    # the partner now seals to the new key; the old one retired, nothing of ours needs it
    assert _cli(kg, "keys", "retire", old["enc"]).exit_code == 0
    assert {k["kid"] for k in json.loads(_cli(kg, "keys", "show").stdout)["keys"]} == set(new.values())
    with kz.ctx():
        exchange.close(kz.user(kz.coordinator), next(t for t in kz.transfers() if t.direction == "out"))
        db.session.commit()
    assert kz.deliver() == (1, 0)
    assert "stopped" not in _cli(kg, "outbox").output


def _sealed_by(kg: Instance, body: dict) -> str:
    """A package kg signs and seals to its partner, whatever its content."""
    from nrm.models import Organisation

    with kg.ctx():
        return exchange.seal(db.session.get(Organisation, kg.partner_id), body)


def _referral_body(kg: Instance, **changes) -> dict:
    """What kg's outbox holds for its first referral, decrypted (as the partner reads it)."""
    with kg.ctx():
        transfer = next(t for t in kg.transfers() if t.direction == "out")
        referral = json.loads(json.dumps(exchange._content(transfer)["referral"]))
        from nrm.clock import now

        at = now()
    body = {"nrmx": "1.0", "type": "referral", "message_id": "c" * 32, "exchange_id": "KG-NRM-MLSSM:" + "d" * 22,
            "from": "KG-NRM-MLSSM", "to": "KZ-NRM", "sent_at": exchange._iso(at),
            "valid_until": exchange._iso(at + timedelta(days=1)), "referral": referral}
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value
    return body


@pytest.mark.parametrize(("path", "value", "named"), [
    ("referral__person__prs_Gender", "Female", "referral.person.prs_Gender"),
    ("referral__exploitation__0__vic_TypeOfExploitation", "Multiple", "referral.exploitation.0.vic_TypeOfExploitation"),
    ("referral__exploitation__0__country", "Central Asia", "referral.exploitation.0.country"),
    ("referral__person__birth_date", "1 May 1994", "referral.person.birth_date"),
    ("referral__person__family_name", "x" * 101, "referral.person.family_name"),
    ("referral__consent__method", "nodded", "referral.consent.method"),
    ("referral__vic_TraffickingStatus", None, "referral.vic_TraffickingStatus"),
])
def test_a_referral_outside_the_format_is_refused_naming_the_field_and_nothing_is_stored(pair, path, value, named):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    answer = _post(kz.app.test_client(), _sealed_by(kg, _referral_body(kg, **{path: value})))
    assert answer.status_code == 422 and answer.json["type"].endswith("exchange-malformed")
    assert answer.json["detail"].startswith(named), answer.json["detail"]
    assert _stored(kz) == (0, 0)


def test_what_a_later_version_adds_is_read_past_and_not_kept(pair):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    body = _referral_body(kg, nrmx="1.3", referral__person__favourite_colour="green")
    body["referral"]["case_notes"] = "a field of version 1.3"
    assert _post(kz.app.test_client(), _sealed_by(kg, body)).status_code == 200
    with kz.ctx():
        kept = json.dumps(exchange._content(only_transfer(kz)))
    assert "favourite_colour" not in kept and "case_notes" not in kept and "ForcedLabour" in kept
    answer = _post(kz.app.test_client(), _sealed_by(kg, {**_referral_body(kg), "nrmx": "2.0",
                                                         "message_id": "e" * 32}))
    assert answer.json["type"].endswith("exchange-unsupported_version")


def test_every_message_we_send_validates_against_the_schemas_the_api_document_publishes(pair):
    """A partner validates with the JSON Schemas in /api/v1/openapi.json: what we send passes them."""
    import jsonschema_rs

    kg, kz = pair
    components = kg.app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]

    def validator(name):
        return jsonschema_rs.Draft202012Validator(
            {"$ref": f"#/$defs/{name}", "$defs": json.loads(json.dumps(components).replace(
                "#/components/schemas/", "#/$defs/"))})

    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    assert kg.deliver() == (1, 0)
    with kz.ctx():
        exchange.decline(kz.user(kz.coordinator), only_transfer(kz), "insufficient_information", "no address")
        db.session.commit()
    assert kz.deliver() == (2, 0)                    # acknowledged, then declined
    seen = []
    for sender, receiver in ((kg, kz), (kz, kg)):
        with sender.ctx():
            packages = db.session.scalars(db.select(ExchangeMessage).where(ExchangeMessage.direction == "out"))
            packages = [(m.package, m.receipt) for m in packages]
        with receiver.ctx():
            for package, receipt in packages:
                key = exchange.decryption_key(exchange._header(package.split(".")[0])["kid"])
                inner = jwe.decrypt_compact(package, key, algorithms=["ECDH-ES+A256KW", "A256GCM"])
                body = json.loads(b64decode(inner.plaintext.decode().split(".")[1]))
                name = {"referral": "ExchangeReferralMessage", "status": "ExchangeStatusMessage"}[body["type"]]
                validator(name).validate(body)
                validator("ExchangeReceipt").validate(json.loads(b64decode(receipt.split(".")[1])))
                seen.append(body["type"])
    assert sorted(seen) == ["referral", "status", "status"]
    broken = {**body, "status": {"code": "maybe"}}
    assert not validator("ExchangeStatusMessage").is_valid(broken)


def test_any_one_changed_character_anywhere_in_a_package_is_refused_and_leaves_nothing(pair):
    """Property: whichever character of the package is changed, and to whatever, it is refused —
    never taken, never a 500 — and nothing is stored."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    package = _package(kg)
    inbox = kz.app.test_client()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.integers(0, len(package) - 1), st.sampled_from(alphabet))
    def changed(position, character):
        if package[position] == character:
            return
        answer = _post(inbox, package[:position] + character + package[position + 1:])
        assert answer.status_code == 422, (position, answer.status_code)
        assert answer.json["type"].rsplit("/", 1)[-1].startswith("exchange-")

    changed()
    assert _stored(kz) == (0, 0)


# ------------------------------------------------------------------ what a security review found

def test_consent_withdrawn_erases_what_came_in_whatever_its_state_and_no_copy_remains(pair):
    kg, kz = pair
    for _ in range(2):
        start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    assert kg.deliver() == (2, 0)
    with kz.ctx():
        first, second = [t for t in kz.transfers() if t.direction == "in"]
        exchange.accept(kz.user(kz.coordinator), first)
        exchange.close(kz.user(kz.coordinator), first)
        exchange.decline(kz.user(kz.coordinator), second, "not_our_national", "")
        db.session.commit()
        # declined: the identity is not kept; and the packages themselves were never kept
        assert "Testovamkhanova" not in json.dumps(exchange._content(second))
        assert all(p.startswith("sha256:") for p in db.session.scalars(
            db.select(ExchangeMessage.package).where(ExchangeMessage.direction == "in")))
        person_id = first.person_id
    with kg.ctx():
        for transfer in kg.transfers():
            exchange.withdraw_consent(kg.user(kg.coordinator), transfer)
        db.session.commit()
    kz.deliver()
    assert kg.deliver() == (2, 0)
    with kz.ctx():
        assert {t.state for t in kz.transfers()} == {"erased"}
        assert all(t.is_erased for t in kz.transfers())
        assert db.session.get(Person, person_id).is_erased


def test_erasing_the_person_made_from_a_referral_shreds_the_referral_too(pair):
    from nrm.services import people

    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    kg.deliver()
    with kz.ctx():
        incoming = only_transfer(kz)
        exchange.accept(kz.user(kz.coordinator), incoming)
        people.erase_person(None, db.session.get(Person, incoming.person_id), "court_order")
        db.session.commit()
        assert only_transfer(kz).is_erased and exchange.summary(only_transfer(kz)) == {}


def test_withdrawing_consent_before_delivery_stops_the_referral(pair, tmp_path):
    from nrm.models import Organisation

    kg, kz = pair
    with kg.ctx():
        db.session.get(Organisation, kg.partner_id).exchange_url = "http://127.0.0.1:9/unreachable"
        db.session.commit()
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    assert kg.deliver() == (0, 1)
    with kg.ctx():
        exchange.withdraw_consent(kg.user(kg.coordinator), only_transfer(kg))
        db.session.get(Organisation, kg.partner_id).exchange_url = kz.inbox
        db.session.commit()
        message_id = db.session.scalars(db.select(ExchangeMessage.id)).one()   # no status: they never had it
    kg.clock.advance(hours=7)
    assert kg.deliver() == (0, 0)
    written = kg.app.test_cli_runner().invoke(args=["exchange", "write", message_id, str(tmp_path / "p.jwe")])
    assert written.exit_code != 0 and "withdrew consent" in written.output
    assert _stored(kz) == (0, 0)


def _hostile(answer):
    """A partner's inbox that answers ``answer(environ)`` = (status, headers, body), on loopback."""
    def app(environ, start_response):
        status, headers, body = answer(environ)
        start_response(status, headers)
        return [body]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/inbox"


@pytest.mark.parametrize("answer", [
    ("503 Service Unavailable", [("Content-Type", "application/json")], b"null"),
    ("400 Bad Request", [("Content-Type", "application/json")], b"[" * 5000),
    ("200 OK", [("Content-Type", "application/jose")], b"W" * 6000 + b".e30.e30"),
    ("302 Found", [("Location", "REDIRECT")], b""),
])
def test_a_hostile_partner_answer_fails_that_package_only_and_no_redirect_is_followed(pair, answer):
    from nrm.models import Organisation

    kg, kz = pair
    hits = []
    target, target_url = _hostile(lambda environ: (hits.append(environ["PATH_INFO"]) or
                                                   ("200 OK", [], b"")))
    status, headers, body = answer
    headers = [(k, v.replace("REDIRECT", target_url)) for k, v in headers]
    hostile, hostile_url = _hostile(lambda environ: (status, headers, body))
    try:
        with kg.ctx():
            other = exchange.add_partner(
                None, code="uz-nrm", name={"en": "NRM of UZ", "ru": "НМП UZ", "ky": "УКБМ UZ"}, country="UZ",
                exchange_id="UZ-NRM", url=hostile_url, checked="test",
                keys={u: (k, k["kid"]) for u, k in ((k["use"], k) for k in _fresh_partner_keys())})
            db.session.commit()
            hostile_id = other.id
        start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
        with kg.ctx():
            from nrm.models import Screening

            sid = screen(kg.app, kg.officer.id, citizenship_country="UZ")
            exchange.start_transfer(kg.user(kg.coordinator), db.session.get(Screening, sid),
                                    db.session.get(Organisation, hostile_id), CONSENT)
            db.session.commit()
        assert kg.deliver() == (1, 1)            # the honest partner got its package all the same
        assert hits == []
    finally:
        hostile.shutdown()
        target.shutdown()


def _fresh_partner_keys():
    keys = []
    for use in ("sig", "enc"):
        key = ECKey.generate_key("P-256", private=True)
        keys.append({**key.as_dict(private=False), "kid": key.thumbprint(), "use": use})
    return keys


@pytest.mark.parametrize("segment", ["[" * 5000, '{"a":' * 3000 + "1" + "}" * 3000])
def test_a_deeply_nested_header_is_refused_not_failed(pair, segment):
    from nrm.security.keys import b64encode

    _kg, kz = pair
    answer = _post(kz.app.test_client(), ".".join([b64encode(segment.encode()), "a", "b", "c", "d"]))
    assert answer.status_code == 422
    assert _stored(kz) == (0, 0)


def test_a_receipt_signed_by_a_retired_key_is_not_taken(pair):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    with kg.ctx():
        kid = kz.public_keys()["sig"]["kid"]
        exchange.retire_partner_key(None, kid)
        db.session.commit()
    assert kg.deliver() == (0, 1)


def test_a_validity_longer_than_allowed_is_refused(pair):
    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    body = _referral_body(kg, valid_until="9999-12-31T00:00:00Z")
    answer = _post(kz.app.test_client(), _sealed_by(kg, body))
    assert answer.status_code == 422 and answer.json["type"].endswith("exchange-expired")
    old = _referral_body(kg, sent_at="2001-01-01T00:00:00Z")
    assert _post(kz.app.test_client(), _sealed_by(kg, old)).json["type"].endswith("exchange-expired")
    assert _stored(kz) == (0, 0)


def test_the_same_package_posted_at_once_from_eight_threads_is_taken_once(pair):
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    kg, kz = pair
    start(kg, screen(kg.app, kg.officer.id, citizenship_country="KZ"))
    package = _package(kg).encode()

    def post(_):
        request = urllib.request.Request(kz.inbox, data=package, method="POST",  # noqa: S310 - loopback
                                         headers={"Content-Type": "application/jose"})
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 - loopback
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, b""

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert {status for status, _ in answers} == {200}, answers
    assert len({receipt for _, receipt in answers}) == 1
    assert _stored(kz) == (1, 1)


@pytest.mark.parametrize("text", ["", "not a receipt", "e30.W10.e30", "e30." + "W" * 40 + ".e30"])
def test_a_receipt_file_that_is_not_one_is_refused_with_a_message(pair, tmp_path, text):
    kg, _kz = pair
    path = tmp_path / "receipt.jws"
    path.write_text(text)
    taken = kg.app.test_cli_runner().invoke(args=["exchange", "receipt", str(path)])
    assert taken.exit_code == 1 and "not for one of our messages" in taken.output, taken.output
