"""The whole-case SLA with a frozen clock: next response, follow-up dates, resolution, reopening,
and the daily summary computed from the database by any app instance."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.workers import scheduler
from bot.web.app import create_app
from bot.service import build_service
from storage import case_detail, case_sla, cases, officers
from storage.db import unit_of_work
from storage.errors import CaseError, CaseForbidden
from storage.models import Case, Contact, Officer, utcnow
from tests.bot.console_util import add_staff, login
from tests.conftest import Chat
from tests import scenario_rows

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 08:00 in Jakarta
LOCKED_IN = "tolong saya dikunci di rumah majikan dan paspor saya diambil"
PROMPT = cases.RatingPrompt("{case_number}?", ())


def open_report(service, text: str = LOCKED_IN) -> tuple[Chat, int, str]:
    chat = Chat(service)
    chat.say(text)
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == f"{chat.channel}:{chat.user}")).one()
        case = scenario_rows.latest_case(s, contact_id=contact.id)
        return chat, case.id, case.number


def officer(service, username: str, role: str = "officer") -> Officer:
    with unit_of_work(service.db) as s:
        return officers.add_officer(s, username=username, password_hash="unused", role=role)


def act(service, fn, **kw):  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return fn(s, **kw)


def load(service, case_id: int) -> Case:
    with unit_of_work(service.db) as s:
        return cases.get_case(s, case_id=case_id)


def trail(service, case_id: int) -> list[tuple[str, str, str]]:
    with unit_of_work(service.db) as s:
        return [(e.kind, e.actor, e.detail) for e in case_detail.events(s, case_id=case_id)]


@pytest.fixture
def announced(service) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    service.events.on_case_event(lambda kind, number: calls.append((kind, number)))
    return calls


def next_response(service) -> int:
    return service.settings.sla.emergency.next_response


# --- next response --------------------------------------------------------------------------------


def test_a_claimed_emergency_the_person_wrote_to_again_is_reminded_then_escalated_once(service, announced) -> None:
    ani = officer(service, "ani")
    wait = next_response(service)
    with time_machine.travel(T0, tick=False) as clock:
        chat, case_id, number = open_report(service)
        act(service, cases.claim, case_id=case_id, officer=ani)
        clock.shift(dt.timedelta(minutes=1))
        act(service, cases.reply_as_officer, case_id=case_id, officer=ani, text="Kami di sini. Anda di mana?")
        clock.shift(dt.timedelta(minutes=1))
        chat.say("saya di lantai dua, pintunya dikunci")  # back to "claimed": the officer owes an answer
        assert load(service, case_id).status == "claimed"
        announced.clear()
        clock.shift(dt.timedelta(minutes=wait - 1))
        assert scheduler.check_sla(service, utcnow()).whole_case.next_reminded == []
        clock.shift(dt.timedelta(minutes=2))
        report = scheduler.check_sla(service, utcnow()).whole_case
        assert report.next_reminded == [number] and report.next_escalated == []
        assert scheduler.check_sla(service, utcnow()).whole_case.next_reminded == []  # once
        clock.shift(dt.timedelta(minutes=wait))  # twice the target: the supervisors hear of it
        assert scheduler.check_sla(service, utcnow()).whole_case.next_escalated == [number]
        clock.shift(dt.timedelta(minutes=wait))
        again = scheduler.check_sla(service, utcnow()).whole_case
        assert again.next_reminded == again.next_escalated == []
    kinds = [k for k, _, _ in trail(service, case_id)]
    assert kinds.count("next_response_reminder") == 1 and kinds.count("escalated_to_supervisor") == 1
    assert ("next_response_reminder", number) in announced and ("next_response_escalated", number) in announced


def test_an_answered_person_is_not_reminded_and_a_new_message_starts_a_new_clock(service) -> None:
    ani = officer(service, "ani")
    wait = next_response(service)
    with time_machine.travel(T0, tick=False) as clock:
        chat, case_id, number = open_report(service)
        act(service, cases.claim, case_id=case_id, officer=ani)
        clock.shift(dt.timedelta(minutes=1))
        chat.say("halo? ada orang?")
        clock.shift(dt.timedelta(minutes=wait + 1))
        assert scheduler.check_sla(service, utcnow()).whole_case.next_reminded == [number]
        act(service, cases.reply_as_officer, case_id=case_id, officer=ani, text="Ya, kami di sini.")
        clock.shift(dt.timedelta(minutes=wait + 1))
        assert scheduler.check_sla(service, utcnow()).whole_case.next_reminded == []  # answered
        chat.say("terima kasih, saya takut sekali")
        clock.shift(dt.timedelta(minutes=wait + 1))
        assert scheduler.check_sla(service, utcnow()).whole_case.next_reminded == [number]  # a new exchange


# --- waiting and its follow-up date ---------------------------------------------------------------


def test_waiting_with_a_passed_follow_up_date_is_due_again(service, announced) -> None:
    ani = officer(service, "ani")
    with time_machine.travel(T0, tick=False) as clock:
        _, case_id, number = open_report(service, "saya mau bicara dengan petugas")
        act(service, cases.claim, case_id=case_id, officer=ani)
        follow_up = T0 + dt.timedelta(days=2)
        act(service, case_sla.set_waiting, case_id=case_id, officer=ani, follow_up_at=follow_up,
            note="menunggu foto kontrak")
        assert (load(service, case_id).status, load(service, case_id).follow_up_at) == ("waiting", follow_up)
        clock.shift(dt.timedelta(days=2) - dt.timedelta(minutes=1))
        assert scheduler.check_sla(service, utcnow()).whole_case.follow_up_due == []
        clock.shift(dt.timedelta(minutes=2))
        assert scheduler.check_sla(service, utcnow()).whole_case.follow_up_due == [number]
        assert scheduler.check_sla(service, utcnow()).whole_case.follow_up_due == []
    case = load(service, case_id)
    assert case.status == "claimed" and case.assignee_id == ani.id and case.follow_up_at is None
    assert case.sla_due_at == follow_up  # it sorts as due from the follow-up date
    kinds = [k for k, _, _ in trail(service, case_id)]
    assert kinds.index("follow_up_set") < kinds.index("follow_up_due")
    assert ("follow_up_due", number) in announced


def test_waiting_needs_a_future_follow_up_date(service) -> None:
    ani = officer(service, "ani")
    with time_machine.travel(T0, tick=False):
        _, case_id, _ = open_report(service, "saya mau bicara dengan petugas")
        act(service, cases.claim, case_id=case_id, officer=ani)
        with pytest.raises(CaseError):
            act(service, case_sla.set_waiting, case_id=case_id, officer=ani, follow_up_at=T0 - dt.timedelta(hours=1))
    assert load(service, case_id).status == "claimed"


def test_a_reply_that_puts_the_case_to_waiting_gets_the_default_follow_up(service) -> None:
    ani = officer(service, "ani")
    hours = service.settings.sla.waiting_follow_up_hours
    with time_machine.travel(T0, tick=False) as clock:
        chat, case_id, _ = open_report(service, "saya mau bicara dengan petugas")
        act(service, cases.reply_as_officer, case_id=case_id, officer=ani, text="Boleh kirim nomor paspor?")
        scheduler.check_sla(service, utcnow())
        assert load(service, case_id).follow_up_at == T0 + dt.timedelta(hours=hours)
        chat.say("sebentar saya cari dulu")  # the person answered: no longer waiting, the date goes
        scheduler.check_sla(service, utcnow())
        assert load(service, case_id).follow_up_at is None
        clock.shift(dt.timedelta(hours=hours + 1))
        assert scheduler.check_sla(service, utcnow()).whole_case.follow_up_due == []


# --- resolution and reopening ---------------------------------------------------------------------


def test_an_open_case_past_its_resolution_target_is_flagged_once(service, announced) -> None:
    ani = officer(service, "ani")
    target = service.settings.sla.emergency.resolution
    with time_machine.travel(T0, tick=False) as clock:
        _, case_id, number = open_report(service)
        act(service, cases.claim, case_id=case_id, officer=ani)
        clock.shift(dt.timedelta(minutes=target - 1))
        assert scheduler.check_sla(service, utcnow()).whole_case.resolution_overdue == []
        clock.shift(dt.timedelta(minutes=2))
        assert scheduler.check_sla(service, utcnow()).whole_case.resolution_overdue == [number]
        assert scheduler.check_sla(service, utcnow()).whole_case.resolution_overdue == []
    assert ("resolution_overdue", number) in announced


def test_reopening_is_audited_with_its_reason_and_restarts_the_resolution_clock(service) -> None:
    ani, budi, sri = officer(service, "ani"), officer(service, "budi"), officer(service, "sri", role="supervisor")
    with time_machine.travel(T0, tick=False) as clock:
        _, case_id, _ = open_report(service)
        act(service, cases.claim, case_id=case_id, officer=ani)
        act(service, cases.resolve, case_id=case_id, officer=ani, rating_prompt=PROMPT)
        with pytest.raises(CaseError):  # a reason is required
            act(service, case_sla.reopen, case_id=case_id, officer=ani, reason="  ")
        with pytest.raises(CaseForbidden):  # not budi's case
            act(service, case_sla.reopen, case_id=case_id, officer=budi, reason="saya lihat pesan baru")
        clock.shift(dt.timedelta(days=5))
        act(service, case_sla.reopen, case_id=case_id, officer=sri, reason="pelapor menelepon: paspor belum kembali")
        case = load(service, case_id)
        assert (case.status, case.assignee_id, case.resolved_at) == ("claimed", ani.id, None)
        assert case.reopened_at == T0 + dt.timedelta(days=5)
        # the resolution clock counts from the reopening, not the opening five days ago
        assert scheduler.check_sla(service, utcnow()).whole_case.resolution_overdue == []
        with pytest.raises(CaseError):  # open already
            act(service, case_sla.reopen, case_id=case_id, officer=sri, reason="lagi")
    kind, actor, detail = trail(service, case_id)[-1]
    assert (kind, actor) == ("reopened", "sri")
    assert detail == "resolved → claimed: pelapor menelepon: paspor belum kembali"


def test_a_reopened_case_whose_officer_left_goes_back_to_the_queue(service) -> None:
    ani, sri = officer(service, "ani"), officer(service, "sri", role="supervisor")
    _, case_id, _ = open_report(service)
    act(service, cases.claim, case_id=case_id, officer=ani)
    act(service, cases.close, case_id=case_id, officer=ani, note="duplikat")
    act(service, officers.set_active, username="ani", active=False)
    act(service, case_sla.reopen, case_id=case_id, officer=sri, reason="bukan duplikat")
    case = load(service, case_id)
    assert (case.status, case.assignee_id) == ("new", None)


# --- the change feed and the daily summary --------------------------------------------------------


def test_the_change_feed_lists_queue_changes_after_an_id_and_not_views(service) -> None:
    ani = officer(service, "ani")
    with unit_of_work(service.db) as s:
        start = case_sla.latest_event_id(s)
    _, case_id, number = open_report(service)
    act(service, case_detail.detail, case_id=case_id, officer=ani)  # a view: not a queue change
    act(service, cases.claim, case_id=case_id, officer=ani)
    with unit_of_work(service.db) as s:
        feed = case_sla.alerts_after(s, after_id=start)
        assert case_sla.alerts_after(s, after_id=feed[-1].id) == []
    assert [(a.kind, a.number) for a in feed] == [("created", number), ("claimed", number)]
    assert feed[0].emergency and feed[-1].status == "claimed"


def test_the_daily_summary_is_the_same_from_two_app_instances(settings, service) -> None:
    add_staff(service, "sri", role="supervisor")
    other = build_service(settings, ctx=service.ctx)
    try:
        with time_machine.travel(T0, tick=False):
            open_report(service)
            open_report(service, "saya mau bicara dengan petugas")
            with TestClient(create_app(settings, service)) as one, TestClient(create_app(settings, other)) as two:
                shown = []
                for client in (one, two):
                    login(client, "sri")
                    box = re.search(r'<p class="summary-box">([^<]+)</p>', client.get("/console").text)
                    assert box, "the queue shows no daily summary"
                    shown.append(box.group(1))
    finally:
        other.db.dispose()
    assert shown[0] == shown[1]
    assert "2 kasus terbuka" in shown[0] and "darurat 1" in shown[0] and "02-03-2026 08:00" in shown[0]


# --- the targets in config.yaml -------------------------------------------------------------------


@pytest.mark.parametrize(("change", "named"), [
    ({"emergency": {"first_response": 15, "next_response": 15, "resolution": 10}}, "sla.emergency"),
    ({"high": {"first_response": 5, "next_response": 120, "resolution": 10080}}, "first_response"),
    ({"normal": {"first_response": 1440, "next_response": 1440}}, "sla.normal.resolution"),
])
def test_bad_sla_targets_stop_the_start_with_the_key_named(tmp_path, change, named) -> None:
    import yaml

    from bot.settings import DEFAULT_CONFIG, ConfigError, load_settings

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["sla"] = {**raw["sla"], **change}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert named in str(error.value)


def test_the_engine_times_first_responses_from_the_sla_section(settings) -> None:
    assert settings.sla_minutes.model_dump() == {p: settings.sla.targets(p).first_response
                                                 for p in ("emergency", "high", "normal")}


def test_the_case_page_sets_waiting_only_with_a_follow_up_date(settings, service) -> None:
    add_staff(service, "ani")
    _, case_id, _ = open_report(service, "saya mau bicara dengan petugas")
    with TestClient(create_app(settings, service)) as client:
        token = login(client, "ani")
        client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
        page = client.get(f"/console/cases/{case_id}").text
        assert f'action="/console/cases/{case_id}/tunggu"' in page
        assert '<option value="waiting">' not in page  # no way to "waiting" without a date
        r = client.post(f"/console/cases/{case_id}/tunggu", data={"csrf_token": token, "follow_up": ""},
                        follow_redirects=False)
        assert r.status_code == 409 and load(service, case_id).status == "claimed"
        r = client.post(f"/console/cases/{case_id}/tunggu", data={"csrf_token": token, "follow_up": "2099-01-05T09:30"},
                        follow_redirects=False)
        assert r.status_code == 409  # more than 90 days ahead
        soon = (utcnow() + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=7)))
        r = client.post(f"/console/cases/{case_id}/tunggu",
                        data={"csrf_token": token, "follow_up": soon.strftime("%Y-%m-%dT%H:%M")}, follow_redirects=False)
        assert r.status_code == 303
        case = load(service, case_id)
        assert case.status == "waiting"
        assert case.follow_up_at == soon.replace(second=0, microsecond=0)  # typed in Jakarta time, stored UTC
        assert 'id="follow-up"' in client.get(f"/console/cases/{case_id}").text
