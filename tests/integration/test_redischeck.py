"""The master's one look at Redis before the first fork: a loud warning
(one line each) for settings that can lose tasks, a refusal (exit 78)
for a Redis older than 6.2, and no more than a warning when Redis is not
there at all.  The real redis-server for everything it can show; the one
thing it cannot be (old) is played by a fake RESP server, named so."""

import os
import re
import socket
import threading

import pytest

from tdlib import wait_for

CHECK_WARN = re.compile(r"^.*master\[\d+\]: warning: (redis (persistence|"
                        r"appendfsync|maxmemory-policy|version).*)$", re.M)


def check_warnings(d):
    return [m.group(1) for m in CHECK_WARN.finditer(d.log())]


def checked(d):
    wait_for(lambda: "redis check: " in d.log(), 10,
             msg="the startup check's summary line")


def test_good_config_no_warning(start_daemon):
    d = start_daemon({"workers.count": 1})
    checked(d)
    assert check_warnings(d) == [], d.log_tail(20)
    assert re.search(r"redis check: version \d+\.\d+\.\d+ .*warnings=0",
                     d.log())


@pytest.mark.redis_args("--appendonly", "no")
def test_appendonly_no_warns(start_daemon, r):
    assert r.execute("CONFIG", "GET", "appendonly")[1] == b"no"
    d = start_daemon({"workers.count": 1})
    checked(d)
    w = check_warnings(d)
    assert len(w) == 1, w
    assert "appendonly no" in w[0] and "set appendonly yes" in w[0], w
    # The harness runs Redis with save "": nothing persists at all.
    assert "persistence: none" in w[0], w
    assert d.health() == 200


@pytest.mark.redis_args("--appendonly", "no", "--save", "3600 1")
def test_rdb_only_warns(start_daemon):
    d = start_daemon({"workers.count": 1})
    checked(d)
    w = check_warnings(d)
    assert len(w) == 1 and "RDB snapshots only" in w[0], w


@pytest.mark.redis_args("--maxmemory-policy", "allkeys-lru")
def test_maxmemory_policy_warns(start_daemon):
    d = start_daemon({"workers.count": 1})
    checked(d)
    w = check_warnings(d)
    assert len(w) == 1, w
    assert "maxmemory-policy is allkeys-lru" in w[0], w
    assert "noeviction" in w[0], w


@pytest.mark.redis_args("--appendfsync", "no")
def test_appendfsync_no_warns(start_daemon):
    d = start_daemon({"workers.count": 1})
    checked(d)
    w = check_warnings(d)
    assert len(w) == 1 and "appendfsync is no" in w[0], w


@pytest.mark.redis_args("--rename-command", "CONFIG", "",
                        "--appendonly", "no",
                        "--maxmemory-policy", "volatile-lru")
def test_config_refused_falls_back_to_info(start_daemon):
    """CONFIG renamed away: INFO persistence and INFO memory still tell."""
    d = start_daemon({"workers.count": 1})
    checked(d)
    w = check_warnings(d)
    assert len(w) == 2, w
    assert any("AOF is off" in x for x in w), w
    assert any("maxmemory-policy is volatile-lru" in x for x in w), w
    assert "CONFIG GET refused" in d.log()


def test_unreachable_warns_and_starts(start_daemon, redis):
    redis.stop()
    d = start_daemon({"workers.count": 1}, wait=False)
    wait_for(lambda: re.search(r"warning: redis check: .*starting anyway",
                               d.log()), 10, msg="the check's warning")
    d.wait_children(1)
    redis.start()
    d.wait_healthy(20)


class FakeOldRedis(threading.Thread):
    """A FAKE Redis (not redis-server): a few lines of RESP on a unix
    socket that claim to be Redis 6.0.16 and answer INFO and CONFIG GET
    only.  No Redis older than 6.2 is installed here, and the refusal
    must be seen end to end once."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(16)
        self.conns = 0

    @staticmethod
    def bulk(s):
        b = s.encode()
        return b"$%d\r\n%s\r\n" % (len(b), b)

    def answer(self, args):
        cmd = args[0].upper() if args else ""
        if cmd == "INFO":
            return self.bulk("# Server\r\nredis_version:6.0.16\r\n"
                             "# Persistence\r\naof_enabled:1\r\n"
                             "# Memory\r\nmaxmemory_policy:noeviction\r\n")
        if cmd == "CONFIG" and len(args) == 3:
            val = {"appendonly": "yes", "appendfsync": "everysec",
                   "save": "", "maxmemory-policy": "noeviction"}
            return b"*2\r\n" + self.bulk(args[2]) + \
                self.bulk(val.get(args[2], ""))
        if cmd == "PING":
            return b"+PONG\r\n"
        return b"-ERR unknown command in the fake\r\n"

    def serve(self, c):
        f = c.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line.startswith(b"*"):
                    return
                args = []
                for _ in range(int(line[1:])):
                    n = int(f.readline()[1:])
                    args.append(f.read(n + 2)[:-2].decode())
                c.sendall(self.answer(args))
        except (OSError, ValueError):
            return
        finally:
            c.close()

    def run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def close(self):
        self.srv.close()


def test_old_redis_refused_with_fake_server(start_daemon, tdir):
    fake = FakeOldRedis(os.path.join(tdir, "fake-old-redis.sock"))
    fake.start()
    try:
        d = start_daemon({"workers.count": 1,
                          "redis.addr": fake.path}, wait=False)
        assert d.wait_exit(15) == 78, d.log_tail(20)
    finally:
        fake.close()
    log = d.log()
    assert re.search(r"warning: redis 6\.0\.16 is too old: taskdispatcher "
                     r"needs 6\.2 or later \(BLMOVE\)", log), log
    assert "refusing to start" in log
    # Refused before the first fork: no child ever ran.
    assert "started (pid" not in log and "listening on" not in log, log
    assert fake.conns == 1
