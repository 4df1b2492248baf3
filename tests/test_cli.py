"""The command line: JSON schema, saved runs, exit status 2 on bad input (one line, no traceback), 3 on divergence."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from sphere_toy.__main__ import main
from sphere_toy.errors import SettingError
from sphere_toy.train import load_result

SMALL = [
    "--data",
    "blobs",
    "--classes",
    "3",
    "--held-out",
    "2",
    "--dim",
    "2",
    "--hidden",
    "16",
    "--steps",
    "200",
    "--batch",
    "32",
]
KEYS = {
    "loss": str,
    "margin": (int, float),
    "input_open_set_auc": float,
    "final_loss": float,
    "train_acc": float,
    "test_acc": float,
    "max_intra_angle": float,
    "min_inter_angle": float,
    "p95_intra_angle": float,
    "p5_inter_angle": float,
    "min_weight_angle": float,
    "open_set_auc": float,
    "compile_seconds": float,
    "train_seconds": float,
}


def test_compare_json_schema(capsys):
    assert main(["compare", *SMALL, "--m", "1", "4", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["loss"], r["margin"], r["scale"]) for r in records] == [
        ("softmax", 0, None),
        ("msoftmax", 0, None),
        ("asoftmax", 1, None),
        ("asoftmax", 4, None),
    ]
    for r in records:
        for key, kind in KEYS.items():
            assert isinstance(r[key], kind), (key, r[key])
        assert r["nan_step"] is None
        assert 0 <= r["test_acc"] <= 1 and 0 <= r["min_weight_angle"] <= np.pi


@pytest.mark.slow
def test_losses_name_the_whole_family_with_margins_and_scale(capsys):
    args = [
        "compare",
        *SMALL,
        "--losses",
        "softmax",
        "asoftmax:2",
        "normface",
        "cosface:0.2",
        "arcface",
        "--scale",
        "8",
        "--json",
    ]
    assert main(args) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["loss"], r["margin"], r["scale"], r["name"]) for r in records] == [
        ("softmax", 0, None, "softmax"),
        ("asoftmax", 2, None, "A-softmax m=2"),
        ("normface", 0, 8.0, "NormFace"),
        ("cosface", 0.2, 8.0, "CosFace m=0.2"),
        ("arcface", 0.5, 8.0, "ArcFace m=0.5"),
    ]
    assert main(["compare", *SMALL, "--losses", "cosface", "--m", "3", "--json"]) == 0  # --m adds A-softmax models
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["A-softmax m=3", "CosFace m=0.35"]


def test_the_cli_and_the_app_share_names_and_bounds():
    from sphere_toy.__main__ import build_parser, flag
    from sphere_toy.experiment import LIMITS

    compare = build_parser()._subparsers._group_actions[0].choices["compare"]
    actions = {a.dest: a for a in compare._actions}
    for field, limit in LIMITS.items():
        action = actions[field]
        assert flag(field) in action.option_strings
        if limit.choices:
            assert tuple(action.choices) == limit.choices
        elif field not in ("losses", "hidden"):
            parse = action.type
            assert parse(str(limit.lo)) == limit.lo and parse(str(limit.hi)) == limit.hi
            for outside in (limit.lo - 1, limit.hi * 2 + 1):
                with pytest.raises(Exception, match="out of range"):
                    parse(str(outside))


def test_compare_table(capsys):
    assert main(["compare", *SMALL, "--m", "2"]) == 0
    out = capsys.readouterr().out
    assert "A-softmax m=2" in out and "M-softmax" in out and "steps/s" in out


def test_no_held_out_classes_gives_null_auc(capsys):
    assert main(["compare", *SMALL[:4], "--held-out", "0", *SMALL[6:], "--m", "1", "--json"]) == 0
    assert all(r["open_set_auc"] is None for r in json.loads(capsys.readouterr().out))


def test_train_saves_a_run(tmp_path, capsys):
    out = tmp_path / "run.npz"
    assert main(["train", *SMALL, "--m", "3", "--seed", "0", "1", "--out", str(out)]) == 0
    run = load_result(out)
    assert [s.name for s in run.specs] == ["softmax", "M-softmax", "A-softmax m=3"] * 2
    assert run.test_features.shape[:1] == (6,) and run.test_features.shape[2] == 2
    assert run.config.steps == 200 and run.history["loss"].shape == (6, 200)
    assert run.snapshots.shape[1] == len(run.snapshot_steps)


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--m", "0"], "--m"),
        (["--classes", "100"], "--classes"),
        (["--dim", "7"], "--dim"),
        (["--steps", "-1"], "--steps"),
        (["--seed", "abc"], "--seed"),
        (["--hidden", "a,b"], "--hidden"),
        (["--classes", "7", "--held-out", "4"], "--classes"),
        (["--class-ids", "3,3"], "--class-ids"),
        (["--class-ids", "0"], "--class-ids"),  # one class: the count comes from --class-ids, not --classes
        (["--data", "blobs", "--class-ids", "1,2"], "--class-ids"),
        (["--class-ids", "1,2,3", "--held-out", "9"], "--held-out"),
        (["--lr", "nan"], "--lr"),
        (["--data", "mnist"], "--data"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(args, flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and err.count("\n") == 1 and "Traceback" not in err
    message = err.split(": error: ", 1)[1]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), message  # a flag, never the library's field (held_out)


def test_a_setting_error_names_its_fields_as_the_reader_calls_them():
    e = SettingError("{classes} must list {n_classes}=3 ids, got {1: 2}", "classes", "n_classes")
    assert str(e) == "classes must list n_classes=3 ids, got {1: 2}"  # a value's braces are left alone
    named = e.named({"classes": "--class-ids", "n_classes": "--classes"})
    assert named == "--class-ids must list --classes=3 ids, got {1: 2}"
    both = SettingError.joined([e, SettingError("{seed} must be >= 0", "seed")])
    assert both.fields == ("classes", "n_classes", "seed") and str(both).endswith("; seed must be >= 0")


def test_bad_argument_in_a_real_process():
    proc = subprocess.run([sys.executable, "-m", "sphere_toy", "compare", "--m", "0"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "python -m sphere_toy compare: error: argument --m: 0 is out of range [1, 6]"


def test_divergence_exits_3_and_says_where(capsys):
    code = main(["compare", *SMALL[:-4], "--steps", "50", "--optimizer", "sgd", "--lr", "10", "--m", "2", "--json"])
    assert code == 3
    captured = capsys.readouterr()
    assert all(r["nan_step"] is not None for r in json.loads(captured.out))
    assert "diverged at step" in captured.err and "lower the learning rate" in captured.err


@pytest.mark.slow
def test_figures_of_a_saved_run_are_pngs_and_a_stats_table(tmp_path, capsys):
    assert main(["train", *SMALL, "--m", "4", "--out", str(tmp_path / "run.npz")]) == 0
    assert main(["figures", "--from", str(tmp_path / "run.npz"), "--out", str(tmp_path)]) == 0  # no training
    written = capsys.readouterr().out.split()
    assert any(p.endswith("stats.md") for p in written)
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) >= 5 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert "A-softmax m=4" in (tmp_path / "stats.md").read_text()


def test_warmup_compiles_each_presets_own_grid(capsys):
    """One chunk of every experiment the app offers in one click, with the shapes its real run has."""
    from sphere_toy.__main__ import warmup
    from sphere_toy.experiment import PRESETS, Settings

    calls, rooms = [], []
    assert (
        warmup(
            train=lambda data, specs, config: calls.append((data, specs, config)),
            together=lambda experiments: rooms.append(len(experiments)),
        )
        == 0
    )
    wanted = [Settings()] + [p.settings for p in PRESETS.values()]
    assert len(calls) >= len(wanted)
    for (data, specs, config), settings in zip(calls, wanted):
        assert specs == settings.specs() and data.n_classes == settings.classes
        assert config == settings.train_config().__class__(
            **{**vars(settings.train_config()), "steps": config.chunk_steps}
        )
    # Then the default experiment's shape-changing form edits: a number of classes in the other bucket (6 classes
    # share a program with 2..8, and 9 with 10), with the held-out classes the form would clamp to, and line-ups of
    # 2, 4, 8 and 9 models.
    changes = calls[len(wanted) :]
    assert sorted(data.n_classes for data, specs, _ in changes if len(specs) == 6) == [9]
    assert all(data.n_classes + data.n_open_classes <= 10 for data, _, _ in changes)
    assert sorted(len(specs) for data, specs, _ in changes if data.n_classes == 6) == [2, 4, 8, 9]
    assert rooms == list(range(2, 9))  # every size of a group of default runs (5 models each, at most 40)
    out = capsys.readouterr().out
    assert "compilation cache:" in out and all(name in out for name in PRESETS)


def test_the_package_declares_its_console_script_and_ships_its_texts():
    """`pip install .` gives `sphere-toy` (the same CLI as `python -m sphere_toy`) and the files the package reads at
    run time: the About texts and the translation catalogs."""
    import importlib
    import pathlib
    import tomllib

    root = pathlib.Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    module, _, name = project["project"]["scripts"]["sphere-toy"].partition(":")
    assert getattr(importlib.import_module(module), name) is main
    package = root / "sphere_toy"
    shipped = {
        path
        for pattern in project["tool"]["setuptools"]["package-data"]["sphere_toy"]
        for path in package.glob(pattern)
    }
    read = {*package.glob("about*.md"), *package.glob("locale/*/LC_MESSAGES/*.po")}
    assert read and read <= shipped
