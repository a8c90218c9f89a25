"""people linking channel addresses, restricted cases, saved views (issue 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:30:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
