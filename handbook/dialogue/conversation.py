"""The conversation as a pure function: an incoming update and the user's settings in; messages,
buttons, settings changes and anonymous events out. Telegram and the terminal only carry it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handbook.content.library import Loaded
from handbook.content.model import COUNTRY_NAMES
from handbook.dialogue import buttons, views
from handbook.dialogue.views import Message
from handbook.search.engine import ANSWER, CHOICES, SMALLTALK
from handbook.search.textnorm import clean, words
from handbook.usage.events import Event

COMMANDS = ("start", "menu", "emergency", "country", "lang", "help", "about")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")  # a Telegram username
ADMIN_COMMANDS = ("stats", "reload")


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: str  # text | command | button | media
    text: str = ""  # the message text, or the command's argument
    command: str | None = None
    data: str | None = None  # button data
    # with a press: the data of every button on the pressed message, as the adapter has it (untrusted;
    # an edit that takes buttons away keeps the others, e.g. the "not what you meant?" choices)
    siblings: tuple[str, ...] = ()
    client_lang: str | None = None  # Telegram's language_code of the user
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    lang: str | None = None  # chosen with /lang; None: follow each message
    country: str | None = None


@dataclass
class Reply:
    messages: list[Message] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    settings: Settings | None = None  # new settings to save, when they changed
    toast: str | None = None  # a short notice for a pressed button
    action: str | None = None  # for the adapter: "reload" | "stats" | "report"
    lang: str = "vi"


def ui_lang(settings: Settings, incoming: Incoming) -> str:
    if settings.lang in ("vi", "en"):
        return settings.lang
    return "en" if (incoming.client_lang or "").lower().startswith("en") else "vi"


def handle(loaded: Loaded, settings: Settings, incoming: Incoming, *, keeps_misses: bool = False) -> Reply:
    """Decide the reply. Never raises on odd input: anything unknown gets a polite answer.

    `keeps_misses` is the deployment's setting: True when unanswered questions are stored (without
    names) to improve the handbook. The privacy texts say so only then.
    """
    lang = ui_lang(settings, incoming)
    reply = Reply(lang=lang, events=[Event("message")])
    if incoming.kind == "command":
        _command(loaded, settings, incoming, lang, reply, keeps_misses)
    elif incoming.kind == "button":
        _button(loaded, settings, incoming, lang, reply)
    elif incoming.kind == "text":
        _question(loaded, settings, incoming.text, reply)
    else:
        reply.messages.append(views.simple(loaded, "media.text_only", lang))
    return reply


def _privacy(loaded: Loaded, key: str, lang: str, keeps_misses: bool) -> str:
    return loaded.texts.get(f"{key}_misses" if keeps_misses else key, lang)


def _command(loaded: Loaded, settings: Settings, incoming: Incoming, lang: str, reply: Reply, keeps_misses: bool = False) -> None:
    name = (incoming.command or "").lower()
    if name == "start":
        _start(loaded, settings, incoming.text.strip(), lang, reply, keeps_misses)
    elif name == "menu":
        reply.messages.append(views.main_menu(loaded, lang))
    elif name == "emergency":
        reply.events.append(Event("emergency", country=settings.country))
        reply.messages.append(views.emergency(loaded, lang, settings.country))
    elif name == "country":
        reply.messages.append(views.choose_country(loaded, lang))
    elif name == "lang":
        reply.messages.append(views.choose_lang(loaded, lang))
    elif name == "help":
        # the adapter passes the bot's username; any other argument (typed by the user) is not shown;
        # without one (the terminal) the lines naming @{bot} are left out
        bot = incoming.text if _USERNAME.fullmatch(incoming.text) else None
        reply.messages.append(views.help_message(loaded, lang, bot))
    elif name == "about":
        about = loaded.texts.get("about", lang, html={"privacy": _privacy(loaded, "privacy.about", lang, keeps_misses)})
        reply.messages.append(views.Message(about, ((views.menu_button(loaded, lang),),)))
    elif name in ADMIN_COMMANDS and incoming.is_admin:
        reply.action = name
    else:
        reply.messages.append(views.simple(loaded, "unknown_command", lang))


def _start(loaded: Loaded, settings: Settings, payload: str, lang: str, reply: Reply, keeps_misses: bool = False) -> None:
    if payload in loaded.handbook.entries:
        reply.events += [Event("start", value=payload), Event("entry_shown", entry=payload, via="deeplink", lang=lang, country=settings.country)]
        reply.messages += views.entry_messages(loaded, payload, lang, settings.country)
        return
    reply.events.append(Event("start", value="unknown" if payload else None))
    texts = loaded.texts
    greeting = "\n\n".join([texts.get("start.greeting", lang), texts.get("reminder", lang), _privacy(loaded, "privacy.short", lang, keeps_misses)])
    # a country already chosen (saved, or `healthbot chat --country`) is not asked again: the menu instead
    ask = views.main_menu(loaded, lang) if settings.country in COUNTRY_NAMES else views.choose_country(loaded, lang)
    reply.messages += [views.Message(greeting), ask]


def _button(loaded: Loaded, settings: Settings, incoming: Incoming, lang: str, reply: Reply) -> None:
    press = buttons.parse(incoming.data)
    entries = loaded.handbook.entries
    if press is None or (press.action in ("entry", "feedback") and press.value not in entries):
        reply.toast = loaded.texts.raw("expired", lang)
        reply.messages += [Message(loaded.texts.get("expired", lang)), views.main_menu(loaded, lang)]
        return
    if press.action == "country":
        reply.settings = Settings(settings.lang, press.value)
        name = COUNTRY_NAMES[press.value][lang]
        reply.messages += [Message(loaded.texts.get("country.saved", lang, country=name), edit=True), views.main_menu(loaded, lang)]
    elif press.action == "lang":
        new_lang = None if press.value == "auto" else press.value
        reply.settings = Settings(new_lang, settings.country)
        shown = new_lang or lang
        name = loaded.texts.raw("lang.auto_name", shown) if new_lang is None else loaded.texts.raw(f"button.lang_{new_lang}", shown)
        reply.messages.append(Message(loaded.texts.get("lang.saved", shown, language=name), edit=True))
        reply.lang = shown
    elif press.action == "menu":
        reply.messages.append(views.main_menu(loaded, lang, edit=True))
    elif press.action == "chapter":
        view = views.chapter_menu(loaded, press.value, lang)
        if view is None:
            reply.messages += [Message(loaded.texts.get("expired", lang)), views.main_menu(loaded, lang)]
            return
        reply.events.append(Event("menu_open", chapter=press.value))
        reply.messages.append(view)
    elif press.action == "entry":
        if press.via == "alternative":  # the answer given was not what the worker meant: ranking missed
            reply.events.append(Event("alternative_chosen", entry=press.value, lang=lang, country=settings.country))
        reply.events.append(Event("entry_shown", entry=press.value, via=press.via, lang=lang, country=settings.country))
        reply.messages += views.entry_messages(loaded, press.value, lang, settings.country)
    elif press.action == "feedback":
        reply.events.append(Event("helpful" if press.helpful else "not_helpful", entry=press.value))
        reply.toast = loaded.texts.raw("feedback.thanks", lang)
        kept = [p.value for p in map(buttons.parse, incoming.siblings) if p and p.via == "alternative" and p.value in entries]
        keyboard = views.entry_keyboard(loaded, press.value, lang, with_feedback=False, alternatives=kept[:2])
        reply.messages.append(Message("", keyboard, edit=True, markup_only=True))
        if not press.helpful:
            reply.messages.append(views.none_of_these(loaded, lang, settings.country))
    elif press.action == "emergency":
        reply.events.append(Event("emergency", country=settings.country))
        reply.messages.append(views.emergency(loaded, lang, settings.country))
    elif press.action == "none":
        reply.messages.append(views.none_of_these(loaded, lang, settings.country))
    elif press.action == "report":
        reply.action = "report" if incoming.is_admin else None
        if not incoming.is_admin:
            reply.messages.append(views.simple(loaded, "unknown_command", lang))


def _question(loaded: Loaded, settings: Settings, text: str, reply: Reply) -> None:
    text = clean(text).strip()
    if not text:
        reply.messages.append(views.simple(loaded, "answer.empty", reply.lang))
        return
    result = loaded.index.search(text, limit=views.MAX_CHOICES, lang=settings.lang)
    before = reply.lang  # the interface language (chosen, or the Telegram client's)
    lang = reply.lang = result.lang
    country = result.country or settings.country
    if result.outcome == SMALLTALK:
        # "ok", "alo", an emoji: too few words to tell the language; the user's own interface language then
        lang = reply.lang = lang if settings.lang or len(words(text)) > 1 else before
        reply.events.append(Event("smalltalk", lang=lang, value=result.smalltalk))
        reply.messages.append(views.smalltalk(loaded, result.smalltalk or "greeting", lang))
        return
    reply.events.append(Event("question", lang=lang, country=country))
    if result.urgent:
        reply.events.append(Event("urgent", lang=lang, country=country))
    if result.outcome == ANSWER:
        entry_id = result.hits[0].id
        reply.events += [Event("answered", entry=entry_id, lang=lang, country=country),
                         Event("entry_shown", entry=entry_id, via="search", lang=lang, country=country)]
        others = [h.id for h in result.hits[1 : 1 + result.alternatives]]
        reply.messages += views.entry_messages(loaded, entry_id, lang, country, urgent=result.urgent, alternatives=others)
        return
    if result.urgent:
        reply.messages.append(views.emergency(loaded, lang, country))
    if result.outcome == CHOICES:
        reply.events.append(Event("choices", lang=lang, country=country))
        reply.messages.append(views.did_you_mean(loaded, [h.id for h in result.hits], lang))
    else:
        reply.events.append(Event("no_answer", lang=lang, country=country, text=text))
        if result.urgent:  # danger words but no entry: what to do in an emergency, not "ask differently"
            reply.messages.append(views.urgent_no_answer(loaded, lang))
        else:
            reply.messages.append(views.no_answer(loaded, text, lang, country))


def inline_results(loaded: Loaded, settings: Settings, query: str, *, limit: int = 5) -> tuple[str, list[tuple[str, str, str]]]:
    """(lang, [(entry id, title, message html)]) for an inline query; empty query: the chapters' first entries."""
    query = clean(query).strip()
    if query:
        result = loaded.index.search(query, limit=limit, lang=settings.lang)
        lang, country = result.lang, result.country or settings.country
        ids = [h.id for h in result.hits if h.score >= loaded.index.thresholds.choices]
    else:
        lang, country = settings.lang or "vi", settings.country
        ids = [ch.entries[0].id for ch in loaded.handbook.chapters if ch.entries][:limit]
    from handbook.content.markup import split_message
    from handbook.dialogue.render import entry_message

    out = []
    for entry_id in ids:
        entry = loaded.handbook.entries[entry_id]
        html = split_message(entry_message(entry, loaded.texts, lang, country))[0]
        out.append((entry_id, entry.title.get(lang), html))
    return lang, out
