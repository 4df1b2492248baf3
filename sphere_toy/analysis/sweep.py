"""Sweep one knob of an experiment over seeds: open-set AUC against the feature dimension, the number of classes
trained on, or A-softmax's m. `python -m sphere_toy sweep --knob classes --values 5 10 20 40 --seeds 3 --out DIR`.

Each value of the knob is one grid (every model of the line-up, every seed, one compiled call); the rows are plain
records (`plots.sweep` draws them: each loss's mean ± sd over seeds with every seed's dot, next to the raw-input
yardstick, and writes the table, the CSV and the figure).
The question it answers on the identities data: why face models train on many identities and test with a cosine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


from sphere_toy.analysis import evaluate
from sphere_toy.core import margins
from sphere_toy.i18n import N_, _, ngettext
from sphere_toy.experiment import LIMITS, Settings, canonical_tokens

# Each knob's name, marked for translation (shown with `_(KNOBS[knob])`).
KNOBS = {"dim": N_("feature dimension"), "classes": N_("classes trained on"), "m": N_("A-softmax margin m")}


@dataclass(frozen=True)
class SweepRow(evaluate.SeedAUCs):
    """One model at one value of the knob, over the run's seeds (its name for the m knob: "A-softmax")."""

    value: int
    input_auc: float | None  # the raw inputs' AUC on the same held-out classes (no net)


def settings_for(settings: Settings, knob: str, value: int) -> Settings:
    """The experiment with the knob at `value` (m: every A-softmax model of the line-up takes that m; held-out
    classes are kept within what the data allow). ValueError for an unknown knob or a value out of bounds."""
    if knob == "m":
        tokens = [t for t in settings.losses if margins.parse(t).loss != "asoftmax"]
        return settings.replace(losses=canonical_tokens(tokens + [margins.ModelSpec("asoftmax", value).token]))
    if knob not in KNOBS:
        raise ValueError(f"knob must be one of {', '.join(KNOBS)}, got {knob!r}")
    limit = LIMITS[knob]
    if (limit.choices and value not in limit.choices) or (not limit.choices and not limit.lo <= value <= limit.hi):
        raise ValueError(f"{knob} = {value} is outside what the app allows ({limit.choices or (limit.lo, limit.hi)})")
    probe = settings.replace(**{knob: value, "held_out": 0})
    return probe.replace(held_out=min(settings.held_out, probe.max_held_out()))


def sweep(settings: Settings, knob: str, values, train: Callable[[Settings], object]) -> list[SweepRow]:
    """Train the experiment at every value of the knob (with `train(settings) -> GridResult`) and read off each
    model's open-set AUC per seed."""
    rows = []
    for value in values:
        result = train(settings_for(settings, knob, int(value)))
        base = evaluate.input_open_set_report(result)
        for row in evaluate.seed_aucs(result):
            name = "A-softmax" if knob == "m" and margins.parse(row.token).loss == "asoftmax" else row.name
            rows.append(
                SweepRow(row.token, name, row.seeds, row.aucs, int(value), None if base is None else base["auc"])
            )
    return rows


def sweep_markdown(rows: list[SweepRow], knob: str) -> str:
    """The sweep as a Markdown table: per value, each model's AUC mean ± sd over seeds, and the raw inputs'."""
    values = list(dict.fromkeys(r.value for r in rows))
    names = list(dict.fromkeys(r.name for r in rows))
    cell = {(r.value, r.name): r for r in rows}
    head = "| " + " | ".join([_(KNOBS[knob]), *names, _("raw inputs")]) + " |"
    lines = [head, "|" + "---:|" * (len(names) + 2)]
    for v in values:
        cells = [cell[(v, n)].text if (v, n) in cell else "-" for n in names]
        base = next((r.input_auc for r in rows if r.value == v), None)
        lines.append(f"| {v} | " + " | ".join(cells) + f" | {'-' if base is None else f'{base:.3f}'} |")
    seeds = max((len(r.aucs) for r in rows), default=0)
    note = ngettext(
        "Open-set AUC (held-out classes, cosine), mean ± sd over {n} seed.",
        "Open-set AUC (held-out classes, cosine), mean ± sd over {n} seeds.",
        seeds,
    ).format(n=seeds)
    return "\n".join(lines) + f"\n\n{note}\n"
