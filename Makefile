# 开放数据门户 — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
KAIFANG := $(BIN)/kaifang
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup demo-sources harvest lint chromium nginx clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

## run: set up, harvest the bundled demo sources and serve on http://$(HOST):$(PORT)
run: harvest
	$(KAIFANG) serve --host $(HOST) --port $(PORT)

harvest: demo-sources
	$(KAIFANG) harvest

demo-sources: $(STAMP)
	$(KAIFANG) init
	$(BIN)/python -m demo.register

# apt waits for the dpkg lock (another install running) instead of failing
APT = apt-get -o DPkg::Lock::Timeout=600

## test: the whole suite (unit, services, web, harvester, CLI, PostgreSQL, browser): the most in
## two processes, a file to each (pytest-xdist) in the order tests/conftest.py gives (the longest
## files first), then the tests that measure time, alone (marked serial there); either part
## running no test fails
test: $(STAMP) chromium nginx
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile --no-loadscope-reorder -m "not serial"
	$(BIN)/pytest -p no:cacheprovider -m serial

chromium:
	@command -v chromium >/dev/null 2>&1 || $(APT) install -y -q chromium >/dev/null \
	  || ($(APT) update -q >/dev/null && $(APT) install -y -q chromium >/dev/null)

# Debian's nginx, for the hybrid's tests (tests/web/test_static_nginx.py); never started as a service
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || $(APT) install -y -q nginx >/dev/null \
	  || ($(APT) update -q >/dev/null && $(APT) install -y -q nginx >/dev/null)

lint: $(STAMP)
	$(BIN)/ruff check datasets harvester portal tests demo bench
	$(BIN)/ruff format --check datasets harvester portal tests demo bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance

## bench-venv: a separate venv for the search benchmark's peer (Datasette), never the portal's
.PHONY: bench-venv
bench-venv:
	test -d .venv-bench || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet --disable-pip-version-check datasette==0.65.5 jieba==0.42.1
