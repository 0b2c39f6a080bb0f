"""Concurrent clients against a served app, each on its own session.

    python -m evals.load --clients 4 --turns 2 [--media] [--url http://127.0.0.1:7860] --json
    python -m evals.load --clients 4 --turns 2 --replicas 2 --database-url postgresql://.../db --json

Without --url it starts `empathyear serve` in a fresh data directory (the assembled models are
reused) and stops it afterwards; with --replicas N, N of them on the one PostgreSQL database given
and one shared media folder: client k opens its session on replica k mod N, and its turns go to
the replicas in turn. Every client opens a session, then sends its turns one after the
other over the streaming endpoint, all clients at once. Per turn: success, time to the first audio
(the first speech chunk; with --media) and to the whole turn (text, speech, video when asked).
Per turn also the time to its first written sentence (the first `reply_text` event, what a reader
sees first). Figures: successes and errors, p50/p95 of these times, the first-audio time per client (by the
order they started, for "the last client waits no longer than twice the first"), and a check for
cross-talk: every message carries its client's own code word, and each session's stored turns and
replies must hold its own code and no other client's.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from evals.provenance import provenance

MESSAGES = [
    "I finally got the job I wanted, {code} is what I'll call my lucky charm.",
    "My dog {code} has been sick all week and I'm worried.",
    "I failed my exam again and my friend {code} laughed at me.",
    "We're moving to a new city and I'll miss my neighbour {code}.",
]
CODES = ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Ginkgo", "Hazel", "Ivy", "Juniper", "Kapok", "Larch"]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 3)


@contextmanager
def served(wait_s: float = 300, shared: dict[str, str] | None = None):
    """`empathyear serve` on a free port in a fresh data directory; `shared`: settings it shares
    with other replicas (the database, the media folder)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from models.precision import HIDDEN_FLAGS_ENV
    from models.registry import models_dir

    with tempfile.TemporaryDirectory() as home:
        # Under evals.avx2_only the server must still read the CPU its kernels see.
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith("EMPATHYEAR_") or k == HIDDEN_FLAGS_ENV
        }
        environment |= {"EMPATHYEAR_HOME": home, "EMPATHYEAR_MODELS": str(models_dir()),
                        "EMPATHYEAR_SESSIONS_PER_MINUTE": "0", **(shared or {})}  # fmt: skip
        log = Path(home) / "server.log"
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "empathyear"), "serve", "--port", str(port)],
            env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            import httpx

            deadline = time.monotonic() + wait_s
            while True:
                try:
                    if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {log.read_text()[-1500:]}")
                time.sleep(1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


def client(urls: list[str], number: int, turns: int, media: bool, start: threading.Barrier, out: list[dict]) -> None:
    """One client's session, opened on one replica; each of its turns goes to the next replica."""
    import httpx

    url = urls[number % len(urls)]

    code = CODES[number % len(CODES)] + str(number)
    record = {"client": number, "code": code, "turns": [], "errors": []}
    out[number] = record
    try:
        opened = httpx.post(f"{url}/v1/sessions", timeout=30)
        opened.raise_for_status()
        session, token = opened.json()["session"], opened.json()["token"]
    except httpx.HTTPError as exc:
        record["errors"].append(f"open: {type(exc).__name__}")
        start.wait()
        return
    record["session"], auth = session, {"Authorization": f"Bearer {token}"}
    start.wait()
    for turn in range(turns):
        text = MESSAGES[(number + turn) % len(MESSAGES)].format(code=code)
        url = urls[(number + turn) % len(urls)]
        form = {"text": text, "want_speech": str(media).lower(), "want_video": str(media).lower()}
        began = time.perf_counter()
        first_audio, first_text, result, error = None, None, None, None
        try:
            with httpx.stream("POST", f"{url}/v1/sessions/{session}/turns/stream", data=form, headers=auth,
                              timeout=600) as response:  # fmt: skip
                if response.status_code != 200:
                    error = f"HTTP {response.status_code}"
                else:
                    event = None
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                            if event == "speech_chunk" and first_audio is None:
                                first_audio = time.perf_counter() - began
                            elif event == "reply_text" and first_text is None:
                                first_text = time.perf_counter() - began
                        elif line.startswith("data: ") and event in ("result", "error"):
                            data = json.loads(line[6:])
                            result, error = (data, None) if event == "result" else (None, data.get("detail"))
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        done = time.perf_counter() - began
        if error:
            record["errors"].append(error)
        record["turns"].append({"ok": result is not None, "first_audio_s": first_audio, "first_text_s": first_text, "turn_s": done,
                                "reply": (result or {}).get("meta", {}).get("response", "")})  # fmt: skip
    record["stored"] = [
        t["user_text"] + " " + (t["reply"] or "")
        for t in httpx.get(f"{url}/v1/sessions/{session}/turns", headers=auth, timeout=30).json()["turns"]
    ]


def run(url: str | list[str] | None, clients: int, turns: int, media: bool, replicas: int = 1,
        database_url: str | None = None) -> dict:  # fmt: skip
    if url is None:
        if replicas > 1 and not database_url:
            raise ValueError("several replicas share one PostgreSQL database: give --database-url")
        with tempfile.TemporaryDirectory() as media_dir, ExitStack() as stack:
            shared = {"EMPATHYEAR_DATABASE_URL": database_url, "EMPATHYEAR_MEDIA_DIR": media_dir} if database_url else {}
            started = [stack.enter_context(served(shared=shared)) for _ in range(replicas)]
            return run(started, clients, turns, media) | {"replicas": replicas, "database": "postgresql" if database_url else "sqlite"}
    urls = [url] if isinstance(url, str) else url
    records: list[dict] = [{} for _ in range(clients)]
    start = threading.Barrier(clients)
    threads = [threading.Thread(target=client, args=(urls, n, turns, media, start, records)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = {r["code"] for r in records}
    crosstalk = sum(
        1 for r in records for stored in r.get("stored", []) for other in codes - {r["code"]} if other in stored
    )
    missing = sum(1 for r in records if len(r.get("stored", [])) != turns or not all(r["code"] in s for s in r["stored"]))
    every = [t for r in records for t in r["turns"]]
    audio = [t["first_audio_s"] for t in every if t["first_audio_s"] is not None]
    text = [t["first_text_s"] for t in every if t["first_text_s"] is not None]
    whole = [t["turn_s"] for t in every if t["ok"]]
    first_turns = [r["turns"][0]["first_audio_s"] if r.get("turns") else None for r in records]
    return {
        "benchmark": "load", "clients": clients, "turns_per_client": turns, "media": media,
        "turns": len(every), "succeeded": sum(t["ok"] for t in every),
        "errors": sorted({e for r in records for e in r["errors"]}),
        "first_text_p50_s": percentile(text, 50), "first_text_p95_s": percentile(text, 95),
        "first_audio_p50_s": percentile(audio, 50), "first_audio_p95_s": percentile(audio, 95),
        "turn_p50_s": percentile(whole, 50), "turn_p95_s": percentile(whole, 95),
        "turn_mean_s": round(statistics.mean(whole), 3) if whole else None,
        "first_turn_first_audio_s_by_client": [round(v, 3) if v is not None else None for v in sorted(
            first_turns, key=lambda v: v if v is not None else float("inf"))],
        "crosstalk": crosstalk, "sessions_with_missing_turns": missing,
        **provenance(),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--media", action="store_true", help="ask for speech and video in every turn")
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--replicas", type=int, default=1, help="servers to start on one database (with --database-url)")
    parser.add_argument("--database-url", help="the PostgreSQL database the replicas share")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = run(args.url, args.clients, args.turns, args.media, args.replicas, args.database_url)
    print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
