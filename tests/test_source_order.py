"""The source line under an entry: the reader's country's sources first, then general ones."""

from __future__ import annotations

from dataclasses import replace

from handbook.content.model import Source
from handbook.dialogue.render import entry_message, ordered_sources, source_line

JP1 = Source("Tokyo city page", "https://jp.example/1", "jp")
JP2 = Source("Osaka city page", "https://jp.example/2", "jp")
KR1 = Source("Seoul city page", "https://kr.example/1", "kr")
WHO = Source("WHO fact sheet", "https://who.example/", None)


def with_sources(loaded, *sources):
    return replace(loaded.handbook.entries["fever"], sources=tuple(sources))


def titles(sources) -> list[str]:
    return [s.title for s in sources]


def test_reader_in_korea_sees_korean_then_general_sources_never_japanese_first(loaded):
    entry = with_sources(loaded, JP1, JP2, WHO, KR1)
    assert titles(ordered_sources(entry, "kr")) == ["Seoul city page", "WHO fact sheet"]
    line = source_line(entry, loaded.texts, "vi", "kr")
    assert "Seoul" in line and "WHO" in line and "Tokyo" not in line and "Osaka" not in line
    assert line.index("Seoul") < line.index("WHO")


def test_reader_in_japan_sees_japanese_sources_before_general_ones(loaded):
    entry = with_sources(loaded, WHO, KR1, JP1)
    assert titles(ordered_sources(entry, "jp")) == ["Tokyo city page", "WHO fact sheet"]


def test_unknown_country_puts_general_sources_first(loaded):
    entry = with_sources(loaded, JP1, KR1, WHO)
    assert titles(ordered_sources(entry, None))[0] == "WHO fact sheet"


def test_unknown_country_shows_both_countries_in_turn_after_general_ones(loaded):
    entry = with_sources(loaded, JP1, JP2, KR1)
    assert titles(ordered_sources(entry, None)) == ["Tokyo city page", "Seoul city page", "Osaka city page"]


def test_other_country_sources_are_shown_only_when_nothing_else_is_cited(loaded):
    entry = with_sources(loaded, JP1)
    assert titles(ordered_sources(entry, "kr")) == ["Tokyo city page"]


def test_whole_entry_message_uses_the_readers_country_for_the_source_line(loaded):
    entry = with_sources(loaded, JP1, WHO, KR1)
    html = entry_message(entry, loaded.texts, "en", "kr")
    tail = html[html.rindex("Source:"):]
    assert "Seoul" in tail and "Tokyo" not in tail and "Facts checked against sources on" in tail
