"""paper screenings: a screening recorded from the paper prompt sheet keeps the interview's date
(the clocks that start at detection start from it) and its place (sealed)

Revision ID: 0011_paper_screenings
Revises: 0010_referral_decisions
Create Date: 2026-11-30 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0011_paper_screenings"
down_revision = "0010_referral_decisions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("screening") as batch:
        batch.add_column(sa.Column("paper_interview_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("paper_place", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("screening") as batch:
        batch.drop_column("paper_place")
        batch.drop_column("paper_interview_on")
