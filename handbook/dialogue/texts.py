"""The interface texts (content/interface.yaml): every sentence of the bot that is not an entry."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from handbook.content import markup


@dataclass(frozen=True)
class Texts:
    """Texts by dotted key, each in vi and en. Values are written in the editors' markup."""

    table: Mapping[str, Mapping[str, str]]

    def raw(self, key: str, lang: str) -> str:
        item = self.table.get(key)
        if item is None:
            raise KeyError(f"interface text {key!r} is missing from content/interface.yaml")
        return item.get(lang) or item["vi"]

    def get(self, key: str, lang: str, *, html: Mapping[str, str] | None = None, **values: object) -> str:
        """The text as Telegram HTML; {placeholders} are filled with escaped values (or `html`, as is)."""
        rendered = markup.to_html(self.raw(key, lang))
        mapping = {k: markup.escape(str(v)) for k, v in values.items()}
        mapping.update(html or {})
        return rendered.format_map(mapping)

    def has(self, key: str) -> bool:
        return key in self.table


def flatten(data: object, prefix: str = "") -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """(table, problems) from the nested YAML: a leaf is a mapping with `vi` and `en`."""
    table: dict[str, dict[str, str]] = {}
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return table, [(prefix or "interface", "must be a mapping of names to {vi: ..., en: ...}")]
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and ("vi" in value or "en" in value):
            for lang in ("vi", "en"):
                if not isinstance(value.get(lang), str) or not value.get(lang).strip():
                    problems.append((name, f"text {name!r} has no {lang!r} version"))
            extra = set(value) - {"vi", "en"}
            if extra:
                problems.append((name, f"text {name!r} has unknown languages {sorted(extra)}; use vi and en"))
            fields = {lang: _fields(value.get(lang) or "") for lang in ("vi", "en")}
            if fields["vi"] != fields["en"]:
                problems.append((name, f"text {name!r}: vi and en use different {{placeholders}}"))
            table[name] = {lang: str(value.get(lang) or "") for lang in ("vi", "en")}
        elif isinstance(value, dict):
            sub, more = flatten(value, f"{name}.")
            table.update(sub)
            problems.extend(more)
        else:
            problems.append((name, f"text {name!r} must be {{vi: ..., en: ...}}"))
    return table, problems


def _fields(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError:
        return {"<broken braces>"}
