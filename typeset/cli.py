"""The command line: arguments -> Config -> build() -> exit code. Nothing else lives here.

One command, three fronts: the installed `typeset` console script and `python -m typeset`
(which find the project from the manuscript or the current folder, typeset/project.py),
and a project's `build.py` (which names its own folder as the project).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typeset import collector, project, uptodate
from typeset.errors import TypesetError, UsageError, from_os_error
from typeset.names import CONFIG_NAME
from typeset.options import OPTIONS, PATH_OPTIONS, Flag, ListOf, OneOf, Option

if TYPE_CHECKING:
    from typeset.commands.build import ProgressCallback
    from typeset.config import Config

EXIT_OK, EXIT_INPUT_ERROR, EXIT_USAGE = 0, 1, 2
log = logging.getLogger(__name__)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt, so that every
    `with`/`finally` on the way out stops children and removes temporaries."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def run(project_dir: Path | None = None) -> None:
    """The `typeset` console script, `python -m typeset` and build.py: `main`, then exit.

    A reader that leaves early (`typeset --list-styles | head`) ends the command quietly,
    with the status of a process ended by SIGPIPE, as other Unix tools do."""
    try:
        code = main(project_dir=project_dir)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit: point it elsewhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    sys.exit(code)


def main(argv: Sequence[str] | None = None, *, project_dir: Path | None = None) -> int:
    """Run the command line; Ctrl-C exits 130 and SIGTERM 143, with one line and no
    traceback, the previous outputs untouched (issue 14).

    `project_dir` is build.py's own folder; without it (the installed command) the
    project is the nearest folder with a typeset.yaml (typeset/project.py)."""
    collector.collect_for_a_build()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main_thread else None
    try:
        return _main(argv, project_dir=project_dir)
    except KeyboardInterrupt:
        print("interrupted: build stopped, previous outputs kept", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        print("terminated: build stopped, previous outputs kept", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


EXAMPLES = """\
examples:
  {prog} paper.md
      build paper.md into output/ beside it (or into its project's output/)
  {prog} paper.md --style apa --to pdf --bibliography a.bib --bibliography b.json
      one format, in APA style, citing from two bibliographies
  {prog} --profile journal --watch
      from anywhere in a project: rebuild its 'journal' profile on every save
  {prog} new my-paper
      start a project that builds at once
  {prog} setup
      install MathJax and DAISY Ace (Node.js packages) once for this user
  {prog} jobs titles/ | xargs -d '\\n' -P 2 -I{{}} sh -c {{}}
      build every project below titles/, each profile a job, two at a time

The project folder is the nearest folder, from the manuscript's (or the current) folder
upward, holding a {config}; without one, the manuscript's folder. The front matter's
bibliography, csl, toc, number-sections and papersize are used unless the config, the
profile or a flag sets them (command line > profile > {config} > front matter).

defaults ({config} keys; the flags above override them):
{defaults}
"""


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "(none)"
    return "(none)" if value is None else str(value)


def _prog() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "typeset"
    return "python -m typeset" if name == "__main__.py" else name or "typeset"


def parser(prog: str | None = None) -> argparse.ArgumentParser:
    prog = prog or _prog()
    defaults = "\n".join(
        f"  {name:<22} {_shown(option.default)}"
        for name, option in OPTIONS.items()
        if name != "metadata"
    )
    cli = argparse.ArgumentParser(
        prog=prog,
        usage=f"{prog} [MANUSCRIPT...] [options]  |  {prog} new DIR  |  {prog} setup",
        description="Build a Markdown manuscript into PDF, EPUB and DOCX with CSL citations.",
        epilog=EXAMPLES.format(prog=prog, config=CONFIG_NAME, defaults=defaults),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_argument(
        "manuscript_path",
        nargs="*",
        type=Path,
        metavar="MANUSCRIPT",
        help="the Markdown manuscript (.md, .markdown, .qmd), several files read as one in "
        "order (chapters), or a book's folder (Quarto, Manubot, bookdown); default: the "
        "project's",
    )
    cli.add_argument("--version", action=_Version, help="show the version and exit")
    cli.add_argument(
        "--config",
        type=Path,
        help=f"YAML config (default: the nearest {CONFIG_NAME} upward, if any)",
    )
    cli.add_argument(
        "--profile", metavar="NAME[,NAME...]", help="named submission profile(s) from the config"
    )
    cli.add_argument(
        "--all-profiles", action="store_true", help="build every profile of the config in one run"
    )
    cli.add_argument(
        "--list-styles",
        nargs="?",
        const="",
        metavar="WORD",
        help="list styles whose name, title, ISSN or field (political_science) contains WORD",
    )
    cli.add_argument("--force", action="store_true", help="ignore the build cache")
    cli.add_argument(
        "--check",
        action="store_true",
        help="build, then validate inputs and outputs (EPUBCheck, fonts, qpdf); exit 1 on errors",
    )
    cli.add_argument(
        "--cross-check",
        action="store_true",
        help="format the citations with both engines and report where they differ",
    )
    cli.add_argument(
        "--styles",
        metavar="A,B,C",
        help="with --cross-check: the styles to compare (default: eight common ones)",
    )
    cli.add_argument(
        "--preview-styles",
        nargs="?",
        const="",
        metavar="A,B,C",
        help="write output/style-preview.html: the manuscript's citations in each style",
    )
    cli.add_argument(
        "--json", action="store_true", help="with --check or --cross-check: machine-readable"
    )
    cli.add_argument("--watch", action="store_true", help="rebuild on every save until Ctrl-C")
    verbosity = cli.add_mutually_exclusive_group()
    verbosity.add_argument(
        "--verbose", "-v", action="store_true", help="log every step and tool call"
    )
    verbosity.add_argument("--quiet", "-q", action="store_true", help="print errors only")
    flagged = {name: option.flag for name, option in OPTIONS.items() if option.flag}
    renamed = [
        f"{flag.name}: {name}" for name, flag in flagged.items() if flag.name != _flag_of(name)
    ]
    aside = f" ({', '.join(renamed)})" if renamed else ""
    options = cli.add_argument_group(
        "build options",
        f"each overrides the {CONFIG_NAME} option of its name{aside},\n"
        "whose default is listed below",
    )
    for name, flag in flagged.items():
        options.add_argument(flag.name, dest=name, **_flag_arguments(name, OPTIONS[name], flag))
    return cli


def _flag_of(option_name: str) -> str:
    """The flag an option would have by its name: `output_dir` -> `--output-dir`."""
    return "--" + option_name.replace("_", "-")


def _flag_arguments(name: str, option: Option, flag: Flag) -> dict[str, Any]:
    """argparse's arguments for an option's flag, from its declaration (typeset/options.py)."""
    help_text = " ".join(part for part in (option.doc, flag.note) if part)
    arguments: dict[str, Any] = {"metavar": flag.metavar}
    if isinstance(option.convert, OneOf):  # argparse refuses others with a usage error
        arguments["choices"] = option.choices()
    elif isinstance(option.convert, ListOf):
        help_text += f" Any of: {','.join(option.choices())}."
    if flag.repeated:
        arguments["action"] = "append"
    if name in PATH_OPTIONS:
        arguments["type"] = Path
    # argparse formats help with %: a doc's own % must stay one.
    return arguments | {"help": help_text.replace("%", "%%")}


class _Version(argparse.Action):
    """--version, looked up only when asked (reading the package metadata costs ~10 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"typeset {_version()}")
        parser.exit()


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("typeset")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed: run from a checkout)"


def _main(argv: Sequence[str] | None = None, *, project_dir: Path | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    arguments = parser().parse_args(argv)  # exits 2 on a usage error
    _configure_logging(arguments.verbose, arguments.quiet)
    try:
        project_dir, found_config = _project(arguments, project_dir)
    except TypesetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, UsageError) else EXIT_INPUT_ERROR
    plain_build = not (
        arguments.force
        or arguments.watch
        or arguments.check
        or arguments.cross_check
        or arguments.list_styles is not None
        or arguments.preview_styles is not None
    )
    stamp_key = uptodate.invocation_key(argv, project_dir)
    if plain_build and (current := uptodate.outputs_if_current(stamp_key, project_dir)):
        if not arguments.quiet:
            for path in current:
                print(f"up to date: {_display(path)}")
        return EXIT_OK
    if arguments.list_styles is not None:  # before the build's imports: it must be quick
        from typeset.styles import list_styles

        return _print_styles(
            list_styles(arguments.list_styles or None, project_dir), arguments.list_styles
        )
    from typeset.commands.build import build
    from typeset.commands.watch import watch
    from typeset.config import load_config

    try:
        config_path = found_config

        def make_config(profile: str | None = arguments.profile) -> Config:
            return load_config(
                config_path,
                profile=profile,
                project_dir=project_dir,
                overrides=_overrides(arguments),
            )

        profiles = _chosen_profiles(arguments, config_path)
        if profiles is not None:
            code = _run_submissions(arguments, {name: make_config(name) for name in profiles})
            return code

        if arguments.watch:
            with _progress_display(arguments.quiet) as progress:
                named = [arguments.manuscript, *arguments.chapters] if arguments.manuscript else []
                watch(make_config, config_path, progress=progress, named=named)
            return EXIT_OK
        config = make_config()
        if arguments.check:
            return _run_check(config, as_json=arguments.json)
        if arguments.preview_styles is not None:
            return _run_preview(config, arguments.preview_styles)
        if arguments.cross_check:
            return _run_cross_check(config, arguments.styles, as_json=arguments.json)
        with _progress_display(arguments.quiet) as progress:
            result = build(config, force=arguments.force, progress=progress)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except TypesetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except OSError as error:  # the machine, not the input: a full temporary disk, say
        print(f"error: {from_os_error(error, manuscript=arguments.manuscript)}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except Exception as error:  # a fault of ours: still one paragraph, naming the input
        log.debug("unexpected failure", exc_info=True)
        where = f"{arguments.manuscript}: " if arguments.manuscript else ""
        print(
            f"error: {where}the build failed unexpectedly ({type(error).__name__}: "
            f"{str(error)[:200]})\n  run again with --verbose for details, and report it",
            file=sys.stderr,
        )
        return EXIT_INPUT_ERROR
    read = [*result.inputs, *([config_path] if config_path else [])]
    uptodate.record(stamp_key, project_dir, read, result.written)
    if not arguments.quiet:
        for name, path in result.outputs.items():
            note = " (unchanged, from cache)" if name in result.from_cache else ""
            print(f"wrote {_display(path)}{note}")
        for path in result.cite_this_work:
            print(f"wrote {_display(path)}")
        print(f"style {result.style_description or result.style_name}, {result.seconds:.1f} s")
    return EXIT_OK


def _project(arguments: argparse.Namespace, project_dir: Path | None) -> tuple[Path, Path | None]:
    """The project folder and its config file. build.py names its folder; the installed
    command looks upward from the manuscript, or from the current folder."""
    arguments.chapters = []
    if arguments.manuscript_path:
        if arguments.manuscript is not None:
            raise UsageError("name the manuscript once: as MANUSCRIPT or with --manuscript")
        arguments.manuscript, *arguments.chapters = arguments.manuscript_path
        arguments.chapters = [project.checked_manuscript(path) for path in arguments.chapters]
    if project_dir is not None:  # build.py: its own folder, as always
        project_dir = project_dir.resolve()
        config_path = arguments.config
        if config_path is None and (project_dir / CONFIG_NAME).is_file():
            config_path = project_dir / CONFIG_NAME
        return project_dir, config_path
    found = project.locate(arguments.manuscript, arguments.config)
    if found.manuscript is not None:
        arguments.manuscript = found.manuscript
    elif found.config is None and arguments.list_styles is None:
        raise UsageError(
            f"no manuscript named, and no {CONFIG_NAME} in {found.folder} or any folder above",
            hint="name one (`typeset paper.md`), or start a project with `typeset new DIR`",
        )
    return found.folder, found.config


def _new(argv: list[str]) -> int:
    """`typeset new DIR`: a project that builds at once."""
    cli = argparse.ArgumentParser(
        prog=f"{_prog()} new",
        description=f"Create a project: {CONFIG_NAME} (with profiles), manuscript/ with an "
        "example paper, refs.bib, styles/ and .gitignore.",
    )
    cli.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    arguments = cli.parse_args(argv)
    from typeset.commands.new import new_project

    try:
        written = new_project(arguments.folder)
    except TypesetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    for path in written:
        print(f"wrote {_display(path)}")
    print(f"next: cd {_display(arguments.folder)} && {_prog()}")
    return EXIT_OK


def _setup(argv: list[str]) -> int:
    """`typeset setup`: install the locked npm packages (MathJax, DAISY Ace) per user."""
    cli = argparse.ArgumentParser(
        prog=f"{_prog()} setup",
        description="Install the npm packages typeset runs on Node.js (MathJax for math in "
        "the PDF, DAISY Ace for --check), at the versions its package-lock.json pins, into "
        "a per-user folder. Needs Node.js and npm. A build with math does this for MathJax "
        "on first use.",
    )
    cli.parse_args(argv)
    from typeset import node_tools

    try:
        print(f"installing the locked npm packages into {node_tools.user_node_dir()}")
        folder = node_tools.install()
    except TypesetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    print(f"installed into {folder}")
    return EXIT_OK


def _jobs(argv: list[str]) -> int:
    """`typeset jobs DIR...`: one job per project and profile, for a CI matrix or xargs."""
    cli = argparse.ArgumentParser(
        prog=f"{_prog()} jobs",
        description="List the builds of every project (a folder with a typeset.yaml) at or "
        "below each DIR: one job per profile, each `typeset --config P/typeset.yaml "
        "--profile NAME`, as a GitHub Actions matrix or one shell command a line.",
    )
    cli.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="where projects are")
    cli.add_argument(
        "--format",
        choices=("github", "lines"),
        default="lines",
        help="github: a matrix in JSON; lines: one command a line (default)",
    )
    cli.add_argument("--profile", metavar="A,B", help="only these profiles")
    cli.add_argument("--shard", metavar="I/N", help="only every N-th job, from the I-th")
    cli.add_argument("--command", default="typeset", help="what runs a job (default: typeset)")
    arguments = cli.parse_args(argv)
    from typeset.commands import jobs

    try:
        profiles = [name.strip() for name in (arguments.profile or "").split(",") if name.strip()]
        listed = jobs.find_jobs(arguments.folders, profiles=profiles)
        if arguments.shard:
            index, _, count = arguments.shard.partition("/")
            if not (index.isdigit() and count.isdigit()):
                raise UsageError(f"--shard {arguments.shard}: write it I/N, e.g. 1/4")
            listed = jobs.shard(listed, int(index), int(count))
        if arguments.format == "github":
            print(json.dumps(jobs.github_matrix(listed)))
        else:
            for line in jobs.command_lines(listed, shlex.split(arguments.command)):
                print(line)
    except TypesetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, UsageError) else EXIT_INPUT_ERROR
    return EXIT_OK


SUBCOMMANDS = {"new": _new, "setup": _setup, "jobs": _jobs}


def _chosen_profiles(arguments: argparse.Namespace, config_path: Path | None) -> list[str] | None:
    """The profiles of a several-profile run (`--all-profiles`, `--profile a,b`), else None."""
    if arguments.all_profiles:
        if arguments.profile:
            raise UsageError("--all-profiles and --profile exclude each other")
        if config_path is None:
            raise UsageError(
                "--all-profiles needs a config file",
                hint=f"create {CONFIG_NAME} with a 'profiles:' section or pass --config",
            )
        from typeset.config import profile_names

        names = profile_names(config_path)
        if not names:
            raise UsageError("the config defines no profiles", path=config_path)
    elif arguments.profile and "," in arguments.profile:
        names = list(dict.fromkeys(n.strip() for n in arguments.profile.split(",") if n.strip()))
    else:
        return None
    for flag in ("watch", "cross_check", "preview_styles"):
        if getattr(arguments, flag) not in (None, False):
            option = "--" + flag.replace("_", "-")
            raise UsageError(f"{option} works on one profile at a time")
    return names


def _run_submissions(arguments: argparse.Namespace, configs: dict[str, Config]) -> int:
    from typeset.commands import submissions

    outcomes = submissions.build_profiles(configs, force=arguments.force, check=arguments.check)
    if arguments.check and arguments.json:
        print(json.dumps(submissions.check_report_json(outcomes), indent=2))
    elif arguments.check:
        print(submissions.check_report_text(outcomes))
    elif not arguments.quiet or not submissions.passed(outcomes):
        print(submissions.summary_table(outcomes))
    return EXIT_OK if submissions.passed(outcomes) else EXIT_INPUT_ERROR


def _run_check(config: Config, *, as_json: bool) -> int:
    from typeset.commands.check import check

    report = check(config)
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(report.as_text())
    return EXIT_OK if report.passed else EXIT_INPUT_ERROR


def _run_preview(config: Config, styles: str) -> int:
    from typeset.commands.preview import write_style_preview
    from typeset.inputs import check_citation_keys, read_inputs

    inputs = read_inputs(config)
    check_citation_keys(inputs)
    chosen = [name.strip() for name in styles.split(",") if name.strip()]
    page = write_style_preview(
        inputs.manuscript, inputs.bibliography, chosen, config.output_dir, config.project_dir
    )
    print(f"wrote {_display(page)}")
    return EXIT_OK


def _run_cross_check(config: Config, styles: str | None, *, as_json: bool) -> int:
    """Exit 0 whenever the comparison ran: disagreement is information, not failure."""
    from typeset.commands.crosscheck import (
        DEFAULT_STYLES,
        cross_check,
        format_report_text,
        report_json,
    )

    chosen = [name.strip() for name in (styles or "").split(",") if name.strip()]
    report = cross_check(config, chosen or list(DEFAULT_STYLES))
    if as_json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        print(format_report_text(report))
    return EXIT_OK


def _overrides(arguments: argparse.Namespace) -> dict[str, Any]:
    """The option flags, as given (None when absent); load_config converts them. Several
    manuscript files (a book's chapters on the command line) are one list."""
    overrides = {name: getattr(arguments, name) for name, option in OPTIONS.items() if option.flag}
    if getattr(arguments, "chapters", None):
        overrides["manuscript"] = [
            str(path) for path in (arguments.manuscript, *arguments.chapters)
        ]
    return overrides


@contextlib.contextmanager
def _progress_display(quiet: bool) -> Iterator[ProgressCallback | None]:
    """A live per-format progress display on a terminal; nothing when piped or quiet."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        transient=True,
        console=_stderr_console(),
    ) as display:
        tasks: dict[str, Any] = {}

        def update(name: str, event: str, seconds: float) -> None:
            if event == "start":
                tasks[name] = display.add_task(f"writing {name.upper()}", total=1)
            elif name in tasks:
                display.update(tasks[name], completed=1, description=f"{name.upper()} done")

        yield update


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _print_styles(styles: list[Any], word: str) -> int:
    for style in styles:
        kind = "note" if style.is_note_style else "in-text"
        uses = f"  [journal: uses {style.parent}]" if style.parent else ""
        print(f"{style.name:<55} {kind:<8} {style.title}{uses}")
    if not styles:
        print(f"no style matches {word!r}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    return EXIT_OK


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    # WeasyPrint and fontTools narrate every font and CSS rule at INFO/WARNING.
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.ERROR)
