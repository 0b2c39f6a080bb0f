"""LangGraph's SQLite checkpointer: every turn's graph state, one thread per turn, so a turn can
be inspected (and later replayed) on its own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from memory.erasure import erase_deleted


def open_checkpointer(path: Path, state_types: Iterable[type] = ()) -> SqliteSaver:
    """`state_types`: the classes the state holds besides plain data; a checkpoint is loaded into
    these and no others (anything else in it is refused, not imported)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA secure_delete=ON")  # deleted conversations leave no readable pages
    allowed = [(t.__module__, t.__qualname__) for t in state_types]
    saver = SqliteSaver(connection, serde=JsonPlusSerializer(allowed_msgpack_modules=allowed))
    saver.setup()
    return saver


def delete_turn_checkpoints(saver: SqliteSaver, turn_ids: list[str]) -> None:
    for turn_id in turn_ids:
        saver.delete_thread(turn_id)
    with saver.lock:
        erase_deleted(saver.conn)
