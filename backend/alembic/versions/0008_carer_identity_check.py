"""carer identity check: a carer names the patient by date of birth before anything is disclosed

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 18:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("identity_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("identity_last_failed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("identity_locked_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("carer_consents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("identity_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("carer_consents", schema=None) as batch_op:
        batch_op.drop_column("identity_confirmed_at")
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.drop_column("identity_locked_at")
        batch_op.drop_column("identity_last_failed_at")
        batch_op.drop_column("identity_failures")
