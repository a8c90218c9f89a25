"""case alerts and whole-case SLA (issue 15: next-response due, follow-up date, reopen)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = ('follow_up_at', 'reopened_at', 'next_response_reminded_at', 'next_response_escalated_at',
           'resolution_reminded_at')


def upgrade() -> None:
    with op.batch_alter_table('support_case', schema=None) as batch_op:
        # all nullable: existing cases have no follow-up date, were never reopened or reminded past claim
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('support_case', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
