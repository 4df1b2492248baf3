"""The numbers of a run: the per-model stats table, open-set verification (rows and ROC figure), features as CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
from matplotlib.figure import Figure

from sphere_toy import evaluate, metrics
from sphere_toy.plots_style import diverged_message, fit_legend, model_colors, model_label, new_figure, styled

_DEG = ("mean θ_y (°)", "max intra (°)", "min inter (°)", "p95 intra (°)", "p5 inter (°)", "min weight angle (°)")
_RECORD_KEYS = ("mean_target_angle", "max_intra_angle", "min_inter_angle", "p95_intra_angle", "p5_inter_angle",
                "min_weight_angle")


def _status(result, g: int) -> str:
    return f"diverged at step {int(result.nan_step[g])}" if result.diverged(g) else "ok"


def stats_rows(result) -> list[dict]:
    """One row per model from `evaluate.record`: accuracy in %, angles in degrees (closed-set test features).

    A diverged model has status "diverged at step N" and None for every number.
    """
    rows = []
    for g in range(len(result.specs)):
        rec = evaluate.record(result, g)
        row = {"model": model_label(result, g), "status": _status(result, g)}
        ok = rec.ok
        row["test acc (%)"] = round(100 * rec.test_acc, 1) if ok else None
        for name, key in zip(_DEG, _RECORD_KEYS):
            row[name] = round(float(np.degrees(getattr(rec, key))), 1) if ok else None
        row["strict: max intra < min inter"] = ("✓" if rec.criterion_met else "✗") if ok else None
        row["robust: p95 intra < p5 inter"] = ("✓" if rec.robust_criterion_met else "✗") if ok else None
        row["open-set AUC"] = round(rec.open_set_auc, 3) if ok and rec.open_set_auc is not None else None
        rows.append(row)
    return rows


def stats_markdown(result) -> str:
    """`stats_rows` as a Markdown table; diverged models say so across the row instead of numbers."""
    rows = stats_rows(result)
    cols = [c for c in rows[0] if c != "status"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join([":---"] + ["---:"] * (len(cols) - 1)) + "|"]
    for row in rows:
        if row["status"] != "ok":
            cells = [row["model"], f"**{row['status']}**"] + ["—"] * (len(cols) - 2)
        else:
            cells = [str(row[c]) if row[c] is not None else "n/a" for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    note = ("Angles in degrees on the closed-set test features; the paper's criterion: max intra-class angle < min "
            "inter-class angle (SphereFace, Fig. 5), strict, and robust with the 95th and 5th percentiles (one pair "
            "decides a max or a min). Open-set AUC: cosine verification on held-out classes.")
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
        st, pairs, names = metrics.angle_stats(feats, y), metrics.deciding_pairs(feats, y), result.data.class_names
        hi, lo = np.degrees(st["max_intra_angle"]), np.degrees(st["min_inter_angle"])
        p95, p5 = np.degrees(st["p95_intra_angle"]), np.degrees(st["p5_inter_angle"])
        if st["criterion_met"]:
            strict = (f"**Strict (the paper's): met.** Every same-class pair is closer than every different-class "
                      f"pair: max intra {hi:.1f}° < min inter {lo:.1f}°.")
        else:
            wide = names[y[pairs["max_intra"][0]]] if pairs["max_intra"] else "none"
            close = " and ".join(names[y[i]] for i in pairs["min_inter"]) if pairs["min_inter"] else "none"
            strict = (f"**Strict (the paper's): not met**, max intra {hi:.1f}° ≥ min inter {lo:.1f}°. One pair "
                      f"decides each side, both joined in the figure: the widest same-class pair ({wide}) and the "
                      f"closest different-class pair ({close}).")
        if st["robust_criterion_met"]:
            robust = (f"**Robust (95th / 5th percentiles): met**, {p95:.1f}° < {p5:.1f}°: leaving out the few "
                      "widest and closest pairs, the classes are apart in angle.")
        else:
            robust = (f"**Robust (95th / 5th percentiles): not met**, {p95:.1f}° ≥ {p5:.1f}°: the same-class and "
                      "different-class angles overlap beyond a few outliers.")
        out.append(f"{strict}  \n{robust}")
    return out


def open_set_rows(result) -> list[dict]:
    """Per model: open-set AUC, the cosine threshold chosen on training-class pairs (and as an angle), and the
    balanced verification accuracy at that threshold on held-out pairs and on training pairs, in %."""
    rows = []
    for g, rep in enumerate(evaluate.open_set_reports(result)):
        status = _status(result, g) if result.diverged(g) else "ok" if rep else "needs >= 2 held-out classes"
        row = {"model": model_label(result, g), "status": status, "AUC": None, "threshold (cos)": None,
               "threshold angle (°)": None, "open-set accuracy (%)": None, "train-pair accuracy (%)": None}
        if rep is not None and rep["auc"] is not None:
            row.update(_report_cells(rep))
        rows.append(row)
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        rows.append({"model": "raw inputs, no net (yardstick)", "status": "ok", **_report_cells(base)})
    return rows


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
    text = (f"Best here: **{model_label(result, best)}**, AUC {best_auc:.3f}; "
            f"weakest: {model_label(result, worst)}, AUC {worst_auc:.3f} (0.5 is a coin toss, 1 is perfect).")
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        dim, k = result.train_features.shape[-1], result.data.n_classes
        if base["auc"] > best_auc:
            text += (f" Cosine similarity on the raw inputs, with no net at all, scores {base['auc']:.3f}: better "
                     f"than every {dim}-D embedding. A net that squeezes its inputs into {dim} numbers keeps what "
                     f"separates its {k} training classes and little else, so new classes land wherever those "
                     "features happen to put them. The paper's open-set gains come from 512 features learnt on about "
                     "10,000 identities; on a toy this small, read the margin's effect off the Angles and Compare "
                     "tabs, and take these AUCs as an honest measure of what the bottleneck costs.")
        else:
            text += (f" Cosine similarity on the raw inputs, with no net at all, scores {base['auc']:.3f}: the "
                     f"{dim}-D embedding does better, so features learnt on {k} classes carry over to new ones.")
    return text


def _report_cells(rep: dict) -> dict:
    return {"AUC": round(rep["auc"], 3), "threshold (cos)": round(rep["threshold"], 3),
            "threshold angle (°)": round(float(np.degrees(np.arccos(np.clip(rep["threshold"], -1, 1)))), 1),
            "open-set accuracy (%)": round(100 * rep["accuracy"], 1),
            "train-pair accuracy (%)": round(100 * rep["train_accuracy"], 1)}


@styled
def roc_figure(result) -> Figure:
    """ROC of cosine-similarity verification on pairs of held-out classes, every model, AUC in the legend."""
    fig = new_figure(8.6, 7.0)
    ax = fig.add_subplot()
    ax.set_title("Open-set verification: pairs of held-out classes, score cos θ")
    if result.data.n_open_classes < 2:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No ROC: needs at least 2 held-out classes\n(set held_out ≥ 2 in the data settings)",
                ha="center", va="center", transform=ax.transAxes, fontsize=13)
        return fig
    colors = model_colors(result.specs)
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1.8, label="chance (AUC 0.5)")
    for g, rep in enumerate(evaluate.open_set_reports(result)):
        ls = result.specs[g].linestyle
        if rep is None or rep["auc"] is None:
            ax.plot([], [], color=colors[g], ls=ls, label=f"{model_label(result, g)}: {diverged_message(result, g)}"
                    if result.diverged(g) else f"{model_label(result, g)}: no ROC")
            continue
        ax.plot(rep["fpr"], rep["tpr"], color=colors[g], ls=ls, lw=2.4,
                label=f"{model_label(result, g)}  (AUC {rep['auc']:.3f})")
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        ax.plot(base["fpr"], base["tpr"], color="0.35", ls="-.", lw=2.0,
                label=f"raw inputs, no net  (AUC {base['auc']:.3f})")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), aspect="equal", xlabel="false positive rate\n(different classes called same)",
           ylabel="true positive rate\n(same class accepted)")
    # Off the curves: at reading size the legend is as large as the plot. Beside it on a wide figure (projected),
    # under it otherwise.
    wide = fig.get_figwidth() > 1.6 * fig.get_figheight()
    fit_legend(fig, ax.get_legend_handles_labels()[0], loc="outside right upper" if wide else "outside lower center",
               ncol=1 if wide else 2, frameon=False)
    return fig


def features_csv(result) -> str:
    """Every sample's feature for every model: model, status, split (train/test/open), label, class name,
    x, y[, z], and θ_y in degrees (angle to the own class weight; empty for held-out classes)."""
    data, dim = result.data, result.train_features.shape[-1]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["model", "status", "split", "label", "class_name", *"xyz"[:dim], "theta_y_deg"])
    splits = (("train", result.train_features, data.y_train), ("test", result.test_features, data.y_test),
              ("open", result.open_features, data.y_open))
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
    rows = [{"class": data.class_names[j], "training samples": priors[0][1].sizes[j] if priors else None}
            for j in range(data.n_classes)]
    rho = {"class": "ρ with class size", "training samples": None}
    for g, p in priors:
        kind, name = result.specs[g].kind, model_label(result, g)
        columns = []
        if not kind.normalize_weights:
            columns.append((f"{name} ‖W_j‖", p.norms, p.rho_norms, 2))
        if kind.bias:
            columns.append((f"{name} b_j", p.biases, p.rho_biases, 2))
        if p.angles is not None:
            columns.append((f"{name} region (°)", p.angles, p.rho_angles, 0))
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
    parts = [f"Class sizes here run from {sizes.max()} down to {sizes.min()} training samples."]
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
            found.append(f"region width {p.rho_angles:+.2f} (regions of {min(p.angles):.0f}° to {max(p.angles):.0f}°)")
        if found:
            parts.append(f"{model_label(result, g)}: rank correlation with class size {', '.join(found)}.")
    parts.append("+1 would mean larger classes always get more: a prior learnt from the imbalance; near 0, none.")
    rho = [(s.kind.bias, p.rho_angles) for s, p in zip(result.specs, priors) if p and p.rho_angles is not None]
    free_rho = [r for free, r in rho if free]
    fixed_rho = [r for free, r in rho if not free]
    if free_rho and fixed_rho and max(fixed_rho) >= 0.7:
        parts.append("The models with ‖W‖ = 1 and b = 0 give larger classes wider regions too: without free norms "
                     "or biases, the features themselves can still hand a large class more of the circle.")
    return " ".join(parts)
