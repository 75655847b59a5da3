"""The systemd unit and the sysusers.d snippet as the build makes them:
systemd-analyze verify has nothing to say about the unit (nor about the
example drop-in on top of it), its sandbox rates "OK" in systemd-analyze
security, its stop timeout leaves the master time to stop its children,
and systemd-sysusers creates the user the unit runs as.

The unit is checked from TD_BUILDDIR (make check sets it), with ExecStart
pointed at the binary under test: verify wants the program to exist, and
an uninstalled build has it nowhere else.  Skipped without TD_BUILDDIR or
systemd-analyze.
"""

import os
import re
import shutil
import subprocess

import pytest

BUILDDIR = os.environ.get("TD_BUILDDIR")
UNIT = "taskdispatcher.service"
UNIT_BUILT = "systemd/taskdispatcher.service"
SYSUSERS_BUILT = "systemd/sysusers.d/taskdispatcher.conf"
MANS = ("man/taskdispatcher.8", "man/taskdispatcher.conf.5")
# "OK" in systemd-analyze security's scale; lower is better.
MAX_EXPOSURE = 2.0
# master.c: children get shutdown_timeout plus this before the SIGKILL.
KILL_GRACE_S = 5

pytestmark = [
    pytest.mark.skipif(not BUILDDIR, reason="TD_BUILDDIR is not set"),
    pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                       reason="systemd-analyze is not installed"),
]


def make_env():
    """The environment for a make of our own: not a job-server client of
    a make that may be running us (make check)."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES",
                         "DESTDIR")}


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          **kw)


@pytest.fixture(scope="module")
def built():
    """Make (if need be) the unit, the snippet and the man pages; return
    the build directory."""
    p = run(["make", "-s", "-C", BUILDDIR, UNIT_BUILT, SYSUSERS_BUILT] +
            list(MANS), env=make_env())
    assert p.returncode == 0, p.stdout + p.stderr
    return BUILDDIR


@pytest.fixture
def unitdir(tdir, built, binary, srcdir):
    """tdir/units: the built unit with ExecStart on the binary under test
    and, in taskdispatcher.service.d/, the example drop-in with its
    commented-out settings turned on (so that they are checked too);
    tdir/man: the built man pages, for verify's Documentation= check."""
    units = os.path.join(tdir, "units")
    os.makedirs(os.path.join(units, UNIT + ".d"))
    with open(os.path.join(built, UNIT_BUILT), encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"^(ExecStart=)\S+", lambda m: m.group(1) + binary,
                      text, flags=re.M)
    assert n == 1, "no single ExecStart= line in the built unit"
    with open(os.path.join(units, UNIT), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(srcdir, "systemd/redis-local.conf"),
              encoding="utf-8") as f:
        dropin = re.sub(r"^#(?=[A-Z][A-Za-z]*=)", "", f.read(), flags=re.M)
    with open(os.path.join(units, UNIT + ".d", "redis-local.conf"), "w",
              encoding="utf-8") as f:
        f.write(dropin)
    for m in MANS:
        sect = m.rsplit(".", 1)[1]
        d = os.path.join(tdir, "man", "man" + sect)
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(built, m), d)
    return units


def analyze(tdir, units, *args, dropin=True):
    """systemd-analyze ARGS with the unit found by name in units (the
    trailing ':' keeps the system's units, network-online.target...)."""
    if not dropin:
        shutil.rmtree(os.path.join(units, UNIT + ".d"))
    env = dict(os.environ, SYSTEMD_UNIT_PATH=units + ":",
               MANPATH=os.path.join(tdir, "man"), SYSTEMD_PAGER="",
               SYSTEMD_COLORS="0")
    args = list(args)
    # verify checks Documentation=man: pages with man(1), if there is one.
    if args[0] == "verify" and shutil.which("man") is None:
        args.insert(1, "--man=no")
    return run(["systemd-analyze"] + args, env=env, cwd=tdir)


def unit_settings(path):
    """{key: [values]} of a unit file (no line continuations in ours)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^([A-Za-z]+)=(.*)$", line.rstrip("\n"))
            if m:
                out.setdefault(m.group(1), []).append(m.group(2))
    return out


def timespan_us(span):
    """A systemd time span ("45s", "1min 30s") in microseconds, as
    systemd itself reads it."""
    p = run(["systemd-analyze", "timespan", span])
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(r"μs:\s*(\d+)", p.stdout)
    assert m, p.stdout
    return int(m.group(1))


def test_verify_is_silent(tdir, unitdir):
    p = analyze(tdir, unitdir, "verify", UNIT, dropin=False)
    assert (p.stdout + p.stderr).strip() == "", p.stdout + p.stderr
    assert p.returncode == 0


def test_verify_with_redis_dropin(tdir, unitdir):
    p = analyze(tdir, unitdir, "verify", UNIT)
    assert (p.stdout + p.stderr).strip() == "", p.stdout + p.stderr
    assert p.returncode == 0


def test_verify_speaks_up(tdir, unitdir):
    """The two tests above could pass on a verify that read nothing."""
    with open(os.path.join(unitdir, UNIT), "a", encoding="utf-8") as f:
        f.write("\n[Service]\nNoSuchSetting=1\n")
    p = analyze(tdir, unitdir, "verify", UNIT)
    assert "NoSuchSetting" in p.stdout + p.stderr


@pytest.mark.parametrize("dropin", [False, True],
                         ids=["unit", "with-redis-dropin"])
def test_security_exposure(tdir, unitdir, dropin):
    p = analyze(tdir, unitdir, "security", "--offline=true", UNIT,
                dropin=dropin)
    table = p.stdout + p.stderr
    m = re.search(r"Overall exposure level for %s: (\d+(?:\.\d+)?)"
                  % re.escape(UNIT), table)
    assert m, f"no overall exposure in:\n{table}"
    exposure = float(m.group(1))
    print(f"exposure {exposure}")
    assert exposure <= MAX_EXPOSURE, \
        f"exposure {exposure} > {MAX_EXPOSURE}:\n{table}"


def test_unit_essentials(built):
    """What the daemon's design relies on (STYLE.md, master.c)."""
    s = unit_settings(os.path.join(built, UNIT_BUILT))
    want = {
        "Type": "notify", "NotifyAccess": "main", "KillMode": "mixed",
        "Restart": "on-failure", "RestartPreventExitStatus": "78",
        "ExecReload": "/bin/kill -HUP $MAINPID", "User": "taskdispatcher",
    }
    got = {k: s.get(k, [None])[-1] for k in want}
    assert got == want
    assert timespan_us(s["WatchdogSec"][-1]) > 0
    start = s["ExecStart"][-1].split()
    assert start[1:] == ["-c", start[2]] and \
        start[2].endswith("/taskdispatcher/taskdispatcher.conf"), start


def test_stop_timeout_covers_shutdown(built, binary):
    """TimeoutStopSec must exceed the default shutdown_timeout plus the
    master's own grace, or systemd SIGKILLs what the master would have
    stopped cleanly.  The default comes from the daemon (-t -v)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "REDIS_ADDR")}
    p = subprocess.run([binary, "-t", "-v", "-c", "/dev/null"],
                       capture_output=True, text=True, timeout=10, env=env)
    assert p.returncode == 0, p.stderr
    m = re.search(r"^shutdown_timeout = (\S+)$", p.stdout, re.M)
    assert m, p.stdout
    # Our units (ms, s, m, h, d) mean the same to systemd.
    shutdown_us = timespan_us(m.group(1))
    s = unit_settings(os.path.join(built, UNIT_BUILT))
    stop_us = timespan_us(s["TimeoutStopSec"][-1])
    assert stop_us > shutdown_us + KILL_GRACE_S * 1000000, \
        (s["TimeoutStopSec"], m.group(1))


def test_sysusers_creates_user(tdir, built):
    if shutil.which("systemd-sysusers") is None:
        pytest.skip("systemd-sysusers is not installed")
    root = os.path.join(tdir, "root")
    os.makedirs(os.path.join(root, "etc"))
    conf = os.path.join(built, SYSUSERS_BUILT)
    if os.geteuid() != 0:
        p = run(["systemd-sysusers", "--root", root, "--dry-run", conf])
        assert p.returncode == 0, p.stdout + p.stderr
        assert "Creating user 'taskdispatcher'" in p.stdout + p.stderr
        return
    p = run(["systemd-sysusers", "--root", root, conf])
    assert p.returncode == 0, p.stdout + p.stderr
    with open(os.path.join(root, "etc/passwd"), encoding="utf-8") as f:
        users = {ln.split(":")[0]: ln.rstrip("\n").split(":") for ln in f}
    with open(os.path.join(root, "etc/group"), encoding="utf-8") as f:
        groups = {ln.split(":")[0]: ln.split(":") for ln in f}
    assert "taskdispatcher" in users, users
    _, _, uid, gid, _, _, shell = users["taskdispatcher"]
    assert 0 < int(uid) < 1000, "not a system user"
    assert groups["taskdispatcher"][2] == gid
    assert shell.endswith("nologin")
