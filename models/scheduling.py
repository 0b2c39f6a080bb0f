"""How the model work of several turns shares two cores: every turn's opening before anyone's
later sentences (the listener's decoder passes, on one lock), every turn's first sound before
anyone's later chunks (speech, on another), and the video, which nobody waits on to start
listening, behind both.

On two cores four users asking at once for speech and video got their first audio after 1.5, 4.2,
5.0 and 5.7 s (`python -m evals.load --clients 4 --turns 1 --media`): the first user's later
sentences and video rendering took the cores the others' first sentences needed."""

from __future__ import annotations

import heapq
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

BACKGROUND_NICE = 10  # how much lower than the turn's own threads the video work runs


class PriorityLock:
    """A lock whose waiters go in order of priority (lower first), then of arrival."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held = False
        self._waiting: list[tuple[int, int]] = []
        self._tickets = itertools.count()

    @contextmanager
    def held(self, priority: int) -> Iterator[None]:
        with self._changed:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            try:
                while self._held or self._waiting[0] != ticket:
                    self._changed.wait()
            except BaseException:  # interrupted while waiting: its place must not block those behind it
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._held = True
        try:
            yield
        finally:
            with self._changed:
                self._held = False
                self._changed.notify_all()


def _lower_priority() -> None:
    """Runs in each background thread as it starts: on Linux a thread has its own nice value, and
    the processes it starts (the video encoder) inherit it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICE))
    except (AttributeError, OSError):  # not Linux, or not allowed: the work still runs
        pass


class Background:
    """A bounded pool for work nobody waits on to start listening (video): as many at once as
    half the cores, each at a lower CPU priority than the turns' own threads."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, (os.cpu_count() or 2) // 2)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` on a background thread; waits for it and returns (or raises) what it did."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, "background", initializer=_lower_priority)
        return self._pool.submit(work, *args).result()

