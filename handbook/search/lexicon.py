"""The editable lexicon (content/lexicon.yaml): abbreviations, synonyms, country words, danger signs.

Phrases are matched on tokens with one rule: a token typed with diacritics must equal the lexicon
word in its toned form; a token typed without diacritics matches every word that folds to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from handbook.search.textnorm import fold, has_marks, toned, words

COUNTRIES = ("jp", "kr")
LEXICON_KEYS = {"abbreviations", "synonyms", "countries", "danger_signs", "stopwords", "fillers", "smalltalk"}


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: as typed, folded and toned."""

    text: str
    folded: str
    toned: str
    marked: bool
    exact: bool = False  # typed in a text with diacritics: an unmarked word is meant unmarked

    @classmethod
    def of(cls, word: str, *, exact: bool | None = None) -> Token:
        marked = has_marks(word)
        return cls(word, fold(word), toned(word), marked, marked if exact is None else exact or marked)

    def matches(self, other: Token) -> bool:
        """Does this typed token match the lexicon word `other`?"""
        if self.exact:
            return self.toned == other.toned
        return self.folded == other.folded


def tokens(text: str) -> list[Token]:
    """The words of a text. When any word carries diacritics, every word is taken as typed (exact)."""
    ws = words(text)
    typed_with_marks = any(has_marks(w) for w in ws)
    return [_token(w, typed_with_marks) for w in ws]


@lru_cache(maxsize=65536)
def _token(word: str, exact: bool) -> Token:  # Tokens are immutable: the handbook's words repeat a lot
    return Token.of(word, exact=exact)


class PhraseMatcher:
    """Finds lexicon phrases in a token list, longest first, with the diacritics rule."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[Token, ...], object]]] = {}

    def add(self, phrase: str, value: object) -> None:
        toks = tuple(tokens(phrase))
        if toks:
            self._by_first.setdefault(toks[0].folded, []).append((toks, value))
            self._by_first[toks[0].folded].sort(key=lambda item: -len(item[0]))

    def match_at(self, toks: list[Token], i: int) -> tuple[int, object] | None:
        """(length, value) of the longest phrase starting at toks[i], or None."""
        for phrase, value in self._by_first.get(toks[i].folded, ()):
            n = len(phrase)
            if i + n <= len(toks) and all(toks[i + k].matches(phrase[k]) for k in range(n)):
                return n, value
        return None

    def words(self) -> set[str]:
        """The folded words of every phrase."""
        return {t.folded for items in self._by_first.values() for phrase, _ in items for t in phrase}

    def find_all(self, toks: list[Token]) -> list[tuple[int, int, object]]:
        """Every (start, end, value) match, scanning left to right without overlaps."""
        found, i = [], 0
        while i < len(toks):
            hit = self.match_at(toks, i)
            if hit:
                found.append((i, i + hit[0], hit[1]))
                i += hit[0]
            else:
                i += 1
        return found


@dataclass
class Lexicon:
    abbreviations: dict[str, list[Token]] = field(default_factory=dict)  # toned key -> expansion
    synonyms: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> canonical Tokens
    countries: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> jp | kr
    danger: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> entry id or ""
    harmless: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> True ("unless")
    fillers: PhraseMatcher = field(default_factory=PhraseMatcher)  # greetings, who I am, where, when: weigh nothing
    smalltalk: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> kind (greeting, thanks, ...)
    smalltalk_kinds: tuple[str, ...] = ()
    stopwords: frozenset[str] = frozenset()  # folded
    stopwords_toned: frozenset[str] = frozenset()  # as written: bao (nhiêu) is one, bão (storm) is not
    words: frozenset[str] = frozenset()  # folded words the lexicon knows

    def expand(self, tok: Token) -> list[Token]:
        """A chat abbreviation's full form, or the token itself."""
        return self.abbreviations.get(tok.toned) or [tok]

    def is_stopword(self, tok: Token) -> bool:
        """Filler? Typed with diacritics the exact word decides (cần is, cắn is not); typed without, the folded."""
        return tok.toned in self.stopwords_toned if tok.exact else tok.folded in self.stopwords

    def country_of(self, toks: list[Token]) -> str | None:
        hits = {value for _, _, value in self.countries.find_all(toks)}
        return hits.pop() if len(hits) == 1 else None

    def danger_signs(self, toks: list[Token]) -> list[str]:
        """The entry ids (or "" for none) of every danger sign in the tokens; empty when there is none."""
        harmless = [(s, e) for s, e, _ in self.harmless.find_all(toks)]
        return [value for start, end, value in self.danger.find_all(toks) if not any(s < end and start < e for s, e in harmless)]

    def is_urgent(self, toks: list[Token]) -> bool:
        return bool(self.danger_signs(toks))

    def danger_entries(self) -> set[str]:
        return {v for items in self.danger._by_first.values() for _, v in items if v}


def problems_in(data: object) -> list[str]:
    """What is wrong with a parsed lexicon.yaml, as sentences that say how to fix it."""
    if not isinstance(data, dict):
        return ["the lexicon must be a mapping with the keys " + ", ".join(sorted(LEXICON_KEYS))]
    out = [f"unknown key {k!r} in the lexicon (known: {', '.join(sorted(LEXICON_KEYS))})" for k in data if k not in LEXICON_KEYS]
    abbr = data.get("abbreviations") or {}
    if not isinstance(abbr, dict):
        out.append("abbreviations must be a mapping: short form -> full form")
    else:
        out += [f"abbreviation {k!r} must be one word" for k in abbr if len(words(str(k))) != 1]
    syn = data.get("synonyms") or []
    if not isinstance(syn, list) or not all(isinstance(g, list) and len(g) >= 2 for g in syn):
        out.append("synonyms must be a list of groups, each a list of at least two phrases")
    countries = data.get("countries") or {}
    if not isinstance(countries, dict):
        out.append("countries must map jp and kr to lists of words")
    else:
        out += [f"country code {k!r} is not one of jp, kr" for k in countries if k not in COUNTRIES]
    danger = data.get("danger_signs") or {}
    groups = danger.get("groups") if isinstance(danger, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get("phrases"), list) for g in groups):
        out.append("danger_signs must be a mapping with `groups` (each {entry: id or null, phrases: [...]}) and optionally `unless`")
    fillers = data.get("fillers") or []
    if not isinstance(fillers, list) or not all(isinstance(f, str) and words(f) for f in fillers):
        out.append("fillers must be a list of phrases (words that say nothing about the question)")
    smalltalk = data.get("smalltalk") or {}
    if not isinstance(smalltalk, dict) or not all(isinstance(v, list) and all(isinstance(p, str) and words(p) for p in v)
                                                 for v in smalltalk.values()):
        bad = [p for v in smalltalk.values() if isinstance(v, list) for p in v if not (isinstance(p, str) and words(p))] if isinstance(smalltalk, dict) else []
        shown = f" ({', '.join(repr(p) for p in bad[:3])} is not a phrase: quote words such as \"yes\", \"no\")" if bad else ""
        out.append(f"smalltalk must map a kind (greeting, thanks, ...) to a list of phrases{shown}")
    else:
        out += [f"smalltalk kind {k!r} must be lower-case letters and _" for k in smalltalk if not str(k).replace("_", "").isalpha()
                or str(k) != str(k).lower()]
    return out


def build(data: dict) -> Lexicon:
    lex = Lexicon()
    known: set[str] = set()
    for short, full in (data.get("abbreviations") or {}).items():
        key = Token.of(str(short))
        lex.abbreviations[key.toned] = tokens(str(full))
        known.update(t.folded for t in lex.abbreviations[key.toned])
    for group in data.get("synonyms") or []:
        canonical = tuple(Token.of(w, exact=True) for w in words(str(group[0])))
        for phrase in group:
            lex.synonyms.add(str(phrase), canonical)
            known.update(t.folded for t in tokens(str(phrase)))
    for code, phrases in (data.get("countries") or {}).items():
        for phrase in phrases or []:
            lex.countries.add(str(phrase), code)
    danger = data.get("danger_signs") or {}
    for group in danger.get("groups") or []:
        for phrase in group.get("phrases") or []:
            lex.danger.add(str(phrase), str(group.get("entry") or ""))
    for phrase in danger.get("unless") or []:
        lex.harmless.add(str(phrase), True)
    for phrase in data.get("fillers") or []:
        lex.fillers.add(str(phrase), True)
    for kind, phrases in (data.get("smalltalk") or {}).items():
        for phrase in phrases or []:
            lex.smalltalk.add(str(phrase), str(kind))
    lex.smalltalk_kinds = tuple(str(k) for k in data.get("smalltalk") or {})
    lex.stopwords = frozenset(fold(str(w)) for w in data.get("stopwords") or [])
    lex.stopwords_toned = frozenset(toned(str(w)) for w in data.get("stopwords") or [])
    lex.words = frozenset(known)
    return lex


def load(path: Path) -> Lexicon:
    with open(path, encoding="utf-8") as fh:
        return build(yaml.safe_load(fh) or {})
