"""Flask extensions, created once here and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so Alembic can alter them (SQLite batch mode needs names).
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Dates print as dd.mm.yyyy (and times as 24-hour HH:mm) in every language, in the zone where the
# system is used (BABEL_DEFAULT_TIMEZONE); "long" keeps the locale's own long form, for letters.
DATE_FORMATS = {
    "time": "short", "date": "short", "datetime": "short",
    "time.short": "HH:mm", "time.medium": "HH:mm", "time.long": None, "time.full": None,
    "date.short": "dd.MM.yyyy", "date.medium": "dd.MM.yyyy", "date.long": None, "date.full": None,
    "datetime.short": "dd.MM.yyyy HH:mm", "datetime.medium": "dd.MM.yyyy HH:mm", "datetime.long": None,
    "datetime.full": None,
}
babel = Babel(date_formats=dict(DATE_FORMATS))
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def savepoint():
    """``db.session.begin_nested()`` that is a real savepoint on SQLite too.

    Python's sqlite3 opens no transaction before a SAVEPOINT, so SQLite takes the savepoint for the
    transaction itself and its RELEASE commits: the row written inside would be committed on its
    own, at once, and a later rollback (an error, a killed scheduler) could not take it back. Here
    the transaction is opened first, so the savepoint nests inside the request's transaction as on
    PostgreSQL (tests/test_faults.py, a scheduler killed mid-job, found it)."""
    import sqlite3

    raw = db.session.connection().connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN")
    return db.session.begin_nested()
