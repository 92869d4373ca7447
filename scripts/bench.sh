#!/usr/bin/env bash
# make bench: cached GET /products hits against the real alternatives, nginx proxy_cache and Varnish
# in front of the same server, and against the server's own static route (no Redis, no cache),
# measured in one run with wrk -t2 -c64, in interleaved rounds (medians), as ratios: these machines
# are shared and noisy. Not a test: it prints figures. Needs wrk, nginx and varnishd (make bench
# installs them).
set -euo pipefail
BIN=${1:-.build/release/cachescope}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
VARNISH_PORT=${VARNISH_PORT:-18082}
WORK=$(mktemp -d)
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -f "$WORK/varnish.pid" ] && kill "$(cat "$WORK/varnish.pid")" 2>/dev/null || true
  kill "${SERVER:-}" 2>/dev/null || true; wait "${SERVER:-}" 2>/dev/null || true
  kill "${REDIS:-}" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save "" --appendonly no --daemonize no >/dev/null &
REDIS=$!
for _ in $(seq 50); do [ -S "$WORK/redis.sock" ] && break; sleep 0.1; done

# NEAR_CACHE=off measures the hit path with every hit read from Redis (default: the near cache, 1s).
"$BIN" serve --port "$PORT" --redis "unix://$WORK/redis.sock" --db "$WORK/bench.db" --bench-route --log-level warning \
  ${NEAR_CACHE:+--near-cache "$NEAR_CACHE"} 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

# nginx caching the same server's /products: the first request fills its cache, the rest are HITs.
mkdir -p "$WORK/nginx-cache" "$WORK/nginx-tmp"
chmod 755 "$WORK"; chmod 777 "$WORK/nginx-cache" "$WORK/nginx-tmp"   # its workers drop root
cat > "$WORK/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-tmp; proxy_temp_path $WORK/nginx-tmp; fastcgi_temp_path $WORK/nginx-tmp;
  uwsgi_temp_path $WORK/nginx-tmp; scgi_temp_path $WORK/nginx-tmp;
  proxy_cache_path $WORK/nginx-cache keys_zone=api:10m;
  upstream origin { server 127.0.0.1:$PORT; keepalive 16; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache api;
      proxy_cache_valid 200 10m;
      add_header X-Proxy-Cache \$upstream_cache_status;
    }
  }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/products" -o /dev/null && break; sleep 0.1; done
nginx_status=$(curl -s -D - -o /dev/null "http://127.0.0.1:$NGINX_PORT/products" | tr -d '\r' | awk -F': ' '/X-Proxy-Cache/ {print $2}')
[ "$nginx_status" = "HIT" ] || { echo "nginx proxy_cache did not answer HIT (got '$nginx_status')" >&2; exit 1; }
# Varnish with its built-in VCL: a GET without cookies is cached for the default TTL (120 s).
varnishd -a "127.0.0.1:$VARNISH_PORT" -b "127.0.0.1:$PORT" -s malloc,64m -n "$WORK/varnishd" -P "$WORK/varnish.pid" \
  >"$WORK/varnish.log" 2>&1
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$VARNISH_PORT/products" -o /dev/null && break; sleep 0.1; done
varnish_age=$(curl -s -D - -o /dev/null "http://127.0.0.1:$VARNISH_PORT/products" | tr -d '\r' | awk -F': ' '/^X-Varnish/ {print $2}')
case "$varnish_age" in *" "*) ;; *) echo "Varnish did not answer from its cache (X-Varnish '$varnish_age')" >&2; exit 1 ;; esac
curl -sf "http://127.0.0.1:$PORT/products" -o /dev/null   # ours: warm (also warmed at start)

cpu_ticks() {  # pids... -> utime + stime of them all, in clock ticks
  local total=0 pid
  for pid in "$@"; do [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}
varnish_pids() { local manager; manager=$(cat "$WORK/varnish.pid"); echo "$manager $(pgrep -P "$manager" | tr '\n' ' ')"; }
nginx_pids() { local master; master=$(cat "$WORK/nginx.pid"); echo "$master $(pgrep -P "$master" | tr '\n' ' ')"; }

run() {  # url pids... -> "rps p50_ms p99_ms cpu_ms_per_1000_requests"
  local url=$1; shift
  local before after
  before=$(cpu_ticks "$@")
  wrk -t2 -c64 -d"$DURATION" --latency "$url" > "$WORK/wrk.out"
  after=$(cpu_ticks "$@")
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) { sub(/us/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms/, "", v); return v }
                     if (v ~ /s$/) { sub(/s/, "", v); return v * 1000 } return v }
    /Requests\/sec/ { rps = $2 } /requests in/ { total = $1 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%s %.3f %.3f %.1f\n", rps, p50, p99, ticks * 1000 / hz / (total / 1000) }' "$WORK/wrk.out"
}

: > "$WORK/result.nginx" ; : > "$WORK/result.varnish" ; : > "$WORK/result.hit" ; : > "$WORK/result.static"
# shellcheck disable=SC2046
for _ in $(seq "$ROUNDS"); do
  run "http://127.0.0.1:$NGINX_PORT/products" $(nginx_pids) >> "$WORK/result.nginx"
  run "http://127.0.0.1:$VARNISH_PORT/products" $(varnish_pids) >> "$WORK/result.varnish"
  run "http://127.0.0.1:$PORT/products" "$SERVER" >> "$WORK/result.hit"
  run "http://127.0.0.1:$PORT/bench/static" "$SERVER" >> "$WORK/result.static"
done
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
row() { printf '%-34s %10s %9s %9s %12s\n' "$1" "$(median "$2" 1)" "$(median "$2" 2)" "$(median "$2" 3)" "$(median "$2" 4)"; }
rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
stats=$(curl -s "http://127.0.0.1:$PORT/cache/stats")

echo "median of $ROUNDS interleaved ${DURATION} rounds, wrk -t2 -c64${NEAR_CACHE:+, server with --near-cache $NEAR_CACHE}"
printf '%-34s %10s %9s %9s %12s\n' "what" "req/s" "p50 ms" "p99 ms" "CPU ms/1k"
row "nginx proxy_cache hit" "$WORK/result.nginx"
row "Varnish hit" "$WORK/result.varnish"
row "cachescope GET /products hit" "$WORK/result.hit"
row "cachescope static route (floor)" "$WORK/result.static"
awk -v h="$(median "$WORK/result.hit" 1)" -v n="$(median "$WORK/result.nginx" 1)" -v s="$(median "$WORK/result.static" 1)" \
    -v v="$(median "$WORK/result.varnish" 1)" \
    -v hp="$(median "$WORK/result.hit" 3)" -v np="$(median "$WORK/result.nginx" 3)" -v rss="$rss" 'BEGIN {
  printf "ours / nginx proxy_cache:     %.2fx req/s (goal >= 1.0x), p99 %.2fx (goal <= 1.5x)\n", h / n, hp / np
  printf "ours / Varnish:               %.2fx req/s (goal >= 1.2x)\n", h / v
  printf "ours / our static route:      %.2fx req/s\n", h / s
  printf "server peak RSS:              %.1f MiB (goal <= 64 MiB)\n", rss / 1024
}'
echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); r=s["routes"]["/products"]
print("hits counted by the server on /products: %d, of them by the fast path: %s" % (r["hits"], s["near_cache"].get("fast_path_hits", 0)))'
