#!/usr/bin/env bash
# The hit rate the default `cachescope load` mix gets, and the origin fetches it costs, for one or more
# server binaries, each on a fresh Redis and store, one after another: `scripts/hitrate.sh OLD NEW`.
# Not a test: it prints figures. LOAD_BIN is the binary that sends the load (default: the last one).
set -euo pipefail
DURATION=${DURATION:-60s}
PORT=${PORT:-18090}
LOAD_BIN=${LOAD_BIN:-${!#}}
# Hit rate and origin fetches from the server's own counters (a field an older build lacks counts 0).
read -r -d '' SUMMARY <<'PY' || true
import json, sys
routes = json.load(sys.stdin)["routes"]
total = {f: sum(r.get(f, 0) for r in routes.values()) for f in ("hits", "stale", "misses", "origin_fetches")}
lookups = total["hits"] + total["stale"] + total["misses"]
served = total["hits"] + total["stale"]
print("hit rate (hits + stale) / lookups: %.1f%%, origin fetches per 1000 lookups: %.0f  %s"
      % (100 * served / max(1, lookups), 1000 * total["origin_fetches"] / max(1, lookups), total))
for name, r in sorted(routes.items()):
    print("  %-16s hits %6d stale %5d misses %5d negative_hits %5d origin_fetches %5d"
          % (name, r.get("hits", 0), r.get("stale", 0), r.get("misses", 0), r.get("negative_hits", 0),
             r.get("origin_fetches", 0)))
PY
SERVER= REDIS= WORK=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$REDIS" ] && kill "$REDIS" 2>/dev/null && wait "$REDIS" 2>/dev/null
  [ -n "$WORK" ] && rm -rf "$WORK"
  SERVER= REDIS= WORK=
}
trap cleanup EXIT
for BIN in "$@"; do
  WORK=$(mktemp -d)
  redis-server --port 0 --unixsocket "$WORK/redis.sock" --save "" --appendonly no --daemonize no >/dev/null &
  REDIS=$!
  for _ in $(seq 50); do [ -S "$WORK/redis.sock" ] && break; sleep 0.1; done
  "$BIN" serve --port "$PORT" --redis "unix://$WORK/redis.sock" --db "$WORK/store.db" --log-level warning 2>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
  kill -0 "$SERVER" 2>/dev/null || { echo "$BIN did not start: $(cat "$WORK/server.log")" >&2; exit 2; }
  echo "== $BIN"
  "$LOAD_BIN" load --url "http://127.0.0.1:$PORT" --duration "$DURATION" 2>/dev/null | tail -1
  curl -s "http://127.0.0.1:$PORT/cache/stats" | python3 -c "$SUMMARY"
  cleanup
done
