"""Which language a message is written in, as far as the replies need to know: English or not.

The knowledge base is Indonesian; the safety, report and acknowledgement paths answer an English
writer in English. Function words decide, since content words are shared ("passport", "agent").
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z']+")
_ENGLISH = frozenset("""i i'm im me my mine you your he she his her him we our they their them it its is am are was were be
    been have has had do does did don't dont can't cant cannot not no the a an and or but if of to in on at for with from
    this that there what where when why how who please help want need because about after before now still already
    very just into out up down can could would should will won't""".split())
_INDONESIAN = frozenset("""saya aku sy gw gue kami kita kamu anda dia mereka yang yg di ke dari dan atau tapi tidak gak ga gk nggak
    tdk belum blm sudah udah udh sdh ada apa bagaimana gimana gmn kenapa kapan berapa brp dengan dgn untuk utk buat
    ini itu juga jg mau ingin bisa bs tolong kak min pak bu mas mbak nya lah dong sih kah ya iya tak je kat nak boleh""".split())


def is_english(text: str) -> bool | None:
    """True for English, False for Indonesian or Malay, None when the message does not tell (a number, "ok")."""
    words = _WORD.findall(text.lower())
    english = sum(1 for w in words if w in _ENGLISH)
    indonesian = sum(1 for w in words if w in _INDONESIAN)
    if english + indonesian < 2 and not (english and len(words) <= 3):
        return None
    return english > indonesian
