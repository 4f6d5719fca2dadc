"""A cohort VCF/BCF as VCF Zarr: converted once (bio2zarr), cached by the input's SHA-256, read by chunk of samples.

The store follows sgkit's variable names: ``sample_id``, ``contig_id``, ``variant_contig``, ``variant_position``,
``variant_allele``, ``variant_filter`` with ``filter_id``, ``variant_END`` (gVCF blocks, when the header declares
INFO/END) and ``call_genotype`` (int8, shape (variants, samples, ploidy); -1 a missing allele, -2 the padding of a
sample whose ploidy is lower than the record's).

Panel sites are selected here, once, on the driver: a site's records are those whose POS is the site and the gVCF
reference blocks that cover it, exactly as :meth:`genolens.genome.vcf.VcfFile.read_sites` keeps them for one
patient. Workers then read only ``call_genotype`` at those rows for their own samples.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genolens.datamodel import Build, CohortRecord, VcfInfo
from genolens.errors import CohortJobError, VcfReadError
from genolens.genome.build import normalise_chrom
from genolens.genome.vcf import index_vcf, read_header
from genolens.modeling.bundle import Bundle
from genolens.modeling.cohort_vcf import BgzfWriter

Site = tuple[str, int]
"""(normalised chromosome, position) on the file's build."""


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 16 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(16 << 20):
            h.update(piece)
    return h.hexdigest()


def zarr_path(results: Path, sha256: str) -> Path:
    """Where the VCF Zarr copy of the input with this hash lives inside a results folder."""
    return results / "vcz" / f"{sha256[:16]}.vcz"


def convert_once(vcf: str | os.PathLike[str], results: Path, sha256: str, *, samples_chunk_size: int,
                 show_progress: bool = False, client: Any = None) -> Path:
    """Convert ``vcf`` to VCF Zarr under ``results/vcz/`` unless a complete copy for ``sha256`` is there.

    bio2zarr explodes the file into its intermediate columnar format, then encodes it; both go to private
    temporary folders that are renamed into place only when complete, so an interrupted conversion is redone.
    With a ``distributed.Client`` the partitions of both steps are Dask tasks on its workers (bio2zarr's
    distributed API: ``explode_init``/``explode_partition``/``explode_finalise``, then the same for encoding);
    the workers must see ``results`` at the same path, as for the chunks.
    It splits a file with several chromosomes by its tabix index, so a file without one is read through a private
    indexed copy (:func:`_indexed`), removed with the temporary folders.

    Raises
    ------
    CohortJobError
        When the header declares no contig (bio2zarr needs ``##contig`` lines) or bio2zarr refuses the file.
    """
    target = zarr_path(results, sha256)
    if target.is_dir():
        return target
    info = read_header(vcf)  # a VcfReadError here says what is wrong with the file itself
    if not info.contigs:
        raise CohortJobError(f"{Path(vcf).name} declares no ##contig lines; converting it to VCF Zarr needs them. "
                             "Add them (e.g. bcftools reheader --fai REFERENCE.fa.fai) and run the job again.")
    from bio2zarr import vcf as b2z  # heavy: only when a conversion is due

    target.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp, icf = target.parent / f".{target.name}.tmp-{token}", target.parent / f".icf-{token}"
    work = target.parent / f".input-{token}"
    try:
        source = _indexed(Path(vcf), info, work)
        if client is None:
            b2z.convert([os.fspath(source)], os.fspath(tmp), samples_chunk_size=samples_chunk_size,
                        worker_processes=0, show_progress=show_progress, icf_path=os.fspath(icf))
        else:
            _convert_on(client, source, icf, tmp, samples_chunk_size)
        tmp.rename(target)
    except (ValueError, KeyError, OSError, RuntimeError) as exc:
        raise CohortJobError(f"bio2zarr could not convert {Path(vcf).name} to VCF Zarr "
                             f"({type(exc).__name__}: {exc}). A file with several chromosomes must be sorted by "
                             "chromosome and position (bcftools sort); check it with bcftools view, then run the job "
                             "again.") from None
    finally:
        for folder in (icf, tmp, work):
            shutil.rmtree(folder, ignore_errors=True)
    return target


def _convert_on(client: Any, source: Path, icf: Path, tmp: Path, samples_chunk_size: int) -> None:
    """bio2zarr's conversion with every explode and encode partition a Dask task (four per worker, as bio2zarr's
    own heuristic for its process pool)."""
    from bio2zarr import vcf as b2z
    from bio2zarr import vcz

    target = max(1, 4 * len(client.scheduler_info()["workers"]))
    n = b2z.explode_init(os.fspath(icf), [os.fspath(source)], target_num_partitions=target,
                         worker_processes=0).num_partitions
    client.gather(client.map(b2z.explode_partition, [os.fspath(icf)] * n, range(n), pure=False))
    b2z.explode_finalise(os.fspath(icf))
    n = b2z.encode_init(os.fspath(icf), os.fspath(tmp), target, samples_chunk_size=samples_chunk_size).num_partitions
    client.gather(client.map(b2z.encode_partition, [os.fspath(tmp)] * n, range(n), pure=False))
    b2z.encode_finalise(os.fspath(tmp))
    vcz.VcfZarrWriter(b2z.IntermediateColumnarFormat, tmp).create_index()  # as bio2zarr's own encode() ends


def _indexed(vcf: Path, info: VcfInfo, work: Path) -> Path:
    """The input as bio2zarr splits it by chromosome: bgzipped, with a tabix index beside it, in ``work``.

    A file with an index is passed as it is; a bgzipped one without gets a private link, indexed; a plain or
    gzip (not bgzip) VCF gets a private bgzipped copy, indexed. When the index cannot be built (records not
    sorted) the input is passed as it is: bio2zarr reads one chromosome without an index and refuses the rest.
    """
    if info.index is not None:
        return vcf
    work.mkdir()
    if info.compression == "bgzf":
        source = work / vcf.name
        source.symlink_to(vcf.resolve())
    else:
        source = work / (vcf.name if vcf.name.endswith(".gz") else f"{vcf.name}.gz")
        _bgzip_copy(vcf, source, gzipped=info.compression == "gzip")
    try:
        index_vcf(source)
    except VcfReadError:
        return vcf
    return source


def _bgzip_copy(vcf: Path, target: Path, *, gzipped: bool) -> None:
    """Write the text of a plain or gzip-compressed VCF to ``target`` as bgzip, 1 MiB at a time."""
    out = BgzfWriter(target, level=4)
    try:
        with gzip.open(vcf, "rb") if gzipped else open(vcf, "rb") as fh:
            while piece := fh.read(1 << 20):
                out.write(piece)
    finally:
        out.close()


def open_store(path: Path) -> Any:
    """Open a VCF Zarr store read-only (a ``zarr.Group``)."""
    import zarr

    return zarr.open_group(os.fspath(path), mode="r")


def sample_ids(store: Any) -> tuple[str, ...]:
    """Sample names in column order."""
    return tuple(str(s) for s in store["sample_id"][:])


@dataclass(frozen=True)
class SiteRows:
    """The store's rows at the panel sites, with what every record says apart from genotypes."""

    rows: np.ndarray
    """int64, shape (n_rows,): ascending ``variants`` indices of the records kept."""
    records: tuple[CohortRecord, ...]
    """One per row, without genotypes (``gt=None``); chromosome as written in the file."""
    sites: dict[Site, tuple[int, ...]]
    """Site -> positions in ``rows`` of its records (POS at the site, or a reference block over it); a site
    absent from the file is not a key."""


def select_sites(store: Any, bundles: Sequence[Bundle], build: Build, *, extra: Sequence[Site] = ()) -> SiteRows:
    """Find every record at a site some bundle reads, or at one of the ``extra`` sites (ancestry markers), on
    ``build``."""
    wanted: dict[str, list[int]] = {}
    for b in bundles:
        for v in b.panel.variants:
            loc = v.locus(build)
            wanted.setdefault(loc.chrom, []).append(loc.pos)
    for site_chrom, site_pos in extra:
        wanted.setdefault(site_chrom, []).append(site_pos)
    by_chrom = {c: np.unique(np.array(p, dtype=np.int64)) for c, p in wanted.items()}
    contigs = [normalise_chrom(str(c)) for c in store["contig_id"][:]]
    contig = np.asarray(store["variant_contig"][:], dtype=np.int64)
    pos = np.asarray(store["variant_position"][:], dtype=np.int64)
    end = np.asarray(store["variant_END"][:], dtype=np.int64) if "variant_END" in store else np.full_like(pos, -1)
    hits: dict[int, list[Site]] = {}
    for code, name in enumerate(contigs):
        positions = by_chrom.get(name)
        if positions is None:
            continue
        on = np.flatnonzero(contig == code)
        at = on[np.isin(pos[on], positions)]
        for r in at.tolist():
            hits.setdefault(r, []).append((name, int(pos[r])))
        spans = on[end[on] > pos[on]]  # candidate gVCF blocks; kept below only when ALT is symbolic
        for r in spans.tolist():
            lo, hi = np.searchsorted(positions, pos[r], side="left"), np.searchsorted(positions, end[r], side="right")
            for p in positions[lo:hi].tolist():
                if p != pos[r]:
                    hits.setdefault(r, []).append((name, p))
    rows = np.array(sorted(hits), dtype=np.int64)
    records = _records(store, rows)
    sites: dict[Site, list[int]] = {}
    for i, (r, rec) in enumerate(zip(rows.tolist(), records, strict=True)):
        for site in hits[r]:
            if site[1] == rec.pos or (rec.is_reference_block and rec.pos <= site[1] <= rec.end):
                sites.setdefault(site, []).append(i)
    return SiteRows(rows, records, {s: tuple(ix) for s, ix in sites.items()})


def _records(store: Any, rows: np.ndarray) -> tuple[CohortRecord, ...]:
    if not len(rows):
        return ()
    contig_names = [str(c) for c in store["contig_id"][:]]
    filter_names = [str(f) for f in store["filter_id"][:]]
    contig = store["variant_contig"].oindex[rows]
    pos = store["variant_position"].oindex[rows]
    alleles = store["variant_allele"].oindex[rows]
    filters = store["variant_filter"].oindex[rows]
    end = store["variant_END"].oindex[rows] if "variant_END" in store else None
    out = []
    for i in range(len(rows)):
        ref, *alts = [str(a) for a in alleles[i] if str(a)]
        p = int(pos[i])
        last = p + len(ref) - 1
        if end is not None and int(end[i]) > 0:
            last = int(end[i])
        failed = tuple(filter_names[k] for k in np.flatnonzero(filters[i]) if filter_names[k] != "PASS")
        out.append(CohortRecord(chrom=contig_names[int(contig[i])], pos=p, end=max(last, p), ref=ref,
                                alts=tuple(alts), filters=failed, gt=None))
    return tuple(out)


def genotypes(store: Any, rows: np.ndarray, start: int, stop: int,
              blocks: np.ndarray | None = None) -> np.ndarray:
    """``call_genotype`` at ``rows`` for samples ``start:stop``: int16, shape (n_rows, n, ploidy).

    A reference call with GQ 0 or DP 0 is made missing, as for one patient
    (:data:`genolens.genome.encode.NO_DATA_POLICY`): every call of the rows flagged in ``blocks`` (gVCF
    reference blocks), and a hom-ref genotype at any other row.
    """
    if not len(rows):
        return np.zeros((0, stop - start, 2), dtype=np.int16)
    gt = np.asarray(store["call_genotype"].oindex[rows, start:stop], dtype=np.int16)
    names = [name for name in ("call_GQ", "call_DP") if name in store]
    if not names:
        return gt
    unsupported = np.zeros(gt.shape[:2], dtype=bool)  # (n_rows, n)
    for name in names:
        unsupported |= np.asarray(store[name].oindex[rows, start:stop]) == 0
    called = gt != -2  # ploidy padding is not an allele
    reference = np.all((gt == 0) | ~called, axis=2) & called.any(axis=2)  # (n_rows, n): hom-ref calls
    if blocks is not None:
        reference |= blocks[:, None]
    gt[(unsupported & reference)[:, :, None] & called] = -1
    return gt
