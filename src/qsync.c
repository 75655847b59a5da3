/*
 * qsync.c: the queues created over the API, followed.  A process asks
 * Redis for the set P:queues once a second (SMEMBERS: a few hundred short
 * names at most) and whenever it is kicked, and conf_queue_sync() makes
 * its queue table match.  A poll rather than pub/sub: a missed message
 * would leave a process without a queue for good, while a poll heals by
 * itself after a lost link, a restarted Redis or a key deleted by hand,
 * and one small read a second per process costs Redis next to nothing.
 *
 * At most one ask is in flight.  It lives apart from the qsync: when the
 * qsync is freed first, the ask is only told so, and frees itself when
 * its reply (or the store's NULL on teardown) comes back.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "conf.h"
#include "evloop.h"
#include "log.h"
#include "qsync.h"
#include "store.h"
#include "util.h"


struct qsync_ask;

struct qsync {
	struct evloop		*ev;
	struct store		*st;
	struct conf		*conf;
	qsync_fn		*fn;
	void			*arg;
	uint64_t		 timer;
	struct qsync_ask	*ask;		/* in flight, or NULL */
	int			 again;		/* kicked meanwhile: ask anew */
	qsync_fn		*done;		/* qsync_kick_then's, or NULL */
	void			*done_arg;
	int			 warned;	/* an error reply was logged */
	size_t			 refused;	/* names last left out */
};

struct qsync_ask {
	struct qsync	*qs;		/* NULL: the qsync is gone */
	int		 notify;	/* sent after qsync_kick_then */
};

static void	qsync_ask(struct qsync *);
static void	on_tick(struct evloop *, void *);
static void	on_reply(struct store *, struct redisReply *, void *);
static int	qsync_apply(struct qsync *, const struct redisReply *);

struct qsync *
qsync_new(struct evloop *ev, struct store *st, struct conf *conf,
    qsync_fn *fn, void *arg)
{
	struct qsync	*qs = xcalloc(1, sizeof(*qs));

	qs->ev = ev;
	qs->st = st;
	qs->conf = conf;
	qs->fn = fn;
	qs->arg = arg;
	qs->timer = evloop_timer_add(ev, QSYNC_MS, on_tick, qs);
	qsync_ask(qs);
	return qs;
}

void
qsync_kick(struct qsync *qs)
{
	if (qs == NULL)
		return;
	/* The reply in flight may predate what the kick is about. */
	if (qs->ask != NULL)
		qs->again = 1;
	else
		qsync_ask(qs);
}

void
qsync_kick_then(struct qsync *qs, qsync_fn *done, void *arg)
{
	if (qs == NULL)
		return;
	qs->done = done;
	qs->done_arg = arg;
	qsync_kick(qs);
}

void
qsync_free(struct qsync *qs)
{
	if (qs == NULL)
		return;
	evloop_timer_del(qs->ev, qs->timer);
	if (qs->ask != NULL)
		qs->ask->qs = NULL;
	free(qs);
}

/* Down: nothing is sent; the tick, or the owner's kick on up, asks. */
static void
qsync_ask(struct qsync *qs)
{
	struct qsync_ask	*ask;

	if (qs->ask != NULL || !store_is_up(qs->st))
		return;
	ask = xcalloc(1, sizeof(*ask));
	ask->qs = qs;
	ask->notify = qs->done != NULL;
	if (store_queues(qs->st, on_reply, ask) == -1) {
		free(ask);
		return;
	}
	qs->ask = ask;
	qs->again = 0;
}

static void
on_tick(struct evloop *ev, void *arg)
{
	struct qsync	*qs = arg;

	qs->timer = evloop_timer_add(ev, QSYNC_MS, on_tick, qs);
	qsync_ask(qs);
}

static void
on_reply(struct store *st, struct redisReply *r, void *arg)
{
	struct qsync_ask	*ask = arg;
	struct qsync		*qs = ask->qs;
	qsync_fn		*done = NULL;
	void			*done_arg = NULL;
	int			 notify = ask->notify, changed = 0;

	(void)st;
	free(ask);
	if (qs == NULL)
		return;
	qs->ask = NULL;
	/* NULL: the link is lost; asked again once it is back. */
	if (r == NULL)
		return;
	if (qs->again)
		qsync_ask(qs);
	if (r->type != REDIS_REPLY_ARRAY) {
		if (!qs->warned)
			log_warnx("queues: %s", r->type == REDIS_REPLY_ERROR ?
			    r->str : "unexpected reply to SMEMBERS");
		qs->warned = 1;
	} else {
		qs->warned = 0;
		changed = qsync_apply(qs, r);
	}
	if (notify) {
		done = qs->done;
		done_arg = qs->done_arg;
		qs->done = NULL;
	}
	/* The hooks come last and touch nothing of ours: they may free us. */
	if (changed && qs->fn != NULL)
		qs->fn(qs->arg);
	if (done != NULL)
		done(done_arg);
}

/*
 * The members as C strings (one with a NUL byte inside is no queue name
 * and is left out), then the table.  1 when it changed.
 */
static int
qsync_apply(struct qsync *qs, const struct redisReply *r)
{
	const struct redisReply	 *e;
	const char		**names;
	size_t			  i, refused = 0;
	int			  changed;

	names = xcalloc(r->elements > 0 ? r->elements : 1, sizeof(*names));
	for (i = 0; i < r->elements; i++) {
		e = r->element[i];
		if (e->type == REDIS_REPLY_STRING && strlen(e->str) == e->len)
			names[i] = e->str;
	}
	changed = conf_queue_sync(qs->conf, names, r->elements);
	for (i = 0; i < r->elements; i++)
		if (names[i] == NULL ||
		    conf_queue_find(qs->conf, names[i]) == NULL)
			refused++;
	free(names);
	/* Said once per change of the count, not every second. */
	if (refused != qs->refused && refused > 0)
		log_warnx("queues: %zu of the set of API queues not served "
		    "(an invalid name, or more than %d queues in all)",
		    refused, TD_QUEUE_MAX);
	qs->refused = refused;
	if (changed)
		log_debug("queues changed count=%d", qs->conf->nqueues);
	return changed;
}
