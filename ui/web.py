"""The Gradio page: a conversation with text, voice or video in, and for every reply its text as soon
as it is ready, then its speech, then the avatar video; a plain-language "Why" panel; a "Trace" tab
for prompt engineers, with a replay of the last turn under an edited prompt; and new, delete and
voice/avatar controls. Each browser tab is its own session."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from agents.llm_policy import PROMPTS_DIR
from graph.replay import AGENT_PROMPTS, ReplayError, replay
from graph.runner import InputError, TurnFailed, TurnRunner, new_id
from vocabulary.taxonomy import AGE_GROUPS, GENDERS, TIMBRES

NOTICE = (
    "**EmpathyEar is an AI companion, not a substitute for professional help.** If you are in danger or "
    "thinking of harming yourself, please contact your local emergency number or a crisis line now."
)
CSS = """
#help {border: 2px solid #b42318; border-radius: 10px; padding: 12px; background: #fff4f2;}
#notice {font-size: 0.95em;}
"""
ANY = "no preference"
# The components a turn updates, in the order the event handlers list them.
OUTPUTS = (
    "chat",
    "message",
    "voice_in",
    "video_in",
    "video",
    "audio",
    "why",
    "trace",
    "status",
    "crisis",
    "session",
)


def step(**changed: Any) -> tuple:
    """One update of the page: the named components changed, every other one left as it is."""
    return tuple(changed[name] if name in changed else gr.update() for name in OUTPUTS)


def shown(text: str) -> str:
    """Text as the page shows it: markup in it is displayed as the characters typed, never run or
    rendered (the chat renders Markdown, which would otherwise pass HTML through its sanitiser)."""
    return html.escape(text, quote=False)


def why_panel(result: dict[str, Any]) -> str:
    """The meta-response in words a non-engineer can read."""
    meta, lines = result["meta"], []
    if emotion := meta.get("emotion"):
        lines.append(
            f"**How you seem to feel:** {emotion['label']} ({emotion['type']}, {emotion['confidence']:.0%} sure), "
            f'because "{emotion["cause"]}"'
        )
    if scene := meta.get("scene"):
        lines += [
            f"**The situation:** {scene['scenario'].replace('-', ' ')}. {scene['rationale']}",
            f"**What the reply aims for:** {scene['goal']}",
        ]
    if profile := meta.get("profile"):
        avatar = f"**The avatar:** a {profile['timbre']} {profile['gender']} voice, {profile['age']}"
        if result.get("voice"):
            avatar += f"; voice {result['voice']['name']} ({result['voice']['reason']})"
        if result.get("face"):
            avatar += f"; face {result['face']['name']}"
        lines.append(avatar)
    perception = result.get("perception") or {}
    if perception.get("transcript"):
        lines.append(f'**What I heard:** "{shown(perception["transcript"])}"')
    for modality, verb in (("voice", "Your voice sounded"), ("face", "Your face looked")):
        if cue := perception.get(modality):
            lines.append(f"**{verb}:** mostly {cue['dominant']} ({cue['distribution'][cue['dominant']]:.0%})")
    if result["warnings"]:
        lines.append("**Notes:** " + "; ".join(result["warnings"]))
    return "\n\n".join(lines)


def help_box(result: dict[str, Any], resources_file: Path | None) -> Any:
    """The crisis resources (the configured file, else the bundled list), shown prominently when the
    safety route answered."""
    if not result.get("crisis"):
        return gr.update(value="", visible=False)
    from agents.safety import crisis_resources

    try:
        resources = crisis_resources(resources_file)
    except (
        OSError,
        ValueError,
        KeyError,
    ):  # as the safety node does: a broken file never hides the help lines
        resources = crisis_resources(None)
    items = "\n".join(f"- **{r['name']}** ({r['region']}): {r['contact']}" for r in resources["resources"])
    return gr.update(value=f"### Help is available right now\n{resources['intro']}\n\n{items}", visible=True)


def prompt_text(agent: str) -> str:
    """The prompt an agent reads now, to start an edit from."""
    return (PROMPTS_DIR / f"{AGENT_PROMPTS[agent]}.txt").read_text("utf-8")


def replay_table(outcome: dict[str, Any]) -> str:
    """A replay's changed fields, before and after, as a Markdown table."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        f"Replayed from the **{outcome['restarted_at']}** with {', '.join(outcome['change']['prompts'])} edited "
        f"({outcome['change']['chat_model']}).",
        "",
        "| field | before | after |",
        "|---|---|---|",
        *[f"| {row['field']} | {cell(row['old'])} | {cell(row['new'])} |" for row in outcome["diff"]],
        "",
        f"Unchanged: {', '.join(outcome['unchanged']) or 'nothing'}.",
    ]
    if not outcome["diff"]:
        lines[2:5] = ["The edited prompt changed nothing in the meta-response."]
    return "\n".join(lines)


def keep_upload(runner: TurnRunner, session: str, path: str | None) -> str | None:
    """Moves a recording from Gradio's upload cache into the session's folder, so deleting the
    session deletes it too."""
    if not path:
        return None
    folder = runner.settings.media / session / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{new_id()}{Path(path).suffix.lower()}"
    shutil.move(path, target)
    return str(target)


def build_ui(runner: TurnRunner) -> gr.Blocks:
    def respond(text, voice_in, video_in, history, session, gender, age, timbre) -> Iterator[tuple]:
        session = session or new_id()
        voice_in, video_in = keep_upload(runner, session, voice_in), keep_upload(runner, session, video_in)
        preferences = {
            k: v for k, v in (("gender", gender), ("age", age), ("timbre", timbre)) if v and v != ANY
        }
        try:
            request = runner.request(
                text=text or "",
                session_id=session,
                audio_path=voice_in,
                video_path=video_in,
                preferences=preferences,
            )
        except InputError as exc:
            raise gr.Error(str(exc)) from exc
        said = text or ("(a voice message)" if voice_in else "(a video message)")
        history = [*history, {"role": "user", "content": shown(said)}]
        yield step(
            chat=history, message="", voice_in=None, video_in=None, status="Listening…", session=session
        )
        asked = history
        try:
            for event in runner.stream(request):
                if event["event"] == "reply_text":  # the reply so far, a guarded sentence at a time
                    history = [*asked, {"role": "assistant", "content": shown(event["text"])}]
                    yield step(chat=history, status="Writing…", session=session)
                elif event["event"] == "node":
                    update = event["update"]
                    if "response" in update:
                        history = [*asked, {"role": "assistant", "content": shown(update["response"])}]
                        yield step(chat=history, status="Finding the voice…", session=session)
                    elif update.get("speech"):
                        yield step(
                            chat=history,
                            audio=update["speech"],
                            status="Animating the avatar…",
                            session=session,
                        )
                    elif event["node"] == "animate_face":
                        yield step(chat=history, video=update.get("video"), status="", session=session)
                elif event["event"] == "result":
                    result = event["result"]
                    trace = json.loads(json.dumps(runner.store.trace(result["turn"]), default=str))
                    yield step(
                        chat=history, video=result["video"], audio=result["speech"], why=why_panel(result), trace=trace,
                        status="", crisis=help_box(result, runner.settings.crisis_resources), session=session,
                    )  # fmt: skip
        except TurnFailed as exc:
            raise gr.Error(f"Something went wrong: {exc}") from exc

    def replay_last(session, agent, prompt):
        turns = runner.store.turns(session) if session else []
        if not turns:
            raise gr.Error("Send a message first: the replay re-runs this conversation's last turn.")
        try:
            outcome = replay(turns[-1]["id"], {agent: prompt}, settings=runner.settings)
        except ReplayError as exc:
            raise gr.Error(str(exc)) from exc
        return replay_table(outcome)

    def fresh():
        return (
            [],
            None,
            None,
            "",
            [],
            "",
            gr.update(value="", visible=False),
            new_id(),
            gr.update(visible=False),
        )

    def erase(session):
        if session:
            runner.delete_session(session)
        return (*fresh()[:-1], gr.update(visible=False))

    with gr.Blocks(title="EmpathyEar", analytics_enabled=False) as page:
        gr.Markdown("# EmpathyEar\nA companion that listens. Type, speak, or show me how you feel.")
        gr.Markdown(NOTICE, elem_id="notice")
        session = gr.State("")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=430, elem_id="chat")
                crisis = gr.Markdown(visible=False, elem_id="help")
                message = gr.Textbox(
                    label="Your message",
                    placeholder="Tell me what's on your mind…",
                    lines=2,
                    elem_id="message",
                )
                with gr.Row():
                    send = gr.Button("Send", variant="primary", elem_id="send")
                with gr.Accordion("Say it, or show me", open=False):
                    voice_in = gr.Audio(sources=["microphone", "upload"], type="filepath", label="Your voice")
                    video_in = gr.Video(
                        sources=["upload", "webcam"], label="A video of you", include_audio=True
                    )
            with gr.Column(scale=2):
                video = gr.Video(label="EmpathyEar", autoplay=True, interactive=False, elem_id="reply-video")
                audio = gr.Audio(label="Its voice", type="filepath", interactive=False, elem_id="reply-audio")
                status = gr.Markdown(elem_id="status")
                with gr.Tab("Why"):
                    why = gr.Markdown("The reasons behind each reply appear here.", elem_id="why")
                with gr.Tab("Trace"):
                    trace = gr.JSON(
                        label="Every node of the last turn: timing, inputs, outputs, prompts", elem_id="trace"
                    )
                    with gr.Accordion("Replay the last turn with an edited prompt", open=False):
                        agent = gr.Dropdown(list(AGENT_PROMPTS), value="responder", label="Agent")
                        prompt = gr.Textbox(
                            value=prompt_text("responder"),
                            lines=8,
                            label="Its prompt",
                            elem_id="replay-prompt",
                        )
                        rerun = gr.Button("Replay", elem_id="replay")
                        compared = gr.Markdown(elem_id="replay-diff")
                with gr.Accordion("Voice and avatar", open=False):
                    gender = gr.Dropdown([ANY, *GENDERS], value=ANY, label="Gender")
                    age = gr.Dropdown([ANY, *AGE_GROUPS], value=ANY, label="Age")
                    timbre = gr.Dropdown([ANY, *TIMBRES], value=ANY, label="Timbre")
                with gr.Row():
                    new = gr.Button("New conversation", elem_id="new")
                    delete = gr.Button("Delete conversation", variant="stop", elem_id="delete")
                confirm = gr.Button(
                    "Yes, delete this conversation and everything from it",
                    variant="stop",
                    visible=False,
                    elem_id="confirm",
                )

        outputs = [chat, message, voice_in, video_in, video, audio, why, trace, status, crisis, session]
        inputs = [message, voice_in, video_in, chat, session, gender, age, timbre]
        send.click(respond, inputs, outputs)
        message.submit(respond, inputs, outputs)
        cleared = [chat, video, audio, why, trace, status, crisis, session, confirm]
        new.click(fresh, None, cleared)
        delete.click(lambda: gr.update(visible=True), None, confirm)
        confirm.click(erase, session, cleared)
        agent.change(prompt_text, agent, prompt)
        rerun.click(replay_last, [session, agent, prompt], compared)
    return page
