/*
 * admin.c: the operator API and /metrics.  A request becomes an op: a
 * small state machine that sends one round of store commands, parses
 * each reply as it comes (replies are freed when their callback returns)
 * and, once the round is answered, either sends the next round (the next
 * batch of a bulk change, the action after finding a task's queue) or
 * answers.  A NULL or error reply anywhere makes the answer 503.
 *
 * A cancelled op (its connection went) still waits for the replies it is
 * owed, then frees itself without answering and without sending more.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>
#include <json.h>

#include "admin.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"
#include "util.h"

#ifndef VERSION
#define VERSION		"unknown"
#endif

#define UNAVAILABLE	"redis: unavailable"
#define BATCH		1000	/* IDs per bulk script call */
#define PAGE_DEFAULT	50
#define PAGE_MAX	1000
#define MINUTES		60
#define TOKEN_MAX	128

struct admin {
	const struct conf	*conf;
	struct store		*store;
};

/* What a queue's qinfo reply said, and its last hour by minute. */
struct qinfo {
	/*
	 * The queue as the table had it when the op began: qsync may change
	 * the table (API queues come and go) before the replies are in.
	 */
	char			 name[TD_NAME_MAX];
	int			 weight;
	struct metrics_queue	 m;
	uint64_t		 ok[MINUTES];	/* [0] the oldest minute */
	uint64_t		 fail[MINUTES];
	uint64_t		 first_minute;	/* minute number of [0] */
};

/* One command in flight: which op, and which of its commands. */
struct cmd {
	struct admin_op	*op;
	int		 idx;
};

typedef int	op_parse_fn(struct admin_op *, int, const redisReply *);
typedef void	op_next_fn(struct admin_op *);

struct admin_op {
	struct admin		*a;
	api_done_fn		*done;		/* NULL: cancelled */
	void			*conn;
	int			*gone;		/* set when freed */
	enum route_id		 route;
	int			 outstanding;	/* replies awaited */
	int			 failed;
	op_parse_fn		*parse;
	op_next_fn		*next;
	uint64_t		 now;		/* wall ms, request */

	char			 queue[TD_NAME_MAX];
	char			 id[TD_ID_MAX + 1];
	int			 found;		/* queue index, or -1 */

	/* reads */
	struct qinfo		*qi;		/* per configured queue */
	int			 first, nq;	/* queues asked about */
	json_object		*redis;		/* /v1/stats: INFO */
	json_object		*result;	/* the answer to be */

	/* task listings */
	char			 state[16];
	char			 token[TOKEN_MAX];
	char			 url[1024];
	int			 size;

	/* bulk changes */
	int			 remove;	/* else requeue */
	char			 mode[8];	/* "ids", "state", "all" */
	char			**ids;
	size_t			 nids, idpos;
	long long		 count;		/* done so far */
	long long		 left;		/* -1: no reply yet */
	char			 one[16];	/* requeue "one" answer */
};

/* Send with a cmd for the reply; fails the op when the store is down. */
#define SEND(op, idx, call)	do {					\
	struct cmd *c_ = cmd_new((op), (idx));				\
	if (op_send((op), (call), (idx)) == -1)				\
		free(c_);						\
} while (0)

static const char *const states[] = {
	"pending", "scheduled", "active", "retry", "dead", "done"
};

static struct cmd *cmd_new(struct admin_op *, int);
static struct admin_op *op_new(struct admin *, const struct route_match *,
		    api_done_fn *, void *);
static void	op_free(struct admin_op *);
static int	op_send(struct admin_op *, int, int);
static void	op_wait(struct admin_op *);
static void	op_step(struct admin_op *);
static void	on_cmd(struct store *, struct redisReply *, void *);
static void	op_error(struct admin_op *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	op_json(struct admin_op *, json_object *);

static int	queue_from(struct admin_op *, const struct route_match *);
static int	task_from(struct admin_op *, const struct route_match *);

static void	qinfo_start(struct admin_op *, int, int, int);
static int	parse_qinfo(struct admin_op *, int, const redisReply *);
static int	parse_info(struct admin_op *, int, const redisReply *);
static void	answer_metrics(struct admin_op *);
static void	answer_stats(struct admin_op *);
static void	answer_queues(struct admin_op *);
static void	answer_queue(struct admin_op *);
static json_object *queue_json(const struct admin_op *, int);
static json_object *numbers_json(const char *const *, const uint64_t *,
		    int);

static void	tasks_start(struct admin_op *, const struct http_request *);
static int	parse_list(struct admin_op *, int, const redisReply *);
static void	answer_result(struct admin_op *);
static void	answer_task(struct admin_op *);

static void	get_send(struct admin_op *);
static int	parse_get(struct admin_op *, int, const redisReply *);
static void	find_start(struct admin_op *);
static int	parse_find(struct admin_op *, int, const redisReply *);
static void	found(struct admin_op *);
static int	parse_one(struct admin_op *, int, const redisReply *);
static void	answer_retry_one(struct admin_op *);
static int	parse_removed_one(struct admin_op *, int,
		    const redisReply *);
static void	answer_deleted_one(struct admin_op *);

static void	bulk_start(struct admin_op *, const struct http_request *);
static void	bulk_send(struct admin_op *);
static int	parse_bulk(struct admin_op *, int, const redisReply *);
static void	bulk_next(struct admin_op *);

static void	time_add(json_object *, const char *, uint64_t);
static uint64_t	u64(const char *);
static int	state_valid(const char *);
static int	token_valid(const char *, int);
static int	id_valid(const char *, size_t);
static const redisReply *hash_get(const redisReply *, const char *);
static const char *hash_str(const redisReply *, const char *);

struct admin *
admin_new(const struct conf *conf, struct store *store)
{
	struct admin	*a = xcalloc(1, sizeof(*a));

	a->conf = conf;
	a->store = store;
	return a;
}

void
admin_free(struct admin *a)
{
	free(a);
}

struct admin_op *
admin_handle(struct admin *a, const struct route_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	struct admin_op	*op;
	int		 gone = 0, nq = a->conf->nqueues;

	op = op_new(a, m, done, conn);
	op->gone = &gone;
	switch (m->id) {
	case ROUTE_METRICS:
	case ROUTE_STATS:
	case ROUTE_QUEUES:
		qinfo_start(op, 0, nq, m->id == ROUTE_STATS);
		break;
	case ROUTE_QUEUE:
	case ROUTE_QUEUE_PAUSE:
	case ROUTE_QUEUE_RESUME:
		if (queue_from(op, m) == -1)
			break;
		/* Same link: qinfo runs after the change and shows it. */
		if (m->id != ROUTE_QUEUE)
			SEND(op, -2, store_pause(a->store, op->queue,
			    m->id == ROUTE_QUEUE_PAUSE, on_cmd, c_));
		qinfo_start(op, op->found, 1, 0);
		break;
	case ROUTE_TASKS:
		if (queue_from(op, m) == 0)
			tasks_start(op, req);
		break;
	case ROUTE_QUEUE_TASK:
		if (queue_from(op, m) == 0 && task_from(op, m) == 0)
			get_send(op);
		break;
	case ROUTE_TASK:
	case ROUTE_TASK_DELETE:
	case ROUTE_TASK_RETRY:
		if (task_from(op, m) == 0)
			find_start(op);
		break;
	case ROUTE_QUEUE_PURGE:
	case ROUTE_TASKS_RETRY:
	case ROUTE_TASKS_DELETE:
		if (queue_from(op, m) == 0)
			bulk_start(op, req);
		break;
	default:
		op_error(op, 404, "no such resource");
		break;
	}
	if (gone)
		return NULL;
	op->gone = NULL;
	return op;
}

void
admin_cancel(struct admin_op *op)
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
static struct admin_op *
op_new(struct admin *a, const struct route_match *m, api_done_fn *done,
    void *conn)
{
	struct admin_op	*op = xcalloc(1, sizeof(*op));
	int		 i;

	op->a = a;
	op->done = done;
	op->conn = conn;
	op->route = m->id;
	op->found = -1;
	op->left = -1;
	op->now = util_wall_ms();
	op->qi = xcalloc((size_t)TD_MAX(a->conf->nqueues, 1),
	    sizeof(*op->qi));
	for (i = 0; i < a->conf->nqueues; i++) {
		util_strlcpy(op->qi[i].name, a->conf->queues[i].name,
		    sizeof(op->qi[i].name));
		op->qi[i].weight = a->conf->queues[i].weight;
		op->qi[i].m.name = op->qi[i].name;
	}
	return op;
}

static void
op_free(struct admin_op *op)
{
	size_t	i;

	if (op->gone != NULL)
		*op->gone = 1;
	for (i = 0; i < op->nids; i++)
		free(op->ids[i]);
	free(op->ids);
	free(op->qi);
	if (op->redis != NULL)
		json_object_put(op->redis);
	if (op->result != NULL)
		json_object_put(op->result);
	free(op);
}

/* Count a command sent (rc 0) or note that it could not be (-1). */
static int
op_send(struct admin_op *op, int rc, int idx)
{
	(void)idx;
	if (rc == -1) {
		op->failed = 1;
		return -1;
	}
	op->outstanding++;
	return 0;
}

static struct cmd *
cmd_new(struct admin_op *op, int idx)
{
	struct cmd	*c = xcalloc(1, sizeof(*c));

	c->op = op;
	c->idx = idx;
	return c;
}

/* Sent what this round needs: wait, or go on if nothing went out. */
static void
op_wait(struct admin_op *op)
{
	if (op->outstanding == 0)
		op_step(op);
}

static void
op_step(struct admin_op *op)
{
	if (op->outstanding > 0)
		return;
	if (op->done == NULL)
		op_free(op);
	else if (op->failed)
		op_error(op, 503, UNAVAILABLE);
	else
		op->next(op);
}

static void
on_cmd(struct store *s, struct redisReply *r, void *arg)
{
	struct cmd	*c = arg;
	struct admin_op	*op;
	int		 idx;

	(void)s;
	if (c == NULL)
		return;		/* no one waits for this answer */
	op = c->op;
	idx = c->idx;
	free(c);
	op->outstanding--;
	if (op->done != NULL && !op->failed) {
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			if (r != NULL)
				log_warnx("admin: redis: %s", r->str);
			op->failed = 1;
		} else if (op->parse(op, idx, r) == -1)
			op->failed = 1;
	}
	op_step(op);
}

static void
op_error(struct admin_op *op, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512], *body;
	size_t	 len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	body = route_error_json(code, msg, &len);
	op->done(op->conn, code, NULL, body, len, NULL);
	free(body);
	op_free(op);
}

/* Answer 200 with obj (consumed). */
static void
op_json(struct admin_op *op, json_object *obj)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	op->done(op->conn, 200, NULL, s, len, NULL);
	json_object_put(obj);
	op_free(op);
}

static int
queue_from(struct admin_op *op, const struct route_match *m)
{
	const struct conf	*c = op->a->conf;
	int			 i;

	if (m->queuelen < sizeof(op->queue)) {
		memcpy(op->queue, m->queue, m->queuelen);
		op->queue[m->queuelen] = '\0';
		for (i = 0; i < c->nqueues; i++)
			if (strcmp(c->queues[i].name, op->queue) == 0) {
				op->found = i;
				return 0;
			}
	}
	op_error(op, 404, "queue \"%.*s\": no such queue",
	    (int)TD_MIN(m->queuelen, 100), m->queue);
	return -1;
}

static int
task_from(struct admin_op *op, const struct route_match *m)
{
	if (!id_valid(m->task, m->tasklen)) {
		op_error(op, 404, "task \"%.*s\": no such task",
		    (int)TD_MIN(m->tasklen, 100), m->task);
		return -1;
	}
	memcpy(op->id, m->task, m->tasklen);
	op->id[m->tasklen] = '\0';
	return 0;
}

/*
 * Queue reads: one qinfo per queue, pipelined (and INFO for /v1/stats).
 */
static void
qinfo_start(struct admin_op *op, int first, int n, int info)
{
	int	i;

	op->first = first;
	op->nq = n;
	op->parse = parse_qinfo;
	for (i = first; i < first + n; i++) {
		SEND(op, i, store_qinfo(op->a->store, op->qi[i].name,
		    on_cmd, c_));
	}
	if (info)
		SEND(op, -1, store_info(op->a->store, on_cmd, c_));
	switch (op->route) {
	case ROUTE_METRICS:
		op->next = answer_metrics;
		break;
	case ROUTE_STATS:
		op->next = answer_stats;
		break;
	case ROUTE_QUEUES:
		op->next = answer_queues;
		break;
	default:
		op->next = answer_queue;
		break;
	}
	op_wait(op);
}

static int
parse_qinfo(struct admin_op *op, int idx, const redisReply *r)
{
	struct qinfo		*q;
	const redisReply	*h;
	uint64_t		 cur, m;
	size_t			 i;
	int			 k, b;
	char			*colon;

	if (idx == -2)		/* the pause or resume */
		return r->type == REDIS_REPLY_INTEGER ? 0 : -1;
	if (idx < 0)
		return parse_info(op, idx, r);
	q = &op->qi[idx];
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 10)
		return -1;
	for (i = 0; i < 8; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return -1;
	/* qinfo's order: pending active scheduled retry dead done. */
	q->m.counts[MS_PENDING] = (uint64_t)r->element[0]->integer;
	q->m.counts[MS_ACTIVE] = (uint64_t)r->element[1]->integer;
	q->m.counts[MS_SCHEDULED] = (uint64_t)r->element[2]->integer;
	q->m.counts[MS_RETRY] = (uint64_t)r->element[3]->integer;
	q->m.counts[MS_DEAD] = (uint64_t)r->element[4]->integer;
	q->m.counts[MS_DONE] = (uint64_t)r->element[5]->integer;
	q->m.paused = r->element[6]->integer == 1;
	if (r->element[7]->integer > 0 && q->m.counts[MS_PENDING] > 0 &&
	    (uint64_t)r->element[7]->integer < op->now)
		q->m.oldest_pending_age_ms = op->now -
		    (uint64_t)r->element[7]->integer;
	h = r->element[8];
	for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
	    i += 2) {
		const char	*f = h->element[i]->str;
		uint64_t	 v = u64(h->element[i + 1]->str);

		if (f == NULL)
			continue;
		for (k = 0; k < MC_MAX; k++)
			if (strcmp(f, metrics_counter_names[k]) == 0)
				q->m.counters[k] = v;
		if (strcmp(f, "dur_sum") == 0)
			q->m.dur_sum_ms = v;
		else if (strcmp(f, "dur_count") == 0)
			q->m.dur_count = v;
		else if (strncmp(f, "d:", 2) == 0 &&
		    (b = metrics_bucket_index(f + 2)) >= 0)
			q->m.buckets[b] = v;
	}
	/* [0] is the minute an hour before the current one's start. */
	cur = op->now / 60000;
	q->first_minute = cur - MINUTES;
	h = r->element[9];
	for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
	    i += 2) {
		if (h->element[i]->str == NULL)
			continue;
		m = strtoull(h->element[i]->str, &colon, 10);
		if (*colon != ':' || m < q->first_minute || m >= cur)
			continue;
		if (strcmp(colon, ":ok") == 0)
			q->ok[m - q->first_minute] =
			    u64(h->element[i + 1]->str);
		else if (strcmp(colon, ":fail") == 0)
			q->fail[m - q->first_minute] =
			    u64(h->element[i + 1]->str);
	}
	return 0;
}

/* INFO's "key:value" lines: the few that /v1/stats shows. */
static int
parse_info(struct admin_op *op, int idx, const redisReply *r)
{
	const char	*p, *nl;
	char		 line[256], *v;
	size_t		 n;

	(void)idx;
	if (r->type != REDIS_REPLY_STRING)
		return -1;
	op->redis = json_object_new_object();
	for (p = r->str; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "redis_version") == 0)
			json_object_object_add(op->redis, "version",
			    json_object_new_string(v));
		else if (strcmp(line, "used_memory") == 0)
			json_object_object_add(op->redis, "used_memory",
			    json_object_new_int64((int64_t)u64(v)));
		else if (strcmp(line, "aof_enabled") == 0)
			json_object_object_add(op->redis, "aof_enabled",
			    json_object_new_boolean(strcmp(v, "1") == 0));
		else if (strcmp(line, "maxmemory_policy") == 0)
			json_object_object_add(op->redis, "maxmemory_policy",
			    json_object_new_string(v));
	}
	return 0;
}

static void
answer_metrics(struct admin_op *op)
{
	struct metrics		 m;
	struct metrics_queue	*mq;
	const struct stats	*st = stats_get();
	char			*text;
	size_t			 len;
	int			 i;

	memset(&m, 0, sizeof(m));
	mq = xcalloc((size_t)TD_MAX(op->nq, 1), sizeof(*mq));
	for (i = 0; i < op->nq; i++)
		mq[i] = op->qi[op->first + i].m;
	m.queues = mq;
	m.nqueues = (size_t)op->nq;
	m.version = VERSION;
	if (st != NULL) {
		for (i = 0; i < 4; i++) {
			m.restarts[i] = st->restarts[i];
			m.redis_errors[i] = st->redis_errors[i];
		}
		m.start_ms = st->started_ms;
	}
	text = metrics_render(&m, &len);
	op->done(op->conn, 200, METRICS_CTYPE, text, len, NULL);
	free(text);
	free(mq);
	op_free(op);
}

/* "counts" or "totals": {name: n} for the n numbers v and their names. */
static json_object *
numbers_json(const char *const *names, const uint64_t *v, int n)
{
	json_object	*o = json_object_new_object();
	int		 k;

	for (k = 0; k < n; k++)
		json_object_object_add(o, names[k],
		    json_object_new_int64((int64_t)v[k]));
	return o;
}

static void
answer_stats(struct admin_op *op)
{
	struct metrics_queue	 sum;
	json_object		*o;
	int			 i, k;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < op->nq; i++) {
		for (k = 0; k < MS_MAX; k++)
			sum.counts[k] += op->qi[i].m.counts[k];
		for (k = 0; k < MC_MAX; k++)
			sum.counters[k] += op->qi[i].m.counters[k];
	}
	o = json_object_new_object();
	json_object_object_add(o, "queues", json_object_new_int(op->nq));
	json_object_object_add(o, "counts",
	    numbers_json(metrics_state_names, sum.counts, MS_MAX));
	json_object_object_add(o, "totals",
	    numbers_json(metrics_counter_names, sum.counters, MC_MAX));
	json_object_object_add(o, "redis", op->redis != NULL ? op->redis :
	    json_object_new_object());
	op->redis = NULL;
	op_json(op, o);
}

static json_object *
queue_json(const struct admin_op *op, int i)
{
	const struct qinfo	*q = &op->qi[i];
	json_object		*o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(q->m.name));
	json_object_object_add(o, "state", json_object_new_string(
	    q->m.paused ? "paused" : "running"));
	json_object_object_add(o, "weight",
	    json_object_new_int(q->weight));
	json_object_object_add(o, "counts",
	    numbers_json(metrics_state_names, q->m.counts, MS_MAX));
	json_object_object_add(o, "oldest_pending_age_ms",
	    json_object_new_int64((int64_t)q->m.oldest_pending_age_ms));
	json_object_object_add(o, "totals",
	    numbers_json(metrics_counter_names, q->m.counters, MC_MAX));
	json_object_object_add(o, "processed_per_minute",
	    json_object_new_int64((int64_t)(q->ok[MINUTES - 1] +
	    q->fail[MINUTES - 1])));
	json_object_object_add(o, "failed_per_minute",
	    json_object_new_int64((int64_t)q->fail[MINUTES - 1]));
	return o;
}

static void
answer_queues(struct admin_op *op)
{
	json_object	*o = json_object_new_object(), *a;
	int		 i;

	a = json_object_new_array();
	for (i = 0; i < op->nq; i++)
		json_object_array_add(a, queue_json(op, op->first + i));
	json_object_object_add(o, "queues", a);
	op_json(op, o);
}

static void
answer_queue(struct admin_op *op)
{
	const struct qinfo	*q = &op->qi[op->first];
	json_object		*o, *a, *m;
	int			 i;

	o = queue_json(op, op->first);
	if (op->route == ROUTE_QUEUE) {
		a = json_object_new_array();
		for (i = 0; i < MINUTES; i++) {
			m = json_object_new_object();
			time_add(m, "time", (q->first_minute + (uint64_t)i) *
			    60000);
			json_object_object_add(m, "processed",
			    json_object_new_int64((int64_t)(q->ok[i] +
			    q->fail[i])));
			json_object_object_add(m, "failed",
			    json_object_new_int64((int64_t)q->fail[i]));
			json_object_array_add(a, m);
		}
		json_object_object_add(o, "minutes", a);
	} else
		log_info("queue %s queue=%s", op->route == ROUTE_QUEUE_PAUSE ?
		    "paused" : "resumed", op->queue);
	op_json(op, o);
}

/*
 * GET /v1/queues/{q}/tasks: one list script call.
 */
static void
tasks_start(struct admin_op *op, const struct http_request *req)
{
	char		 buf[32];
	const char	*order;
	char		*end;
	long		 n;
	int		 rc;

	rc = route_query(req->target, req->targetlen, "state", op->state,
	    sizeof(op->state));
	if (rc == -1)
		util_strlcpy(op->state, "pending", sizeof(op->state));
	if (rc == -2 || !state_valid(op->state)) {
		op_error(op, 400, "state: must be one of pending, scheduled, "
		    "active, retry, dead, done");
		return;
	}
	op->size = PAGE_DEFAULT;
	rc = route_query(req->target, req->targetlen, "page_size", buf,
	    sizeof(buf));
	if (rc != -1) {
		n = rc >= 0 ? strtol(buf, &end, 10) : 0;
		if (rc <= 0 || *end != '\0' || n < 1 || n > PAGE_MAX) {
			op_error(op, 400, "page_size: must be 1..%d",
			    PAGE_MAX);
			return;
		}
		op->size = (int)n;
	}
	if (route_query(req->target, req->targetlen, "page_token", op->token,
	    sizeof(op->token)) == -2 ||
	    route_query(req->target, req->targetlen, "url", op->url,
	    sizeof(op->url)) == -2) {
		op_error(op, 400, "page_token or url: bad value");
		return;
	}
	if (strcmp(op->state, "pending") == 0 ||
	    strcmp(op->state, "active") == 0)
		order = "list";
	else if (strcmp(op->state, "dead") == 0 ||
	    strcmp(op->state, "done") == 0)
		order = "desc";
	else
		order = "asc";
	if (!token_valid(op->token, strcmp(order, "list") == 0)) {
		op_error(op, 400, "page_token: not one this listing gave");
		return;
	}
	op->parse = parse_list;
	op->next = answer_result;
	SEND(op, 0, store_list(op->a->store, op->queue, op->state, order,
	    op->token, op->size, op->url, on_cmd, c_));
	op_wait(op);
}

/* A task summary (TS) from the list or get fields. */
static json_object *
task_json(const char *queue, const char *id, const char *state,
    const char *url, const char *method, const char *attempts,
    const char *created, const char *eta, const char *finished,
    const char *last_status, const char *last_error)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "queue", json_object_new_string(queue));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "attempts",
	    json_object_new_int64((int64_t)u64(attempts)));
	time_add(o, "created", u64(created));
	if (strcmp(state, "scheduled") == 0 || strcmp(state, "retry") == 0)
		time_add(o, "eta", u64(eta));
	if (strcmp(state, "done") == 0 || strcmp(state, "dead") == 0)
		time_add(o, "finished", u64(finished));
	json_object_object_add(o, "last_status",
	    json_object_new_int64((int64_t)u64(last_status)));
	json_object_object_add(o, "last_error",
	    json_object_new_string(last_error));
	return o;
}

static const char *
str_at(const redisReply *r, size_t i)
{
	if (i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
		return "";
	return r->element[i]->str;
}

static int
parse_list(struct admin_op *op, int idx, const redisReply *r)
{
	json_object	*a;
	const char	*eta;
	size_t		 i;

	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    (r->elements - 1) % 11 != 0)
		return -1;
	op->result = json_object_new_object();
	a = json_object_new_array();
	for (i = 1; i < r->elements; i += 11) {
		/* id state url method attempts created eta finished
		 * last_status last_error score */
		eta = str_at(r, i + 10)[0] != '\0' ? str_at(r, i + 10) :
		    str_at(r, i + 6);
		json_object_array_add(a, task_json(op->queue, str_at(r, i),
		    str_at(r, i + 1), str_at(r, i + 2), str_at(r, i + 3),
		    str_at(r, i + 4), str_at(r, i + 5), eta, str_at(r, i + 7),
		    str_at(r, i + 8), str_at(r, i + 9)));
	}
	json_object_object_add(op->result, "tasks", a);
	if (str_at(r, 0)[0] != '\0')
		json_object_object_add(op->result, "next_page_token",
		    json_object_new_string(str_at(r, 0)));
	return 0;
}

static void
answer_result(struct admin_op *op)
{
	json_object	*o = op->result;

	op->result = NULL;
	op_json(op, o != NULL ? o : json_object_new_object());
}

static void
answer_task(struct admin_op *op)
{
	if (op->result == NULL)
		op_error(op, 404, "task \"%s\": no such task", op->id);
	else
		answer_result(op);
}

/*
 * One task: get, retry, delete.  Without a queue in the path, the task's
 * queue is found first: one HGET per configured queue, pipelined.
 */
static void
get_send(struct admin_op *op)
{
	op->parse = parse_get;
	op->next = answer_task;
	SEND(op, 0, store_get(op->a->store, op->queue, op->id, on_cmd, c_));
	op_wait(op);
}

static int
parse_get(struct admin_op *op, int idx, const redisReply *r)
{
	const redisReply	*h, *v;
	json_object		*o, *hist, *rec, *jv, **att;
	const char		*f;
	const char		*eta;
	long long		 hn, n;
	size_t			 i;

	(void)idx;
	if (r->type == REDIS_REPLY_NIL)
		return 0;	/* answer_result: 404 */
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY)
		return -1;
	h = r->element[0];
#define F(name)	hash_str(h, name)
	eta = str_at(r, 1)[0] != '\0' ? str_at(r, 1) : F("eta");
	o = task_json(op->queue, op->id, F("state"), F("url"), F("method"),
	    F("attempts"), F("created"), eta, F("finished"), F("last_status"),
	    F("last_error"));
	jv = json_tokener_parse(F("headers"));
	json_object_object_add(o, "headers", jv != NULL &&
	    json_object_is_type(jv, json_type_object) ? jv :
	    json_object_new_object());
	if (jv != NULL && !json_object_is_type(jv, json_type_object))
		json_object_put(jv);
	v = hash_get(h, "body");
	json_object_object_add(o, "body", json_object_new_string_len(
	    v != NULL ? v->str : "", v != NULL ? (int)v->len : 0));
#undef F
	/* a:1 .. a:hn, in attempt order whatever order HGETALL gave. */
	v = hash_get(h, "hn");
	hn = v != NULL ? (long long)u64(v->str) : 0;
	hn = TD_MIN(hn, 100000);
	att = xcalloc((size_t)hn + 1, sizeof(*att));
	for (i = 0; i + 1 < h->elements; i += 2) {
		f = h->element[i]->str;
		if (f == NULL || strncmp(f, "a:", 2) != 0)
			continue;
		n = (long long)u64(f + 2);
		if (n < 1 || n > hn || att[n - 1] != NULL)
			continue;
		att[n - 1] = json_tokener_parse(h->element[i + 1]->str);
	}
	hist = json_object_new_array();
	for (n = 0; n < hn; n++) {
		if (att[n] == NULL)
			continue;
		rec = json_object_new_object();
		json_object_object_add(rec, "attempt",
		    json_object_new_int64(n + 1));
		if (json_object_object_get_ex(att[n], "time", &jv))
			time_add(rec, "time",
			    (uint64_t)json_object_get_int64(jv));
		json_object_object_add(rec, "status", json_object_new_int64(
		    json_object_object_get_ex(att[n], "status", &jv) ?
		    json_object_get_int64(jv) : 0));
		json_object_object_add(rec, "error", json_object_new_string(
		    json_object_object_get_ex(att[n], "error", &jv) &&
		    json_object_is_type(jv, json_type_string) ?
		    json_object_get_string(jv) : ""));
		json_object_object_add(rec, "duration_ms",
		    json_object_new_int64(
		    json_object_object_get_ex(att[n], "dur", &jv) ?
		    json_object_get_int64(jv) : 0));
		json_object_array_add(hist, rec);
		json_object_put(att[n]);
	}
	free(att);
	json_object_object_add(o, "history", hist);
	op->result = o;
	return 0;
}

static void
find_start(struct admin_op *op)
{
	const struct conf	*c = op->a->conf;
	int			 i;

	op->parse = parse_find;
	op->next = found;
	for (i = 0; i < c->nqueues; i++)
		SEND(op, i, store_task_state(op->a->store, op->qi[i].name,
		    op->id, on_cmd, c_));
	op_wait(op);
}

static int
parse_find(struct admin_op *op, int idx, const redisReply *r)
{
	if (r->type == REDIS_REPLY_STRING && (op->found < 0 ||
	    idx < op->found))
		op->found = idx;
	return 0;
}

static void
found(struct admin_op *op)
{
	if (op->found < 0) {
		op_error(op, 404, "task \"%s\": no such task", op->id);
		return;
	}
	util_strlcpy(op->queue, op->qi[op->found].name, sizeof(op->queue));
	switch (op->route) {
	case ROUTE_TASK:
		get_send(op);
		break;
	case ROUTE_TASK_RETRY:
		op->parse = parse_one;
		op->next = answer_retry_one;
		SEND(op, 0, store_requeue(op->a->store, op->queue, "one",
		    op->id, 1, on_cmd, c_));
		op_wait(op);
		break;
	default:
		op->parse = parse_removed_one;
		op->next = answer_deleted_one;
		SEND(op, 0, store_remove(op->a->store, op->queue, "ids",
		    op->id, 1, on_cmd, c_));
		op_wait(op);
		break;
	}
}

static int
parse_one(struct admin_op *op, int idx, const redisReply *r)
{
	(void)idx;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)
		return -1;
	util_strlcpy(op->one, r->str, sizeof(op->one));
	return 0;
}

static void
answer_retry_one(struct admin_op *op)
{
	json_object	*o;

	if (strcmp(op->one, "missing") == 0) {
		op_error(op, 404, "task \"%s\": no such task", op->id);
		return;
	}
	if (strcmp(op->one, "ok") != 0 && strcmp(op->one, "pending") != 0) {
		op_error(op, 409, "task \"%s\" is %s: only a dead, retry or "
		    "scheduled task can be retried", op->id, op->one);
		return;
	}
	if (strcmp(op->one, "ok") == 0)
		log_info("task retried by hand task=%s queue=%s", op->id,
		    op->queue);
	o = json_object_new_object();
	json_object_object_add(o, "task_id", json_object_new_string(op->id));
	json_object_object_add(o, "queue", json_object_new_string(op->queue));
	json_object_object_add(o, "state", json_object_new_string("pending"));
	op_json(op, o);
}

static int
parse_removed_one(struct admin_op *op, int idx, const redisReply *r)
{
	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER)
		return -1;
	op->count = r->element[0]->integer;
	return 0;
}

static void
answer_deleted_one(struct admin_op *op)
{
	if (op->count == 0) {
		op_error(op, 404, "task \"%s\": no such task", op->id);
		return;
	}
	log_info("task deleted by hand task=%s queue=%s", op->id, op->queue);
	op_json(op, json_object_new_object());
}

/*
 * Bulk changes: purge, tasks:retry, tasks:delete.  A body names a state
 * or a list of IDs; the script runs on BATCH IDs per call until the state
 * is empty (or stops shrinking) or the list is done.
 */
static void
bulk_start(struct admin_op *op, const struct http_request *req)
{
	json_object	*body = NULL, *v, *e;
	const char	*s;
	char		 err[256];
	size_t		 i, n;

	op->remove = op->route != ROUTE_TASKS_RETRY;
	if (op->route == ROUTE_QUEUE_PURGE) {
		util_strlcpy(op->mode, "all", sizeof(op->mode));
		bulk_send(op);
		return;
	}
	/* The enqueue body's strict parser: every body refuses alike. */
	if (req->bodylen == 0) {
		op_error(op, 400, "body: must be a JSON object with \"state\" "
		    "or \"ids\"");
		return;
	}
	if ((body = task_json_object(req->body, req->bodylen, "body", err,
	    sizeof(err))) == NULL) {
		op_error(op, 400, "%s", err);
		return;
	}
	if (json_object_object_get_ex(body, "state", &v)) {
		s = json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "";
		if (!state_valid(s) || (!op->remove &&
		    strcmp(s, "dead") != 0 && strcmp(s, "retry") != 0 &&
		    strcmp(s, "scheduled") != 0)) {
			json_object_put(body);
			op_error(op, 400, "state: must be %s", op->remove ?
			    "one of pending, scheduled, active, retry, dead, "
			    "done" : "dead, retry or scheduled");
			return;
		}
		util_strlcpy(op->mode, "state", sizeof(op->mode));
		util_strlcpy(op->state, s, sizeof(op->state));
	} else if (json_object_object_get_ex(body, "ids", &v) &&
	    json_object_is_type(v, json_type_array)) {
		util_strlcpy(op->mode, "ids", sizeof(op->mode));
		n = json_object_array_length(v);
		op->ids = xcalloc(n + 1, sizeof(*op->ids));
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			s = json_object_is_type(e, json_type_string) ?
			    json_object_get_string(e) : NULL;
			if (s == NULL) {
				json_object_put(body);
				op_error(op, 400, "ids[%zu]: must be a string",
				    i);
				return;
			}
			/* An ID of the wrong shape names no task: skip it. */
			if (id_valid(s, strlen(s)))
				op->ids[op->nids++] = xstrdup(s);
		}
	} else {
		json_object_put(body);
		op_error(op, 400, "body: must have \"state\" or \"ids\" (an "
		    "array)");
		return;
	}
	json_object_put(body);
	bulk_send(op);
}

static void
bulk_send(struct admin_op *op)
{
	char	*what, *p;
	size_t	 i, n, len;

	op->parse = parse_bulk;
	op->next = bulk_next;
	if (strcmp(op->mode, "ids") != 0) {
		what = xstrdup(strcmp(op->mode, "all") == 0 ? "" : op->state);
		n = 0;
	} else {
		n = TD_MIN(op->nids - op->idpos, BATCH);
		what = p = xcalloc(n * (TD_ID_MAX + 1) + 1, 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				*p++ = ',';
			len = strlen(op->ids[op->idpos + i]);
			memcpy(p, op->ids[op->idpos + i], len);
			p += len;
		}
		op->idpos += n;
	}
	if (op->remove)
		SEND(op, 0, store_remove(op->a->store, op->queue, op->mode,
		    what, BATCH, on_cmd, c_));
	else
		SEND(op, 0, store_requeue(op->a->store, op->queue, op->mode,
		    what, BATCH, on_cmd, c_));
	free(what);
	op_wait(op);
}

static int
parse_bulk(struct admin_op *op, int idx, const redisReply *r)
{
	long long	left;

	(void)idx;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return -1;
	op->count += r->element[0]->integer;
	left = r->element[1]->integer;
	/* Stop when the state's set no longer shrinks: new arrivals (a
	 * retry that failed again) must not keep us going for ever. */
	if (op->left >= 0 && left >= op->left)
		left = 0;
	op->left = left;
	return 0;
}

static void
bulk_next(struct admin_op *op)
{
	json_object	*o;

	if ((strcmp(op->mode, "ids") == 0 && op->idpos < op->nids) ||
	    (strcmp(op->mode, "ids") != 0 && op->left > 0)) {
		bulk_send(op);
		return;
	}
	log_info("%s by hand count=%lld queue=%s mode=%s%s%s",
	    op->route == ROUTE_QUEUE_PURGE ? "queue purged" : op->remove ?
	    "tasks deleted" : "tasks retried", op->count, op->queue, op->mode,
	    op->state[0] != '\0' ? " state=" : "", op->state);
	o = json_object_new_object();
	json_object_object_add(o, op->remove ? "deleted" : "retried",
	    json_object_new_int64(op->count));
	op_json(op, o);
}

/*
 * Helpers.
 */

/* "2026-12-02T08:45:09.123Z"; nothing for 0 (unknown). */
static void
time_add(json_object *o, const char *key, uint64_t ms)
{
	struct tm	tm;
	time_t		t;
	char		buf[64];

	if (ms == 0)
		return;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		return;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	json_object_object_add(o, key, json_object_new_string(buf));
}

static uint64_t
u64(const char *s)
{
	if (s == NULL || !isdigit((unsigned char)*s))
		return 0;
	return strtoull(s, NULL, 10);
}

static int
state_valid(const char *s)
{
	size_t	i;

	for (i = 0; i < TD_NELEM(states); i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

/*
 * What list.lua hands out: "" (the first page), an offset for a list,
 * "score:id" for a zset.
 */
static int
token_valid(const char *t, int list)
{
	const char	*p;

	if (*t == '\0')
		return 1;
	for (p = t; isdigit((unsigned char)*p); p++)
		;
	if (p == t || p - t > 20)
		return 0;
	if (list)
		return *p == '\0';
	return *p == ':' && id_valid(p + 1, strlen(p + 1));
}

/* A task ID: util_task_id's, or a Cloud Tasks task name's. */
static int
id_valid(const char *s, size_t len)
{
	return s != NULL && util_valid_id(s, len);
}

/* The value of field name in a flat [field, value, ...] reply. */
static const redisReply *
hash_get(const redisReply *h, const char *name)
{
	size_t	i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0 &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING)
			return h->element[i + 1];
	return NULL;
}

static const char *
hash_str(const redisReply *h, const char *name)
{
	const redisReply	*v = hash_get(h, name);

	return v != NULL ? v->str : "";
}
