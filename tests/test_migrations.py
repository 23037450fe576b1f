"""Every migration applies up and down, and the migrated schema is exactly the models' schema."""

import os

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from nrm import create_app
from nrm.extensions import db
from tests.conftest import base_config, reset_database


def _revisions(app):
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_every_migration_up_and_down_and_schema_matches_models(tmp_path):
    url = os.environ.get("NRM_TEST_DATABASE_URL", "sqlite://")
    reset_database(url)
    app = create_app(base_config(tmp_path))
    try:
        with app.app_context():
            revisions = _revisions(app)
            assert revisions, "no migrations found"
            for revision in revisions:  # one step at a time, down and up again
                flask_migrate.upgrade(revision=revision)
                flask_migrate.downgrade(revision="-1")
                flask_migrate.upgrade(revision=revision)
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], diff
            flask_migrate.downgrade(revision="base")
            remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert remaining == set()
            db.session.remove()
            db.engine.dispose()
    finally:
        reset_database(url)
