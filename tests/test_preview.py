"""The style preview page: real citations of the essay in several styles, in Chromium.

The page is opened in Debian's chromium, headless: `--dump-dom` with `?selftest` (the
page clicks its own copy buttons and reports script errors into the DOM), `--screenshot`
(kept in tests/artifacts/, git-ignored, to look at), and the DevTools protocol over
`--remote-debugging-pipe` for real mouse clicks with the clipboard read back. The browser
helpers here are shared with tests/test_citethis.py.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT
from typeset import citethis
from typeset.commands.preview import (
    DEFAULT_PREVIEW_STYLES,
    PREVIEW_FILE_NAME,
    citation_excerpts,
    write_style_preview,
)
from typeset.errors import StyleError
from typeset.manuscript import Manuscript, read_manuscript
from typeset.references import Bibliography, read_bibliography
from typeset.styles import resolve_style

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

ARTIFACTS = PROJECT / "tests" / "artifacts"


# --- the browser -----------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.fail("chromium is not installed: apt-get install -y chromium (setup.sh does it)")


def browser_dom(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM of `page?selftest` after its scripts ran, and the console lines logged."""
    completed = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            # Lets the page's promises and timers finish before the DOM is dumped.
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.resolve().as_uri() + "?selftest",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
    return completed.stdout, console


def browser_screenshot(page: Path, png: Path, profile: Path) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1280,2000",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


def selftest_report(dom: str) -> dict[str, Any]:
    assert 'data-selftest="done"' in dom, "the page's self-test did not finish"
    match = re.search(r'<pre id="selftest-report"[^>]*>(.*?)</pre>', dom, re.S)
    assert match, "no self-test report in the page"
    report: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return report


# Starts a program with two inherited descriptors moved to 3 and 4.
_ON_DESCRIPTORS_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4);"
    " os.execvp(sys.argv[3], sys.argv[3:])"
)


class DevTools:
    """The Chrome DevTools protocol over --remote-debugging-pipe: JSON messages ended by NUL
    on file descriptors 3 (to the browser) and 4 (from it); no websocket needed."""

    def __init__(self, profile: Path) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # Above 4, so moving one end to 3 or 4 cannot overwrite the other.
        to_browser_read = _moved_above(to_browser_read, 10)
        from_browser_write = _moved_above(from_browser_write, 10)
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _ON_DESCRIPTORS_3_AND_4,
                str(to_browser_read),
                str(from_browser_write),
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def call(self, method: str, params: dict[str, Any] | None = None, *, page: bool = True) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            while b"\0" not in self._buffer:
                ready, _, _ = select.select([self._from_browser], [], [], 1)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer to {method}")
                if ready:
                    chunk = os.read(self._from_browser, 1 << 16)
                    if not chunk:
                        raise ConnectionError("chromium closed the DevTools pipe")
                    self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, page: Path, *, before_load: str = "") -> None:
        self.call(
            "Browser.grantPermissions",
            {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
            page=False,
        )
        target = self.call("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, page=False
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        # A background tab has no focus, and the Clipboard API refuses unfocused pages.
        self.call("Emulation.setFocusEmulationEnabled", {"enabled": True})
        if before_load:
            self.call("Page.addScriptToEvaluateOnNewDocument", {"source": before_load})
        self.call("Page.navigate", {"url": page.resolve().as_uri()})
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {
                "expression": expression,
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(condition)
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real (trusted) mouse click in the middle of the element."""
        x, y = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def errors(self) -> list[str]:
        """Uncaught exceptions and console errors the page produced."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"]))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(str(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)


def _moved_above(descriptor: int, lowest: int) -> int:
    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD, lowest)
    os.close(descriptor)
    return moved


def copy_buttons_with_real_clicks(
    page: Path, profile: Path, *, hide_clipboard_api: bool
) -> tuple[list[dict[str, str]], list[str]]:
    """Click every copy button for real; per button what it was to copy, how it copied
    (data-copy-result) and what the clipboard then held. With `hide_clipboard_api` the
    page sees no navigator.clipboard, so the textarea + execCommand path must copy."""
    hide = (
        (
            "window.__clipboard = navigator.clipboard;"
            "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});"
        )
        if hide_clipboard_api
        else "window.__clipboard = navigator.clipboard;"
    )
    browser = DevTools(profile)
    try:
        browser.open(page, before_load=hide)
        count = browser.evaluate(
            "Array.from(document.querySelectorAll('button[data-copy-text]'))"
            ".map((button, index) => button.setAttribute('data-copy-index', index)).length"
        )
        results = []
        for index in range(count):
            button = f"document.querySelector(\"[data-copy-index='{index}']\")"
            browser.evaluate("window.__clipboard.writeText('')")
            browser.click(f"[data-copy-index='{index}']")
            browser.wait_for(f"{button}.hasAttribute('data-copy-result')")
            results.append(
                {
                    "expected": browser.evaluate(f"{button}.getAttribute('data-copy-text')"),
                    "result": browser.evaluate(f"{button}.getAttribute('data-copy-result')"),
                    "clipboard": browser.evaluate("window.__clipboard.readText()"),
                }
            )
        return results, browser.errors()
    finally:
        browser.close()


class _TextByClass(HTMLParser):
    """Collects the text of every element carrying a given class, per element."""

    def __init__(self, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name
        self.found: list[str] = []
        self._depth = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "meta", "link", "input", "hr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        opens = self.class_name in classes
        self._stack.append(opens)
        if opens:
            if self._depth == 0:
                self.found.append("")
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack.pop():
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.found[-1] += data


def texts_of_class(markup: str, class_name: str) -> list[str]:
    parser = _TextByClass(class_name)
    parser.feed(markup)
    return [" ".join(text.split()) for text in parser.found]


def cards(dom: str) -> dict[str, str]:
    """Each style card's HTML by style name."""
    return dict(
        re.findall(
            r'<section class="style-card" id="style-[^"]*" data-style="([^"]+)">'
            r"(.*?)</section>",
            dom,
            re.S,
        )
    )


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def essay() -> Manuscript:
    return read_manuscript(PROJECT / "manuscript" / "essay.md")


@pytest.fixture(scope="module")
def references() -> Bibliography:
    return read_bibliography(PROJECT / "refs.bib")


@pytest.fixture(scope="module")
def default_preview(
    essay: Manuscript, references: Bibliography, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_style_preview(essay, references, [], tmp_path_factory.mktemp("preview"), PROJECT)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "chromium-profile"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def manuscript_from(tmp_path: Path, text: str) -> Manuscript:
    path = tmp_path / "essay.md"
    path.write_text(text, encoding="utf-8")
    return read_manuscript(path)


# --- choosing the citations ---------------------------------------------------------------


def test_excerpts_are_three_works_cited_in_two_ways(essay: Manuscript) -> None:
    excerpts = citation_excerpts(essay)
    assert [excerpt.key for excerpt in excerpts] == ["rawnsley2009", "shen2012", "jervis1978"]
    assert {excerpt.mode for excerpt in excerpts} == {"NormalCitation", "AuthorInText"}


def test_excerpt_is_the_sentence_around_the_citation(essay: Manuscript) -> None:
    sentences = citethis.render_fragments(
        [[{"t": "Para", "c": list(excerpt.sentence)}] for excerpt in citation_excerpts(essay)],
        "plain",
    )
    assert sentences[0].startswith("In October 1950 after the Korean war had broken out")
    assert sentences[0].endswith("the United Nations forces [@rawnsley2009].")
    assert sentences[1].startswith("It has been argued by several scholars")
    assert sentences[2] == (
        "@jervis1978 argues that the security dilemma is driven by the fear of being exploited."
    )


def test_abbreviations_and_initials_do_not_end_the_sentence(tmp_path: Path) -> None:
    manuscript = manuscript_from(
        tmp_path,
        ("First sentence. The U.S. and e.g. Dr. Smith argued this [@a, p. 4]. Last one.\n"),
    )
    (excerpt,) = citation_excerpts(manuscript)
    (text,) = citethis.render_fragments([[{"t": "Para", "c": list(excerpt.sentence)}]], "plain")
    # pandoc's smart punctuation puts a no-break space after "e.g." and "Dr.".
    assert text.replace("\u00a0", " ") == "The U.S. and e.g. Dr. Smith argued this [@a, p. 4]."


def test_a_citation_in_an_authors_footnote_is_shown_in_the_notes_sentence(
    tmp_path: Path,
) -> None:
    manuscript = manuscript_from(
        tmp_path, ("A claim.[^1] Another sentence.\n\n[^1]: As shown by @b. Not this one.\n")
    )
    (excerpt,) = citation_excerpts(manuscript)
    assert excerpt.key == "b"
    (text,) = citethis.render_fragments([[{"t": "Para", "c": list(excerpt.sentence)}]], "plain")
    assert text == "As shown by @b."


# --- the page ------------------------------------------------------------------------------


def test_preview_shows_every_default_style_with_three_citations_in_chromium(
    default_preview: Path, profile: Path
) -> None:
    dom, console = browser_dom(default_preview, profile)
    assert console == []
    assert selftest_report(dom)["errors"] == []
    by_style = cards(dom)
    assert list(by_style) == list(DEFAULT_PREVIEW_STYLES)
    for name, card in by_style.items():
        title = resolve_style(name, PROJECT).title
        assert html.escape(title, quote=False) in card, f"{name}: style title not shown"
        excerpts = texts_of_class(card, "excerpt")
        assert len(excerpts) == 3, name
        for excerpt in excerpts:
            assert "@" not in excerpt and "???" not in excerpt, f"{name}: unresolved: {excerpt}"
        entries = texts_of_class(card, "csl-entry")
        assert len(entries) == 5, name


def test_citations_are_formatted_by_each_style_in_context(default_preview: Path) -> None:
    page = default_preview.read_text(encoding="utf-8")
    by_style = cards(page)
    apa = texts_of_class(by_style["apa"], "excerpt")
    assert apa[0].endswith("United Nations forces (Rawnsley, 2009).")
    assert apa[2].startswith("Jervis (1978) argues")
    ieee = texts_of_class(by_style["ieee"], "excerpt")
    assert ieee[0].endswith("forces [1].")
    notes = texts_of_class(by_style["chicago-notes-bibliography"], "notes")
    assert len(notes) == 3
    assert notes[0].startswith("Gary D. Rawnsley, \u201c\u2018The Great Movement")
    # "@jervis1978 argues": the name is in the sentence, so the note leaves it out.
    assert notes[2].startswith("“Cooperation Under the Security Dilemma,” World Politics")
    mla_heading = re.search(
        r"<h3>([^<]*)</h3>\s*<div class=\"bibliography", by_style["modern-language-association"]
    )
    assert mla_heading and mla_heading.group(1) == "Works Cited"


def test_the_page_is_drawn_in_a_grid_for_the_screenshot(
    default_preview: Path, profile: Path
) -> None:
    png = ARTIFACTS / "style-preview.png"
    browser_screenshot(default_preview, png, profile)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 100_000, "the screenshot looks blank"


def test_copy_name_buttons_copy_the_style_name_with_a_real_click(
    default_preview: Path, profile: Path
) -> None:
    results, errors = copy_buttons_with_real_clicks(
        default_preview, profile, hide_clipboard_api=False
    )
    assert errors == []
    assert [result["clipboard"] for result in results] == list(DEFAULT_PREVIEW_STYLES)
    assert {result["result"] for result in results} == {"clipboard:copied"}


def test_only_the_requested_styles_are_shown(
    essay: Manuscript, references: Bibliography, tmp_path: Path
) -> None:
    page = write_style_preview(essay, references, ["ieee", "apa", "ieee"], tmp_path, PROJECT)
    assert page == tmp_path / PREVIEW_FILE_NAME
    assert list(cards(page.read_text(encoding="utf-8"))) == ["ieee", "apa"]


def test_one_citeproc_run_per_style(
    essay: Manuscript, references: Bibliography, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typeset.citations import pandoc_citeproc
    from typeset.citethis import fragments

    runs: list[list[str]] = []
    real_run_pandoc = pandoc_citeproc.run_pandoc

    def counting(args: list[str], stdin: bytes | None = None, **options: Any) -> bytes:
        runs.append(args)
        return real_run_pandoc(args, stdin, **options)

    # Every citeproc run goes through the engine module's one pandoc call.
    monkeypatch.setattr(pandoc_citeproc, "run_pandoc", counting)
    monkeypatch.setattr(fragments, "run_pandoc", counting)
    write_style_preview(essay, references, ["apa", "ieee", "nature"], tmp_path, PROJECT)
    assert sum("--citeproc" in args for args in runs) == 3


def test_an_unknown_style_fails_before_anything_is_written(
    essay: Manuscript, references: Bibliography, tmp_path: Path
) -> None:
    with pytest.raises(StyleError, match="harvard-cite-them-right"):
        write_style_preview(
            essay, references, ["apa", "harvard-cite-them-rigth"], tmp_path, PROJECT
        )
    assert list(tmp_path.iterdir()) == []


def test_a_manuscript_with_one_citation_shows_it_and_the_bibliography(
    references: Bibliography, tmp_path: Path
) -> None:
    manuscript = manuscript_from(
        tmp_path, ('---\ntitle: Short\nnocite: "@shen2012"\n---\n\nOnly one [@hao1990].\n')
    )
    page = write_style_preview(manuscript, references, ["apa"], tmp_path / "out", PROJECT)
    card = cards(page.read_text(encoding="utf-8"))["apa"]
    assert texts_of_class(card, "excerpt") == ["Only one (Hao & Zhai, 1990)."]
    assert len(texts_of_class(card, "csl-entry")) == 2
