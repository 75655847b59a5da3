"""Helpers for the taskdispatcher integration suite.

Everything here talks to real things: a private redis-server on a unix
socket, a local HTTP target that records what it receives, and the real
daemon binary.  Nothing is mocked.  Waiting is done by polling with
wait_for(); a bare sleep is used only where letting time pass is the point.
"""

import http.client
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

PREFIX = "td"
QUEUES = ("critical", "default", "low")
TITLE_RE = re.compile(
    r"^taskdispatcher: (master|listener|worker|scheduler)\b(?: (\d+))?(.*)$")

# TD_VALGRIND=1: every daemon runs under valgrind's memcheck, children too
# (they are forked, so each reports into its own vg.NAME.PID.log at its
# exit); every timeout of the harness stretches by TD_TIMEOUT_FACTOR
# (default 10 under valgrind, else 1).
VALGRIND = os.environ.get("TD_VALGRIND") == "1"
SLOW = float(os.environ.get("TD_TIMEOUT_FACTOR") or (10 if VALGRIND else 1))
VALGRIND_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "valgrind.supp")
VALGRIND_ARGS = ["--trace-children=yes", "--child-silent-after-fork=no",
                 "--leak-check=full",
                 "--show-leak-kinds=definite,indirect",
                 "--errors-for-leak-kinds=definite,indirect",
                 "--error-exitcode=99", "--num-callers=30",
                 # glibc's exit-time cleanup does clearenv(), dropping the
                 # only reference to the heap copy of the environment that
                 # util_title_init() made: a leak only valgrind would see.
                 "--run-libc-freeres=no"]
VALGRIND_BAD_RE = re.compile(
    r"^==\d+== (Invalid (read|write|free)|.*uninitialised|"
    r".*unaddressable|Mismatched free|Source and destination overlap|"
    r"\s+definitely lost: [1-9]|"
    r"\s+indirectly lost: [1-9])", re.M)


class WaitTimeout(AssertionError):
    pass


def wait_for(cond, timeout=10.0, interval=0.02, msg=None):
    """Poll cond() until it returns something truthy; return that value."""
    timeout *= SLOW
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except (OSError, RedisError, http.client.HTTPException) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            what = msg or getattr(cond, "__name__", "condition")
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise WaitTimeout(f"timed out after {timeout}s waiting for "
                              f"{what}{extra}")
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port():
    """A local port nobody listens on (connection refused)."""
    return free_port()


# ---------------------------------------------------------------- Redis

class RedisError(Exception):
    pass


class RedisClient:
    """A tiny RESP2 client over a unix socket: enough to assert on state."""

    def __init__(self, path, timeout=5.0):
        self.path = path
        self.timeout = timeout
        self.sock = None
        self.rfile = None

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s
        self.rfile = s.makefile("rb")

    def close(self):
        if self.rfile is not None:
            self.rfile.close()
        if self.sock is not None:
            self.sock.close()
        self.sock = self.rfile = None

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _readline(self):
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("redis closed the connection")
        return line[:-2]

    def _reply(self):
        line = self._readline()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            if len(data) != n + 2:
                raise ConnectionError("short bulk reply")
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._reply() for _ in range(n)]
        raise RedisError(f"bad reply type {line!r}")

    def execute(self, *args):
        if self.sock is None:
            self._connect()
        try:
            self.sock.sendall(self._encode(args))
            return self._reply()
        except (OSError, ConnectionError):
            self.close()
            raise

    # Decoded conveniences for assertions.
    def keys(self, pattern="*"):
        return sorted(k.decode() for k in self.execute("KEYS", pattern))

    def hgetall(self, key):
        r = self.execute("HGETALL", key) or []
        return {r[i].decode(): r[i + 1].decode("utf-8", "replace")
                for i in range(0, len(r), 2)}

    def hget_raw(self, key, field):
        return self.execute("HGET", key, field)

    def lrange(self, key):
        return [x.decode() for x in self.execute("LRANGE", key, 0, -1)]

    def zscore(self, key, member):
        v = self.execute("ZSCORE", key, member)
        return None if v is None else float(v)

    def zmembers(self, key):
        return [x.decode() for x in self.execute("ZRANGE", key, 0, -1)]

    def ping(self):
        return self.execute("PING") == "PONG"


def tkey(queue, kind, prefix=PREFIX):
    """td:{queue}:kind, e.g. tkey("default", "pending")."""
    return f"{prefix}:{{{queue}}}:{kind}"


def task_key(queue, tid, prefix=PREFIX):
    return f"{prefix}:{{{queue}}}:t:{tid}"


class RedisServer:
    """A private redis-server on DIR/redis.sock with AOF on."""

    def __init__(self, tdir, extra_args=()):
        self.dir = str(tdir)
        self.sock = os.path.join(self.dir, "redis.sock")
        self.logfile = os.path.join(self.dir, "redis.log")
        self.extra_args = list(extra_args)
        self.proc = None
        self.client = RedisClient(self.sock)

    def start(self, timeout=10.0):
        args = ["redis-server", "--port", "0", "--unixsocket", self.sock,
                "--unixsocketperm", "700", "--appendonly", "yes",
                "--dir", self.dir, "--save", "", "--daemonize", "no",
                "--logfile", self.logfile] + self.extra_args
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        probe = RedisClient(self.sock, timeout=1.0)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited "
                                     f"{self.proc.returncode}; see "
                                     f"{self.logfile}")
            try:
                return probe.ping()
            finally:
                probe.close()
        wait_for(up, timeout, msg="redis-server to answer PING")
        # Loading the AOF answers -LOADING; wait until it is done.
        self.client.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        """Graceful stop (SIGTERM), as an operator would."""
        self._end(signal.SIGTERM, timeout)

    def kill(self):
        """SIGKILL: no chance to flush anything not yet fsync'd."""
        self._end(signal.SIGKILL, 10.0)

    def _end(self, sig, timeout):
        self.client.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def restart(self):
        self.stop()
        self.start()


# ---------------------------------------------------------------- target

class Request:
    """One request as the target received it."""

    def __init__(self, method, path, headers, body, t, wall, client):
        self.method = method
        self.path = path
        self.headers = headers          # [(name, value), ...] as sent
        self.body = body                # exact bytes
        self.t = t                      # monotonic, body fully read
        self.wall = wall                # time.time() at the same moment
        self.end = None                 # monotonic, response written
        self.client = client

    def header(self, name):
        name = name.lower()
        vals = [v for k, v in self.headers if k.lower() == name]
        return vals[0] if vals else None

    def header_names(self):
        return [k.lower() for k, _ in self.headers]

    def __repr__(self):
        return (f"<{self.method} {self.path} {len(self.body)}B "
                f"t={self.t:.3f}>")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response, sent at once: a header segment followed by
    # a small body segment would wait out the client's delayed ACK.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def log_message(self, *args):
        pass

    def __getattr__(self, name):
        # Every method, including custom tokens like PURGE, lands here.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            parts = []
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip(), 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(n))
                self.rfile.readline()
            return b"".join(parts)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self):
        target = self.server.target
        body = self._read_body()
        req = Request(self.command, self.path, list(self.headers.items()),
                      body, time.monotonic(), time.time(),
                      self.client_address)
        step = target._record(req)
        if step.get("hang"):
            target._gate(step["hang"]).wait(step.get("max", 120))
        if step.get("delay"):
            time.sleep(step["delay"])
        status = step.get("status", 200)
        payload = step.get("body", b"ok")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in step.get("headers", ()):
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            # The dispatcher gave up (timeout, shutdown): nothing to answer.
            self.close_connection = True
        target._finish(req)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class Target:
    """An HTTP server on 127.0.0.1 that records every request and answers
    by a per-path plan: a list of steps, the n-th request to the path uses
    step n (the last step repeats).  A step is a dict with any of
    status (default 200), delay (seconds before answering), hang (the
    name of a gate: wait until release(name)), body and headers (extra
    response headers as (name, value) pairs)."""

    def __init__(self):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.target = self
        self.port = self.server.server_address[1]
        self.lock = threading.Condition()
        self.reqs = []
        self.plans = {}
        self.counts = {}
        self.gates = {}
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    # plans
    def plan(self, path, steps):
        with self.lock:
            self.plans[path] = list(steps)

    def plan_status(self, path, status):
        self.plan(path, [{"status": status}])

    def plan_fail(self, path, times, status=500):
        self.plan(path, [{"status": status}] * times + [{"status": 200}])

    def plan_delay(self, path, seconds, status=200):
        self.plan(path, [{"delay": seconds, "status": status}])

    def plan_hang(self, path, gate="hang", then=None):
        """Hang the first request until release(gate); then answer per
        `then` (default: 200)."""
        self.plan(path, [{"hang": gate}] + [then or {"status": 200}])

    def _gate(self, name):
        with self.lock:
            return self.gates.setdefault(name, threading.Event())

    def release(self, gate="hang"):
        self._gate(gate).set()

    def _record(self, req):
        base = req.path.split("?", 1)[0]
        with self.lock:
            key = req.path if req.path in self.plans else base
            n = self.counts.get(key, 0)
            self.counts[key] = n + 1
            steps = self.plans.get(key) or [{"status": 200}]
            self.reqs.append(req)
            self.lock.notify_all()
            return steps[min(n, len(steps) - 1)]

    def _finish(self, req):
        with self.lock:
            req.end = time.monotonic()
            self.lock.notify_all()

    # accessors
    def requests(self, path=None):
        with self.lock:
            return [r for r in self.reqs
                    if path is None or r.path == path]

    def count(self, path=None):
        return len(self.requests(path))

    def wait_count(self, n, path=None, timeout=10.0):
        """Wait until at least n requests (to path) arrived; return them."""
        timeout *= SLOW
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                got = [r for r in self.reqs
                       if path is None or r.path == path]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(
                        f"target got {len(got)} of {n} requests"
                        f"{' to ' + path if path else ''} in {timeout}s: "
                        f"{got[:10]}")
                self.lock.wait(min(left, 0.1))

    def summary(self, limit=50):
        with self.lock:
            reqs = list(self.reqs)
        lines = [f"{len(reqs)} requests"]
        for r in reqs[:limit]:
            lines.append(f"  {r.t:.3f} {r.method} {r.path} "
                         f"body={len(r.body)}B end={r.end}")
        return "\n".join(lines)

    def close(self):
        with self.lock:
            for g in self.gates.values():
                g.set()
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- processes

def proc_table():
    """pid -> (ppid, state, cmdline) for every process we can read."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "replace")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        state, ppid = rest[0], int(rest[1])
        cmd = cmd.replace(b"\0", b" ").decode("utf-8", "replace").strip()
        out[pid] = (ppid, state, cmd)
    return out


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "replace")
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


class Child:
    def __init__(self, pid, role, index, title):
        self.pid = pid
        self.role = role
        self.index = index
        self.title = title
        self.exiting = "exiting" in title

    def __repr__(self):
        return f"<{self.pid} {self.title!r}>"


# ---------------------------------------------------------------- daemon

BASE_CONF = {
    "server": {"log_level": "debug"},
    "redis": {"prefix": PREFIX, "connect_timeout": "2s"},
    "workers": {"count": "2", "concurrency": "1", "lease": "3s",
                "shutdown_timeout": "5s"},
    "dispatch": {"timeout": "10s", "max_retries": "3",
                 "min_backoff": "100ms", "max_backoff": "1s"},
    # Off: parallel test daemons would fight over 127.0.0.1:8081.  The
    # dashboard tests set their own free port.
    "dashboard": {"listen": ""},
}


def render_conf(sections):
    out = []
    for sec, kv in sections.items():
        out.append(f"[{sec}]")
        for k, v in kv.items():
            out.append(f"{k} = {v}")
        out.append("")
    return "\n".join(out)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Daemon:
    """The real binary, in its own process group, with a config and a log
    in the test's directory."""

    def __init__(self, binary, tdir, name, redis_sock, conf=None):
        self.binary = binary
        self.dir = str(tdir)
        self.name = name
        self.port = free_port()
        self.conf_path = os.path.join(self.dir, f"{name}.conf")
        self.log_path = os.path.join(self.dir, f"{name}.log")
        self.redis_sock = redis_sock
        self.proc = None
        self.seen = set()
        self.write_config(conf or {})

    # config
    def sections(self, overrides):
        secs = {k: dict(v) for k, v in BASE_CONF.items()}
        secs["server"]["listen"] = f"127.0.0.1:{self.port}"
        secs["redis"]["addr"] = self.redis_sock
        for key, val in overrides.items():
            sec, k = key.rsplit(".", 1)
            if val is None:
                secs.get(sec, {}).pop(k, None)
            else:
                secs.setdefault(sec, {})[k] = str(val)
        return secs

    def write_config(self, overrides=None, raw=None):
        text = raw if raw is not None else render_conf(
            self.sections(overrides or {}))
        with open(self.conf_path, "w") as f:
            f.write(text)

    # lifecycle
    def start(self, wait=True, timeout=15.0, env=None):
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("PORT", "REDIS_ADDR", "NOTIFY_SOCKET",
                              "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID")}
        clean.update(env or {})
        env = clean
        self.logf = open(self.log_path, "ab")
        argv = [self.binary, "-c", self.conf_path]
        if VALGRIND:
            vg = os.path.join(self.dir, f"vg.{self.name}.%p.log")
            supp = [f"--suppressions={VALGRIND_SUPP}"] \
                if os.path.exists(VALGRIND_SUPP) else []
            argv = ["valgrind"] + VALGRIND_ARGS + supp + \
                [f"--log-file={vg}"] + argv
        self.proc = subprocess.Popen(argv,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     env=env, start_new_session=True)
        self.pgid = self.proc.pid
        if wait:
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout=15.0):
        def healthy():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"daemon exited with {self.proc.returncode} before "
                    f"/health answered 200; log:\n{self.log_tail(40)}")
            return self.health(timeout=2) == 200
        wait_for(healthy, timeout, msg=f"{self.name} GET /health == 200")

    @property
    def pid(self):
        return self.proc.pid

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def sighup(self):
        self.signal(signal.SIGHUP)

    def sigterm(self):
        self.signal(signal.SIGTERM)

    def wait_exit(self, timeout=15.0):
        timeout *= SLOW
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise WaitTimeout(f"{self.name} master did not exit in "
                              f"{timeout}s")

    def stop(self):
        """SIGKILL the whole group and every child we know of.  Under
        valgrind, a graceful SIGTERM first: only a process that exits
        on its own reports its leaks."""
        if self.proc is None:
            return
        if VALGRIND and self.proc.poll() is None:
            try:
                self.sigterm()
                self.wait_exit(15.0)
            except (OSError, WaitTimeout):
                pass
        if VALGRIND:
            # The master is gone; let its children finish their reports.
            try:
                wait_for(lambda: not any(
                    ent[0] == self.proc.pid or pid in self.seen
                    for pid, ent in proc_table().items()
                    if alive(pid) and ent[2].startswith("/usr/bin/valgrind")),
                    5.0, msg=f"{self.name}'s children to exit")
            except WaitTimeout:
                pass
        pids = set(self.seen)
        if self.proc.poll() is None:
            pids |= {c.pid for c in self.children()}
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except OSError:
            pass
        table = proc_table()
        for pid in pids:
            ent = table.get(pid)
            if ent and ent[2].startswith("taskdispatcher"):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.logf.close()

    # processes
    def children(self, include_exiting=True):
        """Live children of the master, by process title."""
        out = []
        titles = self._log_titles() if VALGRIND else {}
        for pid, (ppid, state, cmd) in proc_table().items():
            if ppid != self.proc.pid or state in ("Z", "X"):
                continue
            m = TITLE_RE.match(titles.get(pid, cmd))
            # A child just forked still carries the master's title.
            if not m or m.group(1) == "master":
                continue
            c = Child(pid, m.group(1), int(m.group(2) or 0), cmd)
            if c.exiting and not include_exiting:
                continue
            out.append(c)
            self.seen.add(pid)
        return out

    def pids(self, role, include_exiting=False):
        return sorted(c.pid for c in self.children(include_exiting)
                      if c.role == role)

    def worker_pids(self):
        """{index: pid} of the current (not exiting) workers."""
        return {c.index: c.pid for c in self.children(False)
                if c.role == "worker"}

    def wait_children(self, workers, timeout=10.0):
        """Wait until the master has one listener, one scheduler and
        workers 1..workers (none exiting); return those children."""
        want = [("listener", 0), ("scheduler", 0)] + \
            [("worker", i) for i in range(1, workers + 1)]

        def full():
            kids = self.children(False)
            got = sorted((c.role, c.index) for c in kids)
            return kids if got == sorted(want) else None
        return wait_for(full, timeout, msg=f"{self.name}: listener, "
                        f"scheduler and {workers} workers")

    def title(self):
        return proc_table().get(self.proc.pid, (0, "", ""))[2]

    _STARTED_RE = re.compile(r"^\S+ master\[\d+\]: \w+: "
                             r"(listener|scheduler|worker \d+) "
                             r"started \(pid (\d+)\)", re.M)
    _QUIT_RE = re.compile(r"^\S+ listener\[(\d+)\]: \w+: quitting:", re.M)

    def _log_titles(self):
        """pid -> the title a child would show, from the log: valgrind
        keeps its own command line in /proc, not the one we write."""
        text = self.log()
        out = {int(m.group(2)): f"taskdispatcher: {m.group(1)}"
               for m in self._STARTED_RE.finditer(text)}
        for m in self._QUIT_RE.finditer(text):
            out[int(m.group(1))] = "taskdispatcher: listener (exiting)"
        return out

    def valgrind_reports(self):
        """[(path, report)] of this daemon's valgrind logs that show a
        memory error or a definite or indirect leak."""
        out = []
        prefix = f"vg.{self.name}."
        for fn in sorted(os.listdir(self.dir)):
            if not (fn.startswith(prefix) and fn.endswith(".log")):
                continue
            path = os.path.join(self.dir, fn)
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if VALGRIND_BAD_RE.search(text):
                out.append((path, text))
        return out

    # log
    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=200):
        return "\n".join(self.log().splitlines()[-n:])

    # HTTP
    def request(self, method, path, body=None, headers=None, timeout=10.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout * SLOW)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
            hdrs = {"Content-Type": "application/json"} if body else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def health(self, timeout=5.0):
        try:
            return self.request("GET", "/health", timeout=timeout).status
        except (OSError, http.client.HTTPException):
            return None

    def enqueue(self, url=None, method=None, headers=None, body=None,
                queue=None, delay=None, raw=None):
        """POST /v1/enqueue; raw (bytes or any JSON value) is sent as is."""
        if raw is None:
            task = {"url": url}
            for k, v in (("method", method), ("headers", headers),
                         ("body", body)):
                if v is not None:
                    task[k] = v
            raw = {"task": task}
            if queue is not None:
                raw["queue"] = queue
            if delay is not None:
                raw["delay"] = delay
        if not isinstance(raw, bytes):
            raw = json.dumps(raw).encode()
        return self.request("POST", "/v1/enqueue", raw)


def task_state(r, queue, tid):
    return r.hgetall(task_key(queue, tid)).get("state")


def wait_state(r, queue, tid, state, timeout=10.0):
    """Wait until the task hash says state; return the hash."""
    def cond():
        h = r.hgetall(task_key(queue, tid))
        return h if h.get("state") == state else None
    try:
        return wait_for(cond, timeout, msg=f"task {tid} state {state}")
    except WaitTimeout:
        h = r.hgetall(task_key(queue, tid))
        raise WaitTimeout(f"task {tid} never reached {state}: {h}")


def where(r, queue, tid):
    """Which of the queue's structures hold tid (for assertions)."""
    found = []
    for kind in ("pending", "active"):
        if tid in r.lrange(tkey(queue, kind)):
            found.append(kind)
    for kind in ("lease", "scheduled", "retry", "dead", "done"):
        if r.zscore(tkey(queue, kind), tid) is not None:
            found.append(kind)
    return found


def assert_error_shape(resp, code, status_name):
    assert resp.status == code, resp
    ctype = resp.header("Content-Type") or ""
    assert ctype.startswith("application/json"), ctype
    body = resp.json
    assert isinstance(body, dict) and set(body) == {"error"}, resp
    err = body["error"]
    assert set(err) == {"code", "status", "message"}, err
    assert err["code"] == code, err
    assert err["status"] == status_name, err
    assert isinstance(err["message"], str) and err["message"], err
    return err["message"]
