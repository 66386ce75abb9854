"""Button data: what a pressed button means, in at most 64 bytes, parsed without trusting it.

Codes: `c:jp` country · `l:vi|en|auto` language · `m` main menu · `m:<chapter>` chapter menu ·
`e:<via>:<entry>` open an entry (via m=menu, r=related, s=did-you-mean, a=not-what-you-meant beside an answer) · `fb:+:<entry>` / `fb:-:<entry>`
feedback · `x` emergency · `n` none of these · `st:html` the staff report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_VIA = {"m": "menu", "r": "related", "s": "choice", "a": "alternative"}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Press:
    action: str  # country | lang | menu | chapter | entry | feedback | emergency | none | report
    value: str | None = None
    via: str | None = None
    helpful: bool | None = None


def country(code: str) -> str:
    return f"c:{code}"


def lang(code: str) -> str:
    return f"l:{code}"


def menu(chapter: str | None = None) -> str:
    return f"m:{chapter}" if chapter else "m"


def entry(entry_id: str, via: str) -> str:
    code = next(k for k, v in _VIA.items() if v == via)
    return f"e:{code}:{entry_id}"


def feedback(entry_id: str, helpful: bool) -> str:
    return f"fb:{'+' if helpful else '-'}:{entry_id}"


EMERGENCY, NONE_OF_THESE, REPORT = "x", "n", "st:html"


def parse(data: object) -> Press | None:
    """The meaning of button data, or None for anything unknown, oversized or forged."""
    if not isinstance(data, str) or not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    if data == "m":
        return Press("menu")
    if data == EMERGENCY:
        return Press("emergency")
    if data == NONE_OF_THESE:
        return Press("none")
    if data == REPORT:
        return Press("report")
    head, _, rest = data.partition(":")
    if head == "c" and rest in ("jp", "kr"):
        return Press("country", rest)
    if head == "l" and rest in ("vi", "en", "auto"):
        return Press("lang", rest)
    if head == "m" and _ID.match(rest):
        return Press("chapter", rest)
    if head == "e":
        via, _, entry_id = rest.partition(":")
        if via in _VIA and _ID.match(entry_id):
            return Press("entry", entry_id, via=_VIA[via])
    if head == "fb":
        sign, _, entry_id = rest.partition(":")
        if sign in "+-" and len(sign) == 1 and _ID.match(entry_id):
            return Press("feedback", entry_id, helpful=sign == "+")
    return None
