"""The closed vocabularies every meta-response is validated against."""

from __future__ import annotations

from typing import Literal, get_args

# The 32 EmpatheticDialogues emotions, lower-case, alphabetical.
Emotion = Literal[
    "afraid", "angry", "annoyed", "anticipating", "anxious", "apprehensive", "ashamed",
    "caring", "confident", "content", "devastated", "disappointed", "disgusted",
    "embarrassed", "excited", "faithful", "furious", "grateful", "guilty", "hopeful",
    "impressed", "jealous", "joyful", "lonely", "nostalgic", "prepared", "proud", "sad",
    "sentimental", "surprised", "terrified", "trusting",
]  # fmt: skip
EmotionType = Literal["explicit", "implicit"]
Gender = Literal["male", "female"]
AgeGroup = Literal[
    "children", "adolescents", "teenagers", "young adults", "middle-aged adults", "elderly"
]
Timbre = Literal[
    "low-pitched", "powerful", "intense", "soft", "delicate", "hoarse", "sharp", "clear",
    "melodious", "dull", "lyrical", "deep",
]  # fmt: skip

EMOTIONS: tuple[str, ...] = get_args(Emotion)
EMOTION_TYPES: tuple[str, ...] = get_args(EmotionType)
GENDERS: tuple[str, ...] = get_args(Gender)
AGE_GROUPS: tuple[str, ...] = get_args(AgeGroup)
TIMBRES: tuple[str, ...] = get_args(Timbre)

# How each label reads after "you feel ..." in a reply; most labels already do.
FEELING_PHRASES: dict[str, str] = {e: e for e in EMOTIONS} | {
    "anticipating": "eager",
    "caring": "protective",
    "faithful": "devoted",
    "prepared": "ready",
    "devastated": "heartbroken",
}
