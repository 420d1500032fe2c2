# RootMail: `make run` starts the bot and a Teams-like client on embedded defaults; `make test` runs every test.
# Both install what they need (venv, pip, npm, Debian's chromium) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test doctor package demo-mail bench install clean

run: $(VENV)/.runtime node_modules/.installed
	@scripts/run-local.sh

test: $(VENV)/.dev .venv-iac/.installed node_modules/.installed /usr/bin/chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# proves a deployment's wiring against the real endpoints with the app's settings (environment); DOCTOR_ARGS=--json
doctor: $(VENV)/.runtime
	$(PY) -m doctor $(DOCTOR_ARGS)

package: $(VENV)/.runtime node_modules/.installed
	$(PY) -m manifest.package

demo-mail: $(VENV)/.runtime
	$(PY) -m scripts.demo_mail $(if $(TO),--to "$(TO)") $(if $(KIND),--kind "$(KIND)")

install: $(VENV)/.dev node_modules/.installed

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# checkov, cfn-lint and hadolint in their own venv: checkov pins boto3 and packaging older than RootMail's
.venv-iac/.installed: requirements-iac.txt
	test -x .venv-iac/bin/python || $(PYTHON) -m venv .venv-iac
	.venv-iac/bin/python -m pip install -q --disable-pip-version-check -r requirements-iac.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

/usr/bin/chromium:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-liberation >/dev/null

clean:
	rm -rf $(VENV) .venv-iac node_modules var build .pytest_cache
