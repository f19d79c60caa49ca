"""The command line: arguments -> Config -> build() -> exit code. Nothing else lives here."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typeset import uptodate
from typeset.citations import engine_names
from typeset.errors import TypesetError, UsageError, from_os_error
from typeset.formats import format_names

if TYPE_CHECKING:
    from typeset.config import Config
    from typeset.pipeline import ProgressCallback

# Kept in step with typeset.config; importing it here would cost the up-to-date path.
DEFAULT_CONFIG_NAME = "typeset.yaml"
PAPER_CHOICES = ("a4", "letter")

EXIT_OK, EXIT_INPUT_ERROR, EXIT_USAGE = 0, 1, 2
log = logging.getLogger(__name__)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt, so that every
    `with`/`finally` on the way out stops children and removes temporaries."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None, *, project_dir: Path | None = None) -> int:
    """Run the command line; Ctrl-C exits 130 and SIGTERM 143, with one line and no
    traceback, the previous outputs untouched (issue 14)."""
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


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="build.py",
        description="Build a Markdown manuscript into PDF, EPUB and DOCX with CSL citations.",
    )
    cli.add_argument(
        "--config", type=Path, help=f"YAML config (default: {DEFAULT_CONFIG_NAME} if present)"
    )
    cli.add_argument(
        "--profile", metavar="NAME[,NAME...]", help="named submission profile(s) from the config"
    )
    cli.add_argument(
        "--all-profiles", action="store_true", help="build every profile of the config in one run"
    )
    cli.add_argument("--manuscript", type=Path, help="Markdown manuscript")
    cli.add_argument("--bibliography", type=Path, help="BibTeX (.bib) or CSL-JSON (.json)")
    cli.add_argument("--style", help="CSL style name (see --list-styles) or path to a .csl")
    cli.add_argument(
        "--to",
        dest="formats",
        metavar="FORMATS",
        help=f"comma-separated: {','.join(format_names())}",
    )
    cli.add_argument("--output-dir", type=Path, help="where the outputs go")
    cli.add_argument("--engine", choices=engine_names(), help="citation engine")
    cli.add_argument("--paper", choices=PAPER_CHOICES, help="PDF paper size")
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
    return cli


def _main(argv: Sequence[str] | None = None, *, project_dir: Path | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = parser().parse_args(argv)  # exits 2 on a usage error
    project_dir = (project_dir or Path.cwd()).resolve()
    _configure_logging(arguments.verbose, arguments.quiet)
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
    from typeset.config import load_config
    from typeset.pipeline import build
    from typeset.watch import watch

    try:
        config_path = arguments.config
        if config_path is None and (project_dir / DEFAULT_CONFIG_NAME).is_file():
            config_path = project_dir / DEFAULT_CONFIG_NAME

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
                watch(make_config, config_path, progress=progress)
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


def _chosen_profiles(arguments: argparse.Namespace, config_path: Path | None) -> list[str] | None:
    """The profiles of a several-profile run (`--all-profiles`, `--profile a,b`), else None."""
    if arguments.all_profiles:
        if arguments.profile:
            raise UsageError("--all-profiles and --profile exclude each other")
        if config_path is None:
            raise UsageError(
                "--all-profiles needs a config file",
                hint=f"create {DEFAULT_CONFIG_NAME} with a 'profiles:' section or pass --config",
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
    from typeset import submissions

    outcomes = submissions.build_profiles(configs, force=arguments.force, check=arguments.check)
    if arguments.check and arguments.json:
        print(json.dumps(submissions.check_report_json(outcomes), indent=2))
    elif arguments.check:
        print(submissions.check_report_text(outcomes))
    elif not arguments.quiet or not submissions.passed(outcomes):
        print(submissions.summary_table(outcomes))
    return EXIT_OK if submissions.passed(outcomes) else EXIT_INPUT_ERROR


def _run_check(config: Config, *, as_json: bool) -> int:
    from typeset.check import check

    report = check(config)
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(report.as_text())
    return EXIT_OK if report.passed else EXIT_INPUT_ERROR


def _run_preview(config: Config, styles: str) -> int:
    from typeset.inputs import check_citation_keys, read_inputs
    from typeset.preview import write_style_preview

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
    from typeset.crosscheck import DEFAULT_STYLES, cross_check, format_report_text, report_json

    chosen = [name.strip() for name in (styles or "").split(",") if name.strip()]
    report = cross_check(config, chosen or list(DEFAULT_STYLES))
    if as_json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        print(format_report_text(report))
    return EXIT_OK


def _overrides(arguments: argparse.Namespace) -> dict[str, Any]:
    return {
        "manuscript": arguments.manuscript and str(arguments.manuscript),
        "bibliography": arguments.bibliography and str(arguments.bibliography),
        "style": arguments.style,
        "formats": arguments.formats,
        "output_dir": arguments.output_dir and str(arguments.output_dir),
        "engine": arguments.engine,
        "paper": arguments.paper,
    }


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
