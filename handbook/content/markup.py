"""The editors' markup (`**bold**`, `- ` bullets, `[text](https://...)` links, blank lines) and its
rendering to Telegram HTML or plain text. Everything else is escaped, so editors never write HTML."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_RAW_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>")
TELEGRAM_LIMIT = 4096


def escape(text: str) -> str:
    """Text that Telegram shows as written inside HTML (user input, titles...)."""
    return html.escape(text, quote=False)


def problems(text: str) -> list[tuple[int, str]]:
    """(line offset within the text, message) for every piece of markup that cannot be rendered."""
    found = []
    for offset, line in enumerate(text.split("\n")):
        if _RAW_TAG.search(line):
            found.append((offset, "HTML tags are not allowed in answers; use **bold**, '- ' bullets or [text](https://...)"))
        rest = _LINK.sub("", line)
        for m in _LINK.finditer(line):
            if not m.group(2).startswith(("http://", "https://")):
                found.append((offset, f"link address {m.group(2)!r} must start with http:// or https://"))
        if "](" in rest:
            found.append((offset, "broken link: write [text](https://address) with no spaces in the address"))
        if line.count("**") % 2:
            found.append((offset, "unbalanced ** : every **bold** needs an opening and a closing **"))
    return found


def _inline_html(line: str) -> str:
    out, pos = [], 0
    for m in _LINK.finditer(line):
        out.append(_bold_html(line[pos : m.start()]))
        url = html.escape(m.group(2), quote=True)
        out.append(f'<a href="{url}">{_bold_html(m.group(1))}</a>')
        pos = m.end()
    out.append(_bold_html(line[pos:]))
    return "".join(out)


def _bold_html(segment: str) -> str:
    parts = segment.split("**")
    if len(parts) % 2 == 0:  # unbalanced: show the stars as written rather than break the message
        return escape(segment)
    return "".join(f"<b>{escape(p)}</b>" if i % 2 else escape(p) for i, p in enumerate(parts) if p or i % 2 == 0)


def _bullet(line: str) -> tuple[bool, str]:
    stripped = line.lstrip()
    if stripped.startswith(("- ", "* ")):
        return True, stripped[2:]
    return False, line.rstrip()


def to_html(text: str) -> str:
    """Telegram HTML for an answer written in the markup."""
    lines = []
    for line in text.strip().split("\n"):
        is_bullet, body = _bullet(line)
        rendered = _inline_html(body)
        lines.append(f"• {rendered}" if is_bullet else rendered)
    return _squeeze("\n".join(lines))


def to_plain(text: str) -> str:
    """The answer as plain text, for the terminal."""
    lines = []
    for line in text.strip().split("\n"):
        is_bullet, body = _bullet(line)
        body = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", body).replace("**", "")
        lines.append(f"• {body}" if is_bullet else body)
    return _squeeze("\n".join(lines))


def _squeeze(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_plain(text: str) -> str:
    """Telegram HTML (as the bot renders it) to plain text, for the terminal chat."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", text)
    return html.unescape(re.sub(r"</?(b|i|u|s|code|pre|blockquote)>", "", text))


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split rendered HTML at paragraph boundaries (then lines) so that each part fits Telegram.

    Tags never span a paragraph in what the renderer produces, so every part stays valid HTML.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        pieces = [para] if len(para) <= limit else _split_long(para, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _split_long(para: str, limit: int) -> list[str]:
    out, current = [], ""
    for line in para.split("\n"):
        if len(line) > limit:  # one enormous line: drop its formatting so that no cut can break a tag
            line = escape(html_to_plain(line))
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= limit // 2:
                cut = limit
                amp = line.rfind("&", 0, cut)
                if amp != -1 and ";" not in line[amp:cut]:  # never cut inside &amp;
                    cut = amp
            out.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = line
    if current:
        out.append(current)
    return out
