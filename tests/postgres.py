"""A fresh PostgreSQL database per test that asks for one, on the server the machines run
(127.0.0.1:5432, trust authentication; EMPATHYEAR_TEST_POSTGRES names another). A test that needs
it skips, saying why, when no server answers."""

import os
import uuid
from collections.abc import Iterator

import pytest

SERVER = os.environ.get("EMPATHYEAR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _admin():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3)


def fresh_database() -> Iterator[str]:
    """Yields the URL of a new, empty database and drops it afterwards."""
    import psycopg

    try:
        admin = _admin()
    except psycopg.OperationalError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        pytest.skip(f"no PostgreSQL server answers at {SERVER} ({reason}); `.ci/run` starts one")
    name = f"empathyear_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
