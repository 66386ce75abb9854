"""What a message says, read once per search: its terms after the lexicon (abbreviations, synonyms,
Telex and typo repair against the handbook's vocabulary), its country, its danger signs, and whether it
is nothing but small talk. The handbook's own text is read the same way (without repair) to index it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from handbook.search.language import looks_vietnamese
from handbook.search.lexicon import Lexicon, Token, tokens
from handbook.search.textnorm import singular, telex_fold


@dataclass(slots=True)
class Query:
    tokens: list[Token]
    terms: list[str]  # folded, after abbreviations, repair and synonyms; country words left out
    toned: list[str]  # the same terms in toned form
    exact: list[bool]  # per term: typed with diacritics, so only the toned form matches fully
    stop: list[bool]  # per term: a filler word (see Lexicon.is_stopword)
    country: str | None
    danger: list[str]  # entry ids named by danger signs ("" for a sign with no entry)
    calm: bool = False  # a calm mention (prevention, the past, a how-to question): an urgent entry alone is not an alarm
    smalltalk: str | None = None  # the kind, when the message is nothing but small talk
    off_topic: tuple[tuple[str, ...], ...] = ()  # phrases (folded words) of topics the handbook leaves out (visa, rent...)

    @property
    def fillers(self) -> set[str]:
        """Terms that are filler words wherever they occur in the query."""
        return {t for t, s in zip(self.terms, self.stop) if s} - {t for t, s in zip(self.terms, self.stop) if not s}

    @property
    def urgent(self) -> bool:
        return bool(self.danger)


class Reader:
    """Reads messages with one lexicon; `learn` gives it the handbook's vocabulary once the index is built."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.vocab: list[str] = []  # the handbook's folded words, sorted, for typo repair
        self.vocab_set: set[str] = set()
        self.known: set[str] = set()  # words never repaired: the handbook's, the answers', the lexicon's
        self.toned_known: set[str] = set()  # toned forms the handbook or the lexicon writes

    def learn(self, *, vocab: list[str], known: set[str], toned_known: set[str]) -> None:
        self.vocab, self.vocab_set, self.known, self.toned_known = vocab, set(vocab), known, toned_known

    def read(self, text: str, *, indexing: bool = False) -> Query:
        """A query's terms, country and danger signs; for the handbook's own text (indexing) only the
        terms, without typo repair."""
        lex = self.lexicon
        toks = [x for t in lex.split(tokens(text)) for x in lex.expand(t)]
        if not indexing:
            toks = [self.repair(t) for t in toks]
            # a word typed with diacritics that the handbook does not know is a typo: match it folded
            toks = [replace(t, exact=False) if t.exact and t.toned not in self.toned_known else t for t in toks]
        country_spans = lex.countries.find_all(toks)
        in_country = {i for s, e, _ in country_spans for i in range(s, e)}
        syn = {s: (e, canon) for s, e, canon in lex.synonyms.find_all(toks)}
        chat_kind = None
        if not indexing:  # greetings, politeness, who and where: they weigh nothing
            talk = lex.smalltalk.find_all(toks)
            kinds = [kind for _, _, kind in talk]  # "hello, who are you?" is a "who": the greeting only opens it
            chat_kind = next((k for k in kinds if k != "greeting"), kinds[0] if kinds else None)
            # a filler never cuts a synonym in two: "dạ" opens a sentence, but not in "đau dạ dày"
            cut = [(s, e) for s, e, _ in lex.fillers.find_all(toks)
                   if not any(s < se and ss < e and not (s <= ss and se <= e) for ss, (se, _) in syn.items())]
            filler = {i for s, e in cut for i in range(s, e)}
            said = filler | {i for s, e, _ in talk for i in range(s, e)}
            rest = [t for i, t in enumerate(toks) if i not in said and i not in in_country and not lex.is_stopword(t)]
            chat_kind = (chat_kind or "greeting") if said and not rest else None
            in_country |= filler
        kept: list[Token] = []
        i = 0
        while i < len(toks):
            if i in syn:
                end, canon = syn[i]
                if not any(k in in_country for k in range(i, end)):
                    kept.extend(canon)
                i = end
                continue
            if i not in in_country:
                kept.append(toks[i])
            i += 1
        kept = [self._singular(t) for t in kept]
        if indexing:
            return Query(toks, [t.folded for t in kept], [t.toned for t in kept], [], [], None, [])
        stop = [lex.is_stopword(t) for t in kept]
        danger, calm = lex.signs.found(toks)
        only_talk = chat_kind if chat_kind and not danger else None
        return Query(toks, [t.folded for t in kept], [t.toned for t in kept], [t.exact and t.marked for t in kept],
                     stop, lex.country_of(toks), danger, calm, only_talk, _off_topic_words(lex, toks))

    def _singular(self, tok: Token) -> Token:
        if tok.marked or tok.folded in self.lexicon.words or tok.folded in self.lexicon.stopwords:
            return tok
        one = singular(tok.folded)
        return tok if one == tok.folded else replace(tok, folded=one, toned=one)

    def repair(self, tok: Token) -> Token:
        """Telex typed with the input method off, an English inflection, or a typo of a handbook word."""
        if tok.folded in self.known or tok.folded.isdigit():
            return tok
        telex = telex_fold(tok.folded)
        if telex and telex in self.vocab_set:
            return Token.of(telex)
        if tok.folded.isascii():
            for suffix in ("s", "es", "ed", "d", "ing", "ly", "ation", "ment", "ness"):
                stem = tok.folded[: -len(suffix)]
                if tok.folded.endswith(suffix) and len(stem) >= 3 and (stem in self.known or stem + "e" in self.known):
                    stem = stem if stem in self.known else stem + "e"
                    return Token(tok.text, stem, stem, False)
        if len(tok.folded) >= 4 and tok.folded.isascii() and not looks_vietnamese(tok.folded):
            hit = process.extractOne(tok.folded, self.vocab, scorer=fuzz.ratio, score_cutoff=80)
            if hit and abs(len(hit[0]) - len(tok.folded)) <= 2:
                return Token(tok.text, hit[0], hit[0], False)
        return tok


def _off_topic_words(lex: Lexicon, toks: list[Token]) -> tuple[tuple[str, ...], ...]:
    """The phrases of the message (as folded words) of topics the handbook leaves out (lexicon `off_topic`)."""
    return tuple(tuple(t.folded for t in toks[s:e]) for s, e, _ in lex.off_topic.find_all(toks))
