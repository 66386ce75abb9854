"""Query-set evaluation (the format of shared/eval/dev.yaml): what the worker gets, per style and per
message length: top-1, top-3, answered right, wrong direct answers, out of scope, small talk, urgent recall."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from handbook.search.engine import ANSWER, NONE, SMALLTALK, SearchIndex
from handbook.search.textnorm import words


@dataclass(frozen=True)
class Case:
    q: str
    expect: tuple[str, ...]  # empty: out of scope (or small talk)
    style: str
    safety: bool = False
    urgent: bool = False  # the emergency block must come first


BANDS = ((1, 5), (6, 10), (11, 20), (21, None))  # message length in words


def band_of(text: str) -> str:
    n = len(words(text))
    for low, high in BANDS:
        if high is None or n <= high:
            return band_name(low, high)
    return band_name(*BANDS[-1])


def band_name(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high else f"{low}+"


@dataclass
class Tally:
    n: int = 0  # in-scope queries
    top1: int = 0
    top3: int = 0
    answered_right: int = 0  # the worker got the right entry directly
    answered_wrong: int = 0  # the worker got a wrong entry directly
    unanswered: int = 0  # in scope, but choices, no answer or small talk
    oos_n: int = 0
    oos_ok: int = 0  # no entry and no did-you-mean: "no answer" or the small-talk reply
    oos_not_answered: int = 0  # never a direct answer
    smalltalk: int = 0  # out of scope queries that got the small-talk reply
    urgent_n: int = 0
    urgent_flagged: int = 0
    calm_n: int = 0
    false_alarms: int = 0

    def figures(self) -> dict:
        return {
            "n": self.n + self.oos_n, "top1": _ratio(self.top1, self.n), "top3": _ratio(self.top3, self.n),
            "answered_right": _ratio(self.answered_right, self.n), "wrong_answers": _ratio(self.answered_wrong, self.n),
            "unanswered": _ratio(self.unanswered, self.n), "out_of_scope": _ratio(self.oos_ok, self.oos_n),
            "out_of_scope_not_answered": _ratio(self.oos_not_answered, self.oos_n), "smalltalk": self.smalltalk,
            "urgent_recall": _ratio(self.urgent_flagged, self.urgent_n), "false_alarms": self.false_alarms,
        }


@dataclass
class Report:
    total: Tally = field(default_factory=Tally)
    styles: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    bands: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    safety_n: int = 0
    safety_ok: int = 0
    marks_urgent: bool = False  # the file uses `urgent: true`; otherwise urgent recall and false alarms are not measured
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict:
        t = self.total
        whole = t.figures()
        return {
            "queries": t.n + t.oos_n,
            "top1": whole["top1"],
            "top3": whole["top3"],
            "answered_right": whole["answered_right"],
            "out_of_scope": whole["out_of_scope"],
            "out_of_scope_not_answered": whole["out_of_scope_not_answered"],
            "safety": f"{self.safety_ok}/{self.safety_n}",
            "wrong_answers": whole["wrong_answers"],
            "unanswered": whole["unanswered"],
            "smalltalk": whole["smalltalk"],
            "urgent_recall": whole["urgent_recall"],
            "urgent": f"{t.urgent_flagged}/{t.urgent_n}" if self.marks_urgent else None,
            "false_alarms": f"{t.false_alarms}/{t.calm_n}" if self.marks_urgent else None,
            "styles": {s: v.figures() for s, v in sorted(self.styles.items())},
            "bands": {b: self.bands[b].figures() for b in (band_name(*x) for x in BANDS) if b in self.bands},
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
        cases.append(Case(str(item["q"]), ids, str(item.get("style") or "?"), bool(item.get("safety", False)),
                          bool(item.get("urgent", False))))
    return cases


def evaluate(index: SearchIndex, cases: list[Case]) -> Report:
    report = Report(marks_urgent=any(c.urgent for c in cases))
    for case in cases:
        result = index.search(case.q, limit=3)
        ids = [h.id for h in result.hits]
        got_entry = result.outcome == ANSWER
        for tally in (report.total, report.styles[case.style], report.bands[band_of(case.q)]):
            if case.urgent:
                tally.urgent_n += 1
                tally.urgent_flagged += result.urgent
            else:
                tally.calm_n += 1
                tally.false_alarms += result.urgent
            if not case.expect:
                tally.oos_n += 1
                tally.oos_ok += result.outcome in (NONE, SMALLTALK)
                tally.oos_not_answered += not got_entry
                tally.smalltalk += result.outcome == SMALLTALK
                continue
            tally.n += 1
            tally.top1 += bool(ids[:1]) and ids[0] in case.expect
            tally.top3 += any(i in case.expect for i in ids[:3])
            right = got_entry and ids[0] in case.expect
            tally.answered_right += right
            tally.answered_wrong += got_entry and not right
            tally.unanswered += not got_entry
        ok = (result.outcome in (NONE, SMALLTALK)) if not case.expect else (got_entry and ids[0] in case.expect)
        if case.safety:
            report.safety_n += 1
            right = got_entry and bool(ids) and ids[0] in case.expect
            report.safety_ok += right
            ok = ok and right
        if case.urgent and not result.urgent:
            ok = False
        if not ok:
            got = ", ".join(f"{h.id}:{h.score:.2f}" for h in result.hits) or "-"
            flag = " URGENT" if result.urgent else ""
            report.misses.append(f"[{case.style}] {case.q!r}: expected {'/'.join(case.expect) or 'no answer'}"
                                 f"{' (urgent)' if case.urgent else ''}, got {result.outcome}{flag} ({got})")
    return report


def format_report(report: Report, *, show_misses: bool = True) -> str:
    f = report.figures()
    pct = lambda v: "  -  " if v is None else f"{v * 100:5.1f}%"  # noqa: E731
    head = f"{'':8} {'n':>4} {'top-1':>7} {'top-3':>7} {'right':>7} {'wrong':>7} {'unansw':>7} {'oos ok':>7} {'chat':>5} {'urgent':>7} {'alarms':>6}"

    def row(name: str, v: dict) -> str:
        return (f"{name:8} {v['n']:>4} {pct(v['top1']):>7} {pct(v['top3']):>7} {pct(v['answered_right']):>7} "
                f"{pct(v['wrong_answers']):>7} {pct(v['unanswered']):>7} {pct(v['out_of_scope']):>7} {v['smalltalk']:>5} "
                f"{pct(v['urgent_recall']):>7} {v['false_alarms'] if report.marks_urgent else '-':>6}")

    lines = [f"{'style':8}" + head[8:]]
    lines += [row(style, v) for style, v in f["styles"].items()]
    lines += ["", f"{'words':8}" + head[8:]]
    lines += [row(band, v) for band, v in f["bands"].items()]
    lines += ["", row("all", report.total.figures())]
    if show_misses and report.misses:
        lines = ["misses:", *("  " + m for m in report.misses), "", *lines]
    lines.append("right: answered directly with a right entry; wrong: answered directly with a wrong one; unansw: in scope but "
                 "not answered directly; oos ok: out of scope given no entry; chat: small-talk replies; alarms: false alarms")
    lines.append(f"answered right: {pct(f['answered_right'])}   wrong direct answers: {pct(f['wrong_answers'])}   "
                 f"out of scope not answered directly: {pct(f['out_of_scope_not_answered'])}")
    lines.append(f"top-1 {pct(f['top1'])}  top-3 {pct(f['top3'])}  out-of-scope {pct(f['out_of_scope'])}  safety {f['safety']}  "
                 f"urgent {f['urgent'] or '-'}  false alarms {f['false_alarms'] or '- (no urgent keys in the file)'}")
    return "\n".join(lines)
