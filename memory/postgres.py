"""The store's PostgreSQL database (EMPATHYEAR_DATABASE_URL=postgresql://...): shared by every
replica, through a pool of connections. The SQL is the store's own, written once with `?` marks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

POOL_SIZE = 8
MIGRATION_LOCK = 0x454D5041  # the advisory lock key replicas take while they upgrade the schema
_MARK = re.compile(r"\?")


def _sql(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (no statement of the store has a literal `?` or `%`)."""
    return _MARK.sub("%s", sql)


class PostgresDatabase:
    dialect = "postgres"

    def __init__(self, url: str, pool_size: int = POOL_SIZE):
        try:
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - install hint
            raise RuntimeError("PostgreSQL needs psycopg and psycopg-pool: run `make setup`") from exc
        self.url = url
        self.pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=True, kwargs={"autocommit": True, "row_factory": dict_row}
        )

    def read(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return conn.execute(_sql(sql), args).fetchall()

    def write(self, sql: str, args: tuple = ()) -> None:
        with self.pool.connection() as conn:
            conn.execute(_sql(sql), args)

    @contextmanager
    def transaction(self) -> Iterator[_Cursor]:
        """Statements that commit together. What must not change between a read and a write is
        locked by the statements themselves (`FOR UPDATE`)."""
        with self.pool.connection() as conn, conn.transaction():
            yield _Cursor(conn)

    def script(self, sql: str) -> None:
        with self.pool.connection() as conn, conn.transaction():
            for statement in (s.strip() for s in sql.split(";")):
                if statement and not all(line.strip().startswith("--") for line in statement.splitlines()):
                    conn.execute(statement)

    def columns(self, table: str) -> set[str]:
        rows = self.read(
            "SELECT column_name FROM information_schema.columns WHERE table_schema=current_schema() AND table_name=?",
            (table,),
        )
        return {r["column_name"] for r in rows}

    def erase_deleted(self) -> None:
        """Deleted rows stay in their pages as dead tuples until VACUUM removes them; this runs it at
        once on the store's tables. The WAL and any backups keep the rows until they are recycled
        (see docs/deployment.md)."""
        with self.pool.connection() as conn:
            for table in ("trace_events", "session_assets", "session_tokens", "turns", "sessions"):
                conn.execute(f"VACUUM {table}")

    @staticmethod
    @contextmanager
    def advisory(url: str, key: int | str) -> Iterator[None]:
        """A session-level advisory lock held while the block runs, on a connection of its own (not
        the pool's: turns waiting on their sessions must never starve the store of connections).
        Closing the connection releases it, as does PostgreSQL when the process dies."""
        import psycopg

        # Keepalives find a vanished host (power, network) in about 30 s, and PostgreSQL then frees
        # its lock; without them the session would wait on the operating system's two hours.
        with psycopg.connect(url, autocommit=True, keepalives=1, keepalives_idle=15, keepalives_interval=5,
                             keepalives_count=3) as conn:  # fmt: skip
            if isinstance(key, int):
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            else:
                conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
            yield

    def migrating(self):
        """Replicas that start together upgrade the schema one at a time."""
        return self.advisory(self.url, MIGRATION_LOCK)

    def session_turn(self, session_id: str):
        """One turn of a session at a time across every replica."""
        return self.advisory(self.url, f"session:{session_id}")

    def close(self) -> None:
        self.pool.close()


class _Cursor:
    def __init__(self, conn: Any):
        self._conn = conn

    def execute(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(_sql(sql), args)
        return cursor.fetchall() if cursor.description else []
