"""URL rules shared by everything that may fetch: the sanitizer and the PDF writer."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote, urlparse


def url_is_under(url: str, prefix: str) -> bool:
    """True when `url` starts with `prefix` at a path boundary.

    A bare prefix match would let "https://example.org" admit
    "https://example.org.attacker.net/"; the prefix must end the host or a path segment.
    """
    if not url.startswith(prefix) or _has_dot_segments(url):
        return False
    if prefix.endswith(("/", "?", "#", "=", "&")):
        return True
    rest = url[len(prefix) :]
    return rest == "" or rest[0] in "/?#"


def _has_dot_segments(url: str) -> bool:
    """True for a path with "." or ".." segments, even percent-encoded.

    "https://host/allowed/../private" passes a prefix test, but the server resolves it
    outside the allowed folder.
    """
    segments = unquote(urlparse(url).path).split("/")
    return "." in segments or ".." in segments


# Fetching an allowed URL: one request, no redirects, bounded in time and size. The time
# is the whole request's (connection, headers, body), not each read's: a server that
# drips a byte every two seconds would never trip a per-read timeout.
FETCH_TIMEOUT_SECONDS = 15


class UrlFetchError(Exception):
    """An allowed URL could not be fetched within the rules (status, redirect, size)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is returned as an error, never followed


class _RecordedConnections:
    """HTTP(S) handlers that keep each connection they open, so that a request past its
    deadline can be cut off from outside (shutting its socket ends any blocked read)."""

    def __init__(self) -> None:
        # The sockets, recorded at connection: urllib detaches a connection's socket once
        # the headers are in, and the body is read from it alone.
        self.sockets: list[socket.socket] = []
        self.cancelled = False
        recorded = self

        class Http(urllib.request.HTTPHandler):
            def http_open(self, request: Any) -> Any:
                return self.do_open(recorded.opened(http.client.HTTPConnection), request)

        class Https(urllib.request.HTTPSHandler):
            def https_open(self, request: Any) -> Any:
                return self.do_open(
                    recorded.opened(http.client.HTTPSConnection),
                    request,
                    context=self._context,  # type: ignore[attr-defined]
                )

        self.handlers = (Http(), Https())

    def opened(self, kind: type[http.client.HTTPConnection]) -> Any:
        def connection(host: str, **options: Any) -> http.client.HTTPConnection:
            made = kind(host, **options)
            connect = made.connect

            def recorded_connect() -> None:
                connect()
                self.sockets.append(made.sock)
                if self.cancelled:  # connected only after the deadline
                    self.cut_off()

            made.connect = recorded_connect  # type: ignore[method-assign]
            return made

        return connection

    def cut_off(self) -> None:
        self.cancelled = True
        for connected in self.sockets:
            with contextlib.suppress(OSError):
                connected.shutdown(socket.SHUT_RDWR)


def fetch_allowed(url: str, *, max_bytes: int | None = None) -> bytes:
    """The body of `url` (the caller has checked it is allowed), within
    FETCH_TIMEOUT_SECONDS for the whole request: no redirect is followed, as an allowed
    server could otherwise bounce the request to a private address."""
    recorded = _RecordedConnections()
    outcome: dict[str, Any] = {}

    def fetch() -> None:
        try:
            outcome["data"] = _fetch(url, max_bytes, recorded)
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error

    worker = threading.Thread(target=fetch, name="typeset-fetch", daemon=True)
    worker.start()
    worker.join(FETCH_TIMEOUT_SECONDS)
    if worker.is_alive():
        recorded.cut_off()
        raise UrlFetchError(f"no complete answer within {FETCH_TIMEOUT_SECONDS} s")
    if "error" in outcome:
        raise outcome["error"]
    data: bytes = outcome["data"]
    return data


def _fetch(url: str, max_bytes: int | None, recorded: _RecordedConnections) -> bytes:
    from typeset.limits import MAX_FETCHED_BYTES

    limit = max_bytes or MAX_FETCHED_BYTES
    opener = urllib.request.build_opener(
        _NoRedirects, urllib.request.ProxyHandler({}), *recorded.handlers
    )
    request = urllib.request.Request(url, headers={"User-Agent": "typeset"})
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise UrlFetchError(f"HTTP {response.status}")
            data: bytes = response.read(limit + 1)
    except urllib.error.HTTPError as error:
        raise UrlFetchError(
            f"HTTP {error.code}"
            + (" (redirects are not followed)" if 300 <= error.code < 400 else "")
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise UrlFetchError(str(getattr(error, "reason", error))[:120]) from None
    if len(data) > limit:
        raise UrlFetchError(f"larger than {limit // (1024 * 1024)} MB")
    return data
