"""The acceptance walk: on 100,000 demo people (the bulk path of `demo-data`), every table the UI
offers — each dimension alone and every ordered pair — obeys the disclosure rules at the
production settings (k = 11, rounding to 5). (The bulk path's audit chain is verified in
test_statistics on a smaller set, and by `make bench` on a million.)"""

import logging

import pytest

from nrm import create_app
from nrm.extensions import db
from nrm.models import StatPerson
from nrm.services import demo, directory
from nrm.services import statistics as stats
from nrm.statistics.views import CHOICES
from tests.conftest import FakeClock, base_config, drop_database
from tests.test_statistics import _check

PEOPLE = 100_000
# The disclosure rules do not depend on the database: `make test` runs this once, in the SQLite pass.
pytestmark = pytest.mark.scale


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    app = create_app(base_config(tmp_path_factory.mktemp("scale"), CLOCK=FakeClock()))
    engine_log = logging.getLogger("sqlalchemy.engine")
    level = engine_log.level
    engine_log.setLevel(logging.WARNING)   # the log check of conftest would read millions of SQL lines
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            directory.seed()
            db.session.commit()
            demo.generate_bulk(PEOPLE, seed=2026)
    finally:
        engine_log.setLevel(level)
    yield app
    if app.config["DATABASE_URL"].startswith("sqlite"):
        with app.app_context():       # dropping a gigabyte of tables page by page (secure_delete) takes
            db.session.remove()       # minutes; the file goes with the temporary directory
            db.engine.dispose()
    else:
        drop_database(app)


def test_every_table_on_100000_people_obeys_the_disclosure_rules(big):
    with big.app_context():
        assert big.config["STATS_K"] == 11 and big.config["STATS_ROUNDING_BASE"] == 5
        assert db.session.scalar(db.select(db.func.count()).select_from(StatPerson)) > PEOPLE // 2
        years = stats.published_years("persons")
        walked = 0
        for rows in CHOICES:
            for cols in (None, *CHOICES):
                if cols == rows or (rows != "year" and cols not in (None, "year")
                                    and stats.DIMENSIONS[rows][0] == stats.DIMENSIONS[cols][0]):
                    continue
                year = None if "year" in (rows, cols) else years[-1]
                _check(stats.table(rows, cols, year), 11)
                walked += 1
        assert walked > 200

