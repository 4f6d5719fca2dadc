"""GenoLens: VCF -> prediction -> per-variant explanation, without Streamlit.

Importing this package must never import streamlit (a test checks it).
"""

__version__ = "0.1.0"
