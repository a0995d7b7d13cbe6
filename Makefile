# The two commands of the study (see README):
#   make study   run every notebook on the bundled corpus, write them back with outputs + HTML under reports/
#   make test    unit tests (pytest tests/) and notebook regression (nbval notebooks/), under two CPU settings
# Both create the virtual environment from the pinned lock file when it is missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CORPUS ?= data/raw/seeds
OUT    ?= reports
NAME   ?= custom

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONHASHSEED := 0
export TQDM_DISABLE := 1

.PHONY: study test unit notebooks setup rerun ai-news bench lock clean-cache

study: $(STAMP)
	$(PY) -m analysis run --corpus $(CORPUS) --out $(OUT) --write-back

# make test runs everything twice, under two CPU settings (tests/cpu_env.sh): "portable" (plain kernels,
# one thread, the arithmetic of another CPU) and "native". Each pass starts from empty caches, re-executes
# the notebooks against their committed outputs (nbval), and checks that the tables and figures they wrote
# equal the committed reports/ byte for byte. See README, "Reproducibility".
CPU_SETTINGS ?= portable native

test: $(STAMP)
	@set -e; for cpu in $(CPU_SETTINGS); do \
	  settings=$$(sh tests/cpu_env.sh $$cpu); work=$$(mktemp -d); \
	  echo "== make test [$$cpu: $$settings]"; \
	  env $$settings ANALYSIS_INTERIM_DIR=$$work/unit/interim ANALYSIS_PROCESSED_DIR=$$work/unit/processed \
	    $(PY) -m pytest tests -p no:cacheprovider; \
	  env $$settings ANALYSIS_INTERIM_DIR=$$work/nb/interim ANALYSIS_PROCESSED_DIR=$$work/nb/processed \
	    ANALYSIS_REPORT_DIR=$$work/nb/report \
	    $(PY) -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider; \
	  $(PY) -m analysis compare $$work/nb/report --against reports; \
	  rm -rf $$work; \
	done

setup: $(STAMP)

# torch first, from the CPU build pinned in the lock (an unpinned torch pulls a multi-GB CUDA build).
$(STAMP): pyproject.toml requirements-lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==25.3"
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -r requirements-lock.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (analysis)" > /dev/null
	touch $(STAMP)

# Rerun the whole study on your own corpus: make rerun CORPUS=path/to/articles.csv NAME=mystudy
rerun: $(STAMP)
	$(PY) -m analysis run --corpus $(CORPUS) --out reports/$(NAME)

# The study on real AI news, from ../shared/datasets/ai_news_portrayal_dev (not shipped): builds the corpus
# under data/external/ai_news/ (git-ignored) and renders reports/ai_news/, which quotes at most 30 words a passage.
ai-news: $(STAMP)
	$(PY) -m analysis ai-news --out reports/ai_news

bench: $(STAMP)
	for script in bench/*.py; do $(PY) $$script || exit 1; done

# Regenerate the lock from the current environment (maintainers only).
lock:
	$(PY) -m pip freeze --exclude-editable | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' > requirements-lock.txt

clean-cache:
	rm -rf data/interim/* data/processed/*
	touch data/interim/.gitkeep data/processed/.gitkeep
