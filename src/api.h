/*
 * api.h: the request handlers behind the listener.  A parsed request goes
 * in; the answer (status, JSON body, extra header lines) comes back through
 * a callback, at once when no Redis round trip is needed (404, 405, a bad
 * body, Redis down) or later from the event loop when the store replies.
 *
 * The connection that asked may be gone before the store replies: the
 * listener then cancels the request with api_cancel(), and its callback
 * is never called.  The store's reply, when it comes, is dropped.
 */
#ifndef TD_API_H
#define TD_API_H

#include <stddef.h>

#include "conf.h"
#include "http.h"
#include "store.h"

struct api;
struct api_req;

/*
 * The answer.  body is of len bytes, its Content-Type ctype, or JSON
 * (application/json) when ctype is NULL; extra is NULL or "Name:
 * value\r\n" lines (Allow with a 405).  All are valid only for the
 * duration of the call.  The answer is the same for HEAD and GET: not
 * sending the body of a HEAD answer is the caller's business.
 */
typedef void api_done_fn(void *conn, int status, const char *ctype,
    const char *body, size_t len, const char *extra);

/* conf (queues, max_body) and store must outlive the api. */
struct api	*api_new(const struct conf *, struct store *);
/*
 * Free the api.  Requests still waiting for the store must have been
 * cancelled and the store freed first (which answers them with NULL), or
 * must still be waited for: their memory is theirs, not the api's.
 */
void		 api_free(struct api *);

/*
 * Handle req.  done is called exactly once, unless the request is
 * cancelled first: either before api_handle() returns, which then returns
 * NULL, or later from the event loop, in which case the returned handle
 * stays valid until done is called or api_cancel() is.  req need not
 * outlive the call: what the answer needs is copied.
 */
struct api_req	*api_handle(struct api *, const struct http_request *,
		    api_done_fn *done, void *conn);
/* Forget a pending request: done will not be called.  NULL is ignored. */
void		 api_cancel(struct api_req *);
/* Answer code with route.h's JSON error body, now. */
void		 api_error(api_done_fn *done, void *conn, int code,
		    const char *msg, const char *extra);
/*
 * "Authorization: Bearer <t>": *tok and *len, or 0 when there is none.
 * Anything after the token makes it a wrong one (*len 0).
 */
int		 api_bearer(const struct http_request *, const char **tok,
		    size_t *len);
/* Which of the API tokens tok (len bytes) is, in constant time; or -1. */
int		 api_token_find(const struct conf *, const char *tok,
		    size_t len);
/* Requests waiting for the store and not cancelled. */
int		 api_pending(const struct api *);
/*
 * As api_handle(), for a request the dashboard has let in already: no
 * bearer-token check.  Only the /v1/ routes are served.
 */
struct api_req	*api_handle_trusted(struct api *, const struct http_request *,
		    api_done_fn *done, void *conn);

#endif
