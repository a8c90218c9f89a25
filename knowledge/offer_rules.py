"""The vocabulary of recruitment fraud (FACTS.md §6) as regexes, and money amounts in offers.

Patterns run over a lower-cased NFKC copy of the message (see offer_flags.OfferText). Each is
anchored on an explicit phrase so that an honest advert passes clean; job_offer decides when
a phrase is negated or quoted as a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _alt(words: str) -> str:
    """A non-capturing alternation of space-separated words; "_" stands for a space."""
    return "(?:" + "|".join(w.replace("_", r"\s+") for w in words.split()) + ")"


# --------------------------------------------------------------------------- money

NUM = r"\d+(?:[.,]\d+)*"
_UNIT = r"(?:miliar|milyar|juta|jt|jeti|rb|ribu|k)"
_CURRENCY = (
    r"(?:rp\.?|idr|rm|myr|ringgit|nt\$|ntd|twd|hk\$|hkd|s\$|sgd|us\$|usd|\$|sar|riyal|aed|dirham"
    r"|yen|¥|jpy|won|krw|₩|eur|€|pln|zloty)"
)
_CURRENCY_AFTER = _alt("ringgit ntd nt hkd sgd usd dolar dollar riyal dirham yen won euro")
_RANGE = r"(?:-|–|s/d|sd|sampai|hingga|s\.d\.?)"
# An amount of money: "5 juta", "Rp 5.000.000", "rp5jt", "500rb", "RM 1.500", "1500 ringgit".
AMOUNT = (
    rf"(?:(?<![a-z]){_CURRENCY}\s*{NUM}(?:\s*{_UNIT})?"
    rf"|{NUM}\s*{_UNIT}\b|{NUM}\s*{_CURRENCY_AFTER}\b)"
)
_AMOUNT_PARTS_RE = re.compile(
    rf"(?P<cur>{_CURRENCY})?\s*(?P<num>{NUM})\s*(?:{_RANGE}\s*(?P<num2>{NUM})\s*)?"
    rf"(?P<unit>{_UNIT}|{_CURRENCY_AFTER})?\b"
)
# Rough rupiah value of one unit. Only used to judge "far above normal pay", where a factor
# of two does not change the answer; not a price feed.
_RUPIAH_PER = {
    "rp": 1, "idr": 1, "rm": 3500, "myr": 3500, "ringgit": 3500, "nt$": 500, "ntd": 500, "twd": 500,
    "nt": 500, "hk$": 2000, "hkd": 2000, "s$": 12000, "sgd": 12000, "us$": 16000, "usd": 16000,
    "$": 16000, "dolar": 16000, "dollar": 16000, "sar": 4200, "riyal": 4200, "aed": 4300,
    "dirham": 4300, "yen": 105, "¥": 105, "jpy": 105, "won": 11.5, "krw": 11.5, "₩": 11.5,
    "eur": 17500, "€": 17500, "euro": 17500, "pln": 4000, "zloty": 4000,
}
_UNIT_FACTOR = {"miliar": 1e9, "milyar": 1e9, "juta": 1e6, "jt": 1e6, "jeti": 1e6, "rb": 1e3, "ribu": 1e3, "k": 1e3}

# "gaji 25 juta/bulan", "Gaji: RM 1.800 - RM 2.000", "gaji 800rb/hari"
SALARY_RE = re.compile(
    rf"\b{_alt('gaji gajih salary upah penghasilan pendapatan income thp take_home_pay bayaran digaji')}\b"
    rf"(?:[^\n.;!?\d]|\.(?=\s*\d)){{0,30}}?"
    rf"(?P<amount>{AMOUNT}(?:\s*{_RANGE}\s*{AMOUNT})?|{NUM}\s*{_RANGE}\s*{AMOUNT})"
    rf"(?P<per>\s*(?:/|per|se)\s*{_alt('bulan bln bl hari hr minggu mgg tahun thn th jam')})?"
)


def rupiah(amount: str, per: str = "") -> float | None:
    """Monthly rupiah value of an amount phrase (the top of a range); None without a currency
    or unit, or for hourly pay."""
    best: float | None = None
    currency = None
    for m in _AMOUNT_PARTS_RE.finditer(amount):
        currency = m.group("cur") or currency
        unit = (m.group("unit") or "").strip()
        rate = _RUPIAH_PER.get(unit) or _RUPIAH_PER.get((currency or "").rstrip("."))
        if rate is None and unit in _UNIT_FACTOR:
            rate = 1.0
        if rate is None:
            continue
        for raw in (m.group("num"), m.group("num2")):
            if raw:
                best = max(best or 0.0, _number(raw, unit) * rate)
    if best is None or "jam" in per:
        return None
    if re.search(r"hari|hr", per):
        return best * 26  # working days in a month
    if re.search(r"minggu|mgg", per):
        return best * 4.3
    if re.search(r"tahun|thn|th", per):
        return best / 12
    return best


def _number(raw: str, unit: str) -> float:
    if unit in _UNIT_FACTOR:
        # "8,5 juta" / "8.5 jt": one separator is a decimal point
        seps = raw.count(",") + raw.count(".")
        value = float(raw.replace(",", ".")) if seps == 1 else float(re.sub(r"[.,]", "", raw))
        return value * _UNIT_FACTOR[unit]
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):  # "8.000.000", "20,000": thousands
        return float(re.sub(r"[.,]", "", raw))
    return float(raw.replace(",", "."))


# --------------------------------------------------------------------------- red-flag rules


@dataclass(frozen=True)
class Rule:
    code: str
    regex: re.Pattern[str]
    negatable: bool = True  # cancelled by "tanpa/tidak/jangan/bukan …" or a warning clause
    after_steps: bool = False  # cancelled by "setelah/sesudah …" earlier in the clause


def _r(code: str, pattern: str, *, negatable: bool = True, after_steps: bool = False) -> Rule:
    return Rule(code, re.compile(pattern), negatable, after_steps)


MONEY_WORD = (
    r"(?:biaya(?!\s+(?:hidup|makan|sewa|kos|listrik))"
    r"|uang(?!\s+(?:saku|makan|lembur|transport|bonus|tunjangan|gaji|tip))"
    r"|jaminan(?!\s+(?:sosial|kesehatan|kerja|keselamatan|hari\s+tua|pensiun))"
    r"|dana|ongkos|bayar|membayar|setor|setoran|transfer|tf|dp|down\s*payment|administrasi|pendaftaran|deposit|fee)"
)
_NOT = _alt("tidak tak gak ga nggak ngga gk tdk enggak")
_ME = _alt("saya aku sy gw gue ane sayah")
_N_DAYS = r"(?:[1-9]|[12]\d|30|satu|dua|tiga|empat)\s*" + _alt("hari hr minggu mgg pekan")
_HOLIDAY = _alt(
    "liburan wisata jalan-jalan jalan_jalan jalan2 berlibur umroh umrah ziarah berkunjung kunjungan "
    "jenguk melancong turis wisatawan belanja main"
)
_CHECKS = _alt(
    "pelatihan training kursus blk lpk kontrak perjanjian_kerja perjanjian medical medikal mcu "
    "tes_kesehatan cek_kesehatan pemeriksaan_kesehatan sertifikat ujian tes"
)
_NEEDED = _alt("perlu usah pakai pake wajib harus ada")
_FEE_NAMES = _alt("muka pendaftaran administrasi admin jaminan pelicin formulir proses fee komitmen tanda_jadi")
_PAY_FIRST = _alt("dulu duluan terlebih_dahulu di_muka dimuka di_depan didepan di_awal diawal sebelum_berangkat")
_FEE_PURPOSE = _alt("pendaftaran administrasi admin formulir pengurusan proses keberangkatan")
_CONTACT_ME = _alt("hubungi hub kontak chat wa whatsapp telp telepon sms dm pm inbox japri")
_VISIT = _alt(
    "kunjungan kunjung turis turist wisata pelancong liburan visit holiday tourist umroh umrah ziarah "
    "on_arrival pelajar belajar"
)
_AS_TOURIST = (
    _alt("masuk berangkat pergi terbang jalan") + r"\s+" + _alt("sebagai pakai pake dengan dgn lewat via") + r"\s+"
    + _alt("turis wisatawan pelancong umroh umrah ziarah jalur_umroh bebas_visa voa")
)
_LURE = _alt("besar fantastis menggiurkan gede selangit jumbo puluhan_juta ratusan_juta dolar dollar tinggi_banget")
_SAY = _alt("bilang ngomong jawab katakan mengaku ngaku pura-pura pura_pura pura2")
_TELL = _alt("bilang ngomong mengaku ngaku cerita kasih_tau kasih_tahu bicara")
_WORK = r"(?:kerja|bekerja|cari\s+kerja|jadi\s+(?:tki|tkw|pmi))"
_PAPERS = _alt("ktp paspor akta kk ijazah dokumen data identitas")

RULES: tuple[Rule, ...] = (
    # --- money asked up front
    _r("upfront_fee", rf"\b{MONEY_WORD}\b(?:(?!gaji|upah|salary|bonus)[^\n.;!?]){{0,25}}?{AMOUNT}"),
    _r("upfront_fee", rf"\buang\s+{_FEE_NAMES}\b"),
    _r("upfront_fee", rf"\b{_alt('transfer tf bayar setor')}\s+{_PAY_FIRST}\b"),
    _r("upfront_fee", r"\b(?:dp|down\s*payment)\s+(?:dulu|duluan)\b"),
    _r("upfront_fee", rf"\bbiaya\s+{_FEE_PURPOSE}\b"),
    _r("upfront_fee", r"\bpotong(?:an)?\s+gaji\b"),
    # --- a person, not a licensed company
    _r("individual_recruiter", rf"\b{_CONTACT_ME}\s+{_ME}\b"),
    _r("individual_recruiter", r"\b(?:japri|inbox|inbok)\b"),
    _r("individual_recruiter", rf"\b(?:lewat|melalui|ikut)\s+{_ME}\b"),
    _r("individual_recruiter", r"\bsaya\s+(?:yang\s+)?(?:urus|uruskan|berangkatkan|proses|bantu\s+urus)\b"),
    _r("individual_recruiter", r"\b(?:sponsor|calo|tekong|agen\s+perorangan|perorangan)\b"),
    _r("individual_recruiter", r"\bboss?\b"),
    # --- visit/tourist/pilgrimage visa
    _r("visit_visa", rf"\bvisa\s+{_VISIT}\b"),
    _r("visit_visa", r"\b(?:paspor|pasport|passport)\s+(?:pelancong|wisata|turis|kunjungan|umroh|umrah|ziarah)\b"),
    _r("visit_visa", rf"\b{_AS_TOURIST}\b"),
    _r("visit_visa", r"\bvoa\b"),
    # --- no training, no contract, too fast
    _r("no_training_contract", rf"\btanpa\s+(?:{_CHECKS}|proses)\b"),
    _r("no_training_contract", rf"\b{_NOT}\s+{_NEEDED}\s+(?:{_CHECKS}|sekolah)\b"),
    # "setelah pelatihan, langsung berangkat" is the normal order of things, not a shortcut
    _r("no_training_contract", r"\blangsung\s+(?:berangkat|terbang|kerja|diberangkatkan|diterbangkan)\b",
       after_steps=True),
    _r("no_training_contract", r"\bproses\s+(?:kilat|express|ekspres|instan)\b"),
    _r("no_training_contract",
       rf"\bproses\s+(?:(?:cepat|kilat|singkat)\s+)?(?:cuma|hanya|cukup|kurang\s+dari|dalam)?\s*{_N_DAYS}\b"),
    _r("no_training_contract", rf"\b(?:berangkat|terbang|diberangkatkan)\s+(?:dalam\s+)?{_N_DAYS}\b"),
    _r("no_training_contract", rf"\b{_N_DAYS}\s+(?:langsung\s+)?(?:berangkat|terbang)\b"),
    _r("no_training_contract", r"\b(?:berangkat|terbang)\s+(?:besok|lusa|minggu\s+depan|pekan\s+depan)\b"),
    _r("no_training_contract",
       r"\bkontrak\s+(?:di\s+sana|disana|menyusul|setelah\s+(?:sampai|tiba)|di\s+negara\s+tujuan)\b"),
    # --- pay far above normal (amounts are judged against the destination in job_offer)
    _r("pay_too_high", rf"\b{_alt('gaji penghasilan pendapatan income cuan')}\s+(?:sangat\s+)?{_LURE}\b"),
    # --- lying to officials / unofficial routes
    _r("lie_to_officials",
       rf"\b{_SAY}\s+(?:[^\W\d_]+\s+){{0,4}}?(?:{_alt('mau mo untuk cuma hanya sebagai lagi')}\s+)?{_HOLIDAY}\b"),
    _r("lie_to_officials", rf"\bjangan\s+{_TELL}\s+(?:{_alt('kalau kalo mau untuk akan')}\s+)*{_WORK}\b",
       negatable=False),
    _r("lie_to_officials", r"\b(?:jalur|jalan|pelabuhan|pintu)\s+(?:tikus|belakang|gelap|samping)\b"),
    _r("lie_to_officials", r"\bjalur\s+(?:tidak\s+resmi|ilegal)\b"),
    _r("lie_to_officials", rf"\b(?:tanpa|{_NOT})\s+(?:lewat|melalui)\s+imigrasi\b", negatable=False),
    _r("lie_to_officials",
       r"\b(?:hindari|menghindari|hindarin|menghindar\s+dari)\s+(?:petugas|imigrasi|razia|pemeriksaan|polisi)\b",
       negatable=False),
    _r("lie_to_officials",
       r"\b(?:kalau|kalo|jika|bila)\s+ditanya\s+(?:petugas|imigrasi|polisi)?\s*,?\s*(?:bilang|jawab|ngaku)\b"
       rf"(?:\s+(?:[^\W\d_]+\s+){{0,3}}?{_HOLIDAY}\b)?", negatable=False),
    # --- age / identity forgery
    _r("age_forgery", r"\b(?:umur|usia)(?:nya)?\s+(?:bisa\s+)?(?:di)?tua(?:kan|in)\b", negatable=False),
    _r("age_forgery", rf"\b{_PAPERS}\s+(?:bisa\s+|akan\s+)?(?:di)?(?:palsu(?:kan)?|tembak|aspal)\b", negatable=False),
    _r("age_forgery", r"\b(?:ktp|paspor)\s+(?:bisa\s+)?(?:dibuatkan|dibuatin|diurus(?:kan|in)?\s+(?:umur|usia))\b",
       negatable=False),
    _r("age_forgery", r"\b(?:umur|usia)\s+1[0-7]\s*(?:tahun|thn|th)?\s*(?:(?:juga|aja|pun|sudah|udah)\s+)?"
                      r"(?:bisa|boleh|diterima|masuk|ok)\b", negatable=False),
    _r("age_forgery", r"\b(?:min(?:imal|\.)?|minimum)\s*(?:umur|usia)\s*:?\s*1[0-7]\b", negatable=False),
    _r("age_forgery", r"\b(?:di\s?bawah|belum\s+cukup)\s+umur\s+(?:bisa|boleh|diterima|aman)\b", negatable=False),
)

# code -> (short label, one-sentence reason), Indonesian, shown to the person who asked.
LABELS = {
    "upfront_fee": (
        "Diminta uang/biaya di muka",
        "Calon PMI tidak boleh dibebani biaya penempatan (UU 18/2017 Pasal 30); "
        "permintaan uang di muka atau potongan gaji adalah tanda penipuan.",
    ),
    "individual_recruiter": (
        "Perekrut perorangan, bukan perusahaan resmi",
        "Perorangan dilarang menempatkan PMI (UU 18/2017 Pasal 81); "
        "perekrutan resmi hanya lewat P3MI berizin, BP2MI/KP2MI, atau Disnaker.",
    ),
    "visit_visa": (
        "Berangkat pakai visa kunjungan/turis/ziarah",
        "PMI resmi berangkat dengan visa kerja; visa kunjungan, turis, umroh atau ziarah "
        "dipakai untuk penempatan ilegal.",
    ),
    "no_training_contract": (
        "Tanpa pelatihan/kontrak atau proses terlalu cepat",
        "Proses resmi mencakup pelatihan, cek kesehatan dan penandatanganan perjanjian kerja "
        "sebelum berangkat; proses kilat adalah tanda bahaya.",
    ),
    "pay_too_high": (
        "Gaji tidak wajar (terlalu tinggi)",
        "Gaji yang jauh di atas gaji umum untuk pekerjaan itu sering dipakai untuk memancing korban.",
    ),
    "lie_to_officials": (
        "Disuruh berbohong ke petugas / lewat jalur tidak resmi",
        "Disuruh mengaku liburan atau lewat jalur tikus berarti keberangkatan ilegal "
        "dan berisiko perdagangan orang.",
    ),
    "age_forgery": (
        "Pemalsuan umur atau dokumen",
        "Usia minimal PMI 18 tahun; memalsukan umur atau dokumen adalah tindak pidana "
        "dan tanda perdagangan orang.",
    ),
}
