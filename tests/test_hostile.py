"""Hostile manuscripts (issue 14): every one a clean error in bounded time, or a build whose
outputs carry no script, no outside file and no unallowed request.

Error cases run in-process through `typeset.cli.main`; each asserts exit 1, one `error:`
paragraph naming the file at fault, the previous outputs untouched, no temporaries left
(`.partial` files, /tmp/typeset-* folders) and no request to the loopback server.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import os
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import PROJECT, build_arguments
from typeset.cli import main
from typeset.processes import signals_deferred

SECRET = "S3CRET-BYTES-0451"
BIB = "@book{doe2001, title={A Book}, author={Doe, Jane}, year=2001}\n"
PNG = (PROJECT / "tests" / "pixel.png") if (PROJECT / "tests" / "pixel.png").exists() else None


class LoopbackServer:
    """Serves /ok/pixel.png, a redirect /ok/redirect.png -> /private/leak.png, and counts."""

    def __init__(self, pixel: bytes) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                if self.path == "/ok/redirect.png":
                    self.send_response(302)
                    self.send_header("Location", "/private/leak.png")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(pixel)))
                self.end_headers()
                self.wfile.write(pixel)

            def log_message(self, *args: object) -> None:
                pass

        self.server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pixel_png(size: tuple[int, int] = (2, 2)) -> bytes:
    path = Path(tempfile.mkstemp(suffix=".png")[1])
    Image.new("RGB", size, "red").save(path)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer(pixel_png())
    yield running
    running.close()


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path) -> Iterator[Path]:
    """A temporary folder of this test's own: other builds on the machine share /tmp."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    yield folder
    tempfile.tempdir = saved


def typeset_temporaries() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("typeset-")}


def digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def project(tmp_path: Path, manuscript: str, files: dict[str, bytes | str] | None = None) -> Path:
    """A manuscript folder beside a secret, with previous outputs in out/."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET)
    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "paper.md").write_text(manuscript)
    (folder / "refs.bib").write_text(BIB)
    for name, data in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data)
    out = tmp_path / "out"
    out.mkdir()
    for extension in ("pdf", "epub", "docx"):
        (out / f"paper.{extension}").write_bytes(f"previous {extension}".encode())
    return folder


def run(folder: Path, *extra: str, to: str = "pdf,epub,docx") -> tuple[int, str]:
    """main() with the manuscript in `folder`; returns (exit code, stderr)."""
    args = [
        *build_arguments(folder / "paper.md", folder.parent / "out"),
        "--to",
        to,
        "--force",
        *extra,
    ]
    import io

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(args, project_dir=PROJECT)
    return code, stderr.getvalue()


def assert_clean_error(
    tmp_path: Path,
    folder: Path,
    *extra: str,
    names: str,
    line: int | None = None,
    words: tuple[str, ...] = (),
    server: LoopbackServer | None = None,
    seconds: float = 20,
) -> str:
    before_out = digest(tmp_path / "out")
    before_tmp = typeset_temporaries()
    requests = len(server.requests) if server else 0
    started = time.monotonic()
    code, stderr = run(folder, *extra)
    elapsed = time.monotonic() - started
    shown = f"exit {code}\n{stderr}"
    assert code == 1, shown
    assert stderr.startswith("error: "), shown
    assert "Traceback" not in stderr, shown
    assert names in stderr, f"does not name {names}\n{shown}"
    if line is not None:
        assert f"{names}:{line}:" in stderr, f"expected {names}:{line}:\n{shown}"
    for word in words:
        assert word.lower() in stderr.lower(), f"expected {word!r}\n{shown}"
    assert len(stderr.strip().splitlines()) >= 2, f"no hint\n{shown}"
    assert elapsed < seconds, f"took {elapsed:.1f} s\n{shown}"
    assert digest(tmp_path / "out") == before_out, "previous outputs changed"
    assert not list((tmp_path / "out").glob(".*.partial")), "temporaries left"
    assert typeset_temporaries() <= before_tmp, "a /tmp/typeset-* folder was left"
    if server is not None:
        assert server.requests[requests:] == [], "the loopback server was contacted"
    return stderr


# --- structure and size: refused up front ---------------------------------------------------

DEEP_CASES = {
    "quotes": ("> " * 500 + "deep\n", 1, ("nested",)),
    "lists": ("- " * 330 + "deep\n", 1, ("nested",)),
    "ordered-lists": ("1. " * 300 + "deep\n", 1, ("nested",)),
    "brackets": ("Text\n\n" + "[" * 3000 + "x\n", 3, ("brackets",)),
    "brackets-spread": ("Text\n\n" + "[a " * 40 + "x\n", 3, ("brackets",)),
    "yaml-bomb": (
        "---\ntitle: T\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n---\n\nText\n",
        None,
        ("alias",),
    ),
    "yaml-deep": ("---\ntitle: " + "[" * 200 + "]" * 200 + "\n---\n\nText\n", None, ("nested",)),
    "yaml-list": ("---\n- one\n- two\n---\n\nText\n", 2, ("mapping",)),
    "pdf-figure": ("![f](fig.pdf)\n", 1, ("pdf",)),
    "huge-png": ("Text\n\n![f](huge.png)\n", 3, ("pixels",)),
    "svg-doctype": ("![f](d.svg)\n", 1, ("doctype",)),
    "svg-script": ("![f](s.svg)\n", 1, ("script",)),
    "svg-onload": ("![f](o.svg)\n", 1, ("handler",)),
    "svg-external": ("![f](e.svg)\n", 1, ("refers",)),
    "long-title": ("---\ntitle: " + "word " * 3000 + "\n---\n\nText\n", 2, ("title",)),
    "missing-key-in-abstract": (
        "---\ntitle: T\nabstract: As shown [@nosuchkey2009].\n---\n\nText [@doe2001].\n",
        3,
        ("nosuchkey2009",),
    ),
}
SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
FIGURES: dict[str, bytes | str] = {
    "fig.pdf": b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "d.svg": '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "/etc/passwd">]>\n'
    f'{SVG_HEAD} width="10" height="10"><text>&x;</text></svg>\n',
    "s.svg": f'{SVG_HEAD} width="10" height="10"><script>alert(1)</script></svg>\n',
    "o.svg": f'{SVG_HEAD} width="10" height="10" onload="alert(1)"><rect/></svg>\n',
    "e.svg": f'{SVG_HEAD} width="10" height="10"><image xlink:href="file:///etc/passwd"/></svg>\n',
}


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    # 20000 x 20000, but the file is small: only the header is read before refusing.
    path = Path(tempfile.mkstemp(suffix=".png")[1])
    Image.new("1", (20000, 20000)).save(path, optimize=True)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.mark.parametrize("name", sorted(DEEP_CASES))
def test_hostile_manuscript_is_a_clean_error(
    name: str, tmp_path: Path, server: LoopbackServer, huge_png: bytes
) -> None:
    text, line, words = DEEP_CASES[name]
    folder = project(tmp_path, text, {**FIGURES, "huge.png": huge_png})
    assert_clean_error(tmp_path, folder, names="paper.md", line=line, words=words, server=server)


def test_config_metadata_with_a_number_as_key(tmp_path: Path) -> None:
    folder = project(tmp_path, "Text\n")
    config = folder / "typeset.yaml"
    config.write_text("metadata:\n  1: one\n")
    assert_clean_error(tmp_path, folder, "--config", str(config), names="typeset.yaml")


def test_config_alias_bomb(tmp_path: Path) -> None:
    folder = project(tmp_path, "Text\n")
    config = folder / "typeset.yaml"
    levels = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for index, name in enumerate("bcdefgh"):
        previous = "abcdefgh"[index]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 10) + "]")
    config.write_text("metadata:\n" + "".join(f"  {level}\n" for level in levels))
    assert_clean_error(
        tmp_path, folder, "--config", str(config), names="typeset.yaml", words=("alias",)
    )


def test_device_as_bibliography(tmp_path: Path) -> None:
    folder = project(tmp_path, "Text [@doe2001].\n")
    (folder / "refs.bib").unlink()
    (folder / "refs.bib").symlink_to("/dev/zero")
    assert_clean_error(tmp_path, folder, names="refs.bib", words=("regular file",))


def test_fifo_as_manuscript(tmp_path: Path) -> None:
    folder = project(tmp_path, "Text\n")
    (folder / "paper.md").unlink()
    os.mkfifo(folder / "paper.md")
    assert_clean_error(tmp_path, folder, names="paper.md", words=("regular file",), seconds=5)


def test_fifo_as_style(tmp_path: Path) -> None:
    folder = project(tmp_path, "Text\n")
    os.mkfifo(folder / "house.csl")
    assert_clean_error(
        tmp_path,
        folder,
        "--style",
        str(folder / "house.csl"),
        names="house.csl",
        words=("regular file",),
        seconds=5,
    )


def test_style_with_entity_declarations_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE style [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0">&b;</style>\n'
    )
    folder = project(tmp_path, "Text\n", {"house.csl": bomb})
    assert_clean_error(
        tmp_path,
        folder,
        "--style",
        str(folder / "house.csl"),
        names="house.csl",
        words=("entity",),
        seconds=10,
    )


BIB_CASES = {
    "crossref-cycle": (
        "@book{doe2001, title={A}, crossref={roe2002}}\n"
        "@book{roe2002, title={B}, crossref={doe2001}}\n",
        ("cycle",),
    ),
    "crossref-self": ("@book{doe2001, title={A}, crossref = {DOE2001}}\n", ("cycle",)),
    "key-on-next-line": (
        "@book{\n  doe2001, title={A}}\n\n@book{doe2001,\n title={B}}\n",
        ("duplicate",),
    ),
}


@pytest.mark.parametrize("name", sorted(BIB_CASES))
def test_hostile_bibliography_is_a_clean_error(name: str, tmp_path: Path) -> None:
    text, words = BIB_CASES[name]
    folder = project(tmp_path, "Text [@doe2001].\n", {"refs.bib": text})
    assert_clean_error(tmp_path, folder, names="refs.bib", words=words)


TITLED = "---\ntitle: T\nlang: en\n---\n\n"


def test_a_comment_holding_an_entry_is_no_duplicate(tmp_path: Path) -> None:
    bib = "@comment{ @book{doe2001, title={Old}} }\n" + BIB
    folder = project(tmp_path, TITLED + "Text [@doe2001].\n", {"refs.bib": bib})
    code, stderr = run(folder, to="docx")
    assert code == 0, stderr


@pytest.mark.parametrize(
    ("items", "words"),
    [
        ('[{"id": "doe2001", "type": "book", "author": "Jane Doe"}]', ("author", "doe2001")),
        ('[{"id": null, "type": "book", "title": "X"}]', ("id", "item 1")),
        ('[{"id": "doe2001", "issued": 2001}]', ("issued",)),
    ],
)
def test_bad_csl_json_blames_the_bibliography(
    items: str, words: tuple[str, ...], tmp_path: Path
) -> None:
    folder = project(tmp_path, "Text [@doe2001].\n", {"refs.json": items})
    stderr = assert_clean_error(
        tmp_path,
        folder,
        "--bibliography",
        str(folder / "refs.json"),
        names="refs.json",
        words=words,
    )
    assert "style" not in stderr.lower()


# --- the output stage --------------------------------------------------------------------------


def test_a_folder_where_an_output_goes_changes_nothing(tmp_path: Path) -> None:
    folder = project(tmp_path, TITLED + "Text [@doe2001].\n")
    (tmp_path / "out" / "paper.epub").unlink()
    (tmp_path / "out" / "paper.epub").mkdir()
    assert_clean_error(tmp_path, folder, names="paper.epub", words=("folder",))


def test_an_output_never_replaces_the_bibliography(tmp_path: Path) -> None:
    folder = project(tmp_path, TITLED + "Text [@doe2001].\n")
    bib = folder / "paper.docx"
    bib.write_text(BIB)
    code, stderr = run(folder, "--bibliography", str(bib), "--output-dir", str(folder))
    # A bibliography is told apart by its extension (as pandoc does), so one named like an
    # output is refused before anything is written; the output check stays the backstop.
    refused = "would replace the input" in stderr or "unknown bibliography format" in stderr
    assert code == 1 and refused, stderr
    assert bib.read_text() == BIB


def test_an_output_never_replaces_a_figure(tmp_path: Path) -> None:
    folder = project(tmp_path, TITLED + "![f](paper.pdf)\n", {"paper.pdf": pixel_png()})
    figure = (folder / "paper.pdf").read_bytes()
    code, stderr = run(folder, "--output-dir", str(folder), to="pdf")
    assert code == 1 and "would replace the input" in stderr, stderr
    assert (folder / "paper.pdf").read_bytes() == figure


def test_an_unwritable_output_folder_is_a_clean_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = project(tmp_path, "Text [@doe2001].\n")
    (tmp_path / "out").chmod(0o500)
    try:
        assert_clean_error(tmp_path, folder, names="out", words=("permission",))
    finally:
        (tmp_path / "out").chmod(0o700)


def test_commit_failing_midway_restores_what_was_replaced(tmp_path: Path) -> None:
    from typeset.errors import OutputError
    from typeset.output import staged_outputs

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    b.write_text("old b")
    with pytest.raises(OutputError), staged_outputs({"a": a, "b": b}) as staged:
        staged["a"].write_text("new a")
        staged["b"].write_text("new b")
        # b's destination turns into a folder after the checks: its rename fails.
        b.unlink()
        b.mkdir()
        (b / "x").write_text("x")
    assert a.read_text() == "old a"
    assert not list(tmp_path.glob(".*.partial"))


# --- a hostile manuscript that builds: what comes out --------------------------------------------


def hostile_text(url: str, secret: Path) -> str:
    return (
        f"---\ntitle: 'Meta ![t](/etc/hostname) <script>alert(1)</script>'\n"
        f"subtitle: '![r]({url}/sub.png)'\n"
        f"author: '![a]({secret})'\n"
        f"date: '[d](javascript:alert(3))'\n"
        f'abstract: \'An <img src="{url}/abstract.png" onerror="alert(4)"> abstract [@doe2001].\'\n'
        f"abstract-title: '<span onclick=\"x()\">Abstract</span>'\n"
        f"lang: en\n---\n\n"
        f'[x]{{onmouseover="alert(1)"}} and [l](javascript:alert(2)) and '
        f"[m](JaVa&#x09;ScRiPt:alert(5)).\n\n"
        f'# Heading {{#h onfocus="alert(1)" '
        f'style="color: red; background: url({url}/css.png)"}}\n\n'
        f'::: {{onclick="alert(1)" style="background:u\\72 l({url}/esc.png)" lang=en}}\n'
        f"Div text [@doe2001].\n:::\n\n"
        f'<a href="java&#x09;script:alert(6)">raw link</a> <img src="%2Fetc%2Fpasswd" alt="p">\n'
        f'<img src="..%2F..%2Foutside%2Fsecret.txt" alt="q">\n\n'
        f"<div style=\"background-image: image-set('{url}/set.png' 1x)\">styled</div>\n\n"
        f"![allowed]({url}/ok/pixel.png)\n\n"
        f"![redirect]({url}/ok/redirect.png)\n\n"
        f"![spaced](<fig 1.png>)\n"
    )


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory, server: LoopbackServer) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "outside" / "secret.txt"
    folder = project(root, "", {"fig 1.png": pixel_png((3, 3))})
    (folder / "paper.md").write_text(hostile_text(server.url, secret))
    (folder / "refs.bib").write_text(
        "@book{doe2001, title={A Book}, author={Doe, Jane}, year=2001, url={javascript:alert(7)}}\n"
    )
    config = folder / "typeset.yaml"
    config.write_text(f"allowed_urls: ['{server.url}/ok/']\ncite_this_work: false\n")
    server.requests.clear()
    code, stderr = run(folder, "--config", str(config))
    assert code == 0, stderr
    return root / "out"


def archive_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


def pdf_bytes(path: Path) -> bytes:
    import pikepdf

    parts = [path.read_bytes()]
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                with contextlib.suppress(pikepdf.PdfError):
                    parts.append(obj.read_bytes())
    return b"\n".join(parts)


@pytest.mark.slow
def test_hostile_build_fetches_only_allowed_urls_without_redirects(
    hostile_build: Path, server: LoopbackServer
) -> None:
    assert set(server.requests) <= {"/ok/pixel.png", "/ok/redirect.png"}, server.requests
    assert "/private/leak.png" not in server.requests


@pytest.mark.slow
@pytest.mark.parametrize("extension", ["pdf", "epub", "docx"])
def test_hostile_build_outputs_carry_no_secret_and_no_script(
    hostile_build: Path, extension: str
) -> None:
    output = hostile_build / f"paper.{extension}"
    data = pdf_bytes(output) if extension == "pdf" else archive_bytes(output)
    assert SECRET.encode() not in data
    assert b"root:x:0:0" not in data
    hostname = Path("/etc/hostname").read_bytes().strip() if Path("/etc/hostname").exists() else b""
    lowered = data.lower()
    # "javascript:alert(7)" may be shown as text (the bibliography prints the url field);
    # it must never be a link target.
    for forbidden in (
        b"<script",
        b"onmouseover",
        b"onclick",
        b"onfocus",
        b"onerror",
        b'href="javascript',
        b'target="javascript',
        b"/uri (javascript",
        b"url(",
        b"image-set",
    ):
        assert forbidden not in lowered.replace(b"\\", b""), (extension, forbidden)
    if extension == "epub":
        with zipfile.ZipFile(output) as archive:
            media = [name for name in archive.namelist() if "/media/" in name]
        # the cover, the spaced figure and the allowed pixel; nothing from outside
        assert len(media) == 3, media
        assert (
            hostname not in b"".join(zipfile.ZipFile(output).read(name) for name in media)
            or not hostname
        )


# --- signals -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_everything_and_keeps_the_previous_outputs(
    tmp_path: Path, signum: int, code: int
) -> None:
    words = " ".join(["word"] * 40)
    # About 60k words: still building when the signal comes after 4 s, on a fast machine
    # too (16k words used to be enough, until the builds got faster).
    body = "".join(f"# Section {n}\n\n{words} [@doe2001].\n\n" for n in range(1500))
    folder = project(tmp_path, "---\ntitle: Long\nlang: en\n---\n\n" + body)
    before_out = digest(tmp_path / "out")
    before_tmp = typeset_temporaries()
    env = {
        **os.environ,
        "TYPESET_CACHE_DIR": str(tmp_path / "cache"),
        "TMPDIR": tempfile.gettempdir(),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROJECT / "build.py"),
            *build_arguments(folder / "paper.md", tmp_path / "out"),
            "--force",
        ],
        cwd=PROJECT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    time.sleep(4)
    assert process.poll() is None, "the build ended before the signal: make it longer"
    os.kill(process.pid, signum)
    started = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 6, "took too long to stop"
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    children: list[str] = []
    for _ in range(20):  # a killed child takes a moment to be reaped
        children = subprocess.run(
            ["pgrep", "-a", "-s", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.splitlines()
        if not children:
            break
        time.sleep(0.1)
    assert children == [], f"children left running: {children}"
    assert digest(tmp_path / "out") == before_out
    assert not list((tmp_path / "out").glob(".*.partial"))
    assert typeset_temporaries() <= before_tmp


def test_a_signal_while_forking_is_acted_on_once_the_forks_are_done() -> None:
    finished_forking = False
    with pytest.raises(KeyboardInterrupt), signals_deferred():
        signal.raise_signal(signal.SIGINT)
        finished_forking = True
    assert finished_forking
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with signals_deferred():
        pass  # no signal: nothing raised
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


# --- fuzzing: the metadata and the output stage ---------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from typeset import ast  # noqa: E402
from typeset.errors import TypesetError  # noqa: E402

HOSTILE_PIECES = [
    "<script>alert(1)</script>",
    "![i](/etc/passwd)",
    "![i](..%2F..%2Fsecret.png)",
    "![i](http://127.0.0.1:9/x.png)",
    "[l](javascript:alert(1))",
    "[l](JAVA&#x09;SCRIPT:x)",
    "[l](data:text/html,x)",
    '<img src="x" onerror="y">',
    '<a href="vbscript:x">a</a>',
    '[s]{onclick="x" style="background:url(http://h/)"}',
    '[s]{style="color: red" lang=en data-x=1}',
    '<span style="background:u\\72 l(x)">s</span>',
    "[@doe2001]",
    # an SVG with a script, declared as a PNG
    "![i](data:image/png;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxzY3JpcHQ+MTwvc2NyaXB0Pjwvc3ZnPg==)",
    "plain words",
    "**bold**",
]
FIELDS = ["title", "subtitle", "author", "date", "abstract", "abstract-title", "thanks", "keywords"]


def assert_sealed(document: dict, media: Path) -> None:
    for node in ast.walk(document):
        kind = node["t"]
        if kind == "Image":  # a checked file of the build's media folder (typeset.media)
            assert Path(node["c"][2][0]).parent == media, node
        elif kind == "Link":
            target = node["c"][2][0].lower().replace("\t", "")
            assert not target.startswith(("javascript", "data", "vbscript", "file")), node
        elif kind in ("RawInline", "RawBlock") and node["c"][0] == "html":
            html = node["c"][1].lower()
            assert "<script" not in html and "javascript" not in html, node
            assert not __import__("re").search(r"\son\w+=", html), node
            assert "url(" not in html, node
    text = str(document)
    assert "onclick" not in text and "url(" not in text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.dictionaries(
        st.sampled_from(FIELDS),
        st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=4).map(" ".join),
        min_size=1,
        max_size=4,
    )
)
def test_fuzzed_metadata_is_sealed(
    fields: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    import json

    from typeset.manuscript import read_manuscript
    from typeset.sanitize import restrict_resources, seal_for_writers

    folder = tmp_path_factory.mktemp("meta")
    front = "".join(f"{name}: {json.dumps(value)}\n" for name, value in fields.items())
    path = folder / "paper.md"
    path.write_text(f"---\n{front}---\n\nBody.\n")
    try:
        manuscript = read_manuscript(path)
        restricted = restrict_resources(manuscript, [folder], (), draft=True)
        sealed = seal_for_writers(
            restricted.document, restricted, [folder], (), media=folder / "media"
        )
    except TypesetError:
        return
    assert_sealed(sealed, folder / "media")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    existing=st.lists(st.booleans(), min_size=1, max_size=4),
    failure=st.sampled_from(["none", "raise", "empty", "oserror"]),
    failing_index=st.integers(min_value=0, max_value=3),
)
def test_fuzzed_output_stage_is_all_or_nothing(
    existing: list[bool], failure: str, failing_index: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import errno

    from typeset.output import staged_outputs

    folder = tmp_path_factory.mktemp("stage")
    destinations = {f"f{index}": folder / f"out{index}.bin" for index in range(len(existing))}
    for index, present in enumerate(existing):
        if present:
            destinations[f"f{index}"].write_bytes(b"old")
    before = {
        name: path.read_bytes() if path.exists() else None for name, path in destinations.items()
    }
    failing = f"f{failing_index % len(existing)}"
    try:
        with staged_outputs(destinations) as staged:
            for name, temporary in staged.items():
                if name == failing and failure == "raise":
                    raise RuntimeError("writer crashed")
                if name == failing and failure == "oserror":
                    raise OSError(errno.ENOSPC, "No space left on device", str(temporary))
                if not (name == failing and failure == "empty"):
                    temporary.write_bytes(b"new")
    except (RuntimeError, TypesetError):
        after = {
            name: path.read_bytes() if path.exists() else None
            for name, path in destinations.items()
        }
        assert after == before
    else:
        assert failure == "none"
        assert all(path.read_bytes() == b"new" for path in destinations.values())
    assert not list(folder.glob(".*.partial"))
