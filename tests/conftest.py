import os
from pathlib import Path

import pytest

from settings import quiet_libraries

quiet_libraries()  # before any library that reads it is imported

from models.registry import models_dir  # noqa: E402 - after the offline switches

# Tests get a fresh data directory each, but share the assembled registry models.
os.environ["EMPATHYEAR_MODELS"] = str(models_dir())

ROOT = Path(__file__).resolve().parent.parent
ED_DATA = ROOT.parent / "shared" / "data" / "empathetic_dialogues"


def can_hide_avx512() -> bool:
    """Whether evals.avx2_only can run a command here: a CPU that can make CPUID fault, and cc."""
    from evals.avx2_only import unavailable

    return unavailable() is None


# The suites that start servers, a browser or whole media pipelines: about four fifths of the
# suite's time. `make test-fast` runs the rest.
SLOW_SUITES = {"test_abuse", "test_avatar", "test_browser", "test_cli", "test_perception", "test_speech",
               "test_voice_library"}  # fmt: skip


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in SLOW_SUITES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh data directory; every test that writes state gets its own."""
    monkeypatch.setenv("EMPATHYEAR_HOME", str(tmp_path / "home"))
    for name in ("EMPATHYEAR_LLM", "EMPATHYEAR_LLM_BASE_URL", "EMPATHYEAR_LLM_PATH", "EMPATHYEAR_CRISIS_RESOURCES",
                 "EMPATHYEAR_DATABASE_URL", "EMPATHYEAR_MEDIA_DIR"):
        monkeypatch.delenv(name, raising=False)
    # Turn tests read the templates' deterministic wording; the trained listener, the default, has
    # its own tests (test_listener.py) through the same runner.
    monkeypatch.setenv("EMPATHYEAR_LISTENER", "templates")
    return tmp_path / "home"


@pytest.fixture
def runner(home):
    from graph.runner import TurnRunner
    from settings import Settings

    return TurnRunner(Settings(), chat_model=None)
