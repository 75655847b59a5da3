/*
 * dash.h: the web dashboard's server side, on its own socket ([dashboard]
 * listen) in the listener.  The built-in files, login and sessions, and
 * the operator API forwarded from base_path + "api/v1/" to api.c with
 * secret header values masked.  The answer comes back through the same
 * callback api_handle() uses, at once or later from the event loop.
 */
#ifndef TD_DASH_H
#define TD_DASH_H

#include <stddef.h>

#include "api.h"
#include "conf.h"
#include "http.h"

struct dash;
struct dash_req;

/* A built-in file (dash_assets.c, made by build-aux/embed-assets). */
struct dash_asset {
	const char		*name;		/* "app.js" */
	const char		*ctype;		/* Content-Type */
	const unsigned char	*data;
	size_t			 len;
	const char		*etag;		/* quoted: "\"1a2b-123\"" */
};

extern const struct dash_asset	dash_assets[];
extern const size_t		dash_nassets;

/*
 * Draw the session key.  The master calls it once, before the first
 * fork: every listener of every generation inherits the same key, so a
 * reload keeps everyone logged in and a new master logs everyone out.
 */
void		 dash_key_init(void);
/*
 * Forget it: workers and the scheduler never check a session, so a
 * compromised one of them should not be able to mint cookies.
 */
void		 dash_key_forget(void);

/* conf and api must outlive the dash. */
struct dash	*dash_new(const struct conf *, struct api *);
void		 dash_free(struct dash *);

/*
 * Handle req from the dashboard connection on fd (its peer is named in
 * the log when a login fails).  As api_handle(): done is called exactly
 * once unless the request is cancelled; NULL when it was called already.
 */
struct dash_req	*dash_handle(struct dash *, const struct http_request *,
		    int fd, api_done_fn *done, void *conn);
/* Forget a pending request: done will not be called.  NULL is ignored. */
void		 dash_cancel(struct dash_req *);

#endif
