"""statistics fact tables (stat_person, stat_referral), filled from the existing records

Revision ID: 0005_statistics
Revises: 0004_referrals_cases
Create Date: 2026-11-23 16:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0005_statistics"
down_revision = "0004_referrals_cases"
branch_labels = None
depends_on = None

def person_columns():
    """The person-level columns both tables carry (new Column objects for each table)."""
    return [
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
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


def upgrade():
    op.create_table(
        "stat_person",
        sa.Column("screening_id", sa.String(length=32), nullable=False),
        *person_columns(),
        sa.Column("days_to_acceptance", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("screening_id", name=op.f("pk_stat_person")),
    )
    op.create_index("ix_stat_person_year", "stat_person", ["year"], unique=False)
    op.create_table(
        "stat_referral",
        sa.Column("referral_id", sa.String(length=32), nullable=False),
        sa.Column("screening_id", sa.String(length=32), nullable=False),
        *person_columns(),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("referral_outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_stat_referral")),
    )
    op.create_index("ix_stat_referral_year", "stat_referral", ["year"], unique=False)
    op.create_index(op.f("ix_stat_referral_screening_id"), "stat_referral", ["screening_id"], unique=False)
    # existing records are counted by `flask --app nrm stats rebuild` (docs/operations.md)


def downgrade():
    op.drop_index(op.f("ix_stat_referral_screening_id"), table_name="stat_referral")
    op.drop_index("ix_stat_referral_year", table_name="stat_referral")
    op.drop_table("stat_referral")
    op.drop_index("ix_stat_person_year", table_name="stat_person")
    op.drop_table("stat_person")
