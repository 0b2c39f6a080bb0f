"""One process serving the Gradio page at / and the REST API under /v1, with every model loaded and
warmed before the first request, so no turn pays for loading."""

from __future__ import annotations

import logging
import os
import time

from settings import quiet_libraries
from tools.contract import MEDIA_ROLES

log = logging.getLogger("empathyear.server")


def warm(runner) -> dict[str, float]:
    """Loads every model a turn uses, without writing anything to the conversation store."""
    from vocabulary.dialogue import Dialogue

    timings = {}
    started = time.perf_counter()
    dialogue = Dialogue("I finally passed my exam today!", ())
    emotion = runner.agents.emotion.run(dialogue).output
    scene = runner.agents.scene.run(dialogue, emotion).output
    timings["agents_s"] = time.perf_counter() - started
    if runner.agents.responder.listener is not None:
        started = time.perf_counter()
        runner.agents.responder.run(dialogue, emotion, scene)
        timings["listener_s"] = time.perf_counter() - started
    tools = runner.nodes.tools
    active = [(role, tools.get(role)) for role in MEDIA_ROLES] + [(t.name, t) for t in tools.support()]
    for role, tool in active:  # every active tool, a plugin's too, loads what its first call would
        if tool is not None and (warm_up := getattr(tool, "warm", None)):
            started = time.perf_counter()
            try:
                warm_up()
            except Exception as exc:  # a tool that cannot warm up is reported per turn instead
                log.warning("%s did not warm up: %s", role, type(exc).__name__)
            timings[f"{role}_s"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in timings.items()}


def create_app(runner=None):
    quiet_libraries()
    import gradio as gr

    from graph.runner import TurnRunner
    from ui.api import create_api
    from ui.web import CSS, build_ui

    runner = runner or TurnRunner()
    app = create_api(runner)
    # replies are served from the session's own folder, not copied into Gradio's cache, so deleting
    # a session deletes every copy of its media
    gr.set_static_paths(paths=[str(runner.settings.media)])
    # system fonts: the default theme would fetch web fonts, and the page makes no network calls
    theme = gr.themes.Soft(
        font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )
    return gr.mount_gradio_app(
        app, build_ui(runner), path="/", css=CSS, theme=theme, footer_links=["api"], show_error=True
    )


def deployment_warnings(settings) -> list[str]:
    """What an operator should hear at start-up about how this server shares its state."""
    if settings.database_url and settings.media_dir is None:
        return [
            "EMPATHYEAR_DATABASE_URL is set but EMPATHYEAR_MEDIA_DIR is not: speech, video and uploads stay in "
            "this server's own data directory, where other replicas can neither serve nor delete them "
            "(see docs/deployment.md)"
        ]
    return []


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    from models.allocator import cap_malloc_arenas
    from settings import Settings

    settings = Settings()
    cap_malloc_arenas(settings.malloc_arenas)  # before the libraries start their threads and the models load
    from models.encoder import paths
    # uploads wait in the data directory, not in a shared temporary folder, until a turn claims them
    os.environ.setdefault("GRADIO_TEMP_DIR", str(settings.home / "uploads-pending"))
    import uvicorn

    from graph.runner import TurnRunner

    runner = TurnRunner(settings)
    for warning in deployment_warnings(settings):
        print(f"warning: {warning}", flush=True)
    print("Loading the models…", flush=True)
    print(f"Warmed up in {warm(runner)}", flush=True)
    print(f"The encoders run on {paths()}", flush=True)
    if (listener := runner.agents.responder.listener) is not None:
        print(f"The listener runs on {listener.describe()}", flush=True)
    app = create_app(runner)
    print(f"EmpathyEar is ready at http://{host}:{port}/  (API: http://{host}:{port}/v1/docs)", flush=True)
    # uvicorn would believe X-Forwarded-For from any local peer; EMPATHYEAR_TRUSTED_PROXIES decides instead
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
