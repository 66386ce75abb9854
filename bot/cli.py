"""The `healthbot` command line: chat, run, search, check, preview, eval, stats."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from handbook.content import library
from handbook.content.loader import load_content
from handbook.search.evaluate import evaluate, format_report, read_cases


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"--limit must be 1 or more, not {value}")
    return value


def _content_dir(arg: str | None = None) -> Path:
    return Path(arg or os.environ.get("HEALTHBOT_CONTENT") or library.DEFAULT_CONTENT)


def _load(arg: str | None = None) -> library.Loaded:
    try:
        return library.load(_content_dir(arg))
    except library.ContentError as exc:
        raise SystemExit(f"healthbot: {exc}\nRun 'healthbot check' for the full list.") from None


def cmd_check(args: argparse.Namespace) -> int:
    content = load_content(_content_dir(args.directory))
    for problem in content.problems:
        print(problem)
    errors, warnings = len(content.errors), len(content.problems) - len(content.errors)
    entries = len(content.handbook.entries) if content.handbook else 0
    print(f"{errors} error(s), {warnings} warning(s); {entries} entries", file=sys.stderr)
    return 1 if errors or not content.ok else 0


def _result_json(loaded: library.Loaded, result, limit: int) -> dict:
    entries = loaded.handbook.entries
    return {
        "query": result.query,
        "lang": result.lang,
        "country": result.country,
        "answered": result.answered,
        "outcome": result.outcome,
        "urgent": result.urgent,
        "results": [
            {"id": h.id, "score": h.score, "title": entries[h.id].title.get(result.lang)} for h in result.hits[:limit]
        ],
    }


def cmd_search(args: argparse.Namespace) -> int:
    loaded = _load()
    queries = [args.query] if args.query is not None else (line.rstrip("\r\n") for line in sys.stdin)
    out = sys.stdout
    for query in queries:
        result = loaded.index.search(query, limit=args.limit)
        data = _result_json(loaded, result, args.limit)  # "country": the one named in the query, by contract
        if args.jsonl:
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
            out.flush()
            continue
        flags = f"lang={result.lang} country={result.country or args.country or '-'} outcome={result.outcome}"
        flags += " URGENT" if result.urgent else ""
        out.write(f"{query}\n  {flags}\n")
        for r in data["results"]:
            out.write(f"  {r['score']:.3f}  {r['id']:28} {r['title']}\n")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    loaded = _load()
    try:
        cases = read_cases(args.file)
    except (OSError, ValueError) as exc:
        print(f"healthbot eval: {exc}", file=sys.stderr)
        return 2
    report = evaluate(loaded.index, cases)
    if args.json:
        print(json.dumps({**report.figures(), "misses": report.misses}, ensure_ascii=False, indent=2))
    else:
        print(format_report(report, show_misses=not args.quiet))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from bot.preview import close_matches, render_preview

    loaded = _load()
    if args.entry_id not in loaded.handbook.entries:
        near = close_matches(loaded, args.entry_id)
        hint = f" Did you mean: {', '.join(near)}?" if near else " 'healthbot search WORDS' finds entries by their words."
        print(f"healthbot preview: no entry {args.entry_id!r}.{hint}", file=sys.stderr)
        return 1
    sys.stdout.write(render_preview(loaded, args.entry_id, lang=args.lang, country=args.country, urgent=args.urgent))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from handbook.search.calibrate import calibrate, regression_cases, to_yaml

    directory = _content_dir(args.content)
    loaded = _load(args.content)
    cases = regression_cases(directory)
    if not cases:
        print(f"healthbot calibrate: no queries in {directory / 'regression'}", file=sys.stderr)
        return 2
    decision, data = calibrate(loaded.index, cases)
    text = to_yaml(decision, len(data))
    if args.write:
        (directory / "decision.yaml").write_text(text, encoding="utf-8")
        print(f"wrote {directory / 'decision.yaml'} from {len(data)} regression queries", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.terminal import run_chat

    return run_chat(country=args.country, lang=args.lang)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.telegram_app import run_bot

    return run_bot(webhook_url=args.webhook_url, listen=args.listen, port=args.port)


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.stats_cli import run_stats

    entry_ids = []
    try:
        entry_ids = list(library.load(_content_dir()).handbook.entries)
    except library.ContentError:
        pass
    return run_stats(args, entry_ids=entry_ids)


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when a running bot touched its heartbeat file recently (for Docker's HEALTHCHECK)."""
    import time

    from bot.config import Config
    from bot.wiring import heartbeat_path

    path = heartbeat_path(Config.from_env())
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        print(f"healthbot health: no heartbeat at {path}: is 'healthbot run' running with this HEALTHBOT_DB?", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"healthbot health: last heartbeat {age:.0f} s ago (over {args.max_age} s)", file=sys.stderr)
        return 1
    print(f"ok: heartbeat {age:.0f} s ago")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthbot", description="Health Handbook for Vietnamese Overseas Workers: the bot and its tools.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("chat", help="the conversation in the terminal (no token needed)")
    p.add_argument("--country", choices=["jp", "kr"], help="start with this country chosen")
    p.add_argument("--lang", choices=["vi", "en"], help="always answer in this language")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("run", help="the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    p.add_argument("--webhook-url", help="use a webhook at this public URL instead of long polling")
    p.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=8443, help="webhook: port to listen on (default 8443)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("search", help="rank handbook entries for a query (or one query per line of stdin)")
    p.add_argument("query", nargs="?")
    p.add_argument("--country", choices=["jp", "kr"], help="the user's country (a country named in the query wins)")
    p.add_argument("--limit", type=_positive, default=5)
    p.add_argument("--jsonl", action="store_true", help="one JSON object per query line")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("check", help="validate the content; path:line: message per problem")
    p.add_argument("directory", nargs="?")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("preview", help="an entry as a worker receives it (plain text, with its buttons)")
    p.add_argument("entry_id")
    p.add_argument("--country", choices=["jp", "kr"], help="the reader's country (default: none chosen, every country part shown)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="the answer language (default vi)")
    p.add_argument("--urgent", action="store_true", help="as after a question with danger signs: the emergency block first")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("eval", help="top-1/top-3/out-of-scope/safety figures for a query file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="figures only, without the list of misses")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="fit when to answer (content/decision.yaml) on content/regression/*.yaml")
    p.add_argument("--content", help="the content directory (default: HEALTHBOT_CONTENT or the bundled one)")
    p.add_argument("--write", action="store_true", help="write content/decision.yaml instead of printing it")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("health", help="exit 0 when the running bot is alive (Docker HEALTHCHECK)")
    p.add_argument("--max-age", type=int, default=120, help="seconds since the last heartbeat (default 120)")
    p.set_defaults(func=cmd_health)

    try:
        from bot.stats_cli import add_stats_parser
    except ImportError:
        add_stats_parser = None
    if add_stats_parser:
        p = add_stats_parser(sub)
        p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.config import ConfigError

    args = build_parser().parse_args(argv)
    if args.command is None:  # the main job: the Telegram bot with a token, else the terminal chat
        command = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") else "chat"
        args = build_parser().parse_args([command])
    try:
        return args.func(args)
    except (ConfigError, library.ContentError) as exc:
        print(f"healthbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
