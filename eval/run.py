"""`make eval`: how well the service understands messages it was not trained on.

1. A held-out split of the corpus, by scenario (a scenario's lines are all on one side), with
   models trained on the rest: per-intent precision/recall, the confusion matrix, emergency recall
   per danger kind, false emergencies, FAQ topic and entry accuracy, beside a naive baseline
   (majority intent, a danger keyword list, the lexical FAQ index). The decision bands in
   config.yaml are chosen on the mean of three such splits: the sweep is printed.
2. The probes (eval/probes.txt): emergencies and tricky negatives no model is trained on.
3. Labelled sets in JSON lines ({"text", "intent", "topic", "emergency"}), when a folder of them is
   given (EVAL_SETS=folder make eval), with the production models.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
import sys
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.model_selection import GroupShuffleSplit  # noqa: E402

from bot.service import build_context  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from flows import router  # noqa: E402
from flows.context import FlowContext  # noqa: E402
from flows.signals import DangerBands, Understanding  # noqa: E402
from knowledge import corpus, nlu  # noqa: E402
from knowledge.corpus import INTENTS, Example  # noqa: E402
from knowledge.normalise import normalise  # noqa: E402

PROBES = Path(__file__).parent / "probes.txt"
FALSE_EMERGENCY_BUDGET = 0.03  # share of non-emergencies that may open an emergency case (why: config.yaml)
SAFETY_QUESTION_BUDGET = 0.03  # share of other messages that may get the safety question
SEEDS = (11, 12, 13)  # held-out splits: the report uses the first, the band sweep averages all
# The naive danger baseline: a plain keyword list, as a first version of such a service would have.
KEYWORDS = re.compile(r"\b(tolong|dipukul|disiksa|dikurung|dikunci|disekap|bunuh|diperkosa|dijual|diculik|darurat|"
                      r"help|sos|ancam|diancam|kabur|lapar|tidak makan|dilecehkan|mati)\b")


@dataclasses.dataclass(frozen=True)
class Gold:
    text: str
    intent: str
    topic: str | None
    entry: str | None
    emergency: bool
    kind: str | None = None


def gold_from_examples(examples: Iterable[Example], topics: dict[str, str]) -> list[Gold]:
    return [Gold(ex.text, ex.intent, topics.get(ex.label) if ex.intent == "faq" else None,
                 ex.label if ex.intent == "faq" else None, ex.emergency, ex.label if ex.emergency else None)
            for ex in examples]


def decide(golds: list[Gold], ctx: FlowContext) -> list[router.Route]:
    return [router.classify(g.text, ctx) for g in golds]


def frac(pairs: list[bool]) -> str:
    return f"{sum(pairs) / len(pairs):.3f} (n={len(pairs)})" if pairs else "  -   (n=0)"


def report(title: str, golds: list[Gold], routes: list[router.Route], baseline: list[tuple[str, str | None, bool]] | None
           = None) -> dict[str, float]:
    print(f"\n== {title}")
    pairs = list(zip(golds, routes))
    m: dict[str, float] = {}

    def metric(name: str, sel: list[bool], base: list[bool] | None = None) -> None:
        m[name] = sum(sel) / len(sel) if sel else float("nan")
        extra = f"   baseline {frac(base)}" if base is not None else ""
        print(f"{name:24s} {frac(sel)}{extra}")

    b = baseline or [("", None, False)] * len(golds)
    faq = [i for i, (g, _) in enumerate(pairs) if g.intent == "faq"]
    metric("intent_acc", [r.intent == g.intent for g, r in pairs], [x[0] == g.intent for g, x in zip(golds, b)])
    metric("faq_topic_acc", [routes[i].intent == "faq" and routes[i].topic == golds[i].topic for i in faq],
           [b[i][0] == "faq" and b[i][1] == golds[i].topic for i in faq])
    metric("faq_entry_acc", [routes[i].intent == "faq" and routes[i].entry_id == golds[i].entry for i in faq
                             if golds[i].entry])
    metric("report_recall", [r.intent == "report" for g, r in pairs if g.intent == "report"],
           [x[0] == "report" for g, x in zip(golds, b) if g.intent == "report"])
    metric("emergency_recall", [r.emergency for g, r in pairs if g.emergency],
           [x[2] for g, x in zip(golds, b) if g.emergency])
    metric("em_recall_or_safety_q", [r.emergency or r.signals.safety_check for g, r in pairs if g.emergency])
    metric("false_report_rate", [r.intent == "report" for g, r in pairs if g.intent != "report"])
    metric("false_emergency_rate", [r.emergency for g, r in pairs if not g.emergency],
           [x[2] for g, x in zip(golds, b) if not g.emergency])
    metric("safety_q_non_emergency", [r.signals.safety_check for g, r in pairs if not g.emergency])
    metric("licence_recall", [r.intent == "licence_check" for g, r in pairs if g.intent == "licence_check"])
    metric("oos_reject", [r.intent != "faq" for g, r in pairs if g.intent == "out_of_scope"])
    metric("human_recall", [r.intent in ("human", "report") for g, r in pairs if g.intent == "human"])
    print("\nper intent          precision  recall      n")
    for intent in INTENTS:
        tp = sum(1 for g, r in pairs if g.intent == intent and r.intent == intent)
        pred = sum(1 for _, r in pairs if r.intent == intent)
        n = sum(1 for g, _ in pairs if g.intent == intent)
        if n or pred:
            print(f"  {intent:16s} {tp / pred if pred else 0:9.3f} {tp / n if n else 0:7.3f} {n:6d}")
    print("\nconfusion (rows: truth, columns: decision)")
    short = [i[:7] for i in INTENTS]
    print(" " * 16 + " ".join(f"{s:>7s}" for s in short))
    for truth in INTENTS:
        row = [sum(1 for g, r in pairs if g.intent == truth and r.intent == pred) for pred in INTENTS]
        if any(row):
            print(f"  {truth:14s}" + " ".join(f"{c:7d}" for c in row))
    kinds = collections.defaultdict(list)
    for g, r in pairs:
        if g.emergency and g.kind:
            kinds[g.kind].append(r.emergency)
    if kinds:
        print("\nemergency recall per danger kind (safety question counted apart)")
        for kind in sorted(kinds):
            safety = [r.signals.safety_check for g, r in pairs if g.kind == kind]
            print(f"  {kind:20s} {frac(kinds[kind])}   + safety question {sum(safety)}")
    return m


def naive_baseline(golds: list[Gold], ctx: FlowContext, majority: str) -> list[tuple[str, str | None, bool]]:
    """Majority intent; FAQ topic from the lexical index alone; danger from the keyword list."""
    out = []
    for g in golds:
        hits = ctx.index.search(g.text)
        topic = hits[0].entry.topic if hits and majority == "faq" else None
        out.append((majority, topic, bool(KEYWORDS.search(normalise(g.text)))))
    return out


Band = tuple[float, float, float, float, float, float]  # high, low, recall, +safety, false, safety-q


def band_rows(golds: list[Gold], models: nlu.Models) -> list[Band]:
    """Emergency recall, recall with the safety question, false emergencies and safety questions on
    other messages, for each candidate pair of danger bands."""
    readings = models.read_many([g.text for g in golds])
    em = [r.danger_p for g, r in zip(golds, readings) if g.emergency]
    non = [r.danger_p for g, r in zip(golds, readings) if not g.emergency]
    return [(high, low, sum(p >= high for p in em) / len(em), sum(p >= low for p in em) / len(em),
             sum(p >= high for p in non) / len(non), sum(low <= p < high for p in non) / len(non))
            for high in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7) for low in (0.1, 0.15, 0.2, 0.25)]


def sweep(golds: list[Gold], ctx: FlowContext, splits: list[list[Band]]) -> None:
    """Danger bands averaged over several held-out splits (one split's false-emergency rate moves by
    half a point between seeds); FAQ outcomes for candidate thresholds on the first split."""
    assert ctx.understanding is not None
    readings = ctx.understanding.models.read_many([g.text for g in golds])
    print(f"\nsweep of danger bands (models alone, mean of {len(splits)} held-out splits): emergency recall /"
          " false emergency / safety question on other messages")
    rows = [(*split[0][:2], *(sum(s[i][k] for s in splits) / len(splits) for k in range(2, 6)))
            for i, split in enumerate(zip(*splits))]
    for row in rows:
        print(f"  high {row[0]:.2f} low {row[1]:.2f}: recall {row[2]:.3f}  recall+safety {row[3]:.3f}"
              f"  false {row[4]:.3f}  safety-q on others {row[5]:.3f}")
    # the rule the bands in config.yaml follow: the most emergencies at once with at most 3 %
    # false emergencies; then the lowest band that asks at most 3 % of the other messages
    ok = [r for r in rows if r[4] <= FALSE_EMERGENCY_BUDGET] or rows
    high = max(ok, key=lambda r: (r[2], r[0]))[0]
    fitting = [r for r in rows if r[0] == high and r[5] <= SAFETY_QUESTION_BUDGET]
    low = min(fitting, key=lambda r: r[1])[1] if fitting else max(r[1] for r in rows if r[0] == high)
    print(f"  -> by the rule: danger_high {high:.2f}, danger_low {low:.2f}")
    print("\nsweep of FAQ thresholds (held-out FAQ lines): answered right / answered wrong / offered choices")
    faq = [(g, r) for g, r in zip(golds, readings) if g.intent == "faq" and g.entry]
    for answer in (0.3, 0.4, 0.5, 0.55, 0.6, 0.7):
        right = sum(1 for g, r in faq if r.entries[0][1] >= answer and r.entries[0][0] == g.entry)
        wrong = sum(1 for g, r in faq if r.entries[0][1] >= answer and r.entries[0][0] != g.entry)
        print(f"  answer >= {answer:.2f}: right {right / len(faq):.3f}  wrong {wrong / len(faq):.3f}"
              f"  (below: choices or fallback {1 - (right + wrong) / len(faq):.3f})")


def read_jsonl(path: Path) -> list[Gold]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Gold(r["text"], r["intent"], r.get("topic"), r.get("entry_id"), bool(r.get("emergency"))) for r in rows]


def read_probes(topics: dict[str, str]) -> list[Gold]:
    golds = []
    for ex in corpus.read_file(PROBES, "probe", False, PROBES.name):
        intent, _, label = ex.label.partition(":")
        emergency = intent == "emergency"
        golds.append(Gold(ex.text, "report" if emergency else intent, topics.get(label), None, emergency,
                          label if emergency else None))
    return golds


def main() -> int:
    settings = load_settings(ROOT / "config.yaml", env={})
    ctx = build_context(settings)
    kb = ctx.kb
    topics = {e.id: e.topic for e in kb.entries}
    examples = corpus.load(kb)
    # the KB's own questions and answer lines define the entries: always on the training side
    written = [ex for ex in examples if not ex.group.startswith("kb:")]
    entry_topics = {e.id: e.topic for e in kb.entries}

    def split(seed: int) -> tuple[list[Example], list[Example], nlu.Models]:
        train_idx, test_idx = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(
            written, groups=[ex.group for ex in written]))
        train = [written[i] for i in train_idx] + [ex for ex in examples if ex.group.startswith("kb:")]
        return train, [written[i] for i in test_idx], nlu.fit(train, entry_topics)

    train, test, split_models = split(SEEDS[0])
    u = settings.understanding
    split_ctx = dataclasses.replace(ctx, understanding=Understanding(split_models, DangerBands(u.danger_high,
                                                                                              u.danger_low)))
    held = gold_from_examples(test, topics)
    majority = collections.Counter(ex.intent for ex in train if not ex.entry_only).most_common(1)[0][0]
    print(f"corpus: {len(examples)} examples; held-out split: {len(held)} lines of "
          f"{len({ex.group for ex in test})} scenarios; split models trained in "
          f"{split_models.trained_seconds:.1f} s")
    report("held-out split of the corpus (models trained on the rest)", held, decide(held, split_ctx),
           naive_baseline(held, ctx, majority))
    bands = [band_rows(held, split_models)]
    for seed in SEEDS[1:]:
        _, other_test, other_models = split(seed)
        bands.append(band_rows(gold_from_examples(other_test, topics), other_models))
    sweep(held, split_ctx, bands)
    if PROBES.exists():
        probes = read_probes(topics)
        report("probes (never trained on), production models", probes, decide(probes, ctx),
               naive_baseline(probes, ctx, majority))
    sets = os.environ.get("EVAL_SETS")
    if sets and Path(sets).is_dir():
        for path in sorted(Path(sets).glob("intent-*.jsonl")):
            golds = read_jsonl(path)
            report(f"{path.name}, production models", golds, decide(golds, ctx), naive_baseline(golds, ctx, majority))
    return 0


if __name__ == "__main__":
    sys.exit(main())
