"""an index on audit_event.outcome, so the audit page lists the outcomes without reading the trail

Revision ID: 0006_audit_outcome_index
Revises: 0005_statistics
Create Date: 2026-11-23 19:30:00

"""
from alembic import op


revision = "0006_audit_outcome_index"
down_revision = "0005_statistics"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_outcome", "audit_event", ["outcome"])


def downgrade():
    op.drop_index("ix_audit_event_outcome", table_name="audit_event")
