"""Once per server process, at start: housekeeping that must not wait for a user (``app.py`` calls it)."""

from __future__ import annotations

import logging

import streamlit as st

from genolens.genome import sweep_stale_uploads

_LOG = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def sweep_temp_folders() -> tuple[str, ...]:
    """Remove the upload, worker and reader folders a crashed or killed server left in the temp folder.

    Runs once per server process (``st.cache_resource``; later sessions get the cached answer).
    :func:`genolens.genome.spool.is_stale` says which folders count as left behind: never one a live
    process owns. Returns the names of the folders removed.
    """
    removed = tuple(p.name for p in sweep_stale_uploads())
    if removed:
        _LOG.info("Removed %d stale temporary folder(s): %s", len(removed), ", ".join(removed))
    return removed
