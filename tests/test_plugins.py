"""A third-party support tool, the example in examples/empathyear-breathing, installed for real and
found through the `empathyear.tools` entry points like any plugin."""

import asyncio
import importlib
import json
import subprocess
import sys
from importlib.metadata import entry_points, version
from pathlib import Path

import pytest
import soundfile
from pydantic import ValidationError

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "empathyear-breathing"
DISTRIBUTION = "empathyear-breathing"


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check", *args]
    # Not check=True: a failing pip fails the tests with its own message rather than a traceback.
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"`pip {' '.join(args)}` failed; the plugin tests need it:\n{done.stderr}", pytrace=False)


@pytest.fixture(scope="module")
def plugin():
    """The example installed into this venv for the module's tests, then removed again."""
    _pip("install", "--no-deps", "--no-build-isolation", "-e", str(EXAMPLE))
    # The editable install's import hook is a .pth file, which only a new interpreter reads, so this one
    # gets the package's folder on its path. The entry points are found through the installed metadata.
    sys.path.insert(0, str(EXAMPLE))
    importlib.invalidate_caches()
    try:
        assert version(DISTRIBUTION) == "0.1.0"
        names = {e.name: e.value for e in entry_points(group="empathyear.tools")}
        assert names.get("breathing") == "empathyear_breathing:create", "the install registered no tool"
        yield importlib.import_module("empathyear_breathing")
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in [m for m in sys.modules if m.split(".")[0] == "empathyear_breathing"]:
            del sys.modules[name]
        _pip("uninstall", "-y", DISTRIBUTION)
        importlib.invalidate_caches()


def test_empathyear_tools_lists_the_plugin(plugin, capsys):
    from ui.cli import main

    assert main(["tools", "--json"]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if r["name"] == "breathing_exercise"]
    assert len(rows) == 1, "the plugin is installed but `empathyear tools` does not list it"
    row = rows[0]
    assert (row["role"], row["package"], row["entry_point"]) == ("support", DISTRIBUTION, "breathing")
    assert row["active"] and row["problem"] is None
    assert {"llm_callable", "produces_audio"} <= set(row["capabilities"])


def test_an_anxious_turn_gets_the_breathing_exercise_and_a_joyful_one_does_not(plugin, home):
    from graph.runner import TurnRunner
    from settings import Settings

    runner = TurnRunner(Settings(), chat_model=None)
    message = "I'm so anxious about my job interview tomorrow, my heart is racing."
    result = runner.run(runner.request(text=message, want_speech=False))
    assert [(s["tool"], s["chosen_by"]) for s in result["support"]] == [("breathing_exercise", "offer")]
    support = result["support"][0]
    assert support["text"] and support["text"] in result["meta"]["response"]
    audio = Path(support["audio"])
    assert audio.is_file()
    info = soundfile.info(audio)
    arguments = support["arguments"]
    seconds = arguments["rounds"] * plugin.patterns.seconds_per_round(arguments["pattern"])
    assert (info.format, info.channels, info.samplerate) == ("WAV", 1, 24_000)
    assert info.frames == seconds * 24_000
    assert result["warnings"] == []

    result = runner.run(runner.request(text="We just adopted a puppy!", want_speech=False))
    assert result["support"] == []


def test_the_tool_checks_its_arguments_and_can_be_awaited(plugin, tmp_path):
    tool = plugin.create(None)
    with pytest.raises(ValidationError):
        tool.arguments({"rounds": 0})
    with pytest.raises(ValidationError):
        tool.arguments({"pattern": "hold it forever"})
    produced = asyncio.run(tool.ainvoke({"pattern": "box", "rounds": 1, "out_dir": str(tmp_path)}))
    assert produced["text"].endswith("in for four, hold for four, out for four, hold for four, once.")
    samples, rate = soundfile.read(produced["audio"])
    assert rate == 24_000 and len(samples) == 16 * rate
    assert 0.01 < abs(samples).max() < 0.2  # audible, but soft


def test_a_chat_model_that_calls_tools_calls_the_plugin(plugin, home, monkeypatch):
    from graph.runner import TurnRunner
    from settings import Settings
    from tests.llm_server import TOOL_ARGUMENTS, serve

    with serve("good") as (server, url):
        monkeypatch.setenv("EMPATHYEAR_LLM", "openai")
        monkeypatch.setenv("EMPATHYEAR_LLM_BASE_URL", url)
        runner = TurnRunner(Settings())
        result = runner.run(
            runner.request(text="Today traffic was horrible and was so frustrating!", want_speech=False)
        )
    offered = [r["body"].get("tools") for r in server.requests if r["body"].get("tools")]
    assert len(offered) == 1 and offered[0][0]["function"]["name"] == "breathing_exercise"
    assert offered[0][0]["function"]["parameters"]["properties"]["rounds"]["maximum"] == 6
    (used,) = result["support"]
    assert used["tool"] == "breathing_exercise" and used["chosen_by"] == "chat model"
    assert used["arguments"] == TOOL_ARGUMENTS
    assert used["text"] in result["meta"]["response"] and Path(used["audio"]).is_file()


def test_the_page_shows_a_reply_with_its_support_text_once(plugin, tmp_path):
    """The support step adds to the reply the responder already streamed: one bubble, the text once."""
    from tests.served import start_server
    from tests.test_browser import ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with start_server(tmp_path / "home") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        page.goto(url, wait_until="load")
        page.fill("#message textarea", "I'm so anxious about my job interview tomorrow, my heart is racing.")
        page.click("#send")
        page.wait_for_function(
            "() => document.querySelector('#chat').innerText.includes('breathing along')", timeout=120_000
        )
        page.wait_for_function(
            "() => document.querySelector('#why').innerText.includes('How you seem to feel')", timeout=180_000
        )
        chat = page.inner_text("#chat")
        assert len(page.query_selector_all("#chat .bot-row")) == 1, chat
        assert chat.count("breathing along") == 1, chat
        browser.close()
