"""`healthbot chat` holds the same conversation, driven through standard input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def chat(lines: list[str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "chat", *args], cwd=REPO, input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_whole_conversation_in_the_terminal():
    out = chat(["1", "6", "1", "đau bụng quá", "giá vàng hôm nay", "/lang", "2", "high fever what to do", "/emergency", "/frob"])
    assert "Xin chào" in out and "[1] 🇯🇵 Nhật Bản" in out  # greeting, country as numbered choices
    assert "Đã chọn: Nhật Bản" in out and "Triệu chứng thường gặp" in out  # country saved, menu shown, chapter opened
    assert "Đau bụng" in out and "Nguồn" in out  # a direct answer with its source
    assert "chưa tìm thấy" in out and "giá vàng hôm nay" in out  # no answer, question echoed
    assert "Saved: English" in out and "Fever" in out  # language changed, English answer
    assert "Emergency? Call 119" in out and "do not know that command" in out


def test_chat_starts_with_no_token_and_ends_at_end_of_input():
    out = chat([])
    assert "Xin chào" in out
