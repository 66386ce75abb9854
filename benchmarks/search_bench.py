"""Search, side by side: ours against BM25 (bm25s) and plain rapidfuzz WRatio, on the same queries.

- ours: ``SearchIndex.search(text, limit=5)`` (analysis, candidates, rerank, outcome);
- bm25: ``bm25s.BM25`` over ``fold_text`` of each entry's questions + titles + keywords (one document
  per entry), the query folded the same way, whitespace tokens, ``retrieve(k=3)``;
- rapidfuzz: ``process.extractOne(query, phrasings, scorer=fuzz.WRatio)`` over every question phrasing
  (raw text, no processor), mapped back to its entry. Only this call is timed; its top-3 comes
  from an untimed ``process.extract`` (the best three distinct entries).

Every method's latency includes its own query normalisation. Each query is timed once, after a short
warm-up, in this process, one query at a time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
from rapidfuzz import fuzz, process

from handbook.content.model import Handbook
from handbook.search import decision as decision_mod
from handbook.search.decision import Decision
from handbook.search.engine import SearchIndex
from handbook.search.lexicon import Lexicon
from handbook.search.textnorm import fold_text

from .synthetic import Query

METHODS = ("ours", "bm25", "rapidfuzz")
WARMUP = 10


class Ours:
    name = "ours"

    def __init__(self, handbook: Handbook, lexicon: Lexicon):
        self.index = SearchIndex(handbook, lexicon, decision=_decision())

    def top(self, text: str) -> list[str]:
        return [h.id for h in self.index.search(text, limit=5).hits]

    def top3(self, text: str, first: list[str]) -> list[str]:
        return first[:3]


def _decision() -> Decision | None:
    """The reviewed answer decision of the bundled content (content/decision.yaml), as the bot uses it."""
    path = Path(__file__).resolve().parents[1] / "content" / "decision.yaml"
    return decision_mod.load(path) if path.exists() else None


def entry_text(entry) -> str:
    return " ".join(
        [*entry.questions.get("vi", ()), *entry.questions.get("en", ()), entry.title.vi, entry.title.en,
         *entry.keywords.get("vi", ()), *entry.keywords.get("en", ())]
    )


class Bm25:
    name = "bm25"

    def __init__(self, handbook: Handbook, lexicon: Lexicon | None = None):
        self.ids = list(handbook.entries)
        corpus = [fold_text(entry_text(e)).split() for e in handbook.entries.values()]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.k = min(3, len(self.ids))

    def top(self, text: str) -> list[str]:
        tokens = fold_text(text).split()
        if not tokens:
            return []
        docs, scores = self.retriever.retrieve([tokens], k=self.k, show_progress=False)
        return [self.ids[d] for d, s in zip(docs[0], scores[0]) if s > 0]

    def top3(self, text: str, first: list[str]) -> list[str]:
        return first[:3]


class Fuzzy:
    name = "rapidfuzz"

    def __init__(self, handbook: Handbook, lexicon: Lexicon | None = None):
        self.choices: list[str] = []
        self.owner: list[str] = []
        for e in handbook.entries.values():
            for text in (*e.questions.get("vi", ()), *e.questions.get("en", ())):
                self.choices.append(text)
                self.owner.append(e.id)

    def top(self, text: str) -> list[str]:
        hit = process.extractOne(text, self.choices, scorer=fuzz.WRatio)
        return [self.owner[hit[2]]] if hit and hit[1] > 0 else []

    def top3(self, text: str, first: list[str]) -> list[str]:
        out: list[str] = []
        for _choice, _score, i in process.extract(text, self.choices, scorer=fuzz.WRatio, limit=30):
            if self.owner[i] not in out:
                out.append(self.owner[i])
            if len(out) == 3:
                break
        return out


BUILDERS: dict[str, Callable] = {"ours": Ours, "bm25": Bm25, "rapidfuzz": Fuzzy}


@dataclass
class MethodResult:
    size_label: str
    entries: int
    method: str
    build_s: float
    queries: int
    dev_n: int
    dev_top1: float | None
    dev_top3: float | None
    gen_n: int
    gen_top1: float | None
    gen_top3: float | None
    p50_ms: float
    p99_ms: float
    mean_ms: float
    qps: float
    oos_none: float | None = None  # ours only: out-of-scope dev queries answered "none"
    oos_not_answered: float | None = None  # ours only: out-of-scope dev queries given no direct answer (none, small talk, choices)
    latencies: list[float] = field(default_factory=list, repr=False)  # ms, in the order of the queries

    def to_dict(self) -> dict:
        d = asdict(self)
        del d["latencies"]
        return d


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _share(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def run_method(name: str, handbook: Handbook, lexicon: Lexicon, queries: list[Query], size_label: str) -> MethodResult:
    t0 = time.perf_counter()
    method = BUILDERS[name](handbook, lexicon)
    build_s = time.perf_counter() - t0
    for q in queries[:WARMUP]:
        method.top(q.text)
    latencies: list[float] = []
    tally = {"dev": [0, 0, 0], "gen": [0, 0, 0]}  # n, top1, top3
    clock = time.perf_counter_ns
    for q in queries:
        start = clock()
        first = method.top(q.text)
        latencies.append((clock() - start) / 1e6)
        if not q.in_scope:
            continue
        top3 = method.top3(q.text, first)
        t = tally[q.source]
        t[0] += 1
        t[1] += bool(first) and first[0] in q.expect
        t[2] += any(i in q.expect for i in top3)
    oos_none = oos_not_answered = None
    if name == "ours":
        oos = [method.index.search(q.text).outcome for q in queries if q.source == "dev" and not q.in_scope]
        oos_none = _share(sum(o == "none" for o in oos), len(oos))
        oos_not_answered = _share(sum(o != "answer" for o in oos), len(oos))
    total_s = sum(latencies) / 1000
    d, g = tally["dev"], tally["gen"]
    return MethodResult(
        size_label, len(handbook.entries), name, round(build_s, 3), len(queries),
        d[0], _share(d[1], d[0]), _share(d[2], d[0]), g[0], _share(g[1], g[0]), _share(g[2], g[0]),
        round(percentile(latencies, 50), 4), round(percentile(latencies, 99), 4),
        round(sum(latencies) / max(len(latencies), 1), 4), round(len(latencies) / total_s, 1) if total_s else float("inf"),
        oos_none, oos_not_answered, latencies,
    )


def run_size(handbook: Handbook, lexicon: Lexicon, queries: list[Query], size_label: str, log=print) -> list[MethodResult]:
    out = []
    for name in METHODS:
        r = run_method(name, handbook, lexicon, queries, size_label)
        log(f"  {size_label:>6} {name:9} build {r.build_s:7.2f} s   p50 {r.p50_ms:8.3f} ms   dev top-1 {r.dev_top1}")
        out.append(r)
    return out
