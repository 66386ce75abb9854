"""Danger signs described by their parts, folk names, indirect suicidal phrasings and sexual assault
raise the alarm however they are typed; a calm mention (prevention, the past, learning) does not."""

from __future__ import annotations

import pytest

from handbook.search.lexicon import tokens

SIGNS = {
    "heart-attack": [
        "chú em tự nhiên tức ngực lan xuống tay trái, vã mồ hôi",
        "chu em tu nhien tuc nguc lan xuong tay trai, va mo hoi",
        "bố e đau thắt ngực ra mồ hôi lạnh ướt áo",
        "my uncle has a tight chest and the pain spreads to his jaw",
    ],
    "stroke": [
        "ông hàng xóm đang nói chuyện thì miệng xệ một bên, nói líu lưỡi",
        "ong hang xom noi ngong, tay phai yeu khong nhac len duoc",
        "mẹ e sáng nay mặt lệch hẳn sang một bên",
        "bà cụ bị trúng gió, nói không được nữa",
        "his face is drooping and his speech is slurred",
    ],
    "seizure": [
        "bạn cùng phòng lên cơn giật tay chân, gọi không biết gì",
        "ban cung phong len con, sui bot mep",
        "anh ấy ngã ra run bần bật rồi bất tỉnh",
        "my roommate is shaking all over and unresponsive",
    ],
    "heatstroke": [
        "chú làm cùng ngã gục ngoài nắng, nói lảm nhảm",
        "chu lam cung nga guc ngoai nang",
        "a guy collapsed in the heat on the site",
        "anh ấy làm ngoài nắng cả trưa rồi nằm vật ra đất",
    ],
    "poisoning": [
        "con bé uống cả lọ thuốc hạ sốt",
        "chị ấy nuốt 30 viên thuốc ngủ",
        "thang nho uong nham nuoc tay bon cau",
        "she swallowed a whole bottle of pills",
        "con bé uống nguyên vỉ thuốc hạ sốt rồi",
        "my roommate drink pesticide, he is vomiting",
    ],
    "carbon-monoxide": [
        "phòng bên đốt than sưởi, giờ cả phòng đau đầu chóng mặt",
        "ngửi thấy mùi gas trong bếp, em buồn nôn chóng mặt",
        "the heater fumes gave us all a headache and nausea",
    ],
    "head-injury": [
        "anh ấy rơi từ mái nhà xuống",
        "roi tu gian giao tang 3 xuong",
        "bé bị đập đầu vào cạnh bàn, nôn hai lần, cứ buồn ngủ",
        "he fell off a ladder at work",
        "my uncle fall down from ladder, he not move",
    ],
    "electric-shock": ["chú thợ bị điện giật ở cột điện", "bi dien giat o xuong", "my coworker got an electric shock"],
    "drowning-sea": ["thằng bạn bị sóng cuốn ra xa", "anh ấy ngã xuống sông, vớt lên thì tím tái", "my friend nearly drowned"],
    "severe-allergy": [
        "ăn cua xong sưng môi sưng mắt, thở rít",
        "an tom xong sung hong kho tho",
        "after the bee sting her throat is closing",
        "she cant breath after eating shrimp, her lips swelling",
    ],
    "bites": ["bị con ong vò vẽ đốt mấy phát", "bi ran can o chan", "I was bitten by a snake",
              "vừa bị 뱀 cắn ở ruộng, chân sưng lan lên gối"],
    "suicide-crisis": [
        "chắc em biến mất thì cũng chẳng ai buồn",
        "chac minh bien mat thi moi nguoi nhe nhom hon",
        "e ko mún thức dậy nữa đâu",
        "mình thấy mình chỉ là gánh nặng cho mọi người",
        "mk ms viết xong thư từ biệt cho bố mẹ",
        "em đã đem cho hết đồ đạc rồi",
        "t ko muốn sống nữa",
        "muon chet qua",
        "thôi kết thúc tất cả cho xong",
        "everyone would be better off without me",
        "i just want to disappear forever",
        "honestly everyone better without me, i won't be here anymore",
    ],
    "workplace-injury": [
        "anh làm cùng bị máy cuốn cả cánh tay vào, máu nhiều lắm",
        "my coworker's sleeve got pulled into the machine with his arm",
    ],
    "stomach-pain": [
        "đau bụng dưới bên phải dữ dội từ chiều, giờ còn sốt",
        "sharp pain in the lower right of my belly, i can't stand up",
    ],
    "headache": [
        "tự nhiên đau đầu như muốn nổ tung, chưa bao giờ bị thế",
        "suddenly the worst headache of my life",
    ],
    "first-aid-bleeding": [
        "cut my hand on a blade, it bleeds a lot",
        "vết cắt sâu ở bắp chân, máu chảy mãi không cầm",
    ],
    "sexual-violence": [
        "em bị anh quản lý cưỡng hiếp tối qua",
        "e bi hiep o ky tuc xa",
        "hắn ép em quan hệ, em không chống được",
        "I was raped last night",
        "a coworker sexually assaulted me",
        "tối qua em bị ông chủ nhà cưỡng ép trong phòng, giờ em sợ lắm",
    ],
    "choking": [
        "con bé ăn nho bị hóc, ôm cổ mà không ho ra tiếng",
    ],
}

CASES = [(entry, text) for entry, texts in SIGNS.items() for text in texts]


@pytest.mark.parametrize(("entry", "text"), CASES, ids=[f"{e}-{i}" for e, ts in SIGNS.items() for i in range(len(ts))])
def test_a_danger_sign_raises_the_alarm_and_names_its_entry(loaded, entry, text):
    result = loaded.index.search(text)
    assert result.urgent, text
    assert entry in loaded.index.analyse(text).danger, (text, loaded.index.analyse(text).danger)
    assert result.best is not None and result.best.id == entry, (text, result.hits[:3])


CALM = [
    "làm sao để phòng tránh đột quỵ khi tuổi cao",
    "bố em bị tai biến năm ngoái, giờ muốn tập phục hồi",
    "bo em bi tai bien nam ngoai gio muon phuc hoi",
    "hồi nhỏ em hay lên cơn động kinh, giờ đi xklđ được không",
    "em muốn học sơ cứu cho người bị điện giật",
    "cách phòng say nắng khi làm ngoài trời mùa hè",
    "bị muỗi đốt sưng to ngứa quá",
    "ông em mất vì nhồi máu cơ tim, em muốn khám tim định kỳ",
    "lớp an toàn dạy cách ép tim, em quên mất các bước",
    "how to prevent heat stroke on a farm",
    "my dad had a stroke years ago, how can he exercise",
    "đi biển thì làm sao để không bị đuối nước",
]


@pytest.mark.parametrize("text", CALM)
def test_a_calm_mention_of_a_danger_word_is_not_an_alarm(loaded, text):
    assert not loaded.index.search(text).urgent, text


def test_a_past_mention_happening_again_now_is_an_alarm(loaded):
    assert not loaded.index.search("năm ngoái bố em bị tai biến").urgent
    assert loaded.index.search("năm ngoái bố em bị tai biến, giờ tự nhiên lại méo miệng").urgent


def test_calm_cues_never_hide_suicidal_thoughts_or_sexual_assault(loaded):
    assert loaded.index.search("hồi trước em từng muốn chết, giờ vẫn nghĩ vậy").urgent
    assert loaded.index.search("năm ngoái em bị hiếp, em chưa nói với ai").urgent


@pytest.mark.parametrize(
    "text",
    ["cứ đi từ từ thôi", "ngực em hơi nhỏ có sao không", "tay trái em bị tê khi ngủ dậy", "đau đầu vì thiếu ngủ",
     "bữa trưa ăn cua ngon quá", "em nuốt không trôi cơm vì buồn", "uống 2 viên paracetamol được không"],
)
def test_one_part_of_a_sign_alone_is_not_an_alarm(loaded, text):
    assert not loaded.lexicon.is_urgent(tokens(text)), text


def test_the_parts_of_a_windowed_sign_must_be_near_each_other(loaded):
    near = "bạn em uống cả vỉ thuốc"
    far = "bạn em uống nước nhiều lắm, " + "hôm nay đi làm về mệt, " * 6 + "mua cả vỉ thuốc cảm"
    assert loaded.lexicon.is_urgent(tokens(near))
    assert not loaded.lexicon.is_urgent(tokens(far))


def test_a_sign_names_the_first_of_its_entries_the_handbook_holds():
    from handbook.search import danger

    signs = danger.build({"groups": [{"entry": ["new-entry", "old-entry"], "phrases": ["khó thở"]}]})
    toks = tokens("khó thở")
    assert signs.found(toks)[0] == ["new-entry"]
    signs.use_entries({"old-entry"})
    assert signs.found(toks)[0] == ["old-entry"]
    assert signs.entries() == {"old-entry"}


def test_a_malformed_sign_is_reported_with_how_to_fix_it():
    from handbook.search import danger

    problems = danger.problems_in({"groups": [], "signs": [{"entry": "x", "parts": "đau ngực"}], "calm": {"soon": []}})
    assert any("parts" in p and "list of lists" in p for p in problems)
    assert any("soon" in p for p in problems)


@pytest.mark.parametrize("text", ["điện giật có nguy hiểm không", "co giật là bệnh gì", "đau tim có di truyền không",
                                  "lò sưởi dầu dùng thế nào cho an toàn", "em hay bị tức ngực khi lo lắng"])
def test_a_general_question_or_a_habit_is_not_an_alarm(loaded, text):
    assert not loaded.index.search(text).urgent, text


@pytest.mark.parametrize("text", ["bạn em bị điện giật, có nguy hiểm không", "anh ấy co giật là bị gì vậy",
                                  "my friend is having a seizure, what is the first aid"])
def test_a_question_about_someone_in_danger_now_is_an_alarm(loaded, text):
    assert loaded.index.search(text).urgent, text


@pytest.mark.parametrize(
    "text",
    ["mọi người sẽ hạnh phúc hơn nếu không có em", "ko muốn tồn tại nữa", "em vừa viết di thư cho bố mẹ",
     "toi da chuan bi thuoc roi, toi nay se ket thuc", "i want to sleep and never wake up", "no point in living anymore"],
)
def test_more_indirect_suicidal_phrasings_raise_the_alarm(loaded, text):
    assert "suicide-crisis" in loaded.index.analyse(text).danger, text


@pytest.mark.parametrize("text", ["em muốn kết thúc hợp đồng sớm", "công ty có cưỡng bức lao động không",
                                  "chuẩn bị thuốc mang sang nhật", "ngủ không dậy nổi vì làm ca đêm"])
def test_everyday_words_near_a_crisis_phrase_are_not_an_alarm(loaded, text):
    assert not loaded.index.search(text).urgent, text


def test_the_danger_query_file_is_all_flagged_with_no_false_alarm(loaded):
    from pathlib import Path

    from handbook.search.evaluate import evaluate, read_cases

    cases = read_cases(Path(__file__).parent / "data" / "danger-signs.yaml")
    figures = evaluate(loaded.index, cases).figures()
    assert sum(c.urgent for c in cases) >= 60 and sum(not c.urgent for c in cases) >= 20
    assert figures["urgent_recall"] == 1.0, figures
    assert figures["false_alarms"].startswith("0/"), figures
    assert figures["top1"] >= 0.85, figures


def test_asking_whether_to_see_a_doctor_does_not_hide_a_sign(loaded):
    assert loaded.index.search("bị rắn cắn vào chân, có cần đi viện không").urgent
    assert not loaded.index.search("hóc xương cá nhỏ nuốt cơm có trôi không hay phải đi khám").urgent



@pytest.mark.parametrize(("text", "urgent"), [("bạn em lên cơn rồi, mắt trợn ngược", True), ("len con sui bot mep", True),
                                              ("em hay lên cơn sốt về chiều", False), ("mẹ em lên cơn đau dạ dày", False)])
def test_len_con_alone_is_the_folk_word_for_a_fit_but_not_with_a_fever_or_a_pain(loaded, text, urgent):
    assert loaded.index.search(text).urgent is urgent, text


def test_a_chat_particle_typed_with_diacritics_is_no_typo_for_a_danger_word(loaded):
    # ơi is not in the handbook, but the lexicon knows it: it must not be read as "oi" (oi bức, sultry)
    assert "heatstroke" not in loaded.index.analyse("ae ơi cứu e với, bạn e ngất trong phòng tắm").danger
    assert loaded.index.search("ae ơi cứu e với, bạn e ngất trong phòng tắm").urgent


@pytest.mark.parametrize("text", ["ngắt điện trước khi sửa máy", "ngat dien truoc khi sua may", "làm thêm giờ mệt ngất đi được"])
def test_words_that_fold_to_ngat_are_not_a_faint(loaded, text):
    assert not loaded.lexicon.is_urgent(tokens(text)), text


@pytest.mark.parametrize("text", ["thằng bạn co giật mn bảo lấy đũa cạy miệng ra có đúng không",
                                  "bác cùng phòng đau ngực, mọi người bảo cạo gió là khỏi, thật không"])
def test_asking_whether_a_folk_remedy_is_right_does_not_hide_the_emergency(loaded, text):
    assert loaded.index.search(text).urgent, text


@pytest.mark.parametrize("text", ["ăn tôm xong nổi mề đay khắp người, không bị khó thở, chỉ ngứa thôi",
                                  "an tom xong noi me day khap nguoi, ko kho tho, ngua thoi",
                                  "rash all over after eating shrimp but no trouble breathing"])
def test_a_sign_said_to_be_absent_is_no_alarm(loaded, text):
    assert "severe-allergy" not in loaded.index.analyse(text).danger, text


@pytest.mark.parametrize("text", ["ăn tôm xong nổi mề đay khắp người, khó thở lắm",
                                  "con bé không thở được, môi tím tái",
                                  "em không muốn sống nữa, không ai cần em"])
def test_a_sign_with_its_own_negation_still_raises_the_alarm(loaded, text):
    assert loaded.index.search(text).urgent, text


@pytest.mark.parametrize("text", ["sang nhật có được mang theo thuốc chống động kinh không",
                                  "goi xe cap cuu khi co nguoi bi thuong thi noi gi"])
def test_a_medicine_for_a_known_illness_or_when_something_happens_is_no_alarm(loaded, text):
    assert not loaded.lexicon.is_urgent(tokens(text)), text


@pytest.mark.parametrize("text", ["i threw up blood twice this morning", "sáng nay em mửa ra máu"])
def test_vomiting_blood_raises_the_alarm_even_without_an_entry_of_its_own(loaded, text):
    assert loaded.index.search(text).urgent, text


@pytest.mark.parametrize("text", ["sơ cứu thế nào khi bị say nắng", "cách sơ cứu người bị điện giật",
                                  "người ta bảo chết đuối thì dốc ngược người lên, có thật không",
                                  "first aid for heat stroke at a building site"])
def test_asking_how_to_give_first_aid_or_whether_a_belief_is_true_is_no_alarm(loaded, text):
    assert not loaded.index.search(text).urgent, text


@pytest.mark.parametrize("text", ["hôm nay bị kẹp ngón tay vào máy ép, hơi sưng", "mổ ruột thừa bên này hết bao nhiêu tiền"])
def test_a_crushed_finger_or_a_cost_question_is_no_alarm(loaded, text):
    assert not loaded.index.search(text).urgent, text


@pytest.mark.parametrize("text", ["bị hóc xương cá từ sáng, vẫn thở bình thường nhưng nuốt vướng",
                                  "nếu anh ấy lên cơn co giật ở chỗ làm thì em nên làm gì",
                                  "em bị cưỡng ép làm thêm giờ cả chủ nhật",
                                  "cho em số đường dây phòng chống tự tử để lưu giúp bạn"])
def test_still_breathing_a_hypothetical_or_forced_overtime_is_no_alarm(loaded, text):
    assert not loaded.index.search(text).urgent, text
