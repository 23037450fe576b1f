"""api clients: other systems calling /api/v1 with a hashed bearer token, as a technical account

Revision ID: 0013_api_clients
Revises: 0012_exports
Create Date: 2026-11-30 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0013_api_clients"
down_revision = "0012_exports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("xroad_client", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_api_client_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_api_client_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("name", name=op.f("uq_api_client_name")),
        sa.UniqueConstraint("token_prefix", name=op.f("uq_api_client_token_prefix")),
        sa.UniqueConstraint("user_id", name=op.f("uq_api_client_user_id")),
        sa.UniqueConstraint("xroad_client", name=op.f("uq_api_client_xroad_client")),
    )


def downgrade():
    op.drop_table("api_client")
