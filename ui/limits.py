"""Rate limits of the API: turns per session, new sessions per client address. A token bucket per
key, in this process (each server counts its own clients); a refused request gets 429 with the
seconds until it would be allowed in `Retry-After`."""

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
