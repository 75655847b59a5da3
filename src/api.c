/*
 * api.c: the handlers.  POST /v1/enqueue turns the body into a task and
 * stores it with one script; GET|HEAD /health pings Redis; the operator
 * API and /metrics go to admin.c.  Anything route_match() refuses is
 * answered at once with 404 or 405.
 *
 * With API tokens configured, every request but GET|HEAD /health must
 * carry "Authorization: Bearer <token>", or it is answered 401 before it
 * is routed (so an unauthenticated client cannot even map the API).
 * /metrics too: Prometheus sends a bearer token (authorization: in a
 * scrape config), and queue names and depths are nobody else's business.
 *
 * A 200 means the task is in Redis: it is sent only for the script's
 * own success reply.  No reply (the link dropped), an error reply or a
 * store that is not up all become 503, which tells the client to try
 * again.  A link that drops after the script ran but before its reply
 * arrived makes that retry a duplicate: delivery is at least once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis.h>

#include "admin.h"
#include "ctjson.h"
#include "api.h"
#include "ctapi.h"
#include "log.h"
#include "route.h"
#include "task.h"
#include "util.h"

#define UNAVAILABLE	"redis: unavailable"

struct api {
	const struct conf	*conf;
	struct store		*store;
	struct admin		*admin;
	struct ctapi		*ctapi;
	int			 pending;
};

/* One request waiting for the store. */
struct api_req {
	struct api	*api;		/* NULL once cancelled */
	api_done_fn	*done;		/* NULL once cancelled */
	void		*conn;
	struct admin_op	*op;		/* an operator API request */
	struct ctapi_op	*ctop;		/* a Cloud Tasks API request */
	char		 id[TD_ID_LEN + 1];
	char		 queue[TD_NAME_MAX];
};

static struct api_req *health(struct api *, api_done_fn *, void *);
static struct api_req *enqueue(struct api *, const struct http_request *,
		    api_done_fn *, void *);
static void	on_ping(struct store *, struct redisReply *, void *);
static void	on_enqueue(struct store *, struct redisReply *, void *);
static struct api_req *route_v1(struct api *, struct route_match *,
		    const struct http_request *, api_done_fn *, void *);
static struct api_req *admin(struct api *, const struct route_match *,
		    const struct http_request *, api_done_fn *, void *);
static void	on_admin(void *, int, const char *, const char *, size_t,
		    const char *);
static struct api_req *cloudtasks(struct api *, const struct ct_match *,
		    const struct http_request *, api_done_fn *, void *);
static struct api_req *req_new(struct api *, api_done_fn *, void *);
static void	req_detach(struct api_req *);
static int	reply_is(const struct redisReply *, const char *);
static int	authorized(const struct conf *, const struct http_request *,
		    const char **);

struct api *
api_new(const struct conf *conf, struct store *store)
{
	struct api	*api = xcalloc(1, sizeof(*api));

	api->conf = conf;
	api->store = store;
	api->admin = admin_new(conf, store);
	api->ctapi = ctapi_new(conf, store);
	return api;
}

void
api_free(struct api *api)
{
	if (api != NULL && api->pending > 0)
		log_warnx("api freed with %d requests pending", api->pending);
	if (api != NULL) {
		admin_free(api->admin);
		ctapi_free(api->ctapi);
	}
	free(api);
}

int
api_pending(const struct api *api)
{
	return api->pending;
}

struct api_req *
api_handle(struct api *api, const struct http_request *req,
    api_done_fn *done, void *conn)
{
	struct route_match	 m;
	struct ct_match		 cm;
	const char		*why;
	char			 allow[128];

	route_match(req->method, req->target != NULL ? req->target : "",
	    req->targetlen, &m);
	if (m.id != ROUTE_HEALTH && !authorized(api->conf, req, &why)) {
		snprintf(allow, sizeof(allow), "WWW-Authenticate: Bearer "
		    "realm=\"taskdispatcher\"%s\r\n", strcmp(why,
		    "missing bearer token") == 0 ? "" :
		    ", error=\"invalid_token\"");
		api_error(done, conn, 401, why, allow);
		return NULL;
	}
	if (ct_route_match(req->method, req->target != NULL ? req->target :
	    "", req->targetlen, &cm))
		return cloudtasks(api, &cm, req, done, conn);
	if (m.id == ROUTE_HEALTH)
		return health(api, done, conn);
	return route_v1(api, &m, req, done, conn);
}

/* /v1/enqueue, the operator API and /metrics; or no such route. */
static struct api_req *
route_v1(struct api *api, struct route_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	char	allow[128];

	switch (m->id) {
	case ROUTE_ENQUEUE:
		return enqueue(api, req, done, conn);
	case ROUTE_NONE:
		break;
	default:
		return admin(api, m, req, done, conn);
	}
	if (m->status == 405) {
		snprintf(allow, sizeof(allow), "Allow: %s\r\n",
		    m->allow != NULL ? m->allow : "");
		api_error(done, conn, 405, "method not allowed", allow);
	} else
		api_error(done, conn, m->status != 0 ? m->status : 404,
		    "no such resource", NULL);
	return NULL;
}

void
api_cancel(struct api_req *r)
{
	if (r == NULL)
		return;
	/* The store still holds r: its callback frees it, telling no one. */
	req_detach(r);
	if (r->op != NULL) {
		/* admin.c holds the op, not r: r is ours to free. */
		admin_cancel(r->op);
		free(r);
	} else if (r->ctop != NULL) {
		ctapi_cancel(r->ctop);
		free(r);
	}
}

/*
 * The Cloud Tasks API: ctapi.c answers through on_admin too.  A path of
 * its own that ct_route_match() refused is answered here, in Google's
 * error shape.
 */
static struct api_req *
cloudtasks(struct api *api, const struct ct_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	struct api_req	*r;
	struct ctapi_op	*op;
	char		*body, allow[128];
	size_t		 len;

	if (m->status != 0) {
		allow[0] = '\0';
		if (m->status == 405)
			snprintf(allow, sizeof(allow), "Allow: %s\r\n",
			    m->allow != NULL ? m->allow : "");
		body = ct_error_json(m->status, m->status == 400 ?
		    "INVALID_ARGUMENT" : m->status == 405 ? "UNIMPLEMENTED" :
		    "NOT_FOUND", m->status == 405 ? "method not allowed" :
		    m->status == 400 ? m->message :
		    "Requested entity was not found.", &len);
		done(conn, m->status, NULL, body, len,
		    allow[0] != '\0' ? allow : NULL);
		free(body);
		return NULL;
	}
	r = req_new(api, done, conn);
	api->pending++;
	if ((op = ctapi_handle(api->ctapi, m, req, on_admin, r)) == NULL)
		return NULL;	/* answered already */
	r->ctop = op;
	return r;
}

/* The operator API: admin.c answers through on_admin, which frees r. */
static struct api_req *
admin(struct api *api, const struct route_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	struct api_req	*r = req_new(api, done, conn);
	struct admin_op	*op;

	api->pending++;
	if ((op = admin_handle(api->admin, m, req, on_admin, r)) == NULL)
		return NULL;	/* answered already */
	r->op = op;
	return r;
}

static void
on_admin(void *arg, int status, const char *ctype, const char *body,
    size_t len, const char *extra)
{
	struct api_req	*r = arg;
	api_done_fn	*done = r->done;
	void		*conn = r->conn;

	req_detach(r);
	free(r);
	if (done != NULL)
		done(conn, status, ctype, body, len, extra);
}

static struct api_req *
health(struct api *api, api_done_fn *done, void *conn)
{
	struct api_req	*r = req_new(api, done, conn);

	if (store_ping(api->store, on_ping, r) == -1) {
		free(r);
		api_error(done, conn, 503, UNAVAILABLE, NULL);
		return NULL;
	}
	api->pending++;
	return r;
}

static void
on_ping(struct store *s, struct redisReply *reply, void *arg)
{
	static const char	 ok[] = "{\"status\":\"ok\"}";
	struct api_req		*r = arg;
	api_done_fn		*done = r->done;
	void			*conn = r->conn;

	(void)s;
	req_detach(r);
	free(r);
	if (done == NULL)
		return;
	if (reply_is(reply, "PONG"))
		done(conn, 200, NULL, ok, sizeof(ok) - 1, NULL);
	else
		api_error(done, conn, 503, UNAVAILABLE, NULL);
}

static struct api_req *
enqueue(struct api *api, const struct http_request *req, api_done_fn *done,
    void *conn)
{
	struct task	 t;
	struct api_req	*r;
	char		 err[256];

	memset(&t, 0, sizeof(t));
	if (task_from_enqueue_json(&t, req->body != NULL ? req->body : "",
	    req->bodylen, api->conf, err, sizeof(err)) == -1) {
		api_error(done, conn, 400, err, NULL);
		return NULL;
	}
	util_task_id(t.id);
	t.created_ms = util_wall_ms();
	t.eta_ms = t.created_ms + t.delay_ms;
	r = req_new(api, done, conn);
	util_strlcpy(r->id, t.id, sizeof(r->id));
	util_strlcpy(r->queue, t.queue, sizeof(r->queue));
	/* The store copies what it sends: t is ours to free either way. */
	if (store_enqueue(api->store, &t, t.created_ms, on_enqueue, r) == -1) {
		task_free(&t);
		free(r);
		api_error(done, conn, 503, UNAVAILABLE, NULL);
		return NULL;
	}
	task_free(&t);
	api->pending++;
	return r;
}

static void
on_enqueue(struct store *s, struct redisReply *reply, void *arg)
{
	static const char	 pre[] = "{\"status\":\"enqueued\","
				    "\"task_id\":\"";
	struct api_req		*r = arg;
	api_done_fn		*done;
	void			*conn;
	char			 body[sizeof(pre) + TD_ID_LEN +
				    TD_NAME_MAX + 16], *msg;
	size_t			 n;

	(void)s;
	if (reply_is(reply, "OK"))
		log_debug("enqueued task=%s queue=%s", r->id, r->queue);
	else if (reply == NULL)
		log_warnx("enqueue: no reply from redis task=%s queue=%s",
		    r->id, r->queue);
	else
		log_warnx("enqueue: redis refused task=%s queue=%s error=%s",
		    r->id, r->queue, reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "unexpected reply");
	/* By hand, not printf: this is every enqueue's answer.  The ID is
	 * ours (hex) and the queue a checked name: neither needs escaping. */
	n = 0;
	memcpy(body, pre, sizeof(pre) - 1);
	n += sizeof(pre) - 1;
	n += util_strlcpy(body + n, r->id, sizeof(body) - n);
	n += util_strlcpy(body + n, "\",\"queue\":\"", sizeof(body) - n);
	n += util_strlcpy(body + n, r->queue, sizeof(body) - n);
	n += util_strlcpy(body + n, "\"}", sizeof(body) - n);
	done = r->done;
	conn = r->conn;
	req_detach(r);
	if (done != NULL && reply_is(reply, "OK"))
		done(conn, 200, NULL, body, n, NULL);
	else if (done != NULL && reply != NULL &&
	    reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOQUEUE", 7) == 0) {
		/* An API queue deleted since our table last saw it. */
		xasprintf(&msg, "queue: unknown queue '%s'", r->queue);
		api_error(done, conn, 400, msg, NULL);
		free(msg);
	} else if (done != NULL)
		api_error(done, conn, 503, UNAVAILABLE, NULL);
	free(r);
}

static struct api_req *
req_new(struct api *api, api_done_fn *done, void *conn)
{
	struct api_req	*r = xcalloc(1, sizeof(*r));

	r->api = api;
	r->done = done;
	r->conn = conn;
	return r;
}

/*
 * No longer pending: cancelled, or about to be answered.  Done before the
 * answer, so the listener sees the right count and a cancel from inside
 * the answer is harmless.
 */
static void
req_detach(struct api_req *r)
{
	if (r->api != NULL)
		r->api->pending--;
	r->api = NULL;
	r->done = NULL;
	r->conn = NULL;
}

/* An error answer: the JSON body every endpoint shares (route.h). */
void
api_error(api_done_fn *done, void *conn, int code, const char *msg,
    const char *extra)
{
	char	*body;
	size_t	 len;

	body = route_error_json(code, msg, &len);
	done(conn, code, NULL, body, len, extra);
	free(body);
}

/* Does req carry one of the configured tokens (api_token_find)? */
static int
authorized(const struct conf *conf, const struct http_request *req,
    const char **why)
{
	const char	*tok;
	size_t		 len;

	if (conf->napi_tokens == 0)
		return 1;
	*why = "missing bearer token";
	if (!api_bearer(req, &tok, &len))
		return 0;
	*why = "invalid bearer token";
	return api_token_find(conf, tok, len) >= 0;
}

int
api_bearer(const struct http_request *req, const char **tok, size_t *len)
{
	const char	*h;

	if ((h = http_header_get(req, "Authorization")) == NULL)
		return 0;
	h += strspn(h, " \t");
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return 0;
	h += 6 + strspn(h + 6, " \t");
	*tok = h;
	*len = strcspn(h, " \t");
	if (h[*len + strspn(h + *len, " \t")] != '\0')
		*len = 0;
	return 1;
}

/*
 * Constant time in what the client sent: the token is copied into a
 * zeroed buffer of the tokens' size and compared in full with every
 * configured token (they are zero-padded too), so neither its length,
 * nor where it first differs, nor which token it matched shows in the
 * time taken.
 */
int
api_token_find(const struct conf *conf, const char *tok, size_t len)
{
	unsigned char	given[TD_TOKEN_MAX], diff;
	size_t		i;
	int		t, found = -1;

	memset(given, 0, sizeof(given));
	/* Too long to be a token: still compared, never equal. */
	memcpy(given, tok, TD_MIN(len, sizeof(given) - 1));
	for (t = 0; t < conf->napi_tokens; t++) {
		diff = len == 0 || len >= sizeof(given);
		for (i = 0; i < sizeof(given); i++)
			diff |= given[i] ^
			    (unsigned char)conf->api_tokens[t][i];
		found = diff == 0 ? t : found;
	}
	explicit_bzero(given, sizeof(given));
	return found;
}

/* A status reply that says exactly want ("OK", "PONG"). */
static int
reply_is(const struct redisReply *reply, const char *want)
{
	return reply != NULL && reply->type == REDIS_REPLY_STATUS &&
	    reply->str != NULL && strcmp(reply->str, want) == 0;
}

/*
 * For the dashboard (dash.c), which lets a request in by its own rules
 * (session cookie or bearer token) before it gets here: the operator API
 * and /v1/enqueue as api_handle() routes them, without the bearer-token
 * check.  dash.c forwards only /v1/ paths, never /health, /metrics or the
 * Cloud Tasks API.
 */
struct api_req *
api_handle_trusted(struct api *api, const struct http_request *req,
    api_done_fn *done, void *conn)
{
	struct route_match	m;

	route_match(req->method, req->target, req->targetlen, &m);
	if (m.id == ROUTE_HEALTH || m.id == ROUTE_METRICS) {
		m.id = ROUTE_NONE;
		m.status = 404;
	}
	return route_v1(api, &m, req, done, conn);
}
