"""The decision's inputs (see decision.FEATURES), measured on the best entries of one search.

None of them grows or falls with idle words: they compare the best entry with the next ones and with
its own phrasings, so a long friendly message and a short one with the same question measure alike.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handbook.search.engine import SearchIndex
    from handbook.search.query import Query


def measure(index: SearchIndex, q: Query, total: float, scored: list[tuple[float, float, str]]) -> tuple[tuple[str, float], ...]:
    """(name, value) pairs for the best of `scored` ((score, coverage, entry id), best first)."""
    if not scored:
        return ()
    best, coverage, first = scored[0]
    second = scored[1] if len(scored) > 1 else (0.0, 0.0, "")
    present = set(q.terms)
    content_terms = {t for t, s in zip(q.terms, q.stop) if not s}
    meaning = carried(index, present, first)
    meaning2 = carried(index, present, second[2]) if second[2] else 0.0
    content = sum(1 for s in q.stop if not s) or len(q.terms)
    unknown = sum(index.unknown_idf for t, s in zip(q.terms, q.stop) if not s and t not in index.idf and t not in index.body_idf)
    doc = index.docs[index._doc_index[first]]
    matched = sum(index.idf.get(t, 0.0) for t in content_terms if t in doc.unigrams)
    weight = {t: index.idf.get(t) or index.body_idf.get(t) or index.unknown_idf for t in content_terms}
    content_idf = sum(weight.values())
    return (("best", round(best, 4)), ("lead", round(best - second[0], 4)), ("meaning", round(meaning, 4)),
            ("meaning_lead", round(meaning - meaning2, 4)), ("coverage", round(min(coverage, 1.0), 4)),
            ("length", round(math.log1p(content), 4)), ("unknown", round(min(unknown / total, 1.0), 4)),
            ("matched", round(math.log1p(matched), 4)), ("lead_share", round((best - second[0]) / best, 4) if best else 0.0),
            ("agree", float(all(meaning >= carried(index, present, eid) for _, _, eid in scored[1:3]))),
            ("own", round(matched / content_idf, 4) if content_idf else 0.0),
            ("lacks", round(max((w for t, w in weight.items() if t not in doc.unigrams), default=0.0) / index.unknown_idf, 4)),
            ("off_topic", _off_topic(index, q, doc, weight)))


def carried(index: SearchIndex, present: set[str], entry_id: str) -> float:
    """The largest share (IDF-weighted) of one of the entry's phrasings whose content words the query holds."""
    best = 0.0
    for total, weighted in index.meaning_weights[index._doc_index[entry_id]]:
        best = max(best, sum(w for t, w in weighted if t in present) / total)
    return best


def _off_topic(index: SearchIndex, q: Query, doc, weight: dict[str, float]) -> float:
    """The share (IDF-weighted) of the message's content words inside phrases of topics the handbook leaves
    out that the best entry's own text does not contain: high for "thuê nhà cần người bảo lãnh", nothing
    for a question about insurance debts and visas, which the insurance entry itself speaks of.
    `weight`: the IDF of each of the message's content words."""
    if not q.off_topic or not weight:
        return 0.0
    text = index.folded_text(doc.entry_id)
    away = {w for phrase in q.off_topic if f" {' '.join(phrase)} " not in text for w in phrase} & weight.keys()
    return round(sum(weight[t] for t in away) / sum(weight.values()), 4)
