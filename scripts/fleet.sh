#!/usr/bin/env bash
# A local CacheScope fleet on loopback: PostgreSQL, a Redis master and replica, three sentinels,
# three `cachescope serve` sharing them, a `cachescope load`, and `cachescope watch` in the
# foreground. Quitting watch (q), Ctrl-C or SIGTERM stops everything this script started and removes
# its temp dir. See docs/fleet.md.
#
#   scripts/fleet.sh .build/release/cachescope      (what `make fleet` runs)
#   FLEET_PORTS="9001 9002"   server ports, one server per port (default 8001 8002 8003; a busy one is replaced)
#   FLEET_HEADLESS=1          no watch: keep the fleet up until Ctrl-C (also when stdin is no terminal)
#   FLEET_INFRA_ONLY=1        only PostgreSQL, Redis and the sentinels (no binary needed)
set -euo pipefail

INFRA_ONLY=${FLEET_INFRA_ONLY:-0} HEADLESS=${FLEET_HEADLESS:-0}
IFS=', ' read -r -a WANTED <<<"${FLEET_PORTS:-8001 8002 8003}"

die() { echo "fleet: $*" >&2; exit 1; }
for tool in redis-server redis-cli curl python3; do command -v "$tool" >/dev/null || die "$tool is missing (make deps)"; done
if [ "$INFRA_ONLY" != 1 ]; then
  [ -x "${1:-}" ] || die "usage: $0 path/to/cachescope (or FLEET_INFRA_ONLY=1 $0)"
  BIN=$(readlink -f "$1")
fi

# PostgreSQL's server binaries: on PATH, else Debian's /usr/lib/postgresql/<version>/bin (newest).
if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  PGBIN=$(dirname "$(readlink -f "$(command -v initdb)")")
else
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL is not installed (make deps installs the postgresql package)"
fi

# free_ports N [PREFERRED...]: N distinct free loopback ports, each preferred one if it is free.
free_ports() {
  python3 - "$@" <<'EOF'
import socket, sys
n, preferred, held, ports = int(sys.argv[1]), [int(p) for p in sys.argv[2:]], [], []
def take(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(("127.0.0.1", port))
    except OSError: s.close(); return None
    held.append(s); return s.getsockname()[1]       # held until all are chosen: no duplicates
for i in range(n):
    got = take(preferred[i]) if i < len(preferred) else None
    if got is None and i < len(preferred): print(f"fleet: port {preferred[i]} is busy; using another", file=sys.stderr)
    ports.append(got or take(0))
print(" ".join(map(str, ports)))
EOF
}

TMP=$(mktemp -d -t cachescope-fleet.XXXXXX)
PGHOME=$TMP/postgres PG_DATA_DIR=$TMP/postgres/data
declare -a PIDS=() NAMES=()

# ours PID: still a child of this shell (a pid that was reaped and reused is left alone).
ours() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }

# stop REGEX: SIGTERM to our children whose name matches, SIGKILL to those left after 10 s.
stop() {
  local i t pids=()
  for i in "${!PIDS[@]}"; do
    [[ ${NAMES[i]} =~ $1 ]] && ours "${PIDS[i]}" && kill -TERM "${PIDS[i]}" 2>/dev/null && pids+=("${PIDS[i]}")
  done
  for ((t = 0; t < 100; t++)); do
    local alive=0
    for i in "${pids[@]}"; do kill -0 "$i" 2>/dev/null && ours "$i" && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for i in "${pids[@]}"; do ours "$i" && kill -KILL "$i" 2>/dev/null; done
  for i in "${pids[@]}"; do wait "$i" 2>/dev/null; done
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  set +e
  echo "fleet: stopping everything..."
  stop '^(watch|load|serve)'     # clients first, so the servers unannounce while Redis is up
  stop '^sentinel'               # no failover while the Redis servers stop
  stop '^redis'
  [ -f "$PG_DATA_DIR/postmaster.pid" ] && pg "$PGBIN/pg_ctl" -D "$PG_DATA_DIR" stop -m fast -w >/dev/null
  [ -t 0 ] && stty sane 2>/dev/null
  rm -rf "$TMP"
  echo "fleet: stopped; removed $TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP

# start NAME CMD...: CMD in the background, from the temp dir, output to $TMP/NAME.log.
start() {
  local name=$1; shift
  (cd "$TMP" && exec "$@") </dev/null >"$TMP/$name.log" 2>&1 &
  PIDS+=("$!"); NAMES+=("$name")
}
pid_of() { local i; for i in "${!NAMES[@]}"; do [ "${NAMES[i]}" = "$1" ] && echo "${PIDS[i]}"; done; true; }

# wait_for NAME SECONDS CMD...: retry CMD until it succeeds; fail early if NAME's process died.
wait_for() {
  local name=$1 deadline=$((SECONDS + $2)) pid; shift 2
  pid=$(pid_of "$name")
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      tail -n 15 "$TMP/$name.log" >&2
      die "$name did not come up (its log is above)"
    fi
    sleep 0.2
  done
}
pong() { [ "$(redis-cli -p "$1" PING 2>/dev/null)" = PONG ]; }
# sentinel_field PORT FIELD: one field of `SENTINEL MASTER cachescope`.
sentinel_field() { redis-cli -p "$1" SENTINEL MASTER cachescope 2>/dev/null | awk -v f="$2" 'p == f { print; exit } { p = $0 }'; }
sentinel_ready() {   # knows the master, the replica and the two other sentinels
  [ "$(redis-cli -p "$1" SENTINEL GET-MASTER-ADDR-BY-NAME cachescope 2>/dev/null | tr '\n' ' ')" = "127.0.0.1 $MPORT " ] &&
    [ "$(sentinel_field "$1" num-slaves)" -ge 1 ] && [ "$(sentinel_field "$1" num-other-sentinels)" -ge 2 ]
}

read -r PGPORT MPORT RPORT S1 S2 S3 <<<"$(free_ports 6)"
read -r -a PORTS <<<"$(free_ports "${#WANTED[@]}" "${WANTED[@]}")"

# --- PostgreSQL. initdb refuses to run as root: then the server runs as the `postgres` user.
mkdir "$PGHOME"
AS_PG=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root, and there is no 'postgres' user to run PostgreSQL as"
  AS_PG=(runuser -u postgres --)
  chown postgres: "$PGHOME" && chmod 711 "$TMP"
fi
pg() { (cd "$PGHOME" && "${AS_PG[@]}" "$@"); }
echo "fleet: PostgreSQL on $PGPORT ($PGBIN)"
pg "$PGBIN/initdb" -D "$PG_DATA_DIR" -U cachescope --auth=trust >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
pg "$PGBIN/pg_ctl" -D "$PG_DATA_DIR" -o "-p $PGPORT -k $PGHOME -c listen_addresses=127.0.0.1" -l "$PGHOME/pg.log" start -w >/dev/null ||
  { cat "$PGHOME/pg.log" >&2; die "PostgreSQL did not start"; }
CREATEDB=$PGBIN/createdb; [ -x "$CREATEDB" ] || CREATEDB=createdb
"$CREATEDB" -h 127.0.0.1 -p "$PGPORT" -U cachescope cachescope
STORE_URL="postgres://cachescope@127.0.0.1:$PGPORT/cachescope"

# --- Redis: a master and its replica, no persistence. DEBUG is allowed from loopback (Redis 7
# refuses it by default) so that `DEBUG SLEEP` can stall the master.
echo "fleet: Redis master on $MPORT, replica on $RPORT, sentinels on $S1 $S2 $S3"
REDIS_ARGS=(--bind 127.0.0.1 --save '' --appendonly no --daemonize no)
[[ $(redis-server --version) =~ v=([0-9]+) ]] && ((BASH_REMATCH[1] >= 7)) && REDIS_ARGS+=(--enable-debug-command local)
mkdir "$TMP/redis-master" "$TMP/redis-replica"
start redis-master redis-server --port "$MPORT" --dir "$TMP/redis-master" "${REDIS_ARGS[@]}"
wait_for redis-master 10 pong "$MPORT"
start redis-replica redis-server --port "$RPORT" --dir "$TMP/redis-replica" --replicaof 127.0.0.1 "$MPORT" "${REDIS_ARGS[@]}"
wait_for redis-replica 20 sh -c "redis-cli -p $RPORT INFO replication | grep -q master_link_status:up"

# --- Three sentinels, quorum 2. Each rewrites its own conf file, so each has one.
for i in 1 2 3; do
  port_var=S$i
  cat >"$TMP/sentinel-$i.conf" <<EOF
port ${!port_var}
bind 127.0.0.1
daemonize no
dir $TMP
sentinel monitor cachescope 127.0.0.1 $MPORT 2
sentinel down-after-milliseconds cachescope 1000
sentinel failover-timeout cachescope 5000
sentinel parallel-syncs cachescope 1
EOF
  start "sentinel-$i" redis-server "$TMP/sentinel-$i.conf" --sentinel
done
for i in 1 2 3; do port_var=S$i; wait_for "sentinel-$i" 30 sentinel_ready "${!port_var}"; done
REDIS_URL="sentinel://127.0.0.1:$S1,127.0.0.1:$S2,127.0.0.1:$S3/cachescope"

banner() {   # what runs where, and how to try a failover
  echo
  echo "  temp dir    $TMP    logs: tail -f $TMP/*.log $PGHOME/pg.log"
  echo "  PostgreSQL  $STORE_URL    psql -h 127.0.0.1 -p $PGPORT -U cachescope cachescope"
  echo "  Redis       master 127.0.0.1:$MPORT (pid $(pid_of redis-master)), replica 127.0.0.1:$RPORT"
  echo "  sentinels   $REDIS_URL"
  for i in "${!URLS[@]}"; do echo "  server $((i + 1))    ${URLS[i]}"; done
  echo "  fail over   redis-cli -p $MPORT DEBUG SLEEP 30   or   kill -9 $(pid_of redis-master)"
  echo "  master now  redis-cli -p $S1 SENTINEL GET-MASTER-ADDR-BY-NAME cachescope"
  echo
}

URLS=()
if [ "$INFRA_ONLY" = 1 ]; then
  banner
  echo "fleet: infrastructure only; Ctrl-C (or kill $$) stops it. A server on it:"
  echo "  cachescope serve --port 8001 --redis '$REDIS_URL' --store '$STORE_URL'"
  while :; do sleep 1; done
fi

# --- The servers, all on the same sentinels and database, and a load across them.
for i in "${!PORTS[@]}"; do
  start "serve-$((i + 1))" "$BIN" serve --port "${PORTS[i]}" --redis "$REDIS_URL" --store "$STORE_URL"
  URLS+=("http://127.0.0.1:${PORTS[i]}")
done
for i in "${!URLS[@]}"; do wait_for "serve-$((i + 1))" 60 curl -fsS "${URLS[i]}/health"; done
LOAD_ARGS=(); for url in "${URLS[@]}"; do LOAD_ARGS+=(--url "$url"); done
start load "$BIN" load "${LOAD_ARGS[@]}" --duration 0 --rps 100
banner

# --- watch in the foreground when there is a terminal, else wait for Ctrl-C. watch runs as a
# background job given the terminal explicitly, so that a SIGTERM to this script is handled at once.
# A watch that fails at once (a terminal under 80x24, say) leaves the fleet running headless.
if [ "$HEADLESS" != 1 ] && [ -t 0 ] && [ -t 1 ] && [ "${TERM:-dumb}" != dumb ]; then
  exec 3<&0
  started=$SECONDS
  "$BIN" watch --redis "$REDIS_URL" --server "${URLS[0]}" --log-file "$TMP/watch.log" <&3 &
  PIDS+=("$!"); NAMES+=(watch)
  wait "$!" && exit 0
  status=$?
  ((SECONDS - started < 5)) || exit "$status"
  echo "fleet: watch could not start (status $status; see above and $TMP/watch.log)"
else
  echo "fleet: no terminal for watch (or FLEET_HEADLESS=1)"
fi
echo "fleet: the fleet runs until Ctrl-C (or kill $$)"
while :; do sleep 1; done
