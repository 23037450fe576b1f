"""field-ready: the days the Cabinet declares (holidays, moved days off) for the working-day clocks

Revision ID: 0009_field_ready
Revises: 0008_separation_pseudonyms
Create Date: 2026-11-30 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0009_field_ready"
down_revision = "0008_separation_pseudonyms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_calendar_day_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )


def downgrade():
    op.drop_table("calendar_day")
