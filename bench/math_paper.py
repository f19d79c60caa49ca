"""A generated STEM paper with ~500 equations, and the same paper without them.

    python bench/math_paper.py /tmp/paper    # writes paper.md, control.md, refs.bib

The paper is ~9,000 words of prose (the essay's sentences, reordered) in numbered
sections, with about 420 inline equations of the kinds real papers use (single symbols,
sub- and superscripts, fractions, sums, Greek, \\mathbb, \\operatorname) and about 80
display equations (aligned, cases, matrices, labelled with {#eq-...} and referenced).
Like a real paper it repeats itself: the same symbols and some display equations recur.
The control is the same text with every equation replaced by one plain word (and each
reference to an equation by two words), so the difference between the two builds is
what the math costs. The same seed always gives the same bytes.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))

from books import bibliography, essay_sentences  # noqa: E402

WORDS = 9_000
INLINE_EQUATIONS = 420
DISPLAY_EQUATIONS = 80
ENTRIES = 40

# The symbols a paper keeps coming back to (each reused many times).
SYMBOLS = [
    r"x", r"y", r"n", r"T", r"\theta", r"\lambda", r"\epsilon", r"\sigma^2", r"\mu",
    r"x_i", r"y_t", r"\hat{\theta}", r"\mathbf{w}", r"\mathcal{L}", r"\mathbb{R}^d",
    r"\alpha", r"\beta_j", r"k", r"\Omega", r"\nabla f",
]  # fmt: skip


def _inline(rng: random.Random) -> str:
    """One inline equation of a kind drawn at random, with random letters and numbers."""
    a, b = rng.sample(["x", "y", "z", "u", "v", "w", "s", "t", "p", "q"], 2)
    g = rng.choice([r"\alpha", r"\beta", r"\gamma", r"\delta", r"\eta", r"\rho", r"\tau"])
    i, n = rng.choice(["i", "j", "k"]), rng.choice(["n", "m", "N", "K"])
    k = rng.randint(2, 9)
    kinds = [
        lambda: rng.choice(SYMBOLS),
        lambda: f"{a}_{{{i}}}^{{{k}}}",
        lambda: f"{a}_{{{i},{n}}}",
        lambda: rf"\frac{{{a}}}{{{b}}}",
        lambda: rf"\frac{{1}}{{\sqrt{{{n}}}}}",
        lambda: rf"\sum_{{{i}=1}}^{{{n}}} {a}_{i}",
        lambda: rf"\prod_{{{i}=1}}^{{{n}}} (1 - {g}_{i})",
        lambda: rf"{g} \in (0, {k})",
        lambda: rf"{a} \in \mathbb{{R}}^{{{n}}}",
        lambda: rf"\mathbb{{E}}[{a}^2] \le {g}",
        lambda: rf"\operatorname{{Var}}({a}) = \sigma^2",
        lambda: rf"\operatorname{{rank}}(A) = {n}",
        lambda: rf"O({n} \log {n})",
        lambda: rf"|{a} - {b}| < \epsilon",
        lambda: rf"\|{a}\|_{k}",
        lambda: rf"{g}_{{{i}}} \to 0",
        lambda: rf"f({a}) = {a}^{k} + {g}",
        lambda: rf"p < 0.0{k}",
        lambda: rf"{n} = {rng.randint(10, 999)}",
        lambda: rf"\lim_{{{n} \to \infty}} {a}_{n} = 0",
        lambda: rf"\int_0^1 {a}\,d{a}",
        lambda: rf"\hat{{{g}}}_{n}",
        lambda: rf"e^{{-{g} t}}",
        lambda: rf"\{{{a}_{i}\}}_{{{i}=1}}^{{{n}}}",
    ]
    return rng.choice(kinds)()


def _display(rng: random.Random, number: int) -> str:
    a, b = rng.sample(["x", "y", "z", "u", "v", "w"], 2)
    g = rng.choice([r"\alpha", r"\beta", r"\gamma", r"\lambda", r"\rho"])
    n = rng.choice(["n", "N", "T", "K"])
    k = rng.randint(2, 9)
    kinds = [
        lambda: (
            rf"\min_{{\theta \in \Theta}} \frac{{1}}{{{n}}} \sum_{{i=1}}^{{{n}}}"
            rf" \ell\left(f_\theta({a}_i), {b}_i\right) + {g} \|\theta\|_2^2"
        ),
        lambda: (
            rf"\begin{{aligned}} {a}_{{t+1}} &= {a}_t - \eta \nabla f({a}_t) \\"
            rf" &= {a}_t - \eta \left( A {a}_t - {b} \right) \\"
            rf" &\le (1 - \eta \mu)^{{{k}}} \|{a}_0 - {a}^\star\| \end{{aligned}}"
        ),
        lambda: (
            rf"f({a}) = \begin{{cases}} {a}^{k} & \text{{if }} {a} \ge 0, \\"
            rf" -{g} {a} & \text{{otherwise.}} \end{{cases}}"
        ),
        lambda: (
            rf"A = \begin{{pmatrix}} {g} & {k} & 0 \\ 1 & {g}^2 & {a} \\"
            rf" 0 & {b} & 1 \end{{pmatrix}}, \quad \det A = {g}^3 - {k} {b}"
        ),
        lambda: (
            rf"\mathbb{{E}}\left[ \sup_{{t \le {n}}} |{a}_t| \right]"
            rf" \le \frac{{C}}{{\sqrt{{{n}}}}} \sum_{{k=1}}^{{\infty}} \frac{{1}}{{k^{k}}}"
        ),
        lambda: (
            rf"\int_{{-\infty}}^{{\infty}} e^{{-{a}^2 / 2 \sigma^2}}\,d{a}"
            rf" = \sigma \sqrt{{2\pi}}"
        ),
        lambda: (
            rf"\operatorname{{KL}}(P \parallel Q) = \sum_{{{a} \in \mathcal{{X}}}}"
            rf" P({a}) \log \frac{{P({a})}}{{Q({a})}}"
        ),
        lambda: (
            rf"\begin{{bmatrix}} {a}_1 \\ \vdots \\ {a}_{n} \end{{bmatrix}}"
            rf" = \begin{{bmatrix}} {g} & \cdots & 0 \\ \vdots & \ddots & \vdots \\"
            rf" 0 & \cdots & {g} \end{{bmatrix}} \begin{{bmatrix}} {b}_1 \\ \vdots \\"
            rf" {b}_{n} \end{{bmatrix}}"
        ),
        lambda: (
            rf"P({a} \mid {b}) = \frac{{P({b} \mid {a})\,P({a})}}"
            rf"{{\sum_{{{a}'}} P({b} \mid {a}')\,P({a}')}}"
        ),
    ]
    return rng.choice(kinds)()


class PaperWriter:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.sentences = essay_sentences()
        self.inline: list[str] = []  # an inline pool: real papers repeat their symbols
        self.displays: list[str] = []
        self.labels: list[str] = []

    def inline_math(self) -> str:
        if self.inline and self.random.random() < 0.35:
            return self.random.choice(self.inline)
        tex = _inline(self.random)
        self.inline.append(tex)
        return tex

    def paragraph(self, equations: int) -> str:
        sentences = [self.random.choice(self.sentences) for _ in range(self.random.randint(4, 7))]
        for _ in range(equations):
            at = self.random.randrange(len(sentences))
            word = self.random.choice(["where", "with", "so that", "for", "since"])
            sentences[at] = sentences[at][:-1] + f", {word} ${self.inline_math()}$."
        if self.labels and self.random.random() < 0.3:
            sentences.append(f"This follows from @{self.random.choice(self.labels)}.")
        text = " ".join(sentences)
        if self.random.random() < 0.3:
            text += f" [@ref{self.random.randrange(ENTRIES)}]"
        return text

    def display_math(self, number: int) -> str:
        if self.displays and self.random.random() < 0.1:  # the same equation restated
            tex = self.random.choice(self.displays)
        else:
            tex = _display(self.random, number)
            self.displays.append(tex)
        if number % 2:
            return f"$$\n{tex}\n$$"
        label = f"eq-result{number}"
        self.labels.append(label)
        return f"$$\n{tex}\n$$ {{#{label}}}"

    def manuscript(self) -> str:
        out = [
            '---\ntitle: "Convergence of Stochastic Methods"\nauthor: Benchmark Author\n'
            "lang: en-US\ndate: 2026-12-01\nnumber-sections: true\n---\n"
        ]
        paragraphs = WORDS // 120
        per_paragraph = INLINE_EQUATIONS / paragraphs
        displays_every = paragraphs / DISPLAY_EQUATIONS
        owed = 0.0
        display_number = 0
        for index in range(paragraphs):
            if index % 10 == 0:
                out.append(f"## Part {index // 10 + 1} {{#sec-part{index // 10 + 1}}}\n")
            owed += per_paragraph
            count = int(owed)
            owed -= count
            out.append(self.paragraph(count) + "\n")
            while display_number < (index + 1) / displays_every:
                display_number += 1
                out.append(self.display_math(display_number) + "\n")
        out.append("## References\n")
        return "\n".join(out)


def without_math(text: str) -> str:
    """The control: every equation a plain word, every equation reference two words."""
    text = re.sub(r"\$\$.*?\$\$( \{#eq-[\w-]+\})?", "quantity", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$\n]+\$", "quantity", text)
    return re.sub(r"@eq-[\w-]+", "the result", text)


def write_paper(folder: Path, seed: int = 13) -> tuple[Path, Path, Path]:
    """Write paper.md, control.md and refs.bib; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    text = PaperWriter(seed).manuscript()
    paper, control, references = folder / "paper.md", folder / "control.md", folder / "refs.bib"
    paper.write_text(text)
    control.write_text(without_math(text))
    references.write_text(bibliography(ENTRIES))
    return paper, control, references


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: math_paper.py FOLDER")
    for path in write_paper(Path(sys.argv[1])):
        print(path)
