"""Command-line interface: ``flask --app nrm …``.

``init`` is registered through the ``flask.commands`` entry point (setup.cfg) rather than on the
app, because it must run before the keys exist and the app refuses to start without them.
"""

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from nrm.errors import StartupError, ValidationFailed

BASE_ORGANISATION = ("mlssm", {
    "en": "Ministry of Labour, Social Security and Migration — NRM coordination",
    "ru": "Министерство труда, социального обеспечения и миграции — координация Национального механизма "
          "перенаправления",
    "ky": "Эмгек, социалдык камсыздоо жана миграция министрлиги — Улуттук багыттоо механизмин координациялоо",
}, "mlssm_central", "KG-GB")

# Demo organisations: fictitious screening units named "Demo". The real bodies (crisis centres,
# Procurator General's Office, Ombudsman, ...) come from the directory (sops/directory.yaml),
# names and kinds only, no contacts.
DEMO_ORGANISATIONS = (
    ("demo-police-bishkek", {"en": "Demo: Internal affairs unit, Bishkek",
                             "ru": "Демо: отдел внутренних дел, Бишкек",
                             "ky": "Демо: ички иштер бөлүмү, Бишкек"}, "police_unit", "KG-GB", True),
    ("demo-customs-manas", {"en": "Demo: Customs post, Manas airport",
                            "ru": "Демо: таможенный пост, аэропорт «Манас»",
                            "ky": "Демо: бажы бекети, «Манас» аэропорту"}, "customs_post", "KG-C", True),
)
DEMO_ACCOUNTS = (
    ("demo-officer", "screening_officer", "demo-police-bishkek"),
    ("demo-customs", "screening_officer", "demo-customs-manas"),
    ("demo-caseworker", "case_worker", "sezim"),
    ("demo-coordinator", "coordinator", "mlssm"),
    ("demo-analyst", "analyst", "gpo"),
    ("demo-auditor", "auditor", "ombudsman"),
    ("demo-admin", "administrator", "mlssm"),
)
DEMO_CONFIG = '''"""Written by `flask --app nrm init --demo`: this is a demonstration instance."""
ENV = "development"
'''


def _fail(message: str):
    raise click.ClickException(message)


@click.command("init", help="Create instance/ (keys, database), base data; --demo adds demo accounts.")
@click.option("--demo", is_flag=True, help="Create demo organisations and one demo account per role.")
def init_command(demo: bool) -> None:
    from nrm import create_app, default_instance_path
    from nrm.security import keys

    if demo and os.environ.get("NRM_ENV") == "production":
        _fail("init --demo refuses to run with NRM_ENV=production: demo accounts are not for production.")
    instance = default_instance_path()
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(instance, 0o700)
    created = keys.ensure_key_files(instance / "keys") if not _keys_from_environment() else []
    for name in created:
        click.echo(f"created instance/keys/{name} (mode 0600): back it up; without it nothing can be read")
    from nrm.services.exchange import ensure_keys

    if ensure_keys(instance / "keys" / "exchange"):
        click.echo("created instance/keys/exchange/ (our exchange key pair, mode 0600): back it up")
    config_file = instance / "config.py"
    if demo and not config_file.exists():
        config_file.write_text(DEMO_CONFIG, encoding="utf-8")
    try:
        app = create_app()
    except StartupError as problem:
        _fail(str(problem))
    if demo and app.config["ENV"] == "production":
        _fail("init --demo refuses to run: this instance is configured as production (ENV).")
    with app.app_context():
        _init_database(app, demo)


def _keys_from_environment() -> bool:
    return all(os.environ.get(k) for k in ("NRM_SECRET_KEY", "NRM_MASTER_KEYS", "NRM_AUDIT_KEY",
                                           "NRM_INDEX_KEY"))


def _init_database(app, demo: bool) -> None:
    import flask_migrate

    from nrm.extensions import db
    from nrm.models import Organisation

    flask_migrate.upgrade()
    from nrm.services import accounts

    if not db.session.scalar(db.select(Organisation.id).where(Organisation.code == BASE_ORGANISATION[0])):
        code, name, kind, region = BASE_ORGANISATION
        accounts.create_organisation(None, code=code, name=name, kind=kind, region=region)
    from nrm.services import directory

    added, updated = directory.seed()
    db.session.commit()
    click.echo(f"database ready: {_describe_database(app)}")
    if added or updated:
        click.echo(f"directory of services: {added} organisations added, "
                   f"{updated} marked as directory entries")
    if demo:
        _seed_demo()


def _describe_database(app) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def _seed_demo() -> None:
    from nrm.clock import now
    from nrm.extensions import db
    from nrm.models import Organisation, User
    from nrm.security import totp
    from nrm.services import accounts

    orgs = {o.code: o for o in db.session.scalars(db.select(Organisation))}
    for code, name, kind, region, is_demo in DEMO_ORGANISATIONS:
        if code not in orgs:
            orgs[code] = accounts.create_organisation(None, code=code, name=name, kind=kind,
                                                      region=region, is_demo=is_demo)
    rows = []
    for username, role, org_code in DEMO_ACCOUNTS:
        user = db.session.scalar(db.select(User).where(User.username == username))
        if user is None:
            user, password = accounts.create_user(None, username=username, role=role,
                                                  organisation=orgs[org_code], is_demo=True)
        elif not user.is_demo:
            _fail(f"{username} exists and is not a demo account; refusing to touch it.")
        else:
            password = accounts.reset_password(None, user)
        if user.totp_enrolled_at is None:
            db.session.flush()
            totp.new_secret(user)
            user.totp_enrolled_at = now()
        rows.append((username, role, org_code, password))
    db.session.commit()
    click.echo("\nDemo accounts (one-time passwords: each sign-in asks for a new password first).")
    click.echo("Second factor: `flask --app nrm users code USERNAME` prints the current 6-digit code.\n")
    click.echo(f"{'user name':<18} {'role':<18} {'organisation':<20} one-time password")
    for username, role, org_code, password in rows:
        click.echo(f"{username:<18} {role:<18} {org_code:<20} {password}")
    click.echo("")


@click.group("sops", help="The SOP catalogue: check it before it is loaded.")
def sops_command():
    pass


@sops_command.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def sops_check(path):
    """Check the catalogue folder (default: the shipped sops/) or one file; exit 1 on problems,
    each named by file, line and field. Works even when the app would refuse to start."""
    from sops.loader import ROOT, check

    problems = check(path or ROOT)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s).", err=True)
        sys.exit(1)
    click.echo(f"{path or ROOT}: no problems.")


screening_cli = click.Group("screening", help="Screenings and their assessment.")


def _read_json(source):
    import json

    text = sys.stdin.read() if source in (None, "-") else Path(source).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as problem:
        _fail(f"not valid JSON: line {problem.lineno}, column {problem.colno}: {problem.msg}")


def _assessment_input(item, index):
    where = f"item {index}: " if index is not None else ""
    if not isinstance(item, dict):
        _fail(f"{where}each case is a JSON object")
    unknown_keys = set(item) - {"age", "age_uncertain", "facts", "indicators"}
    if unknown_keys:
        _fail(f"{where}unknown keys {sorted(unknown_keys)}")
    age = item.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 130):
        _fail(f"{where}age must be a whole number of years (0-130) or null")
    if not isinstance(item.get("age_uncertain", False), bool):
        _fail(f"{where}age_uncertain must be true or false")
    for key in ("facts", "indicators"):
        values = item.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            _fail(f"{where}{key} must be a list of ids")
    return {"age": age, "age_uncertain": item.get("age_uncertain", False),
            "facts": item.get("facts", []), "indicators": item.get("indicators", [])}


@screening_cli.command("assess")
@click.argument("source", required=False)
@with_appcontext
def screening_assess(source):
    """Assess one JSON case or an array of cases (FILE or - for standard input); print JSON."""
    import json

    from nrm.core.assessment import UnknownIds, assess

    criteria = current_app.extensions["nrm_catalogue"].criteria
    data = _read_json(source)
    cases = data if isinstance(data, list) else [data]
    results = []
    for index, item in enumerate(cases):
        try:
            results.append(assess(criteria, **_assessment_input(
                item, index if isinstance(data, list) else None)).to_json())
        except UnknownIds as problem:
            where = f"item {index}: " if isinstance(data, list) else ""
            _fail(f"{where}{problem}")
    click.echo(json.dumps(results if isinstance(data, list) else results[0], ensure_ascii=False, indent=2))


users = click.Group("users", help="Manage user accounts.")


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(
    ["screening_officer", "case_worker", "coordinator", "analyst", "auditor", "administrator"]))
@click.option("--org", "org_code", required=True, help="Organisation code.")
@click.option("--password-stdin", is_flag=True, help="Read the initial password from standard input.")
@with_appcontext
def users_create(username, role, org_code, password_stdin):
    from nrm.extensions import db
    from nrm.models import Organisation
    from nrm.services import accounts

    org = db.session.scalar(db.select(Organisation).where(Organisation.code == org_code.lower()))
    if org is None:
        _fail(f"No organisation with code {org_code!r}.")
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        user, generated = accounts.create_user(None, username=username, role=role,
                                               organisation=org, password=password)
    except ValidationFailed as problem:
        db.session.rollback()
        _fail(str(problem.message))
    db.session.commit()
    click.echo(f"created {user.username} ({role}, {org.code})")
    if generated:
        click.echo(f"one-time password: {generated}")
    click.echo("The user sets their own password and enrols the second factor at first sign-in.")


def _user_or_fail(username):
    from nrm.extensions import db
    from nrm.models import User

    user = db.session.scalar(db.select(User).where(User.username == username.strip().lower()))
    if user is None:
        _fail(f"No user {username!r}.")
    return user


@users.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username):
    from nrm.extensions import db
    from nrm.services import accounts

    user = _user_or_fail(username)
    try:
        accounts.set_user_active(None, user, False)
    except ValidationFailed as problem:
        db.session.rollback()
        _fail(str(problem.message))
    db.session.commit()
    click.echo(f"disabled {user.username}; its sessions are ended")


@users.command("enable")
@click.argument("username")
@with_appcontext
def users_enable(username):
    from nrm.extensions import db
    from nrm.services import accounts

    user = _user_or_fail(username)
    accounts.set_user_active(None, user, True)
    db.session.commit()
    click.echo(f"enabled {user.username}")


@users.command("code")
@click.argument("username")
@with_appcontext
def users_code(username):
    """Print the current TOTP code of a demo account (refused for every other account)."""
    from nrm.security import totp

    user = _user_or_fail(username)
    if not user.is_demo or current_app.config["ENV"] == "production":
        _fail("users code works only for demo accounts of a demo instance.")
    if user.totp_secret is None:
        _fail(f"{user.username} has no second factor yet.")
    click.echo(totp.current_code(user))


@users.command("email")
@click.argument("username")
@click.argument("address", required=False)
@with_appcontext
def users_email(username, address):
    """Set (or, without ADDRESS, clear) the work e-mail that notification mails go to."""
    import re

    from nrm.extensions import db
    from nrm.security import audit

    user = _user_or_fail(username)
    if address and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        _fail(f"{address!r} is not an e-mail address.")
    user.email = address or None
    audit.record("account.email", object_type="user", object_id=user.id)
    db.session.commit()
    click.echo(f"{user.username}: notification e-mails {'to ' + address if address else 'off'}.")


orgs_cli = click.Group("orgs", help="Organisations: enable or disable (recovery from the command line).")


def _org_or_fail(code):
    from nrm.extensions import db
    from nrm.models import Organisation

    org = db.session.scalar(db.select(Organisation).where(Organisation.code == code.strip().lower()))
    if org is None:
        _fail(f"No organisation with code {code!r}.")
    return org


@orgs_cli.command("enable")
@click.argument("code")
@with_appcontext
def orgs_enable(code):
    """Enable an organisation (its accounts can sign in again); audited."""
    from nrm.extensions import db
    from nrm.services import accounts

    org = _org_or_fail(code)
    accounts.set_organisation_active(None, org, True)
    db.session.commit()
    click.echo(f"enabled {org.code}")


@orgs_cli.command("disable")
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept with the organisation and in the trail).")
@with_appcontext
def orgs_disable(code, reason):
    """Disable an organisation: its accounts are signed out and cannot sign in; audited. Refused for
    the organisation that holds every active administrator."""
    from nrm.extensions import db
    from nrm.services import accounts

    org = _org_or_fail(code)
    try:
        ended = accounts.set_organisation_active(None, org, False, reason)
    except ValidationFailed as problem:
        db.session.rollback()
        _fail(str(problem.message))
    db.session.commit()
    click.echo(f"disabled {org.code}; {ended} session(s) ended")


api_clients_cli = click.Group("api-clients",
                              help="Systems that call /api/v1 (docs/api.md): an operator's act.")


@api_clients_cli.command("add")
@click.argument("name")
@click.option("--org", "org_code", required=True, help="The organisation the client acts for.")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="referrals:read, referrals:write, screenings:write or statistics:read (repeat).")
@click.option("--days", default=365, show_default=True, help="Days until the token expires (0 = never).")
@click.option("--xroad", help="Its X-Road client identifier, when it calls through Tunduk.")
@with_appcontext
def api_clients_add(name, org_code, scopes, days, xroad):
    """Register a client; its token is printed once and kept only as a hash."""
    from nrm.extensions import db
    from nrm.services import api_clients

    try:
        client, token = api_clients.register(name, _org_or_fail(org_code), list(scopes), days or None, xroad)
    except ValidationFailed as problem:
        db.session.rollback()
        _fail(str(problem.message))
    db.session.commit()
    click.echo(f"client {client.name} ({', '.join(client.scope_list())}) for {client.organisation.code}; "
               f"expires {client.expires_at or 'never'}.\nToken (shown once, keep it in the calling "
               f"system's secret store):\n{token}")


def _client_or_fail(name):
    from nrm.extensions import db
    from nrm.models import ApiClient

    client = db.session.scalar(db.select(ApiClient).where(ApiClient.name == name))
    if client is None:
        _fail(f"no API client {name!r}")
    return client


@api_clients_cli.command("rotate")
@click.argument("name")
@click.option("--days", default=365, show_default=True)
@with_appcontext
def api_clients_rotate(name, days):
    """A new token; the old one stops working at once."""
    from nrm.extensions import db
    from nrm.services import api_clients

    token = api_clients.rotate(_client_or_fail(name), days or None)
    db.session.commit()
    click.echo(f"new token for {name} (shown once):\n{token}")


@api_clients_cli.command("revoke")
@click.argument("name")
@with_appcontext
def api_clients_revoke(name):
    from nrm.extensions import db
    from nrm.services import api_clients

    api_clients.revoke(_client_or_fail(name))
    db.session.commit()
    click.echo(f"revoked {name}")


@api_clients_cli.command("list")
@with_appcontext
def api_clients_list():
    from nrm.clock import now
    from nrm.extensions import db
    from nrm.models import ApiClient

    for c in db.session.scalars(db.select(ApiClient).order_by(ApiClient.name)):
        state = "usable" if c.usable(now()) else "revoked" if c.revoked_at else "expired or disabled"
        click.echo(f"{c.name}  {c.organisation.code}  {','.join(c.scope_list())}  {state}  "
                   f"last used {c.last_used_at or '-'}")


holidays_cli = click.Group("holidays", help="The working calendar the working-day clocks count.")


@holidays_cli.command("list")
@click.option("--year", type=int, help="The year (default: this year, in Bishkek).")
@with_appcontext
def holidays_list(year):
    """Public holidays under the law and the days recorded for a year."""
    from nrm.clock import today
    from nrm.services import calendar

    year = year or today().year
    for entry in calendar.year_view(year, "en"):
        click.echo(f"{entry['day'].strftime('%d.%m.%Y %a')}  {entry['kind']:<11}  {entry['origin']:<13}  "
                   f"{entry['name']}")


@holidays_cli.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
@click.option("--working", is_flag=True, help="A weekend day declared a working day (default: a day off).")
@click.option("--name", required=True, help="What the day is, as the Cabinet's decision names it.")
@with_appcontext
def holidays_add(day, working, name):
    """Record a day the Cabinet announces (e.g. the date of Orozo Ait); audited."""
    from nrm.extensions import db
    from nrm.services import calendar

    try:
        calendar.add_day(None, day.date(), "working_day" if working else "day_off", name)
    except ValidationFailed as problem:
        db.session.rollback()
        _fail(str(problem.message))
    db.session.commit()
    click.echo(f"recorded {day.date().isoformat()} as a {'working day' if working else 'day off'}: {name}")


@holidays_cli.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
@with_appcontext
def holidays_remove(day):
    """Remove a recorded day; audited."""
    from nrm.extensions import db
    from nrm.services import calendar

    if not calendar.remove_day(None, day.date()):
        _fail(f"{day.date().isoformat()} is not a recorded day "
              "(public holidays under the law cannot be removed).")
    db.session.commit()
    click.echo(f"removed {day.date().isoformat()}")


audit_cli = click.Group("audit", help="The audit trail.")


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check the whole hash chain; exit 1 naming the first broken event."""
    from nrm.extensions import db
    from nrm.security import audit

    result = audit.verify()
    audit.record("audit.verify", object_type="audit_trail", outcome="ok" if result.ok else "broken")
    db.session.commit()
    if not result.ok:
        click.echo(f"audit trail BROKEN at event {result.broken_seq}"
                   f"{f' (row id {result.broken_id})' if result.broken_id else ''}: {result.reason}. "
                   f"{result.checked} events before it are intact.", err=True)
        sys.exit(1)
    click.echo(f"audit trail intact: {result.checked} events; head: event {result.head_seq}, "
               f"{result.head_hash}")


keys_cli = click.Group("keys", help="Master keys of the vault: status, rotation, retirement.")


@keys_cli.command("status")
@with_appcontext
def keys_status():
    """How many data keys and TOTP seeds each master key still protects."""
    from nrm.security import vault
    from nrm.services import keyring

    ring = vault.source().reload()
    current = keyring.usage()
    click.echo(f"{'master key':<28} {'data keys':>10} {'TOTP seeds':>11}")
    for key_id in sorted(set(ring.keys) | set(current["data_keys"]) | set(current["totp_seeds"])):
        if key_id is None:
            continue
        mark = " (active)" if key_id == ring.active_id else ("" if key_id in ring.keys else " (MISSING)")
        click.echo(f"{key_id + mark:<28} {current['data_keys'].get(key_id, 0):>10} "
                   f"{current['totp_seeds'].get(key_id, 0):>11}")
    click.echo(f"destroyed data keys (erased records): {current['destroyed']['*']}")


@keys_cli.command("rotate")
@click.option("--rewrap-only", is_flag=True, help="Do not add a key; re-wrap to the newest one.")
@click.option("--batch", default=500, show_default=True, help="Data keys per transaction.")
@with_appcontext
def keys_rotate(rewrap_only, batch):
    """Add a new master key and re-wrap every data key under it, online, in batches."""
    from nrm.services import keyring

    if not rewrap_only:
        try:
            key_id = keyring.add_master_key()
        except RuntimeError as problem:
            _fail(str(problem))
        click.echo(f"new master key {key_id} written to instance/keys/master/ — back it up now")

    def progress(done, total):
        click.echo(f"  re-wrapped {done}/{total} data keys")

    count = keyring.rewrap_all(batch=batch, progress=progress)
    click.echo(f"re-wrapped {count} data keys; `keys status` shows what each key still protects")


@keys_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def keys_export(path):
    """Export the data keys (still wrapped) for disaster recovery. Keep only recent exports:
    an export older than an erasure would bring that person back on restore."""
    from nrm.extensions import db
    from nrm.security import audit
    from nrm.services import backup

    try:
        count = backup.export_data_keys(path)
    except FileExistsError:
        _fail(f"{path} exists; choose a new file.")
    audit.record("keys.export", object_type="data_keys")
    db.session.commit()
    click.echo(f"exported {count} data keys to {path} (mode 0600). Delete exports older than your "
               "erasure deadline (docs/operations.md).")


@keys_cli.command("retire")
@click.argument("key_id")
@with_appcontext
def keys_retire(key_id):
    """Take a master key that protects nothing any more out of the keyring."""
    from nrm.services import keyring

    try:
        target = keyring.retire(key_id)
    except RuntimeError as problem:
        _fail(str(problem))
    click.echo(f"retired {key_id}: moved to {target}. Keep it with backups older than today.")


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(path):
    """Write a consistent backup (database + sealed attachments) into a new directory PATH."""
    from nrm.extensions import db
    from nrm.security import audit
    from nrm.services import backup

    try:
        manifest = backup.create(path)
    except backup.BackupError as problem:
        _fail(str(problem))
    audit.record("backup.create", object_type="backup")
    db.session.commit()
    click.echo(f"backup written to {path}: {len(manifest['files'])} files, {manifest['database']} "
               f"database at revision {manifest['revision']}.")
    click.echo("The keys are NOT in it: keep instance/keys/ backed up separately.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--data-keys", "data_keys", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A `keys export` file, when the database itself was lost.")
@with_appcontext
def restore_command(path, yes, data_keys):
    """Replace the database and attachments with the backup in PATH (stop the app first)."""
    from nrm.extensions import db
    from nrm.security import audit
    from nrm.services import backup

    try:
        manifest = backup.verify(path)
    except backup.BackupError as problem:
        _fail(str(problem))
    if not yes:
        click.confirm(f"Replace the current database with the backup of {manifest['created_at']}?",
                      abort=True)
    try:
        backup.restore(path, data_keys)
    except backup.BackupError as problem:
        _fail(str(problem))
    audit.record("backup.restore", object_type="backup")
    db.session.commit()
    result = audit.verify()
    click.echo(f"restored the backup of {manifest['created_at']}; audit trail "
               f"{'intact' if result.ok else 'BROKEN at event ' + str(result.broken_seq)}.")


referrals_cli = click.Group("referrals", help="Referral routing.")
ROUTE_KEYS = {"result", "age", "age_uncertain", "citizenship", "stay_region", "found_abroad_country", "needs",
              "asylum_wish", "fear_of_return", "consent", "suspect", "sex", "identity_established"}


@referrals_cli.command("route")
@click.argument("source", required=False)
@click.option("--language", type=click.Choice(["ky", "ru", "en"]), default="en", show_default=True,
              help="Language of organisation names and bases.")
@with_appcontext
def referrals_route(source, language):
    """Route JSON facts (one object or an array; FILE or - for standard input) with the rules of
    sops/routing.yaml and the directory; print the proposed referrals as JSON, one list per object.

    Facts: {"result": "presumed_victim", "age": 15, "citizenship": "UZ" | "KG" | "stateless",
    "stay_region": "KG-GO", "found_abroad_country": null | "RU", "needs": ["medical", "shelter"],
    "asylum_wish": false, "fear_of_return": false, "consent": ["services", "consular"]}.
    A missing or null age counts as uncertain: the person is presumed a child (DOMAIN.md §4)."""
    import json

    from nrm.core import routing as rt
    from nrm.services import directory

    data = _read_json(source)
    items = data if isinstance(data, list) else [data]
    entries = directory.entries_or_seed()
    results = []
    for index, item in enumerate(items):
        where = f"item {index}: " if isinstance(data, list) else ""
        if not isinstance(item, dict):
            _fail(f"{where}each item is a JSON object")
        unknown = set(item) - ROUTE_KEYS
        if unknown:
            _fail(f"{where}unknown keys {sorted(unknown)}; use {sorted(ROUTE_KEYS)}")
        if not set(item.get("consent") or []) <= {"services", "consular"}:
            _fail(f"{where}consent may hold only \"services\" and \"consular\"")
        try:
            facts = rt.facts_from_json(item)
        except (ValueError, AttributeError) as problem:
            _fail(f"{where}{problem}")
        proposals = rt.route(current_app.extensions["nrm_catalogue"].routing, facts, entries,
                             current_app.config["CLOCKS"])
        results.append([p.to_json(language) for p in proposals])
    click.echo(json.dumps(results if isinstance(data, list) else results[0], ensure_ascii=False, indent=2))


directory_cli = click.Group("directory", help="The directory of services.")


@directory_cli.command("load")
@with_appcontext
def directory_load():
    """Add the organisations of sops/directory.yaml that the database lacks (never overwrites
    what a coordinator has edited)."""
    from nrm.extensions import db
    from nrm.services import directory

    added, updated = directory.seed()
    db.session.commit()
    click.echo(f"{added} organisations added, {updated} marked as directory entries.")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or a check).")
@with_appcontext
def scheduler_command(once):
    """Run the scheduled jobs (clocks, escalations, reminders, retention) as their own process.
    Safe to run twice: each job takes a database lock and does each piece of work once."""
    from nrm import jobs

    app = current_app._get_current_object()
    if once:
        for name, result in jobs.run_all(app).items():
            click.echo(f"{name}: {result if result is not None else 'skipped (another scheduler holds it)'}")
        return
    click.echo(f"scheduler running every {app.config['SCHEDULER_INTERVAL_SECONDS']} s; Ctrl-C stops it")
    try:
        jobs.scheduler(app, blocking=True).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")


retention_cli = click.Group("retention", help="Retention of personal data (DOMAIN.md §7).")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Count what is due; change nothing.")
@with_appcontext
def retention_run(dry_run):
    """Apply the retention classes: crypto-shred, then delete. Prints counts only."""
    from nrm.extensions import db
    from nrm.services import retention

    counts = retention.run(dry_run=dry_run)
    if not dry_run:
        db.session.commit()
    for name, count in counts.items():
        click.echo(f"{name}: {count}{' due' if dry_run else ' erased'}")


stats_cli = click.Group("stats", help="Anonymised statistics (docs/statistics.md).")
STAT_DIMENSIONS = ("year", "region", "sex", "age_band", "minor", "citizenship", "nationality", "exploitation",
                   "exploitation_country", "agency", "result", "decision", "case_status", "service",
                   "referral_outcome")


@stats_cli.command("table")
@click.option("--rows", required=True, type=click.Choice(STAT_DIMENSIONS))
@click.option("--cols", type=click.Choice(STAT_DIMENSIONS))
@click.option("--year", "year", help="One published year, or 'all' for a one-dimension table of every "
              "year (default: the latest published year). Not with 'year' as rows or columns.")
@click.option("--format", "output", type=click.Choice(("json", "csv")), default="json", show_default=True)
@with_appcontext
def stats_table(rows, cols, year, output):
    """A published table: small counts withheld (null in JSON, x in CSV), the rest rounded."""
    import json

    from nrm.extensions import db
    from nrm.security import audit
    from nrm.services import statistics as stats

    try:
        chosen = stats.ALL_YEARS if year == "all" else (int(year) if year else None)
        table = stats.table(rows, cols, chosen)
    except (ValueError, stats.BadQuery):
        years = ", ".join(map(str, stats.published_years(stats.unit_of(rows, cols)))) or "none yet"
        _fail("this table cannot be made: choose two different dimensions (not a dimension and its own "
              f"grouping) and one published year ({years}), or 'all' for one dimension")
    audit.record("statistics.export", object_type="statistics",
                 object_id=f"cli:{rows}x{cols or '-'}:{table.year or 'trend'}")
    db.session.commit()
    if output == "json":
        click.echo(json.dumps(table.as_json(), ensure_ascii=False))
    else:
        click.echo(stats.to_csv(stats.grid(table)), nl=False)


@stats_cli.command("export")
@click.option("--profile", type=click.Choice(["ctdc", "public"]), required=True,
              help="ctdc: the CTDC Global Dataset columns, for the CTDC under a recorded agreement; "
                   "public: k-anonymous, for publication.")
@click.option("--agreement", "reference", help="ctdc: the reference of the data-sharing agreement it is "
                                               "sent under (flask --app nrm stats agreement add).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def stats_export(profile, reference, path):
    """Row-level export in a documented profile, with a JSON sidecar (PATH.json) that says what it is."""
    from nrm.clock import today
    from nrm.extensions import db
    from nrm.models import DataSharingAgreement
    from nrm.security import audit
    from nrm.services import exports

    agreement = None
    if profile == "ctdc":
        agreement = db.session.scalar(db.select(DataSharingAgreement).where(
            DataSharingAgreement.reference == (reference or ""), DataSharingAgreement.profile == "ctdc"))
        if agreement is None or not agreement.in_force(today()):
            _fail("a ctdc export leaves the country with personal data of victims: it is refused unless an "
                  "administrator has recorded the data-sharing agreement it is sent under and it is in force "
                  "(flask --app nrm stats agreement add ...; then --agreement REFERENCE)")
    report = exports.export(path, profile, current_app.config, agreement)
    audit.record("statistics.export_rows", object_type="statistics",
                 object_id=f"{profile}:{report.rows}" + (f":{agreement.reference}" if agreement else ""))
    db.session.commit()
    withheld = f"; {report.withheld} withheld" if profile == "public" else ""
    click.echo(f"{path}: {report.rows} rows, profile {profile}"
               + (f", k = {report.k}" if report.k else "") + withheld + f"; described in {path}.json")


@stats_cli.command("validate-export")
@click.option("--profile", type=click.Choice(["ctdc", "public"]), help="(default: from the .json sidecar)")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def stats_validate_export(profile, path):
    """Check an export against its profile: columns, value sets, ISO codes, -99; each fault by line
    and column. Needs no database: a partner can run it on the file alone."""
    from nrm.services import exports

    profile, faults = exports.validate(path, profile)
    for fault in faults[:200]:
        click.echo(f"{path}: {fault}")
    if faults:
        _fail(f"{len(faults)} fault(s): {path} does not follow the {profile} profile")
    click.echo(f"{path}: valid ({profile} profile)")


agreements_cli = click.Group("agreement",
                             help="Data-sharing agreements that row-level exports are sent under.")
stats_cli.add_command(agreements_cli)


@agreements_cli.command("add")
@click.option("--reference", required=True, help="The agreement's own number.")
@click.option("--partner", required=True, help="Who receives the data, e.g. the CTDC (IOM).")
@click.option("--profile", type=click.Choice(["ctdc"]), default="ctdc", show_default=True)
@click.option("--signed", "signed_on", required=True, type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
@click.option("--valid-until", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
@with_appcontext
def agreement_add(reference, partner, profile, signed_on, valid_until):
    """Record a data-sharing agreement (an administrator's act; audited)."""
    from nrm.clock import now
    from nrm.extensions import db
    from nrm.models import DataSharingAgreement
    from nrm.security import audit

    known = db.select(DataSharingAgreement.id).where(DataSharingAgreement.reference == reference)
    if db.session.scalar(known):
        _fail(f"an agreement {reference!r} is already recorded")
    record = DataSharingAgreement(reference=reference, partner=partner, profile=profile,
                                  signed_on=signed_on.date(), recorded_at=now(),
                                  valid_until=valid_until.date() if valid_until else None)
    db.session.add(record)
    db.session.flush()
    audit.record("statistics.agreement_add", object_type="statistics", object_id=f"agreement:{reference}")
    db.session.commit()
    click.echo(f"recorded agreement {reference} with {partner} ({profile})")


@agreements_cli.command("list")
@with_appcontext
def agreement_list():
    from nrm.clock import today
    from nrm.extensions import db
    from nrm.models import DataSharingAgreement

    for a in db.session.scalars(db.select(DataSharingAgreement).order_by(DataSharingAgreement.signed_on)):
        state = "in force" if a.in_force(today()) else "not in force"
        click.echo(f"{a.reference}  {a.profile}  {a.partner}  signed {a.signed_on}  "
                   f"until {a.valid_until or '-'}  {state}")


@agreements_cli.command("end")
@click.argument("reference")
@with_appcontext
def agreement_end(reference):
    """End an agreement: no export is made under it any more (audited)."""
    from nrm.clock import today
    from nrm.extensions import db
    from nrm.models import DataSharingAgreement
    from nrm.security import audit

    record = db.session.scalar(db.select(DataSharingAgreement).where(
        DataSharingAgreement.reference == reference))
    if record is None:
        _fail(f"no agreement {reference!r}")
    record.ended_on = today()
    audit.record("statistics.agreement_end", object_type="statistics", object_id=f"agreement:{reference}")
    db.session.commit()
    click.echo(f"ended agreement {reference}")


@stats_cli.command("rebuild")
@with_appcontext
def stats_rebuild():
    """Recount every statistics row from the records (after an upgrade or a restore). An erased
    person's anonymous row is kept as it is."""
    from nrm.extensions import db
    from nrm.services import screening
    from nrm.services import statistics as stats

    count = stats.rebuild(screening.statistics_profiles(),
                          progress=lambda done: click.echo(f"\r{done}", nl=False, err=True))
    db.session.commit()
    click.echo(f"\n{count} screenings recounted.")


@click.command("demo-data")
@click.option("--cases", "n", type=click.IntRange(1, 10_000_000), required=True, help="How many people.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same people.")
@click.option("--bulk/--no-bulk", default=None,
              help="Write the rows in bulk (default above 5,000 people) instead of one by one.")
@with_appcontext
def demo_data_command(n, seed, bulk):
    """Fictitious screenings, referrals, cases and decisions for demonstration and measurement.
    Refused unless this is a demonstration instance (ENV development or NRM_DEMO_DATA=true)."""
    import time

    from nrm.services import demo

    app = current_app
    if app.config.get("ENV") == "production" and not app.config.get("DEMO_DATA"):
        _fail("this is a production instance: demo data would mix with real records. Refused.")
    started = time.monotonic()

    def progress(done, total):
        rate = done / max(time.monotonic() - started, 1e-6)
        click.echo(f"\r{done:>9,}/{total:,} people  {rate:,.0f}/s  ", nl=False, err=True)

    use_bulk = n > 5000 if bulk is None else bulk
    try:
        result = (demo.generate_bulk if use_bulk else demo.generate)(n, seed, progress=progress)
    except RuntimeError as problem:
        _fail(str(problem))
    click.echo("", err=True)
    click.echo(f"{result['people']:,} demo people, {result['referrals']:,} referrals "
               f"in {time.monotonic() - started:,.1f} s (seed {seed}).")


def init_app(app) -> None:
    app.cli.add_command(stats_cli)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(referrals_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(users)
    app.cli.add_command(audit_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(holidays_cli)
    app.cli.add_command(api_clients_cli)
    from nrm.cli_exchange import exchange_cli

    app.cli.add_command(exchange_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(screening_cli)
