"""Streamlit building blocks of the GenoLens dashboard.

The only package besides ``app.py`` and ``pages/`` that imports streamlit. Components call the
domain (``genolens``) through the cached wrappers in ``components.cached``.
"""
