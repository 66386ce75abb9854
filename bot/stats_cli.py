"""`healthbot stats`: usage figures for staff (the owner of bot/cli.py wires these in).

    parser = add_stats_parser(subparsers)
    ...
    return run_stats(args, entry_ids=[entry.id for entry in handbook.entries])

Reads `HEALTHBOT_DB` (default `healthbot.db`), or `--db FILE`. Exit 0 on success, 2 with one line on
standard error for a bad day, a missing or unreadable database or an output file that cannot be
written.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from handbook.usage.report import FORMATS, render
from handbook.usage.stats import StatsError, read_stats

DEFAULT_DB = "healthbot.db"
_DAYS_AGO = re.compile(r"(\d{1,4})d")


def add_stats_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "stats", help="usage figures for staff",
        description="Usage figures for staff: totals, share answered, distinct users per day, "
                    "top entries with 👍/👎, entries never reached, languages, countries, "
                    "deep-link sources. Reads HEALTHBOT_DB (default healthbot.db); safe to run "
                    "while the bot is running.")
    parser.add_argument("--since", metavar="DAY",
                        help="first day, YYYY-MM-DD, or Nd for the last N days (default: the first "
                             "day with data)")
    parser.add_argument("--until", metavar="DAY",
                        help="last day, YYYY-MM-DD (default: the last day with data)")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (default), csv, json or html (one self-contained file)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--misses", action="store_true",
                        help="also list the questions that got no answer (recorded only with "
                             "HEALTHBOT_RECORD_MISSES=1)")
    parser.add_argument("--db", metavar="FILE", help="the database (default: $HEALTHBOT_DB)")
    return parser


def parse_day(text: str, option: str, *, today: date | None = None) -> date:
    """A day from `YYYY-MM-DD`, `today` or `Nd` (N days back, counting today as one)."""
    today = today or datetime.now(UTC).date()
    text = text.strip()
    if text == "today":
        return today
    if match := _DAYS_AGO.fullmatch(text):
        return today - timedelta(days=max(int(match[1]), 1) - 1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a day: write it as YYYY-MM-DD (e.g. "
                         f"{today.isoformat()}) or as 30d for the last 30 days") from None


def run_stats(args: argparse.Namespace, *, entry_ids: Iterable[str] = (),
              today: date | None = None) -> int:
    try:
        since = parse_day(args.since, "--since", today=today) if args.since else None
        until = parse_day(args.until, "--until", today=today) if args.until else None
    except ValueError as exc:
        return _fail(str(exc))
    db = getattr(args, "db", None) or os.environ.get("HEALTHBOT_DB") or DEFAULT_DB
    try:
        stats = read_stats(db, since=since, until=until, entry_ids=entry_ids, misses=args.misses)
    except StatsError as exc:
        return _fail(str(exc))
    text = render(stats, args.format)
    if args.misses and not stats["misses"] and args.format == "table":
        text += ("  (no unanswered questions recorded: the bot records them only with "
                 "HEALTHBOT_RECORD_MISSES=1)\n")
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {args.output} ({exc.strerror}): choose another --output")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _fail(message: str) -> int:
    print(f"healthbot stats: {message}", file=sys.stderr)
    return 2
