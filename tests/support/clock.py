"""A monotonic clock a test moves by hand, for the limits that read ``time.monotonic()``.

The wall clock (``time.time()``, ``timezone.now()``) is moved with time-machine instead:
the ``wall_clock`` fixture in tests/conftest.py.
"""


class ManualClock:
    """Stands still until ``advance(seconds)``; called like ``time.monotonic``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
