"""The page in a real browser: Debian's Chromium, driven by Playwright, against `empathyear serve`."""

from pathlib import Path

import pytest

from tests.served import start_server
from vocabulary.taxonomy import EMOTIONS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
OUTPUT = Path(__file__).parent / "output"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_server(tmp_path_factory.mktemp("home")) as url:
        yield url


def test_a_turn_in_the_browser_shows_text_speech_video_and_why(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server, wait_until="load")
        assert "not a substitute for professional help" in page.inner_text("#notice")
        page.fill("#message textarea", "My dog died this morning.")
        page.click("#send")
        page.wait_for_selector("#chat .bot-row", timeout=60_000)
        reply = page.inner_text("#chat .bot-row")
        assert len(reply.split()) > 5
        page.wait_for_function(
            "() => { const v = document.querySelector('#reply-video video'); return v && v.duration > 0 }",
            timeout=180_000,
        )
        speech_url = page.get_attribute("#reply-audio a[download]", "href")
        duration = page.evaluate(
            "url => new Promise(done => { const a = new Audio(url); a.onloadedmetadata = () => done(a.duration); a.onerror = () => done(0); })",
            speech_url,
        )
        assert duration > 0
        # the Why panel fills in with the turn's final result, a moment after the video
        page.wait_for_function(
            "() => document.querySelector('#why').innerText.includes('How you seem to feel')", timeout=60_000
        )
        why = page.inner_text("#why")
        named = [e for e in EMOTIONS if f"How you seem to feel: {e} (" in why]
        assert named, why
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "browser-turn.png"), full_page=True)
        browser.close()


def test_the_trace_tab_replays_the_last_turn_with_an_edited_prompt(tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.llm_server import BRIEF, BRIEF_INSTRUCTION, serve

    with (
        serve("good") as (_, llm),
        start_server(tmp_path / "home", EMPATHYEAR_LLM="openai", EMPATHYEAR_LLM_BASE_URL=llm) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        page.goto(url, wait_until="load")
        page.fill("#message textarea", "Today traffic was horrible and was so frustrating!")
        page.click("#send")
        # a replay starts from a finished turn, and an update that lands while a field is being
        # filled can put back the value the page last sent, so the edit waits for the turn's result
        page.wait_for_function(
            "() => document.querySelector('#why').innerText.includes('How you seem to feel')", timeout=180_000
        )
        page.get_by_role("tab", name="Trace").click()
        page.get_by_text("Replay the last turn with an edited prompt").click()
        prompt = page.locator("#replay-prompt textarea")
        page.wait_for_function(
            "() => document.querySelector('#replay-prompt textarea')?.value.includes('You are EmpathyEar')",
            timeout=60_000,
        )  # fmt: skip
        prompt.fill(prompt.input_value() + f"\n{BRIEF_INSTRUCTION}\n")
        page.wait_for_function(
            "instruction => document.querySelector('#replay-prompt textarea').value.includes(instruction)",
            arg=BRIEF_INSTRUCTION, timeout=5_000,
        )  # fmt: skip
        page.click("#replay")
        # the table, or the error the page shows instead (the server's log comes with a failure)
        page.wait_for_function(
            "() => document.querySelector('#replay-diff').innerText.includes('Replayed from')"
            " || document.querySelector('.toast-message-text.error')", timeout=120_000,
        )  # fmt: skip
        shown_error = page.locator(".toast-message-text.error").all_inner_texts()
        assert not shown_error, shown_error
        table = page.inner_text("#replay-diff")
        assert BRIEF["response"] in table, table
        assert "responder" in table and "LLM: Gridlock" in table and "emotion.label" in table
        page.screenshot(path=str(OUTPUT / "replay.png"), full_page=True)
        browser.close()


def test_markup_in_a_message_is_shown_never_run(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(server, wait_until="load")
        page.fill("#message textarea", 'Bad day <img src=x onerror="window.ran=1;alert(1)"><script>window.ran=2</script>')
        page.click("#send")
        page.wait_for_selector("#chat .bot-row", timeout=60_000)
        page.wait_for_timeout(1000)
        assert dialogs == [] and page.evaluate("window.ran") is None
        assert page.query_selector("#chat img[src='x']") is None and page.query_selector("#chat script") is None
        assert "<img src=x" in page.inner_text("#chat .user-row")  # shown as typed
        browser.close()
