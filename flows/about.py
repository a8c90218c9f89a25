"""Who and where the person in danger is, from what they told: it decides which emergency
contacts come first and whether the reply speaks to the person or to the one reporting for them."""

from __future__ import annotations

import re

from flows.state import Turn
from knowledge.job_offer import destinations
from knowledge.normalise import normalise

_COUNTRY_CODES = (("+60", "Malaysia"), ("+65", "Singapura"), ("+852", "Hong Kong"), ("+886", "Taiwan"),
                  ("+62", "Indonesia"))
_IN_INDONESIA = re.compile(r"\b(indonesia|kampung|desa|batam|tanjung ?pinang|karimun|bintan|sekupang|tanjung balai|"
                           r"dideportasi|deportasi|pulang ke indonesia|tanah air)\b")
_RELATIVE = re.compile(r"\b(adik|kakak|suami|istri|anak|ibu|bapak|ayah|teman|keponakan|sepupu|saudara|tetangga|"
                       r"ipar|mertua|pacar|bojo)( (perempuan|laki laki|kandung|sekamar))? (saya|kami|aku)\b")
# the writer is in it too: the message starts with "saya ..." or asks help for themself
_FIRST_PERSON_HARM = re.compile(r"^(saya|aku|kami)\b|\b(tolong|bantu|help) (saya|aku|kami)\b")


def place_of(turn: Turn, text: str) -> str | None:
    """Where the person in danger is: a country named in the message or the report, a Kepri port
    or Indonesia named without a foreign country, else the country of the WhatsApp number."""
    told = " ".join((text, str(turn.state.slots.get("where") or ""), str(turn.state.slots.get("what") or "")))
    named = destinations(told)
    if named:
        return named[0]
    if _IN_INDONESIA.search(normalise(told)):
        return "Indonesia"
    if turn.inbound.channel == "whatsapp":
        return next((country for code, country in _COUNTRY_CODES if turn.inbound.user_ref.startswith(code)), None)
    return None


def about_someone_else(text: str) -> bool:
    """A report told about a relative or friend: the reply speaks to the reporter."""
    norm = normalise(text)
    return bool(_RELATIVE.search(norm)) and not _FIRST_PERSON_HARM.search(norm)
