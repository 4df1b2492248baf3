"""The sweep: one knob over seeds, its table and figure, each number the open-set AUC of that experiment's run."""

import csv

import pytest

from sphere_toy.analysis import evaluate
from sphere_toy.__main__ import main
from sphere_toy.data import load
from sphere_toy.experiment import Settings
from sphere_toy.analysis.sweep import settings_for, sweep, sweep_markdown
from sphere_toy.train import train_grid

TINY = Settings(
    data="blobs", classes=3, held_out=3, hidden=(8,), steps=100, batch=32, losses=("msoftmax", "asoftmax:2"), seeds=2
)


def _train(settings):
    return train_grid(load(settings.data_config()), settings.specs(), settings.train_config())


def test_each_value_sets_its_knob_and_keeps_the_rest():
    assert settings_for(TINY, "dim", 8).replace(dim=3) == TINY
    assert settings_for(TINY, "m", 4).losses == ("msoftmax", "asoftmax:4")
    assert settings_for(Settings(), "classes", 9).held_out == 1  # digits: 9 trained leave one to hold out
    with pytest.raises(ValueError, match="dim = 5"):
        settings_for(TINY, "dim", 5)


@pytest.mark.slow
def test_the_sweep_reads_each_runs_own_aucs(tmp_path):
    rows = sweep(TINY, "dim", [2, 8], _train)
    assert [(r.value, r.name) for r in rows] == [
        (2, "M-softmax"),
        (2, "A-softmax m=2"),
        (8, "M-softmax"),
        (8, "A-softmax m=2"),
    ]
    again = _train(settings_for(TINY, "dim", 8))  # the same experiment trained alone gives the same numbers
    want = evaluate.seed_aucs(again)[1].aucs
    assert rows[3].aucs == pytest.approx(want, abs=1e-6) and len(rows[3].aucs) == 2
    table = sweep_markdown(rows, "dim")
    assert f"{rows[3].mean:.3f} ± {rows[3].sd:.3f}" in table and "over 2 seeds" in table


def test_the_cli_writes_the_table_the_csv_and_the_figure(tmp_path, capsys):
    args = [
        "sweep",
        "--data",
        "blobs",
        "--classes",
        "3",
        "--held-out",
        "3",
        "--hidden",
        "8",
        "--steps",
        "100",
        "--batch",
        "32",
        "--losses",
        "msoftmax",
        "asoftmax:2",
        "--seeds",
        "2",
        "--knob",
        "m",
        "--values",
        "2",
        "4",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    assert "| A-softmax margin m | M-softmax | A-softmax | raw inputs |" in capsys.readouterr().out
    with open(tmp_path / "sweep.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2 and {r["model"] for r in rows} == {"M-softmax", "A-softmax"}
    assert all(0 <= float(r["open_set_auc"]) <= 1 for r in rows)
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "A-softmax margin m" in (tmp_path / "sweep.md").read_text()
