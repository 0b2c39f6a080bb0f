"""Responder: the empathetic reply. The embedded policy is the trained listener (agents.listener):
a small model fine-tuned on EmpatheticDialogues listeners, whose candidates pass the reply guards
and a reranker. The templates are its guarded fallback: two sentences from the strategy bank, the
specific cause reflected back (or the feeling named), then a move that fits the emotion and goal."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agents.catalogue import find_scenario
from agents.chat_models import ChatModel
from agents.emotion import cause_clause
from agents.emotion_lexicon import is_feeling_word
from agents.listener.choose import accept_sentence, pick_opening, rank_replies
from agents.listener.model import ListenerUnavailable, TrainedListener
from agents.llm_policy import AgentResult, run_llm_policy
from agents.reply_guards import (
    SELF_PUT_DOWN, WORRY, advice_line, clean, companion_reply, feared_harm, first_line, line_for,
    makes_light_of_harm, problems, wants_to_harm,
)
from agents.safety import is_safe_reply
from agents.schema import EmotionReading, ResponseText, SceneReading
from agents.strategies import strategy_bank
from agents.wording import STOPWORDS, content_words, reflect, sentences
from vocabulary.dialogue import Dialogue
from vocabulary.emotions import UPBEAT_FAMILIES, family_of
from vocabulary.taxonomy import FEELING_PHRASES

# Where no opening of the listener's candidates passes the guards, a second set is drawn before the
# templates answer: their mirror of the message is where the worst-read replies came from.
DRAWS = 2

NOT_ENGLISH_REPLY = (
    "Thank you for writing to me. I can only understand English well for now, so I may miss what "
    "you mean - could you tell me again in English? I'd really like to hear what's on your mind."
)
# Asked to be put down ("Tell me I'm worthless", "Just insult me"), or lashed out at: what is said
# back is too important to leave to a model (the small listener once answered "Tell me I'm worthless"
# with "Are you really worth it?"), whatever writes the replies. Only a request made of the
# companion, at the start of a sentence ("Just insult me", "Call me a loser"), counts: hurt told of
# ("My dad used to call me stupid", "The kids mock me") is the listener's to hear.
_ASKING = (
    r"(?:^|[.!?,;]\s*)(?:(?:come on|please|just|go ahead|now|ok|okay)[,!.]?\s+)*"
    r"(?:(?:can|could|would|will) you |i (?:want|need) you to )?(?:just )?"
)
_ASKS_TO_BE_HURT = re.compile(
    _ASKING + r"(?:(?:(?:tell|call) me(?: that)? (?:i'?m |i am )?|say (?:that )?(?:i'?m|i am) )(?:a |an |so |just )?"
    r"(?:worthless|loser|ugly|stupid|idiot|pathetic|useless|failure|nothing|fat|disgusting|waste)|"
    r"(?:insult|roast|mock|humiliate|put down|hurt) me)\b",
    re.IGNORECASE,
)
# Said to the companion as a whole sentence: "You don't understand how much I loved her" is grief,
# and "Shut up, no way!" delight.
_AT_THE_COMPANION = re.compile(
    r"(?:^|[.!?]\s+)(?:you(?:'re| are) (?:so |just |completely |totally |really )?(?:useless|stupid|dumb|worthless|"
    r"pathetic|an idiot|a joke|no help|not helping|annoying|terrible|the worst)\b|(?:shut up|you (?:don'?t|never) "
    r"(?:understand|get it|listen)(?: (?:anything|at all|to me|me))?)\s*(?:[.!?]|$))",
    re.IGNORECASE,
)
_REFUSE_TO_HURT = (
    "I won't say that, because it isn't true. It sounds like you're being really hard on yourself right "
    "now. What's going on?",
    "I'm not going to put you down; you matter more than that. It sounds like something is weighing on "
    "you. What has been happening?",
)
# A wish to harm someone ("I feel like hurting my brother") is met with care for the anger, never
# called natural (the listener and the templates both had: "It's understandable to feel this way").
_MEET_A_WISH_TO_HARM = (
    "It sounds like you're really angry right now, and I'm glad you said it here instead of acting on it. "
    "What happened?",
    "That's a lot of anger to carry. I'm glad you're talking about it rather than acting on it. What's been "
    "going on?",
)
# A fear of harming someone, or thoughts of it that frighten them: calm, where help is, and what to do
# if anyone is ever not safe; a new parent is told how common such thoughts are after a birth, and that
# the baby can be put down somewhere safe. Not "if you might act on them", which feeds the fear of
# someone whose thoughts are unwanted.
_MEET_A_FEAR_OF_HARMING = {
    "someone": (
        "That sounds really frightening, and I'm glad you told me. Unwanted thoughts like these are more common "
        "than people think, and a doctor or therapist can help with them. If you ever feel that you or someone "
        "else isn't safe, please call your local emergency number right away.",
        "Thank you for trusting me with something so hard to say. Thoughts like these can be really distressing, "
        "and a doctor or therapist is a good person to talk them through with. If you ever feel that you or "
        "someone else isn't safe, please call your local emergency number or a crisis line straight away.",
    ),
    "a baby": (
        "That sounds really frightening, and I'm glad you told me. Unwanted thoughts like these are common after "
        "a baby arrives, and your doctor, nurse or midwife can help with them. If you ever feel that you or your "
        "baby aren't safe, put your baby down somewhere safe, like their cot, and call your local emergency number.",
        "Thank you for trusting me with something so hard to say. Many new parents have frightening thoughts like "
        "these, and your doctor, nurse or midwife is a good person to talk them through with. If it ever feels "
        "like too much, it's okay to put your baby down somewhere safe and step away, and if anyone isn't safe, "
        "call your local emergency number straight away.",
    ),
}
_MEET_HOSTILITY = (
    "I'm sorry I haven't got it right so far. I'm still here, and I'd like to understand. What's going on?",
    "It sounds like I've let you down, and I'm sorry. Would you tell me what I missed?",
)
# A message of numbers and marks alone ("4", "???"), when nothing was asked of them: a model guesses
# at it ("Four is a great number."), a friend asks what they mean. An emoji is left to the listener.
_NO_WORDS = re.compile(r"[\s\d.,!?;:'\"()+\-*/#%&=<>\[\]_]*")
_ASK_WHAT_THEY_MEAN = (
    "I'm not sure I followed that. Could you tell me a little more about what's on your mind?",
    "I didn't quite catch what you meant there. What's on your mind?",
)
# The user's own laughter would read as mockery when mirrored back.
_LAUGHTER = re.compile(r"\s*\b(?:ha(?:ha)+h?|he(?:he)+|lol|lmao|rofl|xd)\b", re.IGNORECASE)
# Causes that are not a situation to mirror: a question back ("do you have a favourite era"), a
# greeting or a bare answer ("no", "about two years now").
_NOT_A_SITUATION = re.compile(
    r"^(?:do|does|did|is|are|am|was|were|have|has|can|could|would|will|should|what|why|how|where|who|which"
    r"|hi|hello|hey|thanks?|thank you|yes|yeah|yep|no|nope|ok|okay|oh|well|about)\b",
    re.IGNORECASE,
)
MIN_MIRROR_WORDS = 3
REPLY_WORDS = 18  # about six seconds of speech
_SUBJECT = re.compile(
    r"^((?:the|your|a|an|this|that|his|her|their) (?:\w+ ){0,2}?\w+)"
    r" (?:is|was|are|were|has|had|got|keeps|kept|won't|wouldn't|can't|didn't|doesn't|broke|died|passed)\b",
    re.IGNORECASE,
)


def ask_again_reply(problem: str) -> str:
    """The reply when a recording could not be used and nothing was typed; `problem` says why."""
    return (
        f"I'm sorry, I couldn't make out your message: {problem}. Would you try again, a little closer to "
        "the microphone, or type what's on your mind? I'm here and I'm listening."
    )


def topic_of(cause: str) -> str:
    """A short noun phrase for the situation: the subject of the cause clause, else 'this'."""
    match = _SUBJECT.match(cause)
    return match.group(1) if match else "this"


def _seeded(dialogue: Dialogue) -> random.Random:
    """Varied wording across messages, yet the same message in the same place reads the same."""
    key = f"{len(dialogue.history)}|{dialogue.message}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def _ranking(context: list[str], label: str) -> Callable[[list[str], list[float]], list[int]]:
    """How the listener ranks the sentences it may say after its opening (agents.listener.choose)."""
    return lambda texts, confidences: rank_replies(texts, confidences, context, label)


def _last_reply_asked(dialogue: Dialogue) -> bool:
    replies = [u.text for u in dialogue.history if u.role == "assistant"]
    return bool(replies) and replies[-1].rstrip().endswith("?")


def _fresh(templates: list[str], said: str) -> list[str]:
    """Templates whose fixed wording the session has not heard yet (all of them if none is left)."""
    unused = [
        t
        for t in templates
        if not any(part.strip() in said for part in _FIXED.split(t) if len(part.strip()) > 12)
    ]
    return unused or templates


_FIXED = re.compile(r"\{\w+\}")


def fitting(templates: list[str], words: int) -> list[str]:
    """The templates that keep the reply within `words` more words, else the three shortest: a long
    mirrored situation gets a short move, so every reply stays about as long as it is spoken quickly."""
    short = [t for t in templates if len(t.split()) <= words]
    return short or sorted(templates, key=lambda t: len(t.split()))[:3]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


TWO_SIDED = frozenset({"surprised"})  # felt at good news and bad alike


def strategy_emotion(label: str, scene: SceneReading) -> str:
    """The feeling the reply speaks to: the emotion's label. A two-sided one ("surprised" that a
    friend forgot a birthday) in a scene that only ever hurts takes the scene's feeling, so the
    reply never celebrates bad news. Other labels are kept: over 500 EmpatheticDialogues contexts,
    letting the scene overrule every happy label turned 85 right-toned replies wrong to fix 12."""
    scenario = find_scenario(scene.scenario)
    if label in TWO_SIDED and scenario and all(family_of(e) not in UPBEAT_FAMILIES for e in scenario.emotions):
        return scenario.emotions[0]
    return label


def compose_reply(
    dialogue: Dialogue, emotion: EmotionReading, scene: SceneReading, mirror: bool = True
) -> tuple[str, dict]:
    bank = strategy_bank()
    label = strategy_emotion(emotion.label, scene)
    family = family_of(label)
    group = bank["families"][family]
    rng = _seeded(dialogue)
    said = " ".join(u.text for u in dialogue.history if u.role == "assistant")

    def pick(templates: list[str]) -> str:
        return rng.choice(_fresh(templates, said))

    feeling = FEELING_PHRASES[label]
    # A cause worth mirroring says something concrete beyond the feeling itself.
    cause = _LAUGHTER.sub("", reflect(cause_clause(dialogue.message, emotion.cause))).strip(" ,.!?")
    if cause.split(" ", 1)[0].lower() in STOPWORDS:  # keep names capitalised, nothing else
        cause = cause[:1].lower() + cause[1:]
    specific = (
        mirror
        and len(cause.split()) >= MIN_MIRROR_WORDS
        and not _NOT_A_SITUATION.match(cause)
        and any(not is_feeling_word(w) for w in content_words(cause))
    )

    # Two sentences: the user's own situation mirrored back (or, with nothing concrete to mirror, the
    # feeling named), then one fitting move. A stock validation before the mirror only lengthened
    # every reply with the same words.
    parts = []
    if specific:
        parts.append(pick(group["reflect"]).format(cause=cause))
    else:
        parts.append(pick(group["validate_no_cause"]).format(feeling=feeling))
    moves = list(group["moves"])
    if _last_reply_asked(dialogue):  # don't answer every message with another question
        moves = [m for m in moves if "question" not in m] or moves
    move = rng.choice(moves)
    parts.append(
        pick(fitting(group["moves"][move], REPLY_WORDS - len(parts[0].split()))).format(topic=topic_of(cause))
    )
    reply = " ".join(_sentence_case(p) for p in parts)
    return reply, {
        "strategy_emotion": label,
        "family": family,
        "move": move,
        "reflected_cause": cause if specific else None,
    }


_HTML = re.compile(r"<[^>]*>|[<>]")  # a tag, or what is left of one

# A chat model that names a person, a relative or a number unasked is offering ("talking to your mom
# or a friend may help"), where the small listener was guessing at who was there.
CHAT_MODEL_MAY = frozenset({
    "names someone the user never mentioned", "names a relative no one mentioned",
    "brings in numbers the user never gave",
})  # fmt: skip


def _as_it_reads(dialogue: Dialogue, emotion: EmotionReading) -> EmotionReading:
    """A worry the classifier read as good news ("My mom has a biopsy tomorrow. Do you think she
    will be okay?" read as hopeful) is answered as the worry it is, by the templates and the
    listener alike: read as hope, the bank's lines cheer it ("how thrilling") and the listener is
    told they feel hopeful ("That's a big day for her"). So is the person putting themselves down
    in a joke read as cheerful ("im fat, ugly and broke lol at least im consistent right", read as
    confident): as the shame it is, where the templates had cheered it ("Such good news - enjoy it!")."""
    upbeat = family_of(emotion.label) in UPBEAT_FAMILIES or emotion.label == "surprised"
    if upbeat and WORRY.search(dialogue.message):
        return emotion.model_copy(update={"label": "anxious"})
    if upbeat and SELF_PUT_DOWN.search(dialogue.message):
        return emotion.model_copy(update={"label": "ashamed"})
    return emotion


def _accepting(dialogue: Dialogue, label: str) -> Callable[[str], str | None]:
    """Each sentence of a listener's reply in its spoken form (None: refused); the first one goes
    after what must be said before anything else (agents.reply_guards.first_line), and before a
    view where advice was asked and it offers none (agents.reply_guards.advice_line)."""
    context, spoken = dialogue.ed_context(), []

    def accept(sentence: str) -> str | None:
        text = accept_sentence(sentence, context, label, later=bool(spoken))
        if text is not None and not spoken:
            if line := first_line(dialogue.message, text):
                text = f"{line} {text}"
            if line := advice_line(dialogue.message, text):
                text = f"{text} {line}"
            spoken.append(text)
        return text

    return accept


class Responder:
    def __init__(
        self, chat_model: ChatModel | None = None, prompts: dict[str, str] | None = None,
        listener: TrainedListener | None = None,
    ):  # fmt: skip
        """`listener`: the trained listener for the embedded policy; None writes from the templates."""
        self._chat_model = chat_model
        self.prompts = prompts  # replacement prompt texts by name (a replay)
        self.listener = listener

    def run(
        self,
        dialogue: Dialogue,
        emotion: EmotionReading,
        scene: SceneReading,
        english: bool = True,
        tools: list[dict] | None = None,
        on_sentence: Callable[[str], None] | None = None,
    ) -> AgentResult[ResponseText]:
        """`tools`: function specs of the support tools a tool-calling chat model may call;
        `on_sentence`: hears each sentence of the trained listener's reply as it is written."""
        if fixed := self.fixed_words(dialogue):  # whatever writes the replies
            return fixed
        # Non-English messages get the request for English: the safety check reads English only.
        if self._chat_model is None or not english:
            return self.embedded(dialogue, emotion, scene, english, on_sentence)
        embedded = self.templated(dialogue, emotion, scene)  # the chat model's fallback, at no cost
        scenario = find_scenario(scene.scenario)
        variables = {
            "dialogue": dialogue.transcript(),
            "emotion": emotion.model_dump_json(),
            "scene": scene.model_dump_json(),
            "scenario": f"{scenario.name}: {scenario.description}" if scenario else scene.scenario,
        }
        # A chat model's reply reaches the user only in its spoken form and only if it passes the
        # reply guards. Names and numbers are left to it: that check is for the small listener,
        # which borrows other people's specifics.
        context, label = dialogue.ed_context(), emotion.label

        def guarded(reply: Any) -> bool:
            spoken = clean(reply) if isinstance(reply, str) else ""
            return bool(spoken) and not [p for p in problems(spoken, context, label) if p not in CHAT_MODEL_MAY]

        result = run_llm_policy(
            self._chat_model, "response", variables, embedded, {"response": guarded}, self.prompts, tools
        )
        if result.output.response != embedded.output.response:
            result = replace(result, output=result.output.model_copy(update={"response": clean(result.output.response)}))
        return result

    @staticmethod
    def fixed_words(dialogue: Dialogue) -> AgentResult[ResponseText] | None:
        """The reply to a request to be put down, to hostility at the companion, to a fear or a wish
        to harm someone, to a message with no words that answers nothing asked, or to a question about the
        companion and nothing else, never a model's; None for any other message."""
        last = next((u.text for u in reversed(dialogue.history) if u.role == "assistant"), "")
        feared = feared_harm(dialogue.message)
        for strategy, matches, lines in (
            ("refuses_to_hurt", _ASKS_TO_BE_HURT.search(dialogue.message), _REFUSE_TO_HURT),
            ("meets_hostility", _AT_THE_COMPANION.search(dialogue.message), _MEET_HOSTILITY),
            ("meets_a_fear_of_harming", feared, _MEET_A_FEAR_OF_HARMING.get(feared or "", ())),
            ("meets_a_wish_to_harm", wants_to_harm(dialogue.message), _MEET_A_WISH_TO_HARM),
            ("asks_what_they_mean", _NO_WORDS.fullmatch(dialogue.message) and not _last_reply_asked(dialogue),
             _ASK_WHAT_THEY_MEAN),
        ):  # fmt: skip
            if matches:
                # Never the same words twice running (the stored reply may carry more than the line).
                line = line_for(dialogue.message, [line for line in lines if line not in last])
                return AgentResult(ResponseText(response=line), details={"strategy": strategy})
        if reply := companion_reply(dialogue.message, last):
            return AgentResult(ResponseText(response=reply), details={"strategy": "answers_about_itself"})
        return None

    def embedded(
        self, dialogue: Dialogue, emotion: EmotionReading, scene: SceneReading, english: bool = True,
        on_sentence: Callable[[str], None] | None = None,
    ) -> AgentResult[ResponseText]:
        """`on_sentence` hears each sentence of a trained listener's reply as soon as it is written."""
        if not english:
            return AgentResult(ResponseText(response=NOT_ENGLISH_REPLY), details={"strategy": "not_english"})
        if self.listener is not None:
            written = self.listened(dialogue, emotion, on_sentence)
            if written is not None:
                return written
        return self.templated(dialogue, emotion, scene)

    def listened(
        self, dialogue: Dialogue, emotion: EmotionReading, on_sentence: Callable[[str], None] | None = None
    ) -> AgentResult[ResponseText] | None:
        """The trained listener's reply, each guarded sentence handed to `on_sentence` as it is
        written; None when the listener is unavailable or no candidate's opening passed the guards
        (the templates answer then)."""
        context, label, judged = dialogue.ed_context(), _as_it_reads(dialogue, emotion).label, []
        candidates, ranking = self.listener.base.candidates, _ranking(context, label)

        def opening(candidates):
            chosen, found = pick_opening(candidates, context, label)
            judged.extend(found)
            return chosen

        # A draw whose openings all fail never reaches `accept`, so one serves every draw.
        accept, reply = _accepting(dialogue, label), None
        try:
            for draw in range(DRAWS):
                _, reply = self.listener.write(
                    context, label, opening, accept, on_sentence, candidates, ranking, draw
                )
                if reply is not None:
                    break
        except ListenerUnavailable:
            return None
        if reply is None:
            return None
        return AgentResult(ResponseText(response=reply), details={"strategy": "listener", "openings": judged})

    def every_reply(self, dialogue: Dialogue, emotion: EmotionReading) -> list[dict]:
        """Every candidate whose opening passed the guards, written on to the whole reply it would
        have been had the reranker picked it, with its opening and the model's confidence: what
        readers rate (evals.rating). Empty when none passed or the listener is unavailable."""
        context, label, passed = dialogue.ed_context(), _as_it_reads(dialogue, emotion).label, []
        candidates, ranking = self.listener.base.candidates, _ranking(context, label)

        def passing(candidates):
            _, found = pick_opening(candidates, context, label)
            passed.extend(j for j in found if not j["problems"])
            return [i for i, j in enumerate(found) if not j["problems"]]

        try:
            _, replies = self.listener.write_each(
                context, label, passing, lambda _: _accepting(dialogue, label), candidates, ranking
            )
        except ListenerUnavailable:
            return []
        return [
            {"opening": judged["text"], "reply": reply, "confidence": judged["confidence"]}
            for judged, reply in zip(passed, replies, strict=True)
            if reply is not None
        ]

    def templated(
        self, dialogue: Dialogue, emotion: EmotionReading, scene: SceneReading
    ) -> AgentResult[ResponseText]:
        emotion = _as_it_reads(dialogue, emotion)
        # What they called themselves ("im fat, ugly and broke") is never mirrored back to them.
        mirror = not SELF_PUT_DOWN.search(dialogue.message)
        reply, details = compose_reply(dialogue, emotion, scene, mirror=mirror)
        # The user's words, mirrored, can carry what a reply must not: harm, or markup to be shown.
        if not is_safe_reply(reply) or _HTML.search(reply):
            reply, details = compose_reply(dialogue, emotion, scene, mirror=False)
        if line := first_line(dialogue.message, reply):  # as in the listener's replies
            reply = f"{line} {reply}"
        if line := advice_line(dialogue.message, reply):
            reply = " ".join([*sentences(reply)[:2], line])
        # The bank's words for ordinary slips ("Being human means the occasional mess-up.") are not
        # for harm the person did.
        if makes_light_of_harm(dialogue.message, reply):
            reply = " ".join(s for s in sentences(reply) if not makes_light_of_harm(dialogue.message, s))
        return AgentResult(ResponseText(response=reply), details=details)
