"""`healthbot preview ENTRY_ID`: an entry exactly as a worker receives it, as plain text.

The messages come from the same code as the bot's (views.entry_messages: rendering, the emergency
block, splitting under Telegram's limit, the buttons), so an editor sees an edit without a token.
"""

from __future__ import annotations

import difflib

from handbook.content.library import Loaded
from handbook.content.markup import html_to_plain
from handbook.content.model import COUNTRY_NAMES
from handbook.dialogue import views


def close_matches(loaded: Loaded, wanted: str, limit: int = 5) -> list[str]:
    """Entry ids near `wanted`: by spelling, then by containing it, then by what a search finds."""
    ids = list(loaded.handbook.entries)
    found = difflib.get_close_matches(wanted, ids, n=limit, cutoff=0.6)
    found += [i for i in ids if wanted and wanted in i and i not in found]
    words = wanted.replace("-", " ").replace("_", " ").strip()
    if words:
        floor = loaded.index.thresholds.choices
        found += [h.id for h in loaded.index.search(words, limit=3).hits if h.score >= floor and h.id not in found]
    return found[:limit]


def render_preview(loaded: Loaded, entry_id: str, *, lang: str = "vi", country: str | None = None, urgent: bool = False) -> str:
    """The messages of one entry as plain text, each with its buttons; `entry_id` must exist."""
    entry = loaded.handbook.entries[entry_id]
    parts = ", ".join(f"{c} ({COUNTRY_NAMES[c]['en']})" for c in entry.countries) or "none (the same text for every reader)"
    if country is None:
        reader = "no country chosen: the bot shows every country part"
    else:
        reader = f"{country} ({COUNTRY_NAMES[country]['en']})"
        if entry.countries and country not in entry.countries:
            reader += ": this entry has no part for it, so the bot shows every country part"
    lines = [
        f"entry {entry.id} · chapter {entry.chapter} · language {lang} · reader's country {reader}",
        f"country parts in this entry: {parts}" + (" · urgent: the emergency block comes first" if entry.urgent or urgent else ""),
    ]
    messages = views.entry_messages(loaded, entry_id, lang, country, urgent=urgent)
    for i, message in enumerate(messages, 1):
        text = html_to_plain(message.html)
        lines += ["", f"===== message {i} of {len(messages)} ({len(text)} characters) =====", text]
        if message.keyboard:
            lines.append("----- buttons -----")
            lines += ["  ".join(f"[{b.text}]" for b in row) for row in message.keyboard]
    return "\n".join(lines) + "\n"
