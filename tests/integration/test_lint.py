"""Lint as a test (Postfix check-postconf-undocumented): every flag, INI key
and signal the daemon knows is documented, and the sample config, the man
page and the daemon agree on the keys."""

import os
import re
import subprocess

import pytest

# The configuration contract (conf.h): section -> keys.
KEYS = {
    "server": ["listen", "max_body", "max_header", "max_connections",
               "idle_timeout", "header_timeout", "log_level"],
    "redis": ["addr", "password", "db", "prefix", "connect_timeout"],
    "workers": ["count", "concurrency", "lease", "shutdown_timeout"],
    "dispatch": ["timeout", "max_retries", "min_backoff", "max_backoff",
                 "done_retention", "dead_retention"],
    "queue.NAME": ["weight", "timeout", "max_retries", "min_backoff",
                   "max_backoff"],
}
SIGNALS = ["HUP", "TERM", "INT", "QUIT", "CHLD"]


def read(srcdir, rel):
    path = os.path.join(srcdir, rel)
    if not os.path.exists(path):
        pytest.fail(f"{rel} is missing")
    with open(path, encoding="utf-8") as f:
        return f.read()


def man_section(text, name):
    m = re.search(r"^\.Sh\s+\"?%s\"?\s*$(.*?)(?=^\.Sh\s|\Z)" % name, text,
                  re.M | re.S)
    return m.group(1) if m else None


def sample_keys(text):
    """(section, key) pairs of the sample, commented-out defaults too.
    [queue.critical] etc. count as queue.NAME."""
    out = set()
    sec = None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"^[#;]?\s*\[([A-Za-z0-9_.-]+)\]\s*$", s)
        if m:
            sec = m.group(1)
            if sec.startswith("queue."):
                sec = "queue.NAME"
            continue
        m = re.match(r"^[#;]?\s?([a-z][a-z_]*)\s*=", s)
        if m and sec is not None:
            out.add((sec, m.group(1)))
    return out


def man_keys(text):
    """(section, key) pairs the conf(5) page documents as list items
    (.It Cm key ...), the section taken from the last ".Ss The [NAME]
    section" heading (None before any)."""
    keys = set()
    sec = None
    for line in text.splitlines():
        m = re.match(r"^\.S[sh]\s.*\[([A-Za-z0-9_.-]+)\]", line)
        if m:
            sec = m.group(1)
            if sec.startswith("queue."):
                sec = "queue.NAME"
            continue
        if line.startswith(".Sh"):
            sec = None
            continue
        m = re.match(r"^\.It\s+(?:Cm|Ic|Va|Sy|Li)\s+([a-z][a-z_]*)(?=\s|$)",
                     line)
        if m:
            keys.add((sec, m.group(1)))
    return keys


def help_text(binary):
    p = subprocess.run([binary, "-h"], capture_output=True, timeout=10)
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def test_help_options_in_man(binary, srcdir):
    man = read(srcdir, "man/taskdispatcher.8.in")
    out = help_text(binary)
    shorts = set(re.findall(r"(?<![\w-])-([A-Za-z?])\b", out))
    longs = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", out))
    assert {"c", "t", "v", "V", "h"} <= shorts, out
    missing = [f"-{s}" for s in sorted(shorts)
               if not re.search(r"\bFl\s+%s\b" % re.escape(s), man)]
    missing += [f"--{lng}" for lng in sorted(longs)
                if not re.search(r"(\bFl\s+\\?-|\\-\\-|--)%s\b" %
                                 re.escape(lng), man)]
    assert missing == [], f"not in taskdispatcher.8.in: {missing}"


def test_signals_documented(srcdir):
    man = read(srcdir, "man/taskdispatcher.8.in")
    sec = man_section(man, "SIGNALS")
    assert sec is not None, "taskdispatcher.8.in has no SIGNALS section"
    missing = [s for s in SIGNALS
               if not re.search(r"\b(SIG)?%s\b" % s, sec)]
    assert missing == [], f"signals missing from SIGNALS: {missing}"


def test_sample_has_every_key(srcdir):
    have = sample_keys(read(srcdir, "etc/taskdispatcher.conf"))
    missing = [f"[{s}] {k}" for s, ks in KEYS.items() for k in ks
               if (s, k) not in have]
    assert missing == [], f"not in etc/taskdispatcher.conf: {missing}"


def test_sample_keys_documented(srcdir):
    documented = man_keys(read(srcdir, "man/taskdispatcher.conf.5.in"))
    sample = sample_keys(read(srcdir, "etc/taskdispatcher.conf"))
    missing = sorted(f"[{s}] {k}" for s, k in sample - documented)
    assert missing == [], f"sample keys not in conf(5): {missing}"
    contract = {(s, k) for s, ks in KEYS.items() for k in ks}
    missing = sorted(f"[{s}] {k}" for s, k in contract - documented)
    assert missing == [], f"keys not in conf(5): {missing}"


def test_documented_keys_in_sample(srcdir):
    documented = man_keys(read(srcdir, "man/taskdispatcher.conf.5.in"))
    sample = sample_keys(read(srcdir, "etc/taskdispatcher.conf"))
    extra = sorted(f"[{s}] {k}" for s, k in documented - sample)
    assert extra == [], f"conf(5) documents keys the sample lacks: {extra}"


def test_sample_config_is_valid(binary, srcdir):
    path = os.path.join(srcdir, "etc/taskdispatcher.conf")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "REDIS_ADDR")}
    p = subprocess.run([binary, "-t", "-c", path], capture_output=True,
                       timeout=10, env=env)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()


def test_dump_matches_sample(binary, srcdir):
    """-t -v prints the effective config (conf_dump): the same keys, and
    the sample's values are the defaults."""
    path = os.path.join(srcdir, "etc/taskdispatcher.conf")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "REDIS_ADDR")}
    p = subprocess.run([binary, "-t", "-v", "-c", path], capture_output=True,
                       timeout=10, env=env)
    assert p.returncode == 0, p.stderr.decode()
    dump = sample_keys(p.stdout.decode())
    sample = sample_keys(read(srcdir, "etc/taskdispatcher.conf"))
    # The dump lists the seed queues; compare per section kind.
    assert {x for x in dump if x[0] != "queue.NAME"} == \
        {x for x in sample if x[0] != "queue.NAME"}


def conf_c_keys(srcdir):
    """(section, key) pairs of the conf_keys[] table in src/conf.c, the
    keys the daemon really accepts; SECT_QUEUE keys count as queue.NAME."""
    text = read(srcdir, "src/conf.c")
    m = re.search(r"conf_keys\[\]\s*=\s*\{(.*?)^\};", text, re.S | re.M)
    assert m, "no conf_keys[] table in src/conf.c"
    pairs = re.findall(r"\{\s*SECT_([A-Z]+),\s*\"([a-z_]+)\"", m.group(1))
    assert pairs, "conf_keys[] parsed to nothing"
    return {("queue.NAME" if s == "QUEUE" else s.lower(), k)
            for s, k in pairs}


def test_conf_c_keys_documented(srcdir):
    """Every key src/conf.c accepts is in conf(5) and in the sample, and
    the contract above names no key the code lacks."""
    code = conf_c_keys(srcdir)
    documented = man_keys(read(srcdir, "man/taskdispatcher.conf.5.in"))
    sample = sample_keys(read(srcdir, "etc/taskdispatcher.conf"))
    missing = sorted(f"[{s}] {k}" for s, k in code - documented)
    assert missing == [], f"src/conf.c keys not in conf(5): {missing}"
    missing = sorted(f"[{s}] {k}" for s, k in code - sample)
    assert missing == [], f"src/conf.c keys not in the sample: {missing}"
    contract = {(s, k) for s, ks in KEYS.items() for k in ks}
    stale = sorted(f"[{s}] {k}" for s, k in contract - code)
    assert stale == [], f"KEYS names keys src/conf.c lacks: {stale}"
    extra = sorted(f"[{s}] {k}" for s, k in documented - code)
    assert extra == [], f"conf(5) documents keys src/conf.c lacks: {extra}"


def env_vars(srcdir, files):
    """Names passed to getenv() or to conf_apply_env's getenv_fn."""
    names = set()
    for rel in files:
        text = read(srcdir, rel)
        names |= set(re.findall(r"\bgetenv(?:_fn)?\(\"([A-Z_]+)\"\)", text))
    return names


def test_daemon_environment_documented(srcdir):
    srcs = sorted(os.path.join("src", f)
                  for f in os.listdir(os.path.join(srcdir, "src"))
                  if f.endswith(".c") and not f.startswith("tdctl"))
    names = env_vars(srcdir, srcs)
    assert {"PORT", "REDIS_ADDR"} <= names, names
    sec = man_section(read(srcdir, "man/taskdispatcher.8.in"),
                      "ENVIRONMENT")
    assert sec is not None, "taskdispatcher.8.in has no ENVIRONMENT"
    missing = sorted(n for n in names
                     if not re.search(r"\bEv %s\b" % n, sec))
    assert missing == [], f"not in taskdispatcher(8) ENVIRONMENT: {missing}"


def test_tdctl_environment_documented(srcdir):
    names = env_vars(srcdir, ["src/tdctl.c"]) | {"PORT"}
    assert {"TDCTL_SERVER", "TDCTL_TOKEN"} <= names, names
    sec = man_section(read(srcdir, "man/tdctl.1.in"), "ENVIRONMENT")
    assert sec is not None, "tdctl.1.in has no ENVIRONMENT"
    missing = sorted(n for n in names
                     if not re.search(r"\bEv %s\b" % n, sec))
    assert missing == [], f"not in tdctl(1) ENVIRONMENT: {missing}"
