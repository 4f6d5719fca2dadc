"""Import a PGS Catalog scoring file as a linear bundle with its own panel.

The score is ``sum(effect_weight * effect-allele dosage)``; the bundle's one-layer network adds an
intercept, and ``probability = sigmoid(intercept + score)``. The intercept is an assumption stated in
the card: it makes the mean probability of a Hardy–Weinberg population with the variants' allele
frequencies equal an assumed prevalence. Positions on GRCh37 and GRCh38 come from the scoring file
(``chr_position`` on its stated build, ``hm_chr``/``hm_pos`` on its harmonised build), from
``<PGS id>_hm*_GRCh3[78].txt[.gz]`` files beside it, and, by rsID, from the project's breast_cancer
panel. A variant without a position on both builds is left out and listed in the card.
"""

from __future__ import annotations

import gzip
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genolens.datamodel import Build, Panel
from genolens.errors import ScoringFileError
from genolens.genome.panel import COLUMNS, load_panel
from genolens.modeling.bundle import Reference, write_bundle
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import Ensemble, LinearScore, NetworkConfig
from genolens.provenance import RESEARCH_USE

_ALLELE = re.compile(r"[ACGT]+")
_OLD_KEYS = {"pgs_id": "pgs_id", "reported_trait": "trait_reported", "original_genome_build": "genome_build",
             "citation": "citation", "pgs_name": "pgs_name"}
_BUILD_NAMES: dict[str, Build] = {"grch37": "GRCh37", "hg19": "GRCh37", "grch38": "GRCh38", "hg38": "GRCh38"}
_KEY_COLUMNS = ("rsID", "chr_name", "chr_position", "effect_allele", "other_allele", "effect_weight")



@dataclass(frozen=True)
class ScoringFile:
    """A parsed scoring file: header values and rows (``reference_allele`` renamed ``other_allele``)."""

    path: Path
    """Where it was read from."""
    header: dict[str, str]
    """``#key=value`` header lines (format 1.0 ``# Key = Value`` lines normalised to 2.0 keys)."""
    rows: tuple[dict[str, str], ...]
    """One mapping per variant, column name -> text."""

    @property
    def pgs_id(self) -> str:
        """The PGS Catalog id (``PGS000001``), or the file stem when the header gives none."""
        return self.header.get("pgs_id") or self.path.name.split("_")[0].split(".")[0]


def read_scoring_file(path: str | Path) -> ScoringFile:
    """Read a PGS Catalog scoring file (format 1.0 or 2.0, plain or gzip).

    Raises
    ------
    ScoringFileError
        When the file is missing, has no column header, or lacks ``effect_allele``/``effect_weight``.
    """
    p = Path(path)
    if not p.is_file():
        raise ScoringFileError(f"Scoring file {p} not found.")
    opener = gzip.open if p.name.endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8") as fh:
        lines = [line.rstrip("\r\n") for line in fh]
    header: dict[str, str] = {}
    body = [line for line in lines if line and not line.startswith("#")]
    for line in lines:
        if line.startswith("#") and not line.startswith("##"):
            key, sep, value = line.lstrip("#").partition("=")
            if sep:
                k = key.strip().lower().replace(" ", "_")
                header[_OLD_KEYS.get(k, k)] = value.strip()
    if not body:
        raise ScoringFileError(f"{p}: no column header line (expected rsID/chr_name/effect_allele/effect_weight).")
    columns = ["other_allele" if c == "reference_allele" else c for c in body[0].split("\t")]
    missing = [c for c in ("effect_allele", "effect_weight") if c not in columns]
    if missing or ("rsID" not in columns and "chr_position" not in columns):
        raise ScoringFileError(f"{p}: columns {', '.join(columns)} lack {', '.join(missing) or 'rsID/chr_position'}; "
                               "is this a PGS Catalog scoring file?")
    rows = tuple(dict(zip(columns, line.split("\t"), strict=False)) for line in body[1:])
    return ScoringFile(p, header, rows)


def _row_key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row.get(c, "") for c in _KEY_COLUMNS)


def _positions(sf: ScoringFile) -> tuple[dict[tuple[str, ...], dict[Build, tuple[str, int]]], list[str]]:
    """Per row key, the (chrom, pos) found on each build; and where they came from, in words."""
    found: dict[tuple[str, ...], dict[Build, tuple[str, int]]] = {}
    sources: list[str] = []

    def take(f: ScoringFile, build: Build | None, chrom_col: str, pos_col: str, label: str) -> None:
        if build is None:
            return
        n = 0
        for row in f.rows:
            c, pos = row.get(chrom_col, "").removeprefix("chr"), row.get(pos_col, "")
            if c and pos.isdigit():
                found.setdefault(_row_key(row), {}).setdefault(build, (c, int(pos)))
                n += 1
        if n:
            sources.append(f"{build} from {label} ({n} variants)")

    take(sf, _BUILD_NAMES.get(sf.header.get("genome_build", "").lower()), "chr_name", "chr_position", sf.path.name)
    take(sf, _BUILD_NAMES.get(sf.header.get("hmpos_build", "").lower()), "hm_chr", "hm_pos", sf.path.name)
    for sibling in sorted(sf.path.parent.glob(f"{sf.pgs_id}_hm*_GRCh3[78].txt*")):
        if sibling != sf.path:
            hm = read_scoring_file(sibling)
            take(hm, _BUILD_NAMES.get(hm.header.get("hmpos_build", "").lower()), "hm_chr", "hm_pos", sibling.name)
    return found, sources


def _panel_tsv(sf: ScoringFile) -> tuple[str, list[str], np.ndarray]:
    """The bundle's panel table text, the variants left out (with why), and the frequencies used (n,)."""
    found, sources = _positions(sf)
    shipped = load_panel("breast_cancer").variants
    known = {v.rsid: v for v in shipped if v.rsid}
    at = {(v.grch38.chrom, v.grch38.pos, frozenset({v.grch38.effect_allele, v.grch38.other_allele})): v
          for v in shipped}
    rows, dropped, freqs, seen = [], [], [], set()
    for row in sf.rows:
        rsid, effect, other = row.get("rsID", ""), row["effect_allele"].upper(), row.get("other_allele", "").upper()
        pos = dict(found.get(_row_key(row), {}))
        ref_v = known.get(rsid)
        if ref_v is None and "GRCh38" in pos:
            ref_v = at.get((*pos["GRCh38"], frozenset({effect, other})))
        if ref_v is not None:
            for b in ("GRCh37", "GRCh38"):
                pos.setdefault(b, (ref_v.locus(b).chrom, ref_v.locus(b).pos))
            pair = {ref_v.grch38.effect_allele, ref_v.grch38.other_allele}
            if not other and effect in pair:
                other = (pair - {effect}).pop()
        name = rsid or f"{row.get('chr_name', '?')}:{row.get('chr_position', '?')}"
        if "GRCh37" not in pos or "GRCh38" not in pos:
            dropped.append(f"{name}: no position on {'GRCh37' if 'GRCh37' not in pos else 'GRCh38'}")
            continue
        if not _ALLELE.fullmatch(effect) or not _ALLELE.fullmatch(other) or effect == other:
            dropped.append(f"{name}: alleles {effect}/{other or '?'} are not two different A/C/G/T alleles")
            continue
        (c37, p37), (c38, p38) = pos["GRCh37"], pos["GRCh38"]
        vid = rsid or f"{c38}:{p38}:{other}:{effect}"
        if vid in seen:
            dropped.append(f"{name}: duplicate of an earlier row")
            continue
        seen.add(vid)
        w = float(row["effect_weight"])
        eaf_text = row.get("allelefrequency_effect", "")
        eaf = float(eaf_text) if eaf_text else None
        if eaf is None and ref_v is not None and ref_v.eaf is not None:
            eaf = ref_v.eaf if ref_v.grch38.effect_allele == effect else 1.0 - ref_v.eaf
        freqs.append(0.5 if eaf is None else eaf)
        gene = row.get("locus_name", "") or (ref_v.gene if ref_v else f"chr{c38}:{p38}")
        evidence = f"effect weight {w:+.4g} per {effect} allele ({sf.pgs_id}; log-OR assumed: OR {math.exp(w):.4g})"
        source = f"PGS Catalog {sf.pgs_id} ({sf.header.get('citation', 'citation not given')}); " + "; ".join(sources)
        fields = {"id": vid, "rsid": rsid if re.fullmatch(r"rs[0-9]+", rsid) else "", "gene": gene,
                  "allele_name": "", "evidence": evidence, "log_or": repr(w), "function": "", "activity_value": "",
                  "eaf": "" if eaf is None else repr(eaf), "source": source,
                  **{f"{k}_{b}": v for b, (c, p) in (("grch37", (c37, p37)), ("grch38", (c38, p38)))
                     for k, v in (("chrom", c), ("pos", str(p)), ("ref", ""), ("effect", effect), ("other", other))}}
        rows.append("\t".join(fields[c].replace("\t", " ") for c in COLUMNS))
    if not rows:
        raise ScoringFileError(f"{sf.path}: no variant has positions on both builds; add the "
                               f"{sf.pgs_id}_hmPOS_GRCh37/38 files beside it.")
    trait = sf.header.get("trait_reported", "trait not given")
    title = f"{sf.header.get('pgs_name', sf.pgs_id)} ({sf.pgs_id}): {trait}"
    text = f"# title: {title}\n" + "\t".join(COLUMNS) + "\n" + "\n".join(rows) + "\n"
    return text, dropped, np.array(freqs, dtype=np.float64)


def hwe_scores(weights: np.ndarray, freq: np.ndarray, *, n: int, seed: int) -> np.ndarray:
    """Scores of ``n`` people with independent HWE genotypes (weights and freq shape (p,)); shape (n,)."""
    rng = np.random.default_rng(seed)
    out = np.empty(n)
    for start in range(0, n, 2_000):
        g = rng.binomial(2, freq, size=(min(2_000, n - start), len(freq)))  # (chunk, p)
        out[start:start + len(g)] = g @ weights
    return out


def intercept_for(scores: np.ndarray, prevalence: float) -> float:
    """The intercept b with mean(sigmoid(b + scores)) = prevalence (bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sigmoid(mid + scores).mean() < prevalence else (lo, mid)
    return (lo + hi) / 2


def import_pgs(scoring_file: str | Path, out_dir: str | Path, *, version: str = "1.0.0", prevalence: float = 0.1,
               n_reference: int = 20_000, seed: int = 0) -> Path:
    """Write a linear bundle ``<out_dir>/<PGS id>/<version>/`` from a PGS Catalog scoring file.

    Parameters
    ----------
    scoring_file
        The scoring file (``PGS000001.txt``, format 1.0 or 2.0, plain or gzip).
    out_dir
        The models folder; the bundle goes to ``<out_dir>/<PGS id>/<version>/``.
    version
        Bundle version.
    prevalence
        Assumed mean probability in the reference population; sets the intercept (stated in the card).
    n_reference, seed
        Size and seed of the simulated HWE reference population used for percentiles.

    Raises
    ------
    ScoringFileError
        When the file cannot be read or no variant can be placed on both builds.
    """
    if not 0.0 < prevalence < 1.0:
        raise ScoringFileError(f"Prevalence must be between 0 and 1, got {prevalence}.")
    sf = read_scoring_file(scoring_file)
    text, dropped, freq = _panel_tsv(sf)
    out = Path(out_dir) / sf.pgs_id / version
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{sf.pgs_id}.tsv").write_text(text, encoding="utf-8")
    panel = load_panel(sf.pgs_id, directory=out)
    weights = np.array([v.log_or for v in panel.variants], dtype=np.float64)
    scores = hwe_scores(weights, freq, n=n_reference, seed=seed)
    b = intercept_for(scores, prevalence)
    net = NetworkConfig(kind="linear", n_genetic=len(weights), n_covariates=0, n_outputs=1, hidden=0, members=1)
    ensemble = Ensemble(net, seed=seed)
    member = ensemble.members[0]
    if not isinstance(member, LinearScore):
        raise TypeError("a linear bundle's member must be a LinearScore")
    with torch.no_grad():
        member.linear.weight.copy_(torch.as_tensor(weights, dtype=torch.float32)[None, :])  # (1, n_genetic)
        member.linear.bias.fill_(b)
    sorted_logits = np.sort(b + scores)[None, :]  # (1 output, n_reference)
    reference = Reference(sorted_logits, (), {}, 2 * freq, np.zeros((0, len(weights))), float("nan"))
    card = _card(sf, panel, out, dropped, freq, b, prevalence, sigmoid(b + scores).mean(), n_reference, seed)
    return write_bundle(out, ensemble, card, reference, {"note": "imported score; no held-out metrics"},
                        panel_tsv=(f"{sf.pgs_id}.tsv", text.encode("utf-8")))


def _card(sf: ScoringFile, panel: Panel, out: Path, dropped: list[str], freq: np.ndarray, b: float,
          prevalence: float, mean_p: float, n_reference: int, seed: int) -> dict[str, Any]:
    output = re.sub(r"[^a-z0-9]+", "_", sf.header.get("trait_reported", "score").lower()).strip("_") or "score"
    n_known = sum(bool(v.eaf is not None) for v in panel.variants)
    return {
        "bundle": {"name": sf.pgs_id, "version": out.name, "kind": "linear", "research_use_only": RESEARCH_USE,
                   "intended_use": f"Research display of the published polygenic score {sf.pgs_id} "
                                   f"({sf.header.get('trait_reported', '')}); relative standing, not absolute risk.",
                   "seed": seed},
        "architecture": {"kind": "linear", "n_genetic": len(panel.variants), "n_covariates": 0, "n_outputs": 1,
                         "hidden": 0, "members": 1},
        "panel": {"name": panel.name, "sha256": panel.sha256, "inputs_sha256": panel.inputs_sha256,
                  "file": f"{panel.name}.tsv"},
        "inputs": {"genetic": [v.id for v in panel.variants], "covariates": [], "coverage_threshold": 0.8,
                   "missing_genetic": "imputed with 2 x effect-allele frequency and flagged",
                   "dropped_variants": dropped},
        "covariates": {},
        "outputs": {"names": [output], output: {"mean_probability": float(mean_p), "reference_n": n_reference}},
        "bands": {"below_average": 0.8, "above_average": 1.25, "high": 2.0},
        "training": {"description": f"Not trained here: weights imported from {sf.path.name} "
                                    f"({sf.header.get('citation', 'citation not given')}).",
                     "scoring_file": sf.path.name, **{f"header_{k}": v for k, v in sf.header.items()}},
        "assumptions": {
            "intercept": b,
            "intercept_rule": f"chosen so the mean probability of the HWE reference population is the assumed "
                              f"prevalence {prevalence}; not a calibrated absolute risk",
            "effect_weight": "per-allele log odds ratio (the file's weight_type is "
                             f"{sf.header.get('weight_type', 'not stated')})",
            "reference_population": f"{n_reference} people drawn under Hardy-Weinberg equilibrium with independent "
                                    f"variants (seed {seed})",
            "allele_frequencies": f"{n_known} of {len(freq)} from the scoring file or the project's breast_cancer "
                                  f"panel; the rest assumed 0.5",
        },
        "metrics": {},
        "limitations": {"text": ["No held-out evaluation was run for this imported score.",
                                 "Absolute probability rests on the stated intercept assumption.",
                                 "Linkage disequilibrium between variants is ignored in the reference distribution."]},
    }
