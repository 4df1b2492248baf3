"""The server's budget for live pictures: a bounded share of one core, over every page that draws a run so far."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")


class DrawBudget:
    """A share of one core for the live pictures of every page together, so watching never slows training much.

    After a draw that took d seconds the next may start d·(1/share − 1) later, whoever asks: with share 0.3 at most
    30% of one core of the server (15% of a 2-core laptop), however many pages watch.
    """

    def __init__(self, share: float = 0.3):
        self.share = share
        self._next = 0.0
        self._lock = threading.Lock()

    def draw(self, make: Callable[[], T]) -> T | None:
        """`make()` if the budget allows a draw now, else None (the page keeps its last picture)."""
        with self._lock:
            if time.monotonic() < self._next:
                return None
            self._next = float("inf")  # nobody else until this draw is paid for
        start = time.monotonic()
        try:
            return make()
        finally:
            took = time.monotonic() - start
            with self._lock:
                self._next = time.monotonic() + took * (1 / self.share - 1)
