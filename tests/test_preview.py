"""`healthbot preview`: an entry as a worker receives it, without a bot token."""

from __future__ import annotations

import subprocess
import sys

from bot.preview import render_preview
from handbook.content import markup
from handbook.content.markup import html_to_plain
from handbook.dialogue import conversation, views
from handbook.dialogue.conversation import Incoming, Settings


def run_preview(repo_root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", "preview", *args], cwd=repo_root, capture_output=True, text=True, timeout=60)


def opened(loaded, entry_id: str, country: str | None, lang: str = "vi") -> list[str]:
    """The plain text of the messages the conversation sends when this reader opens the entry."""
    reply = conversation.handle(loaded, Settings(lang, country), Incoming("button", data=f"e:m:{entry_id}"))
    return [html_to_plain(m.html) for m in reply.messages]


def test_preview_fever_for_korea_is_what_a_korea_reader_receives(repo_root, loaded):
    done = run_preview(repo_root, "fever", "--country", "kr")
    assert done.returncode == 0, done.stderr
    for text in opened(loaded, "fever", "kr"):
        assert text in done.stdout
    entry = loaded.handbook.entries["fever"]
    if "kr" in entry.countries:
        assert "🇰🇷" in done.stdout
    if "jp" in entry.countries:
        assert "🇯🇵" not in done.stdout


def test_preview_with_a_country_shows_that_part_and_not_the_other(loaded):
    entry_id = next(e.id for e in loaded.handbook.entries.values() if {"jp", "kr"} <= set(e.countries))
    entry = loaded.handbook.entries[entry_id]
    shown = render_preview(loaded, entry_id, country="kr", lang="en")
    first_line = html_to_plain(markup.to_html(entry.countries["kr"].en)).splitlines()[-1]
    assert "🇰🇷 Korea" in shown and first_line in shown
    assert "🇯🇵" not in shown
    both = render_preview(loaded, entry_id, lang="en")
    assert "🇰🇷 Korea" in both and "🇯🇵 Japan" in both and "no country chosen" in both


def test_preview_splits_and_lists_the_buttons_like_telegram(loaded):
    entry_id = max(loaded.handbook.entries, key=lambda e: len(render_preview(loaded, e, urgent=True)))
    messages = views.entry_messages(loaded, entry_id, "vi", None, urgent=True)
    shown = render_preview(loaded, entry_id, urgent=True)
    assert f"message {len(messages)} of {len(messages)}" in shown
    for row in messages[-1].keyboard:
        assert "  ".join(f"[{b.text}]" for b in row) in shown


def test_an_unknown_entry_is_a_clear_error_with_close_matches(repo_root):
    done = run_preview(repo_root, "fevr")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "no entry 'fevr'" in done.stderr and "fever" in done.stderr
