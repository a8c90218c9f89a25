"""The staff desk in Telegram: one forum topic per case in the staff supergroup (telegram.staff_chat_id).

A new case is announced in its own topic; when the group has no topics the announcement itself
is the thread, and officers answer by replying to it. What the reporter writes later (WhatsApp or
Telegram) is mirrored into the thread, with SLA reminders; officers answer the reporter there and
/ambil or /selesai the case; a finished case's topic is marked ✅ and closed, and reopened should
the case open again. The desk is made of:

    bot/channels/staff_desk_sweep.py   announcements, mirrored posts and notices, under a lease
    bot/channels/staff_desk_topics.py  a thread follows its case's status (done note, close, reopen)
    staff_desk_commands.py            what officers write and command in a case's thread
    staff_desk_texts.py               what the desk writes (Indonesian)
    storage/staff_threads.py          the queries: cases' threads, officers by Telegram account

Several workers: every worker runs a desk (each receives webhooks), but only the holder of the
sweep's database lease sweeps, so one topic is created per case. A case announced from another
worker's event waits for the holder's next sweep (≤ SWEEP_SECONDS).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.staff_desk_commands import OfficerCommands
from bot.channels.staff_desk_sweep import StaffDeskSweep
from flows.messages import Inbound

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.service import Service


class StaffDesk:
    """The desk of one staff chat: the sweep that writes into it and the handlers of its officers."""

    def __init__(self, service: Service, channel: TelegramChannel, chat_id: int, poke: Callable[[], None]) -> None:
        self.chat_id = chat_id
        self.sweep = StaffDeskSweep(service, channel, chat_id)
        # /selesai: the sweep posts the done note (who resolved it) and closes the topic
        self.officers = OfficerCommands(service, channel, chat_id, poke, finished=self.sweep.case_finished)

    # -- what the engine and the wiring report (bot/channels/wiring.py) --

    def on_case_event(self, kind: str, case_number: str) -> None:
        """Engine/scheduler hook, called after commit from any thread."""
        self.sweep.on_case_event(kind, case_number)

    def mirror(self, case_number: str, inbound: Inbound) -> None:
        """The reporter wrote in an open case (called in the event loop after the engine committed)."""
        self.sweep.mirror(case_number, inbound)

    async def run_forever(self, interval: float | None = None) -> None:
        await self.sweep.run_forever(interval)

    # -- what the staff chat sends (routed by bot/channels/telegram.py add_staff_desk) --

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.officers.on_message(update, context)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.officers.on_command(update, context)
