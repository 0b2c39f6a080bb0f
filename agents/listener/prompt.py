"""The listener's prompt, one format for training and for live turns."""

from __future__ import annotations

SYSTEM = "You are a caring, attentive friend. Reply in one or two short sentences."
CONTEXT_TURNS = 3  # the last utterances the listener reads
MAX_TURN_WORDS = 60


def _clip(text: str) -> str:
    words = text.split()
    return " ".join(words[-MAX_TURN_WORDS:])


def user_block(turns: list[str], emotion: str) -> str:
    """`turns` alternate speaker and listener and end with the speaker's message."""
    recent = turns[-CONTEXT_TURNS:]
    first_is_them = len(recent) % 2 == 1
    lines = [
        f"{'Them' if (i % 2 == 0) == first_is_them else 'You'}: {_clip(turn)}" for i, turn in enumerate(recent)
    ]
    return f"They feel {emotion}.\n" + "\n".join(lines)


# How every prompt begins: read once and its cache kept (agents.listener.model).
SHARED_START = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nThey feel"


def chat_text(turns: list[str], emotion: str, reply: str | None = None) -> str:
    """The ChatML text SmolLM2 was instructed on; without `reply` it ends where the reply begins."""
    text = (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user_block(turns, emotion)}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    return text if reply is None else f"{text}{reply}<|im_end|>"
