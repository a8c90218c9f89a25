"""Held WhatsApp replies have a status of their own (migration 0009), and are found by it."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from storage import outbox
from storage.db import make_engine, read_session, unit_of_work
from storage.migrate import alembic_config
from storage.models import Contact, Outbox, utcnow

OLD_HELD = "Ditahan: di luar jendela 24 jam WhatsApp"  # how rows were marked before 0009


def _upgrade(engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_migration_0009_turns_the_text_mark_into_a_status(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    _upgrade(engine, "0008")
    now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
    rows = [("sent", OLD_HELD + "; template HX1 dikirim, teks asli menyusul", "SM1"),
            ("undelivered", OLD_HELD + " (Twilio 63016); teks asli menyusul", None),
            ("held", OLD_HELD + "; menunggu balasan pelapor atas template", None),
            ("sent", "Dikirim ulang sebagai outbox #9 setelah pelapor membalas", "SM2"),
            ("undelivered", "Twilio HTTP 400, kode 21211", None),
            ("sent", "", "SM3")]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO contact (id, urn, channel, address, display_name, created_at) "
                          "VALUES (1, 'whatsapp:+62811', 'whatsapp', '+62811', '', :now)"), {"now": now})
        for status, note, sid in rows:
            conn.execute(text("INSERT INTO outbox (contact_id, channel, address, text, buttons, status, tries, "
                              "next_attempt_at, last_error, external_id, created_at) VALUES (1, 'whatsapp', "
                              "'+62811', 'x', '[]', :status, 1, :now, :note, :sid, :now)"),
                         {"status": status, "note": note, "sid": sid, "now": now})
    _upgrade(engine, "0009")
    with engine.connect() as conn:
        statuses = [r[0] for r in conn.execute(text("SELECT status FROM outbox ORDER BY id"))]
    assert statuses == ["held", "held", "held", "released", "undelivered", "sent"]
    with read_session(engine) as s:
        assert outbox.has_held(s, urn="whatsapp:+62811", since=utcnow() - dt.timedelta(days=1))
        # the row that carried the template counts as "a template already went out"
        assert outbox.template_sent_since(s, contact_id=1, since=None)
    engine.dispose()


def test_a_held_row_stays_held_whatever_its_template_report_says(service) -> None:
    with unit_of_work(service.db) as s:
        contact = Contact(urn="whatsapp:+62822", channel="whatsapp", address="+62822")
        s.add(contact)
        s.flush()
        row = Outbox(contact_id=contact.id, channel="whatsapp", address="+62822", text="t", status=outbox.HELD,
                     external_id="SMtemplate", sent_at=utcnow())
        s.add(row)
    with unit_of_work(service.db) as s:
        assert outbox.mark_status(s, external_id="SMtemplate", status="delivered")
    with unit_of_work(service.db) as s:
        assert s.get(Outbox, row.id).status == outbox.HELD  # its own text has still to go out
        counted_open, _ = outbox.counts(s)
        assert counted_open == 0  # held is not work the dispatcher owes
        [taken] = outbox.take_held(s, contact_id=contact.id, since=utcnow() - dt.timedelta(days=1))
        outbox.mark_released(s, row=taken, note="Dikirim ulang")
    with read_session(service.db) as s:
        assert not outbox.has_held(s, urn="whatsapp:+62822", since=utcnow() - dt.timedelta(days=1))
