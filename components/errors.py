"""The one place that turns a GenoLensError into a message on the page.

A ``GenoLensError`` is something the user can act on: it is shown with ``st.error`` and the page
stops there (widgets above it keep working, so another file or option can be chosen). Anything
else is a bug: it is logged server-side with its traceback and the browser sees only a short
notice (``client.showErrorDetails = "none"`` hides tracebacks Streamlit itself would show).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from components import inert
from genolens.errors import (
    BuildError,
    CohortError,
    GenoLensError,
    OutsideCallError,
    PanelError,
    PatientDetailsError,
    SampleError,
    VcfReadError,
)

_log = logging.getLogger("genolens.dashboard")

_HEADINGS: dict[type[GenoLensError], str] = {
    VcfReadError: "This file cannot be read.",
    SampleError: "Sample problem.",
    BuildError: "Genome build problem.",
    PanelError: "Variant panel problem.",
    PatientDetailsError: "Patient details problem.",
    OutsideCallError: "Outside calls cannot be read.",
    CohortError: "This file cannot be scored as a cohort.",
}


def heading(exc: GenoLensError) -> str:
    """Return the short bold heading shown above the message of ``exc``."""
    for cls in type(exc).__mro__:
        if cls in _HEADINGS:
            return _HEADINGS[cls]
    return "GenoLens cannot continue."


@contextmanager
def shown_errors(doing: str) -> Iterator[None]:
    """Show a GenoLensError raised inside the block and stop the page; log anything else.

    ``doing`` names the step for the log and the bug notice, e.g. ``"reading HG00268.g.vcf.gz"``. Both it and
    the error's message may quote a file or sample name: they are shown through :func:`components.inert.message`.
    """
    try:
        yield
    except GenoLensError as exc:
        st.error(f"**{heading(exc)}** {inert.message(exc)}", icon=":material/block:")
        st.stop()
    except Exception:  # a bug, not a user error: keep the traceback on the server
        _log.exception("Unexpected error while %s", inert.clean(doing, limit=inert.MESSAGE_LIMIT))
        st.error(
            f"**GenoLens hit an internal error while {inert.message(doing)}.** The details were logged on the "
            "server; nothing was shown or sent elsewhere. Try again, or another file.",
            icon=":material/bug_report:",
        )
        st.stop()
