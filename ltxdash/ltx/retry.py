"""How long to wait before sending a request again, and when to stop trying.

Exponential backoff with up to 50 % random jitter on top of each interval, as the LTX error
page recommends (docs.ltx.io/errors), never shorter than the server's ``Retry-After``, and
bounded both by a number of attempts and by the total time one call may take.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits for one client call (all its attempts and waits together).

    ``random`` returns a float in [0, 1) and ``clock`` a monotonic time in seconds; tests replace
    both to make the waits predictable.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_elapsed: float = 60.0
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_elapsed, self.jitter) < 0:
            raise ValueError("delays, elapsed budget and jitter must not be negative")

    def backoff(self, failures: int) -> float:
        """The wait after the ``failures``-th failed attempt (1-based), jitter included."""
        interval = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
        return interval + interval * self.jitter * self.random()

    def next_delay(
        self, failures: int, elapsed: float, retry_after: float | None = None
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when the budget is spent.

        ``elapsed`` is the time already spent on this call. A ``Retry-After`` longer than what is
        left of the budget means giving up now (the caller gets the error, with its
        ``retry_after``, and can schedule the work later) rather than sleeping past the budget.
        """
        if failures >= self.max_attempts:
            return None
        delay = self.backoff(failures)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if elapsed + delay > self.max_elapsed:
            return None
        return delay


# A policy that never retries: for callers that handle retrying themselves.
NO_RETRY = RetryPolicy(max_attempts=1)
