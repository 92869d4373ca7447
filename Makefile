# CacheScope — build, run, test, benchmark. `make run` and `make test` are all the set-up there is.
SHELL := /bin/bash
APT_PACKAGES := libhiredis-dev libncurses-dev libsqlite3-dev redis-server tmux curl
SWIFT ?= swift
ARGS ?=

.PHONY: deps build release run serve fleet test bench fleetbench freshness clean

# The tests and the fleet also run PostgreSQL and make certificates (`make run` needs neither).
test fleet fleetbench: APT_PACKAGES += postgresql openssl

## Install the system packages that are missing (Debian/Ubuntu).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Server and dashboard in one terminal (embedded Redis unless --redis/REDIS_URL is given).
run: release
	.build/release/cachescope $(ARGS)

## The product API alone, logging to stderr.
serve: release
	.build/release/cachescope serve $(ARGS)

## A local fleet: PostgreSQL, a Redis master, replica and three sentinels, three servers, a load, and
## `watch` in the foreground; q or Ctrl-C stops it all (docs/fleet.md; FLEET_HEADLESS=1 without watch).
fleet: deps release
	scripts/fleet.sh .build/release/cachescope

## Unit, integration (real redis-server) and end-to-end (real binary, tmux) tests. At most 8 run at
## once: each starts its own redis-server and servers, and all at once on 2 cores starve the
## timeouts they check (TEST_WIDTH= runs them unbounded).
TEST_WIDTH ?= --experimental-maximum-parallelization-width 8
test: deps
	$(SWIFT) build
	CACHESCOPE_BIN=$$($(SWIFT) build --show-bin-path)/cachescope $(SWIFT) test $(TEST_WIDTH)

## Cached hits against nginx proxy_cache and Varnish in front of the same server, and against its own
## static route, with wrk (not a test: prints ratios); first the default (near cache on, answered by
## the fast path), then with --near-cache off (every hit reads Redis).
bench: deps
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  for tool in wrk:wrk nginx:nginx-light varnishd:varnish; do \
	    command -v $${tool%%:*} >/dev/null || $$SUDO apt-get install -y -qq $${tool#*:}; \
	  done
	$(SWIFT) build -c release
	scripts/bench.sh .build/release/cachescope
	NEAR_CACHE=off scripts/bench.sh .build/release/cachescope

## The fleet's figures (not a test): write latency over three servers on PostgreSQL with fences, and the
## hit throughput of a server on PostgreSQL against SQLite (docs/benchmarks.md).
fleetbench: deps release
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq wrk; }
	scripts/fleetbench.sh .build/release/cachescope

## Cross-server freshness under load: three servers on one Redis, a writer and four readers, with pub/sub
## kills, stopped servers, Redis restarts, tag invalidation and grace (7 scenarios x 30 s; ARGS="--duration 60" for longer); fails on a
## stale read while Redis is up.
freshness: deps
	$(SWIFT) build -c release
	scripts/freshness.py .build/release/cachescope $(ARGS)

clean:
	rm -rf .build
