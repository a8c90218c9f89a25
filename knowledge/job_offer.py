"""Check a pasted recruitment message (a job offer forwarded from Facebook/WhatsApp) for the
fraud and non-procedural placement signs of FACTS.md §6.

Each sign is a `RedFlag` with the exact phrase of the message that raised it, so the bot can
quote it back ("Di pesan ini tertulis: 'visa kunjungan' …"). Rules are regexes over a
normalised copy (NFKC, lower case) whose offsets map back to the original text.

Legitimate offers must pass clean, so every rule is anchored on an explicit phrase, and a
phrase that the message negates or warns against ("tanpa biaya", "jangan pakai visa turis",
"jika ada yang meminta uang muka, laporkan") does not count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from knowledge.agencies import AgencyIndex, CheckResult

MAX_TEXT_CHARS = 20_000

VERDICT_TEXTS = {
    "berisiko_tinggi": "Tawaran ini BERISIKO TINGGI: ada tanda penempatan ilegal atau penipuan. "
    "Jangan membayar apa pun dan jangan menyerahkan dokumen.",
    "perlu_waspada": "Perlu waspada: ada hal yang mencurigakan. Pastikan dulu perusahaan dan "
    "prosesnya resmi sebelum melanjutkan.",
    "tidak_ada_tanda": "Tidak ditemukan tanda bahaya yang umum, tetapi tetap pastikan perusahaannya "
    "terdaftar dan pendaftarannya lewat Disnaker/LTSA.",
}


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: str  # Indonesian, short
    trigger: str  # the phrase exactly as written in the message
    detail: str = ""  # Indonesian, one sentence: why this is a danger sign


@dataclass
class OfferAnalysis:
    countries: list[str]
    agencies: list[CheckResult]
    flags: list[RedFlag]
    verdict: str  # berisiko_tinggi | perlu_waspada | tidak_ada_tanda
    verdict_text: str
    notes: list[str] = field(default_factory=list)  # Indonesian: what the registry said

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "verdict_text": self.verdict_text,
            "countries": self.countries,
            "flags": [{"code": f.code, "label": f.label, "trigger": f.trigger, "detail": f.detail} for f in self.flags],
            "agencies": [a.to_json() | {"query": a.query} for a in self.agencies],
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- normalised text


class _Text:
    """Lower-case NFKC copy of a message with a map back to original offsets."""

    def __init__(self, original: str) -> None:
        self.original = original
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(original):
            norm = unicodedata.normalize("NFKC", ch).lower()
            if ch in "\u2019\u2018`":
                norm = "'"
            for c in norm:
                chars.append(c)
                origin.append(i)
        self.norm = "".join(chars)
        self._origin = origin

    def phrase(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return self.original[self._origin[start] : self._origin[end - 1] + 1]


# --------------------------------------------------------------------------- vocabulary

_NUM = r"\d+(?:[.,]\d+)*"
_MONEY_UNIT = r"(?:juta|jt|jeti|rb|ribu|k)"
# An amount of money: "5 juta", "Rp 5.000.000", "rp5jt", "500rb", "RM 1.500", "NT$ 20.000".
_CURRENCY = r"(?:rp\.?|idr|rm|myr|ringgit|nt\$|ntd|twd|hk\$|hkd|s\$|sgd|us\$|usd|\$|sar|riyal|aed|dirham|yen|¥|jpy|won|krw|₩|eur|€|pln|zloty)"
_AMOUNT = rf"(?:(?<![a-z]){_CURRENCY}\s*{_NUM}(?:\s*{_MONEY_UNIT})?|{_NUM}\s*{_MONEY_UNIT}\b|{_NUM}\s*(?:ringgit|nt|ntd|hkd|sgd|usd|dolar|dollar|riyal|dirham|yen|won|euro)\b)"
_AMOUNT_RE = re.compile(
    rf"(?P<cur>{_CURRENCY})?\s*(?P<num>{_NUM})\s*(?:(?:-|–|s/d|sd|sampai|hingga|s\.d\.?)\s*(?P<num2>{_NUM})\s*)?"
    rf"(?P<unit>{_MONEY_UNIT}|ringgit|ntd|nt|hkd|sgd|usd|dolar|dollar|riyal|dirham|yen|won|euro)?\b"
)

# Rough rupiah value of one unit (late 2020s). Only used to judge "far above normal pay",
# where a factor of two does not change the answer.
_RUPIAH_PER = {
    "rp": 1, "idr": 1, "rm": 3500, "myr": 3500, "ringgit": 3500, "nt$": 500, "ntd": 500, "twd": 500,
    "nt": 500, "hk$": 2000, "hkd": 2000, "s$": 12000, "sgd": 12000, "us$": 16000, "usd": 16000,
    "$": 16000, "dolar": 16000, "dollar": 16000, "sar": 4200, "riyal": 4200, "aed": 4300,
    "dirham": 4300, "yen": 105, "¥": 105, "jpy": 105, "won": 11.5, "krw": 11.5, "₩": 11.5,
    "eur": 17500, "€": 17500, "euro": 17500, "pln": 4000, "zloty": 4000,
}
_UNIT_FACTOR = {"juta": 1e6, "jt": 1e6, "jeti": 1e6, "rb": 1e3, "ribu": 1e3, "k": 1e3}

# Destinations (Indonesian names) and how people write them.
_COUNTRIES: dict[str, str] = {
    "malaysia": "Malaysia", "malay": "Malaysia", "kuala lumpur": "Malaysia", "johor": "Malaysia",
    "penang": "Malaysia", "sabah": "Malaysia", "sarawak": "Malaysia", "kota kinabalu": "Malaysia",
    "kuching": "Malaysia", "singapura": "Singapura", "singapore": "Singapura", "brunei": "Brunei",
    "hong kong": "Hong Kong", "hongkong": "Hong Kong", "taiwan": "Taiwan", "taipei": "Taiwan",
    "korea selatan": "Korea Selatan", "korsel": "Korea Selatan", "korea": "Korea Selatan",
    "jepang": "Jepang", "japan": "Jepang", "arab saudi": "Arab Saudi", "saudi arabia": "Arab Saudi",
    "saudi": "Arab Saudi", "riyadh": "Arab Saudi", "jeddah": "Arab Saudi", "mekkah": "Arab Saudi",
    "madinah": "Arab Saudi", "uni emirat arab": "Uni Emirat Arab", "uea": "Uni Emirat Arab",
    "dubai": "Uni Emirat Arab", "abu dhabi": "Uni Emirat Arab", "qatar": "Qatar", "kuwait": "Kuwait",
    "oman": "Oman", "bahrain": "Bahrain", "yordania": "Yordania", "turki": "Turki", "turkey": "Turki",
    "polandia": "Polandia", "poland": "Polandia", "jerman": "Jerman", "inggris": "Inggris",
    "belanda": "Belanda", "italia": "Italia", "rumania": "Rumania", "hungaria": "Hungaria",
    "ceko": "Ceko", "slowakia": "Slowakia", "australia": "Australia", "selandia baru": "Selandia Baru",
    "new zealand": "Selandia Baru", "kanada": "Kanada", "amerika": "Amerika Serikat",
    "kamboja": "Kamboja", "cambodia": "Kamboja", "phnom penh": "Kamboja", "sihanoukville": "Kamboja",
    "thailand": "Thailand", "bangkok": "Thailand", "myanmar": "Myanmar", "laos": "Laos",
    "vietnam": "Vietnam", "filipina": "Filipina", "makau": "Makau", "macau": "Makau",
    "tiongkok": "Tiongkok", "china": "Tiongkok", "cina": "Tiongkok", "maladewa": "Maladewa",
}
_COUNTRY_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _COUNTRIES), key=len, reverse=True)) + r")\b")
# Monthly pay (rupiah) from which a promise is "far above normal" for ordinary migrant jobs at
# that destination: roughly twice what such jobs really pay there (FACTS.md §9: e.g. HK$4,990
# for helpers in Hong Kong, NT$20,000 for carers in Taiwan), so only clear lures are flagged.
_PAY_LIMITS = {
    "Malaysia": 15e6, "Brunei": 15e6, "Hong Kong": 20e6, "Makau": 20e6, "Singapura": 30e6,
    "Taiwan": 30e6, "Turki": 25e6, "Arab Saudi": 15e6, "Uni Emirat Arab": 15e6, "Qatar": 15e6,
    "Kuwait": 15e6, "Oman": 15e6, "Bahrain": 15e6, "Yordania": 15e6,
    "Korea Selatan": 45e6, "Jepang": 45e6, "Australia": 45e6, "Selandia Baru": 45e6,
    "Kanada": 45e6, "Amerika Serikat": 45e6, "Jerman": 45e6, "Inggris": 45e6, "Belanda": 45e6,
    "Italia": 45e6, "Polandia": 45e6, "Rumania": 45e6, "Hungaria": 45e6, "Ceko": 45e6,
    "Slowakia": 45e6,
}
_PAY_LIMIT_DEFAULT = 15e6  # no destination named, or one with no legal placement (Kamboja …)

# Words that cancel the phrase right after them ("tanpa biaya", "jangan pakai visa turis").
_NEGATORS_NEAR = {"tanpa", "tidak", "tak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "bukan",
                  "jangan", "jgn", "hindari", "hindarilah", "waspada", "waspadai", "awas", "hati",
                  "tolak", "dilarang", "larangan", "anti", "stop", "laporkan", "bahaya", "belum"}
_NEGATORS_ADJACENT = {"bebas", "gratis", "free", "nol"}
# "jika ada yang meminta uang muka …": a warning, not a demand.
_WARNING_RE = re.compile(r"\b(jika|apabila|bila|kalau|kalo|kl|bila mana)\s+(ada\s+)?(yang|pihak|oknum|orang|calo|sponsor|agen)\b")
_CLAUSE_END = re.compile(r"[.!?\n;,]")
# A clause that opens with a warning ("Hati-hati calo yang minta DP atau uang muka") quotes
# the danger signs; "jangan lupa/khawatir …" is not a warning.
_WARNING_OPEN_RE = re.compile(
    r"^\W*(?:(?:dan|atau|serta|juga)\s+)?(?:hati[\s-]*hati|waspada\w*|awas|hindari|tolak|laporkan|dilarang|jangan|jgn)\b"
    r"(?!\s+(?:lupa|khawatir|kuatir|ragu|sampai|takut|tunda|menunggu|malu|bingung|lewatkan|sia))"
)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?62|0)\s?8\d{1,3}[\s\-.]?\d{3,4}[\s\-.]?\d{2,5}(?!\d)")
_OFFICIAL_RE = re.compile(r"\b(bp2mi|kp2mi|bp3mi|p4mi|disnaker\w*|siskop2mi|ltsa|kemnaker|kbri|kjri|g\s?to\s?g|g2g)\b")
_PT_RE = re.compile(r"(?<!\w)p\.?\s?t\b\.?\s*[a-z]")


@dataclass(frozen=True)
class _Rule:
    code: str
    regex: re.Pattern[str]
    negatable: bool = True


def _r(code: str, pattern: str, negatable: bool = True) -> _Rule:
    return _Rule(code, re.compile(pattern), negatable)


_MONEY_WORD = (
    r"(?:biaya(?!\s+(?:hidup|makan|sewa|kos|listrik))|uang(?!\s+(?:saku|makan|lembur|transport|bonus|tunjangan|gaji|tip))"
    r"|dana|ongkos|bayar|membayar|setor|setoran|transfer|tf|dp|down\s*payment|administrasi|pendaftaran"
    r"|jaminan(?!\s+(?:sosial|kesehatan|kerja|keselamatan|hari\s+tua|pensiun))|deposit|fee)"
)
_RULES: tuple[_Rule, ...] = (
    # --- money asked up front
    _r("upfront_fee", rf"\b{_MONEY_WORD}\b(?:(?!gaji|upah|salary|bonus)[^\n.;!?]){{0,25}}?{_AMOUNT}"),
    _r("upfront_fee", r"\buang\s+(?:muka|pendaftaran|administrasi|admin|jaminan|pelicin|formulir|proses|fee|komitmen|tanda\s+jadi)\b"),
    _r("upfront_fee", r"\b(?:transfer|tf|bayar|setor)\s+(?:dulu|duluan|terlebih\s+dahulu|di\s?muka|di\s?depan|di\s?awal|sebelum\s+berangkat)\b"),
    _r("upfront_fee", r"\b(?:dp|down\s*payment)\s+(?:dulu|duluan)\b"),
    _r("upfront_fee", r"\bbiaya\s+(?:pendaftaran|administrasi|admin|formulir|pengurusan|proses|keberangkatan)\b"),
    _r("upfront_fee", r"\bpotong(?:an)?\s+gaji\b"),
    # --- a person, not a licensed company
    _r("individual_recruiter", r"\b(?:hubungi|hub|kontak|chat|wa|whatsapp|telp|telepon|sms|dm|pm|inbox|japri)\s+(?:saya|aku|sy|gw|gue|ane|sayah)\b"),
    _r("individual_recruiter", r"\b(?:japri|inbox|inbok)\b"),
    _r("individual_recruiter", r"\b(?:lewat|melalui|ikut)\s+(?:saya|aku|sy|gw|gue)\b"),
    _r("individual_recruiter", r"\bsaya\s+(?:yang\s+)?(?:urus|uruskan|berangkatkan|proses|bantu\s+urus)\b"),
    _r("individual_recruiter", r"\b(?:sponsor|calo|tekong|agen\s+perorangan|perorangan)\b"),
    _r("individual_recruiter", r"\bboss?\b"),
    # --- visit/tourist/pilgrimage visa
    _r("visit_visa", r"\bvisa\s+(?:kunjungan|kunjung|turis|turist|wisata|pelancong|liburan|visit|holiday|tourist|umroh|umrah|ziarah|on\s+arrival|pelajar|belajar)\b"),
    _r("visit_visa", r"\b(?:paspor|pasport|passport)\s+(?:pelancong|wisata|turis|kunjungan|umroh|umrah|ziarah)\b"),
    _r("visit_visa", r"\b(?:masuk|berangkat|pergi|terbang|jalan)\s+(?:sebagai|pakai|pake|dengan|dgn|lewat|via)\s+(?:turis|wisatawan|pelancong|umroh|umrah|ziarah|jalur\s+umroh|bebas\s+visa|voa)\b"),
    _r("visit_visa", r"\bvoa\b"),
    # --- no training, no contract, too fast
    _r("no_training_contract", r"\btanpa\s+(?:pelatihan|training|kursus|blk|lpk|kontrak|perjanjian(?:\s+kerja)?|medical|medikal|mcu|tes\s+kesehatan|cek\s+kesehatan|pemeriksaan\s+kesehatan|sertifikat|tes|ujian|proses)\b", negatable=True),
    _r("no_training_contract", r"\b(?:tidak|tak|gak|ga|nggak|ngga|gk|tdk|enggak)\s+(?:perlu|usah|pakai|pake|wajib|harus|ada)\s+(?:blk|lpk|pelatihan|training|kursus|medical|medikal|mcu|tes\s+kesehatan|cek\s+kesehatan|kontrak|perjanjian|sertifikat|ujian|tes|sekolah)\b"),
    _r("no_training_contract", r"\blangsung\s+(?:berangkat|terbang|kerja|diberangkatkan|diterbangkan)\b"),
    _r("no_training_contract", r"\bproses\s+(?:cepat|kilat|singkat|express|ekspres|instan)\b"),
    _r("no_training_contract", r"\bproses\s+(?:(?:cepat|kilat|singkat)\s+)?(?:cuma|hanya|cukup|kurang\s+dari|dalam)?\s*(?:[1-9]|[12]\d|30|satu|dua|tiga|empat)\s*(?:hari|hr|minggu|mgg|pekan)\b"),
    _r("no_training_contract", r"\b(?:berangkat|terbang|diberangkatkan)\s+(?:dalam\s+)?(?:[1-9]|[12]\d|30|satu|dua|tiga|empat)\s*(?:hari|hr|minggu|mgg|pekan)\b"),
    _r("no_training_contract", r"\b(?:[1-9]|[12]\d|30|satu|dua|tiga|empat)\s*(?:hari|hr|minggu|mgg|pekan)\s+(?:langsung\s+)?(?:berangkat|terbang)\b"),
    _r("no_training_contract", r"\b(?:berangkat|terbang)\s+(?:besok|lusa|minggu\s+depan|pekan\s+depan)\b"),
    _r("no_training_contract", r"\bkontrak\s+(?:di\s+sana|disana|menyusul|setelah\s+(?:sampai|tiba)|di\s+negara\s+tujuan)\b"),
    # --- pay far above normal (amounts are judged in _pay_flag)
    _r("pay_too_high", r"\b(?:gaji|penghasilan|pendapatan|income|cuan)\s+(?:sangat\s+)?(?:besar|fantastis|menggiurkan|gede|selangit|jumbo|puluhan\s+juta|ratusan\s+juta|dolar|dollar|tinggi\s+banget)\b"),
    # --- lying to officials / unofficial routes
    _r("lie_to_officials", r"\b(?:bilang|ngomong|jawab|katakan|mengaku|ngaku|pura[\s-]*pura|pura2)\s+(?:[^\W\d_]+\s+){0,4}?(?:mau\s+|mo\s+|untuk\s+|cuma\s+|hanya\s+|sebagai\s+|lagi\s+)?(?:liburan|wisata|jalan[\s-]*jalan|jalan2|berlibur|umroh|umrah|ziarah|berkunjung|kunjungan|jenguk|melancong|turis|wisatawan|belanja|main)\b"),
    _r("lie_to_officials", r"\bjangan\s+(?:bilang|ngomong|mengaku|ngaku|cerita|kasih\s+tau|kasih\s+tahu|bicara)\s+(?:kalau\s+|kalo\s+|mau\s+|untuk\s+|akan\s+)*(?:kerja|bekerja|cari\s+kerja|jadi\s+(?:tki|tkw|pmi))\b", negatable=False),
    _r("lie_to_officials", r"\b(?:jalur|jalan|pelabuhan|pintu)\s+(?:tikus|belakang|gelap|samping)\b"),
    _r("lie_to_officials", r"\bjalur\s+(?:tidak\s+resmi|ilegal)\b"),
    _r("lie_to_officials", r"\b(?:tanpa|tidak|gak|ga|nggak)\s+(?:lewat|melalui)\s+imigrasi\b", negatable=False),
    _r("lie_to_officials", r"\b(?:hindari|menghindari|hindarin|menghindar\s+dari)\s+(?:petugas|imigrasi|razia|pemeriksaan|polisi)\b", negatable=False),
    _r("lie_to_officials", r"\b(?:kalau|kalo|jika|bila)\s+ditanya\s+(?:petugas|imigrasi|polisi)?\s*,?\s*(?:bilang|jawab|ngaku)\b"
       r"(?:\s+(?:[^\W\d_]+\s+){0,3}?(?:liburan|wisata|jalan[\s-]*jalan|jalan2|berlibur|umroh|umrah|ziarah|berkunjung|turis|belanja)\b)?", negatable=False),
    # --- age / identity forgery
    _r("age_forgery", r"\b(?:umur|usia)(?:nya)?\s+(?:bisa\s+)?(?:di)?tua(?:kan|in)\b", negatable=False),
    _r("age_forgery", r"\b(?:ktp|paspor|akta|kk|ijazah|dokumen|data|identitas)\s+(?:bisa\s+|akan\s+)?(?:di)?(?:palsu(?:kan)?|tembak|aspal)\b", negatable=False),
    _r("age_forgery", r"\b(?:ktp|paspor)\s+(?:bisa\s+)?(?:dibuatkan|dibuatin|diurus(?:kan|in)?\s+(?:umur|usia))\b", negatable=False),
    _r("age_forgery", r"\b(?:umur|usia)\s+1[0-7]\s*(?:tahun|thn|th)?\s*(?:(?:juga|aja|pun|sudah|udah)\s+)?(?:bisa|boleh|diterima|masuk|ok)\b", negatable=False),
    _r("age_forgery", r"\b(?:min(?:imal|\.)?|minimum)\s*(?:umur|usia)\s*:?\s*1[0-7]\b", negatable=False),
    _r("age_forgery", r"\b(?:di\s?bawah|belum\s+cukup)\s+umur\s+(?:bisa|boleh|diterima|aman)\b", negatable=False),
)

_LABELS = {
    "upfront_fee": ("Diminta uang/biaya di muka",
                    "Calon PMI tidak boleh dibebani biaya penempatan (UU 18/2017 Pasal 30); permintaan uang di muka atau potongan gaji adalah tanda penipuan."),
    "individual_recruiter": ("Perekrut perorangan, bukan perusahaan resmi",
                             "Perorangan dilarang menempatkan PMI (UU 18/2017 Pasal 81); perekrutan resmi hanya lewat P3MI berizin, BP2MI, atau Disnaker."),
    "visit_visa": ("Berangkat pakai visa kunjungan/turis/ziarah",
                   "PMI resmi berangkat dengan visa kerja; visa kunjungan, turis, umroh atau ziarah dipakai untuk penempatan ilegal."),
    "no_training_contract": ("Tanpa pelatihan/kontrak atau proses terlalu cepat",
                             "Proses resmi mencakup pelatihan, cek kesehatan dan penandatanganan perjanjian kerja sebelum berangkat; proses kilat adalah tanda bahaya."),
    "pay_too_high": ("Gaji tidak wajar (terlalu tinggi)",
                     "Gaji yang jauh di atas gaji umum untuk pekerjaan itu sering dipakai untuk memancing korban."),
    "lie_to_officials": ("Disuruh berbohong ke petugas / lewat jalur tidak resmi",
                         "Disuruh mengaku liburan atau lewat jalur tikus berarti keberangkatan ilegal dan berisiko perdagangan orang."),
    "age_forgery": ("Pemalsuan umur atau dokumen",
                    "Usia minimal PMI 18 tahun; memalsukan umur atau dokumen adalah tindak pidana dan tanda perdagangan orang."),
}
_SEVERE = {"visit_visa", "lie_to_officials", "age_forgery", "upfront_fee"}
_AGENCY_WORRY = {"revoked", "suspended", "expired"}


# --------------------------------------------------------------------------- public API


def looks_like_job_offer(text: str) -> bool:
    """Is this a recruitment advert or a forwarded job offer (not a question or a report)?"""
    t = _Text((text or "")[:MAX_TEXT_CHARS]).norm
    if len(t) < 25:
        return False
    recruit = bool(_RECRUIT_RE.search(t))
    salary = bool(re.search(rf"\b(?:gaji|salary|upah|penghasilan)\b[^\n.;]{{0,25}}?{_AMOUNT}", t))
    contact = bool(_CONTACT_RE.search(t) or _PHONE_RE.search(t))
    signals = sum(
        bool(x)
        for x in (
            salary,
            contact,
            _COUNTRY_RE.search(t) or re.search(r"\bluar\s+negeri\b", t),
            _TERMS_RE.search(t),
            _JOB_RE.search(t),
            re.search(rf"\b{_MONEY_WORD}\b", t),
            re.search(r"\b(?:berangkat|keberangkatan|visa|kontrak|proses|penempatan)\b", t),
        )
    )
    if recruit:
        return signals >= 1
    # Without an advert word, it takes an offer's shape: pay or contact, and more.
    return (salary or contact) and signals >= 3 and not _NARRATIVE_RE.search(t)


def analyse_offer(text: str, index: AgencyIndex | None, today: date) -> OfferAnalysis:
    """Red flags, destinations and agency checks of one recruitment message."""
    original = (text or "")[:MAX_TEXT_CHARS]
    t = _Text(original)
    countries = _countries(t.norm)
    flags = _flags(t, countries)
    agencies = index.find_in_text(original, today) if index is not None else []
    notes = _agency_notes(agencies)
    verdict = _verdict(flags, agencies, notes)
    return OfferAnalysis(countries, agencies, flags, verdict, VERDICT_TEXTS[verdict], notes)


# --------------------------------------------------------------------------- internals

_RECRUIT_RE = re.compile(
    r"\b(?:dibutuhkan|dicari|dicarikan|lowongan|loker|lowker|rekrut\w*|recruit\w*|hiring|vacancy|job\s?order"
    r"|open\s+(?:recruitment|rekrutmen|lowongan)|membuka\s+(?:lowongan|kesempatan|pendaftaran|rekrutmen)"
    r"|butuh\s+(?:segera|cepat|banyak|pekerja|tenaga|karyawan|tkw|tki|pmi|orang)|info\s+(?:kerja|loker|lowongan)"
    r"|ada\s+(?:kerjaan|lowongan|job|kerja)|peluang\s+kerja|kesempatan\s+kerja|daftar\s+(?:sekarang|segera)"
    r"|siap\s+(?:berangkat|diberangkatkan)|kuota\s+terbatas|yang\s+minat|yg\s+minat|berminat)\b"
)
_CONTACT_RE = re.compile(r"\b(?:hubungi|hub|cp|contact|kontak|wa|whatsapp|japri|inbox|dm)\b\s*[:.]?\s*(?:\+|\d|saya|aku|kami|admin|bu|pak|mbak|mas|kak|bos|boss|bang|abang|om)")
_TERMS_RE = re.compile(r"\b(?:syarat|persyaratan|kualifikasi|usia|umur|pria|wanita|laki|perempuan|lulusan|pendidikan|min\.?\s*sd|min\.?\s*smp|sehat\s+jasmani)\b")
_JOB_RE = re.compile(
    r"\b(?:pekerja|operator|caregiver|perawat|asisten\s+rumah\s+tangga|art|pabrik|kilang|perkebunan|sawit|ladang"
    r"|konstruksi|bangunan|abk|pelaut|tkw|tki|pmi|cleaning|housekeeping|helper|sopir|driver|koki|cook|pelayan"
    r"|restoran|hotel|admin|cs\s+online|customer\s+service|marketing|buruh|tukang|welder|las)\b"
)
_NARRATIVE_RE = re.compile(r"\b(?:saya|aku|sy|anak\s+saya|suami\s+saya|istri\s+saya|adik\s+saya|keluarga\s+saya)\s+(?:di|sudah|udah|sedang|lagi|masih|tidak|gak|belum|dipukul|ditahan|disekap|kabur|kerja|bekerja)\b")


def _countries(norm: str) -> list[str]:
    out: list[str] = []
    for m in _COUNTRY_RE.finditer(norm):
        name = _COUNTRIES[m.group(1)]
        if name not in out:
            out.append(name)
    return out


def _negated(norm: str, start: int) -> bool:
    """Is the phrase starting at `start` negated or part of a warning, within its clause?"""
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(norm, 0, start)), default=0)
    before = norm[clause_start:start]
    if _WARNING_RE.search(before) or _WARNING_OPEN_RE.search(before):
        return True
    words = re.findall(r"[^\W_]+", before)
    if words and words[-1] in _NEGATORS_ADJACENT:
        return True
    return any(w in _NEGATORS_NEAR for w in words[-3:])


def _flags(t: _Text, countries: list[str]) -> list[RedFlag]:
    first: dict[str, tuple[int, int]] = {}
    for rule in _RULES:
        for m in rule.regex.finditer(t.norm):
            if rule.negatable and _negated(t.norm, m.start()):
                continue
            if rule.code == "upfront_fee" and _amount_is_zero(m.group()):
                continue
            old = first.get(rule.code)
            # the earliest phrase; at the same place the longest, which reads best when quoted
            if old is None or (m.start(), -m.end()) < (old[0], -old[1]):
                first[rule.code] = (m.start(), m.end())
            break
    pay = _pay_flag(t, countries)
    if pay and ("pay_too_high" not in first or pay[0] < first["pay_too_high"][0]):
        first["pay_too_high"] = pay
    if "individual_recruiter" not in first:
        phone = _PHONE_RE.search(t.norm)
        if phone and not _PT_RE.search(t.norm) and not _OFFICIAL_RE.search(t.norm):
            first["individual_recruiter"] = (phone.start(), phone.end())
    flags = []
    for code, (s, e) in sorted(first.items(), key=lambda kv: kv[1][0]):
        label, detail = _LABELS[code]
        flags.append(RedFlag(code, label, t.phrase(s, e).strip(), detail))
    return flags


def _amount_is_zero(phrase: str) -> bool:
    nums = re.findall(r"\d+", phrase)
    return bool(nums) and all(int(n) == 0 for n in nums)


_SALARY_RE = re.compile(
    rf"\b(?:gaji|gajih|salary|upah|penghasilan|pendapatan|income|thp|take\s+home\s+pay|bayaran|digaji)\b"
    rf"(?:[^\n.;!?\d]|\.(?=\s*\d)){{0,30}}?(?P<amount>{_AMOUNT}(?:\s*(?:-|–|s/d|sd|sampai|hingga)\s*{_AMOUNT})?|{_NUM}\s*(?:-|–|s/d|sampai|hingga)\s*{_AMOUNT})"
    r"(?P<per>\s*(?:/|per|se)\s*(?:bulan|bln|bl|hari|hr|minggu|mgg|tahun|thn|th|jam))?"
)


def _pay_flag(t: _Text, countries: list[str]) -> tuple[int, int] | None:
    """A promised monthly pay far above what ordinary migrant jobs pay at the destination."""
    # several destinations: judge against the best-paying one (never flag a fair offer)
    limit = max((_PAY_LIMITS.get(c, _PAY_LIMIT_DEFAULT) for c in countries), default=_PAY_LIMIT_DEFAULT)
    for m in _SALARY_RE.finditer(t.norm):
        if _negated(t.norm, m.start()):
            continue
        monthly = _monthly_rupiah(m.group("amount"), m.group("per") or "")
        if monthly is not None and monthly >= limit:
            return (m.start(), m.end())
    return None


def _monthly_rupiah(amount: str, per: str) -> float | None:
    best: float | None = None
    currency = None
    for m in _AMOUNT_RE.finditer(amount):
        currency = m.group("cur") or currency
        for key in ("num", "num2"):
            raw = m.group(key)
            if not raw:
                continue
            value = _parse_number(raw, m.group("unit"))
            unit = (m.group("unit") or "").strip()
            rate = _RUPIAH_PER.get((currency or "").rstrip("."), None)
            if unit in _RUPIAH_PER:
                rate = _RUPIAH_PER[unit]
            if rate is None:
                rate = 1.0 if unit in _UNIT_FACTOR else None
            if rate is None:
                continue
            best = max(best or 0.0, value * rate)
    if best is None:
        return None
    if re.search(r"hari|hr", per):
        best *= 26
    elif re.search(r"minggu|mgg", per):
        best *= 4.3
    elif re.search(r"tahun|thn|th", per):
        best /= 12
    elif "jam" in per:
        return None
    return best


def _parse_number(raw: str, unit: str | None) -> float:
    unit = (unit or "").strip()
    if unit in _UNIT_FACTOR:
        # "8,5 juta" / "8.5 jt": the separator is a decimal point
        value = float(raw.replace(",", ".")) if raw.count(",") + raw.count(".") == 1 else float(re.sub(r"[.,]", "", raw))
        return value * _UNIT_FACTOR[unit]
    # "8.000.000", "20,000", "1.500": separators group thousands
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
        return float(re.sub(r"[.,]", "", raw))
    return float(raw.replace(",", "."))


def _agency_notes(agencies: list[CheckResult]) -> list[str]:
    notes = []
    for r in agencies:
        q = r.query or "perusahaan ini"
        if r.verdict == "licensed":
            notes.append(f"{q}: terdaftar dan izinnya aktif ({r.matches[0].agency.name}).")
        elif r.verdict == "revoked":
            notes.append(f"{q}: izinnya sudah DICABUT ({r.matches[0].agency.name}).")
        elif r.verdict == "suspended":
            notes.append(f"{q}: izinnya sedang DISKORS ({r.matches[0].agency.name}).")
        elif r.verdict == "expired":
            notes.append(f"{q}: masa berlaku izinnya sudah HABIS ({r.matches[0].agency.name}).")
        elif r.verdict == "ambiguous":
            notes.append(f"{q}: ada beberapa perusahaan yang mirip; cek nomor izinnya.")
        elif r.lookalike_of is not None:
            notes.append(f"{q}: TIDAK terdaftar; namanya mirip {r.lookalike_of.agency.name} (waspada nama tiruan).")
        else:
            notes.append(f"{q}: TIDAK ditemukan di daftar perusahaan penempatan berizin.")
    licensed_by_name = {m.agency.licence_no for r in agencies if not r.by_licence for m in r.matches}
    for r in agencies:
        if r.by_licence and r.matches and licensed_by_name and r.matches[0].agency.licence_no not in licensed_by_name:
            notes.append(f"Nomor izin {r.query} milik {r.matches[0].agency.name}, bukan perusahaan yang disebut di pesan.")
    return notes


def _verdict(flags: list[RedFlag], agencies: list[CheckResult], notes: list[str]) -> str:
    codes = {f.code for f in flags}
    borrowed_number = any(n.startswith("Nomor izin ") for n in notes)
    bad_agency = any(r.verdict in _AGENCY_WORRY or r.lookalike_of is not None for r in agencies)
    unknown_agency = any(r.verdict in ("not_found", "ambiguous") for r in agencies)
    if codes & _SEVERE or len(codes) >= 2 or bad_agency or borrowed_number:
        return "berisiko_tinggi"
    if codes or unknown_agency:
        return "perlu_waspada"
    return "tidak_ada_tanda"
