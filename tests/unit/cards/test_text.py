"""The escaper every card uses: hostile text renders literally, loses invisible characters and stays short."""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import text as t
from tests.cardcheck import literal

BIG = 1_000_000
MARKDOWN_CHARACTERS = set("\\`*_{}[]()<&~")
ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
BLOCK_MARKER = re.compile(r"[#>+-]|\d+[.)]")
TRICKY = "*_[]()<>#&`~{}\\-+.!|:=12 \n\r\t\x00\x1b\x85\u2028\u200b\u200d\u202e\u2066\ufeff\u0301\u3164e\u00e9\U0001f600"
texts = st.one_of(st.text(), st.text(alphabet=TRICKY))


@pytest.mark.parametrize(("hostile", "escaped"), [
    ("**bold** and _it_", r"\*\*bold\*\* and \_it\_"),
    ("[click](http://evil.example)", r"\[click\]\(http://evil.example\)"),
    ("![img](http://evil.example/x.png)", r"!\[img\]\(http://evil.example/x.png\)"),
    ("<b>html</b> <http://evil.example>", r"\<b>html\</b> \<http://evil.example>"),
    ("&amp; &#42;", r"\&amp; \&#42;"),
    ("`code` ~~struck~~", r"\`code\` \~\~struck\~\~"),
    ("{{DATE(2030-01-01T00:00:00Z, LONG)}}", r"\{\{DATE\(2030-01-01T00:00:00Z, LONG\)\}\}"),
    ("# heading", r"\# heading"),
    ("> quote", r"\> quote"),
    ("- bullet", r"\- bullet"),
    ("+ bullet", r"\+ bullet"),
    ("12. numbered", r"12\. numbered"),
    ("3) numbered", r"3\) numbered"),
    ("a - b # c > d 1. e", "a - b # c > d 1. e"),
    ("C:\\temp\\new", r"C:\\temp\\new"),
    ("aws+prod-01@example.com", "aws+prod-01@example.com"),
])
def test_markdown_renders_literally(hostile, escaped):
    assert t.md(hostile, 200) == escaped
    assert literal(escaped) == hostile


@pytest.mark.parametrize(("hostile", "shown"), [
    ("pay\u202emoc.lave\u202c", "paymoc.lave"),
    ("ad\u200bmin\u200d\ufeff\u00ad", "admin"),
    ("\u2066isolate\u2069 \u200eltr\u200f", "isolate ltr"),
    ("bell\x07 nul\x00 esc\x1b[31m", "bell nul esc[31m"),
    ("one\ntwo\r\nthree\u2028four\tfive", "one two three four five"),
    ("  spaced   out  ", "spaced out"),
    ("hangul\u3164filler", "hangulfiller"),
    ("x" + "\u0301" * 30, "x" + "\u0301" * 4),
    ("caf\u0065\u0301", "caf\u00e9"),
    ("\U0001f600 ok", "\U0001f600 ok"),
    (None, ""),
    (12345, "12345"),
])
def test_invisible_and_control_characters_are_dropped(hostile, shown):
    assert t.clean(hostile, 100) == shown
    assert literal(t.md(hostile, 100)) == shown


def test_multiline_text_keeps_paragraphs_only():
    text = "first line\nsame paragraph\n\n\n\n- not a list\n1. not numbered\n\n  # not a heading"
    assert t.md(text, 500, multiline=True) == (
        "first line same paragraph\n\n\\- not a list 1. not numbered\n\n\\# not a heading")


def test_long_text_is_cut_with_an_ellipsis():
    assert t.md("a" * 500, 100) == "a" * 99 + "\u2026"
    assert t.clean("word " * 100, 12) == "word word w\u2026"
    assert t.clean("word " * 100, 11) == "word word\u2026"


def test_a_cut_never_leaves_half_an_escape():
    cut = t.md("*" * 100, 12)
    assert cut == r"\*\*\*\*\*" + "\u2026"
    assert t.md("\\" * 100, 12) == "\\\\" * 5 + "\u2026"


def test_huge_input_costs_only_its_start():
    assert t.md("x" * 5_000_000, 50) == "x" * 49 + "\u2026"
    assert t.clean("\u200b" * 5_000 + "hidden", 10) == "\u2026"


def test_plain_text_breaks_up_text_functions():
    assert t.clean("{{DATE(2030-01-01T00:00:00Z)}} {{{x", 100) == "{ {DATE(2030-01-01T00:00:00Z)}} { { {x"


def test_input_values_are_cut_without_an_ellipsis():
    assert t.clean("n" * 80, 50, ellipsis=False) == "n" * 50


def test_quoted_text_is_cleaned_and_short():
    assert t.quoted("look\u202eup " + "x" * 100, 10) == "\u201clookup xx\u2026\u201d"


@pytest.mark.parametrize(("value", "limit", "kept"), [
    ("aws-0001@example.com", 254, "aws-0001@example.com"),
    ("a" * 300, 254, "a" * 254),
    ("\U0001f600" * 100, 254, "\U0001f600" * 21),  # 12 bytes of JSON each
    (None, 254, ""),
])
def test_action_data_is_kept_within_its_byte_limit(value, limit, kept):
    assert t.token(value, limit) == kept


# --- properties ------------------------------------------------------------------------------------------------

def _invisible(text: str, multiline: bool) -> set[str]:
    allowed = {"\n"} if multiline else set()
    return {c for c in text if c not in allowed and unicodedata.category(c) in ("Cc", "Cf", "Cs")}


@settings(max_examples=300)
@given(value=texts, limit=st.integers(min_value=1, max_value=700), multiline=st.booleans())
def test_markdown_escaper_output_is_always_safe(value, limit, multiline):
    out = t.md(value, limit, multiline=multiline)
    assert len(out) <= limit
    assert "{{" not in out
    assert not _invisible(out, multiline)
    unescaped = ESCAPE.sub("", out)
    assert not MARKDOWN_CHARACTERS & set(unescaped)
    assert not any(BLOCK_MARKER.match(line) for line in out.split("\n"))


@settings(max_examples=300)
@given(value=texts, limit=st.integers(min_value=2, max_value=700), multiline=st.booleans())
def test_markdown_escaper_loses_nothing_but_the_cut(value, limit, multiline):
    full = t.md(value, BIG, multiline=multiline)
    out = t.md(value, limit, multiline=multiline)
    if out != full:
        assert out.endswith(t.ELLIPSIS)
        assert literal(full).startswith(literal(out[:-1]))
    assert t.clean(value, BIG, multiline=multiline) == re.sub(r"\{(?=\{)", "{ ", literal(full))


@given(value=texts, limit=st.integers(min_value=1, max_value=700), multiline=st.booleans(), ellipsis=st.booleans())
def test_plain_cleaner_output_is_always_safe(value, limit, multiline, ellipsis):
    out = t.clean(value, limit, multiline=multiline, ellipsis=ellipsis)
    assert len(out) <= limit
    assert "{{" not in out
    assert not _invisible(out, multiline)
    assert multiline or "\n" not in out
