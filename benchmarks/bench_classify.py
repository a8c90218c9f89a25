"""classify: latency per message (models + router) on the shipped corpus and KB and on a 10x
synthetic KB; training time; start-up to first answer with a trained cache.

The synthetic KB repeats every entry ten times; its entry model has ten times the classes (the
trained weights tiled, so each class costs what a real one costs), which is what grows with the
KB at answer time.
"""

from __future__ import annotations

import dataclasses
import json
import os
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


def synthetic(ctx, factor: int = 10):  # type: ignore[no-untyped-def]
    """The context with a KB of `factor` copies of every entry and an entry model to match."""
    import copy

    import numpy as np

    from flows.signals import Understanding
    from knowledge.kb import KnowledgeBase

    kb = ctx.kb
    entries = tuple(dataclasses.replace(e, id=f"{e.id}-{k}", related=()) for k in range(factor) for e in kb.entries)
    models = copy.deepcopy(ctx.understanding.models)
    svm = models.entry.svm
    svm.coef_ = np.vstack([svm.coef_] * factor)
    svm.intercept_ = np.concatenate([svm.intercept_] * factor)
    svm.classes_ = np.array([f"{c}-{k}" for k in range(factor) for c in svm.classes_])
    models.entry.classes_ = svm.classes_
    models.entry_topics = {e.id: e.topic for e in entries}  # the topic model stays: topics do not grow
    return dataclasses.replace(ctx, kb=KnowledgeBase(kb.topics, entries),
                               understanding=Understanding(models, ctx.understanding.bands))


def run() -> dict[str, float]:
    from bot.service import build_context
    from bot.settings import load_settings
    from flows.router import classify

    ctx = build_context(load_settings(ROOT / "config.yaml", env={}))
    queries = QUERIES * 40
    results = {}
    for label, c in (("shipped KB", ctx), ("10x synthetic KB", synthetic(ctx))):
        label += f" ({len(c.kb.entries)} entries)"
        for q in QUERIES:  # warm the caches, as a running service would be
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


def training_seconds() -> float:
    from knowledge import corpus, kb, nlu

    k = kb.load()
    examples = corpus.load(k)
    return nlu.fit(examples, {e.id: e.topic for e in k.entries}).trained_seconds


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
    print("classify (models + router), per message:")
    p99 = run()
    ratio = p99["10x synthetic KB"] / p99["shipped KB"]
    print(f"  p99 growth for 10x the KB: x{ratio:.2f} (linear would be x10)")
    print(f"  training every model on the corpus: {training_seconds():.1f} s")
    starts = sorted(first_answer_seconds() for _ in range(3))
    print(f"  process start to first answered message: median {starts[1]:.2f} s (runs: "
          + ", ".join(f"{s:.2f}" for s in starts) + ")")


if __name__ == "__main__":
    main()
