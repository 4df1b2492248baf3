"""The workloads of benchmarks/bench_teaching.py, the table the defaults were chosen from, are what its docstring and
docs/speed.md say: steps for every experiment, widths only where the app trains the default 64,64, γ per run only
where asked (and the paper-like γ for the reference), and "app" as the app ships each experiment."""

import importlib.util
import pathlib
import sys

import pytest

from sphere_toy.core.losses import PAPER_LIKE_GAMMA
from sphere_toy.experiment import PRESETS, Settings

PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_teaching.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_teaching", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_workload_sets_steps_widths_and_gamma_as_written(bench):
    default, imbalanced = Settings(), PRESETS["Imbalanced classes"].settings
    assert bench.workload("600x32,32", default) == default.replace(steps=600, hidden=(32, 32))
    assert bench.workload("600x32,32@360", default) == default.replace(steps=600, hidden=(32, 32), lambda_gamma=360.0)
    assert bench.workload("400x32,32", imbalanced) == imbalanced.replace(steps=400)  # its own 16 units stay
    assert bench.workload(bench.REFERENCE, default) == default.replace(steps=3000, lambda_gamma=PAPER_LIKE_GAMMA)
    assert bench.workload(bench.SHIPPED, imbalanced) is imbalanced


def test_the_reference_is_the_paper_like_preset_the_app_offers(bench):
    assert bench.workload(bench.REFERENCE, Settings()) == PRESETS["Paper Fig. 5 at 3000 steps"].settings


def test_every_effect_names_an_experiment_that_is_trained(bench):
    effects = bench._effects()
    assert len(effects) >= 30 and {e.experiment for e in effects} <= set(bench.EXPERIMENTS)
    assert bench.INNER_SEEDS <= set(bench.EXPERIMENTS)
