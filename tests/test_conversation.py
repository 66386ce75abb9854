"""The pure conversation core: conversations as data, each outcome of a message or a button."""

from __future__ import annotations

from handbook.dialogue import buttons
from handbook.dialogue.conversation import Incoming, Settings, handle, inline_results

JP = Settings(country="jp")


def names(reply) -> list[str]:
    return [e.name for e in reply.events]


def datas(message) -> list[str]:
    return [b.data for row in message.keyboard for b in row]


def test_start_greets_in_vietnamese_with_reminder_privacy_and_country_choice(loaded):
    reply = handle(loaded, Settings(), Incoming("command", command="start", client_lang="vi"))
    greeting, choose = reply.messages
    assert "Xin chào" in greeting.html and "119" in greeting.html and "🔒" in greeting.html
    assert datas(choose) == ["c:jp", "c:kr"]
    assert names(reply) == ["message", "start"]


def test_start_with_a_country_already_chosen_shows_the_menu_instead_of_asking(loaded):
    greeting, menu = handle(loaded, JP, Incoming("command", command="start")).messages
    assert "Xin chào" in greeting.html
    assert not any(d.startswith("c:") for d in datas(menu)) and len(datas(menu)) == len(loaded.handbook.chapters) + 1


def test_help_names_the_bot_on_telegram_and_leaves_that_line_out_without_a_name(loaded):
    named = handle(loaded, JP, Incoming("command", "healthbot_test_bot", command="help")).messages[0].html
    unnamed = handle(loaded, JP, Incoming("command", "", command="help")).messages[0].html
    assert "@healthbot_test_bot" in named and "@" not in unnamed and "/menu" in unnamed


def test_start_greets_in_english_for_an_english_client(loaded):
    reply = handle(loaded, Settings(), Incoming("command", command="start", client_lang="en-GB"))
    assert "Hello" in reply.messages[0].html


def test_start_with_an_entry_id_opens_it_and_counts_the_deep_link(loaded):
    reply = handle(loaded, JP, Incoming("command", "emergency-numbers", command="start"))
    assert "119" in reply.messages[0].html
    assert [(e.name, e.value, e.via) for e in reply.events[1:]] == [("start", "emergency-numbers", None), ("entry_shown", None, "deeplink")]


def test_choosing_a_country_saves_it_and_shows_the_menu(loaded):
    reply = handle(loaded, Settings(), Incoming("button", data="c:kr"))
    assert reply.settings == Settings(None, "kr")
    saved, menu = reply.messages
    assert saved.edit and "Hàn Quốc" in saved.html
    assert buttons.EMERGENCY in datas(menu) and "m:emergency" in datas(menu)


def test_chapter_menu_edits_in_place_with_a_way_back(loaded):
    reply = handle(loaded, JP, Incoming("button", data="m:symptoms"))
    [view] = reply.messages
    assert view.edit and "m" in datas(view) and "e:m:fever" in datas(view)
    assert [(e.name, e.chapter) for e in reply.events[1:]] == [("menu_open", "symptoms")]


def test_a_clear_question_gets_the_entry_with_its_country_part_source_and_buttons(loaded):
    reply = handle(loaded, Settings(country="kr"), Incoming("text", "bhyt đóng bao nhiêu"))
    message = reply.messages[0]  # "not what you meant?" may follow (alternatives beside the answer)
    assert "🇰🇷" in message.html and "🇯🇵" not in message.html and "Nguồn" in message.html
    assert "fb:+:health-insurance" in datas(message) and "m" in datas(message)
    assert names(reply) == ["message", "question", "answered", "entry_shown"]


def test_a_country_named_in_the_question_wins_for_that_answer(loaded):
    reply = handle(loaded, JP, Incoming("text", "bảo hiểm y tế ở hàn quốc"))
    assert "🇰🇷" in reply.messages[0].html and reply.settings is None


def test_close_scores_offer_three_choices_and_none_of_these(loaded):
    reply = handle(loaded, JP, Incoming("text", "thuốc"))
    [message] = reply.messages
    assert len(datas(message)) == 4 and datas(message)[-1] == buttons.NONE_OF_THESE
    none = handle(loaded, JP, Incoming("button", data=buttons.NONE_OF_THESE))
    assert "03-5285-8088" in none.messages[0].html


def test_no_answer_echoes_the_question_escaped_with_menu_and_support(loaded):
    reply = handle(loaded, JP, Incoming("text", "tỷ giá yên <b>hôm nay</b> & mai"))
    [message] = reply.messages
    assert "&lt;b&gt;hôm nay&lt;/b&gt; &amp; mai" in message.html and "<b>hôm nay" not in message.html
    assert "m" in datas(message)
    miss = [e for e in reply.events if e.name == "no_answer"][0]
    assert miss.text == "tỷ giá yên <b>hôm nay</b> & mai"


def test_danger_signs_put_the_emergency_block_first(loaded):
    reply = handle(loaded, Settings(country="kr"), Incoming("text", "bạn tôi bất tỉnh không thở"))
    html = reply.messages[0].html
    assert html.index("119") < html.index("112") < html.index("\n\n") and "urgent" in names(reply)


def test_the_reply_language_follows_the_message_unless_chosen(loaded):
    assert handle(loaded, JP, Incoming("text", "high fever what to do")).lang == "en"
    assert handle(loaded, Settings("vi", "jp"), Incoming("text", "high fever what to do")).lang == "vi"


def test_feedback_thanks_removes_the_buttons_and_counts(loaded):
    reply = handle(loaded, JP, Incoming("button", data="fb:-:fever"))
    assert reply.toast and reply.messages[0].markup_only
    assert not any(d.startswith("fb:") for d in datas(reply.messages[0]))
    assert [(e.name, e.entry) for e in reply.events[1:]] == [("not_helpful", "fever")]


def test_forged_stale_or_oversized_button_data_gets_the_expired_menu(loaded):
    for data in ("e:s:gone-entry", "hello", "", None, "fb:+:" + "x" * 100, "m:../../etc", "c:cn"):
        reply = handle(loaded, JP, Incoming("button", data=data))
        assert "cũ" in reply.messages[0].html and len(reply.messages) == 2


def test_media_unknown_commands_and_staff_commands_for_non_admins(loaded):
    assert "chữ" in handle(loaded, JP, Incoming("media")).messages[0].html
    unknown = handle(loaded, JP, Incoming("command", command="frobnicate")).messages[0].html
    for name in ("stats", "reload"):
        reply = handle(loaded, JP, Incoming("command", command=name))
        assert reply.action is None and reply.messages[0].html == unknown
        assert handle(loaded, JP, Incoming("command", command=name, is_admin=True)).action == name


def test_language_and_country_commands_offer_choices_and_save(loaded):
    assert datas(handle(loaded, JP, Incoming("command", command="lang")).messages[0]) == ["l:vi", "l:en", "l:auto"]
    assert handle(loaded, JP, Incoming("button", data="l:en")).settings == Settings("en", "jp")
    assert handle(loaded, Settings("en", "jp"), Incoming("button", data="l:auto")).settings == Settings(None, "jp")


def test_inline_results_carry_the_entry_text(loaded):
    lang, results = inline_results(loaded, JP, "sốt cao")
    assert lang == "vi" and results and results[0][0] == "fever" and "<b>" in results[0][2]



# --- privacy line, /about, urgent without an entry ----------------------------------------------
def test_privacy_line_says_no_message_text_is_kept_when_misses_are_not_recorded(loaded):
    for command in ("start", "about"):
        en = handle(loaded, Settings("en"), Incoming("command", command=command)).messages[0].html
        vi = handle(loaded, Settings("vi"), Incoming("command", command=command)).messages[0].html
        assert "no message text" in en
        assert "nội dung tin nhắn" in vi
        assert "90" not in en and "90" not in vi


def test_privacy_line_says_unanswered_questions_are_kept_90_days_when_misses_are_recorded(loaded):
    for command in ("start", "about"):
        en = handle(loaded, Settings("en"), Incoming("command", command=command), keeps_misses=True).messages[0].html
        vi = handle(loaded, Settings("vi"), Incoming("command", command=command), keeps_misses=True).messages[0].html
        assert "could not answer are kept" in en and "90 days" in en and "without names" in en
        assert "chưa trả lời được" in vi and "90 ngày" in vi and "không kèm tên" in vi
        assert "nobody reads" not in en and "không ai đọc" not in vi


def test_about_follows_the_handbook_topics_and_disclaims_being_an_official_service(loaded):
    en = handle(loaded, Settings("en"), Incoming("command", command="about")).messages[0].html
    vi = handle(loaded, Settings("vi"), Incoming("command", command="about")).messages[0].html
    assert "follows the topics" in en and "not an official service" in en and "IOM" in en and "MHWG" in en
    assert "đi theo các chủ đề" in vi and "không phải là dịch vụ chính thức" in vi


class DangerButNoEntry:
    """A search index that sees danger words in every message and finds no entry for it."""

    def __init__(self, real):
        self.thresholds = real.thresholds

    def search(self, text, *, limit=5, lang=None):
        from handbook.search.engine import NONE, SearchResult

        return SearchResult(text, lang or "vi", None, urgent=True, outcome=NONE)


def test_urgent_message_without_an_entry_gets_the_emergency_block_and_what_to_say_when_calling(loaded):
    from dataclasses import replace

    danger = replace(loaded, index=DangerButNoEntry(loaded.index))
    for lang, words in (("vi", ("gọi 119 ngay", "địa chỉ", "chuyện gì đã xảy ra", "còn thở")),
                        ("en", ("call 119 now", "address", "what happened", "breathing"))):
        reply = handle(danger, Settings(lang, "kr"), Incoming("text", "bố tôi ngã xuống"))
        assert names(reply)[-2:] == ["urgent", "no_answer"]
        block, advice = (m.html for m in reply.messages)
        assert "119" in block and "112" in block
        assert all(w in advice.lower() for w in words), advice
        assert "hỏi cách khác" not in advice and "try other words" not in advice.lower()
        assert "e:m:call-ambulance" in datas(reply.messages[1]) or any("call-ambulance" in d for d in datas(reply.messages[1]))


def test_non_urgent_message_without_an_entry_still_suggests_other_words(loaded):
    reply = handle(loaded, JP, Incoming("text", "giá vàng hôm nay"))
    assert "no_answer" in names(reply) and "urgent" not in names(reply)
    assert "hỏi cách khác" in reply.messages[-1].html


def test_feedback_beside_an_answer_keeps_its_not_what_you_meant_choices_and_drops_forged_ones(loaded):
    shown = ("e:a:stomach-pain", "e:a:gone-entry", "e:r:food-poisoning", "fb:+:fever", "fb:-:fever", "m", "x", "e:a:" + "x" * 80)
    [edit] = handle(loaded, JP, Incoming("button", data="fb:+:fever", siblings=shown)).messages
    assert edit.edit and edit.markup_only
    assert [d for d in datas(edit) if d.startswith("e:a:")] == ["e:a:stomach-pain"]  # a known entry only
    assert not any(d.startswith("fb:") for d in datas(edit)) and "m" in datas(edit)
    [plain] = handle(loaded, JP, Incoming("button", data="fb:+:fever")).messages  # from a menu: none to keep
    assert not any(d.startswith("e:a:") for d in datas(plain))
