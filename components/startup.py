"""Once per server process, at start: housekeeping that must not wait for a user (``app.py`` calls it)."""

from __future__ import annotations

import logging

import streamlit as st

from components import config
from components.errors import shown_errors
from genolens.genome import sweep_stale_uploads
from genolens.genome.isolated import keep_worker_warm
from genolens.genome.vcf_check import InputLimits

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
    keep_worker_warm()  # after the sweep: the first upload's read finds a worker already started
    return removed


@st.cache_resource(show_spinner=False)
def _configured_limits() -> InputLimits:
    return config.input_limits()  # an invalid table raises, which is not cached: every session says so


def input_limits() -> InputLimits:
    """Put genolens.toml's ``[input_limits]`` in force, once per server process; an invalid table stops
    every page with a message naming the key (a server with wrong limits serves nothing)."""
    with shown_errors("reading [input_limits] in genolens.toml"):
        return _configured_limits()
    raise AssertionError("unreachable: shown_errors stops the page")  # pragma: no cover
