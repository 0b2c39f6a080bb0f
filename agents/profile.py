"""Profile planner: the avatar's timbre, gender and age group for this reply, fitting the emotion,
the scene and the user, with the user's explicit preference winning."""

from __future__ import annotations

import re

from agents.catalogue import find_scenario
from agents.chat_models import ChatModel
from agents.llm_policy import AgentResult, run_llm_policy
from agents.schema import AvatarProfile, EmotionReading, SceneReading
from vocabulary.dialogue import Dialogue
from vocabulary.emotions import family_of

# Timbre by emotion: comfort is soft or deep, shared joy bright and clear, pride strong, memories lyrical.
TIMBRE_BY_EMOTION = {
    "afraid": "soft", "terrified": "soft", "anxious": "soft", "apprehensive": "delicate",
    "sad": "soft", "devastated": "deep", "lonely": "soft", "disappointed": "delicate",
    "angry": "low-pitched", "furious": "low-pitched", "annoyed": "clear", "disgusted": "clear",
    "jealous": "low-pitched", "ashamed": "delicate", "embarrassed": "delicate", "guilty": "soft",
    "joyful": "clear", "excited": "clear", "content": "melodious", "grateful": "melodious",
    "impressed": "clear", "surprised": "clear", "proud": "powerful", "confident": "powerful",
    "prepared": "powerful", "hopeful": "lyrical", "anticipating": "melodious",
    "caring": "soft", "faithful": "melodious", "trusting": "melodious",
    "sentimental": "lyrical", "nostalgic": "lyrical",
}  # fmt: skip
GENDER_BY_FAMILY = {
    "grief": "female", "fear": "female", "anger": "male", "self_conscious": "female",
    "joy": "female", "pride": "male", "warmth": "female",
}  # fmt: skip
# Scene families that call for a particular companion: (age, gender or None, timbre or None).
COMPANION_BY_FAMILY: dict[str, tuple[str, str | None, str | None]] = {
    "elder people company": ("elderly", None, "deep"),
    "retirement adjustments": ("middle-aged adults", None, "low-pitched"),
    "left-behind children company": ("teenagers", "female", "soft"),
    "support for war veterans": ("middle-aged adults", "male", "deep"),
    "bereavement support": ("middle-aged adults", None, "soft"),
    "healthcare assistance": ("middle-aged adults", "female", "soft"),
    "postpartum depression": ("middle-aged adults", "female", "soft"),
    "crisis intervention": ("middle-aged adults", "female", "soft"),
    "domestic violence support": ("middle-aged adults", "female", "soft"),
    "legal consultation": ("middle-aged adults", "male", "clear"),
    "intelligent customer service": ("young adults", "female", "clear"),
    "game NPCs": ("young adults", "male", "intense"),
}
DEFAULT_AGE = "young adults"

# "I'm 9 and ..." or "I am 78 years old", but not "I'm 100% done" or "I'm 5 minutes late".
_USER_AGE = re.compile(
    r"\b(?:i'?m|i am)\s+(\d{1,3})(?=\s*(?:years?|yrs?)[\s-]*old\b|\s*y/?o\b|\s*(?:,|\.|!|and\b|$))",
    re.IGNORECASE,
)
_CHILD_WORDS = re.compile(r"\b(?:my (?:mommy|daddy|teacher|babysitter)|recess|third grade|fourth grade|grade school)\b", re.IGNORECASE)
_ASKED_GENDER = re.compile(r"\b(male|female|man'?s|woman'?s|a man|a woman|boy|girl)\b(?=[^.?!]{0,20}\bvoice)", re.IGNORECASE)
_ASKED_AGE = re.compile(r"\b(older|elderly|younger|child'?s|kid'?s|teen(?:age)?)\b(?=[^.?!]{0,20}\bvoice)", re.IGNORECASE)
_GENDER_WORDS = {"male": "male", "man's": "male", "mans": "male", "a man": "male", "boy": "male",
                 "female": "female", "woman's": "female", "womans": "female", "a woman": "female", "girl": "female"}  # fmt: skip
_AGE_WORDS = {"older": "elderly", "elderly": "elderly", "younger": "young adults", "child's": "children",
              "childs": "children", "kid's": "children", "kids": "children", "teen": "teenagers", "teenage": "teenagers"}  # fmt: skip


def _companion_for_user(dialogue: Dialogue) -> tuple[str, str | None, str | None] | None:
    """A child's worry gets a warm younger voice; an older user's, a calm mature one."""
    said = " ".join(dialogue.user_turns)
    match = _USER_AGE.search(said)
    if match:
        years = int(match.group(1))
        if years < 13:
            return ("teenagers", "female", "soft")
        if years >= 65:
            return ("elderly", None, "deep")
    if _CHILD_WORDS.search(said):
        return ("teenagers", "female", "soft")
    return None


def preferences_in_words(text: str) -> dict[str, str]:
    """A voice the user asked for in the message itself ("can you use a male voice?")."""
    asked: dict[str, str] = {}
    if m := _ASKED_GENDER.search(text):
        asked["gender"] = _GENDER_WORDS[m.group(1).lower()]
    if m := _ASKED_AGE.search(text):
        asked["age"] = _AGE_WORDS[m.group(1).lower()]
    return asked


class ProfilePlanner:
    def __init__(self, chat_model: ChatModel | None = None, prompts: dict[str, str] | None = None):
        self._chat_model = chat_model
        self.prompts = prompts  # replacement prompt texts by name (a replay)

    def run(
        self, dialogue: Dialogue, emotion: EmotionReading, scene: SceneReading,
        preferences: dict[str, str] | None = None,
    ) -> AgentResult[AvatarProfile]:  # fmt: skip
        embedded = self.embedded(dialogue, emotion, scene)
        result = embedded
        if self._chat_model is not None:
            variables = {
                "dialogue": dialogue.transcript(),
                "emotion": emotion.model_dump_json(),
                "scene": scene.model_dump_json(),
            }
            result = run_llm_policy(self._chat_model, "profile", variables, embedded, prompts=self.prompts)
        wanted = {**preferences_in_words(" ".join(dialogue.user_turns)), **(preferences or {})}
        if wanted:
            profile = AvatarProfile.model_validate({**result.output.model_dump(), **wanted})
            result.output = profile
            result.details = {**result.details, "preference": wanted}
        return result

    def embedded(self, dialogue: Dialogue, emotion: EmotionReading, scene: SceneReading) -> AgentResult[AvatarProfile]:
        scenario = find_scenario(scene.scenario)
        family = scenario.family if scenario else ""
        age, gender, timbre = DEFAULT_AGE, None, None
        reason = "default companion"
        companion = _companion_for_user(dialogue) or COMPANION_BY_FAMILY.get(family)
        if companion:
            age, gender, timbre = companion
            reason = f"companion for {family or 'the user'}"
        profile = AvatarProfile(
            timbre=timbre or TIMBRE_BY_EMOTION[emotion.label],
            gender=gender or GENDER_BY_FAMILY[family_of(emotion.label)],
            age=age,
        )
        return AgentResult(profile, details={"reason": reason})
