"""identity check: the date-of-birth check before details are disclosed by text

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:05:33.548600
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('identity_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('identity_locked_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('identity_locked_at')
        batch_op.drop_column('identity_failures')
        batch_op.drop_column('identity_confirmed_at')

