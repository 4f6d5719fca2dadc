"""The audit trail (genolens/audit.py): the hash chain, what verify catches, appends from several processes,
and that an entry never carries genotypes, alleles or the file name."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
from pathlib import Path

import pytest

from genolens.audit import GENESIS, PatientRef, append, log_path, patient_ref, read, search, verify
from genolens.errors import AuditError
from genolens.genome.patient import read_patient
from tests.factories import DATA

SHA = "ab" * 32
WHEN = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)


def _log(tmp_path: Path, n: int = 4) -> Path:
    path = tmp_path / "audit.jsonl"
    actions = ("sign_in", "open_patient", "view_page", "export", "what_if", "sign_out")
    for i in range(n):
        append(path, user=f"user{i}@example.org", role="clinician", action=actions[i % len(actions)],  # type: ignore[arg-type]
               patient=PatientRef(SHA, "NA12878") if i % 2 else None, models=("breast_cancer 2.0.0",),
               detail=f"step {i}", now=WHEN + dt.timedelta(minutes=i))
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_first_entry_hash_is_sha256_of_the_documented_canonical_json(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    entry = append(path, user="a@example.org", role="admin", action="sign_in", now=WHEN)
    # Written out by hand from the module docstring: keys sorted, no spaces, no "hash" key.
    text = ('{"action":"sign_in","detail":"","models":[],"patient":null,"prev":"' + "0" * 64 + '","role":"admin",'
            '"seq":1,"time":"2026-05-01T09:30:00+00:00","user":"a@example.org"}')
    assert entry.hash == hashlib.sha256(text.encode()).hexdigest()
    assert entry.prev == GENESIS
    second = append(path, user="a@example.org", role="admin", action="sign_out", now=WHEN)
    assert (second.seq, second.prev) == (2, entry.hash)
    assert json.loads(_lines(path)[1])["prev"] == entry.hash


def test_an_intact_log_verifies_and_reads_back(tmp_path: Path) -> None:
    path = _log(tmp_path, 5)
    assert verify(path) == []
    assert [e.seq for e in read(path)] == [1, 2, 3, 4, 5]
    assert read(path)[1].patient == PatientRef(SHA, "NA12878")


def test_verify_finds_an_edited_entry(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1] = lines[1].replace("user1@example.org", "someone@example.org")
    path.write_text("".join(lines), encoding="utf-8")
    problems = verify(path)
    assert [p.line for p in problems] == [2] and "edited" in problems[0].message


def test_verify_finds_a_deleted_entry(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    del lines[2]
    path.write_text("".join(lines), encoding="utf-8")
    problems = verify(path)
    assert {p.line for p in problems} == {3}
    assert any("seq 4 follows seq 2" in p.message for p in problems)


def test_verify_finds_the_last_entry_deleted_only_by_count(tmp_path: Path) -> None:
    # A cut at the end leaves a valid chain: only the count (printed by the CLI) shows it. Pinned so that
    # nobody believes verify proves completeness at the tail.
    path = _log(tmp_path)
    path.write_text("".join(_lines(path)[:-1]), encoding="utf-8")
    assert verify(path) == [] and len(read(path)) == 3


def test_verify_finds_reordered_entries(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]  # file order: seq 1, 3, 2, 4
    path.write_text("".join(lines), encoding="utf-8")
    assert {p.line for p in verify(path)} == {2, 3, 4}  # each of the last three follows the wrong entry


def test_verify_finds_an_inserted_entry_even_with_a_recomputed_hash(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    forged = json.loads(lines[1])
    forged["user"] = "intruder@example.org"
    forged["hash"] = hashlib.sha256(json.dumps({k: v for k, v in forged.items() if k != "hash"}, sort_keys=True,
                                               separators=(",", ":")).encode()).hexdigest()
    lines.insert(2, json.dumps(forged) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    problems = verify(path)
    assert problems and min(p.line for p in problems) == 3
    assert not any("edited" in p.message for p in problems)  # its own hash is right: the chain catches it


def test_verify_finds_a_truncated_last_line_and_append_refuses_to_continue(tmp_path: Path) -> None:
    path = _log(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-20])
    problems = verify(path)
    assert [p.line for p in problems] == [4] and "truncated" in problems[0].message
    with pytest.raises(AuditError, match="partial entry"):
        append(path, user="a@example.org", role="admin", action="sign_in")


def test_verify_says_when_there_is_no_log(tmp_path: Path) -> None:
    assert "no audit log" in str(verify(tmp_path / "none.jsonl")[0])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"action": "delete_everything"}, "unknown"),
    ({"user": " "}, "needs a user"),
    ({"patient": PatientRef("NA12878.vcf", "NA12878")}, "SHA-256"),
    ({"detail": "x" * 301}, "at most 300"),
])
def test_append_refuses_bad_fields(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"user": "a@example.org", "role": "admin", "action": "sign_in", **kwargs}
    with pytest.raises(AuditError, match=match):
        append(tmp_path / "a.jsonl", **args)  # type: ignore[arg-type]
    assert not (tmp_path / "a.jsonl").exists() or (tmp_path / "a.jsonl").read_text() == ""


def _append_many(path: str, worker: int, n: int) -> None:
    for i in range(n):
        append(Path(path), user=f"worker{worker}", role="clinician", action="view_page", detail=f"{worker}/{i}")


def test_several_processes_appending_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(path), w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert verify(path) == []
    entries = read(path)
    assert [e.seq for e in entries] == list(range(1, 101))
    assert sorted(e.detail for e in entries) == sorted(f"{w}/{i}" for w in range(4) for i in range(25))


def test_an_entry_never_carries_genotypes_alleles_or_the_file_name(tmp_path: Path) -> None:
    vcf = DATA / "warfarin_vkorc1_AA_cyp2c9_1_3.vcf"
    patient = read_patient(vcf, qc_records=0)
    path = tmp_path / "audit.jsonl"
    for action in ("open_patient", "view_page", "export", "what_if", "cohort_job"):
        append(path, user="a@example.org", role="clinician", action=action,  # type: ignore[arg-type]
               patient=patient_ref(patient), models=("warfarin_dose 1.0.0",), detail=action)
    text = path.read_text(encoding="utf-8")
    assert hashlib.sha256(vcf.read_bytes()).hexdigest() in text and '"sample":"PATIENT"' in text
    assert vcf.name not in text and "warfarin_vkorc1" not in text
    for gt in ("0/0", "0/1", "1/1", "C>T", "A>C", "rs9923231", "rs1057910", "94981296"):
        assert gt not in text
    for line in text.splitlines():  # every string value is one we put there, none a REF or ALT base
        entry = json.loads(line)
        assert set(entry) == {"seq", "time", "user", "role", "action", "patient", "models", "detail", "prev", "hash"}
        values = {entry["user"], entry["role"], entry["action"], entry["detail"], *entry["models"],
                  *entry["patient"].values()}
        assert not values & {"A", "C", "G", "T"}


def test_search_filters_by_user_action_patient_and_day(tmp_path: Path) -> None:
    entries = read(_log(tmp_path, 6))
    assert [e.seq for e in search(entries, user="USER1")] == [2]
    assert [e.seq for e in search(entries, action="open_patient")] == [2]
    assert [e.seq for e in search(entries, patient=SHA[:12])] == [2, 4, 6]
    assert [e.seq for e in search(entries, patient="NA12878")] == [2, 4, 6]
    assert search(entries, since=WHEN.date() + dt.timedelta(days=1)) == []
    assert len(search(entries, since=WHEN.date(), until=WHEN.date())) == 6


def test_log_path_environment_then_settings_then_per_user_folder(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "GENOLENS_AUDIT_LOG": str(tmp_path / "x.jsonl")}
    assert log_path(env, {"audit": {"log": "/srv/a.jsonl"}}) == tmp_path / "x.jsonl"
    assert log_path({"HOME": str(tmp_path)}, {"audit": {"log": "/srv/a.jsonl"}}) == Path("/srv/a.jsonl")
    assert log_path({"HOME": str(tmp_path)}, {}) == tmp_path / ".local" / "share" / "genolens" / "audit.jsonl"
    assert log_path({"XDG_DATA_HOME": "/d"}, None) == Path("/d/genolens/audit.jsonl")
