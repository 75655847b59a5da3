"""SIGHUP: a good config starts a new generation without dropping a
request; a bad one is refused and changes nothing."""

import re
import threading
import time

from tdlib import alive, free_port, wait_for, wait_state


class Hammer(threading.Thread):
    """GET /health on fresh connections until stopped; records failures."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            try:
                st = self.d.request("GET", "/health", timeout=5).status
            except Exception as e:      # noqa: BLE001 (record anything)
                st = repr(e)
            if st == 200:
                self.ok += 1
            else:
                self.failures.append(st)
            time.sleep(0.005)


def test_sighup_good_config(start_daemon, target, r):
    d = start_daemon({"workers.count": 2})
    old_all = {c.pid for c in d.wait_children(2)}
    old = d.worker_pids()
    hammers = [Hammer(d) for _ in range(3)]
    for h in hammers:
        h.start()
    hammer = hammers[0]
    try:
        wait_for(lambda: hammer.ok >= 5, 5)
        d.write_config({"workers.count": 3})
        d.sighup()

        def reloaded():
            w = d.worker_pids()
            return w if (sorted(w) == [1, 2, 3] and
                         not set(w.values()) & set(old.values())) else None
        new = wait_for(reloaded, 15, msg="3 new workers")
        wait_for(lambda: not any(alive(p) for p in old.values()), 15,
                 msg="old workers to exit")
        wait_for(lambda: not any(alive(p) for p in old_all), 15,
                 msg="every old child to exit")
        n = hammer.ok
        wait_for(lambda: hammer.ok >= n + 5, 5)
    finally:
        for h in hammers:
            h.stop.set()
        for h in hammers:
            h.join(10)
    failures = [f for h in hammers for f in h.failures]
    assert failures == [], failures[:10]
    assert d.proc.poll() is None
    assert len(new) == 3
    tid = d.enqueue(target.url("/after-reload")).json["task_id"]
    target.wait_count(1, path="/after-reload")
    wait_state(r, "default", tid, "done")


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
