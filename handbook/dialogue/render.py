"""Entry messages as Telegram HTML: title, common part and country part, sources and review date."""

from __future__ import annotations

from itertools import zip_longest

from handbook.content import markup
from handbook.content.model import COUNTRY_NAMES, Entry, Source
from handbook.dialogue.texts import Texts


def emergency_block(texts: Texts, lang: str, country: str | None) -> str:
    key = f"emergency.{country}" if country in COUNTRY_NAMES else "emergency.unknown"
    return texts.get(key, lang)


def entry_body(entry: Entry, lang: str, country: str | None) -> str:
    """Title, common part and the part for the reader's country (both when the country is unknown)."""
    common = markup.to_html(entry.answer.get(lang))
    parts = []
    countries = [country] if country in entry.countries else list(entry.countries)
    for code in countries:
        heading = f"<b>{markup.escape(_flag(code))} {markup.escape(COUNTRY_NAMES[code][lang])}</b>"
        parts.append(f"{heading}\n{markup.to_html(entry.countries[code].get(lang))}")
    blocks = [*parts, common] if entry.country_first else [common, *parts]
    return f"<b>{markup.escape(entry.title.get(lang))}</b>\n\n" + "\n\n".join(b for b in blocks if b)


SHOWN_SOURCES = 2


def ordered_sources(entry: Entry, country: str | None) -> list[Source]:
    """The sources to show: the reader's country's first, then general ones, the other country's never.

    With no country known (the reader sees every country part), general sources come first, then one
    country's and the other's in turn. Another country's sources are shown only when the entry has
    nothing else to cite.
    """
    general = [s for s in entry.sources if s.country is None]
    if country is None:
        by_country = [[s for s in entry.sources if s.country == code] for code in COUNTRY_NAMES]
        turns = [s for group in zip_longest(*by_country) for s in group if s is not None]
        return general + turns
    own = [s for s in entry.sources if s.country == country]
    rest = [s for s in entry.sources if s.country is not None and s.country != country]
    return own + general or rest


def source_line(entry: Entry, texts: Texts, lang: str, country: str | None = None) -> str:
    links = ", ".join(
        f'<a href="{markup.escape(s.url).replace(chr(34), "&quot;")}">{markup.escape(s.title)}</a>'
        for s in ordered_sources(entry, country)[:SHOWN_SOURCES]
    )
    reviewed = entry.reviewed.isoformat() if entry.reviewed else "?"
    return texts.get("entry.sources", lang, date=reviewed, html={"links": links or "—"})


def entry_message(entry: Entry, texts: Texts, lang: str, country: str | None, *, urgent: bool = False) -> str:
    """The whole message for an entry; the emergency block first when urgent or the entry is."""
    pieces = []
    if urgent or entry.urgent:
        pieces.append(emergency_block(texts, lang, country))
    pieces.append(entry_body(entry, lang, country))
    pieces.append(f"<i>{source_line(entry, texts, lang, country)}</i>")
    return "\n\n".join(pieces)


def _flag(code: str) -> str:
    return {"jp": "🇯🇵", "kr": "🇰🇷"}.get(code, "")
