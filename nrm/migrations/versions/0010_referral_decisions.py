"""referral decisions: why a mission referral went without a full identity; a kept hold's review date

Revision ID: 0010_referral_decisions
Revises: 0009_field_ready
Create Date: 2026-11-30 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0010_referral_decisions"
down_revision = "0009_field_ready"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("identity_reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("identity_note", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("hold_review_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("hold_review_on")
        batch.drop_column("identity_note")
        batch.drop_column("identity_reason")
