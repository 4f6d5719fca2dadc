"""Genome layer: panels, VCF reading, build detection, encoding and QC."""
