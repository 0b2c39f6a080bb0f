"""How media work of several turns shares the cores."""

import os
import threading
import time

from models.scheduling import Background, PriorityLock


def test_waiters_get_the_lock_by_priority_then_by_arrival():
    lock, order, started = PriorityLock(), [], []
    release = threading.Event()

    def holder():
        with lock.held(0):
            started.append(1)
            release.wait(10)

    def waiter(priority, name):
        with lock.held(priority):
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    while not started:
        time.sleep(0.01)
    waiting = []
    for priority, name in ((3, "later sentence"), (0, "first sound of turn B"), (3, "another later"), (0, "first sound of turn C")):
        waiting.append(threading.Thread(target=waiter, args=(priority, name)))
        waiting[-1].start()
        time.sleep(0.05)  # they arrive in this order
    release.set()
    for thread in [first, *waiting]:
        thread.join(10)
    assert order == ["first sound of turn B", "first sound of turn C", "later sentence", "another later"]


def test_background_work_runs_bounded_and_at_a_lower_priority():
    pool = Background(workers=1)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert pool.run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())) > mine
    assert pool.run(lambda a, b: a + b, 2, 3) == 5
