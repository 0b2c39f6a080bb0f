"""Emotion agent: which of the 32 emotions the user feels, whether they said it, and why."""

from __future__ import annotations

import re

from agents.chat_models import ChatModel
from agents.emotion_classifier import EmotionClassifier, default_classifier
from agents.emotion_fusion import fuse
from agents.emotion_lexicon import is_feeling_word, named_feelings, strip_feeling_statement
from agents.llm_policy import AgentResult, run_llm_policy
from agents.schema import MAX_CAUSE_CHARS, EmotionReading
from agents.wording import (
    CAUSAL_OPENERS,
    clauses,
    clip_words,
    content_words,
    sentences,
    strip_leading_filler,
)  # fmt: skip
from vocabulary.dialogue import Dialogue
from vocabulary.emotions import UPBEAT_FAMILIES, family_of
from vocabulary.taxonomy import EMOTIONS

MAX_CAUSE_WORDS = 15
EMPTY_CAUSE = "what you shared"  # a message with no words of its own (emoji, audio not yet heard)


def _has_substance(text: str) -> bool:
    return any(not is_feeling_word(w) for w in content_words(text))


def _drop_feeling_tail(clause: str) -> str:
    """'traffic was horrible and was so frustrating' -> 'traffic was horrible'."""
    parts = re.split(r"\s+(?=(?:and|but)\s)", clause)
    while len(parts) > 1 and not _has_substance(parts[-1]):
        parts.pop()
    return " ".join(parts)


def find_cause(message: str) -> str:
    """The part of the user's own words that most likely triggers the feeling: the clause with the
    most content beyond feeling words, strongly preferring one opened by 'because' or 'since'."""
    best, best_score = "", float("-inf")
    for sentence in sentences(message):
        for clause in clauses(sentence):
            core = _drop_feeling_tail(strip_feeling_statement(strip_leading_filler(clause)))
            substance = [w for w in content_words(core) if not is_feeling_word(w)]
            if not substance:
                continue
            score = len(substance) + (3 if clause.lower().startswith(CAUSAL_OPENERS) else 0)
            if score > best_score:
                best, best_score = core, score
    if not best:
        best = strip_leading_filler(message.strip(" .!?")) or message.strip() or EMPTY_CAUSE
    # Word and character limits both hold for text without spaces (emoji, Chinese).
    return clip_words(best, MAX_CAUSE_WORDS)[:MAX_CAUSE_CHARS].strip() or EMPTY_CAUSE


def cause_clause(message: str, cause: str) -> str:
    """The whole clause around a cause, which reads as a sentence even when the cause itself is a
    bare noun phrase ("the thunderstorm tonight" -> "I am so scared of the thunderstorm tonight")."""
    for sentence in sentences(message):
        for clause in clauses(sentence):
            core = _drop_feeling_tail(strip_leading_filler(clause))
            if cause.lower() in core.lower():
                return clip_words(core, MAX_CAUSE_WORDS + 5)
    return cause


SUBJECT_CHANGE_CONFIDENCE = 0.5  # the new message alone is this sure of itself...
SUBJECT_CHANGE_LEAD = 0.2  # ...and this much surer than the conversation of another feeling
VALENCE_CHANGE_CONFIDENCE, VALENCE_CHANGE_LEAD = 0.35, 0.1  # good news after bad, or bad after good


def changes_the_subject(context: list[tuple[str, float]], message: list[tuple[str, float]]) -> bool:
    """The new message alone reads as a feeling of another family than the conversation so far,
    clearly enough to take over: at SUBJECT_CHANGE_CONFIDENCE and SUBJECT_CHANGE_LEAD over the
    conversation's reading, or, across happy/unhappy, at that confidence alone or at the looser
    VALENCE_CHANGE_* pair. (Looser rules follow more changes of subject but cost accuracy on
    EmpatheticDialogues, whose label belongs to the whole conversation.)"""
    (context_label, context_confidence), (message_label, confidence) = context[0], message[0]
    context_group, message_group = family_of(context_label), family_of(message_label)
    if context_group == message_group:
        return False
    lead = confidence - context_confidence
    if (context_group in UPBEAT_FAMILIES) != (message_group in UPBEAT_FAMILIES):
        return confidence >= SUBJECT_CHANGE_CONFIDENCE or (
            confidence >= VALENCE_CHANGE_CONFIDENCE and lead >= VALENCE_CHANGE_LEAD
        )
    return confidence >= SUBJECT_CHANGE_CONFIDENCE and lead >= SUBJECT_CHANGE_LEAD


def _is_users_words(dialogue: Dialogue):
    said = " ".join(" ".join(t.lower().split()) for t in dialogue.user_turns)

    def check(cause: object) -> bool:
        text = " ".join(str(cause).lower().strip(" .!?\"'").split())
        if not content_words(text) or len(text.split()) > MAX_CAUSE_WORDS + 5:
            return False
        return re.search(r"(?<!\w)" + re.escape(text) + r"(?!\w)", said) is not None

    return check


class EmotionAgent:
    def __init__(
        self, chat_model: ChatModel | None = None, classifier: EmotionClassifier | None = None,
        prompts: dict[str, str] | None = None,
    ):  # fmt: skip
        self._chat_model = chat_model
        self.prompts = prompts  # replacement prompt texts by name (a replay)
        self._classifier = classifier or default_classifier()

    def run(
        self, dialogue: Dialogue, cues: dict[str, dict[str, float]] | None = None
    ) -> AgentResult[EmotionReading]:
        """`cues`: optional distributions from other senses, e.g. {"face": {"happy": 0.8, ...}}."""
        embedded = self.embedded(dialogue, cues)
        if self._chat_model is None:
            return embedded
        top = ", ".join(f"{a['label']} ({a['probability']:.2f})" for a in embedded.details["alternatives"])
        variables = {"dialogue": dialogue.transcript(), "candidates": top, "emotions": ", ".join(EMOTIONS)}
        return run_llm_policy(
            self._chat_model, "emotion", variables, embedded, {"cause": _is_users_words(dialogue)}, self.prompts
        )

    def embedded(
        self, dialogue: Dialogue, cues: dict[str, dict[str, float]] | None = None
    ) -> AgentResult[EmotionReading]:
        # The conversation so far sets the reading, unless the new message on its own clearly feels
        # another way (bad news after good, a worry after a loss): a change of subject.
        contexts = [dialogue.ed_context()] + ([[dialogue.message]] if dialogue.history else [])
        text_ranked, *latest = self._classifier.predict(contexts)
        if latest and changes_the_subject(text_ranked, latest[0]):
            cues = {"message": dict(latest[0]), **(cues or {})}
        fused = fuse(dict(text_ranked), cues)
        ranked = sorted(fused.items(), key=lambda pair: -pair[1])
        label, confidence = ranked[0]
        named = named_feelings(dialogue.message)
        # A named feeling of the same family counts: "scared" names terrified, "mad" furious.
        explicit = any(family_of(n) == family_of(label) for n in named)
        reading = EmotionReading(
            label=label,
            type="explicit" if explicit else "implicit",
            cause=find_cause(dialogue.message),
            confidence=round(confidence, 4),
        )
        alternatives = [{"label": lbl, "probability": round(p, 4)} for lbl, p in ranked[:3]]
        details = {"alternatives": alternatives, "named": sorted(named)}
        if cues:
            details["text_alternatives"] = [
                {"label": lbl, "probability": round(p, 4)} for lbl, p in text_ranked[:3]
            ]
            details["cues"] = cues
        return AgentResult(reading, details=details)
