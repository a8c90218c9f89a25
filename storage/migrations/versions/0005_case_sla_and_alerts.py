"""case alerts and whole-case SLA (issue 15: next-response due, follow-up date, reopen)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:30:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
