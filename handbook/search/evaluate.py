"""Query-set evaluation (the format of shared/eval/dev.yaml): top-1, top-3, out-of-scope, safety."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from handbook.search.engine import ANSWER, NONE, SearchIndex


@dataclass(frozen=True)
class Case:
    q: str
    expect: tuple[str, ...]  # empty: out of scope
    style: str
    safety: bool = False


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    answered_right: int = 0
    oos_n: int = 0
    oos_ok: int = 0
    oos_not_answered: int = 0


@dataclass
class Report:
    total: Tally = field(default_factory=Tally)
    styles: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    safety_n: int = 0
    safety_ok: int = 0
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict:
        t = self.total
        return {
            "queries": t.n + t.oos_n,
            "top1": _ratio(t.top1, t.n),
            "top3": _ratio(t.top3, t.n),
            "answered_right": _ratio(t.answered_right, t.n),
            "out_of_scope": _ratio(t.oos_ok, t.oos_n),
            "out_of_scope_not_answered": _ratio(t.oos_not_answered, t.oos_n),
            "safety": f"{self.safety_ok}/{self.safety_n}",
            "styles": {
                s: {"n": v.n + v.oos_n, "top1": _ratio(v.top1, v.n), "top3": _ratio(v.top3, v.n),
                    "out_of_scope": _ratio(v.oos_ok, v.oos_n)}
                for s, v in sorted(self.styles.items())
            },
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def read_cases(path: str | Path) -> list[Case]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: a query file is a YAML list of {{q: ..., expect: ..., style: ...}}")
    cases = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or "q" not in item:
            raise ValueError(f"{path}: item {i} needs at least q and expect")
        expect = item.get("expect")
        ids = () if expect is None else tuple(expect) if isinstance(expect, list) else (str(expect),)
        cases.append(Case(str(item["q"]), ids, str(item.get("style", "?")), bool(item.get("safety", False))))
    return cases


def evaluate(index: SearchIndex, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        result = index.search(case.q, limit=3)
        ids = [h.id for h in result.hits]
        for tally in (report.total, report.styles[case.style]):
            if not case.expect:
                tally.oos_n += 1
                tally.oos_ok += result.outcome == NONE
                tally.oos_not_answered += result.outcome != ANSWER
                continue
            tally.n += 1
            tally.top1 += bool(ids[:1]) and ids[0] in case.expect
            tally.top3 += any(i in case.expect for i in ids[:3])
            tally.answered_right += result.outcome == ANSWER and ids[0] in case.expect
        ok = (result.outcome == NONE) if not case.expect else (bool(ids) and ids[0] in case.expect)
        if case.safety:
            report.safety_n += 1
            right = result.outcome == ANSWER and bool(ids) and ids[0] in case.expect
            report.safety_ok += right
            ok = ok and right
        if not ok:
            got = ", ".join(f"{h.id}:{h.score:.2f}" for h in result.hits) or "-"
            report.misses.append(f"[{case.style}] {case.q!r}: expected {'/'.join(case.expect) or 'no answer'}, got {result.outcome} ({got})")
    return report


def format_report(report: Report, *, show_misses: bool = True) -> str:
    f = report.figures()
    pct = lambda v: "  -  " if v is None else f"{v * 100:5.1f}%"  # noqa: E731
    lines = [f"{'style':8} {'n':>4} {'top-1':>7} {'top-3':>7} {'oos':>7}"]
    for style, v in f["styles"].items():
        lines.append(f"{style:8} {v['n']:>4} {pct(v['top1']):>7} {pct(v['top3']):>7} {pct(v['out_of_scope']):>7}")
    lines.append(f"{'all':8} {f['queries']:>4} {pct(f['top1']):>7} {pct(f['top3']):>7} {pct(f['out_of_scope']):>7}")
    if show_misses and report.misses:
        lines = ["misses:", *("  " + m for m in report.misses), "", *lines]
    lines.append(f"answered right: {pct(f['answered_right'])}   out of scope not answered directly: {pct(f['out_of_scope_not_answered'])}")
    lines.append(f"top-1 {pct(f['top1'])}  top-3 {pct(f['top3'])}  out-of-scope {pct(f['out_of_scope'])}  safety {f['safety']}")
    return "\n".join(lines)
