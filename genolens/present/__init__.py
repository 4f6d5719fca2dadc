"""Presentation layer: Plotly figures and reports, without Streamlit (later issues)."""
