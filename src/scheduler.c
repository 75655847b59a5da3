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
 *
 * The queues are those of the table as it is now: qsync adds and drops the
 * ones created over the API.  Each queue's state is its own allocation,
 * found by name, so that a reply for a queue dropped meanwhile finds its
 * state still there; that state is freed when its last reply is in.
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
#include "qsync.h"
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
	char			 name[TD_NAME_MAX];
	int			 gone;	/* left the table: freed once idle */
	int			 promoting;
	int			 again;	/* once more after it */
	int			 sweeping;
	int			 trimming;
};

struct sched {
	struct proc_env		*env;
	struct conf		*conf;		/* ours: qsync changes it */
	struct evloop		*ev;
	struct store		*store;		/* commands */
	struct store		*wake;		/* SUBSCRIBE P:wake */
	struct qsync		*qsync;
	int			 sigfd;
	int			 quitting;
	int			 closing;
	struct squeue		**q;		/* the table's, in its order */
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
static void	on_queues(void *);
static void	sched_queues(struct sched *);
static struct squeue *squeue_take(struct sched *, const char *);
static int	squeue_done(struct squeue *);
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
	memset(sc, 0, sizeof(*sc));
	sc->env = env;
	sc->conf = env->conf;
	sc->ev = evloop_new();
	sched_queues(sc);
	sc->sigfd = ctl_watch(sc->ev, env->ctl_fd, sched_quit, sc);
	sc->store = store_new(sc->ev, sc->conf, "scheduler", on_store_state,
	    sc);
	sc->qsync = qsync_new(sc->ev, sc->store, sc->conf, on_queues, sc);
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
	int	i;

	/*
	 * Replies still pending come back NULL and see closing; those of
	 * queues dropped from the table free their state.
	 */
	sc->closing = 1;
	qsync_free(sc->qsync);
	sc->qsync = NULL;
	store_free(sc->store);
	store_free(sc->wake);
	close(sc->sigfd);
	evloop_free(sc->ev);
	for (i = 0; i < sc->nq; i++)
		free(sc->q[i]);
	free(sc->q);
}

/* The queue table changed (qsync). */
static void
on_queues(void *arg)
{
	struct sched	*sc = arg;

	if (!sc->closing)
		sched_queues(sc);
}

/*
 * Follow the table: a queue still there keeps its state (and the calls
 * it has in flight), a new one is promoted and swept at once, in case
 * its tasks fell due before we knew of it (a wake for it came and went),
 * and one no longer there is let go.
 */
static void
sched_queues(struct sched *sc)
{
	struct squeue	**q, *sq;
	int		  i, n = sc->conf->nqueues, fresh;

	q = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*q));
	for (i = 0; i < n; i++) {
		sq = squeue_take(sc, sc->conf->queues[i].name);
		if ((fresh = sq == NULL)) {
			sq = xcalloc(1, sizeof(*sq));
			sq->sc = sc;
			util_strlcpy(sq->name, sc->conf->queues[i].name,
			    sizeof(sq->name));
		}
		q[i] = sq;
		if (fresh && sc->store != NULL && store_is_up(sc->store)) {
			promote_queue(sq);
			sweep_queue(sq);
		}
	}
	/* What squeue_take left behind has left the table. */
	for (i = 0; i < sc->nq; i++)
		if (sc->q[i] != NULL) {
			sc->q[i]->gone = 1;
			(void)squeue_done(sc->q[i]);
		}
	free(sc->q);
	sc->q = q;
	sc->nq = n;
}

/* The state of queue name, taken out of the old array; NULL if none. */
static struct squeue *
squeue_take(struct sched *sc, const char *name)
{
	struct squeue	*sq;
	int		 i;

	for (i = 0; i < sc->nq; i++)
		if (sc->q[i] != NULL && strcmp(sc->q[i]->name, name) == 0) {
			sq = sc->q[i];
			sc->q[i] = NULL;
			return sq;
		}
	return NULL;
}

/*
 * After a reply: 1 when the queue has left the table (nothing more is to
 * be done for it), its state freed once no call is in flight.
 */
static int
squeue_done(struct squeue *q)
{
	if (!q->gone)
		return 0;
	if (!q->promoting && !q->sweeping && !q->trimming)
		free(q);
	return 1;
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
	qsync_kick(sc->qsync);
	promote_all(sc);
	for (i = 0; i < sc->nq; i++) {
		sweep_queue(sc->q[i]);
		trim_queue(sc->q[i]);
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
	/*
	 * The due time may be of a queue created a moment ago, that the
	 * table does not hold yet: when it falls before the next regular
	 * ask, ask now (a new queue is promoted at once).  qsync sends one
	 * ask at a time, so a burst of wakes costs a few SMEMBERS.
	 */
	if (due == 0 || due < util_wall_ms() + QSYNC_MS)
		qsync_kick(sc->qsync);
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
		promote_queue(sc->q[i]);
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
	if (store_promote(sc->store, q->name, util_wall_ms(),
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
	if (squeue_done(q) || sc->closing || r == NULL)
		return;
	if (reply_pair(q, "promote", r, &moved, &next) == -1) {
		due_arm(sc, util_wall_ms() + ERROR_RETRY_MS);
		return;
	}
	if (moved > 0)
		log_debug("promoted count=%lld queue=%s", moved, q->name);
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
		sweep_queue(sc->q[i]);
}

static void
sweep_queue(struct squeue *q)
{
	struct sched		*sc = q->sc;
	const struct conf_queue	*cq;

	if (q->sweeping || (cq = conf_queue_find(sc->conf, q->name)) == NULL)
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
	if (squeue_done(q) || q->sc->closing || r == NULL ||
	    reply_pair(q, "sweep", r, &expired, &next) == -1)
		return;
	if (expired == 0)
		return;
	log_info("leases expired count=%lld queue=%s", expired, q->name);
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
		trim_queue(sc->q[i]);
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
	if (store_trim(sc->store, q->name, done, dead, TRIM_LIMIT,
	    on_trim, q) == 0)
		q->trimming = 1;
}

static void
on_trim(struct store *st, struct redisReply *r, void *arg)
{
	struct squeue	*q = arg;

	(void)st;
	q->trimming = 0;
	if (squeue_done(q) || q->sc->closing || r == NULL)
		return;
	if (r->type != REDIS_REPLY_INTEGER) {
		log_warnx("trim: %s queue=%s", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply", q->name);
		return;
	}
	if (r->integer == 0)
		return;
	log_debug("trimmed count=%lld queue=%s", r->integer, q->name);
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
	    r->str : "unexpected reply", q->name);
	return -1;
}
