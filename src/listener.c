/*
 * listener.c: the listener role.  One epoll loop holds the inherited
 * listening socket, every client connection, the control channel, the
 * SIGTERM signalfd and one asynchronous Redis connection shared by all
 * requests.  On that connection qsync keeps the queue table in step with
 * the queues created over the API, so that an enqueue to one is taken.
 *
 * With [dashboard] listen set there is a second listening socket, the
 * dashboard's.  Its connections are the same in every way (limits,
 * timeouts, max_connections counts both) but for where a request goes:
 * to dash_handle() rather than api_handle().  Both sockets are paused
 * and resumed together, since the connection limit they share is what
 * pauses them.
 *
 * A connection reads a request, hands it to the api and stops reading
 * until the answer is queued, so pipelined requests are answered one at a
 * time and in order, and a client that sends faster than we answer is
 * held back by TCP rather than by our memory.  Its one timer follows its
 * state: header_timeout from the first byte of a request until its head
 * is in, idle_timeout between reads of a body, between requests and while
 * an answer waits to be sent, and a short linger after the last answer.
 *
 * Closing after an answer (an error, "Connection: close", HTTP/1.0,
 * shutdown) shuts our side down first and reads what the client still
 * sends until it closes too, as nginx's lingering close does: closing with
 * unread input would reset the connection and could destroy the answer
 * before the client read it (a 413 sent before the body was read, say).
 *
 * On quit: stop accepting, close connections that sit idle, answer the
 * requests already begun with "Connection: close", and return once every
 * connection is gone or shutdown_timeout has passed.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "conf.h"
#include "ctl.h"
#include "dash.h"
#include "evloop.h"
#include "http.h"
#include "log.h"
#include "proc.h"
#include "qsync.h"
#include "route.h"
#include "store.h"
#include "util.h"

#define READ_CHUNK	16384
#define OUT_HIGH	65536	/* unsent bytes that stop the next request */
#define LINGER_MS	2000	/* wait for the client's close at most */
#define QUIT_GRACE_MS	1000	/* for a new connection's first request */
#define ACCEPT_RETRY_MS	100	/* after running out of fds */
#define LOG_PATH_MAX	128
#define FULL_LOG_MS	60000

struct conn;
struct listener;

/* A listening socket: the API's, or the dashboard's. */
struct lsock {
	struct listener		*l;
	int			 fd;		/* -1 when none or closed */
	int			 dash;
};

struct listener {
	struct evloop		*ev;
	struct conf		*conf;		/* ours: qsync changes it */
	struct store		*store;
	struct qsync		*qsync;
	struct api		*api;
	struct dash		*dash;		/* NULL with no dashboard */
	struct lsock		 socks[2];	/* the API's, the dashboard's */
	int			 ready;		/* may accept (see on_ready) */
	int			 accepting;	/* the socks are in the loop */
	uint64_t		 full_logged;	/* when "max_connections" was */
	uint64_t		 accept_timer;
	int			 ctl_fd;
	int			 sig_fd;
	int			 quitting;
	uint64_t		 quit_ms;
	uint64_t		 quit_timer;
	int			 nconns;
	int			 ndash;		/* of them, the dashboard's */
	LIST_HEAD(, conn)	 conns;
};

struct conn {
	LIST_ENTRY(conn)	 entry;
	struct listener		*l;
	int			 fd;
	struct http_parser	 parser;	/* must not move: llhttp */
	char			*in;		/* read, not yet parsed */
	size_t			 inlen;
	size_t			 incap;
	struct http_buf		 out;
	size_t			 outoff;	/* sent of out */
	struct api_req		*pending;	/* waiting for the api */
	struct dash_req		*dpending;	/* the same, dashboard */
	int			 dash;		/* came on the dashboard's */
	int			 busy;		/* answer not queued yet */
	int			 closing;	/* close once out is sent */
	int			 lingering;	/* our side shut; draining */
	int			 eof;		/* the client closed its side */
	int			 in_process;
	int			 continued;	/* "100 Continue" sent */
	int			 events;	/* what the loop watches */
	unsigned long		 nreq;		/* requests answered */
	uint64_t		 timer;
	uint64_t		 deadline;	/* the timer's, 0 when none */
	uint64_t		 first_ms;	/* the request's first byte */
	uint64_t		 active_ms;	/* last progress either way */
	uint64_t		 linger_ms;
};

static void	on_accept(struct evloop *, int, int, void *);
static void	on_accept_timer(struct evloop *, void *);
static void	accept_pause(struct listener *);
static void	accept_resume(struct listener *);
static void	conn_new(struct listener *, int, int);
static int	dash_max(const struct listener *);
static void	on_conn(struct evloop *, int, int, void *);
static int	conn_read(struct conn *);
static int	conn_drain(struct conn *);
static void	conn_process(struct conn *);
static void	conn_continue(struct conn *);
static void	on_answer(void *, int, const char *, const char *, size_t,
		    const char *);
static void	conn_error(struct conn *, int, const char *);
static int	conn_flush(struct conn *);
static int	conn_linger(struct conn *);
static void	conn_update(struct conn *);
static uint64_t	conn_deadline(const struct conn *);
static int	conn_idle(const struct conn *);
static struct conn *conn_oldest_idle(struct listener *, int);
static void	on_conn_timer(struct evloop *, void *);
static void	conn_close(struct conn *);
static void	log_request(const struct conn *, int);
static void	on_quit_timer(struct evloop *, void *);
static void	quit(void *, const char *);
static void	on_ready(void *);
static void	on_store_state(struct store *, int, void *);
static void	on_synced(void *);
static int	fd_nonblock(int);

int
listener_main(struct proc_env *env)
{
	struct listener	 l;
	struct conn	*c;
	int		 i, rv = TD_EXIT_OK;

	memset(&l, 0, sizeof(l));
	LIST_INIT(&l.conns);
	l.conf = env->conf;
	for (i = 0; i < 2; i++) {
		l.socks[i].l = &l;
		l.socks[i].dash = i == 1;
	}
	l.socks[0].fd = env->listen_fd;
	l.socks[1].fd = env->dash_fd;
	l.ctl_fd = env->ctl_fd;
	l.ev = evloop_new();
	/* The API's socket must be there; the dashboard's may not be. */
	for (i = 0; i < 2; i++)
		if ((i == 0 || l.socks[i].fd >= 0) && (l.socks[i].fd < 0 ||
		    fd_nonblock(l.socks[i].fd) == -1)) {
			log_warn("listening socket fd=%d", l.socks[i].fd);
			return TD_EXIT_SOFTWARE;
		}
	l.sig_fd = ctl_watch(l.ev, l.ctl_fd, quit, &l);
	l.store = store_new(l.ev, l.conf, "listener", on_store_state, &l);
	/* The api reads the table live: it needs no word of a change. */
	l.qsync = qsync_new(l.ev, l.store, l.conf, NULL, NULL);
	l.api = api_new(l.conf, l.store);
	if (l.socks[1].fd >= 0)
		l.dash = dash_new(l.conf, l.api);
	/*
	 * Not accepting yet: on a reload the socket is shared with the old
	 * generation's listener, which answers well until we can too.
	 */
	ctl_ready_wait(l.ev, l.ctl_fd, env->gen, CTL_READY_WAIT_MS(l.conf),
	    on_ready, &l);
	store_connect(l.store);

	if (evloop_run(l.ev) == -1) {
		log_warnx("event loop failed; exiting");
		rv = TD_EXIT_TRANSIENT;
	}

	l.quitting = 1;
	if (l.nconns > 0)
		log_debug("closing %d connections", l.nconns);
	while ((c = LIST_FIRST(&l.conns)) != NULL)
		conn_close(c);
	for (i = 0; i < 2; i++)
		if (l.socks[i].fd != -1)
			close(l.socks[i].fd);
	qsync_free(l.qsync);
	l.qsync = NULL;
	/* Replies still due get NULL now; their requests are cancelled. */
	store_free(l.store);
	dash_free(l.dash);
	api_free(l.api);
	evloop_free(l.ev);
	close(l.sig_fd);
	log_debug("listener done");
	return rv;
}

/*
 * Accepting.  When max_connections are open, the connection idle the
 * longest (between requests, or not one byte sent yet) is closed for the
 * new one, as nginx reuses its keep-alive connections: idle clients by
 * the thousand must not lock out one with a request.  When none is idle
 * the listening socket leaves the loop, so new clients wait in the
 * kernel's backlog instead of being accepted and dropped; a close, or a
 * connection going idle, takes it back.
 */
static void
on_accept(struct evloop *ev, int fd, int events, void *arg)
{
	struct lsock	*ls = arg;
	struct listener	*l = ls->l;
	struct conn	*victim;
	int		 cfd;

	(void)ev;
	(void)events;
	while (l->accepting) {
		victim = NULL;
		if (l->nconns >= l->conf->max_connections &&
		    (victim = conn_oldest_idle(l, 0)) == NULL) {
			/* Under steady overload this repeats: once a minute. */
			if (l->full_logged == 0 || evloop_now(l->ev) -
			    l->full_logged >= FULL_LOG_MS) {
				log_warnx("max_connections reached (%d); not "
				    "accepting until one closes",
				    l->conf->max_connections);
				l->full_logged = evloop_now(l->ev);
			}
			accept_pause(l);
			return;
		}
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		/*
		 * Past its share the dashboard makes room among its own
		 * connections or none: never at the API's expense.  One
		 * refused is closed at once, not left in the backlog, which
		 * would wake us again and again.
		 */
		if (cfd >= 0 && ls->dash && l->ndash >= dash_max(l) &&
		    (victim = conn_oldest_idle(l, 1)) == NULL) {
			log_debug("dashboard connections at %d; refusing fd=%d",
			    l->ndash, cfd);
			close(cfd);
			continue;
		}
		if (cfd >= 0) {
			if (victim != NULL) {
				log_debug("max_connections reached; closing "
				    "idle fd=%d", victim->fd);
				conn_close(victim);
			}
			conn_new(l, cfd, ls->dash);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		log_warn("accept");
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Out of fds: wait for some to close, then retry. */
			accept_pause(l);
			l->accept_timer = evloop_timer_add(l->ev,
			    ACCEPT_RETRY_MS, on_accept_timer, l);
		}
		return;
	}
}

/*
 * The dashboard's connections may take a quarter of max_connections: a
 * browser opens a few, and a flood on the dashboard's port must leave the
 * API most of its room.
 */
static int
dash_max(const struct listener *l)
{
	return TD_MAX(1, l->conf->max_connections / 4);
}

static void
on_accept_timer(struct evloop *ev, void *arg)
{
	struct listener	*l = arg;

	(void)ev;
	l->accept_timer = 0;
	accept_resume(l);
}

static void
accept_pause(struct listener *l)
{
	int	i;

	if (!l->accepting)
		return;
	for (i = 0; i < 2; i++)
		if (l->socks[i].fd != -1)
			evloop_fd_del(l->ev, l->socks[i].fd);
	l->accepting = 0;
}

static void
accept_resume(struct listener *l)
{
	int	i;

	if (!l->ready || l->accepting || l->quitting || l->socks[0].fd == -1 ||
	    l->accept_timer != 0 || (l->nconns >= l->conf->max_connections &&
	    conn_oldest_idle(l, 0) == NULL))
		return;
	for (i = 0; i < 2; i++) {
		if (l->socks[i].fd == -1)
			continue;
		if (evloop_fd_set(l->ev, l->socks[i].fd, EV_READ, on_accept,
		    &l->socks[i]) == -1) {
			log_warn("evloop_fd_set listen fd=%d", l->socks[i].fd);
			/* All or none: accept_pause() takes out both. */
			while (--i >= 0)
				if (l->socks[i].fd != -1)
					evloop_fd_del(l->ev, l->socks[i].fd);
			return;
		}
	}
	l->accepting = 1;
}

static void
conn_new(struct listener *l, int fd, int dash)
{
	struct conn	*c = xcalloc(1, sizeof(*c));
	int		 one = 1;

	/* Answers go out whole; do not let Nagle hold back the last bit. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->l = l;
	c->fd = fd;
	c->dash = dash;
	c->events = -1;
	c->active_ms = evloop_now(l->ev);
	http_parser_init(&c->parser, l->conf->max_header, l->conf->max_body);
	LIST_INSERT_HEAD(&l->conns, c, entry);
	l->nconns++;
	l->ndash += dash;
	conn_update(c);
}

/*
 * Connection events.  EV_ERROR means the socket is reset or shut both
 * ways: no answer can reach the client any more.
 */
static void
on_conn(struct evloop *ev, int fd, int events, void *arg)
{
	struct conn	*c = arg;

	(void)ev;
	(void)fd;
	if (events & EV_ERROR) {
		conn_close(c);
		return;
	}
	if ((events & EV_WRITE) && conn_flush(c) == -1)
		return;
	if ((events & EV_READ) && (c->lingering ? conn_drain(c) :
	    conn_read(c)) == -1)
		return;
	if (c->inlen > 0 && !c->busy && !c->closing && !c->lingering)
		conn_process(c);
	else
		conn_update(c);
}

/* -1: the connection is gone. */
static int
conn_read(struct conn *c)
{
	ssize_t	n;

	if (c->incap - c->inlen < READ_CHUNK) {
		c->incap = c->inlen + READ_CHUNK;
		c->in = xrealloc(c->in, c->incap);
	}
	n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno != ECONNRESET)
			log_warn("read fd=%d", c->fd);
		conn_close(c);
		return -1;
	}
	c->active_ms = evloop_now(c->l->ev);
	if (n == 0) {
		/* The client is done sending: answer what is due, then go. */
		c->eof = 1;
		if (c->outoff == c->out.len && !c->busy) {
			conn_close(c);
			return -1;
		}
		c->closing = 1;
		return 0;
	}
	c->inlen += (size_t)n;
	return 0;
}

/* Lingering: read and drop what the client still sends, until it closes. */
static int
conn_drain(struct conn *c)
{
	char	buf[4096];
	ssize_t	n;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	if (n > 0)
		return 0;
	conn_close(c);
	return -1;
}

/*
 * Parse what has been read, one request at a time.  The api may answer at
 * once (on_answer runs inside api_handle) or later; either way the next
 * pipelined request waits until this one's answer is queued.
 */
static void
conn_process(struct conn *c)
{
	enum http_state	st;
	size_t		used;

	c->in_process = 1;
	while (!c->busy && !c->closing && c->inlen > 0 &&
	    c->out.len - c->outoff < OUT_HIGH) {
		if (!http_parser_started(&c->parser))
			c->first_ms = evloop_now(c->l->ev);
		st = http_parser_feed(&c->parser, c->in, c->inlen, &used);
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		if (st == HTTP_ERROR) {
			conn_error(c, c->parser.error_status,
			    c->parser.error_reason);
			break;
		}
		if (st == HTTP_NEED_MORE) {
			conn_continue(c);
			break;
		}
		c->busy = 1;
		if (!c->dash)
			c->pending = api_handle(c->l->api, &c->parser.req,
			    on_answer, c);
		else
			c->dpending = dash_handle(c->l->dash, &c->parser.req,
			    c->fd, on_answer, c);
	}
	c->in_process = 0;
	/* Most connections sit idle between requests: keep them small. */
	if (c->inlen == 0) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
	if (conn_flush(c) == 0)
		conn_update(c);
}

/*
 * "Expect: 100-continue" (curl sends it before a large body): say go on
 * once the head is in and was not refused, rather than leave the client
 * waiting for its own timeout.
 */
static void
conn_continue(struct conn *c)
{
	static const char	 cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct http_parser	*p = &c->parser;
	const char		*v;

	if (c->continued || p->in_headers || !http_parser_started(p) ||
	    p->parser.http_major != 1 || p->parser.http_minor < 1)
		return;
	c->continued = 1;
	if ((v = http_header_get(&p->req, "Expect")) != NULL &&
	    strcasecmp(v, "100-continue") == 0)
		http_buf_append(&c->out, cont, sizeof(cont) - 1);
}

/* The api's answer: queue it, then go on with what is already read. */
static void
on_answer(void *arg, int status, const char *ctype, const char *body,
    size_t len, const char *extra)
{
	struct conn		*c = arg;
	struct listener		*l = c->l;	/* c may be gone at the end */
	struct http_request	*req = &c->parser.req;
	int			 head, keep;

	head = strcmp(req->method, "HEAD") == 0;
	keep = req->keep_alive && !c->l->quitting;
	c->pending = NULL;
	c->dpending = NULL;
	http_response(&c->out, status, ctype != NULL ? ctype :
	    "application/json", head ? NULL : body, len, keep, extra);
	log_request(c, status);
	http_parser_next(&c->parser);
	c->busy = 0;
	c->continued = 0;
	c->nreq++;
	c->active_ms = evloop_now(c->l->ev);
	if (!keep)
		c->closing = 1;
	if (!c->in_process)
		conn_process(c);
	/* Full and not accepting: this one may be idle now, to make room. */
	if (!l->accepting)
		accept_resume(l);
}

/* A request we cannot take: say why, then close. */
static void
conn_error(struct conn *c, int status, const char *reason)
{
	char	*body;
	size_t	 len;

	if (reason == NULL)
		reason = route_reason(status);
	log_debug("request refused status=%d reason=\"%s\" dur_ms=%llu",
	    status, reason, (unsigned long long)(evloop_now(c->l->ev) -
	    c->first_ms));
	body = route_error_json(status, reason, &len);
	http_response(&c->out, status, "application/json", body, len, 0,
	    NULL);
	free(body);
	c->closing = 1;
}

/* Send what we can.  -1: the connection is gone. */
static int
conn_flush(struct conn *c)
{
	ssize_t	n;

	while (c->outoff < c->out.len) {
		n = send(c->fd, c->out.data + c->outoff,
		    c->out.len - c->outoff, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EPIPE && errno != ECONNRESET)
				log_warn("send fd=%d", c->fd);
			conn_close(c);
			return -1;
		}
		c->outoff += (size_t)n;
		c->active_ms = evloop_now(c->l->ev);
	}
	c->out.len = c->outoff = 0;
	if (c->closing && !c->busy)
		return conn_linger(c);
	return 0;
}

/* All is sent and nothing more will be: shut our side, await theirs. */
static int
conn_linger(struct conn *c)
{
	if (c->lingering)
		return 0;
	if (c->eof || shutdown(c->fd, SHUT_WR) == -1) {
		conn_close(c);
		return -1;
	}
	c->lingering = 1;
	c->linger_ms = evloop_now(c->l->ev);
	c->inlen = 0;
	return 0;
}

/* Tell the loop what to watch for, and arm the timer. */
static void
conn_update(struct conn *c)
{
	struct listener	*l = c->l;
	uint64_t	 dl, now = evloop_now(l->ev);
	int		 events = 0;

	if (c->lingering)
		events = EV_READ;
	else {
		if (!c->busy && !c->closing && !c->eof &&
		    c->out.len - c->outoff < OUT_HIGH)
			events |= EV_READ;
		if (c->outoff < c->out.len)
			events |= EV_WRITE;
	}
	if (events != c->events) {
		if (evloop_fd_set(l->ev, c->fd, events, on_conn, c) == -1) {
			log_warn("evloop_fd_set fd=%d", c->fd);
			conn_close(c);
			return;
		}
		c->events = events;
	}
	/*
	 * An armed timer that fires early is harmless (on_conn_timer looks
	 * again), so it is moved only when the deadline comes sooner.
	 */
	dl = conn_deadline(c);
	if (dl == 0 || c->timer == 0 || dl < c->deadline) {
		evloop_timer_del(l->ev, c->timer);
		c->timer = 0;
		c->deadline = dl;
		if (dl != 0)
			c->timer = evloop_timer_add(l->ev, dl > now ? dl - now :
			    0, on_conn_timer, c);
	}
}

static uint64_t
conn_deadline(const struct conn *c)
{
	const struct conf	*conf = c->l->conf;
	uint64_t		 dl;

	if (c->lingering)
		return c->linger_ms + LINGER_MS;
	if (c->busy)
		return 0;	/* the store answers or fails by itself */
	if (c->outoff < c->out.len)
		return c->active_ms + conf->idle_timeout_ms;
	if (http_parser_started(&c->parser)) {
		if (c->parser.in_headers)
			return c->first_ms + conf->header_timeout_ms;
		return c->active_ms + conf->idle_timeout_ms;
	}
	dl = c->active_ms + conf->idle_timeout_ms;
	if (c->l->quitting)
		dl = TD_MIN(dl, c->l->quit_ms + (c->nreq == 0 ?
		    QUIT_GRACE_MS : 0));
	return dl;
}

/* Between requests, with nothing to send. */
static int
conn_idle(const struct conn *c)
{
	return !c->busy && !c->lingering && c->outoff == c->out.len &&
	    !http_parser_started(&c->parser) && c->inlen == 0;
}

/* The idle connection (of the dashboard, with dash_only) least recently
 * active, or NULL. */
static struct conn *
conn_oldest_idle(struct listener *l, int dash_only)
{
	struct conn	*c, *oldest = NULL;

	LIST_FOREACH(c, &l->conns, entry)
		if ((c->dash || !dash_only) && conn_idle(c) && !c->closing &&
		    (oldest == NULL || c->active_ms < oldest->active_ms))
			oldest = c;
	return oldest;
}

static void
on_conn_timer(struct evloop *ev, void *arg)
{
	struct conn	*c = arg;
	uint64_t	 dl;

	c->timer = 0;
	c->deadline = 0;
	dl = conn_deadline(c);
	if (dl == 0 || dl > evloop_now(ev)) {
		conn_update(c);
		return;
	}
	if (c->lingering || c->outoff < c->out.len || conn_idle(c)) {
		if (c->outoff < c->out.len)
			log_debug("send timeout fd=%d", c->fd);
		conn_close(c);
		return;
	}
	/* A request begun and not finished in time. */
	conn_error(c, 408, c->parser.in_headers ? "request header timeout" :
	    "request body timeout");
	if (conn_flush(c) == 0)
		conn_update(c);
}

static void
conn_close(struct conn *c)
{
	struct listener	*l = c->l;

	/* A reply still due for this connection will go nowhere. */
	api_cancel(c->pending);
	dash_cancel(c->dpending);
	evloop_timer_del(l->ev, c->timer);
	evloop_fd_del(l->ev, c->fd);
	close(c->fd);
	http_parser_free(&c->parser);
	http_buf_free(&c->out);
	free(c->in);
	LIST_REMOVE(c, entry);
	l->ndash -= c->dash;
	free(c);
	l->nconns--;
	accept_resume(l);
	if (l->quitting && l->nconns == 0)
		evloop_stop(l->ev);
}

/* One line per request: never a body, a header value or the query. */
static void
log_request(const struct conn *c, int status)
{
	const struct http_request	*req = &c->parser.req;
	char				 path[LOG_PATH_MAX];
	size_t				 i;

	if (log_getlevel() < LOG_LEVEL_DEBUG)
		return;
	for (i = 0; i < req->targetlen && i < sizeof(path) - 1; i++) {
		if (req->target[i] == '?')
			break;
		path[i] = req->target[i] > ' ' && req->target[i] < 0x7f &&
		    req->target[i] != '"' ? req->target[i] : '?';
	}
	path[i] = '\0';
	log_debug("request method=%s path=%s status=%d dur_ms=%llu",
	    req->method, path, status,
	    (unsigned long long)(evloop_now(c->l->ev) - c->first_ms));
}

static void
quit(void *arg, const char *why)
{
	struct listener	*l = arg;
	struct conn	*c, *next;
	int		 i;

	if (l->quitting)
		return;
	l->quitting = 1;
	l->quit_ms = evloop_now(l->ev);
	util_title_set("taskdispatcher: listener (exiting)");
	log_info("quitting: %s; connections=%d", why, l->nconns);
	accept_pause(l);
	evloop_timer_del(l->ev, l->accept_timer);
	l->accept_timer = 0;
	for (i = 0; i < 2; i++) {
		if (l->socks[i].fd != -1)
			close(l->socks[i].fd);
		l->socks[i].fd = -1;
	}
	l->quit_timer = evloop_timer_add(l->ev, l->conf->shutdown_timeout_ms,
	    on_quit_timer, l);
	/* Idle keep-alive connections go now; the rest after their answer. */
	for (c = LIST_FIRST(&l->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (conn_idle(c) && c->nreq > 0)
			conn_close(c);
		else
			conn_update(c);
	}
	if (l->nconns == 0)
		evloop_stop(l->ev);
}

/* Redis is up, or we waited long enough for it: start accepting. */
static void
on_ready(void *arg)
{
	struct listener	*l = arg;

	if (l->quitting)
		return;
	l->ready = 1;
	accept_resume(l);
	if (!l->accepting)
		fatal("evloop_fd_set listen fd=%d", l->socks[0].fd);
	log_debug("listening fd=%d dashboard_fd=%d max_connections=%d "
	    "redis=%s", l->socks[0].fd, l->socks[1].fd,
	    l->conf->max_connections, store_is_up(l->store) ? "up" : "down");
}

/*
 * Up counts once the queue table is fresh too: a listener that took
 * requests before it would refuse tasks for the queues created over the
 * API (400, which a client does not retry), rather than wait.  Those may
 * also have come or gone while the link was down.
 */
static void
on_store_state(struct store *st, int up, void *arg)
{
	struct listener	*l = arg;

	(void)st;
	if (up && l->qsync != NULL)
		qsync_kick_then(l->qsync, on_synced, l);
	else
		ctl_redis_state(up);
}

static void
on_synced(void *arg)
{
	struct listener	*l = arg;

	if (store_is_up(l->store))
		ctl_redis_state(1);
}

static void
on_quit_timer(struct evloop *ev, void *arg)
{
	struct listener	*l = arg;

	l->quit_timer = 0;
	log_warnx("shutdown_timeout reached with %d connections open",
	    l->nconns);
	evloop_stop(ev);
}

static int
fd_nonblock(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
