"""``[input_limits]`` in genolens.toml: validated, and in force for the CLI, the dashboard and their read workers.

The fixture ``multiallelic_tpmt.vcf`` names 3 samples and its longest line is under 200 bytes, so the
defaults (100,000 samples, 16 MB lines) accept it; a temporary genolens.toml setting ``max_samples = 2``
or ``max_line_bytes = 64`` must make the same read fail with a message naming that key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import config
from genolens import cli
from genolens.errors import OptionError, VcfReadError
from genolens.genome.isolated import read_patient_isolated
from genolens.genome.patient import read_patient
from genolens.genome.vcf_check import (
    COHORT_FLOORS,
    DEFAULT_LIMITS,
    INPUT_LIMITS_ENV,
    InputLimits,
    active_limits,
    configure_limits,
    limits_from_table,
)
from tests.factories import DATA

THREE_SAMPLES = DATA / "multiallelic_tpmt.vcf"


@pytest.fixture(autouse=True)
def _restore_env() -> Iterator[None]:
    """Whatever a test configures, the variable is as it was afterwards (configure_limits writes os.environ)."""
    old = os.environ.pop(INPUT_LIMITS_ENV, None)
    yield
    os.environ.pop(INPUT_LIMITS_ENV, None)
    if old is not None:
        os.environ[INPUT_LIMITS_ENV] = old


def settings_file(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "genolens.toml"
    path.write_text(f"[patients]\nserver_vcf_dir = \"data/demo\"\n\n[input_limits]\n{table}\n", encoding="utf-8")
    return path


def test_the_fixture_has_three_samples_and_short_lines() -> None:
    header = next(line for line in THREE_SAMPLES.read_text().splitlines() if line.startswith("#CHROM"))
    assert len(header.split("\t")) - 9 == 3
    assert max(len(line) for line in THREE_SAMPLES.read_bytes().splitlines()) < 200


def test_a_table_sets_the_keys_it_names_and_keeps_the_defaults_of_the_rest() -> None:
    limits = limits_from_table({"max_samples": 10, "max_line_bytes": 4096})
    assert limits == InputLimits(max_samples=10, max_line_bytes=4096)
    assert limits.max_header_bytes == 32 << 20 and limits.max_expansion == 50


@pytest.mark.parametrize(("table", "message"), [
    ({"max_sample": 10}, r"unknown key 'max_sample'\. The keys are: max_decompressed_bytes, .*max_samples"),
    ({"max_samples": 0}, r"max_samples = 0 is not a positive whole number"),
    ({"max_line_bytes": -5}, r"max_line_bytes = -5 is not a positive whole number"),
    ({"max_line_bytes": "16 MB"}, r"max_line_bytes = '16 MB' is not a positive whole number.*bytes"),
    ({"max_expansion": 2.5}, r"max_expansion = 2\.5 is not a positive whole number.*times"),
    ({"max_samples": True}, r"max_samples = True is not a positive whole number"),
])
def test_a_bad_table_is_refused_naming_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=r"\[input_limits\] in genolens.toml: " + message):
        limits_from_table(table)


def test_input_limits_must_be_a_table() -> None:
    with pytest.raises(OptionError, match=r"\[input_limits\] in genolens.toml must be a table"):
        configure_limits({"input_limits": 5}, {})


def test_configure_carries_changed_limits_in_the_environment_and_defaults_clear_it() -> None:
    env: dict[str, str] = {}
    limits = configure_limits({"input_limits": {"max_samples": 2}}, env)
    assert limits.max_samples == 2
    assert env == {INPUT_LIMITS_ENV: '{"max_samples": 2}'}
    assert active_limits(env) == limits
    assert configure_limits({}, env) == DEFAULT_LIMITS and env == {}
    assert active_limits(env) == DEFAULT_LIMITS


def test_cohort_commands_raise_the_sample_and_expansion_limits_only() -> None:
    env: dict[str, str] = {}
    patient = configure_limits({"input_limits": {"max_samples": 2, "max_header_bytes": 4096}}, env)
    cohort = configure_limits({"input_limits": {"max_samples": 2, "max_header_bytes": 4096}}, env, cohort=True)
    assert patient.max_samples == 2 and cohort.max_samples == COHORT_FLOORS["max_samples"]
    assert cohort.max_expansion == COHORT_FLOORS["max_expansion"] > DEFAULT_LIMITS.max_expansion
    assert cohort.max_line_bytes == COHORT_FLOORS["max_line_bytes"]  # a million sample names on the #CHROM line
    assert cohort.max_header_bytes == 4096  # what the settings say for other limits still holds
    assert active_limits(env) == cohort
    assert configure_limits({}, env) == DEFAULT_LIMITS and env == {}
    assert "train" in cli.COHORT_COMMANDS and "inspect" not in cli.COHORT_COMMANDS


def test_a_bad_environment_value_names_the_variable_and_the_key() -> None:
    with pytest.raises(OptionError, match=r"\$GENOLENS_INPUT_LIMITS: max_samples = -1 is not a positive"):
        active_limits({INPUT_LIMITS_ENV: '{"max_samples": -1}'})
    with pytest.raises(OptionError, match=r"\$GENOLENS_INPUT_LIMITS is not a JSON object"):
        active_limits({INPUT_LIMITS_ENV: "max_samples=2"})


def test_cli_reads_the_limits_of_genolens_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    args = ["inspect", str(THREE_SAMPLES), "--sample", "HET_3C_41", "--json", "--qc-records", "0"]
    monkeypatch.setattr(cli, "SETTINGS_FILE", tmp_path / "absent.toml")
    assert cli.main(args) == 0  # the defaults accept the file
    capsys.readouterr()
    monkeypatch.setattr(cli, "SETTINGS_FILE", settings_file(tmp_path, "max_samples = 2"))
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "more than 2 sample columns" in err and "(Limit: [input_limits] max_samples.)" in err


def test_cli_refuses_a_bad_table_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "SETTINGS_FILE", settings_file(tmp_path, "max_lines = 5"))
    assert cli.main(["inspect", str(THREE_SAMPLES), "--sample", "HET_3C_41"]) == 2
    assert "error: [input_limits] in genolens.toml: unknown key 'max_lines'" in capsys.readouterr().err


def test_dashboard_limits_reach_the_isolated_read_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "SETTINGS_FILE", settings_file(tmp_path, "max_line_bytes = 64"))
    assert config.input_limits().max_line_bytes == 64
    # the dashboard reads in a worker process: the limit travels there
    with pytest.raises(VcfReadError, match=r"is longer than 64 bytes.*\(Limit: \[input_limits\] max_line_bytes\.\)"):
        read_patient_isolated(THREE_SAMPLES, sample="HET_3C_41")
    with pytest.raises(VcfReadError, match=r"\(Limit: \[input_limits\] max_line_bytes\.\)"):
        read_patient(THREE_SAMPLES, sample="HET_3C_41")
    monkeypatch.setattr(config, "SETTINGS_FILE", tmp_path / "absent.toml")
    assert config.input_limits() == DEFAULT_LIMITS
    assert read_patient(THREE_SAMPLES, sample="HET_3C_41").sample == "HET_3C_41"


def test_dashboard_refuses_a_bad_value_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "SETTINGS_FILE", settings_file(tmp_path, "max_header_bytes = 0"))
    with pytest.raises(OptionError, match=r"max_header_bytes = 0 is not a positive whole number"):
        config.input_limits()


def test_the_shipped_genolens_toml_documents_every_key_with_its_default() -> None:
    text = (config.ROOT / "genolens.toml").read_text(encoding="utf-8").split("[input_limits]", 1)[1]
    documented = {key: int(value) for key, value in re.findall(r"^# (\w+) = (\d+)", text, flags=re.MULTILINE)}
    assert tuple(documented) == tuple(f for f in DEFAULT_LIMITS.__dataclass_fields__)
    assert InputLimits(**documented) == DEFAULT_LIMITS
    readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"`{key}`" in readme for key in documented)


def test_zz_no_configured_limit_outlives_the_tests_above() -> None:
    # runs after the others in this file (pytest keeps file order): nothing they set is left in force
    assert INPUT_LIMITS_ENV not in os.environ and active_limits() == DEFAULT_LIMITS
