"""The nine steps, in the notes' order: each a view, its runs, its texts (marked `N_`, translated where shown) and its
notice."""

from __future__ import annotations

from types import MappingProxyType


from sphere_toy import views
from sphere_toy.i18n import N_
from sphere_toy.experiment import PRESETS
from sphere_toy.lessons.step import RoomQuestion, Step
from sphere_toy.lessons.notices_openset import notice_open_set, notice_open_set_intro
from sphere_toy.lessons.notices import (
    PSI_M,
    bound_runs,
    notice_a_softmax,
    notice_bound,
    notice_lambda,
    notice_m_softmax,
    notice_psi,
    notice_softmax_boundary,
    notice_take_home,
)


_FIG2 = PRESETS["Paper Fig. 2: 2-D features"].settings
_FIG5 = PRESETS["Paper Fig. 5: 3-D features, m = 1..4"].settings  # = Settings(): the app's default run
_OPEN = PRESETS["Open-set identities"].settings
_IMBALANCED = PRESETS["Imbalanced classes"].settings
_FAMILY = PRESETS["SphereFace vs CosFace vs ArcFace, 2-D"].settings
_OFFICIAL_FLOOR = 5.0  # λ_min of the official SphereFace face models

STEPS: tuple[Step, ...] = (
    Step(
        key="open-set-intro",
        title=N_("Trained to classify, tested by cosine"),
        text=N_(
            "Face recognition trains a network the way any classifier is trained: each person in the training set "
            "is one class, and the last layer is a softmax over them. At test time that layer is thrown away. What "
            "is kept is the layer before it, the **embedding** $x$. Two photos are compared by the cosine of the "
            "angle between their embeddings,\n\n$$\\cos\\theta = \\frac{x_1 \\cdot x_2}"
            "{\\lVert x_1\\rVert\\,\\lVert x_2\\rVert},$$\n\n"
            "and the people met at test time were never in the training set: the **open set**.\n\n"
            "On screen: a small network trained on some of the ten digits, each image mapped to a point in 3-D and "
            "drawn on the unit sphere. The crosses are digits it never saw. Nothing in softmax training asked for "
            "small angles within a class; this lesson is about the losses that do."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "softmax"}),
        settings=(_FIG5,),
        notice=notice_open_set_intro,
        question=N_("Why can the trained classifier itself not recognise a person who was not in the training set?"),
        answer=N_(
            "Its last layer has one output per training class, and a new person has none. Only the embedding "
            "carries over: new faces are compared with each other by the cosine of their embeddings, so what "
            "matters is whether angles separate people, which plain softmax training never asked for."
        ),
    ),
    Step(
        key="softmax-boundary",
        title=N_("Softmax: a border that need not pass through the origin"),
        text=N_(
            "Softmax scores class $j$ with the logit $W_j \\cdot x + b_j$. Between two classes, the border is where "
            "their logits are equal:\n\n$$(W_1 - W_2)\\cdot x + b_1 - b_2 = 0.$$\n\n"
            "In 2-D that is a straight line. It passes through the origin only when $b_1 = b_2$; otherwise it is "
            "shifted by $\\lvert b_1 - b_2\\rvert / \\lVert W_1 - W_2\\rVert$. The lengths $\\lVert W_j\\rVert$ "
            "are free as well. So the class of $x$ can depend on its length, not only on its direction.\n\n"
            "On screen: softmax's 2-D features over its decision regions, with the class weights as arrows. Follow "
            "each border towards the centre: does it hit the origin? Compare the arrows' lengths."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "softmax"}),
        settings=(_FIG2,),
        notice=notice_softmax_boundary,
        question=N_(
            "Two features point in exactly the same direction; one is twice as long as the other. Can "
            "softmax put them in different classes?"
        ),
        answer=N_(
            "Yes. Doubling x doubles every W_j·x but not the biases, so when the biases differ the order of the "
            "logits can change along the ray: a border that misses the origin can cut it between the two points. "
            "An angle alone does not describe softmax's decision, while cosine at test time looks at angles only."
        ),
    ),
    Step(
        key="m-softmax",
        title=N_("M-softmax: only the angle decides"),
        text=N_(
            "M-softmax makes two changes to softmax: every class weight is normalised, $\\lVert W_j\\rVert = 1$, "
            "and the biases are removed, $b_j = 0$. The logit becomes $\\lVert x\\rVert\\cos\\theta_j$, with "
            "$\\theta_j$ the angle between $x$ and $W_j$, and the two-class border turns into\n\n"
            "$$\\lVert x\\rVert(\\cos\\theta_1 - \\cos\\theta_2) = 0 \\iff \\theta_1 = \\theta_2,$$\n\n"
            "a ray from the origin halfway between the two weights. Stretching $x$ changes no decision. Training "
            "and testing now speak the same language: the classifier decides by angle, and verification compares "
            "angles.\n\n"
            "On screen: M-softmax in the same run as the previous step. Its regions are sectors around the origin; "
            "compare them with softmax's, and the arrows, now all of one length."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "M-softmax"}),
        settings=(_FIG2,),
        notice=notice_m_softmax,
        question=N_(
            "After training M-softmax, a feature is multiplied by 10. What happens to its predicted class "
            "and to its cosine with other features?"
        ),
        answer=N_(
            "Neither changes. Every logit ‖x‖ cos θ_j is multiplied by the same 10, so the largest stays the "
            "largest, and the cosine does not depend on length at all. Only the loss value changes: a longer "
            "feature makes the softmax more confident."
        ),
    ),
    Step(
        key="a-softmax-margin",
        title=N_("A-softmax: an angle m times smaller"),
        text=N_(
            "M-softmax puts $x$ in class 1 when $\\cos\\theta_1 > \\cos\\theta_2$, that is $\\theta_1 < "
            "\\theta_2$. A-softmax is stricter while training. It asks for\n\n"
            "$$\\cos(m\\theta_1) > \\cos\\theta_2,$$\n\n"
            "so the angle to the own class, multiplied by $m$, must still be smaller than the angle to the other "
            "class. Between two classes there is now a **margin zone**, hatched on screen, where a sample is "
            "classified correctly but still penalised. The paper uses $m = 4$. At test time nothing changes: the "
            "rule is still the plain angle.\n\n"
            "On screen: A-softmax with $m = 4$ in the same run. Look at how narrow each class's wedge is compared "
            "with M-softmax, and at the empty gaps between the wedges."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "A-softmax m=4"}),
        settings=(_FIG2,),
        notice=notice_a_softmax,
        room=RoomQuestion("theta_y", "asoftmax:4", "msoftmax"),
        question=N_(
            "With m = 4, a sample is 10° from its own class weight. Between two classes, how far from the "
            "other class weight must it be to satisfy A-softmax?"
        ),
        answer=N_(
            "More than 40°: cos(4·10°) > cos θ₂ holds exactly when θ₂ > 40°. M-softmax would accept anything "
            "beyond 10°. The 30° between them is the margin zone."
        ),
    ),
    Step(
        key="psi-monotone",
        title=N_("Why ψ(θ): making cos mθ monotone"),
        text=N_(
            "A target logit should fall as the angle to the own class grows. $\\cos(m\\theta)$ does so only on "
            "$[0, \\pi/m]$; then it rises again, so a badly placed sample could earn a high logit. SphereFace uses "
            "instead\n\n"
            "$$\\psi(\\theta) = (-1)^k\\cos(m\\theta) - 2k,\\quad \\theta \\in \\left[\\tfrac{k\\pi}{m}, "
            "\\tfrac{(k+1)\\pi}{m}\\right],\\ k = 0, \\dots, m-1:$$\n\n"
            "every other arch is flipped and each is moved down by 2, which makes one falling curve. Finding $k$ "
            "seems to need $\\theta$ itself. Public code for $m = 4$ uses two signs instead: "
            "$s_3 = \\mathrm{sign}(\\cos\\theta)\\,\\mathrm{sign}(\\cos 2\\theta)$ and "
            "$s_4 = 2\\,\\mathrm{sign}(\\cos\\theta) + s_3 - 3$, then "
            "$\\psi = s_3(8\\cos^4\\theta - 8\\cos^2\\theta + 1) + s_4$.\n\n"
            "On screen: $\\cos\\theta$, $\\cos m\\theta$ and $\\psi$, with each interval shaded and labelled by "
            "$k$."
        ),
        view=views.TARGET_LOGITS.name,
        option=MappingProxyType({"target_view": views.PSI_VIEW, "psi_m": PSI_M, "psi_lam": 0.0}),
        settings=(),
        notice=notice_psi,
        question=N_("For m = 4, why is s3 = sign(cos θ)·sign(cos 2θ) equal to (−1)ᵏ?"),
        answer=N_(
            "The intervals end at 45°, 90° and 135°. cos 2θ changes sign at 45° and at 135°, cos θ at 90°, so their "
            "product changes sign at every interval end: +1 on [0°, 45°], −1 on [45°, 90°], +1 on [90°, 135°] and "
            "−1 on [135°, 180°]. That is (−1)ᵏ, found from cos θ alone, without an arccos."
        ),
    ),
    Step(
        key="lambda-annealing",
        title=N_("Training A-softmax: anneal λ"),
        text=N_(
            "From a random start almost every sample is far from its class, and the full margin asks too much: "
            "training can stall or diverge. The paper's code trains on a blend of the two targets,\n\n"
            "$$f_y = \\frac{\\lambda\\,\\lVert x\\rVert\\cos\\theta_y + \\lVert x\\rVert\\,\\psi(\\theta_y)}"
            "{1 + \\lambda},$$\n\n"
            "starting with $\\lambda$ large (practically M-softmax) and lowering it with the step $t$: $\\lambda = "
            "\\max(\\lambda_{\\min}, \\lambda_{\\text{base}}(1 + \\gamma t)^{-p})$. The official face models stop at "
            "$\\lambda_{\\min} = 5$, which keeps much of the easy $\\cos\\theta$ in the target. This app anneals to "
            "$\\lambda_{\\min} = 0$, the A-softmax of the paper.\n\n"
            "On screen: the training curves, with $\\lambda$ against the step. The sentences below also measure the "
            "same experiment trained with $\\lambda_{\\min} = 5$."
        ),
        view=views.TRAINING_VIEW.name,
        option=MappingProxyType({"model": "A-softmax m=4"}),
        settings=(_FIG2, _FIG2.replace(lambda_min=_OFFICIAL_FLOOR)),
        notice=notice_lambda,
        question=N_("Why does λ_min = 5 make m = 4 act like a much smaller margin?"),
        answer=N_(
            "At λ = 5 the target is (5 cos θ + ψ(θ)) / 6: five parts plain cos θ to one part ψ. That blend falls "
            "far more slowly than ψ, so the angle it demands to the other class is much less than m times the "
            "angle to the own class."
        ),
    ),
    Step(
        key="m-bound",
        title=N_("How large must m be?"),
        text=N_(
            "The paper's goal: the largest angle within a class smaller than the smallest angle between classes. "
            "If each class fills its margin exactly, $m > 2 + \\sqrt{3} \\approx 3.73$ is enough for two classes "
            "whatever the angle between their weights (the worst case; two opposite weights need only $m > 3$), and "
            "many classes with evenly spread weights need $m > 3$. Both are strict, so $m = 3$ is not enough: "
            "hence $m = 4$.\n\n"
            "On screen: a figure derives the two-class bound from the geometry. Two classes in 2-D are also trained "
            "for $m = 1, \\dots, 6$ over several seeds; what to notice counts, for each $m$, the seeds on which max "
            "intra-class < min inter-class holds, on test and on training features. A trained network does not meet "
            "the assumptions exactly: compare the bound with the runs."
        ),
        view=views.BOUND.name,
        settings=bound_runs,
        notice=notice_bound,
        question=N_(
            "The bound says m > 2 + √3 for two classes. Why can a trained network meet the criterion with "
            "a smaller m, or miss it with a larger one?"
        ),
        answer=N_(
            "The bound is derived for an idealised worst case, where each class spreads right up to the edge of its "
            "margin. A network that gathers its classes tighter meets the criterion sooner; one that does not reach "
            "the loss's optimum (too few steps, outliers, overlapping classes) can miss it even with m = 6. It is a "
            "guarantee for the ideal, not a prediction for one run."
        ),
    ),
    Step(
        key="open-set-verification",
        title=N_("The open set: verifying people never seen"),
        text=N_(
            "Back to the task of the first step, on data closer to faces: synthetic people to train on, and more "
            "people met only at test time, each photo changed by pose and lighting. Each loss is trained from "
            "several starting weights (seeds). A pair of test photos is called the same person when the cosine of "
            "their features passes a threshold chosen on the training people; the AUC sums up every threshold "
            "(0.5 is chance, 1 is perfect).\n\n"
            "On screen: one dot per seed for each loss, against cosine on the raw photos; below, each model's class "
            "separation against its AUC. Losses that separate the training classes more can transfer worse to new "
            "ones (Kornblith et al., NeurIPS 2021). SphereFace's gain on new faces came from about 10,000 training "
            "identities; here there are 40."
        ),
        view=views.OPEN_SET.name,
        settings=(_OPEN,),
        notice=notice_open_set,
        room=RoomQuestion("open_set_auc", "asoftmax:4", "msoftmax"),
        question=N_("Why is the threshold chosen on pairs of training people rather than on the test people?"),
        answer=N_(
            "At test time the people are unknown: a threshold chosen on their own pairs would use the answers being "
            "tested, and the accuracy would look better than it is. Choosing it on the training people and applying "
            "it unchanged to new ones is what a deployed system has to do."
        ),
    ),
    Step(
        key="take-home",
        title=N_("Take-home messages, and what came next"),
        text=N_(
            "Four messages from the notes. **M-softmax** is simple: with $\\lVert W_j\\rVert = 1$ and $b = 0$ the "
            "classifier decides by angle, so testing by cosine matches training. **A-softmax** widens the angles "
            "between classes with a margin $m$. Train it with the **λ annealing**, from near M-softmax ($\\lambda$ "
            "large: the plain $\\cos\\theta$) to A-softmax. Normalising $W$ removes the **prior** that free weights "
            "and biases learn from imbalanced classes, though not all of it: the features can still give a large "
            "class a wider region (what to notice measures both).\n\n"
            "On screen: softmax on classes of very different sizes. Look at the arrows' lengths, and at the table "
            "of class sizes under the figure.\n\n"
            "After SphereFace, NormFace also normalised $x$, CosFace subtracted its margin from the cosine and "
            "ArcFace added it to the angle. All three are in this app: the preset *SphereFace vs CosFace vs "
            "ArcFace*."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "softmax"}),
        settings=(_IMBALANCED, _FAMILY),
        notice=notice_take_home,
        question=N_(
            "Softmax trained on imbalanced classes may give the large classes longer weights. Why does that "
            "act as a prior, and what removes it?"
        ),
        answer=N_(
            "A longer W_j raises the logit of class j for every x, so borderline samples go to the large class "
            "whatever they look like, as a prior probability would do. Fixing ‖W_j‖ = 1 and b = 0 (M-softmax, "
            "A-softmax) leaves only the angle to decide, though the features themselves can still give a large "
            "class a wider region."
        ),
    ),
)
