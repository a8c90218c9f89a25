"""people linking channel addresses, restricted cases, saved views (issue 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'person',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'person_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_person_event_person_id'), 'person_event', ['person_id'], unique=False)
    op.create_table(
        'risk_flag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_risk_flag_person_id'), 'risk_flag', ['person_id'], unique=False)
    op.create_table(
        'saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('query', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['officer_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('officer_id', 'name'),
    )
    op.create_index(op.f('ix_saved_view_officer_id'), 'saved_view', ['officer_id'], unique=False)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_contact_search_address', ['address'], unique=False)
        batch_op.create_foreign_key('fk_contact_person_id', 'person', ['person_id'], ['id'])
    with op.batch_alter_table('support_case', schema=None) as batch_op:
        # existing cases are not restricted: the default fills them
        batch_op.add_column(sa.Column('restricted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_case_search_assignee', ['assignee_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_search_assignee')
        batch_op.drop_column('restricted')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contact_person_id', type_='foreignkey')
        batch_op.drop_index('ix_contact_search_address')
        batch_op.drop_index(batch_op.f('ix_contact_person_id'))
        batch_op.drop_column('person_id')
    op.drop_index(op.f('ix_saved_view_officer_id'), table_name='saved_view')
    op.drop_table('saved_view')
    op.drop_index(op.f('ix_risk_flag_person_id'), table_name='risk_flag')
    op.drop_table('risk_flag')
    op.drop_index(op.f('ix_person_event_person_id'), table_name='person_event')
    op.drop_table('person_event')
    op.drop_table('person')
