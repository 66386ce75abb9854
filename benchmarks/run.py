"""One command for every benchmark: ``python -m benchmarks.run [--quick] [--sizes 1000,10000] [--queries FILE]``.

Prints the tables (progress goes to standard error) and writes ``benchmarks/results.json`` (the tracked
figures; a ``--quick`` smoke run writes the git-ignored ``benchmarks/results-quick.json`` instead).
Absolute times vary from run to run on a shared machine: compare against the baselines of the same run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

from handbook.content import library

from . import report
from .search_bench import METHODS, percentile, run_size
from .synthetic import DEV_FILE, dev_queries, generated_queries, sample, synthetic_handbook

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONTENT = REPO / "content"
LARGE = 2000  # synthetic handbooks above this many entries are searched with a sample of the queries


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes for a smoke run (200 entries, 50 queries, 100 messages)")
    p.add_argument("--sizes", help="synthetic handbook sizes, comma-separated (default 1000,10000; quick: 200)")
    p.add_argument("--queries", type=Path, default=DEV_FILE, help="development queries in the format of healthbot eval (default benchmarks/dev.yaml)")
    p.add_argument("--parts", default="search,startup,bot", help="which parts to run: search,startup,bot")
    p.add_argument("--large-queries", type=int, default=100, help=f"queries (half dev, half generated) for handbooks over {LARGE:,} entries")
    p.add_argument("--messages", type=int, help="bot: messages in all (default 2000; quick: 100)")
    p.add_argument("--users", type=int, help="bot: simulated users (default 50; quick: 10)")
    p.add_argument("--interval", type=float, default=0.6, help="bot: at least this many seconds between one user's messages")
    p.add_argument("--output", type=Path, help="where to write the figures (JSON; default benchmarks/results.json, "
                                              "quick: benchmarks/results-quick.json, git-ignored, so a smoke run leaves the tracked figures alone)")
    args = p.parse_args(argv)
    args.parts = {s.strip() for s in args.parts.split(",") if s.strip()}
    unknown = args.parts - {"search", "startup", "bot"}
    if unknown:
        p.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    default_sizes = "200" if args.quick else "1000,10000"
    args.sizes = [int(s) for s in (args.sizes or default_sizes).replace("_", "").split(",") if s.strip()]
    args.messages = args.messages or (100 if args.quick else 2000)
    args.users = args.users or (10 if args.quick else 50)
    args.output = args.output or HERE / ("results-quick.json" if args.quick else "results.json")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "system": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def stratified(dev: list, gen: list, n: int) -> list:
    return sample(dev, n // 2) + sample(gen, n - n // 2)


def run_search(args, loaded, handbooks: dict[int, object], dev, gen) -> tuple[list, dict]:
    """Every method on every handbook; the growth of p50 against the real handbook on the same queries."""
    base = stratified(dev, gen, 50) if args.quick else dev + gen
    results = []
    plan = [("real", loaded.handbook, base)]
    for size, hb in sorted(handbooks.items()):
        plan.append((str(size), hb, stratified([q for q in base if q.source == "dev"], [q for q in base if q.source == "gen"],
                                               args.large_queries) if size > LARGE else base))
    latencies: dict[tuple[str, str], dict[int, float]] = {}
    for label, hb, queries in plan:
        log(f"search: {label} ({len(hb.entries):,} entries, {len(queries)} queries)")
        for r in run_size(hb, loaded.lexicon, queries, label, log=log):
            latencies[(label, r.method)] = {id(q): t for q, t in zip(queries, r.latencies)}
            results.append(r.to_dict())
    growth: dict[str, dict] = {m: {} for m in METHODS}
    for label, _hb, queries in plan[1:]:
        for m in METHODS:
            here, real = latencies[(label, m)], latencies[("real", m)]
            same = [id(q) for q in queries if id(q) in real]
            p_here, p_real = percentile([here[i] for i in same], 50), percentile([real[i] for i in same], 50)
            growth[m][label] = {"ratio": round(p_here / p_real, 2), "p50_ms": round(p_here, 4), "real_p50_ms": round(p_real, 4),
                                "queries": len(same)}
    return results, growth


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    now = datetime.datetime.now().astimezone()
    command = "python -m benchmarks.run" + ("" if argv is None and len(sys.argv) <= 1 else " " + " ".join(sys.argv[1:] if argv is None else argv))
    results: dict = {"meta": {"date": now.isoformat(timespec="seconds"), "command": command.strip(), **machine(), "quick": args.quick,
                              "sizes": args.sizes, "queries_file": str(args.queries)}}
    log("loading the real handbook")
    loaded = library.load(CONTENT)
    dev = dev_queries(args.queries)
    gen = generated_queries(loaded.handbook, per_entry=1 if args.quick else 4)
    results["meta"]["queries"] = {"dev_in_scope": sum(q.in_scope for q in dev), "dev_out_of_scope": sum(not q.in_scope for q in dev),
                                  "generated": len(gen)}
    handbooks = {size: synthetic_handbook(loaded.handbook, size) for size in args.sizes}

    if "search" in args.parts:
        results["search"], results["growth"] = run_search(args, loaded, handbooks, dev, gen)
    if "startup" in args.parts:
        from .startup_bench import run_startup

        log("start-up")
        results["startup"] = run_startup(CONTENT, handbooks, real_runs=1 if args.quick else 5, log=log)
    if "bot" in args.parts:
        from .bot_bench import Skip, run_bot

        log("bot end to end")
        pool = [q.text for q in (stratified(dev, gen, 30 if args.quick else 120))] + ["/help", "/menu"]
        try:
            results["bot"] = run_bot(pool, messages=args.messages, users=args.users, interval=args.interval,
                                     light_messages=50 if args.quick else 500, light_interval=1.0 if args.quick else 2.5, log=log,
                                     flood_messages=50 if args.quick else 200)
        except Skip as exc:
            results["bot"] = {"skipped": str(exc)}
            log(f"bot: skipped: {exc}")
    results["targets"] = report.targets(results)
    results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    log(f"figures written to {args.output}")
    return 0


def render(results: dict) -> str:
    meta = results["meta"]
    q = meta["queries"]
    out = [
        f"healthbot benchmarks, {meta['date']}; {meta['cpu']} x{meta['cpus']}, {meta['system']}, Python {meta['python']}",
        f"command: {meta['command']}   ({meta['seconds']} s)",
    ]
    if "search" in results:
        out += [
            "",
            f"SEARCH  dev queries: {q['dev_in_scope']} in scope (+{q['dev_out_of_scope']} out of scope, timed only); "
            f"generated: {q['generated']} (perturbed phrasings)",
            "top-1/top-3 on in-scope queries; latency per query, one thread, normalisation included",
            report.search_table(results["search"]),
            "",
            "OURS AGAINST THE BASELINES (same run, same queries; pts = percentage points of top-1, x = times)",
            report.ratio_table(results["search"]),
            "",
            "LATENCY GROWTH  p50 at N entries / p50 on the real handbook, on the same queries",
            report.growth_table(results["growth"]),
        ]
        ours = next((r for r in results["search"] if r["method"] == "ours" and r["size_label"] == "real"), None)
        if ours and ours.get("oos_none") is not None:
            out.append(f"(ours gives no direct answer to {report.pct(ours.get('oos_not_answered'))} of the out-of-scope dev queries "
                       f"({report.pct(ours['oos_none'])} get \"not found\", the rest small talk or did-you-mean choices); the baselines always answer)")
    if "startup" in results:
        st = results["startup"]
        out += ["", f"START-UP  library.load in a fresh process; bare interpreter peak RSS {st['baseline_rss_mb']} MB",
                report.startup_table(st)]
    if "bot" in results:
        bot = results["bot"]
        out += ["", "BOT END TO END  healthbot run against the loopback Bot API; time from update to reply"]
        if "skipped" in bot:
            out.append(f"skipped: {bot['skipped']}")
        else:
            out.append(report.bot_table(bot))
            out.append(f"(each user sends one message at a time and waits for the full reply; {bot['calibrated_texts']} distinct texts; "
                       f"main run: {bot['reply_messages']} reply messages expected, received {bot['received_minus_expected']:+d};\n"
                       f" API errors {bot['api_errors']}; bot ready in {bot['ready_s']} s; exit code after SIGTERM {bot['exit_code']}; "
                       "python-telegram-bot's rate limiter lets a bot send 30 messages a second)")
    out += ["", "TARGETS (speed and memory)", report.targets_table(results["targets"])]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
