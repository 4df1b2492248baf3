"""The queue's worker: the one thread that trains the runs `jobs.Jobs` holds, a group at a time, and measures the
finished ones while nothing waits.

    take the next run still wanted  ->  find the queued runs that train with it (`_mates`)  ->  train the group in
    one call, stopping at a chunk once no page watches (`_run`)  ->  evict the least recently asked-for results

It ends when the queue is empty and nothing is left to measure; the next run asked for starts it again. It writes one
line per run to the log (`log_runs_to_terminal` sends them to the server's terminal).
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time

from sphere_toy.i18n import N_
from sphere_toy.serving import cost
from sphere_toy.serving.job import Job, Stopped
from sphere_toy.train import GridResult, padded_size

# One line per run, for whoever runs the server, under the queue's name: tests/browser.py and the room benchmark
# find a run's end by " sphere_toy.serving.jobs: run finished".
log = logging.getLogger("sphere_toy.serving.jobs")


class _StderrHandler(logging.StreamHandler):
    """Writes to the terminal as it is when a line is logged (a test runner swaps sys.stderr and closes its own)."""

    stream = property(lambda self: sys.stderr, lambda self, value: None)


def log_runs_to_terminal() -> None:
    """Send the package's lines (each run's start and end, "run finished in 3.4 s: ...", and `serve`'s "ready") to
    the server's terminal, once per process.

    `tests/browser.py` reads them back (the room benchmark times pages from a run's end)."""
    package = logging.getLogger("sphere_toy")
    if not package.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        package.addHandler(handler)
        package.setLevel(logging.INFO)


class Worker:
    """The worker half of `jobs.Jobs`, which inherits it: the thread that serves the queue.

    It works on the state `Jobs.__init__` sets up (`_lock`, `_jobs`, `_queue`, `_running`, `_owned`, `_idle_work`,
    `_finished_at`, `_worker`, `room`), with its trainers (`_train`, `_together`, `_key`, `_after`) and its rules
    (`keep`, `max_bytes`, `abandon_after`, `stop_after`, `max_models`, `devices`, `idle_after`); the methods marked
    so are called with `_lock` held.
    """

    def _forget(self, job: Job) -> None:  # called with the lock held: a page that asks again queues a fresh run
        if self._jobs.get(job.settings) is job:
            del self._jobs[job.settings]
        for owner in [o for o, j in self._owned.items() if j is job]:
            del self._owned[owner]

    def _start_worker(self) -> None:  # called with the lock held
        if self._worker is None:
            # Not a daemon: at exit the interpreter waits for the run instead of killing XLA mid-computation (which
            # aborts the process). It ends by itself when the queue is empty and nothing is left to measure.
            self._worker = threading.Thread(target=self._work, name="sphere_toy-train", daemon=False)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._next()
                if job is not None:
                    self._running = [job]  # taken: busy from now on (`wait_idle`), while its group forms
                if _exiting():  # measure nothing more
                    self._idle_work.clear()
                if job is None and not self._idle_work and not self._room_waits():
                    self._worker = None
                    return
                waiting = [job, *self._queue] if job is not None else []
                quiet = time.monotonic() - self._finished_at >= self.idle_after
                room = job is None and quiet and self._room_waits()  # the room's AUCs first: the teacher waits
                idle = self._idle_work.pop() if job is None and quiet and not room else None
            if job is None:  # idle: measure a finished run once the pages that received runs have drawn them
                if room:
                    self._measure_room()
                elif idle is not None:
                    self._do_after(idle)
                else:
                    time.sleep(0.1)
                continue
            self._find_keys(waiting)
            with self._lock:
                group = [job] + self._mates(job)
                self._running = group
            self._run(group)
            with self._lock:
                self._running = []
                self._evict()

    def _next(self) -> Job | None:  # called with the lock held
        while self._queue:
            job = self._queue.popleft()
            if time.monotonic() - job.seen <= self.abandon_after:
                return job
            # Its pages have moved on; a page that comes back asks again and queues a fresh run.
            self._forget(job)
            job._finish(error=N_("cancelled: no page was waiting for this run any more"))
        return None

    def _find_keys(self, jobs: list[Job]) -> None:
        """Each job's merge key, outside the lock (it builds the data: milliseconds; a failure means 'alone')."""
        if self._key is None or self._together is None:
            return
        for job in jobs:
            if job.key is None:
                try:
                    job.key = ("key", self._key(job.settings))
                except Exception:
                    job.key = ("alone", id(job))

    def _mates(self, job: Job) -> list[Job]:  # called with the lock held: queued runs that train with `job`
        """The queued runs that train in `job`'s call. A call trains every run with as many models as its largest,
        and a multiple of `devices` runs (`train.train_experiments` pads them), at most `max_models` models. The runs
        waiting now that could merge with `job` are split into as few calls as that allows, of equal shares rounded
        up to a multiple of the devices: on two cores, 29 runs of 5 models with a cap of 40 train as 8, 8, 8 and 5
        runs (computed as 8, 8, 8 and 6), not as 8, 7, 7 and 7 (as 8, 8, 8 and 8), nor as 8, 8, 8 and a last one
        alone after all the others."""
        if job.key is None:
            return []
        now = time.monotonic()
        candidates = [o for o in self._queue if o.key == job.key and now - o.seen <= self.abandon_after]
        size = {id(j): cost.models(j.settings) for j in (job, *candidates)}
        largest = max(size[id(j)] for j in (job, *candidates) if j is job or size[id(j)] <= self.max_models)
        per_call = max(1, self.max_models // largest)
        if per_call >= self.devices:
            per_call -= per_call % self.devices  # the padding counts under the cap
        runs = 1 + len(candidates)
        share = math.ceil(runs / math.ceil(runs / per_call))
        share = min(per_call, padded_size(share, self.devices))  # runs in this call
        mates, widest = [], size[id(job)]
        for other in candidates:
            if len(mates) + 1 >= share:
                break
            if padded_size(len(mates) + 2, self.devices) * max(widest, size[id(other)]) <= self.max_models:
                self._queue.remove(other)
                mates.append(other)
                widest = max(widest, size[id(other)])
        return mates

    def _run(self, group: list[Job]) -> None:
        started = time.monotonic()
        for job in group:
            job.started, job.together = started, len(group)
        self._log(group, "started after %.1f s in the queue", started - group[0].queued)

        def progress(done: int, total: int, so_far=None) -> None:
            for i, job in enumerate(group):
                job._trained(done)
                if so_far is not None:
                    job._live = (done, lambda i=i: so_far(i))
            now = time.monotonic()
            with self._lock:
                wanted = [j for j in group if j.anonymous or (j.owners and now - j.seen <= self.stop_after)]
            if not wanted:
                raise Stopped()

        try:
            if len(group) == 1:
                results = [self._train(group[0].settings, progress)]
            else:
                results = self._together([job.settings for job in group], progress)
        except Stopped:
            with self._lock:
                for job in group:
                    self._forget(job)
                    job._finish(error=N_("stopped: no page was watching this run any more"))
            self._log(group, "stopped after %.1f s, nobody watching", time.monotonic() - started)
            return
        except Exception as e:  # the app shows this as a message; a page must never show a traceback
            for job in group:
                job._finish(error=f"{type(e).__name__}: {e}")
            self._log(group, "failed in %.1f s", time.monotonic() - started)
            return
        for job, result in zip(group, results):
            self._into_room(job, result)  # first: a page that sees its run finished finds it in the room
            job._finish(result)
        with self._lock:
            if self._after is not None:
                self._idle_work.extend(results)
            self._finished_at = time.monotonic()
        self._log(group, "finished in %.1f s", time.monotonic() - started)

    @staticmethod
    def _log(group: list[Job], event: str, seconds: float) -> None:
        """One line per run ("run finished in 3.4 s: digits, ..., seed 0"), for the terminal and the benchmarks."""
        together = f" (trained together with {len(group) - 1} more)" if len(group) > 1 else ""
        for job in group:
            log.info(f"run {event}{together}: %s", seconds, job.settings.describe())

    def _into_room(self, job: Job, result: GridResult) -> None:
        if self.room is not None:
            try:
                self.room.add(job.settings, result)
            except Exception:  # the room is a bonus: a run it cannot read still reaches its pages
                log.exception("adding a run to the room failed")

    def _wanted_elsewhere(self) -> bool:
        """Idle work stops here: a run is queued, or the process is exiting."""
        return bool(self._queue) or _exiting()

    def _room_waits(self) -> bool:
        return self.room is not None and not _exiting() and self.room.pending() > 0

    def _measure_room(self) -> None:
        try:
            self.room.measure_next(self._wanted_elsewhere)
        except Exception:
            log.exception("measuring a run of the room failed")

    def _do_after(self, result: GridResult) -> None:
        if self._after is not None:
            try:
                self._after(result, self._wanted_elsewhere)
            except Exception:  # a tab that needs it computes it again and shows the error in place
                log.exception("measuring a finished run failed")

    def _evict(self) -> None:  # called with the lock held: drop the least recently asked-for finished runs
        finished = [j for j in self._jobs.values() if j.finished.is_set()]
        total = sum(_nbytes(j.result) for j in finished)
        while finished and (len(finished) > self.keep or total > self.max_bytes):
            job = finished.pop(0)
            total -= _nbytes(job.result)
            self._forget(job)
        self._idle_work = [r for r in self._idle_work if any(j.result is r for j in self._jobs.values())]


def _nbytes(result) -> int:
    """Bytes of a result's arrays (features, snapshots, params, data: `GridResult.nbytes`); 0 for none."""
    return getattr(result, "nbytes", 0)


def _exiting() -> bool:
    """The process is exiting (the main thread has ended): the worker measures nothing more."""
    return not threading.main_thread().is_alive()
