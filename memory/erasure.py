"""Erasing a conversation from SQLite for good. `secure_delete` zeroes the rows a DELETE removes,
but not everything: when a page splits or merges, SQLite moves its cells and leaves the old bytes
in the gaps of the rebuilt page, and in WAL mode the earlier versions of every page stay in the
`-wal` file until it is checkpointed. So every delete ends by rebuilding the database (VACUUM writes
only live rows into fresh pages) and emptying the WAL."""

from __future__ import annotations

import sqlite3
import time

_ATTEMPTS = 50  # a reader in another process may hold the WAL for a moment


class ErasureIncomplete(RuntimeError):
    """The WAL still holds frames after every attempt: deleted words may be readable in it."""


def erase_deleted(connection: sqlite3.Connection) -> None:
    """After a DELETE has committed on `connection`: leave no byte of the deleted rows in the file."""
    connection.execute("VACUUM")
    for _ in range(_ATTEMPTS):
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.02)
    raise ErasureIncomplete("the database's write-ahead log could not be emptied: another reader holds it")
