"""The 32 emotions as one table: each label's family (the responder's strategies, the Emotion agent's
explicit and implicit reading and change-of-subject rules, the scene goals and the plugin contract
all go by it) and its valence (which side of good news and bad it sits on). Every per-emotion table
elsewhere (voice delivery, facial expression, the avatar backends, the cue fusion) is keyed by these
labels and checked against this table by the tests."""

from __future__ import annotations

from typing import Literal

from vocabulary.taxonomy import EMOTIONS

Valence = Literal["positive", "negative", "mixed"]

FAMILIES: dict[str, tuple[str, ...]] = {
    "grief": ("sad", "devastated", "lonely", "disappointed"),
    "fear": ("afraid", "terrified", "anxious", "apprehensive"),
    "anger": ("angry", "furious", "annoyed", "disgusted", "jealous"),
    "self_conscious": ("ashamed", "embarrassed", "guilty"),
    "joy": ("joyful", "excited", "content", "grateful", "impressed", "surprised"),
    "pride": ("proud", "confident", "prepared", "hopeful", "anticipating"),
    "warmth": ("caring", "faithful", "trusting", "sentimental", "nostalgic"),
}
UPBEAT_FAMILIES = frozenset({"joy", "pride", "warmth"})  # the families on the happy side

# Felt at good news and bad alike: a surprise can be a gift or a shock, and nostalgia and sentiment
# are warm and wistful at once (a sad face or a smile both fit them). The rest take their family's side.
MIXED = frozenset({"surprised", "nostalgic", "sentimental"})

_FAMILY = {label: family for family, labels in FAMILIES.items() for label in labels}
if sorted(_FAMILY) != sorted(EMOTIONS) or len(_FAMILY) != sum(map(len, FAMILIES.values())):
    raise RuntimeError("every emotion belongs to exactly one family")


def family_of(label: str) -> str:
    try:
        return _FAMILY[label]
    except KeyError:
        raise KeyError(f"no emotion family holds {label!r}") from None


def valence_of(label: str) -> Valence:
    if label in MIXED:
        return "mixed"
    return "positive" if family_of(label) in UPBEAT_FAMILIES else "negative"
