"""Decides what a first message is: the intents of `helpdesk classify` (spec/interfaces.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows import signals
from flows.context import FlowContext
from knowledge.faq_index import Hit
from knowledge.job_offer import looks_like_job_offer
from knowledge.lexicon import FUNCTION_WORDS

INTENTS = ("faq", "licence_check", "report", "human", "greeting", "out_of_scope")

_GREETING_WORDS = frozenset(
    """halo hallo helo hello hai hi hey hei pagi siang sore malam selamat assalamualaikum assalamu alaikum
    asalamualaikum salam wr wb wassalam permisi p ping menu mulai start kembali awal terima kasih banyak sekali
    oke baik siap apa kabar sehat admin min kak gan sis bang mbak mas pak bu ya iya yuk tes test punten
    shalom om swastiastu sampurasun sugeng enjing info infonya informasinya jelas paham mengerti sudah""".split()
)
_HUMAN_NOUN = re.compile(
    r"\b(petugas|admin|staf|staff|operator|manusia|pegawai|cs|customer service|orang asli|konselor|"
    r"agen manusia|orang sungguhan|pendamping|orang)\b"
)
_HUMAN_VERB = re.compile(
    r"\b(bicara|berbicara|ngobrol|mengobrol|chat|hubungkan|sambungkan|disambungkan|terhubung|hubungi|"
    r"telepon|minta|ajak|dilayani|dibantu|bantu|langsung|sambung)\b"
)
_HOW_TO = re.compile(r"^(bagaimana|cara|nomor|alamat|jam)\b")
_LICENCE_NO = re.compile(r"\b(kep[ .]?\d{1,4}\b|\d{1,2} ?[/-] ?\d{3,5} ?[/-] ?[a-z]{2})", re.I)
_COMPANY = re.compile(r"\b(pt|cv)\b[ .]*([a-z][a-z]+)")
_NOT_A_NAME = FUNCTION_WORDS | frozenset(
    """tapi tetapi tersebut sudah belum tidak tempat penempatan p3mi resmi legal itu nya mana apa yang
    ini sih saja pun tsb nya kami saya mereka""".split()
)
_VERIFY = re.compile(
    r"\b(cek|periksa|memeriksa|verifikasi|mengecek|pastikan|memastikan|resmi|legal|terdaftar|izin|izinnya|aman|"
    r"bodong|abal|asli|dicabut)\b"
)
_GENERAL_VERIFY = re.compile(r"\b(cara|bagaimana|dimana|di mana|caranya)\b")
_IN_DOMAIN = re.compile(
    r"\b(pmi|calon pmi|p3mi|kerja|bekerja|pekerja|pekerjaan|majikan|agen|calo|luar negeri|migran|migrant|kp2mi|"
    r"bp3mi|kbri|kjri|kdei|tppo|perdagangan orang|penempatan|pemberangkatan|berangkat|disnaker|blk|lpk|gaji|"
    r"kontrak|perjanjian kerja|izin kerja|visa kerja|visa kunjungan|deportasi|dideportasi|nonprosedural|"
    r"jalur tidak resmi|bpjs ketenagakerjaan|job order|lowongan|paspor ditahan|layanan ini|data saya|laporan|"
    r"melapor|lapor|darurat|hotline|kirim uang|migrant center|jenazah|pulang|medical|pemeriksaan kesehatan|"
    r"keluarga|sertifikat kompetensi|uji kompetensi|pelatihan|siskop2mi)\b"
)
_OFF_DOMAIN = re.compile(
    r"\b(dalam negeri|bpjs kesehatan|liburan|berlibur|jalan jalan|pelajar|mahasiswa|kuliah|beasiswa|cpns|"
    r"pns|pilkada|pemilu)\b"
)
CONFIDENT_WITHOUT_ANCHOR = 0.7
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


def is_greeting(norm: str) -> bool:
    words = norm.split()
    return 0 < len(words) <= 8 and all(w in _GREETING_WORDS for w in words)


def wants_human(norm: str) -> bool:
    if not _HUMAN_NOUN.search(norm) or _HOW_TO.search(norm):
        return False
    return bool(_HUMAN_VERB.search(norm)) or len(norm.split()) <= 3


def company_name(norm: str) -> str | None:
    m = _COMPANY.search(norm)
    if m and m.group(2) not in _NOT_A_NAME:
        return norm[m.start():]
    return None


def asks_licence(text: str, norm: str, ctx: FlowContext) -> bool:
    if _LICENCE_NO.search(text) or company_name(norm):
        return True
    if _VERIFY.search(norm) and not _GENERAL_VERIFY.search(norm) and ctx.agencies is not None:
        return bool(ctx.agencies.find_in_text(text, ctx.today()))
    return False


def faq_decision(norm: str, hits: list[Hit], ctx: FlowContext) -> tuple[str, float]:
    """`faq` when the best entry is good enough for this domain, else `out_of_scope`."""
    if not hits:
        return "out_of_scope", 0.0
    conf = hits[0].confidence
    anchored = bool(_IN_DOMAIN.search(norm)) and not _OFF_DOMAIN.search(norm)
    if _OFF_DOMAIN.search(norm):
        return "out_of_scope", conf
    if conf >= ctx.thresholds.answer and (anchored or conf >= CONFIDENT_WITHOUT_ANCHOR):
        return "faq", conf
    if conf >= ctx.thresholds.suggest and anchored:
        return "faq", conf
    return "out_of_scope", conf


def classify(text: str, ctx: FlowContext, sig: signals.Signals | None = None) -> Route:
    """The intent of a message; `sig` when the caller already read the message's signals."""
    sig = sig or ctx.read(text)
    norm = sig.text
    if not norm.strip():
        return Route("out_of_scope", 0.0, sig)
    if sig.is_emergency:
        return Route("report", max(sig.reading.danger_p if sig.reading else 0.0, 0.9), sig, _hits(text, sig, ctx),
                     emergency=True)
    asking = sig.question or signals.QUESTION_WORD.search(norm) or _ASKING_START.match(norm)
    if looks_like_job_offer(text) and not (asking and len(norm) < 120):  # a short question about jobs is no advert
        return Route("licence_check", 0.9, sig)
    if sig.reading is None:
        return _by_rules(text, ctx, sig)
    return _by_models(text, ctx, sig)


def _hits(text: str, sig: signals.Signals, ctx: FlowContext) -> tuple[Hit, ...]:
    """The FAQ entries for this message: the entry model's ranking, else the lexical index."""
    if sig.reading is None:
        return tuple(ctx.index.search(text))
    found = ((ctx.kb.entry(entry_id), p) for entry_id, p in sig.reading.entries)
    return tuple(Hit(entry, round(p, 4)) for entry, p in found if entry is not None)


def _by_models(text: str, ctx: FlowContext, sig: signals.Signals) -> Route:
    reading = sig.reading
    assert reading is not None
    intent, p = reading.intent, reading.intent_p
    # rules that add precision the models lack: a licence number's shape, a registered name
    if intent != "report" and (_LICENCE_NO.search(text) or (intent in ("out_of_scope", "faq") and p < 0.6
                                                             and asks_licence(text, norm := sig.text, ctx)
                                                             and company_name(norm))):
        return Route("licence_check", 0.9, sig)
    if intent == "out_of_scope" and p < 0.6:
        if wants_human(sig.text):
            return Route("human", 0.8, sig)
        if is_greeting(sig.text):
            return Route("greeting", 0.8, sig)
    hits = _hits(text, sig, ctx)
    if intent == "faq":
        return Route("faq", hits[0].confidence if hits else p, sig, hits)
    if intent in ("report", "out_of_scope"):
        return Route(intent, p, sig, hits)
    return Route(intent, p, sig)


def _by_rules(text: str, ctx: FlowContext, sig: signals.Signals) -> Route:
    """Without trained models (a unit test of the flows): the rules alone."""
    norm = sig.text
    licence = asks_licence(text, norm, ctx)
    if sig.is_report and not (sig.actor_only and licence):
        return Route("report", 0.8, sig, tuple(ctx.index.search(text)))
    if licence:
        return Route("licence_check", 0.9, sig)
    if wants_human(norm):
        return Route("human", 0.9, sig)
    if is_greeting(norm):
        return Route("greeting", 0.95, sig)
    hits = ctx.index.search(text)
    intent, conf = faq_decision(norm, hits, ctx)
    return Route(intent, conf, sig, tuple(hits))
