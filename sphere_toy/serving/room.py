"""The room: the numbers of every run this server finished lately, for the teacher's Room view and the students' marks.

    a run finishes  ->  `add`: its seeds' quick numbers (milliseconds), before its pages see it
                    ->  `measure_next`: its open-set AUCs, while the worker is idle (about 0.07 s a model)
                    ->  read by `groups`/`group`, grouped by experiment without its seed (`analysis.room.Group`)
                    ->  gone after `max_age` seconds, beyond `max_runs`, on `clear`, or when the server restarts

It keeps numbers, not features: a run's entry is a few floats per model and seed. Until its AUCs are measured it
also holds the array they need (its features of the held-out classes, ~50 KB for the default run), never the run,
so the finished-runs cache (`jobs.Jobs`) still frees it; at most `max_pending` runs wait to be measured.
A run carries its settings and nothing about who asked for it: no name, no address, no session.

No Streamlit: `jobs.Jobs` adds each run it finishes and measures while idle; the page reads `groups`.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sphere_toy.analysis import metrics
from sphere_toy.analysis.room import (
    OPEN_SET_AUC,
    Group,
    RoomRun,
    SeedNumbers,
    experiment_key,
    open_set_auc,
    seed_numbers,
)
from sphere_toy.experiment import Settings

log = logging.getLogger(__name__)

MAX_RUNS = 400  # runs kept (a class of 30 for a whole day of lectures); the oldest goes first
MAX_AGE = 3 * 3600.0  # seconds a run stays in the room
MAX_PENDING = 120  # runs waiting for their AUCs at most (four classes' worth); beyond, the oldest is never measured


@dataclass
class _Entry:
    settings: Settings
    finished: float  # the room's clock when it was added
    seeds: tuple[SeedNumbers, ...]
    measured: bool


@dataclass
class _Pending:
    """What a run's AUCs need once the run itself may be gone: its features of the held-out classes."""

    settings: Settings
    result: Callable  # a weak reference to the run: while it lives, its AUCs are the Open-set tab's, computed once
    open: np.ndarray  # (G, M, D) features of the held-out classes' samples
    y_open: np.ndarray  # (M,)
    tokens: tuple[str, ...]  # (G,) each model's token
    seeds: tuple[int, ...]  # (G,) each model's seed


class Room:
    """The runs finished on this server in the last `max_age` seconds, as numbers. Every method is thread-safe."""

    def __init__(
        self,
        *,
        max_runs: int = MAX_RUNS,
        max_age: float = MAX_AGE,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_runs, self.max_age, self.max_pending = max_runs, max_age, max_pending
        self._clock = clock
        self._lock = threading.Lock()
        self._runs: collections.OrderedDict[Settings, _Entry] = collections.OrderedDict()  # oldest first
        self._pending: collections.deque[_Pending] = collections.deque()
        self.version = 0  # changes counted: a page redraws the room when this moves

    def add(self, settings: Settings, result) -> None:
        """A finished run: its seeds' quick numbers now, its AUCs later (`measure_next`). A run trained again (the
        same settings, after the finished-runs cache let it go) replaces its entry: the numbers are the same."""
        seeds = seed_numbers(result, settings.seed)
        data = result.data
        pending = None
        if data.n_open_classes >= 2:
            pending = _Pending(
                settings,
                weakref.ref(result),
                np.asarray(result.open_features),
                np.asarray(data.y_open),
                tuple(spec.token for spec in result.specs),
                tuple(spec.seed for spec in result.specs),
            )
        with self._lock:
            self._runs.pop(settings, None)
            self._runs[settings] = _Entry(settings, self._clock(), seeds, measured=pending is None)
            self._unpend(settings)
            if pending is not None:
                self._pending.append(pending)
            while len(self._pending) > self.max_pending:
                self._pending.popleft()
            self._expire()
            self.version += 1

    def pending(self) -> int:
        """Runs whose AUCs are still to measure."""
        with self._lock:
            return len(self._pending)

    def measure_next(self, busy: Callable[[], bool] = lambda: False) -> bool:
        """Measure the AUCs of the newest run waiting for them (the room's latest first: what the teacher is looking
        at), stopping between two models once `busy()` (a run waits: measuring never delays training; the run goes
        back to wait). True when a run was measured."""
        with self._lock:
            if not self._pending:
                return False
            job = self._pending.pop()
        return self._measure(job, busy)

    def measure(self, settings: Settings) -> bool:
        """Measure the run of `settings` now if it waits (a page that has just computed its AUCs for the Open-set
        tab: they come from the run's memo); True when it was measured."""
        with self._lock:
            job = next((p for p in self._pending if p.settings == settings), None)
            if job is None:
                return False
            self._pending.remove(job)
        return self._measure(job, lambda: False)

    def _measure(self, job: _Pending, busy: Callable[[], bool]) -> bool:
        aucs = {}
        for g, (token, seed) in enumerate(zip(job.tokens, job.seeds)):
            if busy():
                with self._lock:
                    if job.settings in self._runs:
                        self._pending.append(job)
                return False
            aucs[(seed, token)] = self._auc(job, g)
        with self._lock:
            entry = self._runs.get(job.settings)
            if entry is not None:
                entry.seeds = tuple(
                    SeedNumbers(
                        s.run,
                        s.seed,
                        {t: {**v, OPEN_SET_AUC.key: aucs.get((s.seed, t))} for t, v in s.values.items()},
                    )
                    for s in entry.seeds
                )
                entry.measured = True
                self.version += 1
        log.debug("room: measured the open-set AUCs of %s", job.settings.describe())
        return True

    @staticmethod
    def _auc(job: _Pending, g: int) -> float | None:
        result = job.result()
        if result is not None:  # the run is still kept: the Open-set tab's number, computed once for both
            return open_set_auc(result, g)
        if not np.all(np.isfinite(job.open[g])):
            return None  # it diverged: no AUC, as `evaluate.open_set_report` says
        # The AUC of `metrics.open_set_report` is its verification's on the held-out pairs, whatever the threshold
        # chosen on the training pairs: the same pairs and the same number, at half the cost (no training pairs).
        auc = metrics.verification(job.open[g], job.y_open, threshold=0.0)["auc"]
        return None if auc is None else float(auc)

    def groups(self) -> list[Group]:
        """Every experiment in the room, the one with the most seeds first (the newest among equals)."""
        with self._lock:
            self._expire()
            now, version = self._clock(), self.version
            by_key: dict[Settings, list[RoomRun]] = {}
            for entry in self._runs.values():
                run = RoomRun(entry.settings, now - entry.finished, entry.seeds, entry.measured)
                by_key.setdefault(experiment_key(entry.settings), []).append(run)
        found = [Group(key, tuple(runs), version) for key, runs in by_key.items()]
        return sorted(found, key=lambda g: (-len(g.samples), min(r.age for r in g.runs)))

    def group(self, key: Settings) -> Group | None:
        """The room's runs of the experiment `key` (any seed of it), or None if it has none."""
        key = experiment_key(key)
        return next((g for g in self.groups() if g.key == key), None)

    def clear(self) -> None:
        """Forget every run (the teacher's Clear: a new question, a new room)."""
        with self._lock:
            self._runs.clear()
            self._pending.clear()
            self.version += 1

    def _expire(self) -> None:  # called with the lock held
        now = self._clock()
        while self._runs and (
            len(self._runs) > self.max_runs or now - next(iter(self._runs.values())).finished > self.max_age
        ):
            settings, _entry = self._runs.popitem(last=False)
            self._unpend(settings)
            self.version += 1

    def _unpend(self, settings: Settings) -> None:  # called with the lock held
        self._pending = collections.deque(p for p in self._pending if p.settings != settings)
