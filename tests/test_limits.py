"""The rate limiter and the client address it counts by."""

from ui.limits import RateLimiter, client_address


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait():
    limiter = RateLimiter(per_minute=2)
    assert [limiter.wait_s("a"), limiter.wait_s("a")] == [0, 0]
    assert 1 <= limiter.wait_s("a") <= 30
    assert limiter.wait_s("b") == 0  # another key has its own
    assert all(RateLimiter(0).wait_s("a") == 0 for _ in range(100))  # 0 is no limit


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    trusted = frozenset({"10.0.0.2"})
    assert client_address("198.51.100.7", "203.0.113.9", trusted) == "198.51.100.7"
    assert client_address("10.0.0.2", "203.0.113.9", trusted) == "203.0.113.9"
    assert client_address("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.2", trusted) == "203.0.113.9"
    assert client_address("10.0.0.2", "not-an-address", trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", None, trusted) == "10.0.0.2"


def test_the_gate_runs_its_places_queues_the_next_and_refuses_the_rest():
    import threading

    from ui.limits import TurnGate

    gate = TurnGate(active=1, queued=1)
    first, second = gate.enter(), gate.enter()
    assert first is not None and second is not None and gate.enter() is None  # the queue is full
    assert gate.retry_after_s() >= 1
    places = []
    waiter = threading.Thread(target=gate.wait, args=(second, places.append))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and places == [1]  # told it is next
    gate.leave(2.0)
    waiter.join(5)
    assert not waiter.is_alive()
    assert gate.enter() is not None  # the queue has room again


def test_a_session_holds_at_most_one_running_and_one_waiting_turn(runner):
    """More turns of one session would wait on each other and hold the places other sessions need."""
    from fastapi import HTTPException

    from ui.api import PER_SESSION_TURNS, Api

    api = Api(runner)
    request = runner.request(text="hello", session_id="busy")
    held = [api.admitted(request) for _ in range(PER_SESSION_TURNS)]
    try:
        api.admitted(request)
    except HTTPException as refused:
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    else:
        raise AssertionError("a third turn of one session was admitted")
    assert api.admitted(runner.request(text="hello", session_id="other")) is not None  # other sessions are not held up
    api._session_done("busy")
    assert api.admitted(request) is not None and len(held) == PER_SESSION_TURNS
