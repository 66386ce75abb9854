"""The editors' markup rendered to Telegram HTML, and long messages split into valid parts.

Validity is judged by tests/support/telegram_html.parse_html, a strict model of Telegram's parser.
"""

from __future__ import annotations

import pytest
from support.telegram_html import HtmlParseError, parse_html

from handbook.content import markup
from handbook.content.markup import TELEGRAM_LIMIT, split_message, to_html


def valid(html: str) -> bool:
    try:
        parse_html(html)
    except HtmlParseError:
        return False
    return True


def test_bold_becomes_b_tags():
    assert to_html("Gọi **119** ngay") == "Gọi <b>119</b> ngay"


def test_two_bold_runs_on_one_line():
    assert to_html("**a** và **b**") == "<b>a</b> và <b>b</b>"


def test_bullets_become_bullet_points():
    assert to_html("Cần mang:\n- thẻ bảo hiểm\n- hộ chiếu") == "Cần mang:\n• thẻ bảo hiểm\n• hộ chiếu"


def test_numbered_steps_are_shown_as_written():
    assert to_html("1. Gọi 119\n2. Nói địa chỉ") == "1. Gọi 119\n2. Nói địa chỉ"


def test_https_link_becomes_an_anchor():
    assert to_html("Xem [FDMA](https://www.fdma.go.jp/x)") == 'Xem <a href="https://www.fdma.go.jp/x">FDMA</a>'


def test_link_address_with_ampersand_is_escaped():
    html = to_html("[trang](https://example.org/a?b=1&c=2)")
    assert html == '<a href="https://example.org/a?b=1&amp;c=2">trang</a>'
    text, entities = parse_html(html)
    assert text == "trang" and entities[0]["url"] == "https://example.org/a?b=1&c=2"


def test_bold_inside_link_text():
    assert to_html("[**gấp**](https://example.org)") == '<a href="https://example.org"><b>gấp</b></a>'


@pytest.mark.parametrize(
    ("written", "html"),
    [
        ("a < b", "a &lt; b"),
        ("a > b", "a &gt; b"),
        ("muối & đường", "muối &amp; đường"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("**<3 & >_<**", "<b>&lt;3 &amp; &gt;_&lt;</b>"),
        ("[a < b](https://example.org)", '<a href="https://example.org">a &lt; b</a>'),
    ],
)
def test_editor_text_is_escaped(written, html):
    assert to_html(written) == html
    assert valid(to_html(written))


def test_blank_lines_separate_paragraphs_and_extra_ones_are_squeezed():
    assert to_html("một\n\n\n\nhai") == "một\n\nhai"


def test_unbalanced_bold_is_shown_as_written_and_reported():
    assert to_html("**x** và **y") == "**x** và **y"
    assert any("**" in message for _, message in markup.problems("ok\n**x** và **y"))


@pytest.mark.parametrize(
    ("text", "offset"),
    [("dòng một\n<b>đậm</b>", 1), ("[link](ftp://x)", 0), ("a\nb\n**c", 2), ("[x](javascript:alert(1))", 0)],
)
def test_problems_name_the_line_within_the_text(text, offset):
    found = markup.problems(text)
    assert found and found[0][0] == offset


def test_valid_markup_has_no_problems():
    assert markup.problems("**Gọi 119**\n\n- một\n- [hai](https://example.org)\n1. ba\na < b & c") == []


@pytest.mark.parametrize(
    "text",
    ["**Gọi 119 ngay nếu** khó thở", "- **a** [b](https://x.org/?q=1&r=2)\n- c < d", "tôi & bạn\n\n> trích", "😀 **🚑**"],
)
def test_rendered_html_is_valid_telegram_html(text):
    assert valid(to_html(text))


def test_every_real_answer_renders_to_valid_html(loaded):
    for entry in loaded.handbook.entries.values():
        parts = [entry.answer, *entry.countries.values()]
        for part in parts:
            for lang in ("vi", "en"):
                assert valid(to_html(part.get(lang))), (entry.id, lang)


# --- split_message --------------------------------------------------------------------------------
def _long_html(paragraphs: int = 90) -> str:
    para = "**Bước {n}:** gọi 119, nói rõ địa chỉ & triệu chứng. Xem [hướng dẫn](https://example.org/{n}?a=1&b=2).\n- một\n- hai"
    return to_html("\n\n".join(para.format(n=i) for i in range(paragraphs)))


def test_short_message_is_not_split():
    assert split_message("ngắn") == ["ngắn"]


def test_split_parts_fit_telegram_and_are_balanced():
    html = _long_html()
    assert len(html) > 2 * TELEGRAM_LIMIT
    parts = split_message(html)
    assert len(parts) >= 3
    for part in parts:
        assert 0 < len(part) <= TELEGRAM_LIMIT
        assert valid(part), part[:200]


def test_split_happens_at_paragraph_boundaries():
    html = _long_html()
    parts = split_message(html)
    assert "\n\n".join(parts) == html
    paragraphs = html.split("\n\n")
    assert [p for part in parts for p in part.split("\n\n")] == paragraphs


def test_split_respects_a_smaller_limit():
    html = _long_html(10)
    for part in split_message(html, limit=500):
        assert len(part) <= 500 and valid(part)


def test_one_paragraph_longer_than_the_limit_is_split_between_lines():
    html = to_html("\n".join(f"- **mục {i}**: uống nhiều nước & nghỉ ngơi" for i in range(300)))
    assert "\n\n" not in html and len(html) > TELEGRAM_LIMIT
    parts = split_message(html)
    assert len(parts) >= 2
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT and valid(part)
    assert "\n".join(parts) == html


def test_one_line_longer_than_the_limit_is_split_into_valid_parts():
    html = to_html(" ".join(["từ **quan trọng** và [link](https://example.org/a?b=1&c=2) nữa"] * 120))
    assert "\n" not in html and len(html) > TELEGRAM_LIMIT
    for part in split_message(html):
        assert len(part) <= TELEGRAM_LIMIT and valid(part)


def test_html_to_plain_undoes_the_rendering():
    html = to_html("**Gọi 119** & xem [FDMA](https://www.fdma.go.jp/)")
    assert markup.html_to_plain(html) == "Gọi 119 & xem FDMA (https://www.fdma.go.jp/)"


def test_to_plain_drops_the_marks():
    assert markup.to_plain("**Gọi 119**\n- [FDMA](https://x.org)") == "Gọi 119\n• FDMA (https://x.org)"
