"""classify: latency per message on the shipped KB and on a 10x synthetic KB; start-up to first answer.

The synthetic KB repeats every entry ten times with its phrasings reworded (word order and
synonyms shuffled under a fixed seed), so the index holds 10x the documents and postings.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import percentile, report  # noqa: E402

QUERIES = [
    "gmn cara kerja ke malaysia yg resmi?", "syarat jd TKW apa aja", "berapa biaya penempatan ke taiwan",
    "paspor sy ditahan majikan", "apa itu tppo", "nomor kbri kuala lumpur", "cek PT Contoh Sinar Jaya",
    "halo", "resep rendang padang", "bolehkah kerja pakai visa turis", "gaji saya tidak dibayar 3 bulan",
    "bagaimana cara klaim bpjs ketenagakerjaan", "tolong saya dikunci majikan", "petugas dong",
    "lowongan kerja ke jepang yang resmi dimana", "anak saya di hongkong tidak bisa dihubungi",
]


def synthetic_kb(kb, factor: int = 10):  # type: ignore[no-untyped-def]
    from knowledge.kb import KnowledgeBase

    rnd = random.Random(7)
    entries = []
    def shuffle(text: str, copy: int) -> str:
        words = text.split()
        rnd.shuffle(words)
        return " ".join(words + [f"varian{copy}"])

    for copy in range(factor):
        for e in kb.entries:
            entries.append(dataclasses.replace(
                e, id=f"{e.id}-{copy}", phrasings=tuple(shuffle(p, copy) for p in e.phrasings), related=()))
    return KnowledgeBase(kb.topics, tuple(entries))


def run() -> dict[str, float]:
    from bot.service import build_context
    from bot.settings import load_settings
    from flows.router import classify
    from knowledge.faq_index import FaqIndex

    ctx = build_context(load_settings(ROOT / "config.yaml", env={}))
    queries = QUERIES * 40
    results = {}
    for label, index in (("shipped KB", ctx.index), ("10x synthetic KB", None)):
        if index is None:
            big = synthetic_kb(ctx.kb)
            t = time.perf_counter()
            index = FaqIndex(big)
            build = (time.perf_counter() - t) * 1000
            label += f" ({len(big.entries)} entries, index built in {build:.0f} ms)"
        c = dataclasses.replace(ctx, index=index)
        for q in QUERIES:  # warm the stem cache, as a running service would be
            classify(q, c)
        ms = []
        t_all = time.perf_counter()
        for q in queries:
            t = time.perf_counter()
            classify(q, c)
            ms.append((time.perf_counter() - t) * 1000)
        rate = len(queries) / (time.perf_counter() - t_all)
        report(f"classify, {label}", ms, f"{rate:,.0f} msg/s")
        results[label.split(" (")[0]] = percentile(ms, 99)
    return results


def first_answer_seconds() -> float:
    """A fresh `helpdesk classify` process: from exec to its first answered line."""
    env = {**os.environ, "HELPDESK_DATABASE_URL": "sqlite:///:memory:"}
    exe = str(Path(sys.executable).parent / "helpdesk")
    t = time.perf_counter()
    p = subprocess.Popen([exe, "classify", "--jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env=env, stderr=subprocess.DEVNULL)
    assert p.stdin and p.stdout
    p.stdin.write(json.dumps({"id": "1", "text": "apa syarat jadi pmi?"}) + "\n")
    p.stdin.flush()
    p.stdout.readline()
    elapsed = time.perf_counter() - t
    p.stdin.close()
    p.wait()
    return elapsed


def main() -> None:
    print("classify (router + FAQ index), per message:")
    p99 = run()
    ratio = p99["10x synthetic KB"] / p99["shipped KB"]
    print(f"  p99 growth for 10x the KB: x{ratio:.2f} (linear would be x10)")
    starts = sorted(first_answer_seconds() for _ in range(3))
    print(f"  process start to first answered message: median {starts[1]:.2f} s (runs: "
          + ", ".join(f"{s:.2f}" for s in starts) + ")")


if __name__ == "__main__":
    main()
