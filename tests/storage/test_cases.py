"""Case lifecycle services: transitions, roles, audit trail, replies through the outbox, the rating."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from flows import phrases, rating
from storage import case_detail, case_queue, cases, first_response, officers, repo
from storage.db import unit_of_work
from storage.errors import CaseError, CaseForbidden, CaseNotFound
from storage.models import CaseEvent, Contact, Conversation, MessageLog, Officer, Outbox
from tests.conftest import Chat
from tests import scenario_rows

RATING = rating.prompt()
LOCKED_IN = "tolong saya dikunci di rumah majikan dan paspor saya diambil"


def add_staff(service, username: str, role: str = "officer") -> Officer:
    with unit_of_work(service.db) as s:
        return officers.add_officer(s, username=username, password_hash="unused", role=role)


def report(service, text: str = LOCKED_IN, channel: str = "telegram", user: str | None = None) -> tuple[Chat, int]:
    chat = Chat(service, channel=channel, user=user)
    chat.say(text)
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == f"{channel}:{chat.user}")).one()
        case = scenario_rows.latest_case(s, contact_id=contact.id)
        assert case is not None, "the report should have opened a case"
        return chat, case.id


def make_case(service, *, priority: str, sla_minutes: int, now: dt.datetime, safe_to_reply: bool | None = None,
              user: str | None = None) -> int:
    """A case opened directly in storage, for ordering and SLA arithmetic."""
    user = user or f"p{priority}{sla_minutes}{now.timestamp():.0f}"
    with unit_of_work(service.db) as s:
        contact = scenario_rows.contact_for_update(s, urn=f"telegram:{user}", channel="telegram", address=user)
        conv = scenario_rows.conversation_of(s, contact_id=contact.id)
        case = repo.open_case(s, contact_id=contact.id, conversation_id=conv.id, category="other", priority=priority,
                              emergency=priority == "emergency", summary="uji", intake={}, consent_share=None,
                              safe_to_reply=safe_to_reply, sla_minutes=sla_minutes, now=now)
        return case.id


def kinds(service, case_id: int) -> list[str]:
    with unit_of_work(service.db) as s:
        return [e.kind for e in case_detail.events(s, case_id=case_id)]


def load(service, case_id: int):
    with unit_of_work(service.db) as s:
        return cases.get_case(s, case_id=case_id)


# --- queue ---------------------------------------------------------------------------------------


def test_queue_puts_emergencies_first_then_the_earliest_sla(service) -> None:
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    normal_late = make_case(service, priority="normal", sla_minutes=10, now=now)
    normal_early = make_case(service, priority="normal", sla_minutes=5, now=now)
    high = make_case(service, priority="high", sla_minutes=120, now=now)
    emergency = make_case(service, priority="emergency", sla_minutes=15, now=now)
    with unit_of_work(service.db) as s:
        assert [c.id for c in case_queue.queue(s)] == [emergency, high, normal_early, normal_late]
        assert [c.id for c in case_queue.queue(s, limit=2)] == [emergency, high]


def test_queue_leaves_out_resolved_and_closed_cases_unless_asked(service) -> None:
    boss = add_staff(service, "sri", "supervisor")
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    done = make_case(service, priority="emergency", sla_minutes=15, now=now)
    still_open = make_case(service, priority="normal", sla_minutes=60, now=now)
    with unit_of_work(service.db) as s:
        cases.close(s, case_id=done, officer=boss, note="duplikat")
    with unit_of_work(service.db) as s:
        assert [c.id for c in case_queue.queue(s)] == [still_open]
        assert [c.id for c in case_queue.queue(s, include_closed=True)] == [done, still_open]


def test_queue_reads_through_the_case_queue_index(service) -> None:
    if service.db.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    make_case(service, priority="high", sla_minutes=60, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM support_case" in statement:
            seen.append((statement, parameters))

    event.listen(service.db, "before_cursor_execute", capture)
    try:
        with unit_of_work(service.db) as s:
            case_queue.queue(s)
    finally:
        event.remove(service.db, "before_cursor_execute", capture)
    assert seen
    with service.db.connect() as conn:
        plans = [[row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                 for statement, parameters in seen]
    # the ranking reads only the index (one bounded range per open status), never the table
    assert sum("SEARCH support_case USING COVERING INDEX ix_case_queue (status=?)" in p for p in plans[0]) == 3
    # the rows themselves are then fetched by primary key
    assert any("INTEGER PRIMARY KEY" in p for p in plans[1]), plans[1]
    assert not any(p.startswith("SCAN support_case") for plan in plans for p in plan), plans


# --- claim and assign ----------------------------------------------------------------------------


def test_claim_makes_the_case_the_officers_and_records_it(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        case = cases.claim(s, case_id=case_id, officer=ani)
        assert (case.status, case.assignee_id) == ("claimed", ani.id)
        assert case.claimed_at is not None
    assert kinds(service, case_id) == ["created", "claimed"]


def test_another_officer_cannot_take_a_claimed_case(service) -> None:
    ani, budi = add_staff(service, "ani"), add_staff(service, "budi")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
    with pytest.raises(CaseError), unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=budi)
    assert load(service, case_id).assignee_id == ani.id


def test_an_officer_cannot_assign_or_reassign(service) -> None:
    ani, budi = add_staff(service, "ani"), add_staff(service, "budi")
    _, case_id = report(service)
    with pytest.raises(CaseForbidden), unit_of_work(service.db) as s:
        cases.assign(s, case_id=case_id, officer_id=budi.id, by=ani)
    assert load(service, case_id).assignee_id is None
    assert "assigned" not in kinds(service, case_id)


def test_a_supervisor_assigns_and_reassigns(service) -> None:
    ani, budi, sri = add_staff(service, "ani"), add_staff(service, "budi"), add_staff(service, "sri", "supervisor")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.assign(s, case_id=case_id, officer_id=ani.id, by=sri)
    with unit_of_work(service.db) as s:
        cases.assign(s, case_id=case_id, officer_id=budi.id, by=sri)
    case = load(service, case_id)
    assert (case.status, case.assignee_id) == ("claimed", budi.id)
    with unit_of_work(service.db) as s:
        trail = [(e.kind, e.actor, e.detail) for e in case_detail.events(s, case_id=case_id) if e.kind == "assigned"]
    assert trail == [("assigned", "sri", "→ ani"), ("assigned", "sri", "ani → budi")]


def test_a_disabled_account_can_do_nothing(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        officers.set_active(s, username="ani", active=False)
        ani = s.get(Officer, ani.id)
    with pytest.raises(CaseForbidden), unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)


# --- replies -------------------------------------------------------------------------------------


def test_reply_goes_to_the_persons_channel_through_the_outbox(service) -> None:
    ani = add_staff(service, "ani")
    chat, case_id = report(service, channel="whatsapp", user="+6281200000001")
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
    with unit_of_work(service.db) as s:
        row = cases.reply_as_officer(s, case_id=case_id, officer=ani, text="Kami sudah menghubungi KJRI.")
        contact = s.get(Contact, row.contact_id)
        log_row = s.get(MessageLog, row.message_log_id)
        conv = s.exec(select(Conversation).where(Conversation.contact_id == contact.id)).one()
    assert (row.channel, row.address, row.status) == ("whatsapp", "+6281200000001", "pending")
    assert contact.urn == "whatsapp:+6281200000001"
    assert (log_row.direction, log_row.author, log_row.text) == ("out", "officer:ani", "Kami sudah menghubungi KJRI.")
    assert log_row.conversation_id == conv.id
    # the person's chat is left in the case flow, so their answer goes back to the officers
    assert conv.flow == "case"
    assert load(service, case_id).status == "waiting"
    assert kinds(service, case_id)[-2:] == ["replied", "status"]

    chat.say("saya di Johor Bahru, dekat pasar")
    assert load(service, case_id).status == "claimed"


def test_the_case_lists_replies_held_or_given_up_on_and_not_the_sent_ones(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service, channel="whatsapp", user="+6281200000002")
    with unit_of_work(service.db) as s:
        ids = [cases.reply_as_officer(s, case_id=case_id, officer=ani, text=f"balasan {i}").id for i in range(3)]
    with unit_of_work(service.db) as s:
        for row_id, status in zip(ids, ("held", "undelivered", "sent")):
            s.get(Outbox, row_id).status = status
    with unit_of_work(service.db) as s:
        listed = [(o.text, o.status) for o in case_detail.undelivered(s, case_id=case_id)]
    assert listed == [("balasan 0", "held"), ("balasan 1", "undelivered")]


def test_replying_to_an_unclaimed_case_claims_it(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.reply_as_officer(s, case_id=case_id, officer=ani, text="Halo, kami membantu Anda.")
    case = load(service, case_id)
    assert (case.assignee_id, case.status) == (ani.id, "waiting")
    assert kinds(service, case_id) == ["created", "claimed", "replied", "status"]


def test_only_the_assignee_or_a_supervisor_may_reply_or_change_status(service) -> None:
    ani, budi, sri = add_staff(service, "ani"), add_staff(service, "budi"), add_staff(service, "sri", "supervisor")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
    for act in (lambda s: cases.reply_as_officer(s, case_id=case_id, officer=budi, text="halo"),
                lambda s: cases.set_status(s, case_id=case_id, officer=budi, status="waiting"),
                lambda s: cases.refer(s, case_id=case_id, officer=budi, to="police", note="x"),
                lambda s: cases.resolve(s, case_id=case_id, officer=budi, rating_prompt=RATING)):
        with pytest.raises(CaseForbidden), unit_of_work(service.db) as s:
            act(s)
    with unit_of_work(service.db) as s:
        cases.reply_as_officer(s, case_id=case_id, officer=sri, text="Supervisor di sini.")
    with unit_of_work(service.db) as s:
        assert s.exec(select(Outbox).where(Outbox.text == "Supervisor di sini.")).one()


@pytest.mark.parametrize("reply", ["", "   ", "x" * (cases.MAX_REPLY + 1)])
def test_empty_or_oversized_replies_are_refused(service, reply) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with pytest.raises(CaseError), unit_of_work(service.db) as s:
        cases.reply_as_officer(s, case_id=case_id, officer=ani, text=reply)


# --- lifecycle -----------------------------------------------------------------------------------


def test_illegal_transitions_raise(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
    for status in ("new", "bogus"):
        with pytest.raises(CaseError), unit_of_work(service.db) as s:
            cases.set_status(s, case_id=case_id, officer=ani, status=status)
    with unit_of_work(service.db) as s:
        cases.resolve(s, case_id=case_id, officer=ani, rating_prompt=RATING)
    for act in (lambda s: cases.set_status(s, case_id=case_id, officer=ani, status="waiting"),
                lambda s: cases.reply_as_officer(s, case_id=case_id, officer=ani, text="masih di sana?"),
                lambda s: cases.resolve(s, case_id=case_id, officer=ani, rating_prompt=RATING),
                lambda s: cases.claim(s, case_id=case_id, officer=ani)):
        with pytest.raises(CaseError), unit_of_work(service.db) as s:
            act(s)
    with unit_of_work(service.db) as s:
        cases.close(s, case_id=case_id, officer=ani)
    with pytest.raises(CaseError), unit_of_work(service.db) as s:
        cases.close(s, case_id=case_id, officer=ani)
    assert load(service, case_id).status == "closed"


def test_status_moves_between_claimed_and_waiting(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.set_status(s, case_id=case_id, officer=ani, status="claimed")  # claims a new case
    with unit_of_work(service.db) as s:
        cases.set_status(s, case_id=case_id, officer=ani, status="waiting", note="menunggu alamat")
    with unit_of_work(service.db) as s:
        cases.set_status(s, case_id=case_id, officer=ani, status="claimed")
        trail = [e.detail for e in case_detail.events(s, case_id=case_id) if e.kind == "status"]
    assert trail == ["claimed → waiting: menunggu alamat", "waiting → claimed"]


def test_notes_and_referrals_are_in_the_audit_trail(service) -> None:
    ani, budi = add_staff(service, "ani"), add_staff(service, "budi")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
        cases.add_note(s, case_id=case_id, officer=budi, text="Saya kenal agennya.")  # any colleague may note
        cases.refer(s, case_id=case_id, officer=ani, to="embassy", note="KJRI Johor Bahru, surat 12/2026")
    with pytest.raises(CaseError), unit_of_work(service.db) as s:
        cases.refer(s, case_id=case_id, officer=ani, to="army", note="x")
    with unit_of_work(service.db) as s:
        trail = [(e.kind, e.actor, e.detail) for e in case_detail.events(s, case_id=case_id)]
    assert ("note", "budi", "Saya kenal agennya.") in trail
    assert ("referral", "ani", "embassy: KJRI Johor Bahru, surat 12/2026") in trail


def test_opening_the_case_page_data_records_a_view_each_time(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    for _ in range(2):
        with unit_of_work(service.db) as s:
            info = case_detail.detail(s, case_id=case_id, officer=ani)
    assert [m.direction for m in info.transcript][:2] == ["in", "out"]
    assert info.transcript[0].text == LOCKED_IN
    assert kinds(service, case_id) == ["created", "viewed", "viewed"]


def test_unknown_case_is_not_found(service) -> None:
    ani = add_staff(service, "ani")
    with pytest.raises(CaseNotFound), unit_of_work(service.db) as s:
        cases.claim(s, case_id=9999, officer=ani)


# --- resolving and the rating --------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["4", "rate:4"])
def test_resolving_asks_for_a_rating_and_the_answer_lands_on_the_case(service, answer) -> None:
    ani = add_staff(service, "ani")
    chat, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
        cases.reply_as_officer(s, case_id=case_id, officer=ani, text="Tim KJRI sudah menjemput Anda.")
    with unit_of_work(service.db) as s:
        case = cases.resolve(s, case_id=case_id, officer=ani, rating_prompt=RATING, note="sudah dijemput")
        number = case.number
        prompt = s.exec(select(Outbox).where(Outbox.contact_id == case.contact_id)
                        .order_by(Outbox.id.desc())).first()
        conv = s.get(Conversation, case.conversation_id)
    assert prompt.text == phrases.RATING_ASK.format(case_number=number)
    assert [b["payload"] for b in prompt.buttons] == [f"rate:{i}" for i in range(1, 6)]
    assert (conv.flow, conv.step, conv.slots["case_number"]) == ("rating", "ask", number)
    assert conv.slots["_buttons"] == [f"rate:{i}" for i in range(1, 6)]

    chat.say(answer)
    assert phrases.RATING_THANKS in chat.text()
    case = load(service, case_id)
    assert (case.status, case.rating) == ("resolved", 4)
    assert kinds(service, case_id)[-1] == "rated"


def test_no_rating_question_to_a_person_who_said_replies_are_unsafe(service) -> None:
    sri = add_staff(service, "sri", "supervisor")
    case_id = make_case(service, priority="high", sla_minutes=60, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                        safe_to_reply=False)
    with unit_of_work(service.db) as s:
        before = repo.count(s, Outbox)
        cases.resolve(s, case_id=case_id, officer=sri, rating_prompt=RATING)
        assert repo.count(s, Outbox) == before
    assert load(service, case_id).status == "resolved"
    assert kinds(service, case_id)[-1] == "rating_skipped"


# --- SLA marks and counts ------------------------------------------------------------------------


def test_overdue_unclaimed_lists_only_new_cases_past_their_sla(service) -> None:
    ani = add_staff(service, "ani")
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    late = make_case(service, priority="emergency", sla_minutes=15, now=t0)
    claimed = make_case(service, priority="emergency", sla_minutes=15, now=t0, user="claimed1")
    make_case(service, priority="normal", sla_minutes=1440, now=t0)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=claimed, officer=ani)
    with unit_of_work(service.db) as s:
        assert first_response.overdue_unclaimed(s, now=t0 + dt.timedelta(minutes=14)) == []
        assert [c.id for c in first_response.overdue_unclaimed(s, now=t0 + dt.timedelta(minutes=16))] == [late]


def test_reminder_and_escalation_marks_fire_once(service) -> None:
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    case_id = make_case(service, priority="emergency", sla_minutes=15, now=t0)
    with unit_of_work(service.db) as s:
        assert first_response.mark_sla_reminded(s, case_id=case_id, now=t0) is True
        assert first_response.mark_sla_reminded(s, case_id=case_id, now=t0) is False
        assert first_response.mark_escalated(s, case_id=case_id, now=t0) is True
        assert first_response.mark_escalated(s, case_id=case_id, now=t0) is False
    assert kinds(service, case_id) == ["created", "sla_reminder", "escalated_to_supervisor"]


def test_open_case_counts_by_priority(service) -> None:
    sri = add_staff(service, "sri", "supervisor")
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    make_case(service, priority="emergency", sla_minutes=15, now=t0)
    make_case(service, priority="normal", sla_minutes=60, now=t0)
    gone = make_case(service, priority="high", sla_minutes=60, now=t0)
    with unit_of_work(service.db) as s:
        cases.close(s, case_id=gone, officer=sri)
    with unit_of_work(service.db) as s:
        assert cases.open_case_counts(s) == {"emergency": 1, "high": 0, "normal": 1}


def test_event_rows_name_who_and_when(service) -> None:
    ani = add_staff(service, "ani")
    _, case_id = report(service)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=case_id, officer=ani)
    with unit_of_work(service.db) as s:
        claimed = s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "claimed")).one()
        assert claimed.actor == "ani" and claimed.created_at is not None
        assert s.execute(text("select count(*) from case_event where case_id = :c"), {"c": case_id}).scalar() == 2
