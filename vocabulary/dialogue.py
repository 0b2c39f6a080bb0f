"""What every agent reads: the new message and the session's recent turns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Utterance:
    role: str  # "user" | "assistant"
    text: str


@dataclass(frozen=True)
class Dialogue:
    message: str
    history: tuple[Utterance, ...] = field(default_factory=tuple)

    @property
    def user_turns(self) -> list[str]:
        return [u.text for u in self.history if u.role == "user"] + [self.message]

    @classmethod
    def from_ed_context(cls, context: list[str]) -> Dialogue:
        """An EmpatheticDialogues context (speaker, listener, ..., speaker) as a dialogue."""
        roles = ("user", "assistant")
        history = tuple(Utterance(roles[i % 2], text) for i, text in enumerate(context[:-1]))
        return cls(context[-1], history)

    def ed_context(self) -> list[str]:
        """The EmpatheticDialogues shape: speaker, listener, speaker, ..., ending with the speaker."""
        context = [u.text for u in self.history]
        # History always alternates user/assistant; drop a leading reply if a window cut it.
        if self.history and self.history[0].role == "assistant":
            context = context[1:]
        return context + [self.message]

    def transcript(self, last: int = 6) -> str:
        """The recent conversation as a prompt-ready block."""
        lines = [f"{u.role.capitalize()}: {u.text}" for u in self.history[-last:]]
        return "\n".join(lines + [f"User: {self.message}"])
