"""Search terms marked in a result: ``<mark>`` around each match, in text only.

The message HTML is the sanitizer's output (messaging/formatting.py). It is
read with a parser and written back tag by tag as it was, so a mark is only
ever put in text, never inside a tag or an attribute (a link's href or title
may contain the word searched for); every piece of text is escaped again on
the way out.
"""

import re
import shlex
from html import escape
from html.parser import HTMLParser

from django.utils.safestring import SafeString, mark_safe

TERMS_MAX = 10  # as many words as the search itself uses


def search_terms(query: str) -> list[str]:
    """The words and "quoted phrases" a query looks for; ``-exclusions`` and ``or`` are not."""
    try:
        parts = shlex.split(query)
    except ValueError:  # an unbalanced quote: the words as typed
        parts = query.replace('"', " ").split()
    terms = []
    for part in parts:
        if part.startswith("-") or part.lower() == "or":
            continue
        term = part.strip(" \t\n.,;:!?()[]{}'\"*_`~")
        if term and term.lower() not in {t.lower() for t in terms}:
            terms.append(term)
    return terms[:TERMS_MAX]


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Longest first, so "pancakes" wins over "pan" where both match.
    alternatives = sorted((re.escape(term) for term in terms), key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _marked(text: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is None:
        return escape(text, quote=False)
    out, position = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[position : match.start()], quote=False))
        out.append(f"<mark>{escape(match.group(), quote=False)}</mark>")
        position = match.end()
    out.append(escape(text[position:], quote=False))
    return "".join(out)


class _Marker(HTMLParser):
    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        super().__init__(convert_charrefs=True)
        self.pattern = pattern
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(_marked(data, self.pattern))


def html_highlight(*, html: str, query: str) -> SafeString:
    """Sanitized message HTML with the query's terms marked in its text."""
    marker = _Marker(_pattern(search_terms(query)))
    marker.feed(html)
    marker.close()
    return mark_safe("".join(marker.out))  # noqa: S308 -- tags as sanitized, text escaped


def text_highlight(*, text: str, query: str) -> SafeString:
    """Plain text, escaped, with the query's terms marked."""
    return mark_safe(_marked(text, _pattern(search_terms(query))))  # noqa: S308 -- escaped
