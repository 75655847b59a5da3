/*
 * dispatch.h: HTTP requests through libcurl's multi interface, driven by
 * an evloop (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION).  A task becomes one
 * easy handle; the request carries exactly the task's method, headers and
 * body (libcurl's own Accept, Expect and form Content-Type are removed).
 * Redirects are not followed.  Connections are reused between tasks.
 *
 * The target policy (allow_targets, deny_targets) is applied to the URL's
 * host name before a request starts and to every address curl is about
 * to connect to (CURLOPT_OPENSOCKETFUNCTION), so a name that resolves to
 * a refused address does not get through.  A refusal fails the request
 * with an error starting with DISPATCH_REFUSED; retrying cannot help.
 */
#ifndef TD_DISPATCH_H
#define TD_DISPATCH_H

#include <stdint.h>

#include "evloop.h"
#include "netpolicy.h"
#include "task.h"

#define DISPATCH_REFUSED	"target refused by policy"

struct dispatch;
struct dispatch_req;

struct dispatch_result {
	long		status;		/* HTTP status; 0 if no response */
	char		error[256];	/* "" on 2xx; else why it failed,
					 * e.g. "HTTP 503", "timeout after
					 * 30000 ms", "connection refused" */
	uint64_t	dur_ms;
};

typedef void dispatch_done_cb(struct dispatch_req *,
    const struct dispatch_result *, void *arg);

struct dispatch	*dispatch_new(struct evloop *);
void		 dispatch_free(struct dispatch *);	/* cancels all */
/* Start; done is called exactly once, from the loop, unless cancelled. */
struct dispatch_req *dispatch_start(struct dispatch *, const struct task *,
		    uint64_t timeout_ms, dispatch_done_cb *, void *arg);
/* Abort a request in flight; its callback is not called. */
void		 dispatch_cancel(struct dispatch_req *);
int		 dispatch_inflight(const struct dispatch *);
/*
 * The process's target policy; the lists must outlive every dispatch.
 * Set once in a worker before its first request (proc.c).  Unset: any
 * target may be reached.
 */
void		 dispatch_set_policy(const struct netpolicy_list *allow,
		    const struct netpolicy_list *deny);
/* Is error (a dispatch_result's) one that no retry can cure? */
int		 dispatch_error_permanent(const char *);

#endif
