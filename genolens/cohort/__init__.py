"""Cohort jobs on Dask: every sample of a multi-sample VCF/BCF predicted and explained, written as Parquet.

- :func:`run_cohort_job`: convert to VCF Zarr once, select the panel sites, score chunks of samples on a
  ``distributed`` cluster (or in this process), write ``manifest.json`` and Parquet (layout in :mod:`.job`).
- :func:`dask_client`: a client on an existing scheduler, or on a private LocalCluster.
- :func:`default_chunk_size`: samples per chunk when the job is not told.

This package sits above the use cases (like the CLI): it runs the single-patient computations, chunk by chunk.
Nothing here imports Streamlit; dask, distributed, bio2zarr, zarr and pyarrow load only when a job runs.
"""

from genolens.cohort.job import FORMAT, JobSummary, dask_client, default_chunk_size, run_cohort_job

__all__ = ["FORMAT", "JobSummary", "dask_client", "default_chunk_size", "run_cohort_job"]
