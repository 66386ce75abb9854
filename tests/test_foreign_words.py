"""Japanese and Korean words workers type (romanised or in native script) are read as their Vietnamese
meaning and tell the country; prefectures, provinces and worker towns tell it too; typo repair leaves
every word the lexicon knows alone."""

from __future__ import annotations

import pytest

from handbook.search.lexicon import tokens

MEANINGS = [
    ("byoin", "bệnh viện"),
    ("byouin", "bệnh viện"),
    ("byōin", "bệnh viện"),
    ("病院", "bệnh viện"),
    ("kusuri", "thuốc"),
    ("薬", "thuốc"),
    ("hoken", "bảo hiểm"),
    ("保険", "bảo hiểm"),
    ("hokensho", "thẻ bảo hiểm"),
    ("zairyu kaado", "thẻ cư trú"),
    ("在留カード", "thẻ cư trú"),
    ("rosai", "bảo hiểm tai nạn lao động"),
    ("労災", "bảo hiểm tai nạn lao động"),
    ("kenko shindan", "khám định kỳ"),
    ("necchusho", "say nắng"),
    ("熱中症", "say nắng"),
    ("sekiyu sutobu", "lò sưởi dầu"),
    ("isha", "bác sĩ"),
    ("byeongwon", "bệnh viện"),
    ("병원", "bệnh viện"),
    ("yakguk", "hiệu thuốc"),
    ("약국", "hiệu thuốc"),
    ("boheom", "bảo hiểm"),
    ("보험", "bảo hiểm"),
    ("geongang boheom", "bảo hiểm y tế"),
    ("건강보험", "bảo hiểm y tế"),
    ("sanjae", "bảo hiểm tai nạn lao động"),
    ("산재", "bảo hiểm tai nạn lao động"),
    ("oegugin deungnokjeung", "thẻ đăng ký người nước ngoài"),
    ("외국인등록증", "thẻ đăng ký người nước ngoài"),
    ("chulguk mangi boheom", "bảo hiểm xuất cảnh"),
    ("yasumi", "nghỉ"), ("kyuryo", "lương"), ("shobyo teate", "trợ cấp ốm đau"), ("suimin-yaku", "thuốc ngủ"),
    ("허리", "lưng"), ("byeongga", "nghỉ ốm"), ("뱀", "rắn"), ("ashiba", "giàn giáo"), ("kinen gairai", "cai thuốc lá"),
]


@pytest.mark.parametrize(("word", "meaning"), MEANINGS)
def test_a_japanese_or_korean_word_reads_as_its_vietnamese_meaning(loaded, word, meaning):
    index = loaded.index
    assert index.analyse(f"đi {word} thế nào").terms == index.analyse(f"đi {meaning} thế nào").terms


@pytest.mark.parametrize(
    ("query", "country"),
    [
        ("đi byoin cần mang gì", "jp"),
        ("mat zairyu kaado phai lam sao", "jp"),
        ("病院に行きたい", "jp"),
        ("bị đau bụng, お腹が痛い nói thế nào", "jp"),
        ("đi byeongwon cần mang gì", "kr"),
        ("병원에 가고 싶어요", "kr"),
        ("tháng này trừ 건강보험 nhiều quá", "kr"),
        ("em làm ở Aichi, bị sốt", "jp"),
        ("em ở gunma bị đau lưng", "jp"),
        ("công ty em ở 愛知県", "jp"),
        ("hokkaido lạnh quá bị cước chân", "jp"),
        ("em ở Ansan bị ho", "kr"),
        ("em làm nhà máy ở Gimhae", "kr"),
        ("pyeongtaek có bệnh viện nào nói tiếng việt", "kr"),
        ("em làm ở 화성 bị đứt tay", "kr"),
    ],
)
def test_japanese_or_korean_words_places_and_script_give_the_country(loaded, query, country):
    assert loaded.index.search(query).country == country
    assert loaded.lexicon.country_of(tokens(query)) == country


def test_words_of_both_countries_give_no_single_country(loaded):
    assert loaded.lexicon.country_of(tokens("byoin với byeongwon khác gì nhau")) is None
    assert loaded.lexicon.country_of(tokens("ở Aichi hay Ansan lương cao hơn")) is None


def test_chinese_characters_alone_do_not_name_a_country_unless_the_lexicon_knows_the_word(loaded):
    assert loaded.lexicon.country_of(tokens("我头疼")) is None
    assert loaded.lexicon.country_of(tokens("病院")) == "jp"


def test_native_script_without_spaces_is_cut_into_known_words(loaded):
    terms = loaded.index.analyse("在留カードと保険証を持って病院へ").terms
    for word in ("the", "cu", "tru", "bao", "hiem", "benh", "vien"):
        assert word in terms, terms
    terms = loaded.index.analyse("외국인등록증이랑 건강보험증 가지고 병원에").terms
    for word in ("dang", "ky", "nguoi", "nuoc", "ngoai", "bao", "hiem", "benh", "vien"):
        assert word in terms, terms


@pytest.mark.parametrize("word", ["koshi", "sekiyu", "hoken", "rosai", "kusuri", "byoin", "necchusho", "sanjae", "boheom", "yakguk"])
def test_typo_repair_leaves_words_the_lexicon_knows_alone(loaded, word):
    tok = tokens(word)[0]
    assert loaded.index.reader.repair(tok) == tok


def test_sekiyu_and_koshi_keep_their_meaning_in_a_search(loaded):
    assert "ho" not in loaded.index.analyse("sekiyu sutobu trong phòng kín").terms
    assert "suc" not in loaded.index.analyse("koshi đau quá").terms  # not karoshi (làm việc quá sức)
    assert "lung" in loaded.index.analyse("koshi đau quá").terms


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("necchusho phải làm gì, chú làm cùng chóng mặt buồn nôn ngoài nắng", "heatstroke"),
        ("lần đầu đi byoin khám bệnh cần mang zairyu kaado không", "see-a-doctor"),
        ("sanjae xin ở đâu, bị đứt tay ở gongjang", "work-injury-insurance"),
        ("chulguk mangi boheom bao giờ được nhận", "eps-insurances"),
    ],
)
def test_mixed_messages_find_their_entry(loaded, query, entry):
    result = loaded.index.search(query)
    assert [h.id for h in result.hits[:3]].count(entry) == 1, result.hits[:3]


@pytest.mark.parametrize(("text", "entry"), [("死にたい", "suicide-crisis"), ("죽고싶어요", "suicide-crisis"),
                                             ("同僚が感電した", "electric-shock"), ("bạn em bị 脳卒中", "stroke")])
def test_danger_words_in_native_script_raise_the_alarm(loaded, text, entry):
    result = loaded.index.search(text)
    assert result.urgent and result.best.id == entry, result


def test_insomnia_in_everyday_words_reads_as_insomnia(loaded):
    assert loaded.index.analyse("làm ca đêm ko ngủ dc").terms == loaded.index.analyse("làm ca đêm mất ngủ").terms


def test_a_malformed_foreign_words_list_is_reported_with_how_to_fix_it():
    from handbook.search.lexicon import problems_in

    assert any("foreign_words" in p and "Vietnamese meaning" in p for p in problems_in({"foreign_words": {"jp": ["byoin"]}}))
    assert any("'cn'" in p for p in problems_in({"foreign_words": {"cn": [["bệnh viện", "yiyuan"]]}}))


def test_cutting_native_script_keeps_unknown_letters_and_splits_latin_glued_to_it():
    from handbook.search.phrases import Segmenter

    seg = Segmenter({"病院", "保険証", "병원"})
    assert seg.pieces("保険証を持って病院へ") == ["保険証", "を持って", "病院", "へ"]
    assert seg.pieces("병원에서") == ["병원", "에서"]
    assert seg.pieces("病院khám") == ["病院", "khám"]
    assert seg.pieces("hello") == ["hello"]
