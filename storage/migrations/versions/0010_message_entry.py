"""message_log.entry_id: the knowledge-base entry a bot reply answered with (the dashboard's FAQ topics)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 01:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        # replies logged before this revision carry no entry: the dashboard counts them as "Lainnya"
        batch_op.add_column(sa.Column('entry_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        batch_op.drop_column('entry_id')
