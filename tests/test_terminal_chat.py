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


def chat_here(lines: list[str], **options) -> str:
    """The same chat in this process (faster): `healthbot chat` with the bundled content."""
    import io

    from bot.terminal import run_chat

    out = io.StringIO()
    assert run_chat(stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out, **options) == 0
    return out.getvalue()


def numbered(out: str) -> list[dict[str, str]]:
    """The numbered choices of each keyboard block printed, in order: [{number: label}]."""
    import re

    blocks, current = [], {}
    for line in out.splitlines():
        found = re.findall(r"\[(\d+)\] (.+?)(?=   \[|$)", line) if line.startswith("  [") else []
        if found:
            current.update(found)
        elif current:
            blocks.append(current)
            current = {}
    return blocks + ([current] if current else [])


def test_chat_with_a_country_does_not_ask_for_it_and_shows_the_menu(monkeypatch):
    monkeypatch.delenv("HEALTHBOT_CONTENT", raising=False)
    out = chat_here([], country="jp")
    assert "Xin chào" in out and "Nhật Bản   [2]" not in out and "🇰🇷" not in out
    assert "Chọn một chủ đề" in out and "[1] Chuẩn bị trước khi đi" in out


def test_chat_without_a_country_asks_for_it():
    assert "[1] 🇯🇵 Nhật Bản   [2] 🇰🇷 Hàn Quốc" in chat_here([])


def test_a_feedback_press_keeps_the_numbers_of_the_buttons_left():
    out = chat_here(["đau bụng quá"], country="jp")
    entry = numbered(out)[-1]
    helpful = next(n for n, label in entry.items() if "👍" in label)
    after = numbered(chat_here(["đau bụng quá", helpful], country="jp"))[-1]
    assert after == {n: label for n, label in entry.items() if "👍" not in label and "👎" not in label}


def test_a_remembered_number_opens_the_same_thing_after_a_feedback_press():
    entry = numbered(chat_here(["đau bụng quá"], country="jp"))[-1]
    helpful = next(n for n, label in entry.items() if "👍" in label)
    menu = next(n for n, label in entry.items() if "Menu" in label)  # below the feedback row
    out = chat_here(["đau bụng quá", helpful, menu], country="jp")
    assert "Chọn một chủ đề" in out.split("[Cảm ơn bạn đã góp ý!]")[1]


def test_a_number_with_no_choice_says_so_and_is_not_asked_as_a_question():
    out = chat_here(["đau bụng quá", "99"], country="jp")
    assert "[no choice 99" in out and "numbers shown now are 1, 2" in out
    assert "chưa tìm thấy" not in out  # not searched as a question
    entry = numbered(chat_here(["đau bụng quá"], country="jp"))[-1]
    helpful = next(n for n, label in entry.items() if "👍" in label)
    assert f"[no choice {helpful}" in chat_here(["đau bụng quá", helpful, helpful], country="jp")  # the 👍 is gone once pressed


def test_a_long_number_is_still_a_question():
    out = chat_here(["119"], country="jp")
    assert "no choice" not in out and "119" in out


def test_help_in_the_terminal_names_no_bot():
    out = chat_here(["/help"])
    assert "/menu" in out and "@bot" not in out and "{bot}" not in out
