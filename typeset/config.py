"""The build configuration: read from YAML once, validated at the edge, then frozen.

Precedence, lowest first: built-in defaults, the manuscript's front matter (the pandoc
options listed in typeset/frontmatter.py's FRONT_MATTER_OPTIONS, e.g. `toc: true`,
`bibliography: refs.bib`, `csl: apa.csl`), the
config file's top level, the chosen profile, command-line flags. Every option is declared
once, in typeset/options.py's OPTIONS; this module reads the values and checks them with
its converters.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from typeset.errors import ConfigError
from typeset.limits import (
    MAX_CONFIG_BYTES,
    MAX_MANUSCRIPT_BYTES,
    bounded_yaml,
    read_input,
    utf8_text,
    yaml_syntax_error,
)
from typeset.names import CONFIG_NAME
from typeset.options import OPTIONS, PATH_OPTIONS, InvalidValue
from typeset.resources import shipped_counterpart

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config:
    """Everything one build needs to know, already checked.

    One field per option of typeset/options.py, with its type only: the default, the
    converter that makes that type and the doc are the option's declaration. (mypy needs
    the fields written out; the check below keeps their names and OPTIONS' the same.)
    """

    manuscript: Path  # a Markdown file, or a book's folder (typeset/book.py)
    # Every bibliography, in order; none for a manuscript that cites nothing.
    bibliography: tuple[Path, ...]
    style: str
    formats: tuple[str, ...]
    output_dir: Path
    engine: str
    paper: str
    docx_reference: Path
    margins: str
    pdf_variant: str
    cover_image: Path | None
    toc: bool
    lof: bool
    lot: bool
    toc_depth: int
    number_sections: bool
    anonymous: bool
    allowed_urls: tuple[str, ...]
    cite_this_work: bool
    cite_this_work_section: bool
    cite_this_work_styles: tuple[str, ...] | None
    missing_citations: str
    fail_on_warnings: bool
    typography: str
    font_size: str
    line_stretch: float | None
    main_font: str | None
    columns: int
    line_numbers: bool
    double_spacing: bool
    metadata: Mapping[str, Any]
    # Not options: what the loader adds.
    profile: str | None = None
    # Where each option was set ("file:line"), for errors found after loading (a style
    # name that resolves to nothing is only known when the style is looked up).
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)
    project_dir: Path = Path(".")
    # The files after `manuscript` of a manuscript named as several files (`typeset a.md
    # b.md`, or `manuscript:` as a list), read as one, in order.
    chapters: tuple[Path, ...] = ()

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _fields_match_options() -> None:
    """Config's option fields and OPTIONS' keys are one set: an option added to one and
    not the other fails every import, not a build months later."""
    loader_fields = {"profile", "origins", "project_dir", "chapters"}
    fields = {item.name for item in dataclasses.fields(Config)} - loader_fields
    if fields != set(OPTIONS):
        raise TypeError(
            "typeset.config.Config and typeset.options.OPTIONS disagree: "
            f"fields only in Config {sorted(fields - set(OPTIONS))}, "
            f"options only in OPTIONS {sorted(set(OPTIONS) - fields)}"
        )


_fields_match_options()


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
            hint=f"create {CONFIG_NAME} with a 'profiles:' section or pass --config",
        )

    for name, value in (overrides or {}).items():
        if value is None:
            continue
        try:
            converted = OPTIONS[name].convert(value, name)
        except InvalidValue as invalid:
            raise ConfigError(str(invalid), hint="fix the command-line value") from None
        raw[name] = _anchored(name, converted, Path.cwd())
        origins[name] = "the command line"

    manuscript = raw.get("manuscript") or _default_manuscript(project_dir)
    raw["manuscript"], chapters = (
        (manuscript[0], manuscript[1:]) if isinstance(manuscript, tuple) else (manuscript, ())
    )
    front_matter = _front_matter_options(raw["manuscript"], project_dir, raw, chapters)
    for name, (value, origin) in front_matter.items():
        raw[name] = value
        origins[name] = origin

    values = {name: raw[name] if name in raw else _default(name, project_dir) for name in OPTIONS}
    if "bibliography" not in raw:  # the default refs.bib, when the project has one
        values["bibliography"] = tuple(path for path in values["bibliography"] if path.is_file())
        values["bibliography"] = values["bibliography"] or _lone_bibtex_beside(raw["manuscript"])
    return Config(
        profile=profile, project_dir=project_dir, origins=origins, chapters=chapters, **values
    )


def _default_manuscript(project_dir: Path) -> Path:
    """The default manuscript; in a book's folder (typeset/book.py), the book."""
    from typeset.book import book_kind, quarto_article

    if book_kind(project_dir) is not None:
        return project_dir
    article = quarto_article(project_dir)  # a Quarto manuscript project
    if article is not None:
        return article
    return Path(_default("manuscript", project_dir))


def _lone_bibtex_beside(manuscript: Path) -> tuple[Path, ...]:
    """With no bibliography named anywhere, the one BibTeX file in the manuscript's folder:
    a manuscript written for LaTeX names it in a Makefile or `\\bibliography{}` that pandoc
    never reads. Two or more: none is guessed (the missing-key error says how to name one)."""
    from typeset.references import BIBLIOGRAPHY_FORMATS

    if not manuscript.is_file():
        return ()
    bibtex = {suffix for suffix, kind in BIBLIOGRAPHY_FORMATS.items() if "bib" in kind}
    try:
        candidates = sorted(
            path
            for path in manuscript.parent.iterdir()
            if path.suffix.lower() in bibtex and path.is_file()
        )
    except OSError:
        return ()
    if len(candidates) != 1:
        return ()
    log.warning(
        "%s: no bibliography named; using %s, the one BibTeX file beside it "
        "(name it with 'bibliography:' in the front matter to say so)",
        manuscript,
        candidates[0].name,
    )
    return (candidates[0],)


def _default(name: str, project_dir: Path) -> Any:
    """The option's declared default, typed, its paths anchored in the project folder."""
    option = OPTIONS[name]
    return _anchored(name, option.convert(option.default, name), project_dir)


def profile_names(config_path: Path) -> list[str]:
    """The profiles the config file defines, in the file's order (for --all-profiles)."""
    document, _lines = _read_yaml(config_path)
    profiles = document.get("profiles") or {}
    return [str(name) for name in profiles] if isinstance(profiles, dict) else []


def _front_matter_options(
    manuscript: Path,
    project_dir: Path,
    already_set: Mapping[str, Any],
    chapters: tuple[Path, ...] = (),
) -> dict[str, tuple[Any, str]]:
    """The options the manuscript's front matter sets and nothing above it does:
    name -> (typed value, "file:line"). Files it names (`bibliography`, `csl`) are
    relative to the manuscript and must be inside the project or the manuscript's folder.
    A book's front matters (its _quarto.yml or metadata.yaml, each chapter's) are merged
    as pandoc merges several blocks: a later key wins (typeset/book.py)."""
    from typeset.book import front_matter_layers, manuscript_folder
    from typeset.confine import Roots
    from typeset.frontmatter import FRONT_MATTER_OPTIONS

    folder = manuscript_folder(manuscript)
    roots = Roots.of(trusted=[project_dir], untrusted=[folder])
    found: dict[str, tuple[Any, str]] = {}
    for source, values, lines in front_matter_layers(manuscript, chapters, roots):
        for key, value in values.items():
            declared = FRONT_MATTER_OPTIONS.get(str(key))
            if declared is None or value is None or declared.option in already_set:
                continue
            line = lines.get(str(key))
            try:
                typed = OPTIONS[declared.option].convert(declared.to_config(value), str(key))
            except InvalidValue as invalid:
                raise ConfigError(
                    f"front matter: {invalid}",
                    path=source,
                    line=line,
                    hint=f"fix '{key}' at that line: {OPTIONS[declared.option].doc}",
                ) from None
            typed = _anchored(declared.option, typed, source.parent)
            _check_front_matter_files(
                declared.option, typed, str(key), source, line, [project_dir, folder]
            )
            found[declared.option] = (typed, f"{source}:{line}")
    if (
        "toc" not in found and not chapters and not manuscript.is_dir()
    ):  # `\tableofcontents` in the body asks for one too (issue 25)
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
        except InvalidValue as invalid:
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
