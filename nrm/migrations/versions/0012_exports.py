"""exports: the data-sharing agreements a row-level export is sent under; room for the HTCDS
exploitation codes in the statistics facts

Revision ID: 0012_exports
Revises: 0011_paper_screenings
Create Date: 2026-11-30 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0012_exports"
down_revision = "0011_paper_screenings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_sharing_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sharing_agreement")),
        sa.UniqueConstraint("reference", name=op.f("uq_data_sharing_agreement_reference")),
    )
    for table in ("stat_person", "stat_referral"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("exploitation", type_=sa.String(length=40), existing_type=sa.String(length=24),
                               existing_nullable=False)


def downgrade():
    for table in ("stat_person", "stat_referral"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("exploitation", type_=sa.String(length=24), existing_type=sa.String(length=40),
                               existing_nullable=False)
    op.drop_table("data_sharing_agreement")
