"""Picks one reply among the listener's candidates: guards first, then the readings a reranker weighs."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np

from agents.listener.examples import key_text, replies_like
from agents.listener.model import Candidate
from agents.listener.valence import upbeat
from agents.reply_guards import asked_about_me, clean, problems, takes_sides
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


# Asked about itself, the companion answers what it is (agents.reply_guards.companion_line); a
# sentence of the model's own that tells of a life, a taste or a family of its own is made up.
_OWN_LIFE = re.compile(
    r"^(?:my|mine|me too|same here)\b|\b(?:me too|i do too|my (?:favou?rite|own|family|life))\b",
    re.IGNORECASE,
)


def claims_a_life(text: str, context: list[str]) -> bool:
    """Whether, asked about itself, the reply makes up a life of its own to answer with."""
    return asked_about_me(context[-1]) and bool(about_themselves(text) or _OWN_LIFE.search(text))


WRONG_TONE = 0.6  # how far a candidate's tone may sit from the one the moment calls for
# ... and a sentence that follows the opening, read alone: a cheer reads 0.9 from weight gained
# ("That's a big accomplishment!").
FAR_AFTER = 0.85


def expected_tone(emotion: str, message_upbeat: float) -> float:
    """How upbeat the reply should read: the emotion's side, tempered by how the message itself
    reads (the label can be wrong: a neighbour's kindness read as anger). A two-sided feeling takes
    the message's reading alone."""
    if emotion == "surprised":
        return message_upbeat
    return 0.5 * float(family_of(emotion) in UPBEAT_FAMILIES) + 0.5 * message_upbeat


# Where a message turns ("I love mystery boxes! Unfortunately I never get anything good."), what
# follows the turn is how it reads: on the 244 EmpatheticDialogues validation situations that turn so,
# the message head took the side of the feeling on 73% of them read after the turn, 69% read whole.
_TURN = re.compile(
    r"\b(?:but|however|unfortunately|sadly|luckily|fortunately|thankfully|only to)\b[, ]*", re.IGNORECASE
)


def after_the_turn(message: str) -> str | None:
    """What the message says after its last turn, when that is three words or more."""
    rest = _TURN.split(message)[-1]
    return rest if rest != message and len(rest.split()) >= 3 else None


# What the reranker reads of each candidate opening; agents.listener.reranker learns how much each
# counts from readers' ratings of the listener's own candidates.
READINGS = (
    "confidence",  # the model's mean log-probability of what it wrote
    "on_point",  # MiniLM cosine to the message
    "on_situation",  # ... to the last two utterances
    "like_people",  # ... to the replies learnt for the nearest training situations
    "agreement",  # ... to the other candidates: what most of them say is seldom a misreading
    "tone_off",  # how far its tone is from the one the moment calls for
    "upbeat",
    "overlap",  # the share of its content words taken from the message
    "asks",
    "words",
    "about_them",  # sentences about the listener's own life
)
RERANKER = Path(__file__).resolve().parent.parent / "artifacts" / "listener_reranker.json"


@functools.cache
def _weights(path: Path = RERANKER) -> np.ndarray:
    """Per reading, how much a unit of it counts; without the learnt file, the model's confidence
    alone."""
    if not path.exists():
        return np.array([float(name == "confidence") for name in READINGS])
    learnt = json.loads(path.read_text())["weights"]
    return np.array([learnt.get(name, 0.0) for name in READINGS])


def readings(
    texts: list[str], confidences: list[float], context: list[str], emotion: str
) -> tuple[np.ndarray, float | None]:
    """Every reading of READINGS for each candidate (rows), and how upbeat the message reads (None
    without the tone heads, when no tone is read)."""
    from models.encoder import embed

    message = context[-1]
    turned = after_the_turn(message)
    vectors = embed([*texts, message, key_text(context), *([turned] if turned else [])])
    replies, (message_vector, situation, *after) = vectors[: len(texts)], vectors[len(texts) :]
    # The message's tone is read after its turn, if it has one; the whole is what is on point.
    tone_vector = after[0] if after else message_vector
    examples = replies_like(situation)
    like_people = (replies @ examples.T).mean(1) if examples is not None else np.zeros(len(texts))
    others = max(1, len(texts) - 1)
    agreement = ((replies @ replies.T).sum(1) - 1.0) / others
    tones = upbeat(replies)
    message_tone = None if tones is None else float(upbeat(tone_vector[None], "message")[0])
    tone_off = np.zeros(len(texts)) if tones is None else np.abs(tones - expected_tone(emotion, message_tone))
    said = set(content_words(message))
    rows = []
    for i, text in enumerate(texts):
        mine = set(content_words(text))
        rows.append([
            confidences[i], replies[i] @ message_vector, replies[i] @ situation, like_people[i], agreement[i],
            tone_off[i], 0.0 if tones is None else tones[i], len(mine & said) / max(1, len(mine)), float("?" in text),
            len(text.split()) / 20, about_themselves(text),
        ])  # fmt: skip
    return np.asarray(rows, dtype=np.float64), message_tone


def pick_opening(openings: list[Candidate], context: list[str], emotion: str) -> tuple[int | None, list[dict]]:
    """The best opening that passes every guard (None if none does) and what was judged of each.

    Its tone is read first (agents.listener.valence): one far from what the moment calls for is
    refused like any guard's failure. Among those left, the readings of READINGS are weighed as
    the reranker learnt from readers' ratings (agents.listener.reranker)."""
    judged = []
    for candidate in openings:
        text = clean(candidate.text)
        found = problems(text, context, emotion)
        if claims_a_life(text, context):
            found.append("makes up a life of its own")
        judged.append({"text": text, "raw": candidate.text, "problems": found})
    passing = [i for i, j in enumerate(judged) if not j["problems"]]
    if not passing:
        return None, judged
    texts = [judged[i]["text"] for i in passing]
    values, message_tone = readings(texts, [openings[i].mean_logprob for i in passing], context, emotion)
    if message_tone is not None:
        # When the label and the message's own tone disagree, the moment is unclear: take no side.
        unclear = emotion != "surprised" and abs(float(family_of(emotion) in UPBEAT_FAMILIES) - message_tone) > 0.5
        for row, i in enumerate(passing):
            distance = values[row, READINGS.index("tone_off")]
            judged[i]["tone_off"] = round(float(distance), 3)
            if distance > WRONG_TONE:
                judged[i]["problems"].append("the wrong tone for the moment")
            elif unclear and takes_sides(judged[i]["text"]):
                judged[i]["problems"].append("takes a side where the moment is unclear")
    keep = [row for row, i in enumerate(passing) if not judged[i]["problems"]]
    if not keep:
        return None, judged
    totals = values[keep] @ _weights()
    for row, total in zip(keep, totals, strict=True):
        read = dict(zip(READINGS, np.round(values[row], 3).tolist(), strict=True))
        judged[passing[row]].update(read, total=round(float(total), 3))
    return passing[keep[int(np.argmax(totals))]], judged


def rank_replies(texts: list[str], confidences: list[float], context: list[str], emotion: str) -> list[int]:
    """Whole replies that share their opening, best first, by the readings as the reranker weighs them.
    One whose last sentence, what follows the opening, says something (a question is not read: the tone
    head reads "How are you holding up?" as upbeat) on the far side of the moment's tone is left out:
    held to the opening alone, a question could open and a cheer follow ("Two months of working out
    and now you're weighing it in? That's a big accomplishment!" to weight gained)."""
    from models.encoder import embed

    values, message_tone = readings(texts, confidences, context, emotion)
    order = [int(i) for i in np.argsort(-(values @ _weights()), kind="stable")]
    said = {i: sentences(text)[-1] for i, text in enumerate(texts) if not text.endswith("?")}
    if message_tone is None or not said:  # most of what follows an opening asks: nothing more to read
        return order
    moment = expected_tone(emotion, message_tone)
    tones = upbeat(embed(list(said.values())))
    far = {i for i, tone in zip(said, tones, strict=True) if abs(tone - moment) > FAR_AFTER}
    return [i for i in order if i not in far]


# After the opening, the small model's sentences that begin with the listener ("I hope you win a big
# prize!" to a lottery win, "I have always loved helping elderly people.") or hand out advice ("You
# should apologize to your landlord") were where its replies went wrong, in reading held-out ones;
# its questions and words about the person held up. Those two are all it may add.
_LATER_REFUSED = re.compile(r"^(?:i|i'm|i've|i'd|i'll|me|my)\b|\byou (?:should|need to|have to|must not)\b", re.I)
# Nor does it ask how long: in readers' ratings, replies that went on to ("How long did it last?" to a
# son's anxiety, "How long did you have it?" to a stranger's help) read 0.23 below their context's
# other candidates with the openings' readings held equal (368 of them), and replies that stopped after
# the opening 0.06 above.
_HOW_LONG = re.compile(r"^how long\b", re.I)


# "That's so frustrating, especially when you're so close.": the clause the small model tacks onto
# its feeling guesses at the person's situation, and often wrongly ("especially when you're driving"
# to a bored trucker). Without it, the 34 of 300 held-out replies that had one read 0.47 and 0.32
# higher to two blind readers (better in 16 and 13 of them, worse in 3 each).
_ESPECIALLY = re.compile(r",? especially (?:when|since|if|with|because|after)\b[^.!?]*(?=[.!?]|$)", re.I)


def without_tacked_clause(sentence: str) -> str:
    return _ESPECIALLY.sub("", sentence, count=1)


def accept_sentence(sentence: str, context: list[str], emotion: str, later: bool = False) -> str | None:
    """A sentence's spoken form, or None when it fails a guard; a `later` one (after the opening) may
    be short, and must ask something or keep to the person (see _LATER_REFUSED)."""
    text = clean(without_tacked_clause(sentence))
    if not text:
        return None
    if later and (_HOW_LONG.match(text) or not text.endswith("?") and _LATER_REFUSED.search(text)):
        return None
    if claims_a_life(text, context):
        return None
    return None if [p for p in problems(text, context, emotion) if p != "too short"] else text
