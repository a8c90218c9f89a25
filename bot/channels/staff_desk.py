"""The staff desk in Telegram: one forum topic per case in the staff supergroup (telegram.staff_chat_id).

A new case is announced in its own topic (createForumTopic); when the group has no topics the
announcement itself is the thread, and officers answer by replying to it. The thread id is
kept in Case.telegram_thread_id. What the reporter writes later (WhatsApp or Telegram) is
mirrored into the thread, with SLA reminders. In a case's thread:

    any text   goes to the reporter, exactly as a console reply (storage.cases.reply_as_officer)
    a file     its caption goes as text; the file itself does not (the reply path is text only),
               and the officer is told so in the thread
    /ambil     claims the case          /selesai   resolves it (the reporter is asked for a rating)

Only members of the staff chat (getChatMember) whose Telegram account is linked to an active
officer (Officer.telegram_user_id) are obeyed; anyone else gets a polite refusal.

When a case is resolved or closed — with /selesai, from the console, by anything else — its
thread gets a note saying who finished it, and its topic a ✅ before its name and is closed
(editForumTopic, closeForumTopic). Should a case with a closed topic become open again, the
topic is reopened. What the desk did last to a topic is a case event (TOPIC_CLOSED /
TOPIC_REOPENED), so a restart neither repeats nor forgets it; a topic that cannot be changed
(no topics, no right to manage them) gets the note only.

Announcements and topic changes come from a sweep, run when the engine reports a new case
(`on_case_event`, called after commit), after /selesai, and every SWEEP_SECONDS, so nothing is
missed when the change came from another process (the console) or the process restarted in
between.

Several workers: every worker runs a desk (each receives webhooks), but only the holder of the
database lease LEASE_NAME (storage/lease.py) sweeps, so one topic is created per case. The
lease is taken or renewed at the start of each sweep and again before each further
announcement or topic change, so a holder that stalled for longer than the lease learns it
before its next Telegram call; the others try again every SWEEP_SECONDS and take over when the
holder dies (the lease runs out) or stops (it releases the lease). What is not a sweep — the reporter's later
messages and SLA notices, posted by the worker that saw them — needs no lease; such a post for
a case not announced yet waits (up to POST_WAIT) until the holder has made its thread. A case
announced from another worker's event waits for the holder's next sweep (≤ SWEEP_SECONDS).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select
from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.channels.telegram import describe
from bot.scheduler import new_holder
from bot.workers.loop import backoff
from flows import rating
from flows.messages import Inbound
from storage import cases, lease, repo
from storage.db import unit_of_work
from storage.ids import saved_id
from storage.models import Case, CaseEvent, Contact, Officer, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine, ScalarSelect

    from bot.channels.telegram import TelegramChannel
    from bot.service import Service

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0
LEASE_NAME = "staff_desk"  # not the scheduler's: a worker with HELPDESK_SCHEDULER=off may sweep
LEASE_RECHECK = 1.0  # seconds an answer about the lease is reused (it lasts storage.lease.LEASE_SECONDS)
SWEEP_AGE = dt.timedelta(days=7)  # first start with a desk: recent open cases only, not years of history
SWEEP_BATCH = 10
POST_WAIT = 300.0  # seconds a post waits for its case's announcement (made by the lease holder, maybe elsewhere)
POSTS_HELD_MAX = 500
TOPIC_BATCH = 5  # topic changes per sweep: each is up to three calls against the group's ~20/min budget
MEMBER_TTL = 300.0  # seconds a confirmed membership is trusted (getChatMember counts against the group limit)
TOPICS_OFF_RETRY = 3600.0
SEEN_MAX = 2000
MEMBER_STATUSES = ("creator", "administrator", "member")

PRIORITY_LABELS = {"emergency": "DARURAT", "high": "tinggi", "normal": "biasa"}
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "web": "web chat", "cli": "CLI"}
REFUSE_NOT_MEMBER = "Maaf, hanya anggota grup petugas yang dapat menangani kasus di sini."
REFUSE_UNCHECKED = "Maaf, keanggotaan Anda belum bisa diperiksa saat ini. Silakan coba lagi sebentar lagi."
REFUSE_UNLINKED = ("Maaf, akun Telegram Anda belum terhubung dengan akun petugas yang aktif. "
                   "Mohon minta admin menghubungkannya (ID Telegram Anda: {user_id}).")
OUTSIDE_CASE = "Perintah ini hanya bisa dipakai di topik (atau utas balasan) sebuah kasus."
NOT_SENT = "Pesan tidak diteruskan ke pelapor: {reason}"
CANNOT = "Tidak bisa: {reason}"
CLAIMED = "Kasus {number} diambil oleh {name}."
MIRROR = "💬 Pelapor: {text}"
ATTACHMENTS = "📎 {count} lampiran (tersimpan di kasus; lihat konsol)"
DONE = "✅ Kasus {number} {what} oleh {name}. Topik ini ditutup."
DONE_WHAT = {"resolved": "ditandai selesai", "closed": "ditutup"}
DONE_PREFIX = "✅ "
REOPENED = "🔄 Kasus {number} dibuka kembali."
FILE_NOT_SENT = ("📎 Lampiran ini tidak diteruskan ke pelapor: dari sini hanya teks yang bisa dikirim. "
                 "Tulis isinya sebagai pesan teks bila perlu.")
FILE_CAPTION_ONLY = ("📎 Keterangannya sudah diteruskan ke pelapor, tetapi lampirannya tidak: dari sini hanya teks "
                     "yang bisa dikirim.")
# case events: what the desk last did to a case's topic (the audit trail doubles as the desk's memory)
TOPIC_CLOSED = "telegram_topic_closed"
TOPIC_REOPENED = "telegram_topic_reopened"
NOTICES = {
    "sla_reminder": "⏰ Kasus {number} belum diambil dan sudah melewati batas waktu (SLA). Mohon segera /ambil.",
    "escalated_to_supervisor": "⚠️ Kasus {number} diteruskan ke supervisor karena belum ditangani.",
    # the whole-case SLA (storage/case_sla.py) and an officer's own call for help (bot/console_alerts.py)
    "next_response_reminder": "⏰ Pelapor kasus {number} menunggu balasan melewati batas waktu (SLA). Mohon segera dibalas.",
    "next_response_escalated": "⚠️ Kasus {number} diteruskan ke supervisor: pelapor belum dibalas.",
    "resolution_overdue": "⏰ Kasus {number} melewati batas waktu penyelesaian.",
    "follow_up_due": "📅 Kasus {number}: tanggal tindak lanjut tiba; kasus kembali ke antrean.",
    "escalated_by_officer": "⚠️ Kasus {number} dieskalasi ke supervisor oleh petugas. Mohon supervisor menanganinya.",
}
RATING_PROMPT = rating.prompt()


@dataclass(frozen=True)
class DeskEvent:
    kind: str  # created | message | sla_reminder | escalated_to_supervisor | finished
    case_number: str
    text: str = ""


@dataclass(frozen=True)
class HeldPost:
    """A post for a case whose thread does not exist yet."""

    case_number: str
    text: str
    until: float  # time.monotonic() after which it is given up


@dataclass(frozen=True)
class CaseCard:
    id: int
    number: str
    priority: str
    category: str
    emergency: bool
    summary: str
    channel: str


@dataclass(frozen=True)
class TopicChange:
    """A case whose thread does not show its status yet: finished (mark it done) or open again (reopen it)."""

    card: CaseCard
    thread_id: int
    status: str
    by: str = ""  # who finished the case, as the note names them

    @property
    def finished(self) -> bool:
        return self.status in cases.CLOSED_STATUSES


def topic_name(card: CaseCard) -> str:
    return f"{'🆘 ' if card.emergency else ''}{card.number} · {card.category}"[:128]


def done_note(change: TopicChange) -> str:
    return DONE.format(number=change.card.number, what=DONE_WHAT.get(change.status, "ditutup"), name=change.by)


def announcement(card: CaseCard, in_topic: bool) -> str:
    lines = [f"{'🆘 ' if card.emergency else ''}Kasus baru {card.number}",
             (f"Prioritas: {PRIORITY_LABELS.get(card.priority, card.priority)} · Kategori: {card.category} · "
             f"Saluran: {CHANNEL_LABELS.get(card.channel, card.channel)}")]
    if card.summary:
        lines.append(f"Ringkasan: {card.summary[:500]}")
    lines += ["", "Tulis di topik ini untuk membalas pelapor." if in_topic
              else "Balas (reply) pesan ini untuk membalas pelapor.",
              "/ambil — ambil kasus · /selesai — tandai selesai"]
    return "\n".join(lines)


def thread_candidates(msg: Message) -> list[int]:
    """Which case thread a staff message belongs to: its topic, or the message it replies to."""
    ids = []
    if msg.message_thread_id:
        ids.append(msg.message_thread_id)
    if msg.reply_to_message is not None:
        ids.append(msg.reply_to_message.message_id)
    return ids


# --- data (short transactions, run in worker threads) -------------------------------------------------------


def unannounced(db: Engine, limit: int = SWEEP_BATCH) -> list[CaseCard]:
    with Session(db) as s:
        rows = s.exec(select(Case, Contact.channel).join(Contact, col(Contact.id) == col(Case.contact_id))
                      .where(col(Case.status).in_(cases.OPEN_STATUSES), col(Case.telegram_thread_id).is_(None),
                             col(Case.created_at) >= utcnow() - SWEEP_AGE)
                      .order_by(col(Case.priority_rank), col(Case.id)).limit(limit)).all()
        return [_card(c, channel) for c, channel in rows]


def _card(c: Case, channel: str) -> CaseCard:
    return CaseCard(saved_id(c.id), c.number, c.priority, c.category, c.emergency, c.summary, channel)


def store_thread(db: Engine, case_id: int, thread_id: int) -> bool:
    with Session(db) as s:
        result = s.exec(sql_update(Case).where(col(Case.id) == case_id, col(Case.telegram_thread_id).is_(None))
                        .values(telegram_thread_id=thread_id))
        s.commit()
        return bool(result.rowcount)


def case_for_thread(db: Engine, candidates: list[int]) -> tuple[int, str] | None:
    with Session(db) as s:
        for thread_id in candidates:
            row = s.exec(select(Case.id, Case.number).where(Case.telegram_thread_id == thread_id)).first()
            if row is not None:
                return saved_id(row[0]), row[1]
    return None


def open_case_thread(db: Engine, number: str) -> tuple[bool, int | None]:
    """(open, thread id) of a case: open with a thread, open and still to be announced (None, as
    `unannounced` would pick it), or (False, None) — closed, unknown, or too old to be announced.
    One query, so an announcement made meanwhile by another worker is seen whole or not at all."""
    with Session(db) as s:
        row = s.exec(select(Case.id, Case.telegram_thread_id).where(
            Case.number == number, col(Case.status).in_(cases.OPEN_STATUSES),
            or_(col(Case.telegram_thread_id).is_not(None), col(Case.created_at) >= utcnow() - SWEEP_AGE))).first()
    return (False, None) if row is None else (True, row[1])


def _last_topic_mark() -> ScalarSelect[str]:
    """What the desk last did to the case's topic (None: nothing yet); per case, on ix_case_event_case_id."""
    return (select(CaseEvent.kind).where(col(CaseEvent.case_id) == col(Case.id),
                                         col(CaseEvent.kind).in_((TOPIC_CLOSED, TOPIC_REOPENED)))
            .order_by(col(CaseEvent.id).desc()).limit(1).correlate(Case).scalar_subquery())


def _finished_by(s: Session, case_id: int) -> str:
    # the last status change of a finished case is the one that finished it (resolved/closed are final)
    actor = s.exec(select(CaseEvent.actor).where(CaseEvent.case_id == case_id, CaseEvent.kind == "status")
                   .order_by(col(CaseEvent.id).desc()).limit(1)).first()
    officer = s.exec(select(Officer).where(Officer.username == actor)).first() if actor else None
    return _officer_name(officer) if officer is not None else "petugas"


def topic_changes(db: Engine, limit: int = TOPIC_BATCH) -> list[TopicChange]:
    """Announced cases whose thread is behind their status, the most recently finished first."""
    mark = _last_topic_mark()
    with Session(db) as s:
        announced = (select(Case, Contact.channel).join(Contact, col(Contact.id) == col(Case.contact_id))
                     .where(col(Case.telegram_thread_id).is_not(None)))
        # resolved_at bounds the scan: recently finished cases only, not years of history on a first start
        finished = s.exec(announced.where(col(Case.status).in_(cases.CLOSED_STATUSES),
                                          col(Case.resolved_at) >= utcnow() - SWEEP_AGE,
                                          or_(mark.is_(None), mark == TOPIC_REOPENED))
                          .order_by(col(Case.resolved_at).desc()).limit(limit)).all()
        reopened = s.exec(announced.where(col(Case.status).in_(cases.OPEN_STATUSES), mark == TOPIC_CLOSED)
                          .order_by(col(Case.id)).limit(limit)).all()
        return [TopicChange(_card(c, channel), c.telegram_thread_id, c.status,  # type: ignore[arg-type]  # query: has a thread
                            _finished_by(s, saved_id(c.id)) if c.status in cases.CLOSED_STATUSES else "")
                for c, channel in [*finished, *reopened][:limit]]


def mark_topic(db: Engine, case_id: int, kind: str, detail: str) -> None:
    with unit_of_work(db) as s:
        repo.add_case_event(s, case_id=case_id, kind=kind, actor="bot", detail=detail)


def officer_for_telegram(db: Engine, user_id: int) -> int | None:
    with Session(db) as s:
        return s.exec(select(Officer.id).where(Officer.telegram_user_id == user_id, col(Officer.active).is_(True))).first()


def _officer_name(officer: Officer) -> str:
    return officer.display_name or officer.username


def reply(db: Engine, case_id: int, officer_id: int, text: str, dedupe_key: str | None = None) -> bool:
    """Relay an officer's message; False when this very message was relayed before (a redelivery)."""
    try:
        with unit_of_work(db) as s:
            officer = s.get(Officer, officer_id)
            assert officer is not None
            cases.reply_as_officer(s, case_id=case_id, officer=officer, text=text, dedupe_key=dedupe_key)
    except IntegrityError:
        return False
    return True


def claim(db: Engine, case_id: int, officer_id: int) -> str:
    with unit_of_work(db) as s:
        officer = s.get(Officer, officer_id)
        assert officer is not None
        case = cases.claim(s, case_id=case_id, officer=officer)
        return CLAIMED.format(number=case.number, name=_officer_name(officer))


def resolve(db: Engine, case_id: int, officer_id: int) -> None:
    """The desk's done note (posted by the sweep) says who resolved it; no answer of its own."""
    with unit_of_work(db) as s:
        officer = s.get(Officer, officer_id)
        assert officer is not None
        cases.resolve(s, case_id=case_id, officer=officer, rating_prompt=RATING_PROMPT)


# --- the desk -----------------------------------------------------------------------------------------------


class StaffDesk:
    def __init__(self, service: Service, channel: TelegramChannel, chat_id: int, poke: Callable[[], None]) -> None:
        self.service = service
        self.channel = channel
        self.chat_id = chat_id
        self.poke = poke
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: asyncio.Queue[DeskEvent] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._members: dict[int, float] = {}
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._topics_off_until = 0.0
        # case id -> the done note is out (True: in a topic); only so that a retry after a failed
        # rename/close does not post the note twice; the case event is what lasts
        self._noted: dict[int, bool] = {}
        self.holder = new_holder("desk-")  # this desk's name in the lease
        self._leading = False
        self._lease_checked = -LEASE_RECHECK
        self._held: list[HeldPost] = []

    # -- the lease: one sweeping desk among the workers --

    async def _lead(self) -> bool:
        """Take or renew the sweep lease; True while this desk holds it."""
        if time.monotonic() - self._lease_checked < LEASE_RECHECK:
            return self._leading  # asked a moment ago (each is a write transaction)
        leading = await asyncio.to_thread(lease.try_acquire, self.service.db, name=LEASE_NAME, holder=self.holder)
        self._lease_checked = time.monotonic()
        if leading != self._leading:
            log.info("staff desk: %s the sweep lease", "took" if leading else "does not hold")
            self._leading = leading
        return leading

    async def _release(self) -> None:
        if not self._leading:
            return
        self._leading = False
        self._lease_checked = -LEASE_RECHECK
        try:  # another worker takes over at its next sweep instead of when the lease runs out
            await asyncio.to_thread(lease.release, self.service.db, name=LEASE_NAME, holder=self.holder)
        except SQLAlchemyError as exc:
            log.warning("staff desk: sweep lease not released: %s", type(exc).__name__)

    # -- announcements --

    def on_case_event(self, kind: str, case_number: str) -> None:
        """Engine/scheduler hook, called after commit from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._events.put_nowait, DeskEvent(kind, case_number))

    def mirror(self, case_number: str, inbound: Inbound) -> None:
        """The reporter wrote in an open case (called in the event loop after the engine committed)."""
        text = inbound.text.strip()[:3500]
        if inbound.media:
            text = (text + "\n" if text else "") + ATTACHMENTS.format(count=len(inbound.media))
        if text:
            self._events.put_nowait(DeskEvent("message", case_number, MIRROR.format(text=text)))

    async def run_forever(self, interval: float | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self._run(interval)
        finally:
            await self._release()

    async def _run(self, interval: float | None) -> None:
        event: DeskEvent | None = None
        failures = 0
        while True:
            try:
                if event is not None and event.kind == "message":
                    self._hold(event.case_number, event.text)
                elif event is not None and event.kind in NOTICES:
                    self._hold(event.case_number, NOTICES[event.kind].format(number=event.case_number))
                if self.channel.ready:
                    await self.announce_pending()
                    await self._post_held()
                    # after the posts: a message that came just before the case ended lands before the note
                    await self.update_topics()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the desk must survive a hiccup; the next sweep retries
                log.error("staff desk sweep failed: %s", describe(exc))
                failures += 1
            else:
                failures = 0
            try:
                # SWEEP_SECONDS is read here rather than bound as a default, so tests can shorten it;
                # after a failure the sweep is retried sooner, with the workers' back-off (bot/workers/loop.py);
                # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a cancel
                every = SWEEP_SECONDS if interval is None else interval
                async with asyncio.timeout(backoff(failures, base=2.0, cap=every) if failures else every):
                    event = await self._events.get()
            except TimeoutError:
                event = None

    async def announce_pending(self) -> int:
        """Announce new cases, if this desk holds the sweep lease; how many were announced."""
        async with self._lock:
            if not await self._lead():
                return 0
            cards = await asyncio.to_thread(unannounced, self.service.db)
            done = 0
            for i, card in enumerate(cards):
                if i and not await self._lead():  # renewed before each topic: a stalled holder stops here
                    break
                done += await self._announce(card)
            return done

    async def _announce(self, card: CaseCard) -> bool:
        bot = self.channel.app.bot
        thread_id: int | None = None
        if time.monotonic() >= self._topics_off_until:
            try:
                topic = await bot.create_forum_topic(chat_id=self.chat_id, name=topic_name(card))
                thread_id = topic.message_thread_id
            except BadRequest as exc:  # not a forum, or no right to manage topics: a reply thread instead
                log.info("staff chat topics unavailable (%s); using reply threads", exc.message[:100])
                self._topics_off_until = time.monotonic() + TOPICS_OFF_RETRY
            except TelegramError as exc:
                log.warning("case %s not announced yet: %s", card.number, type(exc).__name__)
                return False
        if thread_id is not None:
            # stored before the announcement: a failed announcement must not open a second topic
            await asyncio.to_thread(store_thread, self.service.db, card.id, thread_id)
        try:
            sent = await bot.send_message(chat_id=self.chat_id, text=announcement(card, thread_id is not None),
                                          message_thread_id=thread_id)
        except TelegramError as exc:
            log.warning("case %s announcement failed: %s", card.number, type(exc).__name__)
            return thread_id is not None
        if thread_id is None:
            await asyncio.to_thread(store_thread, self.service.db, card.id, sent.message_id)
        log.info("case %s announced in the staff chat", card.number)
        return True

    def _hold(self, number: str, text: str) -> None:
        self._held.append(HeldPost(number, text, time.monotonic() + POST_WAIT))
        if len(self._held) > POSTS_HELD_MAX:
            dropped = self._held.pop(0)
            log.warning("case %s: staff chat post dropped (too many waiting)", dropped.case_number)

    async def _post_held(self) -> None:
        """Post what waits, in order; a post whose case is still to be announced waits, with the later
        posts of that case (with several workers the announcement may come from another one)."""
        waiting: list[HeldPost] = []
        later: set[str] = set()
        try:
            while self._held:
                post = self._held[0]
                if post.case_number in later or not await self._post(post.case_number, post.text):
                    if time.monotonic() < post.until:
                        waiting.append(post)
                        later.add(post.case_number)
                    else:
                        log.warning("case %s: staff chat post dropped (case never announced)", post.case_number)
                self._held.pop(0)
        finally:  # a failure (the database) keeps the post it failed on, and all after it, for the next sweep
            self._held[:0] = waiting

    async def _post(self, number: str, text: str) -> bool:
        """Into the case's thread, if the case is open and was announced (else the console has it).
        False: the case is still to be announced, so try again later."""
        is_open, thread_id = await asyncio.to_thread(open_case_thread, self.service.db, number)
        if thread_id is None:
            return not is_open
        try:
            await self._send_in_thread(thread_id, text)
        except TelegramError as exc:
            log.warning("case %s: staff chat post failed: %s", number, type(exc).__name__)
        return True

    async def _send_in_thread(self, thread_id: int, text: str) -> bool:
        """Post into a case's thread: True when it went into a topic, False as a reply to the announcement."""
        bot = self.channel.app.bot
        try:
            await bot.send_message(chat_id=self.chat_id, text=text, message_thread_id=thread_id)
            return True
        except BadRequest:
            # a reply-thread case (no topics): answer the announcement, which keeps the thread together
            await bot.send_message(chat_id=self.chat_id, text=text, reply_to_message_id=thread_id)
            return False

    # -- topics follow the case's status --

    async def update_topics(self) -> int:
        """Mark the threads of finished cases done, reopen those of cases open again; how many were changed."""
        async with self._lock:
            if not await self._lead():
                return 0
            changes = await asyncio.to_thread(topic_changes, self.service.db)
            done = 0
            for i, change in enumerate(changes):
                if i and not await self._lead():
                    break
                done += await (self._finish_topic(change) if change.finished else self._reopen_topic(change))
            return done

    async def _finish_topic(self, change: TopicChange) -> bool:
        """A note saying who finished the case, then ✅ in the topic's name and the topic closed.

        The note goes first, while the topic is surely open to it. Renaming and closing are best
        effort: refused (no topics, no right to manage them) is final; a failure that may pass
        (network, flood wait) leaves the case for the next sweep, which does not repeat the note.
        """
        card, thread_id = change.card, change.thread_id
        in_topic = self._noted.get(card.id)
        if in_topic is None:
            try:
                in_topic = await self._send_in_thread(thread_id, done_note(change))
            except BadRequest as exc:  # the thread is gone (topic or announcement deleted): nothing to mark
                log.info("case %s: done note refused (%s)", card.number, exc.message[:100])
                in_topic = False
            except TelegramError as exc:
                log.warning("case %s: thread not marked done yet: %s", card.number, type(exc).__name__)
                return False
            self._noted[card.id] = in_topic
        closed: bool | None = False
        if in_topic:  # a reply thread (no topics) has nothing to rename or close
            bot = self.channel.app.bot
            if await self._topic_op(card.number, "rename", bot.edit_forum_topic, message_thread_id=thread_id,
                                    name=(DONE_PREFIX + topic_name(card))[:128]) is None:
                return False
            closed = await self._topic_op(card.number, "close", bot.close_forum_topic, message_thread_id=thread_id)
            if closed is None:
                return False
        detail = "topik Telegram ditandai selesai dan ditutup" if closed else "utas Telegram diberi catatan selesai"
        await asyncio.to_thread(mark_topic, self.service.db, card.id, TOPIC_CLOSED, detail)
        self._noted.pop(card.id, None)
        log.info("case %s: staff thread marked done", card.number)
        return True

    async def _reopen_topic(self, change: TopicChange) -> bool:
        """A finished case is open again: the topic is reopened, renamed back and says so."""
        card, thread_id = change.card, change.thread_id
        bot = self.channel.app.bot
        if await self._topic_op(card.number, "reopen", bot.reopen_forum_topic, message_thread_id=thread_id) is None:
            return False
        if await self._topic_op(card.number, "rename", bot.edit_forum_topic, message_thread_id=thread_id,
                                name=topic_name(card)) is None:
            return False
        try:  # last: reopening and renaming again are harmless, a second note is not
            await self._send_in_thread(thread_id, REOPENED.format(number=card.number))
        except BadRequest as exc:
            log.info("case %s: reopen note refused (%s)", card.number, exc.message[:100])
        except TelegramError as exc:
            log.warning("case %s: thread not reopened yet: %s", card.number, type(exc).__name__)
            return False
        await asyncio.to_thread(mark_topic, self.service.db, card.id, TOPIC_REOPENED, "topik Telegram dibuka kembali")
        log.info("case %s: staff topic reopened", card.number)
        return True

    async def _topic_op(self, number: str, what: str, call: Callable[..., Awaitable[bool]], **kwargs: object
                        ) -> bool | None:
        """One topic call: True done, False refused for good (so carry on without it), None worth a retry."""
        try:
            await call(chat_id=self.chat_id, **kwargs)
        except BadRequest as exc:
            if "not_modified" in exc.message.lower():  # already so, e.g. a retry after a lost answer
                return True
            log.info("case %s: topic %s refused (%s)", number, what, exc.message[:100])
            return False
        except TelegramError as exc:
            log.warning("case %s: topic %s failed: %s", number, what, type(exc).__name__)
            return None
        return True

    # -- officers in the staff chat --

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An officer's text (or a file's caption) in a case thread goes to the reporter, like a console reply."""
        found = await self._case_and_officer(update, quiet_outside_case=True)
        if found is None:
            return
        (case_id, _number), officer_id, msg = found
        text = (msg.text or msg.caption or "").strip()
        has_file = msg.effective_attachment is not None
        relayed = False
        if text or not has_file:
            try:
                relayed = await asyncio.to_thread(reply, self.service.db, case_id, officer_id, text,
                                                  f"tgstaff:{msg.chat_id}:{msg.message_id}")
            except cases.CaseError as exc:
                self._remember(msg)
                await self._say(msg, NOT_SENT.format(reason=exc))
                return
            if not relayed:  # a redelivery another worker handled: it relayed and answered already
                self._remember(msg)
                return
            self.poke()
        self._remember(msg)
        if has_file:
            # the console reply path (outbox) carries text only; saying so beats a file that silently vanished
            await self._say(msg, FILE_CAPTION_ONLY if relayed else FILE_NOT_SENT)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ambil and /selesai in a case thread."""
        found = await self._case_and_officer(update, quiet_outside_case=False)
        if found is None:
            return
        (case_id, number), officer_id, msg = found
        command = (msg.text or "/").split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        claiming = command == "ambil"
        try:
            text = await asyncio.to_thread(claim if claiming else resolve, self.service.db, case_id, officer_id)
        except cases.CaseError as exc:
            self._remember(msg)
            await self._say(msg, CANNOT.format(reason=exc))
            return
        self._remember(msg)
        self.poke()  # resolving queues the rating question for the reporter
        if claiming:
            assert text is not None  # claim() returns its note; only resolve() returns None
            await self._say(msg, text)
        else:
            # the sweep answers with the done note (who resolved it) and closes the topic, as for a
            # case resolved in the console: one message, not a reply and then a note
            self._events.put_nowait(DeskEvent("finished", number))

    async def _case_and_officer(self, update: Update, *, quiet_outside_case: bool
                                ) -> tuple[tuple[int, str], int, Message] | None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None or user.is_bot or (msg.chat_id, msg.message_id) in self._seen:
            return None
        case = await asyncio.to_thread(case_for_thread, self.service.db, thread_candidates(msg))
        if case is None:
            if not quiet_outside_case:
                await self._say(msg, OUTSIDE_CASE)
            return None  # otherwise: staff talking among themselves
        member = await self._is_member(user.id)
        if member is not True:
            await self._say(msg, REFUSE_NOT_MEMBER if member is False else REFUSE_UNCHECKED)
            return None
        officer_id = await asyncio.to_thread(officer_for_telegram, self.service.db, user.id)
        if officer_id is None:
            await self._say(msg, REFUSE_UNLINKED.format(user_id=user.id))
            return None
        return case, officer_id, msg

    async def _is_member(self, user_id: int) -> bool | None:
        if self._members.get(user_id, 0.0) > time.monotonic():
            return True
        try:
            member = await self.channel.app.bot.get_chat_member(chat_id=self.chat_id, user_id=user_id)
        except TelegramError as exc:
            log.warning("staff membership check failed: %s", type(exc).__name__)
            return None
        ok = member.status in MEMBER_STATUSES or (member.status == "restricted" and bool(getattr(member, "is_member",
                                                                                                   False)))
        if ok:
            self._members[user_id] = time.monotonic() + MEMBER_TTL
        else:
            self._members.pop(user_id, None)
        return ok

    def _remember(self, msg: Message) -> None:
        # a redelivered webhook must not relay an officer's message twice (per process, see the module
        # doc); remembered only once handled, so a delivery that failed on the database is taken again
        self._seen[(msg.chat_id, msg.message_id)] = None
        if len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)

    async def _say(self, msg: Message, text: str) -> None:
        try:
            await msg.reply_text(text)  # fills the topic (message_thread_id) itself
        except TelegramError as exc:
            log.warning("staff chat answer failed: %s", type(exc).__name__)
