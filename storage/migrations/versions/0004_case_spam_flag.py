"""case spam flag: web chat floods are flagged for review and can be closed as spam and reopened

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('support_case', schema=None) as batch_op:
        # existing cases are genuine: the default fills them
        batch_op.add_column(sa.Column('suspected_spam', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('spam_closed_from', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=True))
        # flagged cases sort after genuine ones of the same priority, still from the index alone
        batch_op.drop_index('ix_case_queue')
        batch_op.create_index('ix_case_queue', ['status', 'priority_rank', 'suspected_spam', 'sla_due_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_queue')
        batch_op.create_index('ix_case_queue', ['status', 'priority_rank', 'sla_due_at'], unique=False)
        batch_op.drop_column('spam_closed_from')
        batch_op.drop_column('suspected_spam')
