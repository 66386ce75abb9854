"""The editable lexicon (content/lexicon.yaml): abbreviations, synonyms, Japanese and Korean words,
country words, danger signs, stop words.

Phrases are matched on tokens with one rule: a token typed with diacritics must equal the lexicon
word in its toned form; a token typed without diacritics matches every word that folds to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from handbook.search import danger as danger_mod
from handbook.search.phrases import PhraseMatcher, Segmenter, Token, is_cjk, phrase_tokens, tokens
from handbook.search.textnorm import fold, toned, words

__all__ = ["COUNTRIES", "Lexicon", "PhraseMatcher", "Token", "build", "load", "problems_in", "tokens"]

COUNTRIES = ("jp", "kr")
LEXICON_KEYS = {"abbreviations", "synonyms", "foreign_words", "countries", "danger_signs", "stopwords", "fillers", "smalltalk",
                "off_topic"}


def script_country(toks: list[Token]) -> str | None:
    """jp for kana, kr for hangul in the message (Chinese characters alone say nothing)."""
    kana = hangul = False
    for t in toks:
        for ch in t.text:
            o = ord(ch)
            kana = kana or 0x3040 <= o <= 0x30FF or 0xFF66 <= o <= 0xFF9F
            hangul = hangul or 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F
    if kana != hangul:
        return "jp" if kana else "kr"
    return None


@dataclass
class Lexicon:
    abbreviations: dict[str, list[Token]] = field(default_factory=dict)  # toned key -> expansion
    synonyms: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> canonical Tokens
    countries: PhraseMatcher = field(default_factory=PhraseMatcher)  # place names -> jp | kr (left out of the terms)
    country_cues: PhraseMatcher = field(default_factory=PhraseMatcher)  # Japanese/Korean words -> jp | kr (kept)
    signs: danger_mod.DangerSigns = field(default_factory=danger_mod.DangerSigns)
    segmenter: Segmenter = field(default_factory=lambda: Segmenter(set()))
    fillers: PhraseMatcher = field(default_factory=PhraseMatcher)  # greetings, who I am, where, when: weigh nothing
    smalltalk: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> kind (greeting, thanks, ...)
    smalltalk_kinds: tuple[str, ...] = ()
    off_topic: PhraseMatcher = field(default_factory=PhraseMatcher)  # papers, money, housing...: topics the handbook leaves out
    stopwords: frozenset[str] = frozenset()  # folded
    stopwords_toned: frozenset[str] = frozenset()  # as written: bao (nhiêu) is one, bão (storm) is not
    words: frozenset[str] = frozenset()  # folded words the lexicon knows: typo repair leaves them alone
    toned_words: frozenset[str] = frozenset()  # the same with their diacritics: typed so, they are no typo

    def expand(self, tok: Token) -> list[Token]:
        """A chat abbreviation's full form, or the token itself."""
        return self.abbreviations.get(tok.toned) or [tok]

    def split(self, toks: list[Token]) -> list[Token]:
        """Japanese and Korean runs cut into the lexicon's words (病院に行く → 病院 に 行く)."""
        return self.segmenter.split(toks)

    def is_stopword(self, tok: Token) -> bool:
        """Filler? Typed with diacritics the exact word decides (cần is, cắn is not); typed without, the folded."""
        return tok.toned in self.stopwords_toned if tok.exact else tok.folded in self.stopwords

    def country_of(self, toks: list[Token]) -> str | None:
        """The one country the message points to: places, Japanese/Korean words, kana or hangul."""
        toks = self.split(toks)
        hits = {value for _, _, value in self.countries.find_all(toks)}
        if not hits:
            hits = {value for _, _, value in self.country_cues.find_all(toks)}
            script = script_country(toks)
            hits |= {script} if script else set()
        return hits.pop() if len(hits) == 1 else None

    def danger_signs(self, toks: list[Token]) -> list[str]:
        """The entry ids (or "" for none) of every danger sign in the tokens; empty when there is none."""
        return self.signs.found(self.split(toks))[0]

    def is_calm(self, toks: list[Token]) -> bool:
        """A mention with no standing danger sign and a calm cue (prevention, the past, a how-to question)."""
        return self.signs.found(self.split(toks))[1]

    def is_urgent(self, toks: list[Token]) -> bool:
        return bool(self.danger_signs(toks))

    def danger_entries(self) -> set[str]:
        return self.signs.entries()


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
    foreign = data.get("foreign_words") or {}
    if not isinstance(foreign, dict) or not all(isinstance(v, list) and all(isinstance(g, list) and len(g) >= 2 for g in v)
                                                for v in foreign.values()):
        out.append("foreign_words must map jp and kr to lists of groups: [Vietnamese meaning, word as typed, ...]")
    else:
        out += [f"foreign_words country code {k!r} is not one of jp, kr" for k in foreign if k not in COUNTRIES]
    countries = data.get("countries") or {}
    if not isinstance(countries, dict):
        out.append("countries must map jp and kr to lists of words")
    else:
        out += [f"country code {k!r} is not one of jp, kr" for k in countries if k not in COUNTRIES]
    if not _phrases(data.get("fillers") or []):
        out.append("fillers must be a list of phrases (words that say nothing about the question)")
    if not _phrases(data.get("off_topic") or []):
        out.append("off_topic must be a list of phrases (words of topics the handbook does not cover: visa, rent, tax...)")
    smalltalk = data.get("smalltalk") or {}
    if not isinstance(smalltalk, dict) or not all(isinstance(v, list) and all(isinstance(p, str) and words(p) for p in v)
                                                 for v in smalltalk.values()):
        bad = [p for v in smalltalk.values() if isinstance(v, list) for p in v if not (isinstance(p, str) and words(p))] if isinstance(smalltalk, dict) else []
        shown = f" ({', '.join(repr(p) for p in bad[:3])} is not a phrase: quote words such as \"yes\", \"no\")" if bad else ""
        out.append(f"smalltalk must map a kind (greeting, thanks, ...) to a list of phrases{shown}")
    else:
        out += [f"smalltalk kind {k!r} must be lower-case letters and _" for k in smalltalk if not str(k).replace("_", "").isalpha()
                or str(k) != str(k).lower()]
    return out + danger_mod.problems_in(data.get("danger_signs") or {})


def _phrases(value: object) -> bool:
    """Is it a list of non-empty phrases?"""
    return isinstance(value, list) and all(isinstance(f, str) and words(f) for f in value)


def build(data: dict) -> Lexicon:
    lex = Lexicon()
    known: set[str] = set()
    known_toned: set[str] = set()
    cjk: set[str] = set()

    def learn(phrase: str) -> None:
        for t in phrase_tokens(phrase):
            known.add(t.folded)
            known_toned.add(t.toned)
            if any(is_cjk(c) for c in t.text):
                cjk.add(t.text)

    for short, full in (data.get("abbreviations") or {}).items():
        key = Token.of(str(short))
        lex.abbreviations[key.toned] = tokens(str(full))
        known.update(t.folded for t in lex.abbreviations[key.toned])
    groups = [(None, g) for g in data.get("synonyms") or []]
    groups += [(code, g) for code, gs in (data.get("foreign_words") or {}).items() for g in gs or []]
    for code, group in groups:
        canonical = tuple(Token.of(w, exact=True) for w in words(str(group[0])))
        for i, phrase in enumerate(group):
            lex.synonyms.add(str(phrase), canonical)
            learn(str(phrase))
            if code and i:
                lex.country_cues.add(str(phrase), code)
    for code, phrases in (data.get("countries") or {}).items():
        for phrase in phrases or []:
            lex.countries.add(str(phrase), code)
            learn(str(phrase))
    danger = data.get("danger_signs") or {}
    lex.signs = danger_mod.build(danger, lex.expand)
    for matcher in (lex.signs.phrases, lex.signs.harmless, lex.signs.now, lex.signs.person, *lex.signs.calm.values()):
        for phrase, _ in matcher.phrases():
            for t in phrase:
                known.add(t.folded)
                known_toned.add(t.toned)
                if any(is_cjk(c) for c in t.text):
                    cjk.add(t.text)
    for phrase in data.get("fillers") or []:  # read with the chat abbreviations, as a message is (ad → admin)
        lex.fillers.add(str(phrase), True, lex.expand)
    for kind, phrases in (data.get("smalltalk") or {}).items():
        for phrase in phrases or []:
            lex.smalltalk.add(str(phrase), str(kind), lex.expand)
    lex.smalltalk_kinds = tuple(str(k) for k in data.get("smalltalk") or {})
    for phrase in data.get("off_topic") or []:
        lex.off_topic.add(str(phrase), True, lex.expand)
    lex.stopwords = frozenset(fold(str(w)) for w in data.get("stopwords") or [])
    lex.stopwords_toned = frozenset(toned(str(w)) for w in data.get("stopwords") or [])
    lex.words = frozenset(known)
    lex.toned_words = frozenset(known_toned | lex.stopwords_toned)
    lex.segmenter = Segmenter(cjk)
    return lex


def load(path: Path) -> Lexicon:
    with open(path, encoding="utf-8") as fh:
        return build(yaml.safe_load(fh) or {})
