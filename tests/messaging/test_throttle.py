"""The token buckets on their own: what a refusal tells the client."""

from messaging.throttle import FrameBudget, retry_after_seconds
from tests.support.clock import ManualClock


def test_a_refusal_never_says_retry_in_zero_seconds():
    assert retry_after_seconds(0.0001) == 0.01
    assert retry_after_seconds(1.234) == 1.24


def test_a_socket_that_keeps_sending_past_its_budget_overdraws_it_frame_by_frame():
    budget = FrameBudget(burst=2, rate=0.001, clock=ManualClock())

    waits = [budget.take() for _ in range(5)]

    assert waits[:2] == [0.0, 0.0]
    assert all(wait > 0 for wait in waits[2:])
    assert budget.overdrawn == 3


def test_a_socket_budget_refills_at_its_rate_once_the_wait_it_named_has_passed():
    clock = ManualClock()
    budget = FrameBudget(burst=2, rate=4, clock=clock)
    budget.take()
    budget.take()

    wait = budget.take()
    clock.advance(wait)

    assert wait == 0.5
    assert budget.take() == 0.0


def test_a_socket_budget_never_refills_past_its_burst():
    clock = ManualClock()
    budget = FrameBudget(burst=2, rate=4, clock=clock)

    clock.advance(3600)

    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.5]
