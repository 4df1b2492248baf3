"""Memory over a long lesson: does the app's process grow as a class clicks around?

Drives the real app script with Streamlit's AppTest (in this process, so its resident memory is the app's): one
session on the standard experiment goes through every tab, every model, several bins, ψ sliders, snapshots and the
Play animation, then a preset and a form run with a network of another width (new shapes to compile), round after
round. The caches are bounded (`st.cache_data(max_entries=...)`) and every matplotlib
figure is cleared once it is a PNG, so after the caches fill the resident set should level off. Prints the resident
memory after each round; the verdict compares the last rounds with the first ones after warm-up.

    python benchmarks/bench_memory.py [--rounds 12]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

import sphere_toy  # noqa: F401  (before JAX starts: sets the XLA flags)
from streamlit.testing.v1 import AppTest

from sphere_toy import views
from sphere_toy.experiment import PRESETS

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
MODELS = ("softmax", "M-softmax", "A-softmax m=1", "A-softmax m=2", "A-softmax m=3", "A-softmax m=4")


def rss_mb() -> float:
    """Resident set size of this process now (not the peak), from /proc."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# The values a round gives each view's controls (`views.View.controls`), turning with the round.
ROUND_VALUES = {
    "psi_m": range(1, 9),
    "psi_lam": (0.0, 0.3, 3.0),
    "model": MODELS,
    "bins": (18, 36, 45, 90),
    "snap": (0, 300, 600),
}


def one_round(at: AppTest, r: int) -> int:
    """Every view once, with values that change from round to round; returns the number of script runs."""
    runs = 0

    def show(**params) -> None:
        nonlocal runs
        at.query_params.update({k: str(v) for k, v in params.items()})
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        runs += 1

    for view in map(views.view, views.TABS):  # each view as often as its longest list of values
        keys = [key for key in view.controls if key in ROUND_VALUES]
        for i in range(max((len(ROUND_VALUES[key]) for key in keys), default=1)):
            show(tab=view.name, **{key: ROUND_VALUES[key][(i + r) % len(ROUND_VALUES[key])] for key in keys})
    at.query_params["tab"] = "Training"
    at.run()
    at.toggle(key="play").set_value(True)  # the animation
    at.run()
    at.toggle(key="play").set_value(False)
    at.run()
    return runs + 3 + other_experiments(at, r)


def other_experiments(at: AppTest, r: int) -> int:
    """What a class does besides looking: a preset (each in turn), then a form run with a network of a new width
    (16..56: six shapes, each a new compiled program), each shown in two tabs; then back to the standard run."""
    name = list(PRESETS)[r % len(PRESETS)]
    next(b for b in at.sidebar.button if b.label == name).click()
    at.run()
    for tab in ("Compare", "Features"):
        at.query_params["tab"] = tab
        at.run()
    at.text_input(key="form_hidden").set_value(str(16 + 8 * (r % 6)))
    at.number_input(key="form_steps").set_value(1000)
    next(b for b in at.sidebar.button if b.label == "Train").click()
    at.run()
    for tab in ("Compare", "Angles"):
        at.query_params["tab"] = tab
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.query_params.clear()  # the standard experiment again, for the next round's views
    at.query_params["tab"] = "Features"
    at.run()
    return 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12, help="rounds through every view")
    args = parser.parse_args()
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["tab"] = "Features"
    start = time.perf_counter()
    at.run()  # trains the standard experiment once
    print(f"memory over a lesson: {args.rounds} rounds through every view of the standard experiment")
    print(f"after the first page and its training: {rss_mb():7.1f} MB ({time.perf_counter() - start:.1f} s)")
    sizes = []
    for r in range(args.rounds):
        t = time.perf_counter()
        runs = one_round(at, r)
        sizes.append(rss_mb())
        print(f"round {r + 1:2d}: {sizes[-1]:7.1f} MB resident  ({runs} page runs in {time.perf_counter() - t:.1f} s)")
    if len(sizes) >= 6:
        early, late = max(sizes[1:3]), max(sizes[-3:])
        print(
            f"growth from rounds 2-3 to the last 3: {late - early:+.1f} MB "
            f"({(late - early) / max(1, len(sizes) - 3):+.1f} MB per round)"
        )


if __name__ == "__main__":
    main()
