"""TeX math as authors who target LaTeX write it, made fit for every math engine we use.

The PDF's MathJax, pandoc's MathML (EPUB) and its Word equations (DOCX) each know a
different subset of LaTeX. This stage rewrites each equation once, so all three see the
same TeX:

- macros the document defines (`\\newcommand`, `\\renewcommand`, `\\providecommand`,
  `\\def`, `\\DeclareMathOperator`), in `header-includes`, in raw LaTeX or inside an
  equation, are expanded where they are used (texmath knows none from the front matter);
- `\\label{...}` is taken out and returned, so the equation is numbered and referable by
  typeset/crossref/ (MathJax stops at a second `\\label` with "Multiple \\label");
- `\\tag{...}` is returned as the equation's number; `\\nonumber` and `\\notag` go;
- `\\bm` becomes `\\boldsymbol` (MathJax has no `\\bm`);
- mhchem's `\\ce{...}` becomes plain TeX (`\\mathrm{H_{2}O}`), which every engine sets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Expansion is bounded: a macro that expands to itself must not hang the build.
MAX_EXPANSION_ROUNDS = 12
MAX_EXPANDED_LENGTH = 200_000

_DEFINITION_START = re.compile(
    r"\\(?:(?:re)?newcommand\*?|providecommand\*?|DeclareMathOperator(\*?)|def)\s*"
)
_NAME = re.compile(r"\\([A-Za-z]+|.)")


@dataclass(frozen=True)
class Macro:
    arguments: int
    body: str
    default: str | None = None  # the first argument's default, when it is optional


@dataclass(frozen=True)
class PreparedEquation:
    tex: str
    labels: tuple[str, ...] = ()
    tag: str | None = None  # \tag{A}: "A"


@dataclass
class Macros:
    """Macro name (without the backslash) -> definition, in the order they were met."""

    definitions: dict[str, Macro] = field(default_factory=dict)

    def absorb(self, text: str) -> str:
        """Record every definition in `text`; return `text` without them."""
        kept: list[str] = []
        position = 0
        for match in _DEFINITION_START.finditer(text):
            if match.start() < position:
                continue
            parsed = _definition(text, match)
            if parsed is None:
                continue
            name, macro, end = parsed
            self.definitions[name] = macro
            kept.append(text[position : match.start()])
            position = end
        kept.append(text[position:])
        return "".join(kept)

    def expand(self, tex: str) -> str:
        if not self.definitions:
            return tex
        pattern = re.compile(
            r"\\("
            + "|".join(re.escape(name) for name in sorted(self.definitions, key=len, reverse=True))
            + r")(?![A-Za-z])"
        )
        for _ in range(MAX_EXPANSION_ROUNDS):
            expanded = _expand_once(tex, pattern, self.definitions)
            if expanded == tex or len(expanded) > MAX_EXPANDED_LENGTH:
                break
            tex = expanded
        return tex


def braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the `{...}` group at `start` (after spaces) and the index after it."""
    index = start
    while index < len(text) and text[index] in " \t\n":
        index += 1
    if index >= len(text) or text[index] != "{":
        return None
    depth = 0
    for position in range(index, len(text)):
        character = text[position]
        if character == "\\":
            continue
        if character == "{" and (position == 0 or text[position - 1] != "\\"):
            depth += 1
        elif character == "}" and text[position - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[index + 1 : position], position + 1
    return None


def _argument(text: str, start: int) -> tuple[str, int] | None:
    """A macro argument: a braced group, or one token (`\\alpha`, `x`)."""
    group = braced(text, start)
    if group is not None:
        return group
    index = start
    while index < len(text) and text[index] in " \t\n":
        index += 1
    if index >= len(text):
        return None
    name = _NAME.match(text, index)
    if name:
        return name.group(0), name.end()
    return text[index], index + 1


def _optional(text: str, start: int) -> tuple[str, int] | None:
    index = start
    while index < len(text) and text[index] in " \t\n":
        index += 1
    if index < len(text) and text[index] == "[":
        end = text.find("]", index)
        if end != -1:
            return text[index + 1 : end], end + 1
    return None


def _definition(text: str, match: re.Match[str]) -> tuple[str, Macro, int] | None:
    command = match.group(0).strip()
    position = match.end()
    if command.startswith("\\def"):
        defined = _NAME.match(text, position)
        if not defined:
            return None
        parameters = re.match(r"(#\d)*", text[defined.end() :])
        written = parameters.group(0) if parameters else ""
        definition_body = braced(text, defined.end() + len(written))
        if definition_body is None:
            return None
        return defined.group(1), Macro(len(written) // 2, definition_body[0]), definition_body[1]
    group = braced(text, position)
    if group is not None:
        name_text, position = group
    else:
        name_match = _NAME.match(text, position)
        if not name_match:
            return None
        name_text, position = name_match.group(0), name_match.end()
    name = name_text.strip().lstrip("\\")
    if not re.fullmatch(r"[A-Za-z]+", name):
        return None
    if command.startswith("\\DeclareMathOperator"):
        body = braced(text, position)
        if body is None:
            return None
        star = "*" if match.group(1) else ""
        return name, Macro(0, f"\\operatorname{star}{{{body[0]}}}"), body[1]
    arguments = 0
    declared = _optional(text, position)
    if declared is not None and declared[0].strip().isdigit():
        arguments, position = int(declared[0]), declared[1]
    default = None
    optional = _optional(text, position)
    if optional is not None:
        default, position = optional
    body = braced(text, position)
    if body is None:
        return None
    return name, Macro(arguments, body[0], default), body[1]


def _expand_once(tex: str, pattern: re.Pattern[str], macros: dict[str, Macro]) -> str:
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(tex):
        if match.start() < position:
            continue
        macro = macros[match.group(1)]
        end = match.end()
        values: list[str] = []
        if macro.default is not None:
            optional = _optional(tex, end)
            if optional is not None:
                values.append(optional[0])
                end = optional[1]
            else:
                values.append(macro.default)
        while len(values) < macro.arguments:
            argument = _argument(tex, end)
            if argument is None:
                break
            values.append(argument[0])
            end = argument[1]
        body = macro.body
        for number, value in enumerate(values, start=1):
            body = body.replace(f"#{number}", value)
        # A body that ends in a letter macro must not fuse with the letter after it.
        if re.search(r"\\[A-Za-z]+$", body) and end < len(tex) and tex[end].isalpha():
            body += " "
        parts.append(tex[position : match.start()])
        parts.append(body)
        position = end
    parts.append(tex[position:])
    return "".join(parts)


_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_TAG = re.compile(r"\\tag\*?\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_NO_NUMBER = re.compile(r"\\(?:nonumber|notag)(?![A-Za-z])")
_BM = re.compile(r"\\bm(?![A-Za-z])")
_CE = re.compile(r"\\ce(?![A-Za-z])")
_EQUATION_WRAPPER = re.compile(r"^\s*\\begin\{equation\*?\}(.*)\\end\{equation\*?\}\s*$", re.S)


def prepared(tex: str, macros: Macros, *, display: bool) -> PreparedEquation:
    """The equation as every engine gets it, its labels, and its \\tag (display only)."""
    tex = macros.absorb(tex)
    tex = macros.expand(tex)
    labels = tuple(label.strip() for label in _LABEL.findall(tex))
    tex = _LABEL.sub("", tex)
    tex = _NO_NUMBER.sub("", tex)
    tag = None
    if display:
        tags = _TAG.findall(tex)
        if len(tags) == 1 and not re.search(r"\\\\", tex):  # one line: the equation's number
            tag = tags[0].strip()
            tex = _TAG.sub("", tex)
        wrapped = _EQUATION_WRAPPER.match(tex)
        if wrapped:
            tex = wrapped.group(1)
    tex = _BM.sub(r"\\boldsymbol", tex)
    tex = _font_switches(tex)
    tex = _generalised_fractions(tex)
    tex = _chemistry(tex)
    return PreparedEquation(tex.strip() if display else tex, labels, tag)


# --- plain TeX's font switches and \\genfrac ------------------------------------------

# `{\\cal P}`, `\\bf x`: TeX switches the font for the rest of the group; texmath (MathML,
# Word) knows none of them and leaves the whole equation as source text.
_FONT_SWITCHES = {"cal": "mathcal", "bf": "mathbf", "rm": "mathrm", "it": "mathit"}
_FONT_SWITCH = re.compile(r"\\(cal|bf|rm|it|sf|tt)(?![A-Za-z])\s*")
_FONT_SWITCHES |= {"sf": "mathsf", "tt": "mathtt"}
# Text-mode arguments, where `\\bf` is a text switch and must stay as written.
_TEXT_MODE = re.compile(r"\\(?:text[a-z]*|mbox|hbox|operatorname\*?)\s*(?=\{)")
_GENFRAC = re.compile(r"\\genfrac(?![A-Za-z])")
_ZERO_LENGTH = re.compile(r"^\s*0*\.?0*\s*(?:pt|em|ex|mm|cm|in|mu|bp|)\s*$")


def _font_switches(tex: str) -> str:
    """Each old font switch as its command over the rest of its group: `\\cal P` ->
    `\\mathcal{P}`, `{\\bf x + y}` -> `{\\mathbf{x + y}}`, as TeX scopes them."""
    text_spans = _text_mode_spans(tex)
    switches = [
        match
        for match in _FONT_SWITCH.finditer(tex)
        if not any(start <= match.start() < end for start, end in text_spans)
    ]
    # The last first: a switch inside another's scope is rewritten before the outer wraps it.
    for match in reversed(switches):
        end = _group_end(tex, match.end())
        rest = tex[match.end() : end].rstrip()
        after = tex[match.end() + len(rest) :]
        tex = f"{tex[: match.start()]}\\{_FONT_SWITCHES[match.group(1)]}{{{rest}}}{after}"
    return tex


def _text_mode_spans(tex: str) -> list[tuple[int, int]]:
    spans = []
    for match in _TEXT_MODE.finditer(tex):
        group = braced(tex, match.end())
        if group is not None:
            spans.append((match.end(), group[1]))
    return spans


def _group_end(tex: str, start: int) -> int:
    """Where the group holding `start` ends: its closing brace, an alignment `&`, a row's
    `\\\\`, `\\right` or `\\end` at the same depth, or the end of the equation."""
    depth = 0
    index = start
    while index < len(tex):
        character = tex[index]
        if character == "\\":
            if depth == 0 and re.match(r"\\(?:\\|right(?![A-Za-z])|end(?![A-Za-z]))", tex[index:]):
                return index
            name = _NAME.match(tex, index)
            index = name.end() if name else index + 1
            continue
        if character == "{":
            depth += 1
        elif character == "}":
            if depth == 0:
                return index
            depth -= 1
        elif character == "&" and depth == 0:
            return index
        index += 1
    return index


def _generalised_fractions(tex: str) -> str:
    """`\\genfrac{L}{R}{thickness}{style}{a}{b}` as constructs every engine knows: a stack
    (`\\substack`) when the rule is zero and there are no delimiters (limits under a sum),
    else a fraction or matrix between `\\left`/`\\right` delimiters."""
    while (match := _GENFRAC.search(tex)) is not None:
        arguments: list[str] = []
        position = match.end()
        for _ in range(6):
            group = _argument(tex, position)
            if group is None:
                return tex  # malformed: MathJax says so on the page
            arguments.append(group[0])
            position = group[1]
        left, right, thickness, _style, numerator, denominator = arguments
        stacked = bool(_ZERO_LENGTH.match(thickness)) and thickness.strip() != ""
        if stacked and not left.strip() and not right.strip():
            replacement = f"\\substack{{{numerator}\\\\{denominator}}}"
        else:
            body = (
                f"\\begin{{matrix}}{numerator}\\\\{denominator}\\end{{matrix}}"
                if stacked
                else f"\\frac{{{numerator}}}{{{denominator}}}"
            )
            replacement = f"\\left{left.strip() or '.'}{body}\\right{right.strip() or '.'}"
        tex = tex[: match.start()] + replacement + tex[position:]
    return tex


# --- mhchem ---------------------------------------------------------------------------

_ARROWS = {
    "->": r"\rightarrow",
    "<-": r"\leftarrow",
    "<->": r"\leftrightarrow",
    "<=>": r"\rightleftharpoons",
    "<=>>": r"\rightleftharpoons",
    "<<=>": r"\rightleftharpoons",
    "=": "=",
    "+": "+",
}
_STATE = re.compile(r"^\((aq|s|l|g|cr|sln)\)$")


def _chemistry(tex: str) -> str:
    """Each `\\ce{...}` as plain TeX: formulas upright, counts as subscripts, charges as
    superscripts, reaction arrows as arrows (the common subset of mhchem)."""
    parts: list[str] = []
    position = 0
    for match in _CE.finditer(tex):
        if match.start() < position:
            continue
        group = braced(tex, match.end())
        if group is None:
            continue
        parts.append(tex[position : match.start()])
        parts.append("{" + chemical_tex(group[0]) + "}")
        position = group[1]
    parts.append(tex[position:])
    return "".join(parts)


def chemical_tex(formula: str) -> str:
    tokens = formula.split()
    rendered: list[str] = []
    for token in tokens:
        arrow = re.match(r"^(<=>>|<<=>|<=>|<->|->|<-)(?:\[([^\]]*)\])?$", token)
        if arrow:
            above = arrow.group(2)
            symbol = _ARROWS[arrow.group(1)]
            if above:
                rendered.append(rf"\xrightarrow{{\text{{{above}}}}}")
            else:
                rendered.append(symbol)
        elif token in _ARROWS:
            rendered.append(_ARROWS[token])
        elif _STATE.match(token):
            rendered.append(r"\,\mathrm{" + token + "}")
        else:
            rendered.append(_species(token))
    return " ".join(rendered)


def _species(token: str) -> str:
    coefficient = re.match(r"^(\d+(?:/\d+)?)(?=[A-Z(\[])", token)
    prefix = ""
    if coefficient:
        prefix = coefficient.group(1) + r"\,"
        token = token[coefficient.end() :]
    state = re.search(r"\((aq|s|l|g)\)$", token)
    suffix = ""
    if state:
        suffix = r"\,\mathrm{(" + state.group(1) + ")}"
        token = token[: state.start()]
    out: list[str] = []
    index = 0
    while index < len(token):
        character = token[index]
        if character == "^":
            group = braced(token, index + 1)
            if group is not None:
                charge, index = group
            else:
                charge_match = re.match(r"[0-9]*[+-]?", token[index + 1 :])
                charge = charge_match.group(0) if charge_match else ""
                index += 1 + len(charge)
            out.append("^{" + charge + "}")
            continue
        if character.isdigit() and out and not out[-1].startswith("^"):
            digits = re.match(r"\d+", token[index:])
            assert digits is not None
            out.append("_{" + digits.group(0) + "}")
            index += len(digits.group(0))
            continue
        if character in "+-" and index == len(token) - 1 and index > 0:
            out.append("^{" + character + "}")
            index += 1
            continue
        if character in ".*":
            out.append(r"\cdot ")
            index += 1
            continue
        out.append(character)
        index += 1
    return prefix + r"\mathrm{" + "".join(out) + "}" + suffix
