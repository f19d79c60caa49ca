"""Every stage bounded (issue 27, item 4): a dripping server, thousands of headings, a
CSL fan-out (tests/test_clean_errors.py), the writers' memory."""

from __future__ import annotations

import http.server
import os
import resource
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import typeset.urls
from tests.conftest import PROJECT, build_arguments
from typeset.cli import main
from typeset.limits import MAX_HEADINGS, memory_capped
from typeset.urls import UrlFetchError, fetch_allowed


class DrippingServer:
    """Answers every request one byte at a time, `pause` seconds apart, in the headers
    (`where="headers"`) or the body."""

    def __init__(self, where: str, pause: float = 0.3) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                head = b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nContent-Length: 500\r\n\r\n"
                body = b"x" * 500
                dripped, at_once = (head, b"") if where == "headers" else (body, head)
                try:
                    self.wfile.write(at_once)
                    for byte in dripped:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(pause)
                except OSError:
                    pass  # the client gave up, as it should

            def log_message(self, *args: object) -> None:
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/figure.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["headers", "body"])
def dripping(request: pytest.FixtureRequest) -> Iterator[DrippingServer]:
    server = DrippingServer(request.param)
    yield server
    server.close()


def test_a_dripping_server_hits_the_limit_for_the_whole_request(
    dripping: DrippingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each byte comes well within any per-read timeout; the request as a whole is cut."""
    monkeypatch.setattr(typeset.urls, "FETCH_TIMEOUT_SECONDS", 2)
    started = time.monotonic()
    with pytest.raises(UrlFetchError, match="within 2 s"):
        fetch_allowed(dripping.url)
    assert time.monotonic() - started < 4  # the drip alone would take 150 s
    time.sleep(0.5)
    assert not [t for t in threading.enumerate() if t.name == "typeset-fetch"]


def test_memory_capped_turns_a_runaway_allocation_into_memory_error() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryError), memory_capped(2 * 1024**3):
        bytearray(4 * 1024**3)
    assert resource.getrlimit(resource.RLIMIT_AS) == before


@pytest.mark.slow
def test_twenty_thousand_headings_fail_fast_at_the_line_beyond_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "\n".join(f"# Heading {n}\n\nText {n}.\n" for n in range(20_000))
    manuscript = tmp_path / "paper.md"
    manuscript.write_text(f"---\ntitle: Many\nlang: en-GB\ntoc: true\n---\n\n{body}")
    (tmp_path / "refs.bib").write_text("")
    started = time.monotonic()
    code = main(
        [
            *build_arguments(manuscript, tmp_path / "out"),
            "--force",
        ],
        project_dir=PROJECT,
    )
    assert code == 1
    assert time.monotonic() - started < 120
    error = capsys.readouterr().err
    first_beyond = 7 + MAX_HEADINGS * 4  # front matter, then four lines a heading
    assert f"paper.md:{first_beyond}: the manuscript has 20,000 headings" in error


def main_with_a_lower_limit(
    limit: str, value: int, arguments: list[str], *, cache: Path, **environment: str
) -> subprocess.CompletedProcess[str]:
    """`main(arguments)` in a Python of its own, with `typeset.commands.build.<limit>` lowered to
    `value`: the caps apply to a process, so the build must not be this one."""
    script = (
        "import sys, typeset.commands.build as pipeline\n"
        f"pipeline.{limit} = {value!r}\n"
        "from typeset.cli import main\n"
        f"sys.exit(main({arguments!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT),
            "TYPESET_CACHE_DIR": str(cache),
            **environment,
        },
    )


@pytest.mark.slow
def test_the_pdf_writer_at_its_memory_cap_is_a_clear_error(tmp_path: Path) -> None:
    """The cap lowered (in the build's own process) below what the essay's PDF needs."""
    completed = main_with_a_lower_limit(
        "WRITER_MEMORY_BYTES",
        300 * 1024**2,
        ["--to", "pdf", "--output-dir", str(tmp_path), "--force"],
        cache=tmp_path / "cache",
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "essay.md: the PDF writer ran out of its memory allowance (300 MB)" in completed.stderr
    assert not (tmp_path / "essay.pdf").exists()


@pytest.mark.slow
def test_the_pdf_writer_out_of_cpu_time_is_a_clear_error(tmp_path: Path) -> None:
    """A forked writer lays out a long manuscript (no split into parts), with 1 s of CPU
    (two formats: each is written in a process of its own)."""
    words = " ".join(f"word{n % 97}" for n in range(120))
    body = "\n".join(
        (f"## Part {n}\n\n" if n % 20 == 0 else "") + f"{words}.\n" for n in range(800)
    )
    manuscript = tmp_path / "long.md"
    manuscript.write_text(f"---\ntitle: Long\nlang: en-GB\n---\n\n{body}")
    (tmp_path / "refs.bib").write_text("")
    arguments = [
        "--manuscript", str(manuscript), "--bibliography", str(tmp_path / "refs.bib"),
        "--to", "pdf,docx", "--output-dir", str(tmp_path / "out"), "--force",
    ]  # fmt: skip
    completed = main_with_a_lower_limit(
        "WRITER_CPU_SECONDS", 1, arguments, cache=tmp_path / "cache", TYPESET_PDF_SPLIT="0"
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "long.md: the PDF writer ran out of" in completed.stderr
    assert "1 s of CPU time" in completed.stderr
    assert not (tmp_path / "out" / "long.pdf").exists()
