"""The `empathyear` command line: chat, history, trace, replay, delete, tools, index, serve."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from settings import quiet_libraries

NOTICE = (
    "EmpathyEar is an AI companion, not a substitute for professional care. "
    "If you are in danger or thinking of harming yourself, contact local emergency services."
)


def _runner():
    from models.allocator import cap_malloc_arenas
    from settings import Settings

    cap_malloc_arenas(Settings().malloc_arenas)  # a chat runs turn after turn, as the server does
    from graph.runner import TurnRunner

    try:
        return TurnRunner()
    except ValueError as exc:  # a setting that names nothing installed (EMPATHYEAR_LLM=..., ...)
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _print_reply(result: dict[str, Any]) -> None:
    meta = result["meta"]
    emotion, scene, profile = meta["emotion"], meta["scene"], meta["profile"]
    print(f"\nEmpathyEar: {meta['response']}\n")
    if result["input"].get("transcript"):
        print(f"  [heard] {result['input']['transcript']}")
    if emotion and scene:
        print(
            f"  [why] feeling {emotion['label']} ({emotion['type']}, {emotion['confidence']:.0%}) "
            f'because "{emotion["cause"]}"; scene: {scene["scenario"]}; goal: {scene["goal"]}'
        )
    if profile:
        print(f"  [avatar] {profile['timbre']} {profile['gender']} voice, {profile['age']}")
    if result.get("voice"):
        print(f"  [voice] {result['voice']['name']}: {result['voice']['reason']}")
    for medium in ("speech", "video"):
        if result.get(medium):
            print(f"  [{medium}] {result[medium]}")
    for warning in result["warnings"]:
        print(f"  [note] {warning}")
    print(f"  [session {result['session']} · turn {result['turn']}]")


def _request(args: argparse.Namespace, text: str, session: str | None):
    """The validated turn request; checked before any model or database is touched."""
    from graph.runner import TurnRunner

    preferences = {
        k: v for k, v in (("gender", args.gender), ("age", args.age), ("timbre", args.timbre)) if v
    }
    media = {k: str(v.resolve()) for k, v in (("audio_path", args.audio), ("video_path", args.video)) if v}
    return TurnRunner.request(
        text=text, session_id=session, out_dir=args.out, want_speech=not args.no_speech,
        want_video=not args.no_video, preferences=preferences, **media,
    )  # fmt: skip


def cmd_chat(args: argparse.Namespace) -> int:
    from graph.runner import InputError, TurnFailed

    if args.message is not None or args.text is not None or args.audio or args.video:
        try:
            request = _request(args, " ".join(t for t in (args.message, args.text) if t), args.session)
            result = _runner().run(request)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except TurnFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            _print_reply(result)
        return 0
    return _interactive(args)


def _interactive(args: argparse.Namespace) -> int:
    from graph.runner import InputError, TurnFailed

    print(f"EmpathyEar - {NOTICE}\nLoading... (type a message and press Enter; Ctrl-D or 'quit' to leave)")
    runner = _runner()
    session = args.session
    while True:
        try:
            text = input("\nYou: ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text.strip().lower() in {"quit", "exit"}:
            return 0
        if not text.strip():
            continue
        try:
            result = runner.run(_request(args, text, session))
        except (InputError, TurnFailed) as exc:
            print(f"error: {exc}")
            continue
        session = result["session"]
        _print_reply(result)


def cmd_history(args: argparse.Namespace) -> int:
    from memory.store import Store
    from settings import Settings

    store = Store.from_settings(Settings())
    turns = store.turns(args.session)
    if not turns:
        print(f"error: no session {args.session!r}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(turns, ensure_ascii=False, default=str))
        return 0
    for turn in turns:
        print(f"#{turn['seq']} turn {turn['id']} [{turn['status']}]")
        print(f"  You: {turn['user_text']}")
        if turn["reply"]:
            emotion = (turn["meta"] or {}).get("emotion", {})
            print(f"  EmpathyEar: {turn['reply']}")
            print(
                f"  (feeling {emotion.get('label')}; scene {(turn['meta'] or {}).get('scene', {}).get('scenario')})"
            )
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    from graph.trace_export import export_trace
    from memory.store import Store
    from settings import Settings

    store = Store.from_settings(Settings())
    turn = store.turn(args.turn)
    if turn is None:
        print(f"error: no turn {args.turn!r}", file=sys.stderr)
        return 2
    events = store.trace(args.turn)
    if args.json:
        print(json.dumps(export_trace(turn, events), ensure_ascii=False, default=str))
        return 0
    print(f"turn {args.turn} of session {turn['session_id']} [{turn['status']}]")
    for event in events:
        print(f"- {event['node']:<18} {event['duration_ms']:>9.1f} ms  policy={event.get('policy', '-')}")
        for key in ("inputs", "outputs"):
            print(f"    {key}: {json.dumps(event.get(key), ensure_ascii=False, default=str)[:300]}")
        for key in ("fallbacks", "warnings"):
            if event.get(key):
                print(f"    {key}: {event[key]}")
        if event.get("prompt"):
            print(
                f"    prompt: {len(event['prompt'])} chars; raw output: {str(event.get('raw_output'))[:300]!r}"
            )
    if turn["timings"]:
        print(f"total {turn['timings'].get('total', 0):.1f} ms")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from graph.replay import AGENT_PROMPTS, ReplayError, replay
    from settings import Settings

    prompts = {}
    for item in args.prompt:
        agent, _, file = item.partition("=")
        if agent not in AGENT_PROMPTS or not file:
            print(
                f"error: --prompt takes AGENT=FILE with AGENT one of {', '.join(AGENT_PROMPTS)}",
                file=sys.stderr,
            )
            return 2
        try:
            prompts[agent] = Path(file).read_text("utf-8")
        except OSError as exc:
            print(f"error: cannot read the prompt file {file}: {exc.strerror}", file=sys.stderr)
            return 2
    settings = Settings()
    chat_model: Any = "configured"
    try:
        if args.llm:
            from graph.backends import load_chat_model

            chat_model = load_chat_model(dataclasses.replace(settings, llm=args.llm.lower()))
        outcome = replay(args.turn, prompts, chat_model, settings)
    except (ReplayError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(outcome, ensure_ascii=False, default=str))
        return 0
    print(f"turn {outcome['turn']} replayed from the {outcome['restarted_at']} with {outcome['change']}")
    width = 44
    print(f"{'field':<22} {'before':<{width}} after")
    for row in outcome["diff"]:
        before, after = (str(row[k])[: width - 2] for k in ("old", "new"))
        print(f"{row['field']:<22} {before:<{width}} {after}")
    print(f"unchanged: {', '.join(outcome['unchanged']) or 'nothing'}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from graph.runner import InputError

    try:
        runner = _runner()
        if not runner.store.session_exists(args.session):
            raise InputError(f"there is no session {args.session!r}: nothing was deleted")
        deleted = runner.delete_session(args.session)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"deleted session {args.session}: {deleted} turn(s) with their traces, checkpoints and media")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from asset_index.build import build_indexes
    from settings import Settings

    path = Settings().index
    for kind, outcome in build_indexes(path, force=args.force).items():
        state = "built" if outcome["rebuilt"] else "already up to date"
        print(f"{kind}: {outcome['entries']} entries, {state} ({path})")
    return 0


def cmd_tools(args: argparse.Namespace) -> int:
    from settings import Settings
    from tools.registry import describe

    rows = describe(Settings())
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in sorted(rows, key=lambda r: (str(r["role"]), r["name"])):
        state = "active" if row["active"] else "installed"
        if row["problem"]:
            state = f"broken: {row['problem']}"
        flags = f" [{', '.join(row['capabilities'])}]" if row["capabilities"] else ""
        print(f"{str(row['role']):<22} {row['name']:<16} {state:<10} from {row['package']}{flags}")
        if row["description"]:
            print(f"{'':<22} {row['description']}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Brings the store's schema (and the checkpointer's) up to date, as every start does."""
    from graph.state import STATE_TYPES
    from memory.checkpoints import checkpoints_location, open_checkpointer
    from memory.migrations import SchemaTooNew, upgrade
    from memory.store import open_database
    from settings import Settings

    settings = Settings()
    database = open_database(settings.database_url or settings.database)
    try:
        before, after = upgrade(database)
    except SchemaTooNew as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        database.close()
    open_checkpointer(checkpoints_location(settings), STATE_TYPES)
    where = "PostgreSQL" if settings.database_url else str(settings.database)
    print(f"schema version {after} ({where}); " + (f"upgraded from {before}" if before != after else "already up to date"))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from memory.migrations import SchemaTooNew
    from ui.server import serve

    try:
        serve(args.host, args.port)
    except SchemaTooNew as exc:  # never serve on tables this version does not understand
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="empathyear", description=f"An empathetic companion. {NOTICE}")
    commands = root.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="say something (no message: interactive chat)")
    chat.add_argument("message", nargs="?", help="what you want to say")
    chat.add_argument("--text", help="words to go with --audio or --video (same as the message)")
    chat.add_argument("--audio", type=Path, help="a recording of you speaking: wav, mp3, m4a, ogg or webm")
    chat.add_argument("--video", type=Path, help="a video of you speaking: mp4, webm or mov")
    chat.add_argument("--session", help="continue this session (created if new)")
    chat.add_argument("--out", type=Path, help="folder for the reply's speech and video")
    chat.add_argument("--no-speech", action="store_true", help="text only (no speech, no video)")
    chat.add_argument("--no-video", action="store_true", help="no avatar video")
    chat.add_argument("--json", action="store_true", help="print the turn as one JSON object")
    chat.add_argument("--gender", choices=["male", "female"], help="avatar gender you prefer")
    chat.add_argument("--age", help="avatar age group you prefer, e.g. 'young adults'")
    chat.add_argument("--timbre", help="voice timbre you prefer, e.g. soft")
    chat.set_defaults(run=cmd_chat)

    history = commands.add_parser("history", help="the turns of a session")
    history.add_argument("--session", required=True)
    history.add_argument("--json", action="store_true")
    history.set_defaults(run=cmd_history)

    trace = commands.add_parser("trace", help="every node of one turn, with timings")
    trace.add_argument("turn")
    trace.add_argument("--json", action="store_true")
    trace.set_defaults(run=cmd_trace)

    replay = commands.add_parser(
        "replay", help="re-run a recorded turn with edited prompts or another chat model, side by side"
    )
    replay.add_argument("turn")
    replay.add_argument(
        "--prompt", action="append", default=[], metavar="AGENT=FILE",
        help="replace an agent's prompt (emotion, scene, responder, profile); repeatable",
    )  # fmt: skip
    replay.add_argument(
        "--llm", help="chat model for the replay: embedded, openai, transformers or a plugin's"
    )
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(run=cmd_replay)

    delete = commands.add_parser("delete", help="erase a session and everything derived from it")
    delete.add_argument("--session", required=True)
    delete.set_defaults(run=cmd_delete)

    tools = commands.add_parser("tools", help="installed tools and backends, by role, and which are in use")
    tools.add_argument("--json", action="store_true")
    tools.set_defaults(run=cmd_tools)

    server = commands.add_parser("serve", help="the web page at / and the REST API under /v1, in one process")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=7860)
    server.set_defaults(run=cmd_serve)

    database = commands.add_parser("db", help="the database of sessions, turns and checkpoints")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade = database_commands.add_parser("upgrade", help="bring its schema up to date (every start does this too)")
    upgrade.set_defaults(run=cmd_db_upgrade)

    index = commands.add_parser("index", help="the voice and face library's vector index")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    build = index_commands.add_parser("build", help="(re)build the index; does nothing when it is up to date")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.set_defaults(run=cmd_index)
    return root


def main(argv: list[str] | None = None) -> int:
    quiet_libraries()
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
