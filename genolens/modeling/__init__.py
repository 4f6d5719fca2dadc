"""Modeling layer: simulated cohorts, networks, training and bundles (later issues)."""
