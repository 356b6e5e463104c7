# Two commands do everything: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= results/demo

.PHONY: demo uncertainty test quick lint bench workshop venv clean help compiled
PORT   ?= 8866
# pages the workshop serves at once: a kernel each, about 230 MiB
VISITORS ?= 30
# a test file runs on one worker (its fixtures, a browser or a server, start once)
PARALLEL ?= -n 2 --dist loadfile
help:
	@echo "make demo   create .venv if missing, compare the four arrangements on jingxing_2019 (a year, 10 paired replications), write $(OUT)/"
	@echo "make uncertainty  the answer over what jingxing_2019 does not know: 64 parameter sets (about a minute on 2 cores), write results/uncertainty/"
	@echo "make test   create .venv if missing, run ruff and the whole test suite (what CI runs)"
	@echo "make quick  ruff, then the quick loop: the tests not marked slow (about a minute and a half on 2 cores)"
	@echo "make lint   ruff: lint and format check"
	@echo "make bench  run the benchmarks in benchmarks/ (about half an hour; not part of make test), write results/benchmarks/latest.json"
	@echo "make workshop  serve the trainer notebook as a web app on http://127.0.0.1:$(PORT)/ (Voila; VISITORS=$(VISITORS) pages at once; Ctrl-C stops it)"
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

uncertainty: $(STAMP)
	$(VENV)/bin/streetchief compare jingxing_2019 --uncertainty 64 --out results/uncertainty

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# the package compiled once: with PYTHONDONTWRITEBYTECODE set, every process the tests start
# (workers, spawned replications, the CLI) would otherwise compile it again
compiled: $(STAMP)
	@$(PY) -m compileall -q model scenarios >/dev/null

test: lint compiled
	$(PY) -m pytest -q $(PARALLEL)

quick: lint compiled
	$(PY) -m pytest -q $(PARALLEL) -m "not slow"

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run_all.py

workshop: $(STAMP)
	@echo "The workshop app: open http://127.0.0.1:$(PORT)/ in a browser (Ctrl-C stops it)"
	@cd notebooks && STREETCHIEF_WORKSHOP_VISITORS=$(VISITORS) JUPYTER_PATH=$(CURDIR)/notebooks/jupyter exec ../$(VENV)/bin/voila 03_workshop.ipynb \
		--no-browser --port=$(PORT) --Voila.ip=127.0.0.1 --template=streetchief \
		--Voila.config_file_paths=$(CURDIR)/notebooks/jupyter

clean:
	rm -rf $(VENV) results/demo
