/*
 * ctapi.c: the Cloud Tasks v2 REST handlers.  Queues and tasks as
 * resources under /v2/projects/P/locations/L/, in Google's JSON (ctjson.c)
 * and with Google's errors, over the same Redis data as the seed API: a
 * task made here is dispatched, retried and shown by /v1 like any other.
 *
 * A request becomes an op, a chain of rounds: each round sends one or more
 * store commands, copies what it needs out of each reply as it comes
 * (hiredis frees replies when their callback returns) and, once all are
 * answered, runs the op's next step, which sends another round or answers.
 * A lost link or an error reply where none is expected answers 503
 * UNAVAILABLE, which Google's clients retry where that is safe.
 *
 * What differs from Google's service (README, "Cloud Tasks API"): done and
 * dead tasks are invisible here (Google forgets them; /v1 shows them),
 * RunTask on a task being dispatched returns it without a second
 * dispatch, queues of the configuration file cannot be deleted, and queue
 * IDs are at most 63 characters.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>
#include <json.h>

#include "ctapi.h"
#include "ctjson.h"
#include "log.h"
#include "route.h"
#include "task.h"
#include "util.h"

#define UNAVAILABLE	"redis: unavailable"
#define NOT_FOUND	"Requested entity was not found."
#define EXISTS		"Requested entity already exists"
#define QUEUES_MAX_PAGE	9800
#define TASKS_MAX_PAGE	1000
#define BATCH		1000	/* task hashes removed per script call */
#define NSTATES		4	/* the states ListTasks shows */

struct ctapi {
	const struct conf	*conf;
	struct store		*store;
};

struct ctapi_op;
typedef int	ct_parse_fn(struct ctapi_op *, int, const redisReply *);
typedef void	ct_next_fn(struct ctapi_op *);

/* One command in flight: which op, and which of its commands. */
struct ct_cmd {
	struct ctapi_op	*op;
	int		 idx;
};

struct ctapi_op {
	struct ctapi		*ca;
	api_done_fn		*done;		/* NULL: cancelled */
	void			*conn;
	int			*gone;		/* set when freed */
	int			 outstanding;
	int			 failed;
	ct_parse_fn		*parse;
	ct_next_fn		*next;

	struct ct_match		 m;
	uint64_t		 now;
	int			 enum_int;
	int			 view;
	char			 parent[512];	/* projects/P/locations/L */
	json_object		*body;		/* the request's, or NULL */

	/* the queue of the path */
	int			 infile;	/* in the configuration file */
	json_object		*qconf;		/* its conf hash, or NULL */
	struct ct_queue		 q;		/* what the request asked */
	unsigned		 mask;		/* updateMask bits */

	/* ListQueues */
	char			**names;
	size_t			 nnames;
	json_object		**confs;	/* per name */
	size_t			 first, count;
	int			 filter;	/* CT_STATE_*, 0: none */

	/* tasks */
	struct task		 t;
	json_object		*hash;		/* a task's hash, as strings */
	uint64_t		 at;		/* its next run, 0: eta */
	int			 found;		/* a reply said it exists */
	int			 state;		/* ListTasks: index */
	char			 token[512];	/* pageToken, or updateMask */
	char			 next_token[600];
	int			 size;
	char			**ids;
	size_t			 nids;
	json_object		**hashes;	/* per ID */
	uint64_t		*ats;
	long long		 left;
};

/* The states ListTasks walks, and how list.lua orders each. */
static const char *const list_states[NSTATES] = {
	"pending", "scheduled", "retry", "active"
};
static const char *const list_orders[NSTATES] = {
	"list", "asc", "asc", "list"
};

static struct ctapi_op *op_new(struct ctapi *, const struct ct_match *,
		    const struct http_request *, api_done_fn *, void *);
static void	op_free(struct ctapi_op *);
static struct ct_cmd *cmd_new(struct ctapi_op *, int);
static void	sent(struct ctapi_op *, int, struct ct_cmd *);
static void	op_wait(struct ctapi_op *);
static void	on_cmd(struct store *, struct redisReply *, void *);
static void	op_error(struct ctapi_op *, int, const char *, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
static void	op_json(struct ctapi_op *, json_object *);
static int	op_body(struct ctapi_op *, const struct http_request *);
static void	query(struct ctapi_op *, const struct http_request *);

static void	queue_lookup(struct ctapi_op *, ct_next_fn *);
static int	parse_qconf(struct ctapi_op *, int, const redisReply *);
static int	queue_known(const struct ctapi_op *);
static void	queue_effective(const struct ctapi_op *, const json_object *,
		    const char *, struct ct_queue *);
static json_object *queue_resource(const struct ctapi_op *, const char *,
		    const json_object *);
static void	answer_queue(struct ctapi_op *);
static void	answer_create(struct ctapi_op *);

static void	queues_list(struct ctapi_op *);
static int	parse_names(struct ctapi_op *, int, const redisReply *);
static void	queues_confs(struct ctapi_op *);
static int	parse_confs(struct ctapi_op *, int, const redisReply *);
static void	answer_queues(struct ctapi_op *);

static void	queue_create(struct ctapi_op *);
static void	queue_created(struct ctapi_op *);
static int	parse_create(struct ctapi_op *, int, const redisReply *);
static int	file_queues(const struct conf *);
static void	queue_patch(struct ctapi_op *);
static void	queue_delete(struct ctapi_op *);
static void	queue_delete_round(struct ctapi_op *);
static int	parse_left(struct ctapi_op *, int, const redisReply *);
static void	queue_deleted(struct ctapi_op *);
static void	queue_pause(struct ctapi_op *);
static void	queue_purge(struct ctapi_op *);
static void	queue_purge_round(struct ctapi_op *);
static void	queue_purged(struct ctapi_op *);
static int	parse_any(struct ctapi_op *, int, const redisReply *);
static int	conf_fields(const struct ctapi_op *, const struct ct_queue *,
		    unsigned, const char **, char (*)[32]);

static void	task_create(struct ctapi_op *);
static int	parse_enqueue(struct ctapi_op *, int, const redisReply *);
static void	answer_created(struct ctapi_op *);
static void	task_get(struct ctapi_op *);
static int	parse_get(struct ctapi_op *, int, const redisReply *);
static void	answer_task(struct ctapi_op *);
static void	task_delete(struct ctapi_op *);
static void	task_delete_found(struct ctapi_op *);
static void	answer_empty(struct ctapi_op *);
static void	task_run(struct ctapi_op *);
static int	parse_run(struct ctapi_op *, int, const redisReply *);
static void	task_run_done(struct ctapi_op *);
static void	tasks_list(struct ctapi_op *);
static void	tasks_page(struct ctapi_op *);
static int	parse_page(struct ctapi_op *, int, const redisReply *);
static void	tasks_got_page(struct ctapi_op *);
static int	parse_gets(struct ctapi_op *, int, const redisReply *);
static void	answer_tasks(struct ctapi_op *);

static json_object *hash_object(const redisReply *);
static const char *hget(const json_object *, const char *);
static uint64_t	hget_u64(const json_object *, const char *);
static int	task_visible(const json_object *);
static json_object *task_resource(const struct ctapi_op *,
		    const json_object *, uint64_t);
static int	view_from(const struct http_request *);
static int	names_cmp(const void *, const void *);

struct ctapi *
ctapi_new(const struct conf *conf, struct store *store)
{
	struct ctapi	*ca = xcalloc(1, sizeof(*ca));

	ca->conf = conf;
	ca->store = store;
	return ca;
}

void
ctapi_free(struct ctapi *ca)
{
	free(ca);
}

struct ctapi_op *
ctapi_handle(struct ctapi *ca, const struct ct_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	const struct conf	*c = ca->conf;
	struct ctapi_op		*op;
	int			 gone = 0;

	op = op_new(ca, m, req, done, conn);
	op->gone = &gone;
	if ((c->ct_project[0] != '\0' &&
	    strcmp(c->ct_project, m->project) != 0) ||
	    (c->ct_location[0] != '\0' &&
	    strcmp(c->ct_location, m->location) != 0)) {
		op_error(op, 404, "NOT_FOUND", "%s is not served here (this "
		    "is projects/%s/locations/%s)", op->parent,
		    c->ct_project[0] != '\0' ? c->ct_project : "*",
		    c->ct_location[0] != '\0' ? c->ct_location : "*");
		goto out;
	}
	if (op_body(op, req) == -1)
		goto out;
	switch (m->id) {
	case CT_LOCATION: {
		json_object	*o = json_object_new_object();

		json_object_object_add(o, "name",
		    json_object_new_string(op->parent));
		json_object_object_add(o, "locationId",
		    json_object_new_string(m->location));
		op_json(op, o);
		break;
	}
	case CT_QUEUES_LIST:
		queues_list(op);
		break;
	case CT_QUEUE_CREATE:
		queue_create(op);
		break;
	case CT_QUEUE_GET:
		queue_lookup(op, answer_queue);
		break;
	case CT_QUEUE_PATCH:
		queue_lookup(op, queue_patch);
		break;
	case CT_QUEUE_DELETE:
		queue_lookup(op, queue_delete);
		break;
	case CT_QUEUE_PAUSE:
	case CT_QUEUE_RESUME:
		queue_lookup(op, queue_pause);
		break;
	case CT_QUEUE_PURGE:
		queue_lookup(op, queue_purge);
		break;
	case CT_QUEUE_GETIAM:
		op_json(op, json_object_new_object());
		break;
	case CT_QUEUE_SETIAM: {
		json_object	*p = NULL;

		if (op->body != NULL)
			json_object_object_get_ex(op->body, "policy", &p);
		op_json(op, p != NULL ? json_object_get(p) :
		    json_object_new_object());
		break;
	}
	case CT_QUEUE_TESTIAM: {
		json_object	*p = NULL, *o = json_object_new_object();

		if (op->body != NULL &&
		    json_object_object_get_ex(op->body, "permissions", &p) &&
		    json_object_is_type(p, json_type_array))
			json_object_object_add(o, "permissions",
			    json_object_get(p));
		op_json(op, o);
		break;
	}
	case CT_TASKS_LIST:
		queue_lookup(op, tasks_list);
		break;
	case CT_TASK_CREATE:
		queue_lookup(op, task_create);
		break;
	case CT_TASK_GET:
		queue_lookup(op, task_get);
		break;
	case CT_TASK_DELETE:
		queue_lookup(op, task_delete);
		break;
	case CT_TASK_RUN:
		queue_lookup(op, task_run);
		break;
	default:
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		break;
	}
out:
	if (gone)
		return NULL;
	op->gone = NULL;
	return op;
}

void
ctapi_cancel(struct ctapi_op *op)
{
	if (op == NULL)
		return;
	op->done = NULL;
	op->conn = NULL;
	if (op->outstanding == 0)
		op_free(op);
}

/*
 * Ops.
 */
static struct ctapi_op *
op_new(struct ctapi *ca, const struct ct_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	struct ctapi_op	*op = xcalloc(1, sizeof(*op));

	op->ca = ca;
	op->done = done;
	op->conn = conn;
	op->m = *m;
	op->now = util_wall_ms();
	op->enum_int = ct_enum_int(req->target != NULL ? req->target : "",
	    req->targetlen);
	op->view = view_from(req);
	op->left = -1;
	snprintf(op->parent, sizeof(op->parent), "projects/%s/locations/%s",
	    m->project, m->location);
	query(op, req);
	return op;
}

/*
 * The query parameters a route uses: pageSize, pageToken (kept in
 * token), updateMask (PATCH: kept in token too), filter ("state:
 * PAUSED").  Others ($alt, $prettyPrint, fields, ...) are ignored.
 */
static void
query(struct ctapi_op *op, const struct http_request *req)
{
	const char	*t = req->target != NULL ? req->target : "";
	char		 buf[64], *p;

	if (route_query(t, req->targetlen, "pageSize", buf, sizeof(buf)) > 0)
		op->size = (int)TD_MIN(strtol(buf, NULL, 10), 100000);
	if (route_query(t, req->targetlen, op->m.id == CT_QUEUE_PATCH ?
	    "updateMask" : "pageToken", op->token, sizeof(op->token)) < 0)
		op->token[0] = '\0';
	if (route_query(t, req->targetlen, "filter", buf, sizeof(buf)) > 0) {
		p = buf + strspn(buf, " ");
		if (strncmp(p, "state", 5) == 0) {
			p += 5 + strspn(p + 5, " ");
			if (*p == ':' || *p == '=')
				p++;
			p += strspn(p, " ");
			if (strncmp(p, "PAUSED", 6) == 0)
				op->filter = CT_STATE_PAUSED;
			else if (strncmp(p, "RUNNING", 7) == 0)
				op->filter = CT_STATE_RUNNING;
			else
				op->filter = -1;	/* matches none */
		}
	}
}

static void
op_free(struct ctapi_op *op)
{
	size_t	i;

	if (op->gone != NULL)
		*op->gone = 1;
	if (op->body != NULL)
		json_object_put(op->body);
	if (op->qconf != NULL)
		json_object_put(op->qconf);
	if (op->hash != NULL)
		json_object_put(op->hash);
	for (i = 0; i < op->nnames; i++) {
		free(op->names[i]);
		if (op->confs != NULL && op->confs[i] != NULL)
			json_object_put(op->confs[i]);
	}
	free(op->names);
	free(op->confs);
	for (i = 0; i < op->nids; i++) {
		free(op->ids[i]);
		if (op->hashes != NULL && op->hashes[i] != NULL)
			json_object_put(op->hashes[i]);
	}
	free(op->ids);
	free(op->hashes);
	free(op->ats);
	task_free(&op->t);
	free(op);
}

static struct ct_cmd *
cmd_new(struct ctapi_op *op, int idx)
{
	struct ct_cmd	*c = xcalloc(1, sizeof(*c));

	c->op = op;
	c->idx = idx;
	return c;
}

/* Count a command sent (rc 0), or fail the round (-1). */
static void
sent(struct ctapi_op *op, int rc, struct ct_cmd *c)
{
	if (rc == -1) {
		free(c);
		op->failed = 1;
	} else
		op->outstanding++;
}

#define SEND(op, idx, call)	do {					\
	struct ct_cmd *c_ = cmd_new((op), (idx));			\
	sent((op), (call), c_);						\
} while (0)

/* The round is sent: wait for it, or go on at once if nothing went. */
static void
op_wait(struct ctapi_op *op)
{
	if (op->outstanding > 0)
		return;
	if (op->done == NULL)
		op_free(op);
	else if (op->failed)
		op_error(op, 503, "UNAVAILABLE", UNAVAILABLE);
	else
		op->next(op);
}

static void
on_cmd(struct store *s, struct redisReply *r, void *arg)
{
	struct ct_cmd	*c = arg;
	struct ctapi_op	*op;
	int		 idx;

	(void)s;
	if (c == NULL)
		return;
	op = c->op;
	idx = c->idx;
	free(c);
	op->outstanding--;
	if (op->done != NULL && !op->failed) {
		if (r == NULL)
			op->failed = 1;
		else if (op->parse(op, idx, r) == -1) {
			if (r->type == REDIS_REPLY_ERROR)
				log_warnx("cloudtasks: redis: %s", r->str);
			op->failed = 1;
		}
	}
	op_wait(op);
}

static void
op_error(struct ctapi_op *op, int code, const char *status,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[600], *body;
	size_t	 len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	body = ct_error_json(code, status, msg, &len);
	op->done(op->conn, code, NULL, body, len, NULL);
	free(body);
	op_free(op);
}

/* Answer 200 with obj (consumed). */
static void
op_json(struct ctapi_op *op, json_object *obj)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	op->done(op->conn, 200, NULL, s, len, NULL);
	json_object_put(obj);
	op_free(op);
}

/* The body of a POST or PATCH as a JSON object ("" counts as {}). */
static int
op_body(struct ctapi_op *op, const struct http_request *req)
{
	char	err[256];

	if (req->body == NULL || req->bodylen == 0)
		return 0;
	op->body = task_json_object(req->body, req->bodylen, "body", err,
	    sizeof(err));
	if (op->body == NULL) {
		op_error(op, 400, "INVALID_ARGUMENT", "%s", err);
		return -1;
	}
	return 0;
}

/*
 * The queue of the path: its conf hash, and whether it exists at all
 * (it is in the configuration file, or was created over the API).
 */
static void
queue_lookup(struct ctapi_op *op, ct_next_fn *next)
{
	const struct conf_queue	*cq;

	cq = conf_queue_find(op->ca->conf, op->m.queue);
	op->infile = cq != NULL && !cq->dynamic;
	op->parse = parse_qconf;
	op->next = next;
	SEND(op, 0, store_queue_conf(op->ca->store, op->m.queue, on_cmd,
	    c_));
	op_wait(op);
}

static int
parse_qconf(struct ctapi_op *op, int idx, const redisReply *r)
{
	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	if (op->qconf != NULL)
		json_object_put(op->qconf);
	op->qconf = hash_object(r);
	return 0;
}

static int
queue_known(const struct ctapi_op *op)
{
	return op->infile || hget(op->qconf, "created") != NULL;
}

/*
 * What a queue is now: its conf hash over the configuration file's
 * [dispatch] policy (as Cloud Tasks retry settings) for what the hash
 * does not say.
 */
static void
queue_effective(const struct ctapi_op *op, const json_object *h,
    const char *name, struct ct_queue *q)
{
	const struct conf_queue	*cq = conf_queue_find(op->ca->conf, name);
	const struct conf_dispatch *d = cq != NULL ? &cq->dispatch :
				     &op->ca->conf->dispatch;
	const char		*v;

	memset(q, 0, sizeof(*q));
	q->set = CTQ_STATE | CTQ_RETRY_CONFIG;
	q->state = (v = hget(h, "paused")) != NULL && strcmp(v, "1") == 0 ?
	    CT_STATE_PAUSED : CT_STATE_RUNNING;
	if ((v = hget(h, "rate")) != NULL) {
		q->rate = strtod(v, NULL);
		q->burst = (int)hget_u64(h, "burst");
		q->set |= CTQ_RATE | CTQ_BURST;
	}
	if ((v = hget(h, "maxconc")) != NULL) {
		q->conc = (int)strtol(v, NULL, 10);
		q->set |= CTQ_CONC;
	}
	if ((v = hget(h, "max_attempts")) != NULL) {
		q->max_attempts = (int)strtol(v, NULL, 10);
		q->min_backoff_ms = hget_u64(h, "min_backoff_ms");
		q->max_backoff_ms = hget_u64(h, "max_backoff_ms");
		q->max_doublings = (int)hget_u64(h, "max_doublings");
		q->max_retry_ms = hget_u64(h, "max_retry_ms");
	} else {
		q->max_attempts = d->max_retries + 1;
		q->min_backoff_ms = d->min_backoff_ms;
		q->max_backoff_ms = d->max_backoff_ms;
		q->max_doublings = CT_DEF_MAX_DOUBLINGS;
		q->max_retry_ms = 0;
	}
	if ((q->purge_ms = hget_u64(h, "purge_time")) > 0)
		q->set |= CTQ_PURGE_TIME;
	if ((v = hget(h, "sampling")) != NULL) {
		q->sampling = strtod(v, NULL);
		q->set |= CTQ_LOGGING;
	}
}

static json_object *
queue_resource(const struct ctapi_op *op, const char *name,
    const json_object *h)
{
	struct ct_queue	 q;
	char		 full[700];

	queue_effective(op, h, name, &q);
	snprintf(full, sizeof(full), "%s/queues/%s", op->parent, name);
	return ct_queue_to_json(&q, full, op->enum_int);
}

static void
answer_queue(struct ctapi_op *op)
{
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", "Queue does not exist: %s/"
		    "queues/%s", op->parent, op->m.queue);
		return;
	}
	op_json(op, queue_resource(op, op->m.queue, op->qconf));
}

static void
answer_create(struct ctapi_op *op)
{
	if (op->found == 1)
		op_error(op, 409, "ALREADY_EXISTS", EXISTS);
	else if (op->found == 2)
		op_error(op, 429, "RESOURCE_EXHAUSTED", "at most %d queues",
		    TD_QUEUE_MAX);
	else
		answer_queue(op);
}

/*
 * ListQueues: the configuration file's queues and the API's (P:queues),
 * sorted by name; the page token is the index of the page's first.
 */
static void
queues_list(struct ctapi_op *op)
{
	op->parse = parse_names;
	op->next = queues_confs;
	SEND(op, 0, store_queues(op->ca->store, on_cmd, c_));
	op_wait(op);
}

static int
parse_names(struct ctapi_op *op, int idx, const redisReply *r)
{
	const struct conf	*c = op->ca->conf;
	size_t			 i, n = 0;
	int			 k;

	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	op->names = xcalloc((size_t)c->nqueues + r->elements + 1,
	    sizeof(char *));
	for (k = 0; k < c->nqueues; k++)
		if (!c->queues[k].dynamic)
			op->names[n++] = xstrdup(c->queues[k].name);
	for (i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			op->names[n++] = xstrdup(r->element[i]->str);
	qsort(op->names, n, sizeof(char *), names_cmp);
	/* A queue of the file may also be in P:queues: once only. */
	op->nnames = 0;
	for (i = 0; i < n; i++) {
		if (op->nnames > 0 &&
		    strcmp(op->names[op->nnames - 1], op->names[i]) == 0) {
			free(op->names[i]);
			continue;
		}
		op->names[op->nnames++] = op->names[i];
	}
	return 0;
}

static void
queues_confs(struct ctapi_op *op)
{
	size_t	i;

	op->confs = xcalloc(op->nnames + 1, sizeof(json_object *));
	op->parse = parse_confs;
	op->next = answer_queues;
	for (i = 0; i < op->nnames; i++)
		SEND(op, (int)i, store_queue_conf(op->ca->store,
		    op->names[i], on_cmd, c_));
	op_wait(op);
}

static int
parse_confs(struct ctapi_op *op, int idx, const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	op->confs[idx] = hash_object(r);
	return 0;
}

static void
answer_queues(struct ctapi_op *op)
{
	json_object	*o, *arr;
	struct ct_queue	 q;
	char		*end, tok[32];
	size_t		 i, skip = 0, size = QUEUES_MAX_PAGE;
	size_t		 shown = 0, seen = 0;
	long		 n;

	if (op->size > 0)
		size = (size_t)TD_MIN(op->size, QUEUES_MAX_PAGE);
	if (op->token[0] != '\0') {
		n = strtol(op->token, &end, 10);
		if (*end != '\0' || n < 0) {
			op_error(op, 400, "INVALID_ARGUMENT",
			    "pageToken: not a token from this server");
			return;
		}
		skip = (size_t)n;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < op->nnames; i++) {
		if (op->filter != 0) {
			queue_effective(op, op->confs[i], op->names[i], &q);
			if (q.state != op->filter)
				continue;
		}
		if (seen++ < skip)
			continue;
		if (shown == size) {
			snprintf(tok, sizeof(tok), "%zu", skip + shown);
			json_object_object_add(o, "nextPageToken",
			    json_object_new_string(tok));
			break;
		}
		json_object_array_add(arr, queue_resource(op, op->names[i],
		    op->confs[i]));
		shown++;
	}
	json_object_object_add(o, "queues", arr);
	op_json(op, o);
}

/*
 * CreateQueue: the body is the Queue, its name under the path's parent.
 */
static void
queue_create(struct ctapi_op *op)
{
	const struct conf	*c = op->ca->conf;
	char			 name[700], err[300], prefix[600];
	const char		*id;
	size_t			 plen;

	if (op->body == NULL) {
		op_error(op, 400, "INVALID_ARGUMENT", "queue: missing");
		return;
	}
	if (ct_queue_from_json(op->body, &op->q, name, sizeof(name), err,
	    sizeof(err)) == -1) {
		op_error(op, 400, "INVALID_ARGUMENT", "%s", err);
		return;
	}
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s/queues/",
	    op->parent);
	if (strncmp(name, prefix, plen) != 0) {
		op_error(op, 400, "INVALID_ARGUMENT", "queue.name: must be "
		    "%sQUEUE_ID, not \"%.200s\"", prefix, name);
		return;
	}
	id = name + plen;
	if (!ct_valid_queue_id(id)) {
		op_error(op, 400, "INVALID_ARGUMENT", "queue.name: queue ID "
		    "\"%.100s\": only letters, digits and hyphens, at most "
		    "%d", id, TD_NAME_MAX - 1);
		return;
	}
	util_strlcpy(op->m.queue, id, sizeof(op->m.queue));
	if (conf_queue_find(c, id) != NULL && !conf_queue_find(c,
	    id)->dynamic) {
		op_error(op, 409, "ALREADY_EXISTS", EXISTS);
		return;
	}
	queue_created(op);
}

/* Defaults for what CreateQueue (or an upserting patch) left out. */
static void
queue_defaults(struct ct_queue *q)
{
	if (!(q->set & CTQ_RATE))
		q->rate = CT_DEF_RATE;
	if (!(q->set & CTQ_CONC))
		q->conc = CT_DEF_CONC;
	if (!(q->set & CTQ_MAX_ATTEMPTS))
		q->max_attempts = CT_DEF_MAX_ATTEMPTS;
	if (!(q->set & CTQ_MIN_BACKOFF))
		q->min_backoff_ms = CT_DEF_MIN_BACKOFF_MS;
	if (!(q->set & CTQ_MAX_BACKOFF))
		q->max_backoff_ms = CT_DEF_MAX_BACKOFF_MS;
	if (!(q->set & CTQ_MAX_DOUBLINGS))
		q->max_doublings = CT_DEF_MAX_DOUBLINGS;
	if (!(q->set & CTQ_MAX_RETRY))
		q->max_retry_ms = 0;
	if (q->min_backoff_ms > q->max_backoff_ms)
		q->max_backoff_ms = q->min_backoff_ms;
	q->set |= CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG;
}

static void
queue_created(struct ctapi_op *op)
{
	const char	*fv[32];
	char		 vals[16][32];
	int		 n;

	queue_defaults(&op->q);
	n = conf_fields(op, &op->q, CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG |
	    CTQ_LOGGING, fv, vals);
	op->parse = parse_create;
	op->next = answer_create;
	SEND(op, 0, store_queue_create(op->ca->store, op->m.queue, op->now,
	    TD_QUEUE_MAX - file_queues(op->ca->conf), fv, n, on_cmd, c_));
	SEND(op, 1, store_queue_conf(op->ca->store, op->m.queue, on_cmd,
	    c_));
	op_wait(op);
}

static int
parse_create(struct ctapi_op *op, int idx, const redisReply *r)
{
	if (idx == 1)
		return parse_qconf(op, idx, r);
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "EXISTS", 6) == 0) {
		op->found = 1;
		return 0;
	}
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "FULL", 4) == 0) {
		op->found = 2;
		return 0;
	}
	return r->type == REDIS_REPLY_STATUS ? 0 : -1;
}

/* Queues of the configuration file: the rest of TD_QUEUE_MAX is the API's. */
static int
file_queues(const struct conf *c)
{
	int	i, n = 0;

	for (i = 0; i < c->nqueues; i++)
		n += !c->queues[i].dynamic;
	return n;
}

/*
 * The conf hash fields for the bits of q in which: field, value pairs
 * into fv (values formatted into vals).  Returns the count of strings.
 */
static int
conf_fields(const struct ctapi_op *op, const struct ct_queue *q,
    unsigned which, const char **fv, char (*vals)[32])
{
	int	n = 0, v = 0;

	(void)op;
#define PAIR(f, ...) do {						\
	snprintf(vals[v], 32, __VA_ARGS__);				\
	fv[n++] = (f);							\
	fv[n++] = vals[v++];						\
} while (0)
	if (which & CTQ_RATE) {
		PAIR("rate", "%.6g", q->rate);
		/* Output only in v2: a fifth of a second's worth, so that
		 * the default 500/s gives Google's default burst, 100. */
		PAIR("burst", "%d", TD_MAX(1, TD_MIN(CT_BURST_MAX,
		    (int)ceil(q->rate / 5))));
	}
	if (which & CTQ_CONC)
		PAIR("maxconc", "%d", q->conc);
	if (which & CTQ_RETRY_CONFIG) {
		PAIR("max_attempts", "%d", q->max_attempts);
		PAIR("min_backoff_ms", "%llu",
		    (unsigned long long)q->min_backoff_ms);
		PAIR("max_backoff_ms", "%llu",
		    (unsigned long long)q->max_backoff_ms);
		PAIR("max_doublings", "%d", q->max_doublings);
		PAIR("max_retry_ms", "%llu",
		    (unsigned long long)q->max_retry_ms);
	}
	if ((which & CTQ_LOGGING) && (q->set & CTQ_LOGGING))
		PAIR("sampling", "%.6g", q->sampling);
#undef PAIR
	return n;
}

/*
 * UpdateQueue: an upsert.  The mask picks what changes; a masked field
 * the body leaves out goes back to its default.  Retry settings are
 * written all five at once (the worker takes Cloud Tasks' policy from
 * them), from what the queue has now and what the body says.
 */
static void
queue_patch(struct ctapi_op *op)
{
	struct ct_queue	 cur, q;
	const char	*fv[32];
	char		 vals[16][32], name[700], err[300], mask[1024];
	int		 n;

	memset(&q, 0, sizeof(q));
	if (op->body != NULL && ct_queue_from_json(op->body, &q, name,
	    sizeof(name), err, sizeof(err)) == -1) {
		op_error(op, 400, "INVALID_ARGUMENT", "%s", err);
		return;
	}
	util_strlcpy(mask, op->token, sizeof(mask));
	if (mask[0] == '\0')
		op->mask = q.set & (CTQ_RATE | CTQ_CONC | CTQ_RETRY_CONFIG |
		    CTQ_LOGGING);
	else if (ct_mask_parse(mask, &op->mask, err, sizeof(err)) == -1) {
		op_error(op, 400, "INVALID_ARGUMENT", "%s", err);
		return;
	}
	if (!queue_known(op)) {
		if (!ct_valid_queue_id(op->m.queue)) {
			op_error(op, 400, "INVALID_ARGUMENT", "queue ID "
			    "\"%s\": only letters, digits and hyphens",
			    op->m.queue);
			return;
		}
		op->q = q;
		queue_created(op);
		return;
	}
	queue_effective(op, op->qconf, op->m.queue, &cur);
	if (op->mask & CTQ_RATE)
		cur.rate = (q.set & CTQ_RATE) ? q.rate : CT_DEF_RATE;
	if (op->mask & CTQ_CONC)
		cur.conc = (q.set & CTQ_CONC) ? q.conc : CT_DEF_CONC;
	if (op->mask & CTQ_MAX_ATTEMPTS)
		cur.max_attempts = (q.set & CTQ_MAX_ATTEMPTS) ?
		    q.max_attempts : CT_DEF_MAX_ATTEMPTS;
	if (op->mask & CTQ_MIN_BACKOFF)
		cur.min_backoff_ms = (q.set & CTQ_MIN_BACKOFF) ?
		    q.min_backoff_ms : CT_DEF_MIN_BACKOFF_MS;
	if (op->mask & CTQ_MAX_BACKOFF)
		cur.max_backoff_ms = (q.set & CTQ_MAX_BACKOFF) ?
		    q.max_backoff_ms : CT_DEF_MAX_BACKOFF_MS;
	if (op->mask & CTQ_MAX_DOUBLINGS)
		cur.max_doublings = (q.set & CTQ_MAX_DOUBLINGS) ?
		    q.max_doublings : CT_DEF_MAX_DOUBLINGS;
	if (op->mask & CTQ_MAX_RETRY)
		cur.max_retry_ms = (q.set & CTQ_MAX_RETRY) ?
		    q.max_retry_ms : 0;
	if (op->mask & CTQ_LOGGING) {
		cur.sampling = (q.set & CTQ_LOGGING) ? q.sampling : 0;
		cur.set |= CTQ_LOGGING;
	}
	if (cur.min_backoff_ms > cur.max_backoff_ms) {
		op_error(op, 400, "INVALID_ARGUMENT", "queue.retryConfig: "
		    "minBackoff must not exceed maxBackoff");
		return;
	}
	n = conf_fields(op, &cur, op->mask & (CTQ_RATE | CTQ_CONC |
	    (op->mask & CTQ_RETRY_CONFIG ? CTQ_RETRY_CONFIG : 0) |
	    CTQ_LOGGING), fv, vals);
	op->parse = parse_any;
	op->next = answer_queue;
	if (n > 0)
		SEND(op, 0, store_queue_set(op->ca->store, op->m.queue, fv, n,
		    on_cmd, c_));
	SEND(op, 1, store_queue_conf(op->ca->store, op->m.queue, on_cmd,
	    c_));
	op_wait(op);
}

/* DeleteQueue: its tasks in batches, then its keys. */
static void
queue_delete(struct ctapi_op *op)
{
	if (op->infile) {
		op_error(op, 400, "FAILED_PRECONDITION", "queue %s is defined "
		    "in the configuration file %s; remove it there",
		    op->m.queue, op->ca->conf->path);
		return;
	}
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	queue_delete_round(op);
}

static void
queue_delete_round(struct ctapi_op *op)
{
	op->parse = parse_left;
	op->next = queue_deleted;
	SEND(op, 0, store_queue_delete(op->ca->store, op->m.queue, BATCH,
	    on_cmd, c_));
	op_wait(op);
}

/* [done, left] of qdel.lua and remove.lua. */
static int
parse_left(struct ctapi_op *op, int idx, const redisReply *r)
{
	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return -1;
	op->left = r->element[1]->integer;
	return 0;
}

static void
queue_deleted(struct ctapi_op *op)
{
	if (op->left > 0)
		queue_delete_round(op);
	else
		answer_empty(op);
}

static void
queue_pause(struct ctapi_op *op)
{
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	op->parse = parse_any;
	op->next = answer_queue;
	SEND(op, 0, store_pause(op->ca->store, op->m.queue,
	    op->m.id == CT_QUEUE_PAUSE, on_cmd, c_));
	/* Same link: the hash read after the change shows it. */
	SEND(op, 1, store_queue_conf(op->ca->store, op->m.queue, on_cmd,
	    c_));
	op_wait(op);
}

/* Any reply but an error; a conf hash (idx 1) is kept. */
static int
parse_any(struct ctapi_op *op, int idx, const redisReply *r)
{
	if (idx == 1)
		return parse_qconf(op, idx, r);
	return r->type == REDIS_REPLY_ERROR ? -1 : 0;
}

/* PurgeQueue: every task goes (in batches), then purgeTime is set. */
static void
queue_purge(struct ctapi_op *op)
{
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	queue_purge_round(op);
}

static void
queue_purge_round(struct ctapi_op *op)
{
	op->parse = parse_left;
	op->next = queue_purged;
	SEND(op, 0, store_remove(op->ca->store, op->m.queue, "all", "",
	    BATCH, on_cmd, c_));
	op_wait(op);
}

static void
queue_purged(struct ctapi_op *op)
{
	const char	*fv[2];
	char		 v[32];

	if (op->left > 0) {
		queue_purge_round(op);
		return;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)op->now);
	fv[0] = "purge_time";
	fv[1] = v;
	op->parse = parse_any;
	op->next = answer_queue;
	SEND(op, 0, store_queue_set(op->ca->store, op->m.queue, fv, 2,
	    on_cmd, c_));
	SEND(op, 1, store_queue_conf(op->ca->store, op->m.queue, on_cmd,
	    c_));
	op_wait(op);
}

/*
 * Tasks.
 */
static void
task_create(struct ctapi_op *op)
{
	char		 parent[700], err[300];
	int		 view;

	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", "Queue does not exist: %s/"
		    "queues/%s", op->parent, op->m.queue);
		return;
	}
	if (op->body == NULL) {
		op_error(op, 400, "INVALID_ARGUMENT", "task: missing");
		return;
	}
	snprintf(parent, sizeof(parent), "%s/queues/%s", op->parent,
	    op->m.queue);
	if (ct_task_from_json(op->body, parent, op->m.queue, op->now, &op->t,
	    &view, err, sizeof(err)) == -1) {
		op_error(op, 400, "INVALID_ARGUMENT", "%s", err);
		return;
	}
	op->view = view;
	if (op->t.id[0] == '\0')
		util_task_id(op->t.id);
	else	/* at least 1: the name is free again once the task ends */
		op->t.tomb_ms = TD_MAX(op->ca->conf->tombstone_ttl_ms, 1);
	op->parse = parse_enqueue;
	op->next = answer_created;
	SEND(op, 0, store_enqueue(op->ca->store, &op->t, op->now, on_cmd,
	    c_));
	op_wait(op);
}

static int
parse_enqueue(struct ctapi_op *op, int idx, const redisReply *r)
{
	(void)idx;
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "EXISTS", 6) == 0) {
		op->found = 1;
		return 0;
	}
	/* The queue was deleted since queue_lookup() saw it. */
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOQUEUE", 7) == 0) {
		op->found = 2;
		return 0;
	}
	return r->type == REDIS_REPLY_STATUS ? 0 : -1;
}

static void
answer_created(struct ctapi_op *op)
{
	struct ct_task_out	 o;
	char			*headers, name[1300];
	json_object		*j;

	if (op->found == 1) {
		op_error(op, 409, "ALREADY_EXISTS", EXISTS);
		return;
	}
	if (op->found == 2) {
		op_error(op, 404, "NOT_FOUND", "Queue does not exist: %s/"
		    "queues/%s", op->parent, op->m.queue);
		return;
	}
	log_debug("cloudtasks: created task=%s queue=%s", op->t.id,
	    op->t.queue);
	headers = task_headers_to_json(&op->t);
	memset(&o, 0, sizeof(o));
	o.url = op->t.url;
	o.method = op->t.method;
	o.headers = headers;
	o.body = op->t.body;
	o.bodylen = op->t.bodylen;
	o.schedule_ms = op->t.eta_ms;
	o.create_ms = op->t.created_ms;
	o.deadline_ms = op->t.deadline_ms;
	o.last_error = "";
	snprintf(name, sizeof(name), "%s/queues/%s/tasks/%s", op->parent,
	    op->m.queue, op->t.id);
	j = ct_task_to_json(&o, name, op->view, op->enum_int);
	free(headers);
	op_json(op, j);
}

static void
task_get(struct ctapi_op *op)
{
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	op->parse = parse_get;
	op->next = answer_task;
	SEND(op, 0, store_get(op->ca->store, op->m.queue, op->m.task, on_cmd,
	    c_));
	op_wait(op);
}

/* get.lua: nil, or {hash, next run time or ""}. */
static int
parse_get(struct ctapi_op *op, int idx, const redisReply *r)
{
	json_object	*h;
	uint64_t	 at = 0;

	if (r->type == REDIS_REPLY_NIL)
		return 0;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return -1;
	h = hash_object(r->element[0]);
	if (r->element[1]->type == REDIS_REPLY_STRING && r->element[1]->len > 0)
		at = strtoull(r->element[1]->str, NULL, 10);
	if (idx >= 0 && op->hashes != NULL && (size_t)idx < op->nids) {
		op->hashes[idx] = h;
		op->ats[idx] = at;
		return 0;
	}
	if (op->hash != NULL)
		json_object_put(op->hash);
	op->hash = h;
	op->at = at;
	return 0;
}

static void
answer_task(struct ctapi_op *op)
{
	if (op->hash == NULL || !task_visible(op->hash)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	op_json(op, task_resource(op, op->hash, op->at));
}

static void
task_delete(struct ctapi_op *op)
{
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	op->parse = parse_get;
	op->next = task_delete_found;
	SEND(op, -1, store_get(op->ca->store, op->m.queue, op->m.task, on_cmd,
	    c_));
	op_wait(op);
}

static void
task_delete_found(struct ctapi_op *op)
{
	if (op->hash == NULL || !task_visible(op->hash)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	op->parse = parse_any;
	op->next = answer_empty;
	SEND(op, 0, store_remove(op->ca->store, op->m.queue, "ids",
	    op->m.task, 1, on_cmd, c_));
	op_wait(op);
}

static void
answer_empty(struct ctapi_op *op)
{
	op_json(op, json_object_new_object());
}

/* RunTask: to the head of pending, past a pause or a rate limit. */
static void
task_run(struct ctapi_op *op)
{
	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	op->parse = parse_run;
	op->next = task_run_done;
	SEND(op, 0, store_run(op->ca->store, op->m.queue, op->m.task,
	    op->now, on_cmd, c_));
	/* Same link, so the get sees the run's change. */
	SEND(op, -1, store_get(op->ca->store, op->m.queue, op->m.task, on_cmd,
	    c_));
	op_wait(op);
}

static int
parse_run(struct ctapi_op *op, int idx, const redisReply *r)
{
	if (idx == -1)
		return parse_get(op, idx, r);
	if (r->type != REDIS_REPLY_INTEGER)
		return -1;
	op->found = r->integer > 0;
	return 0;
}

static void
task_run_done(struct ctapi_op *op)
{
	if (!op->found) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	answer_task(op);
}

/*
 * ListTasks: pending, scheduled, retry, then active, a page from one
 * state at a time (a page may be short; empty states are skipped).  The
 * token is "<state index>-<list.lua's token, ':' as '.'>".
 */
static void
tasks_list(struct ctapi_op *op)
{
	char	*p, *end;
	long	 s;

	if (!queue_known(op)) {
		op_error(op, 404, "NOT_FOUND", NOT_FOUND);
		return;
	}
	if (op->size <= 0 || op->size > TASKS_MAX_PAGE)
		op->size = TASKS_MAX_PAGE;
	op->state = 0;
	if (op->token[0] != '\0') {
		s = strtol(op->token, &end, 10);
		if (end == op->token || *end != '-' || s < 0 || s >= NSTATES) {
			op_error(op, 400, "INVALID_ARGUMENT",
			    "pageToken: not a token from this server");
			return;
		}
		op->state = (int)s;
		memmove(op->token, end + 1, strlen(end + 1) + 1);
		for (p = op->token; *p != '\0'; p++)
			if (*p == '.')
				*p = ':';
	}
	tasks_page(op);
}

static void
tasks_page(struct ctapi_op *op)
{
	op->parse = parse_page;
	op->next = tasks_got_page;
	SEND(op, 0, store_list(op->ca->store, op->m.queue,
	    list_states[op->state], list_orders[op->state], op->token,
	    op->size, "", on_cmd, c_));
	op_wait(op);
}

/* list.lua: {next token, then 11 fields per task, the ID first}. */
static int
parse_page(struct ctapi_op *op, int idx, const redisReply *r)
{
	size_t	i, n;
	char	*p;

	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    (r->elements - 1) % 11 != 0 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	util_strlcpy(op->token, r->element[0]->str, sizeof(op->token));
	for (p = op->token; *p != '\0'; p++)
		if (*p == ':')
			*p = '.';
	n = (r->elements - 1) / 11;
	op->ids = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		if (r->element[1 + i * 11]->type != REDIS_REPLY_STRING)
			return -1;
		op->ids[op->nids++] = xstrdup(r->element[1 + i * 11]->str);
	}
	return 0;
}

static void
tasks_got_page(struct ctapi_op *op)
{
	size_t	i;

	if (op->nids == 0 && op->token[0] == '\0' &&
	    op->state + 1 < NSTATES) {
		free(op->ids);
		op->ids = NULL;
		op->state++;
		tasks_page(op);
		return;
	}
	if (op->token[0] != '\0')
		snprintf(op->next_token, sizeof(op->next_token), "%d-%s",
		    op->state, op->token);
	else if (op->state + 1 < NSTATES)
		snprintf(op->next_token, sizeof(op->next_token), "%d-",
		    op->state + 1);
	op->hashes = xcalloc(op->nids + 1, sizeof(json_object *));
	op->ats = xcalloc(op->nids + 1, sizeof(uint64_t));
	op->parse = parse_gets;
	op->next = answer_tasks;
	for (i = 0; i < op->nids; i++)
		SEND(op, (int)i, store_get(op->ca->store, op->m.queue,
		    op->ids[i], on_cmd, c_));
	op_wait(op);
}

static int
parse_gets(struct ctapi_op *op, int idx, const redisReply *r)
{
	return parse_get(op, idx, r);
}

static void
answer_tasks(struct ctapi_op *op)
{
	json_object	*o = json_object_new_object(), *arr;
	size_t		 i;

	arr = json_object_new_array();
	for (i = 0; i < op->nids; i++)
		if (op->hashes[i] != NULL && task_visible(op->hashes[i]))
			json_object_array_add(arr, task_resource(op,
			    op->hashes[i], op->ats[i]));
	json_object_object_add(o, "tasks", arr);
	if (op->next_token[0] != '\0')
		json_object_object_add(o, "nextPageToken",
		    json_object_new_string(op->next_token));
	op_json(op, o);
}

/*
 * Helpers.
 */

/* A Redis hash (flat field, value array) as a JSON object of strings. */
static json_object *
hash_object(const redisReply *r)
{
	json_object	*o = json_object_new_object();
	size_t		 i;

	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		json_object_object_add(o, k->str,
		    json_object_new_string_len(v->str, (int)v->len));
	}
	return o;
}

static const char *
hget(const json_object *h, const char *field)
{
	json_object	*v;

	if (h == NULL || !json_object_object_get_ex(h, field, &v))
		return NULL;
	return json_object_get_string(v);
}

static uint64_t
hget_u64(const json_object *h, const char *field)
{
	const char	*v = hget(h, field);

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* Google forgets a task that succeeded or gave up: so does /v2. */
static int
task_visible(const json_object *h)
{
	const char	*s = hget(h, "state");

	return s != NULL && strcmp(s, "done") != 0 && strcmp(s, "dead") != 0;
}

static json_object *
task_resource(const struct ctapi_op *op, const json_object *h, uint64_t at)
{
	struct ct_task_out	 o;
	json_object		*v;
	char			 name[1300];

	memset(&o, 0, sizeof(o));
	o.url = hget(h, "url");
	o.method = hget(h, "method");
	o.headers = hget(h, "headers");
	if (json_object_object_get_ex(h, "body", &v)) {
		o.body = json_object_get_string(v);
		o.bodylen = (size_t)json_object_get_string_len(v);
	}
	o.schedule_ms = at > 0 ? at : hget_u64(h, "eta");
	o.create_ms = hget_u64(h, "created");
	o.deadline_ms = hget_u64(h, "deadline");
	o.dispatch_count = (int)hget_u64(h, "attempts");
	o.response_count = (int)hget_u64(h, "responses");
	o.first_at = hget_u64(h, "first_at");
	o.last_at = hget_u64(h, "last_at");
	o.last_eta = hget_u64(h, "last_eta");
	o.last_resp_at = hget_u64(h, "last_resp_at");
	o.last_status = (int)hget_u64(h, "last_status");
	o.last_error = hget(h, "last_error");
	if (o.last_error == NULL)
		o.last_error = "";
	snprintf(name, sizeof(name), "%s/queues/%s/tasks/%s", op->parent,
	    op->m.queue, hget(h, "id") != NULL ? hget(h, "id") : op->m.task);
	return ct_task_to_json(&o, name, op->view, op->enum_int);
}

/* responseView as a name or a number; BASIC when absent or unknown. */
static int
view_from(const struct http_request *req)
{
	char	buf[32];

	if (route_query(req->target != NULL ? req->target : "",
	    req->targetlen, "responseView", buf, sizeof(buf)) <= 0)
		return CT_VIEW_BASIC;
	if (strcmp(buf, "2") == 0 || strcmp(buf, "FULL") == 0)
		return CT_VIEW_FULL;
	return CT_VIEW_BASIC;
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
