"""indexes for the coordinator's lists at scale: non-punishment alerts (referral service, state) and
cases newest first (case_record opened_at)

Revision ID: 0007_list_indexes
Revises: 0006_audit_outcome_index
Create Date: 2026-11-23 19:45:00

"""
from alembic import op


revision = "0007_list_indexes"
down_revision = "0006_audit_outcome_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_referral_service_state", "referral", ["service", "state"])
    op.create_index("ix_case_opened", "case_record", ["opened_at"])


def downgrade():
    op.drop_index("ix_case_opened", table_name="case_record")
    op.drop_index("ix_referral_service_state", table_name="referral")
