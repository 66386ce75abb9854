"""The editable lexicon (content/lexicon.yaml) as the search uses it: abbreviations, synonyms,
country words and danger signs, with the diacritics rule."""

from __future__ import annotations

import pytest

from handbook.search.lexicon import Token, tokens
from handbook.search.textnorm import fold_text


def expansion(loaded, short: str) -> str:
    return " ".join(t.text for t in loaded.lexicon.expand(Token.of(short)))


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("ko", "không"),
        ("k", "không"),
        ("kg", "không"),
        ("dc", "được"),
        ("đc", "được"),
        ("bv", "bệnh viện"),
        ("bs", "bác sĩ"),
        ("bhyt", "bảo hiểm y tế"),
        ("sdt", "số điện thoại"),
        ("xkld", "xuất khẩu lao động"),
        ("j", "gì"),
        ("wa", "quá"),
        ("ntn", "như thế nào"),
        ("vs", "với"),
    ],
)
def test_chat_abbreviation_expands_to_its_full_form(loaded, short, full):
    assert fold_text(expansion(loaded, short)) == fold_text(full)


def test_abbreviations_are_case_insensitive(loaded):
    assert fold_text(expansion(loaded, "BHYT")) == "bao hiem y te"
    assert fold_text(expansion(loaded, "Ko")) == "khong"


def test_a_word_that_is_not_an_abbreviation_is_kept(loaded):
    assert expansion(loaded, "sốt") == "sốt"


def test_abbreviations_expand_inside_a_query(loaded):
    terms = loaded.index.analyse("đi bv có cần bhyt ko").terms
    for word in ("benh", "vien", "bao", "hiem", "khong"):
        assert word in terms, terms


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("bị ốm có được nghỉ không", "bị bệnh có được nghỉ không"),
        ("gọi xe cứu thương", "gọi xe cấp cứu"),
        ("có bầu đi khám ở đâu", "có thai đi khám ở đâu"),
        ("bi om co duoc nghi khong", "bi benh co duoc nghi khong"),
    ],
)
def test_synonyms_meet_in_the_search(loaded, one, other):
    a, b = loaded.index.search(one), loaded.index.search(other)
    assert a.best is not None and b.best is not None
    assert a.best.id == b.best.id
    assert loaded.index.analyse(one).terms == loaded.index.analyse(other).terms


@pytest.mark.parametrize(
    ("query", "country"),
    [
        ("nhật", "jp"),
        ("japan", "jp"),
        ("日本", "jp"),
        ("bên nhật", "jp"),
        ("nhat", "jp"),
        ("hàn", "kr"),
        ("korea", "kr"),
        ("한국", "kr"),
        ("hàn quốc", "kr"),
        ("han quoc", "kr"),
    ],
)
def test_country_words_name_their_country(loaded, query, country):
    assert loaded.lexicon.country_of(tokens(query)) == country
    assert loaded.index.search(f"bảo hiểm y tế {query}").country == country


def test_no_country_word_gives_no_country(loaded):
    assert loaded.lexicon.country_of(tokens("đau bụng quá")) is None


def test_two_countries_named_give_no_single_country(loaded):
    assert loaded.lexicon.country_of(tokens("nhật hay hàn tốt hơn")) is None


# --- danger signs and the diacritics rule ---------------------------------------------------------
def urgent(loaded, text: str) -> bool:
    return loaded.lexicon.is_urgent(tokens(text))


def test_tu_tu_slowly_typed_with_diacritics_is_not_urgent(loaded):
    assert not urgent(loaded, "từ từ")
    assert not urgent(loaded, "cứ đi từ từ thôi")
    assert not loaded.index.search("cứ đi từ từ thôi").urgent


@pytest.mark.parametrize("text", ["tự tử", "tu tu", "em muốn tự tử", "em muon tu tu"])
def test_suicide_with_or_without_diacritics_is_urgent(loaded, text):
    assert urgent(loaded, text)
    assert loaded.index.search(text).urgent


DANGER = {
    "breathing": ["bạn tôi khó thở", "ban toi kho tho", "difficulty breathing"],
    "chest pain": ["đau ngực dữ dội", "dau nguc du doi", "chest pain"],
    "unconscious": ["bạn tôi bất tỉnh", "ban toi bat tinh", "he is unconscious"],
    "bleeding": ["chảy máu nhiều", "chay mau nhieu", "heavy bleeding"],
    "seizure": ["bạn tôi bị co giật", "ban toi bi co giat", "seizure"],
    "poisoning": ["uống nhầm thuốc tẩy", "uong nham thuoc tay", "poisoning"],
    "allergy": ["sốc phản vệ", "soc phan ve", "anaphylaxis"],
    "stroke": ["đột quỵ", "dot quy", "stroke"],
    "suicide": ["tôi muốn chết", "toi muon chet", "I want to kill myself", "I feel suicidal"],
}


@pytest.mark.parametrize(
    "text", [t for group in DANGER.values() for t in group], ids=[f"{k}-{i}" for k, g in DANGER.items() for i in range(len(g))]
)
def test_danger_sign_sets_urgent(loaded, text):
    assert urgent(loaded, text)
    assert loaded.index.search(text).urgent


@pytest.mark.parametrize("text", ["I can't breathe", "severe allergic reaction", "my friend is having seizures", "he passed out"])
def test_common_english_danger_phrasings_set_urgent(loaded, text):
    assert loaded.index.search(text).urgent


@pytest.mark.parametrize("text", ["ngộ độc thực phẩm", "ngo doc thuc pham", "food poisoning"])
def test_food_poisoning_alone_is_not_urgent(loaded, text):
    assert not urgent(loaded, text)


def test_food_poisoning_with_a_danger_sign_is_urgent(loaded):
    assert urgent(loaded, "ngộ độc thực phẩm rồi khó thở")


@pytest.mark.parametrize("text", ["đau bụng quá", "bhyt bên hàn đóng bao nhiêu", "sick leave rights", "xin chào"])
def test_ordinary_questions_are_not_urgent(loaded, text):
    assert not urgent(loaded, text)


@pytest.mark.parametrize(("filler", "meaningful"), [("cần", "cắn"), ("bao", "bão"), ("có", "cổ"), ("đến", "đen"), ("về", "vé")])
def test_a_filler_word_typed_with_diacritics_is_told_apart_from_its_twin(loaded, filler, meaningful):
    filler_tok, meaningful_tok = tokens(f"{filler} {meaningful}")
    assert loaded.lexicon.is_stopword(filler_tok)
    assert not loaded.lexicon.is_stopword(meaningful_tok)


def test_a_filler_word_typed_without_diacritics_stays_a_filler(loaded):
    assert all(loaded.lexicon.is_stopword(t) for t in tokens("can bao co"))


@pytest.mark.parametrize(("with_time", "without"), [("mấy tuần nay mất ngủ triền miên", "mất ngủ"),
                                                    ("my back has hurt for weeks", "my back has hurt")])
def test_how_long_something_has_lasted_weighs_nothing(loaded, with_time, without):
    assert loaded.index.analyse(with_time).terms == loaded.index.analyse(without).terms
    result = loaded.index.search(with_time)
    assert result.answered and result.best.id == loaded.index.search(without).best.id
