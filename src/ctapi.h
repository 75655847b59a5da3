/*
 * ctapi.h: the Cloud Tasks v2 REST handlers (/v2/projects/P/locations/L/
 * queues/...), behind api.c, as admin.h is for the /v1 operator API.
 */
#ifndef TD_CTAPI_H
#define TD_CTAPI_H

#include "api.h"
#include "conf.h"
#include "ctroute.h"
#include "http.h"
#include "store.h"

struct ctapi;
struct ctapi_op;

/* conf and store must outlive the ctapi. */
struct ctapi	*ctapi_new(const struct conf *, struct store *);
void		 ctapi_free(struct ctapi *);

/* As admin_handle(): done exactly once unless cancelled. */
struct ctapi_op	*ctapi_handle(struct ctapi *, const struct ct_match *,
		    const struct http_request *, api_done_fn *done,
		    void *conn);
void		 ctapi_cancel(struct ctapi_op *);

#endif
