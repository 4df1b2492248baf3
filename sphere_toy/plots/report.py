"""The numbers of a run: the per-model stats table, open-set verification (rows and ROC figure), features as CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
from matplotlib.figure import Figure

from sphere_toy import i18n
from sphere_toy.analysis import evaluate
from sphere_toy.analysis import metrics
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import N_, _, sentences
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure
from sphere_toy.plots.style import diverged_message, model_colors, model_label, styled

# Table columns are written in English (N_) and shown with _(): `_shown` translates a table's headers and statuses.
_DEG = (
    N_("mean θ_y (°)"),
    N_("max intra (°)"),
    N_("min inter (°)"),
    N_("p95 intra (°)"),
    N_("p5 inter (°)"),
    N_("min weight angle (°)"),
)
_RECORD_KEYS = (
    "mean_target_angle",
    "max_intra_angle",
    "min_inter_angle",
    "p95_intra_angle",
    "p5_inter_angle",
    "min_weight_angle",
)


def _status(result, g: int) -> str:
    return _("diverged at step {step}").format(step=int(result.nan_step[g])) if result.diverged(g) else _("ok")


def _shown(rows: list[dict]) -> list[dict]:
    """Rows with their N_-marked English column names in the current language."""
    return [{_(key): value for key, value in row.items()} for row in rows]


def _stats_rows(result) -> list[dict]:
    """`stats_rows` with English column names (the model names and statuses in the current language)."""
    rows = []
    for g in range(len(result.specs)):
        rec = evaluate.record(result, g)
        row = {N_("model"): model_label(result, g), N_("status"): _status(result, g)}
        ok = rec.ok
        row[N_("test acc (%)")] = round(100 * rec.test_acc, 1) if ok else None
        for name, key in zip(_DEG, _RECORD_KEYS):
            row[name] = round(float(np.degrees(getattr(rec, key))), 1) if ok else None
        row[N_("strict: max intra < min inter")] = ("✓" if rec.criterion_met else "✗") if ok else None
        row[N_("robust: p95 intra < p5 inter")] = ("✓" if rec.robust_criterion_met else "✗") if ok else None
        row[N_("class separation R²")] = (
            round(rec.class_separation, 3) if ok and rec.class_separation is not None else None
        )
        row[N_("open-set AUC")] = round(rec.open_set_auc, 3) if ok and rec.open_set_auc is not None else None
        rows.append(row)
    return rows


def stats_rows(result) -> list[dict]:
    """One row per model from `evaluate.record`: accuracy in %, angles in degrees (closed-set test features).
    Column names, model names and statuses in the current language.

    A diverged model has status "diverged at step N" and None for every number.
    """
    return _shown(_stats_rows(result))


def stats_markdown(result) -> str:
    """`stats_rows` as a Markdown table; diverged models say so across the row instead of numbers."""
    rows = _stats_rows(result)
    cols = [c for c in rows[0] if c != "status"]
    lines = ["| " + " | ".join(map(_, cols)) + " |", "|" + "|".join([":---"] + ["---:"] * (len(cols) - 1)) + "|"]
    for g, row in enumerate(rows):
        if result.diverged(g):
            cells = [row["model"], f"**{row['status']}**"] + ["—"] * (len(cols) - 2)
        else:
            cells = [str(row[c]) if row[c] is not None else _("n/a") for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    note = _(
        "Angles in degrees on the closed-set test features; the paper's criterion: max intra-class angle < min "
        "inter-class angle (SphereFace, Fig. 5), strict, and robust with the 95th and 5th percentiles (one pair "
        "decides a max or a min). Open-set AUC: cosine verification on held-out classes."
    )
    return "\n".join(lines) + "\n\n" + note + "\n"


def criterion_text(result) -> list[str | None]:
    """Per model, the paper's criterion in words for the class, strict and robust side by side, from this run's
    test features (None for a diverged model). The strict form is decided by one pair on each side; the text names
    their classes, and `criterion_pairs_figure` joins them."""
    out = []
    for g in range(len(result.specs)):
        if result.diverged(g):
            out.append(None)
            continue
        feats, y = result.test_features[g], result.data.y_test
        st, pairs = metrics.angle_stats(feats, y), metrics.deciding_pairs(feats, y)
        names = [shown_class_name(name) for name in result.data.class_names]
        hi, lo = np.degrees(st["max_intra_angle"]), np.degrees(st["min_inter_angle"])
        p95, p5 = np.degrees(st["p95_intra_angle"]), np.degrees(st["p5_inter_angle"])
        angles = {"max": f"{hi:.1f}°", "min": f"{lo:.1f}°", "p95": f"{p95:.1f}°", "p5": f"{p5:.1f}°"}
        if st["criterion_met"]:
            strict = _(
                "**Strict (the paper's): met.** Every same-class pair is closer than every different-class "
                "pair: max intra {max} < min inter {min}."
            ).format(**angles)
        else:
            wide = names[y[pairs["max_intra"][0]]] if pairs["max_intra"] else _("none")
            close = (
                _("{a} and {b}").format(**dict(zip("ab", (names[y[i]] for i in pairs["min_inter"]))))
                if pairs["min_inter"]
                else _("none")
            )
            strict = _(
                "**Strict (the paper's): not met**, max intra {max} ≥ min inter {min}. One pair decides each "
                "side, both joined in the figure: the widest same-class pair ({wide}) and the closest "
                "different-class pair ({close})."
            ).format(wide=wide, close=close, **angles)
        if st["robust_criterion_met"]:
            robust = _(
                "**Robust (95th / 5th percentiles): met**, {p95} < {p5}: leaving out the few widest and "
                "closest pairs, the classes are apart in angle."
            ).format(**angles)
        else:
            robust = _(
                "**Robust (95th / 5th percentiles): not met**, {p95} ≥ {p5}: the same-class and "
                "different-class angles overlap beyond a few outliers."
            ).format(**angles)
        out.append(f"{strict}  \n{robust}")
    return out


def open_set_rows(result) -> list[dict]:
    """Per model: open-set AUC, the cosine threshold chosen on training-class pairs (and as an angle), the
    balanced verification accuracy at that threshold on held-out pairs and on training pairs, in %, and 1:N
    identification of the held-out classes (`metrics.identification_rank1`), in %."""
    rows = []
    for g, rep in enumerate(evaluate.open_set_reports(result)):
        status = _status(result, g) if result.diverged(g) else _("ok") if rep else _("needs >= 2 held-out classes")
        row = {
            N_("model"): model_label(result, g),
            N_("status"): status,
            N_("AUC"): None,
            N_("threshold (cos)"): None,
            N_("threshold angle (°)"): None,
            N_("open-set accuracy (%)"): None,
            N_("train-pair accuracy (%)"): None,
            N_("rank-1 identification (%)"): None,
        }
        if rep is not None and rep["auc"] is not None:
            row.update(_report_cells(rep, evaluate.record(result, g).open_set_rank1))
        rows.append(row)
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        raw = evaluate.record(result, 0).input_open_set_rank1
        rows.append({"model": _("raw inputs, no net (yardstick)"), "status": _("ok"), **_report_cells(base, raw)})
    return _shown(rows)


def open_set_summary(result) -> str | None:
    """What the open-set numbers say, in two or three Markdown sentences for the class; None if there are none.

    The margin's open-set benefit in the paper comes from 512-D features trained on ~10⁴ identities. Here 2 or 3
    features are trained on a handful of classes, so the held-out classes land in a space shaped for others: the
    summary compares the models with each other and with the raw-input yardstick, and says why.
    """
    reports = evaluate.open_set_reports(result)
    scored = [(rep["auc"], g) for g, rep in enumerate(reports) if rep is not None and rep["auc"] is not None]
    if not scored:
        return None
    (best_auc, best), (worst_auc, worst) = max(scored), min(scored)
    text = _(
        "Best here: **{best}**, AUC {best_auc}; weakest: {worst}, AUC {worst_auc} (0.5 is a coin toss, 1 is perfect)."
    ).format(
        best=model_label(result, best),
        best_auc=f"{best_auc:.3f}",
        worst=model_label(result, worst),
        worst_auc=f"{worst_auc:.3f}",
    )
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        numbers = {"auc": f"{base['auc']:.3f}", "dim": result.train_features.shape[-1], "k": result.data.n_classes}
        if base["auc"] > best_auc:
            more = _(
                "Cosine similarity on the raw inputs, with no net at all, scores {auc}: better than every {dim}-D "
                "embedding. A net that squeezes its inputs into {dim} numbers keeps what separates its {k} "
                "training classes and little else, so new classes land wherever those features happen to put "
                "them. The paper's open-set gains come from 512 features learnt on about 10,000 identities; on "
                "a toy this small, read the margin's effect off the Angles and Compare tabs, and take these "
                "AUCs as an honest measure of what the bottleneck costs."
            ).format(**numbers)
        else:
            more = _(
                "Cosine similarity on the raw inputs, with no net at all, scores {auc}: the {dim}-D embedding "
                "does better, so features learnt on {k} classes carry over to new ones."
            ).format(**numbers)
        text = sentences([text, more])
    return text


def _report_cells(rep: dict, rank1: float | None) -> dict:
    return {
        "AUC": round(rep["auc"], 3),
        "threshold (cos)": round(rep["threshold"], 3),
        "threshold angle (°)": round(float(np.degrees(np.arccos(np.clip(rep["threshold"], -1, 1)))), 1),
        "open-set accuracy (%)": round(100 * rep["accuracy"], 1),
        "train-pair accuracy (%)": round(100 * rep["train_accuracy"], 1),
        "rank-1 identification (%)": None if rank1 is None else round(100 * rank1, 1),
    }  # English names: see open_set_rows


@styled
def roc_figure(result) -> Figure:
    """ROC of cosine-similarity verification on pairs of held-out classes, every model, AUC in the legend."""
    fig = new_figure(6.5, 11.0) if narrow_screen() else new_figure(8.6, 7.0)  # a phone: room for the legend under
    ax = fig.add_subplot()
    ax.set_title(_("Open-set verification: pairs of held-out classes, score cos θ"))
    if result.data.n_open_classes < 2:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            _("No ROC: needs at least 2 held-out classes\n(set held_out ≥ 2 in the data settings)"),
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=13,
        )
        return fig
    colors = model_colors(result.specs)
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1.8, label=_("chance (AUC 0.5)"))
    for g, rep in enumerate(evaluate.open_set_reports(result)):
        ls = result.specs[g].linestyle
        if rep is None or rep["auc"] is None:
            why = diverged_message(result, g) if result.diverged(g) else _("no ROC")
            ax.plot([], [], color=colors[g], ls=ls, label=f"{model_label(result, g)}: {why}")
            continue
        ax.plot(
            rep["fpr"],
            rep["tpr"],
            color=colors[g],
            ls=ls,
            lw=2.4,
            label=_("{model}  (AUC {auc})").format(model=model_label(result, g), auc=f"{rep['auc']:.3f}"),
        )
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        ax.plot(
            base["fpr"],
            base["tpr"],
            color="0.35",
            ls="-.",
            lw=2.0,
            label=_("raw inputs, no net  (AUC {auc})").format(auc=f"{base['auc']:.3f}"),
        )
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.01),
        aspect="equal",
        xlabel=_("false positive rate\n(different classes called same)"),
        ylabel=_("true positive rate\n(same class accepted)"),
    )
    # Off the curves: at reading size the legend is as large as the plot. Beside it on a wide figure (projected),
    # under it otherwise.
    wide = fig.get_figwidth() > 1.6 * fig.get_figheight()
    fit_legend(
        fig,
        ax.get_legend_handles_labels()[0],
        loc="outside right upper" if wide else "outside lower center",
        ncol=1 if wide else 2,
        frameon=False,
    )
    return fig


def features_csv(result) -> str:
    """Every sample's feature for every model: model, status, split (train/test/open), label, class name,
    x, y[, z], and θ_y in degrees (angle to the own class weight; empty for held-out classes).

    In English whatever the page's language: a data file, read by programs (its statuses, its model names)."""
    with i18n.using(i18n.DEFAULT):
        return _features_csv(result)


def _features_csv(result) -> str:
    data, dim = result.data, result.train_features.shape[-1]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["model", "status", "split", "label", "class_name", *"xyz"[:dim], "theta_y_deg"])
    splits = (
        ("train", result.train_features, data.y_train),
        ("test", result.test_features, data.y_test),
        ("open", result.open_features, data.y_open),
    )
    for g in range(len(result.specs)):
        name, status = model_label(result, g), _status(result, g)
        for split, feats, labels in splits:
            if split == "open":
                theta = [""] * len(labels)
            else:
                theta = [f"{t:.2f}" for t in np.degrees(metrics.target_angles(feats[g], result.weights[g], labels))]
            for f, y, t in zip(feats[g], labels, theta):
                out.writerow([name, status, split, int(y), data.class_names[y], *(f"{v:.5g}" for v in f), t])
    return buf.getvalue()


def prior_rows(result) -> list[dict]:
    """Per training class: its size, and for each model what it gives the class: ‖W_j‖ and b_j where they are free
    (softmax), and in 2-D the angle of the circle it wins at the features' median radius. A last row gives each
    column's rank correlation with the class size."""
    data = result.data
    priors = [(g, evaluate.class_prior(result, g)) for g in range(len(result.specs))]
    priors = [(g, p) for g, p in priors if p is not None]
    rows = [
        {
            _("class"): shown_class_name(data.class_names[j]),
            _("training samples"): priors[0][1].sizes[j] if priors else None,
        }
        for j in range(data.n_classes)
    ]
    rho = {_("class"): _("ρ with class size"), _("training samples"): None}
    for g, p in priors:
        kind, name = result.specs[g].kind, model_label(result, g)
        columns = []
        if not kind.normalize_weights:
            columns.append((f"{name} ‖W_j‖", p.norms, p.rho_norms, 2))
        if kind.bias:
            columns.append((f"{name} b_j", p.biases, p.rho_biases, 2))
        if p.angles is not None:
            columns.append((_("{model} region (°)").format(model=name), p.angles, p.rho_angles, 0))
        for title, values, r, digits in columns:
            for row, v in zip(rows, values):
                row[title] = round(v, digits)
            rho[title] = None if r is None else round(r, 2)
    return rows + [rho]


def prior_text(result) -> str | None:
    """What the run shows of a class prior, in sentences from its rank correlations (1: larger classes get more)."""
    sizes = np.bincount(result.data.y_train, minlength=result.data.n_classes)
    if sizes.min() == sizes.max():
        return None
    parts = [
        _("Class sizes here run from {largest} down to {smallest} training samples.").format(
            largest=sizes.max(), smallest=sizes.min()
        )
    ]
    priors = [evaluate.class_prior(result, g) for g in range(len(result.specs))]  # each measured once
    for g, p in enumerate(priors):
        if p is None:
            continue
        kind = result.specs[g].kind
        found = []
        if not kind.normalize_weights and p.rho_norms is not None:
            found.append(f"‖W_j‖ {p.rho_norms:+.2f}")
        if kind.bias and p.rho_biases is not None:
            found.append(f"b_j {p.rho_biases:+.2f}")
        if p.rho_angles is not None:
            found.append(
                _("region width {rho} (regions of {low} to {high})").format(
                    rho=f"{p.rho_angles:+.2f}", low=f"{min(p.angles):.0f}°", high=f"{max(p.angles):.0f}°"
                )
            )
        if found:
            parts.append(
                _("{model}: rank correlation with class size {found}.").format(
                    model=model_label(result, g), found=_(", ").join(found)
                )
            )
    parts.append(_("+1 would mean larger classes always get more: a prior learnt from the imbalance; near 0, none."))
    rho = [(s.kind.bias, p.rho_angles) for s, p in zip(result.specs, priors) if p and p.rho_angles is not None]
    free_rho = [r for free, r in rho if free]
    fixed_rho = [r for free, r in rho if not free]
    if free_rho and fixed_rho and max(fixed_rho) >= 0.7:
        parts.append(
            _(
                "The models with ‖W‖ = 1 and b = 0 give larger classes wider regions too: without free norms "
                "or biases, the features themselves can still hand a large class more of the circle."
            )
        )
    return sentences(parts)
