"""Explanation layer: attributions, baselines, ledgers and reliability (later issues)."""
