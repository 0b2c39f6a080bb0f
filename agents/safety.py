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
from vocabulary.text import normalise_text

_PARTNER = (
    r"(?:he|she|they|my (?:husband|wife|partner|boyfriend|girlfriend|dad|father|mom|mum|mother|"
    r"stepdad|stepfather|stepmom|stepmother|ex|brother|sister|uncle|aunt|grandpa|grandfather|cousin|coach))"
)
# Someone the person could harm: a pronoun or a person they name ("my stepdad", "that guy"), but not
# "shoot him a text", "hit him with the truth" or "hurt his feelings".
_PERSON = (
    r"(?:him|her|them|someone|somebody|people|everyone|everybody|(?:my|his|her|their|that|this|the) (?:\w+'s )?(?:new )?"
    r"(?:brother|sister|mom|mother|dad|father|step\w+|wife|husband|boyfriend|girlfriend|partner|son|daughter|"
    r"kids?|child|children|baby|boss|co-?worker|neighbou?r|friend|roommate|ex|teacher|cousin|family|dog|cat|guy|"
    r"man|woman|person|idiot|jerk))"
)
SOMEONE = _PERSON + r"\b(?!'s|\s+(?:feelings|a|an|with)\b)"
# The person's own intent, not someone else's ("Someone threatened to shoot up our school").
_I_INTEND = (
    r"\bi(?:'m|m| am|'ve| have|'ll|ll| will)? (?:\w+ ){0,2}?(?:going to|gonna|want(?:ed)? to|wanna|about to|ready to|"
    r"planning(?: on| how)?(?: to)?|plan(?:ned)?(?: on| how)? to|thinking (?:about|of)|bringing|taking)\s+"
)
_HARM = r"(?:kill(?:ing)?|shoot(?:ing)?|stab(?:bing)?|murder(?:ing)?|hurt(?:ing)?|attack(?:ing)?)"
_FIREARM = r"(?:guns?|rifles?|pistols?|shotguns?|weapons?)"  # a kitchen knife goes to a cooking class
_WEAPON = r"(?:guns?|knife|knives|rifles?|pistols?|shotguns?|weapons?|machete)"
_PLACE = (
    r"(?:school|class|classroom|college|campus|office|work|job|workplace|church|mosque|synagogue|temple|mall|"
    r"store|party|building|plant|factory)"
)
# An accident or a game is not self-harm or abuse: "I cut myself shaving", "he beat me at chess".
_ACCIDENT = r"(?! (?:shaving|cooking|on (?:the|a|my|this)|at (?:the|work|chess|cards|tennis)|playing|by accident|accidentally))"
_CRISIS_PATTERNS: dict[str, list[str]] = {
    "suicide": [
        r"\b(?:kill|killing|hang|hanging|shoot|shooting) my ?self\b",
        r"\bsuicid(?:e|al)\b(?! squad)",
        r"\b(?:end|ending|take|taking) (?:my (?:own )?life|it all)\b",
        r"\b(?:going|want|wanna|planning|plan) to end it (?:tonight|today|now|soon)\b",
        r"\b(?:don'?t|do not|no longer) want to (?:live|be alive|exist|be here anymore|wake up)\b",
        r"\b(?:want|wanna|wish|going|planning|plan)(?: to)? die\b(?! (?:of|from|laughing))",
        r"\b(?:wish|want) (?:i was|i were|to be) dead\b",
        r"\b(?:rather|better off) (?:be )?dead\b",
        r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on|being alive)\b",
        r"\b(?:everyone|they|world|family|nobody|no one) (?:would be|is|are|would) (?:better off|care) (?:without me|if i (?:was|were) gone|if i died)\b",
        r"\bjump(?:ing)? off (?:a|the) (?:bridge|roof|building|cliff)\b",
        r"\bcan'?t (?:go on|do this) any ?more\b.*\b(?:die|dead|end)\b",
        # Harm to someone else with themselves beside it: "I want to kill him and then myself".
        r"\b(?:kill|killing|hurt|hurting|shoot|shooting|harm|harming)\b[^.!?]{0,40}\b(?:and|then|or|maybe|even|"
        r"including|plus)\s+(?:then\s+|also\s+)?my ?self\b",
    ],
    "self_harm": [
        r"\b(?:cut|cutting|burn|burning|hurt|hurting|harm|harming|starve|starving) my ?self\b" + _ACCIDENT,
        r"\b(?:cut|cutting|slit|slitting|slash|slashing) (?:my )?wrists?\b",
        r"\b(?:been|started|start) cutting again\b",
        r"\bself[- ]?harm",
        r"\boverdos(?:e|ed|ing)\b(?! on (?:coffee|caffeine|sugar|chocolate|netflix|tv))",
        r"\b(?:took|take|taking|swallowed) (?:a (?:whole )?(?:bottle|handful|bunch) of|all (?:my|the)|too many) (?:pills|tablets|meds)\b",
    ],
    "abuse": [
        r"\b" + _PARTNER + r"(?: keeps| was| is|'s| has been| kept| always)? "
        r"(?:hits|hit|hitting|beats|beat|beating|chokes|choked|choking|strangled|kicks|kicked|kicking|punches|punched|"
        r"punching|slaps|slapped|slapping|hurts|hurting|burned|pushed|shoved|touches|touched|touching) me\b"
        r"(?! (?:up\b|at (?:chess|cards|tennis|golf|poker|pool|games?|video games|\w+ball)\b|in (?:a|the) (?:game|race|match)\b|"
        r"on (?:instagram|facebook|snapchat|whatsapp|the phone)))",
        r"\b(?:threatens|threatened|threatening) to kill me\b",
        r"\b(?:afraid|scared|terrified) (?:he|she|they)(?:'ll| will| might| is going to| are going to) (?:hurt|beat) me\b",
        r"\b(?:not|don'?t feel) safe (?:at home|in my (?:own )?home|with (?:him|her|them|my))\b",
        r"\b(?:abusing|abuses|abused|molesting|molested|raped) me\b",
    ],
    # Harm to others with a plan, a weapon or many people in it; anger said in words alone ("I'm
    # going to kill him") is met by the companion's own care (agents.reply_guards.wants_to_harm).
    "harm_to_others": [
        _I_INTEND + r"(?:\w+ ){0,2}?(?:shoot(?:ing)?|bomb(?:ing)?) up (?:my|the|a|this|our|that) " + _PLACE + r"\b",
        _I_INTEND + r"(?:(?:bring|take|get|grab|use)\w* )?(?:(?:a|my|his|her|the|their) )?(?:\w+'s )?"
        + _FIREARM + r" (?:to|into|in)(?: my| the)? " + _PLACE + r"\b",
        _I_INTEND + _HARM + " " + _PERSON + r"\b[^.!?]{0,30}\b" + _WEAPON + r"\b",
        _I_INTEND + r"(?:get|grab|use|take) (?:my|a|his|her|the|\w+'s) " + _WEAPON
        + r" and (?:kill|shoot|stab|hurt|attack) " + SOMEONE,
        r"\bi have a " + _WEAPON + r"[^.!?]{0,40}\b(?:use it|shoot|kill|stab)\w* (?:on )?" + SOMEONE,
        r"\bi(?:'ve| have|'m|m| am)? (?:been )?(?:planning|plotting|plan(?:ned)?)(?: on| how)?(?: to)? "
        r"(?:kill|murder|shoot|stab|poison)(?:ing)? " + SOMEONE,
        _I_INTEND + r"(?:shoot|stab|kill)(?:ing)? (?:everyone|everybody|all of them|people) (?:at|in) (?:my |the )?"
        + _PLACE + r"\b",
    ],
}
_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in pats] for kind, pats in _CRISIS_PATTERNS.items()}
# Only a negation right before the act counts: "I would never hurt myself" is reassurance, but
# "I'm not okay and want to die" is not.
_NEGATED = re.compile(
    r"\b(?:never|wouldn'?t|won'?t|would never|will never|not going to|don'?t want to|do not want to)\s+$",
    re.IGNORECASE,
)

_NOT = re.compile(r"\b(?:not|never|\w+n't)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CrisisSignal:
    kind: str  # "suicide" | "self_harm" | "abuse" | "harm_to_others"
    evidence: str  # the words that triggered it


# The scene families a crisis is read in: the scene agent chooses only among their scenes.
CRISIS_FAMILIES = {"suicide": "crisis intervention", "self_harm": "crisis intervention",
                   "abuse": "domestic violence support", "harm_to_others": "crisis intervention"}  # fmt: skip


# Characters no reader sees that can sit inside a word (zero-width spaces and joiners, the word
# joiner, a byte-order mark, a soft hyphen, direction marks): "my\u200bself" must read as "myself".
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")


def detect_crisis(text: str) -> CrisisSignal | None:
    """A crisis signal in the user's words, or None."""
    normalised = _INVISIBLE.sub("", text.replace("\u2019", "'"))
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            for match in pattern.finditer(normalised):
                # "I would never hurt myself" is reassurance, not a signal.
                if kind != "abuse" and _NEGATED.search(normalised[: match.start()][-40:]):
                    continue
                # The person's intent is inside the match: "I'm not going to shoot up my school".
                if kind == "harm_to_others" and _NOT.search(match.group(0)):
                    continue
                return CrisisSignal(kind, match.group(0))
    return None


def screen_turn(text: str, transcript: str | None = None) -> CrisisSignal | None:
    """The crisis check of a turn, wherever a turn is answered (the graph, the benchmarks): the whole
    typed message, not only the part the agents read (a long one is cut for them), and what was said
    in a recording."""
    return detect_crisis(" ".join(p for p in (normalise_text(text), transcript) if p))


def crisis_resources(path: Path | None = None) -> dict:
    """Help resources, from EMPATHYEAR_CRISIS_RESOURCES when set (same JSON shape). Read each time
    they are shown, never kept: an operator's corrected list is the one the next person sees."""
    resources = json.loads((path or KNOWLEDGE_DIR / "crisis_resources.json").read_text("utf-8"))
    if not isinstance(resources.get("intro"), str) or not resources.get("resources"):
        raise ValueError("crisis resources need an 'intro' and a non-empty 'resources' list")
    for entry in resources["resources"]:
        if not all(isinstance(entry.get(k), str) for k in ("name", "contact", "region")):
            raise ValueError("each crisis resource needs a name, contact and region")
    return resources


_OPENINGS = {
    "suicide": "I'm really glad you told me, and I'm so sorry you're carrying this much pain. "
    "What you're feeling matters, and you don't have to face it alone.",
    "self_harm": "Thank you for trusting me with this. It sounds like you're in a lot of pain right "
    "now, and you deserve care and support, not judgement.",
    "abuse": "I'm so sorry this is happening to you. It is not your fault, and your safety matters "
    "most right now.",
    "harm_to_others": "Thank you for telling me. Thoughts of hurting someone can come when anger or pain "
    "gets too big to hold, and you deserve real help with them right now. If you could act on them, "
    "please put some distance between you and anyone you might hurt, and anything you could hurt them with.",
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
