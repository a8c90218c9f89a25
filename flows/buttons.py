"""Buttons read back. Every step remembers what it offered (slots `_buttons`, `_labels`), so the
next message may be a pressed button's payload or, on channels without buttons, its number."""

from __future__ import annotations

from typing import Any

from flows import phrases

_MENU_PAYLOADS = {"menu", phrases.MENU_FAQ, phrases.MENU_LICENCE, phrases.MENU_REPORT, phrases.MENU_HUMAN}


def as_seen(text: str, slots: dict[str, Any]) -> str:
    """What a message meant to the person, for the transcript: a pressed or numbered button is
    shown by its label ("2 (Cek izin perusahaan)"), not by its internal code."""
    offered: list[str] = slots.get("_buttons") or []
    labels: list[str] = slots.get("_labels") or []
    payload = payload_of(text, slots)
    if payload is None or payload not in offered or len(labels) != len(offered):
        return text
    label = labels[offered.index(payload)]
    return label if text.strip() == payload else f"{text.strip()} ({label})"


def payload_of(text: str, slots: dict[str, Any]) -> str | None:
    """The button a message means: its payload (Telegram, web) or its number (WhatsApp, plain text)."""
    offered: list[str] = slots.get("_buttons") or []
    t = text.strip().rstrip(".")
    if t.isascii() and t.isdigit() and 1 <= int(t) <= len(offered):  # "²" is a digit to Python, not a number
        return offered[int(t) - 1]
    if t in offered or t in _MENU_PAYLOADS or t.startswith(phrases.MORE_PREFIX):
        # Telegram callback data and web buttons come back as the payload; the main menu's and an
        # answer's "Selengkapnya" work in any state: a page or chat may show them from long ago
        return t
    return None
