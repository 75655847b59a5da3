/*
 * admin.h: the operator API under /v1/ (queues, tasks, stats) and GET
 * /metrics, behind api.c.  The contract is the README's "Operator API":
 * JSON bodies, one error shape, RFC 3339 times.  Every change of state is
 * one script call (bulk ones in batches); reads cost Redis O(queues), or
 * O(page) for a task listing, never O(tasks).
 */
#ifndef TD_ADMIN_H
#define TD_ADMIN_H

#include "api.h"
#include "conf.h"
#include "http.h"
#include "route.h"
#include "store.h"

struct admin;
struct admin_op;

/* conf and store must outlive the admin. */
struct admin	*admin_new(const struct conf *, struct store *);
void		 admin_free(struct admin *);

/*
 * Handle a request route_match() sent here (m).  done is called exactly
 * once unless the op is cancelled first: before admin_handle() returns
 * (which then returns NULL), or later from the event loop.
 */
struct admin_op	*admin_handle(struct admin *, const struct route_match *,
		    const struct http_request *, api_done_fn *done,
		    void *conn);
/* done will not be called; the op frees itself once Redis has answered. */
void		 admin_cancel(struct admin_op *);

#endif
