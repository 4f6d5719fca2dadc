"""One sample of one file, read end to end: header, build, panel sites, calls, features, QC.

This is the genome layer's front door for the CLI and the dashboard.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from genolens.datamodel import (
    ABSENT_POLICIES,
    BUILD_CHOICES,
    BUILDS,
    AbsentPolicy,
    Build,
    BuildCall,
    BuildChoice,
    Panel,
    PanelResult,
    PatientGenome,
    ReferenceCheck,
)
from genolens.errors import OptionError, ReferenceFastaError, VcfReadError
from genolens.genome.ancestry import ancestry_json, marker_dosages, marker_sites
from genolens.genome.ancestry import estimate as estimate_ancestry
from genolens.genome.build import build_from_header, decide_build, ref_tallies
from genolens.genome.encode import call_panel, encode
from genolens.genome.left_align import left_aligned, shifted_sites
from genolens.genome.panel import load_panels
from genolens.genome.qc import QC_RECORDS, file_qc, panel_warnings
from genolens.genome.reference import ReferenceFasta, fasta_build, fasta_vote, ref_mismatches, with_fasta_refs
from genolens.genome.vcf import VcfFile, open_vcf
from genolens.genome.vcf_regions import Site

Progress = Callable[[float, str], None]


def list_samples(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Return the sample names of a VCF/BCF file, in column order.

    Raises
    ------
    VcfReadError
        The file cannot be read as a VCF/BCF.
    """
    with open_vcf(path) as vf:
        return vf.info.samples


def read_patient(
    path: str | os.PathLike[str],
    *,
    sample: str | None = None,
    build: BuildChoice = "auto",
    absent: AbsentPolicy = "missing",
    panels: Sequence[Panel] | None = None,
    source_name: str | None = None,
    sha256: str | None = None,
    qc_records: int = QC_RECORDS,
    index_dir: str | os.PathLike[str] | None = None,
    references: Sequence[str | os.PathLike[str]] = (),
    progress: Progress | None = None,
    ancestry: bool = True,
) -> PatientGenome:
    """Read one sample's genotypes at every panel site, with build evidence and QC.

    Parameters
    ----------
    path
        A VCF, VCF.gz (bgzip or gzip) or BCF file.
    sample
        The sample to read; ``None`` picks the only sample of a single-sample file.
    build
        ``"auto"`` to decide from the file, or the build the user declares (checked).
    absent
        Policy for sites absent from the file: ``"missing"`` (default) or ``"reference"``
        (only for a whole-genome call set; such inputs are marked ``assumed_reference``).
    panels
        Panels to match; all shipped panels when ``None``.
    source_name
        The name to show for the file (an upload's original name); defaults to the file name.
    sha256
        The file's SHA-256 when the caller already has it (the dashboard hashes an upload once, on
        arrival); computed here, beside the reading, when ``None``.
    qc_records
        Cap on records examined for file QC; 0 skips file QC. A file with more records is sampled:
        windows spread over every chromosome when it has (or gets) an index, every k-th record of the
        single scan otherwise; ``PatientGenome.qc`` says which records were examined.
    index_dir
        A private folder where an index built for a bgzipped file without one is kept, named by the
        file's SHA-256 and size, so that later reads of the same bytes (another sample, build or
        policy) reuse it instead of building it again. Used only when ``sha256`` is given (the caller
        vouches for it); ``None``: an index built for this read is removed after it.
    references
        Reference FASTAs (indexed; at most one per build) the user has: the file must be on one of their
        builds (which decides it when nothing else does); REF mismatches between the file and that FASTA at
        panel sites are reported (``PatientGenome.reference`` and a QC warning), and panel sites that ship
        without a REF get the FASTA's (so the whole-genome policy can assume reference there).
        ``()``: the shipped REF facts serve.
    progress
        Called with (fraction 0..1, message) while reading.
    ancestry
        Also read the 1000 Genomes ancestry markers and estimate the sample's continental ancestry
        (:mod:`genolens.genome.ancestry`; ``PatientGenome.ancestry``).

    Raises
    ------
    GenoLensError
        ``VcfReadError``, ``SampleError`` or ``BuildError`` with a message for the user.
    """
    if build not in BUILD_CHOICES:
        raise OptionError(f"Build '{build}' unknown. Choose from: {', '.join(BUILD_CHOICES)}.")
    if absent not in ABSENT_POLICIES:
        raise OptionError(f"Absent-site policy '{absent}' unknown. Choose from: {', '.join(ABSENT_POLICIES)}.")
    chosen = tuple(panels) if panels is not None else load_panels()
    report = progress or (lambda _f, _m: None)
    report(0.0, "Reading the header")
    digest = None if sha256 else _Sha256Thread(Path(path))  # hashing overlaps the reading (GIL released)
    cache = None
    if index_dir is not None and sha256 and os.path.isfile(path):
        cache = Path(index_dir) / f"{sha256}-{os.path.getsize(path)}"
    variants = [v for p in chosen for v in p.variants]
    targets: dict[str, list[int]] = {}
    for chrom, pos in _sites(chosen, BUILDS):  # both builds: the build is decided after the text check
        targets.setdefault(chrom, []).append(pos)
    side: dict[str, list[int]] = {}
    if ancestry:
        for chrom, pos in (s for b in BUILDS for s in marker_sites(b)):
            side.setdefault(chrom, []).append(pos)
    with ExitStack() as stack:
        # A FASTA's build is told against every shipped REF fact, not only those of the panels read now.
        shipped = load_panels() if references and panels is not None else ()
        facts = [*variants, *(v for p in shipped for v in p.variants)]
        fastas = [(f, *fasta_build(f, facts)) for f in (stack.enter_context(ReferenceFasta(r)) for r in references)]
        _one_per_build(fastas)
        # With a FASTA, a panel indel is also looked for wherever in its repeat a caller may have written it.
        shifted = {b: shifted_sites(variants, b, f.bases) for f, b, _ in fastas}
        for chrom, pos in (s for extra in shifted.values() for s in extra):
            targets.setdefault(chrom, []).append(pos)
        vf = stack.enter_context(open_vcf(path, index_cache=cache, targets=targets, qc_cap=max(qc_records, 0),
                                          side_targets=side or None))
        idx = vf.sample_index(sample)
        header_only = header_build_call(vf, build)
        builds: tuple[Build, ...] = (header_only.build,) if header_only else BUILDS
        sites = sorted({*_sites(chosen, builds), *(s for b in builds for s in shifted.get(b, ()))})
        if ancestry:
            sites = sorted({*sites, *(s for b in builds for s in marker_sites(b))})
        report(0.05, f"Reading {len(sites)} panel and ancestry-marker sites and the QC sample")
        records, mode, sample_qc = vf.read_sites_and_qc(idx, sites, qc_records=max(qc_records, 0),
                                                        progress=lambda f, m: report(0.05 + 0.6 * f, m))

        def refs_at(chrom: str, pos: int) -> list[str]:
            return [r.ref for r in records.get((chrom, pos), ()) if r.pos == pos]

        call = decide_build(vf.info, declared=build, ref_tallies=ref_tallies(variants, refs_at, builds),
                            fastas=[fasta_vote(f, b, why, variants, refs_at) for f, b, why in fastas])
        checked = None
        fasta = next((f for f, b, _ in fastas if b == call.build), None)
        if fasta is not None:
            why = next(w for f, _, w in fastas if f is fasta)
            compared, mismatches = ref_mismatches(fasta, variants, call.build, refs_at)
            records, moved = left_aligned(records, fasta.bases)
            filled_panels = [with_fasta_refs(p, call.build, fasta) for p in chosen]
            chosen = tuple(p for p, _ in filled_panels)
            checked = ReferenceCheck(fasta.name, call.build, why, compared, mismatches,
                                     sum(n for _, n in filled_panels), moved, str(fasta.path))
        results = []
        for p in chosen:
            calls = call_panel(p, call.build, records)
            results.append(PanelResult(p.name, p.title, calls, encode(calls, p, call.build, absent=absent)))
        report(0.9, "Summarising file quality")
        qc = file_qc(sample_qc)
        if checked is not None and checked.mismatches:
            qc = replace(qc, warnings=(*qc.warnings, reference_warning(checked)))
        estimate = None
        if ancestry:
            on_file = {*qc.chromosomes, *(chrom for chrom, _ in records)}
            dosages = marker_dosages(call.build, records, absent=absent, chromosomes=sorted(on_file))
            estimate = estimate_ancestry(*dosages, absent=absent)
        info = vf.info
    report(1.0, "Done")
    return PatientGenome(
        source_name=source_name or Path(path).name,
        sha256=sha256 or (digest.result() if digest else ""),
        info=info,
        sample=info.samples[idx],
        build=call,
        absent_policy=absent,
        panels=tuple(results),
        qc=qc,
        read_mode=mode,
        reference=checked,
        ancestry=estimate,
    )


def reference_to_json(check: ReferenceCheck) -> dict[str, Any]:
    """What the FASTA said, as JSON (``--json``, a cohort job's manifest); the FASTA's name only, never its path."""
    return {"fasta": check.name, "build": check.build, "evidence": check.evidence, "sites_compared": check.compared,
            "panel_refs_supplied": check.filled, "indel_records_left_aligned": check.left_aligned,
            "ref_mismatches": [{"chrom": m.chrom, "pos": m.pos, "file_ref": m.file_ref, "fasta_ref": m.fasta_ref,
                                "variants": list(m.variants)} for m in check.mismatches]}


def reference_warning(check: ReferenceCheck) -> str:
    """The QC warning for REF mismatches between the file and the user's reference FASTA."""
    n = len(check.mismatches)
    shown = ", ".join(f"{m.chrom}:{m.pos} {m.file_ref} (FASTA {m.fasta_ref})" for m in check.mismatches[:3])
    more = f" and {n - 3} more" if n > 3 else ""
    return (f"{n} of {check.compared} panel sites show a REF that differs from the reference FASTA {check.name} "
            f"({shown}{more}): the file's REF column is wrong there, or it was called against another reference. "
            "Do not trust the calls at those sites.")


def _one_per_build(fastas: Sequence[tuple[ReferenceFasta, Build, str]]) -> None:
    for b in BUILDS:
        same = [f.name for f, fb, _ in fastas if fb == b]
        if len(same) > 1:
            raise ReferenceFastaError(f"Two reference FASTAs on {b} were given ({', '.join(same)}). Give one per "
                                      "build.")


def header_build_call(vf: VcfFile, declared: BuildChoice) -> BuildCall | None:
    """Return the build call when the header alone settles it (raising on a contradiction), else None."""
    if build_from_header(vf.info)[0] is None:
        return None
    return decide_build(vf.info, declared=declared)


def decide_build_or_none(vf: VcfFile, declared: BuildChoice) -> Build | None:
    """Return the build when the header alone settles it (raising on a contradiction), else None."""
    call = header_build_call(vf, declared)
    return call.build if call else None


def _sites(panels: Sequence[Panel], builds: Sequence[Build]) -> list[Site]:
    return sorted({(v.locus(b).chrom, v.locus(b).pos) for p in panels for v in p.variants for b in builds})


class _Sha256Thread(threading.Thread):
    """SHA-256 of a file, computed beside the main work."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self._path, self._hex, self._error = path, "", ""
        self.start()

    def run(self) -> None:
        try:
            h = hashlib.sha256()
            # Large chunks: each chunk hands the GIL back and forth once, so the main thread's
            # Python work and the hashing overlap instead of queueing behind each other.
            buf = bytearray(16 << 20)
            view = memoryview(buf)
            with open(self._path, "rb", buffering=0) as fh:
                while n := fh.readinto(buf):
                    h.update(view[:n])
            self._hex = h.hexdigest()
        except OSError as exc:
            self._error = str(exc.strerror)

    def result(self) -> str:
        self.join()
        if self._error:
            raise VcfReadError(f"Cannot read '{self._path.name}' to hash it: {self._error}.")
        return self._hex


def patient_to_json(p: PatientGenome) -> dict[str, Any]:
    """Return the JSON-ready record of a read (the CLI's ``inspect --json`` output)."""
    return {
        "file": p.source_name,
        "sha256": p.sha256,
        "format": p.info.kind,
        "compression": p.info.compression,
        "read_mode": p.read_mode,
        "samples": list(p.info.samples),
        "sample": p.sample,
        "build": p.build.build,
        "build_source": p.build.source,
        "build_evidence": list(p.build.evidence),
        "build_ref_bases": {t.build: {"match": t.agree, "disagree": t.disagree} for t in p.build.ref_tallies},
        "absent_policy": p.absent_policy,
        "reference": None if p.reference is None else reference_to_json(p.reference),
        "ancestry": None if p.ancestry is None else ancestry_json(p.ancestry),
        "qc": {k: list(v) if isinstance(v, tuple) else v for k, v in p.qc.__dict__.items()},
        "panels": {
            r.panel: {
                "title": r.title,
                "coverage": round(r.coverage, 6),
                "warnings": list(panel_warnings(r, p.qc.chromosomes)),
                "sites": [
                    {
                        "rsid": s.rsid or None,
                        "id": s.variant_id,
                        "gene": s.gene,
                        "chrom": s.chrom,
                        "pos": s.pos,
                        "status": s.status,
                        "genotype": s.genotype,
                        "alleles": list(s.alleles) if s.alleles is not None else None,
                        "dosage": s.dosage,
                        "from_ds": s.from_ds,
                        "origin": t,
                        "gq": s.gq,
                        "dp": s.dp,
                        "phase_set": s.phase_set,
                        "note": s.note,
                    }
                    for s, t in zip(r.sites, r.features.origin, strict=True)
                ],
            }
            for r in p.panels
        },
    }
