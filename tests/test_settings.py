"""Settings are read in one place, and importing the project changes nothing in the environment."""

import subprocess
import sys
from pathlib import Path

from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "models.encoder", "models.registry", "asset_index.vector_index", "tools.registry", "tools.speech.styletts2",
    "graph.runner", "ui.cli", "ui.server", "ui.web", "evals.listener", "evals.latency", "evals.emotion",
    "evals.conversations", "evals.responses", "evals.speech", "evals.video", "evals.perception",
]  # fmt: skip


def test_importing_the_project_sets_no_environment_variable():
    code = (
        "import importlib, os, sys\n"
        "before = dict(os.environ)\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))\n"
        "print(changed)\n"
        "sys.exit(1 if changed else 0)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, *MODULES], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_the_tool_for_a_role_and_the_models_folder_come_from_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("EMPATHYEAR_TOOL_SPEECH", "my_speech")
    monkeypatch.setenv("EMPATHYEAR_HOME", str(tmp_path))
    monkeypatch.delenv("EMPATHYEAR_MODELS")
    settings = Settings()
    assert settings.tool_choice("speech") == "my_speech"
    assert settings.tool_choice("talking_face") == ""
    assert settings.models == tmp_path / "models"
