"""The NRM application: ``create_app`` builds and configures it.

Configuration, lowest precedence first: ``nrm.config`` defaults, ``instance/config.py``, ``NRM_*``
environment variables, then ``test_config``. The app refuses to start (``StartupError``) without a
strong secret key, master keys and audit key, and says what to run.
"""

import logging
import os
from pathlib import Path

from flask import Flask

from nrm.errors import StartupError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def default_instance_path() -> Path:
    return Path(os.environ.get("NRM_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH") or default_instance_path()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    _configure(app, test_config)
    from nrm import logs

    logs.install(app.logger.name)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from nrm import web
    from nrm.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    web.init_app(app)

    from nrm.admin import bp as admin_bp
    from nrm.auth import bp as auth_bp
    from nrm.cases import bp as cases_bp
    from nrm.home import bp as home_bp
    from nrm.referrals import bp as referrals_bp
    from nrm.review import bp as review_bp
    from nrm.screening import bp as screening_bp
    from nrm.statistics import bp as statistics_bp
    from nrm.trail import bp as trail_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(trail_bp)
    app.register_blueprint(screening_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(statistics_bp)

    from nrm import api

    api.init_app(app)

    from nrm import cli

    cli.init_app(app)
    if app.config["SCHEDULER_IN_PROCESS"]:
        # `make run`: the scheduler in this process, unless another process holds instance/scheduler.lock
        from nrm import jobs

        jobs.start_in_process(app)
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    from nrm.security import keys

    app.config.from_object("nrm.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("NRM")
    if test_config:
        app.config.update(test_config)

    cfg = app.config
    if cfg["ENV"] not in {"production", "development", "test"}:
        raise StartupError(f"NRM_ENV must be production, development or test, not {cfg['ENV']!r}.")
    if cfg.get("SESSION_COOKIE_SECURE") is None:
        cfg["SESSION_COOKIE_SECURE"] = cfg["ENV"] == "production"
    database_url = cfg.get("DATABASE_URL") or cfg.get("SQLALCHEMY_DATABASE_URI")
    if not database_url:
        database_url = "sqlite:///" + str(Path(app.instance_path) / "nrm.sqlite3")
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url
    cfg["PERMANENT_SESSION_LIFETIME"] = cfg["SESSION_ABSOLUTE_TIMEOUT"]

    key_dir = Path(cfg.get("KEY_DIR") or Path(app.instance_path) / "keys")
    cfg["SECRET_KEY"] = keys.load_secret_key(cfg, key_dir)
    from nrm.security.vault import KeyringSource

    app.extensions["nrm_keyring"] = KeyringSource(keys.load_keyring(cfg, key_dir), key_dir,
                                                  from_environment=bool(cfg.get("MASTER_KEYS")))
    app.extensions["nrm_audit_key"] = keys.load_audit_key(cfg, key_dir)
    app.extensions["nrm_index_key"] = keys.load_index_key(cfg, key_dir)
    keys.check_exchange_keys(key_dir)
    app.extensions["nrm_key_dir"] = key_dir
    app.extensions["nrm_catalogue"] = _load_catalogue(cfg.get("SOP_PATH"))


_CATALOGUES: dict = {}


def _load_catalogue(path):
    """Load (and check) the SOP catalogue; parsed once per set of unchanged files."""
    from sops.loader import ROOT, CatalogueInvalid, load_catalogue

    root = Path(path) if path else ROOT
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(root.rglob("*.yaml")))
    try:
        if stamp not in _CATALOGUES:
            _CATALOGUES.clear()
            _CATALOGUES[stamp] = load_catalogue(root)
        catalogue = _CATALOGUES[stamp]
    except CatalogueInvalid as invalid:
        shown = "\n  ".join(str(p) for p in invalid.problems[:20])
        more = f"\n  … and {len(invalid.problems) - 20} more" if len(invalid.problems) > 20 else ""
        raise StartupError(
            f"The SOP catalogue has {len(invalid.problems)} problem(s):\n  {shown}{more}\n"
            "Fix them (`flask --app nrm sops check` lists them all) and start again.") from None
    if catalogue.routing is None or not catalogue.directory:
        raise StartupError(f"The SOP catalogue in {root} has no routing.yaml or no directory.yaml; "
                           "both are needed to route referrals (see docs/sop-authoring.md).")
    return catalogue

