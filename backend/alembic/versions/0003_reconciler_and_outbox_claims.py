"""safety reconciler cursor and outbox claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:40:48.998843
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rasa_event_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rasa_event_cursor'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_outbox_messages_status_known'), type_='check')
        batch_op.create_check_constraint(
            'status_known', "status IN ('pending', 'sending', 'sent', 'failed')"
        )



def downgrade() -> None:
    op.execute("UPDATE outbox_messages SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_status_known'), type_='check')
        batch_op.create_check_constraint(
            'status_known', "status IN ('pending', 'sent', 'failed')"
        )
        batch_op.drop_column('claimed_at')

    op.drop_table('rasa_event_cursor')
