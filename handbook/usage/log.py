"""Anonymous usage counts, per day, in one SQLite file (issue 5); and the file layer it shares.

`UsageLog.record()` only adds to counters in memory: fast, never raises. `flush()` writes them in
one transaction (the bot calls it every `flush_interval` s, and `close()` on shutdown). A locked,
read-only, missing or corrupt file gives ONE warning; the counts wait in memory for the next flush.

Distinct users: an id waits in memory until the next flush, then becomes an HMAC under a random
key of that day (in `daily_user_keys`, so a restart within the day does not count people twice).
When the day is over its hashes are reduced to `daily_totals.users`; the key and hashes are deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from handbook.usage.events import VIAS, Event

log = logging.getLogger("healthbot.usage")
Migration = Callable[[sqlite_utils.Database], None]  # step i brings a schema to version i + 1

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


class SchemaError(Exception):
    """The file was written by a newer healthbot."""


def open_database(path: Path, *, busy_timeout: float, component: str,
                  migrations: list[Migration]) -> sqlite_utils.Database:
    """Open (or create) the file for writing: WAL, deleted data overwritten, schema upgraded."""
    conn = sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False)
    try:
        db = sqlite_utils.Database(conn, execute_plugins=False)
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        db.enable_wal()
        upgrade_schema(db, component, migrations)
    except BaseException:
        conn.close()
        raise
    return db


def schema_version(db: sqlite_utils.Database, component: str) -> int:
    if "schema_version" not in db.table_names():
        return 0
    sql = "SELECT version FROM schema_version WHERE component = ?"
    row = db.execute(sql, [component]).fetchone()
    return row[0] if row else 0


def upgrade_schema(db: sqlite_utils.Database, component: str, migrations: list[Migration]) -> None:
    """Bring `component`'s tables to the newest version, in place."""
    if schema_version(db, component) == len(migrations):
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        versions = db["schema_version"]
        versions.create({"component": str, "version": int}, pk="component", if_not_exists=True)
        current = schema_version(db, component)
        if current > len(migrations):
            raise SchemaError(
                f"{component} schema version {current} was written by a newer healthbot (this one "
                f"knows {len(migrations)}): upgrade healthbot or set HEALTHBOT_DB to another file")
        for step in migrations[current:]:
            step(db)
        versions.upsert({"component": component, "version": len(migrations)}, pk="component")
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.rollback()
        raise


def _identity(path: Path) -> tuple[int, int] | None:
    with suppress(OSError):
        return (stat := os.stat(path)).st_dev, stat.st_ino
    return None


def _hint(path: Path, exc: BaseException) -> str:
    """How to fix the failure `exc`, for the warning."""
    hints = {
        ("locked", "busy"): "close the other program that holds it locked (a DB browser?)",
        ("readonly", "read-only", "permission"):
            f"let the bot's user write {path}, its -wal and -shm files and its folder (chown/chmod)",
        ("not a database", "malformed", "corrupt"):
            f"move the damaged file aside (mv {path} {path}.broken); a new one is made",
        ("unable to open",): f"check that the folder {path.parent} exists and is writable",
        ("disk is full", "no space"): f"free some space on the disk that holds {path.parent}"}
    text = str(exc).lower()
    return next((hint for needles, hint in hints.items() if any(n in text for n in needles)), "check the file and its folder")


class DatabaseFile:
    """One writer's connection to the SQLite file, reopened after a failure or a deleted file.

    A failure gives one warning per outage (the next ones go to debug); success after an outage
    is logged at info level.
    """

    def __init__(self, path: Path, *, component: str, migrations: list[Migration],
                 logger: logging.Logger, busy_timeout: float, what: str) -> None:
        self.path, self.component, self.migrations = path, component, migrations
        self.logger, self.busy_timeout, self.what = logger, busy_timeout, what
        self.failing = False
        self._db: sqlite_utils.Database | None = None
        self._identity: tuple[int, int] | None = None

    def connect(self) -> sqlite_utils.Database:
        if self._db is not None and _identity(self.path) != self._identity:
            self.close()
            self._warn(f"{self.path} was deleted or replaced while the bot was running; "
                       f"a new file is made for the {self.what}")
        if self._db is None:
            self._db = open_database(self.path, busy_timeout=self.busy_timeout,
                                     component=self.component, migrations=self.migrations)
            self._identity = _identity(self.path)
        return self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        db = self.connect()
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
        if self.failing:
            self.failing = False
            self.logger.info("%s are written to %s again", self.what, self.path)

    def failed(self, exc: BaseException) -> None:
        self.close()
        hint = "" if isinstance(exc, SchemaError) else f": {_hint(self.path, exc)}"
        self._warn(f"cannot write {self.what} to {self.path} ({exc}){hint}. The bot goes on; "
                   "they are kept in memory and written when the file is usable again")

    def _warn(self, message: str) -> None:
        if self.failing:
            self.logger.debug("%s", message)
        else:
            self.failing = True
            self.logger.warning("%s", message)

    def close(self) -> None:
        if self._db is not None:
            with suppress(sqlite3.Error):
                self._db.close()
            self._db = None


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


def _add_v2(db: sqlite_utils.Database) -> None:
    """Small talk, alternatives chosen beside an answer, and entries reached that way: new counters."""
    for table, (_key, counters) in TABLES.items():
        have = set(db[table].columns_dict)
        for column in counters:
            if column not in have:
                db[table].add_column(column, int, not_null_default=0)


MIGRATIONS: list[Migration] = [_create_v1, _add_v2]


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

    def __init__(self, path: str | Path, *, record_misses: bool = False,
                 clock: Callable[[], datetime | date] | None = None, flush_interval: float = 60.0,
                 busy_timeout: float = 5.0) -> None:
        self.path, self.record_misses = Path(path), record_misses
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
            text = normalise_miss(event.text)
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
                    self._write(db, rows, users, misses, today)
                    self._maintain(db, today)
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
               today: str) -> None:
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
            row = conn.execute("SELECT secret FROM daily_user_keys WHERE day = ?", [day]).fetchone()
            if row is None and day < today:
                # The day is already closed (its key is gone): add the late arrivals as they are.
                conn.execute("UPDATE daily_totals SET users = users + ? WHERE day = ?",
                             [len(ids), day])
                continue
            if row is None:
                row = (secrets.token_bytes(32),)
                conn.execute("INSERT INTO daily_user_keys VALUES (?, ?)", [day, row[0]])
            conn.executemany(
                "INSERT OR IGNORE INTO daily_user_hashes (day, hash) VALUES (?, ?)",
                [(day, hmac.new(row[0], uid.encode(), hashlib.sha256).hexdigest()[:32])
                 for uid in ids])
            conn.execute(_COUNT_USERS, [day, day])
        conn.executemany(
            "INSERT INTO misses (text, count, first_day, last_day) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(text) DO UPDATE SET count = count + excluded.count, "
            "first_day = min(first_day, excluded.first_day), "
            "last_day = max(last_day, excluded.last_day)",
            [(text, n, day, day) for (day, text), n in misses.items()])

    @staticmethod
    def _maintain(db: sqlite_utils.Database, today: str) -> None:
        """Close past days (reduce their hashes to a count, forget the key); expire old misses."""
        conn = db.conn
        for (day,) in conn.execute("SELECT DISTINCT day FROM daily_user_hashes WHERE day < ?",
                                   [today]).fetchall():
            conn.execute(_ENSURE_DAY, [day])
            conn.execute(_COUNT_USERS, [day, day])
        conn.execute("DELETE FROM daily_user_hashes WHERE day < ?", [today])
        conn.execute("DELETE FROM daily_user_keys WHERE day < ?", [today])
        oldest = (date.fromisoformat(today) - timedelta(days=MISSES_KEEP_DAYS)).isoformat()
        conn.execute("DELETE FROM misses WHERE last_day < ?", [oldest])
