"""The store's SQLite database: one file under EMPATHYEAR_HOME, one connection shared by the
process's threads. The default: nothing to install or run."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from memory.erasure import erase_deleted


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
        self._sessions: dict[str, list] = {}  # session -> [its lock, turns holding or waiting on it]

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
        """The migrations' statements create only what is missing; one process opens a store's file."""
        yield

    @contextmanager
    def session_turn(self, session_id: str) -> Iterator[None]:
        """One turn of a session at a time. A SQLite file serves one process (the app's store), so a
        lock of this store will do; several replicas need PostgreSQL's."""
        with self._lock:
            entry = self._sessions.setdefault(session_id, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if not entry[1]:  # nobody holds or waits on it: the table does not grow with sessions
                    del self._sessions[session_id]

    def close(self) -> None:
        self._db.close()


class _Cursor:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def execute(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.execute(sql, args).fetchall()]
