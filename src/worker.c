/*
 * worker.c: the worker role.  One event loop runs everything: claiming
 * tasks from Redis, dispatching them over HTTP (dispatch.c), extending
 * their leases while they run, and recording what came of them.
 *
 * Three Redis connections: "worker-claim" only ever carries BLMOVE, since
 * a blocking command holds its connection for up to a second; "worker"
 * carries the claims, leases, extensions and results, so a lease is never
 * extended late because a BLMOVE sits in front of it; "worker-sub" hears
 * of resumed queues (P:resume), so that every worker looks at a resumed
 * queue at once and not at the end of its own pause skip.
 *
 * At most one claim is in progress at a time, and it asks for as many
 * tasks as there are free slots (up to CLAIM_MAX): one script call leases
 * a batch.  Up to conf->concurrency tasks are dispatched at once, each in
 * a slot.  Claims and results wait for the end of the event-loop turn
 * (a 0 ms timer), so that what finished together is claimed for and
 * recorded together: the results of one queue go in one script call, and
 * while such calls are in flight the next results gather behind them.  A
 * result that cannot be recorded because Redis is down waits in memory
 * until it comes back.
 *
 * The queue table is not fixed: queues created and deleted over the API
 * come and go at run time (qsync.c changes this process's own conf in
 * place).  Whatever is indexed by queue here is rebuilt then, and a claim
 * in flight names its queue, never an index.
 */
#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis.h>

#include "backoff.h"
#include "conf.h"
#include "ctl.h"
#include "dispatch.h"
#include "evloop.h"
#include "log.h"
#include "proc.h"
#include "qsync.h"
#include "store.h"
#include "task.h"
#include "util.h"
#include "wrr.h"

#define TOKEN_MAX	(TD_HOST_MAX + 48)
#define RETRY_MS	1000	/* pause after a claim that failed */
#define DRAIN_MS	5000	/* at exit, wait this long for Redis */
#define BLMOVE_S	1.0	/* idle path: block this long per BLMOVE */
#define OUTCOME_TRIES	10	/* error replies before giving up */
#define PAUSE_MS	1000	/* skip a queue found paused this long */
#define THROTTLE_MIN_MS	5	/* the shortest skip a THROTTLED asks */
#define THROTTLE_MAX_MS	60000	/* the longest */
#define BLMOVE_MIN_S	0.1	/* a shorter block is a timer instead */
/* Redis ends a blocking command up to a tick (1 / hz, hz = 10) late. */
#define REDIS_TICK_S	0.1
#define DUE_MAX		16	/* retries remembered for a timely wake */
#define DUE_LATE_MS	1000	/* a retry this late was claimed by now */
#define DUE_MARGIN_MS	20	/* the scheduler's promotion takes this */
#define DUE_AGAIN_MS	100	/* not there yet: look again this late */
#define DUE_TRIES	3	/* at most this often */
#define CLAIM_MAX	128	/* tasks one claim asks for at most */
#define OUT_BATCH_MAX	128	/* results one script call records */
#define EXT_BATCH_MAX	256	/* leases one script call extends */
/* Cloud Tasks' retryConfig defaults, for fields a conf hash lacks. */
#define CT_MAX_ATTEMPTS		100
#define CT_MIN_BACKOFF_MS	100
#define CT_MAX_BACKOFF_MS	3600000
#define CT_MAX_DOUBLINGS	16

enum claim_state {
	CLAIM_NONE = 0,
	CLAIM_FAST,		/* store_claim on order[pos] */
	CLAIM_BLMOVE,		/* BLMOVE on the idle queue */
	CLAIM_LEASE		/* store_lease of the ID BLMOVE gave us */
};

enum outcome_kind {
	OUT_ACK,
	OUT_RETRY,
	OUT_DEAD,
	OUT_HANDBACK
};

/* A result (or hand-back) on its way to Redis. */
struct outcome {
	TAILQ_ENTRY(outcome)	 entry;
	struct worker		*w;
	enum outcome_kind	 kind;
	int			 sent;		/* in a batch awaiting its reply */
	int			 errors;	/* error replies so far */
	char			 queue[TD_NAME_MAX];
	char			 id[TD_ID_MAX + 1];
	char			 token[TOKEN_MAX]; /* "": not leased */
	uint64_t		 now;		/* wall ms of the result */
	uint64_t		 next_at;	/* OUT_RETRY */
	int			 attempt;
	int			 status;
	char			 error[256];
	uint64_t		 dur_ms;
};

TAILQ_HEAD(outcomes, outcome);

/* Outcomes of one queue and kind sent in one script call. */
struct obatch {
	struct worker		*w;
	int			 n;
	struct outcome		*o[OUT_BATCH_MAX];
};

/*
 * How a failed attempt is retried.  A queue whose conf hash has Cloud
 * Tasks' retryConfig hands it over with every claim (q:max_attempts and
 * the rest): then ct is set and pol holds it; else the queue's [dispatch]
 * policy applies.
 */
struct retry_rule {
	int				 ct;
	struct backoff_ct_policy	 pol;
	uint64_t			 first_at;	/* wall ms; 0 unknown */
};

/*
 * A retry this worker scheduled.  The scheduler moves it to pending on
 * time, but an idle worker blocked on another queue would see it only
 * when its BLMOVE ends, up to a second late: near that time, the worker
 * that scheduled it blocks on its queue instead.
 */
struct due {
	uint64_t	at;		/* monotonic ms; 0: free */
	int		tries;		/* due claims sent for it */
	char		queue[TD_NAME_MAX];
};

/*
 * A claim beside the claim machine: a retry this worker scheduled is due
 * while the worker blocks in BLMOVE on another queue, or (resume) a
 * queue was resumed meanwhile.
 */
struct due_claim {
	struct worker	*w;
	int		 tries;		/* this one included */
	int		 resume;	/* fill the free slots */
	char		 queue[TD_NAME_MAX];
	char		 token[TOKEN_MAX];
	uint64_t	 sent;		/* monotonic */
};

/* One task being dispatched. */
struct slot {
	struct worker		*w;
	int			 used;
	uint64_t		 seq;		/* bumped per claim */
	struct task		 task;
	struct retry_rule	 rule;
	int			 execs;		/* from the claim, for the */
	int			 last_status;	/* X-CloudTasks-* headers */
	char			 last_error[256];
	uint64_t		 timeout_ms;	/* task's, else queue's */
	char			 token[TOKEN_MAX];
	struct dispatch_req	*req;
	uint64_t		 deadline;	/* lease end, monotonic */
	uint64_t		 extend_timer;
	uint64_t		 expire_timer;
	uint64_t		 extended;	/* extend sent, monotonic */
	int			 extending;	/* extend in flight */
};

/*
 * Leases of one queue extended in one script call, and what each answer
 * must be matched against: the slot may have moved on to another task.
 */
struct xbatch {
	struct worker	*w;
	uint64_t	 sent;		/* monotonic */
	char		 queue[TD_NAME_MAX];
	int		 n;
	struct {
		struct slot	*s;
		uint64_t	 seq;
	}		 e[EXT_BATCH_MAX];
};

struct worker {
	struct proc_env		*env;
	struct conf		*conf;		/* ours: qsync changes it */
	struct evloop		*ev;
	struct store		*cstore;	/* "worker-claim": BLMOVE */
	struct store		*store;		/* "worker": the rest */
	struct store		*sstore;	/* "worker-sub": P:resume */
	struct dispatch		*dispatch;
	struct qsync		*qsync;
	int			 sigfd;
	struct slot		*slots;
	int			 nslots;
	int			 busy;		/* slots in use */
	struct outcomes		 outcomes;
	int			 obatches;	/* result calls in flight */
	uint64_t		 turn_timer;	/* end of this loop turn */
	int			 weights[TD_QUEUE_MAX];

	/* The claim in progress. */
	enum claim_state	 claiming;
	size_t			 order[TD_QUEUE_MAX];
	size_t			 pos;
	int			 reorder;	/* order is of an old table */
	char			 cqueue[TD_NAME_MAX];
	char			 cid[TD_ID_MAX + 1]; /* from BLMOVE */
	char			 ctoken[TOKEN_MAX];
	uint64_t		 csent;		/* sent at, monotonic */
	unsigned		 blcount;	/* the idle queue: moves on
						 * after a quiet block */
	/*
	 * Monotonic ms until which a queue found paused or throttled is
	 * skipped, and the names these belong to (the table may change).
	 */
	uint64_t		 skip_until[TD_QUEUE_MAX];
	char			 skip_name[TD_QUEUE_MAX][TD_NAME_MAX];
	struct due		 dues[DUE_MAX];
	uint64_t		 due_timer;
	int			 due_claims;	/* due_claims in flight */

	char			 host[TD_HOST_MAX];
	uint64_t		 tokcount;
	uint32_t		 rnd;
	uint64_t		 kick_timer;
	uint64_t		 shutdown_timer;
	uint64_t		 drain_timer;
	int			 quitting;
	int			 closing;	/* ignore replies */
};

static void	worker_setup(struct worker *, struct proc_env *);
static void	worker_teardown(struct worker *);
static void	worker_quit(void *, const char *);
static void	check_exit(struct worker *);
static void	on_store_state(struct store *, int, void *);
static void	kick_later(struct worker *, uint64_t);
static void	turn_end(struct worker *);
static void	on_turn(struct evloop *, void *);
static void	on_kick(struct evloop *, void *);
static void	on_shutdown_timer(struct evloop *, void *);
static void	on_drain_timer(struct evloop *, void *);
static void	on_queues(void *);
static void	on_resume(struct store *, struct redisReply *, void *);
static void	resume_claim(struct worker *, const char *);
static void	queues_rebuild(struct worker *);

static void	claim_next(struct worker *);
static void	claim_send(struct worker *);
static void	claim_idle(struct worker *);
static void	claim_end(struct worker *, int);
static void	on_claim(struct store *, struct redisReply *, void *);
static void	on_blmove(struct store *, struct redisReply *, void *);
static void	on_lease(struct store *, struct redisReply *, void *);
static int	claim_reply_bad(struct worker *, struct redisReply *,
		    const char *);
static void	token_make(struct worker *, char *, size_t);
static int	reply_skip(struct worker *, const char *,
		    const struct redisReply *);
static int	queue_skipped(const struct worker *, size_t);
static uint64_t	skip_first(const struct worker *);
static void	wait_skipped(struct worker *);
static void	due_add(struct worker *, const char *, uint64_t, int);
static int	due_queue(struct worker *);
static void	due_clear(struct worker *, const char *);
static void	due_arm(struct worker *);
static void	on_due_timer(struct evloop *, void *);
static void	due_check(struct worker *);
static void	due_claim(struct worker *, const char *, int, int);
static void	on_due_claim(struct store *, struct redisReply *, void *);

static int	claim_free(const struct worker *);
static int	claim_reply(struct worker *, const struct redisReply *,
		    const char *, const char *, uint64_t);
static void	slot_start(struct worker *, const struct redisReply *,
		    const struct redisReply *, const char *, const char *,
		    uint64_t);
static void	slot_release(struct slot *);
static void	slot_abandon(struct slot *, const char *);
static void	on_done(struct dispatch_req *,
		    const struct dispatch_result *, void *);
static void	on_extend_timer(struct evloop *, void *);
static void	extend_queue(struct worker *, const char *);
static int	xbatch_send(struct xbatch *);
static void	on_extend(struct store *, struct redisReply *, void *);
static void	extend_answer(struct worker *, struct slot *, uint64_t,
		    const struct redisReply *);
static void	on_expire(struct evloop *, void *);
static uint64_t	lease_margin(const struct conf *);
static void	slot_claim_fields(struct slot *, const struct redisReply *,
		    const struct redisReply *);
static void	retry_rule_parse(struct retry_rule *,
		    const struct redisReply *, const struct redisReply *);
static uint64_t	reply_u64(const struct redisReply *, const char *, uint64_t);

static struct outcome *outcome_new(struct worker *, enum outcome_kind,
		    const char *, const char *, const char *, int);
static void	outcome_result(struct worker *, const char *, const char *,
		    const char *, int, const struct retry_rule *,
		    const struct dispatch_result *);
static uint64_t	retry_at(struct worker *, const char *, int,
		    const struct retry_rule *, const struct dispatch_result *,
		    uint64_t);
static void	outcome_free(struct outcome *);
static void	outcomes_flush(struct worker *);
static int	outcome_batch(struct worker *, struct outcome *);
static int	obatch_send(struct obatch *);
static void	on_obatch(struct store *, struct redisReply *, void *);
static void	outcome_failed(struct outcome *, const char *);
static void	outcome_log(const struct outcome *, int);

int
worker_main(struct proc_env *env)
{
	struct worker	 w;
	int		 rc;

	memset(&w, 0, sizeof(w));
	worker_setup(&w, env);
	/* READY once both Redis links are up (on_store_state), or anyway
	 * after the wait: the master's reload waits for it. */
	ctl_ready_wait(w.ev, env->ctl_fd, env->gen, CTL_READY_WAIT_MS(w.conf),
	    NULL, NULL);
	log_debug("worker ready concurrency=%d queues=%d", w.nslots,
	    w.conf->nqueues);
	rc = evloop_run(w.ev);
	worker_teardown(&w);
	return rc == 0 ? TD_EXIT_OK : TD_EXIT_TRANSIENT;
}

static void
worker_setup(struct worker *w, struct proc_env *env)
{
	int	i;

	w->env = env;
	w->conf = env->conf;
	TAILQ_INIT(&w->outcomes);
	w->ev = evloop_new();
	if (gethostname(w->host, sizeof(w->host)) == -1 || w->host[0] == '\0')
		util_strlcpy(w->host, "localhost", sizeof(w->host));
	w->host[sizeof(w->host) - 1] = '\0';
	do
		util_random(&w->rnd, sizeof(w->rnd));
	while (w->rnd == 0);
	queues_rebuild(w);
	w->nslots = w->conf->concurrency > 0 ? w->conf->concurrency : 1;
	w->slots = xcalloc(w->nslots, sizeof(*w->slots));
	for (i = 0; i < w->nslots; i++)
		w->slots[i].w = w;

	w->sigfd = ctl_watch(w->ev, env->ctl_fd, worker_quit, w);
	w->dispatch = dispatch_new(w->ev, w->nslots);
	w->cstore = store_new(w->ev, w->conf, "worker-claim", on_store_state,
	    w);
	w->store = store_new(w->ev, w->conf, "worker", on_store_state, w);
	w->qsync = qsync_new(w->ev, w->store, w->conf, on_queues, w);
	w->sstore = store_new(w->ev, w->conf, "worker-sub", NULL, NULL);
	(void)store_subscribe(w->sstore, "resume", on_resume, w);
	store_connect(w->cstore);
	store_connect(w->store);
	store_connect(w->sstore);
}

static void
worker_teardown(struct worker *w)
{
	struct outcome	*o;
	int		 i;

	w->closing = 1;
	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].used) {
			dispatch_cancel(w->slots[i].req);
			w->slots[i].req = NULL;
			slot_release(&w->slots[i]);
		}
	dispatch_free(w->dispatch);
	evloop_timer_del(w->ev, w->due_timer);
	w->due_timer = 0;
	evloop_timer_del(w->ev, w->turn_timer);
	w->turn_timer = 0;
	/* Pending callbacks run now with NULL and see w->closing; qsync's
	 * too, so it goes after the store. */
	store_free(w->cstore);
	store_free(w->store);
	store_free(w->sstore);
	qsync_free(w->qsync);
	while ((o = TAILQ_FIRST(&w->outcomes)) != NULL)
		outcome_free(o);
	free(w->slots);
	close(w->sigfd);
	evloop_free(w->ev);
}

/* Stop claiming; let what runs finish, then go (check_exit). */
static void
worker_quit(void *arg, const char *why)
{
	struct worker	*w = arg;
	uint64_t	 wait, margin;

	if (w->quitting)
		return;
	w->quitting = 1;
	log_info("quitting: %s; in_flight=%d", why, w->busy);
	if (w->busy > 0) {
		/* Leave the master, which kills us at shutdown_timeout, a
		 * moment to let our hand-backs reach Redis. */
		wait = w->conf->shutdown_timeout_ms;
		margin = TD_MIN(wait / 10, 1000);
		w->shutdown_timer = evloop_timer_add(w->ev, wait - margin,
		    on_shutdown_timer, w);
	}
	check_exit(w);
}

/*
 * Exit once nothing runs, no claim is outstanding and every result is
 * recorded; past DRAIN_MS after the last dispatch ended, go anyway.
 */
static void
check_exit(struct worker *w)
{
	if (!w->quitting || w->closing || w->busy > 0)
		return;
	if (w->drain_timer == 0)
		w->drain_timer = evloop_timer_add(w->ev, DRAIN_MS,
		    on_drain_timer, w);
	if (w->claiming != CLAIM_NONE || w->due_claims > 0 ||
	    !TAILQ_EMPTY(&w->outcomes))
		return;
	log_debug("all work handed over; exiting");
	evloop_stop(w->ev);
}

static void
on_drain_timer(struct evloop *ev, void *arg)
{
	struct worker	*w = arg;
	struct outcome	*o;

	w->drain_timer = 0;
	TAILQ_FOREACH(o, &w->outcomes, entry)
		log_warnx("exiting with a result not recorded; the scheduler "
		    "will recover the task when its lease expires task=%s "
		    "queue=%s", o->id, o->queue);
	if (w->claiming != CLAIM_NONE)
		log_warnx("exiting with a claim unanswered");
	evloop_stop(ev);
}

static void
on_shutdown_timer(struct evloop *ev, void *arg)
{
	struct worker	*w = arg;
	struct slot	*s;
	int		 i;

	(void)ev;
	w->shutdown_timer = 0;
	for (i = 0; i < w->nslots; i++) {
		s = &w->slots[i];
		if (!s->used)
			continue;
		log_info("shutdown timeout: handing the task back task=%s "
		    "queue=%s attempt=%d", s->task.id, s->task.queue,
		    s->task.attempts);
		dispatch_cancel(s->req);
		s->req = NULL;
		(void)outcome_new(w, OUT_HANDBACK, s->task.queue, s->task.id,
		    s->token, s->task.attempts);
		slot_release(s);
	}
	outcomes_flush(w);
	check_exit(w);
}

static void
on_store_state(struct store *st, int up, void *arg)
{
	struct worker	*w = arg;

	(void)st;
	if (!w->closing)
		ctl_redis_state(store_is_up(w->store) &&
		    store_is_up(w->cstore));
	if (w->closing || !up)
		return;
	if (st == w->store)
		qsync_kick(w->qsync);
	outcomes_flush(w);
	claim_next(w);
}

/* qsync changed the queue table. */
static void
on_queues(void *arg)
{
	struct worker	*w = arg;

	if (w->closing)
		return;
	log_debug("queue table changed queues=%d", w->conf->nqueues);
	queues_rebuild(w);
	/* A new queue may hold work: look now, not at the next claim. */
	if (w->claiming == CLAIM_NONE)
		kick_later(w, 0);
}

/*
 * A queue was resumed: stop skipping it, and look now.  (The "0" of a
 * fresh subscription names no queue.)
 */
static void
on_resume(struct store *st, struct redisReply *r, void *arg)
{
	struct worker	*w = arg;
	int		 i, hit = 0;

	(void)st;
	if (w->closing || r == NULL || r->type != REDIS_REPLY_STRING)
		return;
	for (i = 0; i < w->conf->nqueues; i++)
		if (strcmp(w->conf->queues[i].name, r->str) == 0 &&
		    w->skip_until[i] != 0) {
			w->skip_until[i] = 0;
			hit = 1;
		}
	if (hit && w->claiming == CLAIM_NONE)
		turn_end(w);
	else if (hit)
		resume_claim(w, r->str);
}

/*
 * A worker blocked in BLMOVE on another queue would see the resumed one
 * only when its block ends, up to a second later: it claims from it
 * beside the block while it has free slots.
 */
static void
resume_claim(struct worker *w, const char *queue)
{
	if (w->claiming != CLAIM_BLMOVE || strcmp(w->cqueue, queue) == 0 ||
	    w->quitting || w->closing || !store_is_up(w->store) ||
	    w->busy + w->due_claims >= w->nslots)
		return;
	due_claim(w, queue, DUE_TRIES, 1);
}

/*
 * Everything indexed by queue, from conf's table as it is now.  Skips
 * follow their queue by name.  A fast-path claim in flight walks an
 * order of the old table: it starts over with a fresh one (reorder); the
 * others name their queue and are unaffected.
 */
static void
queues_rebuild(struct worker *w)
{
	uint64_t	until[TD_QUEUE_MAX];
	int		i, j, n = w->conf->nqueues;

	for (i = 0; i < n; i++) {
		until[i] = 0;
		for (j = 0; j < TD_QUEUE_MAX && w->skip_name[j][0] != '\0';
		    j++)
			if (strcmp(w->skip_name[j],
			    w->conf->queues[i].name) == 0) {
				until[i] = w->skip_until[j];
				break;
			}
	}
	memset(w->skip_name, 0, sizeof(w->skip_name));
	for (i = 0; i < n; i++) {
		w->weights[i] = w->conf->queues[i].weight;
		w->skip_until[i] = until[i];
		util_strlcpy(w->skip_name[i], w->conf->queues[i].name,
		    sizeof(w->skip_name[i]));
	}
	for (; i < TD_QUEUE_MAX; i++)
		w->skip_until[i] = 0;
	w->reorder = 1;
}

/* Try claiming and sending results again after ms. */
static void
kick_later(struct worker *w, uint64_t ms)
{
	if (w->kick_timer == 0 && !w->closing)
		w->kick_timer = evloop_timer_add(w->ev, ms, on_kick, w);
}

/*
 * Claim and send results once this turn of the loop is over: whatever
 * else finishes in the same turn then goes along in the same calls.
 */
static void
turn_end(struct worker *w)
{
	if (w->turn_timer == 0 && !w->closing)
		w->turn_timer = evloop_timer_add(w->ev, 0, on_turn, w);
}

static void
on_turn(struct evloop *ev, void *arg)
{
	struct worker	*w = arg;

	(void)ev;
	w->turn_timer = 0;
	outcomes_flush(w);
	claim_next(w);
}

static void
on_kick(struct evloop *ev, void *arg)
{
	struct worker	*w = arg;

	(void)ev;
	w->kick_timer = 0;
	outcomes_flush(w);
	claim_next(w);
}

/*
 * Claiming.  Fast path: store_claim on every queue in a weighted-random
 * order until one yields a task.  If all are empty, the idle path blocks
 * in BLMOVE on one queue for a second, the queue rotating so that the
 * workers together keep every queue watched.
 */
static void
claim_next(struct worker *w)
{
	if (w->closing || w->quitting || w->claiming != CLAIM_NONE ||
	    w->busy >= w->nslots || w->conf->nqueues == 0)
		return;
	if (!store_is_up(w->store))
		return;		/* on_store_state calls again */
	wrr_order(w->weights, (size_t)w->conf->nqueues, w->order,
	    util_xorshift32, &w->rnd);
	w->reorder = 0;
	w->pos = 0;
	while (w->pos < (size_t)w->conf->nqueues &&
	    queue_skipped(w, w->order[w->pos]))
		w->pos++;
	if (w->pos < (size_t)w->conf->nqueues)
		claim_send(w);
	else
		claim_idle(w);
}

static void
claim_send(struct worker *w)
{
	const char	*q = w->conf->queues[w->order[w->pos]].name;
	uint64_t	 now = util_wall_ms();

	util_strlcpy(w->cqueue, q, sizeof(w->cqueue));
	token_make(w, w->ctoken, sizeof(w->ctoken));
	w->csent = util_mono_ms();
	if (store_claim(w->store, q, now, now + w->conf->lease_ms, w->ctoken,
	    claim_free(w), on_claim, w) == -1) {
		claim_end(w, 1);
		return;
	}
	w->claiming = CLAIM_FAST;
}

/*
 * While some queue is skipped, block no longer than its skip lasts: a
 * throttled queue wants asking again in a few ms, and a worker sitting
 * in BLMOVE on an empty one would hold its rate down.  Redis times a
 * block out only on its next tick, so the block ends a tick early, and a
 * skip too short for that is waited out on a timer instead.
 */
static void
claim_idle(struct worker *w)
{
	uint64_t	first, now;
	double		timeout = BLMOVE_S;
	int		i = 0, k;

	/*
	 * Workers start spread over the queues by index, and a worker stays
	 * on its queue while tasks keep coming there: it moves on only after
	 * a block that timed out (on_blmove), or past a skipped queue.
	 * Moving after every task left a steady queue with no one waiting
	 * on it, and its tasks waited for someone's timeout (up to 1 s).
	 */
	for (k = 0; k < w->conf->nqueues; k++) {
		i = (int)(((unsigned)(w->env->index > 0 ? w->env->index - 1 :
		    0) + w->blcount + (unsigned)k) %
		    (unsigned)w->conf->nqueues);
		if (!queue_skipped(w, (size_t)i))
			break;
	}
	if (k == w->conf->nqueues) {
		wait_skipped(w);
		return;
	}
	w->blcount += (unsigned)k;
	if ((k = due_queue(w)) >= 0)
		i = k;
	if ((first = skip_first(w)) != 0) {
		now = util_mono_ms();
		timeout = first > now ? (double)(first - now) / 1000.0 -
		    REDIS_TICK_S : 0;
		if (timeout < BLMOVE_MIN_S) {
			wait_skipped(w);
			return;
		}
		timeout = TD_MIN(timeout, BLMOVE_S);
	}
	util_strlcpy(w->cqueue, w->conf->queues[i].name, sizeof(w->cqueue));
	if (store_blmove(w->cstore, w->cqueue, timeout, on_blmove, w) == -1) {
		claim_end(w, 1);
		return;
	}
	w->claiming = CLAIM_BLMOVE;
}

/* The claim is over; retry now, or after a pause when it failed. */
static void
claim_end(struct worker *w, int failed)
{
	w->claiming = CLAIM_NONE;
	if (w->quitting) {
		check_exit(w);
		return;
	}
	if (failed)
		kick_later(w, RETRY_MS);
	else
		claim_next(w);
}

/* NULL or an error reply: log, end the claim with a pause; returns 1. */
static int
claim_reply_bad(struct worker *w, struct redisReply *r, const char *what)
{
	if (r != NULL && r->type != REDIS_REPLY_ERROR)
		return 0;
	if (w->closing)
		return 1;
	if (r != NULL)
		log_warnx("%s: %s queue=%s", what, r->str, w->cqueue);
	if (w->claiming == CLAIM_LEASE)
		log_warnx("lease not confirmed; the scheduler will recover "
		    "the task task=%s queue=%s", w->cid, w->cqueue);
	claim_end(w, 1);
	return 1;
}

static void
on_claim(struct store *st, struct redisReply *r, void *arg)
{
	struct worker	*w = arg;

	(void)st;
	if (claim_reply_bad(w, r, "claim"))
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 1) {
		w->claiming = CLAIM_NONE;
		(void)claim_reply(w, r, w->cqueue, w->ctoken, w->csent);
		claim_end(w, 0);
		return;
	}
	/* nil (empty), paused or throttled: try the next queue, then go
	 * idle. */
	(void)reply_skip(w, w->cqueue, r);
	w->claiming = CLAIM_NONE;
	if (w->quitting) {
		check_exit(w);
		return;
	}
	if (w->reorder) {
		claim_next(w);
		return;
	}
	while (++w->pos < (size_t)w->conf->nqueues &&
	    queue_skipped(w, w->order[w->pos]))
		;
	if (w->pos < (size_t)w->conf->nqueues)
		claim_send(w);
	else
		claim_idle(w);
}

static void
on_blmove(struct store *st, struct redisReply *r, void *arg)
{
	struct worker	*w = arg;
	uint64_t	 now;

	(void)st;
	if (claim_reply_bad(w, r, "blmove"))
		return;
	if (r->type != REDIS_REPLY_STRING) {	/* timed out */
		w->blcount++;			/* a quiet queue: next one */
		claim_end(w, 0);
		return;
	}
	if (!util_valid_id(r->str, r->len)) {
		log_warnx("blmove: not a task id; left for the scheduler "
		    "queue=%s", w->cqueue);
		claim_end(w, 0);
		return;
	}
	util_strlcpy(w->cid, r->str, sizeof(w->cid));
	due_clear(w, w->cqueue);
	if (w->quitting) {
		/* Never leased: give it back as it came. */
		(void)outcome_new(w, OUT_HANDBACK, w->cqueue, r->str, "", 0);
		outcomes_flush(w);
		claim_end(w, 0);
		return;
	}
	token_make(w, w->ctoken, sizeof(w->ctoken));
	now = util_wall_ms();
	w->csent = util_mono_ms();
	if (store_lease(w->store, w->cqueue, r->str, now,
	    now + w->conf->lease_ms, w->ctoken, claim_free(w), on_lease,
	    w) == -1) {
		(void)outcome_new(w, OUT_HANDBACK, w->cqueue, r->str, "", 0);
		claim_end(w, 1);
		return;
	}
	w->claiming = CLAIM_LEASE;
}

/*
 * A lost or failed lease reply leaves the ID in active, leased or not;
 * the scheduler's sweep leases such IDs and recovers them on expiry.
 */
static void
on_lease(struct store *st, struct redisReply *r, void *arg)
{
	struct worker	*w = arg;

	(void)st;
	if (claim_reply_bad(w, r, "lease"))
		return;
	/* The task is gone, or back in pending because of a pause or the
	 * queue's rate limits. */
	if (r->type != REDIS_REPLY_ARRAY) {
		(void)reply_skip(w, w->cqueue, r);
		claim_end(w, 0);
		return;
	}
	w->claiming = CLAIM_NONE;
	(void)claim_reply(w, r, w->cqueue, w->ctoken, w->csent);
	claim_end(w, 0);
}

/* How many tasks a claim asks for: the slots no claim has spoken for. */
static int
claim_free(const struct worker *w)
{
	int	n = w->nslots - w->busy - w->due_claims;

	return TD_MAX(TD_MIN(n, CLAIM_MAX), 1);
}

/*
 * A claim or lease reply: element 0 is the queue's retry settings, then
 * one task each.  Returns how many tasks it held.
 */
static int
claim_reply(struct worker *w, const struct redisReply *r, const char *queue,
    const char *token, uint64_t sent)
{
	size_t	i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return 0;
	for (i = 1; i < r->elements; i++)
		slot_start(w, r->element[i], r->element[0], queue, token,
		    sent);
	return (int)r->elements - 1;
}

/*
 * A "PAUSED" answer from claim or lease: skip that queue for PAUSE_MS,
 * then ask again; a resume is seen within about a second, and a paused
 * queue costs one claim a second, never a busy loop.  "THROTTLED <ms>":
 * the queue's token bucket is empty or its concurrency used up, and ms
 * says when it is worth asking again.
 */
static int
reply_skip(struct worker *w, const char *queue, const struct redisReply *r)
{
	const char	*why;
	char		*end;
	uint64_t	 ms;
	int		 i;

	if (r->type != REDIS_REPLY_STATUS)
		return 0;
	if (strcmp(r->str, "PAUSED") == 0) {
		why = "paused";
		ms = PAUSE_MS;
	} else if (strncmp(r->str, "THROTTLED", 9) == 0 &&
	    (r->str[9] == ' ' || r->str[9] == '\0')) {
		why = "throttled";
		ms = strtoull(r->str + 9, &end, 10);
		if (end == r->str + 9 || *end != '\0')
			ms = THROTTLE_MIN_MS;
		ms = TD_MAX(TD_MIN(ms, THROTTLE_MAX_MS), THROTTLE_MIN_MS);
	} else
		return 0;
	for (i = 0; i < w->conf->nqueues; i++)
		if (strcmp(w->conf->queues[i].name, queue) == 0) {
			if (!queue_skipped(w, (size_t)i))
				log_debug("queue %s; skipping it queue=%s "
				    "ms=%llu", why, queue,
				    (unsigned long long)ms);
			w->skip_until[i] = util_mono_ms() + ms;
		}
	return 1;
}

static int
queue_skipped(const struct worker *w, size_t i)
{
	return w->skip_until[i] > util_mono_ms();
}

/* When the first skip still running ends (monotonic ms); 0: none runs. */
static uint64_t
skip_first(const struct worker *w)
{
	uint64_t	now = util_mono_ms(), first = 0;
	int		i;

	for (i = 0; i < w->conf->nqueues; i++)
		if (w->skip_until[i] > now &&
		    (first == 0 || w->skip_until[i] < first))
			first = w->skip_until[i];
	return first;
}

/* Every queue is skipped: try again when the first skip is up. */
static void
wait_skipped(struct worker *w)
{
	uint64_t	now = util_mono_ms(), first = skip_first(w);

	w->claiming = CLAIM_NONE;
	kick_later(w, first > now ? first - now + 1 : 1);
}

/* Remember a retry due at (monotonic ms) on queue. */
static void
due_add(struct worker *w, const char *queue, uint64_t at, int tries)
{
	struct due	*d = NULL;
	uint64_t	 now = util_mono_ms();
	int		 i;

	for (i = 0; i < DUE_MAX; i++) {
		if (w->dues[i].at == 0 || w->dues[i].at + DUE_LATE_MS < now) {
			d = &w->dues[i];
			break;
		}
		/* Full: the latest gives way to an earlier one. */
		if (w->dues[i].at > at && (d == NULL || w->dues[i].at > d->at))
			d = &w->dues[i];
	}
	if (d == NULL)
		return;
	d->at = at;
	d->tries = tries;
	util_strlcpy(d->queue, queue, sizeof(d->queue));
	due_arm(w);
}

/* Wake a moment after the earliest retry still to come is due. */
static void
due_arm(struct worker *w)
{
	uint64_t	now = util_mono_ms(), first = 0, at;
	int		i;

	for (i = 0; i < DUE_MAX; i++) {
		at = w->dues[i].at + DUE_MARGIN_MS;
		if (w->dues[i].at != 0 && at > now && (first == 0 ||
		    at < first))
			first = at;
	}
	evloop_timer_del(w->ev, w->due_timer);
	w->due_timer = 0;
	if (first == 0 || w->closing)
		return;
	w->due_timer = evloop_timer_add(w->ev, first - now, on_due_timer, w);
}

/*
 * Retries are due.  A worker claiming or about to is fine: its fast path
 * looks at every queue and claim_idle() blocks on a due one.  One blocked
 * on another queue would miss them for up to a second: it claims them
 * beside its BLMOVE, as far as it has free slots.
 */
static void
on_due_timer(struct evloop *ev, void *arg)
{
	struct worker	*w = arg;

	(void)ev;
	w->due_timer = 0;
	due_check(w);
	due_arm(w);
}

/* Claim the retries due by now that the claim machine would miss. */
static void
due_check(struct worker *w)
{
	uint64_t	now = util_mono_ms();
	int		i;

	for (i = 0; i < DUE_MAX; i++) {
		if (w->dues[i].at == 0 || w->dues[i].at + DUE_MARGIN_MS > now)
			continue;
		if (w->dues[i].at + DUE_LATE_MS < now) {
			w->dues[i].at = 0;
			continue;
		}
		if (w->claiming != CLAIM_BLMOVE ||
		    strcmp(w->cqueue, w->dues[i].queue) == 0)
			continue;
		if (w->quitting || w->busy + w->due_claims >= w->nslots ||
		    !store_is_up(w->store))
			continue;
		due_claim(w, w->dues[i].queue, w->dues[i].tries + 1, 0);
		w->dues[i].at = 0;
	}
	/* The ones left stay for claim_idle() until DUE_LATE_MS. */
}

/*
 * One task for a due retry; for a resumed queue (resume), as many as
 * there are free slots, again and again while the queue keeps giving.
 */
static void
due_claim(struct worker *w, const char *queue, int tries, int resume)
{
	struct due_claim	*c = xcalloc(1, sizeof(*c));
	uint64_t		 now = util_wall_ms();

	c->w = w;
	c->tries = tries;
	c->resume = resume;
	util_strlcpy(c->queue, queue, sizeof(c->queue));
	token_make(w, c->token, sizeof(c->token));
	c->sent = util_mono_ms();
	if (store_claim(w->store, queue, now, now + w->conf->lease_ms,
	    c->token, resume ? claim_free(w) : 1, on_due_claim, c) == -1) {
		free(c);
		return;
	}
	w->due_claims++;
}

static void
on_due_claim(struct store *st, struct redisReply *r, void *arg)
{
	struct due_claim	*c = arg;
	struct worker		*w = c->w;

	(void)st;
	w->due_claims--;
	if (w->closing || r == NULL) {
		free(c);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR)
		log_warnx("claim: %s queue=%s", r->str, c->queue);
	else if (r->type == REDIS_REPLY_ARRAY && r->elements > 1) {
		(void)claim_reply(w, r, c->queue, c->token, c->sent);
		if (c->resume)
			resume_claim(w, c->queue);
	} else if (r->type == REDIS_REPLY_ARRAY)
		;	/* only deleted tasks came first: no retry of ours */
	else if (c->resume)
		(void)reply_skip(w, c->queue, r);
	else if (!reply_skip(w, c->queue, r) && c->tries < DUE_TRIES)
		/* Not promoted yet: the scheduler may be a moment late. */
		due_add(w, c->queue, util_mono_ms() + DUE_AGAIN_MS -
		    DUE_MARGIN_MS, c->tries);
	free(c);
	check_exit(w);
}

/*
 * The queue of the earliest retry due within a BLMOVE (and not long
 * past), if it is in the table and not skipped: -1 if none.
 */
static int
due_queue(struct worker *w)
{
	const struct conf_queue	*cq;
	struct due		*best = NULL;
	uint64_t		 now = util_mono_ms();
	int			 i;

	for (i = 0; i < DUE_MAX; i++) {
		if (w->dues[i].at == 0)
			continue;
		if (w->dues[i].at + DUE_LATE_MS < now) {
			w->dues[i].at = 0;
			continue;
		}
		if (w->dues[i].at <= now + (uint64_t)(BLMOVE_S * 1000) &&
		    (best == NULL || w->dues[i].at < best->at))
			best = &w->dues[i];
	}
	if (best == NULL || (cq = conf_queue_find(w->conf,
	    best->queue)) == NULL)
		return -1;
	i = (int)(cq - w->conf->queues);
	return queue_skipped(w, (size_t)i) ? -1 : i;
}

/* Something came from queue: the retries due there by now are served. */
static void
due_clear(struct worker *w, const char *queue)
{
	uint64_t	now = util_mono_ms();
	int		i;

	for (i = 0; i < DUE_MAX; i++)
		if (w->dues[i].at != 0 && w->dues[i].at <= now &&
		    strcmp(w->dues[i].queue, queue) == 0)
			w->dues[i].at = 0;
}

/* "<host>:<pid>:<n>": unique per claim across hosts and restarts. */
static void
token_make(struct worker *w, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%ld:%llu", w->host, (long)getpid(),
	    (unsigned long long)++w->tokcount);
}

/*
 * A claimed task (r; q: its queue's retry settings): parse it and start
 * its dispatch, with the lease clock started when the claim was sent (the
 * lease may be older than the reply).  When quitting, or with no slot
 * free, it goes straight back.
 */
static void
slot_start(struct worker *w, const struct redisReply *r,
    const struct redisReply *q, const char *queue, const char *token,
    uint64_t sent)
{
	struct slot			*s = NULL;
	const struct conf_queue		*cq;
	struct dispatch_attempt		 a;
	struct dispatch_result		 res;
	struct retry_rule		 rule;
	const char			*id, *att;
	char				 err[200];
	int				 i;

	for (i = 0; i < w->nslots && s == NULL; i++)
		if (!w->slots[i].used)
			s = &w->slots[i];
	if ((id = store_reply_field(r, "id")) == NULL) {
		log_warnx("claim: reply without an id queue=%s", queue);
		return;
	}
	att = store_reply_field(r, "attempts");
	if (w->quitting || s == NULL) {
		(void)outcome_new(w, OUT_HANDBACK, queue, id, token,
		    att != NULL ? atoi(att) : 0);
		turn_end(w);
		return;
	}
	memset(&s->task, 0, sizeof(s->task));
	if (store_task_from_reply(&s->task, queue, r, err, sizeof(err)) == -1) {
		/* It can never run as stored: count it as a failed attempt,
		 * so it retries and finally dies like any other. */
		log_warnx("claim: bad task: %s task=%s queue=%s", err, id,
		    queue);
		task_free(&s->task);
		memset(&s->task, 0, sizeof(s->task));
		memset(&res, 0, sizeof(res));
		snprintf(res.error, sizeof(res.error), "bad task in store: %s",
		    err);
		retry_rule_parse(&rule, r, q);
		outcome_result(w, queue, id, token, att != NULL ? atoi(att) : 1,
		    &rule, &res);
		return;
	}
	s->used = 1;
	s->seq++;
	w->busy++;
	util_strlcpy(s->task.queue, queue, sizeof(s->task.queue));
	util_strlcpy(s->token, token, sizeof(s->token));
	slot_claim_fields(s, r, q);
	cq = conf_queue_find(w->conf, queue);
	/* The task's dispatchDeadline, when it has one, replaces the
	 * queue's timeout; the lease is extended for as long as it runs. */
	if (s->task.deadline_ms > 0)
		s->timeout_ms = s->task.deadline_ms;
	else
		s->timeout_ms = cq != NULL ? cq->dispatch.timeout_ms :
		    w->conf->dispatch.timeout_ms;
	s->deadline = sent + w->conf->lease_ms - lease_margin(w->conf);
	s->extended = sent;
	s->extend_timer = evloop_timer_add(w->ev,
	    TD_MAX(w->conf->lease_ms / 3, 1), on_extend_timer, s);
	s->expire_timer = evloop_timer_add(w->ev,
	    s->deadline > util_mono_ms() ? s->deadline - util_mono_ms() : 0,
	    on_expire, s);
	log_debug("task start task=%s queue=%s attempt=%d", s->task.id, queue,
	    s->task.attempts);
	a.execs = s->execs;
	a.last_status = s->last_status;
	a.last_error = s->last_error;
	s->req = dispatch_start(w->dispatch, &s->task, &a, s->timeout_ms,
	    on_done, s);
}

/* What the claim reply says beyond the task itself. */
static void
slot_claim_fields(struct slot *s, const struct redisReply *r,
    const struct redisReply *q)
{
	const char	*v;

	retry_rule_parse(&s->rule, r, q);
	if (s->rule.first_at == 0)
		s->rule.first_at = s->task.created_ms;
	if (s->task.deadline_ms == 0)
		s->task.deadline_ms = reply_u64(r, "deadline", 0);
	s->execs = (int)TD_MIN(reply_u64(r, "execs", 0), INT_MAX);
	s->last_status = (int)TD_MIN(reply_u64(r, "last_status", 0), 999);
	v = store_reply_field(r, "last_error");
	util_strlcpy(s->last_error, v != NULL ? v : "",
	    sizeof(s->last_error));
}

/*
 * The queue's Cloud Tasks retryConfig if the claim carried one.  Any of
 * the fields may be missing (a hand-edited conf hash); what is missing is
 * Cloud Tasks' default.
 */
static void
retry_rule_parse(struct retry_rule *rr, const struct redisReply *r,
    const struct redisReply *q)
{
	const char	*v;
	char		*end;
	long		 n;

	memset(rr, 0, sizeof(*rr));
	rr->first_at = reply_u64(r, "first_at", 0);
	if ((v = store_reply_field(q, "q:max_attempts")) == NULL)
		return;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < -1 || n > INT_MAX)
		n = CT_MAX_ATTEMPTS;
	rr->ct = 1;
	rr->pol.max_attempts = (int)n;
	rr->pol.min_backoff_ms = reply_u64(q, "q:min_backoff_ms",
	    CT_MIN_BACKOFF_MS);
	rr->pol.max_backoff_ms = reply_u64(q, "q:max_backoff_ms",
	    CT_MAX_BACKOFF_MS);
	rr->pol.max_doublings = (int)TD_MIN(reply_u64(q, "q:max_doublings",
	    CT_MAX_DOUBLINGS), INT_MAX);
	rr->pol.max_retry_ms = reply_u64(q, "q:max_retry_ms", 0);
}

/* A decimal field of a claim reply, or def when missing or not one. */
static uint64_t
reply_u64(const struct redisReply *r, const char *name, uint64_t def)
{
	const char		*v = store_reply_field(r, name);
	char			*end;
	unsigned long long	 n;

	if (v == NULL || *v < '0' || *v > '9')
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return def;
	return n;
}

static void
slot_release(struct slot *s)
{
	struct worker	*w = s->w;

	evloop_timer_del(w->ev, s->extend_timer);
	evloop_timer_del(w->ev, s->expire_timer);
	s->extend_timer = s->expire_timer = 0;
	task_free(&s->task);
	memset(&s->task, 0, sizeof(s->task));
	s->token[0] = '\0';
	s->req = NULL;
	s->extending = 0;
	s->used = 0;
	w->busy--;
}

/*
 * Our lease is gone or may be: someone else may run the task now, so stop
 * ours and forget it.  Its result is no longer ours to record.
 */
static void
slot_abandon(struct slot *s, const char *why)
{
	struct worker	*w = s->w;

	log_warnx("%s; abandoning the dispatch task=%s queue=%s attempt=%d",
	    why, s->task.id, s->task.queue, s->task.attempts);
	dispatch_cancel(s->req);
	s->req = NULL;
	slot_release(s);
	check_exit(w);
	claim_next(w);
}

/*
 * Give up a little before the lease ends in Redis: the scheduler's clock
 * decides there, and it may run ahead of ours.
 */
static uint64_t
lease_margin(const struct conf *conf)
{
	return TD_MIN(conf->lease_ms / 10, 2000);
}

static void
on_done(struct dispatch_req *req, const struct dispatch_result *res,
    void *arg)
{
	struct slot	*s = arg;
	struct worker	*w = s->w;

	(void)req;
	s->req = NULL;
	outcome_result(w, s->task.queue, s->task.id, s->token,
	    s->task.attempts, &s->rule, res);
	slot_release(s);
	check_exit(w);
	/* A slot came free while blocked elsewhere: a retry due now that
	 * found none free may have it. */
	if (w->claiming == CLAIM_BLMOVE)
		due_check(w);
	turn_end(w);
}

/*
 * A lease is due for extension (lease / 3 after the last).  Extend it
 * together with every other lease of its queue that is at least half way
 * there: each lease is then extended every lease / 6 to lease / 3, and a
 * worker with hundreds in flight makes at most about two calls per queue
 * and period instead of one per task.
 */
static void
on_extend_timer(struct evloop *ev, void *arg)
{
	struct slot	*s = arg;
	struct worker	*w = s->w;

	s->extend_timer = evloop_timer_add(ev, TD_MAX(w->conf->lease_ms / 3, 1),
	    on_extend_timer, s);
	extend_queue(w, s->task.queue);
}

static void
extend_queue(struct worker *w, const char *queue)
{
	struct xbatch	*b = NULL;
	struct slot	*s;
	uint64_t	 now = util_mono_ms();
	uint64_t	 period = TD_MAX(w->conf->lease_ms / 3, 1);
	int		 i;

	if (!store_is_up(w->store))
		return;	/* on_expire acts if Redis stays away */
	for (i = 0; i < w->nslots; i++) {
		s = &w->slots[i];
		if (!s->used || s->extending ||
		    now - s->extended < period / 2 ||
		    strcmp(s->task.queue, queue) != 0)
			continue;
		if (b == NULL) {
			b = xcalloc(1, sizeof(*b));
			b->w = w;
			b->sent = now;
			util_strlcpy(b->queue, queue, sizeof(b->queue));
		}
		b->e[b->n].s = s;
		b->e[b->n].seq = s->seq;
		if (++b->n == EXT_BATCH_MAX) {
			if (xbatch_send(b) == -1)
				return;
			b = NULL;
		}
	}
	if (b != NULL)
		(void)xbatch_send(b);
}

/* Send b (freed on failure); its slots wait a period for the next. */
static int
xbatch_send(struct xbatch *b)
{
	struct store_lease	 l[EXT_BATCH_MAX];
	struct worker		*w = b->w;
	struct slot		*s;
	int			 i;

	for (i = 0; i < b->n; i++) {
		l[i].id = b->e[i].s->task.id;
		l[i].token = b->e[i].s->token;
	}
	if (store_extend(w->store, b->queue, l, b->n,
	    util_wall_ms() + w->conf->lease_ms, on_extend, b) == -1) {
		free(b);
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		s = b->e[i].s;
		s->extending = 1;
		s->extended = b->sent;
		evloop_timer_del(w->ev, s->extend_timer);
		s->extend_timer = evloop_timer_add(w->ev,
		    TD_MAX(w->conf->lease_ms / 3, 1), on_extend_timer, s);
	}
	return 0;
}

static void
on_extend(struct store *st, struct redisReply *r, void *arg)
{
	struct xbatch		*b = arg;
	struct worker		*w = b->w;
	const redisReply	*e;
	int			 i;

	(void)st;
	if (w->closing) {
		free(b);
		return;
	}
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("extend: %s queue=%s tasks=%d", r->str, b->queue,
		    b->n);
	for (i = 0; i < b->n; i++) {
		e = r != NULL && r->type == REDIS_REPLY_ARRAY &&
		    (size_t)i < r->elements ? r->element[i] : NULL;
		/* A slot abandoned by an answer before this one has a new
		 * seq by now, or none: the check covers it. */
		if (b->e[i].s->used && b->e[i].s->seq == b->e[i].seq)
			extend_answer(w, b->e[i].s, b->sent, e);
	}
	free(b);
}

/*
 * One task's answer.  e NULL: no answer (the link dropped, an error
 * reply): keep running; on_expire acts if no extension comes in time.
 */
static void
extend_answer(struct worker *w, struct slot *s, uint64_t sent,
    const redisReply *e)
{
	uint64_t	now;

	s->extending = 0;
	if (e == NULL || e->type != REDIS_REPLY_INTEGER)
		return;
	if (e->integer != 1) {
		slot_abandon(s, "lease lost");
		return;
	}
	s->deadline = sent + w->conf->lease_ms - lease_margin(w->conf);
	now = util_mono_ms();
	evloop_timer_del(w->ev, s->expire_timer);
	s->expire_timer = evloop_timer_add(w->ev,
	    s->deadline > now ? s->deadline - now : 0, on_expire, s);
}

static void
on_expire(struct evloop *ev, void *arg)
{
	struct slot	*s = arg;

	(void)ev;
	s->expire_timer = 0;
	slot_abandon(s, "lease expired without renewal");
}

/*
 * Results.  Each becomes an outcome queued in memory and sent in order;
 * one that meets a dead link or an error reply stays queued and is sent
 * again, so a result is only ever dropped with a log line saying so.
 */
static struct outcome *
outcome_new(struct worker *w, enum outcome_kind kind, const char *queue,
    const char *id, const char *token, int attempt)
{
	struct outcome	*o = xcalloc(1, sizeof(*o));

	o->w = w;
	o->kind = kind;
	util_strlcpy(o->queue, queue, sizeof(o->queue));
	util_strlcpy(o->id, id, sizeof(o->id));
	util_strlcpy(o->token, token != NULL ? token : "", sizeof(o->token));
	o->attempt = attempt;
	o->now = util_wall_ms();
	TAILQ_INSERT_TAIL(&w->outcomes, o, entry);
	return o;
}

/* Decide done / retry / dead for one attempt, and queue it. */
static void
outcome_result(struct worker *w, const char *queue, const char *id,
    const char *token, int attempt, const struct retry_rule *rule,
    const struct dispatch_result *res)
{
	struct outcome			*o;
	enum outcome_kind		 kind;
	uint64_t			 now = util_wall_ms(), next_at = 0;

	if (res->status >= 200 && res->status <= 299 && res->error[0] == '\0')
		kind = OUT_ACK;
	else if (dispatch_error_permanent(res->error))
		kind = OUT_DEAD;
	else {
		next_at = retry_at(w, queue, attempt, rule, res, now);
		kind = next_at != 0 ? OUT_RETRY : OUT_DEAD;
	}
	o = outcome_new(w, kind, queue, id, token, attempt);
	o->now = now;
	o->status = (int)res->status;
	o->dur_ms = res->dur_ms;
	o->next_at = next_at;
	util_strlcpy(o->error, res->error, sizeof(o->error));
	if (kind == OUT_RETRY)
		due_add(w, queue, util_mono_ms() + (next_at > now ?
		    next_at - now : 0), 0);
	turn_end(w);
}

/*
 * When a failed attempt runs again (0: never): by the queue's Cloud
 * Tasks retryConfig, or else its [dispatch] policy.  A 429 or 503 with a
 * Retry-After puts it off further, never sooner, and cannot revive a
 * task the policy gave up on.
 */
static uint64_t
retry_at(struct worker *w, const char *queue, int attempt,
    const struct retry_rule *rule, const struct dispatch_result *res,
    uint64_t now)
{
	const struct conf_queue		*cq;
	const struct conf_dispatch	*p;
	uint64_t			 next_at, ra;

	if (rule != NULL && rule->ct)
		next_at = backoff_ct_next(&rule->pol, attempt, rule->first_at,
		    now);
	else {
		cq = conf_queue_find(w->conf, queue);
		p = cq != NULL ? &cq->dispatch : &w->conf->dispatch;
		if (attempt > p->max_retries)
			return 0;
		next_at = now + backoff_delay(TD_MAX(attempt, 1),
		    p->min_backoff_ms, p->max_backoff_ms, util_xorshift32,
		    &w->rnd);
	}
	if (next_at != 0 && (res->status == 429 || res->status == 503) &&
	    res->retry_after[0] != '\0' &&
	    retry_after_parse(res->retry_after, now, &ra) == 0)
		next_at = TD_MAX(next_at, now + ra);
	return next_at;
}

static void
outcome_free(struct outcome *o)
{
	TAILQ_REMOVE(&o->w->outcomes, o, entry);
	free(o);
}

/*
 * Send what is not sent yet: hand-backs one by one, results in batches of
 * one queue and kind (acks; retries and deaths).  While any batch is in
 * flight, new results gather in memory; the next wave goes once every
 * batch is answered, so the busier Redis is the bigger the batches.
 */
static void
outcomes_flush(struct worker *w)
{
	struct outcome	*o;

	if (w->closing || w->obatches > 0)
		return;
	TAILQ_FOREACH(o, &w->outcomes, entry) {
		if (o->sent)
			continue;
		if (outcome_batch(w, o) == -1)
			return;	/* down: on_store_state resends */
	}
}

/* Send o and the unsent outcomes after it that can share its call. */
static int
outcome_batch(struct worker *w, struct outcome *o)
{
	struct obatch	*b = xcalloc(1, sizeof(*b));
	struct outcome	*p;
	int		 i, ack = o->kind == OUT_ACK;

	b->w = w;
	b->o[b->n++] = o;
	for (p = TAILQ_NEXT(o, entry); p != NULL && b->n < OUT_BATCH_MAX &&
	    o->kind != OUT_HANDBACK; p = TAILQ_NEXT(p, entry))
		if (!p->sent && p->kind != OUT_HANDBACK &&
		    (p->kind == OUT_ACK) == ack &&
		    strcmp(p->queue, o->queue) == 0)
			b->o[b->n++] = p;
	for (i = 0; i < b->n; i++)
		b->o[i]->sent = 1;
	if (obatch_send(b) == -1) {
		for (i = 0; i < b->n; i++)
			b->o[i]->sent = 0;
		free(b);
		return -1;
	}
	w->obatches++;
	return 0;
}

static int
obatch_send(struct obatch *b)
{
	struct store_outcome	 so[OUT_BATCH_MAX];
	struct outcome		*o = b->o[0];
	struct store		*st = b->w->store;
	uint64_t		 now = 0;
	int			 i;

	if (o->kind == OUT_HANDBACK)
		return store_handback(st, o->queue, o->id,
		    o->token[0] != '\0' ? o->token : NULL, on_obatch, b);
	for (i = 0; i < b->n; i++) {
		o = b->o[i];
		so[i].id = o->id;
		so[i].token = o->token;
		so[i].next_at = o->kind == OUT_DEAD ? 0 : o->next_at;
		so[i].res.status = o->status;
		so[i].res.error = o->error;
		so[i].res.dur_ms = o->dur_ms;
		now = TD_MAX(now, o->now);
	}
	if (b->o[0]->kind == OUT_ACK)
		return store_ack(st, b->o[0]->queue, now, so, b->n, on_obatch,
		    b);
	return store_retry(st, b->o[0]->queue, now, so, b->n, on_obatch, b);
}

static void
on_obatch(struct store *st, struct redisReply *r, void *arg)
{
	struct obatch	*b = arg;
	struct worker	*w = b->w;
	const redisReply *e;
	int		 i;

	(void)st;
	if (w->closing) {
		free(b);	/* worker_teardown frees the outcomes */
		return;
	}
	w->obatches--;
	for (i = 0; i < b->n; i++)
		b->o[i]->sent = 0;
	if (r == NULL)
		/* The link dropped: resend when it is back. */
		kick_later(w, RETRY_MS);
	else if (r->type == REDIS_REPLY_ERROR) {
		for (i = 0; i < b->n; i++)
			outcome_failed(b->o[i], r->str);
		kick_later(w, RETRY_MS);
	} else
		for (i = 0; i < b->n; i++) {
			e = r->type == REDIS_REPLY_ARRAY &&
			    (size_t)i < r->elements ? r->element[i] :
			    b->n == 1 ? r : NULL;
			outcome_log(b->o[i], e != NULL &&
			    e->type == REDIS_REPLY_INTEGER && e->integer == 1);
			outcome_free(b->o[i]);
		}
	free(b);
	check_exit(w);
	outcomes_flush(w);
}

/* An error reply for o: try again later, or give up after a few. */
static void
outcome_failed(struct outcome *o, const char *err)
{
	log_warnx("recording a result: %s task=%s queue=%s", err, o->id,
	    o->queue);
	if (++o->errors < OUTCOME_TRIES)
		return;
	log_warnx("giving up on the result; the scheduler will recover the "
	    "task when its lease expires task=%s queue=%s", o->id, o->queue);
	outcome_free(o);
}

/* The task's fate, as recorded (ok) or refused for a lost lease. */
static void
outcome_log(const struct outcome *o, int ok)
{
	static const char *const	 what[] = {
		[OUT_ACK] = "task done",
		[OUT_RETRY] = "task retry",
		[OUT_DEAD] = "task dead",
		[OUT_HANDBACK] = "task handed back"
	};

	if (!ok && o->kind == OUT_HANDBACK) {
		log_info("hand-back not needed: the task is no longer ours "
		    "task=%s queue=%s", o->id, o->queue);
		return;
	}
	if (!ok) {
		log_warnx("result not recorded: the lease was lost meanwhile "
		    "(%s) task=%s queue=%s attempt=%d status=%d dur_ms=%llu",
		    what[o->kind], o->id, o->queue, o->attempt, o->status,
		    (unsigned long long)o->dur_ms);
		return;
	}
	if (o->kind == OUT_HANDBACK)
		log_info("%s task=%s queue=%s", what[o->kind], o->id,
		    o->queue);
	else if (o->kind == OUT_ACK)
		log_info("%s task=%s queue=%s status=%d attempts=%d "
		    "dur_ms=%llu", what[o->kind], o->id, o->queue, o->status,
		    o->attempt, (unsigned long long)o->dur_ms);
	else if (o->kind == OUT_DEAD)
		log_info("%s task=%s queue=%s status=%d attempts=%d "
		    "dur_ms=%llu error=\"%s\"", what[o->kind], o->id, o->queue,
		    o->status, o->attempt, (unsigned long long)o->dur_ms,
		    o->error);
	else
		log_info("%s task=%s queue=%s attempt=%d status=%d dur_ms=%llu "
		    "error=\"%s\"", what[o->kind], o->id, o->queue, o->attempt,
		    o->status, (unsigned long long)o->dur_ms, o->error);
}

