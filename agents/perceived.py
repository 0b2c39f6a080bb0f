"""A line that says what was heard in the voice or seen on the face, for the start of a reply. It is
said only when perception marked the cue strong and the cue agrees with the emotion read, so the
companion never claims to see a smile in a message about grief."""

from __future__ import annotations

from typing import Any

from agents.emotion_fusion import COMPATIBLE

VOICE_NOTES = {
    "sad": "You sound worn out, and I can hear how heavy this is.",
    "angry": "I can hear the frustration in your voice.",
    "fear": "You sound really shaken.",
    "happy": "I can hear the smile in your voice!",
}
FACE_NOTES = {
    "sad": "I can see how much this is weighing on you.",
    "angry": "I can see how upset this has made you.",
    "fear": "You look really worried.",
    "happy": "Your smile says it all!",
    "surprise": "You look amazed!",
    "disgust": "I can see how much that bothered you.",
}


def perceived_note(perception: dict[str, Any] | None, emotion: str) -> str | None:
    """The face first (it is the stronger cue), then the voice; None when neither is strong."""
    for modality, notes in (("face", FACE_NOTES), ("voice", VOICE_NOTES)):
        cue = (perception or {}).get(modality) or {}
        dominant = cue.get("dominant")
        if cue.get("strong") and dominant in notes and emotion in COMPATIBLE.get(dominant, ()):
            return notes[dominant]
    return None
