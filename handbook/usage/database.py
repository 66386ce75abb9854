"""The SQLite file layer shared by the usage log and the settings store: opening (WAL, deleted data
overwritten), schema upgrades by component, one writer's connection that survives a deleted or
replaced file, one warning per outage with how to fix it, and truncating the write-ahead log."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]  # step i brings a schema to version i + 1


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


def checkpoint(db: sqlite_utils.Database) -> None:
    """Copy the write-ahead log into the file and empty it: deleted rows leave no copy behind."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
