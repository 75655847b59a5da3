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
 *                          finished deadline (ms, 0: the queue's timeout)
 *                          tomb (ms, 0: unnamed), and once attempted: hn
 *                          (attempts recorded) and a:1, a:2, ... (JSON
 *                          {time, status, error, dur}), first_at, last_at
 *                          and last_eta (the eta that attempt ran for);
 *                          once answered: responses, execs (responses
 *                          below 500), last_resp_at; run "1" while a
 *                          RunTask waits for its claim.  eta is the due
 *                          time of the next attempt (promote sets it).
 *   P:{q}:tomb:ID    string a named task's tombstone: set for tomb ms
 *                          when it ends or is deleted; enqueue refuses
 *                          the ID meanwhile
 *   P:{q}:pending    list  ready IDs; LPUSH in, taken from the right (FIFO)
 *   P:{q}:active     list  IDs claimed by a worker
 *   P:{q}:lease      zset  ID -> lease expiry (wall ms)
 *   P:{q}:scheduled  zset  ID -> due time of a delayed task
 *   P:{q}:retry      zset  ID -> time of the next attempt
 *   P:{q}:dead       zset  ID -> time it ran out of retries
 *   P:{q}:done       zset  ID -> completion time
 *   P:{q}:conf       hash  paused ("1" while paused); created (API
 *                          queues); rate (float tasks/s), burst, maxconc:
 *                          the limits claim and lease apply (absent: none;
 *                          burst absent: max(1, min(500, ceil(rate))); rate
 *                          0: nothing passes), tb_tokens and tb_at (ms,
 *                          Redis TIME) their token bucket;
 *                          max_attempts (-1: no limit), min_backoff_ms,
 *                          max_backoff_ms, max_doublings, max_retry_ms (0:
 *                          no limit): Cloud Tasks retry settings, which
 *                          replace [dispatch]'s when present; purge_time
 *   P:{q}:stats      hash  counters: enqueued dispatched succeeded failed
 *                          retried dead, dur_sum dur_count (ms) and the
 *                          duration histogram d:<le> (per bucket)
 *   P:{q}:minute     hash  "<minute>:ok" / "<minute>:fail" dispatches per
 *                          minute (wall ms / 60000), the last hour
 *   P:wake           pub/sub channel: a due time earlier than the
 *                    scheduler may know of (delayed enqueue, retry)
 *   P:resume         pub/sub channel: a queue just resumed (its name)
 *   P:queues         set   the queues created through the API
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
 * scheduled when eta > now (then also PUBLISHes P:wake).  An error reply
 * "EXISTS ..." when the task or its tombstone exists; a finished (done,
 * dead) named task (tomb > 0) whose tombstone is gone is replaced.
 * "NOQUEUE ..." when the queue is not one of the configuration file and
 * was not created over the API (or was deleted meanwhile). */
int	store_enqueue(struct store *, const struct task *, uint64_t now,
	    store_cb *, void *);

/*
 * Fast-path claim on one queue: move up to n IDs pending -> active (fewer
 * when the queue's rate or concurrency limit allows fewer), lease them
 * until lease_until under token (one for the batch), count each attempt
 * (first_at, last_at = now).  Reply: nil when the queue is empty, status
 * "PAUSED" when it is paused, "THROTTLED <ms>" when its rate or
 * concurrency limit says wait about ms (nothing moves either way; a task
 * run by hand next in line passes both, alone), else an array: element 0
 * the pairs "q:max_attempts", "q:min_backoff_ms", "q:max_backoff_ms",
 * "q:max_doublings", "q:max_retry_ms" that the queue's conf has (a flat
 * [field, value, ...] array), then one flat array per task, "id" first
 * (parse with store_task_from_reply), with the fields a dispatch needs:
 * url method headers body created eta attempts deadline tomb first_at
 * execs last_status last_error, as far as the hash has them.
 */
int	store_claim(struct store *, const char *queue, uint64_t now,
	    uint64_t lease_until, const char *token, int n, store_cb *,
	    void *);
/* Idle path: BLMOVE pending active RIGHT LEFT timeout.  Reply: nil or ID. */
int	store_blmove(struct store *, const char *queue, double timeout_s,
	    store_cb *, void *);
/* After BLMOVE: lease the moved ID, and claim up to n - 1 more.  Reply
 * as store_claim, the moved ID's task first (nil if its hash is gone;
 * the ID is then dropped from active; "PAUSED" or "THROTTLED <ms>" with
 * the ID back at the right end of pending). */
int	store_lease(struct store *, const char *queue, const char *id,
	    uint64_t now, uint64_t lease_until, const char *token, int n,
	    store_cb *, void *);
/*
 * Leases of n running tasks of one queue, in one script: each moves to
 * lease_until if it is still held under its token.  Reply: an array of n
 * integers, 1 extended, 0 the lease is no longer ours.
 */
struct store_lease {
	const char	*id;
	const char	*token;
};
int	store_extend(struct store *, const char *queue,
	    const struct store_lease *, int n, uint64_t lease_until,
	    store_cb *, void *);
/*
 * Results of one queue, n of them in one script.  ack: 2xx, active ->
 * done.  retry: failures, active -> retry at next_at, or -> dead when
 * next_at == 0.  Reply: an array of n integers, 1 recorded, 0 the lease
 * was not ours.
 */
struct store_outcome {
	const char		*id;
	const char		*token;
	uint64_t		 next_at;	/* retry only */
	struct store_result	 res;
};
int	store_ack(struct store *, const char *queue, uint64_t now,
	    const struct store_outcome *, int n, store_cb *, void *);
int	store_retry(struct store *, const char *queue, uint64_t now,
	    const struct store_outcome *, int n, store_cb *, void *);
/* Give an unfinished task back: active -> front of pending, the attempt
 * uncounted.  token NULL: an ID taken by BLMOVE and never leased.
 * Reply: 1 or 0. */
int	store_handback(struct store *, const char *queue, const char *id,
	    const char *token, store_cb *, void *);

/* Scheduler: due scheduled/retry IDs -> pending (at most limit).
 * Reply: [moved, next_due] with next_due = -1 when nothing is waiting. */
int	store_promote(struct store *, const char *queue, uint64_t now,
	    int limit, store_cb *, void *);
/* Scheduler: expired leases -> retry now (or dead when out of attempts:
 * by max_retries, or the conf's max_attempts/max_retry_ms when it has
 * them); active IDs without a lease get one until now + lease_ms.
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
/* The same for P:<what> (what must outlive the store): "resume" carries
 * the name of a queue just resumed (store_pause). */
int	store_subscribe(struct store *, const char *what, store_cb *,
	    void *);

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

/*
 * Cloud Tasks.  run: RunTask: a pending task goes to the right end of
 * pending, a scheduled or retry one there too with eta = now; run = "1"
 * lets it past the pause and limits.  Reply: integer 1 done, 2 the task
 * is active (nothing changes), 0 no such task, or done or dead.
 */
int	store_run(struct store *, const char *queue, const char *id,
	    uint64_t now, store_cb *, void *);

/*
 * Queues created through the API (P:queues) and their conf hash.
 * queue_create: the name into P:queues and a fresh conf of created = now
 * and the nfv strings fv (field, value, ...), in one script; at most
 * limit names in P:queues.  Reply: status "OK", or an error reply
 * "EXISTS queue Q exists" or "FULL ...".  queue_set: HSET those pairs
 * (reply: integer, fields added).  queue_unset: HDEL those fields
 * (integer).  queue_conf: HGETALL (flat array).  queues: SMEMBERS
 * P:queues (array).  queue_delete: DeleteQueue, one batch: up to limit
 * tasks of any state deleted (named ones leave their tombstones); once
 * none is left, every key of the queue and its name in P:queues.  Reply:
 * [deleted, remaining]; call again until remaining is 0.
 * nfv must be even (at least 2 for queue_set) and n positive, both at most
 * 40, else -1.
 */
int	store_queue_create(struct store *, const char *queue, uint64_t now,
	    int limit, const char **fv, int nfv, store_cb *, void *);
int	store_queue_set(struct store *, const char *queue, const char **fv,
	    int nfv, store_cb *, void *);
int	store_queue_unset(struct store *, const char *queue,
	    const char **fields, int n, store_cb *, void *);
int	store_queue_conf(struct store *, const char *queue, store_cb *,
	    void *);
int	store_queues(struct store *, store_cb *, void *);
int	store_queue_delete(struct store *, const char *queue, int limit,
	    store_cb *, void *);

/* Parse a claim/lease reply into t (queue set by the caller's arg). */
int	store_task_from_reply(struct task *, const char *queue,
	    const struct redisReply *, char *err, size_t errlen);
/* The value of field name in a flat [field, value, ...] array reply (a
 * claim or lease, an HGETALL), or NULL. */
const char *store_reply_field(const struct redisReply *, const char *name);

const char *store_name(const struct store *);

#endif
