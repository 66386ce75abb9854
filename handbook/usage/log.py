"""Anonymous usage counts, per day, in one SQLite file (the file layer is in database.py).

`UsageLog.record()` only adds to counters in memory: fast, never raises. `flush()` writes them in
one transaction (the bot calls it every `flush_interval` s, 2 s by default, and `close()` on
shutdown: an abrupt kill loses at most the last 2 s of counts). A locked, read-only, missing or
corrupt file gives ONE warning; the counts wait in memory for the next flush.

Distinct users: an id waits in memory until the next flush, then becomes an HMAC under the key of
that day, derived from the bot's secret and the date (`keys.py`): never stored, so the file alone
cannot test a guessed id, and a restart within the day does not count people twice. When the day
is over its hashes are reduced to `daily_totals.users` and deleted, and the write-ahead log is
truncated so that no copy of them stays in the `-wal` file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sqlite3
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from handbook.usage.database import (  # noqa: F401 - the file layer, also used by the settings and stats
    DatabaseFile,
    Migration,
    SchemaError,
    checkpoint,
    open_database,
    schema_version,
    upgrade_schema,
)
from handbook.usage.events import VIAS, Event
from handbook.usage.keys import Keys, KeySource
from handbook.usage.misses import keep_nothing

log = logging.getLogger("healthbot.usage")

MISSES_KEEP_DAYS = 90
_TOTAL_OF_EVENT = {"message": "messages", "start": "starts", "question": "questions",
                   "answered": "answered", "choices": "choices", "no_answer": "no_answer",
                   "urgent": "urgent", "emergency": "emergency", "smalltalk": "smalltalk",
                   "alternative_chosen": "alternatives_chosen"}
TOTAL_COLUMNS = tuple(_TOTAL_OF_EVENT.values())
# table -> (key column besides `day`, counter columns)
TABLES = {
    "daily_totals": (None, (*TOTAL_COLUMNS, "users")),
    "daily_entries": ("entry", ("shown", *(f"via_{v}" for v in VIAS), "helpful", "not_helpful")),
    "daily_chapters": ("chapter", ("menu_opens",)),
    "daily_deep_links": ("payload", ("starts",)),
    "daily_languages": ("language", ("questions",)),
    "daily_countries": ("country", ("questions",)),
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_CODE = re.compile(r"[a-z]{2,3}")
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram allows in a /start payload
_LONG_NUMBER = re.compile(r"\d{9,}")  # phone numbers and Telegram ids; dates (8 digits) stay
_MAX_PAYLOADS_PER_DAY = 200
_ENSURE_DAY = "INSERT INTO daily_totals (day) VALUES (?) ON CONFLICT(day) DO NOTHING"
_COUNT_USERS = ("UPDATE daily_totals SET users = (SELECT count(*) FROM daily_user_hashes "
                "WHERE day = ?) WHERE day = ?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\b(?:[\w-]+\.)+[a-z]{2,}\b(?:/\S*)?")
_HANDLE = re.compile(r"@\w+")


def _create_v1(db: sqlite_utils.Database) -> None:
    for table, (key, counters) in TABLES.items():
        columns = {"day": str} | ({key: str} if key else {}) | dict.fromkeys(counters, int)
        db[table].create(columns, pk=("day", key) if key else "day",
                         not_null=set(columns), defaults=dict.fromkeys(counters, 0))
    db["daily_user_keys"].create({"day": str, "secret": bytes}, pk="day", not_null={"secret"})
    db["daily_user_hashes"].create({"day": str, "hash": str}, pk=("day", "hash"))
    db["misses"].create({"text": str, "count": int, "first_day": str, "last_day": str}, pk="text",
                        not_null={"count", "first_day", "last_day"})
    db["misses"].create_index(["last_day"])


def _drop_stored_day_keys_v2(db: sqlite_utils.Database) -> None:
    """Day keys are derived from the bot's secret now. Hashes already made under a stored key stay
    countable (a user back the same day may be counted twice on the day of the upgrade)."""
    db["daily_user_keys"].drop()


def _misses_per_day_v3(db: sqlite_utils.Database) -> None:
    """Misses as counts per day and masked text, in text order (no row ids keeping the order in
    which they were asked). Misses kept by earlier versions are deleted: they were only cleaned of
    digits and links, and could hold names and addresses."""
    db["misses"].drop()
    db.execute("CREATE TABLE misses (day TEXT NOT NULL, text TEXT NOT NULL, count INTEGER NOT NULL, "
               "PRIMARY KEY (day, text)) WITHOUT ROWID")


MISSES_PER_DAY = 5_000  # different texts kept per day; later ones are counted under MISSES_OVER
MISSES_OVER = "(more)"


def _add_counters_v4(db: sqlite_utils.Database) -> None:
    """Small talk, alternatives chosen beside an answer, and entries reached that way: new counters."""
    for table, (_key, counters) in TABLES.items():
        have = set(db[table].columns_dict)
        for column in counters:
            if column not in have:
                db[table].add_column(column, int, not_null_default=0)


MIGRATIONS: list[Migration] = [_create_v1, _drop_stored_day_keys_v2, _misses_per_day_v3, _add_counters_v4]


def normalise_miss(text: str) -> str:
    """The form in which an unanswered question may be kept: lower case, letters only.

    E-mail addresses, links, @handles, digits, punctuation and emoji are removed.
    """
    text = unicodedata.normalize("NFC", text).casefold()
    for pattern in (_EMAIL, _LINK, _HANDLE):
        text = pattern.sub(" ", text)
    kept = (ch if unicodedata.category(ch)[0] in "LM" else " " for ch in text)
    return " ".join("".join(kept).split())[:200].strip()


def clean_payload(value: str) -> str:
    """A deep-link payload as it may be counted: Telegram's alphabet, long numbers withheld."""
    if not _PAYLOAD.fullmatch(value):
        return "(invalid)"
    return _LONG_NUMBER.sub("#", value)


def _code(value: str | None) -> str:
    value = (value or "unknown").lower()
    return value if value == "unknown" or _CODE.fullmatch(value) else "other"


class UsageLog:
    """Counts what the bot does, per day, without keeping who did it."""

    def __init__(self, path: str | Path, *, keys: Keys | KeySource | None = None, record_misses: bool = False,
                 miss_filter: Callable[[str], str] = keep_nothing,
                 clock: Callable[[], datetime | date] | None = None, flush_interval: float = 2.0,
                 busy_timeout: float = 5.0) -> None:
        self.path, self.record_misses = Path(path), record_misses
        self.miss_filter = miss_filter  # the text of a miss -> what may be kept of it ("": nothing)
        self._keys = KeySource.of(keys, self.path)
        self.flush_interval = flush_interval  # seconds between the bot's calls to flush()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._file = DatabaseFile(self.path, component="usage", migrations=MIGRATIONS,
                                  logger=log, busy_timeout=busy_timeout, what="usage counts")
        self._lock = threading.Lock()  # guards the pending counts
        self._flush_lock = threading.Lock()  # one flush at a time
        self._rows: defaultdict[tuple[str, str, str | None], Counter[str]] = defaultdict(Counter)
        self._users: defaultdict[str, set[str]] = defaultdict(set)
        self._misses: Counter[tuple[str, str]] = Counter()
        self._payloads: defaultdict[str, set[str]] = defaultdict(set)
        self._maintained: str | None = None
        self._closed = False
        self._record_failed = False
        self.flush()  # opens the file: an early warning if it is unusable; never raises

    def record(self, events: Iterable[Event], *, user: int | str | None) -> None:
        """Count the events of one handled update. Fast, in memory, never raises."""
        try:
            day = self.today()
            with self._lock:
                if self._closed:
                    return
                if user is not None:
                    self._users[day].add(str(user))
                for event in events:
                    self._count(day, event)
        except Exception:  # counting must never break a reply
            if not self._record_failed:
                self._record_failed = True
                log.warning("could not count an update (a bug; replies go on)", exc_info=True)

    def today(self) -> str:
        now = self._clock()
        if isinstance(now, datetime):
            now = (now.astimezone(UTC) if now.tzinfo else now).date()
        return now.isoformat()

    def _add(self, table: str, day: str, key: str | None, column: str) -> None:
        self._rows[(table, day, key)][column] += 1

    def _count(self, day: str, event: Event) -> None:
        name = event.name
        if name in _TOTAL_OF_EVENT:
            self._add("daily_totals", day, None, _TOTAL_OF_EVENT[name])
        if name == "start" and event.value:
            payload = clean_payload(event.value)
            seen = self._payloads[day]
            if payload not in seen and len(seen) >= _MAX_PAYLOADS_PER_DAY:
                payload = "(other)"
            seen.add(payload)
            self._add("daily_deep_links", day, payload, "starts")
        elif name == "question":
            self._add("daily_languages", day, _code(event.lang), "questions")
            self._add("daily_countries", day, _code(event.country), "questions")
        elif name in ("entry_shown", "helpful", "not_helpful") and _ID.fullmatch(event.entry or ""):
            self._add("daily_entries", day, event.entry, "shown" if name == "entry_shown" else name)
            if name == "entry_shown" and event.via:
                self._add("daily_entries", day, event.entry, f"via_{event.via}")
        elif name == "menu_open" and _ID.fullmatch(event.chapter or ""):
            self._add("daily_chapters", day, event.chapter, "menu_opens")
        elif name == "no_answer" and self.record_misses and event.text:
            text = self.miss_filter(event.text)
            if text:
                self._misses[(day, text)] += 1

    @property
    def pending(self) -> int:
        """How many counts wait in memory for the next flush."""
        with self._lock:
            return (sum(sum(c.values()) for c in self._rows.values())
                    + sum(map(len, self._users.values())) + sum(self._misses.values()))

    def flush(self) -> bool:
        """Write the pending counts in one transaction. True when nothing is left pending.

        Never raises: on failure the counts go back to memory for the next call.
        """
        with self._flush_lock:
            today = self.today()
            with self._lock:
                rows, users, misses = self._rows, self._users, self._misses
                self._rows, self._users = defaultdict(Counter), defaultdict(set)
                self._misses = Counter()
                for day in [d for d in self._payloads if d < today]:
                    del self._payloads[day]
            if not (rows or users or misses) and self._maintained == today:
                return True
            try:
                with self._file.transaction() as db:
                    self._write(db, rows, users, misses, today, self._keys.get() if users else None)
                    closed = self._maintain(db, today)
                if closed:
                    with suppress(sqlite3.Error):  # another reader may hold it: next day then
                        checkpoint(db)
            except Exception as exc:  # noqa: BLE001 - sqlite3, OS, schema errors: keep the counts
                with self._lock:
                    for key, counter in rows.items():
                        self._rows[key].update(counter)
                    for day, ids in users.items():
                        self._users[day] |= ids
                    self._misses.update(misses)
                self._file.failed(exc)
                return False
            self._maintained = today
            return True

    def close(self) -> None:
        """Flush and close. Safe to call more than once; later records are ignored."""
        if self._closed:
            return
        written = self.flush()
        with self._lock:
            self._closed = True
        if not written:
            log.error("%d usage counts could not be written to %s and are lost (see the warning "
                      "above for the cause)", self.pending, self.path)
        self._file.close()

    @staticmethod
    def _write(db: sqlite_utils.Database, rows: dict, users: dict, misses: Counter,
               today: str, keys: Keys | None) -> None:
        conn = db.conn
        for (table, day, key), counter in rows.items():
            key_column = TABLES[table][0]
            columns = ["day", *([key_column] if key_column else []), *counter]
            values = [day, *([key] if key_column else []), *counter.values()]
            conflict = "day" + (f", {key_column}" if key_column else "")
            updates = ", ".join(f"{c} = {c} + excluded.{c}" for c in counter)
            conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) "
                         f"VALUES ({', '.join('?' * len(values))}) "
                         f"ON CONFLICT({conflict}) DO UPDATE SET {updates}", values)
        for day, ids in users.items():
            conn.execute(_ENSURE_DAY, [day])
            open_day = conn.execute("SELECT 1 FROM daily_user_hashes WHERE day = ? LIMIT 1",
                                    [day]).fetchone()
            if open_day is None and day < today:
                # The day is already closed (its hashes are gone): add the late arrivals as they are.
                conn.execute("UPDATE daily_totals SET users = users + ? WHERE day = ?",
                             [len(ids), day])
                continue
            key = keys.day_key(day)
            conn.executemany(
                "INSERT OR IGNORE INTO daily_user_hashes (day, hash) VALUES (?, ?)",
                [(day, hmac.new(key, uid.encode(), hashlib.sha256).hexdigest()[:32])
                 for uid in ids])
            conn.execute(_COUNT_USERS, [day, day])
        for (day, text), n in sorted(misses.items()):
            known = conn.execute("SELECT 1 FROM misses WHERE day = ? AND text = ?", [day, text]).fetchone()
            if known is None:
                (stored,) = conn.execute("SELECT count(*) FROM misses WHERE day = ?", [day]).fetchone()
                if stored >= MISSES_PER_DAY:
                    text = MISSES_OVER
            conn.execute("INSERT INTO misses (day, text, count) VALUES (?, ?, ?) "
                         "ON CONFLICT(day, text) DO UPDATE SET count = count + excluded.count",
                         [day, text, n])

    @staticmethod
    def _maintain(db: sqlite_utils.Database, today: str) -> bool:
        """Close past days (reduce their hashes to a count); expire old misses. True when a day
        was closed (the caller then truncates the write-ahead log)."""
        conn = db.conn
        closing = conn.execute("SELECT DISTINCT day FROM daily_user_hashes WHERE day < ?",
                               [today]).fetchall()
        for (day,) in closing:
            conn.execute(_ENSURE_DAY, [day])
            conn.execute(_COUNT_USERS, [day, day])
        conn.execute("DELETE FROM daily_user_hashes WHERE day < ?", [today])
        oldest = (date.fromisoformat(today) - timedelta(days=MISSES_KEEP_DAYS)).isoformat()
        conn.execute("DELETE FROM misses WHERE day < ?", [oldest])
        return bool(closing)
