# Task runner of the commerce process component. `make help` lists the tasks.
# Everything runs from the project venv (.venv), created on first use.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
CACHE_DIR ?= $(or $(COMMERCE_CACHE_DIR),$(HOME)/.cache/ameide-commerce)
BUF_VERSION := v1.50.0
BUF := $(CACHE_DIR)/bin/buf
PROTO_DIR := proto/ameide_core_proto/process/commerce/v1
PROTOS := $(sort $(wildcard $(PROTO_DIR)/*.proto))

.PHONY: help setup system-deps venv temporal-cli temporal-cli-present buf generate check-generated lint test \
        demo demo-check bench bench-provision bench-projection bench-replication bench-realtime \
        record-histories deb clean kube-bins bench-operator

help:  ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# System packages first: `make venv` itself needs python3-venv on Debian.
setup: system-deps venv temporal-cli  ## Everything the tests and the demo need

# Debian packages whose tools the tests run for real (package found with `dpkg -S <tool>`):
#   postgresql            initdb, pg_ctl and the 'postgres' user (tests/support/postgres.py)
#   util-linux            runuser (PostgreSQL as root), unshare (tests/packaging), setpriv (bench)
#   mount                 mount, inside `unshare -m` (tests/packaging/test_deb.py)
#   dpkg                  dpkg-deb, dpkg --print-architecture (packaging/deb/build.sh)
#   python3 python3-venv  /usr/bin/python3 -m venv: the .deb's venv, and `make venv`
#   systemd               systemd-analyze verify of the unit
#   adduser init-system-helpers   adduser, deb-systemd-helper: the .deb's maintainer scripts
#   ca-certificates       HTTPS for pip and for `go install` of the Temporal CLI
#   pebble                pebble-challtestsrv: the authoritative DNS of the domain tests;
#                         pebble: the ACME CA that issues the mapped hostnames' certificates
#   nginx                 nginx: the storefront gateway the mapping tests wire (tests/support/nginx.py)
#   bind9                 named: RFC 2136 primary of the delegated dns-01 zone (tests/support/bind.py)
#   nsd                   nsd: authoritative DNS servers for the zone-discovery tests
#   nginx                 nginx: the storefront gateway that serves custom domains
#   etcd-server           etcd, the store of the test Kubernetes API server (tests/support/kube.py)
#   tzdata                /usr/share/zoneinfo: stores' trading calendars (zoneinfo), the .deb's Depends
# The Temporal CLI is not a Debian package: `make temporal-cli` builds it with Go >= 1.25
# (what its pinned go.mod asks for), or set TEMPORAL_CLI to an existing binary.
SYSTEM_PACKAGES := postgresql util-linux mount dpkg python3 python3-venv systemd adduser \
                   init-system-helpers ca-certificates \
                   pebble nsd etcd-server nginx tzdata bind9

system-deps:  ## Install the Debian packages the tests use, when missing (needs root or sudo)
	@missing=$$(for pkg in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q 'ok installed$$' || echo "$$pkg"; \
	done | xargs); \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing Debian packages: $$missing"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed  ## Create the venv and install the project with all extras

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

temporal-cli: venv  ## Find or build the pinned Temporal CLI (dev server)
	@$(PY) -m cloud.temporal --cache-dir $(CACHE_DIR)

# The demo may let the Temporal SDK download the CLI; the tests need the binary itself.
temporal-cli-present: venv
	@test -n "$$($(PY) -m cloud.temporal --cache-dir $(CACHE_DIR) 2>/dev/null)" || { \
	  echo "no Temporal CLI binary: the tests run the real dev server. Install Go >= 1.25" \
	    "and run 'make test' again (it builds the CLI into $(CACHE_DIR)/bin), or set" \
	    "TEMPORAL_CLI to an existing binary." >&2; exit 1; }

buf:
	@test -x $(BUF) || GOBIN=$(CACHE_DIR)/bin go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

generate: venv  ## Regenerate protobuf, gRPC and Temporal wiring code from proto/
	$(PY) -m grpc_tools.protoc -I proto --python_out=proto --pyi_out=proto $(PROTOS)
	# gRPC stubs only for the files whose services are served over gRPC.
	$(PY) -m grpc_tools.protoc -I proto --grpc_python_out=proto \
	  $(PROTO_DIR)/edge.proto $(PROTO_DIR)/sync.proto $(PROTO_DIR)/pos.proto \
	  $(PROTO_DIR)/realtime.proto \
	  $(PROTO_DIR)/bundles.proto
	$(PY) -m grpc_tools.protoc -I proto \
	  --plugin=protoc-gen-temporal-py=proto/codegen/protoc-gen-temporal-py \
	  --temporal-py_out=proto $(PROTO_DIR)/workflows.proto

check-generated: generate  ## Fail when generated code differs from its sources
	@git diff --exit-code --stat -- proto/ || \
	  (echo "generated code is stale: run 'make generate' and commit" && exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- proto/ | grep '^??')" || \
	  (git status --porcelain -- proto/; echo "untracked generated files: commit them" && exit 1)

lint: venv buf  ## ruff, mypy --strict, buf lint and buf breaking against main
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(BUF) lint
	@if git rev-parse -q --verify main >/dev/null && git cat-file -e main:buf.yaml 2>/dev/null; then \
	  $(BUF) breaking --against '.git#branch=main'; \
	else echo "buf breaking: no main branch with buf.yaml to compare against"; fi

# Exit status 5 means pytest collected no tests: a failure like any other, said out loud.
test: setup temporal-cli-present kube-bins  ## Run the test suite against real servers on loopback
	@$(PY) -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

record-histories: setup  ## Re-record the workflow histories the replay test uses
	COMMERCE_RECORD_HISTORIES=1 $(PY) -m pytest -q tests/cloud/workflows/test_record_histories.py

demo: setup  ## Local stack with a real agent; runs until Ctrl-C
	$(VENV)/bin/commerce-cloud --data-dir var/demo/cloud demo

demo-check: setup  ## The demo, non-interactive: exits 0 once every step succeeded
	rm -rf var/demo-check
	$(VENV)/bin/commerce-cloud --data-dir var/demo-check/cloud demo --check

BENCHES := bench-provision bench-projection bench-replication bench-realtime bench-domains \
           bench-rollout bench-operator
bench: $(BENCHES)  ## All benchmarks (tables, never pass/fail)

bench-provision: setup  ## Provision N sites with N real mTLS agents; writes bench/results/provision.json
	$(PY) -m bench.provision $(if $(N),--sites $(N),)

bench-projection: venv  ## Apply ROWS (1,000,000) catalog+price rows to an agent projection vs raw sqlite3
	$(PY) -m bench.projection_apply $(if $(ROWS),--rows $(ROWS),)

bench-replication: setup  ## Downsync ROWS, WRITES change latencies, SALES upsync via a real agent; writes bench/results/replication.json
	$(PY) -m bench.replication $(if $(ROWS),--rows $(ROWS),) $(if $(WRITES),--writes $(WRITES),) $(if $(SALES),--sales $(SALES),)

deb: venv  ## Build the commerce-edge .deb into dist/
	bash packaging/deb/build.sh

clean:  ## Remove build outputs and demo data
	rm -rf dist build var .pytest_cache .mypy_cache .ruff_cache

# Storefront custom domains ---------------------------------------------------------------------

.PHONY: record-domain-histories
record-domain-histories: setup  ## Record the VerifyDomainClaim histories (new scenarios only)
	COMMERCE_RECORD_HISTORIES=1 $(PY) -m pytest -q tests/cloud/workflows/test_record_domain_histories.py

bench-realtime: setup  ## Gift card redemptions through one agent and one gateway (OPS, OFFLINE_OPS); writes bench/results/realtime.json
	$(PY) -m bench.realtime $(if $(OPS),--ops $(OPS),) $(if $(OFFLINE_OPS),--offline-ops $(OFFLINE_OPS),)

# The operator tests run a real API server; Debian has none, so it is built from the Go module
# proxy (tools/kube pins the version; binaries are cached in $(CACHE_DIR)/bin by version).
kube-bins:  ## Build kube-apiserver, kube-controller-manager, kubectl for the operator tests (Go >= 1.26)
	@bash tools/kube/build.sh $(CACHE_DIR)

bench-operator: setup kube-bins  ## Reconcile latency, Temporal-loss detection, resources held; writes bench/results/operator.json
	$(PY) -m bench.operator $(if $(CHANGES),--changes $(CHANGES),) $(if $(RESOURCES),--resources $(RESOURCES),)

record-rollout-histories: setup  ## Record RolloutStoreFleet's replay histories (new scenarios only)
	COMMERCE_RECORD_HISTORIES=1 $(PY) -m pytest -q tests/cloud/workflows/test_record_rollout_histories.py

bench-rollout: setup  ## RolloutStoreFleet over SITES (1,000) agents on the real protocol (3 real) in RINGS (4) rings; writes bench/results/rollout.json
	$(PY) -m bench.rollout $(if $(SITES),--sites $(SITES),) $(if $(RINGS),--rings $(RINGS),)

.PHONY: bench-rollout record-rollout-histories

.PHONY: record-domain-mapping-histories
record-domain-mapping-histories: setup  ## Record the ProvisionDomainMapping/RevokeDomainMapping histories (new scenarios only)
	COMMERCE_RECORD_HISTORIES=1 $(PY) -m pytest -q tests/cloud/workflows/test_record_domain_mapping_histories.py

.PHONY: bench-domains
bench-domains: setup  ## Claim and provision DOMAINS (100) hostnames against Pebble + nginx; writes bench/results/domains.json
	$(PY) -m bench.domains $(if $(DOMAINS),--domains $(DOMAINS),)
