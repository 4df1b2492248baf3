"""Training the grid: the margin effect on seeded blobs, reproducibility, shapes, divergence reporting."""

import dataclasses

import jax
import numpy as np
import pytest

import sphere_toy.train
from sphere_toy.analysis import evaluate
from sphere_toy.analysis import metrics
from sphere_toy.data import DataConfig, load
from sphere_toy.core.losses import run_lambda_schedule
from sphere_toy.core.margins import ModelSpec, model_grid
from sphere_toy.train import Experiment, TrainConfig, load_result, merge_key, save_result, train_experiments, train_grid

CONFIG = TrainConfig(hidden=(32,), feature_dim=3, steps=800, batch_size=64, chunk_steps=200)
DATA = DataConfig(source="blobs", n_classes=4, held_out=2, input_dim=16, samples_per_class=100, seed=0)


@pytest.fixture(scope="module")
def data():
    return load(DATA)


@pytest.fixture(scope="module")
def result(data):
    return train_grid(data, model_grid(ms=(1, 4), seeds=(0, 1)), CONFIG)


def test_grid_shapes(result, data):
    g, d, c = 8, 3, 4
    assert [s.name for s in result.specs[:4]] == ["softmax", "M-softmax", "A-softmax m=1", "A-softmax m=4"]
    assert result.weights.shape == (g, d, c) and result.bias.shape == (g, c)
    assert result.train_features.shape == (g, len(data.y_train), d)
    assert result.test_features.shape == (g, len(data.y_test), d)
    assert result.open_features.shape == (g, len(data.y_open), d)
    assert result.history["loss"].shape == (g, CONFIG.steps) == result.history["train_acc"].shape
    assert list(result.snapshot_steps) == [0, 200, 400, 600, 800]
    assert result.snapshots.shape == (g, 5, len(result.snapshot_index), d)
    assert list(result.nan_step) == [-1] * g


def test_angular_models_have_unit_weights_and_no_bias(result):
    for g, spec in enumerate(result.specs):
        norms = np.linalg.norm(result.weights[g], axis=0)
        if spec.kind.bias:
            assert np.any(result.bias[g] != 0) and not np.allclose(norms, 1)
        else:
            np.testing.assert_allclose(norms, 1, rtol=1e-5)
            assert np.all(result.bias[g] == 0)


def test_lambda_history_follows_the_schedule_only_where_there_is_a_margin(result):
    lam = result.history["lambda"]
    expected = run_lambda_schedule(
        np.arange(CONFIG.steps),
        CONFIG.steps,
        CONFIG.lambda_base,
        CONFIG.lambda_gamma,
        CONFIG.lambda_power,
        CONFIG.lambda_min,
    )
    np.testing.assert_allclose(lam[3], expected, rtol=1e-6)
    assert np.all(np.isnan(lam[:3]))


def test_training_learns(result):
    for g in range(len(result.specs)):
        rec = evaluate.record(result, g)
        assert rec.test_acc > 0.85, rec
        assert result.history["loss"][g, -50:].mean() < 0.5 * result.history["loss"][g, :50].mean()


@pytest.mark.parametrize("seed_offset", [0, 4])
def test_margin_effect(result, seed_offset):
    # SphereFace's claim, on a toy: m = 4 pulls each class tighter around its weight and pushes the weights apart.
    m_soft, a_soft4 = evaluate.record(result, seed_offset + 1), evaluate.record(result, seed_offset + 3)
    assert (m_soft.name, a_soft4.name) == ("M-softmax", "A-softmax m=4")
    assert a_soft4.mean_target_angle < 0.8 * m_soft.mean_target_angle
    assert a_soft4.min_weight_angle > m_soft.min_weight_angle


def test_a_softmax_m1_is_m_softmax_trained_once(result, data, monkeypatch):
    """Same init, same batches, same logits (ψ = cos for m = 1): one model, trained once, whose run both specs get."""
    for name in ("train_features", "test_features", "open_features", "snapshots", "weights", "bias", "nan_step"):
        np.testing.assert_array_equal(getattr(result, name)[2], getattr(result, name)[1], err_msg=name)
    for name in ("loss", "train_acc"):
        np.testing.assert_array_equal(result.history[name][2], result.history[name][1], err_msg=name)
    assert np.isnan(result.history["lambda"][1:3]).all()  # neither anneals: no margin
    trained = []
    hyper = sphere_toy.core.margins.hyper
    monkeypatch.setattr(sphere_toy.core.margins, "hyper", lambda specs: trained.append(len(specs)) or hyper(specs))
    train_grid(data, model_grid(ms=(1, 4), seeds=(0, 1)), dataclasses.replace(CONFIG, steps=10, chunk_steps=10))
    n_dev = len(jax.devices())  # the grid is padded to a multiple of the devices (one per core, up to 8)
    assert trained == [-(-6 // n_dev) * n_dev]  # 8 specs, 6 models: M-softmax and A-softmax m = 1 once per seed


def test_same_seed_same_numbers(result, data):
    again = train_grid(data, model_grid(ms=(1, 4), seeds=(0, 1)), CONFIG)
    np.testing.assert_array_equal(again.test_features, result.test_features)
    np.testing.assert_array_equal(again.history["loss"], result.history["loss"])


def test_seeds_change_the_initialisation(result):
    assert not np.allclose(result.test_features[0], result.test_features[4])


def test_records_are_typed_and_agree_with_the_metrics(result, data):
    rec = evaluate.record(result, 3)
    assert (rec.loss, rec.margin, rec.scale, rec.nan_step) == ("asoftmax", 4, None, None)
    stats = metrics.angle_stats(result.test_features[3], data.y_test)
    assert rec.max_intra_angle == stats["max_intra_angle"] and rec.p5_inter_angle == stats["p5_inter_angle"]
    assert rec.robust_criterion_met == (stats["p95_intra_angle"] < stats["p5_inter_angle"])
    assert rec.test_acc == metrics.accuracy(result.test_features[3], result.weights[3], result.bias[3], data.y_test)
    assert 0.0 <= rec.open_set_auc <= 1.0
    assert 0 <= rec.max_intra_angle <= np.pi and rec.p95_intra_angle <= rec.max_intra_angle
    assert set(rec.as_json()) >= {"loss", "margin", "scale", "open_set_auc", "nan_step"}


def test_open_set_reports_are_computed_once_per_result(result, data):
    report = evaluate.open_set_report(result, 3)
    assert evaluate.open_set_report(result, 3) is report  # memoised, not recomputed
    want = metrics.open_set_report(result.train_features[3], data.y_train, result.open_features[3], data.y_open)
    assert report["auc"] == want["auc"] and report["threshold"] == want["threshold"]
    assert evaluate.record(result, 3).open_set_auc == report["auc"]
    inputs = evaluate.input_open_set_report(result)
    assert inputs["auc"] == metrics.open_set_report(data.x_train, data.y_train, data.x_open, data.y_open)["auc"]
    assert {("open_set", 3), "open_set_inputs"} <= evaluate.measured(result)


def test_a_saved_run_loads_back_as_the_same_result(result, tmp_path):
    save_result(result, tmp_path / "run.npz")
    back = load_result(tmp_path / "run.npz")
    assert back.specs == result.specs and back.config == result.config
    for name in ("weights", "bias", "test_features", "open_features", "snapshots", "nan_step"):
        np.testing.assert_array_equal(getattr(back, name), getattr(result, name))
    np.testing.assert_array_equal(back.data.x_open, result.data.x_open)
    assert jax.tree.structure(back.params) == jax.tree.structure(result.params)
    for a, b in zip(jax.tree.leaves(back.params), jax.tree.leaves(result.params)):
        np.testing.assert_array_equal(a, b)
    assert evaluate.record(back, 3) == evaluate.record(result, 3)


def test_divergence_is_caught_and_reported(data):
    wild = TrainConfig(hidden=(32,), steps=200, batch_size=64, chunk_steps=200, optimizer="sgd", learning_rate=1e30)
    result = train_grid(data, [ModelSpec("softmax"), ModelSpec("asoftmax", 4)], wild)
    assert np.all(result.nan_step >= 0) and np.all(result.nan_step < 200)
    record = evaluate.record(result, 0)
    assert result.diverged(0) and record.nan_step == int(result.nan_step[0]) and not record.ok
    # Nothing is measured on a diverged model's features: the numbers would be garbage.
    assert record.test_acc is None and record.max_intra_angle is None and record.open_set_auc is None


def test_odd_grid_sizes_and_uneven_chunks(data):
    cfg = TrainConfig(hidden=(8,), feature_dim=2, steps=150, batch_size=32, chunk_steps=100)
    result = train_grid(data, [ModelSpec("asoftmax", 3)], cfg)
    assert result.test_features.shape == (1, len(data.y_test), 2)
    assert list(result.snapshot_steps) == [0, 100, 150]
    assert result.history["loss"].shape == (1, 150)


@pytest.mark.parametrize(
    "bad",
    [
        dict(feature_dim=1),
        dict(feature_dim=65),
        dict(steps=-1),
        dict(optimizer="rmsprop"),
        dict(learning_rate=0.0),
        dict(lambda_min=-1.0),
        dict(hidden=()),
    ],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


@pytest.mark.parametrize(
    "loss, m",
    [("softmax", 2), ("asoftmax", 0), ("asoftmax", 2.5), ("cosface", 1.5), ("arcface", -0.1), ("sphereface", 4)],
)
def test_bad_spec_is_refused(loss, m):
    with pytest.raises(ValueError):
        ModelSpec(loss, m)


def test_compiled_programs_are_bounded_by_shape(monkeypatch):
    """JAX's in-memory programs are forgotten once a seventh grid shape compiles (a server meets new shapes all day);
    a shape seen already never clears anything."""
    import sphere_toy.train as train

    cleared = []
    monkeypatch.setattr(train.cache.jax, "clear_caches", lambda: cleared.append(True))
    monkeypatch.setattr(train.cache, "_programs", set())
    for shape in range(train.cache.MAX_PROGRAMS):
        train.cache._bound_compiled_programs(("adam", shape))
        train.cache._bound_compiled_programs(("adam", 0))  # seen before: nothing to do
    assert cleared == []
    train.cache._bound_compiled_programs(("adam", "a seventh shape"))
    assert cleared == [True] and train.cache._programs == {("adam", "a seventh shape")}


def test_features_of_any_dimension_train_and_measure(data):
    """16-D features: nothing to draw, but the angles, the records and open-set verification work the same."""
    cfg = TrainConfig(hidden=(16,), feature_dim=16, steps=200, batch_size=32, chunk_steps=100)
    result = train_grid(data, model_grid(ms=(4,)), cfg)
    assert result.test_features.shape[-1] == 16 and result.weights.shape[1] == 16
    for rec in evaluate.records(result):
        assert rec.ok and 0 <= rec.mean_target_angle <= np.pi and rec.open_set_auc is not None


def test_seeds_train_together_and_views_get_the_first_seed(data):
    specs = model_grid(ms=(4,), seeds=(3, 4, 5))
    result = train_grid(data, specs, TrainConfig(hidden=(8,), feature_dim=3, steps=100, batch_size=32))
    view = evaluate.first_seed(result)
    assert [s.seed for s in view.specs] == [3, 3, 3] and evaluate.first_seed(result) is view
    np.testing.assert_array_equal(view.test_features, result.test_features[:3])
    assert evaluate.open_set_report(view, 2) is evaluate.open_set_report(result, 2)  # one report, not two
    rows = evaluate.seed_aucs(result)
    assert [r.name for r in rows] == ["softmax", "M-softmax", "A-softmax m=4"] and rows[0].seeds == (3, 4, 5)
    assert rows[2].aucs == tuple(evaluate.open_set_report(result, g)["auc"] for g in (2, 5, 8))
    assert rows[2].sd == pytest.approx(np.std(rows[2].aucs, ddof=1))
    (effect,) = evaluate.margin_effects(result)  # A-softmax m=4 against M-softmax, seed by seed
    assert (effect.name, effect.baseline) == ("A-softmax m=4", "M-softmax")
    assert effect.diffs == tuple(a - b for a, b in zip(rows[2].aucs, rows[1].aucs))
    assert effect.higher == sum(d > 0 for d in effect.diffs)


def test_experiments_trained_together_equal_each_trained_alone():
    """Three experiments with different data (seed), learning rate, λ floor, losses and margins: one merged call
    gives each the result it gets alone, to float rounding (the merged program sums in another order; over many
    steps training amplifies such differences, so this compares after 200 steps)."""
    short = dataclasses.replace(CONFIG, steps=200, chunk_steps=100)
    experiments = [
        Experiment(load(DATA), model_grid(ms=(1, 4)), short),  # 4 specs, 3 models (m = 1 is M-softmax)
        Experiment(
            load(dataclasses.replace(DATA, seed=1)),
            model_grid(ms=(2,), seeds=(5,)),
            dataclasses.replace(short, learning_rate=1e-3, lambda_min=5.0),
        ),
        Experiment(
            load(dataclasses.replace(DATA, seed=2, overlap=2.0)),
            (ModelSpec("cosface", 0.2, seed=3), ModelSpec("arcface", 0.4, seed=3)),
            short,
        ),
    ]
    together = train_experiments(experiments)
    for ex, merged in zip(experiments, together):
        alone = train_grid(*ex)
        assert merged.specs == alone.specs and merged.config == alone.config and merged.data is ex.data
        for name in ("train_features", "test_features", "open_features", "snapshots", "weights"):
            a, b = getattr(merged, name), getattr(alone, name)  # float32 rounding, grown over 200 steps
            assert np.abs(a - b).max() <= 1e-3 * np.abs(b).max(), name
        np.testing.assert_allclose(merged.history["loss"], alone.history["loss"], rtol=1e-3, atol=1e-4)
        np.testing.assert_array_equal(merged.history["lambda"], alone.history["lambda"])  # its own schedule
        np.testing.assert_array_equal(merged.snapshot_index, alone.snapshot_index)


def test_experiments_that_differ_in_shapes_cannot_train_together(data):
    other = load(dataclasses.replace(DATA, n_classes=3))
    assert merge_key(data, CONFIG) != merge_key(other, CONFIG)
    assert merge_key(data, CONFIG) == merge_key(
        load(dataclasses.replace(DATA, seed=9)), dataclasses.replace(CONFIG, learning_rate=0.1, lambda_base=5.0)
    )
    with pytest.raises(ValueError, match="cannot train together"):
        train_experiments(
            [Experiment(data, model_grid(ms=(2,)), CONFIG), Experiment(other, model_grid(ms=(2,)), CONFIG)]
        )


def test_merged_groups_of_nearby_sizes_share_one_compiled_program(data, monkeypatch):
    """A room's groups come in any size: 5 and 6 runs pad to 6 (a multiple of the 2 cores' devices), one program."""
    monkeypatch.setattr(sphere_toy.train.cache, "_programs", set())
    short = dataclasses.replace(CONFIG, steps=10, chunk_steps=10)
    for runs in (5, 6):
        experiments = [Experiment(data, (ModelSpec("asoftmax", 4, seed=i),), short) for i in range(runs)]
        results = train_experiments(experiments)
        assert [r.specs[0].seed for r in results] == list(range(runs))  # padding never reaches a result
    assert len(sphere_toy.train.cache._programs) == 1


def test_a_larger_m_up_to_eight_reuses_one_compiled_program(data, monkeypatch):
    """SphereFace's m bounds an unrolled recurrence: two buckets (m <= 4, m <= 8), so m = 5 and 6 compile once."""
    monkeypatch.setattr(sphere_toy.train.cache, "_programs", set())
    short = dataclasses.replace(CONFIG, steps=10, chunk_steps=10)
    for m in (5, 6):
        train_grid(data, (ModelSpec("asoftmax", m), ModelSpec("msoftmax")), short)
    assert len(sphere_toy.train.cache._programs) == 1


def test_any_number_of_classes_up_to_a_bucket_reuses_one_compiled_program(monkeypatch):
    """The form's commonest change, the number of classes, does not compile again: 2..8 classes (and their different
    numbers of training samples) share one program, 9..16 the next."""
    monkeypatch.setattr(sphere_toy.train.cache, "_programs", set())
    short = dataclasses.replace(CONFIG, steps=10, chunk_steps=10)
    for n_classes in (2, 5, 8):
        result = train_grid(load(dataclasses.replace(DATA, n_classes=n_classes)), model_grid(ms=(4,)), short)
        assert result.weights.shape[-1] == result.bias.shape[-1] == n_classes  # no padding reaches a result
        assert result.params["head"]["w"].shape[-1] == n_classes
    assert len(sphere_toy.train.cache._programs) == 1
    train_grid(load(dataclasses.replace(DATA, n_classes=9)), model_grid(ms=(4,)), short)
    assert len(sphere_toy.train.cache._programs) == 2


def _exact_shapes(train, *args):
    """`train(*args)` compiled for the run's exact numbers of classes and training samples (no buckets)."""
    with pytest.MonkeyPatch.context() as exact:
        exact.setattr(sphere_toy.train.padding, "CLASS_BUCKET", 1)
        exact.setattr(sphere_toy.train.padding, "ROW_BUCKET", 1)
        return train(*args)


def _assert_same_run(padded, exact):
    """Equal to float rounding: a wider log-sum-exp and matmul round in another order, and over 200 steps training
    amplifies that."""
    for name in ("train_features", "test_features", "open_features", "snapshots", "weights", "bias"):
        a, b = getattr(padded, name), getattr(exact, name)
        assert a.shape == b.shape, name
        assert np.abs(a - b).max() <= 1e-3 * np.abs(b).max(), name
    np.testing.assert_allclose(padded.history["loss"], exact.history["loss"], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(padded.history["train_acc"], exact.history["train_acc"], atol=1 / 64 + 1e-9)
    np.testing.assert_array_equal(padded.snapshot_index, exact.snapshot_index)
    assert (padded.nan_step == -1).all()


@pytest.mark.parametrize(
    "n_classes, optimizer, losses",
    [
        (5, "adam", model_grid(ms=(4,))),  # 8 classes and 2048 rows in the program
        (5, "adam", (ModelSpec("normface"), ModelSpec("cosface", 0.2), ModelSpec("arcface", 0.4))),
        (2, "sgd", model_grid(ms=(4,))),  # 160 training samples, fewer than the 300 snapshotted: snapshots padded too
    ],
)
def test_padded_classes_and_rows_train_as_the_unpadded_run(n_classes, optimizer, losses):
    """The padded classes are no classes (masked out of every logit: no probability, no gradient, no vote) and the
    padded rows are never sampled, so a run equals the same run compiled for its exact shapes."""
    data = load(dataclasses.replace(DATA, n_classes=n_classes))
    short = dataclasses.replace(CONFIG, steps=200, chunk_steps=100, optimizer=optimizer)
    _assert_same_run(train_grid(data, losses, short), _exact_shapes(train_grid, data, losses, short))


def test_padded_experiments_trained_together_equal_the_unpadded_ones():
    """The same for a merged call: each experiment's padding is its own, and no padding reaches a result."""
    short = dataclasses.replace(CONFIG, steps=200, chunk_steps=100)
    experiments = [
        Experiment(load(dataclasses.replace(DATA, n_classes=3, seed=s)), model_grid(ms=(4,), seeds=(s,)), short)
        for s in (0, 1)
    ]
    for padded, exact in zip(train_experiments(experiments), _exact_shapes(train_experiments, experiments)):
        _assert_same_run(padded, exact)
        assert padded.weights.shape[-1] == 3
