"""The build configuration: read from YAML once, validated at the edge, then frozen.

Precedence, lowest first: built-in defaults, the manuscript's front matter (the pandoc
options listed in typeset/frontmatter.py's FRONT_MATTER_OPTIONS, e.g. `toc: true`,
`bibliography: refs.bib`, `csl: apa.csl`), the
config file's top level, the chosen profile, command-line flags. Every option is declared
once in OPTIONS; the validator, the error messages and the README's option table all
come from it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from typeset.citations import engine_names
from typeset.errors import ConfigError
from typeset.formats import format_names
from typeset.limits import (
    MAX_CONFIG_BYTES,
    MAX_MANUSCRIPT_BYTES,
    absurd_css_length,
    bounded_yaml,
    read_input,
    utf8_text,
    yaml_syntax_error,
)
from typeset.resources import shipped_counterpart

DEFAULT_CONFIG_NAME = "typeset.yaml"
# The registries in typeset/formats/__init__.py and typeset/citations/__init__.py.
FORMATS = format_names()
ENGINES = engine_names()
PAPER_SIZES = ("a4", "letter")
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-2b", "pdf/a-3u", "tagged", "plain")


@dataclass(frozen=True)
class Config:
    """Everything one build needs to know, already checked."""

    manuscript: Path
    # Every bibliography, in order; none for a manuscript that cites nothing.
    bibliography: tuple[Path, ...]
    style: str
    formats: tuple[str, ...]
    output_dir: Path
    engine: str
    paper: str
    docx_reference: Path
    margins: str = "27mm 42mm 32mm"
    pdf_variant: str = "pdf/ua-1"
    cover_image: Path | None = None
    toc: bool = False
    lof: bool = False
    lot: bool = False
    toc_depth: int = 3
    number_sections: bool = False
    anonymous: bool = False
    allowed_urls: tuple[str, ...] = ()
    cite_this_work: bool = False
    cite_this_work_section: bool = False
    cite_this_work_styles: tuple[str, ...] | None = None
    missing_citations: str = "error"
    fail_on_warnings: bool = False
    typography: str = "warning"
    font_size: str = "11pt"
    line_stretch: float | None = None
    main_font: str | None = None
    columns: int = 1
    line_numbers: bool = False
    double_spacing: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)
    profile: str | None = None
    # Where each option was set ("file:line"), for errors found after loading (a style
    # name that resolves to nothing is only known when the style is looked up).
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)
    project_dir: Path = Path(".")

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Option:
    """One config key: what it means, its default, and how a raw value becomes typed."""

    doc: str
    default: Any
    convert: Callable[[Any, str], Any]


class _Invalid(ValueError):
    """Raised by converters; the loader adds file and line."""


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"'{key}' must be a non-empty string, not {value!r}")
    return value.strip()


def _path(value: Any, key: str) -> Path:
    return Path(_text(value, key))


def _formats(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    known = format_names()  # read now: a format registered after import counts too
    if not isinstance(value, list) or not value:
        raise _Invalid(f"'{key}' must be a list drawn from {', '.join(known)}")
    unknown = [item for item in value if item not in known]
    if unknown:
        raise _Invalid(f"unknown format {unknown[0]!r} in '{key}'; allowed: {', '.join(known)}")
    return tuple(dict.fromkeys(value))


def _choice(*allowed: str) -> Callable[[Any, str], str]:
    def convert(value: Any, key: str) -> str:
        text = str(value).strip().lower() if isinstance(value, str) else value
        if text not in allowed:
            raise _Invalid(f"'{key}' is {value!r}; allowed values: {', '.join(allowed)}")
        return str(text)

    return convert


_CSS_LENGTH = re.compile(r"^(0|\d+(\.\d+)?(mm|cm|in|pt|pc|px))$")


def _css_lengths(value: Any, key: str) -> str:
    parts = str(value).split()
    if (
        not 1 <= len(parts) <= 4
        or not all(_CSS_LENGTH.match(part) for part in parts)
        or absurd_css_length(str(value))
    ):
        raise _Invalid(
            f"'{key}' must be one to four lengths such as '25mm' or '1in 1.25in', not {value!r}"
        )
    return " ".join(parts)


def _paths(value: Any, key: str) -> tuple[Path, ...]:
    """One path or a list of them (pandoc's `bibliography: [a.bib, b.json]`)."""
    if isinstance(value, (str, Path)):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise _Invalid(f"'{key}' must be a file name or a list of file names, not {value!r}")
    return tuple(
        dict.fromkeys(_path(str(item) if isinstance(item, Path) else item, key) for item in value)
    )


def _font_size(value: Any, key: str) -> str:
    text = (
        f"{value}pt" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    )
    if not isinstance(text, str) or not re.match(r"^\d+(\.\d+)?(pt|px)$", text.strip()):
        raise _Invalid(f"'{key}' must be a size such as '12pt', not {value!r}")
    if not 6 <= float(re.sub(r"[a-z]+$", "", text.strip())) <= 24:
        raise _Invalid(f"'{key}' must be between 6pt and 24pt, not {value!r}")
    return text.strip()


def _line_stretch(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.8 <= value <= 3:
        raise _Invalid(f"'{key}' must be a number from 0.8 to 3 (2 is double spacing)")
    return float(value)


def _installed_font(value: Any, key: str) -> str | None:
    """A font family fontconfig knows: WeasyPrint would silently fall back otherwise."""
    if value is None:
        return None
    name = _text(value, key)
    families = installed_font_families()
    if families and name.casefold() not in families:
        raise _Invalid(
            f"'{key}' is {name!r}, which is not installed; `fc-list : family` lists the "
            "installed families"
        )
    return name


def installed_font_families() -> frozenset[str]:
    """Every family fontconfig lists (casefolded); empty when fc-list is missing."""
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return frozenset()
    listed = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    return frozenset(
        family.strip().casefold() for line in listed.splitlines() for family in line.split(",")
    )


def _columns(value: Any, key: str) -> int:
    if value not in (1, 2) or isinstance(value, bool):
        raise _Invalid(f"'{key}' must be 1 or 2, not {value!r}")
    return int(value)


def _optional_path(value: Any, key: str) -> Path | None:
    return None if value is None else _path(value, key)


def _optional_style_list(value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"'{key}' must be a list of CSL style names")
    return tuple(value)


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"'{key}' must be true or false, not {value!r}")
    return value


def _heading_depth(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
        raise _Invalid(f"'{key}' must be a heading level from 1 to 6, not {value!r}")
    return value


def _url_prefixes(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.startswith(("http://", "https://")) for item in value
    ):
        raise _Invalid(f"'{key}' must be a list of URL prefixes starting with http(s)://")
    return tuple(value)


def _metadata(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"'{key}' must be a mapping of front-matter fields")
    # Front-matter field names are text: `1: one` or `true: x` would reach pandoc as
    # numbers and booleans, which no writer (nor the cache's fingerprint) can key on.
    wrong = [name for name in value if not isinstance(name, str)]
    if wrong:
        raise _Invalid(f"'{key}' field names must be text, not {wrong[0]!r} (quote it)")
    return dict(value)


OPTIONS: dict[str, Option] = {
    "manuscript": Option("Markdown manuscript to build.", "manuscript/essay.md", _path),
    "bibliography": Option(
        "Bibliography file, or a list of them: BibTeX (.bib), BibLaTeX (.biblatex), "
        "CSL-JSON (.json) or CSL-YAML (.yaml, .yml); refs.bib when it exists.",
        "refs.bib",
        _paths,
    ),
    "style": Option(
        "CSL style: a name (styles/NAME.csl, then the bundled catalog) or a path.",
        "chicago-author-date",
        _text,
    ),
    "formats": Option(f"Formats to build: any of {', '.join(FORMATS)}.", list(FORMATS), _formats),
    "output_dir": Option("Folder the outputs are written to.", "output", _path),
    "engine": Option("Citation engine.", "pandoc", _choice(*ENGINES)),
    "paper": Option("PDF paper size: a4 or letter.", "a4", _choice(*PAPER_SIZES)),
    "docx_reference": Option(
        "Reference document whose styles the DOCX uses.",
        "styles/reference-finished.docx",
        _path,
    ),
    "margins": Option(
        "PDF page margins as CSS lengths: one to four values (top right bottom left). "
        "The default gives about 70 characters a line on A4 and Letter.",
        "27mm 42mm 32mm",
        _css_lengths,
    ),
    "cover_image": Option(
        "EPUB cover image (PNG or JPEG); a cover is generated from the title when unset.",
        None,
        _optional_path,
    ),
    "pdf_variant": Option(
        "PDF flavour: pdf/ua-1 (tagged, accessible), pdf/a-2b or pdf/a-3u (archival), "
        "tagged, or plain.",
        "pdf/ua-1",
        _choice(*PDF_VARIANTS),
    ),
    "toc": Option("Add a table of contents.", False, _flag),
    "lof": Option(
        "Add a list of figures (with page numbers in the PDF); front-matter `lof: true` "
        "does the same.",
        False,
        _flag,
    ),
    "lot": Option(
        "Add a list of tables (with page numbers in the PDF); front-matter `lot: true` "
        "does the same.",
        False,
        _flag,
    ),
    "number_sections": Option(
        "Number the headings (1, 1.1, appendices A, A.1) so `@sec-x` prints 'Section 1.1'; "
        "front-matter `number-sections: true` does the same.",
        False,
        _flag,
    ),
    "toc_depth": Option("Heading levels the table of contents lists.", 3, _heading_depth),
    "anonymous": Option(
        "Anonymised review copy: no author names or affiliations in any output.",
        False,
        _flag,
    ),
    "allowed_urls": Option(
        "URL prefixes a build may fetch (images, stylesheets); none by default.",
        [],
        _url_prefixes,
    ),
    "cite_this_work": Option(
        "Write a reference to the manuscript itself in several styles (an HTML page with "
        "copy buttons, text, BibTeX, RIS and CSL-JSON) beside the outputs.",
        False,
        _flag,
    ),
    "cite_this_work_section": Option(
        "Add a 'How to cite this essay' section at the end of the PDF and EPUB.",
        False,
        _flag,
    ),
    "cite_this_work_styles": Option(
        "Styles for the cite-this-work references (default: eight common ones).",
        None,
        _optional_style_list,
    ),
    "missing_citations": Option(
        "A citation key missing from the bibliography: 'error' (no output), or 'warning' "
        "for drafts (the key is printed visibly marked).",
        "error",
        _choice("error", "warning"),
    ),
    "fail_on_warnings": Option(
        "--check fails on warnings too (for a release or submission profile).",
        False,
        _flag,
    ),
    "typography": Option(
        "--check's typographic preflight of the PDF (typeset/preflight.py): its findings "
        "are 'warning's, 'error's (a submission profile), or 'off'.",
        "warning",
        _choice("warning", "error", "off"),
    ),
    "font_size": Option(
        "PDF body text size (front matter `fontsize`, as pandoc's LaTeX).", "11pt", _font_size
    ),
    "line_stretch": Option(
        "PDF line spacing as a multiple of single spacing, 1.2 times the size (front matter "
        "`linestretch`); unset: 1.4 times the size.",
        None,
        _line_stretch,
    ),
    "main_font": Option(
        "PDF text face: an installed font family (front matter `mainfont`).",
        None,
        _installed_font,
    ),
    "columns": Option(
        "PDF text columns: 1, or 2 (front matter `classoption: twocolumn`).", 1, _columns
    ),
    "line_numbers": Option(
        "Number the PDF's lines in the left margin, for a review copy (front matter "
        "`line_numbers`).",
        False,
        _flag,
    ),
    "double_spacing": Option(
        "Double-space the PDF's text, as submission systems ask (front matter `double_spacing`).",
        False,
        _flag,
    ),
    "metadata": Option(
        "Front-matter fields to set or override (author, subtitle, abstract...).",
        {},
        _metadata,
    ),
}
PATH_OPTIONS = frozenset(
    name for name, option in OPTIONS.items() if option.convert in (_path, _optional_path, _paths)
)


def load_config(
    config_path: Path | None,
    *,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    project_dir: Path | None = None,
) -> Config:
    """Build a Config from defaults, the YAML file, the profile and CLI `overrides`.

    Paths in the file resolve against the file's folder; paths in `overrides` against
    the current directory; paths in the front matter against the manuscript's folder (and
    must stay inside the project). A `styles/NAME` path the project lacks names the file
    typeset ships (typeset/resources.py).
    """
    project_dir = (project_dir or Path.cwd()).resolve()
    raw: dict[str, Any] = {}
    origins: dict[str, str] = {}
    base_dir = project_dir
    if config_path is not None:
        document, lines = _read_yaml(config_path)
        base_dir = config_path.resolve().parent
        profiles = document.pop("profiles", None) or {}
        _check_keys(document, config_path, lines, prefix="")
        raw.update(_converted(document, config_path, lines, prefix="", base=base_dir))
        origins.update({key: f"{config_path}:{lines.get(key)}" for key in document})
        if not isinstance(profiles, dict):
            raise ConfigError(
                "'profiles' must be a mapping of profile names to options",
                path=config_path,
                line=lines.get("profiles"),
                hint="write each profile as 'name:' followed by its options, indented",
            )
        if profile is not None:
            if profile not in profiles:
                raise ConfigError(
                    f"unknown profile {profile!r}",
                    path=config_path,
                    hint=_profile_hint(profiles),
                )
            chosen = profiles[profile] or {}
            if not isinstance(chosen, dict):
                raise ConfigError(
                    f"profile {profile!r} must be a mapping of options",
                    path=config_path,
                    line=lines.get(f"profiles.{profile}"),
                )
            prefix = f"profiles.{profile}."
            _check_keys(chosen, config_path, lines, prefix=prefix)
            raw.update(_converted(chosen, config_path, lines, prefix=prefix, base=base_dir))
            origins.update({key: f"{config_path}:{lines.get(prefix + key)}" for key in chosen})
        for name, options in profiles.items():
            if isinstance(options, dict):
                _check_keys(options, config_path, lines, prefix=f"profiles.{name}.")
    elif profile is not None:
        raise ConfigError(
            f"--profile {profile} needs a config file",
            hint=f"create {DEFAULT_CONFIG_NAME} with a 'profiles:' section or pass --config",
        )

    for name, value in (overrides or {}).items():
        if value is None:
            continue
        try:
            converted = OPTIONS[name].convert(value, name)
        except _Invalid as invalid:
            raise ConfigError(str(invalid), hint="fix the command-line value") from None
        raw[name] = _anchored(name, converted, Path.cwd())
        origins[name] = "the command line"

    manuscript = raw.get("manuscript") or _anchored(
        "manuscript", _path(OPTIONS["manuscript"].default, "manuscript"), project_dir
    )
    for name, (value, origin) in _front_matter_options(manuscript, project_dir, raw).items():
        raw[name] = value
        origins[name] = origin

    values: dict[str, Any] = {}
    for name, option in OPTIONS.items():
        if name in raw:
            values[name] = raw[name]
        else:
            default = option.convert(option.default, name)
            values[name] = _anchored(name, default, project_dir)
    if "bibliography" not in raw:  # the default refs.bib, when the project has one
        values["bibliography"] = tuple(path for path in values["bibliography"] if path.is_file())
    return Config(profile=profile, project_dir=project_dir, origins=origins, **values)


def profile_names(config_path: Path) -> list[str]:
    """The profiles the config file defines, in the file's order (for --all-profiles)."""
    document, _lines = _read_yaml(config_path)
    profiles = document.get("profiles") or {}
    return [str(name) for name in profiles] if isinstance(profiles, dict) else []


def _front_matter_options(
    manuscript: Path, project_dir: Path, already_set: Mapping[str, Any]
) -> dict[str, tuple[Any, str]]:
    """The options the manuscript's front matter sets and nothing above it does:
    name -> (typed value, "file:line"). Files it names (`bibliography`, `csl`) are
    relative to the manuscript and must be inside the project or the manuscript's folder."""
    from typeset.confine import Roots
    from typeset.frontmatter import FRONT_MATTER_OPTIONS, leading_front_matter

    roots = Roots.of(trusted=[project_dir], untrusted=[manuscript.parent])
    front_matter = leading_front_matter(manuscript, roots)
    found: dict[str, tuple[Any, str]] = {}
    for key, value in front_matter.values.items():
        declared = FRONT_MATTER_OPTIONS.get(str(key))
        if declared is None or value is None or declared.option in already_set:
            continue
        line = front_matter.lines.get(str(key))
        try:
            typed = OPTIONS[declared.option].convert(declared.to_config(value), str(key))
        except _Invalid as invalid:
            raise ConfigError(
                f"front matter: {invalid}",
                path=manuscript,
                line=line,
                hint=f"fix '{key}' at that line: {OPTIONS[declared.option].doc}",
            ) from None
        typed = _anchored(declared.option, typed, manuscript.parent)
        _check_front_matter_files(
            declared.option, typed, str(key), manuscript, line, [project_dir, manuscript.parent]
        )
        found[declared.option] = (typed, f"{manuscript}:{line}")
    if "toc" not in found:  # `\tableofcontents` in the body asks for one too (issue 25)
        from typeset.rawlatex import contents_line

        contents = None  # what cannot be read here, the manuscript's reader reports
        try:
            # A regular file of bounded size only: never block on a FIFO or a device.
            if manuscript.is_file() and manuscript.stat().st_size <= MAX_MANUSCRIPT_BYTES:
                contents = contents_line(manuscript.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            pass
        if contents is not None:
            found["toc"] = (True, f"{manuscript}:{contents}")
    return found


def _check_front_matter_files(
    option: str, value: Any, key: str, manuscript: Path, line: int | None, roots: list[Path]
) -> None:
    """A file the front matter names must exist inside the project (or the manuscript's
    folder): a manuscript from elsewhere must not make the build read any file it likes."""
    if option in PATH_OPTIONS:
        paths = list(value) if isinstance(value, tuple) else [value]
    elif option == "style" and looks_like_path(value):
        paths = [Path(value)]
    else:
        return
    allowed = [root.resolve() for root in roots]
    for path in paths:
        resolved = path.resolve()
        if not any(resolved.is_relative_to(root) for root in allowed):
            raise ConfigError(
                f"front matter: '{key}' names {path}, outside the project folder "
                f"{allowed[0]} (a build reads only files inside it)",
                path=manuscript,
                line=line,
                hint="move the file into the project folder, or pass it on the command line",
            )
        if not resolved.is_file():
            raise ConfigError(
                f"front matter: '{key}' names {path}, which does not exist",
                path=manuscript,
                line=line,
                hint="fix the file name (it is relative to the manuscript's folder)",
            )


def _profile_hint(profiles: Mapping[str, Any]) -> str:
    if not profiles:
        return "the config defines no profiles; add them under 'profiles:'"
    return "defined profiles: " + ", ".join(sorted(map(str, profiles)))


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    raw = read_input(
        path,
        what="config file",
        error=ConfigError,
        max_bytes=MAX_CONFIG_BYTES,
        hint="check the path given to --config; pass the YAML file itself",
    )
    text = utf8_text(
        raw, path, what="config", error=ConfigError, hint="save the file as UTF-8", encoding="utf-8"
    )
    try:
        document = bounded_yaml(text, path, ConfigError)  # no alias bombs, bounded depth
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise yaml_syntax_error(error, path, ConfigError) from None
    except (ValueError, RecursionError) as error:  # e.g. date: 2001-02-30, absurd nesting
        raise ConfigError(
            f"config value cannot be read: {str(error)[:120]}",
            path=path,
            hint="check the values in the file (dates, numbers) and quote them if in doubt",
        ) from None
    if document is None:
        return {}, {}
    if not isinstance(document, dict):
        raise ConfigError(
            "config must be a mapping of option names to values",
            path=path,
            line=1,
            hint=f"allowed keys: {', '.join(OPTIONS)}, profiles",
        )
    return document, _key_lines(root)


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Map dotted key paths ('profiles.apa.style') to their 1-based line numbers."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}{key_node.value}"
            lines[dotted] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, dotted + "."))
    return lines


def _check_keys(
    document: Mapping[str, Any], path: Path, lines: Mapping[str, int], *, prefix: str
) -> None:
    for key in document:
        if key not in OPTIONS:
            allowed = ", ".join(OPTIONS) + ("" if prefix else ", profiles")
            raise ConfigError(
                f"unknown key {key!r}",
                path=path,
                line=lines.get(f"{prefix}{key}"),
                hint=f"keys must be one of: {allowed}",
            )


def _converted(
    document: Mapping[str, Any],
    path: Path,
    lines: Mapping[str, int],
    *,
    prefix: str,
    base: Path,
) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for key, value in document.items():
        try:
            typed = OPTIONS[key].convert(value, key)
        except _Invalid as invalid:
            raise ConfigError(
                str(invalid),
                path=path,
                line=lines.get(f"{prefix}{key}"),
                hint=f"fix '{key}' at that line: {OPTIONS[key].doc}",
            ) from None
        converted[key] = _anchored(key, typed, base)
    return converted


def _anchored(key: str, value: Any, base: Path) -> Any:
    """Make relative paths absolute against `base`; a style given as a path counts too."""
    if value is None:
        return None
    if isinstance(value, tuple) and key in PATH_OPTIONS:
        return tuple(shipped_counterpart(base / path, base) for path in value)
    if key in PATH_OPTIONS:
        return shipped_counterpart(base / value, base)
    if key == "style" and looks_like_path(value):
        return str(base / value)
    return value


def looks_like_path(style: str) -> bool:
    return style.endswith(".csl") or "/" in style or "\\" in style
