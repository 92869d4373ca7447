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

echo "== hits: one server on PostgreSQL, two on SQLite (the second is the noise floor), same Redis, $ROUNDS rounds of ${SECONDS_PER_ROUND}s each"
"$BIN" serve --port 8111 --redis "$REDIS" --store "$STORE" --log-level error &>"$WORK/pg.log" & PIDS+=($!)
"$BIN" serve --port 8112 --redis "$REDIS" --db "$WORK/sqlite.db" --log-level error &>"$WORK/sqlite.log" & PIDS+=($!)
"$BIN" serve --port 8113 --redis "$REDIS" --db "$WORK/sqlite2.db" --log-level error &>"$WORK/sqlite2.log" & PIDS+=($!)
for port in 8111 8112 8113; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/products/1" >/dev/null 2>&1 && break; sleep 0.2; done
done
rate() { wrk -t2 -c32 -d"${SECONDS_PER_ROUND}s" "http://127.0.0.1:$1/products/1" | awk '/Requests\/sec/ { print $2 }'; }
pg_ratios=() floor_ratios=()
for round in $(seq 1 "$ROUNDS"); do
  # The order rotates: a run right after another finds the machine warmer.
  declare -A rates=()
  order=(8111 8112 8113)
  for i in $(seq 1 $(((round - 1) % 3))); do order=("${order[@]:1}" "${order[0]}"); done
  for port in "${order[@]}"; do rates[$port]=$(rate "$port"); done
  pg_ratios+=("$(python3 -c "print(f'{${rates[8111]} / ${rates[8112]}:.3f}')")")
  floor_ratios+=("$(python3 -c "print(f'{${rates[8113]} / ${rates[8112]}:.3f}')")")
  echo "round $round: PostgreSQL ${rates[8111]}, SQLite ${rates[8112]}, SQLite again ${rates[8113]} req/s"
done
python3 - "${pg_ratios[*]}" "${floor_ratios[*]}" <<'PY'
import statistics, sys
pg, floor = (list(map(float, a.split())) for a in sys.argv[1:3])
print(f"median PostgreSQL/SQLite {statistics.median(pg):.3f} (rounds {pg}); SQLite/SQLite {statistics.median(floor):.3f} (rounds {floor})")
PY
