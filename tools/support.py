"""Support tools beside the reply (tools.contract): which ones a turn uses, and calling them within a
time limit. Those a tool-calling chat model called come first; without any, each support tool's own
`offer` decides. A plugin's mistake (a failed offer, bad arguments, an error, a hang) costs only that
tool's part, said in a warning; the reply always goes out."""

from __future__ import annotations

import itertools
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CallTimeout
from dataclasses import dataclass
from typing import Any

from tools.conformance import ContractError, validate_tool
from tools.contract import SUPPORT_ROLE, SupportContext

log = logging.getLogger("empathyear.support")
TIMEOUT_S = 10.0  # a support tool that takes longer is left out of the turn
# A call past its time cannot be stopped: it finishes unheard on one of these workers, so a tool that
# hangs holds at most this many threads, and later calls wait on them (and time out) instead.
WORKERS = 2
_DESKS = itertools.count(1)


@dataclass(frozen=True)
class Chosen:
    tool: Any
    arguments: dict[str, Any]
    chosen_by: str  # "chat model" | "offer"


class SupportDesk:
    """The support tools' calls for one app, on its own bounded pool."""

    def __init__(self, timeout_s: float = TIMEOUT_S):
        self.timeout_s = timeout_s
        self.thread_prefix = f"support-{next(_DESKS)}"  # its workers' names, apart from other apps'
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=self.thread_prefix)

    def choose(
        self, tools: list[Any], tool_calls: list[dict], context: SupportContext
    ) -> tuple[list[Chosen], list[str]]:
        """The tools this turn uses with their arguments, and warnings for tools that do not follow
        the contract and for offers that failed."""
        # Discovered plugins were checked when found; tools handed to the registry directly (an
        # embedding app) meet the same check here.
        warnings, conforming = [], []
        for tool in tools:
            try:
                validate_tool(tool, SUPPORT_ROLE)
            except ContractError as exc:
                warnings.append(f"{exc}; left out")
                continue
            conforming.append(tool)
        tools = conforming
        by_name = {t.name: t for t in tools}
        chosen = [Chosen(by_name[c["name"]], c.get("arguments") or {}, "chat model")
                  for c in tool_calls if c.get("name") in by_name]  # fmt: skip
        if chosen:
            return chosen, warnings
        for tool in tools:
            # A tool flagged llm_callable may have no `offer`: it waits for a chat model to call it.
            offer = getattr(tool, "offer", None)
            if offer is None:
                continue
            try:
                offered = offer(context)
            except Exception as exc:  # a plugin's bug must not cost the reply
                warnings.append(f"support tool {tool.name} failed to decide ({type(exc).__name__})")
                continue
            if offered is not None:
                chosen.append(Chosen(tool, offered, "offer"))
        return chosen, warnings

    def call(
        self, chosen: Chosen, out_dir: str
    ) -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
        """The checked arguments, what the tool produced (None when it failed) and the warning then."""
        tool = chosen.tool
        try:
            checked = tool.args_schema.model_validate(chosen.arguments).model_dump()
            running = self._pool.submit(tool.invoke, {**checked, "out_dir": out_dir})
            produced = running.result(timeout=self.timeout_s)
        except CallTimeout:
            late = f"support tool {tool.name} took over {self.timeout_s:.0f} s; the reply goes without it"
            return chosen.arguments, None, late
        except Exception as exc:
            log.warning("support tool %s failed: %s: %.300s", tool.name, type(exc).__name__, exc)
            return chosen.arguments, None, f"support tool {tool.name} failed; the reply goes without it"
        return checked, produced, None
