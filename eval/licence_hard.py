#!/usr/bin/env python3
"""A hard, seeded evaluation of the agency licence check (no network).

    python eval/licence_hard.py [--seed N] [--keep DIR] [--misses]

Generates a fictional 2 000-agency registry (aktif, skorsing, dicabut, expired dates, registered
"twin" names that differ by one word, licence numbers in several shapes, invented Indonesian
company names) and 300+ chatty queries, each with its expected verdict, licence number and
imitated agency:

  sentence   names inside everyday questions (Indonesian slang, Malay, English)
  pt         "pe te X", "p.t X", "P T X", "pt.X" …, licensed, revoked and lookalike names
  multi      two or three agencies in one message: the least reassuring verdict, never licensed
             when one of them is not
  number     licence numbers in other shapes, one character off, borrowed by another name
  bare       names without "PT" in a sentence, in capitals, with a branch, with typos
  common     everyday sentences made of company-like words that must match nothing
  twin       a message naming exactly one of two registered names one word apart
  lookalike  a word added, dropped, swapped or moved, in a sentence

The templates are our own (not those of the shared development set). Both files are written to a
temporary directory; `helpdesk agencies import` and `helpdesk agencies check --jsonl` run against a
scratch SQLite database; the script prints accuracy per kind and the false-reassurance count
(queries answered `licensed` that must not be). Exit status 1 below --min accuracy or with any
false reassurance.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SEED = 20261130
N_AGENCIES = 2000
N_TWINS = 140
TODAY = date.today()  # the check judges expiry against the real day, so the registry does too

# Company-name words: common ones, and some no word list of the matcher knows.
VOCAB = """
Abadi Adikarya Agung Alam Amanah Amanat Andalan Aneka Anugerah Anugrah Arafah Arta Artha Asia Asri
Bahagia Bahari Bahtera Bakti Bangun Bangsa Barat Barokah Berkah Berlian Bersama Bestari Bhakti Bina
Bintang Buana Bumi Cahaya Cakra Cakrabuana Cakrawala Cemerlang Cipta Citra Daya Dharma Dinamika
Duta Dwi Eka Fajar Gading Galih Gemilang Global Graha Griya Guna Handal Harapan Harmoni Hasta
Hikmah Ikhlas Ilham Indah Indo Insan Intan Inti Jagat Jasa Jati Jaya Karsa Kartika Karya Kencana
Kerja Kharisma Kirana Kreasi Kurnia Kusuma Laksana Langgeng Lestari Lintas Madani Mahkota Maju
Makmur Mandala Mandiri Mapan Margatama Mayana Mega Mekar Melati Mentari Merdeka Mitra Mulia Multi
Murni Mustika Mutiara Nirwana Nusa Nusantara Nusindo Pandu Pelangi Pelita Perdana Perkasa Permata
Persada Pertiwi Pesona Pratama Prayoga Prima Pusaka Putra Putri Rahayu Rahmat Raya Rezeki Rinjani
Sakti Samudra Sarana Sejahtera Sejati Selaras Selatan Semesta Sentosa Sentral Setia Sinar Sinergi
Solusi Sriwijaya Sukses Sumber Surya Tama Tangguh Tenaga Terang Timur Tirta Trisakti Tunggal Utama
Utara Wahana Wibawa Widya Wijaya Wisesa Yudha Zamrud
""".split()
CITIES = ["Batam", "Tanjung Pinang", "Karimun", "Medan", "Pekanbaru", "Jakarta Timur", "Bekasi", "Semarang",
          "Surabaya", "Malang", "Mataram", "Kupang", "Cirebon", "Indramayu", "Lombok Timur", "Makassar"]
PROVINCES = ["Kepulauan Riau", "Sumatera Utara", "Riau", "DKI Jakarta", "Jawa Barat", "Jawa Tengah",
             "Jawa Timur", "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Sulawesi Selatan"]
COUNTRIES = ["Malaysia", "Singapura", "Brunei", "Hong Kong", "Taiwan", "Korea Selatan", "Jepang", "Arab Saudi",
             "Turki", "Polandia"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
SEVERITY = ("revoked", "suspended", "expired", "not_found", "ambiguous", "licensed")


# --------------------------------------------------------------------------- registry


@dataclass
class Ag:
    words: tuple[str, ...]
    licence: str
    status: str
    until: date
    twin_of: int | None = None  # index of the registered name one word away

    @property
    def name(self) -> str:
        return "PT " + " ".join(self.words)

    @property
    def verdict(self) -> str:
        if self.status == "dicabut":
            return "revoked"
        if self.status == "skorsing":
            return "suspended"
        return "licensed" if self.until >= TODAY else "expired"


def key(licence: str) -> str:
    """How the contract compares licence numbers (case, spaces, punctuation, a leading label)."""
    chunks = "".join(c if c.isalnum() else " " for c in licence.lower()).split()
    while len(chunks) > 1 and chunks[0] in ("no", "nomor", "sip3mi", "izin"):
        chunks.pop(0)
    return "".join("tahun" if c in ("thn", "th") else c for c in chunks)


def licence_number(rng: random.Random) -> str:
    shape = rng.choices(["kep", "hk", "kep-short", "pptkis", "tahun", "kep-letter"], [30, 30, 10, 10, 10, 10])[0]
    roman, year = rng.choice(ROMAN), rng.randint(2010, 2025)
    if shape == "kep":
        return f"KEP.{rng.randint(1, 999)}/MEN/{roman}/{year}"
    if shape == "hk":
        return f"{rng.randint(1, 9)}/{rng.randint(1000, 9999)}/HK.04.01/{roman}/{year}"
    if shape == "kep-short":
        return f"KEP.{rng.randint(1, 999)}/MEN/{year}"
    if shape == "pptkis":
        return f"B.{rng.randint(10, 999)}/PPTKIS/{roman}/{year}"
    if shape == "tahun":
        return f"No. {rng.randint(100, 9999)} Tahun {year}"
    return f"KEP.{rng.randint(1, 999)}{rng.choice('ABCD')}/MEN/{roman}/{year}"


def status_and_date(rng: random.Random) -> tuple[str, date]:
    status = rng.choices(["aktif", "skorsing", "dicabut"], [80, 8, 12])[0]
    if status == "aktif" and rng.random() < 0.15:
        return status, TODAY - timedelta(days=rng.randint(20, 1500))
    return status, TODAY + timedelta(days=rng.randint(30, 2500))


def mutate(words: tuple[str, ...], rng: random.Random, how: str) -> tuple[str, ...]:
    w = list(words)
    if how == "add":
        w.insert(rng.randrange(len(w) + 1), rng.choice([v for v in VOCAB if v not in w]))
    elif how == "drop" and len(w) >= 3:
        w.pop(rng.randrange(len(w)))
    elif how == "swap":
        i = rng.randrange(len(w))
        w[i] = rng.choice([v for v in VOCAB if v not in w])
    elif how == "reorder" and len(w) >= 2:
        while tuple(w) == words:
            rng.shuffle(w)
    return tuple(w)


def make_registry(rng: random.Random) -> list[Ag]:
    out: list[Ag] = []
    names: set[tuple[str, ...]] = set()
    keys: set[str] = set()

    def add(words: tuple[str, ...], twin_of: int | None = None) -> bool:
        if words in names or len(set(words)) < len(words):
            return False
        lic = licence_number(rng)
        while key(lic) in keys:
            lic = licence_number(rng)
        status, until = status_and_date(rng)
        names.add(words)
        keys.add(key(lic))
        out.append(Ag(words, lic, status, until, twin_of))
        return True

    while len(out) < N_AGENCIES - N_TWINS:
        add(tuple(rng.sample(VOCAB, rng.choices([2, 3, 4], [3, 5, 2])[0])))
    while len(out) < N_AGENCIES:  # registered twins: a second agency one word away from another
        base = rng.randrange(len(out))
        variant = mutate(out[base].words, rng, rng.choice(["add", "drop", "swap"]))
        if len(variant) >= 2 and add(variant, twin_of=base):
            out[base].twin_of = len(out) - 1
    rng.shuffle(out)  # twins are not neighbours in the file
    names_index = NameIndex([a.words for a in out])
    for a in out:
        near = names_index.one_word_away(a.words)
        a.twin_of = near[0] if near else None
    return out


class NameIndex:
    """Registered names by the shapes one whole word away: dropped, added, swapped, reordered."""

    def __init__(self, names: list[tuple[str, ...]]) -> None:
        self.names = names
        self.exact: dict[tuple[str, ...], int] = {}
        self.shorter: dict[tuple[str, ...], list[int]] = {}  # name minus one word -> names
        self.holes: dict[tuple[str, ...], list[int]] = {}  # name with one word replaced by "*"
        self.sorted: dict[tuple[str, ...], list[int]] = {}
        for i, n in enumerate(names):
            self.exact[n] = i
            self.sorted.setdefault(tuple(sorted(n)), []).append(i)
            for p in range(len(n)):
                self.shorter.setdefault(n[:p] + n[p + 1 :], []).append(i)
                self.holes.setdefault(n[:p] + ("*",) + n[p + 1 :], []).append(i)

    def one_word_away(self, words: tuple[str, ...]) -> list[int]:
        """Registered names one word added, dropped, swapped or moved away (not the name itself)."""
        found: set[int] = set(self.shorter.get(words, ()))  # a registered name has one word more
        for p in range(len(words)):
            drop = words[:p] + words[p + 1 :]
            if drop in self.exact:
                found.add(self.exact[drop])
            found.update(self.holes.get(words[:p] + ("*",) + words[p + 1 :], ()))
        found.update(self.sorted.get(tuple(sorted(words)), ()))
        found.discard(self.exact.get(words, -1))
        return sorted(found)


def write_registry(agencies: list[Ag], path: Path, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["nama", "nomor_izin", "status", "berlaku_sampai", "alamat", "provinsi", "negara_tujuan"])
        for a in agencies:
            w.writerow([a.name, a.licence, a.status, a.until.isoformat(),
                        f"Jl. {rng.choice(VOCAB)} No. {rng.randint(1, 250)}, {rng.choice(CITIES)}",
                        rng.choice(PROVINCES), ";".join(rng.sample(COUNTRIES, rng.randint(0, 3)))])


# --------------------------------------------------------------------------- queries


@dataclass
class Q:
    query: str
    kind: str
    verdict: str
    licence: str | None
    lookalike: str | None = None


SENTENCES_ID = [
    "min mau nanya, {n} itu masih boleh rekrut gak ya?",
    "sodara sy berangkat lewat {n}, aman kan kak?",
    "barusan ditawarin kerja sama {n}, ada yg tau legal gak",
    "{n} tuh beneran punya izin ato cuma ngaku2?",
    "bang {n} yg kantornya di {city} itu resmi kah",
    "gmn status {n} skrg? kemaren katanya dibekukan",
    "kalo daftar lewat {n} bayar brp ya? resmi ga sih",
    "kak izinnya {n} udah diperpanjang blm ya",
    "temen sy ditawarin ke taiwan sama {n}, itu bodong bukan?",
    "tlg cekin {n} dong min, mau berangkat bulan depan",
    "ada yg pernah lewat {n}? izinnya msh jalan gk",
    "{n} minta dp 5 jt, resmi gak tuh?",
    "suami sy mau ke malaysia via {n}, itu terdaftar kan?",
    "{n} beneran p3mi resmi apa calo doang",
    "permisi, {n} statusnya masih aktif?",
    "mau tanya dong {n} bisa dipercaya ga",
    "adek sy dijanjiin kerja pabrik sama {n} legal kah?",
    "Assalamualaikum min, {n} itu agen resmi bukan ya?",
]
SENTENCES_MY = [
    "adakah syarikat {n} ni berdaftar?",
    "ejen {n} tu sah ke tak?",
    "boleh semak lesen {n}?",
    "saya nak kerja melalui {n}, betul ke dia berlesen?",
    "kawan saya bayar yuran kat {n}, syarikat ni sah ke?",
    "tolong semak {n} ni, ada permit ke tak",
]
SENTENCES_EN = [
    "is {n} a licensed agency?",
    "can you check {n} for me, my cousin wants to apply",
    "my sister paid a fee to {n}, are they legit?",
    "what is the status of {n}?",
    "hi, is {n} still registered? they want 3 million deposit",
    "Is {n} allowed to recruit workers for Hong Kong?",
]
LOOKALIKE_SENTENCES = [
    "ada yg tau {n} legal gak? mau ke korea",
    "my aunt got a job offer from {n}, is it real?",
    "apakah benar {n} punya izin dari pemerintah",
    "{n} ni ejen berdaftar ke?",
    "kak {n} yg buka lowongan di fb itu aman?",
]
PT_FORMS = ["pe te {w}", "p.t {w}", "P T {w}", "pt.{w}", "P.T {w}", "Pe Te {w}", "pe.te {w}", "p t {w}", "PT.{w}"]
PT_TEMPLATES = ["{n}", "{n} resmi gk", "cek {n} dong", "sy mau daftar di {n}, aman?", "{n} msh ada izinnya?",
                "is {n} legit?", "{n} ni sah ke"]
MULTI_TEMPLATES = [
    "{a} sama {b} mana yg resmi?",
    "mending {a} atau {b} ya? dua2nya terdaftar gak",
    "is {a} or {b} licensed?",
    "between {a} and {b}, which one is legit?",
    "ejen {a} dengan {b}, yang mana berdaftar?",
    "bandingin {a} vs {b} dong min",
    "{a}, {b} — dua2nya punya izin?",
    "td ditawarin {a}, trs ada jg {b}. aman gak keduanya?",
    "cek {a} dan {b} ya kak",
]
MULTI3_TEMPLATES = ["cek {a}, {b} dan {c} min", "{a} / {b} / {c} mana yg masih aktif?"]
NUMBER_TEMPLATES = ["{x}", "no izin {x} masih aktif ga?", "is licence {x} valid?", "lesen {x} ni sah ke?",
                    "nomor {x} punya siapa ya", "cek nomor izin: {x}"]
BORROWED_TEMPLATES = ["{n} no izin {x}", "{n} katanya izinnya {x}, bener?", "agency {n} licence number {x} legit?",
                      "{n} (izin {x}) resmi gak"]
BARE_TEMPLATES = [
    "status agensi {n} gimana", "{n} kantor cabang {city} resmi?", "{n} cabang {city} ada izinnya?",
    "cek izin {n} cabang {city}", "agensinya namanya {n}, legal?", "ejen {n} berdaftar ke",
    "the agency {n} is it registered?", "katanya {n} udh dicabut izinnya ya",
]
CAPS_TEMPLATES = ["{n} RESMI GA MIN??", "TOLONG CEK {n}", "{n} CABANG {city} TERDAFTAR?", "IS {n} LICENSED"]
TYPO_TEMPLATES = ["{n} resmi gk?", "izin {n} masih aktif?", "cek agen {n}", "Is {n} legit", "{n}"]
COMMON = [
    "semoga sukses bersama keluarga ya min", "mau kerja ke luar negeri yang aman dan resmi gimana caranya?",
    "harapan saya bisa kerja di taiwan, cara daftar yg resmi gmn?", "apa syarat jadi pmi ke malaysia?",
    "agensi yang resmi itu ciri2nya apa aja?", "cahaya mentari pagi ini indah sekali", "maju terus pantang mundur",
    "bagaimana cara tahu perusahaan penempatan itu legal", "is it safe to work in taiwan through an agency?",
    "macam mana nak tahu ejen tu berdaftar?", "saya cari kerja yang halal dan berkah",
    "kerja sama majikan baru lancar kok", "gaji di malaysia berapa ya sekarang", "tolong bantu cek izin agen saya",
    "semoga sehat selalu dan rezeki lancar", "mitra kerja saya orangnya jujur",
]
TWIN_TEMPLATES = ["{n}", "{n} resmi gak ya?", "is {n} licensed?", "cek izin {n} min", "{n} ni berdaftar ke?"]


class Maker:
    """Draws agencies by verdict and writes them as people do."""

    def __init__(self, agencies: list[Ag], rng: random.Random) -> None:
        self.ags = agencies
        self.rng = rng
        self.by_words = {a.words: i for i, a in enumerate(agencies)}
        self.names = NameIndex([a.words for a in agencies])
        self.by_verdict: dict[str, list[Ag]] = {}
        for a in agencies:
            self.by_verdict.setdefault(a.verdict, []).append(a)
        self.lower_vocab = {v.lower() for v in VOCAB}

    def pick(self, verdict: str | None = None, plain: bool = True) -> Ag:
        pool = self.by_verdict[verdict] if verdict else self.ags
        while True:
            a = self.rng.choice(pool)
            if not plain or a.twin_of is None:
                return a

    def verdict(self) -> str:
        return self.rng.choices(["licensed", "revoked", "suspended", "expired"], [50, 20, 15, 15])[0]

    def written(self, words: tuple[str, ...], pt: bool | None = None, case: str | None = None) -> str:
        pt = self.rng.random() < 0.6 if pt is None else pt
        case = case or self.rng.choices(["title", "lower", "upper"], [70, 25, 5])[0]
        text = ("PT " if pt else "") + " ".join(words)
        return {"title": text, "lower": text.lower(), "upper": text.upper()}[case]

    def lookalike(self) -> tuple[tuple[str, ...], Ag] | None:
        """A name one word away from exactly one registered name, and that agency."""
        a = self.pick(plain=False)
        variant = mutate(a.words, self.rng, self.rng.choice(["add", "drop", "swap", "reorder"]))
        if len(variant) < 2 or variant in self.by_words or len(set(variant)) < len(variant):
            return None
        if self.names.one_word_away(variant) != [self.by_words[a.words]]:
            return None  # another registered name is as close: the imitated one is unclear
        return variant, a

    def unregistered(self) -> tuple[str, ...]:
        while True:
            words = tuple(self.rng.sample(VOCAB, self.rng.choice([2, 3])))
            if not self.names.one_word_away(words) and words not in self.by_words:
                return words

    def typo(self, words: tuple[str, ...]) -> tuple[str, ...] | None:
        long = [i for i, w in enumerate(words) if len(w) >= 6]
        if not long:
            return None
        i = self.rng.choice(long)
        w = words[i].lower()
        p = self.rng.randrange(1, len(w) - 1)
        op = self.rng.choice(["sub", "del", "ins", "swap"])
        c = self.rng.choice("abdegiklmnoprstuy")
        t = {"sub": w[:p] + c + w[p + 1 :], "del": w[:p] + w[p + 1 :], "ins": w[:p] + c + w[p:],
             "swap": w[:p] + w[p + 1] + w[p] + w[p + 2 :]}[op]
        if t == w or any(edit_distance(t, v) <= 1 for v in self.lower_vocab if v != w):
            return None
        return words[:i] + (t.capitalize(),) + words[i + 1 :]


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (small words only)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def fill(template: str, rng: random.Random, **slots: str) -> str:
    return template.format(city=rng.choice(CITIES), **slots)


def sentence_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    out: list[Q] = []
    templates = SENTENCES_ID * 2 + SENTENCES_MY + SENTENCES_EN
    while len(out) < n:
        a = m.pick(m.verdict())
        out.append(Q(fill(rng.choice(templates), rng, n=m.written(a.words)), "sentence", a.verdict, a.licence))
    return out


def lookalike_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    out: list[Q] = []
    while len(out) < n:
        found = m.lookalike()
        if found is None:
            continue
        words, a = found
        text = fill(rng.choice(LOOKALIKE_SENTENCES + PT_TEMPLATES), rng, n=m.written(words, pt=True))
        out.append(Q(text, "lookalike", "not_found", None, a.licence))
    return out


def pt_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    out: list[Q] = []
    while len(out) < n:
        form = rng.choice(PT_FORMS)
        if rng.random() < 0.25:
            found = m.lookalike()
            if found is None:
                continue
            words, a = found
            name = form.format(w=" ".join(words).lower() if rng.random() < 0.5 else " ".join(words))
            out.append(Q(fill(rng.choice(PT_TEMPLATES), rng, n=name), "pt", "not_found", None, a.licence))
            continue
        a = m.pick(m.verdict())
        name = form.format(w=" ".join(a.words).lower() if rng.random() < 0.5 else " ".join(a.words))
        out.append(Q(fill(rng.choice(PT_TEMPLATES), rng, n=name), "pt", a.verdict, a.licence))
    return out


Part = tuple[str, str, str | None, str | None]  # written name, verdict, licence, imitated licence


def multi_part(m: Maker, rng: random.Random, want: str) -> Part | None:
    if want == "unregistered":
        return m.written(m.unregistered(), pt=True), "not_found", None, None
    if want == "lookalike":
        found = m.lookalike()
        if found is None:
            return None
        words, a = found
        return m.written(words, pt=True), "not_found", None, a.licence
    a = m.pick(want)
    return m.written(a.words), a.verdict, a.licence, None


def multi_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    combos = [("licensed", "revoked"), ("revoked", "licensed"), ("licensed", "suspended"), ("licensed", "expired"),
              ("licensed", "unregistered"), ("unregistered", "licensed"), ("licensed", "lookalike"),
              ("licensed", "licensed"), ("suspended", "revoked"), ("expired", "licensed")]
    out: list[Q] = []
    while len(out) < n:
        three = len(out) % 8 == 7
        wants = list(rng.choice(combos)) + (["licensed"] if three else [])
        parts = [multi_part(m, rng, w) for w in wants]
        if any(p is None for p in parts) or len({p[0].lower() for p in parts if p}) < len(parts):
            continue
        ps = [p for p in parts if p is not None]
        worst = min(ps, key=lambda p: SEVERITY.index(p[1]))  # first of the least reassuring
        slots = {k: p[0] for k, p in zip("abc", ps, strict=False)}
        text = fill(rng.choice(MULTI3_TEMPLATES if three else MULTI_TEMPLATES), rng, **slots)
        look = next((p[3] for p in ps if p[1] == worst[1] and p[3]), None)
        out.append(Q(text, "multi", worst[1], worst[2], look if worst[1] == "not_found" else None))
    return out


def respell(licence: str, rng: random.Random) -> str:
    """The same licence number as a person might type it."""
    forms: list[Callable[[str], str]] = [
        lambda s: s.lower(),
        lambda s: s.replace("/", " / "),
        lambda s: s.replace("/", " ").replace(".", " "),
        lambda s: s.replace("/", "-"),
        lambda s: s.replace("Tahun", "thn").replace("No. ", "no. "),
        lambda s: s.replace("No. ", "nomor ").replace("Tahun", "th"),
        lambda s: s if "HK" not in s else "SIP3MI " + s,
        lambda s: s.replace("HK.04.01", "HK 04 01"),
    ]
    return rng.choice(forms)(licence)


def one_off(licence: str, rng: random.Random) -> str:
    chars = list(licence)
    spots = [i for i, c in enumerate(chars) if c.isdigit() or c in "ABCD"]
    i = rng.choice(spots)
    chars[i] = rng.choice([d for d in ("0123456789" if chars[i].isdigit() else "ABCD") if d != chars[i]])
    return "".join(chars)


def number_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    keys = {key(a.licence) for a in m.ags}
    out: list[Q] = []
    while len(out) < n:
        a = m.pick(m.verdict(), plain=False)
        kind = rng.choices(["shape", "off", "borrowed", "own"], [55, 20, 15, 10])[0]
        if kind == "shape":
            text = fill(rng.choice(NUMBER_TEMPLATES), rng, x=respell(a.licence, rng))
            out.append(Q(text, "number", a.verdict, a.licence))
        elif kind == "off":
            off = one_off(a.licence, rng)
            if key(off) in keys:
                continue
            out.append(Q(fill(rng.choice(NUMBER_TEMPLATES), rng, x=off), "number", "not_found", None))
        elif kind == "borrowed":
            other = m.unregistered() if rng.random() < 0.5 else m.pick().words
            if other == a.words:
                continue
            text = fill(rng.choice(BORROWED_TEMPLATES), rng, n=m.written(other, pt=True), x=a.licence)
            out.append(Q(text, "number", "not_found", None))
        else:
            text = fill(rng.choice(BORROWED_TEMPLATES), rng, n=m.written(a.words, pt=True), x=respell(a.licence, rng))
            out.append(Q(text, "number", a.verdict, a.licence))
    return out


def bare_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    out: list[Q] = []
    while len(out) < n:
        a = m.pick(m.verdict())
        style = rng.choice(["sentence", "caps", "typo"])
        if style == "sentence":
            name = m.written(a.words, pt=False, case=rng.choice(["title", "lower"]))
            text = fill(rng.choice(BARE_TEMPLATES), rng, n=name)
        elif style == "caps":
            text = fill(rng.choice(CAPS_TEMPLATES), rng, n=m.written(a.words, pt=rng.random() < 0.3, case="upper"))
            text = text.upper()
        else:
            typo = m.typo(a.words)
            if typo is None:
                continue
            name = m.written(typo, pt=False, case=rng.choice(["title", "lower"]))
            text = fill(rng.choice(TYPO_TEMPLATES), rng, n=name)
        out.append(Q(text, "bare", a.verdict, a.licence))
    return out


def common_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    out = [Q(s, "common", "not_found", None) for s in COMMON]
    while len(out) < n:  # company words strung into chat, with no agency named
        w1, w2 = rng.sample([v.lower() for v in VOCAB], 2)
        text = rng.choice(["semoga {a} dan {b} selalu ya", "kata ibu hidup harus {a}, jangan lupa {b}",
                           "hari ini {a} sekali, besok {b}"]).format(a=w1, b=w2)
        out.append(Q(text, "common", "not_found", None))
    return out


def twin_queries(m: Maker, rng: random.Random, n: int) -> list[Q]:
    twins = [a for a in m.ags if a.twin_of is not None]
    out: list[Q] = []
    while len(out) < n:
        a = rng.choice(twins)
        out.append(Q(fill(rng.choice(TWIN_TEMPLATES), rng, n=m.written(a.words)), "twin", a.verdict, a.licence))
    return out


def make_queries(agencies: list[Ag], rng: random.Random) -> list[Q]:
    m = Maker(agencies, rng)
    return (sentence_queries(m, rng, 60) + lookalike_queries(m, rng, 25) + pt_queries(m, rng, 40)
            + multi_queries(m, rng, 50) + number_queries(m, rng, 55) + bare_queries(m, rng, 50)
            + common_queries(m, rng, 25) + twin_queries(m, rng, 30))


# --------------------------------------------------------------------------- running and scoring


def helpdesk() -> str:
    beside = Path(sys.executable).with_name("helpdesk")
    return str(beside) if beside.exists() else "helpdesk"


def run(registry: Path, queries: list[Q], workdir: Path) -> tuple[dict[str, dict], float]:
    env = dict(os.environ, HELPDESK_DATABASE_URL=f"sqlite:///{workdir / 'scratch.db'}")
    p = subprocess.run([helpdesk(), "agencies", "import", str(registry)], capture_output=True, text=True, env=env,
                       timeout=600)
    if p.returncode != 0:
        sys.exit(f"helpdesk agencies import exited {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    lines = "".join(json.dumps({"id": f"h{i:03d}", "query": q.query}, ensure_ascii=False) + "\n"
                    for i, q in enumerate(queries))
    t0 = time.perf_counter()
    p = subprocess.run([helpdesk(), "agencies", "check", "--jsonl"], input=lines, capture_output=True, text=True,
                       env=env, timeout=600)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"helpdesk agencies check exited {p.returncode}:\n{p.stderr[-2000:]}")
    out = {o["id"]: o for o in (json.loads(line) for line in p.stdout.splitlines() if line.strip())}
    return out, elapsed


def correct(q: Q, o: dict | None) -> bool:
    if o is None:
        return False
    if q.verdict == "not_found":
        if o["verdict"] != "not_found":
            return False
        return q.lookalike is None or (o.get("lookalike_of") or {}).get("licence_no") == q.lookalike
    top = (o.get("matches") or [{}])[0]
    return o["verdict"] == q.verdict and top.get("licence_no") == q.licence


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--keep", help="also copy the registry and the labelled queries to this directory")
    ap.add_argument("--misses", action="store_true", help="print every query answered wrongly")
    ap.add_argument("--min", type=float, default=0.97, help="minimum accuracy (default 0.97)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    agencies = make_registry(rng)
    queries = make_queries(agencies, rng)
    with tempfile.TemporaryDirectory(prefix="licence-hard-") as tmp:
        work = Path(tmp)
        registry = work / "registry.csv"
        write_registry(agencies, registry, rng)
        labelled = work / "queries.jsonl"
        labelled.write_text("".join(json.dumps({"id": f"h{i:03d}", "query": q.query, "kind": q.kind,
                                                "expect_verdict": q.verdict, "expect_licence_no": q.licence,
                                                "expect_lookalike_of": q.lookalike}, ensure_ascii=False) + "\n"
                                    for i, q in enumerate(queries)), encoding="utf-8")
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(registry, args.keep)
            shutil.copy(labelled, args.keep)
        answers, elapsed = run(registry, queries, work)
    per_kind: dict[str, list[int]] = {}
    reassured = 0
    for i, q in enumerate(queries):
        o = answers.get(f"h{i:03d}")
        good = correct(q, o)
        if o is not None and q.verdict != "licensed" and o["verdict"] == "licensed":
            reassured += 1
            good = False
        row = per_kind.setdefault(q.kind, [0, 0])
        row[0] += good
        row[1] += 1
        if not good and args.misses:
            got = o and (o["verdict"], [x["name"] for x in o.get("matches", [])][:3],
                         (o.get("lookalike_of") or {}).get("name"))
            print(f"  miss [{q.kind}] {q.query!r}: want {q.verdict} {q.licence or ''} "
                  f"{'like ' + q.lookalike if q.lookalike else ''} got {got}")
    total = sum(r[0] for r in per_kind.values())
    for kind, (right, count) in sorted(per_kind.items()):
        print(f"{kind:10s} {right:3d}/{count:3d}  {right / count:.3f}")
    accuracy = total / len(queries)
    print(f"{len(agencies)} agencies, {len(queries)} queries; check {1000 * elapsed / len(queries):.1f} ms/query "
          f"incl. start-up")
    print(f"accuracy {accuracy:.3f} (min {args.min})  false reassurance {reassured} (max 0)")
    return 0 if accuracy >= args.min and reassured == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
