"""Fixtures for the taskdispatcher integration suite.

Each test gets its own directory (kept, with the daemon log shown, when the
test fails), a real redis-server on a unix socket there, a real local HTTP
target, and a factory that starts the real binary with a config written
there.  Teardown SIGKILLs each daemon's process group.

Environment: TD_BINARY (default: the repo's ./taskdispatcher), TD_SRCDIR
(default: the repo root), TD_TEST_TMPDIR (default: /tmp),
TD_KEEP_TMPDIR=1 to keep every test's directory.  TD_VALGRIND=1 runs every
daemon under valgrind (see tdlib.VALGRIND): teardown stops it gracefully
and any memory error or definite/indirect leak in a vg.*.log fails the
test; modules that cannot work under valgrind are skipped.
"""

import os
import re
import shutil
import tempfile

import pytest

import tdlib

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("TD_SRCDIR")
                         or os.path.join(HERE, "..", ".."))
BINARY = os.path.abspath(os.environ.get("TD_BINARY")
                         or os.path.join(SRCDIR, "taskdispatcher"))


SANITIZER_RE = re.compile(r"^.*(ERROR: (Address|Leak|Undefined)Sanitizer|"
                          r"runtime error:).*$", re.M)


# Under valgrind (TD_VALGRIND=1), whole modules that cannot work: each
# with why.  tests/run --valgrind picks the subset it runs.
VALGRIND_SKIP = {
    "test_chaos": "kills processes at random: no leak report, timing-bound",
    "test_hostile": "hostile clients race timeouts that valgrind stretches",
    "test_systemd": "sd_notify timing and watchdog intervals",
    "test_install": "tests the installed tree, not a running daemon",
    "test_man": "tests the manual pages, not a running daemon",
    "test_lint": "static checks, no daemon",
    "test_durability": "SIGKILLs the daemon and Redis: no leak report",
    "test_privdrop": "needs root and reads process titles",
    "test_processes": "process titles: valgrind keeps its own in /proc",
}


def pytest_collection_modifyitems(config, items):
    if not tdlib.VALGRIND:
        return
    for item in items:
        mod = item.module.__name__.rsplit(".", 1)[-1]
        why = VALGRIND_SKIP.get(mod)
        if why:
            item.add_marker(pytest.mark.skip(reason=f"valgrind: {why}"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "redis_args(*args): extra redis-server arguments")


class Env:
    """What a failing test's report shows."""

    def __init__(self, tdir):
        self.tdir = tdir
        self.daemons = []
        self.target = None
        self.redis = None

    def sections(self):
        out = [("tmpdir", f"kept: {self.tdir}")]
        for d in self.daemons:
            out.append((f"daemon log {d.name} ({d.log_path}), last lines",
                        d.log_tail(300)))
        if self.target is not None:
            out.append(("target", self.target.summary()))
        return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        item.td_failed = True
        env = getattr(item, "td_env", None)
        if env is not None:
            for name, text in env.sections():
                rep.sections.append((name, text))


@pytest.fixture
def tdir(request):
    base = os.environ.get("TD_TEST_TMPDIR") or "/tmp"
    short = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name)[:40]
    path = tempfile.mkdtemp(prefix=f"td-{short}-", dir=base)
    request.node.td_env = Env(path)
    yield path
    if getattr(request.node, "td_failed", False) or \
            os.environ.get("TD_KEEP_TMPDIR"):
        return
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def binary():
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"no executable daemon at {BINARY} (set TD_BINARY)")
    return BINARY


@pytest.fixture
def srcdir():
    return SRCDIR


@pytest.fixture
def redis(request, tdir):
    m = request.node.get_closest_marker("redis_args")
    srv = tdlib.RedisServer(tdir, m.args if m else ())
    request.node.td_env.redis = srv
    srv.start()
    yield srv
    srv.kill()


@pytest.fixture
def r(redis):
    """A RESP client on the test's Redis."""
    return redis.client


@pytest.fixture
def target(request, tdir):
    t = tdlib.Target()
    request.node.td_env.target = t
    yield t
    t.close()


@pytest.fixture
def start_daemon(request, tdir, redis, binary):
    """start_daemon({"workers.count": 1, ...}, wait=True, env={}) -> Daemon.
    Keys are "section.key" ("queue.low.weight" too); None removes a key."""
    daemons = []

    def start(conf=None, wait=True, name=None, env=None):
        d = tdlib.Daemon(binary, tdir, name or f"daemon{len(daemons) + 1}",
                         redis.sock, conf)
        daemons.append(d)
        request.node.td_env.daemons.append(d)
        return d.start(wait=wait, env=env)
    yield start
    for d in daemons:
        d.stop()
    # A sanitizer build (--enable-sanitizers) reports into the log; any
    # report fails the test even if its assertions held.
    for d in daemons if tdlib.VALGRIND else ():
        bad = d.valgrind_reports()
        if bad:
            request.node.td_failed = True   # keep the directory
            pytest.fail("\n\n".join(f"{d.name}: valgrind report in {p}:\n"
                                      f"{text}" for p, text in bad),
                        pytrace=False)
    for d in daemons:
        m = SANITIZER_RE.search(d.log())
        if m:
            request.node.td_failed = True   # keep the directory
            pytest.fail(f"{d.name}: sanitizer report in {d.log_path}: "
                        f"{m.group(0)}", pytrace=False)
