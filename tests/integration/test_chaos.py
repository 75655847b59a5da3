"""Chaos: at-least-once, nothing lost, whatever crashes.

Under a steady load of enqueues (immediate, delayed, failing-then-
succeeding and slow tasks across critical/default/low), test_chaos kills
at random moments a worker, the listener, the scheduler or the master
(then starts a new master on the same config), hangs a worker (SIGSTOP
past its leases, then SIGCONT), restarts Redis (SIGKILL or
SHUTDOWN; AOF with appendfsync always, so an acknowledged write survives
a kill) and reloads with a changed worker count (SIGHUP after rewriting
the config).  Then the load stops, the system drains, and the test checks
against the target's log, the enqueue answers and Redis:

  - every task acknowledged with a 200 and a task_id was delivered (the
    target answered it 2xx) at least once: zero loss;
  - Redis holds nothing pending, scheduled, retrying, active, leased or
    dead, and every acknowledged task is done (and in done only);
  - every enqueue that failed failed clearly: a 503 with the JSON error
    shape, or a refused/reset connection (the listener was dead);
  - a task delivered more than once had its first successful delivery
    overlap a fault that explains it (a worker or master killed or hung
    while it ran or before it was acked, so that its lease expired; Redis
    down meanwhile; a reload's hand-back at shutdown_timeout); any other
    duplicate fails the test.

test_calm runs the same load with no fault at all and allows neither a
loss nor a duplicate: the control that keeps the explanation above
honest.

Every random choice (the task mix, the faults, their moments) comes from
one seed: TD_CHAOS_SEED=N replays a run (timing still varies with the
machine; the sequence of choices does not).  Without it a random seed is
drawn; either way it is printed on the summary line, which shows with
pytest -s and in every failure message:

  TD_CHAOS_SEED=1234 TD_BINARY=build/taskdispatcher \
      tests/integration/run-pytest -s -k test_chaos.py

TD_CHAOS_SECONDS (default 40) is how long the faults go on;
TD_CHAOS_RATE (default 200) the enqueues per second.
"""

import http.client
import json
import os
import random
import signal
import socket
import threading
import time

import pytest

from tdlib import QUEUES, alive, task_key, tkey, wait_for

LEASE_S = 2.0       # workers.lease
SHUTDOWN_S = 2.0    # workers.shutdown_timeout
CONF = {
    "server.log_level": "info",
    "workers.count": 3,
    "workers.concurrency": 4,
    "workers.lease": f"{LEASE_S:.0f}s",
    "workers.shutdown_timeout": f"{SHUTDOWN_S:.0f}s",
    "dispatch.timeout": "5s",
    "dispatch.max_retries": 100,
    "dispatch.min_backoff": "50ms",
    "dispatch.max_backoff": "500ms",
}
CHAOS_S = float(os.environ.get("TD_CHAOS_SECONDS") or 40)
RATE = float(os.environ.get("TD_CHAOS_RATE") or 200)
DRAIN_S = 75.0
SLACK_S = 1.0       # around a fault, for the duplicate explanation


def chaos_seed():
    s = os.environ.get("TD_CHAOS_SEED")
    return int(s) if s else random.SystemRandom().randrange(1, 10 ** 9)


# ---------------------------------------------------------------- load

class Sent:
    """One enqueue: what was asked, and what came of it."""

    __slots__ = ("n", "queue", "delay", "fails", "slow", "t_sent",
                 "status", "tid", "error")

    def __init__(self, n, queue, delay, fails, slow):
        self.n = n
        self.queue = queue
        self.delay = delay
        self.fails = fails
        self.slow = slow
        self.t_sent = None
        self.status = None      # 200, another HTTP status, or None
        self.tid = None
        self.error = None       # how it failed, when it did

    @property
    def path(self):
        return f"/c/{self.n}"


class Loader(threading.Thread):
    """Enqueues at a steady rate on a keep-alive connection, reconnecting
    after an error; records every answer."""

    def __init__(self, d, target, rng, first, stride, rate):
        super().__init__(daemon=True)
        self.d = d
        self.target = target
        self.rng = rng
        self.next = first
        self.stride = stride
        self.period = 1.0 / rate
        self.stop = threading.Event()
        self.sent = []
        self.conn = None

    def pick(self):
        rng = self.rng
        n = self.next
        self.next += self.stride
        queue = rng.choice(QUEUES)
        delay = round(rng.uniform(0.2, 3.0), 3) if rng.random() < 0.25 \
            else 0
        fails = rng.choice((1, 2)) if rng.random() < 0.15 else 0
        slow = round(rng.uniform(0.2, 1.0), 3) if rng.random() < 0.03 \
            else 0
        return Sent(n, queue, delay, fails, slow)

    def plan(self, s):
        if not s.fails and not s.slow:
            return
        ok = {"status": 200}
        if s.slow:
            ok["delay"] = s.slow
        self.target.plan(s.path, [{"status": 500}] * s.fails + [ok])

    def send(self, s):
        body = {"queue": s.queue, "task": {
            "url": self.target.url(s.path), "method": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"n": s.n})}}
        if s.delay:
            body["delay"] = s.delay
        raw = json.dumps(body).encode()
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", self.d.port, timeout=15)
        s.t_sent = time.time()
        try:
            self.conn.request("POST", "/v1/enqueue", body=raw, headers={
                "Content-Type": "application/json"})
            r = self.conn.getresponse()
            data = r.read()
            s.status = r.status
            if r.getheader("Connection", "").lower() == "close":
                self.reset()
        except ConnectionRefusedError:
            s.error = "refused"
        except (ConnectionResetError, BrokenPipeError,
                http.client.RemoteDisconnected,
                http.client.IncompleteRead):
            s.error = "reset"
        except socket.timeout:
            s.error = "timeout"
        except (OSError, http.client.HTTPException) as e:
            s.error = f"other:{e!r}"
        if s.error:
            self.reset()
            return
        try:
            j = json.loads(data)
        except ValueError:
            s.error = f"http {s.status} not JSON: {data[:80]!r}"
            return
        if s.status == 200:
            s.tid = j.get("task_id") if isinstance(j, dict) else None
            if not s.tid or j.get("queue") != s.queue:
                s.error = f"200 without task_id/queue: {data[:80]!r}"
        elif s.status == 503 and isinstance(j, dict) and set(j) == \
                {"error"} and j["error"].get("code") == 503:
            s.error = "503"
        else:
            s.error = f"http {s.status}: {data[:80]!r}"

    def reset(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def run(self):
        t = time.monotonic()
        while not self.stop.is_set():
            s = self.pick()
            self.plan(s)
            self.send(s)
            self.sent.append(s)
            if s.error in ("refused", "reset"):
                # The listener is gone: do not spin through the
                # sequence while it comes back.
                self.stop.wait(0.05)
            t += self.period
            left = t - time.monotonic()
            if left > 0:
                self.stop.wait(left)
            elif left < -1:
                t = time.monotonic()
        self.reset()


def record_status(target):
    """Make the target note the status it answered on each request."""
    orig = target._record

    def rec(req):
        step = orig(req)
        req.status = step.get("status", 200)
        return step
    target._record = rec


# ---------------------------------------------------------------- faults

class Chaos:
    """The faults, the daemon's life across master restarts, and a log of
    what was done when (wall clock)."""

    def __init__(self, d, redis, rng, conf):
        self.d = d
        self.redis = redis
        self.rng = rng
        self.conf = dict(conf)
        self.workers = int(conf["workers.count"])
        self.windows = []       # (kind, wall from, wall to)
        self.counts = {}
        self.kills = {}         # (role, index) -> kills this generation
        self.events = []
        self.backlog = 0        # the most pending tasks seen at once

    def note(self, kind, t0, t1=None, what=""):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.windows.append((kind, t0, t1 if t1 is not None else t0))
        self.events.append(f"{t0:.3f} {kind} {what}".rstrip())

    def step(self):
        kinds = ["worker"] * 5 + ["hang", "hang", "listener", "scheduler",
                                  "master", "redis", "redis", "reload",
                                  "reload"]
        kind = self.rng.choice(kinds)
        try:
            self.backlog = max(self.backlog, sum(
                self.redis.client.execute("LLEN", tkey(q, "pending"))
                for q in QUEUES))
        except OSError:
            pass
        getattr(self, "do_" + kind)()

    def kill_child(self, role):
        kids = [c for c in self.d.children(False) if c.role == role]
        # A child killed again and again is respawned ever later (1 s
        # doubling): spare those killed thrice in this generation.
        kids = [c for c in kids if self.kills.get((role, c.index), 0) < 3]
        if not kids:
            return
        c = self.rng.choice(sorted(kids, key=lambda c: c.index))
        t = time.time()
        try:
            os.kill(c.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.kills[(role, c.index)] = self.kills.get((role, c.index), 0) + 1
        self.note("kill_" + role, t, what=f"{c.index} pid {c.pid}")

    def do_worker(self):
        self.kill_child("worker")

    def do_hang(self):
        """A worker stops (SIGSTOP) past its leases, then goes on: its
        tasks are run again elsewhere, and what it says late about them
        must change nothing."""
        kids = [c for c in self.d.children(False) if c.role == "worker"]
        if not kids:
            return
        c = self.rng.choice(sorted(kids, key=lambda c: c.index))
        hang = LEASE_S + self.rng.uniform(0.5, 1.5)
        t = time.time()
        try:
            os.kill(c.pid, signal.SIGSTOP)
        except ProcessLookupError:
            return
        time.sleep(hang)    # the hang is the fault
        try:
            os.kill(c.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        self.note("hang_worker", t, time.time(),
                  f"{c.index} pid {c.pid} {hang:.1f}s")

    def do_listener(self):
        self.kill_child("listener")

    def do_scheduler(self):
        self.kill_child("scheduler")

    def do_master(self):
        d = self.d
        kids = d.children()
        t = time.time()
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait(10)
        # Children die with their master (PDEATHSIG); the new master
        # binds the same port once the old listener is gone.
        wait_for(lambda: not any(alive(c.pid) for c in kids),
                 20, msg="the dead master's children to exit")
        d.logf.close()
        d.start(wait=False)
        wait_for(lambda: self.master_up(), 20, msg="a new master's children")
        self.kills = {}
        self.note("kill_master", t, time.time(), f"pid {d.pid}")

    def master_up(self):
        if self.d.proc.poll() is not None:
            raise AssertionError(f"new master exited "
                                 f"{self.d.proc.returncode}:\n"
                                 f"{self.d.log_tail(30)}")
        return any(c.role == "listener" for c in self.d.children(False))

    def do_redis(self):
        t = time.time()
        how = self.rng.choice(("SIGKILL", "SHUTDOWN"))
        down = self.rng.uniform(0, 1.5)
        if how == "SIGKILL":
            self.redis.kill()
        else:
            try:
                self.redis.client.execute("SHUTDOWN")
            except OSError:
                pass        # the answer to SHUTDOWN is a closed socket
            except Exception as e:      # noqa: BLE001
                raise AssertionError(f"redis SHUTDOWN: {e!r}")
            self.redis.proc.wait(20)
            self.redis.client.close()
        time.sleep(down)    # Redis stays down: that is the fault
        self.redis.start(timeout=30)
        wait_for(lambda: self.redis.client.execute("PING") == "PONG", 30,
                 msg="redis to load its AOF")
        self.note("redis_restart", t, time.time(), how)

    def do_reload(self):
        n = self.rng.choice([w for w in (1, 2, 3, 4) if w != self.workers])
        self.workers = n
        self.conf["workers.count"] = n
        self.d.write_config(self.conf)
        t = time.time()
        self.d.sighup()
        self.kills = {}
        # The old workers hand back what still runs at shutdown_timeout:
        # a dispatch cut off then may have reached the target.
        self.note("reload", t, what=f"workers={n}")
        self.windows.append(("reload_handback", t + SHUTDOWN_S - 0.5,
                             t + SHUTDOWN_S + 0.5))


# ---------------------------------------------------------------- checks

STATE_KINDS = (("pending", "list"), ("active", "list"),
               ("scheduled", "zset"), ("retry", "zset"),
               ("lease", "zset"), ("dead", "zset"), ("done", "zset"))


def redis_sets(r):
    """{queue: {kind: set of IDs}}."""
    out = {}
    for q in QUEUES:
        out[q] = {}
        for kind, typ in STATE_KINDS:
            key = tkey(q, kind)
            ids = r.lrange(key) if typ == "list" else r.zmembers(key)
            out[q][kind] = set(ids)
    return out


STATES_LUA = """
local out = {}
for i, id in ipairs(ARGV) do
	out[i] = redis.call('HGET', KEYS[1] .. id, 'state') or ''
end
return out
"""


def task_states(r, queue, ids):
    out = {}
    ids = list(ids)
    for i in range(0, len(ids), 2000):
        part = ids[i:i + 2000]
        got = r.execute("EVAL", STATES_LUA, 1, task_key(queue, ""), *part)
        out.update(zip(part, (g.decode() for g in got)))
    return out


class Report:
    def __init__(self, seed, sent, target, chaos, t0):
        self.seed = seed
        self.sent = sent
        self.target = target
        self.chaos = chaos
        self.t0 = t0
        self.acked = [s for s in sent if s.status == 200 and s.tid]
        self.errors = {}
        for s in sent:
            if s.error:
                k = s.error if s.error in ("503", "refused", "reset",
                                           "timeout") else "unclear"
                self.errors[k] = self.errors.get(k, 0) + 1
        self.unclear = [s for s in sent if s.error and s.error not in
                        ("503", "refused", "reset")]
        self.by_path = {}
        for q in target.requests():
            self.by_path.setdefault(q.path, []).append(q)

    def ok_deliveries(self, s):
        return [q for q in self.by_path.get(s.path, ())
                if 200 <= getattr(q, "status", 200) < 300]

    def compute(self):
        self.lost = [s for s in self.acked if not self.ok_deliveries(s)]
        # Refused or failed, yet stored: the client would send it again
        # (at least once), but it must never be the other way round.
        self.stored_unacked = [s for s in self.sent if s.status != 200
                               and s.path in self.by_path]
        self.dups_explained = []
        self.dups_unexplained = []
        self.worst = 0.0
        self.worst_s = None
        for s in self.acked:
            reqs = self.by_path.get(s.path, ())
            if reqs:
                first = min(q.wall for q in reqs)
                late = first - (s.t_sent + s.delay)
                if late > self.worst:
                    self.worst, self.worst_s = late, s
            ok = sorted(self.ok_deliveries(s), key=lambda q: q.wall)
            if len(ok) < 2:
                continue
            if self.explained(ok[0]):
                self.dups_explained.append(s)
            else:
                self.dups_unexplained.append(s)

    def explained(self, q):
        """A fault while the delivery ran or before its ack could land
        (lease expiry included: a lease outlives its worker by at most a
        lease)."""
        off = q.wall - q.t
        end = (q.end if q.end is not None else time.monotonic()) + off
        lo, hi = q.wall - SLACK_S, end + LEASE_S + SLACK_S
        return any(a <= hi and b >= lo for kind, a, b in self.chaos.windows
                   if kind in ("kill_worker", "hang_worker", "kill_master",
                               "redis_restart", "reload_handback"))

    def line(self, drained, drain_s):
        c = self.chaos.counts
        kills = ",".join(f"{k[5:]}={v}" for k, v in sorted(c.items())
                         if k.startswith("kill_")) or "none"
        errs = ",".join(f"{k}={v}" for k, v in sorted(self.errors.items())) \
            or "none"
        return (f"chaos seed={self.seed} runtime={time.time() - self.t0:.0f}s "
                f"sent={len(self.sent)} acked={len(self.acked)} "
                f"enqueue_errors[{errs}] kills[{kills}] "
                f"worker_hangs={c.get('hang_worker', 0)} "
                f"redis_restarts={c.get('redis_restart', 0)} "
                f"reloads={c.get('reload', 0)} "
                f"stored_unacked={len(self.stored_unacked)} "
                f"deliveries={self.target.count()} lost={len(self.lost)} "
                f"dups={len(self.dups_explained) + len(self.dups_unexplained)}"
                f"(unexplained={len(self.dups_unexplained)}) "
                f"worst_delay={self.worst:.2f}s "
                f"max_backlog={self.chaos.backlog} "
                f"drain={drain_s:.0f}s drained={drained}")


def drain_and_check(seed, t0, sent, target, chaos, r):
    rep = Report(seed, sent, target, chaos, t0)

    def quiet():
        sets = redis_sets(r)
        busy = sum(len(sets[q][k]) for q in QUEUES
                   for k in ("pending", "active", "scheduled", "retry",
                             "lease"))
        if busy:
            return False
        rep.by_path = {}
        for q in target.requests():
            rep.by_path.setdefault(q.path, []).append(q)
        return all(rep.ok_deliveries(s) for s in rep.acked)
    chaos.backlog = max(chaos.backlog, sum(
        r.execute("LLEN", tkey(q, "pending")) for q in QUEUES))
    t_drain = time.monotonic()
    try:
        wait_for(quiet, DRAIN_S, interval=0.5, msg="the drain")
        drained = True
    except AssertionError:
        drained = False
    drain_s = time.monotonic() - t_drain
    # A late duplicate (a lease expiring after the drain) must show too.
    time.sleep(LEASE_S + 1.5)
    rep.by_path = {}
    for q in target.requests():
        rep.by_path.setdefault(q.path, []).append(q)
    rep.compute()
    line = rep.line(drained, drain_s)
    print("\n" + line)
    w = rep.worst_s
    if w is not None:
        print(f"latest first delivery: task {w.tid} queue={w.queue} "
              f"path={w.path} delay={w.delay} sent={w.t_sent:.3f} "
              f"due+{rep.worst:.2f}s")

    problems = []
    if rep.lost:
        problems.append(f"{len(rep.lost)} acknowledged tasks never "
                        f"delivered, e.g. " + ", ".join(
                            f"{s.tid}({s.queue},{s.path},delay={s.delay},"
                            f"fails={s.fails},sent={s.t_sent:.3f})"
                            for s in rep.lost[:5]))
    if rep.unclear:
        problems.append("enqueues that failed unclearly: " + "; ".join(
            f"{s.path}: {s.error}" for s in rep.unclear[:5]))
    if rep.dups_unexplained:
        problems.append(f"{len(rep.dups_unexplained)} tasks delivered "
                        f"more than once with no fault to explain it, "
                        f"e.g. " + ", ".join(
                            f"{s.tid}({s.queue},{s.path})"
                            for s in rep.dups_unexplained[:5]))
    sets = redis_sets(r)
    for q in QUEUES:
        for kind in ("pending", "active", "scheduled", "retry", "lease",
                     "dead"):
            if sets[q][kind]:
                ids = sorted(sets[q][kind])
                problems.append(f"{q} {kind} holds {len(ids)}: {ids[:5]}")
        both = sets[q]["done"] & (sets[q]["pending"] | sets[q]["active"] |
                                  sets[q]["scheduled"] | sets[q]["retry"])
        if both:
            problems.append(f"{q}: done and not done at once: "
                            f"{sorted(both)[:5]}")
        mine = [s.tid for s in rep.acked if s.queue == q]
        states = task_states(r, q, mine)
        notdone = [(tid, st) for tid, st in states.items() if st != "done"]
        if notdone:
            problems.append(f"{q}: {len(notdone)} acknowledged tasks not "
                            f"done: {notdone[:5]}")
        missing = [tid for tid in mine if tid not in sets[q]["done"]]
        if missing:
            problems.append(f"{q}: {len(missing)} acknowledged tasks not "
                            f"in done: {missing[:5]}")
    if problems:
        ev = chaos.events[-40:]
        pytest.fail(line + "\n" + "\n".join(problems) +
                    ("\nfaults:\n  " + "\n  ".join(ev) if ev else ""),
                    pytrace=False)
    return rep


def run_load(d, target, seed, rate):
    rng = random.Random(seed)
    loaders = [Loader(d, target, random.Random(rng.random()), i, 2,
                      rate / 2) for i in range(2)]
    for ld in loaders:
        ld.start()
    wait_for(lambda: all(len(ld.sent) >= 5 for ld in loaders), 15,
             msg="the load to get going")
    return loaders


def stop_load(loaders):
    for ld in loaders:
        ld.stop.set()
    for ld in loaders:
        ld.join(30)
        assert not ld.is_alive(), "an enqueue thread hangs"
    return sorted((s for ld in loaders for s in ld.sent), key=lambda s: s.n)


# ---------------------------------------------------------------- tests

@pytest.mark.redis_args("--appendfsync", "always")
def test_chaos(start_daemon, redis, target, r):
    seed = chaos_seed()
    print(f"\nTD_CHAOS_SEED={seed}")
    rng = random.Random(seed)
    t0 = time.time()
    record_status(target)
    d = start_daemon(CONF)
    d.wait_children(CONF["workers.count"])
    chaos = Chaos(d, redis, random.Random(rng.random()), CONF)
    loaders = run_load(d, target, rng.random(), RATE)
    try:
        end = time.monotonic() + CHAOS_S
        while time.monotonic() < end:
            time.sleep(chaos.rng.uniform(0.5, 2.5))   # the moment: random
            chaos.step()
    finally:
        sent = stop_load(loaders)
    if not redis.running():
        redis.start()
    # Respawns may be throttled for a few seconds after repeated kills.
    d.wait_children(chaos.workers, timeout=40)
    drain_and_check(seed, t0, sent, target, chaos, r)


@pytest.mark.redis_args("--appendfsync", "always")
def test_calm(start_daemon, redis, target, r):
    """The control: the same load, no fault; no loss and no duplicate."""
    seed = chaos_seed()
    t0 = time.time()
    record_status(target)
    d = start_daemon(CONF)
    d.wait_children(CONF["workers.count"])
    chaos = Chaos(d, redis, random.Random(seed), CONF)
    loaders = run_load(d, target, seed, RATE)
    try:
        time.sleep(8)       # the load runs; nothing else happens
    finally:
        sent = stop_load(loaders)
    drain_and_check(seed, t0, sent, target, chaos, r)
