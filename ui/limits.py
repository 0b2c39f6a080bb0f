"""Rate limits of the API: turns per session, new sessions per client address. A token bucket per
key: in this process by default, in the shared database when several replicas use one (so they
count together); a refused request gets 429 with the seconds until it would be allowed in
`Retry-After`."""

from __future__ import annotations

import ipaddress
import math
import threading
import time


class RateLimiter:
    """`per_minute` requests a minute per key, in bursts of up to as many; 0 switches it off."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def wait_s(self, key: str) -> int:
        """0 when a request for `key` may go ahead now (and counts it); else the whole seconds to wait."""
        if self.per_minute <= 0:
            return 0
        refill = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * refill)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self._forget_full(now, refill)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / refill))

    def _forget_full(self, now: float, refill: float) -> None:
        """Drops the keys whose buckets have refilled, so the table does not grow with every client."""
        if len(self._buckets) > 10_000:
            self._buckets = {
                k: (t, w) for k, (t, w) in self._buckets.items() if t + (now - w) * refill < self.per_minute
            }


class SharedRateLimiter:
    """The same limit, counted in the store's database (Store.rate_wait_s) by every replica."""

    def __init__(self, store, scope: str, per_minute: int):
        self.store, self.scope, self.per_minute = store, scope, per_minute

    def wait_s(self, key: str) -> int:
        return self.store.rate_wait_s(self.scope, key, self.per_minute)


def rate_limiters(settings, store) -> tuple[RateLimiter | SharedRateLimiter, RateLimiter | SharedRateLimiter]:
    """Turns per session and sessions per client address: shared when the database is."""
    if settings.database_url:
        return (SharedRateLimiter(store, "turns", settings.turns_per_minute),
                SharedRateLimiter(store, "sessions", settings.sessions_per_minute))  # fmt: skip
    return RateLimiter(settings.turns_per_minute), RateLimiter(settings.sessions_per_minute)


def client_address(peer: str | None, forwarded_for: str | None, trusted: frozenset[str]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest address
    in X-Forwarded-For that is not itself a trusted proxy. A header from anyone else is ignored."""
    address = peer or "unknown"
    if address not in trusted or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: count it against the proxy
        if hop not in trusted:
            return hop
    return address


class TurnGate:
    """How many turns run at once (`active`) and how many may wait for a place (`queued`); a turn
    beyond both is refused, told when to try again, rather than left to wait without bound."""

    def __init__(self, active: int, queued: int):
        self.active, self.queued = max(1, active), max(0, queued)
        self._changed = threading.Condition()
        self._running = 0
        self._waiting: list[object] = []
        self._turn_s = 5.0  # a running mean of how long a turn holds its place, for Retry-After

    def enter(self) -> object | None:
        """A ticket (admitted now or queued), or None when the queue is full."""
        ticket = object()
        with self._changed:
            if self._running < self.active and not self._waiting:
                self._running += 1
                return ticket
            if len(self._waiting) >= self.queued:
                return None
            self._waiting.append(ticket)
            return ticket

    def retry_after_s(self) -> int:
        with self._changed:
            return max(1, math.ceil(self._turn_s * (len(self._waiting) + 1) / self.active))

    def wait(self, ticket: object, on_position=None) -> None:
        """Blocks until the ticket's turn may run; `on_position(n)` hears its place in the queue
        (1: next) whenever it changes."""
        told = None
        with self._changed:
            while ticket in self._waiting:
                place = self._waiting.index(ticket) + 1
                if on_position is not None and place != told:
                    on_position(place)
                    told = place
                self._changed.wait(1.0)

    def leave(self, held_s: float) -> None:
        with self._changed:
            self._turn_s = 0.8 * self._turn_s + 0.2 * held_s
            if self._waiting:
                self._waiting.pop(0)  # its place passes straight to the next in line
            else:
                self._running -= 1
            self._changed.notify_all()
