"""Background training jobs: one run per settings shared by every session, one run at a time, errors as text."""

import threading
import time

from sphere_toy.jobs import Job, Jobs, train_settings
from sphere_toy.settings import Settings


class FakeTrainer:
    """Stands in for train_grid: reports progress, then waits until the test releases it."""

    def __init__(self, fail: bool = False):
        self.calls, self.release, self.fail = [], threading.Event(), fail
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def __call__(self, settings, progress):
        with self._lock:
            self.calls.append(settings)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            progress(settings.steps // 2, settings.steps)
            assert self.release.wait(10), "the test never released the trainer"
            if self.fail:
                raise ValueError("bad shapes")
            return f"result for seed {settings.seed}"
        finally:
            with self._lock:
                self.running -= 1


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_same_settings_share_one_job_and_one_training():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    s = Settings(steps=200)
    first, second = jobs.get(s), jobs.get(s)
    assert first is second
    _wait(lambda: first.done == 100)
    fraction, text = first.status()
    assert fraction == 0.5 and "step 100 of 200" in text
    first.done = 200  # trained: what is left is measuring
    assert first.status()[0] == 1.0 and "measuring" in first.status()[1]
    trainer.release.set()
    assert first.finished.wait(5)
    assert first.result == "result for seed 0" and first.error is None
    assert trainer.calls == [s]


def test_runs_execute_one_at_a_time_and_the_second_waits_visibly():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    a, b = jobs.get(Settings(seed=1)), jobs.get(Settings(seed=2))
    _wait(lambda: len(trainer.calls) == 1)
    waiting = b if a.running else a
    assert waiting.status()[1].startswith("Waiting for another run")
    trainer.release.set()
    assert a.finished.wait(5) and b.finished.wait(5)
    assert trainer.max_running == 1
    assert {a.result, b.result} == {"result for seed 1", "result for seed 2"}


def test_without_start_a_new_job_waits_for_a_busy_trainer():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    running = jobs.get(Settings(seed=1))
    assert jobs.get(Settings(seed=2), start=False) is None  # busy: do not queue work for a tab that only hints
    assert jobs.get(Settings(seed=1), start=False) is running  # but an existing job is returned
    trainer.release.set()
    assert running.finished.wait(5)
    idle = jobs.get(Settings(seed=2), start=False)
    assert isinstance(idle, Job) and idle.finished.wait(5)


def test_a_failing_run_reports_its_error_as_text():
    trainer = FakeTrainer(fail=True)
    trainer.release.set()
    job = Jobs(train=trainer).get(Settings())
    assert job.finished.wait(5)
    assert job.result is None and job.error == "ValueError: bad shapes"


def test_finished_jobs_are_forgotten_or_pruned():
    trainer = FakeTrainer()
    trainer.release.set()
    jobs = Jobs(train=trainer)
    made = [jobs.get(Settings(seed=i)) for i in range(Jobs.KEEP + 3)]
    for job in made:
        assert job.finished.wait(5)
    jobs.get(Settings(seed=99)).finished.wait(5)  # starting a job prunes all but KEEP finished ones
    assert len(jobs._jobs) <= Jobs.KEEP + 1
    jobs.forget(Settings(seed=99))
    assert Settings(seed=99) not in jobs._jobs


def test_the_real_trainer_hands_over_a_result_with_its_open_set_reports_measured():
    settings = Settings(steps=100, hidden=(8,), m=(2,))
    seen = []
    result = train_settings(settings, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (100, 100)
    assert len(result.specs) == len(settings.specs())
    assert {("open_set", g) for g in range(len(result.specs))} | {"open_set_inputs"} <= result._memo.keys()
