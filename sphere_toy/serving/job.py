"""One run in the queue (`Job`): its settings, progress, result or error, and who asked for it; the queue is `jobs`."""

from __future__ import annotations

from typing import Callable, Hashable

import threading
import time

from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult


class Stopped(Exception):
    """No page watches this run any more."""


class Job:
    """One experiment's run. `finished` is set once `result` or `error` is there, and never cleared."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.done = 0  # steps trained so far (written by the worker, read by any session)
        self.result: GridResult | None = None
        self.error: str | None = None
        self.queued = self.seen = time.monotonic()  # when it was asked for first, and last
        self.started: float | None = None  # when its training began (None while queued)
        self.finished = threading.Event()
        self.owners: set[str] = set()  # the pages (sessions) that want it now
        self.anonymous = False  # asked for without an owner (the CLI, a test): never withdrawn or stopped
        self.together = 1  # runs in its training call (itself included)
        self.key: Hashable | None = None  # `merge_key`, once the worker has needed it
        self._claimed: set[str] = set()  # one-off follow-ups already taken by a page (see `claim`)
        self._live: tuple[int, Callable[[], GridResult]] | None = None
        self._chunks: tuple[float, int, float, int] | None = None  # first chunk's (when, steps), the last one's
        self._so_far: tuple[int, GridResult] | None = None
        self._so_far_lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.started is not None and not self.finished.is_set()

    def claim(self, task: str) -> bool:
        """True for the first caller only: lets one of many pages do a follow-up (drawing the slow figures)."""
        if task in self._claimed:
            return False
        self._claimed.add(task)  # set.add is atomic under the GIL; a rare double claim only repeats cached work
        return True

    def seconds_left(self) -> float | None:
        """Seconds its training still needs at the pace of its chunks so far (compiling excluded); None until two
        chunks have finished."""
        chunks = self._chunks  # one read: the worker replaces the tuple whole
        if chunks is None or self.finished.is_set():
            return None
        first, first_done, last, done = chunks
        if done <= first_done:
            return None
        return (last - first) / (done - first_done) * (self.settings.steps - done)

    def _trained(self, done: int) -> None:  # the worker, after each chunk
        now = time.monotonic()
        self._chunks = (now, done, now, done) if self._chunks is None else (*self._chunks[:2], now, done)
        self.done = done

    def so_far(self) -> GridResult | None:
        """While it trains: the run up to its last finished chunk (computed once per chunk, whoever asks)."""
        live = self._live
        if live is None or self.finished.is_set():
            return None
        with self._so_far_lock:
            if self._so_far is None or self._so_far[0] != live[0]:
                self._so_far = (live[0], live[1]())
            return self._so_far[1]

    def _finish(self, result: GridResult | None = None, error: str | None = None) -> None:
        self.result, self.error = result, error
        self._live = self._so_far = None
        self.finished.set()
