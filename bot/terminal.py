"""`healthbot chat`: the Telegram conversation in a terminal. Buttons become numbered choices."""

from __future__ import annotations

import sys
from typing import TextIO

from handbook.content.markup import html_to_plain
from handbook.dialogue import conversation
from handbook.dialogue.conversation import Incoming, Settings

from .wiring import build_core


def parse_line(line: str, choices: list[str]) -> Incoming:
    """A typed line as an update: /command args, the number of a shown button, or a question."""
    text = line.strip()
    if text.startswith("/") and len(text) > 1:
        name, _, rest = text[1:].partition(" ")
        return Incoming("command", rest.strip(), command=name.split("@")[0].lower())
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return Incoming("button", data=choices[int(text) - 1])
    return Incoming("text", text)


def show(reply: conversation.Reply, out: TextIO) -> list[str]:
    """Print the reply; return the callback data of its buttons, numbered from 1."""
    choices: list[str] = []
    if reply.toast:
        out.write(f"[{reply.toast}]\n")
    for message in reply.messages:
        if message.html:
            out.write("\n" + html_to_plain(message.html) + "\n")
        for row in message.keyboard:
            labels = []
            for button in row:
                if button.data:
                    choices.append(button.data)
                    labels.append(f"[{len(choices)}] {button.text}")
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
        incoming = parse_line(line, choices)
        reply = conversation.handle(core.library.current, settings, incoming)
        if reply.settings is not None:
            settings = reply.settings
        new_choices = show(reply, stdout)
        choices = new_choices or choices
        stdout.flush()
    return 0
