"""The benchmark runs on a tiny input and prints its tables (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_quick_benchmark_runs_and_prints_the_tables(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--parts", "search,startup", "--output", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    for heading in ("SEARCH", "OURS AGAINST THE BASELINES", "LATENCY GROWTH", "START-UP", "TARGETS"):
        assert heading in text, f"{heading} missing from:\n{text}"
    for method in ("ours", "bm25", "rapidfuzz"):
        assert f" {method} " in text
    assert "BOT END TO END" not in text  # not asked for

    figures = json.loads(out.read_text(encoding="utf-8"))
    rows = figures["search"]
    assert {(r["size_label"], r["method"]) for r in rows} == {(s, m) for s in ("real", "200") for m in ("ours", "bm25", "rapidfuzz")}
    for r in rows:
        assert r["queries"] > 0 and r["dev_n"] > 0 and r["gen_n"] > 0
        assert 0 <= r["dev_top1"] <= r["dev_top3"] <= 1
        assert r["p50_ms"] <= r["p99_ms"]
    real = sum(len(yaml.safe_load(f.read_text(encoding="utf-8"))["entries"]) for f in (REPO / "content" / "handbook").glob("*.yaml"))
    assert [r["entries"] for r in figures["startup"]["rows"]] == [real, 200]
    assert {t["verdict"].split(":")[0].split(" by")[0] for t in figures["targets"]} <= {"met", "missed", "not measured"}


def test_synthetic_handbook_keeps_the_real_entries_and_loads(tmp_path):
    from benchmarks.synthetic import generated_queries, synthetic_handbook, write_content
    from handbook.content import library

    real = library.load(REPO / "content")
    big = synthetic_handbook(real.handbook, 150)
    assert len(big.entries) == 150 and set(real.handbook.entries) <= set(big.entries)
    loaded = library.load(write_content(big, REPO / "content", tmp_path))
    assert set(loaded.handbook.entries) == set(big.entries)
    queries = generated_queries(real.handbook, per_entry=2)
    assert queries and all(q.expect[0] in real.handbook.entries for q in queries)


def test_a_quick_run_leaves_the_tracked_figures_alone():
    from benchmarks.run import HERE, parse_args

    quick, full = parse_args(["--quick"]).output, parse_args([]).output
    assert full == HERE / "results.json" and quick != full
    ignored = subprocess.run(["git", "check-ignore", "-q", str(quick)], cwd=REPO)
    assert ignored.returncode == 0, f"{quick} is not git-ignored"
    assert parse_args(["--quick", "--output", "x.json"]).output == Path("x.json")



def test_a_weight_sweep_reports_the_regression_set_and_puts_the_weight_back(content_dir):
    from benchmarks.sweep import sweep
    from handbook.search import engine

    before = engine.W_KEYWORD
    (value, figures), = sweep("W_KEYWORD", [0.0], content_dir)
    assert value == 0.0 and 0.5 < figures["top1"] <= 1.0 and figures["answered_right"] <= figures["top1"]
    assert engine.W_KEYWORD == before
    with pytest.raises(SystemExit, match="not a numeric weight"):
        sweep("NO_SUCH_WEIGHT", [1.0], content_dir)
