"""The command line: -t, -V, -h and usage errors."""

import os
import re
import subprocess

import pytest

from tdlib import render_conf

GOOD = {
    "server": {"listen": "127.0.0.1:18080", "max_body": "64k"},
    "redis": {"addr": "/nonexistent/redis.sock"},
    "workers": {"count": "0", "lease": "5s"},
    "dispatch": {"min_backoff": "250ms"},
    "queue.bulk": {"weight": "2", "max_retries": "1"},
}


def run(binary, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "REDIS_ADDR")}
    env.update(env_extra or {})
    p = subprocess.run([binary, *args], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10, env=env)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def write(tdir, text, name="t.conf"):
    path = os.path.join(tdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_check_good_config(binary, tdir):
    path = write(tdir, render_conf(GOOD))
    rc, out = run(binary, "-t", "-c", path)
    assert rc == 0, out


# (label, config text, line of the error)
BAD = [
    ("syntax", "[server]\nlisten = 127.0.0.1:1\nthis line is nonsense\n", 3),
    ("section", "[server]\nlisten = 127.0.0.1:1\n[workers\ncount = 1\n", 3),
    ("bad count", "[server]\nlisten = 127.0.0.1:1\n[workers]\n"
                  "count = lots\n", 4),
    ("bad duration", "[dispatch]\nmin_backoff = 1s\ntimeout = soon\n", 3),
    ("bad size", "[server]\nmax_body = huge\n", 2),
    ("unknown key", "[server]\nlisten = 127.0.0.1:1\nlisten_too = 1\n", 3),
    ("unknown section", "[sever]\nlisten = 127.0.0.1:1\n", 2),
]


@pytest.mark.parametrize("label,text,line", BAD,
                         ids=[b[0].replace(" ", "-") for b in BAD])
def test_check_bad_config(binary, tdir, label, text, line):
    path = write(tdir, text)
    rc, out = run(binary, "-t", "-c", path)
    assert rc == 1, (rc, out)
    assert f"{path}:{line}" in out, out


def test_check_missing_file(binary, tdir):
    path = os.path.join(tdir, "absent.conf")
    rc, out = run(binary, "-t", "-c", path)
    assert rc == 1, (rc, out)
    assert path in out, out


def test_version(binary, srcdir):
    with open(os.path.join(srcdir, "configure.ac")) as f:
        version = re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]",
                            f.read()).group(1)
    rc, out = run(binary, "-V")
    assert rc == 0, out
    assert version in out, out


def test_help(binary):
    rc, out = run(binary, "-h")
    assert rc == 0, out
    for flag in ("-c", "-t", "-v", "-V", "-h"):
        assert re.search(r"(?<![\w-])%s\b" % re.escape(flag), out), \
            (flag, out)


@pytest.mark.parametrize("args", [["-Z"], ["--no-such-flag"],
                                  ["-c"], ["extra-operand"]])
def test_usage_error(binary, args):
    rc, out = run(binary, *args)
    assert rc == 64, (rc, out)
    assert out.strip(), "a usage error should say something"
