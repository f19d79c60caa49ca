"""Untrusted manuscripts: nothing outside the manuscript's folder, nothing from the network."""

from __future__ import annotations

import base64
import http.server
import socketserver
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import config_for, epub_xhtml, pdf_text
from typeset import build

pytestmark = pytest.mark.slow  # real builds, subprocesses or Chromium

# A 1x1 PNG, to serve and to reference.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SECRET = "TOP-SECRET-FILE-CONTENT"


class CountingServer:
    """A loopback HTTP server that counts the requests it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PIXEL)))
                self.end_headers()
                self.wfile.write(PIXEL)

            def log_message(self, *args: object) -> None:
                pass

        self.server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    running = CountingServer()
    yield running
    running.close()


def hostile_manuscript(folder: Path, url: str, secret: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs.bib").write_text("@book{a, title={A Book}, author={Doe, Jane}, year=2001}\n")
    manuscript = folder / "paper.md"
    manuscript.write_text(
        f"---\ntitle: Hostile\nlang: en\ncss: {secret}\ncover-image: {secret}\n"
        f"header-includes: '<script>alert(1)</script>'\n---\n\n"
        f"Text citing [@a].\n\n"
        f"![remote pixel]({url}/markdown.png)\n\n"
        f'<img src="{url}/raw.png" alt="raw remote">\n\n'
        f'<img src="file://{secret}" alt="local secret">\n\n'
        f"![escape]({secret})\n\n"
        f"<script>document.write('owned')</script>\n\n"
        f'<p onclick="steal()">clickable</p>\n'
    )
    return manuscript


def build_hostile(tmp_path: Path, url: str, **options: object) -> dict[str, Path]:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    manuscript = hostile_manuscript(tmp_path / "paper", url, secret)
    config = config_for(manuscript, output_dir=tmp_path / "out", **options)
    return build(config, force=True).outputs


def everything_in(epub: Path) -> str:
    with zipfile.ZipFile(epub) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_by_default_nothing_is_fetched_and_nothing_outside_is_read(
    tmp_path: Path, server: CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    outputs = build_hostile(tmp_path, server.url)
    assert server.requests == []
    epub = everything_in(outputs["epub"])
    assert SECRET not in epub and SECRET not in pdf_text(outputs["pdf"])
    with zipfile.ZipFile(outputs["docx"]) as docx:
        assert all(SECRET.encode() not in docx.read(n) for n in docx.namelist())
    xhtml = epub_xhtml(outputs["epub"])
    assert "<script" not in xhtml and "onclick" not in xhtml
    assert "remote pixel" in xhtml  # the alt text stands in for the refused image
    warnings = caplog.text
    assert "paper.md:" in warnings and "not fetched" in warnings


def test_an_allowed_url_prefix_is_fetched(tmp_path: Path, server: CountingServer) -> None:
    build_hostile(tmp_path, server.url, allowed_urls=[server.url + "/"])
    assert any(path.endswith("markdown.png") for path in server.requests)


def test_images_inside_the_manuscript_folder_still_work(tmp_path: Path) -> None:
    folder = tmp_path / "paper"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "pixel.png").write_bytes(PIXEL)
    (folder / "refs.bib").write_text("@book{a, title={A}, author={Doe, J}, year=2001}\n")
    (folder / "paper.md").write_text(
        "---\ntitle: Local\nlang: en\n---\n\n[@a]\n\n![A pixel](figures/pixel.png)\n"
    )
    config = config_for(folder / "paper.md", output_dir=tmp_path / "out", formats="epub")
    epub = build(config, force=True).outputs["epub"]
    with zipfile.ZipFile(epub) as archive:
        assert any(name.endswith(".png") and "cover" not in name for name in archive.namelist())
