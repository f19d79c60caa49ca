"""The front matter's `date`, as authors write it, read into a calendar date.

Authors write "2025-03-14", "14. März 2025", "March 14, 2025", "14 March 2025",
"September 2025", "2025-03" or "2025". The EPUB package needs a W3C date (`dc:date`,
YYYY[-MM[-DD]]); the title block prints the date in the document's language. Month names
come from babel (CLDR), in the document's language and English, full and abbreviated.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import babel
import babel.dates

from typeset.names import SOURCE_DATE_EPOCH_VARIABLE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalendarDate:
    """A year, optionally a month, optionally a day: what a manuscript's date says."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def w3c(self) -> str:
        """The W3C (ISO 8601 profile) form EPUB's dc:date takes."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_WORD = re.compile(r"[^\W\d_]+\.?", re.UNICODE)
_NUMBER = re.compile(r"\d+")


def parse_date(text: str, lang: str | None = None) -> CalendarDate | None:
    """The date `text` names, or None when it is not one this reader understands."""
    text = " ".join(text.split())
    iso = _ISO.match(text)
    if iso:
        year, month, day = (int(part) if part else None for part in iso.groups())
        return _checked(year or 0, month, day)
    numeric = _NUMERIC.match(text)
    if numeric:
        first, second, year = (int(part) for part in numeric.groups())
        return _numeric_date(first, second, year, lang)
    months = _month_numbers(_locale_name(lang))
    month = None
    remainder = text
    for word in _WORD.findall(text):
        number = months.get(_folded(word))
        if number is not None:
            month = number
            remainder = remainder.replace(word, " ", 1)
            break
    if month is None:
        return None
    numbers = [int(number) for number in _NUMBER.findall(remainder)]
    if any(
        _WORD.fullmatch(word) and _folded(word) not in _FILLER for word in _WORD.findall(remainder)
    ):
        return None  # other words ("Spring", "circa"): not a date we can be sure of
    years = [number for number in numbers if number >= 1000]
    days = [number for number in numbers if number < 1000]
    if len(years) != 1 or len(days) > 1:
        return None
    return _checked(years[0], month, days[0] if days else None)


# `01-27-2025`, `27/01/2025`, `27.01.2025`: numbers only, the year last (as Quarto reads
# `date:`, month first in American English, day first elsewhere, unless only one order
# gives a real date).
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_MONTH_FIRST = frozenset({"en-us", "en"})


def _numeric_date(first: int, second: int, year: int, lang: str | None) -> CalendarDate | None:
    month_first = (lang or "en-US").lower() in _MONTH_FIRST
    if first > 12:
        month_first = False
    elif second > 12:
        month_first = True
    month, day = (first, second) if month_first else (second, first)
    return _checked(year, month, day)


# Words that may stand between the parts of a date: "le 14 mars 2025", "14th of March".
_FILLER = frozenset({"of", "the", "st", "nd", "rd", "th", "le", "de", "del", "den", "am", "er"})


def format_date(date: CalendarDate, lang: str | None) -> str:
    """The date as a reader of `lang` writes it: "14 March 2025", "14. März 2025"."""
    locale = _locale_name(lang)
    if date.month is None:
        return str(date.year)
    moment = datetime.date(date.year, date.month, date.day or 1)
    if date.day is None:
        return babel.dates.format_skeleton("yMMMM", moment, locale=locale)
    return babel.dates.format_date(moment, format="long", locale=locale)


def _checked(year: int, month: int | None, day: int | None) -> CalendarDate | None:
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None:
        try:
            datetime.date(year, month or 1, day)
        except ValueError:
            return None
    return CalendarDate(year, month, day)


def _locale_name(lang: str | None) -> str:
    """A babel locale for a BCP 47 tag (`de-DE` -> de_DE); English when unknown."""
    if lang:
        try:
            return str(babel.Locale.parse(lang.replace("-", "_")))
        except (ValueError, babel.UnknownLocaleError):
            pass
    return "en"


def _folded(word: str) -> str:
    """Lower case, no accents, no trailing period: "März" and "marz." match "mär"."""
    decomposed = unicodedata.normalize("NFKD", word.rstrip(".").casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


@functools.cache
def _month_numbers(locale: str) -> dict[str, int]:
    """Month names, full and abbreviated, of `locale` and of English -> 1..12."""
    numbers: dict[str, int] = {}
    for name in dict.fromkeys(("en", locale)):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, month in babel.dates.get_month_names(width, context, name).items():
                    numbers.setdefault(_folded(month), number)
    return numbers


def build_time(environ: Mapping[str, str] = os.environ) -> datetime.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now; always UTC.

    See https://reproducible-builds.org/specs/source-date-epoch/. WeasyPrint 70 itself
    ignores the variable and only writes dates it is given.
    """
    epoch = environ.get(SOURCE_DATE_EPOCH_VARIABLE, "").strip()
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
        except (ValueError, OverflowError, OSError):
            log.warning("ignoring SOURCE_DATE_EPOCH=%r: not a Unix timestamp", epoch)
    return datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)


def build_day() -> datetime.date:
    """The day of the build (`build_time`): Quarto's `date: today`, LaTeX's `\\today`."""
    return build_time().date()
