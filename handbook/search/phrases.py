"""Tokens and phrase matching with the diacritics rule; Japanese and Korean text cut into known words.

A token typed with diacritics must equal the lexicon word in its toned form; a token typed without
diacritics matches every word that folds to it. In a lexicon phrase the word `#` stands for a number
of 5 or more ("uống # viên"). Chinese characters, kana and hangul are written without spaces between
words (在留カードを持って, 병원에), so a run of them is cut into the longest known words, leftovers kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from handbook.search.textnorm import fold, has_marks, toned, words

NUMBER = "zznumberzz"  # what `#` in a lexicon phrase becomes: any number of 5 or more
SMALLEST_COUNT = 5


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
        if other.folded == NUMBER:
            return self.folded.isdigit() and int(self.folded[:6]) >= SMALLEST_COUNT
        if self.exact:
            return self.toned == other.toned
        return self.folded == other.folded


def tokens(text: str) -> list[Token]:
    """The words of a text. When any word carries diacritics, every word is taken as typed (exact)."""
    ws = words(text)
    typed_with_marks = any(has_marks(w) for w in ws)
    return [_token(w, typed_with_marks) for w in ws]


def phrase_tokens(phrase: str) -> tuple[Token, ...]:
    """A lexicon phrase's tokens, `#` standing for a number."""
    return tuple(Token(NUMBER, NUMBER, NUMBER, False) if w == "#" else _token(w, has_marks(w))
                 for part in phrase.split() for w in (["#"] if part == "#" else words(part)))


@lru_cache(maxsize=65536)
def _token(word: str, exact: bool) -> Token:  # Tokens are immutable: the handbook's words repeat a lot
    return Token.of(word, exact=exact)


def is_cjk(ch: str) -> bool:
    """Chinese characters, kana, hangul (letters written without spaces between words)."""
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF
            or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xF900 <= o <= 0xFAFF or 0xFF66 <= o <= 0xFF9F)


class Segmenter:
    """Cuts runs of CJK letters inside tokens into the longest known words (the lexicon's), left to right."""

    def __init__(self, known: set[str]):
        self.known = {w for w in known if w and all(is_cjk(c) for c in w)}
        self.longest = max((len(w) for w in self.known), default=0)

    def split(self, toks: list[Token]) -> list[Token]:
        if not any(is_cjk(c) for t in toks for c in t.text):
            return toks
        out: list[Token] = []
        for t in toks:
            if any(is_cjk(c) for c in t.text):
                out.extend(_token(w, t.exact) for w in self.pieces(t.text))
            else:
                out.append(t)
        return out

    def pieces(self, word: str) -> list[str]:
        out: list[str] = []
        rest = ""
        i = 0
        while i < len(word):
            ch = word[i]
            hit = ""
            if is_cjk(ch):
                for n in range(min(self.longest, len(word) - i), 0, -1):
                    if word[i:i + n] in self.known:
                        hit = word[i:i + n]
                        break
            if hit:
                out += [rest] if rest else []
                out.append(hit)
                rest = ""
                i += len(hit)
                continue
            if rest and is_cjk(rest[-1]) != is_cjk(ch):  # Latin letters glued to CJK ones: two words
                out.append(rest)
                rest = ""
            rest += ch
            i += 1
        return out + ([rest] if rest else [])


class PhraseMatcher:
    """Finds lexicon phrases in a token list, longest first, with the diacritics rule."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[Token, ...], object]]] = {}

    def add(self, phrase: str, value: object, expand=None) -> None:
        """Add a phrase; `expand` (a token -> tokens function) reads its chat abbreviations as a query's are read."""
        toks = phrase_tokens(phrase)
        if expand is not None:
            toks = tuple(x for t in toks for x in (expand(t) if t.folded != NUMBER else [t]))
        if toks:
            self._by_first.setdefault(toks[0].folded, []).append((toks, value))
            self._by_first[toks[0].folded].sort(key=lambda item: -len(item[0]))

    def words(self) -> set[str]:
        """The folded words of every phrase."""
        return {t.folded for items in self._by_first.values() for phrase, _ in items for t in phrase}

    def phrases(self) -> list[tuple[tuple[Token, ...], object]]:
        return [item for items in self._by_first.values() for item in items]

    def _starting(self, tok: Token) -> list[tuple[tuple[Token, ...], object]]:
        found = self._by_first.get(tok.folded, [])
        if NUMBER in self._by_first and tok.folded.isdigit():
            found = sorted([*found, *self._by_first[NUMBER]], key=lambda item: -len(item[0]))
        return found

    def match_at(self, toks: list[Token], i: int) -> tuple[int, object] | None:
        """(length, value) of the longest phrase starting at toks[i], or None."""
        for phrase, value in self._starting(toks[i]):
            n = len(phrase)
            if i + n <= len(toks) and all(toks[i + k].matches(phrase[k]) for k in range(n)):
                return n, value
        return None

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

    def find_every(self, toks: list[Token]) -> list[tuple[int, int, object]]:
        """Every (start, end, value) match, overlapping ones too (a word may serve two phrases)."""
        found = []
        for i, tok in enumerate(toks):
            for phrase, value in self._starting(tok):
                n = len(phrase)
                if i + n <= len(toks) and all(toks[i + k].matches(phrase[k]) for k in range(n)):
                    found.append((i, i + n, value))
        return found
