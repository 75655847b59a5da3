"""The systemd notify protocol, spoken by the master alone: READY=1 once
every child is up and Redis answers, RELOADING=1 (with MONOTONIC_USEC)
and READY=1 around a reload, STOPPING=1, STATUS= lines, WATCHDOG=1 only
while the node is healthy.  The test is the service manager: it binds its
own AF_UNIX datagram socket and hands it over as $NOTIFY_SOCKET."""

import os
import re
import socket
import threading
import time

from tdlib import wait_for


class NotifySocket:
    """An AF_UNIX datagram socket recording every message with the
    children the master had at the moment it arrived."""

    def __init__(self, tdir, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            # "@name" in $NOTIFY_SOCKET is "\0name" on the wire.
            name = f"td-notify-{os.getpid()}-{os.path.basename(str(tdir))}"
            self.sock.bind("\0" + name)
            self.path = "@" + name
        else:
            self.path = os.path.join(str(tdir), "notify.sock")
            self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.lock = threading.Lock()
        self.msgs = []          # (monotonic, {key: value}, raw, children)
        self.daemon = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            text = data.decode("utf-8", "replace")
            kv = dict(line.split("=", 1) for line in text.split("\n")
                      if "=" in line)
            kids = None
            if "READY" in kv and self.daemon is not None:
                kids = self.daemon.children(False)
            with self.lock:
                self.msgs.append((now, kv, text, kids))

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()

    def all(self):
        with self.lock:
            return list(self.msgs)

    def with_key(self, key, since=0):
        return [m for m in self.all()[since:] if key in m[1]]

    def count(self):
        with self.lock:
            return len(self.msgs)

    def wait(self, key, value=None, since=0, timeout=15.0, match=None):
        """Wait for a message (after index since) carrying key (=value;
        its STATUS matching the regex match); return (index, message)."""
        def found():
            for i, m in enumerate(self.all()[since:], since):
                if key not in m[1]:
                    continue
                if value is not None and m[1][key] != value:
                    continue
                if match is not None and \
                        not re.search(match, m[1].get("STATUS", "")):
                    continue
                return (i, m)
            return None
        return wait_for(found, timeout, msg=f"notify {key}"
                        f"{'=' + value if value else ''}"
                        f"{' ~ ' + match if match else ''}; got "
                        f"{[m[2] for m in self.all()][-8:]}")

    def statuses(self, since=0):
        return [m[1]["STATUS"] for m in self.all()[since:]
                if "STATUS" in m[1]]


def start_notified(start_daemon, tdir, conf=None, env=None, wait=False,
                   abstract=False):
    ns = NotifySocket(tdir, abstract)
    e = {"NOTIFY_SOCKET": ns.path}
    e.update(env or {})
    d = start_daemon(conf or {"workers.count": 2}, wait=False, env=e)
    ns.daemon = d
    if wait:
        d.wait_healthy()
    return d, ns


def mono_usec():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


FULL = (r"^generation 1: 2/2 workers, listener, scheduler up; redis up; "
        r"queues critical,default,low$")


def test_ready_after_children_and_redis(start_daemon, redis, tdir):
    """With Redis down, the children come up and /health says 503 after
    the bounded wait, but READY=1 waits until Redis answers."""
    redis.stop()
    d, ns = start_notified(start_daemon, tdir)
    try:
        d.wait_children(2)
        wait_for(lambda: d.health(timeout=2) == 503, 15,
                 msg="/health 503 while Redis is down")
        assert ns.with_key("READY") == [], ns.all()
        st = ns.wait("STATUS", match=r"redis (down|connecting)")[1]
        assert "generation 1" in st[1]["STATUS"], st
        assert "redis check" in d.log() and "starting anyway" in d.log()

        redis.start()
        i, (t, kv, raw, kids) = ns.wait("READY", "1", timeout=20)
        assert re.match(FULL, kv.get("STATUS", "")), raw
        got = sorted((c.role, c.index) for c in kids)
        assert got == [("listener", 0), ("scheduler", 0), ("worker", 1),
                       ("worker", 2)], kids
        assert d.health() == 200
        assert len(ns.with_key("READY")) == 1
    finally:
        ns.close()


def test_ready_status_and_environment(start_daemon, tdir):
    d, ns = start_notified(start_daemon, tdir,
                           env={"WATCHDOG_USEC": "60000000"})
    try:
        _, (t, kv, raw, kids) = ns.wait("READY", "1")
        assert re.match(FULL, kv.get("STATUS", "")), raw
        assert len(kids) == 4, kids
        assert d.health() == 200
        # Nothing of the manager's reaches a child: not the variables...
        for c in kids:
            with open(f"/proc/{c.pid}/environ", "rb") as f:
                env = f.read()
            assert b"NOTIFY_SOCKET" not in env, c
            assert b"WATCHDOG_" not in env, c
        # ... and not the socket: the only socket a child shares with the
        # master is the listener's listening socket.
        master = socket_inodes(d.pid)
        for c in kids:
            shared = socket_inodes(c.pid) & master
            assert len(shared) == (1 if c.role == "listener" else 0), \
                (c, shared)
    finally:
        ns.close()


def socket_inodes(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:"):
            out.add(link)
    return out


def test_reload_notifies(start_daemon, tdir):
    d, ns = start_notified(start_daemon, tdir, wait=True)
    try:
        ns.wait("READY", "1")
        n = ns.count()
        d.write_config({"workers.count": 3})
        before = mono_usec()
        d.sighup()
        i, (_, kv, raw, _) = ns.wait("RELOADING", "1", since=n)
        after = mono_usec()
        usec = int(kv["MONOTONIC_USEC"])
        assert before <= usec <= after, (before, usec, after)
        j, (_, kv, raw, kids) = ns.wait("READY", "1", since=i + 1)
        assert re.match(r"^generation 2: 3/3 workers, listener, scheduler "
                        r"up; redis up; queues critical,default,low$",
                        kv.get("STATUS", "")), raw
        # READY=1 comes once the new generation is up: its children are
        # all there, and the old ones were told to go.
        current = sorted((c.role, c.index) for c in kids)
        assert ("worker", 3) in current, kids
        assert d.health() == 200
    finally:
        ns.close()


def test_bad_reload_notifies(start_daemon, tdir):
    d, ns = start_notified(start_daemon, tdir, wait=True)
    try:
        ns.wait("READY", "1")
        before = sorted(c.pid for c in d.children())
        n = ns.count()
        good = open(d.conf_path).read()
        d.write_config(raw=good + "\n[workers\ncount = 3\n")
        d.sighup()
        i, _ = ns.wait("RELOADING", "1", since=n)
        _, (_, kv, raw, _) = ns.wait("READY", "1", since=i + 1)
        st = kv.get("STATUS", "")
        assert "reload failed" in st and d.conf_path in st, raw
        assert st.startswith("generation 1: "), raw
        assert sorted(c.pid for c in d.children()) == before
        assert d.health() == 200
    finally:
        ns.close()


def test_stopping(start_daemon, tdir):
    d, ns = start_notified(start_daemon, tdir, wait=True)
    try:
        ns.wait("READY", "1")
        n = ns.count()
        d.sigterm()
        ns.wait("STOPPING", "1", since=n)
        assert d.wait_exit() == 0
        assert ns.with_key("READY", since=n) == []
    finally:
        ns.close()


def test_watchdog_follows_the_children(start_daemon, redis, tdir):
    """WATCHDOG=1 every WATCHDOG_USEC/2 while every slot has a live, ready
    child; none while a slot is empty (a killed scheduler waits its
    respawn delay); it goes on through a Redis outage, which a restart
    would not cure (STATUS says "redis down" instead)."""
    d, ns = start_notified(start_daemon, tdir, wait=True,
                           env={"WATCHDOG_USEC": "200000"})
    try:
        ns.wait("READY", "1")
        wait_for(lambda: len(ns.with_key("WATCHDOG")) >= 3, 10,
                 msg="three WATCHDOG=1")
        n = ns.count()
        os.kill(d.pids("scheduler")[0], 9)
        down, _ = ns.wait("STATUS", match=r"scheduler down", since=n)
        up, _ = ns.wait("STATUS", match=r"scheduler up", since=down)
        between = [m for m in ns.all()[down:up] if "WATCHDOG" in m[1]]
        assert between == [], "WATCHDOG=1 while a slot was empty"
        ns.wait("WATCHDOG", "1", since=up)

        redis.kill()
        n, _ = ns.wait("STATUS", match=r"redis down", since=up, timeout=20)
        wait_for(lambda: len(ns.with_key("WATCHDOG", since=n)) >= 5, 10,
                 msg="WATCHDOG=1 to go on while Redis is down")
        assert "redis down" in ns.statuses()[-1]
        assert d.proc.poll() is None
        redis.start()
        ns.wait("STATUS", match=r"redis up", since=n, timeout=20)
    finally:
        ns.close()


def test_watchdog_for_another_pid(start_daemon, tdir):
    """$WATCHDOG_PID names someone else: the variables were not meant for
    us and no WATCHDOG=1 is sent (checked up to the next reload's end)."""
    d, ns = start_notified(start_daemon, tdir, wait=True,
                           env={"WATCHDOG_USEC": "200000",
                                "WATCHDOG_PID": "1"})
    try:
        ns.wait("READY", "1")
        n = ns.count()
        d.write_config({"workers.count": 1})
        d.sighup()
        i, _ = ns.wait("READY", "1", since=n)
        assert ns.with_key("WATCHDOG") == []
    finally:
        ns.close()


def test_abstract_socket(start_daemon, tdir):
    """$NOTIFY_SOCKET may name the abstract namespace ("@...")."""
    d, ns = start_notified(start_daemon, tdir, abstract=True, wait=True)
    try:
        _, (_, kv, raw, _) = ns.wait("READY", "1")
        assert re.match(FULL, kv.get("STATUS", "")), raw
    finally:
        ns.close()
