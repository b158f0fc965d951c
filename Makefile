# make demo  - set up .venv (TensorFlow first, then the package), load every pretrained weight and measure it
# make test  - same set-up, then the whole test suite (installs the Debian data packages it needs, as root)
# make docs  - build the documentation site into site/ (strict: a broken link or reference fails)
# make bench - the benchmarks (load and epoch time, RevNet memory, DN cost, reweighting and SBNet speed, GHN cost),
#              recorded in docs/data/results and shown on the docs site's benchmarks page
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.zoo-installed
DOCS_STAMP := $(VENV)/.zoo-docs-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
# The checkout's pretrained/ is the developers' mirror of the weight files: demo and tests fetch from it.
export ZOO_WEIGHTS_URL ?= file://$(CURDIR)/pretrained
# Debian packages of the real data the tests read: Fashion-MNIST and WordNet 3.0.
TEST_DATA_PACKAGES := dataset-fashion-mnist wordnet-base
TEST_DATA_FILES := /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz /usr/share/wordnet/data.noun

.PHONY: demo test test-data docs bench install clean

install: $(STAMP)

# TensorFlow is installed first (the pin comes from pyproject.toml, the one dependency list) because the
# compiled op builds against it.
$(STAMP): pyproject.toml setup.py $(wildcard custom_ops/sbnet/*.h custom_ops/sbnet/*.cc)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q "$$(grep -o '"tensorflow==[0-9.]*"' pyproject.toml | tr -d '"')"
	$(PY) -m pip install -q -e ".[test]" --no-build-isolation
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/zoo demo

test: $(STAMP) test-data
	$(PY) -m pytest -q

test-data:
	@missing=""; for f in $(TEST_DATA_FILES); do [ -e $$f ] || missing="$$missing $$f"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing the test data ($(TEST_DATA_PACKAGES)): missing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_DATA_PACKAGES) >/dev/null; \
	  else \
	    echo "the tests read Debian's data packages, which are missing ($$missing); install them with:" >&2; \
	    echo "  sudo apt-get install -y $(TEST_DATA_PACKAGES)" >&2; exit 1; \
	  fi; \
	fi

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[docs]" --no-build-isolation
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

bench: $(STAMP)
	$(PY) tools/zoo/bench_load.py
	$(PY) tools/zoo/bench_epoch.py
	$(PY) tools/zoo/bench_pipeline.py
	$(PY) tools/revnet/bench.py
	$(PY) tools/revnet/reconstruction.py
	$(PY) tools/divnorm/bench.py
	$(PY) tools/reweight/bench.py
	$(PY) tools/sbnet/bench.py
	$(PY) tools/ghn/bench.py

clean:
	rm -rf $(VENV) build site *.egg-info
