"""The store's schema, as numbered migrations. Each store runs the ones its database lacks when it
opens (`empathyear db upgrade` runs them on their own) and refuses a database whose schema is newer
than any it knows: a server never writes to tables it does not understand.

The statements are written once for SQLite and PostgreSQL (DOUBLE PRECISION, TEXT, INTEGER and
ON CONFLICT mean the same in both)."""

from __future__ import annotations

from typing import Any


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer EmpathyEar."""


MIGRATIONS: list[str] = [
    # 1: sessions, turns, traces, tokens and kept assets.
    """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,            -- pending | done | failed | interrupted (with the reason in error)
    owner TEXT,                      -- the process running a pending turn, holding a lease on it
    lease_until DOUBLE PRECISION,    -- when the owner's lease runs out unless it renews it
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
CREATE INDEX IF NOT EXISTS turns_pending ON turns(status);
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
)
""",
    # 2: rate limits that every replica of a shared database counts together.
    """
CREATE TABLE IF NOT EXISTS rate_buckets (
    bucket TEXT PRIMARY KEY,         -- a digest of the scope and the key (a session, a client address)
    tokens DOUBLE PRECISION NOT NULL,
    counted_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_buckets_by_time ON rate_buckets(counted_at);
CREATE TABLE IF NOT EXISTS store_keys (     -- random keys of this database, made once
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
""",
]
LATEST = len(MIGRATIONS)

# Columns a SQLite store written before the schema was numbered may lack (its tables predate them).
_EARLY_COLUMNS = {"owner": "TEXT", "lease_until": "DOUBLE PRECISION", "media_dir": "TEXT"}


def version(db: Any) -> int:
    db.script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    rows = db.read("SELECT version FROM schema_version")
    return rows[0]["version"] if rows else 0


def upgrade(db: Any) -> tuple[int, int]:
    """Runs the migrations `db` lacks, each followed by the version it brings; returns (before,
    after). Raises SchemaTooNew for a schema newer than this code's. Their statements create only
    what is missing, so a migration cut short runs again whole at the next start."""
    with db.migrating():
        before = version(db)
        if before > LATEST:
            raise SchemaTooNew(
                f"the database's schema is version {before}, newer than this EmpathyEar knows ({LATEST}): "
                "upgrade EmpathyEar, or point it at another database"
            )
        if before == 0 and "id" in db.columns("turns"):
            for column, kind in _EARLY_COLUMNS.items():
                if column not in db.columns("turns"):
                    db.write(f"ALTER TABLE turns ADD COLUMN {column} {kind}")
        for number in range(before + 1, LATEST + 1):
            db.script(MIGRATIONS[number - 1])
            with db.transaction() as cursor:
                cursor.execute("DELETE FROM schema_version")
                cursor.execute("INSERT INTO schema_version(version) VALUES (?)", (number,))
        return before, LATEST
