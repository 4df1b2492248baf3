"""The cost bound: the estimate's arithmetic, the teacher's bound, the refusal's words, the machine's calibration.
(How close the estimate comes to real runs is measured by benchmarks/bench_cost.py, not asserted here.)"""

import pytest

from sphere_toy import train
from sphere_toy.serving import cost
from sphere_toy.experiment import Settings

# The link of the issue: all inside the app's limits, 26 minutes of training on 2 cores before the bound existed.
HUGE = Settings(
    steps=20000,
    batch=1024,
    hidden=(256, 256, 256, 256),
    classes=10,
    held_out=0,
    losses=("softmax", "msoftmax", "asoftmax:1", "asoftmax:2", "asoftmax:3", "asoftmax:4", "asoftmax:5", "asoftmax:6"),
)


def test_the_flops_are_the_networks_multiply_adds():
    s = Settings()  # digits: 64 inputs, 64, 64, 3 features, 6 classes
    assert cost.flops_per_model_step(s) == 6 * 128 * (64 * 64 + 64 * 64 + 64 * 3 + 3 * 6)
    assert cost.flops_per_model_step(s.replace(data="blobs", held_out=2)) == 6 * 128 * (
        32 * 64 + 64 * 64 + 64 * 3 + 3 * 6
    )


def test_the_huge_link_is_refused_naming_what_costs_most(monkeypatch):
    monkeypatch.delenv("SPHERE_TOY_MAX_RUN_SECONDS", raising=False)
    estimate = cost.raw_estimate(HUGE)
    assert 10 * 60 < estimate < 60 * 60  # about the 26 minutes it took
    refusal = cost.refusal(HUGE, estimate)
    assert refusal is not None and refusal.bound == 60
    # 20000 steps are 33x the default 600, the widths 25x its arithmetic: the steps cost most
    assert "about" in refusal.message and "60 s" in refusal.message and "Training steps (20000)" in refusal.message
    assert cost.refusal(Settings(), cost.raw_estimate(Settings())) is None  # the default run fits


@pytest.mark.parametrize("text, bound", [("120", 120.0), ("0", 60.0), ("-5", 60.0), ("lots", 60.0)])
def test_the_teacher_sets_the_bound(monkeypatch, text, bound):
    monkeypatch.setenv("SPHERE_TOY_MAX_RUN_SECONDS", text)
    assert cost.max_run_seconds() == bound


def test_steps_that_cost_most_are_named():
    long = Settings(steps=20000, held_out=0)
    refusal = cost.refusal(long, cost.raw_estimate(long), bound=1.0)
    assert "Training steps (20000)" in refusal.message


def test_the_calibration_follows_this_machine():
    cal = cost.Calibration()
    s = Settings(steps=3000)
    assert cal.factor == 1.0 and cal.estimate(s) == cost.raw_estimate(s)
    train = cost.train_estimate(s)
    assert train >= cost.MIN_OBSERVED_SECONDS
    for _ in range(3):
        cal.observe(s, 2 * train)  # this machine trains twice as slowly as the reference
    assert cal.factor == pytest.approx(2.0)
    for _ in range(30):
        cal.observe(s, 1000 * train)  # absurd measurements are held to a factor of 4
    assert cal.factor == 4.0


def test_a_run_too_short_to_measure_the_machine_does_not_calibrate():
    """A lone default run (0.3 s of arithmetic) that took 3 s in a busy server measured the server's fixed costs:
    it leaves the factor alone, while a merged call of eight such runs, long enough to measure, moves it."""
    cal, one = cost.Calibration(), Settings()
    assert cost.train_estimate(one) < cost.MIN_OBSERVED_SECONDS
    for _ in range(5):
        cal.observe([one], 10 * cost.train_estimate(one))
    assert cal.factor == 1.0
    room = [Settings(seed=k) for k in range(8)]
    assert cost.train_estimate(room) >= cost.MIN_OBSERVED_SECONDS
    cal.observe(room, 1.5 * cost.train_estimate(room))
    assert cal.factor == pytest.approx(1.5)


def test_an_estimate_counts_the_models_a_call_computes():
    """Specs that train alike count once (A-softmax m = 1 is M-softmax); the padding to the device count, and to the
    largest run of a merged call, counts in full: it costs what a model costs."""
    from sphere_toy.train import padded_size

    n_dev = train.device_count()
    default, two = Settings(), Settings(losses=("softmax", "asoftmax:4"), seed=3)
    assert cost.models(default) == 5  # six specs, five models
    alone = padded_size(5, n_dev)
    assert train.computed_models([default.specs()]) == alone
    assert train.computed_models([default.specs()] * 3) == padded_size(3, n_dev) * 5
    assert train.computed_models([two.specs(), default.specs()]) == padded_size(2, n_dev) * 5
    per_model = cost.MODEL_OVERHEAD + cost.SECONDS_PER_FLOP * cost.flops_per_model_step(default)
    assert cost.train_estimate(default) == pytest.approx(default.steps * (cost.STEP_OVERHEAD + alone * per_model))
    assert cost.train_estimate([default] * 3) == pytest.approx(
        default.steps * (cost.STEP_OVERHEAD + padded_size(3, n_dev) * 5 * per_model)
    )


def test_a_program_in_memory_costs_no_compiling(monkeypatch):
    """The compile second is counted only for a program this process does not hold: a run's first chunk compiles
    the program of every run with its shapes (steps, seeds and rates are traced), merged calls have their own."""
    monkeypatch.setattr(train.cache, "_programs", set())  # as in a fresh process
    first, second = Settings(seed=11), Settings(seed=12)
    assert cost.raw_estimate(first) == pytest.approx(cost.COMPILE_SECONDS + cost.train_estimate(first))
    train.train_grid(*first.experiment(first_chunk=True))
    assert train.in_memory(train.program_key([first.experiment()]))
    assert train.in_memory(train.program_key([second.experiment()]))  # seeds are traced: one program
    assert cost.raw_estimate(second) == pytest.approx(cost.train_estimate(second))
    assert cost.raw_estimate(second.replace(hidden=(48, 48))) == pytest.approx(
        cost.COMPILE_SECONDS + cost.train_estimate(second.replace(hidden=(48, 48)))
    )  # another shape
    pair = [first, second]
    assert cost.raw_estimate(pair) == pytest.approx(cost.COMPILE_SECONDS + cost.train_estimate(pair))
    train.train_experiments([s.experiment(first_chunk=True) for s in pair])
    assert cost.raw_estimate([Settings(seed=13), Settings(seed=14)]) == pytest.approx(cost.train_estimate(pair))
