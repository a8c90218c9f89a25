"""The `helpdesk` command contracts (spec/interfaces.md), run in-process through main()."""

import io
import json
import sys

import pytest

from bot.cli.main import main

CONFIG = str(__import__("pathlib").Path(__file__).resolve().parents[2] / "config.yaml")


def run(monkeypatch, capsys, settings, argv, stdin=""):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["--config", CONFIG, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_classify_answers_each_line_in_order_with_the_spec_fields(monkeypatch, capsys, settings) -> None:
    lines = [{"id": "a", "text": "apa syarat jadi pmi?"}, {"id": "b", "text": "tolong saya dikurung majikan"},
             {"id": "c", "text": "halo"}]
    code, out, _ = run(monkeypatch, capsys, settings, ["classify", "--jsonl"],
                       "".join(json.dumps(x) + "\n" for x in lines) + "not json\n")
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    assert [r["id"] for r in rows[:3]] == ["a", "b", "c"]
    assert {"id", "intent", "topic", "entry_id", "confidence", "emergency", "reply"} <= set(rows[0])
    assert (rows[0]["intent"], rows[0]["topic"]) == ("faq", "syarat-pmi")
    assert (rows[1]["intent"], rows[1]["emergency"]) == ("report", True)
    assert "999" in rows[1]["reply"]
    assert rows[2]["intent"] == "greeting" and "1. Tanya prosedur" in rows[2]["reply"]
    assert "error" in rows[3]


def test_classify_writes_no_conversation_rows(monkeypatch, capsys, settings, service) -> None:
    from storage import repo
    from storage.db import unit_of_work
    from storage.models import Conversation, MessageLog

    run(monkeypatch, capsys, settings, ["classify", "--jsonl"], json.dumps({"id": 1, "text": "halo"}) + "\n")
    with unit_of_work(service.db) as s:
        assert repo.count(s, Conversation) == 0 and repo.count(s, MessageLog) == 0


@pytest.mark.parametrize("turns, category, priority, emergency", [
    (["halo", "3", "majikan memukul saya setiap malam", "lewati", "lewati", "lewati", "lewati", "lewati"],
     "violence", "emergency", True),
    (["ibu saya di taiwan sudah sebulan tidak bisa dihubungi", "Taichung", "lewati", "ya", "ya", "ya"],
     "lost_contact", "high", False),
    (["paspor saya ditahan agen di johor", "Johor Bahru", "PT X", "ya", "ya", "tidak"], "passport", "high", False),
    (["adik saya dikunci di rumah majikan dan tidak diberi makan"], "trafficking", "emergency", True),
])
def test_simulate_reports_told_in_different_ways(monkeypatch, capsys, settings, turns, category, priority,
                                                  emergency) -> None:
    code, out, _ = run(monkeypatch, capsys, settings, ["simulate"],
                       json.dumps({"channel": "telegram", "user": "u1", "turns": turns}))
    result = json.loads(out)
    assert code == 0
    assert len(result["replies"]) == len(turns)
    assert [(c["category"], c["priority"], c["emergency"], c["status"]) for c in result["cases"]] == [
        (category, priority, emergency, "new")]
    assert result["cases"][0]["id"].startswith("MC-")


def test_simulate_faq_conversation_opens_no_case(monkeypatch, capsys, settings) -> None:
    code, out, _ = run(monkeypatch, capsys, settings, ["simulate"],
                       json.dumps({"channel": "whatsapp", "user": "w", "turns": ["halo", "1", "apa itu tppo?"]}))
    result = json.loads(out)
    assert result["cases"] == []
    assert "membantu?" in result["replies"][2][0]


def test_simulate_rejects_a_bad_script(monkeypatch, capsys, settings) -> None:
    code, _, err = run(monkeypatch, capsys, settings, ["simulate"], "{not json")
    assert code == 2 and "turns" in err


def test_kb_check_passes_on_the_shipped_kb(monkeypatch, capsys, settings) -> None:
    code, out, _ = run(monkeypatch, capsys, settings, ["kb", "check"])
    assert code == 0 and "0 problems" in out


def test_bad_config_stops_with_the_key_named(tmp_path, capsys) -> None:
    text = open(CONFIG).read().replace("answer: 0.55", "answer: lots").replace("timezone:", "tz_typo:")
    bad = tmp_path / "config.yaml"
    bad.write_text(text)
    code = main(["--config", str(bad), "kb", "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "matching.answer" in err and "service.tz_typo" in err


def test_backup_copies_a_live_sqlite_database(monkeypatch, capsys, settings, service, tmp_path) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("online backup is for SQLite; PostgreSQL uses pg_dump")
    import sqlite3

    from tests.conftest import Chat

    Chat(service).say("halo")
    target = tmp_path / "copy.db"
    code, out, _ = run(monkeypatch, capsys, settings, ["backup", "--output", str(target)])
    assert code == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("select count(*) from message_log").fetchone()[0] == 2


def test_privacy_export_and_erase_commands(monkeypatch, capsys, settings, service) -> None:
    from tests.conftest import Chat

    chat = Chat(service)
    chat.say("apa itu tppo?")
    code, out, _ = run(monkeypatch, capsys, settings, ["privacy", "export", f"telegram:{chat.user}"])
    assert code == 0 and "apa itu tppo?" in out
    code, out, _ = run(monkeypatch, capsys, settings, ["privacy", "erase", f"telegram:{chat.user}"])
    code, out, _ = run(monkeypatch, capsys, settings, ["privacy", "export", f"telegram:{chat.user}"])
    assert "apa itu tppo?" not in out


def test_simulate_licence_check_conversation(monkeypatch, capsys, settings) -> None:
    code, out, _ = run(monkeypatch, capsys, settings, ["simulate"], json.dumps(
        {"channel": "whatsapp", "user": "w", "turns": ["halo", "2", "pt sinar jaya tenaga mandiri",
                                                        "PT Sinar Jaya Tenaga Mandiri Abadi"]}))
    replies = json.loads(out)["replies"]
    assert "TERDAFTAR" in replies[2][0] and "DATA CONTOH" in replies[2][0]
    assert "mirip dengan PT Sinar Jaya Tenaga Mandiri" in replies[3][0]


HEADER = "nama,nomor_izin,status,berlaku_sampai,alamat,provinsi,negara_tujuan\n"


def _agencies_check(monkeypatch, capsys, settings, query):  # type: ignore[no-untyped-def]
    code, out, _ = run(monkeypatch, capsys, settings, ["agencies", "check", "--jsonl"],
                       json.dumps({"id": "q", "query": query}) + "\n")
    return json.loads(out)


def test_agencies_import_replaces_atomically_and_a_bad_file_changes_nothing(monkeypatch, capsys, settings,
                                                                             tmp_path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + 'PT Uji Satu Dua,KEP.1/MEN/I/2020,aktif,2099-01-01,"Jl. A",Kepri,Malaysia\n'
                    'PT Uji Tiga Empat,KEP.2/MEN/I/2020,dicabut,2099-01-01,"Jl. B",Kepri,\n', encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, settings, ["agencies", "import", str(good)])
    assert code == 0 and "imported 2" in out
    assert _agencies_check(monkeypatch, capsys, settings, "PT Uji Satu Dua")["verdict"] == "licensed"

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + 'PT Baru Sekali,KEP.9/MEN/I/2020,aktif,2099-01-01,"",Kepri,\n'
                   'PT Baru Dua,KEP.8/MEN/I/2020,aktif,31-12-2099,"",Kepri,\n'
                   'PT Baru Tiga,KEP.9/MEN/I/2020,aktif,2099-01-01,"",Kepri,\n', encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, settings, ["agencies", "import", str(bad)])
    assert code == 1
    assert "line 3" in err and "line 4" in err and "NOT changed" in err
    assert _agencies_check(monkeypatch, capsys, settings, "PT Uji Satu Dua")["verdict"] == "licensed"
    assert _agencies_check(monkeypatch, capsys, settings, "PT Baru Sekali")["verdict"] == "not_found"


@pytest.mark.parametrize("content, message", [
    (b"name,number\nPT A,1\n", "nama"),
    (HEADER.encode() + "PT Caf\xe9,KEP.1/MEN/I/2020,aktif,2099-01-01,,,\n".encode("latin-1"), "UTF-8"),
    (b"", ""),
])
def test_agencies_import_bad_files_get_a_clear_message(monkeypatch, capsys, settings, tmp_path, content,
                                                       message) -> None:
    path = tmp_path / "reg.csv"
    path.write_bytes(content)
    code, _, err = run(monkeypatch, capsys, settings, ["agencies", "import", str(path)])
    assert code != 0 and "Traceback" not in err
    assert message in err


def test_agencies_import_reads_xlsx(monkeypatch, capsys, settings, tmp_path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["PT Excel Jaya Makmur", "3/1234/HK.04.01/V/2022", "skorsing", dt.date(2099, 1, 1), "Jl. C", "Riau",
               "Taiwan;Jepang"])
    wb.save(tmp_path / "reg.xlsx")
    code, out, _ = run(monkeypatch, capsys, settings, ["agencies", "import", str(tmp_path / "reg.xlsx")])
    assert code == 0
    result = _agencies_check(monkeypatch, capsys, settings, "3/1234/HK 04 01/V/2022")
    assert result["verdict"] == "suspended"


def test_officers_add_link_and_list(monkeypatch, capsys, settings, service) -> None:
    code, out, _ = run(monkeypatch, capsys, settings, ["officers", "add", "siti", "--role", "supervisor"],
                       "kopi-tubruk-di-batam-2026\n")  # the password comes on stdin, never in argv
    assert code == 0
    code, out, _ = run(monkeypatch, capsys, settings, ["officers", "link", "siti", "424242"])
    assert code == 0
    from bot.channels.staff_desk_commands import officer_for_telegram

    assert officer_for_telegram(service.db, 424242) is not None
    code, _, err = run(monkeypatch, capsys, settings, ["officers", "link", "nobody", "1"])
    assert code == 1 and "no officer" in err
    code, out, _ = run(monkeypatch, capsys, settings, ["officers", "list"])
    assert "siti" in out and "supervisor" in out


def test_classify_marks_the_safety_question_and_keeps_the_intent(monkeypatch, capsys, settings) -> None:
    lines = [{"id": "bare", "text": "tolong"}, {"id": "faq", "text": "apa syarat jadi pmi?"},
             {"id": "danger", "text": "tolong saya dikurung majikan"}]
    _, out, _ = run(monkeypatch, capsys, settings, ["classify", "--jsonl"],
                    "".join(json.dumps(x) + "\n" for x in lines))
    rows = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert rows["bare"]["safety_check"] is True and rows["bare"]["emergency"] is False
    assert rows["bare"]["reply"].startswith("Apakah Anda dalam bahaya sekarang?")
    assert "belum bisa menjawab" not in rows["bare"]["reply"]
    assert rows["faq"]["safety_check"] is False
    assert rows["danger"]["emergency"] is True and rows["danger"]["safety_check"] is False


def test_nlu_train_reports_the_cache_key(monkeypatch, capsys, settings, tmp_path) -> None:
    from knowledge import nlu

    monkeypatch.setattr(nlu, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(nlu.train, "__defaults__", (tmp_path,))
    code, out, _ = run(monkeypatch, capsys, settings, ["nlu", "train"])
    assert code == 0 and nlu.cache_key() in out
    assert (tmp_path / f"{nlu.cache_key()}.joblib").exists()


def test_simulate_and_chat_never_write_into_the_live_queue(monkeypatch, capsys, settings, service) -> None:
    from storage import repo
    from storage.db import unit_of_work
    from storage.models import Case

    code, out, _ = run(monkeypatch, capsys, settings, ["simulate"],
                       json.dumps({"channel": "telegram", "user": "u1", "turns": ["paspor saya ditahan agen"]}))
    assert code == 0 and json.loads(out)["cases"]  # the rehearsal opened its case ...
    with unit_of_work(service.db) as s:
        assert repo.count(s, Case) == 0  # ... in a scratch database, not in the officers' queue


def test_simulate_can_be_pointed_at_a_database(monkeypatch, capsys, settings, service) -> None:
    from storage import repo
    from storage.db import unit_of_work
    from storage.models import Case

    run(monkeypatch, capsys, settings, ["simulate", "--database", settings.database_url],
        json.dumps({"channel": "telegram", "user": "u1", "turns": ["paspor saya ditahan agen"]}))
    with unit_of_work(service.db) as s:
        assert repo.count(s, Case) == 1


def test_simulate_reads_the_imported_registry(monkeypatch, capsys, settings, tmp_path) -> None:
    registry = tmp_path / "reg.csv"
    registry.write_text(HEADER + "PT Contoh Langit Biru,9/9999/HK.04.01/I/2025,aktif,2030-01-01,Batam,Kepri,\n",
                        encoding="utf-8")
    assert run(monkeypatch, capsys, settings, ["agencies", "import", str(registry)])[0] == 0
    _, out, _ = run(monkeypatch, capsys, settings, ["simulate"], json.dumps(
        {"channel": "whatsapp", "user": "w", "turns": ["cek PT Contoh Langit Biru"]}))
    assert "9/9999/HK.04.01/I/2025" in json.loads(out)["replies"][0][0]
