/*
 * dispatch.h: HTTP requests through libcurl's multi interface, driven by
 * an evloop (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION).  A task becomes one
 * easy handle; the request carries exactly the task's method, headers and
 * body (libcurl's own Accept, Expect and form Content-Type are removed),
 * plus what Cloud Tasks sends every HTTP target: User-Agent:
 * Google-Cloud-Tasks (replacing the task's) and the X-CloudTasks-* headers
 * (the task's own X-CloudTasks-* are dropped: the names are reserved).
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
	char		retry_after[64]; /* the response's Retry-After
					 * value, "" if none */
};

/*
 * What the X-CloudTasks-* headers say beyond the task itself (queue, ID,
 * attempts and eta come from struct task): the task hash's counters as
 * the claim returned them, so about the attempts before this one.
 */
struct dispatch_attempt {
	int		 execs;		/* responses other than 5xx */
	int		 last_status;	/* previous attempt's; 0: none */
	const char	*last_error;	/* previous attempt's; "" or NULL */
};

typedef void dispatch_done_cb(struct dispatch_req *,
    const struct dispatch_result *, void *arg);

/* concurrency: requests the caller runs at once, for the connection
 * cache's size. */
struct dispatch	*dispatch_new(struct evloop *, int concurrency);
void		 dispatch_free(struct dispatch *);	/* cancels all */
/*
 * Start; done is called exactly once, from the loop, unless cancelled.
 * a may be NULL (all counters 0).
 */
struct dispatch_req *dispatch_start(struct dispatch *, const struct task *,
		    const struct dispatch_attempt *, uint64_t timeout_ms,
		    dispatch_done_cb *, void *arg);
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
/*
 * Pure: the header lines of t's request in libcurl's CURLOPT_HTTPHEADER
 * syntax ("Name: value"; "Name;" sends an empty value; "Name:" stops
 * libcurl adding its own), NULL-terminated and malloc'd.  a may be NULL.
 */
char		**dispatch_headers(const struct task *,
		    const struct dispatch_attempt *);
void		 dispatch_headers_free(char **);
/* Is error (a dispatch_result's) one that no retry can cure? */
int		 dispatch_error_permanent(const char *);

#endif
