/*
 * qsync.h: keep a process's queue table in step with the queues created
 * over the API.  Those live in Redis (the set P:queues); every process
 * that needs the table (listener, workers, scheduler) asks once a second
 * and on every reconnect, and conf_queue_sync() adds the new ones to its
 * struct conf and drops the deleted ones.  Queues of the configuration
 * file are never dropped.
 */
#ifndef TD_QSYNC_H
#define TD_QSYNC_H

#include "conf.h"
#include "evloop.h"
#include "store.h"

#define QSYNC_MS	1000	/* between asks */

struct qsync;

/* Called after the queue table of conf changed (not when it did not). */
typedef void qsync_fn(void *arg);

/* conf is the process's own copy: the table is changed in place.  The
 * first ask goes out at once if the store is up. */
struct qsync	*qsync_new(struct evloop *, struct store *, struct conf *,
		    qsync_fn *, void *);
/* Ask now (the store just came up, or a queue was just created). */
void		 qsync_kick(struct qsync *);
/*
 * As qsync_kick, and call done(arg) once, when the answer to an ask sent
 * after this call has been applied (changed or not; an error reply
 * counts too).  A reply lost with the link does not: the ask on the next
 * link does.  The listener says it is ready only then, so that its first
 * requests already see the API's queues.  A second call replaces the
 * first one's done; qsync_free drops it uncalled.
 */
void		 qsync_kick_then(struct qsync *, qsync_fn *done, void *arg);
void		 qsync_free(struct qsync *);

#endif
