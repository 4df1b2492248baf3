"""The room's seeds as one experiment: every seed's numbers per model, and two models compared seed by seed.

A class training one experiment with a seed each is the experiment's spread made visible. `room_figure` puts every
seed of the room on each measure (one dot per seed, the mean as a bar; a student's own run as a star), and
`room_pairs_figure` the paired differences of two models, each seed with itself, with their mean and 95% interval
(`analysis.room.paired`). The sentences (`room_text`, `agreement_text`, `mine_text`) are written from those numbers,
whichever way they point, and say so when the room has too few seeds to settle anything.
"""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy.analysis import room
from sphere_toy.analysis.room import MIN_SEEDS, OPEN_SET_AUC, Group, Measure, Paired
from sphere_toy.core import margins
from sphere_toy.i18n import _, ngettext, sentences
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure
from sphere_toy.plots.style import model_colors, styled

MINE = "#d62728"  # the student's own run, and the run on the teacher's screen: one colour, a star
ALL = tuple(m.key for m in room.MEASURES)  # every measure the room compares, in its order
_JITTER = 0.618033988749895  # golden-ratio steps: dots of one model spread evenly across its row, the same each time


def name(token: str) -> str:
    """A model's name as the figures and sentences give it: "A-softmax m=4"."""
    return margins.parse(token).display_name


def value_text(measure: Measure, value: float, *, signed: bool = False) -> str:
    """ "12.3°", "0.987"; `signed`: "+0.012", "−4.1°" (a difference)."""
    text = f"{value:+.{measure.digits}f}" if signed else f"{value:.{measure.digits}f}"
    return text.replace("-", "−") + measure.unit


def _mark_handle(seed: int, whose: str, size: float) -> Line2D:
    """The star's legend entry: "yours" on a student's page, "screen" for the run a teacher's page shows."""
    text = _("your run (seed {seed})") if whose == "yours" else _("the run on screen (seed {seed})")
    return Line2D([], [], ls="", marker="*", ms=size, mfc=MINE, mec="black", label=text.format(seed=seed))


def _stars(ax, xs, ys, runs: list[int], mark: int | None, size: float) -> None:
    """The points of run `mark` again, as stars over the dots."""
    mine = [k for k, run in enumerate(runs) if run == mark]
    if mine:
        ax.scatter(xs[mine], ys[mine], s=size, marker="*", color=MINE, edgecolor="black", lw=0.8, zorder=5)


def _jitter(k: int) -> float:
    return ((k * _JITTER) % 1.0 - 0.5) * 0.5


@styled
def room_figure(group: Group, measures: tuple[str, ...] = ALL, mark: int | None = None, whose: str = "yours") -> Figure:
    """Each measure of every model over the room's seeds: one panel per measure, one row per model, one dot per seed
    and the mean as a bar; the seeds of run `mark` (a run seed) as stars, labelled as `whose` (`_mark_handle`)."""
    tokens = group.tokens
    colors = model_colors([margins.parse(t) for t in tokens])
    samples = group.samples
    chosen = [room.BY_KEY[key] for key in measures]
    narrow = narrow_screen()
    fig = new_figure(9.0, 1.0 + 0.55 * len(tokens) * (len(chosen) if narrow else 1) + (1.2 if narrow else 0.9))
    shape = (len(chosen), 1) if narrow else (1, len(chosen))  # side by side, or stacked on a phone
    axes = fig.subplots(*shape, sharey=True, squeeze=False).ravel()
    for ax, measure in zip(axes, chosen):
        found = 0
        for i, (token, color) in enumerate(zip(tokens, colors)):
            points = room.values(samples, token, measure)
            found = max(found, len(points))
            if not points:
                continue
            xs = np.array([v for _run, _seed, v in points])
            ys = i + np.array([_jitter(k) for k in range(len(points))])
            ax.scatter(xs, ys, s=36, color=color, edgecolor="black", linewidths=0.6, alpha=0.85, zorder=3)
            ax.plot([xs.mean()] * 2, [i - 0.38, i + 0.38], color="black", lw=3, zorder=4)
            _stars(ax, xs, ys, [run for run, _seed, _v in points], mark, 190)
        ax.set_title(_(measure.label))
        if not found:
            ax.text(0.5, 0.5, _("not measured yet"), transform=ax.transAxes, ha="center", va="center", color="0.4")
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30 if not narrow else 0)
    axes[0].set_yticks(range(len(tokens)), [name(t) for t in tokens])
    axes[0].set_ylim(len(tokens) - 0.5, -0.5)  # the line-up's order, top to bottom
    n = len(samples)
    title = ngettext(
        "The room: {n} seed of this experiment, one dot each",
        "The room: {n} seeds of this experiment, one dot each",
        n,
    ).format(n=n)
    if OPEN_SET_AUC in chosen and group.measured < len(group.runs):  # measured while the server is idle
        title += "\n" + _("open-set AUC measured for {k} of {n} runs so far").format(
            k=group.measured, n=len(group.runs)
        )
    fig.suptitle(title)
    handles = [Line2D([], [], color="black", lw=3, label=_("mean over the room"))]
    if mark is not None and any(s.run == mark for s in samples):
        handles.append(_mark_handle(mark, whose, 14))
    fit_legend(fig, handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


@styled
def room_pairs_figure(
    group: Group, a: str, b: str, measures: tuple[str, ...] = ALL, mark: int | None = None, whose: str = "yours"
) -> Figure:
    """`a` − `b` seed by seed on each measure (one row each): one dot per seed, the mean with its 95% interval as a
    bar, zero as a dashed line; the seeds of run `mark` as stars. A row whose interval leaves out 0 is settled."""
    chosen = [room.BY_KEY[key] for key in measures]
    columns = 1 if narrow_screen() or len(chosen) < 3 else 2  # a phone: one column; else two, for a projector's height
    rows = -(-len(chosen) // columns)
    fig = new_figure(9.0, 1.0 + 1.8 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(chosen) :]:
        ax.set_visible(False)
    for ax, measure in zip(axes, chosen):
        p = room.paired(group.samples, measure, a, b)
        ax.axvline(0, color="0.3", ls="--", lw=1.5)
        ax.set_yticks([])
        ax.set_ylim(-0.6, 0.6)
        ax.set_title(pair_title(p), loc="left")
        ax.grid(axis="x", alpha=0.3)
        if not p.n:
            ax.text(0.5, 0.5, _("not measured yet"), transform=ax.transAxes, ha="center", va="center", color="0.4")
            ax.set_xticks([])
            continue
        xs = np.array(p.diffs)
        ys = np.array([_jitter(k) for k in range(p.n)])
        ax.scatter(xs, ys, s=40, color="0.55", edgecolor="black", linewidths=0.6, zorder=3)
        _stars(ax, xs, ys, [run for run, _seed in p.samples], mark, 220)
        if p.interval is not None:
            low, high = p.interval
            ax.plot([low, high], [0, 0], color="black", lw=5, solid_capstyle="butt", zorder=4)
        ax.plot([p.mean], [0], marker="|", ms=26, mew=4, color="black", zorder=4)
        span = max(abs(xs).max(), *(abs(v) for v in p.interval or ()), 1e-9)
        ax.set_xlim(-1.15 * span, 1.15 * span)  # zero in the middle: which side the dots fall on is the point
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5, symmetric=True))
    fig.suptitle(_("{a} − {b}, each seed with itself").format(a=name(a), b=name(b)))
    handles = [
        Line2D([], [], ls="", marker="o", ms=8, mfc="0.55", mec="black", label=_("one seed")),
        Line2D([], [], color="black", lw=5, label=_("mean, 95% interval")),
    ]
    if mark is not None and any(s.run == mark for s in group.samples):
        handles.append(_mark_handle(mark, whose, 15))
    fit_legend(fig, handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


def pair_title(p: Paired) -> str:
    """A panel's title: the measure, and how many seeds fall on each side ("lower on 28, higher on 2 of 30 seeds")."""
    if not p.n:
        return _(p.measure.label)
    return ngettext(
        "{measure}\nlower on {lower}, higher on {higher} of {n} seed",
        "{measure}\nlower on {lower}, higher on {higher} of {n} seeds",
        p.n,
    ).format(measure=_(p.measure.label), lower=p.lower, higher=p.higher, n=p.n)


# ---- in words ----


def pair_sentence(p: Paired) -> str:
    """One measure, two models, the room's seeds: the sign count, the mean difference and its 95% interval, and
    whether that settles which is larger (the interval leaves out 0) or not; too few seeds are said to be too few."""
    a, b, measure = name(p.a), name(p.b), _(p.measure.noun)
    if p.n < MIN_SEEDS:
        return ngettext(
            "{measure}: {n} seed of {a} and {b} so far; the room compares them from {least} seeds on.",
            "{measure}: {n} seeds of {a} and {b} so far; the room compares them from {least} seeds on.",
            p.n,
        ).format(measure=measure, n=p.n, a=a, b=b, least=MIN_SEEDS)
    low, high = p.interval
    numbers = dict(
        measure=measure,
        a=a,
        b=b,
        n=p.n,
        lower=p.lower,
        higher=p.higher,
        mean=value_text(p.measure, p.mean, signed=True),
        low=value_text(p.measure, low, signed=True),
        high=value_text(p.measure, high, signed=True),
    )
    if p.direction < 0:
        text = _(
            "{measure}: {a} is lower than {b} on {lower} of {n} seeds; the mean difference, {mean} (95% interval "
            "{low} to {high}), settles it."
        )
    elif p.direction > 0:
        text = _(
            "{measure}: {a} is higher than {b} on {higher} of {n} seeds; the mean difference, {mean} (95% interval "
            "{low} to {high}), settles it."
        )
    else:
        text = _(
            "{measure}: {a} is lower than {b} on {lower} and higher on {higher} of {n} seeds; the 95% interval of "
            "the mean difference, {low} to {high}, includes 0: the room cannot tell them apart."
        )
    return text.format(**numbers)


def criterion_sentence(group: Group, a: str, b: str) -> str:
    """The robust criterion (p95 intra < p5 inter), counted: on how many of the room's seeds it holds for each model."""
    (ka, na), (kb, nb) = room.holds(group.samples, a), room.holds(group.samples, b)
    if not na or not nb:
        return ""
    return _("The robust criterion holds for {a} on {ka} of {na} seeds, for {b} on {kb} of {nb}.").format(
        a=name(a), b=name(b), ka=ka, na=na, kb=kb, nb=nb
    )


def room_text(group: Group, a: str, b: str, measures: tuple[str, ...] = ALL) -> str:
    """What the room's seeds say about `a` against `b`, one sentence per measure and one for the criterion."""
    parts = [pair_sentence(room.paired(group.samples, key, a, b)) for key in measures]
    return "\n\n".join(part for part in (*parts, criterion_sentence(group, a, b)) if part)


def run_difference(samples, measure: Measure | str, a: str, b: str, run: int) -> float | None:
    """`a` − `b` on `measure` in one run, the mean over its seeds if it has several: the run on screen's own answer."""
    p = room.paired([s for s in samples if s.run == run], measure, a, b)
    return p.mean


def agreement_text(group: Group, measure: str, a: str, b: str, on_screen: float | None) -> str:
    """Whether the room agrees with the run on screen, whose `a` − `b` on `measure` is `on_screen`: the same sign as a
    settled room, the other sign (one seed misled), or a room that cannot tell yet."""
    p = room.paired(group.samples, measure, a, b)
    said = pair_sentence(p)
    if on_screen is None or p.n < MIN_SEEDS:
        return said
    if p.direction == 0:
        lead = _("The room cannot confirm the run on screen yet.")
    elif (on_screen < 0) == (p.direction < 0) and on_screen != 0:
        lead = _("The room agrees with the run on screen.")
    else:
        lead = _("The room does not agree with the run on screen: one seed pointed the other way.")
    return sentences([lead, said])


def mine_text(group: Group, seed: int, measure: str, a: str, b: str) -> str:
    """A student's run among the room's: its own `a` − `b` on `measure`, and how many of the room's seeds are below."""
    p = room.paired(group.samples, measure, a, b)
    own = run_difference(group.samples, measure, a, b, seed)
    if own is None or p.n < 2:
        return ""
    below = sum(d < own for d in p.diffs)
    return ngettext(
        "Your run (seed {seed}) is one of the room's {n} seeds. {measure}, {a} − {b}: {own} in yours, {mean} on "
        "average in the room; {below} seed is below yours.",
        "Your run (seed {seed}) is one of the room's {n} seeds. {measure}, {a} − {b}: {own} in yours, {mean} on "
        "average in the room; {below} seeds are below yours.",
        below,
    ).format(
        seed=seed,
        n=p.n,
        measure=_(room.BY_KEY[measure].noun),
        a=name(a),
        b=name(b),
        own=value_text(room.BY_KEY[measure], own, signed=True),
        mean=value_text(room.BY_KEY[measure], p.mean, signed=True),
        below=below,
    )
