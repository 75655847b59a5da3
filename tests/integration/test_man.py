"""The man pages as built (TD_BUILDDIR/man): mandoc finds nothing above
style level in them, each has the sections an operator looks for, the
flags of --help and of the page agree both ways, and the examples of
error messages are the ones the daemon prints."""

import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

PAGES = {
    "taskdispatcher.8": ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                         "SIGNALS", "SYSTEMD", "ENVIRONMENT", "FILES",
                         "EXIT STATUS", "EXAMPLES", "SEE ALSO"],
    "taskdispatcher.conf.5": ["NAME", "DESCRIPTION", "ENVIRONMENT", "FILES",
                              "EXAMPLES", "SEE ALSO"],
    "tdctl.1": ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS",
                "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES",
                "SEE ALSO"],
}
# The sections whose .Fl entries are the flags a program takes.
FLAG_SECTIONS = {
    "taskdispatcher.8": ["SYNOPSIS", "OPTIONS"],
    "tdctl.1": ["SYNOPSIS", "OPTIONS", "COMMANDS"],
}
LINT_BAD = re.compile(r":\s*(WARNING|ERROR|UNSUPP|BADARG|SYSERR):")


def builddir():
    d = os.environ.get("TD_BUILDDIR")
    if d:
        return os.path.abspath(d)
    b = os.environ.get("TD_BINARY")
    return os.path.dirname(os.path.abspath(b)) if b else \
        os.path.join(HERE, "..", "..")


def page_path(name):
    path = os.path.join(builddir(), "man", name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built (make in {builddir()})")
    return path


def page_text(name):
    with open(page_path(name), encoding="utf-8") as f:
        return f.read()


def sections(text):
    """{".Sh name": body} of an mdoc page."""
    out = {}
    parts = re.split(r"^\.Sh\s+(.+?)\s*$", text, flags=re.M)
    for i in range(1, len(parts), 2):
        out[parts[i].strip('"')] = parts[i + 1]
    return out


def man_flags(text, names):
    """Flags of .Fl macros in the named sections: "Fl hV" in a synopsis
    is -h and -V; "Fl -config" and "Fl \\-json" are long flags."""
    secs = sections(text)
    flags = set()
    for name in names:
        body = secs.get(name, "")
        for m in re.finditer(r"\bFl\s+(\S+)", body):
            word = m.group(1).replace("\\", "")
            if word.startswith("-"):
                flags.add("-" + re.match(r"-[a-z0-9-]*", word).group(0))
            elif re.fullmatch(r"[A-Za-z0-9]+", word):
                flags |= {f"-{c}" for c in word}
    return flags


def help_flags(text):
    """-x, --long, and each letter of a "[-abc]" group in a help text."""
    flags = set(f"-{s}" for s in
                re.findall(r"(?<![\w-])-([A-Za-z0-9])(?![\w-])", text))
    flags |= set(f"--{s}" for s in
                 re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", text))
    for group in re.findall(r"\[-([A-Za-z0-9]+)\]", text):
        flags |= {f"-{c}" for c in group}
    return flags


def run_help(path):
    p = subprocess.run([path, "--help"], capture_output=True, timeout=10,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p
    return p.stdout.decode("utf-8", "replace")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_mandoc_lint(name):
    """mandoc -Tlint -Wstyle: style notes (an Xr to a page that is not
    installed here) are fine; warnings and errors are not."""
    if shutil.which("mandoc") is None:
        pytest.skip("mandoc is not installed (apt-get install mandoc)")
    p = subprocess.run(["mandoc", "-Tlint", "-Wstyle", page_path(name)],
                       capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    bad = [ln for ln in out.splitlines() if LINT_BAD.search(ln)]
    assert bad == [], "\n".join(bad)
    assert p.returncode < 3, out     # 3 and up: errors or worse


@pytest.mark.parametrize("name", sorted(PAGES))
def test_sections(name):
    have = sections(page_text(name))
    missing = [s for s in PAGES[name] if s not in have]
    assert missing == [], f"{name} lacks {missing}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_placeholders_filled(name):
    text = page_text(name)
    assert not re.search(r"@[a-z_]+@", text), \
        f"{name}: {re.findall(r'@[a-z_]+@', text)}"


@pytest.mark.parametrize("prog,page", [("taskdispatcher",
                                        "taskdispatcher.8"),
                                       ("tdctl", "tdctl.1")])
def test_help_matches_page(binary, prog, page):
    path = binary if prog == "taskdispatcher" else \
        os.path.join(builddir(), "tdctl")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no {prog} at {path}")
    helped = help_flags(run_help(path))
    documented = man_flags(page_text(page), FLAG_SECTIONS[page])
    assert {"-h", "--help"} <= helped, helped
    assert sorted(helped - documented) == [], \
        f"in {prog} --help but not in {page}"
    assert sorted(documented - helped) == [], \
        f"in {page} but not in {prog} --help"


def test_reload_error_example_is_real(binary, tmp_path):
    """The reload error shown in taskdispatcher(8) has the shape that -t
    prints for the same mistake: FILE:LINE: [section] key: message."""
    text = page_text("taskdispatcher.8")
    m = re.search(r"^reload: (\S+):(\d+): (\[\w+\] \w+: .+); keeping "
                  r"generation \d+$", text, re.M)
    assert m, "no reload error example in SIGNALS"
    msg = m.group(3)
    sec, key = re.match(r"\[(\w+)\] (\w+):", msg).groups()
    value = re.search(r"'([^']*)'", msg)
    conf = tmp_path / "bad.conf"
    lines = ["; padding"] * (int(m.group(2)) - 2)
    lines += [f"[{sec}]", f"{key} = {value.group(1) if value else 'x'}"]
    conf.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "REDIS_ADDR")}
    p = subprocess.run([binary, "-t", "-c", str(conf)], capture_output=True,
                       timeout=10, env=env)
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert f"taskdispatcher: {conf}:{m.group(2)}: {msg}\n" in err, \
        (msg, err)


def test_conf_error_example_is_real(binary, tmp_path):
    """Likewise the example in taskdispatcher.conf(5)."""
    text = page_text("taskdispatcher.conf.5")
    m = re.search(r"taskdispatcher\.conf:(\d+): (\[(\w+)\] (\w+): "
                  r"[^']*'([^']*)')", text)
    assert m, "no error example in taskdispatcher.conf(5)"
    line, msg, sec, key, value = m.groups()
    conf = tmp_path / "taskdispatcher.conf"
    conf.write_text("\n" * (int(line) - 2) + f"[{sec}]\n{key} = {value}\n")
    p = subprocess.run([binary, "-t", "-c", str(conf)], capture_output=True,
                       timeout=10, env={"PATH": os.environ.get("PATH", "")})
    assert f"{conf}:{line}: {msg}\n" in p.stderr.decode(), p.stderr


def test_man_flags_parser():
    """The parser itself, so that an empty result cannot pass for a
    match."""
    text = (".Sh SYNOPSIS\n.Nm\n.Op Fl hV\n.Op Fl \\-json\n"
            ".Op Fl c Ar file\n.Sh OPTIONS\n.It Fl c Ar f , Fl -config\n"
            ".Sh EXAMPLES\n.Fl x\n")
    assert man_flags(text, ["SYNOPSIS", "OPTIONS"]) == \
        {"-h", "-V", "--json", "-c", "--config"}
    assert help_flags("usage: x [-hV] [-c file]\n  --json  -s, --server "
                      "URL\n 'Name: value' a-b\n") == \
        {"-h", "-V", "-c", "--json", "-s", "--server"}
