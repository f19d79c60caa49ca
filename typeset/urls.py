"""URL rules shared by everything that may fetch: the sanitizer and the PDF writer."""

from __future__ import annotations

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
