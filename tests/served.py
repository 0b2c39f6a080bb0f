"""`empathyear serve` as a real subprocess for the tests that drive it over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def start_server(home: Path, **settings: str) -> Iterator[str]:
    """`empathyear serve` in its own data directory with `settings` as its environment, stopped on
    exit; yields its address."""
    with serve_process(home, **settings) as (url, _):
        yield url


@contextmanager
def serve_process(home: Path, **settings: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The same, yielding the address and the process (for a test that kills it)."""
    port = free_port()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("EMPATHYEAR_") or k == "EMPATHYEAR_MODELS"
    }
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"server-{port}.log"  # a file, not a pipe nobody reads, which would stall a chatty server
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "empathyear"), "serve", "--port", str(port)],
        env={**environment, "EMPATHYEAR_HOME": str(home), **settings}, stdout=log.open("w"),
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
    else:
        process.kill()
        pytest.fail("the server did not come up in 240 s")
    try:
        yield url, process
    except BaseException:  # the server's own account goes with the test's failure
        print(f"--- the server's log ({log}) ---\n{log.read_text()[-6000:]}")
        raise
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
