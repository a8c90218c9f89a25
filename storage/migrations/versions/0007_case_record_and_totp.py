"""editable case record, referral partners, canned replies, officer TOTP (issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:30:00
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The canned replies that were hard-coded in bot/console_canned.py, so the console shows the
# same list after the upgrade; admins edit it from here on. Frozen here: a migration must not
# follow later edits of a module.
CANNED = [
    ("salam", "Perkenalan petugas",
     "Halo, saya petugas Migrant Center BP3MI Kepulauan Riau. Laporan Anda sudah kami terima "
     "dan sekarang saya tangani. Anda bisa membalas di chat ini."),
    ("aman", "Tanya keadaan aman",
     "Apakah Anda sekarang berada di tempat yang aman? Jika Anda dalam bahaya, segera hubungi "
     "nomor darurat di negara tempat Anda berada, lalu kabari kami jika sudah bisa."),
    ("lokasi", "Minta lokasi",
     "Jika aman, mohon kirim lokasi Anda sekarang: negara, kota, dan alamat atau nama tempat "
     "terdekat. Informasi ini hanya untuk membantu Anda."),
    ("pihak", "Minta nama majikan/agen",
     "Mohon tuliskan nama majikan, nama agen atau perusahaan (PT) yang memberangkatkan Anda, "
     "dan sejak kapan Anda bekerja di sana."),
    ("bukti", "Minta bukti/dokumen",
     "Jika ada dan aman, mohon kirim foto paspor, kontrak kerja, slip gaji, atau bukti lain "
     "yang berkaitan dengan masalah Anda. Jangan kirim jika itu membahayakan Anda."),
    ("rujuk_perwakilan", "Dirujuk ke KBRI/KJRI",
     "Kasus Anda sudah kami teruskan ke perwakilan RI (KBRI/KJRI) di negara tempat Anda berada. "
     "Petugas di sana akan menghubungi Anda. Kami tetap memantau kasus Anda."),
    ("koordinasi", "Sedang berkoordinasi",
     "Terima kasih atas informasinya. Kami sedang berkoordinasi dengan pihak terkait dan akan "
     "mengabari Anda secepatnya di chat ini."),
    ("hapus_chat", "Saran hapus percakapan",
     "Demi keamanan Anda, hapus percakapan ini dari ponsel Anda jika ada orang lain yang bisa "
     "membacanya. Anda tetap bisa menghubungi kami lagi kapan saja."),
]
# the three referral targets the console offered before; admins add the real offices and contacts
PARTNERS = [("KBRI/KJRI (perwakilan RI)", "embassy"), ("Polisi", "police"), ("LSM/organisasi pendamping", "ngo")]


def upgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'case_record',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('destination_country', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('destination_city', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('employer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('agency_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('agency_licence_no', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('agency_licence_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('passport_holder', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('ilo_indicators', sa.JSON(), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['support_case.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )
    op.create_index(op.f('ix_case_record_agency_licence_key'), 'case_record', ['agency_licence_key'], unique=False)
    partner = op.create_table(
        'referral_partner',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('contact', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'case_referral',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('referred_on', sa.Date(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('outcome_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['support_case.id']),
        sa.ForeignKeyConstraint(['partner_id'], ['referral_partner.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_case_referral_case_id'), 'case_referral', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_referral_partner_id'), 'case_referral', ['partner_id'], unique=False)
    canned = op.create_table(
        'canned_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['officer_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_recovery_code_officer_id'), 'recovery_code', ['officer_id'], unique=False)
    op.create_table(
        'login_challenge',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('next_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['officer_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_login_challenge_officer_id'), 'login_challenge', ['officer_id'], unique=False)

    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(canned, [{"key": key, "title": title, "text": text, "position": i, "active": True,
                             "updated_by": "migration", "updated_at": now}
                            for i, (key, title, text) in enumerate(CANNED)])
    op.bulk_insert(partner, [{"name": name, "kind": kind, "country": "", "contact": "", "active": True,
                              "created_at": now} for name, kind in PARTNERS])


def downgrade() -> None:
    op.drop_index(op.f('ix_login_challenge_officer_id'), table_name='login_challenge')
    op.drop_table('login_challenge')
    op.drop_index(op.f('ix_recovery_code_officer_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_table('canned_reply')
    op.drop_index(op.f('ix_case_referral_partner_id'), table_name='case_referral')
    op.drop_index(op.f('ix_case_referral_case_id'), table_name='case_referral')
    op.drop_table('case_referral')
    op.drop_table('referral_partner')
    op.drop_index(op.f('ix_case_record_agency_licence_key'), table_name='case_record')
    op.drop_table('case_record')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
