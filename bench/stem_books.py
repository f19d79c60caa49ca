#!/usr/bin/env python3
"""A synthetic STEM thesis / engineering monograph in Pandoc/Quarto Markdown, for benchmarks.

    python bench/stem_books.py 50k /tmp/stem50      # writes book.md, refs.bib, figures/f1..f6.png

bench/run.py times it with `--manuscript /tmp/stem50/book.md --bibliography /tmp/stem50/refs.bib`.

Standalone (stdlib only) and deterministic: the same size and seed give the same bytes.
The make-up differs from a humanities book: numbered chapters/sections with Quarto labels
(`{#sec-chN-M}`), heavy inline and display math (`$$ ... $$ {#eq-N}`, hundreds of distinct
equations built from random pieces), figures and captioned pipe tables (small ones and long
page-spanning ones) with `@fig-N` / `@tbl-N` / `@eq-N` / `@sec-...` cross-references, fenced
code, definition and nested lists, few footnotes, and a citation about every 120 words
(often clustered, some with locators, some narrative) into a refs.bib of 60 entries per
10k words (articles, proceedings, books, reports, misc; non-ASCII and corporate authors).

Sizes are prose words of the body (math, code, tables and citation keys not counted):
2k, 20k, 50k, 100k. Prose is generated from a technical vocabulary and sentence templates.
"""

# ruff: noqa: RUF001  (non-ASCII author names on purpose, some with a dotless i)
from __future__ import annotations

import random
import re
import struct
import sys
import unicodedata
import zlib
from collections.abc import Callable
from pathlib import Path

SIZES = {"2k": 2_000, "20k": 20_000, "50k": 50_000, "100k": 100_000}
SEED = 20250514
ENTRIES_PER_10K = 60
FIGURE_FILES = 6

# Average prose words between elements (jittered +-30%).
EVERY = {
    "cite": 100,  # checked at sentence ends: ~1 per 120 words in effect
    "inline": 200,
    "xref": 170,
    "display": 500,
    "code": 1000,
    "table": 1200,
    "figure": 1500,
    "footnote": 2000,
    "list": 2500,
    "deflist": 5000,
}
# Every size gets at least this many (so 2k still exercises everything).
AT_LEAST = {
    "display": 4, "code": 2, "table": 2, "figure": 2, "footnote": 2, "list": 1, "deflist": 1,
}  # fmt: skip

# ---------------------------------------------------------------------------------------
# vocabulary
# ---------------------------------------------------------------------------------------

NOUNS = [
    "estimator", "gradient", "operator", "lattice", "tensor", "signal", "spectrum", "kernel",
    "residual", "iterate", "manifold", "preconditioner", "eigenvalue", "covariance matrix",
    "filter bank", "discretisation", "mesh", "solver", "upper bound", "regulariser", "channel",
    "quantiser", "basis", "subspace", "Jacobian", "Hessian", "Lagrangian", "penalty term",
    "constraint set", "objective", "noise floor", "transfer function", "impulse response",
    "stability margin", "error term", "sparsity pattern", "factorisation", "step-size rule",
    "sampling grid", "feedback loop", "observer", "likelihood", "posterior", "prior",
    "proximal map", "dual variable", "line search", "trust region", "Krylov subspace",
    "Gram matrix", "frame", "wavelet transform", "sensing matrix", "codebook", "decoder",
    "state estimate", "control law", "surrogate model", "loss landscape", "momentum term",
    "fixed point", "stencil", "boundary condition", "time integrator", "coarse space",
]  # fmt: skip
ADJECTIVES = [
    "stochastic", "convex", "sparse", "low-rank", "adaptive", "robust", "asymptotic",
    "discrete", "orthogonal", "nonlinear", "bounded", "ill-conditioned", "Lipschitz-continuous",
    "unbiased", "consistent", "second-order", "implicit", "explicit", "spectral", "coarse",
    "block-diagonal", "symmetric", "positive-definite", "strongly convex", "smooth",
    "nonsmooth", "quasi-uniform", "band-limited", "stationary", "time-varying", "linearised",
    "preconditioned", "regularised", "distributed", "randomised", "deterministic", "banded",
    "well-posed", "dominant", "tight", "first-order", "mixed-precision", "structured",
]  # fmt: skip
VERBS = [
    "dominates", "controls", "bounds", "determines", "degrades", "stabilises", "accelerates",
    "constrains", "regularises", "approximates", "perturbs", "shifts", "sharpens", "smooths",
    "amplifies", "attenuates", "limits", "governs", "couples to", "decouples from",
]  # fmt: skip
METHODS = [
    "stochastic gradient descent", "the conjugate gradient method", "a Gauss-Newton scheme",
    "the alternating direction method of multipliers", "a multigrid V-cycle",
    "the extended Kalman filter", "Lanczos iteration", "a finite-element discretisation",
    "Monte Carlo sampling", "the fast Fourier transform", "Nesterov's accelerated method",
    "a primal-dual splitting", "block coordinate descent", "the LLL reduction",
    "an alternating least-squares sweep", "a Chebyshev semi-iteration", "GMRES with restarts",
    "the power method", "a Runge-Kutta integrator", "orthogonal matching pursuit",
    "iterative hard thresholding", "a quasi-Newton update",
    "the expectation-maximisation algorithm",
]  # fmt: skip
QUANTITIES = [
    "the mean-squared error", "the condition number", "the spectral gap", "the wall-clock time",
    "the signal-to-noise ratio", "the relative residual", "the effective bandwidth",
    "the memory footprint", "the convergence rate", "the duality gap", "the bias",
    "the variance of the estimator", "the number of iterations", "the approximation error",
    "the sample complexity", "the communication cost", "the bit-error rate",
    "the truncation error", "the peak throughput", "the generalisation gap",
]  # fmt: skip
# parameter -> values it may be set to
PARAMETER_VALUES = {
    "the step size": ["0.05", "0.01", "0.2", "0.5"],
    "the bandwidth": ["20 MHz", "5 MHz", "48 kHz", "1.4 MHz"],
    "the mesh width": ["1.5 mm", "0.3 mm", "0.05 m", "2 cm"],
    "the number of samples": ["256", "4 096", "10 000", "65 536"],
    "the rank": ["8", "16", "32", "4"],
    "the regularisation weight": ["0.1", "0.01", "1.0", "0.003"],
    "the lattice dimension": ["24", "40", "64", "128"],
    "the tensor order": ["3", "4", "5", "6"],
    "the batch size": ["32", "128", "512", "2 048"],
    "the filter length": ["64 taps", "128 taps", "255 taps", "31 taps"],
    "the sampling rate": ["48 kHz", "16 kHz", "1 GS/s", "250 MS/s"],
    "the number of sensors": ["16", "64", "128", "12"],
    "the penalty parameter": ["0.5", "2", "10", "50"],
    "the noise level": ["0.01", "0.1", "-20 dB", "5 %"],
    "the problem dimension": ["1 024", "65 536", "1 048 576", "300"],
    "the time step": ["3.2 ms", "10 s", "0.5 ms", "1 h"],
    "the word length": ["16 bits", "8 bits", "12 bits", "24 bits"],
    "the number of antennas": ["4", "64", "128", "256"],
}
PARAMETERS = list(PARAMETER_VALUES)
CONDITIONS = [
    "for sufficiently small step sizes", "under mild regularity assumptions",
    "provided the mesh is quasi-uniform", "as the number of samples grows",
    "when the noise is sub-Gaussian", "in the high-SNR regime", "on well-conditioned lattices",
    "for every admissible initialisation", "whenever the constraint set is compact",
    "in the absence of model mismatch", "once the iterates enter the basin of attraction",
    "under a restricted isometry condition", "if the kernel is positive definite",
    "for band-limited inputs", "in the small-bandwidth limit", "in exact arithmetic",
]  # fmt: skip
TRENDS = [
    "decreases monotonically", "grows linearly", "saturates", "oscillates before settling",
    "remains essentially constant", "grows sublinearly", "decays geometrically",
    "drops sharply and then plateaus", "increases only logarithmically",
]  # fmt: skip
TRANSITIONS = [
    "Moreover", "In contrast", "Consequently", "In practice", "For this reason", "Conversely",
    "Notably", "In particular", "By construction", "As a result", "At the same time",
    "On the other hand", "Empirically", "From a computational point of view",
]  # fmt: skip
APPLICATIONS = [
    "channel estimation", "image deblurring", "structural health monitoring",
    "power-grid state estimation", "seismic inversion", "radar imaging", "speech enhancement",
    "battery modelling", "magnetic resonance imaging", "wireless localisation",
    "turbulence modelling", "robot motion planning", "satellite attitude control",
]  # fmt: skip
CODE_SPANS = [
    "solve()", "tol=1e-8", "max_iter", "numpy.linalg.lstsq", "--threads 8", "float64",
    "scipy.sparse.linalg.cg", "assemble_matrix", "seed=17", "dtype=complex128", "step_size",
    "make bench", "torch.no_grad()", "fft.rfft", "--precision mixed", "OMP_NUM_THREADS",
    "rank=16", "restart=30", "refine_mesh()", "config.yaml",
]  # fmt: skip
TIMES = ["3.2 s", "40 min", "12 ms", "2.5 h", "0.8 s", "17 min", "90 s", "6 h"]

SENTENCES = [
    "The {A} {N} {V} the {N2} {C}.",
    "{T}, {M} {V} {Q} {C}.",
    "We observe that {Q} {TREND} as {P} increases.",
    "This makes the {N} {A} with respect to {P}, which simplifies the analysis of the {N2}.",
    "A {A} {N} can be constructed from the {N2} at negligible additional cost.",
    "In {APP}, {Q} is typically dominated by the {N}.",
    "{T}, the {N} need not be {A} {C}.",
    "The cost per iteration is dominated by the {N}, so {Q} scales with {P}.",
    "We therefore fix {PV} unless stated otherwise.",
    "It is instructive to compare {M} with {M2} in terms of {Q}.",
    "Neither the {N} nor the {N2} is {A} in general, but both are {A2} {C}.",
    "Without loss of generality we assume that the {N} is {A}.",
    "The implementation exposes this choice through the `{CODE}` option.",
    "{T}, the {N} was computed with `{CODE}` in double precision.",
    "Relaxing this assumption leads to a {A} {N} for which {Q2} is harder to control.",
    "The remaining gap between theory and experiment is attributed to the {A} {N}.",
    "All reported timings include the cost of assembling the {N}.",
    "{T}, {Q} {TREND} once {PX}.",
    "The {N} is updated once per sweep, while the {N2} is kept fixed.",
    "A naive implementation of {M} would store the full {N}, which is prohibitive in {APP}.",
    "We recall that the {N} is {A} if and only if the {N2} is {A2}.",
    "This observation motivates a {A} variant of {M}.",
    "The choice of {P} trades {Q} against {Q2}.",
    "{T}, the {A} {N} is never formed explicitly; only its action on the {N2} is required.",
    "Both variants share the same {N}, so the comparison isolates the effect of {P}.",
    "The same reasoning extends to the {A} case with only notational changes.",
    "In our experiments {M} required roughly {TIME} per run on a single workstation.",
    "Such a {N} is {A} by design, which removes the need for a separate {N2}.",
]  # fmt: skip
MATH_SENTENCES = [
    "Here {INL} denotes the {A} {N}.",
    "We write {INL} for the {N} of the {N2}.",
    "For {INL} the {N} is {A}, and the bound is attained.",
    "In particular, {INL} holds {C}.",
    "Taking {INL} recovers the classical {A} {N}.",
    "The {N} satisfies {INL} {C}.",
    "{T}, the condition {INL} guarantees that the {N} is {A}.",
    "Throughout, {INL} and the {N} is assumed to be {A}.",
]  # fmt: skip
XREF_SENTENCES = [
    ("eq", "The same argument applied to {REF} gives a {A} bound on the {N}."),
    ("eq", "Substituting {REF} into the {N} shows that {Q} {TREND} as {P} increases."),
    ("negeq",
     "Combining the estimate in ({REF}) with the {A} property of the {N} yields the claim."),
    ("eq", "The proof follows from {REF} and the {A} structure of the {N}."),
    ("eq", "We stress that {REF} holds {C}."),
    ("fig", "As {REF} shows, {Q} {TREND} as {P} increases."),
    ("fig", "The behaviour visible in {REF} is typical of a {A} {N}."),
    ("tbl", "The measurements summarised in {REF} confirm this trend."),
    ("tbl", "The values in {REF} were obtained with {M}."),
    ("sec", "The derivation follows {REF} closely, with the {N} replaced by its {A} counterpart."),
    ("sec", "Details of the experimental setup are deferred to {REF}."),
    ("sec", "We return to the role of {P} in {REF}."),
    ("figpair", "The panels in {REF} compare the {A} and {A2} variants of the {N}."),
]  # fmt: skip
NARRATIVE_SENTENCES = [
    "{NC} showed that the {A} {N} {V} the {N2} {C}.",
    "Following {NC}, we treat the {N} as {A}.",
    "The bound of {NC} is tight only {C}.",
    "{NC} proposed {M} for {APP} and reported that {Q} {TREND}.",
    "An alternative analysis due to {NC} avoids the {A} {N} altogether.",
]  # fmt: skip

CHAPTER_TITLES = [
    "Background and Notation", "Problem Formulation", "Convex Relaxations",
    "Stochastic Gradient Methods", "Spectral Estimation", "Lattice Reduction",
    "Tensor Decompositions", "Sparse Recovery", "Preconditioned Krylov Solvers",
    "State Estimation and Filtering", "Discretisation of Transport Problems",
    "Distributed Optimisation", "Quantisation and Coding", "Bandwidth-Limited Sensing",
    "Error Analysis", "Mixed-Precision Arithmetic", "Model Reduction", "Robust Control",
    "Adaptive Mesh Refinement", "Kernel Methods", "Learning-Based Solvers",
    "Scalability on Parallel Hardware", "Numerical Experiments", "Case Studies",
]  # fmt: skip
SECTION_HEADS = [
    "Convergence", "Stability", "Error Bounds", "Complexity", "Implementation", "Assumptions",
    "Sensitivity", "Regularisation", "Initialisation", "Preconditioning", "Calibration",
    "Identifiability", "Consistency", "Discretisation", "Parallelisation", "Benchmarks",
]  # fmt: skip
SECTION_TAILS = [
    "of Sparse Estimators", "under Quantisation", "for Low-Rank Tensors", "of the Dual Problem",
    "in the Noisy Regime", "on Structured Lattices", "for Band-Limited Signals",
    "of the Proximal Map", "with Inexact Gradients", "on Unstructured Meshes",
    "for Time-Varying Channels", "of the Kalman Observer", "in High Dimensions",
    "with Momentum", "of Krylov Iterations", "at Scale",
]  # fmt: skip

GLOSSARY = [
    ("Condition number",
     "The ratio of the largest to the smallest singular value of a matrix; it bounds the "
     "amplification of relative errors."),
    ("Spectral gap",
     "The distance between the two leading eigenvalues of an operator, which governs the speed "
     "of power-type iterations."),
    ("Restricted isometry",
     "A property of a sensing matrix that approximately preserves the norm of every sparse "
     "vector."),
    ("Proximal map",
     "The minimiser of a function plus a quadratic distance to a given point; it generalises "
     "the projection onto a convex set."),
    ("Lattice basis",
     "A set of linearly independent vectors whose integer combinations generate the lattice."),
    ("Tensor rank",
     "The smallest number of rank-one terms whose sum reproduces a tensor exactly."),
    ("Nyquist rate",
     "Twice the highest frequency present in a band-limited signal; sampling below it causes "
     "aliasing."),
    ("Preconditioner",
     "An approximation of the inverse of a matrix that clusters the spectrum of the "
     "preconditioned operator."),
    ("Duality gap",
     "The difference between the primal and the dual objective values; it certifies "
     "suboptimality."),
    ("Step-size schedule",
     "A rule that fixes the learning rate at each iteration, often decreasing in the iteration "
     "count."),
    ("Kalman gain",
     "The weight that blends the predicted state with a new measurement in a linear Gaussian "
     "filter."),
    ("Lipschitz constant",
     "The smallest constant bounding the ratio of output to input differences of a map."),
]  # fmt: skip

# ---------------------------------------------------------------------------------------
# math
# ---------------------------------------------------------------------------------------

GREEK = [
    r"\alpha", r"\beta", r"\gamma", r"\delta", r"\eta", r"\theta", r"\lambda", r"\mu", r"\nu",
    r"\rho", r"\sigma", r"\tau", r"\omega", r"\kappa", r"\xi", r"\phi",
]  # fmt: skip
VECTORS = ["x", "u", "w", "z", "v", "y", "s"]
MATRICES = ["A", "B", "K", "M", "P", "Q", "W", "H", "L"]
INDICES = ["i", "j", "k", "n", "t", "m", "l"]
LIMITS = ["N", "n", "M", "K", "T", "d", "m", "L"]
SPACES = [
    r"\mathbb{R}^{n}", r"\mathbb{R}^{d}", r"\mathbb{R}^{m \times n}", r"\mathbb{C}^{N}",
    r"\mathbb{R}^{n \times n}", r"\mathbb{Z}^{d}", r"\mathbb{R}_{+}", r"\mathbb{C}^{M \times N}",
]  # fmt: skip
NORMS = ["1", "2", r"\infty", "F", "*"]
FUNCS = ["f", "g", "h", r"\varphi", r"\psi", "F", "G", "J"]


def _num(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return str(rng.randint(2, 12))
    if roll < 0.7:
        return f"{rng.randint(0, 9)}.{rng.randint(1, 99):02d}".rstrip("0")
    if roll < 0.85:
        return rf"10^{{-{rng.randint(2, 9)}}}"
    return rf"\frac{{{rng.randint(1, 5)}}}{{{rng.randint(6, 16)}}}"


class MathMaker:
    """Equations from random pieces; every one returned is new (checked against a set)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(200):
            tex = make()
            if tex not in self.seen:
                self.seen.add(tex)
                return tex
        # Practically unreachable: decorate with a fresh constant.
        tex = make() + rf" + c_{{{len(self.seen)}}}"
        self.seen.add(tex)
        return tex

    # inline ----------------------------------------------------------------------------

    def inline(self) -> str:
        return "$" + self._unique(self._inline_tex) + "$"

    def _inline_tex(self) -> str:
        r = self.rng
        g, g2 = r.sample(GREEK, 2)
        v, v2 = r.sample(VECTORS, 2)
        i = r.choice(INDICES)
        A = r.choice(MATRICES)
        f = r.choice(FUNCS)
        n = r.choice(LIMITS)
        kind = r.randrange(16)
        if kind == 0:
            eps = r.choice([r"\varepsilon", g, _num(r)])
            return rf"\lVert {v}_{{{i}}} - {v}^{{\star}} \rVert_{{{r.choice(NORMS)}}} \le {eps}"
        if kind == 1:
            return rf"{v} \in {r.choice(SPACES)}"
        if kind == 2:
            return (
                rf"\hat{{{g}}}_{{{n}}} = \operatorname{{argmin}}_{{{g} \in \Theta}} "
                rf"\mathcal{{L}}_{{{n}}}({g})"
            )
        if kind == 3:
            den = r.choice(["L", "n", r"\sqrt{n}", "L + " + g2, "2" + g2])
            return rf"{g} = \frac{{{r.randint(1, 4)}}}{{{den}}}"
        if kind == 4:
            return rf"{g}_{{{i}}} = {_num(r)}"
        if kind == 5:
            arg = r.choice(["n", "N", r"(1/\varepsilon)"])
            return rf"\mathcal{{O}}({r.choice('nNdk')}^{{{r.randint(2, 3)}}} \log {arg})"
        if kind == 6:
            noise = r.choice([r"\xi", r"\epsilon", "e"])
            return rf"\mathbb{{E}}[{noise}_{{{i}}}] = {r.choice(['0', g, v + '_0'])}"
        if kind == 7:
            return rf"\kappa({A}) = \lambda_{{\max}}({A}) / \lambda_{{\min}}({A})"
        if kind == 8:
            return rf"\nabla {f}({v}_{{{i}}}) \neq 0"
        if kind == 9:
            small, limit = r.choice(["h", r"\Delta t", g, n + "^{-1}"]), r.choice(["0", r"\infty"])
            return rf"{small} \to {limit}"
        if kind == 10:
            return rf"{A} = U \Sigma V^{{\top}}"
        if kind == 11:
            return rf"\sum_{{{i}=1}}^{{{n}}} {g}_{{{i}}} = {r.randint(1, 9)}"
        if kind == 12:
            return rf"{A}^{{\top}} {A} \succeq {g} I"
        if kind == 13:
            return rf"\lVert {A} {v} - {v2} \rVert_{{2}} < {_num(r)}"
        if kind == 14:
            target = r.choice([r"\mathbb{R}", r"\mathbb{R}_{+}", r"\mathbb{C}"])
            return rf"{f} \colon {r.choice(SPACES)} \to {target}"
        return rf"{g}^{{2}} = \frac{{1}}{{{n}}} \sum_{{{i}}} ({v}_{{{i}}} - \bar{{{v}}})^{{2}}"

    # display ---------------------------------------------------------------------------

    def display(self) -> str:
        makers = [
            self._risk, self._argmin, self._integral, self._fourier, self._matrix,
            self._aligned_update, self._cases, self._rate, self._expectation, self._pde,
            self._transfer, self._tensor, self._lattice, self._capacity, self._lagrangian,
            self._gaussian, self._kalman, self._taylor,
        ]  # fmt: skip
        # The first few are one of each of the heavier kinds (so even 2k has a matrix, an
        # aligned block, cases and an integral), then any kind at random.
        first = [self._matrix, self._aligned_update, self._cases, self._integral]
        self.displays = getattr(self, "displays", 0) + 1
        maker = first[self.displays - 1] if self.displays <= len(first) else self.rng.choice(makers)
        return self._unique(maker)

    def _risk(self) -> str:
        r = self.rng
        th = r.choice([r"\theta", "w", r"\beta"])
        n, i = r.choice(LIMITS), r.choice(INDICES)
        loss = r.choice([
            rf"\ell\left( y_{{{i}}}, f_{{{th}}}(x_{{{i}}}) \right)",
            rf"\left( y_{{{i}}} - {th}^{{\top}} x_{{{i}}} \right)^{{2}}",
            rf"\log\left( 1 + e^{{-y_{{{i}}} {th}^{{\top}} x_{{{i}}}}} \right)",
            rf"\max\left( 0, 1 - y_{{{i}}} {th}^{{\top}} x_{{{i}}} \right)",
        ])  # fmt: skip
        pen = r.choice([rf"\lVert {th} \rVert_{{2}}^{{2}}", rf"\lVert {th} \rVert_{{1}}",
                        rf"\lVert D {th} \rVert_{{1}}", rf"\lVert {th} \rVert_{{*}}"])  # fmt: skip
        lam = r.choice([r"\lambda", r"\mu", r"\frac{\lambda}{2}", r"\gamma_{n}"])
        return (
            rf"\mathcal{{L}}({th}) = \frac{{1}}{{{n}}} \sum_{{{i}=1}}^{{{n}}} {loss} "
            rf"+ {lam} {pen}"
        )

    def _argmin(self) -> str:
        r = self.rng
        v = r.choice(VECTORS)
        A, D = r.sample(MATRICES, 2)
        b = r.choice(["b", "y", "d"])
        g = r.choice(GREEK)
        term = r.choice([rf"\lVert {D} {v} \rVert_{{1}}", rf"\lVert {v} \rVert_{{1}}",
                         rf"\lVert {v} - {v}_{{0}} \rVert_{{2}}^{{2}}",
                         rf"\operatorname{{TV}}({v})"])  # fmt: skip
        return (
            rf"\hat{{{v}}} = \operatorname{{argmin}}_{{{v} \in {r.choice(SPACES[:5])}}} "
            rf"\left\{{ \frac{{1}}{{{r.randint(2, 4)}}} \lVert {A} {v} - {b} \rVert_{{2}}^{{2}} "
            rf"+ {g} {term} \right\}}"
        )

    def _integral(self) -> str:
        r = self.rng
        s = r.choice(["s", "u", "x", "p"])
        lo, hi = r.choice(
            [("0", "T"), (r"-\infty", r"\infty"), ("a", "b"), ("0", "1"), ("-\\pi", "\\pi")]
        )
        w = r.choice([rf"e^{{-{r.choice(GREEK)} t}}", "w(t)", r"\cos(\omega_0 t)", "", r"t^{2}"])
        bound = r.choice(["", r" \le C \lVert " + s + r" \rVert_{L^2}^{2}", r" < \infty"])
        return (
            rf"E_{{{s}}} = \int_{{{lo}}}^{{{hi}}} \left| {s}(t) \right|^{{{r.choice('2p')}}} "
            rf"{w} \, \mathrm{{d}}t" + bound
        )

    def _fourier(self) -> str:
        r = self.rng
        s = r.choice(["s", "x", "h", "g"])
        w = r.choice([r"\omega", r"\xi", "f"])
        k = r.choice([rf"e^{{-\mathrm{{i}} {w} t}}", rf"e^{{-2 \pi \mathrm{{i}} {w} t}}",
                      r"\psi_{a,b}(t)"])  # fmt: skip
        if r.random() < 0.5:
            n = r.choice(LIMITS)
            return (
                rf"\hat{{{s}}}[k] = \sum_{{{r.choice('nm')}=0}}^{{{n}-1}} {s}[{r.choice('nm')}] "
                rf"\, e^{{-2 \pi \mathrm{{i}} k {r.choice('nm')} / {n}}}"
            )
        return rf"\hat{{{s}}}({w}) = \int_{{-\infty}}^{{\infty}} {s}(t) \, {k} \, \mathrm{{d}}t"

    def _matrix(self) -> str:
        r = self.rng
        size = r.choice([2, 2, 3, 3, 4])
        pool = [*GREEK[:8], "0", "1", "-1", "h", "2", r"\frac{1}{2}", "c", "-h^{2}"]
        rows = [" & ".join(r.choice(pool) + (f"_{{{a}{b}}}" if r.random() < 0.3 else "")
                           for b in range(size)) for a in range(size)]  # fmt: skip
        name = r.choice(MATRICES)
        body = r" \\ ".join(rows)
        tail = r.choice(
            ["", rf", \qquad \det {name} \neq 0", rf" \in \mathbb{{R}}^{{{size} \times {size}}}"]
        )
        return rf"{name} = \begin{{pmatrix}} {body} \end{{pmatrix}}{tail}"

    def _aligned_update(self) -> str:
        r = self.rng
        v = r.choice(VECTORS)
        k = r.choice(["k", "t", "n"])
        f = r.choice(FUNCS[:4])
        g = r.choice(GREEK)
        variant = r.randrange(3)
        den = r.choice(
            ["1 + " + g + " " + k, r"\sqrt{" + k + " + 1}", k + " + " + str(r.randint(1, 9))]
        )
        if variant == 0:
            lines = [
                rf"{v}_{{{k}+1}} &= {v}_{{{k}}} - \eta_{{{k}}} \nabla {f}({v}_{{{k}}})",
                rf"\eta_{{{k}}} &= \frac{{\eta_{{0}}}}{{{den}}}",
            ]
        elif variant == 1:
            lines = [
                rf"m_{{{k}+1}} &= {g} m_{{{k}}} + (1 - {g}) \nabla {f}({v}_{{{k}}})",
                rf"{v}_{{{k}+1}} &= {v}_{{{k}}} - \eta \, m_{{{k}+1}}",
                rf"\eta &\le \frac{{{r.randint(1, 2)}}}{{L}}",
            ]
        else:
            lines = [
                rf"{v}^{{{k}+1}} &= \operatorname{{argmin}}_{{{v}}} \; {f}({v}) "
                rf"+ \frac{{\rho}}{{2}} "
                rf"\lVert A {v} + B z^{{{k}}} - c + u^{{{k}}} \rVert_{{2}}^{{2}}",
                rf"z^{{{k}+1}} &= \operatorname{{prox}}_{{{g} g / \rho}}"
                rf"\left( -A {v}^{{{k}+1}} + c - u^{{{k}}} \right)",
                rf"u^{{{k}+1}} &= u^{{{k}}} + A {v}^{{{k}+1}} + B z^{{{k}+1}} - c",
            ]
        return r"\begin{aligned}" + "\n" + (r", \\" + "\n").join(lines) + ".\n" + r"\end{aligned}"

    def _cases(self) -> str:
        r = self.rng
        f = r.choice([r"\psi", r"\rho", r"\phi", "w", "S_{\\tau}"])
        x = r.choice(["r", "x", "t", "u"])
        c = r.choice([r"r_{0}", r"\tau", r"\delta", "1", "h"])
        a = r.choice([rf"1 - \frac{{{x}^{{2}}}}{{{c}^{{2}}}}", rf"\frac{{1}}{{2}} {x}^{{2}}",
                      rf"{x} - {c}", rf"e^{{-{x}/{c}}}",
                      rf"\cos\left( \frac{{\pi {x}}}{{2 {c}}} \right)"])  # fmt: skip
        b = r.choice(["0", rf"{c} \lvert {x} \rvert - \frac{{{c}^{{2}}}}{{2}}", rf"{x} + {c}", "1"])
        return (
            rf"{f}({x}) = \begin{{cases}} {a} & \lvert {x} \rvert \le {c}, \\ "
            rf"{b} & \text{{otherwise}}. \end{{cases}}"
        )

    def _rate(self) -> str:
        r = self.rng
        v = r.choice(VECTORS)
        k = r.choice(["k", "t", "n"])
        q = r.choice([r"\left( \frac{\kappa - 1}{\kappa + 1} \right)^{" + k + "}",
                      r"\left( 1 - \frac{\mu}{L} \right)^{" + k + "}",
                      r"\left( \frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1} \right)^{"
                      + str(r.randint(1, 2)) + k + "}",
                      r"\frac{C}{" + k + "^{" + str(r.randint(1, 2)) + "}}"])  # fmt: skip
        const = r.choice(["", "2", r"\sqrt{\kappa}", "C_0"])
        return (
            rf"\lVert {v}_{{{k}}} - {v}^{{\star}} \rVert_{{{r.choice('2AM')}}} \le "
            rf"{const} {q} \lVert {v}_{{0}} - {v}^{{\star}} \rVert_{{{r.choice('2AM')}}}"
        )

    def _expectation(self) -> str:
        r = self.rng
        th = r.choice([r"\theta", r"\beta", "w", r"\mu"])
        n = r.choice(["n", "N", "m"])
        expo = r.choice(["1/2", "2/3", r"\alpha"])
        rhs = r.choice([
            rf"\frac{{C \sigma^{{2}} d}}{{{n}}}", rf"\frac{{\sigma^{{2}} s \log d}}{{{n}}}",
            rf"C \left( \frac{{d}}{{{n}}} \right)^{{{expo}}}",
            rf"\frac{{\operatorname{{tr}}(\Sigma)}}{{{n}}} + \delta^{{2}}",
        ])  # fmt: skip
        return (
            rf"\mathbb{{E}}\left[ \lVert \hat{{{th}}}_{{{n}}} - {th} \rVert_{{2}}^{{2}} \right] "
            rf"\le {rhs}"
        )

    def _pde(self) -> str:
        r = self.rng
        u = r.choice(["u", "c", "T", r"\phi"])
        nu = r.choice([r"\nu", r"\kappa", "D", r"\varepsilon"])
        extra = r.choice([
            "", rf" - \mathbf{{b}} \cdot \nabla {u}", rf" - {r.choice(GREEK)} {u}^{{3}}",
            rf" + {u}(1 - {u})",
        ])  # fmt: skip
        src = r.choice(["f(x, t)", "0", r"\delta(x - x_0)", "g(x)"])
        dom = r.choice([r"x \in \Omega", r"(x, t) \in \Omega \times (0, T]", r"x \in [0, 1]^{2}"])
        return (
            rf"\frac{{\partial {u}}}{{\partial t}} = {nu} \nabla^{{2}} {u}{extra} + {src}, "
            rf"\quad {dom}"
        )

    def _transfer(self) -> str:
        r = self.rng
        M, N = r.sample(["M", "N", "P", "Q", "L"], 2)
        k = r.choice(["k", "l", "m"])
        H = r.choice(["H", "G", "C"])
        if r.random() < 0.5:
            return (
                rf"{H}(z) = \frac{{\sum_{{{k}=0}}^{{{M}}} b_{{{k}}} z^{{-{k}}}}}"
                rf"{{1 + \sum_{{{k}=1}}^{{{N}}} a_{{{k}}} z^{{-{k}}}}}"
            )
        zeta, w = r.choice(GREEK), r.choice([r"\omega_{n}", r"\omega_{0}", r"\omega_{c}"])
        return rf"{H}(s) = \frac{{{w}^{{2}}}}{{s^{{2}} + 2 {zeta} {w} s + {w}^{{2}}}}"

    def _tensor(self) -> str:
        r = self.rng
        R = r.choice(["R", "r", "K"])
        idx = r.choice(["ijk", "ijl", "pqr", "abc"])
        fac = r.sample(["a", "b", "c", "u", "v", "w"], 3)
        lam = r.choice([r"\lambda", r"\sigma", "g"])
        parts = " ".join(
            f"{f}_{{{i}{R.lower() if R != 'K' else 'k'}}}" for f, i in zip(fac, idx, strict=True)
        )
        inner = R.lower() if R != "K" else "k"
        return rf"\mathcal{{T}}_{{{idx}}} = \sum_{{{inner}=1}}^{{{R}}} {lam}_{{{inner}}} \, {parts}"

    def _lattice(self) -> str:
        r = self.rng
        L = r.choice([r"\Lambda", r"\mathcal{L}", r"\Gamma"])
        v = r.choice(["v", "x", "b"])
        if r.random() < 0.5:
            return (
                rf"\Theta_{{{L}}}(q) = \sum_{{{v} \in {L}}} q^{{\lVert {v} \rVert^{{2}}}}, "
                rf"\qquad \lvert q \rvert < 1"
            )
        d = r.choice(["n", "d", "m"])
        return (
            rf"\lambda_{{1}}({L}) \le \sqrt{{{d}}} \, \det({L})^{{1/{d}}}, \qquad "
            rf"{L} = B \mathbb{{Z}}^{{{d}}}"
        )

    def _capacity(self) -> str:
        r = self.rng
        C = r.choice(["C", "R", r"C_{\mathrm{eff}}"])
        B = r.choice(["B", "W"])
        snr = r.choice([
            rf"\frac{{P}}{{N_{{0}} {B}}}", r"\mathrm{SNR}",
            r"\frac{\lvert h \rvert^{2} P}{\sigma^{2}}",
        ])  # fmt: skip
        if r.random() < 0.4:
            k = r.choice(INDICES)
            return (
                rf"{C} = \sum_{{{k}=1}}^{{{r.choice(LIMITS)}}} \log_{{2}}\left( 1 + "
                rf"\frac{{p_{{{k}}} \lvert h_{{{k}}} \rvert^{{2}}}}{{\sigma^{{2}}}} \right)"
            )
        return rf"{C} = {B} \log_{{2}}\left( 1 + {snr} \right)"

    def _lagrangian(self) -> str:
        r = self.rng
        v = r.choice(VECTORS)
        m = r.choice(["m", "p", "J"])
        j = r.choice(["j", "l"])
        lam, mu = r.sample([r"\lambda", r"\mu", r"\nu", r"\eta"], 2)
        extra = r.choice([
            "", rf" + {mu}^{{\top}} (A {v} - b)",
            rf" + \frac{{\rho}}{{2}} \lVert A {v} - b \rVert_{{2}}^{{2}}",
        ])  # fmt: skip
        return (
            rf"\mathcal{{L}}({v}, {lam}) = f({v}) + \sum_{{{j}=1}}^{{{m}}} {lam}_{{{j}}} "
            rf"g_{{{j}}}({v}){extra}"
        )

    def _gaussian(self) -> str:
        r = self.rng
        x = r.choice(["x", "y", "z"])
        m = r.choice([r"\mu", "m", r"\hat{x}"])
        S = r.choice([r"\Sigma", "P", "C"])
        d = r.choice(["d", "n", "2"])
        return (
            rf"p({x}) = \frac{{1}}{{(2 \pi)^{{{d}/2}} \lvert {S} \rvert^{{1/2}}}} "
            rf"\exp\left( -\frac{{1}}{{2}} ({x} - {m})^{{\top}} {S}^{{-1}} ({x} - {m}) \right)"
        )

    def _kalman(self) -> str:
        r = self.rng
        k = r.choice(["k", "t", "n"])
        H = r.choice(["H", "C"])
        R = r.choice(["R", "V"])
        joseph = r.choice([
            "",
            r" \left( I - K_{" + k + "} " + H + r" \right)^{\top} + K_{" + k + "} " + R
            + " K_{" + k + r"}^{\top}",
        ])  # fmt: skip
        return (
            r"\begin{aligned}" + "\n"
            rf"K_{{{k}}} &= P_{{{k} \mid {k}-1}} {H}^{{\top}} "
            rf"\left( {H} P_{{{k} \mid {k}-1}} {H}^{{\top}} + {R} \right)^{{-1}}, \\" + "\n"
            rf"\hat{{x}}_{{{k} \mid {k}}} &= \hat{{x}}_{{{k} \mid {k}-1}} + K_{{{k}}} "
            rf"\left( y_{{{k}}} - {H} \hat{{x}}_{{{k} \mid {k}-1}} \right), \\" + "\n"
            rf"P_{{{k} \mid {k}}} &= \left( I - K_{{{k}}} {H} \right) P_{{{k} \mid {k}-1}}"
            rf"{joseph}." + "\n"
            r"\end{aligned}"
        )

    def _taylor(self) -> str:
        r = self.rng
        f = r.choice(["f", "F", r"\Phi"])
        x = r.choice(VECTORS)
        d = r.choice(["d", "h", "p"])
        order = r.choice([r"\mathcal{O}(\lVert " + d + r" \rVert^{3})",
                          r"o(\lVert " + d + r" \rVert^{2})",
                          r"\frac{L}{6} \lVert " + d + r" \rVert^{3}"])  # fmt: skip
        return (
            rf"{f}({x} + {d}) = {f}({x}) + \nabla {f}({x})^{{\top}} {d} + "
            rf"\frac{{1}}{{2}} {d}^{{\top}} \nabla^{{2}} {f}({x}) \, {d} + {order}"
        )


# ---------------------------------------------------------------------------------------
# bibliography
# ---------------------------------------------------------------------------------------

PEOPLE = [
    ("Müller", "Jürgen"), ("García", "Lucía"), ("Nowak", "Łukasz"), ("Østergaard", "Søren"),
    ("Šimek", "Tomáš"), ("Çelik", "Ayşe"), ("Nguyễn", "Thị Hương"), ("Chen", "Wei"),
    ("Okafor", "Chinedu"), ("O'Brien", "Siobhán"), ("van der Berg", "Pieter"),
    ("Kowalczyk", "Zofia"), ("Dubois", "Étienne"), ("Andersson", "Björn"), ("Yılmaz", "Emre"),
    ("Tanaka", "Haruki"), ("Kim", "Min-jun"), ("Ivanova", "Yelena"), ("Rossi", "Giulia"),
    ("Fernández-López", "Ana"), ("Schröder", "Katrin"), ("Patel", "Anjali"), ("Smith", "Robert J."),
    ("Johansson", "Erik"), ("de la Cruz", "Mateo"), ("Wójcik", "Krzysztof"), ("Zhang", "Yue"),
    ("Haddad", "Karim"), ("Lindqvist", "Astrid"), ("Novák", "Jiří"), ("Papadopoulos", "Eleni"),
    ("Moreau", "Céline"), ("Abebe", "Selam"), ("Kovačević", "Jelena"), ("Brown", "Emily"),
    ("Suzuki", "Aiko"), ("Horváth", "Gábor"), ("Rahman", "Farhana"), ("Weiß", "Matthias"),
    ("Costa", "João"), ("Nakamura", "Ren"), ("Virtanen", "Pauli"), ("Santos", "Beatriz"),
    ("Levi", "Noa"), ("Grünwald", "Hannes"), ("Liu", "Xiaoming"), ("Mendes", "Inês"),
]  # fmt: skip
CORPORATE = [
    "IEEE", "IEEE Standards Association", "International Organization for Standardization",
    "NASA Jet Propulsion Laboratory", "European Telecommunications Standards Institute",
    "3rd Generation Partnership Project", "National Institute of Standards and Technology",
]  # fmt: skip
JOURNALS = [
    ("IEEE Transactions on Signal Processing", "10.1109"),
    ("SIAM Journal on Numerical Analysis", "10.1137"),
    ("Journal of Machine Learning Research", "10.5555"), ("Numerische Mathematik", "10.1007"),
    ("Mathematics of Computation", "10.1090"), ("Journal of Computational Physics", "10.1016"),
    ("IEEE Transactions on Information Theory", "10.1109"), ("Automatica", "10.1016"),
    ("SIAM Journal on Optimization", "10.1137"), ("Mathematical Programming", "10.1007"),
    ("IEEE Transactions on Automatic Control", "10.1109"), ("Inverse Problems", "10.1088"),
    ("Signal Processing", "10.1016"), ("BIT Numerical Mathematics", "10.1007"),
]  # fmt: skip
CONFERENCES = [
    "Proceedings of the International Conference on Machine Learning ({ICML})",
    "Advances in Neural Information Processing Systems ({NeurIPS})",
    "{IEEE} International Conference on Acoustics, Speech and Signal Processing ({ICASSP})",
    "Proceedings of the {IEEE} Conference on Decision and Control ({CDC})",
    "{IEEE} International Symposium on Information Theory ({ISIT})",
    "Proceedings of the International Conference for High Performance Computing ({SC})",
    "European Signal Processing Conference ({EUSIPCO})",
    "American Control Conference ({ACC})",
]  # fmt: skip
PUBLISHERS = [
    ("Springer", "Cham"), ("Cambridge University Press", "Cambridge"), ("{SIAM}", "Philadelphia"),
    ("MIT Press", "Cambridge, MA"), ("Oxford University Press", "Oxford"), ("Wiley", "Hoboken, NJ"),
]  # fmt: skip
INSTITUTIONS = [
    "Lawrence Livermore National Laboratory", "ETH Zürich", "Technische Universität München",
    "Sandia National Laboratories", "Université Paris-Saclay", "KTH Royal Institute of Technology",
    "Politecnico di Milano", "Argonne National Laboratory",
]  # fmt: skip
TITLE_HEADS = [
    "Fast", "Robust", "Scalable", "Adaptive", "Provably Convergent", "Randomized", "Accelerated",
    "Communication-Efficient", "Sparse", "Low-Rank", "Stable", "Mixed-Precision", "Distributed",
    "Structured", "Preconditioned",
]  # fmt: skip
TITLE_TOPICS = [
    "Gradient Methods", "Estimators", "Krylov Solvers", "Tensor Decompositions", "Lattice Decoders",
    "Kalman Filters", "Proximal Algorithms", "Spectral Methods", "Multigrid Solvers",
    "Sampling Schemes", "{ADMM} Variants", "Quasi-Newton Methods", "Finite-Element Solvers",
    "{MIMO} Detectors", "Compressed Sensing Schemes",
]  # fmt: skip
TITLE_TAILS = [
    "for Large-Scale Inverse Problems", "in Wireless Channels", "with Inexact Oracles",
    "on {GPU} Clusters", "under Heavy-Tailed Noise", "for Band-Limited Signals",
    "for Elliptic {PDE}s", "in High Dimensions", "with Quantized Measurements",
    "for Nonconvex Objectives", "on Sparse Graphs", "for Radar Imaging",
]  # fmt: skip

ASCII = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "ı": "i", "'": "", "-": "", " ": ""}
)


def _key_stem(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.translate(ASCII))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower()


def bibliography(count: int, rng: random.Random) -> tuple[str, list[str]]:
    """`count` BibTeX entries; returns (text, keys in order)."""
    records: list[str] = []
    keys: list[str] = []
    used: set[str] = set()
    # Interleaved so that even the 12 entries of the 2k book hold every type.
    kinds = ["article", "inproceedings", "book", "techreport", "article", "misc", "inproceedings",
             "article", "book", "article", "inproceedings", "misc", "article", "techreport",
             "inproceedings", "article", "book", "article", "inproceedings", "article"]  # fmt: skip
    for number in range(count):
        kind = kinds[number % len(kinds)] if number < len(kinds) else rng.choice(kinds)
        year = rng.randint(1985, 2024)
        corporate = (
            number in (3, 5)
            or (kind in ("techreport", "misc") and rng.random() < 0.45)
            or rng.random() < 0.02
        )
        if corporate:
            org = rng.choice(CORPORATE)
            author = "{" + org + "}"
            stem = (
                _key_stem("".join(w[0] for w in org.split() if w[0].isupper() or w[0].isdigit()))
                if " " in org
                else _key_stem(org)
            )
        else:
            people = rng.sample(PEOPLE, rng.choice([1, 2, 2, 3, 3, 4, 6]))
            author = " and ".join(f"{last}, {first}" for last, first in people)
            stem = _key_stem(
                people[0][0].split()[-1]
                if people[0][0].startswith(("van ", "de "))
                else people[0][0]
            )
        if stem[:1].isdigit():  # "3GPP": keys should start with a letter
            stem = "org" + stem
        key = f"{stem}{year}"
        suffix = 0
        while key in used:
            suffix += 1
            letter = "abcdefghijklmnopqrstuvwxyz"[(suffix - 1) % 26]
            key = f"{stem}{year}{letter}{'' if suffix <= 26 else suffix}"
        used.add(key)
        keys.append(key)
        title = f"{rng.choice(TITLE_HEADS)} {rng.choice(TITLE_TOPICS)} {rng.choice(TITLE_TAILS)}"
        fields: list[tuple[str, str]] = [("author", author), ("title", title), ("year", str(year))]
        if kind == "article":
            journal, prefix = rng.choice(JOURNALS)
            first = rng.randint(1, 2400)
            fields += [
                ("journal", journal), ("volume", str(rng.randint(5, 72))),
                ("number", str(rng.randint(1, 12))),
                ("pages", f"{first}--{first + rng.randint(8, 40)}"),
                ("doi", f"{prefix}/{_key_stem(journal)[:6]}.{year}.{rng.randint(10000, 99999)}"),
            ]  # fmt: skip
        elif kind == "inproceedings":
            first = rng.randint(1, 900)
            fields += [
                ("booktitle", rng.choice(CONFERENCES)),
                ("pages", f"{first}--{first + rng.randint(4, 12)}"),
                ("address", rng.choice(["Vienna, Austria", "Montréal, Canada", "Kyoto, Japan",
                                        "Lisbon, Portugal", "Austin, TX"])),
            ]  # fmt: skip
            if rng.random() < 0.5:
                fields.append(("doi", f"10.1109/conf.{year}.{rng.randint(1000000, 9999999)}"))
        elif kind == "book":
            publisher, address = rng.choice(PUBLISHERS)
            fields += [("publisher", publisher), ("address", address)]
            if rng.random() < 0.4:
                fields.append(("edition", rng.choice(["2", "3", "4"])))
        elif kind == "techreport":
            fields += [("institution", rng.choice(INSTITUTIONS)),
                       ("number", f"TR-{year}-{rng.randint(1, 400):03d}"),
                       ("type", "Technical Report")]  # fmt: skip
        else:
            slug = re.sub(r"[^a-z0-9]+", "-", _key_stem(title[:30]) + str(number)).strip("-")
            fields += [
                ("howpublished",
                 rng.choice(["Software package", "Online dataset", "Standard draft"])),
                ("url", f"https://example.org/{slug}/v{rng.randint(1, 9)}.{rng.randint(0, 9)}"),
                ("note", f"Version {rng.randint(1, 5)}.{rng.randint(0, 20)}"),
            ]  # fmt: skip
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        records.append(f"@{kind}{{{key},\n{body}\n}}\n")
    return "\n".join(records), keys


# ---------------------------------------------------------------------------------------
# figures (PNG, written by hand)
# ---------------------------------------------------------------------------------------

W_PX, H_PX = 200, 120
Colour = tuple[int, int, int]


def _png(pixels: bytearray, width: int, height: int) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    raw = b"".join(
        b"\x00" + bytes(pixels[y * width * 3 : (y + 1) * width * 3]) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


class Canvas:
    def __init__(self, background: Colour = (255, 255, 255)) -> None:
        self.px = bytearray(bytes(background) * (W_PX * H_PX))

    def dot(self, x: int, y: int, colour: Colour) -> None:
        if 0 <= x < W_PX and 0 <= y < H_PX:
            i = (y * W_PX + x) * 3
            self.px[i : i + 3] = bytes(colour)

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        for y in range(max(0, y0), min(H_PX, y1)):
            for x in range(max(0, x0), min(W_PX, x1)):
                self.dot(x, y, colour)

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.dot(x0, y0, colour)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def axes(self) -> None:
        self.line(18, 108, 194, 108, (0, 0, 0))
        self.line(18, 6, 18, 108, (0, 0, 0))


def write_figures(folder: Path) -> None:
    import math

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    out: list[Canvas] = []
    # 1: gradient
    c = Canvas()
    for y in range(H_PX):
        for x in range(W_PX):
            c.dot(x, y, (int(255 * x / W_PX), int(120 + 100 * y / H_PX), 255 - int(200 * x / W_PX)))
    out.append(c)
    # 2: bar chart
    c = Canvas()
    c.axes()
    for bar in range(9):
        h = rng.randint(15, 95)
        c.rect(24 + bar * 19, 108 - h, 38 + bar * 19, 108, (40 + bar * 20, 90, 200 - bar * 15))
    out.append(c)
    # 3: damped sine
    c = Canvas()
    c.axes()
    prev = None
    for x in range(20, 194):
        t = (x - 20) / 174 * 6 * math.pi
        y = int(57 - 45 * math.exp(-t / 8) * math.sin(t))
        if prev:
            c.line(prev[0], prev[1], x, y, (200, 30, 30))
        prev = (x, y)
    out.append(c)
    # 4: heat map
    c = Canvas()
    for y in range(H_PX):
        for x in range(W_PX):
            v = 0.5 + 0.5 * math.sin(x / 17.0) * math.cos(y / 11.0)
            c.dot(x, y, (int(255 * v), int(80 * (1 - v)), int(255 * (1 - v))))
    out.append(c)
    # 5: scatter
    c = Canvas()
    c.axes()
    for _ in range(120):
        x = rng.randint(22, 190)
        y = int(100 - (x - 22) * 0.5 + rng.gauss(0, 8))
        c.rect(x - 1, y - 1, x + 2, y + 2, (20, 120, 60))
    out.append(c)
    # 6: convergence curves (log-like)
    c = Canvas()
    c.axes()
    for curve, colour in enumerate([(0, 0, 200), (200, 100, 0), (0, 150, 0)]):
        prev = None
        for x in range(20, 194):
            k = (x - 20) / 174
            y = int(10 + 95 * (1 - math.exp(-k * (2 + 2 * curve))))
            if prev:
                c.line(prev[0], prev[1], x, y, colour)
            prev = (x, y)
    out.append(c)
    for number, canvas in enumerate(out[:FIGURE_FILES], start=1):
        (folder / f"f{number}.png").write_bytes(_png(canvas.px, W_PX, H_PX))


# ---------------------------------------------------------------------------------------
# the book
# ---------------------------------------------------------------------------------------

MARK = "\x00"
XREF = re.compile(MARK + r"(eq|fig|tbl|sec|negeq|figpair)" + MARK)
STRIP_FOR_COUNT = re.compile(r"\$[^$]*\$|\[-?@[^\]]*\]|@[\w-]+|`[^`]*`|" + MARK + r"\w+" + MARK)


def prose_words(text: str) -> int:
    return len(STRIP_FOR_COUNT.sub(" ", text).split())


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class Book:
    def __init__(self, words: int, seed: int) -> None:
        self.target = words
        self.rng = random.Random(seed)
        self.math = MathMaker(random.Random(seed + 1))
        self.count = 0  # prose words so far
        self.labels: dict[str, list[str]] = {"eq": [], "fig": [], "tbl": [], "sec": []}
        self.inline_math = 0
        self.citations = 0
        self.note_number = 0
        self.entries = max(10, round(words / 10_000 * ENTRIES_PER_10K))
        self.bib, self.keys = bibliography(self.entries, random.Random(seed + 2))
        self.deck: list[str] = []
        self.used_keys: set[str] = set()
        self.xref_kinds: set[str] = set()
        self.lists = 0
        self.subsections = 0
        self.intervals = {
            kind: min(every, words / (AT_LEAST[kind] + 0.5)) if kind in AT_LEAST else every
            for kind, every in EVERY.items()
        }
        self.next_at = {kind: self.intervals[kind] * self.rng.uniform(0.3, 1.0) for kind in EVERY}
        self.state = self.new_state()

    # helpers -----------------------------------------------------------------------------

    def due(self, kind: str) -> bool:
        if self.count >= self.next_at[kind]:
            self.next_at[kind] = self.count + self.intervals[kind] * self.rng.uniform(0.7, 1.3)
            return True
        return False

    def key(self) -> str:
        if not self.deck:
            self.deck = self.keys[:]
            self.rng.shuffle(self.deck)
        key = self.deck.pop()
        self.used_keys.add(key)
        return key

    def citation(self) -> str:
        self.citations += 1
        r = self.rng
        roll = r.random()
        if roll < 0.4:
            return f"[@{self.key()}]"
        if roll < 0.7:
            keys: list[str] = []
            while len(keys) < r.choice([2, 2, 3, 3, 4]):
                k = self.key()
                if k not in keys:
                    keys.append(k)
            return "[" + "; ".join("@" + k for k in keys) + "]"
        if roll < 0.88:
            loc = r.choice([
                f"p. {r.randint(2, 400)}",
                f"pp. {(p := r.randint(2, 300))}--{p + r.randint(1, 9)}",
                f"sec. {r.randint(1, 9)}.{r.randint(1, 6)}", f"chap. {r.randint(1, 14)}",
                f"Theorem {r.randint(1, 9)}.{r.randint(1, 5)}", f"eq. {r.randint(1, 60)}",
            ])  # fmt: skip
            return f"[{r.choice(['', '', 'see ', 'cf. '])}@{self.key()}, {loc}]"
        return f"[@{self.key()}; see also @{self.key()}, p. {r.randint(3, 200)}]"

    def narrative(self) -> str:
        if self.rng.random() < 0.25:
            return f"@{self.key()} [p. {self.rng.randint(2, 300)}]"
        return "@" + self.key()

    def fill(self, template: str) -> str:
        r = self.rng
        n1, n2 = r.sample(NOUNS, 2)
        a1, a2 = r.sample(ADJECTIVES, 2)
        m1, m2 = r.sample(METHODS, 2)
        q1, q2 = r.sample(QUANTITIES, 2)
        param = r.choice(PARAMETERS)
        value = r.choice(PARAMETER_VALUES[param])
        slots = {
            "{N}": lambda: n1, "{N2}": lambda: n2, "{A}": lambda: a1, "{A2}": lambda: a2,
            "{M}": lambda: m1, "{M2}": lambda: m2, "{Q}": lambda: q1, "{Q2}": lambda: q2,
            "{P}": lambda: param, "{PV}": lambda: f"{param} to {value}",
            "{PX}": lambda: f"{param} exceeds {value}",
            "{V}": lambda: r.choice(VERBS), "{C}": lambda: r.choice(CONDITIONS),
            "{T}": lambda: r.choice(TRANSITIONS), "{TREND}": lambda: r.choice(TRENDS),
            "{TIME}": lambda: r.choice(TIMES), "{APP}": lambda: r.choice(APPLICATIONS),
            "{CODE}": lambda: r.choice(CODE_SPANS), "{NC}": self.narrative,
        }  # fmt: skip
        out = re.sub(
            r"\{[A-Z0-9]+\}",
            lambda m: slots[m.group(0)]() if m.group(0) in slots else m.group(0),
            template,
        )
        # "a" before a vowel -> "an" (outside math and code); math goes in last.
        parts = re.split(r"(\$[^$]*\$|`[^`]*`)", out)
        out = "".join(
            part if i % 2 else re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", part)
            for i, part in enumerate(parts)
        )
        out = re.sub(r"\{INL\}", lambda m: self.inline(), out)
        return cap(out)

    def inline(self) -> str:
        self.inline_math += 1
        return self.math.inline()

    # prose -------------------------------------------------------------------------------

    def sentence(self, state: dict[str, float]) -> str:
        r = self.rng
        if state["since_inline"] >= state["inline_gap"]:
            state["since_inline"] = 0
            state["inline_gap"] = self.intervals["inline"] * r.uniform(0.6, 1.4)
            text = self.fill(r.choice(MATH_SENTENCES))
        elif state["since_xref"] >= state["xref_gap"]:
            state["since_xref"] = 0
            state["xref_gap"] = self.intervals["xref"] * r.uniform(0.6, 1.4)
            # Every kind of reference early on (2k has all of them), then any at random.
            pending = [
                kind
                for kind in ("eq", "negeq", "fig", "tbl", "sec", "figpair")
                if kind not in self.xref_kinds
            ]
            choices = [item for item in XREF_SENTENCES if item[0] in pending] or XREF_SENTENCES
            kind, template = r.choice(choices)
            self.xref_kinds.add(kind)
            text = self.fill(template).replace("{REF}", MARK + kind + MARK)
        elif state["since_cite"] >= state["cite_gap"] and r.random() < 0.25:
            state["since_cite"] = 0
            state["cite_gap"] = self.intervals["cite"] * r.uniform(0.6, 1.4)
            self.citations += 1
            text = self.fill(r.choice(NARRATIVE_SENTENCES))
        else:
            text = self.fill(r.choice(SENTENCES))
        if state["since_cite"] >= state["cite_gap"]:
            state["since_cite"] = 0
            state["cite_gap"] = self.intervals["cite"] * r.uniform(0.6, 1.4)
            text = text[:-1] + " " + self.citation() + text[-1]
        n = prose_words(text)
        self.count += n
        for name in ("since_inline", "since_xref", "since_cite"):
            state[name] += n
        return text

    def new_state(self) -> dict[str, float]:
        return {
            "since_inline": 0, "inline_gap": self.intervals["inline"] * 0.5,
            "since_xref": 0, "xref_gap": self.intervals["xref"] * 0.7,
            "since_cite": 0, "cite_gap": self.intervals["cite"] * 0.5,
        }  # fmt: skip

    def paragraph(self, state: dict[str, float], sentences: int | None = None) -> str:
        count = sentences or self.rng.randint(3, 7)
        return " ".join(self.sentence(state) for _ in range(count))

    # blocks --------------------------------------------------------------------------------

    def display(self, state: dict[str, float]) -> str:
        number = len(self.labels["eq"]) + 1
        label = f"eq-{number}"
        self.labels["eq"].append(label)
        lead = self.fill(self.rng.choice([
            "The {N} is defined by", "Formally, the {A} {N} satisfies", "We obtain the update",
            "The discrete problem reads", "Collecting terms gives",
            "The {A} {N} then takes the form", "In matrix form the {N} becomes",
            "The resulting estimate is",
        ]))  # fmt: skip
        tail = self.fill(self.rng.choice([
            "where {INL} denotes the {A} {N}.", "where the {N} is assumed to be {A}.",
            "where {INL} and the remaining symbols are as before.", "which holds {C}.",
        ]))  # fmt: skip
        tail = tail[0].lower() + tail[1:]
        self.count += prose_words(lead) + prose_words(tail)
        return f"{lead}\n$$\n{self.math.display()}\n$$ {{#{label}}}\n{tail}"

    def figure(self) -> str:
        number = len(self.labels["fig"]) + 1
        label = f"fig-{number}"
        self.labels["fig"].append(label)
        file = (number - 1) % FIGURE_FILES + 1
        caption = self.fill(self.rng.choice([
            "{Q} against {P} for {M}", "Evolution of the {A} {N} over the first iterations",
            "Comparison of the {A} and {A2} {N} in {APP}",
            "Sparsity pattern of the {N} after reordering", "Spectrum of the {A} {N} for {INL}",
            "{Q} as a function of {P}, measured on the test set",
        ]))  # fmt: skip
        self.count += prose_words(caption)
        return f"![{caption}.](figures/f{file}.png){{#{label}}}"

    def table(self) -> str:
        number = len(self.labels["tbl"]) + 1
        label = f"tbl-{number}"
        self.labels["tbl"].append(label)
        r = self.rng
        long = number % 3 == 2
        if long:
            pool: list[tuple[str, Callable[[], str]]] = [
                ("$N$", lambda: str(2 ** r.randint(6, 20))),
                ("$h$ (mm)", lambda: f"{r.uniform(0.01, 5):.3f}"),
                ("Iterations", lambda: str(r.randint(3, 900))),
                ("Residual", lambda: f"{r.uniform(1, 9.9):.2f}e-{r.randint(4, 12):02d}"),
                ("Time (s)", lambda: f"{r.uniform(0.01, 400):.2f}"),
                ("Memory (MB)", lambda: f"{r.uniform(2, 9000):.1f}"),
                ("SNR (dB)", lambda: f"{r.uniform(-5, 45):.1f}"),
                ("Bandwidth", lambda: f"{r.uniform(0.5, 80):.1f} MHz"),
                ("Error (%)", lambda: f"{r.uniform(0, 12):.2f}"),
                ("Throughput", lambda: f"{r.uniform(0.1, 90):.2f} GB/s"),
                ("Latency", lambda: f"{r.uniform(0.1, 50):.2f} ms"),
                ("$\\kappa$", lambda: f"{r.uniform(1, 1e5):.1f}"),
            ]
            columns = r.sample(pool, r.choice([4, 5]))
            rows = r.randint(25, 40)
            header = ["Run", *[name for name, _ in columns]]
            body = [[f"R{row + 1:02d}", *[make() for _, make in columns]] for row in range(rows)]
        else:
            methods = r.sample([
                "CG", "GMRES", "ADMM", "SGD", "L-BFGS", "Newton", "FISTA", "Multigrid", "EKF",
                "OMP",
            ], 3)  # fmt: skip
            header = ["Method", "Iterations", "Time (s)", "Rel. error"]
            body = [[m, str(r.randint(5, 500)), f"{r.uniform(0.05, 60):.2f}",
                     f"{r.uniform(1, 9.9):.1f}e-{r.randint(3, 10):02d}"]
                    for m in methods]  # fmt: skip
        lines = ["| " + " | ".join(header) + " |", "|:---|" + "---:|" * (len(header) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        caption = self.fill(r.choice([
            "{Q} and cost of {M} for several values of {P}", "Summary of the runs with the {A} {N}",
            "Measured performance in {APP}", "Effect of {P} on {Q}",
            "Per-run statistics of the {A} {N} ({INL})",
        ]))  # fmt: skip
        self.count += prose_words(caption)
        return "\n".join(lines) + f"\n\n: {caption}. {{#{label}}}"

    def code(self) -> str:
        r = self.rng
        self.codes = getattr(self, "codes", 0) + 1
        if self.codes == 1 or (self.codes > 2 and r.random() < 0.6):  # python first, then a log
            name = r.choice([
                "solve", "iterate", "fit", "power_iteration", "filter_signal", "cg", "project",
                "reduce_basis",
            ])  # fmt: skip
            var = r.choice(["x", "u", "w", "theta", "z"])
            tol = f"1e-{r.randint(4, 12)}"
            body = [
                f"def {name}(A, b, {var}0=None, tol={tol}, "
                f"max_iter={r.choice([50, 100, 500, 1000])}):",
                f'    """{cap(r.choice(METHODS))} for the '
                f'{r.choice(ADJECTIVES)} {r.choice(NOUNS)}."""',
                f"    {var} = b.copy() if {var}0 is None else {var}0",
                f"    r = b - A @ {var}",
            ]
            body.append(f"    eta = {r.uniform(0.01, 0.9):.3f}")
            history = r.random() < 0.6
            if history:
                body.append("    history = []")
            body += [
                "    for k in range(max_iter):",
                f"        g = A.T @ (A @ {var} - b)",
                f"        {var} = {var} - eta * g",
            ]
            if history:
                body += [f"        r = b - A @ {var}", "        history.append(float(r @ r))"]
                if r.random() < 0.7:
                    body += ["        if history[-1] < tol ** 2:", "            break"]
            if r.random() < 0.5:
                body.append(f"        eta *= {r.uniform(0.5, 0.99):.2f}")
            body.append(f"    return {var}" + (", history" if history else ""))
            return "```python\n" + "\n".join(body) + "\n```"
        if self.codes > 2 and r.random() < 0.3:
            taps = ", ".join(f"{r.uniform(-0.3, 0.6):.4f}" for _ in range(r.randint(3, 7)))
            body = [
                f"TAPS = [{taps}]",
                "",
                f"def fir_filter(x, taps=TAPS, gain={r.uniform(0.5, 2):.2f}):",
                f'    """Direct-form FIR filter; '
                f'{r.choice(["causal", "zero-padded", "real-valued"])} input."""',
                "    y = [0.0] * len(x)",
                "    for n in range(len(x)):",
                "        acc = 0.0",
                "        for k, h in enumerate(taps):",
                "            if n - k >= 0:",
                "                acc += h * x[n - k]",
                "        y[n] = gain * acc",
                "    return y",
            ]
            return "```python\n" + "\n".join(body) + "\n```"
        lines = [f"{'iter':>5} {'residual':>12} {'step':>9} {'time/s':>8}"]
        res = r.uniform(0.5, 2.0)
        for k in range(r.randint(4, 18)):
            res *= r.uniform(0.1, 0.7)
            lines.append(
                f"{k * r.choice([1, 5, 10]):>5} {res:>12.4e} "
                f"{r.uniform(0.01, 1):>9.4f} {r.uniform(0.1, 9) * (k + 1):>8.2f}"
            )
        return "```text\n" + "\n".join(lines) + "\n```"

    def footnote(self, state: dict[str, float], notes: list[str]) -> str:
        self.note_number += 1
        text = self.paragraph(state, self.rng.randint(1, 2))
        if self.note_number % 2:
            return f"^[{text}]"
        label = f"fn{self.note_number}"
        notes.append(f"[^{label}]: {text}")
        return f"[^{label}]"

    def bullet_list(self, state: dict[str, float]) -> str:
        r = self.rng
        items = []
        self.lists += 1
        numbered = self.lists == 1 or r.random() < 0.5
        for index in range(r.randint(3, 5)):
            mark = f"{index + 1}." if numbered else "-"
            items.append(f"{mark} {self.sentence(state)}")
            if r.random() < 0.45 or index == 1:  # always at least one nested level
                for _ in range(r.randint(2, 3)):
                    items.append(f"    - {self.sentence(state)}")
        intro = self.fill(r.choice([
            "The procedure consists of the following steps.", "We distinguish the following cases.",
            "The main design decisions are summarised below.",
        ]))  # fmt: skip
        self.count += prose_words(intro)
        return intro + "\n\n" + "\n".join(items)

    def definition_list(self) -> str:
        terms = self.rng.sample(GLOSSARY, self.rng.randint(3, 5))
        self.count += sum(prose_words(t) + prose_words(d) for t, d in terms) + 6
        entries = "\n\n".join(f"{t}\n:   {d}" for t, d in terms)
        return "We use the following terminology throughout.\n\n" + entries

    # structure -----------------------------------------------------------------------------

    def section_body(self, budget: float, out: list[str]) -> None:
        state = self.state  # one for the whole book: rates do not restart per section
        notes: list[str] = []
        start = self.count
        blocks: dict[str, Callable[[], str]] = {
            "display": lambda: self.display(state),
            "figure": self.figure,
            "table": self.table,
            "code": self.code,
            "list": lambda: self.bullet_list(state),
            "deflist": self.definition_list,
        }
        first = True
        while first or (self.count - start < budget - 45):
            first = False
            text = self.paragraph(state)
            if self.due("footnote"):
                text += self.footnote(state, notes)
            out.append(text)
            for kind in ("display", "figure", "table", "code", "list", "deflist"):
                if self.due(kind):
                    out.append(blocks[kind]())
                    if kind in ("figure", "table"):
                        label = self.labels["fig" if kind == "figure" else "tbl"][-1]
                        lead = self.fill(self.rng.choice([
                            f"The trend in @{label} persists for all values of {{P}} we tried.",
                            f"As @{label} indicates, {{Q}} {{TREND}} as {{P}} increases.",
                            f"The entries of @{label} were obtained with {{M}}.",
                        ]))  # fmt: skip
                        self.count += prose_words(lead)
                        out.append(lead + " " + self.paragraph(state, self.rng.randint(1, 3)))
                    break  # at most one block between paragraphs
        out.extend(notes)

    def heading(self, level: int, title: str, label: str) -> str:
        self.labels["sec"].append(label)
        return f"{'#' * level} {title} {{#{label}}}"

    def section_title(self) -> str:
        return f"{self.rng.choice(SECTION_HEADS)} {self.rng.choice(SECTION_TAILS)}"

    def manuscript(self) -> str:
        r = self.rng
        out: list[str] = []
        abstract = (
            "We study the convergence of stochastic first-order methods for structured signal "
            "recovery and show that the iterates satisfy "
            r"$\mathbb{E}\lVert x_k - x^\star \rVert_2^2 \le C \rho^k$, with a contraction factor"
            " below one, under a restricted strong convexity condition. The analysis covers "
            "sparse, low-rank and lattice-structured models, and the experiments quantify the "
            "trade-off between bandwidth, iteration count and estimation error."
        )
        self.count += prose_words(abstract)
        out.append(
            "---\n"
            'title: "Stochastic Optimisation for Structured Signal Recovery"\n'
            'subtitle: "Convergence Theory, Algorithms and Numerical Experiments"\n'
            'author: "Aleksandra Nováková"\n'
            "date: 2025-05-14\n"
            "lang: en\n"
            "number-sections: true\n"
            "lof: true\n"
            "lot: true\n"
            "keywords: [stochastic optimisation, sparse recovery, lattices, tensors, "
            "signal processing]\n"
            f"abstract: |\n  {abstract}\n"
            "---"
        )
        out.append("# Acknowledgements {.unnumbered}")
        ack = (
            "I thank my supervisors for their patience and their many careful readings of the "
            "drafts, the members of the numerical analysis group for countless discussions at the "
            "whiteboard, and the computing centre for generous allocations of processor time. The "
            "experiments were funded in part by a doctoral fellowship. Any remaining errors are my "
            "own."
        )
        self.count += prose_words(ack)
        out.append(ack)

        appendix_budget = max(250, 0.05 * self.target)
        body_budget = self.target - self.count - appendix_budget
        chapters = max(2, round(self.target / 4500))
        middle = CHAPTER_TITLES[:]
        r.shuffle(middle)
        titles = ["Introduction", *middle[: chapters - 2], "Conclusions and Outlook"]
        if chapters - 2 > len(middle):  # very large sizes: reuse topics with a part number
            reused = [
                f"{middle[i % len(middle)]} {'I' * (1 + i // len(middle))}"
                for i in range(chapters - 2)
            ]
            titles = ["Introduction", *reused, "Conclusions and Outlook"]
        per_chapter = body_budget / chapters
        for ch, title in enumerate(titles, start=1):
            goal_end = self.count + per_chapter
            out.append(self.heading(1, title, f"sec-ch{ch}"))
            self.section_body(min(150, per_chapter * 0.1), out)
            sections = max(2, round(per_chapter / 1000))
            for sec in range(1, sections + 1):
                remaining = max(100, (goal_end - self.count) / (sections - sec + 1))
                out.append(self.heading(2, self.section_title(), f"sec-ch{ch}-{sec}"))
                if (r.random() < 0.4 and remaining > 500) or (
                    not self.subsections and remaining > 300
                ):
                    self.subsections += 1
                    self.section_body(remaining * 0.3, out)
                    subs = r.randint(2, 3)
                    for sub in range(1, subs + 1):
                        out.append(self.heading(3, self.section_title(), f"sec-ch{ch}-{sec}-{sub}"))
                        self.section_body(remaining * 0.7 / subs, out)
                else:
                    self.section_body(remaining, out)
        # All bibliography keys cited at least once.
        unused = [k for k in self.keys if k not in self.used_keys]
        if unused:
            out.append(
                "Further background on the methods discussed in this thesis can be found in "
                + "["
                + "; ".join("@" + k for k in unused)
                + "]."
            )
            self.used_keys.update(unused)
            self.count += 14
        out.append("# Supplementary Derivations {#sec-appendix .appendix}")
        self.labels["sec"].append("sec-appendix")
        appendix_budget = max(150, self.target - self.count)  # whatever the chapters left over
        self.section_body(appendix_budget * 0.2, out)
        for sub, title in enumerate(["Proof of the Main Bound", "Implementation Details"], start=1):
            out.append(self.heading(2, title, f"sec-app-{sub}"))
            self.section_body(appendix_budget * 0.4, out)
        text = "\n\n".join(out) + "\n"
        return self.resolve(text)

    def resolve(self, text: str) -> str:
        r = self.rng

        def pick(kind: str) -> str:
            if kind == "negeq":
                return "[-@" + r.choice(self.labels["eq"]) + "]"
            if kind == "figpair" and len(self.labels["fig"]) < 2:
                kind = "fig"
            if kind == "figpair":
                a, b = sorted(r.sample(self.labels["fig"], 2), key=lambda s: int(s.split("-")[1]))
                return f"[@{a}; @{b}]"
            return "@" + r.choice(self.labels[kind])

        return XREF.sub(lambda m: pick(m.group(1)), text)


def write_book(size: str, folder: Path, seed: int = SEED) -> Book:
    folder.mkdir(parents=True, exist_ok=True)
    write_figures(folder / "figures")
    book = Book(SIZES[size], seed)
    (folder / "book.md").write_text(book.manuscript(), encoding="utf-8")
    (folder / "refs.bib").write_text(book.bib, encoding="utf-8")
    return book


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in SIZES:
        print(f"usage: {Path(argv[0]).name} {{{','.join(SIZES)}}} OUTPUT_DIR", file=sys.stderr)
        return 2
    book = write_book(argv[1], Path(argv[2]))
    print(
        f"{argv[2]}: {book.count} prose words, {len(book.labels['eq'])} display equations, "
        f"{len(book.math.seen)} distinct equations, {len(book.labels['fig'])} figures, "
        f"{len(book.labels['tbl'])} tables, {book.entries} references"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
