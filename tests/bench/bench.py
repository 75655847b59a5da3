#!/usr/bin/python3
"""The taskdispatcher benchmark: one command, one table.

    tests/bench/bench.py --td BUILDDIR/taskdispatcher --sink BUILDDIR/sink

Starts, on 127.0.0.1 and free ports, only for itself: a private
redis-server (AOF on, appendfsync everysec, as in production), the C sink
(tests/bench/sink.c), nginx "return 204" (the HTTP ceiling) and the
dispatcher, once per scenario with the configuration the scenario needs.
Measures enqueue, drain, idle latency, delayed accuracy, recovery after a
SIGKILL, fan-out against a slow target and the footprint, then prints the
machine and version lines and one markdown table, with the peers'
figures beside ours: from this run with BENCH_PEERS=1, else the
reference run quoted in ../shared/bench-peers/README.md, labelled so.
Stops every process it started, by its pid (daemons by their process
group, which is the one it gave them).

Environment:
    BENCH_PEERS=1          first run the peers' harness (run-peers.sh: 5 to
                           12 min a round, needs node, npm, beanstalkd) and
                           put its figures in the table
    BENCH_PEERS_DIR        the peers' harness (../shared/bench-peers; a
                           read-only one copies itself to /tmp/tdpeers)
    BENCH_PEERS_RESULTS    a results/<UTC> directory of an earlier peers run
    BENCH_PEERS_RUNS       rounds for BENCH_PEERS=1 (1)
    BENCH_QUICK=1          smoke test: small N, short runs (figures are not
                           comparable)
    BENCH_LEASE            workers.lease for the recovery run (5s)
    BENCH_KEEP=1           keep the temporary directory (logs, configs)
    BENCH_ONLY=drain,fanout  run only these parts (drain, fanout) and print
                           one line per run instead of the table: for
                           quick before/after figures on a shared machine
    BENCH_DRAIN=10x10,1x100  the drain shapes (workers x concurrency) of a
                           BENCH_ONLY run (default: the table's four)
    BENCH_FANOUT=2x1000    the fan-out shapes of a BENCH_ONLY run (default:
                           2x1000,4x500)

Python 3 standard library only.
"""

import argparse
import glob
import http.client
import json
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
QUICK = os.environ.get("BENCH_QUICK") == "1"
N_DRAIN = 2000 if QUICK else 20000
N_FAN = 400 if QUICK else 2000
N_DELAYED = 200 if QUICK else 1000
LAT_SECS = 2 if QUICK else 10
WRK_SECS = 3 if QUICK else 10
N_KILLS = 1 if QUICK else 3
LEASE = os.environ.get("BENCH_LEASE", "5s")
ONLY = [p for p in os.environ.get("BENCH_ONLY", "").split(",") if p]
HERE = os.path.dirname(os.path.abspath(__file__))
PAD = "x" * 183  # {"id":1,"pad":"…"} is 200 bytes


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr,
        flush=True)


def wall_ms():
    return time.time() * 1000.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout, what, interval=0.02):
    end = time.monotonic() + timeout
    while True:
        try:
            v = cond()
            if v:
                return v
        except (OSError, http.client.HTTPException,
            subprocess.CalledProcessError):
            pass
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def pct(xs, p):
    """The p-th percentile by rank, as the sink computes it."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def fmt(v, nd=0):
    if v is None or v != v:
        return "—"
    if nd == 0:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}"


# ---------------------------------------------------------------- /proc

def proc_cpu(pid):
    """utime + stime of a process, in seconds (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        return (int(st[11]) + int(st[12])) / HZ
    except OSError:
        return 0.0


def proc_mem(pid):
    """(VmRSS, VmHWM) in kB."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def proc_children(pid):
    kids = []
    for t in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(t) as f:
                kids += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return kids


def proc_title(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def cpu_busy():
    """Jiffies the whole machine spent not idle, and in total."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


# ---------------------------------------------------------------- HTTP

def http_call(port, method, path, body=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdr = {"Content-Type": "application/json"} if body else {}
        c.request(method, path, body=body, headers=hdr)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def task_body(url, i, extra=""):
    """A 200-byte JSON task body (longer when extra adds a timestamp)."""
    return '{"id":%d,%s"pad":"%s"}' % (i, extra, PAD[:183 - len(str(i)) + 1])


def enqueue_json(url, body, delay=0.0):
    return json.dumps({"queue": "default", "delay": delay, "task": {
        "url": url, "method": "POST",
        "headers": {"Content-Type": "application/json",
            "User-Agent": "td-peer-bench"},
        "body": body}}, separators=(",", ":")).encode()


def http_request(body):
    return (b"POST /v1/enqueue HTTP/1.1\r\nHost: bench\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % len(body)) + body


def enqueue_pipelined(port, n, make, conns=8, window=32):
    """POST make(0) … make(n - 1) to /v1/enqueue over conns keep-alive
    connections, each with up to window requests in flight.  A body is
    made just before it is sent, so that a time it holds is fresh.
    Returns (secs, ok, bad)."""
    sel = selectors.DefaultSelector()
    nxt = 0
    ok = bad = 0
    state = []
    t0 = time.monotonic()
    for _ in range(min(conns, n)):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        st = {"s": s, "out": b"", "in": b"", "pending": 0}
        state.append(st)
        sel.register(s, selectors.EVENT_READ, st)
    done = 0
    while done < n:
        for st in state:
            while st["pending"] < window and nxt < n:
                st["out"] += http_request(make(nxt))
                nxt += 1
                st["pending"] += 1
            if st["out"]:
                try:
                    w = st["s"].send(st["out"])
                    st["out"] = st["out"][w:]
                except BlockingIOError:
                    pass
        for key, _ in sel.select(timeout=5):
            st = key.data
            d = st["s"].recv(262144)
            if not d:
                raise RuntimeError("enqueue: connection closed")
            st["in"] += d
            while True:
                buf = st["in"]
                he = buf.find(b"\r\n\r\n")
                if he < 0:
                    break
                m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)",
                    buf[:he + 2])
                cl = int(m.group(1)) if m else 0
                if len(buf) < he + 4 + cl:
                    break
                if buf.startswith(b"HTTP/1.1 200"):
                    ok += 1
                else:
                    bad += 1
                st["in"] = buf[he + 4 + cl:]
                st["pending"] -= 1
                done += 1
    secs = time.monotonic() - t0
    for st in state:
        st["s"].close()
    sel.close()
    return secs, ok, bad


# ---------------------------------------------------------------- services

class Bench:
    def __init__(self, td, sink):
        self.td = os.path.abspath(td)
        self.sink_bin = os.path.abspath(sink)
        self.dir = tempfile.mkdtemp(prefix="tdbench.")
        self.procs = []  # (Popen, name, by group)
        self.rport = free_port()
        self.nport = free_port()
        self.tdport = free_port()
        self.daemon = None
        self.rows = {}
        self.notes = {}

    # -- starting and stopping what we own

    def spawn(self, name, argv, group=False, **kw):
        out = open(os.path.join(self.dir, name + ".log"), "ab")
        p = subprocess.Popen(argv, stdout=kw.pop("stdout", out),
            stderr=out, start_new_session=group, **kw)
        self.procs.append((p, name, group))
        return p

    def stop(self, p, timeout=10):
        for i, (q, name, group) in enumerate(self.procs):
            if q is p:
                del self.procs[i]
                break
        else:
            return
        if p.poll() is None:
            if group:
                os.killpg(p.pid, signal.SIGTERM)
            else:
                p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                if group:
                    os.killpg(p.pid, signal.SIGKILL)
                else:
                    p.kill()
                p.wait()

    def stop_all(self):
        for p, _, _ in list(reversed(self.procs)):
            self.stop(p)

    def start_services(self):
        self.sink = self.spawn("sink", [self.sink_bin, "-p", "0"],
            stdout=subprocess.PIPE)
        line = self.sink.stdout.readline().decode()
        self.sport = int(line.split()[1])
        self.sink_url = f"http://127.0.0.1:{self.sport}/t"
        rdir = os.path.join(self.dir, "redis")
        os.mkdir(rdir)
        # Our recommended settings (etc/redis-taskdispatcher.conf),
        # then this run's own.
        self.redis = self.spawn("redis", ["redis-server", os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))), "etc",
                "redis-taskdispatcher.conf"),
            "--port", str(self.rport), "--bind", "127.0.0.1",
            "--dir", rdir, "--save", "", "--appendonly", "yes",
            "--appendfsync", "everysec", "--daemonize", "no",
            "--maxmemory-policy", "noeviction"])
        wait_for(lambda: self.rcli("ping") == "PONG", 10, "redis")
        ng = os.path.join(self.dir, "nginx")
        os.mkdir(ng)
        conf = os.path.join(ng, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=ng, port=self.nport))
        self.nginx = self.spawn("nginx", ["nginx", "-p", ng + "/",
            "-e", os.path.join(ng, "error.log"), "-c", conf])
        wait_for(lambda: http_call(self.nport, "GET", "/")[0] == 204,
            10, "nginx")

    def rcli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.rport)] +
            list(args), capture_output=True, text=True,
            check=True).stdout.strip()

    def rinfo(self, section):
        d = {}
        for line in self.rcli("info", section).splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                d[k] = v.strip()
        return d

    def cmdstats(self):
        """calls per command since the last CONFIG RESETSTAT."""
        out = {}
        for k, v in self.rinfo("commandstats").items():
            m = re.match(r"calls=(\d+)", v)
            if m:
                out[k.replace("cmdstat_", "")] = int(m.group(1))
        return out

    def sink_get(self, what):
        st, body = http_call(self.sport, "GET", "/_sink/" + what)
        if what == "stats":
            return json.loads(body)
        return body.decode()

    def sink_log(self):
        out = []
        for line in self.sink_get("log").splitlines():
            i, t = line.split()
            out.append((int(i), float(t)))
        return out

    # -- the dispatcher

    def td_start(self, workers, conc, lease="30s"):
        self.td_stop()
        self.rcli("flushall")
        conf = os.path.join(self.dir, f"td-{workers}x{conc}.conf")
        with open(conf, "w") as f:
            f.write(TD_CONF.format(port=self.tdport, rport=self.rport,
                workers=workers, conc=conc, lease=lease))
        p = self.spawn("taskdispatcher", [self.td, "-c", conf],
            group=True)
        self.daemon = p
        wait_for(lambda: http_call(self.tdport, "GET", "/health")[0] ==
            200, 20, "taskdispatcher /health")
        wait_for(lambda: len(self.td_roles().get("worker", [])) ==
            workers, 20, f"{workers} workers")
        return p

    def td_stop(self):
        if self.daemon is not None:
            self.stop(self.daemon, timeout=15)
            self.daemon = None

    def td_roles(self):
        """role -> [pid] over the daemon's process tree."""
        roles = {"master": [self.daemon.pid]}
        todo = proc_children(self.daemon.pid)
        while todo:
            pid = todo.pop()
            m = re.match(r"taskdispatcher: (\w+)", proc_title(pid))
            if m:
                roles.setdefault(m.group(1), []).append(pid)
            todo += proc_children(pid)
        return roles

    def td_pids(self):
        return [p for ps in self.td_roles().values() for p in ps]

    def pause(self, q="default"):
        st, b = http_call(self.tdport, "POST", f"/v1/queues/{q}:pause")
        assert st == 200, b

    def resume(self, q="default"):
        st, b = http_call(self.tdport, "POST", f"/v1/queues/{q}:resume")
        assert st == 200, b


NGINX_CONF = """daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ return 204; }}
  }}
}}
"""

# Production defaults but for the addresses, the pool shape, the lease of
# the recovery run, and a short shutdown_timeout so that restarts between
# scenarios are quick.
TD_CONF = """[server]
listen = 127.0.0.1:{port}
max_connections = 4096
log_level = info
[redis]
addr = 127.0.0.1:{rport}
[workers]
count = {workers}
concurrency = {conc}
lease = {lease}
shutdown_timeout = 1s

[dashboard]
listen =
"""


class Sampler(threading.Thread):
    """Every 100 ms: the VmRSS of each of the daemon's processes; keeps
    each pid's peak and the peak of the sum."""

    def __init__(self, bench):
        super().__init__(daemon=True)
        self.b = bench
        self.stop_ev = threading.Event()
        self.peak = {}
        self.role = {}
        self.peak_total = 0
        self.peak_procs = 0

    def run(self):
        while not self.stop_ev.is_set():
            try:
                roles = self.b.td_roles()
            except OSError:
                roles = {}
            tot = n = 0
            for role, pids in roles.items():
                for pid in pids:
                    rss = proc_mem(pid)[0]
                    self.role[pid] = role
                    self.peak[pid] = max(self.peak.get(pid, 0), rss)
                    tot += rss
                    n += 1
            self.peak_total = max(self.peak_total, tot)
            self.peak_procs = max(self.peak_procs, n)
            self.stop_ev.wait(0.1)

    def finish(self):
        self.stop_ev.set()
        self.join()
        by = {}
        for pid, kb in self.peak.items():
            by.setdefault(self.role[pid], []).append(kb)
        return by


class CPU:
    """utime+stime of named groups of pids between start() and stop(),
    in % of one core."""

    def __init__(self, groups):
        self.groups = groups

    def snap(self):
        return {k: sum(proc_cpu(p) for p in v)
            for k, v in self.groups.items()}

    def start(self):
        self.t0 = time.monotonic()
        self.c0 = self.snap()
        self.m0 = cpu_busy()

    def stop(self):
        dt = time.monotonic() - self.t0
        c1 = self.snap()
        m1 = cpu_busy()
        out = {k: 100 * (c1[k] - self.c0[k]) / dt for k in c1}
        # Everything the machine did, in % of one core, so that a noisy
        # neighbour shows.
        out["machine"] = 100 * (m1[0] - self.m0[0]) / HZ / dt
        return out


def cpu_line(c, keys):
    return ", ".join(f"{k} {c[k]:.0f}" for k in keys if k in c)


# ---------------------------------------------------------------- scenarios

def wrk(b, url, script, secs, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(["wrk", "-t1", "-c64", f"-d{secs}s", "--latency",
        "-s", os.path.join(HERE, script), url], capture_output=True,
        text=True, env=e, check=True)
    out = p.stdout

    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        x = float(m.group(1))
        return {"us": x / 1000, "ms": x, "s": x * 1000}[m.group(2)]
    r = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50": ms(re.search(r"\s50%\s+(\S+)", out)[1]),
        "p99": ms(re.search(r"\s99%\s+(\S+)", out)[1]),
        "non2xx": 0}
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1))
    return r


def s_ceilings(b):
    log("ceilings: sink, nginx, redis-benchmark")
    b.sink_get("reset")
    r = wrk(b, b.sink_url, "post200.lua", max(3, WRK_SECS // 2))
    b.rows["sink"] = r
    env = {"SINK_URL": b.sink_url}
    b.rows["nginx"] = wrk(b, f"http://127.0.0.1:{b.nport}/v1/enqueue",
        "enqueue.lua", WRK_SECS, env)
    rb = {}
    sha = b.rcli("script", "load", "redis.call('HSET', KEYS[1], 'task', "
        "ARGV[1]); redis.call('LPUSH', KEYS[2], KEYS[1]); return 1")
    for label, args in (("PING", ["-t", "ping_mbulk"]),
        ("EVALSHA HSET+LPUSH", ["evalsha", sha, "2", "bench:t:__rand_int__",
            "bench:q", "x" * 200])):
        p = subprocess.run(["redis-benchmark", "-p", str(b.rport), "-n",
            "20000" if QUICK else "100000", "-c", "50", "-r", "1000000",
            "--csv"] + args, capture_output=True, text=True)
        last = p.stdout.strip().splitlines()[-1].replace('"', "").split(",")
        rb[label] = (float(last[1]), float(last[6]))
    b.rows["redis"] = rb
    b.rcli("flushall")


def s_enqueue(b):
    log("enqueue: wrk -t1 -c64 against POST /v1/enqueue (workers = 0)")
    b.td_start(0, 1)
    roles = b.td_roles()
    idle = {r: [proc_mem(p)[0] for p in ps] for r, ps in roles.items()}
    b.rows["rss_idle_api"] = idle
    mem0 = int(b.rinfo("memory")["used_memory"])
    b.rcli("config", "resetstat")
    cpu = CPU({"redis": [b.redis.pid], "listener": roles["listener"]})
    samp = Sampler(b)
    samp.start()
    cpu.start()
    r = wrk(b, f"http://127.0.0.1:{b.tdport}/v1/enqueue", "enqueue.lua",
        WRK_SECS, {"SINK_URL": b.sink_url})
    c = cpu.stop()
    peaks = samp.finish()
    n = int(b.rcli("llen", "td:{default}:pending"))
    stats = b.cmdstats()
    mem1 = int(b.rinfo("memory")["used_memory"])
    r.update(cpu=c, stored=n, peaks=peaks,
        bytes_per_task=(mem1 - mem0) / n if n else None,
        cmds=stats, cmds_per_task=sum(stats.values()) / max(n, 1))
    b.rows["enqueue"] = r
    b.td_stop()


def fill(b, n, url, paused=True):
    bodies = [enqueue_json(url, task_body(url, i)) for i in range(n)]
    secs, ok, bad = enqueue_pipelined(b.tdport, n, bodies.__getitem__)
    if bad or ok != n:
        raise RuntimeError(f"fill: {ok} ok, {bad} refused")
    return n / secs


def s_drain(b, workers, conc):
    log(f"drain: {N_DRAIN} waiting, then {workers} worker(s) x {conc}")
    b.td_start(workers, conc)
    b.pause()
    time.sleep(0.2)
    rate_fill = fill(b, N_DRAIN, b.sink_url)
    b.sink_get("reset")
    b.rcli("config", "resetstat")
    roles = b.td_roles()
    idle_rss = {r: [proc_mem(p)[0] for p in ps] for r, ps in roles.items()}
    cpu = CPU({"redis": [b.redis.pid], "sink": [b.sink.pid],
        "workers": roles.get("worker", []),
        "listener": roles.get("listener", []),
        "scheduler": roles.get("scheduler", []),
        "master": roles["master"]})
    samp = Sampler(b)
    samp.start()
    cpu.start()
    t_resume = wall_ms()
    b.resume()
    wait_for(lambda: b.sink_get("stats")["count"] >= N_DRAIN, 300,
        "the drain", interval=0.01)
    c = cpu.stop()
    st = b.sink_get("stats")
    # Let the last acks land before counting Redis commands.
    wait_for(lambda: int(b.rcli("zcard", "td:{default}:done")) >= N_DRAIN,
        30, "every ack")
    peaks = samp.finish()
    ids = [i for i, _ in b.sink_log()]
    cmds = b.cmdstats()
    secs = (st["last_ms"] - st["first_ms"]) / 1000
    r = {"workers": workers, "conc": conc, "fill_rate": rate_fill,
        "rate": N_DRAIN / secs, "secs": secs,
        "lag_ms": st["first_ms"] - t_resume, "conns": st["accepted"],
        "delivered": len(ids), "distinct": len(set(ids)), "cpu": c,
        "peaks": peaks, "idle_rss": idle_rss,
        "cmds": cmds, "cmds_per_task": sum(cmds.values()) / N_DRAIN}
    b.rows[f"drain {workers}x{conc}"] = r
    b.td_stop()
    return r


def s_latency(b, workers, conc):
    log(f"idle latency: 1 task / 10 ms for {LAT_SECS} s, "
        f"{workers} worker(s) x {conc}")
    b.td_start(workers, conc)
    c = http.client.HTTPConnection("127.0.0.1", b.tdport, timeout=10)
    hdr = {"Content-Type": "application/json"}

    def one(i):
        t0 = wall_ms()
        body = task_body(b.sink_url, i, '"enq":%.3f,' % t0)
        c.request("POST", "/v1/enqueue", enqueue_json(b.sink_url, body),
            hdr)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"enqueue: {r.status}")
        return t0, wall_ms()

    b.sink_get("reset")
    for i in range(200):  # warm-up, as the peers do
        one(1000000 + i)
        time.sleep(0.002)
    wait_for(lambda: b.sink_get("stats")["count"] >= 200, 30, "warm-up")
    b.sink_get("reset")
    sent = {}
    n = LAT_SECS * 100
    start = time.monotonic()
    for i in range(n):
        due = start + i * 0.010
        d = due - time.monotonic()
        if d > 0:
            time.sleep(d)
        sent[i] = one(i)
    c.close()
    wait_for(lambda: b.sink_get("stats")["count"] >= n, 30, "latency tasks")
    got = dict(b.sink_log())
    call = [got[i] - sent[i][0] for i in sent if i in got]
    resp = [got[i] - sent[i][1] for i in sent if i in got]
    rtt = [sent[i][1] - sent[i][0] for i in sent]
    r = {"n": n, "got": len(got), "call": call, "resp": resp,
        "enq_p50": pct(rtt, 0.5), "enq_p99": pct(rtt, 0.99)}
    b.rows[f"latency {workers}x{conc}"] = r
    b.td_stop()


def s_delayed(b, spread_ms):
    log(f"delayed: {N_DELAYED} tasks due 2 s + spread {spread_ms} ms")
    b.td_start(10, 10)
    b.sink_get("reset")
    t0 = wall_ms()

    def make(i):
        due = t0 + 2000 + spread_ms * i / N_DELAYED
        body = task_body(b.sink_url, i, '"due":%.3f,' % due)
        # The delay is taken at the moment of sending, as the peers do;
        # one request in flight per connection keeps that moment close
        # to the listener's.
        return enqueue_json(b.sink_url, body,
            max(0, round((due - wall_ms()) / 1000, 4)))
    secs, ok, bad = enqueue_pipelined(b.tdport, N_DELAYED, make,
        conns=16, window=1)
    if ok != N_DELAYED:
        raise RuntimeError(f"delayed: {ok} ok, {bad} refused")
    sent_ms = secs * 1000
    wait_for(lambda: b.sink_get("stats")["count"] >= N_DELAYED,
        30 + spread_ms / 1000, "delayed tasks", interval=0.05)
    st = b.sink_get("stats")
    st["sent_ms"] = sent_ms
    b.rows[f"delayed {spread_ms}"] = st
    b.td_stop()


def sockets_to(port, pids):
    """pids that hold an established TCP connection to 127.0.0.1:port."""
    want = set()
    hexport = "%04X" % port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            next(f)
            for line in f:
                v = line.split()
                if v[2].endswith(":" + hexport) and v[3] == "01":
                    want.add(v[9])
    out = []
    for pid in pids:
        for fd in glob.glob(f"/proc/{pid}/fd/*"):
            try:
                t = os.readlink(fd)
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", t)
            if m and m.group(1) in want:
                out.append(pid)
                break
    return out


def s_recovery(b):
    log(f"recovery: SIGKILL the worker mid-dispatch, lease = {LEASE}")
    b.td_start(4, 1, lease=LEASE)
    res = []
    url = b.sink_url + "?ms=600000"  # held: the dispatch never ends
    for k in range(N_KILLS):
        b.sink_get("reset")
        # Workers still holding the redelivered task of an earlier round
        # talk to the sink too; the victim is the one that is new.
        busy = set(sockets_to(b.sport, b.td_roles().get("worker", [])))
        tid = 900000 + k
        st, _ = http_call(b.tdport, "POST", "/v1/enqueue",
            enqueue_json(url, task_body(url, tid)))
        assert st == 200
        wait_for(lambda: b.sink_get("stats")["count"] >= 1, 10,
            "first dispatch")
        # A short pause, so the kill falls mid-dispatch, not at its start.
        time.sleep(0.5)
        victims = set(sockets_to(b.sport,
            b.td_roles().get("worker", []))) - busy
        if len(victims) != 1:
            raise RuntimeError(f"recovery: new workers talking to the "
                f"sink: {victims}")
        t_kill = wall_ms()
        os.kill(victims.pop(), signal.SIGKILL)
        wait_for(lambda: b.sink_get("stats")["count"] >= 2,
            120, "redelivery", interval=0.01)
        t2 = [t for i, t in b.sink_log() if i == tid][1]
        res.append((t2 - t_kill) / 1000)
    b.rows["recovery"] = res
    b.td_stop()


def s_fanout(b, workers, conc):
    log(f"fan-out: {N_FAN} tasks, target answers after 1 s, "
        f"{workers} worker(s) x {conc}")
    b.td_start(workers, conc)
    b.pause()
    time.sleep(0.2)
    fill(b, N_FAN, b.sink_url + "?ms=1000")
    b.sink_get("reset")
    samp = Sampler(b)
    samp.start()
    t_resume = wall_ms()
    b.resume()
    wait_for(lambda: b.sink_get("stats")["answered"] >= N_FAN, 120,
        "fan-out", interval=0.02)
    st = b.sink_get("stats")
    wait_for(lambda: int(b.rcli("zcard", "td:{default}:done")) >= N_FAN,
        30, "every ack")
    t_done = wall_ms()
    peaks = samp.finish()
    arr = sorted(t for _, t in b.sink_log())
    r = {"workers": workers, "conc": conc,
        "arrivals_ms": [round(arr[int(p * (len(arr) - 1))] - arr[0])
            for p in (0.5, 0.9, 1.0)] if arr else [],
        "lag_ms": st["first_ms"] - t_resume,
        "rate": N_FAN / ((st["last_reply_ms"] - st["first_ms"]) / 1000),
        "rate_acked": N_FAN / ((t_done - t_resume) / 1000),
        "held_max": st["held_max"], "procs": samp.peak_procs,
        "conns": st["accepted"],
        "rss_total_kb": samp.peak_total, "peaks": peaks}
    b.rows[f"fanout {workers}x{conc}"] = r
    b.td_stop()


# ---------------------------------------------------------------- peers

# The reference figures of ../shared/bench-peers/README.md (run of
# 2026-11-28, medians of 3 rounds), printed when the peers are not run.
# Keys: (peer, figure); values as printed.  "†": measured with Redis
# without persistence (the peers' AOF setting has no such row).
PEERS_REF_DATE = "2026-11-28 (bench-peers README; not this run)"
PEERS_REF = {
    ("bullmq", "enqueue"): "31,988† / 26,969 (p99 7 ms)",
    ("beequeue", "enqueue"): "58,590† / 54,375 (p99 5.3 ms)",
    ("beanstalkd", "enqueue"): "91,674† / 63,876 (put, 50 conns)",
    ("bullmq", "drain10"): "3,217† fetch / 7,567† undici",
    ("beequeue", "drain10"): "2,711† / 7,025†",
    ("beanstalkd", "drain10"): "34,386† (reserve, POST, delete)",
    ("bullmq", "drain100"): "3,629 fetch / 9,791 undici",
    ("beequeue", "drain100"): "3,362 / 9,243",
    ("beanstalkd", "drain100"): "34,441",
    ("bullmq", "latency"): "1.8 / 5.5",
    ("beequeue", "latency"): "1.1 / 3.7",
    ("bullmq", "delayed"): "28.8 / 105 / 122 †",
    ("beequeue", "delayed"): "660 / 1,021 / 1,033 †",
    ("bullmq", "burst"): "419 / 684 / 697 †",
    ("beequeue", "burst"): "360 / 613 / 621 †",
    ("bullmq", "mem"): "1,018 †",
    ("beequeue", "mem"): "567 †",
    ("beanstalkd", "mem"): "542 (daemon RSS) †",
    ("bullmq", "rss"): "189 †",
    ("beequeue", "rss"): "168 †",
    ("bullmq", "cmds"): "9.0 (1 sent) / 23.1 (1.01 sent) †",
    ("beequeue", "cmds"): "5.0 (1 sent) / 9.0 (9 sent) †",
}


def peers_from_raw(path):
    """The same cells, from a peers' raw.jsonl: medians over rounds."""
    rows = [json.loads(l) for l in open(path) if l.strip()]

    def med(peer, setting, scen, key, **match):
        v = [r[key] for r in rows if r.get("peer") == peer and
            r.get("setting") == setting and r.get("scenario") == scen and
            all(r.get(k) == w for k, w in match.items()) and key in r]
        return statistics.median(v) if v else None

    def f(v, nd=0):
        return fmt(v, nd) if v is not None else "—"
    out = {}
    for p, name in (("bullmq", "bullmq"), ("beequeue", "bee-queue")):
        out[(p, "enqueue")] = "%s† / %s (p99 %s ms)" % (
            f(med(name, "mem", "enqueue-single", "per_s")),
            f(med(name, "aof", "enqueue-single", "per_s")),
            f(med(name, "aof", "enqueue-single", "call_p99_ms"), 1))
        out[(p, "drain10")] = "%s† fetch / %s† undici" % (
            f(med(name, "mem", "drain", "per_s", conc=10, procs=1,
                http_client="fetch")),
            f(med(name, "mem", "drain", "per_s", conc=10, procs=1,
                http_client="undici")))
        out[(p, "drain100")] = "%s fetch / %s undici" % (
            f(med(name, "aof", "drain", "per_s", conc=100,
                http_client="fetch")),
            f(med(name, "aof", "drain", "per_s", conc=100,
                http_client="undici")))
        out[(p, "latency")] = "%s / %s" % (
            f(med(name, "aof", "latency", "p50_ms"), 1),
            f(med(name, "aof", "latency", "p99_ms"), 1))
        out[(p, "delayed")] = "%s / %s / %s †" % tuple(
            f(med(name, "mem", "delayed", k, spread_ms=2000), 1)
            for k in ("p50_ms", "p99_ms", "max_ms"))
        out[(p, "burst")] = "%s / %s / %s †" % tuple(
            f(med(name, "mem", "delayed", k, spread_ms=0), 1)
            for k in ("p50_ms", "p99_ms", "max_ms"))
        out[(p, "mem")] = f(med(name, "mem", "memory",
            "bytes_per_job")) + " †"
        cm = [r for r in rows if r.get("peer") == name and
            r.get("scenario") == "commands"]
        if cm:
            e, d = cm[0]["enqueue_single"], cm[0]["drain"]
            out[(p, "cmds")] = "%.1f (%g sent) / %.1f (%g sent) †" % (
                e["client_cmds_per_job"] + e["script_cmds_per_job"],
                e["client_cmds_per_job"],
                d["client_cmds_per_job"] + d["script_cmds_per_job"],
                d["client_cmds_per_job"])
        out[(p, "rss")] = f(med(name, "mem", "drain",
            "worker_peak_rss_mb", conc=100, procs=1,
            http_client="fetch")) + " †"
    bs = [r for r in rows if r.get("peer") == "beanstalkd"]

    def bmed(setting, key, **match):
        v = [r[key] for r in bs if r.get("setting") == setting and
            all(r.get(k) == w for k, w in match.items()) and key in r]
        return statistics.median(v) if v else None
    out[("beanstalkd", "enqueue")] = "%s† / %s (put, 50 conns)" % (
        f(bmed("mem", "put_per_s")),
        f(bmed("aof", "put_per_s")))
    out[("beanstalkd", "drain10")] = f(bmed("mem", "drain_per_s",
        mode="http", drain_conc=10)) + "†"
    out[("beanstalkd", "drain100")] = f(bmed("aof", "drain_per_s",
        mode="http", drain_conc=100))
    out[("beanstalkd", "mem")] = f(bmed("mem", "rss_bytes_per_job")) + \
        " (daemon RSS) †"
    return out


def peers(b):
    """(label, cells) for the peers' columns."""
    res = os.environ.get("BENCH_PEERS_RESULTS")
    pdir = os.environ.get("BENCH_PEERS_DIR") or os.path.join(HERE,
        "..", "..", "..", "shared", "bench-peers")
    if os.environ.get("BENCH_PEERS") == "1":
        runs = os.environ.get("BENCH_PEERS_RUNS", "1")
        log(f"peers: {pdir}/run-peers.sh {runs} (5 to 12 min a round)")
        before = set(glob.glob("/tmp/tdpeers/harness/results/*") +
            glob.glob(os.path.join(pdir, "results", "*")))
        subprocess.run(["bash", os.path.join(pdir, "run-peers.sh"), runs],
            stdout=open(os.path.join(b.dir, "peers.log"), "w"),
            stderr=subprocess.STDOUT, check=True)
        after = set(glob.glob("/tmp/tdpeers/harness/results/*") +
            glob.glob(os.path.join(pdir, "results", "*")))
        res = max(after - before, key=os.path.getmtime)
    if res:
        with open(os.path.join(res, "versions.txt")) as f:
            date = f.readline().split()[1]
        return f"run {date} ({os.path.basename(res)})", \
            peers_from_raw(os.path.join(res, "raw.jsonl"))
    return PEERS_REF_DATE, PEERS_REF


# ---------------------------------------------------------------- report

def versions(b):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True,
                text=True).stdout.strip().splitlines()[0]
        except (IndexError, OSError):
            return "?"
    cpu = sh("awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo")
    mem = os.sysconf("SC_PHYS_PAGES") * PAGE / 2**30
    osr = sh(". /etc/os-release; echo \"$PRETTY_NAME\"")
    return [
        f"date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
        f"   quick: {int(QUICK)}",
        f"machine: {os.cpu_count()} cores, {cpu}, {mem:.0f} GiB, "
        f"kernel {platform.release()}, {osr}",
        f"{sh(b.td + ' -V')} ({b.td}); " +
        "libcurl %s, hiredis %s, json-c %s" % tuple(
            sh(f"pkg-config --modversion {m}") for m in
            ("libcurl", "hiredis", "json-c")),
        sh("redis-server --version | cut -d' ' -f1-3") +
        " (private, etc/redis-taskdispatcher.conf: appendonly yes, "
        "appendfsync everysec, hash-max-ziplist-value 8192)",
        sh("nginx -v 2>&1"),
        sh("wrk -v 2>&1 | cut -d' ' -f1-2"),
        sh("gcc --version"),
        f"load average at start: {open('/proc/loadavg').read().split()[0]}",
    ]


def ms_cell(xs):
    return f"{pct(xs, 0.5):.1f} / {pct(xs, 0.99):.1f} / {max(xs):.1f}"


def report(b, plabel, P):
    R = b.rows
    out = []

    def row(fig, ours, key=None, ceiling="—"):
        cells = [P.get((p, key), "—") if key else "—"
            for p in ("bullmq", "beequeue", "beanstalkd")]
        out.append(f"| {fig} | {ours} | " + " | ".join(cells) +
            f" | {ceiling} |")

    out.append("| figure | taskdispatcher (this run) | BullMQ | bee-queue "
        "| beanstalkd + C client | ceiling (this run) |")
    out.append("|---|---|---|---|---|---|")
    e, ng, sk = R["enqueue"], R["nginx"], R["sink"]
    row("1. enqueue, POST /v1/enqueue, wrk -t1 -c64, req/s (p50 / p99 "
        "ms); peers: single add, 50 in flight, no HTTP",
        f"**{fmt(e['rps'])}** ({e['p50']:.2f} / {e['p99']:.2f}); "
        f"**{100 * e['rps'] / ng['rps']:.0f} %** of nginx"
        + (f"; {e['non2xx']} non-2xx" if e["non2xx"] else ""),
        "enqueue",
        f"nginx return 204, same script: {fmt(ng['rps'])} "
        f"({ng['p50']:.2f} / {ng['p99']:.2f})")
    for key, pk in (("10", "drain10"), ("100", "drain100")):
        cells = []
        for k, v in R.items():
            if k.startswith("drain") and v["workers"] * v["conc"] == \
                int(key):
                cells.append(f"**{fmt(v['rate'])}** ({v['workers']}×"
                    f"{v['conc']})")
        row(f"2. drain {N_DRAIN:,} waiting, {key} in flight, tasks/s "
            "(workers × concurrency)", "; ".join(cells), pk,
            f"sink: {fmt(sk['rps'])} req/s (wrk -t1 -c64)"
            if key == "10" else "Redis, redis-benchmark -c 50: " +
            ", ".join(f"{k} {fmt(v[0])}/s" for k, v in R["redis"].items()))
    for k, v in R.items():
        if k.startswith("latency"):
            row(f"3. idle latency, 1 task / 10 ms, {LAT_SECS} s "
                f"({k.split()[1].replace('x', '×')}): enqueue call → "
                "target, p50 / p99 / max ms",
                ms_cell(v["call"]) + (f" ({v['got']}/{v['n']})"
                    if v["got"] != v["n"] else ""),
                "latency" if k.endswith("1x10") else None)
            row("3. … same run, enqueue response → target, "
                "p50 / p99 / max ms", ms_cell(v["resp"]))
    d = R["delayed 2000"]
    row(f"4. delayed, {N_DELAYED:,} due spread over 2–4 s: lateness "
        "p50 / p99 / max ms",
        f"{d['p50']:.1f} / {d['p99']:.1f} / {d['max']:.1f}", "delayed")
    d = R["delayed 0"]
    row(f"4b. delayed, {N_DELAYED:,} due at the same moment: lateness "
        f"p50 / p99 / max ms (all sent in {d['sent_ms']:.0f} ms)",
        f"{d['p50']:.1f} / {d['p99']:.1f} / {d['max']:.1f}", "burst")
    rc = R["recovery"]
    row(f"5. recovery: SIGKILL the worker mid-dispatch → task at the "
        f"target again, s (lease {LEASE}; {len(rc)} kills)",
        " / ".join(f"{x:.2f}" for x in rc))
    for k, v in R.items():
        if k.startswith("fanout"):
            row(f"6. fan-out, {N_FAN:,} tasks, target answers after 1 s "
                f"({v['workers']}×{v['conc']}): tasks/s; peak in flight; "
                "processes; peak total RSS",
                f"**{fmt(v['rate'])}** ({fmt(v['rate_acked'])} to the "
                f"last ack); {v['held_max']}; {v['procs']}; "
                f"{v['rss_total_kb'] / 1024:.1f} MB")
    row("7. Redis used_memory per pending task, bytes",
        fmt(e["bytes_per_task"]) + f" (over {e['stored']:,} tasks)", "mem")
    idle = R["drain 10x10"]["idle_rss"]
    load = R["drain 10x10"]["peaks"]
    api_load = e["peaks"]

    def mb(kbs):
        return f"{max(kbs) / 1024:.1f}"
    row("7. RSS per process, MB, idle → under load (drain 10×10; "
        "listener: enqueue wrk)",
        f"master {mb(idle['master'])} → {mb(load['master'])}, "
        f"listener {mb(idle['listener'])} → {mb(api_load['listener'])}, "
        f"scheduler {mb(idle['scheduler'])} → {mb(load['scheduler'])}, "
        f"worker {mb(idle['worker'])} → {mb(load['worker'])}", "rss")
    dr = R["drain 10x10"]
    row("CPU, % of one core: enqueue (wrk) / drain 10×10",
        "enqueue: " + cpu_line(e["cpu"], ("listener", "redis", "machine"))
        + "; drain: " + cpu_line(dr["cpu"], ("workers", "redis",
            "listener", "scheduler", "sink", "machine")))
    row("Redis commands per task, all (scripts' inside included; of "
        "them sent by the client): enqueue / drain 10×10",
        f"{e['cmds_per_task']:.1f} "
        f"({e['cmds'].get('evalsha', 0) / max(e['stored'], 1):.2f} sent) / "
        f"{dr['cmds_per_task']:.1f} "
        f"({dr['cmds'].get('evalsha', 0) / N_DRAIN:.2f} sent)", "cmds")
    dup = [f"{k}: {v['delivered']} delivered, {v['distinct']} distinct, "
        f"{v['conns']} connections to the sink"
        for k, v in R.items() if k.startswith("drain")]
    notes = [
        f"Peers: {plabel}; † = peer measured with Redis without "
        "persistence (their AOF setting has no such row). Peers' drain "
        "cells: Node's fetch / undici.request.",
        "Drain: tasks/s = N / (last − first arrival at the sink), the "
        "queue paused while filling, then resumed; resume → first "
        "arrival: " + ", ".join(f"{k.split()[1]} {v['lag_ms']:.0f} ms"
            for k, v in R.items() if k.startswith("drain")) + ".",
        "Checked: " + "; ".join(dup) + ".",
        "Fan-out: tasks/s = N / (last answer − first arrival at the "
        "sink); connections the sink accepted: " + ", ".join(
            f"{k.split()[1]} {v['conns']}" for k, v in R.items()
            if k.startswith("fanout")) + ".",
        "Redis ceiling (redis-benchmark -c 50, AOF on, this run): " +
        ", ".join(f"{k} {fmt(v[0])}/s (p99 {v[1]:.2f} ms)"
            for k, v in R["redis"].items()) + ".",
        "\"machine\" = CPU the whole machine used, noisy neighbours "
        "included (200 = both cores busy).",
        "Peers' RSS cell: the worker process's peak, C=100, MB.",
    ]
    return out, notes


def shapes(env, default):
    return [tuple(int(x) for x in s.split("x"))
        for s in os.environ.get(env, default).split(",") if s]


def only(b):
    """BENCH_ONLY: the drain and fan-out runs asked for, one line each."""
    try:
        b.start_services()
        if "drain" in ONLY:
            for w, c in shapes("BENCH_DRAIN", "10x1,1x10,10x10,1x100"):
                r = s_drain(b, w, c)
                cm = r["cmds"]
                sent = sum(v for k, v in cm.items() if k in ("evalsha",
                    "eval", "blmove"))
                print(f"drain {w}x{c}: {r['rate']:,.0f} tasks/s; "
                    f"{r['cmds_per_task']:.2f} cmds/task "
                    f"({sent / N_DRAIN:.3f} sent); delivered "
                    f"{r['delivered']} distinct {r['distinct']}; "
                    f"cpu {cpu_line(r['cpu'], ('workers', 'redis', 'sink', 'machine'))}; "
                    f"CPU µs/task: redis "
                    f"{r['cpu']['redis'] * r['secs'] * 1e4 / N_DRAIN:.1f}, "
                    f"workers "
                    f"{r['cpu']['workers'] * r['secs'] * 1e4 / N_DRAIN:.1f}; "
                    f"load {os.getloadavg()[0]:.2f}", flush=True)
                print("  " + " ".join(f"{k}={v / N_DRAIN:.2f}" for k, v in
                    sorted(cm.items(), key=lambda kv: -kv[1])), flush=True)
        if "fanout" in ONLY:
            for w, c in shapes("BENCH_FANOUT", "2x1000,4x500"):
                s_fanout(b, w, c)
                r = b.rows[f"fanout {w}x{c}"]
                print(f"fanout {w}x{c}: {r['rate']:,.0f} tasks/s "
                    f"({r['rate_acked']:,.0f} to the last ack); peak in "
                    f"flight {r['held_max']}; processes {r['procs']}; "
                    f"peak RSS {r['rss_total_kb'] / 1024:.1f} MB; "
                    f"resume to first arrival {r['lag_ms']:.0f} ms; "
                    f"arrivals p50/p90/all within {r['arrivals_ms']} ms; load "
                    f"{os.getloadavg()[0]:.2f}", flush=True)
    finally:
        b.stop_all()
        if os.environ.get("BENCH_KEEP") == "1":
            log(f"kept {b.dir}")
        else:
            shutil.rmtree(b.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--td", required=True, help="taskdispatcher binary")
    ap.add_argument("--sink", required=True, help="the built sink")
    ap.add_argument("--json", help="write the raw figures here")
    a = ap.parse_args()
    for t in ("redis-server", "redis-cli", "redis-benchmark", "nginx",
        "wrk"):
        if shutil.which(t) is None:
            sys.exit(f"missing {t}: apt-get install -y redis-server "
                "nginx wrk")
    b = Bench(a.td, a.sink)
    if ONLY:
        only(b)
        return
    try:
        vers = versions(b)
        plabel, P = peers(b)
        # Our own part only, the peers' run excluded.
        t0 = time.monotonic()
        m0 = cpu_busy()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        b.start_services()
        s_ceilings(b)
        s_enqueue(b)
        for w, c in ((10, 1), (1, 10), (10, 10), (1, 100)):
            s_drain(b, w, c)
        s_latency(b, 10, 1)
        s_latency(b, 1, 10)
        s_delayed(b, 2000)
        s_delayed(b, 0)
        s_recovery(b)
        s_fanout(b, 2, 1000)
        s_fanout(b, 4, 500)
        s_fanout(b, 20, 100)
    except BaseException:
        log(f"failed; logs kept in {b.dir}")
        b.stop_all()
        raise
    b.stop_all()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(b.rows, f, indent=1, default=str)
    dt = time.monotonic() - t0
    m1 = cpu_busy()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    rc = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime +
        rc.ru_utime + rc.ru_stime - c0.ru_utime - c0.ru_stime)
    vers.append("CPU over the whole bench, %% of one core: all %.0f, "
        "the bench's own processes %.0f, everything else on the machine "
        "%.0f" % (100 * (m1[0] - m0[0]) / HZ / dt, 100 * ours / dt,
        100 * ((m1[0] - m0[0]) / HZ - ours) / dt))
    table, notes = report(b, plabel, P)
    print("\n".join(vers))
    print(f"bench took {time.monotonic() - t0:.0f} s\n")
    print("\n".join(table))
    print()
    for n in notes:
        print("- " + n)
    if os.environ.get("BENCH_KEEP") == "1":
        log(f"kept {b.dir}")
    else:
        shutil.rmtree(b.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
