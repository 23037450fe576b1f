"""Statistics: a published two-dimension table of one year at 10,000, 100,000 and 1,000,000 demo
people, counted and protected from a cold start (the trend tables of both dimensions, then the annual
table, nrm.core.disclosure), against a raw SQL GROUP BY of the same two columns for that year on the
same database (the least any table could cost); and the same table again from the process's cache."""

from __future__ import annotations

import sys
import time

from sqlalchemy import text

from bench.common import DATA, Result, app_on, ms, timed

SIZES = (10_000, 100_000, 1_000_000)
PAIRS = (("region", "sex"), ("citizenship", "exploitation_country"), ("service", "referral_outcome"))


def _database(n: int):
    """A benchmark database of ``n`` demo people, made once and kept under .bench/."""
    from nrm.extensions import db
    from nrm.models import StatPerson
    from nrm.services import demo, directory

    path = DATA / f"stats-{n}.sqlite3"
    app = app_on(path)
    with app.app_context():
        ready = False
        try:
            ready = db.session.scalar(db.select(db.func.count()).select_from(StatPerson)) > 0
        except Exception:  # noqa: BLE001 - no tables yet
            db.session.rollback()
        if not ready:
            db.drop_all()
            db.create_all()
            directory.seed()
            db.session.commit()
            started = time.monotonic()

            def progress(done, total):
                print(f"\r  demo-data {done:>9,}/{total:,}  {done / (time.monotonic() - started):,.0f}/s",
                      end="", file=sys.stderr, flush=True)

            demo.generate_bulk(n, seed=2026, progress=progress)
            took = time.monotonic() - started
            print(f"\n  made {n:,} people in {took:,.0f} s", file=sys.stderr)
            path.with_suffix(".built").write_text(f"{took:.0f}")
    return app


def run(sizes=SIZES) -> tuple[list[Result], list[str]]:
    from nrm.extensions import db
    from nrm.services import statistics as stats

    results, notes = [], []
    for n in sizes:
        app = _database(n)
        with app.app_context():
            persons = db.session.scalar(text("SELECT count(*) FROM stat_person"))
            referrals = db.session.scalar(text("SELECT count(*) FROM stat_referral"))
            built = DATA / f"stats-{n}.built"
            made = f", made in {int(built.read_text()):,} s" if built.exists() else ""
            notes.append(f"{n:,} demo people: {persons:,} counted people, {referrals:,} sent referrals "
                         f"(bulk path of `demo-data`, seed 2026{made}).")
            for rows, cols in PAIRS:
                unit = stats.unit_of(rows, cols)
                table = "stat_referral" if unit == "referrals" else "stat_person"
                year = stats.published_years(unit)[-1]

                def cold(rows=rows, cols=cols, year=year):
                    stats.forget()
                    return stats.table(rows, cols, year)

                ours = timed(cold)
                warm = timed(lambda rows=rows, cols=cols, year=year: stats.table(rows, cols, year))
                raw = timed(lambda rows=rows, cols=cols, table=table, year=year: db.session.execute(text(
                    f"SELECT {rows}, {cols}, count(*) FROM {table} WHERE year = {year} "  # noqa: S608
                    f"GROUP BY {rows}, {cols}")).all())
                ratio = ours / raw
                met = "yes" if ours < 1 else "no"
                results.append(Result("statistics", f"{rows} × {cols}, {year}, {n:,} people", ms(ours),
                                      f"raw GROUP BY {ms(raw)}; cached {ms(warm)}", f"{ratio:.1f}×",
                                      "< 1 s", met))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    notes.append("The statistics figure is a cold start: the year-by-value counts of both dimensions "
                 "(two GROUP BYs over every year), their trend tables protected, then the annual table's "
                 "GROUP BY and its protection (nrm.core.disclosure, docs/statistics.md). Each process "
                 "keeps the protected tables for STATS_CACHE_SECONDS: the cached figure is what a page "
                 "view costs after the first.")
    return results, notes
