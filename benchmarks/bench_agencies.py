"""Benchmark (and self-check) of the agency lookup on synthetic registries.

    python benchmarks/bench_agencies.py [--sizes 3000,100000] [--queries 2000]

Builds fictional registries (fixed seed, realistic Indonesian company-name vocabulary), times
`AgencyIndex` construction, then times `check` over a labelled mixed query set (exact names,
filler sentences, typos, lookalikes, licence numbers, numbers one character off, unknown names)
and prints p50/p90/p99/max latency, accuracy per kind and the false-reassurance count
(queries that must not be `licensed` but were). Targets: p99 <= 5 ms at 3 000 agencies,
<= 30 ms at 100 000; build of 100 000 well under 15 s; false reassurance 0.

A second, separate set checks chat at scale (its latency is reported apart, so the first set's
figures stay comparable between versions): names inside questions, "pe te"/"P.T" spellings, two
agencies in one message (the least reassuring verdict), labelled numbers and borrowed numbers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.agencies import Agency, AgencyIndex, verdict_for

SEED = 20261127
TODAY = date(2026, 11, 27)

# Words seen in Indonesian company names, including some the matcher's own word list lacks,
# so the benchmark also shows whether the rules generalise beyond that list.
VOCAB = """
Abadi Adhi Adikarya Agung Alam Amanah Amanat Andalan Aneka Anugerah Arafah Arta Artha Asia Asri
Bahagia Bahari Bahtera Bakti Bangun Bangsa Barat Barokah Berkah Berlian Bersama Bestari Bhakti
Bina Bintang Borneo Buana Bumi Cahaya Cakra Cakrawala Cemerlang Cipta Citra Darma Daya Dharma
Dinamika Duta Dwi Eka Fajar Gading Galih Gemilang Gilang Global Graha Griya Guna Handal Harapan
Harmoni Hasta Hikmah Ikhlas Ilham Indah Indo Insan Intan Inti Jagat Jasa Jati Jaya Kamila Karsa
Kartika Karya Kencana Kerja Kharisma Kirana Kreasi Kurnia Kusuma Laksana Langgeng Lestari Lintas
Madani Mahkota Maju Makmur Mandiri Mapan Margatama Mayana Mega Mekar Melati Mentari Merdeka Mitra
Mulia Multi Murni Mustika Mutiara Nirwana Nusa Nusantara Pandu Pelangi Pelita Perdana Perkasa
Permata Persada Pesona Pratama Prima Pusaka Putra Putri Rahayu Rahmat Raya Rezeki Rinjani Sakti
Samudra Sarana Sejahtera Sejati Selaras Selatan Semesta Sentosa Sentral Setia Sinar Sinergi
Solusi Sukses Sumber Surya Tama Tangguh Tenaga Terang Timur Tirta Tunggal Utama Utara Wahana
Wibawa Widya Wijaya Wisesa Yudha Zamrud
""".split()
CITIES = ["Jakarta Timur", "Bekasi", "Tangerang", "Semarang", "Surabaya", "Malang", "Medan", "Batam",
          "Mataram", "Kupang", "Pekanbaru", "Bandar Lampung", "Cirebon", "Indramayu"]
PROVINCES = ["DKI Jakarta", "Jawa Barat", "Banten", "Jawa Tengah", "Jawa Timur", "Sumatera Utara",
             "Kepulauan Riau", "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Riau", "Lampung"]
COUNTRIES = ["Malaysia", "Singapura", "Brunei", "Hong Kong", "Taiwan", "Korea Selatan", "Jepang",
             "Arab Saudi", "Turki", "Polandia"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
CHAT = ["kak izin PT {} udah dicabut blm?", "biaya daftar di {} brp ya, resmi kan?", "status agensi {} gimana",
        "ejen {} ni berdaftar ke?", "is {} a licensed agency?"]
PT_SPELLINGS = ["pe te {}", "p.t {}", "P T {}", "pt.{}"]
PAIRS = ["{} sama {} mana yg resmi?", "is {} or {} licensed?"]
SEVERITY = ("revoked", "suspended", "expired", "not_found", "ambiguous", "licensed")
SENTENCES = ["agen sy PT {} aman ga", "apakah PT {} resmi?", "perusahaan {} legal?",
             "tolong cek izin {}", "PT {} di {city}", "{} masih punya izin?", "{} terdaftar di BP2MI?",
             "cek PT. {}", "min, PT {} {city} itu resmi gak?"]


@dataclass
class Query:
    text: str
    kind: str
    expect: str  # a verdict
    licence_no: str | None  # the agency it must resolve to (or imitates, for lookalikes)


def make_registry(n: int, seed: int = SEED) -> list[Agency]:
    rng = random.Random(seed)
    names: set[tuple[str, ...]] = set()
    licences: set[str] = set()
    out: list[Agency] = []
    while len(out) < n:
        k = rng.choices([2, 3, 4], weights=[3, 5, 2])[0]
        words = tuple(rng.sample(VOCAB, k))
        if words in names:
            continue
        if rng.random() < 0.5:
            lic = f"KEP.{rng.randint(1, 999)}/MEN/{rng.choice(ROMAN)}/{rng.randint(2010, 2019)}"
        else:
            number, roman, year = rng.randint(1000, 9999), rng.choice(ROMAN), rng.randint(2020, 2025)
            lic = f"{rng.randint(1, 9)}/{number}/HK.04.01/{roman}/{year}"
        if lic in licences:
            continue
        names.add(words)
        licences.add(lic)
        status = rng.choices(["aktif", "skorsing", "dicabut"], weights=[82, 6, 12])[0]
        city = rng.choice(CITIES)
        out.append(Agency(
            name="PT " + " ".join(words), licence_no=lic, status=status,
            valid_until=TODAY + timedelta(days=rng.randint(-900, 1900)),
            address=f"Jl. {rng.choice(VOCAB)} No. {rng.randint(1, 200)}, {city}",
            province=rng.choice(PROVINCES), countries=tuple(rng.sample(COUNTRIES, rng.randint(1, 3))),
        ))
    return out


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(["sub", "del", "ins", "swap"])
    c = rng.choice("abcdefghijklmnoprstuwy")
    if op == "sub":
        return word[:i] + c + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "ins":
        return word[:i] + c + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def make_queries(agencies: list[Agency], n: int, seed: int = SEED + 1) -> list[Query]:
    rng = random.Random(seed)
    registered = {tuple(a.name.lower().split()[1:]) for a in agencies}
    licences = {a.licence_no.lower() for a in agencies}
    lower_vocab = {w.lower() for w in VOCAB}
    out: list[Query] = []

    def new_name(words: list[str]) -> bool:
        return tuple(w.lower() for w in words) not in registered

    while len(out) < n:
        a = rng.choice(agencies)
        words = a.name.split()[1:]
        want = verdict_for(a, TODAY)
        kind = rng.choice(["exact", "sentence", "typo", "add", "drop", "swap", "reorder",
                           "number", "number-off", "unknown"])
        if kind == "exact":
            form = rng.choice(["PT {}", "PT. {}", "PT.{}", "{}", "pt {}"])
            text = form.format(" ".join(words))
            out.append(Query(text.upper() if rng.random() < 0.2 else text, kind, want, a.licence_no))
        elif kind == "sentence":
            out.append(Query(rng.choice(SENTENCES).format(" ".join(words), city=rng.choice(CITIES)),
                             kind, want, a.licence_no))
        elif kind == "typo":
            long = [i for i, w in enumerate(words) if len(w) >= 5]
            if not long:
                continue
            i = rng.choice(long)
            typo = _typo(words[i].lower(), rng)
            if typo in lower_vocab:
                continue  # a real word: that is a swap, not a typo
            out.append(Query(" ".join(words[:i] + [typo] + words[i + 1:]), kind, want, a.licence_no))
        elif kind in ("add", "drop", "swap", "reorder"):
            w = list(words)
            if kind == "add":
                w.insert(rng.randrange(len(w) + 1), rng.choice(VOCAB))
            elif kind == "drop":
                if len(w) < 3:
                    continue
                w.pop(rng.randrange(len(w)))
            elif kind == "swap":
                w[rng.randrange(len(w))] = rng.choice(VOCAB)
            else:
                rng.shuffle(w)
            if not new_name(w) or len(set(w)) < len(w):
                continue
            out.append(Query("PT " + " ".join(w), "lookalike-" + kind, "not_found", a.licence_no))
        elif kind == "number":
            lic = a.licence_no
            form = rng.choice([lambda s: s, lambda s: s.lower(), lambda s: s.replace("/", " / "),
                               lambda s: s.replace("/", "-"), lambda s: "no izin " + s,
                               lambda s: s.replace("/", " ").replace("HK.04.01", "HK 04 01")])
            out.append(Query(form(lic), kind, want, lic))
        elif kind == "number-off":
            lic = list(a.licence_no)
            digits = [i for i, c in enumerate(lic) if c.isdigit()]
            i = rng.choice(digits)
            lic[i] = rng.choice([d for d in "0123456789" if d != lic[i]])
            off = "".join(lic)
            if off.lower() in licences:
                continue
            out.append(Query(off, kind, "not_found", None))
        else:
            w = rng.sample(VOCAB, rng.choice([2, 3]))
            if not new_name(w):
                continue
            out.append(Query("PT " + " ".join(w), kind, "not_found", None))
    return out


def make_chatty_queries(agencies: list[Agency], n: int, seed: int = SEED + 2) -> list[Query]:
    rng = random.Random(seed)
    out: list[Query] = []
    while len(out) < n:
        a, b = rng.sample(agencies, 2)
        name, want = " ".join(a.name.split()[1:]), verdict_for(a, TODAY)
        kind = rng.choice(["chat-sentence", "pt-spelling", "multi", "number-label", "borrowed"])
        if kind == "chat-sentence":
            out.append(Query(rng.choice(CHAT).format(name), kind, want, a.licence_no))
        elif kind == "pt-spelling":
            out.append(Query(rng.choice(PT_SPELLINGS).format(name) + " resmi gk?", kind, want, a.licence_no))
        elif kind == "multi":
            worst = min((a, b), key=lambda x: SEVERITY.index(verdict_for(x, TODAY)))
            text = rng.choice(PAIRS).format(a.name, b.name)
            out.append(Query(text, kind, verdict_for(worst, TODAY), worst.licence_no))
        elif kind == "number-label":
            out.append(Query(rng.choice(["SIP3MI {}", "no. izin {} masih aktif?"]).format(a.licence_no), kind, want,
                             a.licence_no))
        else:
            out.append(Query(f"{b.name} izin {a.licence_no} resmi?", kind, "not_found", None))
    return out


def evaluate(index: AgencyIndex, queries: list[Query]) -> tuple[list[float], dict[str, list[int]], int]:
    """Latencies (ms), per kind [verdict right, imitated agency named, total], false reassurances."""
    lat: list[float] = []
    per: dict[str, list[int]] = {}
    reassure = 0
    for q in queries:
        t0 = time.perf_counter()
        r = index.check(q.text, TODAY)
        lat.append((time.perf_counter() - t0) * 1000)
        top = r.matches[0].agency.licence_no if r.matches else None
        if q.expect == "not_found":
            ok = r.verdict == "not_found"
        else:
            ok = r.verdict == q.expect and top == q.licence_no
        named = bool(r.lookalike_of and r.lookalike_of.agency.licence_no == q.licence_no)
        if r.verdict == "licensed" and q.expect != "licensed":
            reassure += 1
        row = per.setdefault(q.kind, [0, 0, 0])
        row[0] += ok
        row[1] += named
        row[2] += 1
    return lat, per, reassure


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="3000,100000")
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        t0 = time.perf_counter()
        agencies = make_registry(n)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = AgencyIndex(agencies)
        t_build = time.perf_counter() - t0
        queries = make_queries(agencies, args.queries)
        index.check("PT Pemanasan Awal", TODAY)  # first-call overheads are not query latency
        lat, per, reassure = evaluate(index, queries)
        ok = sum(v[0] for v in per.values())
        print(f"\n== {n:,} agencies (generated in {t_gen:.1f}s) ==")
        print(f"AgencyIndex build: {t_build:.2f} s")
        print(f"check latency over {len(lat)} queries: p50 {pct(lat, 50):.3f} ms  p90 {pct(lat, 90):.3f} ms  "
              f"p99 {pct(lat, 99):.3f} ms  max {max(lat):.3f} ms  mean {statistics.fmean(lat):.3f} ms")
        for kind, (good, named, total) in sorted(per.items()):
            extra = f"  (lookalike_of = imitated agency {named}/{total})" if kind.startswith("lookalike") else ""
            print(f"  {kind:18s} {good}/{total}{extra}")
        print(f"accuracy {ok / len(queries):.3f}  false reassurance {reassure}")
        chatty = make_chatty_queries(agencies, max(200, args.queries // 4))
        lat, per, reassure = evaluate(index, chatty)
        ok = sum(v[0] for v in per.values())
        print(f"chat set, {len(lat)} queries: p50 {pct(lat, 50):.3f} ms  p99 {pct(lat, 99):.3f} ms  "
              f"max {max(lat):.3f} ms")
        for kind, (good, _, total) in sorted(per.items()):
            print(f"  {kind:18s} {good}/{total}")
        print(f"accuracy {ok / len(chatty):.3f}  false reassurance {reassure}")


if __name__ == "__main__":
    main()
