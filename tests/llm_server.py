"""A real HTTP server speaking the OpenAI chat-completions protocol, replying from a script."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = {
    "Emotion agent": {"label": "furious", "type": "explicit", "cause": "traffic was horrible", "confidence": 0.81},
    "Scene agent": {"scenario": "stuck-in-traffic", "rationale": "LLM: gridlock steals control of your time.",
                    "goal": "LLM: let them vent, then look ahead."},
    "You are EmpathyEar": {"response": "LLM: Gridlock like that would wear anyone down. What did you do once you finally got in?"},
    "Profile planner": {"timbre": "deep", "gender": "female", "age": "middle-aged adults"},
}  # fmt: skip
# Half of every agent's fields are wrong or missing.
PARTIAL = {
    "Emotion agent": {"label": "grumpy", "type": "explicit", "cause": "an invented cause the user never wrote"},
    "Scene agent": {"scenario": "not-a-scenario", "rationale": "LLM: partial rationale."},
    "You are EmpathyEar": {"response": "lol just get over it"},
    "Profile planner": {"timbre": "deep", "gender": "robot"},
}  # fmt: skip


# What a model that follows instructions answers to a responder prompt edited to ask for brevity.
BRIEF = {"response": "LLM: That sounds exhausting. I'm glad you told me."}
BRIEF_INSTRUCTION = "Answer in one short sentence."
TOOL_ARGUMENTS = {"pattern": "box", "rounds": 2}


def scripted_reply(mode: str, prompt: str) -> str:
    # Each prompt names its own agent first.
    agent = min((name for name in GOOD if name in prompt), key=prompt.index)
    if mode in ("good", "no-tools"):
        answer = BRIEF if agent == "You are EmpathyEar" and BRIEF_INSTRUCTION in prompt else GOOD[agent]
        return "Sure! Here you go:\n```json\n" + json.dumps(answer) + "\n```"
    if mode == "partial":
        return "Here is my answer: " + json.dumps(PARTIAL[agent]) + " Hope it helps."
    return "I am a language model and I think {feelings are [complicated"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        if self.server.mode == "error" or (self.server.mode == "no-tools" and body.get("tools")):
            self.send_response(500 if self.server.mode == "error" else 400)
            self.end_headers()
            return
        prompt = body["messages"][-1]["content"]
        message = {"role": "assistant", "content": scripted_reply(self.server.mode, prompt)}
        if self.server.mode == "good" and body.get("tools") and "You are EmpathyEar" in prompt:
            # A model that calls tools picks the first one it is offered, as the protocol sends it.
            tool = body["tools"][0]["function"]["name"]
            message["tool_calls"] = [{"id": "call-1", "type": "function",
                                      "function": {"name": tool, "arguments": json.dumps(TOOL_ARGUMENTS)}}]  # fmt: skip
        payload = json.dumps({"choices": [{"message": message}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep test output clean
        pass


@contextmanager
def serve(mode: str = "good"):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.mode = mode
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
