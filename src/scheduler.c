/*
 * scheduler.c: the scheduler role.  One loop that
 *  - makes delayed and retry tasks pending when they fall due.  It keeps
 *    the earliest due time any queue reported and sleeps on one timer set
 *    exactly for it; a PUBLISH on P:wake (a delayed enqueue, a retry)
 *    brings that timer forward.  There is no periodic poll: after a
 *    (re)connect or a re-subscribe, when messages may have been missed,
 *    every queue is promoted once and reports its next due time again;
 *  - sweeps every queue's leases each second, so a task whose worker died
 *    is retried about a second after its lease ran out;
 *  - trims done and dead tasks past their retention each minute.
 * Every step is one script on one queue, so several schedulers (several
 * hosts) may run at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis.h>

#include "conf.h"
#include "ctl.h"
#include "evloop.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "util.h"

#define PROMOTE_LIMIT	1000	/* IDs per promote call */
#define SWEEP_LIMIT	1000	/* expired leases per sweep call */
#define TRIM_LIMIT	1000	/* IDs per set per trim call */
#define SWEEP_MS	1000
#define TRIM_MS		60000
#define ERROR_RETRY_MS	1000	/* after an error reply */

struct sched;

/* A queue's calls in flight (one of each at a time). */
struct squeue {
	struct sched		*sc;
	const struct conf_queue	*cq;
	int			 promoting;
	int			 again;	/* once more after it */
	int			 sweeping;
	int			 trimming;
};

struct sched {
	struct proc_env		*env;
	const struct conf	*conf;
	struct evloop		*ev;
	struct store		*store;		/* commands */
	struct store		*wake;		/* SUBSCRIBE P:wake */
	int			 sigfd;
	int			 quitting;
	int			 closing;
	struct squeue		*q;
	int			 nq;
	uint64_t		 due_timer;
	uint64_t		 due_at;	/* wall ms due_timer fires at */
	uint64_t		 sweep_timer;
	uint64_t		 trim_timer;
};

static void	sched_setup(struct sched *, struct proc_env *);
static void	sched_teardown(struct sched *);
static void	sched_quit(void *, const char *);
static void	on_store_state(struct store *, int, void *);
static void	on_wake(struct store *, struct redisReply *, void *);
static void	due_arm(struct sched *, uint64_t);
static void	on_due(struct evloop *, void *);
static void	promote_all(struct sched *);
static void	promote_queue(struct squeue *);
static void	on_promote(struct store *, struct redisReply *, void *);
static void	on_sweep_tick(struct evloop *, void *);
static void	sweep_queue(struct squeue *);
static void	on_sweep(struct store *, struct redisReply *, void *);
static void	on_trim_tick(struct evloop *, void *);
static void	trim_queue(struct squeue *);
static void	on_trim(struct store *, struct redisReply *, void *);
static int	reply_pair(const struct squeue *, const char *,
		    const struct redisReply *, long long *, long long *);

int
scheduler_main(struct proc_env *env)
{
	struct sched	sc;

	sched_setup(&sc, env);
	/* Ready with the command link; "scheduler-wake" follows it. */
	ctl_ready_wait(sc.ev, env->ctl_fd, env->gen, CTL_READY_WAIT_MS(sc.conf),
	    NULL, NULL);
	log_info("scheduler started queues=%d", sc.nq);
	if (evloop_run(sc.ev) == -1)
		fatalx("event loop failed");
	sched_teardown(&sc);
	return TD_EXIT_OK;
}

static void
sched_setup(struct sched *sc, struct proc_env *env)
{
	int	i;

	memset(sc, 0, sizeof(*sc));
	sc->env = env;
	sc->conf = env->conf;
	sc->ev = evloop_new();
	sc->nq = sc->conf->nqueues;
	sc->q = xcalloc(sc->nq > 0 ? sc->nq : 1, sizeof(*sc->q));
	for (i = 0; i < sc->nq; i++) {
		sc->q[i].sc = sc;
		sc->q[i].cq = &sc->conf->queues[i];
	}
	sc->sigfd = ctl_watch(sc->ev, env->ctl_fd, sched_quit, sc);
	sc->store = store_new(sc->ev, sc->conf, "scheduler", on_store_state,
	    sc);
	sc->wake = store_new(sc->ev, sc->conf, "scheduler-wake", NULL, sc);
	(void)store_subscribe_wake(sc->wake, on_wake, sc);
	store_connect(sc->store);
	store_connect(sc->wake);
	sc->sweep_timer = evloop_timer_add(sc->ev, SWEEP_MS, on_sweep_tick,
	    sc);
	sc->trim_timer = evloop_timer_add(sc->ev, TRIM_MS, on_trim_tick, sc);
}

static void
sched_teardown(struct sched *sc)
{
	/* Replies still pending come back NULL and see closing. */
	sc->closing = 1;
	store_free(sc->store);
	store_free(sc->wake);
	close(sc->sigfd);
	evloop_free(sc->ev);
	free(sc->q);
}

/* The scheduler holds no work of its own: it can go at once. */
static void
sched_quit(void *arg, const char *why)
{
	struct sched	*sc = arg;

	if (sc->quitting)
		return;
	sc->quitting = 1;
	log_info("quitting: %s", why);
	evloop_stop(sc->ev);
}

/* (Re)connected: whatever fell due meanwhile is promoted now. */
static void
on_store_state(struct store *st, int up, void *arg)
{
	struct sched	*sc = arg;
	int		 i;

	(void)st;
	if (sc->closing)
		return;
	ctl_redis_state(up);
	if (!up)
		return;
	promote_all(sc);
	for (i = 0; i < sc->nq; i++) {
		sweep_queue(&sc->q[i]);
		trim_queue(&sc->q[i]);
	}
}

/*
 * A due time from P:wake.  "0" comes after every (re)subscribe: messages
 * may have been lost, so every queue is asked again.
 */
static void
on_wake(struct store *st, struct redisReply *r, void *arg)
{
	struct sched	*sc = arg;
	uint64_t	 due;
	char		*end;

	(void)st;
	if (sc->closing || r == NULL || r->type != REDIS_REPLY_STRING)
		return;
	errno = 0;
	due = strtoull(r->str, &end, 10);
	if (errno != 0 || end == r->str || *end != '\0') {
		log_warnx("wake: not a due time; ignored");
		return;
	}
	if (due == 0)
		promote_all(sc);
	else
		due_arm(sc, due);
}

/*
 * The one due timer: only ever brought forward.  Firing early costs a
 * promote round that finds nothing, and each reply re-arms it for its
 * queue's next due time.
 */
static void
due_arm(struct sched *sc, uint64_t at)
{
	uint64_t	now;

	if (sc->closing || (sc->due_timer != 0 && at >= sc->due_at))
		return;
	evloop_timer_del(sc->ev, sc->due_timer);
	now = util_wall_ms();
	sc->due_at = at;
	sc->due_timer = evloop_timer_add(sc->ev, at > now ? at - now : 0,
	    on_due, sc);
}

static void
on_due(struct evloop *ev, void *arg)
{
	struct sched	*sc = arg;

	(void)ev;
	sc->due_timer = 0;
	sc->due_at = 0;
	promote_all(sc);
}

static void
promote_all(struct sched *sc)
{
	int	i;

	for (i = 0; i < sc->nq; i++)
		promote_queue(&sc->q[i]);
}

static void
promote_queue(struct squeue *q)
{
	struct sched	*sc = q->sc;

	if (q->promoting) {
		/* The reply may predate what woke us: ask once more. */
		q->again = 1;
		return;
	}
	q->again = 0;
	/* Down: on_store_state promotes everything when it is back. */
	if (store_promote(sc->store, q->cq->name, util_wall_ms(),
	    PROMOTE_LIMIT, on_promote, q) == 0)
		q->promoting = 1;
}

static void
on_promote(struct store *st, struct redisReply *r, void *arg)
{
	struct squeue	*q = arg;
	struct sched	*sc = q->sc;
	long long	 moved, next;

	(void)st;
	q->promoting = 0;
	if (sc->closing || r == NULL)
		return;
	if (reply_pair(q, "promote", r, &moved, &next) == -1) {
		due_arm(sc, util_wall_ms() + ERROR_RETRY_MS);
		return;
	}
	if (moved > 0)
		log_debug("promoted count=%lld queue=%s", moved, q->cq->name);
	if (q->again || moved >= PROMOTE_LIMIT ||
	    (next >= 0 && (uint64_t)next <= util_wall_ms()))
		promote_queue(q);
	else if (next >= 0)
		due_arm(sc, (uint64_t)next);
}

static void
on_sweep_tick(struct evloop *ev, void *arg)
{
	struct sched	*sc = arg;
	int		 i;

	sc->sweep_timer = evloop_timer_add(ev, SWEEP_MS, on_sweep_tick, sc);
	for (i = 0; i < sc->nq; i++)
		sweep_queue(&sc->q[i]);
}

static void
sweep_queue(struct squeue *q)
{
	struct sched		*sc = q->sc;
	const struct conf_queue	*cq = q->cq;

	if (q->sweeping)
		return;
	if (store_sweep(sc->store, cq->name, util_wall_ms(),
	    sc->conf->lease_ms, cq->dispatch.max_retries, SWEEP_LIMIT,
	    on_sweep, q) == 0)
		q->sweeping = 1;
}

static void
on_sweep(struct store *st, struct redisReply *r, void *arg)
{
	struct squeue	*q = arg;
	long long	 expired, next;

	(void)st;
	q->sweeping = 0;
	if (q->sc->closing || r == NULL ||
	    reply_pair(q, "sweep", r, &expired, &next) == -1)
		return;
	if (expired == 0)
		return;
	log_info("leases expired count=%lld queue=%s", expired, q->cq->name);
	/* They wait in retry, due now. */
	promote_queue(q);
	if (expired >= SWEEP_LIMIT)
		sweep_queue(q);
}

static void
on_trim_tick(struct evloop *ev, void *arg)
{
	struct sched	*sc = arg;
	int		 i;

	sc->trim_timer = evloop_timer_add(ev, TRIM_MS, on_trim_tick, sc);
	for (i = 0; i < sc->nq; i++)
		trim_queue(&sc->q[i]);
}

static void
trim_queue(struct squeue *q)
{
	struct sched	*sc = q->sc;
	uint64_t	 now = util_wall_ms(), done, dead;

	if (q->trimming)
		return;
	done = now > sc->conf->done_retention_ms ?
	    now - sc->conf->done_retention_ms : 0;
	dead = now > sc->conf->dead_retention_ms ?
	    now - sc->conf->dead_retention_ms : 0;
	if (store_trim(sc->store, q->cq->name, done, dead, TRIM_LIMIT,
	    on_trim, q) == 0)
		q->trimming = 1;
}

static void
on_trim(struct store *st, struct redisReply *r, void *arg)
{
	struct squeue	*q = arg;

	(void)st;
	q->trimming = 0;
	if (q->sc->closing || r == NULL)
		return;
	if (r->type != REDIS_REPLY_INTEGER) {
		log_warnx("trim: %s queue=%s", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply", q->cq->name);
		return;
	}
	if (r->integer == 0)
		return;
	log_debug("trimmed count=%lld queue=%s", r->integer, q->cq->name);
	if (r->integer >= TRIM_LIMIT)
		trim_queue(q);
}

/* A [count, time] reply; -1 (logged) for an error or anything else. */
static int
reply_pair(const struct squeue *q, const char *what,
    const struct redisReply *r, long long *a, long long *b)
{
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_INTEGER) {
		*a = r->element[0]->integer;
		*b = r->element[1]->integer;
		return 0;
	}
	log_warnx("%s: %s queue=%s", what, r->type == REDIS_REPLY_ERROR ?
	    r->str : "unexpected reply", q->cq->name);
	return -1;
}
