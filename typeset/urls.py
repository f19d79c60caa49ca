"""URL rules shared by everything that may fetch: the sanitizer and the PDF writer."""

from __future__ import annotations

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


# Fetching an allowed URL: one request, no redirects, bounded in time and size.
FETCH_TIMEOUT_SECONDS = 15


class UrlFetchError(Exception):
    """An allowed URL could not be fetched within the rules (status, redirect, size)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is returned as an error, never followed


def fetch_allowed(url: str, *, max_bytes: int | None = None) -> bytes:
    """The body of `url` (the caller has checked it is allowed): no redirect is followed,
    as an allowed server could otherwise bounce the request to a private address."""
    from typeset.limits import MAX_FETCHED_BYTES

    limit = max_bytes or MAX_FETCHED_BYTES
    opener = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))
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
