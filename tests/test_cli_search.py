"""`healthbot search` (the --jsonl contract over standard input) and `healthbot eval`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli

CONTRACT_KEYS = {"query", "lang", "country", "answered", "outcome", "urgent", "results"}
RESULT_KEYS = {"id", "score", "title"}

REAL = [
    "dau bung qua",
    "e bị sốt ko đỡ",
    "emergency number japan",
    "bhyt bên hàn đóng bao nhiêu",
    "tỷ giá yên hôm nay",
    "gia hạn visa",
    "xin chào",
    "asdfgh",
    "toi muon tu tu",
    "bạn tôi bất tỉnh",
    "sick leave rights",
    "bv o dau",
    "お腹が痛い",
    "배가 아파요",
    "119",
    "khoẻ không",
    "How do I see a doctor",
    "ngộ độc thực phẩm",
]
ODD = [
    "",
    "   ",
    "\t",
    "😀",
    "🤒🤒🤒 sốt",
    "<b>bold</b> & stuff",
    '"quoted" \\ back',
    "tab\tinside",
    "line\u2028separator",
    "ctrl\x1bchar",
    "bidi\u202eđau",
]


LONG = ["x" * 5000, "đau bụng " * 800, "bhyt " * 1500]


def _lines(n: int = 1000) -> list[str]:
    """Real queries, blank lines, emoji and odd characters; a very long line every 100 lines."""
    pool = REAL + ODD
    return [
        LONG[i // 100 % len(LONG)] if i % 100 == 50 else pool[(i * 7) % len(pool)] if i % 5 else f"{REAL[i % len(REAL)]} {i}"
        for i in range(n)
    ]


def rows(done) -> list[str]:
    """Output lines split on \\n only (JSON may hold U+2028, which str.splitlines would split on)."""
    out = done.stdout.split("\n")
    assert out[-1] == "", "output must end with a newline"
    return out[:-1]


def run_cli(repo_root: Path, content_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEALTHBOT_CONTENT": str(content_dir), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=repo_root,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


@pytest.fixture
def call_cli(monkeypatch, capsys, content_dir, loaded):
    """Run `healthbot ARGS` in this process with STDIN; returns code and output.

    The session's `loaded` handbook stands in for loading content/ again (jsonl_run covers that path)."""
    real_load = cli.library.load
    monkeypatch.setattr(cli.library, "load", lambda d: loaded if Path(d) == content_dir else real_load(d))

    def call(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        monkeypatch.setenv("HEALTHBOT_CONTENT", str(content_dir))
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            code = cli.main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return call


@pytest.fixture(scope="module")
def jsonl_run(repo_root, content_dir):
    lines = _lines()
    done = run_cli(repo_root, content_dir, "search", "--jsonl", "--limit", "3", stdin="\n".join(lines) + "\n")
    return lines, done


def test_jsonl_prints_one_object_per_input_line(jsonl_run):
    lines, done = jsonl_run
    assert len(lines) == 1000
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(rows(done)) == 1000


def test_jsonl_objects_come_in_input_order(jsonl_run):
    lines, done = jsonl_run
    queries = [json.loads(x)["query"] for x in rows(done)]
    assert queries == lines


def test_jsonl_objects_keep_the_contract_keys_and_types(jsonl_run):
    _, done = jsonl_run
    for raw in rows(done):
        data = json.loads(raw)
        assert set(data) == CONTRACT_KEYS, data
        assert isinstance(data["query"], str)
        assert data["lang"] in ("vi", "en")
        assert data["country"] in (None, "jp", "kr")
        assert isinstance(data["answered"], bool) and isinstance(data["urgent"], bool)
        assert data["outcome"] in ("answer", "choices", "none", "smalltalk")
        assert data["answered"] == (data["outcome"] == "answer")
        assert isinstance(data["results"], list) and len(data["results"]) <= 3
        for item in data["results"]:
            assert set(item) == RESULT_KEYS, item
            assert isinstance(item["id"], str) and isinstance(item["title"], str) and item["title"]
            assert isinstance(item["score"], (int, float)) and not isinstance(item["score"], bool)
            assert 0.0 <= item["score"] <= 1.0
        scores = [r["score"] for r in data["results"]]
        assert scores == sorted(scores, reverse=True)
        if data["answered"]:
            assert data["results"], data


def test_jsonl_empty_and_blank_lines_are_unanswered(jsonl_run):
    _, done = jsonl_run
    blank = [json.loads(x) for x in rows(done) if not json.loads(x)["query"].strip()]
    assert blank
    assert all(not d["answered"] and not d["urgent"] and d["results"] == [] for d in blank)


def test_jsonl_same_query_gives_the_same_object(jsonl_run):
    _, done = jsonl_run
    seen: dict[str, str] = {}
    for raw in rows(done):
        query = json.loads(raw)["query"]
        assert seen.setdefault(query, raw) == raw


@pytest.fixture
def plain_run(call_cli):
    """Default flags: --limit 5 and no user country."""
    done = call_cli("search", "--jsonl", stdin="bảo hiểm\nđau\nemergency number japan\ne bị sốt ko đỡ\n")
    assert done.returncode == 0, done.stderr
    return [json.loads(x) for x in rows(done)]


def test_jsonl_results_follow_the_limit_default_of_5(plain_run):
    assert len(plain_run) == 4
    assert all(1 <= len(r["results"]) <= 5 for r in plain_run)
    assert max(len(r["results"]) for r in plain_run) == 5


def test_jsonl_country_is_the_one_named_in_the_query_not_the_users(call_cli):
    done = call_cli("search", "--jsonl", "--country", "kr", stdin="dau bung qua\nemergency number japan\nbhyt bên hàn\n")
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["country"] for x in rows(done)] == [None, "jp", "kr"]


def test_jsonl_titles_are_in_the_reply_language(plain_run, loaded):
    entries = loaded.handbook.entries
    en, vi = plain_run[2], plain_run[3]
    assert en["lang"] == "en" and all(r["title"] == entries[r["id"]].title.en for r in en["results"])
    assert vi["lang"] == "vi" and all(r["title"] == entries[r["id"]].title.vi for r in vi["results"])


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_jsonl_limit_below_one_is_refused_or_kept_consistent(call_cli, limit):
    done = call_cli("search", "--jsonl", "--limit", limit, stdin="bảo hiểm y tế\n")
    if done.returncode == 0:
        data = json.loads(done.stdout)
        assert len(data["results"]) <= max(int(limit), 0)
        assert not data["answered"] or data["results"]


def test_search_with_a_query_prints_a_readable_ranking(repo_root, content_dir):
    done = run_cli(repo_root, content_dir, "search", "e bị sốt ko đỡ")
    assert done.returncode == 0, done.stderr
    assert "e bị sốt ko đỡ" in done.stdout
    assert "fever" in done.stdout
    assert "{" not in done.stdout  # not JSON
    assert "lang=vi" in done.stdout


EVAL_FILE = """\
- {q: "e bị sốt ko đỡ", expect: fever, style: teen}
- {q: "emergency number japan", expect: emergency-numbers, style: en, safety: true}
- {q: "bhyt bên hàn đóng bao nhiêu", expect: [health-insurance, eps-insurances], style: teen}
- {q: "tỷ giá yên hôm nay", expect: null, style: oos}
- {q: "asdfgh", expect: null, style: oos}
"""


def test_eval_prints_top1_top3_out_of_scope_and_safety(call_cli, tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text(EVAL_FILE, encoding="utf-8")
    done = call_cli("eval", str(path))
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    for label in ("top-1 100.0%", "top-3 100.0%", "out-of-scope 100.0%", "safety 1/1"):
        assert label in last, done.stdout
    for style in ("teen", "en", "oos"):
        assert any(x.startswith(style) for x in rows(done)), done.stdout


def test_eval_json_gives_the_figures(call_cli, tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text(EVAL_FILE, encoding="utf-8")
    done = call_cli("eval", str(path), "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["queries"] == 5
    assert figures["top1"] == figures["top3"] == figures["out_of_scope"] == 1.0
    assert figures["safety"] == "1/1"
    assert set(figures["styles"]) == {"teen", "en", "oos"}


def test_eval_of_a_bad_file_is_a_clear_error(call_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("just: a mapping\n", encoding="utf-8")
    done = call_cli("eval", str(path))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and str(path) in done.stderr


def test_search_jsonl_says_the_outcome_and_keeps_the_answer_first(call_cli):
    lines = ["cảm ơn nhiều nhé", "đau bụng quá", "tỷ giá yên hôm nay"]
    done = call_cli("search", "--jsonl", "--limit", "3", stdin="\n".join(lines) + "\n")
    got = [json.loads(x) for x in done.stdout.splitlines()]
    assert [(g["outcome"], g["answered"]) for g in got] == [("smalltalk", False), ("answer", True), ("none", False)]
    assert got[0]["results"] == [] and got[1]["results"][0]["id"] == "stomach-pain"


def test_eval_json_has_length_bands_and_the_new_measures(call_cli, tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text('- {q: "sốt cao phải làm sao", expect: fever, style: dia}\n'
                    '- {q: "xin chào", expect: null, style: oos}\n'
                    '- {q: "bạn tôi ngất xỉu không thở", expect: cpr-unconscious, style: dia, urgent: true}\n', encoding="utf-8")
    done = call_cli("eval", str(path), "--json")
    figures = json.loads(done.stdout)
    for key in ("queries", "top1", "top3", "answered_right", "out_of_scope", "safety", "styles",
                "wrong_answers", "unanswered", "smalltalk", "urgent_recall", "urgent", "false_alarms", "bands"):
        assert key in figures, key
    assert figures["smalltalk"] == 1 and figures["urgent"] == "1/1" and figures["false_alarms"] == "0/2"
    assert list(figures["bands"]) == ["1-5", "6-10"]
    done = call_cli("eval", str(path))
    assert "words" in done.stdout and "answered right: 100.0%" in done.stdout
