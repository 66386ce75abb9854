"""Messages and buttons the conversation sends: menus, entries, emergency, did-you-mean."""

from __future__ import annotations

from dataclasses import dataclass

from handbook.content import markup
from handbook.content.library import Loaded
from handbook.content.model import COUNTRY_NAMES
from handbook.dialogue import buttons, render

MAX_CHOICES = 3


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    data: str | None = None  # callback data
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send, or (edit=True) the new content of the message whose button was pressed.

    markup_only=True edits only the buttons of that message.
    """

    html: str
    keyboard: Keyboard = ()
    edit: bool = False
    markup_only: bool = False


def support_line(loaded: Loaded, lang: str, country: str | None) -> str:
    key = f"support.{country}" if country in COUNTRY_NAMES else "support.unknown"
    return loaded.texts.get(key, lang)


def menu_button(loaded: Loaded, lang: str) -> Button:
    return Button(loaded.texts.raw("button.menu", lang), buttons.menu())


def emergency_button(loaded: Loaded, lang: str) -> Button:
    return Button(loaded.texts.raw("button.emergency", lang), buttons.EMERGENCY)


def main_menu(loaded: Loaded, lang: str, *, edit: bool = False) -> Message:
    rows = [(Button(ch.title.get(lang), buttons.menu(ch.id)),) for ch in loaded.handbook.chapters]
    rows.append((emergency_button(loaded, lang),))
    return Message(loaded.texts.get("menu.title", lang), tuple(rows), edit=edit)


def chapter_menu(loaded: Loaded, chapter_id: str, lang: str) -> Message | None:
    chapter = loaded.handbook.chapter(chapter_id)
    if chapter is None:
        return None
    rows = [(Button(e.title.get(lang), buttons.entry(e.id, "menu")),) for e in chapter.entries]
    rows.append((Button(loaded.texts.raw("button.back", lang), buttons.menu()), emergency_button(loaded, lang)))
    return Message(loaded.texts.get("menu.chapter", lang, chapter=chapter.title.get(lang)), tuple(rows), edit=True)


def entry_keyboard(loaded: Loaded, entry_id: str, lang: str, *, with_feedback: bool = True,
                   alternatives: list[str] | None = None) -> Keyboard:
    entry = loaded.handbook.entries[entry_id]
    rows: list[tuple[Button, ...]] = []
    for other in alternatives or ():  # "not what you meant?": the next entries of the search
        rows.append((Button("🔎 " + loaded.handbook.entries[other].title.get(lang), buttons.entry(other, "alternative")),))
    related = [loaded.handbook.entries[r] for r in entry.related if r in loaded.handbook.entries and r not in (alternatives or ())][:4]
    for i in range(0, len(related), 2):
        rows.append(tuple(Button("➡️ " + r.title.get(lang), buttons.entry(r.id, "related")) for r in related[i : i + 2]))
    if with_feedback:
        rows.append((Button(loaded.texts.raw("button.helpful", lang), buttons.feedback(entry_id, True)),
                     Button(loaded.texts.raw("button.not_helpful", lang), buttons.feedback(entry_id, False))))
    rows.append((menu_button(loaded, lang), emergency_button(loaded, lang)))
    return tuple(rows)


def entry_messages(loaded: Loaded, entry_id: str, lang: str, country: str | None, *, urgent: bool = False,
                   alternatives: list[str] | None = None) -> list[Message]:
    """The entry split under Telegram's limit; the buttons go with the last part. With alternatives (a
    search answer), the last part ends with "Not what you meant?" above their buttons, in the same message."""
    entry = loaded.handbook.entries[entry_id]
    html = render.entry_message(entry, loaded.texts, lang, country, urgent=urgent)
    parts = markup.split_message(html)
    keyboard = entry_keyboard(loaded, entry_id, lang, alternatives=alternatives)
    if alternatives:
        ask = "\n\n" + loaded.texts.get("answer.alternatives", lang)
        if len(parts[-1]) + len(ask) <= markup.TELEGRAM_LIMIT:
            parts[-1] += ask
        else:
            parts.append(ask.strip())
    return [Message(p, keyboard if i == len(parts) - 1 else ()) for i, p in enumerate(parts)]


def emergency(loaded: Loaded, lang: str, country: str | None) -> Message:
    html = render.emergency_block(loaded.texts, lang, country)
    rows = []
    for entry_id in ("call-ambulance", "emergency-numbers", "cpr-unconscious"):
        if entry_id in loaded.handbook.entries:
            rows.append((Button("➡️ " + loaded.handbook.entries[entry_id].title.get(lang), buttons.entry(entry_id, "menu")),))
    rows.append((menu_button(loaded, lang),))
    return Message(html, tuple(rows))


def did_you_mean(loaded: Loaded, entry_ids: list[str], lang: str) -> Message:
    rows = [(Button(loaded.handbook.entries[e].title.get(lang), buttons.entry(e, "choice")),) for e in entry_ids[:MAX_CHOICES]]
    rows.append((Button(loaded.texts.raw("button.none_of_these", lang), buttons.NONE_OF_THESE),))
    return Message(loaded.texts.get("answer.did_you_mean", lang), tuple(rows))


def smalltalk(loaded: Loaded, kind: str, lang: str) -> Message:
    """A short kind reply to small talk, with the menu's topics."""
    key = f"smalltalk.{kind}" if loaded.texts.has(f"smalltalk.{kind}") else "smalltalk.greeting"
    menu = main_menu(loaded, lang)
    return Message(loaded.texts.get(key, lang), menu.keyboard)


def none_of_these(loaded: Loaded, lang: str, country: str | None) -> Message:
    html = loaded.texts.get("answer.none_of_these", lang, html={"support": support_line(loaded, lang, country)})
    return Message(html, ((menu_button(loaded, lang), emergency_button(loaded, lang)),))


def no_answer(loaded: Loaded, query: str, lang: str, country: str | None) -> Message:
    shown = query if len(query) <= 120 else query[:117] + "..."
    html = loaded.texts.get("answer.no_answer", lang, query=shown, html={"support": support_line(loaded, lang, country)})
    return Message(html, ((menu_button(loaded, lang), emergency_button(loaded, lang)),))


def urgent_no_answer(loaded: Loaded, lang: str) -> Message:
    """After the emergency block, for danger words with no matching entry: how to call, what to say."""
    rows = [(Button("➡️ " + loaded.handbook.entries[e].title.get(lang), buttons.entry(e, "menu")),)
            for e in ("call-ambulance", "cpr-unconscious") if e in loaded.handbook.entries]
    rows.append((menu_button(loaded, lang),))
    return Message(loaded.texts.get("answer.urgent_no_answer", lang), tuple(rows))


def choose_country(loaded: Loaded, lang: str) -> Message:
    row = (Button(loaded.texts.raw("button.japan", lang), buttons.country("jp")),
           Button(loaded.texts.raw("button.korea", lang), buttons.country("kr")))
    return Message(loaded.texts.get("start.choose_country", lang), (row,))


def choose_lang(loaded: Loaded, lang: str) -> Message:
    row = tuple(Button(loaded.texts.raw(f"button.lang_{code}", lang), buttons.lang(code)) for code in ("vi", "en", "auto"))
    return Message(loaded.texts.get("lang.ask", lang), (row,))


def simple(loaded: Loaded, key: str, lang: str, **values: object) -> Message:
    return Message(loaded.texts.get(key, lang, **values), ((menu_button(loaded, lang),),))


def help_message(loaded: Loaded, lang: str, bot: str | None) -> Message:
    """/help with the bot's username; without one (the terminal has none) its lines naming @{bot} are left out."""
    if bot:
        return simple(loaded, "help", lang, bot=bot)
    kept = "\n".join(line for line in loaded.texts.raw("help", lang).splitlines() if "{bot}" not in line)
    return Message(markup.to_html(kept).format_map({}), ((menu_button(loaded, lang),),))
