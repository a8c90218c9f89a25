"""A case's thread in the staff chat follows its status (one step of the sweep, bot/channels/staff_desk_sweep.py).

When a case is resolved or closed — with /selesai, from the console, by anything else — its
thread gets a note saying who finished it, and its topic a ✅ before its name and is closed
(editForumTopic, closeForumTopic). Should a case with a closed topic become open again, the
topic is reopened. What the desk did last to a topic is a case event (TOPIC_CLOSED /
TOPIC_REOPENED, storage/staff_threads.py), so a restart neither repeats nor forgets it; a topic
that cannot be changed (no topics, no right to manage them) gets the note only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.channels.staff_desk_texts import DONE_PREFIX, REOPENED, done_note, topic_name
from storage import repo, staff_threads
from storage.db import read_session, unit_of_work
from storage.staff_threads import TOPIC_CLOSED, TOPIC_REOPENED, TopicChange

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.channels.telegram import TelegramChannel

log = logging.getLogger(__name__)

TOPIC_BATCH = 5  # topic changes per sweep: each is up to three calls against the group's ~20/min budget


def topic_changes(db: Engine, limit: int = TOPIC_BATCH) -> list[TopicChange]:
    with read_session(db) as s:
        return staff_threads.topic_changes(s, limit=limit)


def mark_topic(db: Engine, case_id: int, kind: str, detail: str) -> None:
    with unit_of_work(db) as s:
        repo.add_case_event(s, case_id=case_id, kind=kind, actor="bot", detail=detail)


async def send_in_thread(bot: Bot, chat_id: int, thread_id: int, text: str) -> bool:
    """Post into a case's thread: True when it went into a topic, False as a reply to the announcement."""
    try:
        await bot.send_message(chat_id=chat_id, text=text, message_thread_id=thread_id)
        return True
    except BadRequest:
        # a reply-thread case (no topics): answer the announcement, which keeps the thread together
        await bot.send_message(chat_id=chat_id, text=text, reply_to_message_id=thread_id)
        return False


class TopicKeeper:
    """Brings one case's thread up to its status; False leaves the case for the next sweep."""

    def __init__(self, db: Engine, channel: TelegramChannel, chat_id: int) -> None:
        self.db = db
        self.channel = channel
        self.chat_id = chat_id
        # case id -> the done note is out (True: in a topic); only so that a retry after a failed
        # rename/close does not post the note twice; the case event is what lasts
        self._noted: dict[int, bool] = {}

    async def apply(self, change: TopicChange) -> bool:
        return await (self._finish_topic(change) if change.finished else self._reopen_topic(change))

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
                in_topic = await send_in_thread(self.channel.app.bot, self.chat_id, thread_id, done_note(change))
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
        await asyncio.to_thread(mark_topic, self.db, card.id, TOPIC_CLOSED, detail)
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
            await send_in_thread(self.channel.app.bot, self.chat_id, thread_id, REOPENED.format(number=card.number))
        except BadRequest as exc:
            log.info("case %s: reopen note refused (%s)", card.number, exc.message[:100])
        except TelegramError as exc:
            log.warning("case %s: thread not reopened yet: %s", card.number, type(exc).__name__)
            return False
        await asyncio.to_thread(mark_topic, self.db, card.id, TOPIC_REOPENED, "topik Telegram dibuka kembali")
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
