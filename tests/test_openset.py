"""The Open-set identities preset shows what it is named for: embeddings learnt on 40 people verify 20 new ones by
cosine better than the raw photos do, for every loss and every seed (seeded; docs/cli.md's table has the numbers)."""

import pytest

from sphere_toy.analysis import evaluate
from sphere_toy.serving.jobs import train_settings
from sphere_toy.experiment import PRESETS


@pytest.mark.slow
def test_every_loss_beats_the_raw_inputs_on_every_seed():
    settings = PRESETS["Open-set identities"].settings
    assert (settings.data, settings.dim, settings.seeds) == ("identities", 3, 5)
    result = train_settings(settings)
    raw = evaluate.input_open_set_report(result)["auc"]
    rows = evaluate.seed_aucs(result)
    assert [r.name for r in rows] == ["softmax", "M-softmax", "A-softmax m=2", "A-softmax m=4"]
    for row in rows:
        assert len(row.finite) == 5 and min(row.finite) > raw + 0.05, (row, raw)
