"""Finding the entry a worker means: BM25-style candidates over folded syllables and syllable
bigrams, reranked with rapidfuzz and IDF-weighted query coverage, then an outcome: small talk (the
message holds nothing but greetings, thanks, fillers...), or, from the calibrated probability that the
best entry is right (decision.py), an answer with its alternatives, did-you-mean choices, or none.

The index is built once per handbook. Every step is general: folding, the lexicon (abbreviations,
synonyms, country words, danger signs), Telex repair, typo repair against the handbook's vocabulary.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from handbook.content.model import Handbook
from handbook.search import features
from handbook.search.decision import Decision
from handbook.search.language import LanguageGuesser
from handbook.search.lexicon import Lexicon
from handbook.search.query import Query, Reader
from handbook.search.textnorm import fold, fold_text, words

ANSWER, CHOICES, NONE, SMALLTALK = "answer", "choices", "none", "smalltalk"
BODY_CREDIT = 0.5  # a query word found only in an entry's answer counts half
DANGER_BOOST = 0.3  # added to the entry a danger sign names
COMPOUND_CREDIT = 0.6  # a word found, but never next to its neighbour in the query
K1, B = 1.2, 0.5  # BM25 for the candidates
STOP_WEIGHT = 0.25  # a filler word's share of its IDF
STOP_PAIR_WEIGHT = 0.5  # a word pair's share when one of the two is a filler (bị đau)
BODY_WEIGHT = 0.3  # an answer word's share of its IDF in the candidates' BM25
# the score: IDF-weighted coverage, bigram coverage, nearest phrasing, title
W_COVERAGE, W_BIGRAMS, W_SIMILARITY, W_TITLE = 0.45, 0.20, 0.25, 0.10
W_BM25 = 0.1  # the candidate's BM25 score as a share of the best candidate's
W_KEYWORD = 0.07  # an entry keyword found whole in the message, as a share of the best such find


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score floors that stay fixed; whether to answer is decided by `decision.Decision` (content/decision.yaml)."""

    choices: float = 0.55  # below this an entry is not offered (inline results, "not what you meant?")
    coverage: float = 0.35  # the coverage a danger sign's entry is given when it goes first


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    lang: str
    country: str | None
    urgent: bool
    outcome: str
    hits: tuple[Hit, ...] = ()
    alternatives: int = 0  # with an answer: how many of the next hits are offered as "not what you meant?"
    smalltalk: str | None = None  # with SMALLTALK: its kind (greeting, thanks, ... emoji)
    confidence: float = 0.0  # the decision's probability that the best hit is the right entry
    features: tuple[tuple[str, float], ...] = ()  # what the decision was made from (see decision.FEATURES)

    @property
    def answered(self) -> bool:
        return self.outcome == ANSWER

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(slots=True)
class _Doc:
    entry_id: str
    terms: Counter = field(default_factory=Counter)  # unigrams and bigrams
    unigrams: set = field(default_factory=set)
    toned: set = field(default_factory=set)  # toned forms of its words, for queries typed with diacritics
    titles: list = field(default_factory=list)  # analysed titles
    body: set = field(default_factory=set)  # words of the answers only: weaker evidence
    phrasings: list = field(default_factory=list)  # analysed strings for the rerank, words sorted
    meanings: list = field(default_factory=list)  # per phrasing: its content words, for how much of it a query carries
    keywords: set = field(default_factory=set)  # analysed keywords, each a tuple of terms
    length: int = 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    q_str: str  # the query's terms, for the rerank
    q_sorted: str  # the same, words sorted
    content_sorted: str  # without stop words, words sorted, for the title
    bigrams: list[str]
    bigram_weights: list[float]
    bigram_weight: float  # their sum
    content_only: bool
    total: float  # the IDF weight coverage is divided by


_DIGITS = re.compile(r"\d{3,}")


class SearchIndex:
    """Built once when a handbook loads; `search` is then pure and thread-safe."""

    def __init__(self, handbook: Handbook, lexicon: Lexicon, *, thresholds: Thresholds | None = None,
                 decision: Decision | None = None):
        self.handbook = handbook
        self.lexicon = lexicon
        self.reader = Reader(lexicon)
        self._folded: dict[str, str] = {}  # entry id -> its folded text, filled on first use (see folded_text)
        self.thresholds = thresholds or Thresholds()
        self.decision = decision or Decision()
        self.docs: list[_Doc] = []
        vi_words: set[str] = set()
        en_words: set[str] = set()
        for entry in handbook.entries.values():
            doc = _Doc(entry.id)
            sentences = [*entry.questions.get("vi", ()), *entry.questions.get("en", ()), entry.title.vi, entry.title.en]
            fields = [*sentences, *entry.keywords.get("vi", ()), *entry.keywords.get("en", ())]
            for n, text in enumerate(fields):
                q = self.analyse(text, indexing=True)
                if q.terms:
                    doc.phrasings.append(_sorted(q.terms))
                    if n < len(sentences):  # a whole question or title, not a lone keyword
                        # the handbook is written with diacritics: đâu (where) is a filler, đau (pain) is not
                        doc.meanings.append(tuple(dict.fromkeys(t for t, tn in zip(q.terms, q.toned) if tn not in lexicon.stopwords_toned)))
                    else:
                        doc.keywords.add(tuple(q.terms))
                    doc.terms.update(_with_bigrams(q.terms))
                    doc.toned.update(q.toned)
            doc.titles = [_sorted(self.analyse(t, indexing=True).terms) for t in (entry.title.vi, entry.title.en)]
            bodies = _bodies(entry)
            doc.terms.update(_DIGITS.findall(" ".join(bodies)))  # phone numbers and codes name their entry
            doc.unigrams = {t for t in doc.terms if "_" not in t}
            body = self.analyse(" ".join(bodies), indexing=True)
            doc.body = set(body.terms) - doc.unigrams
            doc.toned.update(body.toned)
            doc.length = sum(doc.terms.values())
            self.docs.append(doc)
            for lang, bucket in (("vi", vi_words), ("en", en_words)):
                text = " ".join([*entry.questions.get(lang, ()), entry.title.get(lang), entry.answer.get(lang)])
                bucket.update(fold(w) for w in words(text) if not w.isdigit())
        n = max(len(self.docs), 1)
        df = Counter(t for d in self.docs for t in d.terms)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self.avg_len = sum(d.length for d in self.docs) / n
        # BM25 term weights per entry, computed once: postings[term] = {entry number: weight}
        self.postings: dict[str, dict[int, float]] = {}
        for i, d in enumerate(self.docs):
            length_norm = K1 * (1 - B + B * d.length / self.avg_len)
            for t, tf in d.terms.items():
                self.postings.setdefault(t, {})[i] = tf * (K1 + 1) / (tf + length_norm)
        self.max_norm = {t: max(posting.values()) for t, posting in self.postings.items()}
        # keyword -> [(entry number, the IDF of its words)], for the keywords found whole in a message
        self.keyword_entries: dict[tuple[str, ...], list[tuple[int, float]]] = {}
        for i, d in enumerate(self.docs):
            for kw in d.keywords:
                self.keyword_entries.setdefault(kw, []).append((i, sum(self.idf.get(t, 0.0) for t in kw)))
        self.longest_keyword = max((len(kw) for kw in self.keyword_entries), default=0)
        # per entry, per phrasing: (IDF total, ((word, IDF), ...)), for how much of a phrasing a query carries
        self.meaning_weights = [[(sum(w for _, w in pairs), pairs) for words in d.meanings
                                 if (pairs := tuple((t, self.idf.get(t, 1.0)) for t in words)) and sum(w for _, w in pairs)]
                                for d in self.docs]
        body_df = Counter(t for d in self.docs for t in d.body)
        self.body_idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in body_df.items()}
        self.body_postings: dict[str, dict[int, float]] = {}
        for i, d in enumerate(self.docs):
            for t in d.body:
                self.body_postings.setdefault(t, {})[i] = 1.0
        vocab = sorted(t for t in self.idf if "_" not in t)
        known = set(vocab) | set(self.body_idf) | lexicon.words | _phrase_words(lexicon.fillers) | _phrase_words(lexicon.smalltalk)
        self.reader.learn(vocab=vocab, known=known, toned_known=set().union(*(d.toned for d in self.docs)) | lexicon.toned_words)
        self._doc_index = {d.entry_id: i for i, d in enumerate(self.docs)}
        lexicon.signs.use_entries(set(self._doc_index))
        self.language = LanguageGuesser(frozenset(vi_words | (lexicon.words - en_words)), frozenset(en_words))

    def folded_text(self, entry_id: str) -> str:
        """The entry's whole text (questions, keywords, answers, country parts), folded, with spaces around."""
        if entry_id not in self._folded:
            e = self.handbook.entries[entry_id]
            parts = [*e.questions.get("vi", ()), *e.questions.get("en", ()), *e.keywords.get("vi", ()), *e.keywords.get("en", ()),
                     *_bodies(e)]
            # folded line by line: fold_text reads at most a message's length at a time
            self._folded[entry_id] = f" {' '.join(fold_text(line) for part in parts for line in part.splitlines())} "
        return self._folded[entry_id]

    def analyse(self, text: str, *, indexing: bool = False) -> Query:
        """A query's terms, country and danger signs (see query.Reader)."""
        return self.reader.read(text, indexing=indexing)

    # --- scoring --------------------------------------------------------------------------------
    def _weight(self, term: str, stop: bool) -> float:
        w = self.idf.get(term) or self.body_idf.get(term) or (0.5 if term.isdigit() else self.unknown_idf)
        return w * STOP_WEIGHT if stop else w

    def _candidates(self, q: Query, k: int) -> list[tuple[int, float]]:
        """The k best entries by BM25 (syllables, bigrams, and answer words at lower weight).

        Terms go from the one that can add most to the one that can add least (MaxScore): once the
        k-th best score so far beats all that the remaining terms could add together, no entry outside
        the pool can reach the top k, so those terms only update the pool. Exact, and fast when a query
        holds very common words.
        """
        stop = q.fillers
        plan: list[tuple[float, float, dict[int, float]]] = []  # (most it can add, weight, postings)
        for t in set(_with_bigrams(q.terms)):
            idf = self.idf.get(t)
            if idf is not None:
                idf *= STOP_WEIGHT if t in stop else 1.0
                plan.append((idf * self.max_norm[t], idf, self.postings[t]))
        for t in set(q.terms):
            if t in self.body_postings and t not in stop:
                weight = BODY_WEIGHT * self.body_idf[t]
                plan.append((weight, weight, self.body_postings[t]))
        plan.sort(key=lambda x: -x[0])
        rest = sum(bound for bound, _, _ in plan)
        scores: dict[int, float] = {}
        pool_closed = False
        for bound, weight, posting in plan:
            if not pool_closed and len(scores) >= k and rest < heapq.nlargest(k, scores.values())[-1]:
                pool_closed = True
            if not pool_closed:
                for i, norm in posting.items():
                    scores[i] = scores.get(i, 0.0) + weight * norm
            elif len(posting) < len(scores):
                for i, norm in posting.items():
                    if i in scores:
                        scores[i] += weight * norm
            else:
                for i in scores:
                    norm = posting.get(i)
                    if norm:
                        scores[i] += weight * norm
            rest -= bound
        return heapq.nlargest(k, scores.items(), key=lambda x: x[1])

    def _prepare(self, q: Query) -> _Prepared:
        """What scoring needs from the query alone, computed once rather than per candidate."""
        content_only = not all(q.stop)  # filler words then do not count
        total = sum(self._weight(t, s) for t, s in zip(q.terms, q.stop) if not (content_only and s)) or 1.0
        bigrams = _bigrams(q.terms)
        # a pair with a filler word (bị đau) says less than a pair of content words (đau đầu)
        bigram_weights = [self.idf.get(b, self.unknown_idf) * (STOP_PAIR_WEIGHT if s1 or s2 else 1.0)
                          for b, s1, s2 in zip(bigrams, q.stop, q.stop[1:])]
        q_str = " ".join(q.terms)
        content = [t for t, s in zip(q.terms, q.stop) if not s] or q.terms
        return _Prepared(q_str, _sorted(q.terms), _sorted(content), bigrams, bigram_weights, sum(bigram_weights), content_only, total)

    def _evidence(self, q: Query, p: _Prepared, doc: _Doc) -> tuple[float, float]:
        """The word-level part of the score (coverage and bigram coverage): cheap, computed for every candidate."""
        content_only = p.content_only
        covered = 0.0
        last = len(q.terms) - 1
        for i, (term, tone, exact, stop) in enumerate(zip(q.terms, q.toned, q.exact, q.stop)):
            if content_only and stop:
                continue
            credit = 1.0 if term in doc.unigrams else BODY_CREDIT if term in doc.body else 0.0
            if not credit:
                continue
            # a syllable found only inside another compound (thời tiết / tiết kiệm) counts less
            pairs = ([f"{q.terms[i - 1]}_{term}"] if i > 0 else []) + ([f"{term}_{q.terms[i + 1]}"] if i < last else [])
            if pairs and not stop and not any(pair in doc.terms for pair in pairs):
                credit *= COMPOUND_CREDIT
            covered += self._weight(term, stop) * credit * (1.0 if not exact or tone in doc.toned else 0.4)
        coverage = covered / p.total
        if p.bigrams:
            bigram_cov = sum(w for b, w in zip(p.bigrams, p.bigram_weights) if b in doc.terms) / p.bigram_weight
        else:
            bigram_cov = coverage
        return W_COVERAGE * coverage + W_BIGRAMS * bigram_cov, coverage

    @staticmethod
    def _likeness(p: _Prepared, doc: _Doc, need: float) -> float | None:
        """The string-level part: how close the query is to the entry's nearest phrasing and to its title,
        or None once it is certain to be below `need`.

        Phrasings and titles are stored with their words sorted, so token_sort_ratio is a plain ratio,
        computed for all phrasings in one call; the dearer token_set_ratio (at most 100) only where it
        can still raise the best.
        """
        title = W_TITLE * max((fuzz.ratio(p.content_sorted, t) for t in doc.titles), default=0.0) / 100
        ranked = process.extract(p.q_sorted, doc.phrasings, scorer=fuzz.ratio, limit=None)
        if not ranked:
            return title
        if W_SIMILARITY * (35 + 0.65 * ranked[0][1]) / 100 + title < need:
            return None
        sim = 0.0  # max over phrasings of 0.35 token_set_ratio + 0.65 token_sort_ratio
        for phrasing, ratio, _ in ranked:
            if 35 + 0.65 * ratio <= sim:
                break
            cutoff = max(0.0, (sim - 0.65 * ratio) / 0.35)  # below it the phrasing cannot raise the best
            sim = max(sim, 0.35 * fuzz.token_set_ratio(p.q_str, phrasing, score_cutoff=cutoff) + 0.65 * ratio)
        return W_SIMILARITY * sim / 100 + title

    def _rank(self, q: Query, p: _Prepared, candidates: dict[int, float], danger: set[int], keep: int) -> list[tuple[float, float, int]]:
        """Full scores for every candidate that could reach the best `keep` (and for every danger entry).

        `candidates` maps each to its BM25 score as a share of the best candidate's (a share of it is part
        of the evidence: BM25 saturates repeated words and favours the entry that is about them, not a
        general one that mentions many). An entry's keyword found whole in the message adds a little (the
        editors named it as what the entry is about: "rosai" is the scheme's entry more than the injury's).
        Candidates are taken in order of their word-level evidence; the string-level part adds at most
        W_SIMILARITY + W_TITLE, so a candidate whose evidence plus that cannot beat the `keep`-th best
        full score so far is skipped without the string comparisons. The ranking is exactly that of
        scoring them all.
        """
        found = self._keywords_found(q, candidates)
        partial = sorted(((ev + W_BM25 * candidates[i] + W_KEYWORD * found.get(i, 0.0), cov, i)
                          for i in candidates for ev, cov in [self._evidence(q, p, self.docs[i])]),
                         key=lambda x: (-x[0], x[2]))
        best: list[float] = []  # min-heap of the `keep` best full scores outside the danger entries
        scored = []
        for evidence, coverage, i in partial:
            bar = best[0] - evidence if i not in danger and len(best) >= keep else -math.inf
            if bar > W_SIMILARITY + W_TITLE:
                continue
            likeness = self._likeness(p, self.docs[i], bar)
            if likeness is None:
                continue
            score = min(1.0, max(0.0, evidence + likeness))
            scored.append((score, coverage, i))
            if i not in danger:
                (heapq.heappush if len(best) < keep else heapq.heappushpop)(best, score)
        return scored

    def _keywords_found(self, q: Query, candidates: dict[int, float]) -> dict[int, float]:
        """Per candidate: the IDF weight of its weightiest keyword found whole in the query, as a share of
        the largest among the candidates (empty when none is found)."""
        n, terms = len(q.terms), q.terms
        found: dict[int, float] = {}
        for k in range(1, min(self.longest_keyword, n) + 1):
            for s in range(n - k + 1):
                for i, weight in self.keyword_entries.get(tuple(terms[s:s + k]), ()):
                    if i in candidates and weight > found.get(i, 0.0):
                        found[i] = weight
        top = max(found.values(), default=0.0)
        return {i: w / top for i, w in found.items()} if top else {}

    def search(self, text: str, *, limit: int = 5, lang: str | None = None) -> SearchResult:
        q = self.analyse(text)
        reply_lang = lang or self.language.detect(text)
        if q.smalltalk or (not q.tokens and _symbols_only(text)):
            return SearchResult(text, reply_lang, q.country, False, SMALLTALK, (), smalltalk=q.smalltalk or "emoji")
        if not q.terms:
            return SearchResult(text, reply_lang, q.country, q.urgent, NONE, ())
        prepared = self._prepare(q)
        danger_ids = {e for e in q.danger if e in self._doc_index}
        danger = {self._doc_index[e] for e in danger_ids}
        pool = dict(self._candidates(q, max(20, limit)))
        top_bm25 = max(pool.values(), default=0.0) or 1.0
        bm25 = {i: pool.get(i, 0.0) / top_bm25 for i in set(pool) | danger}
        scored = [(sc, cov, self.docs[i].entry_id) for sc, cov, i in self._rank(q, prepared, bm25, danger, max(limit, 2))]
        if danger:  # the lexicon names the entry a danger sign needs: it goes first, whatever else matched
            top_other = max((sc for sc, _, eid in scored if eid not in danger_ids), default=0.0)
            scored = [(min(1.0, max(sc + DANGER_BOOST, top_other + 0.01)), max(cov, self.thresholds.coverage), eid)
                      if eid in danger_ids else (sc, cov, eid) for sc, cov, eid in scored]
        scored.sort(key=lambda x: (-x[0], x[2]))
        hits = tuple(Hit(eid, round(s, 4)) for s, _, eid in scored[:limit])
        features = self._features(q, prepared, scored)
        confidence = self.decision.probability(dict(features)) if scored else 0.0
        if scored and scored[0][2] in danger_ids:
            outcome = ANSWER
        else:
            lead = dict(features).get("lead_share", 1.0)
            outcome = self._outcome(confidence, scored[0][0] if scored else 0.0, lead)
        alternatives = 0
        if outcome == ANSWER:  # the next entries that come close are offered: "not what you meant?"
            floor = self.decision.alternatives * hits[0].score
            alternatives = sum(1 for h in hits[1:3] if h.score >= floor and h.score >= self.thresholds.choices)
        entry = self.handbook.entries.get(hits[0].id) if hits and outcome == ANSWER else None
        urgent = q.urgent or bool(entry and entry.urgent and not q.calm)
        return SearchResult(text, reply_lang, q.country, urgent, outcome, hits, alternatives, None, round(confidence, 4), features)

    def _features(self, q: Query, p: _Prepared, scored: list[tuple[float, float, str]]) -> tuple[tuple[str, float], ...]:
        return features.measure(self, q, p.total, scored)

    def _outcome(self, confidence: float, best: float, lead: float) -> str:
        """Answer when the best entry is very likely right; did-you-mean when it may be, or when several
        entries match strongly and none leads (a true tie); otherwise no answer."""
        if confidence >= self.decision.answer and lead >= self.decision.tie:
            return ANSWER
        if confidence >= self.decision.answer:
            return CHOICES
        return CHOICES if confidence >= self.decision.choices or best >= self.decision.strong else NONE


def _bodies(entry) -> list[str]:
    """The entry's answer texts: the common part and each country's, in both languages."""
    return [entry.answer.vi, entry.answer.en, *(p.vi for p in entry.countries.values()), *(p.en for p in entry.countries.values())]


def _phrase_words(matcher) -> set[str]:
    return {t.folded for phrase, _ in matcher.phrases() for t in phrase}


def _symbols_only(text: str) -> bool:
    """Emoji, stickers' text, signs: something was sent, but no word."""
    return any(unicodedata.category(ch) in ("So", "Sk", "Sm") for ch in text)


def _bigrams(terms: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in zip(terms, terms[1:])]


def _with_bigrams(terms: list[str]) -> list[str]:
    return [*terms, *_bigrams(terms)]


def _sorted(terms: list[str]) -> str:
    return " ".join(sorted(terms))
