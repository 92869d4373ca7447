#!/usr/bin/env bash
# make bench: the cached hit path against a static route of the same size served by the same
# server with no Redis call, measured in one run with wrk -t2 -c64 (ratios, since machines are noisy).
# Not a test: it prints figures.
set -euo pipefail
BIN=${1:-.build/release/cachescope}
DURATION=${DURATION:-5s}
PORT=${PORT:-18080}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; kill $REDIS 2>/dev/null || true; rm -rf "$WORK"' EXIT

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save "" --appendonly no --daemonize no >/dev/null &
REDIS=$!
for _ in $(seq 50); do [ -S "$WORK/redis.sock" ] && break; sleep 0.1; done

# NEAR_CACHE=off measures the hit path with every hit read from Redis (default: the near cache, 1s).
"$BIN" serve --port "$PORT" --redis "unix://$WORK/redis.sock" --db "$WORK/bench.db" --bench-route --log-level warning \
  ${NEAR_CACHE:+--near-cache "$NEAR_CACHE"} 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/products" -o /dev/null   # warm (also warmed at start)

run() {  # url -> "rps p99_ms"
  wrk -t2 -c64 -d"$DURATION" --latency "$1" > "$WORK/wrk.out"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$WORK/wrk.out")
  echo "$rps $p99"
}
rss_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER/status"; }

# Interleaved rounds, medians: load from other tenants of a shared machine drifts over seconds,
# and alternating the two routes exposes both to the same drift.
ROUNDS=${ROUNDS:-5}
: > "$WORK/static" ; : > "$WORK/hit"
for _ in $(seq "$ROUNDS"); do
  run "http://127.0.0.1:$PORT/bench/static" >> "$WORK/static"
  run "http://127.0.0.1:$PORT/products" >> "$WORK/hit"
done
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
static_rps=$(median "$WORK/static" 1); static_p99=$(median "$WORK/static" 2)
hit_rps=$(median "$WORK/hit" 1); hit_p99=$(median "$WORK/hit" 2)
rss=$(rss_kib)
hits=$(curl -s "http://127.0.0.1:$PORT/cache/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["routes"]["/products"]["hits"])')

echo "median of $ROUNDS interleaved ${DURATION} rounds, wrk -t2 -c64${NEAR_CACHE:+, server with --near-cache $NEAR_CACHE}"
printf '%-28s %12s %12s\n' "route" "req/s" "p99 (ms)"
printf '%-28s %12s %12s\n' "static JSON (floor)" "$static_rps" "$static_p99"
printf '%-28s %12s %12s\n' "GET /products (cache hit)" "$hit_rps" "$hit_p99"
awk -v h="$hit_rps" -v s="$static_rps" -v hp="$hit_p99" -v sp="$static_p99" -v rss="$rss" 'BEGIN {
  printf "throughput ratio hit/static: %.2fx (target >= 0.85x)\n", h / s
  printf "p99 ratio hit/static:        %.2fx (target <= 2x)\n", hp / sp
  printf "server peak RSS:             %.1f MiB (target <= 64 MiB)\n", rss / 1024
}'
echo "hits counted by the server on /products: ${hits:-?}"
echo "near cache: $(curl -s "http://127.0.0.1:$PORT/cache/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["near_cache"])')"
