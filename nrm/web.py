"""Request-level security and presentation: the login gate, response headers, the locale,
error pages and template helpers.

The gate is an allow-list: an endpoint not named in ``PUBLIC_ENDPOINTS`` (or a sign-in step
endpoint for a pending session) needs a fully signed-in user.
"""

import errno
import os
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from nrm import labels, names
from nrm.extensions import login_manager
from nrm.services import sessions

PUBLIC_ENDPOINTS = {"static", "auth.login", "home.health", "home.set_language", "api.health",
                    "api-docs.openapi_json", "api.exchange_inbox", "api.exchange_keys"}
# Reachable with a session that passed the password but not yet the whole sign-in.
SIGN_IN_ENDPOINTS = {"auth.new_password", "auth.enrol", "auth.second_factor", "auth.logout"}

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'; object-src 'none'")

END_REASON_MESSAGES = {
    "idle": _l("You were signed out after 15 minutes without activity. Sign in again."),
    "absolute": _l("Your session reached its 8-hour limit. Sign in again."),
    "disabled": _l("Your account has been disabled. Contact your administrator."),
    "reset": _l("Your sign-in details were reset by an administrator. Sign in again."),
    "pending_expired": _l("Sign-in took too long. Start again."),
}

ERROR_MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not available here."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a minute and try again."),
    503: _l("The database is busy or out of reach, so nothing was saved. Go back and send the form "
            "again in a moment: your browser keeps what you typed."),
    500: _l("Something went wrong on our side. Nothing you entered was shown to anyone. "
            "Try again; if it happens again, tell your administrator the time it happened."),
}
# The server's disk is full or read-only (SQLite's file, or the sealed attachments): a 503 too.
STORAGE_MESSAGE = _l("The server cannot store anything at the moment (its disk is full or read-only), so "
                     "nothing was saved. Go back and send the form again later: your browser keeps what "
                     "you typed. If it happens again, tell your administrator.")
STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO}
STORAGE_SIGNS = ("disk is full", "no space left", "readonly database", "read-only", "disk i/o error",
                 "unable to open database file")


def init_app(app):
    login_manager.request_loader(_load_user)
    login_manager.login_view = "auth.login"
    # Sessions are server-side (nrm.services.sessions); Flask-Login's own "protection" would only
    # rewrite the cookie on requests that carry an old one.
    login_manager.session_protection = None
    app.before_request(_refuse_nul_bytes)
    app.before_request(_refuse_cross_site_writes)
    app.before_request(_login_gate)
    app.after_request(_security_headers)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, _error_page)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(OSError, _storage_unavailable)
    _wait_for_locks(app)
    app.context_processor(_template_globals)
    app.jinja_env.globals.update(labels=labels)


# a database error with one of these signs is a 503 (nothing saved, send again), any other a 500
BUSY_SIGNS = ("database is locked", "database is busy", "lock timeout", "could not obtain lock",
              "could not connect", "connection refused", "server closed the connection") + STORAGE_SIGNS


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA secure_delete=ON")
        # 64 MiB page cache per connection: the default 2 MiB makes index inserts into a large
        # database read from disk. (synchronous stays FULL: an acknowledged write survives a power cut.)
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()


def _wait_for_locks(app):
    """A write waits DATABASE_LOCK_WAIT_MS for another transaction's lock, then fails, and the user
    is told nothing was saved (503): SQLite's busy_timeout, PostgreSQL's lock_timeout. Without it a
    PostgreSQL request would wait for a stuck transaction until gunicorn killed the worker."""
    import sqlite3

    from nrm.extensions import db

    wait = int(app.config["DATABASE_LOCK_WAIT_MS"])
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _set_lock_wait(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor.execute(f"PRAGMA busy_timeout={wait}")
        else:
            cursor.execute(f"SET lock_timeout = {wait}")
            dbapi_connection.commit()       # a SET inside the pool's first transaction would be rolled back
        cursor.close()


def _load_user(_request):
    if is_api_request():
        from nrm.services import api_clients

        client = api_clients.from_request()      # a token or X-Road; a session cookie never counts here
        return client.user if client is not None else None
    record = sessions.current()
    if record is None:
        return None
    sessions.touch(record)
    return record.user


def _refuse_nul_bytes():
    """No text we store or search may hold a NUL (PostgreSQL refuses it): a 400, never a 500."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):     # every value of a repeated field, and the names
            if "\x00" in key or "\x00" in value:
                abort(400)


def _refuse_cross_site_writes():
    """A state-changing request that the browser itself labels cross-site is refused outright
    (defence in depth beside the CSRF token; older clients without the header pass on)."""
    if request.method not in ("GET", "HEAD", "OPTIONS") \
            and request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _login_gate():
    endpoint = request.endpoint
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if is_api_request():
        if current_user.is_authenticated:
            return None
        from nrm.api.problems import problem

        return problem(401)
    if current_user.is_authenticated:
        return None
    if endpoint in SIGN_IN_ENDPOINTS and sessions.current(stage=None) is not None:
        return None
    reason = g.get("session_end_reason")
    if reason in END_REASON_MESSAGES:
        flash(END_REASON_MESSAGES[reason], "warning")
    if request.method == "GET" and endpoint is not None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return redirect(url_for("auth.login"))


def safe_next(target: str | None) -> str | None:
    """Accept only a local absolute path; anything else could send the user to another site.
    Control characters (a newline would split the Location header) and overlong values are refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if len(target) > 2000 or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    if code == 500:
        from nrm.extensions import db

        db.session.rollback()
    if is_api_request():
        from nrm.api.problems import from_exception

        return from_exception(error)
    return render_template("errors/error.html", code=code, message=ERROR_MESSAGES.get(code)), code


def _database_unavailable(error):
    """A locked, busy, full or unreachable database: the transaction is rolled back and the user is
    told plainly that nothing was saved (503, retry shortly). Any other database error is a 500."""
    from nrm.extensions import db

    db.session.rollback()
    text = str(getattr(error, "orig", error)).lower()
    code = 503 if any(sign in text for sign in BUSY_SIGNS) else 500
    from flask import current_app

    # the operators see the kind of failure and where (never the statement's values: nrm.logs)
    current_app.logger.log(30 if code == 503 else 40, "database %s on %s %s",
                           "unavailable" if code == 503 else "error", request.method, request.url_rule,
                           exc_info=(type(error), error, error.__traceback__))
    if code == 500:
        return render_template("errors/error.html", code=code, message=ERROR_MESSAGES[code]), code
    storage = any(sign in text for sign in STORAGE_SIGNS)
    return _unavailable(STORAGE_MESSAGE if storage else ERROR_MESSAGES[503], 60 if storage else 5)


def _storage_unavailable(error):
    """A file the server writes (a sealed attachment, a letter) could not be: the disk is full or
    read-only, or instance/ lost its permissions. The transaction is rolled back (no record points to
    a file that is not there) and the user is told nothing was saved. Any other OSError is a bug: 500."""
    if getattr(error, "errno", None) not in STORAGE_ERRNOS:
        raise error
    from flask import current_app

    from nrm.extensions import db

    db.session.rollback()
    current_app.logger.error("storage unavailable (%s) on %s %s", errno.errorcode.get(error.errno, "?"),
                             request.method, request.url_rule)
    return _unavailable(STORAGE_MESSAGE, 60)


def _unavailable(message, retry_after: int):
    page = render_template("errors/error.html", code=503, message=message)
    return page, 503, {"Retry-After": str(retry_after)}


def _csrf_error(_error):
    # An expired or missing CSRF token: usually a form left open too long.
    message = _("This form expired or was sent from elsewhere. Reload the page and send it again.")
    return render_template("errors/error.html", code=400, message=message), 400


def select_locale():
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # command line: the operator's own locale when it is one of ours, else English
        lang = (os.environ.get("LC_ALL") or os.environ.get("LANG") or "")[:2]
        return lang if lang in languages else "en"
    if is_api_request():     # another system: the language it asks for (Accept-Language), else English
        return request.accept_languages.best_match(languages) or "en"
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages)


def _template_globals():
    from flask import current_app

    return {
        "get_locale": get_locale,
        "languages": current_app.config["LANGUAGES"],
        "language_names": labels.LANGUAGE_NAMES,
        "country_name": lambda code: names.country_name(code, str(get_locale())),
        "language_name": lambda code: names.language_name(code, str(get_locale())),
        "is_demo_deployment": current_app.config["ENV"] != "production",
        "unread_notifications": _unread_notifications,
        "session_seconds_left": lambda: sessions.idle_seconds_left(sessions.current())
        if current_user.is_authenticated else None,
    }


def _unread_notifications() -> int:
    from nrm.services import notifications

    return notifications.unread_count(current_user) if current_user.is_authenticated else 0
