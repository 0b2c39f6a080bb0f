"""Picks one reply among the listener's candidates: guards first, then a score."""

from __future__ import annotations

import re

import numpy as np

from agents.listener.examples import human_replies_like, key_text
from agents.listener.model import Candidate
from agents.reply_guards import clean, problems
from agents.wording import content_words

_QUESTION_CUE = re.compile(
    r"\?\s*$|^(?:what|how|should|do you|would you|can you|could you|is it|am i|why)\b", re.IGNORECASE
)
_SELF_BLAME = re.compile(
    r"\b(?:my fault|i blame myself|i feel (?:so )?(?:guilty|ashamed|terrible|awful)|i should have|"
    r"i shouldn'?t have|i'?m a (?:terrible|bad|horrible|awful)|i hate myself|i messed up|i screwed up)\b",
    re.IGNORECASE,
)
_REASSURE = re.compile(
    r"\b(?:not your fault|happens to|human|be (?:kind|gentle|easy) (?:on|with) yourself|you care|"
    r"doesn'?t make you|did your best|did what you could|mistakes?|forgive|learn)\b",
    re.IGNORECASE,
)


def score(text: str, candidate: Candidate, context: list[str]) -> float:
    """Higher is better: the model's own confidence, plus what a careful reader looks for: the
    user's own subject taken up, a question answered, self-blame met gently."""
    message = context[-1]
    mine = set(content_words(text))
    overlap = len(mine & set(content_words(message))) / max(1, len(mine))
    value = candidate.mean_logprob + 0.8 * overlap
    asks = bool(_QUESTION_CUE.search(message.strip()))
    if asks and "?" in text and not re.search(r"\b(?:i think|maybe|might|could|i'd|i would)\b", text, re.I):
        value -= 0.5  # a question answered with a question
    if _SELF_BLAME.search(message) and _REASSURE.search(text):
        value += 0.6
    return value


def _standardised(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return (array - array.mean()) / (array.std() + 1e-6)


def pick_opening(openings: list[Candidate], context: list[str], emotion: str) -> tuple[int | None, list[dict]]:
    """The best opening that passes every guard (None if none does) and what was judged of each.

    Among those that pass, three readings count, each standardised over the candidates: the score
    above (half weight), how close the opening is to the message (MiniLM cosine: on the point, not
    generic), and how close it is to what human listeners replied in the nearest training situations
    (agents.listener.examples: the tone people take with a scare, a loss, a win). On 100 held-out
    contexts the three together chose replies nearer the human listener's own than the score alone
    (MiniLM cosine 0.298 against 0.274)."""
    from agents.encoder import embed

    judged = []
    for candidate in openings:
        text = clean(candidate.text)
        reasons = problems(text, context, emotion)
        judged.append({"text": text, "raw": candidate.text, "problems": reasons,
                       "score": None if reasons else round(score(text, candidate, context), 3)})  # fmt: skip
    passing = [i for i, j in enumerate(judged) if not j["problems"]]
    if len(passing) <= 1:
        return (passing[0] if passing else None), judged
    vectors = embed([judged[i]["text"] for i in passing] + [context[-1], key_text(context)])
    replies, message, situation = vectors[:-2], vectors[-2], vectors[-1]
    on_point = replies @ message
    examples = human_replies_like(situation)
    like_people = (replies @ examples.T).mean(1) if examples is not None else np.zeros(len(passing))
    total = 0.5 * _standardised([judged[i]["score"] for i in passing]) + _standardised(on_point)
    if examples is not None:
        total += _standardised(like_people)
    for i, row, people, value in zip(passing, on_point, like_people, total, strict=True):
        judged[i].update(on_point=round(float(row), 3), like_people=round(float(people), 3), total=round(float(value), 3))
    return passing[int(np.argmax(total))], judged


def accept_sentence(sentence: str, context: list[str], emotion: str) -> str | None:
    """A later sentence's spoken form, or None when it fails a guard (a short one may pass)."""
    text = clean(sentence)
    if not text:
        return None
    return None if [p for p in problems(text, context, emotion) if p != "too short"] else text
