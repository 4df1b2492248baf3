"""What a run will cost before it starts: an estimate from its shapes, steps and models, and the teacher's bound.

A grid step costs a fixed overhead, a little per model (vmap's bookkeeping), and the arithmetic of every model's
forward and backward pass through the MLP. The three coefficients were measured on the project's 2-core CPU
(2026-11-30): 4 and 20 models of the identities preset (0.26 and 1.1 ms a step), the standard workload (6 models, 0.4
ms; since then its A-softmax m = 1 trains once, as M-softmax, so it trains 5, padded to 6 on two cores: a run counts
the models it computes, `train.computed_models`) and the largest run a link could ask for before this bound existed
(8 models of 4 x 256 units, batch 1024: 77 ms a step, 26 minutes for 20000 steps). A server then scales them by what
its own finished runs took against what was estimated for them (`Calibration`), so a faster or slower machine
converges on its own numbers.

The bound: `SPHERE_TOY_MAX_RUN_SECONDS` in the server's environment (default 60). A run estimated above it is
refused before anything starts, with the knob to lower named (`refusal`). Its words are in the current language
(`sphere_toy.i18n`): the refusal and `describe` are made for the page that shows them.
"""

from __future__ import annotations

import functools
import os
import statistics
import threading
from dataclasses import dataclass

from sphere_toy import train
from sphere_toy.core import margins
from sphere_toy.data import input_width
from sphere_toy.i18n import _, ngettext

DEFAULT_MAX_RUN_SECONDS = 60.0
STEP_OVERHEAD = 5e-5  # seconds per step, whatever the grid
MODEL_OVERHEAD = 4.5e-5  # seconds per model per step
SECONDS_PER_FLOP = 7.3e-12  # arithmetic, forward + backward (the large-matrix rate; small grids are faster per flop)
# A grid shape new to the process: 0.1-1 s from the persistent cache, where `warmup` puts a class's programs (the most
# for the first program of a process), 2-3 s compiled the first time on a machine.
COMPILE_SECONDS = 0.6


def max_run_seconds() -> float:
    """The teacher's bound in seconds ($SPHERE_TOY_MAX_RUN_SECONDS, default 60; unreadable text keeps 60)."""
    try:
        value = float(os.environ.get("SPHERE_TOY_MAX_RUN_SECONDS", DEFAULT_MAX_RUN_SECONDS))
    except ValueError:
        return DEFAULT_MAX_RUN_SECONDS
    return value if value > 0 else DEFAULT_MAX_RUN_SECONDS


def flops_per_model_step(settings) -> float:
    """Multiply-adds of one model's forward and backward pass over one minibatch: 6 x batch x Σ fan_in x fan_out
    (2 per multiply-add, 3 for forward + backward), through the hidden layers, the feature layer and the head."""
    widths = (input_width(settings.data_config()), *settings.hidden, settings.dim, settings.classes)
    return 6.0 * settings.batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def models(settings) -> int:
    """The models a run trains: its specs, those that train alike counted once (`margins.distinct`)."""
    return len(margins.distinct(settings.specs())[0])


def train_estimate(settings) -> float:
    """Seconds of training alone on the reference machine: steps x (overhead + per model + arithmetic), for every
    model the call computes (`train.computed_models`: a lone default run's 5 models are 6 on two cores).

    `settings` may be a list of experiments that train together in one call (`jobs.Jobs` merges them): one step
    overhead, and every experiment's models."""
    together = settings if isinstance(settings, (list, tuple)) else [settings]
    computed = train.computed_models([s.specs() for s in together])
    per_model = MODEL_OVERHEAD + SECONDS_PER_FLOP * flops_per_model_step(together[0])  # they share their shapes
    return together[0].steps * (STEP_OVERHEAD + computed * per_model)


def raw_estimate(settings) -> float:
    """Seconds from the start of a run to its result on the reference machine: compile (nothing when this process
    holds the program, `train.in_memory`) and train. (The open-set reports, about 0.15 s a model, are measured
    afterwards, while the server is idle: `jobs.measure`.)"""
    together = tuple(settings) if isinstance(settings, (list, tuple)) else (settings,)
    return (0.0 if train.in_memory(_program(together)) else COMPILE_SECONDS) + train_estimate(settings)


@functools.lru_cache(maxsize=1024)
def _program(together: tuple) -> tuple:
    """The key of the program that trains `together` (`train.program_key`), kept: it builds the data (about 1 ms),
    and every waiting page's progress bar asks for the estimate of every run ahead of it twice a second."""
    return train.program_key([s.experiment() for s in together])


MIN_OBSERVED_SECONDS = 1.0  # runs estimated shorter than this do not calibrate (`Calibration.observe`)


class Calibration:
    """This machine against the reference: the median of measured / estimated training time over its last runs.

    Only runs estimated at MIN_OBSERVED_SECONDS or more count. A default run trains in 0.3 s alone, but in a server
    whose pages are loading it took 2-3 s (its time is then the pages' and the chunks' fixed costs, not the
    arithmetic the estimate scales), and a few such runs held the factor at 4: a 24-s run was then refused as
    95 s. Merged calls of a room are longer (eight default runs: 2.2 s estimated, 2.8-3.1 s measured in a server
    with 30 waiting pages) and do count."""

    def __init__(self, keep: int = 20):
        self._ratios: list[float] = []
        self._keep = keep
        self._lock = threading.Lock()

    def observe(self, settings, train_seconds: float) -> None:
        """A finished run: its settings (or the list that trained together) and its measured training time."""
        estimate = train_estimate(settings)
        if estimate < MIN_OBSERVED_SECONDS:
            return
        ratio = train_seconds / estimate
        with self._lock:
            self._ratios = (self._ratios + [ratio])[-self._keep :]

    @property
    def factor(self) -> float:
        """How much slower (> 1) or faster this machine trains than the reference, within [0.25, 4]."""
        with self._lock:
            ratios = list(self._ratios)
        return min(max(statistics.median(ratios), 0.25), 4.0) if ratios else 1.0

    def estimate(self, settings) -> float:
        """Seconds to the result of `settings` (or of a list that trains together) on this machine."""
        return self.factor * raw_estimate(settings)


@dataclass(frozen=True)
class Refusal:
    seconds: float  # the estimate
    bound: float
    message: str  # what to tell the user: the estimate, the bound, the knob to lower


def refusal(settings, estimate: float, bound: float | None = None) -> Refusal | None:
    """None if the run fits the bound; else the words that refuse it, naming the knob that costs the most."""
    bound = max_run_seconds() if bound is None else bound
    if estimate <= bound:
        return None
    worst = sorted(_knobs(settings), key=lambda k: -k[0])[0][1]
    return Refusal(
        estimate,
        bound,
        _(
            "This run would take about {estimate} s; this server allows {bound} s (its "
            "teacher sets SPHERE_TOY_MAX_RUN_SECONDS). Lower {knob}."
        ).format(estimate=f"{estimate:.0f}", bound=f"{bound:.0f}", knob=worst),
    )


def _knobs(settings) -> list[tuple[float, str]]:
    """(how far above the default each costly knob is, its name in the form with its value)."""
    from sphere_toy.experiment import LIMITS, Settings

    def label(name: str) -> str:  # a field's name in the form (no literal inside _(): it would be extracted)
        return _(LIMITS[name].label)

    def knob(name: str, value) -> str:
        # TRANSLATORS: a control of the sidebar's form and its value: "Training steps (20000)".
        return _("{control} ({value})").format(control=label(name), value=value)

    default = Settings()
    n = len(settings.specs())
    return [
        (settings.steps / default.steps, knob("steps", settings.steps)),
        (settings.batch / default.batch, knob("batch", settings.batch)),
        (
            flops_per_model_step(settings.replace(batch=default.batch)) / flops_per_model_step(default),
            knob("hidden", ",".join(map(str, settings.hidden))),
        ),
        (
            n / len(default.specs()),
            ngettext("the models or {control} ({n} model)", "the models or {control} ({n} models)", n).format(
                control=label("seeds"), n=n
            ),
        ),
    ]


CALIBRATION = Calibration()  # this process's (this server's) runs


def describe(seconds: float) -> str:
    """ "≈ 4 s", "≈ 2 min" (in the current language)."""
    if seconds < 90:
        return _("≈ {seconds} s").format(seconds=f"{seconds:.0f}")
    return _("≈ {minutes} min").format(minutes=f"{seconds / 60:.0f}")
