"""indexes that serve the audit page at scale: each filter (action, outcome, actor) with the page's
order (seq), so a filtered page reads 50 index entries instead of sorting every matching event; the
outcome index also lets the page list the outcomes present without reading the trail

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
    op.create_index("ix_audit_event_outcome_seq", "audit_event", ["outcome", "seq"])
    op.create_index("ix_audit_event_action_seq", "audit_event", ["action", "seq"])
    op.drop_index("ix_audit_event_action_at", table_name="audit_event")
    op.create_index("ix_audit_event_actor_seq", "audit_event", ["actor_id", "seq"])
    op.drop_index("ix_audit_event_actor", table_name="audit_event")


def downgrade():
    op.create_index("ix_audit_event_actor", "audit_event", ["actor_id", "at"])
    op.drop_index("ix_audit_event_actor_seq", table_name="audit_event")
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at"])
    op.drop_index("ix_audit_event_action_seq", table_name="audit_event")
    op.drop_index("ix_audit_event_outcome_seq", table_name="audit_event")
