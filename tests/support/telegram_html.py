"""Telegram's rules for message content: its HTML subset, text limits and inline keyboards.

Used by the fake Bot API server (fake_telegram.py); each check raises ``BadRequest`` whose text is
Telegram's description after ``"Bad Request: "``.

``parse_html(text)`` is modelled on tdlib's parser (https://core.telegram.org/bots/api#html-style):
tags b, strong, i, em, u, ins, s, strike, del, span class="tg-spoiler", tg-spoiler, a href, code
(class="language-x" inside pre), pre, blockquote (optionally ``expandable``), tg-emoji emoji-id,
properly nested and closed (``</>`` closes the innermost tag); entities &lt; &gt; &amp; &quot;
and numeric ones.  It returns the plain text and the entities (offsets in UTF-16 code units, as
the Bot API reports them).  Telegram itself keeps a bare ``&`` (or an unknown named entity such as
``&nbsp;``) as literal text; the documentation says it must be escaped, and with ``strict=True``
(the default) the parser enforces the documentation, so that unescaped user text is caught even
when it only contains ``&``.  A bare ``>`` is accepted, as Telegram does.

``format_text`` applies parse_mode (or the entities given), trims surrounding whitespace and
checks the length after parsing, in Unicode code points as tdlib does (text 1-4096, caption
0-1024).  ``check_markup`` checks inline keyboards: at most 100 buttons, non-blank button text,
one action per button, callback_data of 1-64 bytes.  ``auto_entities`` marks bot commands,
mentions and URLs in a user's text, as Telegram does for incoming messages.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

TAGS = set("a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split())
SIMPLE = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline", "s": "strikethrough"}
SIMPLE.update({"strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler"})
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
BUTTON_ACTIONS = (
    "callback_data url web_app login_url switch_inline_query switch_inline_query_current_chat switch_inline_query_chosen_chat"
    " copy_text callback_game pay"
).split()


class BadRequest(ValueError):
    """Telegram answers 400 with "Bad Request: " + str(error)."""


class HtmlParseError(BadRequest):
    """The HTML cannot be parsed; Telegram's description is "can't parse entities: " + str(error)."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``text[pos] == '&'``: (character, next position) or None."""
    end = pos + 1
    if text.startswith("#", end):
        end += 1
        hexa = text.startswith(("x", "X"), end)
        end += hexa
        start = end
        digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(text[start:end], 16 if hexa else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        char = NAMED.get(text[pos + 1 : end])
        if char is None:
            return None
    if text.startswith(";", end):
        end += 1
    return char, end


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into (plain text, entities); raise HtmlParseError like Telegram."""

    def at(i: int) -> str:
        return text[i] if i < len(text) else ""

    def offset(i: int) -> int:  # tdlib reports UTF-8 byte offsets
        return len(text[:i].encode("utf-8", "surrogatepass"))

    out: list[str] = []
    utf16 = 0
    stack: list[tuple[str, dict, int]] = []  # (tag, attributes, utf16 start)
    entities: list[dict] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise HtmlParseError(f'Unescaped "&" at byte offset {offset(i)}; use &amp;')
        if c != "<":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while at(i) and not at(i).isspace() and at(i) != ">":
                i += 1
            if not at(i):
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset(begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {offset(begin)}')
            attrs = {}
            while at(i) != ">":
                while at(i) and at(i).isspace():
                    i += 1
                if at(i) == ">":
                    break
                name_start = i
                while at(i) and not at(i).isspace() and at(i) not in "=>":
                    i += 1
                name = text[name_start:i].lower()
                if not name:
                    raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {offset(begin)}')
                while at(i) and at(i).isspace():
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and name == "expandable":
                        attrs[name] = ""
                        continue
                    if not at(i):
                        raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
                    raise HtmlParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {offset(begin)}'
                    )
                i += 1
                while at(i) and at(i).isspace():
                    i += 1
                if not at(i):
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
                if at(i) not in "'\"":
                    value_start = i
                    while at(i) and (at(i).isascii() and at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[value_start:i].lower()
                    if not at(i).isspace() and at(i) != ">":
                        raise HtmlParseError(f"Unexpected end of name token at byte offset {offset(value_start)}")
                else:
                    quote, value_start = at(i), i
                    i += 1
                    chars = []
                    while at(i) and at(i) != quote:
                        decoded = _decode_entity(text, i) if at(i) == "&" else None
                        if decoded is not None:
                            chars.append(decoded[0])
                            i = decoded[1]
                        else:
                            chars.append(at(i))
                            i += 1
                    if at(i) != quote:
                        raise HtmlParseError(f"Unclosed end tag at byte offset {offset(value_start)}")
                    i += 1
                    value = "".join(chars)
                attrs[name] = value
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}')
            if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
                raise HtmlParseError(f'Tag "tg-emoji" must have a numeric "emoji-id" at byte offset {offset(begin)}')
            stack.append((tag, attrs, utf16))
            i += 1
            continue
        # an end tag
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {offset(begin)}")
        i += 1
        while at(i) and not at(i).isspace() and at(i) != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while at(i) and at(i).isspace():
            i += 1
        if at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {offset(begin)}")
        i += 1
        tag, attrs, start = stack.pop()
        if end_name and end_name != tag:
            raise HtmlParseError(f'Unmatched end tag at byte offset {offset(begin)}, expected "</{tag}>", found "</{end_name}>"')
        if utf16 > start:
            entity = _entity(tag, attrs, start, utf16 - start, entities)
            if entity is not None:
                entities.append(entity)
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity(tag: str, attrs: dict, offset: int, length: int, done: list[dict]) -> dict | None:
    entity: dict = {"offset": offset, "length": length}
    if tag in SIMPLE:
        entity["type"] = SIMPLE[tag]
    elif tag == "a":
        href = attrs.get("href", "")
        if not href:
            return None  # Telegram keeps the text and drops a link without a URL
        entity.update(type="text_link", url=href)
    elif tag == "code":
        entity["type"] = "code"
        language = attrs.get("class", "")
        if language.startswith("language-"):
            entity["language"] = language[len("language-") :]
    elif tag == "pre":
        entity["type"] = "pre"
        for inner in done:  # <pre><code class="language-x"> is one pre entity with a language
            if (inner["offset"], inner["length"], inner["type"]) == (offset, length, "code"):
                done.remove(inner)
                if "language" in inner:
                    entity["language"] = inner["language"]
                break
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    else:  # tg-emoji
        entity.update(type="custom_emoji", custom_emoji_id=attrs["emoji-id"])
    return entity


def strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    if not stripped:
        return "", []
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def auto_entities(text: str) -> list[dict]:
    """The entities Telegram adds to a user's text: bot commands, mentions, URLs."""
    found = []
    patterns = (
        ("bot_command", r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
        ("mention", r"(?<![\w@/])@[A-Za-z0-9_]{5,32}\b"),
        ("url", r"\bhttps?://[^\s<>\"]+"),
    )
    for kind, pattern in patterns:
        for m in re.finditer(pattern, text):
            found.append({"type": kind, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())})
    return sorted(found, key=lambda e: e["offset"])


def check_markup(markup: Any) -> dict | None:
    """Validate reply_markup; return the inline keyboard to store on the message, if any."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise BadRequest("can't parse reply keyboard markup JSON object")
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadRequest('can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array')
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if not isinstance(button, dict):
                raise BadRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            if not isinstance(button.get("text"), str):
                raise BadRequest("can't parse inline keyboard button: Can't find field \"text\"")
            if not button["text"].strip():
                raise BadRequest("BUTTON_TEXT_INVALID")
            if not any(button.get(k) not in (None, "") for k in BUTTON_ACTIONS):
                raise BadRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64):
                raise BadRequest("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and urlsplit(str(url)).scheme not in ("http", "https", "tg"):
                raise BadRequest(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    if count > 100:
        raise BadRequest("reply markup is too long")
    return {"inline_keyboard": rows} if rows else None


def format_text(params: dict, key: str, limit: int, *, required: bool) -> tuple[str, list[dict]]:
    """Parse a text or caption with its parse_mode or entities, as Telegram does."""
    raw = params.get(key)
    raw = "" if raw is None else raw if isinstance(raw, str) else json.dumps(raw)
    mode = str(params.get("parse_mode") or "")
    if mode.lower() == "html":
        try:
            text, entities = parse_html(raw)
        except HtmlParseError as exc:
            raise BadRequest(f"can't parse entities: {exc}") from None
    elif mode.lower() in ("markdown", "markdownv2"):
        text, entities = raw, []
    elif mode:
        raise BadRequest("unsupported parse_mode")
    else:
        text = raw
        entities = params.get("caption_entities" if key == "caption" else "entities") or []
        if not isinstance(entities, list) or not all(isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities):
            raise BadRequest("can't parse entities JSON object")
    text, entities = strip_text(text, entities)
    if required and not text:
        raise BadRequest("message text is empty")
    if len(text) > limit:
        raise BadRequest("message caption is too long" if key == "caption" else "message is too long")
    return text, entities
