"""`healthbot chat`: the Telegram conversation in a terminal. Buttons become numbered choices."""

from __future__ import annotations

import sys
from typing import TextIO

from handbook.content.markup import html_to_plain
from handbook.dialogue import conversation
from handbook.dialogue.conversation import Incoming, Settings

from .wiring import build_core

Choices = dict[int, str]  # the number shown in brackets -> the button's callback data
CHOICE_DIGITS = 2  # "7" or "12" picks a choice; a longer number ("119", "1345") is a question


def is_choice_number(text: str) -> bool:
    text = text.strip()
    return text.isdigit() and len(text) <= CHOICE_DIGITS


def parse_line(line: str, choices: Choices) -> Incoming:
    """A typed line as an update: /command args, the number of a shown button, or a question."""
    text = line.strip()
    if text.startswith("/") and len(text) > 1:
        name, _, rest = text[1:].partition(" ")
        return Incoming("command", rest.strip(), command=name.split("@")[0].lower())
    if is_choice_number(text) and int(text) in choices:
        return Incoming("button", data=choices[int(text)], siblings=tuple(choices.values()))
    return Incoming("text", text)


def no_such_choice(text: str, choices: Choices) -> str:
    shown = ", ".join(str(n) for n in sorted(choices)) or "none"
    return f"[no choice {int(text)} / không có lựa chọn số {int(text)}: the numbers shown now are {shown}]\n"


def show(reply: conversation.Reply, out: TextIO, previous: Choices | None = None) -> Choices:
    """Print the reply; return its buttons' callback data by number.

    A message edited in place (one of its buttons was pressed) keeps the numbers its buttons had, so
    a number read on the screen never comes to mean another button; the buttons of new messages are
    numbered after those (from 1 when none are kept). A reply that neither edits a message nor brings
    buttons leaves the shown numbers as they were.
    """
    previous = previous or {}
    edited = [m.edit or m.markup_only for m in reply.messages]
    if not any(edited) and not any(b.data for m in reply.messages for row in m.keyboard for b in row):
        choices = dict(previous)  # nothing new to press: the numbers on the screen still hold
    else:
        choices = {}
    number_of = {data: n for n, data in previous.items()}
    kept = {number_of[b.data] for m, e in zip(reply.messages, edited) if e for row in m.keyboard for b in row if b.data in number_of}
    following = max(kept, default=0) + 1
    if reply.toast:
        out.write(f"[{reply.toast}]\n")
    for message, is_edit in zip(reply.messages, edited):
        if message.html:
            out.write("\n" + html_to_plain(message.html) + "\n")
        for row in message.keyboard:
            labels = []
            for button in row:
                if button.data:
                    number = number_of.get(button.data)
                    if not (is_edit and number in kept) or number in choices:
                        number, following = following, following + 1
                    choices[number] = button.data
                    labels.append(f"[{number}] {button.text}")
                elif button.url:
                    labels.append(f"{button.text} <{button.url}>")
            out.write("  " + "   ".join(labels) + "\n")
    return choices


def run_chat(*, country: str | None = None, lang: str | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    core = build_core(with_usage=False)
    settings = Settings(lang, country)
    interactive = stdin.isatty()
    stdout.write("healthbot chat: type a question, a /command, or the number of a choice. Ctrl-D or /quit to leave.\n")
    choices = show(conversation.handle(core.library.current, settings, Incoming("command", "", command="start")), stdout)
    while True:
        if interactive:
            stdout.write("\n> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip() in ("/quit", "/exit"):
            break
        if not line.strip():
            continue
        if is_choice_number(line) and int(line) not in choices:
            stdout.write(no_such_choice(line, choices))
            continue
        incoming = parse_line(line, choices)
        reply = conversation.handle(core.library.current, settings, incoming)
        if reply.settings is not None:
            settings = reply.settings
        choices = show(reply, stdout, choices)
        stdout.flush()
    return 0
