"""job handlers and their heartbeats

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_handlers",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_time", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_handlers")),
    )
    op.create_index(
        op.f("ix_job_handlers_heartbeat_time"), "job_handlers", ["heartbeat_time"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_job_handlers_heartbeat_time"), table_name="job_handlers")
    op.drop_table("job_handlers")
