/*
 * dispatch.c: HTTP requests through libcurl's multi interface.  curl tells
 * us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when it next
 * wants to be woken (CURLMOPT_TIMERFUNCTION); both become evloop entries,
 * and every event is handed back with curl_multi_socket_action(), after
 * which finished transfers are collected with curl_multi_info_read().
 *
 * One easy handle per request; the multi handle lives as long as the
 * process, so its connection cache keeps connections to targets open
 * between tasks.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <curl/curl.h>

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dispatch.h"
#include "log.h"
#include "util.h"

/* Idle connections kept per process for reuse, at least. */
#define DISPATCH_MAXCONNECTS	32
/* Connecting may take this long at most (the total limit still applies). */
#define DISPATCH_CONNECT_MS	10000

struct dispatch_req {
	TAILQ_ENTRY(dispatch_req) entry;
	struct dispatch		*d;
	CURL			*easy;		/* NULL: setup failed */
	struct curl_slist	*hdrs;
	uint64_t		 timeout_ms;
	uint64_t		 started;	/* monotonic ms */
	uint64_t		 fail_timer;	/* setup failure report */
	size_t			 received;	/* body bytes */
	dispatch_done_cb	*cb;
	void			*arg;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 host[TD_NETHOST_MAX];	/* of the URL */
	char			 refused[64];	/* an address we refused */
	int			 opened;	/* sockets allowed */
	char			 retry_after[64]; /* of the response */
};

TAILQ_HEAD(dispatch_reqs, dispatch_req);

struct dispatch {
	struct evloop		*ev;
	CURLM			*multi;
	uint64_t		 timer;		/* curl's timeout or 0 */
	struct dispatch_reqs	 reqs;
	int			 inflight;
	/*
	 * Easy handles of finished requests, reset, for the next ones: a
	 * fresh handle costs more than the request it makes to a fast
	 * target.  At most one per slot.
	 */
	CURL			**spare;
	int			  nspare, maxspare;
};

static int	on_curl_socket(CURL *, curl_socket_t, int, void *, void *);
static int	on_curl_timer(CURLM *, long, void *);
static void	on_sock(struct evloop *, int, int, void *);
static void	on_timer(struct evloop *, void *);
static void	on_fail_timer(struct evloop *, void *);
static void	collect_done(struct dispatch *);
static void	finish(struct dispatch_req *, CURLcode);
static void	req_detach(struct dispatch_req *);
static void	req_free(struct dispatch_req *);
static int	req_setup(struct dispatch_req *, const struct task *,
		    const struct dispatch_attempt *);
static int	req_setup_body(struct dispatch_req *, const struct task *);
static int	req_setup_headers(struct dispatch_req *, const struct task *,
		    const struct dispatch_attempt *);
static int	task_has_header(const struct task *, const char *);
static int	header_reserved(const char *);
/*
 * Where header lines go: a NULL-terminated array (dispatch_headers) or
 * straight into a request's curl_slist, which copies each line, so that
 * a request's headers are built without a second copy of each.
 */
struct hdr_out {
	char			**v;
	size_t			  n, cap;
	struct curl_slist	 *sl;
	int			  to_slist;
	int			  failed;
};

static void	headers_build(struct hdr_out *, const struct task *,
		    const struct dispatch_attempt *);
static void	hdr_put(struct hdr_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	hdr_clean(char *, size_t, const char *);
static size_t	on_body(char *, size_t, size_t, void *);
static size_t	on_header(char *, size_t, size_t, void *);
static void	describe_error(struct dispatch_req *, CURLcode, long,
		    struct dispatch_result *);
static curl_socket_t on_open_socket(void *, curlsocktype,
		    struct curl_sockaddr *);

/* The policy of this process (a worker has one conf for its lifetime). */
static const struct netpolicy_list	*policy_allow, *policy_deny;

void
dispatch_set_policy(const struct netpolicy_list *allow,
    const struct netpolicy_list *deny)
{
	policy_allow = allow;
	policy_deny = deny;
}

int
dispatch_error_permanent(const char *error)
{
	return error != NULL && strncmp(error, DISPATCH_REFUSED,
	    sizeof(DISPATCH_REFUSED) - 1) == 0;
}

struct dispatch *
dispatch_new(struct evloop *ev, int concurrency)
{
	static int	 inited;
	struct dispatch	*d;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatalx("curl_global_init failed");
		inited = 1;
	}
	d = xcalloc(1, sizeof(*d));
	d->ev = ev;
	TAILQ_INIT(&d->reqs);
	d->maxspare = TD_MAX(concurrency, 1);
	d->spare = xcalloc((size_t)d->maxspare, sizeof(*d->spare));
	if ((d->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
	/* Room for a connection per slot: with fewer, a worker running
	 * more requests than that at a fast target closes one and opens
	 * another for nearly every task. */
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS,
	    (long)TD_MAX(concurrency, DISPATCH_MAXCONNECTS));
	return d;
}

void
dispatch_free(struct dispatch *d)
{
	struct dispatch_req	*r;

	if (d == NULL)
		return;
	while ((r = TAILQ_FIRST(&d->reqs)) != NULL)
		dispatch_cancel(r);
	while (d->nspare > 0)
		curl_easy_cleanup(d->spare[--d->nspare]);
	free(d->spare);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, NULL);
	evloop_timer_del(d->ev, d->timer);
	d->timer = 0;
	/* Closes the cached connections; their sockets leave the loop
	 * through on_curl_socket(CURL_POLL_REMOVE). */
	curl_multi_cleanup(d->multi);
	free(d);
}

int
dispatch_inflight(const struct dispatch *d)
{
	return d->inflight;
}

struct dispatch_req *
dispatch_start(struct dispatch *d, const struct task *t,
    const struct dispatch_attempt *a, uint64_t timeout_ms,
    dispatch_done_cb *cb, void *arg)
{
	struct dispatch_req	*r = xcalloc(1, sizeof(*r));
	CURLMcode		 mc;

	r->d = d;
	r->cb = cb;
	r->arg = arg;
	r->timeout_ms = timeout_ms;
	r->started = util_mono_ms();
	TAILQ_INSERT_TAIL(&d->reqs, r, entry);
	d->inflight++;

	if (d->nspare > 0)
		r->easy = d->spare[--d->nspare];
	else if ((r->easy = curl_easy_init()) == NULL) {
		util_strlcpy(r->errbuf, "curl_easy_init failed",
		    sizeof(r->errbuf));
		goto fail;
	}
	if (req_setup(r, t, a) == -1)
		goto fail;
	if ((mc = curl_multi_add_handle(d->multi, r->easy)) != CURLM_OK) {
		util_strlcpy(r->errbuf, curl_multi_strerror(mc),
		    sizeof(r->errbuf));
		goto fail;
	}
	return r;

 fail:
	/* The callback must come from the loop, never from inside this call
	 * (the caller is not ready for it yet), so report on a timer. */
	if (r->easy != NULL) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	r->fail_timer = evloop_timer_add(d->ev, 0, on_fail_timer, r);
	return r;
}

void
dispatch_cancel(struct dispatch_req *r)
{
	if (r == NULL)
		return;
	/* Removing a busy handle closes its connection, so the target sees
	 * the request aborted; the handle's pending message goes too. */
	if (r->easy != NULL)
		curl_multi_remove_handle(r->d->multi, r->easy);
	req_detach(r);
	req_free(r);
}

/* Take r off the books: it no longer counts as in flight. */
static void
req_detach(struct dispatch_req *r)
{
	struct dispatch	*d = r->d;

	TAILQ_REMOVE(&d->reqs, r, entry);
	d->inflight--;
	evloop_timer_del(d->ev, r->fail_timer);
	r->fail_timer = 0;
}

/* r is off the multi handle: keep its easy handle for the next. */
static void
req_free(struct dispatch_req *r)
{
	struct dispatch	*d = r->d;

	if (r->easy != NULL && d->nspare < d->maxspare) {
		curl_easy_reset(r->easy);
		d->spare[d->nspare++] = r->easy;
	} else if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r);
}

/* Everything about the request but the method, headers and body. */
static int
req_setup(struct dispatch_req *r, const struct task *t,
    const struct dispatch_attempt *a)
{
	CURL	*e = r->easy;
	long	 total, conn;

	total = r->timeout_ms > (uint64_t)LONG_MAX ? LONG_MAX :
	    (long)r->timeout_ms;
	conn = total > 0 && total < DISPATCH_CONNECT_MS ? total :
	    DISPATCH_CONNECT_MS;
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, conn);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* The URL goes out as enqueued: no "/../" squashing. */
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	/* Dispatches may run for many minutes; notice a dead peer. */
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (policy_deny != NULL) {
		/* The name first: a denied name is refused unresolved. */
		if (netpolicy_url_host(t->url, r->host, sizeof(r->host)) == -1)
			r->host[0] = '\0';
		if (netpolicy_check(policy_allow, policy_deny, r->host,
		    NULL) == NETPOLICY_DENY) {
			snprintf(r->errbuf, sizeof(r->errbuf), "%s: %.200s",
			    DISPATCH_REFUSED, r->host);
			return -1;
		}
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION,
		    on_open_socket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, r);
	}
	if (curl_easy_setopt(e, CURLOPT_URL, t->url) != CURLE_OK) {
		snprintf(r->errbuf, sizeof(r->errbuf), "bad url");
		return -1;
	}
	if (req_setup_body(r, t) == -1 || req_setup_headers(r, t, a) == -1)
		return -1;
	return 0;
}

/*
 * The method is sent as given.  HEAD must go through CURLOPT_NOBODY, or
 * curl would wait for a response body that never comes.  A body is sent
 * whenever there is one, and POST, PUT and PATCH always carry one (an
 * empty one: Content-Length: 0) as servers expect.
 */
static int
req_setup_body(struct dispatch_req *r, const struct task *t)
{
	CURL	*e = r->easy;
	int	 sendbody;

	if (strcmp(t->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return 0;
	}
	sendbody = t->bodylen > 0 || strcmp(t->method, "POST") == 0 ||
	    strcmp(t->method, "PUT") == 0 || strcmp(t->method, "PATCH") == 0;
	if (sendbody) {
		/* Size first: COPYPOSTFIELDS copies that many bytes, NULs
		 * included, so the task may be freed before we finish. */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)t->bodylen);
		if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
		    t->body != NULL ? t->body : "") != CURLE_OK) {
			snprintf(r->errbuf, sizeof(r->errbuf),
			    "cannot copy body");
			return -1;
		}
	}
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->method);
	return 0;
}

/* The request's header lines, straight into its curl_slist. */
static int
req_setup_headers(struct dispatch_req *r, const struct task *t,
    const struct dispatch_attempt *a)
{
	struct hdr_out	o;

	memset(&o, 0, sizeof(o));
	o.to_slist = 1;
	headers_build(&o, t, a);
	r->hdrs = o.sl;
	if (o.failed) {
		snprintf(r->errbuf, sizeof(r->errbuf), "out of memory");
		return -1;
	}
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	return 0;
}

/*
 * The task's headers verbatim but for the ones Cloud Tasks owns, then
 * curl's own defaults removed where the task did not set them (an empty
 * "Name:" deletes a header curl would add; Content-Type in particular is
 * never invented), then User-Agent and the X-CloudTasks-* set.
 * Content-Length always comes from the body curl sends: a wrong one from
 * the task would desynchronise a connection we want to reuse.
 */
char **
dispatch_headers(const struct task *t, const struct dispatch_attempt *a)
{
	struct hdr_out	o;

	memset(&o, 0, sizeof(o));
	headers_build(&o, t, a);
	hdr_put(&o, NULL);
	return o.v;
}

static void
headers_build(struct hdr_out *o, const struct task *t,
    const struct dispatch_attempt *a)
{
	static const char *const	 strip[] = {
		"Accept", "Expect", "Content-Type"
	};
	static const struct dispatch_attempt	 none = { 0, 0, NULL };
	const struct task_header	*h;
	char				 reason[200];
	size_t				 i;

	if (a == NULL)
		a = &none;
	for (i = 0; i < t->nheaders; i++) {
		h = &t->headers[i];
		if (strcasecmp(h->name, "Content-Length") == 0 ||
		    strcasecmp(h->name, "User-Agent") == 0 ||
		    header_reserved(h->name))
			continue;
		if (h->value == NULL || h->value[0] == '\0')
			hdr_put(o, "%s;", h->name);
		else
			hdr_put(o, "%s: %s", h->name, h->value);
	}
	for (i = 0; i < TD_NELEM(strip); i++)
		if (!task_has_header(t, strip[i]))
			hdr_put(o, "%s:", strip[i]);
	hdr_put(o, "User-Agent: Google-Cloud-Tasks");
	hdr_put(o, "X-CloudTasks-QueueName: %s", t->queue);
	hdr_put(o, "X-CloudTasks-TaskName: %s", t->id);
	hdr_put(o, "X-CloudTasks-TaskRetryCount: %d",
	    t->attempts > 1 ? t->attempts - 1 : 0);
	hdr_put(o, "X-CloudTasks-TaskExecutionCount: %d",
	    a->execs > 0 ? a->execs : 0);
	hdr_put(o, "X-CloudTasks-TaskETA: %llu.%06u",
	    (unsigned long long)(t->eta_ms / 1000),
	    (unsigned)(t->eta_ms % 1000) * 1000);
	if (t->attempts > 1) {
		hdr_put(o, "X-CloudTasks-TaskPreviousResponse: %d",
		    a->last_status > 0 ? a->last_status : 0);
		hdr_clean(reason, sizeof(reason), a->last_error);
		if (reason[0] == '\0' && a->last_status > 0)
			snprintf(reason, sizeof(reason), "HTTP status %d",
			    a->last_status);
		if (reason[0] == '\0')
			hdr_put(o, "X-CloudTasks-TaskRetryReason;");
		else
			hdr_put(o, "X-CloudTasks-TaskRetryReason: %s",
			    reason);
	}
}

void
dispatch_headers_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Cloud Tasks reserves these names for what it says itself. */
static int
header_reserved(const char *name)
{
	return strncasecmp(name, "X-CloudTasks-", 13) == 0;
}

/*
 * One line (fmt NULL: the array's terminator).  Most lines fit the stack
 * buffer, and curl_slist_append() makes the only copy.
 */
static void
hdr_put(struct hdr_out *o, const char *fmt, ...)
{
	struct curl_slist	*l;
	va_list			 ap;
	char			 buf[1024], *line = NULL;
	int			 n = 0;

	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		if (n < 0)
			fatalx("dispatch: header line");
		line = buf;
		if ((size_t)n >= sizeof(buf)) {
			line = xmalloc((size_t)n + 1);
			va_start(ap, fmt);
			(void)vsnprintf(line, (size_t)n + 1, fmt, ap);
			va_end(ap);
		}
	}
	if (o->to_slist) {
		if (line != NULL && !o->failed) {
			if ((l = curl_slist_append(o->sl, line)) == NULL)
				o->failed = 1;
			else
				o->sl = l;
		}
		if (line != buf)
			free(line);
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap == 0 ? 16 : o->cap * 2;
		o->v = xrealloc(o->v, o->cap * sizeof(*o->v));
	}
	o->v[o->n++] = line == buf ? xstrdup(buf) : line;
}

/*
 * A previous error as a header value: our own messages, but curl's text
 * and a target's words may end up in them, so no control character may
 * pass (a CR or LF would end the header), and no edge blanks.
 */
static void
hdr_clean(char *buf, size_t len, const char *s)
{
	size_t	i = 0;

	if (s == NULL)
		s = "";
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s != '\0' && i + 1 < len; s++)
		buf[i++] = (unsigned char)*s < 0x20 ||
		    (unsigned char)*s == 0x7f ? ' ' : *s;
	while (i > 0 && buf[i - 1] == ' ')
		i--;
	buf[i] = '\0';
}

static int
task_has_header(const struct task *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->nheaders; i++)
		if (strcasecmp(t->headers[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * curl is about to connect to address: refuse it here if the policy
 * does.  curl then tries the name's other addresses, if any.  (Through a
 * proxy, this sees the proxy's address; the URL's name was still checked
 * in req_setup.)
 */
static curl_socket_t
on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct dispatch_req	*r = arg;
	struct netpolicy_addr	 a;
	const void		*bytes = NULL;

	(void)purpose;
	if (sa->family == AF_INET && sa->addrlen >= sizeof(struct sockaddr_in))
		bytes = &((const struct sockaddr_in *)(const void *)
		    &sa->addr)->sin_addr;
	else if (sa->family == AF_INET6 && sa->addrlen >=
	    sizeof(struct sockaddr_in6))
		bytes = &((const struct sockaddr_in6 *)(const void *)
		    &sa->addr)->sin6_addr;
	if (bytes != NULL) {
		netpolicy_addr_set(&a, sa->family == AF_INET ? 4 : 6, bytes);
		if (netpolicy_check(policy_allow, policy_deny, r->host, &a) ==
		    NETPOLICY_DENY) {
			netpolicy_addr_fmt(&a, r->refused, sizeof(r->refused));
			return CURL_SOCKET_BAD;
		}
	}
	r->opened++;
	return socket(sa->family, sa->socktype, sa->protocol);
}

/* The response body is not kept; only its size is counted. */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct dispatch_req	*r = arg;

	(void)p;
	r->received += size * n;
	return size * n;
}

/*
 * One response header line ("Name: value\r\n", or a status line).  Only
 * Retry-After is kept, from the final response: a status line starts a
 * new response (after a 100 Continue, say), so it forgets the last one.
 */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct dispatch_req	*r = arg;
	size_t			 len = size * n, vlen;
	static const char	 name[] = "Retry-After:";

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->retry_after[0] = '\0';
		return len;
	}
	if (len < sizeof(name) - 1 || strncasecmp(p, name,
	    sizeof(name) - 1) != 0)
		return len;
	p += sizeof(name) - 1;
	vlen = len - (sizeof(name) - 1);
	while (vlen > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		vlen--;
	}
	while (vlen > 0 && (p[vlen - 1] == '\r' || p[vlen - 1] == '\n' ||
	    p[vlen - 1] == ' ' || p[vlen - 1] == '\t'))
		vlen--;
	/* Longer than any valid value: keep nothing rather than half. */
	if (vlen < sizeof(r->retry_after)) {
		memcpy(r->retry_after, p, vlen);
		r->retry_after[vlen] = '\0';
	} else
		r->retry_after[0] = '\0';
	return len;
}

/* curl wants fd s watched for what (or forgotten). */
static int
on_curl_socket(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct dispatch	*d = arg;
	int		 events = 0;

	(void)e;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		evloop_fd_del(d->ev, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (evloop_fd_set(d->ev, s, events, on_sock, d) == -1) {
		log_warn("dispatch: watch fd %d", s);
		return -1;
	}
	return 0;
}

/* curl wants to be called back after ms (-1: never). */
static int
on_curl_timer(CURLM *m, long ms, void *arg)
{
	struct dispatch	*d = arg;

	(void)m;
	evloop_timer_del(d->ev, d->timer);
	d->timer = 0;
	/* Even a 0 ms timeout goes through the loop: curl may not be
	 * re-entered from this callback. */
	if (ms >= 0)
		d->timer = evloop_timer_add(d->ev, (uint64_t)ms, on_timer, d);
	return 0;
}

static void
on_sock(struct evloop *ev, int fd, int events, void *arg)
{
	struct dispatch	*d = arg;
	int		 flags = 0, running;

	(void)ev;
	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & EV_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(d->multi, fd, flags, &running);
	collect_done(d);
}

static void
on_timer(struct evloop *ev, void *arg)
{
	struct dispatch	*d = arg;
	int		 running;

	(void)ev;
	d->timer = 0;
	curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect_done(d);
}

static void
on_fail_timer(struct evloop *ev, void *arg)
{
	struct dispatch_req	*r = arg;

	(void)ev;
	r->fail_timer = 0;
	finish(r, CURLE_FAILED_INIT);
}

/*
 * Hand every finished transfer to its owner.  A callback may start or
 * cancel other requests; curl_multi_remove_handle() drops the message of
 * a cancelled handle, so what info_read returns next is always live.
 */
static void
collect_done(struct dispatch *d)
{
	struct CURLMsg		*msg;
	struct dispatch_req	*r;
	char			*priv;
	int			 left;

	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = (struct dispatch_req *)(void *)priv;
		curl_multi_remove_handle(d->multi, r->easy);
		finish(r, msg->data.result);
	}
}

static void
finish(struct dispatch_req *r, CURLcode code)
{
	struct dispatch_result	 res;
	dispatch_done_cb	*cb = r->cb;
	void			*arg = r->arg;
	long			 status = 0;

	memset(&res, 0, sizeof(res));
	if (r->easy != NULL)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	res.status = status;
	res.dur_ms = util_mono_ms() - r->started;
	util_strlcpy(res.retry_after, r->retry_after, sizeof(res.retry_after));
	describe_error(r, code, status, &res);
	if (r->easy != NULL)
		log_debug("dispatch: finished status=%ld dur_ms=%llu "
		    "received=%zu", status, (unsigned long long)res.dur_ms,
		    r->received);
	/* Detached first, so the callback sees the slot free and may start
	 * the next request at once.  It must not cancel r itself. */
	req_detach(r);
	cb(r, &res, arg);
	req_free(r);
}

/*
 * A short reason for the task's last_error: "" only for a complete 2xx
 * exchange, "HTTP <code>" for other statuses, else what went wrong on the
 * way.  A transfer that broke after a 2xx status line counts as failed:
 * running the task again is safe, claiming success we cannot see is not.
 */
static void
describe_error(struct dispatch_req *r, CURLcode code, long status,
    struct dispatch_result *res)
{
	curl_off_t	 conn_us = 0;
	long		 oserr = 0, conn_ms;
	char		*e = res->error;
	size_t		 n = sizeof(res->error);

	if (code == CURLE_OK) {
		if (status >= 200 && status <= 299)
			e[0] = '\0';
		else if (status == 0)
			snprintf(e, n, "no response");
		else
			snprintf(e, n, "HTTP %ld", status);
		return;
	}
	if (r->easy != NULL) {
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
		curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &conn_us);
	}
	/* Every address the name had was refused: say so, not "cannot
	 * connect", so the task dies at once instead of retrying. */
	if (r->refused[0] != '\0' && r->opened == 0 &&
	    code == CURLE_COULDNT_CONNECT) {
		snprintf(e, n, "%s: %s", DISPATCH_REFUSED, r->refused);
		return;
	}
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		conn_ms = r->timeout_ms > 0 && r->timeout_ms <
		    DISPATCH_CONNECT_MS ? (long)r->timeout_ms :
		    DISPATCH_CONNECT_MS;
		if (conn_us == 0 && (uint64_t)conn_ms < r->timeout_ms)
			snprintf(e, n, "connect timeout after %ld ms", conn_ms);
		else
			snprintf(e, n, "timeout after %llu ms",
			    (unsigned long long)r->timeout_ms);
		break;
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED)
			snprintf(e, n, "connection refused");
		else if (oserr != 0)
			snprintf(e, n, "cannot connect: %s",
			    strerror((int)oserr));
		else
			snprintf(e, n, "cannot connect");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(e, n, "cannot resolve host");
		break;
	case CURLE_GOT_NOTHING:
		snprintf(e, n, "empty reply from server");
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (oserr == ECONNRESET)
			snprintf(e, n, "connection reset");
		else
			snprintf(e, n, "%s", r->errbuf[0] != '\0' ? r->errbuf :
			    curl_easy_strerror(code));
		break;
	default:
		snprintf(e, n, "%s", r->errbuf[0] != '\0' ? r->errbuf :
		    curl_easy_strerror(code));
		break;
	}
}
