"""Ranking and thresholds of the handbook search on the real content."""

from __future__ import annotations

import unicodedata

import pytest

from handbook.search.engine import ANSWER, BODY_WEIGHT, CHOICES, NONE, SMALLTALK, STOP_WEIGHT
from handbook.search.textnorm import fold_text

CLEAR = [
    ("dau bung qua", "stomach-pain"),
    ("e bị sốt ko đỡ", "fever"),
    ("emergency number japan", "emergency-numbers"),
    ("bhyt bên hàn đóng bao nhiêu", "health-insurance"),
]
OUT_OF_SCOPE = [
    "tỷ giá yên hôm nay",
    "gia hạn visa",
    "xin chào",
    "asdfgh",
    "ty gia yen hom nay",
    "gia han visa",
    "xin chao",
    "hello",
    "cảm ơn ad",
    "thời tiết tokyo mai thế nào",
    "mua vé máy bay về vn",
    "qwerty zxcv",
]
VARIED = [q for q, _ in CLEAR] + OUT_OF_SCOPE + ["", "😀", "119", "bảo hiểm", "tôi bị đau", "x" * 3000, "bhyt bhyt bhyt bhyt"]


def score_of(loaded, query: str, entry_id: str) -> float:
    hits = loaded.index.search(query, limit=len(loaded.handbook.entries)).hits
    return next((h.score for h in hits if h.id == entry_id), 0.0)


@pytest.mark.parametrize(("query", "expected"), CLEAR)
def test_clear_question_ranks_the_right_entry_first(loaded, query, expected):
    result = loaded.index.search(query)
    assert result.best is not None and result.best.id == expected, result.hits


@pytest.mark.parametrize(("query", "expected"), CLEAR)
def test_clear_question_is_answered_directly(loaded, query, expected):
    result = loaded.index.search(query)
    assert result.answered and result.outcome == ANSWER, (result.outcome, result.hits)
    assert result.best.id == expected


@pytest.mark.parametrize("query", OUT_OF_SCOPE)
def test_out_of_scope_is_never_answered(loaded, query):
    result = loaded.index.search(query)
    assert not result.answered, (result.outcome, result.hits)
    assert result.outcome in (CHOICES, NONE, SMALLTALK)  # greetings and thanks get the small-talk reply


@pytest.mark.parametrize("query", ["asdfgh", "", "   ", "!!!"])
def test_noise_and_empty_get_no_answer_and_no_choices(loaded, query):
    result = loaded.index.search(query)
    assert result.outcome == NONE
    assert not result.answered and not result.urgent


@pytest.mark.parametrize("query", VARIED)
def test_scores_are_between_0_and_1_and_sorted(loaded, query):
    hits = loaded.index.search(query, limit=10).hits
    scores = [h.score for h in hits]
    assert all(0.0 <= s <= 1.0 for s in scores), scores
    assert scores == sorted(scores, reverse=True)
    assert len({h.id for h in hits}) == len(hits)
    assert all(h.id in loaded.handbook.entries for h in hits)


@pytest.mark.parametrize("limit", [1, 3, 5, 10])
def test_limit_caps_the_results(loaded, limit):
    assert len(loaded.index.search("bảo hiểm y tế", limit=limit).hits) <= limit


@pytest.mark.parametrize(
    ("query", "country"),
    [
        ("bhyt bên hàn đóng bao nhiêu", "kr"),
        ("emergency number japan", "jp"),
        ("gọi cấp cứu ở nhật số mấy", "jp"),
        ("bao hiem y te han quoc", "kr"),
        ("health insurance in korea", "kr"),
        ("dau bung qua", None),
        ("e bị sốt ko đỡ", None),
        ("sick leave rights", None),
    ],
)
def test_country_named_in_the_query_is_returned(loaded, query, country):
    assert loaded.index.search(query).country == country


def test_country_word_does_not_change_which_entry_is_meant(loaded):
    plain = loaded.index.search("bảo hiểm y tế đóng bao nhiêu")
    named = loaded.index.search("bảo hiểm y tế bên nhật đóng bao nhiêu")
    assert plain.best.id == named.best.id == "health-insurance"


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("tự tử", "suicide-crisis"),
        ("đau đầu", "headache"),
        ("bị sốt cao", "fever"),
        ("say nắng", "heatstroke"),
        ("thuốc tránh thai", "contraception"),
        ("khi có động đất cần chuẩn bị gì", "disaster-preparedness"),
    ],
)
def test_query_with_diacritics_scores_its_exact_form_entry_at_least_as_high_as_folded(loaded, query, entry_id):
    with_marks = score_of(loaded, query, entry_id)
    assert with_marks > 0
    assert with_marks >= score_of(loaded, fold_text(query), entry_id)
    assert loaded.index.search(query).best.id == entry_id


def test_query_with_diacritics_and_its_folded_form_meet_the_same_entry(loaded):
    for query in ("đau bụng quá", "bảo hiểm y tế bên hàn", "gọi xe cấp cứu"):
        assert loaded.index.search(query).best.id == loaded.index.search(fold_text(query)).best.id


@pytest.mark.parametrize("query", VARIED)
def test_search_is_deterministic(loaded, query):
    first, second = loaded.index.search(query), loaded.index.search(query)
    assert first == second


@pytest.mark.parametrize("query", ["e bị sốt ko đỡ", "bhyt bên hàn đóng bao nhiêu", "tự tử", "khoẻ", "thuỷ đậu"])
def test_nfd_input_gives_the_same_result_as_nfc(loaded, query):
    nfc = loaded.index.search(unicodedata.normalize("NFC", query))
    nfd = loaded.index.search(unicodedata.normalize("NFD", query))
    assert (nfd.hits, nfd.outcome, nfd.lang, nfd.country, nfd.urgent) == (nfc.hits, nfc.outcome, nfc.lang, nfc.country, nfc.urgent)


@pytest.mark.parametrize(("old", "new"), [("hoà", "hòa"), ("khoẻ", "khỏe"), ("thuỷ đậu", "thủy đậu")])
def test_old_and_new_tone_placement_give_the_same_result(loaded, old, new):
    a, b = loaded.index.search(f"bệnh {old}"), loaded.index.search(f"bệnh {new}")
    assert (a.hits, a.outcome) == (b.hits, b.outcome)


def test_answering_an_urgent_entry_sets_urgent_unless_the_question_is_a_calm_how_to(loaded):
    checked = 0
    for entry in loaded.handbook.entries.values():
        if not entry.urgent:
            continue
        for question in entry.questions["vi"]:
            result = loaded.index.search(question)
            if result.answered and result.best.id == entry.id:
                assert result.urgent or loaded.index.analyse(question).calm, question
                checked += 1
    assert checked > 0, "no urgent entry was answered by one of its own questions"


def test_reply_language_follows_the_message(loaded):
    assert loaded.index.search("emergency number japan").lang == "en"
    assert loaded.index.search("e bị sốt ko đỡ").lang == "vi"
    assert loaded.index.search("dau bung qua").lang == "vi"


def test_explicit_language_overrides_detection(loaded):
    assert loaded.index.search("dau bung qua", lang="en").lang == "en"


@pytest.mark.parametrize(("one", "many"), [("typhoon", "typhoons"), ("allergy", "allergies"), ("rash", "rashes")])
def test_singular_and_plural_meet_the_same_entry(loaded, one, many):
    assert loaded.index.search(one).best.id == loaded.index.search(many).best.id


@pytest.mark.parametrize(("query", "expected"), [("bi dau dau", "headache"), ("bi dau bung", "stomach-pain"), ("dạo này hay bị đau đầu", "headache")])
def test_filler_words_and_their_pairs_do_not_outweigh_the_words_that_name_the_entry(loaded, query, expected):
    assert loaded.index.search(query).best.id == expected


def regression_queries(repo_root) -> list[str]:
    import yaml

    return [item["q"] for path in sorted((repo_root / "content" / "regression").glob("*.yaml"))
            for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def test_pruned_ranking_is_the_ranking_of_every_candidate_scored(loaded, repo_root):
    index = loaded.index
    for text in regression_queries(repo_root):
        q = index.analyse(text)
        if not q.terms:
            continue
        p = index._prepare(q)
        pool = dict(index._candidates(q, 20))
        candidates = {i: bm25 / max(pool.values()) for i, bm25 in pool.items()}  # each with its share of the best BM25
        everything = sorted(index._rank(q, p, candidates, set(), keep=len(candidates) + 1), key=lambda x: (-x[0], x[2]))
        pruned = sorted(index._rank(q, p, candidates, set(), keep=5), key=lambda x: (-x[0], x[2]))
        assert pruned[:5] == everything[:5], text


def test_candidates_are_the_best_by_bm25_over_every_entry(loaded, repo_root):
    """The MaxScore shortcut against the plain sum over all terms for all entries."""
    index = loaded.index
    for text in regression_queries(repo_root):
        q = index.analyse(text)
        stop = q.fillers
        full = [0.0] * len(index.docs)
        for t in set(q.terms) | {f"{a}_{b}" for a, b in zip(q.terms, q.terms[1:])}:
            weight = index.idf.get(t, 0.0) * (STOP_WEIGHT if t in stop else 1.0)
            for i, norm in index.postings.get(t, {}).items():
                full[i] += weight * norm
            if "_" not in t and t not in stop:
                for i in index.body_postings.get(t, {}):
                    full[i] += BODY_WEIGHT * index.body_idf[t]
        expected = sorted((s for s in full if s > 0), reverse=True)[:20]
        got = [s for _, s in index._candidates(q, 20)]
        assert got == pytest.approx(expected), text


def test_likeness_shortcuts_give_the_plain_best_over_every_phrasing(loaded, repo_root):
    """Sorted phrasings, ratio-first ordering and token_set cut-offs against the plain formula."""
    import math

    from rapidfuzz import fuzz

    from handbook.search.engine import W_SIMILARITY, W_TITLE

    index = loaded.index
    for text in regression_queries(repo_root)[::4]:
        q = index.analyse(text)
        if not q.terms:
            continue
        p = index._prepare(q)
        for doc in index.docs:
            sim = max((0.35 * fuzz.token_set_ratio(p.q_str, s) + 0.65 * fuzz.token_sort_ratio(p.q_str, s) for s in doc.phrasings), default=0.0)
            title = max((fuzz.token_sort_ratio(p.content_sorted, t) for t in doc.titles), default=0.0)
            assert index._likeness(p, doc, -math.inf) == pytest.approx(W_SIMILARITY * sim / 100 + W_TITLE * title / 100), (text, doc.entry_id)


@pytest.mark.parametrize(("query", "expected"), [
    ("đi khám thai ở 産婦人科 thì kenko hoken có chi trả không", "pregnancy"),
    ("bao hiem suc khoe o han moi thang dong may tram nghin won", "health-insurance"),
    ("lao động E9 phải mua những loại boheom nào", "eps-insurances"),
    ("tai nạn lao động thì bảo hiểm chi trả những gì", "work-injury-insurance"),
])
def test_the_specific_entry_leads_though_cost_or_insurance_words_are_in_the_message(loaded, query, expected):
    assert loaded.index.search(query).hits[0].id == expected, query


@pytest.mark.parametrize("query", ["the cu tru sap het han lam lai o dau", "zairyu kaado hết hạn thì đi gia hạn ở đâu",
                                   "how long does it take to renew a residence card"])
def test_a_residence_card_question_borrowing_the_handbook_words_is_not_answered_with_an_entry(loaded, query):
    assert loaded.index.search(query).outcome != ANSWER, query


def test_an_entry_keyword_found_whole_lifts_that_entry_only(loaded, monkeypatch):
    from handbook.search import engine

    query = "đổi công ty thì hoken sho cũ còn dùng được không"  # hoken sho: the insurance card, a keyword
    with_keywords = {h.id: h.score for h in loaded.index.search(query, limit=10).hits}
    monkeypatch.setattr(engine, "W_KEYWORD", 0.0)
    without = {h.id: h.score for h in loaded.index.search(query, limit=10).hits}
    assert max(with_keywords, key=with_keywords.get) == "health-insurance"
    assert with_keywords["health-insurance"] > without["health-insurance"]
    assert with_keywords["workplace-injury"] == without["workplace-injury"]  # none of its keywords is in the message
