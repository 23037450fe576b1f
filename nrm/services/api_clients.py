"""API clients (nrm.models.api): registered, rotated and revoked by the server's operator on the
command line (`flask --app nrm api-clients ...`) — the same trust as `users create` and the keys,
not the web administrator's: a client that reads referrals reads personal data, and no web
administrator reaches a case. Tokens: ``nrm_<prefix>_<secret>``, 256 bits of randomness, shown once,
kept as a SHA-256 (a token is random, not a password: a fast hash is enough), compared in constant
time."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request

from nrm.clock import now
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models import ApiClient, Organisation, User
from nrm.models.api import SCOPES
from nrm.security import audit

TOKEN_PREFIX = "nrm_"  # noqa: S105 - the visible start of every token, not a secret
USERNAME_PREFIX = "api-"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _new_token() -> tuple[str, str, str]:
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}{prefix}_{secret}", prefix, _hash(secret)


def role_of(scopes: list[str]) -> str:
    roles = {SCOPES[s] for s in scopes}
    if len(roles) != 1:
        raise ValidationFailed(f"scopes {', '.join(scopes)} belong to different roles; register one client "
                               "per role", field="scopes")
    return roles.pop()


def register(name: str, organisation: Organisation, scopes: list[str], days: int | None = 365,
             xroad_client: str | None = None) -> tuple[ApiClient, str]:
    """A new client acting as a technical account of ``organisation``; returns it and its token."""
    from nrm.services import accounts

    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise ValidationFailed(f"unknown scope(s): {', '.join(unknown) or '(none)'}; known: "
                               f"{', '.join(SCOPES)}", field="scopes")
    role = role_of(scopes)
    user, _password = accounts.create_user(None, username=f"{USERNAME_PREFIX}{name}", role=role,
                                           organisation=organisation, technical=True)
    user.must_change_password = False        # it never signs in on a page (accounts.sign_in refuses)
    token, prefix, digest = _new_token()
    client = ApiClient(name=name, organisation=organisation, user=user, scopes=",".join(scopes),
                       token_prefix=prefix, token_hash=digest, created_at=now(), xroad_client=xroad_client,
                       expires_at=now() + timedelta(days=days) if days else None)
    db.session.add(client)
    db.session.flush()
    audit.record("api_client.register", object_type="api_client", object_id=client.id)
    return client, token


def rotate(client: ApiClient, days: int | None = 365) -> str:
    """A new token; the old one stops working at once."""
    token, prefix, digest = _new_token()
    client.token_prefix, client.token_hash = prefix, digest
    client.expires_at = now() + timedelta(days=days) if days else None
    audit.record("api_client.rotate", object_type="api_client", object_id=client.id)
    return token


def revoke(client: ApiClient) -> None:
    client.revoked_at = client.revoked_at or now()
    audit.record("api_client.revoke", object_type="api_client", object_id=client.id)


def from_request() -> ApiClient | None:
    """The client a request to /api/ comes from: a bearer token, or — only from the configured
    Tunduk/X-Road security server — the ``X-Road-Client`` header. None when neither holds."""
    header = request.headers.get("Authorization", "")
    client = None
    if header.startswith("Bearer "):
        client = _by_token(header[7:].strip())
    elif request.headers.get("X-Road-Client"):
        allowed = current_app.config.get("XROAD_SECURITY_SERVERS") or ()
        if request.remote_addr in allowed:
            client = db.session.scalar(db.select(ApiClient).where(
                ApiClient.xroad_client == request.headers["X-Road-Client"].strip()))
    if client is None or not client.usable(now()):
        return None
    if client.last_used_at is None or now() - client.last_used_at > timedelta(minutes=1):
        client.last_used_at = now()
    g.api_client = client
    return client


def _by_token(token: str) -> ApiClient | None:
    if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
        return None
    prefix, secret = token[len(TOKEN_PREFIX):].split("_", 1)
    client = db.session.scalar(db.select(ApiClient).where(ApiClient.token_prefix == prefix))
    if client is None or not client.token_hash or not hmac.compare_digest(client.token_hash, _hash(secret)):
        return None
    return client


def is_api_account(user: User) -> bool:
    return user.username.startswith(USERNAME_PREFIX)


def expired(client: ApiClient, at: datetime) -> bool:
    return client.expires_at is not None and at >= client.expires_at
