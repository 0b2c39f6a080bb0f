"""LangGraph's checkpointer: every turn's graph state, one thread per turn, so a turn can be
inspected (and later replayed) on its own. SQLite's beside the store by default; PostgreSQL's
(langgraph-checkpoint-postgres, on a pool of connections) when the store is there too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from memory.erasure import erase_deleted

_POSTGRES_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


def open_checkpointer(location: Path | str, state_types: Iterable[type] = ()) -> Any:
    """`location`: a SQLite file, or a postgresql:// URL. `state_types`: the classes the state holds
    besides plain data; a checkpoint is loaded into these and no others (anything else in it is
    refused, not imported)."""
    serde = JsonPlusSerializer(allowed_msgpack_modules=[(t.__module__, t.__qualname__) for t in state_types])
    if isinstance(location, str) and location.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver

        from memory.postgres import MIGRATION_LOCK, PostgresDatabase
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        pool = ConnectionPool(
            location, min_size=1, max_size=8, open=True,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )  # fmt: skip
        saver = PostgresSaver(pool, serde=serde)
        with PostgresDatabase.advisory(location, MIGRATION_LOCK):  # replicas that start together take turns
            saver.setup()  # its own versioned migrations
        return saver
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA secure_delete=ON")  # deleted conversations leave no readable pages
    saver = SqliteSaver(connection, serde=serde)
    saver.setup()
    return saver


def close_checkpointer(saver: Any) -> None:
    """Its connection, or its pool of them."""
    saver.conn.close()


def checkpoints_location(settings: Any) -> Path | str:
    return settings.database_url or settings.checkpoints


def delete_turn_checkpoints(saver: Any, turn_ids: list[str]) -> None:
    for turn_id in turn_ids:
        saver.delete_thread(turn_id)
    if hasattr(saver, "conn") and isinstance(saver.conn, sqlite3.Connection):
        with saver.lock:
            erase_deleted(saver.conn)
        return
    with saver.conn.connection() as conn:  # PostgreSQL: the dead tuples go now (see memory.postgres)
        for table in _POSTGRES_TABLES:
            conn.execute(f"VACUUM {table}")
