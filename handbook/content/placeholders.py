"""Phone numbers in the texts the loader reads: `{{key}}` filled in from content/facts.yaml, and
every problem reported at its line (a number typed by hand, an unknown or unpublished key, another
country's number in a country part). `report` is the loader's per-file report (error/warn by line)."""

from __future__ import annotations

from typing import Protocol

from handbook.content import yamlines
from handbook.content.facts import Facts
from handbook.content.model import COUNTRIES, LANGS, Text


class Report(Protocol):
    def error(self, line: int, message: str) -> None: ...

    def warn(self, line: int, message: str) -> None: ...


def text_line(node: yamlines.LineMap, lang: str) -> int:
    """The line just before the first line of the text under `lang` (a block scalar starts after its key)."""
    raw = node.get(lang)
    block = isinstance(raw, str) and "\n" in raw
    return node.line_of(lang) - (0 if block else 1)


def fill_text(node: object, text: Text, what: str, report: Report, facts: Facts, country: str | None = None) -> Text:
    """The text with `{{key}}` replaced by numbers from facts.yaml; a number typed by hand is an error."""
    if not isinstance(node, yamlines.LineMap):
        return text
    values = {}
    for lang in LANGS:
        raw = node.get(lang)
        if not isinstance(raw, str):
            values[lang] = getattr(text, lang)
            continue
        base = text_line(node, lang) + 1
        for offset, message in facts.hand_typed(raw) + facts.half_braced(raw):
            report.error(base + offset, f"{what}.{lang}: {message}")
        if country:
            for offset, message in facts.other_country(raw, country):
                report.warn(base + offset, f"{what}.{lang}: {message}")
        expanded, problems = facts.expand(raw, lang)
        for offset, message in problems:
            report.error(base + offset, f"{what}.{lang}: {message}")
        values[lang] = expanded.strip()
    return Text(**values)


def fill_phrasings(node: object, values: dict[str, tuple[str, ...]], what: str, report: Report, facts: Facts) -> dict[str, tuple[str, ...]]:
    """Search phrasings may hold a number as people type it, but only a published one from facts.yaml."""
    if not isinstance(node, dict):
        return values
    out = dict(values)
    for lang in LANGS:
        items = node.get(lang)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, str):
                continue
            line = items.line_of(i) if hasattr(items, "line_of") else getattr(node, "line", 1)
            for number in facts.unlisted(item):
                report.error(line, f"{what}.{lang}: {number!r} is not a published number in content/facts.yaml (use: true); write only listed numbers in search phrasings")
            for _offset, message in facts.expand(item, lang)[1]:
                report.error(line, f"{what}.{lang}: {message}")
        out[lang] = tuple(facts.expand(q, lang)[0] for q in values.get(lang, ()))
    return out


def _interface_leaves(node: object, prefix: str = "") -> list[tuple[str, yamlines.LineMap]]:
    """(dotted name, the {vi, en} mapping) of every interface text, for line numbers."""
    out = []
    if isinstance(node, yamlines.LineMap):
        if "vi" in node or "en" in node:
            return [(prefix.rstrip("."), node)]
        for key, value in node.items():
            out += _interface_leaves(value, f"{prefix}{key}.")
    return out


def fill_interface(data: object, table: dict[str, dict[str, str]], facts: Facts, report: Report) -> dict[str, dict[str, str]]:
    """Interface texts take `{{key}}` like answers do; a number typed by hand is an error there too."""
    out = {name: dict(item) for name, item in table.items()}
    for name, node in _interface_leaves(data):
        if name not in out:
            continue
        country = next((part for part in name.split(".") if part in COUNTRIES), None)
        text = fill_text(node, Text(out[name].get("vi", ""), out[name].get("en", "")), f"interface text {name}", report, facts, country)
        out[name] = {lang: getattr(text, lang) for lang in LANGS}
    return out
