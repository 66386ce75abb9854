"""Figures for staff, read from the usage tables for a range of days.

The file is opened read-only (`mode=ro`); with WAL the bot can go on writing meanwhile. The result is
a plain dict (the JSON form of `healthbot stats`, documented in the README):

    period        {since, until}: the days covered ("YYYY-MM-DD"): the days asked for, an end not asked
                  for being the first (last) day with data; null only when no day has data
    totals        messages, starts, questions, answered, choices, no_answer, urgent, emergency,
                  smalltalk (small-talk replies, not counted as questions), alternatives_chosen (a
                  "not what you meant?" entry pressed beside an answer: the ranking missed),
                  helpful, not_helpful, menu_opens, users (the sum of daily distinct users, so a
                  person who came on 3 days counts 3 times), share_answered (answered / questions)
    entries       [{id, shown, helpful, not_helpful, via: {search, menu, ...}}], most shown first
    never_reached entry ids (of those given) not shown in the period, in the order given
    days          [{day, messages, questions, answered, choices, no_answer, urgent, users}],
                  every day from the first to the last day with data, gaps filled with zeros
    languages     {code: questions}, countries {code: questions} ("unknown" when not known)
    deep_links    {payload: starts}, chapters {chapter id: menu opens}
    misses        [{text, count, first_day, last_day}], only when asked for
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from handbook.usage.events import VIAS
from handbook.usage.log import MIGRATIONS, TOTAL_COLUMNS, schema_version

DAY_COLUMNS = ("messages", "questions", "answered", "choices", "no_answer", "urgent", "users")


class StatsError(Exception):
    """A problem the staff can fix; the message says how."""


def open_read_only(path: str | Path) -> sqlite_utils.Database:
    path = Path(path)
    if not path.is_file():
        raise StatsError(f"no database at {path.resolve()}: set HEALTHBOT_DB to the bot's database "
                         "file (the bot makes it when it first runs)")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    return sqlite_utils.Database(conn, execute_plugins=False)


def _split(db: sqlite_utils.Database, table: str, key: str, value: str, where: str,
           params: list[str]) -> dict[str, int]:
    sql = (f"SELECT {key} AS k, sum({value}) AS n FROM {table} WHERE {where} "
           f"GROUP BY {key} ORDER BY n DESC, {key}")
    return {row["k"]: row["n"] for row in db.query(sql, params) if row["n"]}


def read_stats(path: str | Path, *, since: date | None = None, until: date | None = None,
               entry_ids: Iterable[str] = (), misses: bool = False) -> dict[str, Any]:
    """The figures for the days `since`..`until` (both included; None: no limit)."""
    if since and until and since > until:
        raise StatsError(f"--since {since} is after --until {until}: swap them")
    db = open_read_only(path)
    try:
        return _read(db, since, until, list(entry_ids), misses)
    except sqlite3.DatabaseError as exc:
        raise StatsError(f"cannot read {Path(path).resolve()} ({exc}): check that HEALTHBOT_DB "
                         "names the bot's database and that the file is not damaged") from exc
    finally:
        db.close()


def _read(db: sqlite_utils.Database, since: date | None, until: date | None,
          entry_ids: list[str], want_misses: bool) -> dict[str, Any]:
    version = schema_version(db, "usage")
    if version > len(MIGRATIONS):
        raise StatsError(f"the database was written by a newer healthbot (usage schema {version}, "
                         f"this one reads up to {len(MIGRATIONS)}): upgrade healthbot")
    first = since.isoformat() if since else "0000-01-01"
    last = until.isoformat() if until else "9999-12-31"
    result: dict[str, Any] = {
        "period": {"since": since and since.isoformat(), "until": until and until.isoformat()},
        "totals": dict.fromkeys((*TOTAL_COLUMNS, "helpful", "not_helpful", "menu_opens", "users"),
                                0) | {"share_answered": None},
        "entries": [], "never_reached": list(entry_ids), "days": [], "languages": {},
        "countries": {}, "deep_links": {}, "chapters": {},
    }
    if want_misses:
        result["misses"] = []
    if version == 0:  # the bot has not written any counts yet
        return result
    where, params = "day BETWEEN ? AND ?", [first, last]
    totals = result["totals"]
    row = next(db.query(f"SELECT {', '.join(f'sum({c}) AS {c}' for c in (*TOTAL_COLUMNS, 'users'))}"
                        f" FROM daily_totals WHERE {where}", params))
    totals.update({k: v or 0 for k, v in row.items()})
    if totals["questions"]:
        totals["share_answered"] = round(totals["answered"] / totals["questions"], 3)

    vias = ", ".join(f"sum(via_{v}) AS via_{v}" for v in VIAS)
    entries = []
    for row in db.query(f"SELECT entry, sum(shown) AS shown, sum(helpful) AS helpful, "
                        f"sum(not_helpful) AS not_helpful, {vias} FROM daily_entries "
                        f"WHERE {where} GROUP BY entry ORDER BY shown DESC, entry", params):
        entries.append({"id": row["entry"], "shown": row["shown"], "helpful": row["helpful"],
                        "not_helpful": row["not_helpful"],
                        "via": {v: row[f"via_{v}"] for v in VIAS if row[f"via_{v}"]}})
        totals["helpful"] += row["helpful"]
        totals["not_helpful"] += row["not_helpful"]
    result["entries"] = entries
    shown = {e["id"] for e in entries if e["shown"]}
    result["never_reached"] = [i for i in entry_ids if i not in shown]

    by_day = {row["day"]: row for row in db.query(
        f"SELECT day, {', '.join(DAY_COLUMNS)} FROM daily_totals WHERE {where} ORDER BY day",
        params)}
    if by_day:
        day, end = date.fromisoformat(min(by_day)), date.fromisoformat(max(by_day))
        while day <= end:
            key = day.isoformat()
            result["days"].append(by_day.get(key) or {"day": key, **dict.fromkeys(DAY_COLUMNS, 0)})
            day += timedelta(days=1)
        period = result["period"]
        period["since"], period["until"] = period["since"] or min(by_day), period["until"] or max(by_day)

    result["languages"] = _split(db, "daily_languages", "language", "questions", where, params)
    result["countries"] = _split(db, "daily_countries", "country", "questions", where, params)
    result["deep_links"] = _split(db, "daily_deep_links", "payload", "starts", where, params)
    result["chapters"] = _split(db, "daily_chapters", "chapter", "menu_opens", where, params)
    totals["menu_opens"] = sum(result["chapters"].values())
    if want_misses:
        result["misses"] = list(db.query(
            "SELECT text, sum(count) AS count, min(day) AS first_day, max(day) AS last_day FROM misses "
            "WHERE day >= ? AND day <= ? GROUP BY text ORDER BY count DESC, text", [first, last]))
    return result
