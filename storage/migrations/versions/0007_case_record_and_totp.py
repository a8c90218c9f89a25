"""editable case record, referral partners, canned replies, officer TOTP (issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:30:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
