"""What to notice in the two open-set steps (1 and 8), computed from their runs: classification-trained features
tested by cosine on classes never seen, against the raw inputs; over seeds, each margin against its loss without it;
and class separation against transfer (`plots.transfer`). The notices translate as they are written (`_`)."""

from __future__ import annotations

import numpy as np

from sphere_toy.analysis import evaluate
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _, sentences
from sphere_toy.lessons.measure import model_index, untrained
from sphere_toy.lessons.step import Results
from sphere_toy.plots.transfer import transfer_text


def notice_open_set_intro(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g = model_index(result, "softmax")
    if (problem := untrained(result, g, "softmax")) is not None:
        return problem
    data, rec = result.data, evaluate.record(result, g)
    first = _(
        "Here {model} maps each input of {inputs} numbers to a feature of {dim} numbers, trained only to tell "
        "{k} classes apart; it classifies {acc:.1f}% of their test samples correctly."
    ).format(
        model=rec.name,
        inputs=data.n_features,
        dim=result.test_features.shape[-1],
        k=data.n_classes,
        acc=100 * rec.test_acc,
    )
    if data.n_open_classes < 2 or rec.open_set_auc is None:
        return sentences([first, _("This run holds out too few classes for an open-set test.")])
    held = _(
        "The {h} held-out classes ({names}) were never trained on; judged by the cosine of their features, "
        "pairs of them are told apart with an AUC of {auc:.3f} (0.5 is chance, 1 is perfect)."
    ).format(
        h=data.n_open_classes,
        names=_(", ").join(map(shown_class_name, data.class_names[data.n_classes :])),
        auc=rec.open_set_auc,
    )
    raw = rec.input_open_set_auc
    if raw is None:
        return sentences([first, held])
    if rec.open_set_auc > raw:
        versus = _(
            "Cosine on the raw inputs, with no net at all, scores {raw:.3f}: the features carry over to "
            "classes never seen."
        ).format(raw=raw)
    else:
        versus = _(
            "Cosine on the raw inputs, with no net at all, scores {raw:.3f}: features learnt on {k} classes "
            "keep less for new classes than the raw inputs do (step 8 trains on many more)."
        ).format(raw=raw, k=data.n_classes)
    return sentences([first, held, versus])


def notice_open_set(results: Results) -> str:
    result = results[0]
    rows = [row for row in evaluate.seed_aucs(result) if row.mean is not None]
    if result.data.n_open_classes < 2 or not rows:
        return _("This run has no open-set test to measure.")
    n = len(rows[0].seeds)
    parts = [
        _("Mean open-set AUC over {n} seeds on {h} classes never trained on: {table}.").format(
            n=n, h=result.data.n_open_classes, table=_("; ").join(f"{row.name} {row.text}" for row in rows)
        )
    ]
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        above = sum(min(row.finite) > base["auc"] for row in rows)
        parts.append(
            _("Cosine on the raw inputs scores {raw:.3f}; {above} of the {total} losses beat it on every seed.").format(
                raw=base["auc"], above=above, total=len(rows)
            )
        )
    for effect in evaluate.margin_effects(result):
        diffs = np.asarray(effect.diffs)
        if len(diffs) >= 3 and np.all(diffs > 0):  # every seed agrees (MarginEffect.consistent, ties excluded)
            text = _(
                "{model} beats {base} on all {n} seeds ({mean:+.3f} on average): here the margin helps verification."
            )
        elif len(diffs) >= 3 and np.all(diffs < 0):
            text = _(
                "{model} scores below {base} on all {n} seeds ({mean:+.3f} on average): on this data the margin "
                "does not help verification."
            )
        elif len(diffs) < 3:
            text = _("{model} against {base}: {mean:+.3f} over {n} seeds, too few to tell a margin from chance.")
        else:
            text = _(
                "{model} against {base}: {mean:+.3f} on average, higher on {higher} of {n} seeds: within the noise."
            )
        parts.append(
            text.format(
                model=effect.name, base=effect.baseline, n=len(effect.diffs), mean=effect.mean, higher=effect.higher
            )
        )
    parts.append(transfer_text(result))  # separation against transfer, and identification, from the same run
    return sentences([*parts])
