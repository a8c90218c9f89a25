"""Officers in the staff chat: what they write in a case's thread and their /ambil and /selesai.

    any text   goes to the reporter, exactly as a console reply (storage.cases.reply_as_officer)
    a file     its caption goes as text; the file itself does not (the reply path is text only),
               and the officer is told so in the thread
    /ambil     claims the case          /selesai   resolves it (the reporter is asked for a rating)

Only members of the staff chat (getChatMember) whose Telegram account is linked to an active
officer (Officer.telegram_user_id) are obeyed; anyone else gets a polite refusal. A redelivered
webhook is not relayed twice by this process (the dedupe key stops it across processes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.staff_desk_texts import (CANNOT, CLAIMED, FILE_CAPTION_ONLY, FILE_NOT_SENT, NOT_SENT, OUTSIDE_CASE,
                                           RATING_PROMPT, REFUSE_NOT_MEMBER, REFUSE_UNCHECKED, REFUSE_UNLINKED)
from storage import cases, staff_threads
from storage.db import read_session, unit_of_work
from storage.errors import CaseError
from storage.models import Officer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.channels.telegram import TelegramChannel
    from bot.service import Service

log = logging.getLogger(__name__)

MEMBER_TTL = 300.0  # seconds a confirmed membership is trusted (getChatMember counts against the group limit)
SEEN_MAX = 2000
MEMBER_STATUSES = ("creator", "administrator", "member")


def thread_candidates(msg: Message) -> list[int]:
    """Which case thread a staff message belongs to: its topic, or the message it replies to."""
    ids = []
    if msg.message_thread_id:
        ids.append(msg.message_thread_id)
    if msg.reply_to_message is not None:
        ids.append(msg.reply_to_message.message_id)
    return ids


# --- data (short transactions, run in worker threads) -------------------------------------------------------


def case_for_thread(db: Engine, candidates: list[int]) -> tuple[int, str] | None:
    with read_session(db) as s:
        return staff_threads.case_for_thread(s, candidates)


def officer_for_telegram(db: Engine, user_id: int) -> int | None:
    with read_session(db) as s:
        return staff_threads.officer_for_telegram(s, user_id)


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
        return CLAIMED.format(number=case.number, name=officer.shown_name)


def resolve(db: Engine, case_id: int, officer_id: int) -> None:
    """The desk's done note (posted by the sweep) says who resolved it; no answer of its own."""
    with unit_of_work(db) as s:
        officer = s.get(Officer, officer_id)
        assert officer is not None
        cases.resolve(s, case_id=case_id, officer=officer, rating_prompt=RATING_PROMPT)


# --- the handlers -------------------------------------------------------------------------------------------


class OfficerCommands:
    """The staff chat's message and command handlers; `finished(number)` tells the sweep a case was resolved."""

    def __init__(self, service: Service, channel: TelegramChannel, chat_id: int, poke: Callable[[], None],
                 finished: Callable[[str], None]) -> None:
        self.service = service
        self.channel = channel
        self.chat_id = chat_id
        self.poke = poke
        self.finished = finished
        self._members: dict[int, float] = {}
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()

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
            except CaseError as exc:
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
        except CaseError as exc:
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
            self.finished(number)

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
