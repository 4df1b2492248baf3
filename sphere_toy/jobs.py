"""Training runs in the background, shared by every browser session that asks for the same settings.

The app must never freeze while a grid trains, and a class opening the same link must neither start the same run
thirty times nor leave a page waiting forever. `Jobs` is the one place a run lives, from the moment a page asks for
it until it falls out of the cache of finished runs:

    queued  ->  running  ->  finished (result or error)  ->  evicted (least recently asked for, beyond `keep`)

Every page asks the same question, `Jobs.get(settings)`, on every rerun, and gets the same `Job`; a finished job stays
where it is, so there is no "collect" step for one page to win and the others to miss (the hang of issue 7: the
first page to see the run finished took it away, and every other page waited for a job that no longer existed).

Runs go one at a time, in the order they were asked for (two at once would split the cores and both be slow), on one
worker thread that ends when the queue is empty. A queued run that no page has asked about for `abandon_after`
seconds is dropped when its turn comes: its pages have moved on. No Streamlit in here: the app holds one `Jobs` per
process (`st.cache_resource`) and shows `Jobs.status`.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
import time
from typing import Callable

from . import cost, evaluate
from .data import load
from .settings import Settings
from .train import GridResult, train_grid

Progress = Callable[[int, int], None]
Trainer = Callable[[Settings, Progress], GridResult]
log = logging.getLogger(__name__)  # one line per run, for whoever runs the server


class _StderrHandler(logging.StreamHandler):
    """Writes to the terminal as it is when a line is logged (a test runner swaps sys.stderr and closes its own)."""

    stream = property(lambda self: sys.stderr, lambda self, value: None)


def log_runs_to_terminal() -> None:
    """Send this module's run lines ("run finished in 3.4 s: ...") to the server's terminal, once per process.

    `tests/browser.py` reads them back (the room benchmark times pages from a run's end)."""
    if not log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def train_settings(settings: Settings, progress: Progress) -> GridResult:
    """The grid an experiment describes, trained with a progress callback (done steps, total steps).

    The open-set reports (~2 s for the default grid) are computed here too, in the background, so that no tab
    makes a user wait for them; `evaluate` keeps them with the result object.
    """
    result = train_grid(load(settings.data_config()), settings.specs(), settings.train_config(), progress=progress)
    cost.CALIBRATION.observe(settings, result.train_seconds)  # estimates follow this machine
    evaluate.open_set_reports(result)
    evaluate.input_open_set_report(result)
    return result


def _remaining(job) -> float:
    """Seconds a queued or running job still needs, by the calibrated estimate."""
    estimate = cost.CALIBRATION.estimate(job.settings)
    return estimate * (1 - job.done / job.settings.steps) if job.running else estimate


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
        self._claimed: set[str] = set()  # one-off follow-ups already taken by a page (see `claim`)

    @property
    def running(self) -> bool:
        return self.started is not None and not self.finished.is_set()

    def claim(self, task: str) -> bool:
        """True for the first caller only: lets one of many pages do a follow-up (drawing the slow figures)."""
        if task in self._claimed:
            return False
        self._claimed.add(task)  # set.add is atomic under the GIL; a rare double claim only repeats cached work
        return True

    def _run(self, train: Trainer) -> None:
        self.started = time.monotonic()
        log.info("run started after %.1f s in the queue: %s", self.started - self.queued, self.settings.describe())
        try:
            self.result = train(self.settings, self._progress)
        except Exception as e:  # the app shows this as a message; a page must never show a traceback
            self.error = f"{type(e).__name__}: {e}"
        finally:
            log.info("run %s in %.1f s: %s", "failed" if self.error else "finished", time.monotonic() - self.started,
                     self.settings.describe())
            self.finished.set()

    def _progress(self, done: int, total: int) -> None:
        self.done = done

    def _cancel(self, why: str) -> None:
        self.error = why
        self.finished.set()


class Jobs:
    """Every run by settings: queued, running and recently finished. Every method is safe from any thread."""

    def __init__(self, train: Trainer = train_settings, *, keep: int = 8, abandon_after: float = 15.0):
        self._train = train
        self.keep = keep  # finished runs kept (the least recently asked for goes first)
        self.abandon_after = abandon_after  # seconds without a page asking before a queued run is dropped
        self._lock = threading.Lock()
        self._jobs: collections.OrderedDict[Settings, Job] = collections.OrderedDict()  # least recently asked first
        self._queue: collections.deque[Job] = collections.deque()  # waiting to run, in the order asked
        self._running: Job | None = None
        self._worker: threading.Thread | None = None

    def get(self, settings: Settings) -> Job:
        """The run for `settings`: finished, running or queued, and queued now if nobody had asked for it."""
        with self._lock:
            job = self._jobs.get(settings)
            if job is None:
                job = self._jobs[settings] = Job(settings)
                self._queue.append(job)
                self._start_worker()
            self._jobs.move_to_end(settings)
            job.seen = time.monotonic()
            return job

    def peek(self, settings: Settings) -> Job | None:
        """The run for `settings` if someone has asked for it; starts nothing."""
        with self._lock:
            return self._jobs.get(settings)

    def result(self, settings: Settings) -> GridResult | None:
        """The finished result for `settings`, or None (not asked for, not finished, or failed)."""
        job = self.peek(settings)
        return job.result if job is not None and job.finished.is_set() else None

    def ahead(self, job: Job) -> list[Job]:
        """The runs that go before `job`: the one training now, then the queue in order (empty once it runs)."""
        with self._lock:
            if job not in self._queue:
                return []
            queue = list(self._queue)
            return ([self._running] if self._running else []) + queue[:queue.index(job)]

    def status(self, job: Job) -> tuple[float, str]:
        """Fraction done and a status line for `job`'s progress bar, in plain words."""
        total, models = job.settings.steps, len(job.settings.specs())
        now = time.monotonic()
        if not job.running and not job.finished.is_set():
            ahead = self.ahead(job)
            if ahead:
                first = ahead[0]
                where = f"step {first.done} of {first.settings.steps}" if first.running else "queued"
                runs = "1 run" if len(ahead) == 1 else f"{len(ahead)} runs"
                wait = sum(_remaining(other) for other in ahead)
                return 0.0, (f"Place {len(ahead) + 1} in the queue: waiting for {runs} ahead of this one "
                             f"({now - job.queued:.0f} s so far, {cost.describe(wait)} to go); first: "
                             f"{first.settings.describe()} ({where}). This run starts after "
                             f"{'it' if len(ahead) == 1 else 'them'}.")
            return 0.0, "Starting…"
        elapsed = now - (job.started or now)
        if job.finished.is_set():
            return 1.0, f"Finished in {elapsed:.0f} s."
        if job.done == 0:
            return 0.0, f"Preparing and compiling {models} models… ({elapsed:.0f} s)"
        if job.done >= total:
            return 1.0, f"Trained {models} models; measuring angles and open-set verification… ({elapsed:.0f} s)"
        return job.done / total, (f"Training {models} models: step {job.done} of {total} ({elapsed:.0f} s of "
                                  f"{cost.describe(cost.CALIBRATION.estimate(job.settings))})")

    # ---- the worker ----

    def _start_worker(self) -> None:  # called with the lock held
        if self._worker is None:
            # Not a daemon: at exit the interpreter waits for the run instead of killing XLA mid-computation (which
            # aborts the process). It ends by itself when the queue is empty.
            self._worker = threading.Thread(target=self._work, name="sphere_toy-train", daemon=False)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._next()
                if job is None:
                    self._worker = None
                    return
                self._running = job
            job._run(self._train)
            with self._lock:
                self._running = None
                self._evict()

    def _next(self) -> Job | None:  # called with the lock held
        while self._queue:
            job = self._queue.popleft()
            if time.monotonic() - job.seen <= self.abandon_after:
                return job
            # Its pages have moved on; a page that comes back asks again and queues a fresh run.
            del self._jobs[job.settings]
            job._cancel("cancelled: no page was waiting for this run any more")
        return None

    def _evict(self) -> None:  # called with the lock held; drops the least recently asked-for finished runs
        finished = [s for s, j in self._jobs.items() if j.finished.is_set()]
        for settings in finished[:max(0, len(finished) - self.keep)]:
            del self._jobs[settings]
