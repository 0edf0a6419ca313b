"""decision_aid_sessions: a patient working through a decision aid, resumable, with the SURE test
before and after, values, leaning and the summary for the clinician

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 20:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_aid_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("aid_id", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("sure_before", sa.JSON(), nullable=False),
        sa.Column("sure_after", sa.JSON(), nullable=False),
        sa.Column("sure_before_score", sa.Integer(), nullable=True),
        sa.Column("sure_after_score", sa.Integer(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("leaning", sa.String(length=60), nullable=True),
        sa.Column("summary", sa.String(length=2000), nullable=True),
        sa.Column("conflict_flagged", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("conducted_by_type", sa.String(length=20), nullable=False),
        sa.Column("conducted_by_id", sa.String(length=100), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'in_progress', 'completed', 'abandoned')",
            name=op.f("ck_decision_aid_sessions_decision_aid_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"],
            name=op.f("fk_decision_aid_sessions_patient_id_patients"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["staff.id"],
            name=op.f("fk_decision_aid_sessions_requested_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_aid_sessions")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_decision_aid_sessions_patient_id"), "decision_aid_sessions", ["patient_id"]
    )
    op.create_index(op.f("ix_decision_aid_sessions_status"), "decision_aid_sessions", ["status"])
    op.create_index(
        op.f("ix_decision_aid_sessions_completed_at"), "decision_aid_sessions", ["completed_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_decision_aid_sessions_completed_at"), table_name="decision_aid_sessions")
    op.drop_index(op.f("ix_decision_aid_sessions_status"), table_name="decision_aid_sessions")
    op.drop_index(op.f("ix_decision_aid_sessions_patient_id"), table_name="decision_aid_sessions")
    op.drop_table("decision_aid_sessions")
