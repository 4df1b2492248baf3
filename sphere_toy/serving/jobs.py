"""Training runs in the background, shared by every browser session that asks for the same settings.

The app must never freeze while a grid trains, a class opening the same link must neither start the same run thirty
times nor leave a page waiting forever, and thirty students pressing Train must not wait for thirty runs in a row.
`Jobs` is the one place a run lives, from the moment a page asks for it until it falls out of the cache of finished
runs:

    queued  ->  running  ->  finished (result or error)  ->  evicted (least recently asked for, beyond `keep` or
                                                                      `max_bytes`)

Every page asks the same question, `Jobs.get(settings, owner)`, on every rerun, and gets the same `Job`; a finished
job stays where it is, so there is no "collect" step for one page to win and the others to miss (the hang of issue 7).

The queue, in the order runs were asked for, is served by one worker thread (two runs at once would split the cores
and both be slow) that ends when the queue is empty and the finished runs are measured. Fair to a room:

- **Together.** When a run's turn comes, the queued runs that can train with it (same shapes, steps, batch and
  optimizer: `train.merge_key`; e.g. thirty students' seeds or margins on one preset) join it, and the group trains
  as one compiled call; each page gets its own result. A call holds at most `max_models` models, and the runs
  waiting are split into equal shares under that cap, in multiples of the devices (one per CPU core: `_mates`).
- **Nobody waits for nothing.** A queued run that no page has asked about for `abandon_after` seconds is dropped when
  its turn comes; a running group that no page has watched for `stop_after` seconds stops at its next chunk.
- **One page, one place in the queue.** A page (`owner`) that asks for new settings withdraws its previous run,
  unless another page still wants it: dropped if queued, stopped after its next chunk if running; Cancel withdraws
  it the same way (`release`).
- **Live.** While a run trains, `Job.so_far()` is its result up to the last chunk, for pictures that move.
- **Measuring when idle.** `after` (the open-set reports) runs on finished results while nothing is queued, from
  `idle_after` seconds after the last run finished (its pages draw it first), and gives way to any run asked for;
  so does the `room`'s measuring (`serving.room`), which is given every finished run before its pages see it.
  So does `when_idle`, a page's work for later (drawing the tabs it has not opened yet): one task at a time, once no
  run is queued or training.

No Streamlit in here: the app holds one `Jobs` per process (`st.cache_resource`) and shows `Jobs.status`, in the
language of the thread that asks (`sphere_toy.i18n`). A run's reason for ending without a result (`Job.error`) is an
English message marked with N_, which the page translates where it shows it; the terminal's lines stay English.

Here are the pages' side of the queue (`Jobs.get`, `release`, `status`, ...) and the state it shares with the worker
thread, which is `worker.Worker` (`Jobs` inherits it); what the worker trains and measures by default is `trainers`'.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Callable, Hashable

from sphere_toy.experiment import Settings
from sphere_toy.i18n import N_, _, ngettext
from sphere_toy.serving import cost
from sphere_toy.serving.job import Job
from sphere_toy.serving.room import Room
from sphere_toy.serving.trainers import Progress, measure, merge_key, train_settings, train_together
from sphere_toy.serving.worker import Worker, _exiting, log_runs_to_terminal  # noqa: F401
from sphere_toy.train import GridResult, device_count as train_devices

Trainer = Callable[[Settings, Progress], GridResult]
TogetherTrainer = Callable[[list, Progress], list]
# Models in one merged call at most, counted as `cost.models` (the default run: 6 specs, 5 models), every run of a
# call counted with as many as its largest. At 600 steps a spec of the default run costs 0.040-0.048 s of training
# on two cores alone in calls of 4-16 runs (benchmarks/bench_merged.py), but in a server with thirty waiting pages
# the last of 30 runs came after 14.2-14.6 s with this cap, 15.3-16.1 s with 80 and 13.2-16.1 s with 20
# (benchmarks/bench_class.py). So a room of thirty trains as its first runs, then in equal shares of at most eight
# runs (`Worker._mates`): each part of the room has its run sooner.
MAX_MODELS_TOGETHER = 40
MAX_BYTES = 1 << 29  # finished results kept in memory: 512 MiB of arrays at most (a default run is ~3 MB)


class Jobs(Worker):
    """Every run by settings: queued, running and recently finished. Every method is safe from any thread.

    `train` trains one experiment and `together` several (the real ones by default; `together=None` never merges);
    `key` says which runs may train together; `after(result, busy)` is done with each result while the worker is
    idle, from `idle_after` seconds after the last run finished, and should stop early once `busy()`.
    """

    def __init__(
        self,
        train: Trainer | None = None,
        *,
        together: TogetherTrainer | None = None,
        key: Callable[[Settings], Hashable] | None = None,
        after: Callable[..., None] | None = None,
        keep: int = 8,
        max_bytes: int = MAX_BYTES,
        abandon_after: float = 15.0,
        stop_after: float = 30.0,
        max_models: int = MAX_MODELS_TOGETHER,
        idle_after: float = 3.0,
        devices: int | None = None,
        room: Room | None = None,
    ):
        real = train is None
        self._train = train_settings if real else train
        self._together = train_together if real and together is None else together
        self._key = (merge_key if real else None) if key is None else key
        self._after = (measure if real else None) if after is None else after
        # Every finished run's numbers, for the Room view (the real queue's; a test gives its fake queue one)
        self.room = (Room() if real else None) if room is None else room
        self.keep = keep  # finished runs kept (the least recently asked for goes first)
        self.max_bytes = max_bytes  # and their arrays' bytes at most
        self.abandon_after = abandon_after  # seconds without a page asking before a queued run is dropped
        self.stop_after = stop_after  # seconds without a page asking before a running group stops
        self.max_models = max_models  # models trained together in one call at most
        # A merged call trains a multiple of this many runs (`train.train_experiments` pads it with copies): one per
        # device, each CPU core being one (sphere_toy/__init__.py).
        self.devices = train_devices() if devices is None else devices
        # Seconds after a run finishes before `after` starts: the pages that waited draw their pictures first (thirty
        # runs that finished together are 25 s of measuring, which would slow every one of them).
        self.idle_after = idle_after
        self._lock = threading.Lock()
        self._jobs: collections.OrderedDict[Settings, Job] = collections.OrderedDict()  # least recently asked first
        self._queue: collections.deque[Job] = collections.deque()  # waiting to run, in the order asked
        self._running: list[Job] = []  # the group training now
        self._owned: dict[str, Job] = {}  # each page's current run
        self._idle_work: list[GridResult] = []  # finished results still to `after`
        self._finished_at = -math.inf  # when the last run finished
        self._worker: threading.Thread | None = None
        self._later = threading.Lock()  # one task for later at a time (`when_idle`)

    def get(self, settings: Settings, owner: str | None = None) -> Job:
        """The run for `settings`: finished, running or queued, and queued now if nobody had asked for it.

        `owner` (a page's token, one per page and purpose) withdraws that page's previous run for the same purpose if
        nobody else wants it: dropped if queued, stopped after its next chunk if running. Without an owner (the CLI,
        a script) the run is never withdrawn or stopped."""
        with self._lock:
            job = self._jobs.get(settings)
            if job is None:
                job = self._jobs[settings] = Job(settings)
                self._queue.append(job)
                self._start_worker()
            self._jobs.move_to_end(settings)
            job.seen = time.monotonic()
            if owner is None:
                job.anonymous = True
            else:
                previous = self._owned.get(owner)
                if previous is not None and previous is not job:
                    self._withdraw(previous, owner, N_("cancelled: its page asked for another run"))
                self._owned[owner] = job
                job.owners.add(owner)
            return job

    def release(self, settings: Settings, owner: str) -> None:
        """The page `owner` no longer wants this run (Cancel): a queued run nobody else wants is dropped now, and a
        running group that no page wants stops at its next chunk."""
        with self._lock:
            job = self._jobs.get(settings)
            if job is not None:
                self._withdraw(job, owner, N_("cancelled on its page"))
                if self._owned.get(owner) is job:
                    del self._owned[owner]

    def _withdraw(self, job: Job, owner: str, why: str) -> None:  # called with the lock held
        job.owners.discard(owner)
        if job.owners or job.anonymous or job.finished.is_set():
            return
        if job in self._queue:
            self._queue.remove(job)
            self._forget(job)
            job._finish(error=why)
        # A running job without owners is stopped after its next chunk (the progress check in `_run`).

    def peek(self, settings: Settings) -> Job | None:
        """The run for `settings` if someone has asked for it; starts nothing."""
        with self._lock:
            return self._jobs.get(settings)

    def result(self, settings: Settings) -> GridResult | None:
        """The finished result for `settings`, or None (not asked for, not finished, or failed)."""
        job = self.peek(settings)
        return job.result if job is not None and job.finished.is_set() else None

    def busy(self) -> int:
        """Runs queued or training now (0: the worker is idle, or measuring)."""
        with self._lock:
            return len(self._queue) + len(self._running)

    def wait_idle(self, timeout: float | None = None, poll: float = 0.25) -> bool:
        """Block until no run is queued or training; False instead if that takes over `timeout` seconds or the
        process is exiting."""
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        while True:
            if not self.busy():
                return True
            if _exiting() or time.monotonic() >= deadline:
                return False
            time.sleep(poll)

    def when_idle(self, task: Callable[[], None], timeout: float = 120.0) -> bool:
        """Work for later (drawing the tabs a page has not opened yet): `task()` once no run is queued or training,
        so that it never slows a run that waits, and one such task at a time, so that a room's thirty finished runs
        do not all draw at once. False, without running it, if that does not happen within `timeout` seconds (the
        tab draws it when it is opened) or the process is exiting."""
        deadline = time.monotonic() + timeout
        if not self._later.acquire(timeout=timeout):
            return False
        try:
            if not self.wait_idle(timeout=deadline - time.monotonic()):
                return False
            task()
            return True
        finally:
            self._later.release()

    def ahead(self, job: Job) -> list[Job]:
        """The runs that go before `job`: the group training now, then the queue in order (empty once it runs)."""
        with self._lock:
            if job not in self._queue:
                return []
            queue = list(self._queue)
            return list(self._running) + queue[: queue.index(job)]

    def status(self, job: Job) -> tuple[float, str]:
        """Fraction done and a status line for `job`'s progress bar, in plain words (the current language's)."""
        total, models = job.settings.steps, len(job.settings.specs())
        now = time.monotonic()
        if not job.running and not job.finished.is_set():
            ahead = self.ahead(job)
            if ahead:
                first = ahead[0]
                where = (
                    _("step {done} of {steps}").format(done=first.done, steps=first.settings.steps)
                    if first.running
                    else _("queued")
                )
                wait = _remaining(ahead)
                return 0.0, ngettext(
                    "Place {place} in the queue: waiting for {n} run ahead of this one ({waited} s so far, {to_go} "
                    "to go); first: {first} ({where}). This run starts after it.",
                    "Place {place} in the queue: waiting for {n} runs ahead of this one ({waited} s so far, {to_go} "
                    "to go); first: {first} ({where}). This run starts after them.",
                    len(ahead),
                ).format(
                    place=len(ahead) + 1,
                    n=len(ahead),
                    waited=f"{now - job.queued:.0f}",
                    to_go=cost.describe(wait),
                    first=first.settings.describe(),
                    where=where,
                )
            return 0.0, _("Starting…")
        elapsed = f"{now - (job.started or now):.0f}"
        if job.finished.is_set():
            return 1.0, _("Finished in {elapsed} s.").format(elapsed=elapsed)
        others = job.together - 1  # runs training in the same call besides this one
        if job.done == 0:
            text = (
                ngettext(
                    "Preparing and compiling {models} models together with {others} other run in one call… "
                    "({elapsed} s)",
                    "Preparing and compiling {models} models together with {others} other "
                    "runs in one call… ({elapsed} s)",
                    others,
                )
                if others
                else ngettext(
                    "Preparing and compiling {models} model… ({elapsed} s)",
                    "Preparing and compiling {models} models… ({elapsed} s)",
                    models,
                )
            )
            return 0.0, text.format(models=models, others=others, elapsed=elapsed)
        if job.done >= total:
            return 1.0, ngettext(
                "Trained {models} model; collecting the results… ({elapsed} s)",
                "Trained {models} models; collecting the results… ({elapsed} s)",
                models,
            ).format(models=models, elapsed=elapsed)
        estimate = cost.CALIBRATION.estimate(job.settings) if job.together == 1 else _remaining(self._running)
        text = (
            ngettext(
                "Training {models} models together with {others} other run in one call: step {done} of "
                "{total} ({elapsed} s of {estimate})",
                "Training {models} models together with {others} "
                "other runs in one call: step {done} of {total} ({elapsed} s of {estimate})",
                others,
            )
            if others
            else ngettext(
                "Training {models} model: step {done} of {total} ({elapsed} s of {estimate})",
                "Training {models} models: step {done} of {total} ({elapsed} s of {estimate})",
                models,
            )
        )
        return job.done / total, text.format(
            models=models, others=others, done=job.done, total=total, elapsed=elapsed, estimate=cost.describe(estimate)
        )


def _remaining(jobs: list[Job]) -> float:
    """Seconds the runs in `jobs` still need, by the calibrated estimate (a group that trains together once)."""
    groups: dict[int, list[Job]] = {}
    for job in jobs:
        groups.setdefault(id(job) if not job.running else -1, []).append(job)
    total = 0.0
    for key, members in groups.items():
        estimate = cost.CALIBRATION.estimate([j.settings for j in members])
        first = members[0]
        total += estimate * (1 - first.done / first.settings.steps) if first.running else estimate
    return total
