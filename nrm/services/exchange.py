"""The transnational exchange with another country's NRM (docs/exchange.md).

A *package* is a JSON message in the HTCDS vocabulary, signed by us (JWS, ES256) and encrypted to
the partner (JWE, ECDH-ES+A256KW with A256GCM): a JWS nested in a JWE, made and opened by joserfc.
Nothing in it is readable without the partner's private key; nothing in it is accepted without our
record of the sender's public key, whose fingerprint was checked out of band.

Our own key pair (one signing key, one encryption key, P-256) lives beside the other keys, in
``instance/keys/exchange/`` as JWK files of mode 0600 — never in the database. ``rotate_keys`` adds a
new pair: every encryption key still on disk opens what partners send, and the old signing key goes
on signing (partners know it) until it is retired (``retire_key``), once partners have recorded the
new keys; from then the new one signs.

Message types: ``referral`` (a referral to the partner, sealed at sending) and ``status``
(acknowledged, accepted, declined with a reason, closed, consent withdrawn — which asks the partner to
erase). Each package that is taken is answered with a signed *receipt* (a JWS, no personal data).
The outbox keeps every package we send, as ciphertext, until its receipt arrives; the scheduler
retries it with a growing pause. The receiver keeps the message ids it has taken, so a package sent
twice is taken once and answered with the same receipt: a message is delivered once whatever fails
in between. A package that cannot be opened, is signed by a key we do not know, is past its
validity, or does not follow the format is refused with a reason (``Refused.code``) and nothing is
stored.
"""

import hashlib
import json
import os
import re
import urllib.error
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from nrm.clock import local, now
from nrm.extensions import db
from nrm.models import ExchangeMessage, Identification, Organisation, PartnerKey, Screening, Transfer, User
from nrm.security import audit, vault
from nrm.security.keys import _read_key_file, b64decode
from nrm.services import exchange_format
from nrm.services.exchange_format import (
    CONSENT_METHODS,
    CONSENT_SCOPES,
    DECLINE_REASONS,
    PARTNER_ID,
    VERSION,
)

SIG_ALG = "ES256"
KEY_ALG = "ECDH-ES+A256KW"
ENC = "A256GCM"
CURVE = "P-256"
MAX_PACKAGE = 256 * 1024
CLOCK_SKEW = timedelta(minutes=5)
MAX_VALIDITY = timedelta(days=30)      # the longest validity we accept from a partner (we give 14 days)
HOLD_WITHDRAW_REASONS = ("non_refoulement", "person_wish")
IDENTITY_FIELDS = ("given_name", "family_name", "patronymic", "birth_date", "document_number",
                   "document_country")
# what a transfer's state becomes when the partner's status message arrives
OUT_STATES = {"acknowledged": "acknowledged", "accepted": "accepted", "declined": "declined",
              "closed": "closed"}
IN_STATES = {"closed": "closed", "consent_withdrawn": "erased"}
FINAL_STATES = ("closed", "withdrawn", "erased", "declined")
# reasons a package is refused (docs/exchange.md); each is a problem type of the inbox
REFUSALS = ("too_large", "not_a_package", "not_for_us", "undecryptable", "unknown_sender_key",
            "bad_signature", "sender_mismatch", "unsupported_version", "malformed", "expired",
            "not_yet_valid", "unknown_transfer", "status_not_expected")
_PARTNER_ID = re.compile(PARTNER_ID)
# what the JOSE library may raise on a package someone changed (a changed header can reach its key
# parsing: KeyError on an unknown curve name), each a refusal, never a failure of ours
_UNREADABLE = (JoseError, ValueError, KeyError, TypeError, IndexError, AttributeError, UnicodeDecodeError)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Refused(Exception):
    """A package not taken, and why (one of REFUSALS). Nothing was stored."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


class NotAllowed(ValueError):
    """An exchange act refused by its rules; ``code`` names the rule (docs/exchange.md)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class DeliveryFailed(Exception):
    """The partner could not be reached, or answered without a valid receipt (retried later)."""


# ------------------------------------------------------------------ our keys

def key_dir() -> Path:
    return Path(current_app.extensions["nrm_key_dir"]) / "exchange"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def create_key_pair(directory: Path | None = None) -> dict[str, str]:
    """A new signing and encryption key pair, written as two 0600 JWK files; the newest signs.
    Returns {use: key id (the RFC 7638 thumbprint)}."""
    directory = directory or key_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    stamp, made = _stamp(), {}
    for use, alg in (("sig", SIG_ALG), ("enc", KEY_ALG)):
        key = ECKey.generate_key(CURVE, private=True)
        data = {**key.as_dict(private=True), "kid": key.thumbprint(), "use": use, "alg": alg}
        fd = os.open(directory / f"{stamp}-{use}.jwk", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            json.dump(data, handle)
        made[use] = data["kid"]
    return made


def ensure_keys(directory: Path | None = None) -> dict[str, str]:
    """Create our key pair unless there is one (``init`` calls this)."""
    directory = directory or key_dir()
    if directory.is_dir() and any(directory.glob("*-sig.jwk")) and any(directory.glob("*-enc.jwk")):
        return {}
    return create_key_pair(directory)


def _our_keys(use: str) -> list[ECKey]:
    """Our private keys of one use, newest first (the files' names sort by time)."""
    found = []
    directory = key_dir()
    for path in sorted(directory.glob(f"*-{use}.jwk"), reverse=True) if directory.is_dir() else ():
        data = json.loads(_read_key_file(path))
        found.append(ECKey.import_key(data))
    return found


def signing_key() -> ECKey:
    """The oldest signing key still in use: after ``rotate_keys`` we go on signing with the key the
    partners know, until it is retired — by then they have recorded the new one."""
    keys = _our_keys("sig")
    if not keys:
        raise NotAllowed("no_exchange_keys")
    return keys[-1]


def decryption_key(kid: str | None) -> ECKey | None:
    return next((k for k in _our_keys("enc") if k.kid == kid), None)


def public_keys() -> dict:
    """Our public keys as a JWK Set: every signing key in use (after a rotation, the one that signs
    until it is retired and the one that will), then every encryption key, newest first."""
    keys = _our_keys("sig") + _our_keys("enc")
    return {"keys": [{**k.as_dict(private=False), "kid": k.kid, "use": k.get("use"), "alg": k.get("alg")}
                     for k in keys]}


def rotate_keys() -> dict[str, str]:
    made = create_key_pair()
    audit.record("exchange.keys_rotate", object_type="exchange_keys")
    return made


def retire_key(kid: str) -> Path:
    """Move one of our old keys out of use (into keys/exchange/retired/); never the newest of a use."""
    directory = key_dir()
    newest = {use: (_our_keys(use) or [None])[0] for use in ("sig", "enc")}
    for path in directory.glob("*.jwk"):
        data = json.loads(_read_key_file(path))
        if data.get("kid") != kid:
            continue
        if any(k is not None and k.kid == kid for k in newest.values()):
            raise NotAllowed("newest_key")
        target = directory / "retired" / path.name
        target.parent.mkdir(exist_ok=True, mode=0o700)
        path.rename(target)
        audit.record("exchange.keys_retire", object_type="exchange_keys")
        return target
    raise NotAllowed("unknown_key")


# ------------------------------------------------------------------ partners

def check_url(url: str) -> str:
    """A partner's inbox: https, or http to this machine only (a test or a local proxy)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme == "https" and parts.hostname:
        return url.strip()
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return url.strip()
    raise NotAllowed("url_not_https")


def public_key_of(jwk: dict, use: str) -> ECKey:
    """A partner's public key, checked: EC P-256, public only."""
    if not isinstance(jwk, dict) or "d" in jwk:
        raise NotAllowed("not_a_public_key")
    try:
        key = ECKey.import_key({k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")})
    except _UNREADABLE:
        raise NotAllowed("not_a_public_key") from None
    if key.curve_name != CURVE:
        raise NotAllowed("not_a_public_key")
    return key


def fingerprint(jwk: dict) -> str:
    return public_key_of(jwk, "sig").thumbprint()


def add_partner_key(actor, partner: Organisation, use: str, jwk: dict, given_fingerprint: str,
                    checked: str) -> PartnerKey:
    """Record one of a partner's public keys. ``given_fingerprint`` is what the partner read out over
    another channel; it must equal the key's thumbprint. ``checked`` says how it was checked."""
    if use not in ("sig", "enc"):
        raise NotAllowed("unknown_use")
    key = public_key_of(jwk, use)
    if (given_fingerprint or "").strip() != key.thumbprint():
        raise NotAllowed("fingerprint_mismatch")
    if not (checked or "").strip():
        raise NotAllowed("check_not_recorded")
    if db.session.scalar(db.select(PartnerKey.id).where(PartnerKey.kid == key.thumbprint())):
        raise NotAllowed("key_known")
    for old in db.session.scalars(db.select(PartnerKey).where(
            PartnerKey.organisation_id == partner.id, PartnerKey.use == use,
            PartnerKey.retired_at.is_(None))):
        if use == "enc":
            old.retired_at = now()          # we encrypt to the newest only; their old key may still sign
    record = PartnerKey(organisation_id=partner.id, use=use, kid=key.thumbprint(),
                        jwk=json.dumps(key.as_dict(private=False)), checked=checked.strip()[:300])
    db.session.add(record)
    db.session.flush()
    audit.record("exchange.partner_key", object_type="organisation", object_id=partner.id, actor=actor)
    return record


def retire_partner_key(actor, kid: str) -> None:
    record = db.session.scalar(db.select(PartnerKey).where(PartnerKey.kid == kid))
    if record is None:
        raise NotAllowed("unknown_key")
    record.retired_at = now()
    audit.record("exchange.partner_key_retire", object_type="organisation",
                 object_id=record.organisation_id, actor=actor)


def add_partner(actor, *, code: str, name: dict, country: str, exchange_id: str, url: str,
                keys: dict, checked: str) -> Organisation:
    """Register another country's NRM body: its exchange id, inbox URL and public keys.
    ``keys`` maps "sig"/"enc" to (jwk, fingerprint read out by the partner)."""
    from nrm.names import country_codes
    from nrm.services import accounts

    if country not in country_codes() or country == current_app.config["EXCHANGE_COUNTRY"]:
        raise NotAllowed("unknown_country")
    if not _PARTNER_ID.fullmatch(exchange_id or "") or exchange_id == current_app.config["EXCHANGE_ID"]:
        raise NotAllowed("bad_exchange_id")
    if db.session.scalar(db.select(Organisation.id).where(Organisation.exchange_id == exchange_id)):
        raise NotAllowed("exchange_id_known")
    check_url(url)
    if set(keys) != {"sig", "enc"}:
        raise NotAllowed("keys_needed")
    partner = accounts.create_organisation(actor, code=code, name=name, kind="partner_nrm", region=None)
    partner.country, partner.exchange_id, partner.exchange_url = country, exchange_id, url.strip()
    for use, (jwk, given) in keys.items():
        add_partner_key(actor, partner, use, jwk, given, checked)
    return partner


def partners() -> list[Organisation]:
    return list(db.session.scalars(db.select(Organisation).where(
        Organisation.kind == "partner_nrm", Organisation.active.is_(True),
        Organisation.exchange_id.is_not(None)).order_by(Organisation.name)))


def partner_key(partner: Organisation, use: str) -> PartnerKey:
    record = db.session.scalar(db.select(PartnerKey).where(
        PartnerKey.organisation_id == partner.id, PartnerKey.use == use,
        PartnerKey.retired_at.is_(None)).order_by(PartnerKey.recorded_at.desc(), PartnerKey.id.desc()))
    if record is None:
        raise NotAllowed("partner_keys_missing")
    return record


# ------------------------------------------------------------------ packages

def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text) -> datetime:
    if not isinstance(text, str):
        raise Refused("malformed", "a time is missing")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refused("malformed", "a time is not ISO 8601") from None
    if value.tzinfo is None:
        raise Refused("malformed", "a time has no zone")
    return value


def envelope(partner: Organisation, transfer: Transfer, kind: str, content: dict) -> dict:
    at = now()
    return {"nrmx": VERSION, "type": kind, "message_id": uuid.uuid4().hex,
            "exchange_id": transfer.exchange_id, "from": current_app.config["EXCHANGE_ID"],
            "to": partner.exchange_id, "sent_at": _iso(at),
            "valid_until": _iso(at + current_app.config["EXCHANGE_VALIDITY"]), kind: content}


def seal(partner: Organisation, body: dict) -> str:
    """Sign ``body`` with our newest signing key, then encrypt it to the partner's encryption key."""
    signer = signing_key()
    signed = jws.serialize_compact({"alg": SIG_ALG, "kid": signer.kid, "typ": "nrmx+jws"},
                                   json.dumps(body, ensure_ascii=False, sort_keys=True).encode(),
                                   signer, algorithms=[SIG_ALG])
    recipient = partner_key(partner, "enc")
    return jwe.encrypt_compact({"alg": KEY_ALG, "enc": ENC, "kid": recipient.kid, "cty": "nrmx+jws",
                                "typ": "nrmx+jwe"},
                               signed, ECKey.import_key(json.loads(recipient.jwk)), algorithms=[KEY_ALG, ENC])


def _header(segment: str) -> dict:
    """A JOSE protected header: a small, flat JSON object, or {} (which every caller refuses)."""
    if len(segment) > 4096:
        return {}
    try:
        header = json.loads(b64decode(segment))
    except (ValueError, TypeError, RecursionError):
        return {}
    return header if isinstance(header, dict) else {}


def _sender_key(kid) -> PartnerKey:
    record = db.session.scalar(db.select(PartnerKey).where(PartnerKey.kid == str(kid or ""),
                                                           PartnerKey.use == "sig"))
    if record is None or (record.retired_at is not None and record.retired_at <= now()):
        raise Refused("unknown_sender_key", "the package is signed by a key we have not recorded")
    if not record.organisation.active:
        raise Refused("unknown_sender_key", "the sender is no longer a partner")
    return record


def open_package(token: str) -> tuple[Organisation, dict]:
    """Decrypt and verify a package; its sender and its body, or ``Refused``."""
    if len(token) > MAX_PACKAGE:
        raise Refused("too_large")
    parts = token.strip().split(".")
    if len(parts) != 5:
        raise Refused("not_a_package", "a package is a JWE in compact serialisation")
    header = _header(parts[0])
    if header.get("alg") != KEY_ALG or header.get("enc") != ENC:
        raise Refused("not_a_package", f"the package must use {KEY_ALG} and {ENC}")
    key = decryption_key(header.get("kid"))
    if key is None:
        raise Refused("not_for_us", "the package is not encrypted to one of our keys")
    try:
        inner = jwe.decrypt_compact(token.strip(), key, algorithms=[KEY_ALG, ENC]).plaintext.decode("utf-8")
    except _UNREADABLE:
        raise Refused("undecryptable", "the package was changed on the way, or not made for us") from None
    signed = inner.split(".")
    if len(signed) != 3:
        raise Refused("not_a_package", "the content must be a JWS in compact serialisation")
    sender = _sender_key(_header(signed[0]).get("kid"))
    try:
        payload = jws.deserialize_compact(inner, ECKey.import_key(json.loads(sender.jwk)),
                                          algorithms=[SIG_ALG]).payload
    except _UNREADABLE:
        raise Refused("bad_signature", "the signature does not verify with the sender's key") from None
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        raise Refused("malformed", "the content is not JSON") from None
    partner = sender.organisation
    return partner, _check_body(body, partner)


def _check_body(body, partner: Organisation) -> dict:
    """The message as this version reads it (exchange_format), or ``Refused``."""
    if not isinstance(body, dict):
        raise Refused("malformed", "the content is not a JSON object")
    if str(body.get("nrmx", "")).split(".")[0] != VERSION.split(".")[0]:
        raise Refused("unsupported_version", f"this system reads version {VERSION}")
    if body.get("from") != partner.exchange_id:
        raise Refused("sender_mismatch", "the package names another sender than the key's owner")
    if body.get("to") != current_app.config["EXCHANGE_ID"]:
        raise Refused("not_for_us", "the package is addressed to another body")
    sent_at, valid_until = _parse_time(body.get("sent_at")), _parse_time(body.get("valid_until"))
    at = now()
    if valid_until <= at:
        raise Refused("expired", "the package is past its validity; ask the sender for a new one")
    if sent_at > at + CLOCK_SKEW:
        raise Refused("not_yet_valid", "the package was sent in the future: check the clocks")
    if valid_until - sent_at > MAX_VALIDITY or sent_at < at - MAX_VALIDITY:
        raise Refused("expired", f"a package is valid for at most {MAX_VALIDITY.days} days after it is sent")
    try:
        return exchange_format.check(body)
    except ValueError as fault:
        raise Refused("malformed", str(fault)) from None


def sign_receipt(partner: Organisation, body: dict, result: str) -> str:
    receipt = {"nrmx": VERSION, "type": "receipt", "message_id": body["message_id"],
               "exchange_id": body["exchange_id"], "from": current_app.config["EXCHANGE_ID"],
               "to": partner.exchange_id, "received_at": _iso(now()), "result": result}
    signer = signing_key()
    return jws.serialize_compact({"alg": SIG_ALG, "kid": signer.kid, "typ": "nrmx-receipt+jws"},
                                 json.dumps(receipt, sort_keys=True).encode(), signer, algorithms=[SIG_ALG])


def check_receipt(partner: Organisation, text: str, message_id: str) -> dict:
    """The partner's signed receipt for our message ``message_id``, verified."""
    parts = (text or "").strip().split(".")
    if len(parts) != 3:
        raise DeliveryFailed("the answer is not a signed receipt")
    kid = _header(parts[0]).get("kid")
    record = db.session.scalar(db.select(PartnerKey).where(
        PartnerKey.kid == str(kid or ""), PartnerKey.use == "sig", PartnerKey.organisation_id == partner.id))
    if record is None or (record.retired_at is not None and record.retired_at <= now()) or not partner.active:
        raise DeliveryFailed("the receipt is signed by a key we have not recorded, or one retired")
    try:
        receipt = json.loads(jws.deserialize_compact(text.strip(), ECKey.import_key(json.loads(record.jwk)),
                                                     algorithms=[SIG_ALG]).payload)
    except _UNREADABLE:
        raise DeliveryFailed("the receipt's signature does not verify") from None
    if not isinstance(receipt, dict) or receipt.get("type") != "receipt" \
            or receipt.get("message_id") != message_id or receipt.get("from") != partner.exchange_id:
        raise DeliveryFailed("the receipt is not for this message")
    return receipt


# ------------------------------------------------------------------ what a referral package holds

def _content(transfer: Transfer) -> dict:
    return json.loads(transfer.content_json) if transfer.content_json else {}


def _set_content(transfer: Transfer, content: dict) -> None:
    transfer.content_json = json.dumps(content, ensure_ascii=False, sort_keys=True)


def referral_content(screening: Screening, partner: Organisation, consent: dict,
                     child_agreement: dict | None) -> dict:
    """The referral in the HTCDS vocabulary: the identity only when the person consented to send
    it; the exploitation with its country; the needs; the consent itself."""
    from nrm import names
    from nrm.services import exports, referrals

    values, current = referrals.values_of(screening)
    facts = referrals.facts_from(values, screening.officer_result or screening.result, None)
    mapping = exports.standard("mapping")
    status = db.session.scalar(db.select(Identification.status).where(
        Identification.screening_id == screening.id)) or "PossibleVictimOfTrafficking"
    identified_on = local(screening.detected_at).date().isoformat()
    age = values.get("age") if values.get("age_uncertain") != "yes" else None
    languages = [values.get("native_language"), *(values.get("languages_spoken") or [])]
    person = {
        "prs_Gender": mapping["gender"].get(values.get("sex") or "other_or_not_stated",
                                            mapping["gender"]["other_or_not_stated"])["htcds"],
        "age": age if isinstance(age, int) else None,
        "is_child": facts.child,
        "citizenship": facts.citizenship,
        "languages": sorted({names.language_iso639_2(code) for code in languages if code}),
        "interpreter_needed": values.get("interpreter_needed") == "yes",
    }
    if consent["scope"] == "identity":
        who = screening.person
        identity = {"given_name": who.given_name, "family_name": who.family_name,
                    "patronymic": who.patronymic,
                    "birth_date": who.birth_date.isoformat() if who.birth_date else None,
                    "document_number": who.document_number, "document_country": who.document_country}
        person.update({k: v for k, v in identity.items() if v})
    exploitation = []
    for code in sorted(set(values.get("exploitation_types") or [])):
        mapped = mapping["exploitation"].get(code, {"htcds": "Other"})
        event = {"vic_TypeOfExploitation": mapped["htcds"], "country": values.get("exploitation_country"),
                 "recorded_on": identified_on}
        if mapped.get("htcds_industry"):
            event["industry"] = mapped["htcds_industry"]
        exploitation.append(event)
    assessment = json.loads(screening.assessment_json or "{}")
    indicators = {i for d in assessment.get("dimensions", {}).values() for i in d.get("indicators", [])}
    control = sorted({mapping["methods_of_control"][i]["htcds"] for i in indicators
                      if i in mapping["methods_of_control"]})
    recruiter = mapping["recruiter"].get(current.get("recruiter_kind")) or {}
    needs = sorted(values.get("needs") or [])
    content = {
        "reference": referrals.reference_of(screening),
        "vic_TraffickingStatus": status,
        "identified_on": identified_on,
        "person": {k: v for k, v in person.items() if v is not None},
        "exploitation": exploitation,
        "needs": needs,
        "spl_Type": sorted({mapping["needs"][n] for n in needs if mapping["needs"].get(n)}),
        "vic_MethodsOfControl": control,
        **{k: v for k, v in (("vic_MethodOfRecruitment", recruiter.get("method")),
                             ("vic_RelationshipToTrafficker", recruiter.get("relationship"))) if v},
        "asylum_wish": facts.asylum_wish,
        "fear_of_return": facts.fear_of_return,
        "consent": {"to_country": partner.country, "to_body": partner.exchange_id,
                    "given_on": consent["given_on"], "method": consent["method"], "scope": consent["scope"]},
    }
    if child_agreement:
        content["child_protection_agreement"] = child_agreement
    return content


def _is_origin(partner: Organisation, screening: Screening) -> bool:
    from nrm.services import referrals

    facts = referrals.facts_of(screening)
    return (facts.fear_of_return or facts.asylum_wish) and partner.country == facts.citizenship


# ------------------------------------------------------------------ sending

def _queue(transfer: Transfer, kind: str, content: dict) -> ExchangeMessage:
    partner = transfer.partner
    body = envelope(partner, transfer, kind, content)
    try:
        exchange_format.check(body)
    except ValueError as fault:          # a value of ours the format cannot carry: say which field
        field = str(fault).split(":")[0]
        current_app.logger.warning("exchange: our package does not fit the format (%s)", field)
        raise NotAllowed("package_invalid") from None
    message = ExchangeMessage(id=body["message_id"], direction="out", transfer_id=transfer.id,
                              kind=content["code"] if kind == "status" else kind,
                              partner_id=partner.id, package=seal(partner, body), created_at=now(),
                              next_attempt_at=now(), attempts=0)
    db.session.add(message)
    db.session.flush()
    return message


def start_transfer(actor, screening: Screening, partner: Organisation, consent: dict,
                   child_agreement: dict | None = None) -> Transfer:
    """A referral to a partner NRM from a submitted screening. The person's consent to sending their
    data to this body in this country is required; a child's package needs the child protection
    authority's agreement; a package to the person's country of origin, when fear of return (or a
    wish for asylum) is recorded, waits for a second coordinator (``release``)."""
    from nrm.services import referrals

    if partner.kind != "partner_nrm" or not partner.exchange_id or not partner.active:
        raise NotAllowed("not_a_partner")
    partner_key(partner, "enc")
    if screening.status != "submitted" or screening.is_erased:
        raise NotAllowed("screening_not_submitted")
    status = db.session.scalar(db.select(Identification.status).where(
        Identification.screening_id == screening.id))
    result = screening.officer_result or screening.result
    if result == "no_indicators" or status == "NotAVictimOfTrafficking":
        raise NotAllowed("not_a_victim")        # the exchange refers presumed and identified victims only
    if not consent.get("to_partner"):
        raise NotAllowed("consent_needed")
    if consent.get("method") not in CONSENT_METHODS or consent.get("scope") not in CONSENT_SCOPES:
        raise NotAllowed("consent_needed")
    facts = referrals.facts_of(screening)
    agreed = bool(child_agreement and child_agreement.get("reference") and child_agreement.get("given_on"))
    if facts.child and not agreed:
        raise NotAllowed("child_agreement_needed")
    consent_record = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in consent.items()}
    content = referral_content(screening, partner, consent_record, child_agreement if facts.child else None)
    exchange_id = f"{current_app.config['EXCHANGE_ID']}:{uuid.uuid4().hex[:22]}"
    transfer = Transfer(direction="out", exchange_id=exchange_id,
                        partner_id=partner.id, partner=partner, screening_id=screening.id,
                        person_id=screening.person_id, data_key=screening.person.data_key,
                        state="held", created_by_id=actor.id, created_at=now(), updated_at=now())
    db.session.add(transfer)
    _set_content(transfer, {"referral": content, "notes": []})
    db.session.flush()
    audit.record("exchange.transfer_create", object_type="transfer", object_id=transfer.id, actor=actor)
    if _is_origin(partner, screening):
        transfer.reason = "fear_of_return"
        audit.record("exchange.transfer_held", object_type="transfer", object_id=transfer.id, actor=actor)
    else:
        _send(actor, transfer)
    return transfer


def _send(actor, transfer: Transfer) -> None:
    _queue(transfer, "referral", _content(transfer)["referral"])
    transfer.state, transfer.reason, transfer.updated_at = "sent", None, now()
    audit.record("exchange.transfer_send", object_type="transfer", object_id=transfer.id, actor=actor)


def _note(transfer: Transfer, actor, kind: str, text: str) -> None:
    content = _content(transfer)
    content.setdefault("notes", []).append({"kind": kind, "by": actor.id, "at": _iso(now()), "text": text})
    _set_content(transfer, content)


def release(actor, transfer: Transfer, note: str) -> None:
    """Send a held package after a second coordinator's written assessment of the risk on return."""
    if transfer.direction != "out" or transfer.state != "held":
        raise NotAllowed("not_held")
    if actor.id == transfer.created_by_id:
        raise NotAllowed("second_coordinator")
    if not (note or "").strip():
        raise NotAllowed("note_needed")
    _note(transfer, actor, "release", note.strip())
    transfer.decided_by_id = actor.id
    _send(actor, transfer)


def withdraw_held(actor, transfer: Transfer, reason: str, note: str) -> None:
    if transfer.direction != "out" or transfer.state != "held":
        raise NotAllowed("not_held")
    if reason not in HOLD_WITHDRAW_REASONS:
        raise NotAllowed("reason_needed")
    _note(transfer, actor, "withdraw", (note or "").strip())
    transfer.state, transfer.reason, transfer.decided_by_id = "withdrawn", reason, actor.id
    transfer.updated_at = now()
    audit.record("exchange.transfer_withdraw", object_type="transfer", object_id=transfer.id, actor=actor)


def withdraw_consent(actor, transfer: Transfer) -> None:
    """The person withdrew consent: tell the partner, who is asked to erase what it received."""
    if transfer.direction != "out" or transfer.state in ("held", "withdrawn"):
        raise NotAllowed("not_sent")
    pending = list(db.session.scalars(db.select(ExchangeMessage).where(
        ExchangeMessage.transfer_id == transfer.id, ExchangeMessage.direction == "out",
        ExchangeMessage.delivered_at.is_(None))))
    for message in pending:                      # never delivered: it is not sent any more
        message.next_attempt_at, message.last_error = None, "consent withdrawn: not sent"
    if not any(m.kind == "referral" for m in pending):
        _queue(transfer, "status", {"code": "consent_withdrawn"})   # the partner has it: erase it
    transfer.state, transfer.reason, transfer.updated_at = "withdrawn", "consent_withdrawn", now()
    audit.record("exchange.consent_withdrawn", object_type="transfer", object_id=transfer.id, actor=actor)


# ------------------------------------------------------------------ receiving

def receive(token: str) -> tuple[str, str]:
    """Take a package: (the signed receipt, "stored" or "already_received"). ``Refused`` leaves
    nothing behind; the caller commits."""
    partner, body = open_package(token)
    seen = db.session.get(ExchangeMessage, body["message_id"])
    if seen is not None:
        if seen.direction != "in" or seen.partner_id != partner.id:
            raise Refused("malformed", "message_id is already used")
        return seen.receipt, "already_received"
    if body["type"] == "referral":
        transfer, result = _incoming_referral(partner, body)
    else:
        transfer, result = _incoming_status(partner, body)
    receipt = sign_receipt(partner, body, result)
    kind = body["status"]["code"] if body["type"] == "status" else body["type"]
    # not the package itself: our key opens it, so keeping it would outlive every erasure
    digest = "sha256:" + hashlib.sha256(token.strip().encode("ascii", "replace")).hexdigest()
    db.session.add(ExchangeMessage(id=body["message_id"], direction="in", kind=kind,
                                   transfer_id=transfer.id, partner_id=partner.id, package=digest,
                                   created_at=now(), delivered_at=now(), receipt=receipt))
    audit.record("exchange.receive", object_type="transfer", object_id=transfer.id)
    return receipt, result


def _check_referral(referral: dict) -> None:
    """What the format alone cannot say: the consent names us, and a child's has the agreement."""
    person, consent = referral["person"], referral["consent"]
    if consent.get("to_body") != current_app.config["EXCHANGE_ID"]:
        raise Refused("malformed", "the person's consent does not name this body")
    if person.get("is_child") and not isinstance(referral.get("child_protection_agreement"), dict):
        raise Refused("malformed", "a child's referral needs the child protection authority's agreement")


def _incoming_referral(partner: Organisation, body: dict) -> tuple[Transfer, str]:
    from nrm.services import notifications, people

    if not body["exchange_id"].startswith(partner.exchange_id + ":"):
        raise Refused("malformed", "exchange_id must begin with the sender's id")
    existing = db.session.scalar(db.select(Transfer).where(Transfer.exchange_id == body["exchange_id"]))
    if existing is not None:
        return existing, "already_received"
    referral = body["referral"]
    _check_referral(referral)
    person = referral["person"]
    birth = date.fromisoformat(person["birth_date"]) if person.get("birth_date") else None
    matches = people.find_matches(document_number=person.get("document_number"),
                                  given_name=person.get("given_name"), family_name=person.get("family_name"),
                                  birth_date=birth)
    transfer = Transfer(direction="in", exchange_id=body["exchange_id"], partner_id=partner.id,
                        partner=partner, state="held", reason="coordinator_review", created_at=now(),
                        updated_at=now())
    db.session.add(transfer)
    _set_content(transfer, {"referral": referral, "matches": matches, "notes": [],
                            "sent_at": body["sent_at"]})
    db.session.flush()
    notifications.notify_role("coordinator", "transfer_received", "transfer", transfer.id)
    return transfer, "stored"


def _incoming_status(partner: Organisation, body: dict) -> tuple[Transfer, str]:
    from nrm.services import notifications

    status = body["status"]
    code = status["code"]
    transfer = db.session.scalar(db.select(Transfer).where(Transfer.exchange_id == body["exchange_id"],
                                                           Transfer.partner_id == partner.id))
    if transfer is None:
        raise Refused("unknown_transfer", "no referral with this exchange_id was exchanged with you")
    states = OUT_STATES if transfer.direction == "out" else IN_STATES
    if code not in states:
        raise Refused("status_not_expected", f"{code} is not a status the sender of this referral may send")
    if code == "consent_withdrawn":
        _erase_incoming(transfer)           # whatever its state: declined, closed, accepted or held
    elif transfer.state in FINAL_STATES:
        return transfer, "stored"           # a late message about a closed referral changes nothing
    else:
        transfer.state = states[code]
        if code == "declined":
            reason = status.get("reason")
            transfer.reason = reason if reason in DECLINE_REASONS else "other"
    transfer.updated_at = now()
    notifications.notify_role("coordinator", f"transfer_{code}", "transfer", transfer.id)
    return transfer, "stored"


def _erase_incoming(transfer: Transfer) -> None:
    """The sender's person withdrew consent: shred what came in, and the person record made from it."""
    from nrm.models import Person
    from nrm.services import people

    if transfer.person_id:
        person = db.session.get(Person, transfer.person_id)
        if person is not None and not person.is_erased:
            people.erase_person(None, person, "consent_withdrawn")
    if not transfer.is_erased:
        vault.destroy(transfer.data_key, "consent_withdrawn")
    transfer._content = None
    transfer.state, transfer.reason = "erased", "consent_withdrawn"


def acknowledge(actor, transfer: Transfer) -> bool:
    """The first time a coordinator opens an incoming referral, the sender is told that it is in a
    coordinator's hands (status ``acknowledged``); the referral stays held for a decision."""
    if transfer.direction != "in" or transfer.state != "held" or transfer.is_erased:
        return False
    content = _content(transfer)
    if content.get("acknowledged_at"):
        return False
    _queue(transfer, "status", {"code": "acknowledged"})
    content["acknowledged_at"] = _iso(now())
    _set_content(transfer, content)
    audit.record("exchange.transfer_acknowledged", object_type="transfer", object_id=transfer.id, actor=actor)
    return True


def accept(actor, transfer: Transfer) -> None:
    """Take up an incoming referral: a person record is made from what the package holds (sealed
    under its own key), and the partner is told."""
    from nrm.services import people

    if transfer.direction != "in" or transfer.state != "held":
        raise NotAllowed("not_held")
    acknowledge(actor, transfer)
    person = _content(transfer)["referral"]["person"]
    fields = {k: person.get(k) for k in ("given_name", "family_name", "patronymic", "document_number",
                                          "document_country") if person.get(k)}
    if person.get("birth_date"):
        fields["birth_date"] = date.fromisoformat(person["birth_date"])
    record = people.create_person(actor, actor.organisation_id, **fields)
    transfer.person_id = record.id
    content, own_key = _content(transfer), transfer.data_key
    transfer.data_key = record.data_key          # from now on the person's erasure shreds it too
    _set_content(transfer, content)
    vault.destroy(own_key, "superseded")
    _decide(actor, transfer, "accepted", {"code": "accepted"})


def decline(actor, transfer: Transfer, reason: str, note: str) -> None:
    if transfer.direction != "in" or transfer.state != "held":
        raise NotAllowed("not_held")
    if reason not in DECLINE_REASONS:
        raise NotAllowed("reason_needed")
    acknowledge(actor, transfer)
    _note(transfer, actor, "decline", (note or "").strip())
    content = _content(transfer)                 # declined: what identifies the person is not kept
    for field in IDENTITY_FIELDS:
        content["referral"]["person"].pop(field, None)
    content["matches"] = []
    _set_content(transfer, content)
    transfer.reason = reason
    _decide(actor, transfer, "declined", {"code": "declined", "reason": reason})


def close(actor, transfer: Transfer) -> None:
    if transfer.state != "accepted":
        raise NotAllowed("not_accepted")
    _decide(actor, transfer, "closed", {"code": "closed"})


def _decide(actor, transfer: Transfer, state: str, status: dict) -> None:
    _queue(transfer, "status", status)
    transfer.state, transfer.decided_by_id, transfer.updated_at = state, actor.id, now()
    audit.record(f"exchange.transfer_{state}", object_type="transfer", object_id=transfer.id, actor=actor)


# ------------------------------------------------------------------ delivery

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A partner's inbox answers; it does not send us elsewhere (no redirect is followed)."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url: str, package: str) -> str:
    # check_url allows https, or http to this machine: no file: or other scheme reaches the opener
    request = urllib.request.Request(check_url(url), data=package.encode("ascii"), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/jose",
                                              "Accept": "application/jose, application/problem+json"})
    timeout = current_app.config["EXCHANGE_TIMEOUT_SECONDS"]
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return answer.read(MAX_PACKAGE).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        kind = ""
        try:
            problem = json.loads(error.read(4096))
            kind = str(problem.get("type", "")).rsplit("/", 1)[-1][:60] if isinstance(problem, dict) else ""
        except (ValueError, RecursionError):
            pass
        raise DeliveryFailed(f"refused by the partner: HTTP {error.code} {kind}".strip()) from None
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryFailed(f"not reached: {type(error).__name__}") from None


def take_receipt(message: ExchangeMessage, receipt: str) -> None:
    check_receipt(message_partner(message), receipt, message.id)
    message.receipt, message.delivered_at = receipt, now()
    message.last_error = message.next_attempt_at = None


def message_partner(message: ExchangeMessage) -> Organisation:
    return db.session.get(Organisation, message.partner_id)


def expired(message: ExchangeMessage) -> bool:
    return message.created_at + current_app.config["EXCHANGE_VALIDITY"] <= now()


def deliver(message: ExchangeMessage) -> bool:
    """One attempt: post the package to the partner's inbox and keep its signed receipt."""
    partner = message_partner(message)
    message.attempts += 1
    try:
        if not partner.exchange_url:
            raise DeliveryFailed("the partner has no inbox address: send the file by another channel")
        take_receipt(message, _post(partner.exchange_url, message.package))
        return True
    except Exception as failure:  # noqa: BLE001 - whatever a partner answers fails this message only
        if not isinstance(failure, DeliveryFailed):
            failure = DeliveryFailed(f"the partner's answer could not be read: {type(failure).__name__}")
        message.last_error = str(failure)[:300]
        if expired(message):
            message.next_attempt_at = None          # past its validity: the partner would refuse it
        else:
            pause = min(timedelta(minutes=2 ** min(message.attempts - 1, 20)),
                        current_app.config["EXCHANGE_RETRY_MAX"])
            message.next_attempt_at = now() + pause
        return False


def due_messages(limit: int = 50) -> list[str]:
    return list(db.session.scalars(db.select(ExchangeMessage.id).where(
        ExchangeMessage.direction == "out", ExchangeMessage.delivered_at.is_(None),
        ExchangeMessage.next_attempt_at.is_not(None), ExchangeMessage.next_attempt_at <= now())
        .order_by(ExchangeMessage.next_attempt_at).limit(limit)))


def _waits_for_earlier(message: ExchangeMessage) -> bool:
    return db.session.scalar(db.select(ExchangeMessage.id).where(
        ExchangeMessage.transfer_id == message.transfer_id, ExchangeMessage.direction == "out",
        ExchangeMessage.delivered_at.is_(None), ExchangeMessage.next_attempt_at.is_not(None),
        ExchangeMessage.created_at < message.created_at).limit(1)) is not None


def deliver_due(limit: int = 50) -> tuple[int, int]:
    """The outbox: every package due, each in its own transaction. (delivered, failed)."""
    delivered = failed = 0
    for message_id in due_messages(limit):
        message = db.session.get(ExchangeMessage, message_id)
        if message is None or message.delivered_at is not None:
            continue
        if _waits_for_earlier(message):
            continue                             # a status never overtakes its referral
        if deliver(message):
            delivered += 1
            audit.record("exchange.delivered", object_type="transfer", object_id=message.transfer_id)
        else:
            failed += 1
        db.session.commit()
    return delivered, failed


# ------------------------------------------------------------------ files (another channel)

def write_file(message: ExchangeMessage, path: Path) -> None:
    """A package as a file for a diplomatic pouch or e-mail: the JWE itself, nothing in clear. Not a
    referral whose consent was withdrawn before it was delivered."""
    if message.direction != "out" or message.delivered_at is None and message.next_attempt_at is None \
            and (message.last_error or "").startswith("consent withdrawn"):
        raise NotAllowed("consent_withdrawn")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(message.package + "\n")
    audit.record("exchange.file_written", object_type="transfer", object_id=message.transfer_id)


def take_receipt_file(text: str) -> ExchangeMessage:
    """A receipt that came back by another channel, for one of our messages."""
    parts = (text or "").strip().split(".")
    try:
        claimed = json.loads(b64decode(parts[1])) if len(parts) == 3 else {}
    except (ValueError, RecursionError):
        claimed = {}
    claimed = claimed if isinstance(claimed, dict) else {}
    message = db.session.get(ExchangeMessage, str(claimed.get("message_id", ""))[:64])
    if message is None or message.direction != "out":
        raise DeliveryFailed("the receipt is not for one of our messages")
    if message.delivered_at is None:
        take_receipt(message, text)
        audit.record("exchange.delivered", object_type="transfer", object_id=message.transfer_id)
    return message


# ------------------------------------------------------------------ reading

def summary(transfer: Transfer) -> dict:
    """What the coordinator's page shows of a transfer: never the identity (that is read, as for
    any person, through the reasoned access once the referral is taken up)."""
    if transfer.is_erased or not transfer.content_json:
        return {}
    content = _content(transfer)
    referral = content.get("referral", {})
    person = referral.get("person", {})
    return {
        "reference": referral.get("reference"),
        "status": referral.get("vic_TraffickingStatus"),
        "identified_on": referral.get("identified_on"),
        "gender": person.get("prs_Gender"),
        "age": person.get("age"),
        "is_child": person.get("is_child"),
        "citizenship": person.get("citizenship"),
        "languages": person.get("languages") or [],
        "identity_sent": any(person.get(k) for k in ("given_name", "family_name", "document_number")),
        "exploitation": referral.get("exploitation") or [],
        "needs": referral.get("needs") or [],
        "support": referral.get("spl_Type") or [],
        "control": referral.get("vic_MethodsOfControl") or [],
        "recruitment": referral.get("vic_MethodOfRecruitment"),
        "relationship": referral.get("vic_RelationshipToTrafficker"),
        "fear_of_return": referral.get("fear_of_return"),
        "asylum_wish": referral.get("asylum_wish"),
        "consent": referral.get("consent") or {},
        "child_agreement": referral.get("child_protection_agreement"),
        "matches": len(content.get("matches") or []),
        "notes": content.get("notes") or [],
    }


def messages_of(transfer: Transfer) -> list[ExchangeMessage]:
    return list(db.session.scalars(db.select(ExchangeMessage).where(
        ExchangeMessage.transfer_id == transfer.id).order_by(ExchangeMessage.created_at)))


def listed() -> list[Transfer]:
    """Every transfer, those waiting for a coordinator first, then the newest."""
    rows = list(db.session.scalars(db.select(Transfer).order_by(Transfer.updated_at.desc())))
    return sorted(rows, key=lambda t: t.state != "held")


def users_by_id(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))} if ids else {}
