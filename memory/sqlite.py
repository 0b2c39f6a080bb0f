"""The store's SQLite database: one file under EMPATHYEAR_HOME, one connection shared by the
process's threads. The default: nothing to install or run."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from memory.erasure import erase_deleted


class _SessionLock:
    __slots__ = ("lock", "__weakref__")

    def __init__(self) -> None:
        self.lock = threading.Lock()


# One lock per session of a file, whichever of the process's stores opened it; a lock no turn holds
# or waits on is dropped.
_SESSIONS: weakref.WeakValueDictionary[tuple[str, str], _SessionLock] = weakref.WeakValueDictionary()
_SESSIONS_LOCK = threading.Lock()


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA secure_delete=ON")  # deleted conversations leave no readable pages
        self._lock = threading.Lock()  # one connection serves every thread, reads included

    def read(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(row) for row in self._db.execute(sql, args).fetchall()]

    def write(self, sql: str, args: tuple = ()) -> None:
        with self._lock:
            self._db.execute(sql, args)

    @contextmanager
    def transaction(self) -> Iterator[_Cursor]:
        """Statements that commit together; the write lock is taken first, so what they read (the
        next turn number) cannot change before they write."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            yield _Cursor(self._db)

    def script(self, sql: str) -> None:
        with self._lock:
            self._db.executescript(sql)

    def columns(self, table: str) -> set[str]:
        return {row["name"] for row in self.read(f"PRAGMA table_info({table})")}

    def erase_deleted(self) -> None:
        with self._lock:
            erase_deleted(self._db)

    @contextmanager
    def migrating(self) -> Iterator[None]:
        """Migrations are idempotent statements on one file; nothing more to hold."""
        yield

    @contextmanager
    def session_turn(self, session_id: str) -> Iterator[None]:
        """One turn of a session at a time. A SQLite file serves one process, so a lock in it will do."""
        key = (str(self.path.resolve()), session_id)
        with _SESSIONS_LOCK:
            held = _SESSIONS.get(key)
            if held is None:
                held = _SESSIONS[key] = _SessionLock()
        with held.lock:
            yield

    def close(self) -> None:
        self._db.close()


class _Cursor:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def execute(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.execute(sql, args).fetchall()]
