"""[server] user / group: started as root, the master keeps root (to bind
on reload) and every child runs as the configured user and group, with
no supplementary groups but that one, and cannot get root back.  An
unknown user or group is a config error (78)."""

import os
import pwd
import grp

import pytest

from tdlib import proc_table, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root to drop privileges")


def ids(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = [int(x) for x in v.split()]
    return out


def nobody():
    try:
        return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    except KeyError:
        pytest.skip("no nobody/nogroup on this system")


# The children connect to Redis as nobody: the socket and the directory
# it is in must let them (the test directory is 0700 by default).
@pytest.mark.redis_args("--unixsocketperm", "777")
def test_children_drop_to_nobody(start_daemon, tdir, target, r):
    uid, gid = nobody()
    os.chmod(tdir, 0o755)
    d = start_daemon({"server.user": "nobody", "server.group": "nogroup",
                      "workers.count": 2})
    kids = d.wait_children(2)
    assert len(kids) == 4
    for c in kids:
        got = ids(c.pid)
        assert got["Uid"] == [uid] * 4, (c, got)
        assert got["Gid"] == [gid] * 4, (c, got)
        assert got["Groups"] == [gid], (c, got)
    assert ids(d.pid)["Uid"][0] == 0
    # Still works: the API answers, a task is delivered, Redis is reached.
    resp = d.enqueue(target.url("/priv"))
    assert resp.status == 200, resp
    target.wait_count(1, "/priv")
    # A reload forks new children: they drop too.
    old = {c.pid for c in kids}
    d.sighup()

    def fresh():
        kids = d.children(False)
        return kids if len(kids) == 4 and not ({c.pid for c in kids} &
                                               old) else None
    for c in wait_for(fresh, 15, msg="new generation"):
        assert ids(c.pid)["Uid"] == [uid] * 4, c
    table = proc_table()
    assert "taskdispatcher: master" in table[d.pid][2]


def test_unknown_user_is_config_error(start_daemon):
    d = start_daemon({"server.user": "td-no-such-user"}, wait=False)
    assert d.wait_exit(10) == 78
    assert "unknown user 'td-no-such-user'" in d.log()
    d = start_daemon({"server.group": "td-no-such-group"}, wait=False,
                     name="grp")
    assert d.wait_exit(10) == 78
    assert "unknown group 'td-no-such-group'" in d.log()
