"""The safety route: crisis detection, the safety responder, and the check every reply passes.

Crisis patterns are deliberately literal (first person, a concrete act) so that figures of speech
such as "this exam is killing me" or "I could die of embarrassment" do not fire.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from agents.catalogue import KNOWLEDGE_DIR

_CRISIS_PATTERNS: dict[str, list[str]] = {
    "suicide": [
        r"\b(?:kill|killing|hang|hanging|shoot|shooting) myself\b",
        r"\bsuicid(?:e|al)\b",
        r"\b(?:end|ending|take|taking) (?:my (?:own )?life|it all)\b",
        r"\b(?:don'?t|do not|no longer) want to (?:live|be alive|exist|be here anymore|wake up)\b",
        r"\b(?:want|wanna|wish|going|planning|plan) to die\b(?! (?:of|from|laughing))",
        r"\bwish (?:i was|i were|to be) dead\b",
        r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on|being alive)\b",
        r"\b(?:everyone|they|world|family) (?:would be|is|are) better off (?:without me|if i (?:was|were) gone|if i died)\b",
        r"\bbetter off dead\b",
        r"\bcan'?t (?:go on|do this) any ?more\b.*\b(?:die|dead|end)\b",
    ],
    "self_harm": [
        r"\b(?:cut|cutting|burn|burning|hurt|hurting|harm|harming|starve|starving) myself\b",
        r"\bself[- ]?harm",
        r"\boverdos(?:e|ed|ing)\b",
        r"\b(?:took|take|taking|swallowed) (?:a (?:whole )?(?:bottle|handful) of|all (?:my|the)) (?:pills|tablets)\b",
    ],
    "abuse": [
        r"\b(?:he|she|they|my (?:husband|wife|partner|boyfriend|girlfriend|dad|father|mom|mum|mother|stepdad|stepfather|stepmom|ex|brother|sister|uncle))"
        r" (?:hits|hit|beats|beat|chokes|choked|strangled|kicks|kicked|punches|punched|slaps|slapped|hurts|burned) me\b",
        r"\b(?:threatens|threatened|threatening) to kill me\b",
        r"\b(?:afraid|scared|terrified) (?:he|she|they)(?:'ll| will| might| is going to| are going to) (?:kill|hurt|beat) me\b",
        r"\b(?:not|don'?t feel) safe (?:at home|in my (?:own )?home|with (?:him|her|them|my))\b",
        r"\b(?:abusing|abuses|abused|molesting|molested|raped) me\b",
    ],
}
_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in pats] for kind, pats in _CRISIS_PATTERNS.items()}
_NEGATED = re.compile(r"\b(?:never|not|wouldn'?t|won'?t|would never)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


@dataclass(frozen=True)
class CrisisSignal:
    kind: str  # "suicide" | "self_harm" | "abuse"
    evidence: str  # the words that triggered it


def detect_crisis(text: str) -> CrisisSignal | None:
    """A crisis signal in the user's words, or None."""
    normalised = text.replace("\u2019", "'")
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            for match in pattern.finditer(normalised):
                # "I would never hurt myself" is reassurance, not a signal.
                if kind != "abuse" and _NEGATED.search(normalised[: match.start()][-40:]):
                    continue
                return CrisisSignal(kind, match.group(0))
    return None


@functools.lru_cache(maxsize=4)
def crisis_resources(path: Path | None = None) -> dict:
    """Help resources, from EMPATHYEAR_CRISIS_RESOURCES when set (same JSON shape)."""
    return json.loads((path or KNOWLEDGE_DIR / "crisis_resources.json").read_text("utf-8"))


_OPENINGS = {
    "suicide": "I'm really glad you told me, and I'm so sorry you're carrying this much pain. "
    "What you're feeling matters, and you don't have to face it alone.",
    "self_harm": "Thank you for trusting me with this. It sounds like you're in a lot of pain right "
    "now, and you deserve care and support, not judgement.",
    "abuse": "I'm so sorry this is happening to you. It is not your fault, and your safety matters "
    "most right now.",
}


def safety_reply(signal: CrisisSignal, resources: dict) -> str:
    """A caring reply that points to real help."""
    lines = [
        _OPENINGS[signal.kind],
        resources["intro"],
        *[f"- {r['name']} ({r['region']}): {r['contact']}" for r in resources["resources"]],
        "I'm an AI companion, not a substitute for a professional or emergency help, but I'm here "
        "to listen. Is there someone you trust who could be with you right now?",
    ]
    return "\n".join(lines)


@functools.lru_cache(maxsize=1)
def _unkind_patterns() -> list[re.Pattern[str]]:
    table = json.loads((KNOWLEDGE_DIR / "unkind_replies.json").read_text("utf-8"))
    return [re.compile(r"\b" + p + r"\b", re.IGNORECASE) for p in table["patterns"]]


def unkind_phrases(reply: str) -> list[str]:
    """Phrases that make a reply unkind, blaming, mocking or harmful; empty when it is safe."""
    return [m.group(0) for p in _unkind_patterns() for m in [p.search(reply)] if m]


def is_safe_reply(reply: object) -> bool:
    return isinstance(reply, str) and bool(reply.strip()) and not unkind_phrases(reply)
