"""make install and make uninstall from TD_BUILDDIR (make check sets it)
into a DESTDIR: every file lands where configure said, the installed unit
and config name the installed paths, the installed Redis snippet is one
redis-server takes, an edited configuration survives both a reinstall
and an uninstall, and uninstall leaves nothing else behind.  Skipped
without TD_BUILDDIR.
"""

import os
import re
import subprocess

import pytest

import tdlib

BUILDDIR = os.environ.get("TD_BUILDDIR")
VARS = ("prefix", "bindir", "sbindir", "sysconfdir", "mandir", "docdir",
        "systemdsystemunitdir", "sysusersdir", "bin_PROGRAMS",
        "sbin_PROGRAMS", "man_MANS", "EXEEXT")

pytestmark = pytest.mark.skipif(not BUILDDIR,
                                reason="TD_BUILDDIR is not set")


def make_env():
    """Not a job-server client of a make that may be running us."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES",
                         "DESTDIR")}


def make(*args):
    p = subprocess.run(["make", "-s", "-C", BUILDDIR] + list(args),
                       capture_output=True, text=True, timeout=300,
                       env=make_env())
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def mk():
    """The build's installation directories, as make expands them."""
    rule = "print-%:\n\t@echo 'TDVAR $*=$($*)'\n"
    p = subprocess.run(["make", "-s", "-C", BUILDDIR, "-f", "Makefile",
                        "-f", "-"] + [f"print-{v}" for v in VARS],
                       input=rule, capture_output=True, text=True,
                       timeout=300, env=make_env())
    assert p.returncode == 0, p.stdout + p.stderr
    out = dict(re.findall(r"^TDVAR (\w+)=(.*)$", p.stdout, re.M))
    assert set(out) == set(VARS), p.stdout
    return out


def files_under(root):
    """Every non-directory under root, relative to it."""
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def rel(path):
    return path.lstrip("/")


def expected_files(mk, srcdir):
    want = {rel(f"{mk['sbindir']}/{p}") for p in mk["sbin_PROGRAMS"].split()}
    want |= {rel(f"{mk['bindir']}/{p}") for p in mk["bin_PROGRAMS"].split()}
    conf = f"{mk['sysconfdir']}/taskdispatcher"
    want |= {rel(f"{conf}/taskdispatcher.conf"),
             rel(f"{conf}/redis-taskdispatcher.conf"),
             rel(f"{mk['docdir']}/redis-local.conf")}
    mans = ["taskdispatcher.8", "taskdispatcher.conf.5"]
    # Another program's page joins the list once its source exists.
    if os.path.exists(os.path.join(srcdir, "man/tdctl.1.in")):
        mans.append("tdctl.1")
    for m in mans:
        want.add(rel(f"{mk['mandir']}/man{m.rsplit('.', 1)[1]}/{m}"))
    if mk["systemdsystemunitdir"] != "no":
        want.add(rel(f"{mk['systemdsystemunitdir']}/taskdispatcher.service"))
    if mk["sysusersdir"] != "no":
        want.add(rel(f"{mk['sysusersdir']}/taskdispatcher.conf"))
    return want


@pytest.fixture
def dest(tdir):
    d = os.path.join(tdir, "dest")
    os.mkdir(d)
    return d


def test_install_layout(dest, mk, srcdir):
    make("install", f"DESTDIR={dest}")
    want = expected_files(mk, srcdir)
    got = files_under(dest)
    assert sorted(want - got) == [], "missing"
    assert sorted(got - want) == [], "unexpected"
    for p in mk["sbin_PROGRAMS"].split():
        assert os.access(os.path.join(dest, rel(f"{mk['sbindir']}/{p}")),
                         os.X_OK)
    # Test first, uninstall later: a failed assertion keeps the tree.
    make("uninstall", f"DESTDIR={dest}")
    assert sorted(files_under(dest)) == []


def test_installed_unit_names_installed_paths(dest, mk):
    if mk["systemdsystemunitdir"] == "no":
        pytest.skip("configured --with-systemdsystemunitdir=no")
    make("install", f"DESTDIR={dest}")
    unit = os.path.join(dest, rel(mk["systemdsystemunitdir"]),
                        "taskdispatcher.service")
    with open(unit, encoding="utf-8") as f:
        text = f.read()
    assert re.search(r"@[A-Za-z_]+@", text) is None, "an unfilled @var@"
    m = re.search(r"^ExecStart=(\S+) -c (\S+)$", text, re.M)
    assert m, text
    assert m.group(1) == f"{mk['sbindir']}/taskdispatcher"
    assert m.group(2) == \
        f"{mk['sysconfdir']}/taskdispatcher/taskdispatcher.conf"
    assert os.access(dest + m.group(1), os.X_OK)
    assert os.path.isfile(dest + m.group(2))


def test_installed_config_is_valid(dest, mk):
    make("install", f"DESTDIR={dest}")
    binary = os.path.join(dest, rel(mk["sbindir"]), "taskdispatcher")
    conf = os.path.join(dest, rel(mk["sysconfdir"]),
                        "taskdispatcher/taskdispatcher.conf")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "REDIS_ADDR")}
    p = subprocess.run([binary, "-t", "-c", conf], capture_output=True,
                       text=True, timeout=10, env=env)
    assert p.returncode == 0, p.stdout + p.stderr


def test_edited_config_survives(dest, mk):
    make("install", f"DESTDIR={dest}")
    conf = os.path.join(dest, rel(mk["sysconfdir"]),
                        "taskdispatcher/taskdispatcher.conf")
    with open(conf, "a", encoding="utf-8") as f:
        f.write("# edited by the administrator\n")
    with open(conf, encoding="utf-8") as f:
        edited = f.read()
    make("install", f"DESTDIR={dest}")
    with open(conf, encoding="utf-8") as f:
        assert f.read() == edited, "make install overwrote an edited config"
    make("uninstall", f"DESTDIR={dest}")
    assert sorted(files_under(dest)) == [os.path.relpath(conf, dest)]


def test_redis_snippet_is_applied(tdir, dest, mk):
    """redis-server reads the installed snippet (include) and ends up
    with the settings the dispatcher needs."""
    make("install", f"DESTDIR={dest}")
    snippet = os.path.join(dest, rel(mk["sysconfdir"]),
                           "taskdispatcher/redis-taskdispatcher.conf")
    # On top of the suite's usual command line, which sets some of the
    # same to other values: the snippet, read last, must win.
    srv = tdlib.RedisServer(tdir, ["--appendfsync", "always",
                                   "--maxmemory-policy", "allkeys-lru",
                                   "--include", snippet])
    srv.start()
    try:
        def get(name):
            return srv.client.execute("CONFIG", "GET", name)[1]
        assert get("appendonly") == b"yes"
        assert get("appendfsync") == b"everysec"
        assert get("maxmemory-policy") == b"noeviction"
        assert get("timeout") == b"0"
    finally:
        srv.kill()
