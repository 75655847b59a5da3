/*
 * store.c: one asynchronous hiredis connection on our evloop.
 *
 * Life of a connection: connect (TCP or unix socket), then a handshake of
 * pipelined commands (AUTH, SELECT, SCRIPT LOAD of every script, PING);
 * only when every reply is good is the store up.  Any failure, or no
 * success within redis.connect_timeout, drops the context and retries
 * after 100 ms, doubling up to 1 s.
 *
 * hiredis owns the context's lifetime: it frees it after a read or write
 * error, after a failed connect, or after redisAsyncFree() asked for it
 * from inside a reply callback.  The event-library cleanup hook is the one
 * place that always runs when a context goes, so that is where we forget
 * it; the rest of the reaction (telling the owner, scheduling the
 * reconnect) waits until hiredis has returned to us.  The struct store
 * itself is kept alive while any of our entry points is on the stack
 * (busy), so a callback may call store_free() safely.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis.h>
#include <async.h>

#include "log.h"
#include "lua.h"
#include "stats.h"
#include "store.h"
#include "util.h"

#define RECONNECT_MIN_MS	100
#define RECONNECT_MAX_MS	1000
#define ARGS_MIN		16	/* argument slots allocated at first */
#define CONF_FV_MAX		40	/* queue conf fields + values a call */
#define SHA_LEN			40

enum script {
	SCRIPT_ENQUEUE,
	SCRIPT_CLAIM,
	SCRIPT_LEASE,
	SCRIPT_EXTEND,
	SCRIPT_ACK,
	SCRIPT_RETRY,
	SCRIPT_HANDBACK,
	SCRIPT_PROMOTE,
	SCRIPT_SWEEP,
	SCRIPT_TRIM,
	SCRIPT_QINFO,
	SCRIPT_LIST,
	SCRIPT_GET,
	SCRIPT_REQUEUE,
	SCRIPT_REMOVE,
	SCRIPT_RUN,
	SCRIPT_QDEL,
	SCRIPT_QCREATE,
	SCRIPT_MAX
};

static const struct {
	const char	*name;
	const char	*text;
} scripts[SCRIPT_MAX] = {
	[SCRIPT_ENQUEUE] = { "enqueue", lua_enqueue },
	[SCRIPT_CLAIM] = { "claim", lua_claim },
	[SCRIPT_LEASE] = { "lease", lua_lease },
	[SCRIPT_EXTEND] = { "extend", lua_extend },
	[SCRIPT_ACK] = { "ack", lua_ack },
	[SCRIPT_RETRY] = { "retry", lua_retry },
	[SCRIPT_HANDBACK] = { "handback", lua_handback },
	[SCRIPT_PROMOTE] = { "promote", lua_promote },
	[SCRIPT_SWEEP] = { "sweep", lua_sweep },
	[SCRIPT_TRIM] = { "trim", lua_trim },
	[SCRIPT_QINFO] = { "qinfo", lua_qinfo },
	[SCRIPT_LIST] = { "list", lua_list },
	[SCRIPT_GET] = { "get", lua_get },
	[SCRIPT_REQUEUE] = { "requeue", lua_requeue },
	[SCRIPT_REMOVE] = { "remove", lua_remove },
	[SCRIPT_RUN] = { "run", lua_run },
	[SCRIPT_QDEL] = { "qdel", lua_qdel },
	[SCRIPT_QCREATE] = { "qcreate", lua_qcreate },
};

/* Handshake steps, passed as the reply callback's privdata. */
#define HS_SCRIPT(i)	((intptr_t)(i))	/* SCRIPT LOAD of script i */
#define HS_AUTH		((intptr_t)SCRIPT_MAX)
#define HS_SELECT	((intptr_t)SCRIPT_MAX + 1)
#define HS_PING		((intptr_t)SCRIPT_MAX + 2)

/*
 * A command's arguments, each an owned copy (binary safe).  The arrays
 * grow as needed: a batch of results is one command.  The three slots
 * before them are for EVALSHA, the SHA and the key count.
 */
struct args {
	int	  n;
	int	  cap;
	char	**v;
	size_t	 *len;
};

/*
 * One command in flight.  It keeps its arguments so that a NOSCRIPT
 * error (the server lost its script cache) can be answered by sending the
 * script itself, without the caller noticing.
 */
struct req {
	struct store	*s;
	store_cb	*cb;
	void		*arg;
	int		 script;	/* -1: a plain command */
	int		 nkeys;
	int		 as_eval;
	struct args	 a;
};

struct store {
	struct evloop		*ev;
	const struct conf	*conf;
	char			*name;
	store_state_cb		*state_cb;
	void			*state_arg;

	/*
	 * ac is NULL between connections; evmask is what ac asked the loop
	 * for.  told is the state last told (-1 none yet, 0, 1).  lost: ac
	 * went while hiredis was on the stack.  busy counts our frames on
	 * the stack, so that store_free() from a callback frees later.
	 */
	redisAsyncContext	*ac;
	int			 evmask;
	int			 want;
	int			 up;
	int			 told;
	int			 handshake;	/* replies awaited */
	int			 lost;
	int			 busy;
	int			 freed;
	int			 inflight;
	uint64_t		 conn_timer;
	uint64_t		 retry_timer;
	uint64_t		 backoff_ms;
	char			 lasterr[128];
	char			 sha[SCRIPT_MAX][SHA_LEN + 1];

	store_cb		*sub_cb;	/* subscribed to P:<sub_what> */
	void			*sub_arg;
	const char		*sub_what;	/* "wake" or "resume" */
};

static void	connect_start(struct store *);
static void	link_down(struct store *);
static void	went_up(struct store *);
static void	release(struct store *);
static void	handshake_start(struct store *);
static void	on_handshake(redisAsyncContext *, void *, void *);
static void	on_connect(const redisAsyncContext *, int);
static void	on_fd(struct evloop *, int, int, void *);
static void	on_conn_timeout(struct evloop *, void *);
static void	on_retry_timer(struct evloop *, void *);
static int	send_argv(redisAsyncContext *, struct req *, int,
		    const char **, const size_t *);
static void	on_reply(redisAsyncContext *, void *, void *);
static void	on_sub(redisAsyncContext *, void *, void *);
static void	sub_send(struct store *);
static void	ev_attach(struct store *, redisAsyncContext *);
static void	ev_add_read(void *);
static void	ev_del_read(void *);
static void	ev_add_write(void *);
static void	ev_del_write(void *);
static void	ev_cleanup(void *);
static void	ev_update(redisAsyncContext *, int, int);
static int	submit(struct store *, int, int, struct args *, store_cb *,
		    void *);
static int	req_send(struct store *, redisAsyncContext *, struct req *);
static void	req_free(struct req *);
static void	args_add(struct args *, const void *, size_t);
static void	args_str(struct args *, const char *);
static void	args_u64(struct args *, uint64_t);
static void	args_key(struct args *, const struct store *, const char *,
		    const char *, const char *);
static void	args_base(struct args *, const struct store *, const char *);
static void	args_free(struct args *);
static void	wake_channel(const struct store *, char *, size_t);
static void	args_queues(struct args *, const struct store *);
static int	task_field(struct task *, const char *, const redisReply *,
		    const char **, char *, size_t);

struct store *
store_new(struct evloop *ev, const struct conf *conf, const char *name,
    store_state_cb *state_cb, void *arg)
{
	struct store	*s = xcalloc(1, sizeof(*s));

	s->ev = ev;
	s->conf = conf;
	s->name = xstrdup(name);
	s->state_cb = state_cb;
	s->state_arg = arg;
	s->told = -1;
	s->backoff_ms = RECONNECT_MIN_MS;
	return s;
}

void
store_connect(struct store *s)
{
	if (s->want || s->freed)
		return;
	s->want = 1;
	s->busy++;
	connect_start(s);
	release(s);
}

int
store_is_up(const struct store *s)
{
	return s->up;
}

int
store_inflight(const struct store *s)
{
	return s->inflight;
}

const char *
store_name(const struct store *s)
{
	return s->name;
}

void
store_free(struct store *s)
{
	redisAsyncContext	*ac;

	if (s == NULL || s->freed)
		return;
	s->freed = 1;
	s->want = 0;
	s->up = 0;
	evloop_timer_del(s->ev, s->conn_timer);
	evloop_timer_del(s->ev, s->retry_timer);
	s->conn_timer = s->retry_timer = 0;
	s->busy++;
	if ((ac = s->ac) != NULL) {
		/*
		 * Inside a reply callback hiredis defers this until the
		 * callback returns; either way the callbacks still pending
		 * run with NULL while s is still allocated (busy).
		 */
		s->ac = NULL;
		s->evmask = 0;
		redisAsyncFree(ac);
	}
	release(s);
}

/* Leave one of our entry points; the last one out frees a freed store. */
static void
release(struct store *s)
{
	if (--s->busy > 0 || !s->freed)
		return;
	free(s->name);
	free(s);
}

/*
 * Connecting.
 */
static void
connect_start(struct store *s)
{
	const struct conf	*c = s->conf;
	redisAsyncContext	*ac;

	if (c->redis_unix[0] != '\0')
		ac = redisAsyncConnectUnix(c->redis_unix);
	else
		ac = redisAsyncConnect(c->redis_host, c->redis_port);
	if (ac == NULL)
		fatalx("redisAsyncConnect: out of memory");
	if (ac->err) {
		util_strlcpy(s->lasterr, ac->errstr, sizeof(s->lasterr));
		redisAsyncFree(ac);
		link_down(s);
		return;
	}
	if (c->redis_unix[0] == '\0')
		(void)redisEnableKeepAlive(&ac->c);
	s->ac = ac;
	s->evmask = 0;
	ev_attach(s, ac);
	/* Also asks for the first write event, which completes connect(2). */
	redisAsyncSetConnectCallback(ac, on_connect);
	if (c->redis_timeout_ms > 0)
		s->conn_timer = evloop_timer_add(s->ev, c->redis_timeout_ms,
		    on_conn_timeout, s);
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	struct store	*s = cac->data;

	if (cac != s->ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context next; ev_cleanup notes it. */
		util_strlcpy(s->lasterr, cac->c.errstr, sizeof(s->lasterr));
		return;
	}
	handshake_start(s);
}

/*
 * Pipeline the whole handshake; on_handshake counts the replies down.
 * PING comes last so that even a subscriber-only store with nothing else
 * to send proves the server answers.
 */
static void
handshake_start(struct store *s)
{
	const struct conf	*c = s->conf;
	redisAsyncContext	*ac = s->ac;
	int			 i, n = 0;

	if (c->redis_password[0] != '\0')
		n += redisAsyncCommand(ac, on_handshake, (void *)HS_AUTH,
		    "AUTH %s", c->redis_password) == REDIS_OK;
	if (c->redis_db != 0)
		n += redisAsyncCommand(ac, on_handshake, (void *)HS_SELECT,
		    "SELECT %d", c->redis_db) == REDIS_OK;
	/* A subscriber can run no scripts, so it needs none loaded. */
	for (i = 0; i < SCRIPT_MAX && s->sub_cb == NULL; i++)
		n += redisAsyncCommand(ac, on_handshake,
		    (void *)HS_SCRIPT(i), "SCRIPT LOAD %s",
		    scripts[i].text) == REDIS_OK;
	n += redisAsyncCommand(ac, on_handshake, (void *)HS_PING,
	    "PING") == REDIS_OK;
	s->handshake = n;
}

static void
on_handshake(redisAsyncContext *ac, void *r, void *priv)
{
	struct store	*s = ac->data;
	redisReply	*reply = r;
	intptr_t	 step = (intptr_t)priv;
	int		 bad;

	if (reply == NULL || ac != s->ac || s->handshake <= 0)
		return;		/* the link went; ev_cleanup saw to it */
	bad = reply->type == REDIS_REPLY_ERROR;
	if (step < SCRIPT_MAX && !bad) {
		bad = reply->type != REDIS_REPLY_STRING ||
		    reply->len != SHA_LEN;
		if (!bad)
			memcpy(s->sha[step], reply->str, SHA_LEN + 1);
	}
	if (bad) {
		stats_redis_error();
		snprintf(s->lasterr, sizeof(s->lasterr), "%s: %s",
		    step == HS_AUTH ? "AUTH" : step == HS_SELECT ? "SELECT" :
		    step == HS_PING ? "PING" : "SCRIPT LOAD",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		s->handshake = 0;
		/* Deferred by hiredis until we return: no use after free. */
		redisAsyncFree(ac);
		return;
	}
	if (--s->handshake == 0)
		went_up(s);
}

static void
went_up(struct store *s)
{
	evloop_timer_del(s->ev, s->conn_timer);
	s->conn_timer = 0;
	s->up = 1;
	s->backoff_ms = RECONNECT_MIN_MS;
	s->lasterr[0] = '\0';
	if (s->sub_cb != NULL)
		sub_send(s);
	if (s->told == 1)
		return;
	if (s->told == 0)
		log_info("redis available again store=%s addr=%s", s->name,
		    s->conf->redis_addr);
	else
		log_debug("redis connected store=%s addr=%s", s->name,
		    s->conf->redis_addr);
	s->told = 1;
	if (s->state_cb != NULL)
		s->state_cb(s, 1, s->state_arg);
}

/*
 * The context is gone (or never came).  Tell the owner once per outage,
 * then try again later.  Called outside hiredis only.
 */
static void
link_down(struct store *s)
{
	s->up = 0;
	s->lost = 0;
	s->handshake = 0;
	evloop_timer_del(s->ev, s->conn_timer);
	s->conn_timer = 0;
	if (s->freed || !s->want)
		return;
	if (s->told != 0) {
		if (s->told == 1)
			stats_redis_error();	/* a link lost */
		log_warnx("redis unavailable: %s store=%s addr=%s",
		    s->lasterr[0] ? s->lasterr : "connection closed", s->name,
		    s->conf->redis_addr);
		s->told = 0;
		if (s->state_cb != NULL)
			s->state_cb(s, 0, s->state_arg);
		if (s->freed)
			return;
	} else
		log_debug("redis still unavailable: %s store=%s",
		    s->lasterr[0] ? s->lasterr : "connection closed", s->name);
	evloop_timer_del(s->ev, s->retry_timer);
	s->retry_timer = evloop_timer_add(s->ev, s->backoff_ms,
	    on_retry_timer, s);
	s->backoff_ms = TD_MIN(s->backoff_ms * 2, RECONNECT_MAX_MS);
}

static void
on_retry_timer(struct evloop *ev, void *arg)
{
	struct store	*s = arg;

	(void)ev;
	s->retry_timer = 0;
	s->busy++;
	if (!s->freed && s->want && s->ac == NULL)
		connect_start(s);
	release(s);
}

/* No connection, or no complete handshake, in time: drop it, retry. */
static void
on_conn_timeout(struct evloop *ev, void *arg)
{
	struct store		*s = arg;
	redisAsyncContext	*ac;

	(void)ev;
	s->conn_timer = 0;
	if (s->ac == NULL || s->up)
		return;
	s->busy++;
	snprintf(s->lasterr, sizeof(s->lasterr),
	    "no answer within %llu ms",
	    (unsigned long long)s->conf->redis_timeout_ms);
	ac = s->ac;
	s->ac = NULL;
	s->evmask = 0;
	redisAsyncFree(ac);
	if (!s->freed)
		link_down(s);
	release(s);
}

/*
 * The evloop adapter: hiredis' five hooks mapped onto one fd entry with a
 * combined mask.  ev.data is the context itself, so a hook can tell a
 * context being torn down from the current one.
 */
static void
ev_attach(struct store *s, redisAsyncContext *ac)
{
	ac->data = s;
	ac->ev.data = ac;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
}

static void
ev_add_read(void *priv)
{
	ev_update(priv, 1, EV_READ);
}

static void
ev_del_read(void *priv)
{
	ev_update(priv, 0, EV_READ);
}

static void
ev_add_write(void *priv)
{
	ev_update(priv, 1, EV_WRITE);
}

static void
ev_del_write(void *priv)
{
	ev_update(priv, 0, EV_WRITE);
}

static void
ev_update(redisAsyncContext *ac, int add, int mask)
{
	struct store	*s = ac->data;
	int		 m;

	if (ac != s->ac)
		return;
	m = add ? (s->evmask | mask) : (s->evmask & ~mask);
	/* hiredis re-adds READ after every read; skip the no-op syscall. */
	if (m == s->evmask)
		return;
	s->evmask = m;
	if (evloop_fd_set(s->ev, ac->c.fd, m, on_fd, s) == -1)
		log_warn("redis fd store=%s", s->name);
}

/* Runs whenever a context goes, however it goes. */
static void
ev_cleanup(void *priv)
{
	redisAsyncContext	*ac = priv;
	struct store		*s = ac->data;

	if (ac->c.fd >= 0)
		evloop_fd_del(s->ev, ac->c.fd);
	if (ac != s->ac)
		return;
	if (ac->c.err)
		util_strlcpy(s->lasterr, ac->c.errstr, sizeof(s->lasterr));
	s->ac = NULL;
	s->evmask = 0;
	s->up = 0;
	s->lost = 1;
}

static void
on_fd(struct evloop *ev, int fd, int events, void *arg)
{
	struct store		*s = arg;
	redisAsyncContext	*ac = s->ac;

	(void)ev;
	(void)fd;
	if (ac == NULL)
		return;
	s->busy++;
	if (events & EV_READ)
		redisAsyncHandleRead(ac);
	if ((events & EV_WRITE) && s->ac == ac)
		redisAsyncHandleWrite(ac);
	if (s->lost && !s->freed)
		link_down(s);
	release(s);
}

/*
 * Commands.
 */
static int
submit(struct store *s, int script, int nkeys, struct args *a, store_cb *cb,
    void *arg)
{
	struct req	*q;

	if (!s->up || s->ac == NULL || s->sub_cb != NULL) {
		args_free(a);
		return -1;
	}
	q = xcalloc(1, sizeof(*q));
	q->s = s;
	q->cb = cb;
	q->arg = arg;
	q->script = script;
	q->nkeys = nkeys;
	q->a = *a;
	if (req_send(s, s->ac, q) == -1) {
		req_free(q);
		return -1;
	}
	s->inflight++;
	return 0;
}

/* EVALSHA sha nkeys args..., or EVAL with the text after a NOSCRIPT. */
static int
req_send(struct store *s, redisAsyncContext *ac, struct req *q)
{
	const char	*sargv[ARGS_MIN + 3], **argv = sargv;
	size_t		 slen[ARGS_MIN + 3], *len = slen;
	char		 nk[16];
	int		 i, n = 0, rc;

	if (q->a.n > ARGS_MIN) {
		argv = xcalloc((size_t)q->a.n + 3, sizeof(*argv));
		len = xcalloc((size_t)q->a.n + 3, sizeof(*len));
	}

	if (q->script >= 0) {
		argv[n] = q->as_eval ? "EVAL" : "EVALSHA";
		len[n] = strlen(argv[n]);
		n++;
		argv[n] = q->as_eval ? scripts[q->script].text :
		    s->sha[q->script];
		len[n] = strlen(argv[n]);
		n++;
		snprintf(nk, sizeof(nk), "%d", q->nkeys);
		argv[n] = nk;
		len[n++] = strlen(nk);
	}
	for (i = 0; i < q->a.n; i++, n++) {
		argv[n] = q->a.v[i];
		len[n] = q->a.len[i];
	}
	rc = send_argv(ac, q, n, argv, len);
	if (argv != sargv) {
		free(argv);
		free(len);
	}
	return rc;
}

/*
 * The command in RESP, formatted here into one buffer: hiredis's
 * redisAsyncCommandArgv() builds it with sdscatfmt() piece by piece,
 * which cost more than everything else an enqueue does in the listener.
 */
static int
send_argv(redisAsyncContext *ac, struct req *q, int argc,
    const char **argv, const size_t *len)
{
	char	 sbuf[2048], *buf = sbuf;
	size_t	 need = 16, n;
	int	 i, rc;

	for (i = 0; i < argc; i++)
		need += len[i] + 32;
	if (need > sizeof(sbuf))
		buf = xmalloc(need);
	buf[0] = '*';
	n = 1 + util_decimal(buf + 1, (size_t)argc);
	for (i = 0; i < argc; i++) {
		memcpy(buf + n, "\r\n$", 3);
		n += 3;
		n += util_decimal(buf + n, len[i]);
		memcpy(buf + n, "\r\n", 2);
		n += 2;
		memcpy(buf + n, argv[i], len[i]);
		n += len[i];
	}
	memcpy(buf + n, "\r\n", 2);
	n += 2;
	/*
	 * hiredis looks for the command's name with strchr(), which reads
	 * to a NUL: there is room for one (need counts 32 bytes an argument
	 * for at most 25 of framing).
	 */
	buf[n] = '\0';
	rc = redisAsyncFormattedCommand(ac, on_reply, q, buf, n) == REDIS_OK ?
	    0 : -1;
	if (buf != sbuf)
		free(buf);
	return rc;
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct req	*q = priv;
	struct store	*s = q->s;
	redisReply	*reply = r;

	if (reply == NULL)
		s->up = 0;	/* the link is going: refuse new commands */
	else if (reply->type == REDIS_REPLY_ERROR && q->script >= 0 &&
	    !q->as_eval && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		/* A restarted or flushed server: EVAL caches it again. */
		log_debug("script %s not cached; sending it store=%s",
		    scripts[q->script].name, s->name);
		q->as_eval = 1;
		if (req_send(s, ac, q) == 0)
			return;
		reply = NULL;
	} else if (reply->type == REDIS_REPLY_ERROR)
		stats_redis_error();
	s->inflight--;
	if (q->cb != NULL)
		q->cb(s, reply, q->arg);
	req_free(q);
}

static void
req_free(struct req *q)
{
	args_free(&q->a);
	free(q);
}

static void
args_add(struct args *a, const void *p, size_t len)
{
	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? ARGS_MIN : a->cap * 2;
		a->v = xrealloc(a->v, (size_t)a->cap * sizeof(*a->v));
		a->len = xrealloc(a->len, (size_t)a->cap * sizeof(*a->len));
	}
	a->v[a->n] = xmalloc(len + 1);
	if (len > 0)
		memcpy(a->v[a->n], p, len);
	a->v[a->n][len] = '\0';
	a->len[a->n++] = len;
}

static void
args_str(struct args *a, const char *str)
{
	args_add(a, str, strlen(str));
}

static void
args_u64(struct args *a, uint64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	args_str(a, buf);
}

/* P:{queue}:what, or P:{queue}:what:id ("t" + id = a task hash). */
static void
args_key(struct args *a, const struct store *s, const char *queue,
    const char *what, const char *id)
{
	/* Pieces copied, not printf'd: an enqueue builds eight keys. */
	const char	*part[7];
	char		 sbuf[256], *k = sbuf;
	size_t		 plen[7], need = 1, n = 0;
	int		 i, np = 0;

	part[np++] = s->conf->redis_prefix;
	part[np++] = ":{";
	part[np++] = queue;
	part[np++] = "}:";
	part[np++] = what;
	if (id != NULL) {
		part[np++] = ":";
		part[np++] = id;
	}
	for (i = 0; i < np; i++)
		need += plen[i] = strlen(part[i]);
	if (need > sizeof(sbuf))
		k = xmalloc(need);
	for (i = 0; i < np; i++) {
		memcpy(k + n, part[i], plen[i]);
		n += plen[i];
	}
	args_add(a, k, n);
	if (k != sbuf)
		free(k);
}

/* The prefix of a queue's task hashes, for scripts that build their keys. */
static void
args_base(struct args *a, const struct store *s, const char *queue)
{
	char	base[TD_NAME_MAX + 80];

	snprintf(base, sizeof(base), "%s:{%s}:t:", s->conf->redis_prefix,
	    queue);
	args_str(a, base);
}

static void
args_free(struct args *a)
{
	int	i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->len);
	a->v = NULL;
	a->len = NULL;
	a->n = a->cap = 0;
}

static void
wake_channel(const struct store *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s:wake", s->conf->redis_prefix);
}

/* P:queues, the set of the queues created through the API. */
static void
args_queues(struct args *a, const struct store *s)
{
	char	*k;
	int	 n;

	n = xasprintf(&k, "%s:queues", s->conf->redis_prefix);
	args_add(a, k, (size_t)n);
	free(k);
}

int
store_ping(struct store *s, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_str(&a, "PING");
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_enqueue(struct store *s, const struct task *t, uint64_t now,
    store_cb *cb, void *arg)
{
	const struct conf_queue	*cq;
	struct args		 a = { 0 };
	char			*headers, chan[96];

	args_key(&a, s, t->queue, "t", t->id);
	args_key(&a, s, t->queue, "pending", NULL);
	args_key(&a, s, t->queue, "scheduled", NULL);
	args_key(&a, s, t->queue, "stats", NULL);
	args_key(&a, s, t->queue, "tomb", t->id);
	args_key(&a, s, t->queue, "done", NULL);
	args_key(&a, s, t->queue, "dead", NULL);
	args_key(&a, s, t->queue, "conf", NULL);
	args_str(&a, t->id);
	args_str(&a, t->queue);
	args_str(&a, t->url != NULL ? t->url : "");
	args_str(&a, t->method);
	headers = task_headers_to_json(t);
	args_str(&a, headers != NULL ? headers : "{}");
	free(headers);
	args_add(&a, t->body != NULL ? t->body : "", t->body != NULL ?
	    t->bodylen : 0);
	args_u64(&a, t->created_ms);
	args_u64(&a, t->eta_ms);
	args_u64(&a, now);
	wake_channel(s, chan, sizeof(chan));
	args_str(&a, chan);
	args_u64(&a, t->deadline_ms);
	args_u64(&a, t->tomb_ms);
	/* Not a queue of the file (or not yet in our table): it must exist. */
	cq = conf_queue_find(s->conf, t->queue);
	args_str(&a, cq == NULL || cq->dynamic ? "1" : "0");
	return submit(s, SCRIPT_ENQUEUE, 8, &a, cb, arg);
}

int
store_claim(struct store *s, const char *queue, uint64_t now,
    uint64_t lease_until, const char *token, int n, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "pending", NULL);
	args_key(&a, s, queue, "active", NULL);
	args_key(&a, s, queue, "lease", NULL);
	args_key(&a, s, queue, "conf", NULL);
	args_base(&a, s, queue);
	args_u64(&a, lease_until);
	args_str(&a, token);
	args_u64(&a, now);
	args_u64(&a, n > 0 ? (uint64_t)n : 1);
	return submit(s, SCRIPT_CLAIM, 4, &a, cb, arg);
}

int
store_blmove(struct store *s, const char *queue, double timeout_s,
    store_cb *cb, void *arg)
{
	struct args	a = { 0 };
	char		buf[32];

	args_str(&a, "BLMOVE");
	args_key(&a, s, queue, "pending", NULL);
	args_key(&a, s, queue, "active", NULL);
	args_str(&a, "RIGHT");
	args_str(&a, "LEFT");
	snprintf(buf, sizeof(buf), "%.3f", timeout_s > 0 ? timeout_s : 0);
	args_str(&a, buf);
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_lease(struct store *s, const char *queue, const char *id, uint64_t now,
    uint64_t lease_until, const char *token, int n, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "active", NULL);
	args_key(&a, s, queue, "lease", NULL);
	args_key(&a, s, queue, "t", id);
	args_key(&a, s, queue, "pending", NULL);
	args_key(&a, s, queue, "conf", NULL);
	args_str(&a, id);
	args_u64(&a, lease_until);
	args_str(&a, token);
	args_u64(&a, now);
	args_u64(&a, n > 0 ? (uint64_t)n : 1);
	args_base(&a, s, queue);
	return submit(s, SCRIPT_LEASE, 5, &a, cb, arg);
}

int
store_extend(struct store *s, const char *queue, const struct store_lease *l,
    int n, uint64_t lease_until, store_cb *cb, void *arg)
{
	struct args	a = { 0 };
	int		i;

	args_key(&a, s, queue, "lease", NULL);
	args_base(&a, s, queue);
	args_u64(&a, lease_until);
	for (i = 0; i < n; i++) {
		args_str(&a, l[i].id);
		args_str(&a, l[i].token);
	}
	return submit(s, SCRIPT_EXTEND, 1, &a, cb, arg);
}

int
store_ack(struct store *s, const char *queue, uint64_t now,
    const struct store_outcome *o, int n, store_cb *cb, void *arg)
{
	struct args	a = { 0 };
	int		i;

	args_key(&a, s, queue, "active", NULL);
	args_key(&a, s, queue, "lease", NULL);
	args_key(&a, s, queue, "done", NULL);
	args_key(&a, s, queue, "stats", NULL);
	args_key(&a, s, queue, "minute", NULL);
	args_base(&a, s, queue);
	args_u64(&a, now);
	for (i = 0; i < n; i++) {
		args_str(&a, o[i].id);
		args_str(&a, o[i].token);
		args_u64(&a, o[i].res.status > 0 ? (uint64_t)o[i].res.status :
		    0);
		args_u64(&a, o[i].res.dur_ms);
	}
	return submit(s, SCRIPT_ACK, 5, &a, cb, arg);
}

int
store_retry(struct store *s, const char *queue, uint64_t now,
    const struct store_outcome *o, int n, store_cb *cb, void *arg)
{
	struct args	a = { 0 };
	char		chan[96];
	int		i;

	args_key(&a, s, queue, "active", NULL);
	args_key(&a, s, queue, "lease", NULL);
	args_key(&a, s, queue, "retry", NULL);
	args_key(&a, s, queue, "dead", NULL);
	args_key(&a, s, queue, "stats", NULL);
	args_key(&a, s, queue, "minute", NULL);
	args_base(&a, s, queue);
	args_u64(&a, now);
	wake_channel(s, chan, sizeof(chan));
	args_str(&a, chan);
	for (i = 0; i < n; i++) {
		args_str(&a, o[i].id);
		args_str(&a, o[i].token);
		args_u64(&a, o[i].next_at);
		args_u64(&a, o[i].res.status > 0 ? (uint64_t)o[i].res.status :
		    0);
		args_str(&a, o[i].res.error != NULL ? o[i].res.error : "");
		args_u64(&a, o[i].res.dur_ms);
	}
	return submit(s, SCRIPT_RETRY, 6, &a, cb, arg);
}

int
store_handback(struct store *s, const char *queue, const char *id,
    const char *token, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "active", NULL);
	args_key(&a, s, queue, "lease", NULL);
	args_key(&a, s, queue, "pending", NULL);
	args_key(&a, s, queue, "t", id);
	args_str(&a, id);
	args_str(&a, token != NULL ? token : "");
	return submit(s, SCRIPT_HANDBACK, 4, &a, cb, arg);
}

int
store_promote(struct store *s, const char *queue, uint64_t now, int limit,
    store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "scheduled", NULL);
	args_key(&a, s, queue, "retry", NULL);
	args_key(&a, s, queue, "pending", NULL);
	args_base(&a, s, queue);
	args_u64(&a, now);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 1);
	return submit(s, SCRIPT_PROMOTE, 3, &a, cb, arg);
}

int
store_sweep(struct store *s, const char *queue, uint64_t now,
    uint64_t lease_ms, int max_retries, int limit, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "active", NULL);
	args_key(&a, s, queue, "lease", NULL);
	args_key(&a, s, queue, "retry", NULL);
	args_key(&a, s, queue, "dead", NULL);
	args_key(&a, s, queue, "stats", NULL);
	args_key(&a, s, queue, "conf", NULL);
	args_base(&a, s, queue);
	args_u64(&a, now);
	args_u64(&a, lease_ms);
	args_u64(&a, max_retries > 0 ? (uint64_t)max_retries : 0);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 1);
	return submit(s, SCRIPT_SWEEP, 6, &a, cb, arg);
}

int
store_trim(struct store *s, const char *queue, uint64_t done_before,
    uint64_t dead_before, int limit, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "done", NULL);
	args_key(&a, s, queue, "dead", NULL);
	args_key(&a, s, queue, "minute", NULL);
	args_base(&a, s, queue);
	args_u64(&a, done_before);
	args_u64(&a, dead_before);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 1);
	args_u64(&a, util_wall_ms());
	return submit(s, SCRIPT_TRIM, 3, &a, cb, arg);
}

/*
 * The operator API.
 */
int
store_qinfo(struct store *s, const char *queue, store_cb *cb, void *arg)
{
	static const char *const	 keys[] = { "pending", "active",
	    "scheduled", "retry", "dead", "done", "conf", "stats", "minute" };
	struct args			 a = { 0 };
	size_t				 i;

	for (i = 0; i < TD_NELEM(keys); i++)
		args_key(&a, s, queue, keys[i], NULL);
	args_base(&a, s, queue);
	return submit(s, SCRIPT_QINFO, (int)TD_NELEM(keys), &a, cb, arg);
}

int
store_list(struct store *s, const char *queue, const char *state,
    const char *order, const char *token, int size, const char *url,
    store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, state, NULL);
	args_base(&a, s, queue);
	args_str(&a, order);
	args_str(&a, token != NULL ? token : "");
	args_u64(&a, size > 0 ? (uint64_t)size : 1);
	args_str(&a, url != NULL ? url : "");
	return submit(s, SCRIPT_LIST, 1, &a, cb, arg);
}

int
store_get(struct store *s, const char *queue, const char *id, store_cb *cb,
    void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "t", id);
	args_key(&a, s, queue, "scheduled", NULL);
	args_key(&a, s, queue, "retry", NULL);
	args_str(&a, id);
	return submit(s, SCRIPT_GET, 3, &a, cb, arg);
}

int
store_task_state(struct store *s, const char *queue, const char *id,
    store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_str(&a, "HGET");
	args_key(&a, s, queue, "t", id);
	args_str(&a, "state");
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_requeue(struct store *s, const char *queue, const char *mode,
    const char *what, int limit, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "pending", NULL);
	args_key(&a, s, queue, "scheduled", NULL);
	args_key(&a, s, queue, "retry", NULL);
	args_key(&a, s, queue, "dead", NULL);
	args_base(&a, s, queue);
	args_str(&a, mode);
	args_str(&a, what);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 1);
	return submit(s, SCRIPT_REQUEUE, 4, &a, cb, arg);
}

int
store_remove(struct store *s, const char *queue, const char *mode,
    const char *what, int limit, store_cb *cb, void *arg)
{
	static const char *const	 keys[] = { "pending", "active",
	    "lease", "scheduled", "retry", "dead", "done" };
	struct args			 a = { 0 };
	size_t				 i;

	for (i = 0; i < TD_NELEM(keys); i++)
		args_key(&a, s, queue, keys[i], NULL);
	args_base(&a, s, queue);
	args_str(&a, mode);
	args_str(&a, what);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 1);
	return submit(s, SCRIPT_REMOVE, (int)TD_NELEM(keys), &a, cb, arg);
}

/*
 * One command, so atomic without a script.  A resume is also published
 * on P:resume, so that workers skipping the queue as paused look at it
 * again at once rather than at their next look (up to a second later,
 * and at a different moment in each worker).  The message is a hint: a
 * worker that misses it finds out by itself.
 */
int
store_pause(struct store *s, const char *queue, int paused, store_cb *cb,
    void *arg)
{
	struct args	a = { 0 }, p = { 0 };
	char		chan[96];
	int		rc;

	args_str(&a, paused ? "HSET" : "HDEL");
	args_key(&a, s, queue, "conf", NULL);
	args_str(&a, "paused");
	if (paused)
		args_str(&a, "1");
	if ((rc = submit(s, -1, 0, &a, cb, arg)) == -1 || paused)
		return rc;
	args_str(&p, "PUBLISH");
	snprintf(chan, sizeof(chan), "%s:resume", s->conf->redis_prefix);
	args_str(&p, chan);
	args_str(&p, queue);
	(void)submit(s, -1, 0, &p, NULL, NULL);
	return 0;
}

int
store_info(struct store *s, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_str(&a, "INFO");
	args_str(&a, "server");
	args_str(&a, "memory");
	args_str(&a, "persistence");
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_run(struct store *s, const char *queue, const char *id, uint64_t now,
    store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_key(&a, s, queue, "pending", NULL);
	args_key(&a, s, queue, "scheduled", NULL);
	args_key(&a, s, queue, "retry", NULL);
	args_key(&a, s, queue, "t", id);
	args_key(&a, s, queue, "active", NULL);
	args_str(&a, id);
	args_u64(&a, now);
	return submit(s, SCRIPT_RUN, 5, &a, cb, arg);
}

/*
 * Dynamic queues.
 */
int
store_queue_delete(struct store *s, const char *queue, int limit,
    store_cb *cb, void *arg)
{
	static const char *const	 keys[] = { "pending", "active",
	    "lease", "scheduled", "retry", "dead", "done", "conf", "stats",
	    "minute" };
	struct args			 a = { 0 };
	size_t				 i;

	for (i = 0; i < TD_NELEM(keys); i++)
		args_key(&a, s, queue, keys[i], NULL);
	args_queues(&a, s);
	args_base(&a, s, queue);
	args_str(&a, queue);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 1);
	return submit(s, SCRIPT_QDEL, (int)TD_NELEM(keys) + 1, &a, cb, arg);
}

/* One script: the name and the conf appear together (qcreate.lua). */
int
store_queue_create(struct store *s, const char *queue, uint64_t now,
    int limit, const char **fv, int nfv, store_cb *cb, void *arg)
{
	struct args	 a = { 0 };
	int		 i;

	if (nfv < 0 || nfv % 2 != 0 || nfv > CONF_FV_MAX)
		return -1;
	args_queues(&a, s);
	args_key(&a, s, queue, "conf", NULL);
	args_str(&a, queue);
	args_u64(&a, limit > 0 ? (uint64_t)limit : 0);
	args_u64(&a, now);
	for (i = 0; i < nfv; i++)
		args_str(&a, fv[i]);
	return submit(s, SCRIPT_QCREATE, 2, &a, cb, arg);
}

int
store_queue_set(struct store *s, const char *queue, const char **fv,
    int nfv, store_cb *cb, void *arg)
{
	struct args	a = { 0 };
	int		i;

	if (nfv < 2 || nfv % 2 != 0 || nfv > CONF_FV_MAX)
		return -1;
	args_str(&a, "HSET");
	args_key(&a, s, queue, "conf", NULL);
	for (i = 0; i < nfv; i++)
		args_str(&a, fv[i]);
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_queue_unset(struct store *s, const char *queue, const char **fields,
    int n, store_cb *cb, void *arg)
{
	struct args	a = { 0 };
	int		i;

	if (n < 1 || n > CONF_FV_MAX)
		return -1;
	args_str(&a, "HDEL");
	args_key(&a, s, queue, "conf", NULL);
	for (i = 0; i < n; i++)
		args_str(&a, fields[i]);
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_queue_conf(struct store *s, const char *queue, store_cb *cb,
    void *arg)
{
	struct args	a = { 0 };

	args_str(&a, "HGETALL");
	args_key(&a, s, queue, "conf", NULL);
	return submit(s, -1, 0, &a, cb, arg);
}

int
store_queues(struct store *s, store_cb *cb, void *arg)
{
	struct args	a = { 0 };

	args_str(&a, "SMEMBERS");
	args_queues(&a, s);
	return submit(s, -1, 0, &a, cb, arg);
}

/*
 * The wake subscription.  The store is the subscriber's alone from now
 * on; it subscribes again after every reconnect, and the confirmation is
 * handed to cb as the due time "0" ("now"), since messages may have been
 * missed while the link was down.
 */
int
store_subscribe_wake(struct store *s, store_cb *cb, void *arg)
{
	return store_subscribe(s, "wake", cb, arg);
}

int
store_subscribe(struct store *s, const char *what, store_cb *cb, void *arg)
{
	if (s->freed)
		return -1;
	s->sub_cb = cb;
	s->sub_arg = arg;
	s->sub_what = what;
	if (s->up && s->ac != NULL)
		sub_send(s);
	return 0;
}

static void
sub_send(struct store *s)
{
	char	chan[96];

	snprintf(chan, sizeof(chan), "%s:%s", s->conf->redis_prefix,
	    s->sub_what);
	if (redisAsyncCommand(s->ac, on_sub, s, "SUBSCRIBE %s", chan) !=
	    REDIS_OK)
		log_warnx("redis SUBSCRIBE not sent store=%s", s->name);
}

static void
on_sub(redisAsyncContext *ac, void *r, void *priv)
{
	struct store	*s = priv;
	redisReply	*reply = r, now;
	const char	*kind;
	char		 zero[] = "0";

	if (reply == NULL || ac != s->ac || s->sub_cb == NULL)
		return;	/* link lost: the state callback says so */
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING)
		return;
	kind = reply->element[0]->str;
	if (strcasecmp(kind, "message") == 0 &&
	    reply->element[2]->type == REDIS_REPLY_STRING)
		s->sub_cb(s, reply->element[2], s->sub_arg);
	else if (strcasecmp(kind, "subscribe") == 0) {
		memset(&now, 0, sizeof(now));
		now.type = REDIS_REPLY_STRING;
		now.str = zero;
		now.len = 1;
		s->sub_cb(s, &now, s->sub_arg);
	}
}

/*
 * A claim or lease reply (a flat [field, value, ...] array) as a task.
 */
int
store_task_from_reply(struct task *t, const char *queue,
    const struct redisReply *r, char *err, size_t errlen)
{
	const char	*headers = NULL;
	size_t		 i;

	memset(t, 0, sizeof(*t));
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		snprintf(err, errlen, "task: not a field/value array");
		return -1;
	}
	util_strlcpy(t->queue, queue, sizeof(t->queue));
	for (i = 0; i < r->elements; i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if (task_field(t, r->element[i]->str, r->element[i + 1],
		    &headers, err, errlen) == -1)
			goto bad;
	}
	if (t->id[0] == '\0' || t->url == NULL || t->method[0] == '\0') {
		snprintf(err, errlen, "task: %s missing", t->id[0] == '\0' ?
		    "id" : t->url == NULL ? "url" : "method");
		goto bad;
	}
	if (t->body == NULL)
		t->body = xstrdup("");
	if (headers != NULL &&
	    task_headers_from_json(t, headers, err, errlen) == -1)
		goto bad;
	t->delay_ms = t->eta_ms > t->created_ms ? t->eta_ms - t->created_ms :
	    0;
	return 0;
bad:
	task_free(t);
	return -1;
}

/* One field of the hash; the headers JSON is parsed once all are in. */
static int
task_field(struct task *t, const char *name, const redisReply *v,
    const char **headers, char *err, size_t errlen)
{
	if (strcmp(name, "id") == 0) {
		if (v->len == 0 || v->len >= sizeof(t->id)) {
			snprintf(err, errlen, "task: bad id");
			return -1;
		}
		memcpy(t->id, v->str, v->len + 1);
	} else if (strcmp(name, "url") == 0) {
		free(t->url);
		t->url = xstrndup(v->str, v->len);
	} else if (strcmp(name, "method") == 0) {
		if (v->len == 0 || v->len >= sizeof(t->method)) {
			snprintf(err, errlen, "task: bad method");
			return -1;
		}
		memcpy(t->method, v->str, v->len + 1);
	} else if (strcmp(name, "headers") == 0)
		*headers = v->str;
	else if (strcmp(name, "body") == 0) {
		free(t->body);
		t->body = xmalloc(v->len + 1);
		memcpy(t->body, v->str, v->len);
		t->body[v->len] = '\0';
		t->bodylen = v->len;
	} else if (strcmp(name, "created") == 0)
		t->created_ms = strtoull(v->str, NULL, 10);
	else if (strcmp(name, "eta") == 0)
		t->eta_ms = strtoull(v->str, NULL, 10);
	else if (strcmp(name, "attempts") == 0)
		t->attempts = atoi(v->str);
	else if (strcmp(name, "deadline") == 0)
		t->deadline_ms = strtoull(v->str, NULL, 10);
	else if (strcmp(name, "tomb") == 0)
		t->tomb_ms = strtoull(v->str, NULL, 10);
	return 0;
}

const char *
store_reply_field(const struct redisReply *r, const char *name)
{
	size_t	i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}
