"""Write the figures of a trained grid to a directory, for slides: `python -m sphere_toy figures --out DIR`."""

from __future__ import annotations

import pathlib

from sphere_toy import plots
from sphere_toy.plots.style import model_slug

PSI_MS = (1, 2, 3, 4)  # the margins whose ψ(θ) curves are drawn


def write_figures(result, out_dir, *, dpi: int = 150) -> list[pathlib.Path]:
    """PNGs of ψ(θ) for m = 1..4, the target logits of the grid's margin losses (`family.png`, when it has any), the
    side-by-side comparison (the paper's Fig. 2 in 2-D, Fig. 5 in 3-D), each
    model's features and pair-angle histogram, the training curves and the open-set ROC; and stats.md.

    Diverged models get no per-model PNGs (their row in stats.md says where they diverged). Returns the paths
    written, in that order.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(name: str, fig) -> None:
        path = out / name
        path.write_bytes(plots.figure_png(fig, dpi=dpi))
        written.append(path)

    for m in PSI_MS:
        save(f"psi_m{m}.png", plots.psi_figure(m))
    chosen = tuple(dict.fromkeys((s.loss, s.margin) for s in result.specs if s.has_margin))
    if chosen:
        save("family.png", plots.family_figure(chosen))
    save("compare.png", plots.compare_figure(result))
    dim = result.train_features.shape[-1]
    for g in range(len(result.specs)):
        if result.diverged(g):
            continue
        slug = model_slug(result, g)
        if dim in (2, 3):  # more dimensions than a picture has: the angles say what the features do
            features = plots.sphere_figure(result, g) if dim == 3 else plots.features_figure(result, g)
            save(f"features_{slug}.png", features)
        save(f"angles_{slug}.png", plots.angle_histogram_figure(result, g))
    save("training.png", plots.training_figure(result))
    save("roc.png", plots.roc_figure(result))
    stats = out / "stats.md"
    stats.write_text("# sphere_toy: per-model statistics\n\n" + plots.stats_markdown(result), encoding="utf-8")
    written.append(stats)
    return written
