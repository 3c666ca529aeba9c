"""indexes for claiming each owner's oldest new jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_jobs_state_user_id_id", "jobs", ["state", "user_id", "id"], unique=False)
    op.create_index(
        "ix_jobs_state_session_id_id", "jobs", ["state", "session_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_state_session_id_id", table_name="jobs")
    op.drop_index("ix_jobs_state_user_id_id", table_name="jobs")
