"""`helpdesk chat`, the terminal chat, driven through its standard input."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_terminal_chat_answers_and_numbers_the_buttons(database_url) -> None:
    exe = Path(sys.executable).parent / "helpdesk"
    env = {**os.environ, "HELPDESK_DATABASE_URL": database_url}
    p = subprocess.run([str(exe), "chat"], input="halo\n1\napa itu tppo?\n", capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 0
    out = p.stdout
    assert "1. Tanya prosedur kerja ke luar negeri" in out
    assert "tulis pertanyaan" in out
    assert "perdagangan orang" in out.lower() and "Apakah jawaban ini membantu?" in out
