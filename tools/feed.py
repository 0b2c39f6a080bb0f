"""What one step of a turn hands to another while it is still being made: the reply's sentences
from the responder to the speech, the speech's chunks to the talking face. Steps that run side by
side start on the first item instead of waiting for the whole."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

WAIT_S = 300.0  # longer than any reply takes to write or speak; a producer that never closes fails its consumer, not the turn


class Feed:
    """Items in order as they are made, then the whole (`result`: the reply's text, the speech's
    WAV; None when its producer failed). One producer puts items and closes; one consumer iterates,
    then reads `result`."""

    _CLOSED = object()

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self.result: Any = None
        self._finished = False  # the consumer has seen the end

    def put(self, item: Any) -> None:
        self._queue.put(item)

    def close(self, result: Any) -> None:
        self.result = result
        self._queue.put(self._CLOSED)

    def __iter__(self) -> Iterator[Any]:
        while not self._finished:
            try:
                item = self._queue.get(timeout=WAIT_S)
            except queue.Empty:
                raise TimeoutError(f"nothing arrived within {WAIT_S:.0f} s") from None
            if item is self._CLOSED:
                self._finished = True
                return
            yield item

    def drain(self) -> Any:
        """Waits for the producer to finish and returns its result."""
        for _ in self:
            pass
        return self.result
