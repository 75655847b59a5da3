"""SIGHUP: a good config starts a new generation without dropping a
request; a bad one is refused and changes nothing."""

import re
import threading
import time

from tdlib import alive, free_port, task_key, wait_for, wait_state


class Hammer(threading.Thread):
    """Requests on fresh connections until stopped (GET /health, or
    POST /v1/enqueue with a task for target); records every answer that
    is not a 200, and the task IDs it got."""

    def __init__(self, d, target=None):
        super().__init__(daemon=True)
        self.d = d
        self.target = target
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.ids = []

    def call(self):
        if self.target is None:
            return self.d.request("GET", "/health", timeout=5), None
        resp = self.d.enqueue(self.target.url("/hammer"))
        return resp, (resp.json or {}).get("task_id")

    def run(self):
        while not self.stop.is_set():
            try:
                resp, tid = self.call()
                st = resp.status
            except Exception as e:      # noqa: BLE001 (record anything)
                st, tid = repr(e), None
            if st == 200:
                self.ok += 1
                if tid:
                    self.ids.append(tid)
            else:
                self.failures.append(st)
            time.sleep(0.005)


def hammering(hammers):
    """Start them and wait until each has had some answers."""
    for h in hammers:
        h.start()
    for h in hammers:
        wait_for(lambda: h.ok + len(h.failures) >= 5, 10,
                 msg="the hammers to get going")


def stop_hammers(hammers):
    for h in hammers:
        h.stop.set()
    for h in hammers:
        h.join(10)
    return [f for h in hammers for f in h.failures]


def redis_info(r, field):
    text = r.execute("INFO").decode()
    return int(re.search(rf"^{field}:(\d+)", text, re.M).group(1))


def test_sighup_good_config(start_daemon, target, r):
    """The new listener shares the socket with the old one, so it must
    not accept before its Redis link is up.  To make that window sure to
    exist, Redis refuses new connections (maxclients = the clients it
    has) until the new listener has been turned away and the hammers have
    made a dozen more requests: a listener accepting before its store is
    up would answer some of them 503."""
    d = start_daemon({"workers.count": 2})
    old_all = {c.pid for c in d.wait_children(2)}
    old = d.worker_pids()
    hammers = [Hammer(d) for _ in range(3)]
    try:
        hammering(hammers)
        d.write_config({"workers.count": 3})
        mark = len(d.log())
        maxclients = r.execute("CONFIG", "GET", "maxclients")[1]
        r.execute("CONFIG", "SET", "maxclients",
                  redis_info(r, "connected_clients"))
        try:
            d.sighup()
            wait_for(lambda: re.search(r"listener\[\d+\]: .*redis "
                                       r"unavailable.*store=listener ",
                                       d.log()[mark:]), 10,
                     msg="the new listener to be refused by Redis")
            done = sum(h.ok + len(h.failures) for h in hammers)
            wait_for(lambda: sum(h.ok + len(h.failures)
                                 for h in hammers) >= done + 12, 10,
                     msg="a dozen requests while the new store is down")
        finally:
            r.execute("CONFIG", "SET", "maxclients", maxclients)

        def reloaded():
            w = d.worker_pids()
            return w if (sorted(w) == [1, 2, 3] and
                         not set(w.values()) & set(old.values())) else None
        new = wait_for(reloaded, 15, msg="3 new workers")
        wait_for(lambda: not any(alive(p) for p in old.values()), 15,
                 msg="old workers to exit")
        wait_for(lambda: not any(alive(p) for p in old_all), 15,
                 msg="every old child to exit")
        n = hammers[0].ok
        wait_for(lambda: hammers[0].ok >= n + 5, 5)
    finally:
        failures = stop_hammers(hammers)
    assert failures == [], failures[:10]
    assert d.proc.poll() is None
    assert len(new) == 3
    tid = d.enqueue(target.url("/after-reload")).json["task_id"]
    target.wait_count(1, path="/after-reload")
    wait_state(r, "default", tid, "done")


def test_sighup_hammered(start_daemon, target, r):
    """Several reloads in a row under /health and /v1/enqueue traffic:
    every request gets a 200 and every task acknowledged is stored."""
    d = start_daemon({"workers.count": 2})
    d.wait_children(2)
    hammers = [Hammer(d) for _ in range(2)] + \
        [Hammer(d, target) for _ in range(2)]
    try:
        hammering(hammers)
        for gen, workers in ((2, 3), (3, 1), (4, 2), (5, 3)):
            d.write_config({"workers.count": workers})
            d.sighup()
            wait_for(lambda: f"reload: config OK, generation {gen}"
                     in d.log(), 15, msg=f"generation {gen}")
            d.wait_children(workers)
            counts = [h.ok for h in hammers]
            wait_for(lambda: all(h.ok >= c + 3
                                 for h, c in zip(hammers, counts)), 10,
                     msg="answers from the new generation")
    finally:
        failures = stop_hammers(hammers)
    assert failures == [], failures[:10]
    assert d.proc.poll() is None
    ids = [i for h in hammers for i in h.ids]
    assert len(ids) >= 12
    for tid in ids:
        assert r.execute("EXISTS", task_key("default", tid)) == 1, tid


def test_sighup_bad_config(start_daemon):
    d = start_daemon({"workers.count": 2})
    before = sorted(c.pid for c in d.wait_children(2))
    good = open(d.conf_path).read()
    d.write_config(raw=good + "\n[workers\ncount = 3\n")
    bad_line = good.count("\n") + 2
    d.sighup()
    pat = re.compile(r"reload.*(fail|keep|error|invalid)", re.I)
    wait_for(lambda: pat.search(d.log()), 10,
             msg="a log line saying the reload failed")
    line = pat.search(d.log()).group(0)
    assert f"{d.conf_path}:{bad_line}" in d.log(), \
        "the log should name FILE:LINE of the error"
    time.sleep(0.5)     # the point: nothing may be restarted
    assert sorted(c.pid for c in d.children()) == before, line
    assert d.health() == 200
    assert d.proc.poll() is None


def test_sighup_keeps_inflight(start_daemon, target, r):
    d = start_daemon({"workers.count": 1, "workers.shutdown_timeout": "10s"})
    target.plan_delay("/inflight", 1.5)
    tid = d.enqueue(target.url("/inflight")).json["task_id"]
    target.wait_count(1, path="/inflight")
    d.write_config({"workers.count": 2})
    d.sighup()
    h = wait_state(r, "default", tid, "done", timeout=15)
    assert h["attempts"] == "1", h
    assert target.count("/inflight") == 1
    wait_for(lambda: len(d.worker_pids()) == 2, 10)


def test_sighup_new_listen_port(start_daemon, target, r):
    d = start_daemon({"workers.count": 1})
    old_port = d.port
    new_port = free_port()
    d.write_config({"workers.count": 1,
                    "server.listen": f"127.0.0.1:{new_port}"})
    d.sighup()
    d.port = new_port
    wait_for(lambda: d.health() == 200, 15, msg="health on the new port")
    d.port = old_port
    wait_for(lambda: d.health() is None, 15, msg="old port closed")
    d.port = new_port
    tid = d.enqueue(target.url("/moved")).json["task_id"]
    target.wait_count(1, path="/moved")
    wait_state(r, "default", tid, "done")
