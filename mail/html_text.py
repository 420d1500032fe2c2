"""HTML mail bodies to the plain text a reader would see, using only the standard library's html.parser."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_LINES = frozenset("address article aside caption center dd div dl dt fieldset figcaption figure footer form "
                   "header li main nav section tbody tfoot thead tr".split())  # start on a new line
_PARAGRAPHS = frozenset("blockquote h1 h2 h3 h4 h5 h6 ol p pre table ul".split())  # set off by a blank line
_CELLS = frozenset({"td", "th"})
_INVISIBLE = frozenset({"script", "style", "head", "title", "template", "noframes", "object", "svg"})
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.I)
_SPACES = re.compile(r"[ \t\f\v\xa0\u200b\u200c\u2007\u202f]+")
_TAG = re.compile(r"<[^>]*>?")
# A "<" with no ">" before the next "<": html.parser rescans the rest of the input for each of those,
# which is quadratic ("<a" * 300_000 takes minutes on 3.11). As text they cost nothing.
_UNCLOSED_LT = re.compile(r"<(?=[^<>]*(?:<|\Z))")


class _Text(HTMLParser):
    """Collects visible text; block elements become line breaks, hidden elements are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden: list[str] = []  # tags whose content is not shown, innermost last
        self._pre = 0
        self._breaks = 2  # line breaks at the end of the text so far; the start counts as a paragraph break

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a <head> someone forgot to close ends here
            self._hidden.clear()
        if tag in _VOID:
            self._void(tag)
            return
        if self._hidden or tag in _INVISIBLE or _is_hidden(attrs):
            self._hidden.append(tag)
            return
        if tag == "pre":
            self._pre += 1
        self._block(tag)
        if tag == "li":
            self._write("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag in self._hidden:  # close up to the matching tag; unclosed inner tags go with it
                del self._hidden[len(self._hidden) - 1 - self._hidden[::-1].index(tag):]
            return
        if tag == "pre" and self._pre:
            self._pre -= 1
        self._block(tag)
        if tag in _CELLS:
            self._write(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._write(data if self._pre else _SPACES.sub(" ", data.replace("\n", " ").replace("\r", " ")))

    def _void(self, tag: str) -> None:
        if self._hidden:
            return
        if tag == "br":
            self.chunks.append("\n")
            self._breaks += 1
        elif tag == "hr":
            self._break(2)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._break(2)
        elif tag in _LINES:
            self._break(1)

    def _break(self, wanted: int) -> None:
        if self._breaks < wanted:
            self.chunks.append("\n" * (wanted - self._breaks))
            self._breaks = wanted

    def _write(self, text: str) -> None:
        self.chunks.append(text)
        if text.strip():
            self._breaks = text.count("\n", len(text.rstrip("\n")))  # newlines in pre text count too


def _is_hidden(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if name == "hidden":
            return True
        if name == "style" and value and _HIDDEN_STYLE.search(value):
            return True
    return False


def html_to_text(markup: str) -> str:
    """Visible text of the markup: scripts, styles and hidden parts dropped, link text kept, entities decoded."""
    parser = _Text()
    markup = _UNCLOSED_LT.sub("&lt;", markup)
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.chunks)
    except Exception:  # html.parser still asserts on some broken markup; fall back to stripping tags
        text = html.unescape(_TAG.sub(" ", markup))
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
