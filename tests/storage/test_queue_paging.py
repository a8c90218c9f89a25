"""The console queue in pages: "menampilkan N dari M", unclaimed emergencies always on the first
page, cases flagged "kemungkinan spam" after genuine ones, and closing spam in bulk (reversibly)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import event

from storage import case_detail, case_queue, case_spam, cases, first_response, officers, repo
from storage.db import unit_of_work
from storage.errors import CaseError, CaseForbidden
from storage.models import Officer
from tests import scenario_rows

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
SLA = {"emergency": 15, "high": 120, "normal": 1440}
_users = itertools.count()


def make_case(service, priority: str, *, minute: int = 0, flagged: bool = False) -> int:  # type: ignore[no-untyped-def]
    """A case opened `minute` minutes after T0, straight in storage."""
    user = f"q{next(_users)}"
    with unit_of_work(service.db) as s:
        contact = scenario_rows.contact_for_update(s, urn=f"telegram:{user}", channel="telegram", address=user)
        conv = scenario_rows.conversation_of(s, contact_id=contact.id)
        case = repo.open_case(s, contact_id=contact.id, conversation_id=conv.id, category="other", priority=priority,
                              emergency=priority == "emergency", summary="uji", intake={}, consent_share=None,
                              safe_to_reply=None, sla_minutes=SLA[priority],
                              now=T0 + dt.timedelta(minutes=minute))
        if flagged:
            case_spam.flag_suspected_spam(s, number=case.number, reason="uji banjir")
        return case.id  # type: ignore[return-value]


def staff(service, username: str, role: str) -> Officer:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return officers.add_officer(s, username=username, password_hash="unused", role=role)


def page(service, number: int = 1, size: int = 5, **kw) -> case_queue.QueuePage:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        result = case_queue.queue_page(s, page=number, page_size=size, **kw)
        s.expunge_all()
        return result


def ids(p: case_queue.QueuePage) -> list[int]:
    return [c.id for c in p.cases]  # type: ignore[misc]


def kinds(service, case_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return [e.kind for e in case_detail.events(s, case_id=case_id)]


def status(service, case_id: int) -> tuple[str, bool, str | None]:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        case = cases.get_case(s, case_id=case_id)
        return case.status, case.suspected_spam, case.spam_closed_from


# --- paging --------------------------------------------------------------------------------------


def test_pages_cover_every_case_once_in_queue_order(service) -> None:
    normal = [make_case(service, "normal", minute=m) for m in range(9)]
    high = [make_case(service, "high", minute=m) for m in range(3)]
    pages = [page(service, n) for n in (1, 2, 3)]
    assert [(p.page, p.pages, p.total, len(p.cases)) for p in pages] == [(1, 3, 12, 5), (2, 3, 12, 5), (3, 3, 12, 2)]
    assert sum((ids(p) for p in pages), []) == high + normal


def test_a_page_past_the_end_shows_the_last_page(service) -> None:
    made = [make_case(service, "normal", minute=m) for m in range(7)]
    last = page(service, 99)
    assert (last.page, ids(last)) == (2, made[5:])
    empty = page(service, 3)
    assert (empty.page, empty.pages) == (2, 2)


def test_an_empty_queue_is_one_empty_page(service) -> None:
    p = page(service)
    assert (p.page, p.pages, p.total, p.cases) == (1, 1, 0, [])


def test_every_unclaimed_emergency_stays_on_the_first_page_newest_first(service) -> None:
    old = [make_case(service, "emergency", minute=m) for m in range(4)]
    normal = [make_case(service, "normal", minute=m) for m in range(6)]
    new = [make_case(service, "emergency", minute=10 + m) for m in range(3)]
    first = page(service, 1, size=5)
    # seven emergencies on a page of five: all of them, the newest at the top, and nothing else
    assert ids(first) == list(reversed(old + new)) and first.pinned == 7
    assert (first.total, first.pages) == (13, 3)
    assert ids(page(service, 2, size=5)) == normal[:5] and ids(page(service, 3, size=5)) == normal[5:]


def test_emergencies_that_fit_keep_queue_order_and_the_page_is_filled_up(service) -> None:
    emergencies = [make_case(service, "emergency", minute=m) for m in range(2)]
    normal = [make_case(service, "normal", minute=m) for m in range(6)]
    assert ids(page(service, 1, size=5)) == emergencies + normal[:3]
    assert ids(page(service, 2, size=5)) == normal[3:]


def test_claimed_and_flagged_emergencies_are_not_kept_on_the_first_page(service) -> None:
    ani = staff(service, "ani", "officer")
    claimed = make_case(service, "emergency", minute=0)
    flagged = [make_case(service, "emergency", minute=1 + m, flagged=True) for m in range(6)]
    genuine = make_case(service, "emergency", minute=30)
    high = make_case(service, "high", minute=0)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=claimed, officer=ani)
    first, second = page(service, 1, size=3), page(service, 2, size=3)
    assert first.pinned == 1
    # genuine emergencies first, then the flagged ones of the same priority, then lower priorities
    assert ids(first) + ids(second) + ids(page(service, 3, size=3)) == [genuine, claimed, *flagged, high]


def test_flagged_cases_sort_after_genuine_ones_of_the_same_priority_only(service) -> None:
    flagged_high = make_case(service, "high", minute=0, flagged=True)
    genuine_high = make_case(service, "high", minute=50)
    normal = make_case(service, "normal", minute=0)
    assert ids(page(service, size=10)) == [genuine_high, flagged_high, normal]
    with unit_of_work(service.db) as s:
        assert [c.id for c in case_queue.queue(s)] == [genuine_high, flagged_high, normal]


def test_a_genuine_case_is_not_cut_off_by_many_earlier_flagged_ones(service) -> None:
    flagged = [make_case(service, "high", minute=m, flagged=True) for m in range(8)]
    genuine = make_case(service, "high", minute=60)
    assert ids(page(service, size=5)) == [genuine, *flagged[:4]]


def test_only_flagged_lists_the_flagged_cases_and_counts_them(service) -> None:
    make_case(service, "emergency")
    flagged = [make_case(service, "emergency", minute=m, flagged=True) for m in range(3)]
    p = page(service, size=10, only_flagged=True)
    assert (ids(p), p.total, p.pinned, p.flagged_open) == (flagged, 3, 0, 3)
    assert page(service, size=10).flagged_open == 3


def test_closed_cases_count_only_in_the_all_view(service) -> None:
    boss = staff(service, "sri", "supervisor")
    done, kept = make_case(service, "normal"), make_case(service, "normal", minute=1)
    with unit_of_work(service.db) as s:
        cases.close(s, case_id=done, officer=boss)
    assert (ids(page(service)), page(service).total) == ([kept], 1)
    assert (ids(page(service, include_closed=True)), page(service, include_closed=True).total) == ([done, kept], 2)


def test_the_pinned_emergencies_are_read_through_the_queue_index(service) -> None:
    if service.db.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    make_case(service, "emergency")
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(service.db, "before_cursor_execute", capture)
    try:
        page(service)
    finally:
        event.remove(service.db, "before_cursor_execute", capture)
    with service.db.connect() as conn:
        plans = [" | ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                 for sql, params in seen if "support_case" in sql]
    pinned = [p for p in plans if "priority_rank=?" in p]
    assert pinned and all("COVERING INDEX ix_case_queue" in p for p in pinned), plans
    assert not any("SCAN support_case" in p for p in plans), plans


# --- closing spam in bulk ------------------------------------------------------------------------


def test_supervisor_closes_as_spam_and_reopens_to_the_previous_status(service) -> None:
    boss, ani = staff(service, "sri", "supervisor"), staff(service, "ani", "officer")
    fresh, taken = make_case(service, "emergency", flagged=True), make_case(service, "emergency", minute=1)
    with unit_of_work(service.db) as s:
        cases.claim(s, case_id=taken, officer=ani)
    with unit_of_work(service.db) as s:
        closed = case_spam.close_as_spam(s, case_ids=[fresh, taken, fresh], officer=boss)
        assert sorted(c.id for c in closed) == [fresh, taken]  # type: ignore[type-var]
    assert status(service, fresh) == ("closed", True, "new") and status(service, taken) == ("closed", False, "claimed")
    assert ids(page(service)) == [] and page(service).flagged_open == 0
    with unit_of_work(service.db) as s:
        assert case_spam.close_as_spam(s, case_ids=[fresh], officer=boss) == []  # closed already: left alone
    with unit_of_work(service.db) as s:
        case_spam.reopen_spam(s, case_ids=[fresh, taken], officer=boss)
    # back as they were; the reviewed flag is gone, so the unclaimed emergency is pinned again
    assert status(service, fresh) == ("new", False, None) and status(service, taken) == ("claimed", False, None)
    assert ids(page(service)) == [fresh, taken] and page(service).pinned == 1
    for case_id in (fresh, taken):
        assert [k for k in kinds(service, case_id) if k in ("closed_as_spam", "reopened")] == \
            ["closed_as_spam", "reopened"]


def test_reopen_leaves_cases_not_closed_as_spam_alone(service) -> None:
    boss = staff(service, "sri", "supervisor")
    duplicate = make_case(service, "normal")
    with unit_of_work(service.db) as s:
        cases.close(s, case_id=duplicate, officer=boss, note="duplikat")
    with unit_of_work(service.db) as s:
        assert case_spam.reopen_spam(s, case_ids=[duplicate, 9999], officer=boss) == []
    assert status(service, duplicate) == ("closed", False, None)


@pytest.mark.parametrize("action", [case_spam.close_as_spam, case_spam.reopen_spam])
def test_only_supervisors_act_in_bulk(service, action) -> None:  # type: ignore[no-untyped-def]
    ani = staff(service, "ani", "officer")
    case_id = make_case(service, "emergency", flagged=True)
    with unit_of_work(service.db) as s, pytest.raises(CaseForbidden):
        action(s, case_ids=[case_id], officer=ani)
    assert status(service, case_id) == ("new", True, None)


def test_a_bulk_action_is_bounded(service) -> None:
    boss = staff(service, "sri", "supervisor")
    with unit_of_work(service.db) as s, pytest.raises(CaseError):
        case_spam.close_as_spam(s, case_ids=range(1, case_spam.MAX_BULK + 2), officer=boss)


def test_flagging_is_audited_once(service) -> None:
    case_id = make_case(service, "emergency", flagged=True)
    with unit_of_work(service.db) as s:
        number = cases.get_case(s, case_id=case_id).number
        case_spam.flag_suspected_spam(s, number=number, reason="lagi")
    assert kinds(service, case_id).count("flagged_spam") == 1


def test_flagged_cases_get_no_sla_reminder_each(service) -> None:
    genuine, flagged = make_case(service, "emergency"), make_case(service, "emergency", flagged=True)
    with unit_of_work(service.db) as s:
        due = first_response.overdue_unclaimed(s, now=T0 + dt.timedelta(hours=1))
        assert [c.id for c in due] == [genuine] and flagged != genuine
