# pantau — one command for the demo, one for the tests; each sets up what it needs.
SHELL := /bin/bash
# Debian 12's own Python (python3-venv below is its package): built with PGO and LTO, it runs pantau's
# polling 1.4 × faster than a shared-library build of the same version that a PATH may put first (pyenv)
PYTHON ?= /usr/bin/python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the device zoo's simulator (snmpsim, which needs pysmi) in a venv of its own: pysmi beside pysnmp would
# change how the product's pysnmp imports (slower, deprecation warnings)
ZOO_VENV := .venv-zoo
ZOO_STAMP := $(ZOO_VENV)/.installed
# what a production NMS server needs: Python's venv, Pango with fonts for the documents' PDFs
# (exporters/pdf.py names the same packages when they are missing), and graphviz's dot for the topology
RUNTIME_PACKAGES := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
	fonts-liberation2 fonts-dejavu-core graphviz
# the lab, the tests and the demo: the runtime's and the daemons, tools and browser they drive
DEB_PACKAGES := $(RUNTIME_PACKAGES) iproute2 util-linux procps passwd curl frr snmpd snmp openssh-server bind9 bind9-utils \
	dnsutils iperf3 nftables iputils-ping fping libcap2-bin prometheus prometheus-alertmanager prometheus-snmp-exporter hyperfine \
	postgresql systemd poppler-utils chromium chromium-driver

.PHONY: setup deb install venv zoo-venv test test-unit test-lab demo lint bench catalogs fresh-check clean

setup: deb venv zoo-venv

# Installs only what is missing. policy-rc.d keeps Debian's maintainer scripts from starting
# bind9, snmpd, ssh or prometheus on the host: the lab starts its own, inside namespaces.
# `make install`: pantau (and EXTRAS, e.g. postgresql) in its own venv at PREFIX, nothing of the lab
PREFIX ?= /opt/pantau
EXTRAS ?=

# installs the Debian packages of $(1) that are missing (as root; services are kept from starting now)
define apt_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root to install: $$missing" >&2; exit 1; fi; \
		created=; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
			chmod 755 /usr/sbin/policy-rc.d; created=1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
		rc=$$?; [ -n "$$created" ] && rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi
endef

deb:
	$(call apt_missing,$(DEB_PACKAGES))

install:
	$(call apt_missing,$(RUNTIME_PACKAGES))
	[ -x $(PREFIX)/bin/python ] || $(PYTHON) -m venv $(PREFIX)
	$(PREFIX)/bin/python -m pip install -q --upgrade pip
	rm -rf build  # setuptools builds in the tree: no file of an earlier build may go into this one
	$(PREFIX)/bin/python -m pip install -q -c constraints.txt '.$(if $(EXTRAS),[$(EXTRAS)])'
	rm -rf build
	@echo "pantau installed in $(PREFIX): $$($(PREFIX)/bin/pantau --version)"

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

zoo-venv: $(ZOO_STAMP)

$(ZOO_STAMP): constraints.txt
	[ -x $(ZOO_VENV)/bin/python ] || $(PYTHON) -m venv $(ZOO_VENV)
	$(ZOO_VENV)/bin/python -m pip install -q --upgrade pip
	$(ZOO_VENV)/bin/python -m pip install -q -c constraints.txt snmpsim pysmi
	touch $(ZOO_STAMP)

test: setup  # the slowest tests listed at the end: where the run's time goes (keep it under 45 minutes)
	$(BIN)/python -m pytest tests --durations=25

test-unit: venv
	$(BIN)/python -m pytest tests/unit

test-lab: setup
	$(BIN)/python -m pytest tests/lab

demo: setup
	$(BIN)/pantau lab demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m benchmarks.run

# the message catalogs (i18n/locale): extract every message and --help text, merge into each language's
# .po, compile the .mo; then translate what is new in i18n/locale/id/LC_MESSAGES/pantau.po and run it again
catalogs: venv
	$(BIN)/python -m agent.catalog

# the release gate: make test as the first command on a fresh Debian 12 root (about 40 minutes; not in CI)
fresh-check:
	bash .ci/fresh-check

clean:
	rm -rf $(VENV) $(ZOO_VENV) .pytest_cache .mypy_cache .ruff_cache
