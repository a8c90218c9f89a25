"""The console's whole-case actions in the Telegram staff chat (fake Bot API): a reopened case reopens
its topic; an officer's escalation is posted in the case's thread for the supervisors."""

from __future__ import annotations

from bot.channels import staff_desk_texts
from storage.models import CaseEvent
from storage.staff_threads import TOPIC_REOPENED
from tests.bot.console_util import add_staff, login
from tests.channels import rows, wait_until
from tests.channels.test_staff_desk import (  # noqa: F401  (fixtures)
    STAFF,
    client,
    events_only,
    fake,
    marks,
    officer,
    post,
    quick_sweeps,
    reported_case,
    staff_message,
    staff_texts,
    topic_closed,
)


def test_a_case_reopened_in_the_console_reopens_its_topic(events_only, client, fake, service) -> None:  # noqa: F811
    _, case, thread = reported_case(client, fake, service)
    post(client, staff_message(thread, "/ambil"))
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: topic_closed(service, case.id), what="topic marked closed")
    assert fake.topics[thread]["closed"] is True

    add_staff(service, "budi", role="supervisor")
    client.base_url = "https://testserver"  # the console's cookies are Secure under an https public URL
    token = login(client, "budi")
    r = client.post(f"/console/cases/{case.id}/reopen", data={"csrf_token": token, "reason": ""},
                    follow_redirects=False)
    assert r.status_code == 409  # a reason is required
    r = client.post(f"/console/cases/{case.id}/reopen",
                    data={"csrf_token": token, "reason": "pelapor menghubungi lagi: gaji belum dibayar"},
                    follow_redirects=False)
    assert r.status_code == 303
    # only the timed sweep is off (events_only): the reopening itself told the desk
    wait_until(lambda: marks(service, case.id)[-1:] == [TOPIC_REOPENED], what="topic reopened")
    assert fake.topics[thread] == {"name": f"🆘 {case.number} · {case.category}", "closed": False}
    assert staff_texts(fake).count(f"🔄 Kasus {case.number} dibuka kembali.") == 1

    trail = [(e.kind, e.actor, e.detail) for e in rows(service, CaseEvent, CaseEvent.case_id == case.id)]
    assert ("reopened", "budi", "resolved → claimed: pelapor menghubungi lagi: gaji belum dibayar") in trail
    page = client.get(f"/console/cases/{case.id}").text
    assert 'data-status="claimed"' in page and "pelapor menghubungi lagi" in page


def test_an_escalation_from_the_console_is_posted_in_the_case_thread(events_only, client, fake, service) -> None:  # noqa: F811
    _, case, thread = reported_case(client, fake, service)
    add_staff(service, "ani")
    client.base_url = "https://testserver"
    token = login(client, "ani")
    r = client.post(f"/console/cases/{case.id}/escalate",
                    data={"csrf_token": token, "reason": "pelapor minta dijemput malam ini"}, follow_redirects=False)
    assert r.status_code == 303
    notice = staff_desk_texts.NOTICES["escalated_by_officer"].format(number=case.number)
    wait_until(lambda: [c for c in fake.of("sendMessage", chat_id=STAFF, message_thread_id=thread)
                        if c.params["text"] == notice], what="escalation in the thread")
    trail = [(e.kind, e.actor, e.detail) for e in rows(service, CaseEvent, CaseEvent.case_id == case.id)]
    assert ("escalated_to_supervisor", "ani", "pelapor minta dijemput malam ini") in trail
