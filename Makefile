# Two commands do everything: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= results/demo

.PHONY: demo test bench venv clean help
help:
	@echo "make demo   create .venv if missing, compare both arrangements on jingxing_2019 (a year, 10 paired runs), write $(OUT)/"
	@echo "make test   create .venv if missing, run the test suite"
	@echo "make bench  run the benchmarks in benchmarks/ (about half an hour; not part of make test), write results/benchmarks/latest.json"
	@echo "make clean  remove .venv and results/demo"

$(STAMP): pyproject.toml
	@PYTHON=$$(PYTHON="$(PYTHON)" sh .ci/find-python) || exit 1; \
	echo "Creating $(VENV) with $$PYTHON"; \
	"$$PYTHON" -m venv $(VENV) && \
	$(PY) -m pip install --quiet --upgrade pip && \
	$(PY) -m pip install --quiet -e '.[test]' && touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/streetchief compare jingxing_2019 --replications 10 --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) results/demo
