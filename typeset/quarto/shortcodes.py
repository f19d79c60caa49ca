"""Quarto's shortcodes, `{{< name arguments >}}`, expanded in the source before pandoc.

- `meta key` / `var key`: a front-matter value, or one from the project's `_variables.yml`
  (dotted keys reach into mappings); a missing key prints `?meta:key` as Quarto does.
- `pagebreak`: a `.pagebreak` div, which the PDF stylesheet and the DOCX writer turn into
  a page break (an EPUB reader paginates by itself: nothing there).
- `kbd`: the keys as a `.kbd` span; `video`: a link to the video (print cannot play it).
- `embed`: a notebook cell's stored outputs (typeset.quarto.embed).
- `env`: refused (a build does not print its machine's environment), with a warning.
- `{{{< x >}}}` and `{{</* x */>}}` are Quarto's escapes: printed as `{{< x >}}`.
- any other shortcode (an extension's, `embed`, `lipsum`, ...): a warning naming the
  line, and nothing printed in its place: its source would be noise in the output.

`include` is expanded earlier (typeset.quarto.includes), as in Quarto.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from typeset.quarto.lines import Origin, SourceLine, warn

_SHORTCODE = re.compile(
    r"\{\{\{<\s*(.*?)\s*>\}\}\}|\{\{</\*\s*(.*?)\s*\*/>\}\}|\{\{<\s*(.*?)\s*>\}\}"
)
MAX_VALUE_DEPTH = 4
LOGO_WORDS = {"latex": "LaTeX", "tex": "TeX", "bibtex": "BibTeX", "context": "ConTeXt"}
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


def expand_shortcodes(
    lines: list[SourceLine],
    meta: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    embed: Callable[[list[str], Origin], str] | None = None,
) -> list[SourceLine]:
    """`lines` with every shortcode replaced; code cells and inline code left as written
    (an escaped shortcode is unescaped everywhere, as Quarto does)."""

    def value_of(kind: str, source: Mapping[str, Any]) -> Callable[[list[str], Origin], str]:
        def handler(arguments: list[str], origin: Origin) -> str:
            value = _value(kind, source, arguments, origin)
            # A value may hold a shortcode itself (a title with {{< var >}}): expanded too,
            # a bounded number of levels deep (a value naming itself is a loop).
            for _ in range(MAX_VALUE_DEPTH):
                if "{{<" not in value:
                    break
                value = _expanded(SourceLine(value, origin), handlers)
            return value

        return handler

    handlers: dict[str, Callable[[list[str], Origin], str]] = {
        "meta": value_of("meta", meta),
        "var": value_of("var", variables),
        "pagebreak": lambda arguments, origin: "\n\n::: {.pagebreak}\n:::\n\n",
        "kbd": _kbd,
        "video": _video,
        "env": _env,
        **({"embed": embed} if embed is not None else {}),
        # Journal extensions' logo shortcodes (the JSS template's): the name they typeset.
        **{name: _word(word) for name, word in LOGO_WORDS.items()},
    }
    result = []
    for line in lines:
        if "{{" not in line.text:
            result.append(line)
            continue
        text = _expanded(line, handlers)
        result.extend(SourceLine(part, line.origin, line.verbatim) for part in text.split("\n"))
    return result


def _expanded(line: SourceLine, handlers: Mapping[str, Callable[[list[str], Origin], str]]) -> str:
    code_spans = [match.span() for match in _INLINE_CODE.finditer(line.text)]

    def replace(match: re.Match[str]) -> str:
        escaped = match.group(1) if match.group(1) is not None else match.group(2)
        if escaped is not None:
            return f"{{{{< {escaped} >}}}}"
        if line.verbatim or any(start <= match.start() < end for start, end in code_spans):
            return match.group(0)
        try:
            words = shlex.split(match.group(3))
        except ValueError:
            words = match.group(3).split()
        if not words:
            return ""
        name, arguments = words[0], words[1:]
        handler = handlers.get(name)
        if handler is None:
            warn(
                line.origin,
                f"shortcode {{{{< {name} >}}}} is not one typeset knows (meta, var, include, "
                "embed, pagebreak, kbd, video); left out",
            )
            return ""
        return handler(arguments, line.origin)

    return _SHORTCODE.sub(replace, line.text)


def _value(kind: str, source: Mapping[str, Any], arguments: list[str], origin: Origin) -> str:
    key = arguments[0] if arguments else ""
    value: Any = source
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = None
            break
    if value is None or isinstance(value, (Mapping, list)) or not key:
        where = "the front matter" if kind == "meta" else "_variables.yml"
        warn(
            origin, f"{{{{< {kind} {key} >}}}}: no such value in {where}; printed as ?{kind}:{key}"
        )
        return f"?{kind}:{key}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kbd(arguments: list[str], origin: Origin) -> str:
    positional = [argument for argument in arguments if "=" not in argument]
    named = [argument.split("=", 1)[1] for argument in arguments if "=" in argument]
    keys = positional[0] if positional else " / ".join(named)
    if not keys:
        warn(origin, "{{< kbd >}} names no keys; left out")
        return ""
    return f"[{_escaped(keys)}]{{.kbd}}"


def _video(arguments: list[str], origin: Origin) -> str:
    positional = [argument for argument in arguments if "=" not in argument]
    named = dict(argument.split("=", 1) for argument in arguments if "=" in argument)
    url = positional[0] if positional else named.get("src", "")
    if not url:
        warn(origin, "{{< video >}} names no video; left out")
        return ""
    title = named.get("title", "")
    label = f"Video: {_escaped(title)}" if title else "Video"
    if re.match(r"^https?://", url):
        return f"[{label}]({url})"
    # a local file: no reader of a printed page can open it; its name says what it was
    return f"{label} ({_escaped(url)})"


def _word(word: str) -> Callable[[list[str], Origin], str]:
    return lambda arguments, origin: word


def _env(arguments: list[str], origin: Origin) -> str:
    name = arguments[0] if arguments else ""
    warn(
        origin,
        f"{{{{< env {name} >}}}} refused: a build does not print its machine's environment "
        "variables; left out (use {{< var >}} and _variables.yml)",
    )
    return ""


def _escaped(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|~^$@])", r"\\\1", text)
