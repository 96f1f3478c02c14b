# Two commands for a newcomer: `make repro` and `make test`. Both set everything up first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark

.PHONY: setup tools spark repro test lint format bench bench-stages lock catalog lab clean

# Bytecode is compiled here, once: where PYTHONDONTWRITEBYTECODE is set (as on CI) every
# process would otherwise compile its imports again (2.4 s per enclave command).
setup: tools $(STAMP)
	$(BIN)/python -m compileall -q src

# System tools from Debian's packages: bubblewrap for the research sandbox, chromium
# with its driver for the browser tests, and Java 17 for linkage on Spark (as root;
# elsewhere a note, and those tests are skipped).
tools:
	@missing=""; command -v bwrap >/dev/null 2>&1 || missing="bubblewrap"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq $$missing) >/dev/null; \
	  else echo "note: install Debian's $$missing (apt-get install $$missing): the sandbox and browser tests need them"; fi; \
	fi
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless) >/dev/null; \
	  else echo "note: install Debian's openjdk-17-jre-headless: linkage on Spark and its tests need Java 17"; fi; }

# The venv is rebuilt whenever the lock or the package metadata changes.
$(STAMP): requirements/lock.txt requirements/bootstrap.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/bootstrap.txt
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements/lock.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Linkage on Spark (linkage.backend: spark): the optional extra enclave[spark], pyspark from
# its own hashed lock. Not part of the lean default install; `make test` installs it for the
# Spark tests. Reinstalled after the main venv is synced (a sync removes it).
# pyspark comes as a source archive: building it takes about 2.4 GB of scratch (the source
# twice, the wheel, the wheel unpacked) for a 491 MB install. The scratch is a private cache
# in memory (/dev/shm) when that has room, else in TMPDIR, and is removed after, so the
# disk holds the install alone (a CI run failed on a full disk building it in uv's cache).
# An interrupted build (INT, TERM, HUP) removes its scratch too.
spark: setup $(SPARK_STAMP)

$(SPARK_STAMP): requirements/spark.txt $(STAMP)
	@room=$$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 {print $$4}'); \
	if [ "$${room:-0}" -ge 4096 ]; then base=/dev/shm; else base=$${TMPDIR:-/tmp}; fi; \
	scratch=$$(mktemp -d "$$base/enclave-spark-build.XXXXXX") && trap 'rm -rf "$$scratch"' EXIT && \
	trap 'exit 130' INT TERM HUP && \
	UV_CACHE_DIR="$$scratch/cache" TMPDIR="$$scratch" $(BIN)/uv pip install --quiet --compile-bytecode \
	  --link-mode copy --python $(BIN)/python --require-hashes -r requirements/spark.txt
	touch $(SPARK_STAMP)

# The main job: the whole DVC pipeline on the default synthetic world.
repro: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

# Every test: unit, spec, property, pipeline, and the study notebooks through nbmake.
test: setup spark
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -n 2 --dist loadfile tests notebooks --nbmake

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

# The whole pipeline at each size of SIZES (persons), stage by stage, with comparisons:
# reports/bench.json and reports/bench.md (benchmarks/README.md). `make bench-stages`
# runs the per-stage micro-benchmarks (benchmarks/results/).
bench: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m benchmarks.bench_pipeline $(or $(SIZES),100000 1000000)

bench-stages: setup
	$(BIN)/python -m benchmarks

# JupyterLab for one project, in the research sandbox (after make repro). The project and
# user come from ENCLAVE_PROJECT and ENCLAVE_USER (else the OS user); PORT=8888.
lab: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/enclave lab --port $(or $(PORT),8888)

catalog: setup
	$(BIN)/enclave catalog --out docs/catalog

# Recompile the hashed locks after editing requirements/*.in (needs uv; names no index).
# The Spark extra's lock is constrained to the main lock, so shared packages agree.
lock:
	uv pip compile requirements/requirements.in --generate-hashes --universal --python-version 3.11 -q -o requirements/lock.txt
	uv pip compile requirements/bootstrap.in --generate-hashes --universal --python-version 3.11 -q -o requirements/bootstrap.txt
	uv pip compile requirements/spark.in -c requirements/lock.txt --generate-hashes --universal --python-version 3.11 -q -o requirements/spark.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
