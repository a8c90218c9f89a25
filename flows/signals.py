"""What a message says about the writer's situation: danger now, a problem for an officer,
who it is about, and whether it is a general question.

Two sources, read once per message: the learned models (knowledge/nlu.py), which carry the
recall, and a few high-precision rules over the normalised text (explicit danger phrases),
which catch what must never be missed even when a model is unsure. The decision bands on the
models' probabilities come from config.yaml (`understanding`).

The patterns are written against `knowledge.normalise.normalise()` output: lowercase,
slang expanded ("gk" -> "tidak", "sy" -> "saya", "dikasih" -> "diberi"), reduplication
collapsed ("anak-anak" -> "anak").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.corpus import DANGER_KINDS
from knowledge.normalise import normalise, stem

if TYPE_CHECKING:  # scikit-learn is imported only where models are loaded
    from knowledge.nlu import Models, Reading


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# Danger now: each pattern names the case category it points to.
DANGER: list[tuple[str, re.Pattern[str]]] = [
    ("trafficking", _rx(
        r"\banak\b.{0,40}\b(dipekerjakan|disuruh kerja|dipaksa kerja)",
        r"\b(di ?bawah umur|umur (belasan|1[0-7])|usia (belasan|1[0-7]))\b.{0,50}\b(kerja|bekerja|dipekerjakan)",
        r"\b(dibawa|dikirim|diberangkatkan|direkrut|diajak)\b.{0,60}\b(di ?bawah umur|umur (belasan|1[0-7])|usia (belasan|1[0-7]))\b",
        r"\b(dijual|diperjualbelikan|diculik|disandera)\b",
        r"\b(dibawa|dipindahkan|dikirim|diangkut)\b.{0,20}\bpaksa",
        r"\b(membawa|memindahkan|mengirim|bawa)\b (saya|kami|kita)\b.{0,80}\b(tidak mau|menolak|paksa|dipaksa)\b",
        r"\b(narkoba|sabu|obat terlarang)\b.{0,80}\b(ancam|mengancam|diancam|paksa|dipaksa)",
        r"\b(ancam|mengancam|diancam|paksa|dipaksa|memaksa)\b.{0,80}\b(narkoba|sabu)\b",
        r"\bdipaksa\b.{0,30}\b(melayani|tidur dengan|berhubungan|jadi pekerja seks|prostitusi)",
        r"\b(prostitusi|pelacuran|dijadikan pekerja seks|pemandu karaoke|lc karaoke|melayani tamu)\b",
        r"\b(ditampung|disembunyikan)\b.{0,80}\b(lewat laut|jalur tidak resmi|perahu|kapal|speedboat|malam hari)\b",
    )),
    ("violence", _rx(
        r"\b(dipukul|dipukuli|memukul|memukuli|ditampar|menampar|ditendang|menendang|disiksa|menyiksa|"
        r"dianiaya|menganiaya|disetrika|dicekik|dibakar|disiram air panas|dijambak|dilempar)\b",
        r"\b(diancam|mengancam|ancaman)\b.{0,60}\b(bunuh|dibunuh|membunuh|mati|pukul|siksa|polisi|penjara)",
        r"\b(akan|mau|ingin) (dibunuh|membunuh)\b",
        r"\b(diperkosa|memperkosa|perkosaan|dilecehkan secara seksual|pelecehan seksual)\b",
        r"\b(luka|berdarah|memar)\b.{0,40}\b(majikan|dipukul|disiksa|agen)",
    )),
    ("trafficking", _rx(
        r"\b(dikunci|dikurung|disekap|terkunci|dikunci dari luar)\b",
        r"\btidak (pernah )?(boleh|dibolehkan|diperbolehkan|diizinkan|bisa) keluar\b",
        r"\bdilarang keluar\b",
    )),
    ("violence", _rx(
        r"\btidak (pernah )?(diberi|dapat|ada|kasih|dikasih) makan",
        r"\b\d+ hari\b.{0,20}\btidak (makan|diberi makan)\b",
        r"\b(kelaparan|tidak makan \d+ hari|tidak makan sejak)\b",
    )),
    ("other", _rx(
        r"\b(bunuh diri|mengakhiri hidup|akhiri hidup|ingin mati|mau mati|lebih baik mati|tidak ingin hidup)\b",
    )),
    ("stranded", _rx(
        r"\b(kapal|perahu|speedboat|boat|pompong)\b.{0,60}\b(mogok|tenggelam|bocor|terbalik|terombang|hanyut|karam)\b",
        r"\bdi tengah laut\b.{0,40}\b(mogok|tenggelam|bocor|terbalik|terombang|hanyut|semalaman)\b",
        r"\b(pingsan|tidak sadarkan diri|sekarat|kritis)\b",
    )),
]

# Verbs of violence and captivity recognised by their stem, whatever the affix
# ("dipukul", "memukuli", "pukul"; "dicekik", "mencekik"): affixes vary more than regexes can list.
DANGER_STEMS: dict[str, str] = {
    **dict.fromkeys(["pukul", "tampar", "tendang", "siksa", "aniaya", "cekik", "setrika", "bunuh", "perkosa",
                     "jambak", "tusuk", "sayat", "lukai", "gebuk", "hajar", "injak", "cambuk"], "violence"),
    **dict.fromkeys(["culik", "sekap", "kurung", "sandera"], "trafficking"),
}
_ENGLISH_DANGER = re.compile(
    r"\b(locked (in|up)|trapped|beaten|beat me|hit me|hits me|kill me|raped|rape me|kidnapp?ed|held captive|"
    r"no food|starving|suicide|help me)\b"
)
# Forced-labour indicators (ILO): several together mean a person held in forced labour now.
FORCED_LABOUR = [
    re.compile(r"\b(dipaksa|terpaksa|disuruh paksa)\b.{0,20}\b(kerja|bekerja|lembur)\b"),
    re.compile(r"\b(tanpa (di)?gaji|tanpa dibayar|tidak (di)?bayar|tidak (di)?gaji|belum (di)?bayar)\b"),
    re.compile(r"\btidak (boleh|bisa|diizinkan|dibolehkan) (pulang|pergi|keluar)\b"),
    re.compile(r"\bpaspor\b.{0,30}\b(ditahan|diambil|disimpan|dipegang)\b"),
    re.compile(r"\b(utang|hutang)\b.{0,30}\b(dipotong|harus dibayar|lunas|melunasi)\b"),
]

# First person, a relative, or a witness: the message is about a real situation.
# "saya" also covers "anak saya", "kakak sy" (slang is expanded first); a relative word alone
# ("keluarga PMI") is usually a general question, so it does not count without a possessive.
_PERSONAL = re.compile(r"\b(saya|kami)\b")
_ASKING_PREFACE = re.compile(r"\b(saya |kami )?(mau|ingin|boleh|izin) (tanya|bertanya|menanyakan)\b")
_QUESTION_START = re.compile(
    r"^(apa|apakah|bagaimana|bolehkah|boleh|siapa|dimana|di mana|kapan|berapa|mengapa|kenapa|adakah|bisakah|"
    r"haruskah|perlukah|benarkah|betulkah|cara|mana)\b"
)
_CONDITIONAL = re.compile(r"\b(kalau|jika|bila|apabila|seandainya|misalnya|andaikan)\b")
QUESTION_WORD = re.compile(r"\b(apa|apakah|bagaimana|siapa|berapa|dimana|di mana|kapan|mengapa|kenapa|bisakah|bolehkah)\b")
# A question tag closes the sentence ("...ada ga skrg", "...bisa dituntut gk", "...resmi kan?"); "tidak"
# inside a statement ("gaji tidak dibayar") is followed by what did not happen, so it must come last.
_QUESTION_TAG = re.compile(r"\b(tidak|kah|bukan|gimana|bagaimana|kan|ora|mboten|tak|apa)"
                           r"( (ya|sih|kak|min|dong|sekarang|nih|gan|bang|mbak|mas|pak|bu|kah))*$")
_MODAL = re.compile(r"\b(boleh|berhak|wajib|harus|perlu|seharusnya|sebaiknya)\b")


# A bare call for help says nothing about what happened: it gets the safety question.
_BARE_CALL = re.compile(r"^(tolong|tolongin|help|help me|sos|darurat|bantu|bantuan|tolong saya|tolong kami|tolong aku|"
                        r"mayday|emergency|urgent|tolong bantu|bantu saya|tolong dong|please help)( (saya|aku|kami|dong|min|kak))*$")


@dataclass(frozen=True)
class DangerBands:
    """Thresholds on the danger model's probability (config.yaml `understanding`)."""

    high: float = 0.6  # at or above: an emergency case at once
    low: float = 0.25  # at or above (and below high): the safety question


@dataclass(frozen=True)
class Understanding:
    """The trained models with the bands that turn their probabilities into decisions."""

    models: Models
    bands: DangerBands = DangerBands()


@dataclass(frozen=True)
class Signals:
    text: str  # the normalised message
    danger: str | None  # case category of an explicit danger phrase, or None
    personal: bool  # about the writer, a relative or something they witness
    question: bool  # phrased as a general question
    reading: Reading | None = None  # what the models read, when they are loaded
    bands: DangerBands = DangerBands()

    @property
    def rule_report(self) -> bool:
        """An explicit danger phrase told as one's own, not asked about in general."""
        return bool(self.danger) and (self.personal or not self.question)

    @property
    def is_report(self) -> bool:
        """A situation for an officer."""
        if self.reading is None:
            return self.rule_report
        return self.reading.intent == "report" or self.model_danger or (self.rule_report and not self._model_says_faq)

    @property
    def _model_says_faq(self) -> bool:
        return self.reading is not None and self.reading.intent == "faq" and self.reading.intent_p >= 0.5

    @property
    def model_danger(self) -> bool:
        return self.reading is not None and self.reading.danger_p >= self.bands.high

    @property
    def bare_call(self) -> bool:
        """"tolong", "SOS": a call for help that says nothing of what happened."""
        return bool(_BARE_CALL.match(self.text))

    @property
    def is_emergency(self) -> bool:
        """Danger now: an emergency case at once (a bare call for help is asked first)."""
        if self.bare_call:
            return False
        return self.model_danger or (self.rule_report and not self._model_rules_out)

    @property
    def _model_rules_out(self) -> bool:
        # a danger phrase in a film plot or a question: the rule fires, the models are sure it is
        # something else and see no danger at all
        r = self.reading
        return r is not None and r.intent != "report" and r.intent_p >= 0.8 and r.danger_p < self.bands.low / 2

    @property
    def safety_check(self) -> bool:
        """Possible danger, not sure: ask "are you in danger now?" rather than guess either way."""
        if self.bare_call:
            return True
        if self.is_emergency:
            return False
        return self.reading is not None and self.reading.danger_p >= self.bands.low

    @property
    def category(self) -> str:
        if self.danger:
            return self.danger
        r = self.reading
        if r is not None and self.model_danger and r.danger_kind:
            return DANGER_KINDS.get(r.danger_kind, "other")
        return r.category if r is not None else "other"


def _danger(norm: str) -> str | None:
    found = next((cat for cat, rx in DANGER if rx.search(norm)), None)
    if found:
        return found
    words = norm.split()
    for i, word in enumerate(words):
        cat = DANGER_STEMS.get(stem(word)) if len(word) > 3 else None
        if cat is None or (cat == "violence" and "bunuh diri" in norm):
            continue
        if word == "pukul" and i + 1 < len(words) and words[i + 1][:1].isdigit():
            continue  # "pukul 5 pagi" tells the time
        return cat
    if _ENGLISH_DANGER.search(norm):
        return "other"
    if sum(1 for rx in FORCED_LABOUR if rx.search(norm)) >= 3:
        return "trafficking"
    return None


def read(text: str, understanding: Understanding | None = None) -> Signals:
    """Everything the rules and, when given, the models say about one message."""
    norm = normalise(text)
    danger = _danger(norm)
    personal = bool(_PERSONAL.search(_ASKING_PREFACE.sub(" ", norm)))
    # "kalau" inside a statement ("minta uang kalau mau pulang") does not make it a question
    conditional_question = bool(_CONDITIONAL.match(norm) or (_CONDITIONAL.search(norm) and QUESTION_WORD.search(norm)))
    question = bool(text.rstrip().endswith("?") or _QUESTION_START.search(norm) or conditional_question
                    or _MODAL.search(norm) or _QUESTION_TAG.search(norm))
    if understanding is None or not norm:
        return Signals(norm, danger, personal, question)
    reading = understanding.models.read(text)
    return Signals(norm, danger, personal, question, reading, understanding.bands)
