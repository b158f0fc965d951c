# make demo  - set up .venv (TensorFlow first, then the package), run the main job on embedded data
# make test  - same set-up, then the whole test suite
# make bench - import/load/epoch-time, RevNet memory, DN cost and SBNet speed-up benchmarks into docs/BENCHMARKS.md
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.zoo-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test bench install clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml setup.py $(wildcard custom_ops/sbnet/*.h custom_ops/sbnet/*.cc)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q -e . --no-build-isolation --no-deps
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/zoo demo

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) tools/bench_load.py
	$(PY) tools/bench_epoch.py
	$(PY) tools/bench_revnet.py
	$(PY) tools/bench_divnorm.py
	$(PY) tools/bench_sbnet.py

clean:
	rm -rf $(VENV) build *.egg-info
