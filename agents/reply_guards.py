"""Guards every generated reply passes, whatever model wrote it: a clean spoken form (no role
prefixes, quotes, markdown, lists, emoji or code; one to three whole sentences), then the checks
that reject it (unsafe, a promise about health or outcomes, another language, the wrong tone for
the feeling, someone else's specifics brought in)."""

from __future__ import annotations

import re

from agents.safety import is_safe_reply
from agents.strategies import UPBEAT_GROUPS, group_of
from agents.wording import content_words, looks_english, sentences, words

MAX_SENTENCES = 3
MIN_WORDS = 3
_ROLE = re.compile(r"^\s*(?:them|they|you|me|assistant|listener|speaker|friend|user|bot|ai)\s*:\s*", re.IGNORECASE)
_MARKUP = re.compile(r"[*_#`~<>\[\]{}|\\]|^\s*(?:[-•]|\d+[.)])\s+", re.MULTILINE)
_QUOTES = re.compile(r"[\"“”]")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_SPACE = re.compile(r"\s+")
# Promises no one can keep: a recovery, an outcome, a certainty about the future.
_PROMISE = re.compile(
    r"\b(?:(?:it|everything|things|that|she|he|they|you)(?:'ll| will| is going to| are going to|'s going to|'re going to) "
    r"(?:definitely |surely |certainly |totally )?(?:be (?:fine|okay|ok|alright|all right|better|cured|healthy)|"
    r"get better|recover|pull through|make it|work out|heal)|i promise|guarantee|for sure (?:be|get)|"
    r"will definitely|no doubt (?:you|she|he|they|it) will)\b",
    re.IGNORECASE,
)
_CHEER = re.compile(
    r"\b(?:congrat\w*|awesome|amazing|fantastic|wonderful|great news|that'?s great|so cool|that'?s cool|"
    r"how exciting|exciting|thrilling|brilliant|delight\w*|lovely|celebrat\w*|yay|lucky you|good for you|"
    r"happy for you|glad to hear|that'?s good|nice|fun)\b",
    re.IGNORECASE,
)
_MOURN = re.compile(
    r"\b(?:sorry|terrible|awful|horrible|sad to hear|that sucks|how sad|condolences|tragic|devastating|"
    r"that'?s rough|too bad|oh no)\b",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """The spoken form of a generated reply; empty when nothing whole is left."""
    text = _EMOJI.sub("", _QUOTES.sub("", text))
    lines = [_ROLE.sub("", line) for line in text.splitlines()]
    # A second speaker's line means the model went on writing the conversation: keep the first.
    text = _MARKUP.sub(" ", lines[0] if lines else "")
    text = re.sub(r"\s+([.!?,])", r"\1", _SPACE.sub(" ", text)).strip()
    kept = [s for s in sentences(text) if s[-1:] in ".!?"][:MAX_SENTENCES]
    return " ".join(kept)


def problems(reply: str, context: list[str], emotion: str) -> list[str]:
    """Why the reply must not be sent; empty when it may."""
    found = []
    if len(words(reply)) < MIN_WORDS:
        found.append("too short")
    if not is_safe_reply(reply):
        found.append("failed the safety check")
    if _PROMISE.search(reply):
        found.append("promises an outcome")
    if not looks_english(reply) or any(not ch.isascii() for ch in reply if ch.isalpha()):
        found.append("not English")
    upbeat = group_of(emotion) in UPBEAT_GROUPS
    if not upbeat and emotion != "surprised" and _CHEER.search(reply):
        found.append("cheers bad news")
    if upbeat and _MOURN.search(reply):
        found.append("mourns good news")
    mine = content_words(reply)
    if len(mine) >= 3 and sum(w in content_words(context[-1]) for w in mine) / len(mine) > 0.7:
        found.append("repeats the user's own words")
    said = " ".join(context).lower()
    strangers = [
        w for s in sentences(reply) for w in re.findall(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]{2,}\b", s)
        if w.lower() not in said and w not in ("I", "I'm", "I'd", "I've", "I'll")
    ]
    if strangers:
        found.append("names someone the user never mentioned")
    if re.search(r"\d", reply) and not re.search(r"\d", said):
        found.append("brings in numbers the user never gave")
    return found
