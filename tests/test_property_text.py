"""Any text at all: normalisation, language detection, search and the conversation never fail.

Property tests (hypothesis) over emoji, control and bidi characters, right-to-left scripts,
combining-mark floods, lone surrogates, markup characters and texts of 100,000 characters. Each
test says which protection it guards; removing that protection makes the test fail.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.telegram_html import check_markup, format_text

from handbook.dialogue.conversation import Incoming, Settings, handle
from handbook.search import language, textnorm

MODEST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# pieces that break naive text handling
HOSTILE = [
    "\u0301", "\u0300", "\u0303", "\u0323", "\u0309", "\u0302\u0301",  # Vietnamese tone and shape marks
    "\u200b", "\u200f", "\u202e", "\u2066", "\ufeff", "\u2028",  # zero width, RTL override, isolates, BOM
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\t", "\r\n",  # control characters
    "😀", "🇯🇵", "👩‍⚕️", "🏽", "\ufe0f",  # emoji, flags, ZWJ sequences, skin tones
    "مرحبا", "שלום", "병원", "病院", "びょういん",  # right-to-left and Asian scripts
    "<b>", "</a>", "&", "&amp;", "<script>", '"', "*", "_", "`", "[x](y)", "~", "|", "#", "/",  # markup
    "sốt", "đau bụng", "dau bung", "bhyt", "119", "fever", "benhj vieenj",  # real words
]
texts = st.one_of(
    st.text(),  # any code points but surrogates
    st.text(st.characters(codec=None, exclude_categories=())),  # lone surrogates too
    st.lists(st.sampled_from(HOSTILE), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=5)), max_size=20).map(" ".join),
    st.builds(lambda base, n: base + "\u0301" * n, st.sampled_from(["a", "sốt", "😀", ""]), st.integers(0, 5000)),
    st.builds(lambda piece, n: piece * n, st.sampled_from(HOSTILE + ["x", "sốt cao "]), st.integers(1000, 100_000)),
)
LONG = ["x" * 100_000, "😀" * 100_000, "sốt cao " * 12_500, "a" + "\u0301" * 99_999, "\ud800" * 100_000, "\u202e" * 100_000]

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@MODEST
@given(texts)
@example("\ud800")
@example("\x00\x00<b>")
@example(LONG[0])
def test_normalisation_of_any_text_is_clean_bounded_and_stable(s):
    # guards textnorm.clean: unpaired surrogates replaced, control and bidi characters removed,
    # input cut to MAX_INPUT; and fold/toned/words never raising on what they are given
    cleaned = textnorm.clean(s)
    assert isinstance(cleaned, str) and utf8(cleaned)
    assert len(cleaned) <= textnorm.MAX_INPUT
    assert not CONTROL.search(cleaned)
    assert textnorm.clean(cleaned) == cleaned == textnorm.clean(s)
    tokens = textnorm.words(s)
    assert tokens == textnorm.words(s)
    assert all(t and not any(ch.isspace() for ch in t) and utf8(t) for t in tokens)
    for word in [s[:200], *tokens[:50]]:
        assert isinstance(textnorm.fold(word), str) and textnorm.fold(word) == textnorm.fold(word)
        assert isinstance(textnorm.toned(word), str) and textnorm.toned(word) == textnorm.toned(word)


@MODEST
@given(texts)
@example("\ud83d")
@example(LONG[1])
def test_language_of_any_text_is_vi_or_en_and_the_same_twice(loaded, s):
    # guards language detection: clean() before langdetect, the seeded detector, the vi default
    first = (loaded.index.language.detect(s), language.detect_language(s))
    assert set(first) <= {"vi", "en"}
    assert (loaded.index.language.detect(s), language.detect_language(s)) == first


@MODEST
@given(texts, st.sampled_from([None, "vi", "en"]))
@example(LONG[2], None)
@example(LONG[3], None)
@example("", "en")
def test_search_of_any_text_keeps_its_contract_and_is_deterministic(loaded, s, lang):
    # guards SearchIndex.search on any input: outcome/lang vocabulary, scores in [0, 1] in order,
    # only existing entries, no more than the limit, and no hidden state between calls
    result = loaded.index.search(s, limit=5, lang=lang)
    assert result.lang in ("vi", "en") and (lang is None or result.lang == lang)
    assert result.outcome in ("answer", "choices", "none", "smalltalk")
    assert result.outcome != "smalltalk" or (not result.hits and result.smalltalk)
    assert result.alternatives <= max(0, len(result.hits) - 1) and (result.outcome == "answer" or not result.alternatives)
    assert result.country in (None, "jp", "kr") and isinstance(result.urgent, bool)
    scores = [hit.score for hit in result.hits]
    assert all(0.0 <= x <= 1.0 for x in scores) and scores == sorted(scores, reverse=True)
    assert len(result.hits) <= 5 and all(hit.id in loaded.handbook.entries for hit in result.hits)
    assert result.outcome != "answer" or result.hits
    assert loaded.index.search(s, limit=5, lang=lang) == result


def check_telegram_message(message) -> None:
    """What Telegram would refuse with a 400: invalid HTML, empty or over-long text, bad buttons."""
    assert utf8(message.html), "a lone surrogate reached Telegram"
    if message.markup_only:
        return
    assert len(message.html) <= 4096
    plain, _ = format_text({"text": message.html, "parse_mode": "HTML"}, "text", 4096, required=True)
    assert plain.strip()
    rows = [[{"text": b.text, **({"callback_data": b.data} if b.data else {"url": b.url})} for b in row] for row in message.keyboard]
    if rows:
        check_markup({"inline_keyboard": rows})


@MODEST
@given(texts, st.sampled_from([None, "vi", "en", "ja"]))
@example("<b>sốt</b> </a> & <script>alert(1)</script>", None)
@example("giá vàng " + "<" * 5000, "en")
@example(LONG[4], None)
@example(LONG[5], "vi")
def test_any_text_message_gets_valid_telegram_html_under_the_limit(loaded, s, client_lang):
    # guards the reply path: user text escaped (texts.get/markup.escape), the echoed question cut
    # to 120 characters, entries split under 4096 (markup.split_message), conversation.handle
    # catching nothing because nothing raises
    reply = handle(loaded, Settings(), Incoming("text", s, client_lang=client_lang))
    assert reply.messages
    for message in reply.messages:
        check_telegram_message(message)
    assert reply.lang in ("vi", "en")
    again = handle(loaded, Settings(), Incoming("text", s, client_lang=client_lang))
    assert [m.html for m in again.messages] == [m.html for m in reply.messages]


@MODEST
@given(st.sampled_from(["command", "button", "media"]), st.one_of(st.sampled_from(["start", "help", "stats", "menu"]), texts),
       texts, st.booleans(), st.sampled_from([None, "jp", "kr"]))
@example("command", "help", "びょういん" * 1000, False, None)  # the argument of /help is not echoed
def test_any_command_or_button_data_gets_a_valid_reply(loaded, kind, command, s, admin, country):
    # guards buttons.parse (forged, oversized, surrogate data) and the command handling with any
    # argument: a polite, valid reply, never an exception
    incoming = Incoming(kind, s, command=command, data=s, is_admin=admin)
    reply = handle(loaded, Settings(country=country), incoming)
    for message in reply.messages:
        check_telegram_message(message)
    assert reply.messages or reply.action in ("stats", "reload", "report")


@pytest.mark.parametrize("s", LONG, ids=["ascii", "emoji", "words", "combining", "surrogates", "rtl-override"])
def test_100000_character_messages_are_answered(loaded, s):
    # guards MAX_INPUT: only the first 2,000 characters are looked at, so a huge message is cheap
    reply = handle(loaded, Settings(), Incoming("text", s))
    for message in reply.messages:
        check_telegram_message(message)
