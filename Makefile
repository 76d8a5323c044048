# KdumpWatch — build, test and run. `make help` lists the targets.
SWIFT ?= swift
SHARED ?= ../shared

.PHONY: help build run test test-unit lint format clean

help:
	@echo "make run      build and run kdump-watchd on built-in defaults"
	@echo "make test     install test dependencies and run the whole test suite"
	@echo "make build    debug build of every executable"
	@echo "make lint     swift format lint"
	@echo "make format   swift format in place"

build:
	scripts/install-deps.sh build
	$(SWIFT) build

run: build
	$(SWIFT) run kdump-watchd

# The upstream fence_kdump tools come from Debian's fence-agents (see $(SHARED)/scripts).
test:
	scripts/install-deps.sh test
	eval "$$(sh $(SHARED)/scripts/reference-agents.sh .build-reference)" && \
	  export FENCE_KDUMP FENCE_KDUMP_SEND && \
	  $(SWIFT) test

test-unit:
	$(SWIFT) test --skip IntegrationTests

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format format -i -r Sources Tests Package.swift

clean:
	rm -rf .build .build-*
