"""The presets: an experiment each, in one click, with a note on what to look at (marked `N_`)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, NamedTuple

from sphere_toy.core import margins
from sphere_toy.i18n import N_
from sphere_toy.core.losses import PAPER_LIKE_GAMMA
from sphere_toy.experiment.settings import Settings


_FAMILY = ("asoftmax:4", "normface", "cosface:0.35", "arcface:0.5")
PAPER_LIKE_STEPS = 3000  # with losses.PAPER_LIKE_GAMMA: the run every default trained before the light default


class Preset(NamedTuple):
    settings: Settings
    description: str  # what to look at, one line (marked with N_: the app shows _(description))


# A preset's name is its key: English, as links and tests write it; marked with N_, so the app shows _(name).
PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        N_("Paper Fig. 2: 2-D features"): Preset(
            Settings(dim=2, losses=margins.sphereface_tokens((4,))),
            N_(
                "Features in the plane: softmax's regions are not rays through the origin (it has a bias), M-softmax's "
                "are "
                "angular sectors, and A-softmax with m = 4 squeezes each class into a narrow wedge with gaps between."
            ),
        ),
        N_("Paper Fig. 5: 3-D features, m = 1..4"): Preset(
            Settings(dim=3, losses=margins.sphereface_tokens((1, 2, 3, 4))),
            N_(
                "Features on the sphere: as m grows each class shrinks to a tighter cap and the class weights spread "
                "apart. "
                "In Compare, the same-class and different-class angle histograms pull apart. Whether the paper's "
                "criterion holds on this run, strict (max intra-class < min inter-class angle) or robust "
                "(95th percentile < 5th percentile), is in the Angles tab: one seed decides neither way, so set "
                "seeds to 5 to count how often it holds."
            ),
        ),
        N_("Paper Fig. 5 at 3000 steps"): Preset(
            Settings(
                dim=3,
                losses=margins.sphereface_tokens((1, 2, 3, 4)),
                steps=PAPER_LIKE_STEPS,
                lambda_gamma=PAPER_LIKE_GAMMA,
            ),
            N_(
                "The default line-up trained five times longer, as the toy trained every run before its default was "
                "made "
                "light. Measured over five seeds (benchmarks/bench_teaching.py), every effect the lessons point at "
                "shows "
                "in both; this one takes five times the wait. Compare the two yourself."
            ),
        ),
        N_("SphereFace vs CosFace vs ArcFace, 2-D"): Preset(
            Settings(dim=2, losses=_FAMILY),
            N_(
                "The margin family on the same data, from the same start: NormFace (no margin), A-softmax m = 4, "
                "CosFace "
                "m = 0.35 and ArcFace m = 0.5. Features shows each loss's own margin zone (hatched); its shape is the "
                "loss's boundary rule: m·θ₁ = θ₂, cos θ₁ − cos θ₂ = m, θ₁ + m = θ₂. The Target logits tab (the margin "
                "family) draws the same rules as curves."
            ),
        ),
        N_("SphereFace vs CosFace vs ArcFace, 3-D"): Preset(
            Settings(dim=3, losses=_FAMILY),
            N_(
                "The same four losses with features on the sphere. In Compare, look at how tight each class's cap is "
                "and "
                "at the same-class against different-class angle histograms; the stats table gives mean θ_y and the "
                "p95 "
                "intra-class angle for each loss, measured on this run."
            ),
        ),
        N_("Imbalanced classes"): Preset(
            # 1000 steps: at 600 M-softmax's regions follow class size on 4 of 5 seeds, at 1000 on all five
            # (benchmarks/bench_teaching.py); 16 units keep it cheaper than the default run all the same.
            Settings(
                data="blobs",
                dim=2,
                imbalance=20.0,
                overlap=1.5,
                hidden=(16,),
                optimizer="sgd",
                lr=0.01,
                steps=1000,
                losses=margins.sphereface_tokens((4,)),
            ),
            N_(
                "Class 0 has 20x the training samples of the last class. Softmax's ‖W_j‖ and b_j are free, so it can "
                "turn "
                "class size into a prior: the paper's reason to fix ‖W‖ = 1 and b = 0. Features shows, under the "
                "figure, "
                "each class's size next to its weight's length, its bias and the width of the region it wins, with "
                "their "
                "rank correlations measured on this run. Look at the arrow lengths, then at the angular models' "
                "regions: "
                "on this toy they follow class size too (measured over 10 seeds in the README)."
            ),
        ),
        N_("Open-set identities"): Preset(
            Settings(
                data="identities",
                classes=40,
                held_out=20,
                samples=60,
                dim=3,
                hidden=(32, 32),
                losses=("softmax", "msoftmax", "asoftmax:2", "asoftmax:4"),
                seeds=5,
            ),
            N_(
                "40 synthetic people to train on, 20 more met only at test time, 60 photos each with pose and lighting "
                "shared by everyone. Every loss trains five times (seeds) in one call. The Open-set tab verifies the "
                "new "
                "people by the cosine of their features against cosine on the raw photos, and says from the numbers "
                "whether the margin helps and how sure that is."
            ),
        ),
    }
)
