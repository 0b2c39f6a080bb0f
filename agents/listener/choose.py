"""Picks one reply among the listener's candidates: guards first, then a score."""

from __future__ import annotations

import re

import numpy as np

from agents.listener.examples import key_text, replies_like
from agents.listener.model import Candidate
from agents.listener.valence import upbeat
from agents.reply_guards import QUESTION_CUE, REASSURE, SELF_BLAME, clean, problems, takes_sides
from agents.wording import content_words, sentences
from vocabulary.emotions import UPBEAT_FAMILIES, family_of

# A sentence about the listener's own life ("I have never done a marathon", "I hate moving") turns
# the conversation to the friend; these first-person openings stay with the person instead.
_ABOUT_THEM = re.compile(
    r"^i(?:'d| would) (?:really )?(?:be|feel|(?:love|like|want) to (?:hear|know|understand|help|try))\b|"
    r"^i(?:'m| am|'ll| will)? (?:so |really |very |just |still |right |honestly )?(?:sorry|glad|happy|proud|hope|bet|"
    r"can (?:only )?imagine|understand|know how|think|feel for you|love that you|wish you|can see|can tell|can't imagine|"
    # Presence and honesty, not a life story: what a companion says to someone frustrated, low or
    # asking how something will turn out ("I'm here with you", "I can't know how it will go").
    r"here|hear (?:you|how)|listening|all ears|listen|try again|won't (?:say|pretend)|"
    r"(?:do )?want to (?:hear|understand|help)|(?:can't|cannot) (?:know|promise|predict)|"
    r"(?:can't|cannot) (?:say|tell you) (?:for sure|how|what|whether|if)|wish i could (?:tell|say|promise)|"
    r"don't think (?:it's|that's|you|so|there's))\b",
    re.IGNORECASE,
)


def about_themselves(text: str) -> int:
    """How many of the reply's sentences are the listener talking about themselves."""
    return sum(1 for s in sentences(text) if re.match(r"i\b|i'", s, re.I) and not _ABOUT_THEM.match(s))


def score(text: str, candidate: Candidate, context: list[str]) -> float:
    """Higher is better: the model's own confidence, plus what a careful reader looks for: the
    user's own subject taken up, a question answered, self-blame met gently, the talk kept on them."""
    message = context[-1]
    mine = set(content_words(text))
    overlap = len(mine & set(content_words(message))) / max(1, len(mine))
    value = candidate.mean_logprob + 0.8 * overlap
    asks = bool(QUESTION_CUE.search(message.strip()))
    if asks and "?" in text and not re.search(r"\b(?:i think|maybe|might|could|i'd|i would)\b", text, re.I):
        value -= 0.5  # a question answered with a question
    if SELF_BLAME.search(message) and REASSURE.search(text):
        value += 0.6
    return value - 0.5 * about_themselves(text)


def _standardised(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return (array - array.mean()) / (array.std() + 1e-6)


WRONG_TONE = 0.6  # how far a candidate's tone may sit from the one the moment calls for


def expected_tone(emotion: str, message_upbeat: float) -> float:
    """How upbeat the reply should read: the emotion's side, tempered by how the message itself
    reads (the label can be wrong: a neighbour's kindness read as anger). A two-sided feeling takes
    the message's reading alone."""
    if emotion == "surprised":
        return message_upbeat
    return 0.5 * float(family_of(emotion) in UPBEAT_FAMILIES) + 0.5 * message_upbeat


def pick_opening(openings: list[Candidate], context: list[str], emotion: str) -> tuple[int | None, list[dict]]:
    """The best opening that passes every guard (None if none does) and what was judged of each.

    Its tone is read first (agents.listener.valence): one far from what the moment calls for is
    refused like any guard's failure. Among those left, four readings count, each standardised over
    the candidates: the score above (half weight); how close the opening is to the message (MiniLM
    cosine: on the point, not generic); how close it is to the replies the listener learnt for the
    nearest training situations (agents.listener.examples: the tone taken with a scare, a loss, a
    win); and how near its tone is to the expected one."""
    from models.encoder import embed

    judged = []
    for candidate in openings:
        text = clean(candidate.text)
        reasons = problems(text, context, emotion)
        judged.append({"text": text, "raw": candidate.text, "problems": reasons,
                       "score": None if reasons else round(score(text, candidate, context), 3)})  # fmt: skip
    passing = [i for i, j in enumerate(judged) if not j["problems"]]
    if not passing:
        return None, judged
    vectors = embed([judged[i]["text"] for i in passing] + [context[-1], key_text(context)])
    replies, message, situation = vectors[:-2], vectors[-2], vectors[-1]
    tones = upbeat(replies)
    if tones is not None:
        message_tone = float(upbeat(message[None], "message")[0])
        wanted = expected_tone(emotion, message_tone)
        # When the label and the message's own tone disagree, the moment is unclear: take no side.
        unclear = emotion != "surprised" and abs(float(family_of(emotion) in UPBEAT_FAMILIES) - message_tone) > 0.5
        off = np.abs(tones - wanted)
        for i, distance in zip(passing, off, strict=True):
            judged[i]["tone_off"] = round(float(distance), 3)
            if distance > WRONG_TONE:
                judged[i]["problems"].append("the wrong tone for the moment")
            elif unclear and takes_sides(judged[i]["text"]):
                judged[i]["problems"].append("takes a side where the moment is unclear")
        keep = [k for k, i in enumerate(passing) if not judged[i]["problems"]]
        passing, replies, off = [passing[k] for k in keep], replies[keep], off[keep]
        if not passing:
            return None, judged
    else:
        off = np.zeros(len(passing))
    if len(passing) == 1:
        return passing[0], judged
    on_point = replies @ message
    examples = replies_like(situation)
    like_people = (replies @ examples.T).mean(1) if examples is not None else np.zeros(len(passing))
    # A reading that is the same for every candidate (no index, no tone heads) standardises to zero.
    total = (0.5 * _standardised([judged[i]["score"] for i in passing]) + _standardised(on_point)
             + _standardised(like_people) - _standardised(off))  # fmt: skip
    for i, row, people, value in zip(passing, on_point, like_people, total, strict=True):
        judged[i].update(on_point=round(float(row), 3), like_people=round(float(people), 3), total=round(float(value), 3))
    return passing[int(np.argmax(total))], judged


# After the opening, the small model's sentences that begin with the listener ("I hope you win a big
# prize!" to a lottery win, "I have always loved helping elderly people.") or hand out advice ("You
# should apologize to your landlord") were where its replies went wrong, in reading held-out ones;
# its questions and words about the person held up. Those two are all it may add.
_LATER_REFUSED = re.compile(r"^(?:i|i'm|i've|i'd|i'll|me|my)\b|\byou (?:should|need to|have to|must not)\b", re.I)


def accept_sentence(sentence: str, context: list[str], emotion: str, later: bool = False) -> str | None:
    """A sentence's spoken form, or None when it fails a guard; a `later` one (after the opening) may
    be short, and must ask something or keep to the person (see _LATER_REFUSED)."""
    text = clean(sentence)
    if not text:
        return None
    if later and not text.endswith("?") and _LATER_REFUSED.search(text):
        return None
    return None if [p for p in problems(text, context, emotion) if p != "too short"] else text
