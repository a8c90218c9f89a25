"""indexes for the supervisors' dashboard and monthly report (issue 16)

The dashboard counts messages, FAQ replies and cases by time (storage/dashboard.py); without
these it reads every row of message_log and support_case for a month's figures.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:30:00
"""
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_message_log_direction_time", "message_log", ["direction", "created_at", "conversation_id"]),
    ("ix_message_log_intent_time", "message_log", ["intent", "created_at"]),
    ("ix_case_created", "support_case", ["created_at"]),
    ("ix_case_resolved", "support_case", ["resolved_at"]),
    ("ix_case_event_case_kind_time", "case_event", ["case_id", "kind", "created_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
