"""A reply's speech handed from the speech step to the talking-face step while it is being made, so
the avatar is rendered chunk by chunk alongside the speech instead of after it."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

WAIT_S = (
    300.0  # longer than any reply takes to speak; a producer that never closes fails the video, not the turn
)


class SpeechFeed:
    """Chunks in order as they are spoken, then the whole reply's WAV (None when speech failed).

    One producer puts chunks and closes; one consumer iterates, then reads `speech`."""

    _CLOSED = object()

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self.speech: str | None = None
        self._finished = False  # the consumer has seen the end

    def put(self, chunk: Any) -> None:
        self._queue.put(chunk)

    def close(self, speech: str | None) -> None:
        self.speech = speech
        self._queue.put(self._CLOSED)

    def __iter__(self) -> Iterator[Any]:
        while not self._finished:
            try:
                item = self._queue.get(timeout=WAIT_S)
            except queue.Empty:
                raise TimeoutError(f"no speech arrived within {WAIT_S:.0f} s") from None
            if item is self._CLOSED:
                self._finished = True
                return
            yield item

    def drain(self) -> str | None:
        """Waits for the speech to finish and returns its WAV."""
        for _ in self:
            pass
        return self.speech
