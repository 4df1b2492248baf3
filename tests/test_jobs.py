"""Background training jobs: one run per settings shared by every page, runs in order one at a time, a finished run
reaches every page that waited for it (in any order), errors as text, nothing queued forever for nobody."""

import itertools
import threading
import time

import numpy as np
import pytest

import sphere_toy.serving.budget
import sphere_toy.serving.job
import sphere_toy.serving.jobs
import sphere_toy.serving.worker
from sphere_toy.analysis import evaluate
from sphere_toy.serving.budget import DrawBudget
from sphere_toy.serving.jobs import Jobs, measure, train_settings
from sphere_toy.experiment import Settings

# Seconds after which a wait in these tests fails: only a hang takes this long (the threads here answer in
# milliseconds, but the machine may be shared with a benchmark).
HANG = 30.0


class FakeTrainer:
    """Stands in for train_grid: reports half its steps, then waits until the test releases it."""

    def __init__(self, fail: bool = False):
        self.calls, self.release, self.fail = [], threading.Event(), fail
        self.running = self.max_running = 0
        self._lock = threading.Lock()

    def __call__(self, settings, progress):
        with self._lock:
            self.calls.append(settings)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            progress(settings.steps // 2, settings.steps)
            assert self.release.wait(HANG), "the test never released the trainer"
            if self.fail:
                raise ValueError("bad shapes")
            return f"result for seed {settings.seed}"
        finally:
            with self._lock:
                self.running -= 1


def _wait(predicate, timeout=HANG):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Clock:
    """The queue's `time` in a test (`sphere_toy.serving`'s jobs, worker, job and budget). `monotonic()` moves only
    when the test says (`advance`), so that a rule in seconds (abandon_after, stop_after, idle_after, a draw's share
    of a core, a run's pace) is checked at exact times rather than by sleeping them on a machine that may be busy.
    `sleep` is a thread polling: it is counted, and yields for a moment without moving the clock."""

    def __init__(self):
        self.now, self.polls = 1000.0, 0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        time.sleep(0.001)

    def wait_for_a_look(self) -> None:
        """Return once a thread that polls (the idle worker) has read the clock since this call: two polls, as the
        first may have read it before."""
        seen = self.polls
        _wait(lambda: self.polls >= seen + 2)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    serving = sphere_toy.serving
    for module in (serving.jobs, serving.worker, serving.job, serving.budget):
        monkeypatch.setattr(module, "time", clock)
    return clock


def test_same_settings_share_one_job_and_one_training_even_when_asked_at_once():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    s = Settings(steps=200)
    got, start = [], threading.Barrier(10)

    def page():
        start.wait()
        got.append(jobs.get(s))

    pages = [threading.Thread(target=page) for _ in range(10)]
    for t in pages:
        t.start()
    for t in pages:
        t.join()
    assert len({id(job) for job in got}) == 1
    job = got[0]
    _wait(lambda: job.done == 100)
    fraction, text = jobs.status(job)
    assert fraction == 0.5 and "step 100 of 200" in text
    job.done = 200  # trained: what is left is collecting the features
    assert jobs.status(job)[0] == 1.0 and "collecting the results" in jobs.status(job)[1]
    trainer.release.set()
    assert job.finished.wait(HANG)
    assert job.result == "result for seed 0" and job.error is None
    assert trainer.calls == [s]


# Three pages on one experiment: A and B open it while it trains, C opens it after it has finished. Whatever order
# their polls come in after the run ends, each receives the run, and nothing trains twice. (On the old main the first
# page to see the run finished took it away, and every page after it waited forever.)
@pytest.mark.parametrize("order", list(itertools.permutations("ABC")))
def test_every_page_receives_the_finished_run_whatever_the_order(order):
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    s = Settings(seed=5)
    waiting = {page: jobs.get(s) for page in "AB"}
    assert not any(job.finished.is_set() for job in waiting.values())
    trainer.release.set()
    assert waiting["A"].finished.wait(HANG)
    for page in order:  # each page polls as the app does: ask again, show what is there
        job = jobs.get(s)
        assert job.finished.is_set() and job.result == "result for seed 5", page
        assert jobs.result(s) == "result for seed 5"
    assert trainer.calls == [s]


def test_only_one_page_claims_the_follow_up_work():
    trainer = FakeTrainer()
    trainer.release.set()
    jobs = Jobs(train=trainer)
    job = jobs.get(Settings())
    assert job.finished.wait(HANG)
    assert [jobs.get(Settings()).claim("prerender") for _ in range(5)] == [True, False, False, False, False]


def test_a_failed_run_reaches_every_waiting_page_as_its_message():
    trainer = FakeTrainer(fail=True)
    jobs = Jobs(train=trainer)
    s = Settings(seed=6)
    first = jobs.get(s)
    trainer.release.set()
    assert first.finished.wait(HANG)
    for _ in range(3):  # every page, now and later: the same message, and the run is not retried
        job = jobs.get(s)
        assert job.result is None and job.error == "ValueError: bad shapes"
    assert jobs.result(s) is None
    assert trainer.calls == [s]


def test_runs_go_one_at_a_time_in_order_and_a_waiting_page_is_told_what_is_ahead():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    a, b, c = (jobs.get(Settings(seed=i)) for i in (1, 2, 3))
    _wait(lambda: a.running)
    assert jobs.ahead(a) == [] and jobs.ahead(b) == [a] and jobs.ahead(c) == [a, b]
    text = jobs.status(b)[1]
    assert text.startswith("Place 2 in the queue: waiting for 1 run ahead of this one") and "seed 1" in text
    assert "step" in text and "to go" in text  # where the run ahead is, and an estimate of the wait
    assert "This run starts after it." in text
    waiting = jobs.status(c)[1]
    assert waiting.startswith("Place 3 in the queue: waiting for 2 runs ahead") and "starts after them" in waiting
    trainer.release.set()
    for job in (a, b, c):
        assert job.finished.wait(HANG)
    assert trainer.calls == [Settings(seed=1), Settings(seed=2), Settings(seed=3)]  # in the order asked
    assert trainer.max_running == 1
    assert jobs.status(c)[1].startswith("Finished")


def test_the_waiting_message_turns_into_progress_when_the_run_starts():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    first, second = jobs.get(Settings(seed=1)), jobs.get(Settings(seed=2))
    _wait(lambda: first.running)
    assert "waiting for 1 run ahead" in jobs.status(second)[1]
    trainer.release.set()
    assert first.finished.wait(HANG)
    _wait(lambda: second.running or second.finished.is_set())
    assert "waiting" not in jobs.status(second)[1]


def test_a_queued_run_nobody_waits_for_is_dropped_but_a_watched_one_runs(clock):
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer, abandon_after=15)
    running = jobs.get(Settings(seed=1))
    watched, left = jobs.get(Settings(seed=2)), jobs.get(Settings(seed=3))
    _wait(lambda: running.running)
    for _ in range(4):  # seed 1 trains for 20 s; one page asks about seed 2 every 5 s; seed 3's page has gone
        clock.advance(5)
        jobs.get(Settings(seed=2))
    trainer.release.set()
    assert watched.finished.wait(HANG) and watched.result == "result for seed 2"
    assert left.finished.wait(HANG) and left.result is None and "no page was waiting" in left.error
    assert Settings(seed=3) not in trainer.calls
    again = jobs.get(Settings(seed=3))  # a page that comes back queues a fresh run
    assert again is not left and again.finished.wait(HANG) and again.result == "result for seed 3"


def test_finished_runs_beyond_keep_are_dropped_least_recently_asked_first():
    trainer = FakeTrainer()
    trainer.release.set()
    jobs = Jobs(train=trainer, keep=3)
    for i in range(3):
        assert jobs.get(Settings(seed=i)).finished.wait(HANG)
    jobs.get(Settings(seed=0))  # asked again: now the most recent
    for i in (10, 11):
        assert jobs.get(Settings(seed=i)).finished.wait(HANG)
    _wait(lambda: jobs._worker is None)
    kept = [s.seed for s in jobs._jobs]
    assert kept == [0, 10, 11]


def test_the_worker_ends_when_the_queue_is_empty_and_comes_back_for_new_work():
    trainer = FakeTrainer()
    trainer.release.set()
    jobs = Jobs(train=trainer)
    assert jobs.get(Settings(seed=1)).finished.wait(HANG)
    _wait(lambda: jobs._worker is None)
    assert jobs.get(Settings(seed=2)).finished.wait(HANG)


def test_the_real_trainer_reports_progress_with_the_run_so_far_and_measures_when_idle():
    settings = Settings(steps=200, hidden=(8,), losses=("softmax", "asoftmax:2"))
    seen = []
    result = train_settings(settings, lambda done, total, so_far: seen.append((done, total, so_far())))
    assert [(done, total) for done, total, _ in seen] == [(100, 200), (200, 200)]
    halfway = seen[0][2]  # the run after its first chunk, as a live picture draws it
    assert halfway.specs == result.specs and list(halfway.snapshot_steps) == [0, 100]
    np.testing.assert_array_equal(halfway.snapshots, result.snapshots[:, :2])
    assert halfway.history["loss"].shape == (len(result.specs), 100)
    assert not np.allclose(halfway.train_features, result.train_features)  # the features moved after step 100
    assert not {("open_set", 0), "open_set_inputs"} & evaluate.measured(result)
    measure(result, busy=lambda: True)  # a run is waiting: nothing is measured
    assert not evaluate.measured(result)
    measure(result)  # what the server does while idle
    assert {("open_set", g) for g in range(len(result.specs))} | {"open_set_inputs"} <= evaluate.measured(result)


class Together:
    """Stands in for train_together: records each call's settings, then waits until the test releases it."""

    def __init__(self):
        self.calls, self.release = [], threading.Event()

    def __call__(self, settings, progress):
        self.calls.append(list(settings))
        progress(1, 2, lambda i: f"so far {settings[i].seed}")
        assert self.release.wait(HANG), "the test never released the trainer"
        return [f"together {s.seed}" for s in settings]


def test_queued_runs_that_can_train_together_are_merged_and_each_page_gets_its_own_result():
    alone, together = FakeTrainer(), Together()
    jobs = Jobs(train=alone, together=together, key=lambda s: s.steps)  # same steps: mergeable, in this test
    first = jobs.get(Settings(seed=1))
    _wait(lambda: first.running)
    b, c, other, d = (jobs.get(Settings(seed=i, steps=s)) for i, s in ((2, 200), (3, 200), (4, 300), (5, 200)))
    alone.release.set()
    _wait(lambda: b.running)
    assert together.calls == [[Settings(seed=2, steps=200), Settings(seed=3, steps=200), Settings(seed=5, steps=200)]]
    assert c.running and d.running and not other.running  # a run that cannot merge keeps its place
    assert "together with 2 other runs in one call" in jobs.status(c)[1]
    assert jobs.ahead(other) == [b, c, d]
    assert c.so_far() == "so far 3"  # each page's live picture is its own run's
    together.release.set()
    assert [job.finished.wait(HANG) and job.result for job in (b, c, d)] == ["together 2", "together 3", "together 5"]
    assert other.finished.wait(HANG) and other.result == "result for seed 4"
    assert alone.calls == [Settings(seed=1), Settings(seed=4, steps=300)]


def _train_room(room_settings, **options):
    """A run training alone, then `room_settings` asked for behind it, then both trainers released: (the queue, the
    room's jobs, the lone trainer, the together trainer) once every run of the room has finished."""
    alone, together = FakeTrainer(), Together()
    jobs = Jobs(train=alone, together=together, key=lambda s: s.steps, **options)
    first = jobs.get(Settings(seed=1))
    _wait(lambda: first.running)
    room = [jobs.get(s) for s in room_settings]
    alone.release.set()
    together.release.set()
    assert all(job.finished.wait(HANG) for job in room)
    return jobs, room, alone, together


def test_a_room_is_split_into_calls_of_equal_shares_under_the_cap():
    """Seven waiting runs of 5 models (a default run: M-softmax and A-softmax m = 1 train once) with a cap of 15
    models, on one device: calls of 3, 2 and 2 runs, rather than 3, 3 and one run alone at the end."""
    jobs, room, _, together = _train_room([Settings(seed=10 + i) for i in range(7)], max_models=15, devices=1)
    assert [[s.seed for s in call] for call in together.calls] == [[10, 11, 12], [13, 14], [15, 16]]
    assert [job.result for job in room] == [f"together {10 + i}" for i in range(7)]
    assert jobs.wait_idle(timeout=HANG)  # the worker has logged its last line within the test


@pytest.mark.parametrize("devices, calls", [(1, [8, 7, 7, 7]), (2, [8, 8, 8, 5]), (3, [6, 6, 6, 6, 5])])
def test_on_several_devices_a_room_is_split_in_multiples_of_them(devices, calls):
    """A merged call trains a multiple of the device count (padded with copies), so its shares are rounded up to
    one: on two cores 29 runs of 5 models with a cap of 40 compute 8 + 8 + 8 + 6 runs, where 8, 7, 7, 7 would
    compute 32. On three, a call of 8 would compute 9 runs, over the cap: at most 6."""
    jobs, room, _, together = _train_room([Settings(seed=10 + i) for i in range(29)], max_models=40, devices=devices)
    assert [len(call) for call in together.calls] == calls
    assert [job.result for job in room] == [f"together {10 + i}" for i in range(29)]
    assert jobs.wait_idle(timeout=HANG)


def test_a_call_counts_every_run_with_as_many_models_as_its_largest():
    """Merged runs are padded to the largest's models: a default run (5 models) and two of 2 models make 15 models,
    over a cap of 10, so the call takes two of them."""
    small = ("softmax", "msoftmax")
    jobs, _, alone, together = _train_room(
        [Settings(seed=10), Settings(seed=11, losses=small), Settings(seed=12, losses=small)], max_models=10, devices=1
    )
    assert [[s.seed for s in call] for call in together.calls] == [[10, 11]]
    assert alone.calls[-1].seed == 12
    assert jobs.wait_idle(timeout=HANG)


def test_work_for_later_waits_until_no_run_is_queued_or_training(clock):
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    assert jobs.wait_idle()  # nothing to train
    first, second = jobs.get(Settings(seed=1)), jobs.get(Settings(seed=2))
    _wait(lambda: first.running)
    assert not jobs.wait_idle(timeout=0)  # one run training, one queued
    done = []
    tasks = [threading.Thread(target=jobs.when_idle, args=(lambda i=i: done.append(i),)) for i in range(3)]
    for task in tasks:
        task.start()
    _wait(lambda: clock.polls > 0)  # a task has looked, found the server busy, and waits
    assert done == []
    trainer.release.set()
    for task in tasks:
        task.join(HANG)
    assert sorted(done) == [0, 1, 2] and second.finished.is_set()
    assert jobs.wait_idle(timeout=0)


def test_tasks_for_later_run_one_at_a_time_and_give_up_after_their_timeout():
    jobs = Jobs(train=FakeTrainer())
    inside, most, lock = [0], [0], threading.Lock()

    def task():
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)
        with lock:
            inside[0] -= 1

    tasks = [threading.Thread(target=jobs.when_idle, args=(task,)) for _ in range(4)]
    for t in tasks:
        t.start()
    for t in tasks:
        t.join(HANG)
    assert most[0] == 1  # a room's finished runs draw one after another, not thirty at once
    trainer = FakeTrainer()
    busy = Jobs(train=trainer)
    run = busy.get(Settings(seed=1))
    _wait(lambda: run.running)
    ran = []
    assert not busy.when_idle(lambda: ran.append(1), timeout=0.2) and ran == []  # a server that never idles
    trainer.release.set()
    assert busy.wait_idle(timeout=5)


def test_a_run_taken_from_the_queue_counts_as_busy_while_its_group_forms():
    """Between leaving the queue and training, a run (whose merge key builds its data) is not idle time."""
    keyed, release = threading.Event(), threading.Event()

    def slow_key(settings):
        keyed.set()
        assert release.wait(HANG)
        return settings.steps

    trainer = FakeTrainer()
    jobs = Jobs(train=trainer, together=Together(), key=slow_key)
    run = jobs.get(Settings(seed=1))
    assert keyed.wait(HANG)  # the worker has taken the run and is building its key
    assert not jobs.wait_idle(timeout=0)
    release.set()
    trainer.release.set()
    assert run.finished.wait(HANG) and jobs.wait_idle(timeout=HANG)


def test_a_page_holds_one_place_in_the_queue_however_often_it_presses_train():
    trainer = FakeTrainer()
    jobs = Jobs(train=trainer)
    running = jobs.get(Settings(seed=1), owner="someone")
    _wait(lambda: running.running)
    first = jobs.get(Settings(seed=2), owner="student")
    shared = jobs.get(Settings(seed=3), owner="student")
    jobs.get(Settings(seed=3), owner="friend")  # another page wants seed 3 too
    last = jobs.get(Settings(seed=4), owner="student")
    assert first.finished.is_set() and "asked for another run" in first.error  # withdrawn at once
    assert not shared.finished.is_set()  # the friend still waits for it
    assert jobs.ahead(last) == [running, shared]
    trainer.release.set()
    assert last.finished.wait(HANG) and shared.finished.wait(HANG)
    assert Settings(seed=2) not in trainer.calls


def test_cancel_drops_a_queued_run_at_once_and_stops_a_running_one_nobody_wants():
    first, cancelled, ended = threading.Event(), threading.Event(), threading.Event()

    def trainer(settings, progress):
        for step in range(1, 1000):  # chunks, until the queue stops it
            progress(step, 1000)
            first.set()  # the first chunk is reported (and was wanted when it ended)
            assert cancelled.wait(HANG)  # the second chunk ends after the test has cancelled the run
        ended.set()
        return "finished anyway"

    jobs = Jobs(train=trainer)
    running = jobs.get(Settings(seed=1), owner="a")
    queued = jobs.get(Settings(seed=2), owner="b")
    assert first.wait(HANG)
    jobs.release(Settings(seed=2), "b")
    assert queued.finished.is_set() and queued.error == "cancelled on its page"
    jobs.release(Settings(seed=1), "a")
    cancelled.set()
    assert running.finished.wait(HANG) and running.error.startswith("stopped")
    assert running.done == 2 and not ended.is_set()  # at its next chunk
    assert jobs.peek(Settings(seed=1)) is None  # a page that comes back starts afresh


def test_a_running_run_nobody_watches_stops_after_the_grace_period_and_a_watched_one_does_not(clock):
    def trainer(settings, progress):
        for step in range(1, 31):  # 30 chunks of a second
            clock.advance(1)
            if settings.seed == 1:  # the teacher's page polls while its run trains, as the app does
                jobs.get(settings, owner="teacher")
            progress(step, 30)
        return "done"

    jobs = Jobs(train=trainer, stop_after=10)
    watched = jobs.get(Settings(seed=1), owner="teacher")
    assert watched.finished.wait(HANG) and watched.result == "done"
    left = jobs.get(Settings(seed=2), owner="student")  # the student closes the tab at once
    assert left.finished.wait(HANG) and left.result is None and "no page was watching" in left.error
    assert left.done == 11  # its first chunk more than 10 s after its page last asked
    script = jobs.get(Settings(seed=3))  # asked once without an owner (the CLI, a script): it does not poll
    assert script.finished.wait(HANG) and script.result == "done"


class Sized(str):
    nbytes = 100


def test_finished_runs_are_bounded_by_their_bytes_too():
    jobs = Jobs(train=lambda settings, progress: Sized(f"run {settings.seed}"), keep=100, max_bytes=250)
    for i in range(5):
        assert jobs.get(Settings(seed=i)).finished.wait(HANG)
        _wait(lambda: jobs._worker is None)
    assert [s.seed for s in jobs._jobs] == [3, 4]  # 2 x 100 bytes fit in 250


def test_live_pictures_share_a_bounded_part_of_a_core(clock):
    budget = DrawBudget(share=0.5)
    assert budget.draw(lambda: clock.advance(2) or "drawn") == "drawn"  # a draw of 2 s
    assert budget.draw(lambda: "too soon") is None  # with half a core, the next may start 2 s after it ended
    clock.advance(1)
    assert budget.draw(lambda: "too soon") is None
    clock.advance(1)
    assert budget.draw(lambda: "later") == "later"
    with pytest.raises(RuntimeError):
        budget.draw(lambda: (_ for _ in ()).throw(RuntimeError("a failed draw")))  # it took no time
    assert budget.draw(lambda: "a failure does not block the others") is not None


def test_measuring_a_finished_run_gives_way_to_a_waiting_run():
    measured, trainer, asked = [], FakeTrainer(), threading.Event()
    trainer.release.set()

    def after(result, busy):  # as jobs.measure: a model at a time, stopping when a run waits
        for g in range(50):
            if busy():
                return
            measured.append((result, g))
            if g == 2:  # three models measured: a page asks for a run meanwhile
                asked.wait(HANG)

    jobs = Jobs(train=trainer, after=after, idle_after=0.0)
    assert jobs.get(Settings(seed=1)).finished.wait(HANG)
    _wait(lambda: len(measured) == 3)
    second = jobs.get(Settings(seed=2))
    asked.set()
    assert second.finished.wait(HANG)
    assert [g for result, g in measured if result == "result for seed 1"] == [0, 1, 2]  # stopped at the next model


def test_a_running_job_knows_how_long_it_has_left_at_its_own_pace(clock):
    """`seconds_left` (the live pictures stop drawing when it is small) follows the chunks' pace, not the time spent
    compiling before the first one; unknown before two chunks, and once finished."""
    reported, go_on = [], threading.Event()

    def trainer(settings, progress):
        clock.advance(60)  # compiling: not part of the pace
        for done in (100, 200, 300):
            progress(done, settings.steps)
            reported.append(done)
            clock.advance(2)  # 100 steps in 2 s
        assert go_on.wait(HANG)
        return "done"

    jobs = Jobs(train=trainer)
    job = jobs.get(Settings(steps=1000))
    _wait(lambda: len(reported) == 3)
    # 200 steps in 4 s: 700 to go is 14 s; counting the compile time too would give 700 * 64 / 300 = 149 s
    assert job.seconds_left() == pytest.approx(14.0)
    go_on.set()
    assert job.finished.wait(HANG) and job.seconds_left() is None
    hold = threading.Event()
    fresh = Jobs(train=lambda s, progress: (progress(100, s.steps), hold.wait(HANG)) and "done")
    one = fresh.get(Settings(seed=9))
    _wait(lambda: one.done == 100)
    assert not one.finished.is_set() and one.seconds_left() is None  # one chunk says nothing about the pace
    hold.set()
    assert one.finished.wait(HANG)


def test_measuring_waits_until_the_pages_have_drawn_what_just_finished(clock):
    """`after` starts `idle_after` seconds after the last run finished, not while its pages draw it."""
    started, trainer = [], FakeTrainer()
    trainer.release.set()
    jobs = Jobs(train=trainer, after=lambda result, busy: started.append(clock.monotonic()), idle_after=3)
    job = jobs.get(Settings(seed=1))
    assert job.finished.wait(HANG)
    finished = clock.monotonic()
    clock.wait_for_a_look()  # the worker, idle, has seen the run's end and waits
    clock.advance(2)
    clock.wait_for_a_look()
    assert started == []  # 2 s after the run: its pages are still drawing it
    clock.advance(1)
    _wait(lambda: started)
    assert started == [finished + 3]
