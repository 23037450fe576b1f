"""`flask exchange …`: the operator's side of the transnational exchange (docs/exchange.md) — our
keys, the partner NRMs and their keys, the outbox, and packages carried as files."""

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from nrm.cli import _fail

exchange_cli = click.Group("exchange", help="The exchange with partner NRMs (docs/exchange.md).")
keys_group = click.Group("keys", help="Our exchange key pair: create, show, rotate, retire.")
partner_group = click.Group("partner", help="Partner NRMs and their public keys.")
exchange_cli.add_command(keys_group)
exchange_cli.add_command(partner_group)


def _refusal(code: str) -> str:
    from nrm import labels

    return str(labels.EXCHANGE_RULE_LABELS.get(code, code))


_PARTNER_ERRORS = {
    "fingerprint_mismatch": "The fingerprint does not match the key: do not record it; check with "
                            "the partner.",
    "not_a_public_key": "Not a public EC P-256 key in JWK form (a private key is refused).",
    "check_not_recorded": "Say how the fingerprint was checked (--checked).",
    "key_known": "This key is already recorded.",
    "unknown_country": "Give the partner's country as an ISO 3166-1 alpha-2 code (not KG).",
    "bad_exchange_id": "The exchange id is 2 to 41 Latin letters, digits, dots, hyphens or underscores, "
                       "and not ours.",
    "exchange_id_known": "A partner with this exchange id is already recorded.",
    "url_not_https": "The inbox address must be https (plain http only to this machine).",
    "unknown_key": "No such key.",
    "newest_key": "The newest key pair is in use; rotate first.",
    "unknown_use": "--use is sig or enc.",
}


def _explain(problem) -> str:
    code = getattr(problem, "code", str(problem))
    return _PARTNER_ERRORS.get(code) or _refusal(code)


@keys_group.command("create")
@with_appcontext
def keys_create():
    """Create our key pair unless there is one (init does this too)."""
    from nrm.services import exchange

    made = exchange.ensure_keys()
    click.echo("created " + ", ".join(f"{u} {k}" for u, k in made.items()) if made else "our keys exist")


@keys_group.command("show")
@with_appcontext
def keys_show():
    """Our public keys (JWK Set) and their fingerprints, to give a partner with the fingerprints
    read out over another channel."""
    from nrm.services import exchange

    jwks = exchange.public_keys()
    if not jwks["keys"]:
        _fail("no exchange keys: run `flask --app nrm exchange keys create`")
    for key in jwks["keys"]:
        click.echo(f"{key['use']}  fingerprint {key['kid']}", err=True)
    click.echo(json.dumps(jwks, indent=2))


@keys_group.command("rotate")
@with_appcontext
def keys_rotate():
    """A new pair. Every encryption key on disk still opens what partners send; the old signing key
    signs until it is retired, once every partner has recorded the new keys."""
    from nrm.extensions import db
    from nrm.services import exchange

    made = exchange.rotate_keys()
    db.session.commit()
    click.echo(f"new keys: sign {made['sig']}, encrypt {made['enc']} — back up instance/keys/exchange/, "
               "give partners the new public keys (exchange keys show), and once they have recorded them "
               "retire the old ones (exchange keys retire KID): until then the old key signs")


@keys_group.command("retire", context_settings={"ignore_unknown_options": True})  # a kid may begin with "-"
@click.argument("kid")
@with_appcontext
def keys_retire(kid):
    """Move one of our old keys out of use (into keys/exchange/retired/)."""
    from nrm.extensions import db
    from nrm.services import exchange

    try:
        path = exchange.retire_key(kid)
    except exchange.NotAllowed as problem:
        _fail(_explain(problem))
    db.session.commit()
    click.echo(f"retired: {path}")


def _read_jwk(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        _fail(f"{path}: not a JSON key ({problem})")
    if isinstance(data, dict) and "keys" in data:
        _fail(f"{path}: give one key, not a key set")
    return data


@partner_group.command("add")
@click.option("--code", required=True, help="Our code for the partner (Latin letters, digits, hyphens).")
@click.option("--name-en", required=True)
@click.option("--name-ru")
@click.option("--name-ky")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of the partner's country.")
@click.option("--exchange-id", required=True, help="The partner's id in the exchange (it names itself so).")
@click.option("--url", required=True, help="The partner's inbox (https://…/api/v1/exchange/inbox).")
@click.option("--sig", "sig_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--sig-fingerprint", required=True, help="As the partner read it out, by another channel.")
@click.option("--enc", "enc_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--enc-fingerprint", required=True)
@click.option("--checked", required=True, help="How and with whom the fingerprints were checked.")
@with_appcontext
def partner_add(code, name_en, name_ru, name_ky, country, exchange_id, url, sig_path, sig_fingerprint,
                enc_path, enc_fingerprint, checked):
    """Record another country's NRM body and its public keys."""
    from nrm.extensions import db
    from nrm.services import exchange
    from nrm.services.accounts import ValidationFailed

    names = {"en": name_en, "ru": name_ru or name_en, "ky": name_ky or name_ru or name_en}
    try:
        partner = exchange.add_partner(None, code=code, name=names, country=country.upper(),
                                       exchange_id=exchange_id, url=url, checked=checked,
                                       keys={"sig": (_read_jwk(sig_path), sig_fingerprint),
                                             "enc": (_read_jwk(enc_path), enc_fingerprint)})
    except exchange.NotAllowed as problem:
        db.session.rollback()
        _fail(_explain(problem))
    except ValidationFailed as problem:
        db.session.rollback()
        _fail(str(problem.message))
    db.session.commit()
    click.echo(f"partner {partner.code} ({partner.country}, {partner.exchange_id}) recorded with its keys")


@partner_group.command("key")
@click.argument("code")
@click.option("--use", required=True, type=click.Choice(["sig", "enc"]))
@click.option("--jwk", "jwk_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--fingerprint", required=True)
@click.option("--checked", required=True)
@with_appcontext
def partner_key(code, use, jwk_path, fingerprint, checked):
    """Record a partner's new key (after its rotation); its older encryption key is retired."""
    from nrm.extensions import db
    from nrm.services import exchange

    partner = _partner_or_fail(code)
    try:
        exchange.add_partner_key(None, partner, use, _read_jwk(jwk_path), fingerprint, checked)
    except exchange.NotAllowed as problem:
        db.session.rollback()
        _fail(_explain(problem))
    db.session.commit()
    click.echo(f"{use} key recorded for {partner.code}")


@partner_group.command("retire-key", context_settings={"ignore_unknown_options": True})
@click.argument("kid")
@with_appcontext
def partner_retire_key(kid):
    """Stop trusting one of a partner's keys (lost, or replaced)."""
    from nrm.extensions import db
    from nrm.services import exchange

    try:
        exchange.retire_partner_key(None, kid)
    except exchange.NotAllowed as problem:
        _fail(_explain(problem))
    db.session.commit()
    click.echo("retired")


def _partner_or_fail(code):
    from nrm.extensions import db
    from nrm.models import Organisation

    partner = db.session.scalar(db.select(Organisation).where(Organisation.code == code,
                                                              Organisation.kind == "partner_nrm"))
    if partner is None:
        _fail(f"no partner NRM with code {code!r}")
    return partner


@partner_group.command("list")
@with_appcontext
def partner_list():
    from nrm.extensions import db
    from nrm.models import PartnerKey
    from nrm.services import exchange

    for partner in exchange.partners():
        click.echo(f"{partner.code:<20} {partner.country}  {partner.exchange_id:<24} {partner.exchange_url}")
        for key in db.session.scalars(db.select(PartnerKey).where(PartnerKey.organisation_id == partner.id)):
            state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "in use"
            click.echo(f"    {key.use}  {key.kid}  {state}  checked: {key.checked}")


@exchange_cli.command("outbox")
@with_appcontext
def outbox():
    """Packages not yet receipted by the partner: id, partner, attempts, next attempt, last error."""
    from nrm.extensions import db
    from nrm.models import ExchangeMessage

    rows = db.session.scalars(db.select(ExchangeMessage).where(
        ExchangeMessage.direction == "out", ExchangeMessage.delivered_at.is_(None))
        .order_by(ExchangeMessage.created_at))
    for message in rows:
        following = message.next_attempt_at or "stopped: past validity"
        click.echo(f"{message.id}  {message.kind:<8} partner {message.partner_id}  "
                   f"attempts {message.attempts}  next {following}  {message.last_error or ''}")


@exchange_cli.command("deliver")
@with_appcontext
def deliver():
    """Try every package due now (the scheduler does this each interval)."""
    from nrm.services import exchange

    delivered, failed = exchange.deliver_due()
    click.echo(f"{delivered} delivered, {failed} to retry")


@exchange_cli.command("write")
@click.argument("message_id")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def write(message_id, path):
    """Write one of our packages to a file, for a diplomatic pouch or e-mail (it stays encrypted)."""
    from nrm.extensions import db
    from nrm.models import ExchangeMessage
    from nrm.services import exchange

    message = db.session.get(ExchangeMessage, message_id)
    if message is None or message.direction != "out":
        _fail(f"no outgoing package {message_id!r} (exchange outbox lists them)")
    try:
        exchange.write_file(message, path)
    except FileExistsError:
        _fail(f"{path} exists; choose a new file")
    except exchange.NotAllowed:
        _fail("the person withdrew consent before this package was delivered: it is not sent")
    db.session.commit()
    click.echo(f"package written to {path}; its receipt comes back with `exchange receipt`")


@exchange_cli.command("import")
@click.argument("path", type=click.File("r"))
@click.option("--receipt", "receipt_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write our signed receipt here (else it is printed), to send back to the partner.")
@with_appcontext
def import_package(path, receipt_path):
    """Take a package that came as a file."""
    from nrm.extensions import db
    from nrm.security import audit
    from nrm.services import exchange

    try:
        receipt, result = exchange.receive(path.read(exchange.MAX_PACKAGE + 1))
    except exchange.Refused as refusal:
        db.session.rollback()
        audit.record("exchange.refused", object_type="exchange_package", object_id=refusal.code,
                     outcome="refused")
        db.session.commit()
        _fail(f"refused ({refusal.code}): {refusal.detail or 'nothing was stored'}")
    db.session.commit()
    if receipt_path:
        receipt_path.write_text(receipt + "\n", encoding="ascii")
        click.echo(f"{result}; receipt written to {receipt_path}")
    else:
        click.echo(f"{result}; receipt:", err=True)
        sys.stdout.write(receipt + "\n")


@exchange_cli.command("receipt")
@click.argument("path", type=click.File("r"))
@with_appcontext
def take_receipt(path):
    """Take a partner's receipt that came back as a file."""
    from nrm.extensions import db
    from nrm.services import exchange

    try:
        message = exchange.take_receipt_file(path.read(exchange.MAX_PACKAGE))
    except exchange.DeliveryFailed as problem:
        db.session.rollback()
        _fail(str(problem))
    db.session.commit()
    click.echo(f"receipt taken for {message.id}")
