#!/usr/bin/env python3
"""make freshness: do cachescope servers that share one Redis ever serve a stale listing?

The guarantee checked: after a POST or DELETE has returned on any server, no GET that starts
afterwards on any server may return the older listing. (Each server keeps hit bodies in a near
cache; a write publishes a fence and returns only once every near cache has dropped what it
changed, or can no longer serve it.)

How: a private redis-server (no persistence) and three `cachescope serve` processes sharing it and
one SQLite file, on free ports, everything under one temporary folder. One writer thread POSTs a
product, then DELETEs it, each time on a random server, one write at a time, so every write yields
exactly one known listing. Four reader threads GET /products on random servers. All times come from
time.monotonic in this one process: a request's start is taken before it is sent and its end after
the answer is read, so a read flagged below really did start after the write had returned.
Afterwards, a read that started after write k had returned must show listing k or a later one (up
to the last write that had started before the read ended); anything older is a stale read.

While Redis is down a server cannot hear invalidations. A stale read that starts during a Redis
outage, or in the reconnect window right after, and missed a write made around that outage, is
reported apart and is not a violation.

Scenarios (30 s each by default):
  plain               no interference
  kill-subscriptions  Redis drops every pub/sub connection (CLIENT KILL TYPE pubsub) every ~5 s
  stop-server         one server at a time is SIGSTOPped for 0.35-2 s; the writer avoids it, and
                      every write that returns meanwhile sends two reads to it (answered on resume)
  restart-redis       Redis is shut down for 2-3 s and restarted empty, twice (once if under 15 s)
  near-cache-off      baseline: the servers run with --near-cache off
  tags                readers also GET filtered listings (?category=misc, ?featured=false, and both with
                      a parameter that filters nothing), which writes invalidate by tag, not by pattern
  grace               as tags, with a 1 s listing TTL and 30 s grace, and 1.2-2.5 s between writes:
                      listings expire between writes and are served STALE while one server refreshes
                      them; no STALE answer may be older than a write that has returned

Every product the writer makes is in category misc and not featured, so a filtered listing holds the
current listing less the seed products its filter excludes: those are added back before checking.

Usage: scripts/freshness.py BIN [--scenario NAME ...] [--duration SECONDS] [--self-check]
--self-check runs `plain` (or the scenarios named), plants five stale reads into each recorded run
and confirms the detector flags exactly those, to show the checker itself works.
Exit status: 1 if any stale read was seen while Redis was up or a self-check failed, 2 if the
cluster could not be run, else 0. Needs redis-server on PATH; Python standard library only.
"""
import argparse
import bisect
import collections
import contextlib
import dataclasses
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SERVERS = 3
READERS = 4
SERVER_FLAGS = ["--origin-delay", "20ms", "--log-level", "warning"]
PROBES_PER_WRITE = 2     # reads sent to a stopped server after each write that returns
RECONNECT_GRACE = 1.5    # s after Redis is back in which servers may still be resubscribing
OUTAGE_LEAD = 0.1        # s: a write returning this shortly before a shutdown may lose its fence
PLANTED = 5              # stale reads planted by --self-check
HTTP_ERRORS = (OSError, http.client.HTTPException)
now = time.monotonic


@dataclasses.dataclass(frozen=True)
class Write:
    kind: str      # POST or DELETE
    port: int
    start: float
    end: float
    ok: bool       # False: the request failed, yet the store changed; such a write never "returned"


@dataclasses.dataclass(frozen=True)
class Read:
    port: int
    start: float
    end: float
    ids: frozenset | None  # the product ids listed; None if the request failed
    x_cache: str | None
    probe: bool = False    # sent to a stopped server


@dataclasses.dataclass
class Record:
    """What one run observed. states[i] is the listing after writes[:i] (states[0] is the seed)."""
    t0: float
    states: list
    writes: list = dataclasses.field(default_factory=list)
    reads: list = dataclasses.field(default_factory=list)
    outages: list = dataclasses.field(default_factory=list)  # (Redis down, Redis answering again)
    events: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failed_writes: int = 0


@dataclasses.dataclass(frozen=True)
class Stale:
    read_index: int
    got: int | None  # the listing it showed, as an index into states; None: no write produced it
    needed: int      # the last write that had returned before the read started
    excused: bool    # explained by a Redis outage


# ---------------------------------------------------------------- processes

def free_ports(n):
    """Ports the kernel hands out for port 0, all held at once so that they differ."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def redis_command(port, *args):
    """Sends one command in RESP and returns the first line of the reply (no redis-cli needed)."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload.encode())
        return s.makefile("rb").readline().decode().strip()


def store_ids(db, where="1"):
    """The product ids in the SQLite file (those matching `where`): the truth when a write's
    answer was lost."""
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return frozenset(row[0] for row in conn.execute(f"SELECT id FROM products WHERE {where}"))


class Client:
    """Keep-alive HTTP connections, one per port. One per thread: http.client is not thread-safe."""

    def __init__(self):
        self.conns = {}

    def request(self, port, method, path, body=None):
        """Returns (status, X-Cache header, body). A failed connection is dropped, so the next
        request reconnects instead of failing on it again."""
        if port not in self.conns:
            self.conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn = self.conns[port]
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("X-Cache"), resp.read()
        except HTTP_ERRORS:
            conn.close()
            del self.conns[port]
            raise


class Cluster:
    """A private redis-server and SERVERS cachescope servers sharing it and one SQLite file.
    Leaving the `with` block stops every process it started, resuming stopped ones first."""

    def __init__(self, binary, workdir, server_flags):
        self.binary, self.workdir, self.server_flags = binary, workdir, server_flags
        self.db = os.path.join(workdir, "shop.db")
        self.redis_port, *self.ports = free_ports(SERVERS + 1)
        self.redis = None
        self.servers = []  # Popen, in the order of self.ports

    def __enter__(self):
        try:
            self.start_redis()
            for port in self.ports:  # one at a time: the first creates and seeds the store
                proc = self._spawn([self.binary, "serve", "--port", str(port),
                                    "--redis", f"redis://127.0.0.1:{self.redis_port}/0",
                                    "--db", self.db, *self.server_flags], f"server-{port}.log")
                self.servers.append(proc)
                self._wait(proc, lambda: Client().request(port, "GET", "/health")[0] == 200)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for proc in self.servers:
            proc.send_signal(signal.SIGCONT)  # a stopped process would not act on SIGTERM
            self._stop(proc)
        self.stop_redis()

    def _spawn(self, argv, log_name):
        """Starts a child in its own session, so that Ctrl-C reaches only this script, which then
        stops the children in order; its output goes to a log shown if it fails to start."""
        path = os.path.join(self.workdir, log_name)
        with open(path, "wb") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        proc.log_path = path
        return proc

    def _wait(self, proc, ready, timeout=20.0):
        """Polls ready() until it holds, so start-up takes as long as it needs and no longer."""
        deadline = now() + timeout
        while proc.poll() is None and now() < deadline:
            try:
                if ready():
                    return
            except HTTP_ERRORS:
                pass
            time.sleep(0.05)
        with open(proc.log_path, errors="replace") as log:  # quoted: the folder is removed at exit
            tail = "".join(log.readlines()[-15:])
        raise RuntimeError(f"{' '.join(proc.args[:4])} ... did not start (exit status {proc.poll()}); "
                           f"its log ends:\n{tail}")

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def start_redis(self):
        self.redis = self._spawn(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", self.workdir], "redis.log")
        self._wait(self.redis, lambda: redis_command(self.redis_port, "PING") == "+PONG")

    def stop_redis(self):
        if self.redis:
            self._stop(self.redis)

    def exited(self):
        """Servers that died during the run: their failed reads would otherwise look like load."""
        return {port: proc.returncode for port, proc in zip(self.ports, self.servers) if proc.poll() is not None}

    def write_fences(self):
        return [json.loads(Client().request(port, "GET", "/cache/stats")[2])["write_fences"]
                for port in self.ports]


# ---------------------------------------------------------------- load and interference

class Workload:
    """The writer, readers and interference of one run, and the Record they fill."""

    def __init__(self, cluster, listings, write_pause):
        self.cluster = cluster
        self.write_pause = write_pause  # seconds between writes, (low, high)
        self.record = Record(t0=now(), states=[store_ids(cluster.db)])
        # Each listing read, with the seed products its filter leaves out (never deleted: the writer
        # deletes only its own), added back to what it shows.
        self.listings = [(path, store_ids(cluster.db, excluded)) for path, excluded in listings]
        self.lock = threading.Lock()        # guards record
        self.write_turn = threading.Lock()  # held for a whole write: servers are stopped between writes
        self.stopped_port = None
        self.finished = threading.Event()
        self.threads = []
        self.errors = []

    def spawn(self, target, *args):
        """Starts a thread whose exception ends the run and is re-raised by finish(), rather than
        leaving a run that silently lost its writer or a reader."""
        def guarded():
            try:
                target(*args)
            except BaseException as e:
                self.errors.append(e)
                self.finished.set()
        thread = threading.Thread(target=guarded, daemon=True)
        with self.lock:
            self.threads.append(thread)
        thread.start()

    def finish(self):
        """Ends the run and waits for its threads (a read held by a stopped server is answered
        once the interference thread resumes it), giving up after a minute."""
        self.finished.set()
        deadline = now() + 60
        while now() < deadline:  # the writer may add probe threads until it has stopped
            with self.lock:
                pending = [t for t in self.threads if t.is_alive()]
            if not pending:
                break
            pending[0].join(timeout=max(0.0, deadline - now()))
        if self.errors:
            raise RuntimeError(f"a load thread failed: {self.errors[0]!r}") from self.errors[0]

    def event(self, name):
        with self.lock:
            self.record.events[name] += 1

    def write_loop(self):
        """The only writer, so that writes are totally ordered and each yields one known listing."""
        client = Client()
        seed = self.record.states[0]
        while not self.finished.is_set():
            with self.write_turn:
                port = random.choice([p for p in self.cluster.ports if p != self.stopped_port])
                mine = max(self.record.states[-1] - seed, default=None)  # the product to delete
                stopped = self.stopped_port  # changes only under write_turn or to None
                if self.write_once(client, port, mine) and stopped is not None:
                    for _ in range(PROBES_PER_WRITE):
                        self.spawn(self.read_once, Client(), stopped, True)
            time.sleep(random.uniform(*self.write_pause))

    def write_once(self, client, port, mine):
        """POSTs a product, or DELETEs `mine`, and records the listing it leaves. Returns whether
        the write returned successfully."""
        kind, path = ("POST", "/products") if mine is None else ("DELETE", f"/products/{mine}")
        body = json.dumps({"name": "freshness", "price": 1}) if mine is None else None
        start = now()
        try:
            status, _, answer = client.request(port, kind, path, body)
        except HTTP_ERRORS:
            status = None
        end = now()
        before = self.record.states[-1]
        ok = status == (201 if kind == "POST" else 200)
        if ok:
            state = (before | {json.loads(answer)["id"]}) if kind == "POST" else (before - {mine})
        else:
            self.record.failed_writes += 1
            time.sleep(0.3)  # a request that failed on our side may still be committing
            state = store_ids(self.cluster.db)
            if state == before:
                return False
        with self.lock:
            self.record.writes.append(Write(kind, port, start, end, ok))
            self.record.states.append(state)
        return ok

    def read_loop(self):
        client = Client()
        while not self.finished.is_set():
            self.read_once(client, random.choice(self.cluster.ports))
            time.sleep(random.uniform(0.0, 0.01))

    def read_once(self, client, port, probe=False):
        start = now()
        try:
            path, left_out = random.choice(self.listings)
            status, x_cache, body = client.request(port, "GET", path)
            ids = frozenset(p["id"] for p in json.loads(body)["products"]) | left_out if status == 200 else None
        except HTTP_ERRORS + (ValueError,):
            ids = x_cache = None
        read = Read(port, start, now(), ids, x_cache, probe)
        with self.lock:
            self.record.reads.append(read)


def kill_subscriptions(work, duration):
    """Drops every pub/sub connection about every 5 s: fences published while a server is
    resubscribing must still reach it, or the writer must wait out its lease."""
    while not work.finished.wait(random.uniform(4.5, 5.5)):
        redis_command(work.cluster.redis_port, "CLIENT", "KILL", "TYPE", "pubsub")
        work.event("CLIENT KILL TYPE pubsub")


def stop_servers(work, duration):
    """SIGSTOPs one server at a time for 0.35-2 s, so that it misses fences and may hold a near
    cache past its lease; the probe reads sent to it (see write_loop) are answered on resume."""
    for proc, port in itertools.cycle(zip(work.cluster.servers, work.cluster.ports)):
        if work.finished.wait(random.uniform(1.0, 2.0)):
            return
        with work.write_turn:  # between writes, so that no write is sent to the stopped server
            os.kill(proc.pid, signal.SIGSTOP)
            work.stopped_port = port
        work.event("SIGSTOP")
        try:
            work.finished.wait(random.uniform(0.35, 2.0))
        finally:
            os.kill(proc.pid, signal.SIGCONT)
            work.stopped_port = None


def restart_redis(work, duration):
    """Shuts Redis down for 2-3 s and restarts it empty, at 30% and 70% of the run (at 40% only,
    if the run is too short for two); the outage windows are recorded for the analysis."""
    t0 = now()
    for at in (0.3, 0.7) if duration >= 15 else (0.4,):
        if work.finished.wait(max(0.0, t0 + at * duration - now())):
            return
        down = now()
        work.cluster.stop_redis()
        work.event("Redis restart")
        work.finished.wait(random.uniform(2.0, 3.0))
        work.cluster.start_redis()
        with work.lock:
            work.record.outages.append((down, now()))


UNFILTERED = [("/products", "0")]  # (path, SQL condition of the seed products its filter leaves out)
FILTERED = UNFILTERED + [
    ("/products?category=misc", "category != 'misc'"),
    ("/products?featured=false", "featured != 0"),
    ("/products?featured=false&category=misc&x=1", "category != 'misc' OR featured != 0"),
]

WRITES_OFTEN = (0.02, 0.12)  # s between writes

SCENARIOS = {  # name: (extra server flags, interference, listings read, pause between writes)
    "plain": ([], None, UNFILTERED, WRITES_OFTEN),
    "kill-subscriptions": ([], kill_subscriptions, UNFILTERED, WRITES_OFTEN),
    "stop-server": ([], stop_servers, UNFILTERED, WRITES_OFTEN),
    "restart-redis": ([], restart_redis, UNFILTERED, WRITES_OFTEN),
    "near-cache-off": (["--near-cache", "off"], None, UNFILTERED, WRITES_OFTEN),
    "tags": ([], None, FILTERED, WRITES_OFTEN),
    "grace": (["--ttl", "/products=1s", "--grace", "30s"], None, FILTERED, (1.2, 2.5)),
}


def run_scenario(binary, name, duration, workdir):
    """Runs one scenario on a fresh cluster; returns its Record and each server's write_fences."""
    flags, interference, listings, write_pause = SCENARIOS[name]
    with Cluster(binary, workdir, SERVER_FLAGS + flags) as cluster:
        work = Workload(cluster, listings, write_pause)
        try:
            work.spawn(work.write_loop)
            for _ in range(READERS):
                work.spawn(work.read_loop)
            if interference:
                work.spawn(interference, work, duration)
            work.finished.wait(duration)
        finally:
            work.finish()
        exited = cluster.exited()
        if exited:
            raise RuntimeError(f"{name}: servers exited during the run (port: status) {exited}")
        return work.record, cluster.write_fences()


# ---------------------------------------------------------------- analysis

class Timeline:
    """For each read, the range of listings it may show, found by bisection over the writes
    (the writer is serial, so write starts and ends are both in increasing order)."""

    def __init__(self, record):
        self.ok = [(w.end, i + 1) for i, w in enumerate(record.writes) if w.ok]
        self.ok_ends = [end for end, _ in self.ok]
        self.starts = [w.start for w in record.writes]

    def bounds(self, read):
        """(needed, newest): the last write that had returned before the read started, and the
        last that had started before it ended (a write in flight may or may not be visible)."""
        returned = bisect.bisect_left(self.ok_ends, read.start)
        needed = self.ok[returned - 1][1] if returned else 0
        return needed, bisect.bisect_left(self.starts, read.end)


def in_outage_window(record, t):
    """The outage whose window (Redis down, until RECONNECT_GRACE after it answers again) holds t."""
    return next(((d, u) for d, u in record.outages if d <= t <= u + RECONNECT_GRACE), None)


def explained_by_outage(record, read, got, needed):
    """A stale read is excused only if it started in an outage window and one of the writes it
    missed was made around that outage: a read that misses a write from well before the outage
    is not explained by it."""
    window = in_outage_window(record, read.start)
    if window is None or got is None:
        return False
    down, up = window
    missed = record.writes[got:needed]  # writes[i] produced states[i + 1]
    return any(w.end >= down - OUTAGE_LEAD and w.start <= up + RECONNECT_GRACE for w in missed)


def find_stale_reads(record):
    """Every read showing a listing older than the last write that had returned before it
    started. The seed listing recurs after each DELETE, so a read is fresh if any position of
    the listing it showed falls in its allowed range."""
    positions = collections.defaultdict(list)
    for i, state in enumerate(record.states):
        positions[state].append(i)
    timeline = Timeline(record)
    stale = []
    for n, read in enumerate(record.reads):
        if read.ids is None:
            continue
        needed, newest = timeline.bounds(read)
        seen = positions.get(read.ids, [])
        if any(needed <= j <= newest for j in seen):
            continue
        got = max((j for j in seen if j < needed), default=None)
        stale.append(Stale(n, got, needed, explained_by_outage(record, read, got, needed)))
    return stale


def self_check(record):
    """Gives PLANTED reads the listing from just before the last write that had returned when
    they started, and checks that the detector then flags exactly those on top of what it
    flagged before. Returns (ok, message)."""
    before = {(s.read_index, s.excused) for s in find_stale_reads(record)}
    flagged = {i for i, _ in before}
    timeline = Timeline(record)
    eligible = []
    for n, read in enumerate(record.reads):
        if read.ids is None or n in flagged or in_outage_window(record, read.start):
            continue
        needed, newest = timeline.bounds(read)
        if needed and record.states[needed - 1] not in record.states[needed:newest + 1]:
            eligible.append((n, record.states[needed - 1]))
    if len(eligible) < PLANTED:
        return False, f"only {len(eligible)} reads to plant stale listings in"
    chosen = [eligible[len(eligible) * (i + 1) // (PLANTED + 1)] for i in range(PLANTED)]
    reads = list(record.reads)
    for n, older in chosen:
        reads[n] = dataclasses.replace(reads[n], ids=older)
    after = {(s.read_index, s.excused) for s in find_stale_reads(dataclasses.replace(record, reads=reads))}
    planted = {(n, False) for n, _ in chosen}
    if after == before | planted:
        return True, f"planted {PLANTED} stale reads, the detector flagged exactly those"
    return False, (f"planted reads {sorted(n for n, _ in chosen)}; newly flagged "
                   f"{sorted(after - before)}, no longer flagged {sorted(before - after)}")


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def describe(record, stale):
    """One line locating a stale read and the write it missed, for whoever has to debug it."""
    read = record.reads[stale.read_index]
    missed = record.writes[stale.needed - 1 if stale.got is None else stale.got]
    shown = "a listing no write produced" if stale.got is None else f"listing #{stale.got}"
    return (f"GET on :{read.port} at {read.start - record.t0:.3f} s (X-Cache {read.x_cache}) showed {shown}; "
            f"{missed.kind} on :{missed.port} had returned {1000 * (read.start - missed.end):.1f} ms before")


def report(name, duration, record, fences, check):
    """Prints one scenario's block; returns (violations, stale reads excused by an outage)."""
    stale = find_stale_reads(record)
    violations = [s for s in stale if not s.excused]
    latencies = [1000 * (w.end - w.start) for w in record.writes if w.ok]
    failed_reads = sum(r.ids is None for r in record.reads)
    probes = sum(r.probe for r in record.reads)
    print(f"{name} ({duration:g} s)")
    print(f"  writes        {len(record.writes)}, {record.failed_writes} failed; "
          f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms")
    answers = collections.Counter(r.x_cache for r in record.reads if r.x_cache)
    print(f"  reads         {len(record.reads)}, {failed_reads} failed"
          + (f", {probes} sent to a stopped server" if probes else "")
          + "; " + ", ".join(f"{n} {kind}" for kind, n in sorted(answers.items())))
    print(f"  violations    {len(violations)} stale reads while Redis was up")
    for s in violations[:3]:
        print(f"    {describe(record, s)}")
    if record.outages:
        lengths = ", ".join(f"{u - d:.1f} s" for d, u in record.outages)
        print(f"  outages       {len(stale) - len(violations)} stale reads in outage windows "
              f"(Redis down {lengths}; +{RECONNECT_GRACE:g} s to reconnect), not violations")
    print("  write_fences  " + ", ".join(f"{key} {'/'.join(str(f[key]) for f in fences)}" for key in fences[0])
          + " (per server)")
    if record.events:
        print("  interference  " + ", ".join(f"{n} x {e}" for e, n in record.events.items()))
    if check:
        print(f"  self-check    {'OK' if check[0] else 'FAILED'}: {check[1]}")
    return len(violations), len(stale) - len(violations)


# ---------------------------------------------------------------- main

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", help="the cachescope binary, e.g. .build/release/cachescope")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="run only this scenario (repeatable; default: all, or plain with --self-check)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per scenario (default 30)")
    parser.add_argument("--self-check", action="store_true",
                        help="plant stale reads into each recorded run and check that exactly those are flagged")
    args = parser.parse_args()
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        parser.error(f"{args.binary} is not an executable file")
    if shutil.which("redis-server") is None:
        parser.error("redis-server is not on PATH")
    if args.duration <= 0:
        parser.error("--duration must be positive")
    args.binary = os.path.abspath(args.binary)
    args.scenario = args.scenario or (["plain"] if args.self_check else list(SCENARIOS))
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # killed by make or CI: still clean up
    workdir = tempfile.mkdtemp(prefix="freshness-")
    violations, failed_checks, reads, writes, excused = {}, [], 0, 0, 0
    try:
        for name in args.scenario:
            scenario_dir = os.path.join(workdir, name)
            os.mkdir(scenario_dir)
            record, fences = run_scenario(args.binary, name, args.duration, scenario_dir)
            check = self_check(record) if args.self_check else None
            if check and not check[0]:
                failed_checks.append(name)
            violations[name], in_outages = report(name, args.duration, record, fences, check)
            reads, writes, excused = reads + len(record.reads), writes + len(record.writes), excused + in_outages
    except KeyboardInterrupt:
        print("freshness: interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, ValueError, sqlite3.Error) as e:
        # The cluster could not be run or read: no verdict, which is not the same as a stale read.
        print(f"freshness: error: {e}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total = sum(violations.values())
    checked = f"; self-check {'FAILED in ' + ', '.join(failed_checks) if failed_checks else 'OK'}" \
        if args.self_check else ""
    if total or failed_checks:
        where = ", ".join(f"{name} {n}" for name, n in violations.items() if n)
        print(f"freshness: FAIL, {total} stale reads while Redis was up ({where or 'none'}){checked}")
    else:
        scenarios = f"{len(violations)} scenario" + ("s" if len(violations) > 1 else "")
        print(f"freshness: PASS, no stale read while Redis was up in {scenarios} "
              f"({reads} reads, {writes} writes; {excused} stale in outage windows){checked}")
    return 1 if total or failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
