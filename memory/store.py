"""The conversation store: sessions, turns with their meta-responses, and a trace per turn, in a
SQLite file under EMPATHYEAR_HOME (the default) or a PostgreSQL database that several replicas
share (EMPATHYEAR_DATABASE_URL). The user's words are written before anything else of the turn
happens. The SQL is written once; memory.sqlite and memory.postgres run it."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import math
import os
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from memory.migrations import upgrade
from vocabulary.dialogue import Utterance

_JSON_COLUMNS = ("meta", "timings", "warnings")


class TurnGone(LookupError):
    """The turn's session was deleted while the turn ran."""


LEASE_S = 30.0  # a running turn's lease by default; its process renews it every third of that
# The store's own bookkeeping of a turn, never handed out.
_INTERNAL_COLUMNS = ("owner", "lease_until", "media_dir")


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


def open_database(location: Path | str) -> Any:
    """A SQLite file for a path, PostgreSQL for a postgresql:// URL."""
    if isinstance(location, str) and location.startswith(("postgresql://", "postgres://")):
        from memory.postgres import PostgresDatabase

        return PostgresDatabase(location)
    from memory.sqlite import SQLiteDatabase

    return SQLiteDatabase(Path(location))


class Store:
    def __init__(self, location: Path | str, owner: str | None = None, lease_s: float = LEASE_S):
        """`location`: the SQLite file, or a postgresql:// URL. `owner` names this process in the
        leases of the turns it runs (default: process_owner()), each `lease_s` long unless renewed.
        The schema is brought up to date first (memory.migrations)."""
        self.db = open_database(location)
        try:
            upgrade(self.db)
        except BaseException:
            self.db.close()
            raise
        self.owner = owner or process_owner()
        self.lease_s = lease_s

    @classmethod
    def from_settings(cls, settings: Any) -> Store:
        return cls(settings.database_url or settings.database, lease_s=settings.turn_lease_s)

    def _write(self, sql: str, args: tuple = ()) -> None:
        self.db.write(sql, args)

    def _read(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        return self.db.read(sql, args)

    @contextmanager
    def session_turn(self, session_id: str) -> Iterator[None]:
        """Held while a turn of the session runs: its turns go one after the other, on any replica."""
        with self.db.session_turn(session_id):
            yield

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin_turn(
        self, turn_id: str, session_id: str, text: str,
        audio_path: str | None = None, video_path: str | None = None, media_dir: str | None = None,
        create_session: bool = True,
    ) -> None:  # fmt: skip
        """Stores the user's words. `create_session` False: the session must exist already (a turn
        sent through the API, which a delete may have overtaken while it waited); TurnGone if not."""
        with self.db.transaction() as cursor:
            if create_session:
                cursor.execute(
                    "INSERT INTO sessions(id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (session_id, time.time())
                )
            if not cursor.execute(self._locked("SELECT id FROM sessions WHERE id=?"), (session_id,)):
                raise TurnGone(turn_id)
            seq = cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM turns WHERE session_id=?", (session_id,)
            )[0]["seq"]
            cursor.execute(
                "INSERT INTO turns(id, session_id, seq, created_at, status, user_text, audio_path, video_input_path,"
                " owner, lease_until, media_dir) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)",
                (turn_id, session_id, seq, time.time(), text, audio_path, video_path, self.owner,
                 time.time() + self.lease_s, media_dir),  # fmt: skip
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
                (time.time() + self.lease_s, self.owner, *turn_ids),
            )

    def reclaim_abandoned(self) -> list[str]:
        """Marks interrupted every pending turn whose owner's lease ran out or whose process is gone;
        returns their media folders, for the caller to clear of partial files. A turn another live
        process runs keeps its renewed lease and is not touched."""
        with self.db.transaction() as cursor:
            pending = cursor.execute(
                self._locked("SELECT id, media_dir, owner, lease_until FROM turns WHERE status='pending'")
            )
            # A dead process is recognised by its pid only where one process per host shares the file;
            # replicas on a shared database (containers may share a host name) wait for the lease.
            by_pid = self.db.dialect == "sqlite"
            rows = [r for r in pending
                    if (r["lease_until"] or 0) < time.time() or (by_pid and _owner_gone(r["owner"]))]  # fmt: skip
            for row in rows:
                cursor.execute(
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
        with self.db.transaction() as cursor:
            if not cursor.execute(self._locked("SELECT id FROM turns WHERE id=?"), (turn_id,)):
                raise TurnGone(turn_id)
            seq = cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM trace_events WHERE turn_id=?", (turn_id,)
            )[0]["seq"]
            cursor.execute(
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

    def _turn_dict(self, row: dict[str, Any]) -> dict[str, Any]:
        turn = {k: v for k, v in row.items() if k not in _INTERNAL_COLUMNS}
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
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO sessions(id, created_at) VALUES (?, ?)", (session_id, time.time()))
            cursor.execute("INSERT INTO session_tokens(session_id, token_sha256) VALUES (?, ?)", (session_id, token_sha256))

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
            "INSERT INTO session_assets (session_id, kind, profile, asset_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (session_id, kind, profile) DO UPDATE SET asset_id=excluded.asset_id",
            (session_id, kind, profile, asset_id),
        )

    def delete_session(self, session_id: str) -> list[str]:
        """Erase a session with its turns and traces; returns the deleted turn ids."""
        with self.db.transaction() as cursor:
            ids = [r["id"] for r in cursor.execute("SELECT id FROM turns WHERE session_id=?", (session_id,))]
            cursor.execute("DELETE FROM sessions WHERE id=?", (session_id,))
        self.db.erase_deleted()
        return ids

    @functools.cached_property
    def _rate_key(self) -> bytes:
        """A random key made once per database, the same for every replica that shares it; read when
        rate limits are first counted here (a server on SQLite counts them in memory instead)."""
        name = "rate_limits"
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO store_keys(name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (name, secrets.token_hex(32)))  # fmt: skip
            return bytes.fromhex(cursor.execute("SELECT value FROM store_keys WHERE name=?", (name,))[0]["value"])

    def rate_wait_s(self, scope: str, key: str, per_minute: int) -> int:
        """A token bucket of `per_minute` requests a minute (in bursts of as many) per key of a scope,
        counted in the database so every replica of a shared one counts the same requests: 0 when
        this request may go ahead (it is counted), else the whole seconds to wait. Keys (session ids,
        client addresses) are kept only as keyed digests (HMAC with the database's own random key,
        so an address cannot be found by trying them all), and a bucket untouched for a minute,
        full again by then, is dropped."""
        if per_minute <= 0:
            return 0
        refill, now = per_minute / 60.0, time.time()
        bucket = hmac.new(self._rate_key, f"{scope}\x1f{key}".encode(), hashlib.sha256).hexdigest()
        with self.db.transaction() as cursor:
            cursor.execute("DELETE FROM rate_buckets WHERE counted_at < ?", (now - 60.0,))
            cursor.execute(
                "INSERT INTO rate_buckets(bucket, tokens, counted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (bucket, float(per_minute), now),
            )
            row = cursor.execute(self._locked("SELECT tokens, counted_at FROM rate_buckets WHERE bucket=?"), (bucket,))[0]
            tokens = min(float(per_minute), row["tokens"] + max(0.0, now - row["counted_at"]) * refill)
            allowed = tokens >= 1.0
            cursor.execute(
                "UPDATE rate_buckets SET tokens=?, counted_at=? WHERE bucket=?",
                (tokens - 1.0 if allowed else tokens, now, bucket),
            )
        return 0 if allowed else max(1, math.ceil((1.0 - tokens) / refill))

    def _locked(self, select: str) -> str:
        """A SELECT whose rows stay locked until the transaction ends (SQLite's transaction already
        holds the whole file)."""
        return select if self.db.dialect == "sqlite" else f"{select} FOR UPDATE"

