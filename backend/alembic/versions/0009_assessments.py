"""assessments: questionnaires answered item by item, resumable, scored on completion

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=20), nullable=False),
        sa.Column("instrument_id", sa.String(length=60), nullable=False),
        sa.Column("demonstration", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("raw", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("conducted_by_type", sa.String(length=20), nullable=False),
        sa.Column("conducted_by_id", sa.String(length=100), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'in_progress', 'completed', 'abandoned')",
            name=op.f("ck_assessments_assessment_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"],
            name=op.f("fk_assessments_patient_id_patients"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["staff.id"], name=op.f("fk_assessments_requested_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )  # fmt: skip
    op.create_index(op.f("ix_assessments_patient_id"), "assessments", ["patient_id"])
    op.create_index(op.f("ix_assessments_status"), "assessments", ["status"])
    op.create_index(op.f("ix_assessments_completed_at"), "assessments", ["completed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_assessments_completed_at"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_status"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_patient_id"), table_name="assessments")
    op.drop_table("assessments")
