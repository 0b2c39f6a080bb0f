"""The conversation store: sessions, turns with their meta-responses, and a trace per turn, in
one SQLite file. The user's words are written before anything else of the turn happens."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from memory.erasure import erase_deleted
from vocabulary.dialogue import Utterance

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL,            -- pending | done | failed | interrupted (with the reason in error)
    owner TEXT,                      -- the process running a pending turn, holding a lease on it
    lease_until REAL,                -- when the owner's lease runs out unless it renews it
    media_dir TEXT,                  -- where the turn writes its media
    user_text TEXT NOT NULL,
    audio_path TEXT,
    video_input_path TEXT,
    transcript TEXT,
    reply TEXT,
    meta TEXT,                       -- the meta-response, JSON
    speech TEXT,
    video TEXT,
    timings TEXT,                    -- JSON {node: ms}
    warnings TEXT,                   -- JSON [str]
    error TEXT
);
CREATE INDEX IF NOT EXISTS turns_by_session ON turns(session_id, seq);
CREATE TABLE IF NOT EXISTS trace_events (
    turn_id TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,             -- JSON: node, started_at, duration_ms, inputs, outputs, ...
    PRIMARY KEY (turn_id, seq)
);
CREATE TABLE IF NOT EXISTS session_tokens (   -- API access: a session answers only to its own token
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_assets (  -- the voice and face a session's avatar keeps
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,              -- voice | face
    profile TEXT NOT NULL,           -- the avatar profile it was chosen for
    asset_id TEXT NOT NULL,
    PRIMARY KEY (session_id, kind, profile)
);
"""
_JSON_COLUMNS = ("meta", "timings", "warnings")


class TurnGone(LookupError):
    """The turn's session was deleted while the turn ran."""


LEASE_S = 30.0  # a running turn's lease; its process renews it every third of that
# The store's own bookkeeping of a turn: added to stores made before it, and never handed out.
_INTERNAL_COLUMNS = {"owner": "TEXT", "lease_until": "REAL", "media_dir": "TEXT"}


def process_owner() -> str:
    """This process, as it signs the leases of the turns it runs: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_gone(owner: str | None) -> bool:
    """Whether a lease's process is known to be dead: only a process on this host can be checked,
    by its pid; another host's turns wait for their lease to run out."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    return False


class Store:
    def __init__(self, path: Path, owner: str | None = None):
        """`owner` names this process in the leases of the turns it runs (default: process_owner())."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA secure_delete=ON")  # deleted conversations leave no readable pages
        self._db.executescript(_SCHEMA)
        present = {row["name"] for row in self._db.execute("PRAGMA table_info(turns)")}
        for column, kind in _INTERNAL_COLUMNS.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE turns ADD COLUMN {column} {kind}")
        self._lock = threading.Lock()
        self.owner = owner or process_owner()

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        # One connection serves every thread, so reads take the lock too.
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def begin_turn(
        self, turn_id: str, session_id: str, text: str,
        audio_path: str | None = None, video_path: str | None = None, media_dir: str | None = None,
    ) -> None:  # fmt: skip
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")  # take the write lock before reading the next seq
            self._db.execute(
                "INSERT OR IGNORE INTO sessions(id, created_at) VALUES (?, ?)", (session_id, time.time())
            )
            (seq,) = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE session_id=?", (session_id,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO turns(id, session_id, seq, created_at, status, user_text, audio_path, video_input_path,"
                " owner, lease_until, media_dir) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)",
                (turn_id, session_id, seq, time.time(), text, audio_path, video_path, self.owner,
                 time.time() + LEASE_S, media_dir),  # fmt: skip
            )

    def complete_turn(
        self, turn_id: str, *, reply: str, meta: dict[str, Any], transcript: str | None, speech: str | None,
        video: str | None, timings: dict[str, float], warnings: list[str],
    ) -> None:  # fmt: skip
        """Record what the turn produced, as its last step does."""
        self._write(
            "UPDATE turns SET status='done', reply=?, meta=?, transcript=?, speech=?, video=?, timings=?, warnings=? "
            "WHERE id=?",
            (reply, json.dumps(meta), transcript, speech, video, json.dumps(timings), json.dumps(warnings), turn_id),
        )

    def record_timings(self, turn_id: str, timings: dict[str, float]) -> None:
        """The turn's timings once it has ended, its total among them."""
        self._write("UPDATE turns SET timings=? WHERE id=?", (json.dumps(timings), turn_id))

    def renew_leases(self, turn_ids: list[str]) -> None:
        if turn_ids:
            marks = ", ".join("?" * len(turn_ids))
            self._write(
                f"UPDATE turns SET lease_until=? WHERE status='pending' AND owner=? AND id IN ({marks})",
                (time.time() + LEASE_S, self.owner, *turn_ids),
            )

    def reclaim_abandoned(self) -> list[str]:
        """Marks interrupted every pending turn whose owner's lease ran out or whose process is gone;
        returns their media folders, for the caller to clear of partial files. A turn another live
        process runs keeps its renewed lease and is not touched."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            pending = self._db.execute("SELECT id, media_dir, owner, lease_until FROM turns WHERE status='pending'")
            rows = [r for r in pending if (r["lease_until"] or 0) < time.time() or _owner_gone(r["owner"])]
            for row in rows:
                self._db.execute(
                    "UPDATE turns SET status='interrupted', error=? WHERE id=?",
                    ("the process running this turn stopped before it ended", row["id"]),
                )
        return [row["media_dir"] for row in rows if row["media_dir"]]

    def interrupt_turn(self, turn_id: str, reason: str) -> None:
        """A turn that stopped before its end; the user's words stay stored."""
        self._write("UPDATE turns SET status='interrupted', error=? WHERE id=? AND status='pending'", (reason, turn_id))

    def fail_turn(self, turn_id: str, error: str) -> None:
        self._write("UPDATE turns SET status='failed', error=? WHERE id=?", (error, turn_id))

    def add_trace_event(self, turn_id: str, event: dict[str, Any]) -> None:
        """Raises TurnGone when the turn no longer exists: its session was deleted mid-turn."""
        with self._lock:
            if self._db.execute("SELECT 1 FROM turns WHERE id=?", (turn_id,)).fetchone() is None:
                raise TurnGone(turn_id)
            (seq,) = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM trace_events WHERE turn_id=?", (turn_id,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO trace_events(turn_id, seq, event) VALUES (?, ?, ?)",
                (turn_id, seq, json.dumps(event, default=str)),
            )

    def recent_dialogue(self, session_id: str, turns: int) -> list[Utterance]:
        """The last completed turns of a session as alternating user/assistant utterances."""
        rows = self._read(
            "SELECT user_text, transcript, reply FROM turns WHERE session_id=? AND status='done'"
            " ORDER BY seq DESC LIMIT ?",
            (session_id, turns),
        )
        dialogue: list[Utterance] = []
        for row in reversed(rows):
            said = " ".join(p for p in (row["transcript"], row["user_text"]) if p)
            dialogue += [Utterance("user", said), Utterance("assistant", row["reply"])]
        return dialogue

    def _turn_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        turn = {k: v for k, v in dict(row).items() if k not in _INTERNAL_COLUMNS}
        for key in _JSON_COLUMNS:
            turn[key] = json.loads(turn[key]) if turn[key] else None
        return turn

    def turn(self, turn_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT * FROM turns WHERE id=?", (turn_id,))
        return self._turn_dict(rows[0]) if rows else None

    def session_exists(self, session_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM sessions WHERE id=?", (session_id,)))

    def turns(self, session_id: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT * FROM turns WHERE session_id=? ORDER BY seq", (session_id,))
        return [self._turn_dict(r) for r in rows]

    def trace(self, turn_id: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT event FROM trace_events WHERE turn_id=? ORDER BY seq", (turn_id,))
        return [json.loads(r["event"]) for r in rows]

    def trace_timings(self, turn_id: str) -> dict[str, float]:
        """Each node's duration in milliseconds, in the order the nodes finished."""
        return {e["node"]: e["duration_ms"] for e in self.trace(turn_id)}

    def open_session(self, session_id: str, token_sha256: str) -> None:
        """A new, empty session that only the holder of the token can use."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO sessions(id, created_at) VALUES (?, ?)", (session_id, time.time()))
            self._db.execute("INSERT INTO session_tokens(session_id, token_sha256) VALUES (?, ?)", (session_id, token_sha256))

    def token_digest(self, session_id: str) -> str | None:
        rows = self._read("SELECT token_sha256 FROM session_tokens WHERE session_id=?", (session_id,))
        return rows[0]["token_sha256"] if rows else None

    def pinned_asset(self, session_id: str, kind: str, profile: str) -> str | None:
        rows = self._read(
            "SELECT asset_id FROM session_assets WHERE session_id=? AND kind=? AND profile=?", (session_id, kind, profile)
        )
        return rows[0]["asset_id"] if rows else None

    def pin_asset(self, session_id: str, kind: str, profile: str, asset_id: str) -> None:
        """Keep this asset for the profile for the rest of the session (the session exists: intake made it)."""
        self._write(
            "INSERT OR REPLACE INTO session_assets (session_id, kind, profile, asset_id) VALUES (?, ?, ?, ?)",
            (session_id, kind, profile, asset_id),
        )

    def delete_session(self, session_id: str) -> list[str]:
        """Erase a session with its turns and traces; returns the deleted turn ids."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            ids = [r[0] for r in self._db.execute("SELECT id FROM turns WHERE session_id=?", (session_id,))]
            self._db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
        with self._lock:
            erase_deleted(self._db)
        return ids

