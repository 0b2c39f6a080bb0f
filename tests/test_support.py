"""Support tools: which a turn uses, and a plugin's mistake costing only its own part."""

import threading
import time
from typing import ClassVar

from pydantic import BaseModel

from tools.contract import SUPPORT_ROLE, BaseTool, SupportContext
from tools.support import WORKERS, SupportDesk

CONTEXT = SupportContext("I can't sleep before my exam.", "anxious", "fear", "exam-stress", "Calm them.")


class Minutes(BaseModel):
    minutes: int = 2


class Breathing(BaseTool):
    name: ClassVar[str] = "breathing"
    role: ClassVar[str] = SUPPORT_ROLE
    description: ClassVar[str] = "A short breathing exercise."
    args_schema: ClassVar[type[BaseModel]] = Minutes

    def __init__(self, hang: threading.Event | None = None):
        self.hang = hang

    def offer(self, context):
        return {"minutes": 3} if context.emotion == "anxious" else None

    def invoke(self, args):
        if self.hang is not None:
            self.hang.wait(30)
        return {"text": f"Breathe slowly with me for {args['minutes']} minutes."}


class BrokenOffer(Breathing):
    name: ClassVar[str] = "broken"

    def offer(self, context):
        raise RuntimeError("bug")


def test_a_chat_models_call_wins_over_offers_and_arguments_are_checked():
    desk = SupportDesk()
    called = [{"name": "breathing", "arguments": {"minutes": "5"}}]
    chosen, warnings = desk.choose([Breathing()], called, CONTEXT)
    assert [(c.chosen_by, c.arguments) for c in chosen] == [("chat model", {"minutes": "5"})] and not warnings
    arguments, produced, problem = desk.call(chosen[0], "/tmp")
    assert arguments == {"minutes": 5} and "5 minutes" in produced["text"] and problem is None
    wrong, _ = desk.choose([Breathing()], [{"name": "breathing", "arguments": {"minutes": "x"}}], CONTEXT)
    bad = desk.call(wrong[0], "/tmp")
    assert bad[1] is None and "failed; the reply goes without it" in bad[2]


def test_a_failed_offer_is_a_warning_and_the_others_still_offer():
    chosen, warnings = SupportDesk().choose([BrokenOffer(), Breathing()], [], CONTEXT)
    assert [c.tool.name for c in chosen] == ["breathing"]
    assert warnings == ["support tool broken failed to decide (RuntimeError)"]


def test_a_hanging_tool_is_left_out_in_time_and_holds_at_most_the_desks_workers():
    release = threading.Event()
    desk = SupportDesk(timeout_s=0.2)
    hanging = desk.choose([Breathing(hang=release)], [], CONTEXT)[0][0]
    try:
        for _ in range(WORKERS + 2):
            started = time.perf_counter()
            _, produced, problem = desk.call(hanging, "/tmp")
            assert produced is None and "took over 0 s" in problem
            assert time.perf_counter() - started < 2.0
        assert sum(t.name.startswith(f"{desk.thread_prefix}_") for t in threading.enumerate()) <= WORKERS
    finally:
        release.set()


def test_a_tool_that_breaks_the_contract_is_left_out_saying_what_it_lacks():
    class Bare:
        name, role = "bare", SUPPORT_ROLE

        def invoke(self, args):
            return {"text": "hi"}

    chosen, warnings = SupportDesk().choose([Bare(), Breathing()], [{"name": "bare"}], CONTEXT)
    assert [c.tool.name for c in chosen] == ["breathing"]
    lacks = "description, args_schema, capabilities, ainvoke, offer"
    assert warnings == [f"support tool bare lacks {lacks} (tools.contract); left out"]
