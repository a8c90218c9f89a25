"""Decides what a first message is: the intents of `helpdesk classify` (spec/interfaces.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows import signals
from flows.context import FlowContext
from knowledge.faq_index import Hit
from knowledge.job_offer import looks_like_job_offer
from knowledge.lexicon import FUNCTION_WORDS


_LICENCE_NO = re.compile(r"\b(kep[ .]?\d{1,4}\b|\d{1,2} ?[/-] ?\d{3,5} ?[/-] ?[a-z]{2})", re.I)
_COMPANY = re.compile(r"\b(pt|cv)\b[ .]*([a-z][a-z]+)")
# "PT Contoh Maju Bersama": two or more capitalised words after PT/CV name a company, whatever
# the models think the sentence asks ("kalau PT menahan paspor" names none)
_NAMED_COMPANY = re.compile(r"\b(?:PT|Pt|CV|P\.T)\b\.?\s*[A-Z][\w&'-]+(?:\s+[A-Z][\w&'-]+)+")
_NOT_A_NAME = FUNCTION_WORDS | frozenset(
    """tapi tetapi tersebut sudah belum tidak tempat penempatan p3mi resmi legal itu nya mana apa yang
    ini sih saja pun tsb nya kami saya mereka""".split()
)
# A message made only of salutations and courtesies is a greeting whatever else the models guess:
# "assalamualaikum" also opens most questions, so alone it looks like one to them.
_GREETING_WORDS = frozenset("""halo hallo helo hello hai hi hey hei pagi siang sore malam selamat assalamualaikum
    asalamualaikum assalamu alaikum salam wr wb warahmatullahi wabarakatuh wassalam wassalamualaikum permisi ping
    punten sugeng enjing sonten dalu shalom om swastiastu sampurasun kak min admin gan sis bang mbak mas pak bu
    ibu bapak dik""".split())
_ASKING_START = re.compile(r"^(info|informasi|cari|mencari|minta|ada|butuh|perlu)\b")


@dataclass(frozen=True)
class Route:
    intent: str
    confidence: float
    signals: signals.Signals
    hits: tuple[Hit, ...] = ()
    emergency: bool = False

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def topic(self) -> str | None:
        return self.top.entry.topic if self.top and self.intent in ("faq", "report") else None

    @property
    def entry_id(self) -> str | None:
        return self.top.entry.id if self.top and self.intent == "faq" else None


def company_name(norm: str) -> str | None:
    m = _COMPANY.search(norm)
    if m and m.group(2) not in _NOT_A_NAME:
        return norm[m.start():]
    return None


def classify(text: str, ctx: FlowContext, sig: signals.Signals | None = None) -> Route:
    """The intent of a message; `sig` when the caller already read the message's signals."""
    sig = sig or ctx.read(text)
    norm = sig.text
    if not norm.strip():
        return Route("out_of_scope", 0.0, sig)
    hits = _hits(text, sig, ctx)
    reading = sig.reading
    if sig.is_emergency:
        return Route("report", max(reading.danger_p if reading else 0.0, 0.9), sig, hits, emergency=True)
    asking = sig.question or signals.QUESTION_WORD.search(norm) or _ASKING_START.match(norm)
    if looks_like_job_offer(text) and not (asking and len(norm) < 120):  # a short question about jobs is no advert
        return Route("licence_check", 0.9, sig)
    if reading is None:  # no models loaded: nothing is guessed
        return Route("out_of_scope", 0.0, sig, hits)
    intent, p = reading.intent, reading.intent_p
    # rules that add precision the models lack: a licence number's shape; a company named in
    # capitals, or any company name when the models are unsure (a company followed by what it did
    # to the writer stays a report: the models decide that)
    named = _NAMED_COMPANY.search(text) or (p < 0.6 and company_name(norm))
    if intent != "report" and (_LICENCE_NO.search(text) or (intent in ("out_of_scope", "faq") and named)):
        return Route("licence_check", 0.9, sig)
    if intent != "report" and all(w in _GREETING_WORDS for w in norm.split()):
        return Route("greeting", 0.95, sig)
    if intent == "faq":
        return Route("faq", hits[0].confidence if hits else p, sig, hits)
    return Route(intent, p, sig, hits if intent in ("report", "out_of_scope") else ())


def _hits(text: str, sig: signals.Signals, ctx: FlowContext) -> tuple[Hit, ...]:
    """The FAQ entries for this message: the entry model's ranking, else the lexical index."""
    if sig.reading is None:
        return tuple(ctx.index.search(text))
    found = ((ctx.kb.entry(entry_id), p) for entry_id, p in sig.reading.entries)
    return tuple(Hit(entry, round(p, 4)) for entry, p in found if entry is not None)
