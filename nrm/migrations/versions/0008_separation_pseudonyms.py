"""separation of duties and a dump that locates nobody: account confirmation and second-factor lock,
intake apart from access, the profile of a screening sealed (its plain demographic columns dropped),
legal aid categories and case needs sealed, statistics facts keyed by a pseudonym, coarser times,
sealed details of a reasoned access

Revision ID: 0008_separation_pseudonyms
Revises: 0007_list_indexes
Create Date: 2026-11-30 02:00:00

Existing records are converted: each screening's plain analytic columns are sealed into its profile
(under the person's data key; an erased person's stay gone), its child rule goes into the sealed
assessment, legal aid categories and case needs are sealed, the statistics facts get their keyed
pseudonyms (an erased person's anonymous count is kept), times are cut to the precision their clocks
need, and the sign-in throttle starts afresh (its keys change). The vault and the index key of the
instance are needed: run it with `flask --app nrm db upgrade` (or `init`), which has them.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0008_separation_pseudonyms"
down_revision = "0007_list_indexes"
branch_labels = None
depends_on = None

SCREENING_PLAIN = ("region", "sex", "age_band", "minor", "citizenship_group", "exploitation_types",
                   "exploitation_country", "agency_kind", "consent_services", "consent_statistics",
                   "child_rule", "year", "quarter")
PERSON_DIMS = ("region", "sex", "age_band", "minor", "citizenship", "exploitation", "exploitation_country",
               "agency", "result", "decision", "case_status")
PRECISION = {  # table: {column: unit}
    "person": {"created_at": "hour", "erased_at": "hour"},
    "screening": {"started_at": "hour", "updated_at": "hour", "submitted_at": "hour"},
    "identification": {"due_at": "hour", "created_at": "hour", "decided_at": "hour"},
    "referral": dict.fromkeys(("created_at", "sent_at", "acknowledge_due", "accept_due", "acknowledged_at", "decided_at", "completed_at", "closed_at", "hold_released_at"), "minute"),
    "case_record": {"opened_at": "minute", "reflection_ends_at": "hour", "next_review_at": "hour",
                    "closed_at": "hour"},
    "case_task": {"done_at": "minute", "created_at": "minute"},
    "service_record": {"recorded_at": "minute"},
    "case_note": {"created_at": "minute"},
    "attachment": {"uploaded_at": "minute"},
    "escalation": {"created_at": "minute", "resolved_at": "minute"},
    "notification": {"created_at": "minute"},
}


class _Record:
    """What the vault needs to seal a field: the table, the row id and the row's data key."""

    def __init__(self, table, row_id, data_key):
        self.__tablename__, self.id, self.data_key = table, row_id, data_key


def _vault_session():
    from sqlalchemy.orm import Session

    return Session(bind=op.get_bind())


def _data_key(session, key_id):
    from nrm.models.keys import DataKey

    key = session.get(DataKey, key_id)
    return key if key is not None and key.destroyed_at is None and key.wrapped is not None else None


def _seal(table, row_id, key, attribute, text):
    from nrm.security import vault

    return vault.seal_field(_Record(table, row_id, key), attribute, text.encode("utf-8"))


def _open(table, row_id, key, attribute, blob):
    from nrm.security import vault

    return vault.open_field(_Record(table, row_id, key), attribute, blob).decode("utf-8")


def _truncate(bind, table, column, unit):
    if bind.dialect.name == "postgresql":
        op.execute(sa.text(f"UPDATE {table} SET {column} = date_trunc('{unit}', {column}) "  # noqa: S608 - constants
                           f"WHERE {column} IS NOT NULL"))
    else:
        pattern = "%Y-%m-%d %H:00:00.000000" if unit == "hour" else "%Y-%m-%d %H:%M:00.000000"
        op.execute(sa.text(f"UPDATE {table} SET {column} = strftime('{pattern}', {column}) "  # noqa: S608
                           f"WHERE {column} IS NOT NULL"))


def upgrade():
    bind = op.get_bind()
    # ---------------------------------------------------------------- organisations and accounts
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("disabled_reason", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("accepts_referrals", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("intake_paused_reason", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("intake_paused_until", sa.Date(), nullable=True))
    # the directory editor wrote "receives referrals" into ``active``: that was intake
    op.execute(sa.text("UPDATE organisation SET accepts_referrals = active"))
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("full_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("position", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("work_phone", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("confirmation_required", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("totp_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("totp_failures_since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_locked_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_user_account_confirmed_by_id_user_account"), "user_account",
                                 ["confirmed_by_id"], ["id"])
    op.execute(sa.text("DELETE FROM login_throttle"))

    # ---------------------------------------------------------------- screening profile, sealed
    session = _vault_session()
    with op.batch_alter_table("screening") as batch:
        batch.add_column(sa.Column("profile", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("interview_language_sealed", sa.LargeBinary(), nullable=True))
    columns = ", ".join(("id", "data_key_id", "organisation_id", "interview_language", "assessment",
                         "submitted_at", "status", *SCREENING_PLAIN))
    rows = bind.execute(sa.text(f"SELECT {columns} FROM screening")).mappings().all()  # noqa: S608 - constants
    for row in rows:
        key = _data_key(session, row["data_key_id"])
        if key is None:
            continue       # erased: nothing of it can be read, and nothing needs keeping
        values = {"interview_language_sealed": _seal("screening", row["id"], key, "interview_language",
                                                     row["interview_language"] or "ru")}
        if row["status"] == "submitted" and row["year"] is not None:
            types = [t for t in (row["exploitation_types"] or "").split(",") if t]
            profile = {
                "year": row["year"], "region": row["region"], "sex": row["sex"], "age_band": row["age_band"],
                "minor": bool(row["minor"]), "citizenship": row["citizenship_group"],
                "exploitation_types": types, "exploitation_country": row["exploitation_country"],
                "agency": row["agency_kind"],
                "consent_services": None if row["consent_services"] is None else bool(row["consent_services"]),
                "consent_statistics": None if row["consent_statistics"] is None
                else bool(row["consent_statistics"]),
            }
            values["profile"] = _seal("screening", row["id"], key, "profile_json", json.dumps(profile))
            if row["assessment"] is not None and row["child_rule"] is not None:
                assessment = json.loads(_open("screening", row["id"], key, "assessment_json", row["assessment"]))
                assessment["child"] = bool(row["child_rule"])
                values["assessment"] = _seal("screening", row["id"], key, "assessment_json",
                                             json.dumps(assessment))
        sets = ", ".join(f"{name} = :{name}" for name in values)
        bind.execute(sa.text(f"UPDATE screening SET {sets} WHERE id = :id"), {**values, "id": row["id"]})  # noqa: S608
    with op.batch_alter_table("screening") as batch:
        for name in (*SCREENING_PLAIN, "interview_language"):
            batch.drop_column(name)
        batch.alter_column("interview_language_sealed", new_column_name="interview_language")

    # ---------------------------------------------------------------- referrals, decisions, cases
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("legal_aid_sealed", sa.LargeBinary(), nullable=True))
    for row in bind.execute(sa.text("SELECT id, data_key_id, legal_aid_categories FROM referral "
                                    "WHERE legal_aid_categories IS NOT NULL")).mappings().all():
        key = _data_key(session, row["data_key_id"])
        if key is not None:
            bind.execute(sa.text("UPDATE referral SET legal_aid_sealed = :v WHERE id = :id"),
                         {"v": _seal("referral", row["id"], key, "legal_aid_categories",
                                     row["legal_aid_categories"]), "id": row["id"]})
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("legal_aid_categories")
        batch.drop_column("year")
        batch.alter_column("legal_aid_sealed", new_column_name="legal_aid_categories")
    for table in ("identification", "case_record"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("year")
            batch.drop_column("region")
    for table in ("case_task", "service_record"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("need_sealed", sa.LargeBinary(), nullable=True))
        for row in bind.execute(sa.text(f"SELECT id, data_key_id, need FROM {table}")).mappings().all():  # noqa: S608
            key = _data_key(session, row["data_key_id"])
            if key is not None:
                bind.execute(sa.text(f"UPDATE {table} SET need_sealed = :v WHERE id = :id"),  # noqa: S608
                             {"v": _seal(table, row["id"], key, "need", row["need"]), "id": row["id"]})
        with op.batch_alter_table(table) as batch:
            batch.drop_column("need")
            batch.alter_column("need_sealed", new_column_name="need")
    session.close()

    # ---------------------------------------------------------------- statistics facts, keyed
    from nrm.security.pseudonyms import pseudonym

    people = bind.execute(sa.text(
        "SELECT screening_id, year, days_to_acceptance, " + ", ".join(PERSON_DIMS)  # noqa: S608 - constants
        + " FROM stat_person")).mappings().all()
    referrals = bind.execute(sa.text(
        "SELECT referral_id, screening_id, year, service, referral_outcome, " + ", ".join(PERSON_DIMS)  # noqa: S608
        + " FROM stat_referral")).mappings().all()
    op.drop_index("ix_stat_referral_year", table_name="stat_referral")
    op.drop_index(op.f("ix_stat_referral_screening_id"), table_name="stat_referral")
    op.drop_table("stat_referral")
    op.drop_index("ix_stat_person_year", table_name="stat_person")
    op.drop_table("stat_person")
    _create_stat_tables()
    if people:
        op.bulk_insert(_stat_person_table(), [
            {"key": pseudonym("stat_person", r["screening_id"]), "year": r["year"],
             "days_to_acceptance": r["days_to_acceptance"], **{d: r[d] for d in PERSON_DIMS}} for r in people])
    if referrals:
        op.bulk_insert(_stat_referral_table(), [
            {"key": pseudonym("stat_referral", r["referral_id"]),
             "person_key": pseudonym("stat_person", r["screening_id"]), "year": r["year"],
             "service": r["service"], "referral_outcome": r["referral_outcome"],
             **{d: r[d] for d in PERSON_DIMS}} for r in referrals])

    # ---------------------------------------------------------------- the reasoned access's details
    op.create_table(
        "access_note",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("details", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_access_note_actor_id_user_account")),
        sa.ForeignKeyConstraint(["data_key_id"], ["data_key.id"], name=op.f("fk_access_note_data_key_id_data_key")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_access_note_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_note")),
    )
    op.create_index(op.f("ix_access_note_person_id"), "access_note", ["person_id"], unique=False)

    # ---------------------------------------------------------------- times: only the precision needed
    for table, columns in PRECISION.items():
        for column, unit in columns.items():
            _truncate(bind, table, column, unit)


def _person_columns():
    return [
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("sex", sa.String(length=24), nullable=False),
        sa.Column("age_band", sa.String(length=8), nullable=False),
        sa.Column("minor", sa.String(length=8), nullable=False),
        sa.Column("citizenship", sa.String(length=16), nullable=False),
        sa.Column("exploitation", sa.String(length=24), nullable=False),
        sa.Column("exploitation_country", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=False),
        sa.Column("case_status", sa.String(length=16), nullable=False),
    ]


def _stat_person_table():
    return sa.table("stat_person", sa.column("key"), sa.column("days_to_acceptance"),
                    *(sa.column(c.name) for c in _person_columns()))


def _stat_referral_table():
    return sa.table("stat_referral", sa.column("key"), sa.column("person_key"), sa.column("service"),
                    sa.column("referral_outcome"), *(sa.column(c.name) for c in _person_columns()))


def _create_stat_tables():
    op.create_table(
        "stat_person",
        sa.Column("key", sa.String(length=64), nullable=False),
        *_person_columns(),
        sa.Column("days_to_acceptance", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stat_person")),
    )
    op.create_index("ix_stat_person_year", "stat_person", ["year"], unique=False)
    op.create_table(
        "stat_referral",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        *_person_columns(),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("referral_outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stat_referral")),
    )
    op.create_index("ix_stat_referral_year", "stat_referral", ["year"], unique=False)
    op.create_index(op.f("ix_stat_referral_person_key"), "stat_referral", ["person_key"], unique=False)


def downgrade():
    """Back to the plain columns. What was sealed is unsealed where the person is not erased; the
    statistics facts cannot be keyed back to their screenings (a pseudonym is one-way): they are
    recreated empty, and `flask --app nrm stats rebuild` of the older release recounts them."""
    bind = op.get_bind()
    session = _vault_session()
    op.drop_index(op.f("ix_access_note_person_id"), table_name="access_note")
    op.drop_table("access_note")

    op.drop_index(op.f("ix_stat_referral_person_key"), table_name="stat_referral")
    op.drop_index("ix_stat_referral_year", table_name="stat_referral")
    op.drop_table("stat_referral")
    op.drop_index("ix_stat_person_year", table_name="stat_person")
    op.drop_table("stat_person")
    op.create_table(
        "stat_person",
        sa.Column("screening_id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        *_person_columns()[1:],
        sa.Column("days_to_acceptance", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("screening_id", name=op.f("pk_stat_person")),
    )
    op.create_index("ix_stat_person_year", "stat_person", ["year"], unique=False)
    op.create_table(
        "stat_referral",
        sa.Column("referral_id", sa.String(length=32), nullable=False),
        sa.Column("screening_id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        *_person_columns()[1:],
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("referral_outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_stat_referral")),
    )
    op.create_index("ix_stat_referral_year", "stat_referral", ["year"], unique=False)
    op.create_index(op.f("ix_stat_referral_screening_id"), "stat_referral", ["screening_id"], unique=False)

    for table in ("case_task", "service_record"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("need", new_column_name="need_sealed")
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("need", sa.String(length=32), nullable=False, server_default="other"))
        for row in bind.execute(sa.text(f"SELECT id, data_key_id, need_sealed FROM {table}")).mappings().all():  # noqa: S608
            key = _data_key(session, row["data_key_id"])
            if key is not None and row["need_sealed"] is not None:
                bind.execute(sa.text(f"UPDATE {table} SET need = :v WHERE id = :id"),  # noqa: S608
                             {"v": _open(table, row["id"], key, "need", row["need_sealed"]), "id": row["id"]})
        with op.batch_alter_table(table) as batch:
            batch.drop_column("need_sealed")
    for table in ("identification", "case_record"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("region", sa.String(length=8), nullable=True))
    with op.batch_alter_table("referral") as batch:
        batch.alter_column("legal_aid_categories", new_column_name="legal_aid_sealed")
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("legal_aid_categories", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
    for row in bind.execute(sa.text("SELECT id, data_key_id, legal_aid_sealed FROM referral "
                                    "WHERE legal_aid_sealed IS NOT NULL")).mappings().all():
        key = _data_key(session, row["data_key_id"])
        if key is not None:
            bind.execute(sa.text("UPDATE referral SET legal_aid_categories = :v WHERE id = :id"),
                         {"v": _open("referral", row["id"], key, "legal_aid_categories", row["legal_aid_sealed"]),
                          "id": row["id"]})
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("legal_aid_sealed")

    with op.batch_alter_table("screening") as batch:
        batch.alter_column("interview_language", new_column_name="interview_language_sealed")
    with op.batch_alter_table("screening") as batch:
        batch.add_column(sa.Column("interview_language", sa.String(length=8), nullable=False, server_default="ru"))
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("quarter", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("region", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("sex", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("age_band", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("minor", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("citizenship_group", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("exploitation_types", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("exploitation_country", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("agency_kind", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("consent_services", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("consent_statistics", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("child_rule", sa.Boolean(), nullable=True))
    rows = bind.execute(sa.text("SELECT id, data_key_id, interview_language_sealed, profile, submitted_at "
                                "FROM screening")).mappings().all()
    for row in rows:
        key = _data_key(session, row["data_key_id"])
        if key is None:
            continue
        values = {}
        if row["interview_language_sealed"] is not None:
            values["interview_language"] = _open("screening", row["id"], key, "interview_language",
                                                 row["interview_language_sealed"])
        if row["profile"] is not None:
            p = json.loads(_open("screening", row["id"], key, "profile_json", row["profile"]))
            values.update({"year": p.get("year"), "region": p.get("region"), "sex": p.get("sex"),
                           "age_band": p.get("age_band"), "minor": p.get("minor"),
                           "citizenship_group": p.get("citizenship"),
                           "exploitation_types": ",".join(p.get("exploitation_types") or []) or None,
                           "exploitation_country": p.get("exploitation_country"), "agency_kind": p.get("agency"),
                           "consent_services": p.get("consent_services"),
                           "consent_statistics": p.get("consent_statistics"), "child_rule": p.get("minor")})
            submitted = row["submitted_at"]
            if submitted is not None:
                values["quarter"] = (submitted.month - 1) // 3 + 1 if hasattr(submitted, "month") else None
        if values:
            sets = ", ".join(f"{name} = :{name}" for name in values)
            bind.execute(sa.text(f"UPDATE screening SET {sets} WHERE id = :id"), {**values, "id": row["id"]})  # noqa: S608
    with op.batch_alter_table("screening") as batch:
        batch.drop_column("interview_language_sealed")
        batch.drop_column("profile")
    session.close()

    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint(op.f("fk_user_account_confirmed_by_id_user_account"), type_="foreignkey")
        for name in ("totp_locked_at", "totp_failures_since", "totp_failures", "confirmed_by_id", "confirmed_at",
                     "confirmation_required", "work_phone", "position", "full_name"):
            batch.drop_column(name)
    with op.batch_alter_table("organisation") as batch:
        for name in ("intake_paused_until", "intake_paused_reason", "accepts_referrals", "disabled_at",
                     "disabled_reason"):
            batch.drop_column(name)
