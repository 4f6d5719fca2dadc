# GenoLens: `make run` starts the dashboard, `make test` runs every test.
# Both work on a fresh Debian 12 / Python 3.11 machine, as root.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
# Debian packages the browser tests and reports need (never `playwright install`).
# Debian packages the dashboard needs at run time (WeasyPrint renders PDF reports with Pango).
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
# bcftools and tabix (bgzip): bench/ingest.py; plink2: bench/cohort.py; both run in smoke mode by the tests.
APT_TEST := chromium chromium-driver poppler-utils fonts-dejavu-core fonts-noto-color-emoji bcftools tabix plink2

.PHONY: run test lint bench models validate system-run-deps system-test-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

system-run-deps:
	@if ! ldconfig -p | grep -q libpangoft2-1.0; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_RUN) >/dev/null; \
	fi

run: $(VENV)/.runtime system-run-deps
	$(PY) -m streamlit run serve.py --server.address 127.0.0.1

system-test-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null \
	  || ! command -v bcftools >/dev/null || ! command -v bgzip >/dev/null || ! command -v plink2 >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_TEST) >/dev/null; \
	fi

test: $(VENV)/.dev system-run-deps system-test-deps
	$(PY) -m ruff check genolens components pages app.py serve.py tests bench
	$(PY) -m mypy genolens
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(PY) -m ruff check genolens components pages app.py serve.py tests bench
	$(PY) -m mypy genolens

bench: $(VENV)/.dev
	$(PY) bench/ingest.py

# Regenerate the simulated training cohort and retrain every shipped bundle (deterministic seeds).
COHORT := data/cohorts/sim-2m
# A cohort simulated with a seed never used in training, selection or calibration: every card's
# [validation] (explanations) and [fresh_validation] (discrimination, calibration, 10-year E/O) figures.
FRESH := data/cohorts/fresh-200k
MODEL_VERSION := 2.0.0
models: $(VENV)/.runtime
	$(PY) -m genolens simulate --n 2000000 --seed 20261126 --out $(COHORT) --build GRCh38
	$(PY) -m genolens simulate --n 200000 --seed 20261208 --out $(FRESH) --build GRCh38
	for panel in breast_cancer coronary_artery_disease type_2_diabetes; do \
	  $(PY) -m genolens train --vcf $(COHORT)/cohort.GRCh38.vcf.gz --phenotypes $(COHORT)/phenotypes.csv \
	    --panel $$panel --out models/$$panel/$(MODEL_VERSION) --seed 1 || exit 1; \
	done
	$(PY) -m genolens train --vcf $(COHORT)/cohort.GRCh38.vcf.gz --phenotypes $(COHORT)/phenotypes.csv \
	  --panel pharmacogenomics --kind response --out models/treatment_response/$(MODEL_VERSION) --seed 1
	$(PY) -m genolens absolute-reference models/breast_cancer/$(MODEL_VERSION)
	$(PY) -m genolens train-warfarin --out models/warfarin_dose/1.0.0 --seed 2009

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts

# A fresh simulated population (a seed never used in training) against the published ORs and cited frequencies.
.PHONY: check-simulation
check-simulation: $(VENV)/.runtime
	$(PY) -m genolens check-simulation --n 3000000 --seed 20261207

# Check every bundle against the fresh cohort's truth (explanations, discrimination, calibration); figures go into each card.
.PHONY: validate
validate: $(VENV)/.runtime
	$(PY) -m genolens validate --cohort $(FRESH) --fresh
