/*
 * store.h: everything taskdispatcher says to Redis.  One struct store is
 * one asynchronous hiredis connection attached to an evloop: it connects
 * (TCP or unix socket), authenticates, selects the db, loads the Lua
 * scripts (src/lua/, embedded at build time) and reconnects by itself when
 * the link drops.  Each state change of a task is one atomic script; each
 * script has one C function here.
 *
 * Keys (P = redis.prefix, q = queue; the {q} hash tag keeps a queue in one
 * cluster slot):
 *   P:{q}:t:ID       hash  url method headers body state created eta
 *                          attempts token last_status last_error last_dur
 *                          finished, and once attempted: hn (attempts
 *                          recorded) and a:1, a:2, ... (JSON {time,
 *                          status, error, dur})
 *   P:{q}:pending    list  ready IDs; LPUSH in, taken from the right (FIFO)
 *   P:{q}:active     list  IDs claimed by a worker
 *   P:{q}:lease      zset  ID -> lease expiry (wall ms)
 *   P:{q}:scheduled  zset  ID -> due time of a delayed task
 *   P:{q}:retry      zset  ID -> time of the next attempt
 *   P:{q}:dead       zset  ID -> time it ran out of retries
 *   P:{q}:done       zset  ID -> completion time
 *   P:{q}:conf       hash  paused ("1" while paused)
 *   P:{q}:stats      hash  counters: enqueued dispatched succeeded failed
 *                          retried dead, dur_sum dur_count (ms) and the
 *                          duration histogram d:<le> (per bucket)
 *   P:{q}:minute     hash  "<minute>:ok" / "<minute>:fail" dispatches per
 *                          minute (wall ms / 60000), the last hour
 *   P:wake           pub/sub channel: a due time earlier than the
 *                    scheduler may know of (delayed enqueue, retry)
 */
#ifndef TD_STORE_H
#define TD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "evloop.h"
#include "task.h"

struct store;
struct redisReply;

/*
 * A reply callback.  reply is NULL when the link failed before the answer
 * came; it is freed by hiredis when the callback returns.  A Redis error
 * reply (REDIS_REPLY_ERROR) is passed through.
 */
typedef void store_cb(struct store *, struct redisReply *, void *arg);
/* Told when the store becomes usable (up = 1) or is lost (up = 0). */
typedef void store_state_cb(struct store *, int up, void *arg);

/* What one dispatch attempt came to, as recorded in the task. */
struct store_result {
	int		 status;	/* HTTP status, 0 if none */
	const char	*error;		/* "" on success */
	uint64_t	 dur_ms;
};

struct store	*store_new(struct evloop *, const struct conf *, const char *name,
		    store_state_cb *, void *arg);
/* Start connecting; from then on it reconnects by itself. */
void		 store_connect(struct store *);
int		 store_is_up(const struct store *);
/* Commands sent but not yet answered. */
int		 store_inflight(const struct store *);
/* Disconnect; callbacks still pending get NULL. */
void		 store_free(struct store *);

/*
 * The commands.  Each returns 0 when sent, -1 when the store is not up
 * (the callback is then never called).  Times are wall-clock ms.
 */
int	store_ping(struct store *, store_cb *, void *);

/* Reply: status "OK". Writes the hash and adds the ID to pending, or to
 * scheduled when eta > now (then also PUBLISHes P:wake). */
int	store_enqueue(struct store *, const struct task *, uint64_t now,
	    store_cb *, void *);

/*
 * Fast-path claim on one queue: move one ID pending -> active, lease it
 * until lease_until under token, count the attempt.  Reply: nil when the
 * queue is empty, status "PAUSED" when it is paused (nothing moves),
 * else the task hash as a flat [field, value, ...] array with "id" first
 * (parse with store_task_from_reply).
 */
int	store_claim(struct store *, const char *queue, uint64_t now,
	    uint64_t lease_until, const char *token, store_cb *, void *);
/* Idle path: BLMOVE pending active RIGHT LEFT timeout.  Reply: nil or ID. */
int	store_blmove(struct store *, const char *queue, double timeout_s,
	    store_cb *, void *);
/* After BLMOVE: lease the moved ID.  Reply as store_claim (nil if the
 * task hash is gone; the ID is then dropped from active; "PAUSED" with
 * the ID back at the right end of pending). */
int	store_lease(struct store *, const char *queue, const char *id,
	    uint64_t now, uint64_t lease_until, const char *token, store_cb *,
	    void *);
/* Reply: 1 extended, 0 the lease is no longer ours. */
int	store_extend(struct store *, const char *queue, const char *id,
	    const char *token, uint64_t lease_until, store_cb *, void *);
/* 2xx: active -> done.  Reply: 1, or 0 when the lease was not ours. */
int	store_ack(struct store *, const char *queue, const char *id,
	    const char *token, uint64_t now, const struct store_result *,
	    store_cb *, void *);
/* Failure: active -> retry at next_at, or -> dead when next_at == 0.
 * Reply: 1, or 0 when the lease was not ours. */
int	store_retry(struct store *, const char *queue, const char *id,
	    const char *token, uint64_t now, uint64_t next_at,
	    const struct store_result *, store_cb *, void *);
/* Give an unfinished task back: active -> front of pending, the attempt
 * uncounted.  token NULL: an ID taken by BLMOVE and never leased.
 * Reply: 1 or 0. */
int	store_handback(struct store *, const char *queue, const char *id,
	    const char *token, store_cb *, void *);

/* Scheduler: due scheduled/retry IDs -> pending (at most limit).
 * Reply: [moved, next_due] with next_due = -1 when nothing is waiting. */
int	store_promote(struct store *, const char *queue, uint64_t now,
	    int limit, store_cb *, void *);
/* Scheduler: expired leases -> retry now (or dead when out of attempts);
 * active IDs without a lease get one until now + lease_ms.
 * Reply: [expired, next_expiry] (-1 when no lease is held). */
int	store_sweep(struct store *, const char *queue, uint64_t now,
	    uint64_t lease_ms, int max_retries, int limit, store_cb *, void *);
/* Scheduler: forget done tasks finished before done_before and dead ones
 * before dead_before (at most limit each).  Reply: removed count. */
int	store_trim(struct store *, const char *queue, uint64_t done_before,
	    uint64_t dead_before, int limit, store_cb *, void *);
/* SUBSCRIBE P:wake; cb is called for every message (and on re-subscribe
 * after a reconnect) with the published due time as a string. */
int	store_subscribe_wake(struct store *, store_cb *, void *);

/*
 * The operator API.  qinfo: one queue's counts, paused, oldest pending
 * created, stats and minute hashes (see src/lua/qinfo.lua).  list: one
 * page of a state (order "list", "asc" or "desc"; src/lua/list.lua).
 * get: a whole task and its next run time, or nil.  task_state: HGET of
 * the state.  requeue/remove: mode "one"/"ids"/"state"/"all" with an ID,
 * IDs joined by ",", or a state, at most limit IDs per call (see the
 * scripts).  pause: set or clear P:{q}:conf paused.  info: INFO server
 * memory persistence.
 */
int	store_qinfo(struct store *, const char *queue, store_cb *, void *);
int	store_list(struct store *, const char *queue, const char *state,
	    const char *order, const char *token, int size, const char *url,
	    store_cb *, void *);
int	store_get(struct store *, const char *queue, const char *id,
	    store_cb *, void *);
int	store_task_state(struct store *, const char *queue, const char *id,
	    store_cb *, void *);
int	store_requeue(struct store *, const char *queue, const char *mode,
	    const char *what, int limit, store_cb *, void *);
int	store_remove(struct store *, const char *queue, const char *mode,
	    const char *what, int limit, store_cb *, void *);
int	store_pause(struct store *, const char *queue, int paused,
	    store_cb *, void *);
int	store_info(struct store *, store_cb *, void *);

/* Parse a claim/lease reply into t (queue set by the caller's arg). */
int	store_task_from_reply(struct task *, const char *queue,
	    const struct redisReply *, char *err, size_t errlen);

const char *store_name(const struct store *);

#endif
