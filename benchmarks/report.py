"""Plain-text tables of the benchmark figures, and the speed and memory targets with met / missed."""

from __future__ import annotations

from collections.abc import Sequence

TARGETS = {
    "p50_real_ms": 1.0,
    "p99_real_ms": 5.0,
    "p99_10k_ms": 20.0,
    "startup_real_s": 1.0,
    "rss_mb": 150.0,
    "top1_margin_points": 15.0,
}


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    """Columns aligned; the first `left` columns to the left, the others to the right."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def label_of(size_label: str) -> str:
    return size_label if size_label == "real" else f"{int(size_label):,}"


def search_table(rows: list[dict]) -> str:
    body = [
        [label_of(r["size_label"]), f"{r['entries']:,}", r["method"], f"{r['build_s']:.2f}", r["queries"],
         pct(r["dev_top1"]), pct(r["dev_top3"]), pct(r["gen_top1"]), pct(r["gen_top3"]),
         ms(r["p50_ms"]), ms(r["p99_ms"]), f"{r['qps']:,.0f}"]
        for r in rows
    ]
    heads = ["handbook", "entries", "method", "build s", "queries", "dev top-1", "dev top-3", "gen top-1", "gen top-3",
             "p50 ms", "p99 ms", "queries/s"]
    return table(heads, body, left=1)


def _times(a: float, b: float) -> str:
    if not b:
        return "-"
    r = a / b
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def _points(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{(a - b) * 100:+.1f}"


def ratio_table(rows: list[dict]) -> str:
    by = {(r["size_label"], r["method"]): r for r in rows}
    body = []
    for (size, method), ours in by.items():
        if method != "ours":
            continue
        for base in ("bm25", "rapidfuzz"):
            b = by.get((size, base))
            if b:
                body.append([label_of(size), base, _points(ours["dev_top1"], b["dev_top1"]), _points(ours["gen_top1"], b["gen_top1"]),
                             _times(ours["p50_ms"], b["p50_ms"]), _times(ours["p99_ms"], b["p99_ms"]), _times(b["qps"], ours["qps"])])
    heads = ["handbook", "baseline", "dev top-1 pts", "gen top-1 pts", "p50 ours/base", "p99 ours/base", "q/s base/ours"]
    return table(heads, body, left=2)


def growth_table(growth: dict) -> str:
    sizes = sorted({int(s) for g in growth.values() for s in g})
    body = [[m, *(_fmt_growth(growth[m].get(str(s))) for s in sizes)] for m in growth]
    return table(["method", *(f"p50 x at {s:,}" for s in sizes)], body)


def _fmt_growth(g: dict | None) -> str:
    if not g:
        return "-"
    return f"{g['ratio']:.1f}x ({ms(g['p50_ms'])} ms)"


def startup_table(startup: dict) -> str:
    body = [
        [r["label"], f"{r['entries']:,}", r["runs"], f"{r['import_s']:.3f}", f"{r['load_s']:.3f}", f"{min(r['load_s_all']):.3f}", f"{r['parse_validate_s']:.3f}",
         f"{r['index_s']:.3f}", f"{r['peak_rss_mb']:.1f}", f"{r['over_baseline_mb']:+.1f}", f"{r['rss_after_load_mb']:.1f}"]
        for r in startup["rows"]
    ]
    heads = ["handbook", "entries", "runs", "import s", "load s (median)", "fastest s", "parse+validate s", "index s", "peak RSS MB", "over bare MB", "RSS after MB"]
    return table(heads, body)


def bot_table(bot: dict) -> str:
    heads = ["phase", "users", "messages", "answered", "lost", "incomplete", "msgs/s", "replies/s", "p50 ms", "p99 ms",
             "p99 all parts ms", "peak RSS MB"]

    def row(name: str, r: dict, rss: object = "-") -> list:
        return [name, r["users"] if "users" in r else bot["users"], r["messages"], r["answered"], r["lost"], r.get("incomplete", "-"),
                r.get("messages_per_s", "-"), r.get("replies_per_s", "-"), r["p50_ms"], r["p99_ms"], r.get("p99_full_ms", "-"), rss]

    rows = [row(f"main run, 1 msg/{bot['interval_s']} s/user", bot, bot["peak_rss_mb"])]
    if "light" in bot:
        rows.append(row(f"lighter, 1 msg/{bot['light']['interval_s']} s/user", bot["light"]))
    rows.append(row("nearly idle (calibration)", bot["idle"]))
    out = table(heads, rows)
    if flood := bot.get("flood"):
        out += (f"\nflood: {flood['flooders']} accounts x {flood['messages_each']} messages (sent in {flood['sending_s']} s): "
                f"an ordinary user's answer after {flood['ordinary_wait_s']} s; replies per flooder "
                f"{flood['flooder_replies_min']}-{flood['flooder_replies_max']}")
    return out


def _verdict(value: float | None, target: float, *, higher_better: bool = False, unit: str = "") -> tuple[str, str]:
    if value is None:
        return "-", "not measured"
    figure = f"{value:+.1f}{unit}" if higher_better else f"{value:.3g}{unit}"
    if value >= target if higher_better else value <= target:
        return figure, "met"
    if higher_better:
        return figure, f"missed by {target - value:.1f}{unit}"
    return figure, f"missed: {value / target:.1f}x the target (+{value - target:.3g}{unit})"


def targets(results: dict) -> list[dict]:
    search = {(r["size_label"], r["method"]): r for r in results.get("search", [])}
    ours = search.get(("real", "ours"))
    big = search.get(("10000", "ours"))
    start = next((r for r in results.get("startup", {}).get("rows", []) if r["label"] == "real"), None)
    bot = results.get("bot") or {}
    rows = []

    def add(name: str, value: float | None, target: float, **kw) -> None:
        figure, verdict = _verdict(value, target, **kw)
        rows.append({"target": name, "figure": figure, "verdict": verdict, "value": value, "goal": target})

    add("search p50 <= 1 ms, real handbook (ours)", ours and ours["p50_ms"], TARGETS["p50_real_ms"], unit=" ms")
    add("search p99 <= 5 ms, real handbook (ours)", ours and ours["p99_ms"], TARGETS["p99_real_ms"], unit=" ms")
    add("search p99 <= 20 ms at 10,000 entries (ours)", big and big["p99_ms"], TARGETS["p99_10k_ms"], unit=" ms")
    add("start-up <= 1 s, real handbook (load+validate+index)", start and start["load_s"], TARGETS["startup_real_s"], unit=" s")
    add("RSS <= 150 MB while running (bot VmHWM)", bot.get("peak_rss_mb"), TARGETS["rss_mb"], unit=" MB")
    for base in ("bm25", "rapidfuzz"):
        b = search.get(("real", base))
        margin = round((ours["dev_top1"] - b["dev_top1"]) * 100, 1) if ours and b and ours["dev_top1"] is not None else None
        add(f"dev top-1 >= {base} + 15 points (real handbook)", margin, TARGETS["top1_margin_points"], higher_better=True, unit=" pts")
    return rows


def targets_table(rows: list[dict]) -> str:
    return table(["target", "figure", "verdict"], [[r["target"], r["figure"], r["verdict"]] for r in rows], left=3)
