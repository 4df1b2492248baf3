"""The room: every run a server finished, kept as numbers, grouped by experiment without its seed, and two models
compared seed by seed; the numbers are the tabs' own, the interval Student's, the sentences the numbers'."""

import dataclasses
import gc
import threading

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from sphere_toy import plots
from sphere_toy.analysis import evaluate, room
from sphere_toy.analysis.room import Group, RoomRun, SeedNumbers
from sphere_toy.core import margins
from sphere_toy.experiment import Settings
from sphere_toy.serving.jobs import Jobs
from sphere_toy.serving.room import Room

LINEUP = margins.sphereface_tokens((4,))  # softmax, M-softmax, A-softmax m=4: the conftest r3 grid's models
KEY = Settings(losses=LINEUP)
HANG = 30.0


def made_up(diffs: dict[str, list[float]], b_value: float = 10.0) -> Group:
    """A room whose A-softmax m=4 − M-softmax differences on each measure are `diffs[measure]` (one seed a run)."""
    n = len(next(iter(diffs.values())))
    runs = []
    for k in range(n):
        b = {key: b_value for key in diffs} | {room.ROBUST: 0.0}
        a = {key: b_value + d[k] for key, d in diffs.items()} | {room.ROBUST: 1.0}
        numbers = (SeedNumbers(k, k, {"asoftmax:4": a, "msoftmax": b}),)
        runs.append(RoomRun(KEY.replace(seed=k), 0.0, numbers, measured=True))
    return Group(KEY, tuple(runs))


# ---- the numbers ----


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=40))
def test_the_interval_is_students_t_as_scipy_computes_it(diffs):
    from scipy import stats

    got = room.t_interval(diffs)
    if np.std(diffs) < 1e-9:  # scipy returns nan for a spread of zero; ours is the mean itself
        assert got[0] == pytest.approx(np.mean(diffs)) and got[1] == pytest.approx(np.mean(diffs))
        return
    want = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    assert got == pytest.approx((want.low, want.high), rel=1e-9, abs=1e-9)


def test_pairs_are_each_seed_with_itself_and_only_where_both_have_a_value():
    samples = [
        SeedNumbers(0, 0, {"a": {"theta_y": 5.0}, "b": {"theta_y": 9.0}}),
        SeedNumbers(0, 1, {"a": {"theta_y": 7.0}, "b": {"theta_y": 6.0}}),
        SeedNumbers(3, 3, {"a": {"theta_y": None}, "b": {"theta_y": 6.0}}),  # a diverged: no pair
        SeedNumbers(4, 4, {"a": {"theta_y": 2.0}, "b": {"theta_y": 2.0}}),
    ]
    p = room.paired(samples, "theta_y", "a", "b")
    assert p.diffs == (-4.0, 1.0, 0.0) and p.samples == ((0, 0), (0, 1), (4, 4))
    assert (p.lower, p.higher, p.n) == (1, 1, 3) and p.of(0, 1) == 1.0 and p.of(3, 3) is None


@pytest.mark.parametrize(
    "diffs, direction",
    [
        ([-3.0, -2.5, -4.0, -3.2], -1),  # every seed lower, tightly: settled
        ([0.02, 0.03, 0.01, 0.025], 1),
        ([-1.0, 2.0, -0.5, 1.5], 0),  # both signs: the interval holds 0
        ([-3.0, -2.0], 0),  # two seeds are too few to settle anything
    ],
)
def test_the_room_settles_a_sign_only_with_enough_seeds_and_an_interval_without_zero(diffs, direction):
    p = room.paired(made_up({"theta_y": diffs}).samples, "theta_y", "asoftmax:4", "msoftmax")
    assert p.direction == direction
    text = plots.room.pair_sentence(p)
    if direction:
        assert "settles it" in text and f"on {p.lower if direction < 0 else p.higher} of {p.n} seeds" in text
        low, high = p.interval
        assert plots.room.value_text(room.THETA_Y, low, signed=True) in text
    elif p.n >= room.MIN_SEEDS:
        assert "cannot tell them apart" in text
    else:
        assert "compares them from 3 seeds on" in text


def test_whether_the_room_agrees_with_the_run_on_screen_follows_the_signs():
    group = made_up({"theta_y": [-3.0, -2.5, -4.0, -3.2, -2.0]})
    agrees = plots.agreement_text(group, "theta_y", "asoftmax:4", "msoftmax", -1.0)
    differs = plots.agreement_text(group, "theta_y", "asoftmax:4", "msoftmax", 0.5)
    assert agrees.startswith("The room agrees") and differs.startswith("The room does not agree")
    mixed = made_up({"theta_y": [-1.0, 2.0, -0.5, 1.5]})
    assert plots.agreement_text(mixed, "theta_y", "asoftmax:4", "msoftmax", -1.0).startswith("The room cannot")
    mine = plots.mine_text(group, 2, "theta_y", "asoftmax:4", "msoftmax")  # seed 2's difference, −4.0, is the lowest
    assert "seed 2" in mine and "−4.0°" in mine and "0 seeds are below yours" in mine


def test_a_runs_numbers_are_the_tabs_own(r3):
    for g in range(len(r3.specs)):
        got, record = room.quick_numbers(r3, g), evaluate.record(r3, g)
        assert got["theta_y"] == pytest.approx(np.degrees(record.mean_target_angle), rel=1e-12)
        assert got["test_acc"] == record.test_acc and got["separation"] == record.class_separation
        assert got["robust"] == float(record.robust_criterion_met)
        assert room.open_set_auc(r3, g) == record.open_set_auc


# ---- the room of a server ----


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_runs_group_by_experiment_without_their_seed_and_carry_nothing_personal(r3):
    the_room = Room()
    for seed in (3, 1, 2):
        the_room.add(KEY.replace(seed=seed), r3)
    the_room.add(KEY.replace(seed=1, lr=0.01), r3)  # another experiment
    the_room.add(KEY.replace(seed=5, seeds=2), r3)  # yet another: two seeds a run
    groups = the_room.groups()
    assert [len(g.samples) for g in groups] == [3, 1, 1]  # the largest first (a seeds=2 run of r3's one seed)
    assert groups[0].key == KEY and [r.settings.seed for r in groups[0].runs] == [3, 1, 2]
    assert groups[0].mine(KEY.replace(seed=1)) == 1 and groups[0].mine(KEY.replace(seed=9)) is None
    assert [r.settings for r in the_room.group(KEY.replace(seed=42)).runs] == [r.settings for r in groups[0].runs]
    assert {f.name for f in dataclasses.fields(RoomRun)} == {"settings", "age", "seeds", "measured"}
    assert {f.name for f in dataclasses.fields(SeedNumbers)} == {"run", "seed", "values"}


def test_the_room_is_bounded_by_count_and_age_and_a_teacher_clears_it(r3):
    clock = Clock()
    the_room = Room(max_runs=3, max_age=60.0, max_pending=2, clock=clock)
    for seed in range(5):
        clock.now = seed
        the_room.add(KEY.replace(seed=seed), r3)
    assert [r.settings.seed for r in the_room.group(KEY).runs] == [2, 3, 4] and the_room.pending() == 2
    clock.now = 62.5  # seeds 2 finished 60.5 s ago
    assert [r.settings.seed for r in the_room.group(KEY).runs] == [3, 4]
    version = the_room.version
    the_room.clear()
    assert the_room.groups() == [] and the_room.pending() == 0 and the_room.version > version


def test_aucs_come_while_idle_from_the_run_or_from_its_kept_features_once_it_is_gone(r3, r2):
    the_room = Room()
    the_room.add(KEY.replace(seed=1), r3)
    assert (
        the_room.group(KEY).measured == 0 and the_room.group(KEY).samples[0].value("asoftmax:4", "open_set_auc") is None
    )
    assert not the_room.measure_next(busy=lambda: True) and the_room.pending() == 1  # a run waits: back in line
    assert the_room.measure_next() and the_room.pending() == 0
    assert the_room.group(KEY).samples[0].value("asoftmax:4", "open_set_auc") == evaluate.record(r3, 2).open_set_auc

    copy = dataclasses.replace(r2)  # a run the finished-runs cache lets go before the room measures it
    want = [room.open_set_auc(r2, g) for g in range(len(r2.specs))]
    the_room.add(KEY.replace(seed=2), copy)
    del copy
    gc.collect()
    assert the_room.measure(KEY.replace(seed=2)) and not the_room.measure(KEY.replace(seed=2))
    got = [the_room.group(KEY).runs[1].seeds[0].value(t, "open_set_auc") for t in LINEUP]
    assert got == want


def test_the_queue_puts_a_run_in_the_room_before_its_pages_see_it_and_measures_it_when_idle(r3):
    the_room, seen = Room(), []
    jobs = Jobs(train=lambda settings, progress: r3, together=None, room=the_room, idle_after=0.0)
    add = the_room.add

    def watched(settings, result):  # is the run already finished for its pages when it enters the room?
        seen.append(jobs.peek(settings).finished.is_set())
        add(settings, result)

    the_room.add = watched
    for seed in (7, 8):
        assert jobs.get(KEY.replace(seed=seed)).finished.wait(HANG)
    assert seen == [False, False]
    assert jobs.wait_idle(HANG) and jobs.busy() == 0
    for _ in range(int(HANG / 0.05)):  # measured by the worker once idle, not by this test
        if the_room.group(KEY).measured == 2:
            break
        threading.Event().wait(0.05)
    assert the_room.group(KEY).measured == 2 and the_room.pending() == 0


def test_a_students_run_is_a_star_at_its_own_values():
    group = made_up({"theta_y": [-3.0, -2.5, -4.0, -3.2, -2.0]})
    with plots.on_screen(None):
        fig = plots.room_pairs_figure(group, "asoftmax:4", "msoftmax", ("theta_y",), mark=2)
    stars = [c for c in fig.axes[0].collections if c.get_paths() and len(c.get_offsets()) == 1]
    assert [tuple(np.round(c.get_offsets()[0], 6))[0] for c in stars] == [-4.0]
