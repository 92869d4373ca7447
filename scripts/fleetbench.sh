#!/usr/bin/env bash
# The fleet's numbers for docs/benchmarks.md (not a test): on the fleet of scripts/fleet.sh (PostgreSQL,
# Sentinel, three servers with near caches, its background load), the latency of writes spread over the
# three (each waits for the fences of all near caches), and the hit throughput of one server on PostgreSQL
# against one on SQLite, in interleaved wrk rounds on the same Redis (the ratio is what counts).
#
#   scripts/fleetbench.sh .build/release/cachescope   [WRITES=300 ROUNDS=5 SECONDS_PER_ROUND=5]
set -euo pipefail
BIN=$(readlink -f "${1:?usage: $0 path/to/cachescope}")
WRITES=${WRITES:-300} ROUNDS=${ROUNDS:-5} SECONDS_PER_ROUND=${SECONDS_PER_ROUND:-5}
command -v wrk >/dev/null || { echo "fleetbench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/cachescope-fleetbench.XXXXXX)
FLEET_PID="" PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$FLEET_PID" ]; then kill "$FLEET_PID" 2>/dev/null || true; wait "$FLEET_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

FLEET_HEADLESS=1 FLEET_PORTS="8101 8102 8103" "$HERE/fleet.sh" "$BIN" >"$WORK/fleet.log" 2>&1 &
FLEET_PID=$!
for _ in $(seq 1 120); do grep -q "the fleet runs until" "$WORK/fleet.log" && break; sleep 1; done
grep -q "the fleet runs until" "$WORK/fleet.log" || { cat "$WORK/fleet.log"; exit 1; }
STORE=$(awk '$1 == "PostgreSQL" { print $2 }' "$WORK/fleet.log")
REDIS=$(awk '$1 == "sentinels" { print $2 }' "$WORK/fleet.log")
SERVERS=$(awk '$1 == "server" { print $3 }' "$WORK/fleet.log" | tr '\n' ' ')
echo "fleet: $SERVERS on $STORE and $REDIS"

echo "== writes: $WRITES POSTs and as many DELETEs, spread over the three servers"
python3 - "$WRITES" $SERVERS <<'PY'
import http.client, json, sys, time, urllib.parse
count, urls = int(sys.argv[1]), sys.argv[2:]
conns = [http.client.HTTPConnection(urllib.parse.urlparse(u).netloc, timeout=10) for u in urls]
posts, deletes = [], []
for i in range(count):
    c = conns[i % len(conns)]
    t = time.perf_counter()
    c.request("POST", "/products", json.dumps({"name": f"bench {i}", "price": 1, "category": "bench"}),
              {"Content-Type": "application/json"})
    r = c.getresponse(); body = r.read(); posts.append(time.perf_counter() - t)
    assert r.status == 201, (r.status, body)
    pid = json.loads(body)["id"]
    d = conns[(i + 1) % len(conns)]
    t = time.perf_counter()
    d.request("DELETE", f"/products/{pid}"); r = d.getresponse(); r.read(); deletes.append(time.perf_counter() - t)
    assert r.status == 200
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000
for name, xs in (("POST", posts), ("DELETE", deletes), ("all", posts + deletes)):
    print(f"{name:7} p50 {pct(xs, .5):6.1f} ms   p99 {pct(xs, .99):6.1f} ms   ({len(xs)} writes)")
PY

echo "== hits: one server on PostgreSQL and one on SQLite, same Redis, $ROUNDS interleaved rounds of ${SECONDS_PER_ROUND}s"
"$BIN" serve --port 8111 --redis "$REDIS" --store "$STORE" --log-level error &>"$WORK/pg.log" & PIDS+=($!)
"$BIN" serve --port 8112 --redis "$REDIS" --db "$WORK/sqlite.db" --log-level error &>"$WORK/sqlite.log" & PIDS+=($!)
for port in 8111 8112; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/products/1" >/dev/null 2>&1 && break; sleep 0.2; done
done
rate() { wrk -t2 -c32 -d"${SECONDS_PER_ROUND}s" "http://127.0.0.1:$1/products/1" | awk '/Requests\/sec/ { print $2 }'; }
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  pg=$(rate 8111); sqlite=$(rate 8112)
  ratio=$(python3 -c "print(f'{$pg / $sqlite:.3f}')")
  ratios+=("$ratio")
  echo "round $round: PostgreSQL $pg req/s, SQLite $sqlite req/s, ratio $ratio"
done
python3 -c "import statistics, sys; print(f'median ratio PostgreSQL/SQLite: {statistics.median(map(float, sys.argv[1:])):.3f}')" "${ratios[@]}"
