"""The reply language of short chat messages: `vi` or `en`, Vietnamese when unsure, never raising.

Two guessers: the handbook-aware one (`loaded.index.language.detect`, with the handbook's vocabulary)
and `handbook.search.language.detect_language` (syllable shapes and langdetect only).
"""

from __future__ import annotations

import pytest

from handbook.search.language import _langdetect_en_probability, detect_language

VI_DIACRITICS = ["tôi bị đau bụng", "sốt cao quá", "bảo hiểm y tế bên hàn", "Đi khám ở đâu", "cảm ơn"]
VI_BARE = ["toi bi dau bung", "xin loi", "gia han visa can giay to gi", "cam on ban", "ad oi e hoi chut", "dau bung qua"]
VI_TEEN = ["e bi j z", "ko dc k", "bhyt bn tien", "dau bung wa", "cho e hoi bv o dau", "mk bi sot r"]
CJK = ["お腹が痛い", "病院はどこですか", "배가 아파요", "병원", "日本"]
ODD = [
    "",
    " ",
    "😀",
    "😷🤒🙏",
    "12345",
    "119",
    "0120-279-338",
    "...",
    "?!?",
    "https://example.org/x",
    "www.google.com",
    "\u200b",
    "\x00",
    "a",
    "ok",
    "\ud800",
    "x" * 5000,
]

ENGLISH = ["hello", "How do I see a doctor", "emergency number japan", "sick leave rights", "I have a fever"]


@pytest.fixture(params=["handbook-aware", "plain"])
def detect(request, loaded):
    return loaded.index.language.detect if request.param == "handbook-aware" else detect_language


@pytest.mark.parametrize("text", VI_DIACRITICS)
def test_vietnamese_with_diacritics_is_vi(detect, text):
    assert detect(text) == "vi"


@pytest.mark.parametrize("text", VI_BARE)
def test_vietnamese_without_diacritics_is_vi(detect, text):
    assert detect(text) == "vi"


@pytest.mark.parametrize("text", VI_TEEN)
def test_vietnamese_teen_code_is_vi_with_the_handbook_aware_guesser(loaded, text):
    # the plain guesser knows no abbreviations (bhyt, bn): it is only held to vi-or-en, deterministic
    assert loaded.index.language.detect(text) == "vi"


@pytest.mark.parametrize("text", CJK)
def test_japanese_and_korean_script_is_answered_in_vi(detect, text):
    assert detect(text) == "vi"


@pytest.mark.parametrize("text", ENGLISH)
def test_short_english_is_en_with_the_handbook_aware_guesser(loaded, text):
    assert loaded.index.language.detect(text) == "en"


@pytest.mark.parametrize("text", ENGLISH)
def test_short_english_is_en_with_the_plain_guesser(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ODD + VI_BARE + VI_TEEN + ENGLISH + CJK)
def test_any_message_gives_vi_or_en_the_same_twice(detect, text):
    first = detect(text)
    assert first in ("vi", "en")
    assert detect(text) == first


@pytest.mark.parametrize("text", ["", "😀", "12345", "..."])
def test_messages_without_words_take_the_default(detect, text):
    assert detect(text) == "vi"
    assert detect(text, default="en") == "en"


def test_a_long_mixed_message_is_deterministic(detect):
    text = "em bi dau bung, hospital o dau vay ad, thank you 🙏 " * 20
    assert len({detect(text) for _ in range(5)}) == 1


def test_langdetect_is_really_consulted_for_plain_english():
    assert _langdetect_en_probability("How do I see a doctor about my cough") > 0.9


def test_langdetect_helper_never_raises_on_odd_input():
    for text in ODD:
        assert 0.0 <= _langdetect_en_probability(text) <= 1.0


TELEX = ["ddau bungj quas", "bij soots cao", "mua thuoocs owr ddaau", "toi bij hoo", "khong ddi lamf dduowcj",
         "cho minh hoir bhyt", "benhj vieenj gaanf nhaats"]


@pytest.mark.parametrize("text", TELEX)
def test_telex_typed_with_the_input_method_off_is_vi(detect, text):
    assert detect(text) == "vi"


@pytest.mark.parametrize("text", ["I need to see a doctor soon", "my room is too cold", "her car hit a tree", "keep the door open"])
def test_english_with_doubled_vowels_or_final_r_and_s_stays_en(detect, text):
    assert detect(text) == "en"


def test_telex_vote_tells_telex_marks_from_english_spelling():
    from handbook.search.language import telex_vote

    assert telex_vote("ddau") == telex_vote("bungj") == telex_vote("thuoocs") == telex_vote("owr") == 1.0
    assert telex_vote("lamf") == 0.75
    for english in ("room", "see", "keep", "her", "lips", "how", "doctor", "down", "town"):
        assert telex_vote(english) == 0.0, english
