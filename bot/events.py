"""The event sink: what the engine and the jobs report (a message handled, a case event) and who listens.

Built once with the service and handed to the engine at construction (bot/service.py); the
metrics, the staff desk and the console's live queue subscribe to it instead of replacing the
engine's hooks. A listener that fails is logged and does not stop the others: the event has
already been committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CaseListener = Callable[[str, str], None]  # (kind, case number), after commit
MessageListener = Callable[[Any, Any, float], None]  # (inbound, handled, seconds)


class EventSink:
    def __init__(self) -> None:
        self._case: list[CaseListener] = []
        self._message: list[MessageListener] = []

    def on_case_event(self, listener: CaseListener) -> Callable[[], None]:
        """Listen to case events; returns the function that stops listening."""
        self._case.append(listener)
        return lambda: self._case.remove(listener) if listener in self._case else None

    def on_message(self, listener: MessageListener) -> Callable[[], None]:
        self._message.append(listener)
        return lambda: self._message.remove(listener) if listener in self._message else None

    def case_event(self, kind: str, case_number: str) -> None:
        for listener in list(self._case):
            try:
                listener(kind, case_number)
            except Exception:
                log.exception("case event listener failed (%s)", kind)

    def message_handled(self, inbound: Any, handled: Any, seconds: float) -> None:
        for listener in list(self._message):
            try:
                listener(inbound, handled, seconds)
            except Exception:
                log.exception("message listener failed")
