"""Private-use marker characters that carry information through citeproc-py."""

from __future__ import annotations

import re

# Private-use characters carry information through citeproc-py's string handling, which
# treats them as ordinary caseless letters. Affix markers come from plane 15 (one code
# point per prefix or suffix); the others from the BMP private-use area.
_AFFIX_MARKER_BASE = 0xF0000
_AFFIX_MARKER = re.compile("([\U000f0000-\U000ffffd])")
_LINK_END = "\ue000"
_AUTHOR_START = "\ue001"
_AUTHOR_END = "\ue002"
_ALL_MARKERS = re.compile("[\ue000-\ue002\U000f0000-\U000ffffd]")
