"""The content model: chapters and entries, each text in Vietnamese and English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

LANGS = ("vi", "en")
COUNTRIES = ("jp", "kr")
COUNTRY_NAMES = {"jp": {"vi": "Nhật Bản", "en": "Japan"}, "kr": {"vi": "Hàn Quốc", "en": "Korea"}}


@dataclass(frozen=True, slots=True)
class Text:
    vi: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str
    country: str | None = None  # jp or kr when the source is about one country only; None when general


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    chapter: str
    title: Text
    questions: Mapping[str, tuple[str, ...]]
    keywords: Mapping[str, tuple[str, ...]]
    answer: Text
    countries: Mapping[str, Text]
    urgent: bool
    country_first: bool
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: date | None
    file: str = ""
    line: int = 0
    key_lines: Mapping[str, int] = field(default_factory=dict)  # where each key is, for reports


@dataclass(frozen=True, slots=True)
class Chapter:
    id: str
    title: Text
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Handbook:
    chapters: tuple[Chapter, ...]
    entries: Mapping[str, Entry] = field(default_factory=dict)

    @classmethod
    def of(cls, chapters: tuple[Chapter, ...]) -> Handbook:
        entries = {e.id: e for ch in chapters for e in ch.entries}
        return cls(chapters, MappingProxyType(entries))

    def chapter(self, chapter_id: str) -> Chapter | None:
        return next((c for c in self.chapters if c.id == chapter_id), None)
