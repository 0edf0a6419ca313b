"""appointment changes: slots (one holder each), call-back tasks, appointment details and
limits, consent expiry and who recorded it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 15:11:43.506247
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('callback_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('requested_by_type', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'done')", name=op.f('ck_callback_tasks_status_known')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_callback_tasks_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['staff.id'], name=op.f('fk_callback_tasks_assigned_to_id_staff')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_callback_tasks_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_tasks'))
    )
    with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_tasks_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_tasks_patient_id'), ['patient_id'], unique=False)

    op.create_table('slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('with_whom', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('appointment_type', sa.String(length=80), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_slots_ends_after_start')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_slots_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['clinician_id'], ['staff.id'], name=op.f('fk_slots_clinician_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slots')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_slots_appointment_id'))
    )
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slots_appointment_type'), ['appointment_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_slots_starts_at'), ['starts_at'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('what_to_bring', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('directions', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('needs_transport', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('needs_interpreter', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=300), nullable=True))

    # Appointments booked before slots existed hold a slot of their own, so that moving or
    # cancelling one releases its time like any other.
    op.execute(
        "INSERT INTO slots (starts_at, ends_at, clinician_id, with_whom, location, address, "
        "appointment_type, appointment_id) "
        "SELECT starts_at, ends_at, clinician_id, with_whom, location, address, appointment_type, id "
        "FROM appointments WHERE status IN ('booked', 'confirmed')"
    )

    with op.batch_alter_table('carer_consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_carer_consents_recorded_by_id_staff'), 'staff', ['recorded_by_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('carer_consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_carer_consents_recorded_by_id_staff'), type_='foreignkey')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('needs_interpreter')
        batch_op.drop_column('needs_transport')
        batch_op.drop_column('directions')
        batch_op.drop_column('what_to_bring')
        batch_op.drop_column('address')

    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slots_starts_at'))
        batch_op.drop_index(batch_op.f('ix_slots_appointment_type'))

    op.drop_table('slots')
    with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_tasks_patient_id'))
        batch_op.drop_index(batch_op.f('ix_callback_tasks_created_at'))

    op.drop_table('callback_tasks')
