"""The Redis side of the Cloud Tasks semantics: the Lua scripts of src/lua
driven directly on a real redis-server, with the keys and arguments
store.c gives them (each helper below mirrors one store_* function).

Covers the token bucket and concurrency cap of claim/lease (THROTTLED),
the run flag of RunTask, tombstones of named tasks, the response counters,
the CT retry stop rule of the sweep, promote's eta, DeleteQueue's batches.
"""

import os
import re
import time

import pytest

from tdlib import RedisError, task_key, tkey

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "src", "lua")
Q = "ctq"
BASE = f"td:{{{Q}}}:t:"
WAKE = "td:wake"


def lua(name):
    """The script as build-aux/lua2c.sh embeds it: includes pasted in."""
    out = []
    with open(os.path.join(LUA, name + ".lua")) as f:
        for line in f:
            if line.startswith("--#include "):
                with open(os.path.join(LUA, line.split()[1])) as inc:
                    out.append(inc.read())
            else:
                out.append(line)
    return "".join(out)


def script(r, name, keys, args):
    return r.execute("EVAL", lua(name), len(keys), *keys, *args)


def k(kind, q=Q):
    return tkey(q, kind)


def now_ms():
    return int(time.time() * 1000)


def as_dict(reply):
    assert isinstance(reply, list), reply
    return {reply[i].decode(): reply[i + 1].decode()
            for i in range(0, len(reply), 2)}


# One helper per store_* function, same keys and arguments.

def enqueue(r, tid, now, eta=None, deadline=0, tomb=0, q=Q, must_exist=0):
    eta = now if eta is None else eta
    return script(r, "enqueue",
                   [task_key(q, tid), k("pending", q), k("scheduled", q),
                    k("stats", q), k("tomb:" + tid, q), k("done", q),
                    k("dead", q), k("conf", q)],
                   [tid, q, "http://127.0.0.1:9/x", "POST", "{}", "body",
                    now, eta, now, WAKE, deadline, tomb, must_exist])


def claim_batch(r, token, now, lease_ms=30000, n=1):
    """The raw reply: [retry settings, task, task, ...] or a status."""
    return script(r, "claim",
                   [k("pending"), k("active"), k("lease"), k("conf")],
                   [BASE, now + lease_ms, token, now, n])


def one_task(r, reply):
    """A batch of one as the flat [field, value, ...] list of its task:
    the task hash as it is now, the reply's fields over it (they must
    agree), then the queue's retry settings ("q:" pairs)."""
    if not isinstance(reply, list):
        return reply
    assert len(reply) == 2, reply
    q, t = reply
    got = {t[i].decode(): t[i + 1].decode() for i in range(0, len(t), 2)}
    h = r.hgetall(task_key(Q, got["id"]))
    for f, v in got.items():
        assert f == "id" or h.get(f) == v, (f, v, h.get(f))
    out = [b"id", got["id"].encode()]
    for f, v in h.items():
        if f != "id":
            out += [f.encode(), v.encode()]
    return out + list(q)


def claim(r, token, now, lease_ms=30000):
    return one_task(r, claim_batch(r, token, now, lease_ms))


def lease(r, tid, token, now, lease_ms=30000, n=1):
    return one_task(r, script(r, "lease",
                   [k("active"), k("lease"), task_key(Q, tid), k("pending"),
                    k("conf")],
                   [tid, now + lease_ms, token, now, n, BASE]))


def ack(r, tid, token, now, status=200):
    return script(r, "ack",
                   [k("active"), k("lease"), k("done"), k("stats"),
                    k("minute")],
                   [BASE, now, tid, token, status, 5])[0]


def retry(r, tid, token, now, next_at, status=500, err="HTTP 500"):
    return script(r, "retry",
                   [k("active"), k("lease"), k("retry"), k("dead"),
                    k("stats"), k("minute")],
                   [BASE, now, WAKE, tid, token, next_at, status, err,
                    5])[0]


def promote(r, now, limit=100):
    return script(r, "promote", [k("scheduled"), k("retry"), k("pending")],
                   [BASE, now, limit])


def sweep(r, now, lease_ms=30000, max_retries=3, limit=100):
    return script(r, "sweep",
                   [k("active"), k("lease"), k("retry"), k("dead"),
                    k("stats"), k("conf")],
                   [BASE, now, lease_ms, max_retries, limit])


def remove(r, mode, what, limit=100):
    return script(r, "remove",
                   [k(s) for s in ("pending", "active", "lease", "scheduled",
                                   "retry", "dead", "done")],
                   [BASE, mode, what, limit])


def run(r, tid, now):
    return script(r, "run",
                   [k("pending"), k("scheduled"), k("retry"),
                    task_key(Q, tid), k("active")], [tid, now])


def qdel(r, limit):
    return script(r, "qdel",
                   [k(s) for s in ("pending", "active", "lease", "scheduled",
                                   "retry", "dead", "done", "conf", "stats",
                                   "minute")] + ["td:queues"],
                   [BASE, Q, limit])


def conf(r, **fields):
    args = []
    for f, v in fields.items():
        args += [f, v]
    r.execute("HSET", k("conf"), *args)


def throttled_ms(reply):
    m = re.fullmatch(r"THROTTLED (\d+)", reply if isinstance(reply, str)
                     else "")
    assert m, reply
    return int(m.group(1))


def test_enqueue_into_a_queue_that_must_exist(r):
    """A queue not in the file must have been created over the API (its
    conf has "created"): else the task would sit where no one looks."""
    now = now_ms()
    with pytest.raises(RedisError, match="^NOQUEUE"):
        enqueue(r, "nq-1", now, q="apiq", must_exist=1)
    assert r.execute("EXISTS", task_key("apiq", "nq-1")) == 0
    assert r.execute("LLEN", k("pending", "apiq")) == 0
    r.execute("HSET", k("conf", "apiq"), "created", str(now))
    assert enqueue(r, "nq-1", now, q="apiq", must_exist=1) == "OK"
    # A queue of the file needs no conf at all.
    assert enqueue(r, "nq-2", now, q="fileq", must_exist=0) == "OK"


def test_enqueue_fields_and_tombstone_refusal(r):
    now = now_ms()
    assert enqueue(r, "named-1", now, deadline=60000, tomb=3600000) == "OK"
    h = r.hgetall(task_key(Q, "named-1"))
    assert h["deadline"] == "60000" and h["tomb"] == "3600000"
    assert list(h)[0] == "id"
    with pytest.raises(RedisError, match="^EXISTS"):
        enqueue(r, "named-1", now)
    # Its tombstone alone refuses the ID too.
    r.execute("SET", k("tomb:gone"), "1", "PX", 60000)
    with pytest.raises(RedisError, match="^EXISTS"):
        enqueue(r, "gone", now)
    assert r.execute("EXISTS", task_key(Q, "gone")) == 0
    # 500-character IDs are fine.
    long_id = "a" * 500
    assert enqueue(r, long_id, now) == "OK"
    c = as_dict(claim(r, "tok", now))
    assert c["id"] in ("named-1", long_id)


def test_named_task_name_free_after_tombstone(r):
    now = now_ms()
    enqueue(r, "reuse", now, tomb=100)
    enqueue(r, "plain", now)
    claim(r, "a", now)
    claim(r, "b", now)
    ack(r, "reuse", "a", now)
    retry(r, "plain", "b", now, 0)              # dead, unnamed
    with pytest.raises(RedisError, match="^EXISTS"):
        enqueue(r, "reuse", now, tomb=100)
    time.sleep(0.15)
    # The tombstone gone, the finished named task gives its name up.
    assert enqueue(r, "reuse", now, tomb=100) == "OK"
    h = r.hgetall(task_key(Q, "reuse"))
    assert h["state"] == "pending" and "hn" not in h
    assert r.zmembers(k("done")) == []
    # Not so an unnamed one, nor a named one still pending.
    with pytest.raises(RedisError, match="^EXISTS"):
        enqueue(r, "plain", now)
    with pytest.raises(RedisError, match="^EXISTS"):
        enqueue(r, "reuse", now, tomb=100)


def test_claim_records_dispatch_and_queue_retry_settings(r):
    now = now_ms()
    enqueue(r, "t1", now, eta=now - 4000)
    c = as_dict(claim(r, "tok", now))
    assert c["id"] == "t1" and c["state"] == "active"
    assert c["first_at"] == str(now) and c["last_at"] == str(now)
    assert c["last_eta"] == str(now - 4000)
    assert not any(f.startswith("q:") for f in c)
    # A second attempt keeps first_at; the conf's retry settings come along.
    retry(r, "t1", "tok", now + 1, now + 2)
    promote(r, now + 2)
    conf(r, max_attempts=5, min_backoff_ms=100, max_backoff_ms=3600000,
         max_doublings=16, max_retry_ms=0)
    c = as_dict(claim(r, "tok2", now + 10))
    assert c["first_at"] == str(now) and c["last_at"] == str(now + 10)
    assert c["last_eta"] == str(now + 2) and c["attempts"] == "2"
    assert (c["q:max_attempts"], c["q:min_backoff_ms"],
            c["q:max_backoff_ms"], c["q:max_doublings"],
            c["q:max_retry_ms"]) == ("5", "100", "3600000", "16", "0")


def test_token_bucket_throttles_and_refills(r):
    now = now_ms()
    for i in range(5):
        enqueue(r, f"b{i}", now)
    conf(r, rate=4, burst=2)
    # Full at first use: two claims, then wait about 250 ms for the next.
    assert as_dict(claim(r, "t", now))["id"] == "b0"
    assert as_dict(claim(r, "t", now))["id"] == "b1"
    ms = throttled_ms(claim(r, "t", now))
    assert 100 <= ms <= 250, ms
    assert r.execute("LLEN", k("pending")) == 3
    assert r.execute("LLEN", k("active")) == 2
    h = r.hgetall(k("conf"))
    assert float(h["tb_tokens"]) < 1 and float(h["tb_at"]) > 0
    time.sleep(ms / 1000 + 0.02)
    assert as_dict(claim(r, "t", now))["id"] == "b2"
    throttled_ms(claim(r, "t", now))
    # An empty queue is not throttled: nothing to claim, no token.
    r.execute("DEL", k("pending"))
    assert claim(r, "t", now) is None


def test_slow_rate_waits_a_whole_token(r):
    now = now_ms()
    for i in range(2):
        enqueue(r, f"s{i}", now)
    conf(r, rate=0.5)           # burst derived: 1
    assert as_dict(claim(r, "t", now))["id"] == "s0"
    ms = throttled_ms(claim(r, "t", now))
    assert 1900 <= ms <= 2000, ms


def test_maxconc_caps_active(r):
    now = now_ms()
    for i in range(3):
        enqueue(r, f"c{i}", now)
    conf(r, maxconc=2)
    assert as_dict(claim(r, "t0", now))["id"] == "c0"
    assert as_dict(claim(r, "t1", now))["id"] == "c1"
    assert throttled_ms(claim(r, "t2", now)) == 50
    assert ack(r, "c0", "t0", now) == 1
    assert as_dict(claim(r, "t2", now))["id"] == "c2"


def test_lease_throttled_puts_the_id_back(r):
    now = now_ms()
    for i in range(3):
        enqueue(r, f"l{i}", now)
    conf(r, maxconc=1)
    assert as_dict(claim(r, "t0", now))["id"] == "l0"
    moved = r.execute("LMOVE", k("pending"), k("active"), "RIGHT", "LEFT")
    assert moved == b"l1"
    assert throttled_ms(lease(r, "l1", "t1", now)) == 50
    assert r.lrange(k("pending"))[-1] == "l1"
    assert r.lrange(k("active")) == ["l0"]
    assert r.hgetall(task_key(Q, "l1"))["attempts"] == "0"
    # Once there is room the same ID goes through lease.
    ack(r, "l0", "t0", now)
    r.execute("LMOVE", k("pending"), k("active"), "RIGHT", "LEFT")
    c = as_dict(lease(r, "l1", "t1", now))
    assert c["id"] == "l1" and c["last_at"] == str(now)
    # Rate too: the bucket is spent by lease as by claim.
    conf(r, rate=1, burst=1)
    r.execute("HDEL", k("conf"), "maxconc")
    r.execute("LMOVE", k("pending"), k("active"), "RIGHT", "LEFT")
    assert as_dict(lease(r, "l2", "t2", now))["id"] == "l2"
    enqueue(r, "l3", now)
    r.execute("LMOVE", k("pending"), k("active"), "RIGHT", "LEFT")
    assert throttled_ms(lease(r, "l3", "t3", now)) > 500


def test_run_flag_passes_pause_and_throttle(r):
    now = now_ms()
    for i in range(3):
        enqueue(r, f"r{i}", now)
    conf(r, paused=1)
    assert claim(r, "t", now) == "PAUSED"
    assert run(r, "r2", now) == 1
    assert r.lrange(k("pending"))[-1] == "r2"
    assert r.execute("LLEN", k("pending")) == 3     # no second entry
    assert run(r, "r2", now) == 1
    assert r.execute("LLEN", k("pending")) == 3
    c = as_dict(claim(r, "t", now))
    assert c["id"] == "r2" and "run" not in c
    assert r.hget_raw(task_key(Q, "r2"), "run") is None
    assert claim(r, "t", now) == "PAUSED"
    assert run(r, "r2", now) == 2                   # active: unchanged
    # Throttled: the run task goes and spends no token.
    r.execute("HDEL", k("conf"), "paused")
    conf(r, rate=1, burst=1, tb_tokens="0", tb_at=str(now_ms()))
    throttled_ms(claim(r, "t", now))
    run(r, "r0", now)
    assert as_dict(claim(r, "t", now))["id"] == "r0"
    assert float(r.hgetall(k("conf"))["tb_tokens"]) == 0
    # The lease path honours it as well.
    conf(r, paused=1)
    run(r, "r1", now)
    r.execute("LMOVE", k("pending"), k("active"), "RIGHT", "LEFT")
    assert as_dict(lease(r, "r1", "t", now))["id"] == "r1"


def test_run_scheduled_retry_and_ends(r):
    now = now_ms()
    enqueue(r, "later", now, eta=now + 3600000)
    assert run(r, "later", now + 5) == 1
    h = r.hgetall(task_key(Q, "later"))
    assert h["state"] == "pending" and h["eta"] == str(now + 5)
    assert h["run"] == "1"
    assert r.execute("ZCARD", k("scheduled")) == 0
    assert r.lrange(k("pending")) == ["later"]
    assert as_dict(claim(r, "t", now))["id"] == "later"
    retry(r, "later", "t", now, now + 60000)
    assert run(r, "later", now + 7) == 1
    assert r.execute("ZCARD", k("retry")) == 0
    assert r.hgetall(task_key(Q, "later"))["eta"] == str(now + 7)
    c = as_dict(claim(r, "t2", now))
    assert c["id"] == "later"
    ack(r, "later", "t2", now)
    assert run(r, "later", now) == 0               # done
    assert run(r, "nosuch", now) == 0
    # A pending ID a worker's BLMOVE holds gets the flag, no second entry.
    enqueue(r, "held", now)
    r.execute("LMOVE", k("pending"), k("active"), "RIGHT", "LEFT")
    assert run(r, "held", now) == 1
    assert r.lrange(k("pending")) == []
    assert r.hget_raw(task_key(Q, "held"), "run") == b"1"


def test_responses_and_execs(r):
    now = now_ms()
    enqueue(r, "x", now)
    claim(r, "t", now)
    retry(r, "x", "t", now + 1, now + 2, status=503)
    h = r.hgetall(task_key(Q, "x"))
    assert h["responses"] == "1" and h["last_resp_at"] == str(now + 1)
    assert "execs" not in h
    promote(r, now + 2)
    claim(r, "t", now + 3)
    retry(r, "x", "t", now + 4, now + 5, status=0, err="timeout")
    h = r.hgetall(task_key(Q, "x"))
    assert h["responses"] == "1" and h["last_resp_at"] == str(now + 1)
    promote(r, now + 5)
    claim(r, "t", now + 6)
    retry(r, "x", "t", now + 7, now + 8, status=404)
    promote(r, now + 8)
    claim(r, "t", now + 9)
    ack(r, "x", "t", now + 10)
    h = r.hgetall(task_key(Q, "x"))
    assert (h["responses"], h["execs"], h["last_resp_at"]) == \
        ("3", "2", str(now + 10))


def test_tombstones_on_end_and_delete(r):
    now = now_ms()
    enqueue(r, "done-named", now, tomb=60000)
    enqueue(r, "done-plain", now)
    claim(r, "a", now)
    claim(r, "b", now)
    ack(r, "done-named", "a", now)
    ack(r, "done-plain", "b", now)
    pttl = r.execute("PTTL", k("tomb:done-named"))
    assert 0 < pttl <= 60000
    assert r.execute("EXISTS", k("tomb:done-plain")) == 0
    # Trimmed or removed, the ID stays taken while the tombstone lasts.
    remove(r, "ids", "done-named")
    with pytest.raises(RedisError, match="^EXISTS"):
        enqueue(r, "done-named", now)
    r.execute("DEL", k("tomb:done-named"))
    assert enqueue(r, "done-named", now, tomb=60000) == "OK"

    # Dead by retry.
    enqueue(r, "dies", now, tomb=60000)
    r.execute("DEL", k("pending"))
    r.execute("LPUSH", k("pending"), "dies")
    claim(r, "c", now)
    retry(r, "dies", "c", now, 0)
    assert r.execute("EXISTS", k("tomb:dies")) == 1

    # remove: one, by state, all.
    for tid in ("p1", "p2", "s1"):
        enqueue(r, tid, now, eta=now + (60000 if tid == "s1" else 0),
                tomb=60000)
    remove(r, "ids", "p1")
    assert r.execute("EXISTS", k("tomb:p1")) == 1
    assert remove(r, "state", "scheduled") == [1, 0]
    assert r.execute("EXISTS", k("tomb:s1")) == 1
    remove(r, "all", "", 100)
    assert r.execute("EXISTS", k("tomb:p2")) == 1


def test_sweep_ct_stop_rule(r):
    now = now_ms()
    for tid in ("a", "b"):
        enqueue(r, tid, now, tomb=60000)
    conf(r, max_attempts=2, max_retry_ms=0)
    # First attempt's lease expires: retry (attempts 1 < 2).
    claim(r, "ta", now, lease_ms=10)
    assert sweep(r, now + 20, max_retries=0)[0] == 1
    assert r.hgetall(task_key(Q, "a"))["state"] == "retry"
    promote(r, now + 20)
    claim(r, "tb", now, lease_ms=10)    # b
    claim(r, "ta", now, lease_ms=10)    # a, attempts 2
    r.execute("ZADD", k("lease"), now + 10 ** 9, "b")
    assert sweep(r, now + 30, max_retries=100)[0] == 1
    h = r.hgetall(task_key(Q, "a"))
    assert h["state"] == "dead" and h["attempts"] == "2"
    assert r.execute("EXISTS", k("tomb:a")) == 1
    # With max_retry_ms the attempts alone do not stop it.
    conf(r, max_attempts=1, max_retry_ms=3600000)
    r.execute("ZADD", k("lease"), now, "b")
    sweep(r, now + 40)
    assert r.hgetall(task_key(Q, "b"))["state"] == "retry"
    # Unlimited attempts.
    conf(r, max_attempts=-1, max_retry_ms=0)
    promote(r, now + 40)
    claim(r, "tb", now, lease_ms=10)
    sweep(r, now + 50)
    assert r.hgetall(task_key(Q, "b"))["state"] == "retry"
    # Without max_attempts the old max_retries rule holds.
    r.execute("HDEL", k("conf"), "max_attempts", "max_retry_ms")
    promote(r, now + 50)
    claim(r, "tb", now, lease_ms=10)        # attempts 3
    sweep(r, now + 60, max_retries=2)
    assert r.hgetall(task_key(Q, "b"))["state"] == "dead"


def test_promote_sets_eta_to_due_time(r):
    now = now_ms()
    enqueue(r, "e", now)
    claim(r, "t", now)
    retry(r, "e", "t", now, now + 1234)
    assert promote(r, now + 1000) == [0, now + 1234]
    assert promote(r, now + 2000) == [1, -1]
    h = r.hgetall(task_key(Q, "e"))
    assert h["state"] == "pending" and h["eta"] == str(now + 1234)
    enqueue(r, "f", now, eta=now + 500)
    promote(r, now + 900)
    assert r.hgetall(task_key(Q, "f"))["eta"] == str(now + 500)


def test_qdel_in_batches(r):
    now = now_ms()
    r.execute("SADD", "td:queues", Q, "other")
    conf(r, rate=5, burst=5, created=now)
    ids = [f"q{i}" for i in range(25)]
    for tid in ids:
        enqueue(r, tid, now, tomb=60000 if tid == "q3" else 0)
    for tid in ids[20:]:
        enqueue(r, tid + "-later", now, eta=now + 60000)
    claim(r, "t", now)                  # q0 active
    claim(r, "t2", now)                 # q1 active
    ack(r, "q1", "t2", now)             # done
    claim(r, "t3", now)
    retry(r, "q2", "t3", now, 0)        # dead
    r.execute("ZADD", k("lease"), now, "stray")
    total = len(ids) + 5
    deleted, rounds = 0, 0
    while True:
        d, left = qdel(r, 7)
        deleted += d
        rounds += 1
        assert rounds < 20
        if left == 0:
            break
        assert "td:queues" in r.keys() and \
            r.execute("SISMEMBER", "td:queues", Q) == 1
    assert deleted == total and rounds == 5
    left_keys = [x for x in r.keys() if "{" + Q + "}" in x]
    assert left_keys == [k("tomb:q3")], left_keys
    assert r.execute("SMEMBERS", "td:queues") == [b"other"]
    # An empty queue goes in one call.
    conf(r, paused=1)
    assert qdel(r, 7) == [0, 0]
    assert r.execute("EXISTS", k("conf")) == 0
