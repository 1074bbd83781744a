"""The token buckets on their own: what a refusal tells the client."""

from messaging.throttle import FrameBudget, retry_after_seconds


def test_a_refusal_never_says_retry_in_zero_seconds():
    assert retry_after_seconds(0.0001) == 0.01
    assert retry_after_seconds(1.234) == 1.24


def test_a_socket_that_keeps_sending_past_its_budget_overdraws_it_frame_by_frame():
    budget = FrameBudget(burst=2, rate=0.001)

    waits = [budget.take() for _ in range(5)]

    assert waits[:2] == [0.0, 0.0]
    assert all(wait > 0 for wait in waits[2:])
    assert budget.overdrawn == 3
