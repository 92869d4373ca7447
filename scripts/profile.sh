#!/usr/bin/env bash
# Where a cached hit's time goes: perf samples (cpu-clock, call graphs) of `cachescope serve` under
# wrk on GET /products, summed into a few buckets. PATH_UNDER_TEST=ordinary sends If-None-Match with
# every request, which the fast path leaves to Hummingbird: the hit path as it was before the fast
# path. Not a test. Needs perf (linux-perf) and wrk.
set -euo pipefail
BIN=${1:-.build/release/cachescope}
PORT=${PORT:-18090}
SECONDS_SAMPLED=${SECONDS_SAMPLED:-5}
WORK=$(mktemp -d)
trap 'kill ${SERVER:-} ${REDIS:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save "" --appendonly no --daemonize no >/dev/null &
REDIS=$!
for _ in $(seq 50); do [ -S "$WORK/redis.sock" ] && break; sleep 0.1; done
"$BIN" serve --port "$PORT" --redis "unix://$WORK/redis.sock" --db "$WORK/p.db" --log-level warning 2>/dev/null &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
header=()
[ "${PATH_UNDER_TEST:-fast}" = ordinary ] && header=(-H 'If-None-Match: "none"')
wrk -t2 -c64 -d$((SECONDS_SAMPLED + 3))s "${header[@]}" "http://127.0.0.1:$PORT/products" > "$WORK/wrk.out" &
WRK=$!
sleep 1
perf record -e cpu-clock -F 2000 -g -p "$SERVER" -o "$WORK/perf.data" -- sleep "$SECONDS_SAMPLED" >/dev/null 2>&1
wait "$WRK"
echo "path: ${PATH_UNDER_TEST:-fast}; $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out") req/s while sampled"
perf script -i "$WORK/perf.data" 2>/dev/null | python3 -c '
import re, sys
samples = [s.strip().split("\n")[1:] for s in sys.stdin.read().split("\n\n") if s.strip()]
# A sample goes to the bucket of its innermost frame that names one (the leaf first): time in a
# retain under FastPath.count counts for the fast path, a write syscall under it for the kernel.
buckets = [
    ("kernel: socket reads and writes", r"entry_SYSCALL|\[kernel"),
    ("fast path: lookup, counting, encoded write", r"CacheScopeKit(8FastPath|15FastPathHandler|10EncodedHit|8HTTPDate)"),
    ("ordinary path: cache lookup, counting", r"CacheScopeKit(13ResponseCache|10CacheScope|13EventRecorder|9NearCache)"),
    ("event publishing (counters, stream)", r"CacheScopeKit14EventPublisher|RedisClient"),
    ("Hummingbird: router, middleware, request task", r"Hummingbird|HTTPTypes|swift_task|swift_job"),
    ("NIO: HTTP/1 parsing and encoding", r"NIOHTTP1|llhttp"),
    ("NIO: event loop, channel pipeline", r"NIOCore|NIOPosix"),
]
counts = {name: 0 for name, _ in buckets}; other = 0
for frames in samples:
    for frame in frames:
        name = next((name for name, pattern in buckets if re.search(pattern, frame)), None)
        if name: counts[name] += 1; break
    else: other += 1
total = max(1, len(samples))
for name, _ in buckets: print("%5.1f%%  %s" % (100 * counts[name] / total, name))
print("%5.1f%%  other (runtime, allocation, libc)" % (100 * other / total))
'
