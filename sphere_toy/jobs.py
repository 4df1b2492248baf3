"""Training runs in background threads, shared by every browser session that asks for the same settings.

The app must never freeze while a grid trains, and a class of students opening the same link must not start the
same run thirty times. `Jobs` keeps one `Job` per `Settings`: the first session to ask starts it, every session
watches its progress, and runs execute one at a time (two at once would split the cores and both be slow).
No Streamlit in here: the app holds one `Jobs` per process (`st.cache_resource`) and polls `Job.status`.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from .data import load
from .settings import Settings
from .train import GridResult, train_grid

Progress = Callable[[int, int], None]
Trainer = Callable[[Settings, Progress], GridResult]


def train_settings(settings: Settings, progress: Progress) -> GridResult:
    """The grid an experiment describes, trained with a progress callback (done steps, total steps).

    The open-set reports (~2 s for the default grid) are computed here too, in the background, so that no tab
    makes a user wait for them; they travel with the result (`GridResult.open_set_report`).
    """
    result = train_grid(load(settings.data_config()), settings.specs(), settings.train_config(), progress=progress)
    result.open_set_reports()
    result.input_open_set_report()
    return result


class Job:
    """One grid run in a background thread. `finished` is set when `result` or `error` is there."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.done = 0  # steps trained so far (written by the training thread, read by any session)
        self.result: GridResult | None = None
        self.error: str | None = None
        self.started, self.running = time.monotonic(), False
        self.finished = threading.Event()

    def run(self, train: Trainer, train_lock: threading.Lock) -> None:
        try:
            with train_lock:
                self.started, self.running = time.monotonic(), True
                self.result = train(self.settings, self._progress)
        except Exception as e:  # the app shows this as a message; a page must never show a traceback
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.finished.set()

    def _progress(self, done: int, total: int) -> None:
        self.done = done

    def status(self) -> tuple[float, str]:
        """Fraction done and a status line for a progress bar."""
        total, models = self.settings.steps, len(self.settings.specs())
        elapsed = time.monotonic() - self.started
        if not self.running:
            return 0.0, f"Waiting for another run to finish ({elapsed:.0f} s)…"
        if self.done == 0:
            return 0.0, f"Preparing and compiling {models} models… ({elapsed:.0f} s)"
        if self.done >= total:
            return 1.0, f"Trained {models} models; measuring angles and open-set verification… ({elapsed:.0f} s)"
        return self.done / total, f"Training {models} models: step {self.done} of {total} ({elapsed:.0f} s)"


class Jobs:
    """Running and recently finished jobs by settings; every method is safe to call from any session's thread."""

    KEEP = 4  # finished jobs kept until a session has collected their result

    def __init__(self, train: Trainer = train_settings):
        self._train = train
        self._lock, self._train_lock = threading.Lock(), threading.Lock()
        self._jobs: dict[Settings, Job] = {}

    def get(self, settings: Settings, *, start: bool = True) -> Job | None:
        """The job for `settings`, started if there is none. With start=False a new job starts only when no
        other is running (a tab that merely shows a hint should not queue work behind someone else's run)."""
        with self._lock:
            job = self._jobs.get(settings)
            busy = any(not j.finished.is_set() for j in self._jobs.values())
            if job is None and (start or not busy):
                job = self._jobs[settings] = Job(settings)
                # Not a daemon: at exit the interpreter waits for the run instead of killing XLA mid-computation
                # (which aborts the process).
                threading.Thread(target=job.run, args=(self._train, self._train_lock), daemon=False).start()
                finished = [k for k, j in self._jobs.items() if j.finished.is_set()]
                for key in finished[:max(0, len(finished) - self.KEEP)]:
                    del self._jobs[key]
            return job

    def forget(self, settings: Settings) -> None:
        """Drop a finished job once its result is cached elsewhere (or its error shown)."""
        with self._lock:
            self._jobs.pop(settings, None)
