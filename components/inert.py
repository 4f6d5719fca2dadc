"""Untrusted text made inert: the one path by which file names, sample names, VCF-derived text and anything a
user typed reach the page or a CSV export.

Three functions, one per kind of place a string lands:

- :func:`plain` for anything Streamlit reads as markdown (``st.markdown``, ``st.caption``, alerts, metric, tab,
  expander and status labels, ``help`` tooltips, ``st.table`` cells): every ASCII punctuation mark is
  backslash-escaped, which CommonMark allows for every one of them, so no link, image, autolink, emphasis,
  code span, HTML tag, entity, table, heading, Streamlit colour/badge directive or LaTeX can start.
- :func:`short` for places that show text as it is (selectbox options, ``st.text_input``, ``st.dataframe``
  cells, download file names): no escaping (it would show), only the cleaning below.
- :func:`figure_text` for Plotly hover and legend text (a subset of HTML): :func:`short` with ``& < >`` as
  entities.
- :func:`csv_safe` for CSV exports: a text cell starting with ``= + - @``, a tab or a carriage return gets a
  leading single quote, so a spreadsheet reads it as text, never as a formula (OWASP, "CSV Injection").

Both :func:`plain` and :func:`short` first clean the text: control and invisible format characters (bidi
overrides, zero-width marks) are dropped, every run of white space (new lines included) becomes one space,
and with ``limit`` a longer text is cut in the middle with an ellipsis, so that a 50,000-character sample
name costs the page 120 characters. Names (:func:`name`, :func:`short`) are cut at :data:`NAME_LIMIT`.
"""

from __future__ import annotations

import html
import re
import string
import unicodedata

import pandas as pd

NAME_LIMIT = 120
"""The most characters of a file, sample or source name shown (longer names are cut in the middle with "…")."""

MESSAGE_LIMIT = 2_000
"""The most characters of an error message shown (it may quote names; its start and its advice are kept)."""

ELLIPSIS = "…"

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www)(?=\\[:.])|(?=\\@)")
"""Where GitHub-flavoured markdown would still make a link of escaped text: Streamlit's renderer finds ``http://``,
``www.`` and ``name@host`` in the text after escapes are read, so a word joiner (U+2060, invisible) breaks each."""
WORD_JOINER = "\u2060"
_SPACE = re.compile(r"\s+")
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
"""Unicode categories removed: controls, format characters (bidi, zero-width), surrogates, private, unassigned."""

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""


def clean(text: object, *, limit: int | None = None) -> str:
    """``text`` as one visible line, at most ``limit`` characters.

    Parameters
    ----------
    text
        Any value; ``str(text)`` is cleaned.
    limit
        Most characters kept (``None``: all). A longer text keeps its first two thirds and its end (a
        file name's extension stays visible) around an ellipsis.

    Returns
    -------
    str
        The text with control and format characters dropped and white space runs made one space.
    """
    raw = str(text)
    if limit is not None and len(raw) > 4 * limit:  # a huge name: clean only what can be shown
        raw = raw[: 2 * limit] + ELLIPSIS + raw[-2 * limit:]
    spaced = _SPACE.sub(" ", raw)
    kept = "".join(c for c in spaced
                   if " " <= c <= "~" or (not c.isascii() and unicodedata.category(c) not in _DROPPED))
    kept = _SPACE.sub(" ", kept) if len(kept) != len(spaced) else kept
    if limit is None or len(kept) <= limit:
        return kept
    head = max(limit * 2 // 3, 1)
    tail = max(limit - head - 1, 0)
    return kept[:head] + ELLIPSIS + (kept[-tail:] if tail else "")


def plain(text: object, *, limit: int | None = None) -> str:
    """``text`` cleaned (:func:`clean`) and escaped for Streamlit markdown: it shows literally, nothing renders.

    Star alleles such as ``*2/*2`` or ``HLA-B*57:01`` stay stars, never emphasis; a name such as
    ``![x](http://host/x.png)<img src=x>`` shows as those characters, and the browser fetches nothing. An
    invisible word joiner follows ``http``/``https``/``ftp``/``www`` and precedes ``@`` where a link could start.
    """
    escaped = _PUNCTUATION.sub(r"\\\1", clean(text, limit=limit))
    return _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, escaped)


def name(text: object) -> str:
    """A file, sample or source name for markdown: :func:`plain` cut at :data:`NAME_LIMIT` characters."""
    return plain(text, limit=NAME_LIMIT)


def message(text: object) -> str:
    """An error or warning message that may quote names, for markdown: :func:`plain` cut at :data:`MESSAGE_LIMIT`."""
    return plain(text, limit=MESSAGE_LIMIT)


def short(text: object) -> str:
    """A name for a place that shows text as it is (options, text inputs, table cells): :func:`clean` at
    :data:`NAME_LIMIT` characters, not escaped."""
    return clean(text, limit=NAME_LIMIT)


def code(text: object) -> str:
    """A short value (a genotype, a diplotype) as a markdown code span: :func:`short`, with no backtick that could
    close the span (inside a code span nothing else renders)."""
    return "`" + short(text).replace("`", "'") + "`"


def figure_text(text: object) -> str:
    """A name for a Plotly figure's hover, legend or axis text (Plotly reads a subset of HTML there, links
    included): :func:`short`, with ``& < >`` written as entities."""
    return html.escape(short(text), quote=False)


def file_stem(text: object) -> str:
    """``text`` made safe as part of a download file name: letters, digits, ``-``, ``_`` and ``.`` only, at most
    60 characters (``"x`![fn](http://h/fn.png)`"`` -> ``"x_fn_http_h_fn.png"``)."""
    stem = re.sub(r"[^\w.-]+", "_", clean(text), flags=re.ASCII).strip("._")
    return stem[:60] or "file"


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with ``= + - @``, tab or CR gets a leading
    single quote; every other value (numbers included: ``-0.12`` stays a number) is returned unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name through :func:`csv_cell`; numeric,
    boolean and categorical-number columns keep their values and dtypes."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        out[column] = series.astype(object).map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV without the index, through :func:`csv_safe`: the one way GenoLens writes a CSV
    export."""
    return csv_safe(frame).to_csv(index=False).encode("utf-8")
