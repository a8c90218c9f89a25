"""The staff desk's sweep: announces new cases in the staff chat, posts what waits, makes topics follow their case.

A new case is announced in its own topic (createForumTopic); when the group has no topics the
announcement itself is the thread. The thread id is kept in Case.telegram_thread_id. What the
reporter writes later, and SLA notices, are posted into the thread. Last, the threads of cases
finished or open again are brought up to their status (bot/channels/staff_desk_topics.py).

The sweep runs when the engine reports a new case (`on_case_event`, called after commit), after
/selesai, and every SWEEP_SECONDS, so nothing is missed when the change came from another process
(the console) or the process restarted in between. It does not take the WorkerLoop shape
(bot/workers/loop.py): its steps run in a fixed order under a lease re-checked between items.

Several workers: only the holder of the database lease LEASE_NAME (storage/lease.py) sweeps, so
one topic is created per case. The lease is taken or renewed at the start of each sweep and again
before each further announcement or topic change, so a holder that stalled for longer than the
lease learns it before its next Telegram call; the others try again every SWEEP_SECONDS and take
over when the holder dies (the lease runs out) or stops (it releases the lease). The reporter's
later messages and SLA notices, posted by the worker that saw them, need no lease; such a post for
a case not announced yet waits (up to POST_WAIT) until the holder has made its thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import BadRequest, TelegramError

from bot.channels.staff_desk_texts import ATTACHMENTS, MIRROR, NOTICES, announcement, topic_name
from bot.channels.telegram import describe
from bot.workers.scheduler import new_holder
from bot.workers.loop import backoff
from bot.channels.staff_desk_topics import TopicKeeper, send_in_thread, topic_changes
from flows.messages import Inbound
from storage import lease, staff_threads
from storage.db import read_session, unit_of_work
from storage.staff_threads import CaseCard

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.channels.telegram import TelegramChannel
    from bot.service import Service

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0
LEASE_NAME = "staff_desk"  # not the scheduler's: a worker with HELPDESK_SCHEDULER=off may sweep
LEASE_RECHECK = 1.0  # seconds an answer about the lease is reused (it lasts storage.lease.LEASE_SECONDS)
SWEEP_BATCH = 10
POST_WAIT = 300.0  # seconds a post waits for its case's announcement (made by the lease holder, maybe elsewhere)
POSTS_HELD_MAX = 500
TOPICS_OFF_RETRY = 3600.0


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


# --- data (short transactions, run in worker threads) -------------------------------------------------------


def unannounced(db: Engine, limit: int = SWEEP_BATCH) -> list[CaseCard]:
    with read_session(db) as s:
        return staff_threads.unannounced(s, limit=limit)


def store_thread(db: Engine, case_id: int, thread_id: int) -> bool:
    with unit_of_work(db) as s:
        return staff_threads.store_thread(s, case_id=case_id, thread_id=thread_id)


def open_case_thread(db: Engine, number: str) -> tuple[bool, int | None]:
    with read_session(db) as s:
        return staff_threads.open_case_thread(s, number)


# --- the sweep ----------------------------------------------------------------------------------------------


class StaffDeskSweep:
    def __init__(self, service: Service, channel: TelegramChannel, chat_id: int) -> None:
        self.service = service
        self.channel = channel
        self.chat_id = chat_id
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: asyncio.Queue[DeskEvent] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._topics_off_until = 0.0
        self.topics = TopicKeeper(service.db, channel, chat_id)
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

    def case_finished(self, case_number: str) -> None:
        """An officer resolved the case here (in the event loop): sweep now, for the done note."""
        self._events.put_nowait(DeskEvent("finished", case_number))

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
            await send_in_thread(self.channel.app.bot, self.chat_id, thread_id, text)
        except TelegramError as exc:
            log.warning("case %s: staff chat post failed: %s", number, type(exc).__name__)
        return True

    # -- topics follow the case's status (bot/channels/staff_desk_topics.py) --

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
                done += await self.topics.apply(change)
            return done
