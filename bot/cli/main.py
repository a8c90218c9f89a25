"""The `helpdesk` command (spec/interfaces.md): serve, chat, classify, simulate, kb, agencies, officers."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterator, TextIO

from bot.settings import ConfigError, Settings, load_settings
from knowledge.errors import CorpusError, KnowledgeBaseError

log = logging.getLogger("helpdesk")


def _json_lines(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            yield n, obj if isinstance(obj, dict) else None, line
        except json.JSONDecodeError:
            yield n, None, line


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ---- classify ---------------------------------------------------------------------------------

def cmd_classify(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.readonly import readonly_context
    from flows import conversation, router
    from flows.messages import Inbound
    from flows.state import State, Turn
    from storage.models import utcnow

    ctx = readonly_context(settings)
    for n, obj, _ in _json_lines(sys.stdin):
        if obj is None:
            _emit({"id": None, "error": f"line {n}: not a JSON object"})
            continue
        text = str(obj.get("text") or "")
        sig = ctx.read(text)
        route = router.classify(text, ctx, sig)
        inbound = Inbound(str(obj.get("channel") or "whatsapp"), "classify", f"classify-{n}", text)
        step = conversation.handle(Turn(inbound, State(), None, utcnow()), ctx, sig)  # the message read once
        reply = step.replies[0].as_plain() if step.replies else ""
        _emit({"id": obj.get("id"), "intent": route.intent, "topic": route.topic, "entry_id": route.entry_id,
               "confidence": round(route.confidence, 4), "emergency": route.emergency,
               "category": route.signals.category if route.intent == "report" else None,
               "safety_check": sig.safety_check,
               "reply": reply.replace("{case_number}", "(nomor laporan menyusul)")})
    return 0


# ---- simulate ---------------------------------------------------------------------------------

@contextlib.contextmanager
def _practice_service(settings: Settings, database: str | None) -> Iterator[Any]:
    """The service on a scratch database (or on `database` when given), so rehearsals never reach
    the officers' real queue; the agency registry is still read from the configured database."""
    from bot.cli.readonly import readonly_context
    from bot.service import build_service

    if database:
        service = build_service(settings.with_database(database))
        yield service
        service.db.dispose()
        return
    ctx = readonly_context(settings)
    with tempfile.TemporaryDirectory(prefix="helpdesk-practice-") as folder:
        scratch = settings.with_database(f"sqlite:///{folder}/practice.db")
        service = build_service(scratch, ctx=ctx, seed_sample=False, read_registry=False)
        try:
            yield service
        finally:
            service.db.dispose()


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from flows.messages import Inbound
    from storage.contacts import cases_by_urn
    from storage.db import unit_of_work

    try:
        script = json.load(sys.stdin)
        turns = [str(t) for t in script["turns"]]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        print(f"simulate: expected {{\"channel\", \"user\", \"turns\": [...]}} on stdin ({exc})", file=sys.stderr)
        return 2
    channel = str(script.get("channel") or "telegram")
    user = str(script.get("user") or "u1")
    if not args.keep_user:
        user = f"{user}-sim-{uuid.uuid4().hex[:8]}"  # a fresh person, so earlier runs cannot leak in
    replies: list[list[str]] = []
    with _practice_service(settings, args.database) as service:
        for text in turns:
            handled = service.engine.handle(Inbound(channel, user, f"sim-{uuid.uuid4().hex}", text))
            replies.append([r.as_plain() for r in handled.replies])
        with unit_of_work(service.db) as s:
            cases = cases_by_urn(s, urn=f"{channel}:{user}")
            case_json = [{"id": c.number, "category": c.category, "priority": c.priority, "status": c.status,
                          "emergency": c.emergency} for c in cases]
    _emit({"channel": channel, "user": user, "replies": replies, "cases": case_json})
    return 0


# ---- chat -------------------------------------------------------------------------------------

def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from flows.messages import Inbound

    user = args.user or f"terminal-{uuid.uuid4().hex[:6]}"
    with _practice_service(settings, args.database) as service:
        print(f"{settings.service.name} — chat di terminal. Ketik pesan; Ctrl-D untuk keluar.\n")
        while True:
            try:
                text = input("Anda> ")
            except EOFError:
                print()
                return 0
            handled = service.engine.handle(Inbound("cli", user, uuid.uuid4().hex, text))
            for reply in handled.replies:
                print("\nBot> " + reply.as_plain().replace("\n", "\n     ") + "\n")


# ---- kb ---------------------------------------------------------------------------------------

def cmd_kb_check(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge import kb as kb_module
    from knowledge.topics_spec import REQUIRED_TOPICS

    try:
        kb = kb_module.load()
    except KnowledgeBaseError as exc:
        print(f"kb check: {exc}", file=sys.stderr)
        return 1
    forbidden: list[str] = []
    for path in args.forbid or ():
        for _, obj, _ in _json_lines(open(path, encoding="utf-8")):
            if obj and obj.get("text"):
                forbidden.append(str(obj["text"]))
    from flows import phrases

    beside_answer = (phrases.MORE_LABEL, phrases.FEEDBACK_YES.label, phrases.FEEDBACK_NO.label, phrases.TO_MENU.label)
    problems = kb_module.check(kb, settings.placeholder_values(), list(REQUIRED_TOPICS), forbidden, beside_answer)
    if len(kb.entries) < args.min_entries:
        problems.append(f"only {len(kb.entries)} entries, at least {args.min_entries} required")
    for p in problems:
        print(p)
    topics = {e.topic for e in kb.entries}
    print(f"{len(kb.entries)} entries, {len(topics)} topics, {len(problems)} problems")
    return 1 if problems else 0


# ---- agencies ---------------------------------------------------------------------------------

def cmd_nlu_train(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge import kb, nlu

    try:
        models = nlu.train(kb.load())
    except CorpusError as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 1
    print(f"trained {models.key} in {models.trained_seconds:.1f} s")
    return 0


def cmd_agencies_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.service import to_row
    from knowledge.registry_file import read_registry
    from storage import registry
    from storage.db import make_engine, unit_of_work
    from storage.migrate import upgrade_to_head

    path = Path(args.file)
    if not path.is_file():
        print(f"agencies import: {path}: no such file", file=sys.stderr)
        return 2
    read = read_registry(path)
    if read.errors:
        print(f"agencies import: {path.name}: {len(read.errors)} rejected row(s); the registry was NOT changed",
              file=sys.stderr)
        for err in read.errors[:50]:
            print(f"  line {err.line}: {err.message}", file=sys.stderr)
        if len(read.errors) > 50:
            print(f"  … and {len(read.errors) - 50} more", file=sys.stderr)
        return 1
    if not read.agencies:
        print(f"agencies import: {path.name}: no agencies in the file; the registry was NOT changed", file=sys.stderr)
        return 1
    db = make_engine(settings.database_url)
    upgrade_to_head(db)
    with unit_of_work(db) as s:
        batch = registry.replace_registry(s, rows=[to_row(a) for a in read.agencies], file_name=path.name,
                                          imported_by=args.by)
        batch_id, count = batch.id, batch.row_count
    print(f"imported {count} agencies from {path.name} (batch {batch_id})")
    return 0


def cmd_agencies_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.readonly import readonly_context

    ctx = readonly_context(settings)
    agencies = ctx.agencies
    assert agencies is not None  # readonly_context always loads a registry (the sample one at worst)
    today = ctx.today()
    for n, obj, _ in _json_lines(sys.stdin):
        if obj is None:
            _emit({"id": None, "error": f"line {n}: not a JSON object"})
            continue
        result = agencies.check(str(obj.get("query") or ""), today)
        _emit({"id": obj.get("id"), **result.to_json()})
    return 0


# ---- serve ------------------------------------------------------------------------------------

def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.web.server import serve

    return serve(settings, host=args.host or settings.web.host, port=args.port or settings.web.port,
                 workers=args.workers, background=not args.no_workers)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.web.server import run_worker

    return run_worker(settings)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="helpdesk", description="Migrant Center Kepri helpdesk")
    p.add_argument("--config", help="config file (default: config.yaml or $HELPDESK_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the web app, channels and scheduler")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--no-workers", action="store_true",
                   help="web only: inbox, outbox and jobs run in `helpdesk worker` (or HELPDESK_WORKERS=off)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("worker", help="run the inbox processor, outbox dispatcher and jobs without the web app")
    s.set_defaults(func=cmd_worker)

    s = sub.add_parser("chat", help="chat with the bot in this terminal")
    s.add_argument("--user", help="continue the conversation of this terminal user id")
    s.add_argument("--database", help="database URL to use (default: a scratch database, never the live queue)")
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("classify", help="route first messages (JSON lines on stdin)")
    s.add_argument("--jsonl", action="store_true", required=True)
    s.set_defaults(func=cmd_classify)

    s = sub.add_parser("simulate", help="play a scripted conversation (JSON on stdin)")
    s.add_argument("--keep-user", action="store_true", help="use the user id as given (continue its conversation)")
    s.add_argument("--database", help="database URL to use (default: a scratch database, never the live queue)")
    s.set_defaults(func=cmd_simulate)

    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    s = kb.add_parser("check", help="validate the knowledge base")
    s.add_argument("--forbid", action="append", help="JSONL file whose `text` lines must not be copied into the KB")
    s.add_argument("--min-entries", type=int, default=80)
    s.set_defaults(func=cmd_kb_check)

    nl = sub.add_parser("nlu", help="the language models").add_subparsers(dest="nlu_command", required=True)
    s = nl.add_parser("train", help="train the models on the corpus now (otherwise done when the corpus changed)")
    s.set_defaults(func=cmd_nlu_train)

    ag = sub.add_parser("agencies", help="agency registry").add_subparsers(dest="agencies_command", required=True)
    s = ag.add_parser("import", help="replace the registry with a CSV or XLSX file")
    s.add_argument("file")
    s.add_argument("--by", default="cli", help="who imports (recorded with the batch)")
    s.set_defaults(func=cmd_agencies_import)
    s = ag.add_parser("check", help="check agencies (JSON lines on stdin)")
    s.add_argument("--jsonl", action="store_true", required=True)
    s.set_defaults(func=cmd_agencies_check)

    from bot.cli.officers_cli import add_officer_commands
    from bot.cli.ops_cli import add_ops_commands

    add_officer_commands(sub)
    add_ops_commands(sub)
    from bot.cli.report_cli import add_report_command  # issue 16: the monthly figures

    add_report_command(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return int(args.func(settings, args) or 0)


if __name__ == "__main__":
    sys.exit(main())
