"""held WhatsApp replies get the outbox status "held" (issue 13)

Until now a reply held while the 24-hour window was closed kept the status it happened to get
(sent for the row that carried the template, undelivered without a template or after Twilio's
63016, held while waiting) and was recognised by the Indonesian text at the start of last_error.
Those rows become status "held"; rows already re-queued ("Dikirim ulang sebagai outbox #…")
become "released". The notes stay in last_error for the console.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

HELD_NOTE = "Ditahan: di luar jendela 24 jam WhatsApp%"  # bot/channels/whatsapp.py HELD, as it was written
RELEASED_NOTE = "Dikirim ulang sebagai outbox #%"


def upgrade() -> None:
    op.execute(sa.text("UPDATE outbox SET status = 'held' WHERE last_error LIKE :note").bindparams(note=HELD_NOTE))
    op.execute(sa.text("UPDATE outbox SET status = 'released' WHERE last_error LIKE :note")
               .bindparams(note=RELEASED_NOTE))


def downgrade() -> None:
    # the old code found held rows by their note; the statuses it would have left are restored
    op.execute(sa.text("UPDATE outbox SET status = 'sent' WHERE status IN ('held', 'released') "
                       "AND external_id IS NOT NULL"))
    op.execute(sa.text("UPDATE outbox SET status = 'undelivered' WHERE status IN ('held', 'released') "
                       "AND last_error NOT LIKE '%menunggu balasan pelapor atas template%'"))
