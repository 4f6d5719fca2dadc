"""Process-wide settings of the dashboard, made once at start-up (``app.py`` calls :func:`configure`)."""

from __future__ import annotations

from genolens.explain import use_one_thread


def configure() -> None:
    """One PyTorch intra-op thread: the networks are tiny, and contended threads are ~10x slower on 2 cores."""
    use_one_thread()
