"""the transnational exchange: partner NRMs' keys, transfers between countries, their messages

Revision ID: 0014_exchange
Revises: 0013_api_clients
Create Date: 2026-11-30 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_exchange"
down_revision = "0013_api_clients"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("exchange_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("exchange_url", sa.String(length=300), nullable=True))
        batch.create_unique_constraint(batch.f("uq_organisation_exchange_id"), ["exchange_id"])
    op.create_table(
        "partner_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("use", sa.String(length=8), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("jwk", sa.Text(), nullable=False),
        sa.Column("checked", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_partner_key_organisation_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_partner_key_kid")),
    )
    op.create_table(
        "transfer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("exchange_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("screening_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["data_key_id"], ["data_key.id"], name=op.f("fk_transfer_data_key_id_data_key")),
        sa.ForeignKeyConstraint(["partner_id"], ["organisation.id"], name=op.f("fk_transfer_partner_id_organisation")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_transfer_person_id_person")),
        sa.ForeignKeyConstraint(["screening_id"], ["screening.id"], name=op.f("fk_transfer_screening_id_screening")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_transfer_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name=op.f("fk_transfer_decided_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer")),
        sa.UniqueConstraint("exchange_id", name=op.f("uq_transfer_exchange_id")),
    )
    op.create_table(
        "exchange_message",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("transfer_id", sa.String(length=32), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("package", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["organisation.id"],
                                name=op.f("fk_exchange_message_partner_id_organisation")),
        sa.ForeignKeyConstraint(["transfer_id"], ["transfer.id"], name=op.f("fk_exchange_message_transfer_id_transfer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_message")),
    )
    op.create_index("ix_exchange_message_outbox", "exchange_message", ["direction", "delivered_at", "next_attempt_at"])


def downgrade():
    op.drop_index("ix_exchange_message_outbox", table_name="exchange_message")
    op.drop_table("exchange_message")
    op.drop_table("transfer")
    op.drop_table("partner_key")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_constraint(batch.f("uq_organisation_exchange_id"), type_="unique")
        batch.drop_column("exchange_url")
        batch.drop_column("exchange_id")
