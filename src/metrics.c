/*
 * metrics.c: the Prometheus text page.  Each metric family gets its HELP
 * and TYPE lines once, then one sample per queue (or role); histogram
 * buckets are stored per bucket and summed here into the cumulative
 * counts the format wants.  Queue names are [A-Za-z0-9_-] (conf.c checks),
 * so label values need no escaping; the version is escaped anyway.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

#define P	"taskdispatcher_"

const char *const metrics_state_names[MS_MAX] = {
	"pending", "scheduled", "active", "retry", "dead", "done"
};

const char *const metrics_counter_names[MC_MAX] = {
	"enqueued", "dispatched", "succeeded", "failed", "retried", "dead"
};

const char *const metrics_bucket_le[METRICS_BUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
	"5", "10", "30", "60", "300", "1800", "+Inf"
};

/* Same order as enum role (proc.h). */
static const char *const role_names[4] = {
	"master", "listener", "worker", "scheduler"
};

static const char *const counter_help[MC_MAX] = {
	"Tasks enqueued.",
	"Dispatch attempts that came to a result.",
	"Dispatches answered with a 2xx.",
	"Dispatches that did not get a 2xx.",
	"Tasks put back for a retry (failed dispatch or lost lease).",
	"Tasks that ran out of retries."
};

struct out {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

static void	out_printf(struct out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	family(struct out *, const char *, const char *,
		    const char *);
static void	histogram(struct out *, const struct metrics_queue *);
static void	escape_label(struct out *, const char *);

int
metrics_bucket_index(const char *le)
{
	int	i;

	for (i = 0; i < METRICS_BUCKETS; i++)
		if (strcmp(le, metrics_bucket_le[i]) == 0)
			return i;
	return -1;
}

char *
metrics_render(const struct metrics *m, size_t *len)
{
	struct out			 o = { NULL, 0, 0 };
	const struct metrics_queue	*q;
	size_t				 i;
	int				 k;

	out_printf(&o, "%s", "");
	family(&o, "tasks", "gauge", "Tasks by queue and state.");
	for (i = 0; i < m->nqueues; i++)
		for (k = 0; k < MS_MAX; k++)
			out_printf(&o, P "tasks{queue=\"%s\",state=\"%s\"} "
			    "%llu\n", m->queues[i].name,
			    metrics_state_names[k],
			    (unsigned long long)m->queues[i].counts[k]);
	for (k = 0; k < MC_MAX; k++) {
		char	name[64];

		snprintf(name, sizeof(name), "%s_total",
		    metrics_counter_names[k]);
		family(&o, name, "counter", counter_help[k]);
		for (i = 0; i < m->nqueues; i++)
			out_printf(&o, P "%s{queue=\"%s\"} %llu\n", name,
			    m->queues[i].name,
			    (unsigned long long)m->queues[i].counters[k]);
	}
	family(&o, "dispatch_duration_seconds", "histogram",
	    "Time from sending a task to its answer (or failure).");
	for (i = 0; i < m->nqueues; i++)
		histogram(&o, &m->queues[i]);
	family(&o, "oldest_pending_age_seconds", "gauge",
	    "Age of the oldest pending task, 0 when none.");
	for (i = 0; i < m->nqueues; i++) {
		q = &m->queues[i];
		out_printf(&o, P "oldest_pending_age_seconds{queue=\"%s\"} "
		    "%llu.%03llu\n", q->name,
		    (unsigned long long)(q->oldest_pending_age_ms / 1000),
		    (unsigned long long)(q->oldest_pending_age_ms % 1000));
	}
	family(&o, "queue_paused", "gauge", "1 while the queue is paused.");
	for (i = 0; i < m->nqueues; i++)
		out_printf(&o, P "queue_paused{queue=\"%s\"} %d\n",
		    m->queues[i].name, m->queues[i].paused ? 1 : 0);
	family(&o, "restarts_total", "counter",
	    "Child processes restarted by the master, by role.");
	for (k = 1; k < 4; k++)
		out_printf(&o, P "restarts_total{role=\"%s\"} %llu\n",
		    role_names[k], (unsigned long long)m->restarts[k]);
	family(&o, "redis_errors_total", "counter",
	    "Redis links lost and error replies, by role.");
	for (k = 1; k < 4; k++)
		out_printf(&o, P "redis_errors_total{role=\"%s\"} %llu\n",
		    role_names[k], (unsigned long long)m->redis_errors[k]);
	family(&o, "build_info", "gauge", "The version running.");
	out_printf(&o, P "build_info{version=\"");
	escape_label(&o, m->version != NULL ? m->version : "");
	out_printf(&o, "\"} 1\n");
	family(&o, "start_time_seconds", "gauge",
	    "When the master started (Unix time).");
	out_printf(&o, P "start_time_seconds %llu.%03llu\n",
	    (unsigned long long)(m->start_ms / 1000),
	    (unsigned long long)(m->start_ms % 1000));
	if (len != NULL)
		*len = o.len;
	return o.buf;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help,
	    name, type);
}

static void
histogram(struct out *o, const struct metrics_queue *q)
{
	uint64_t	sum = 0;
	int		i;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		sum += q->buckets[i];
		out_printf(o, P "dispatch_duration_seconds_bucket{queue=\"%s\","
		    "le=\"%s\"} %llu\n", q->name, metrics_bucket_le[i],
		    (unsigned long long)sum);
	}
	out_printf(o, P "dispatch_duration_seconds_sum{queue=\"%s\"} "
	    "%llu.%03llu\n", q->name,
	    (unsigned long long)(q->dur_sum_ms / 1000),
	    (unsigned long long)(q->dur_sum_ms % 1000));
	out_printf(o, P "dispatch_duration_seconds_count{queue=\"%s\"} %llu\n",
	    q->name, (unsigned long long)q->dur_count);
}

/* Label values: backslash, double quote and newline are escaped. */
static void
escape_label(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			out_printf(o, "\\\\");
		else if (*s == '"')
			out_printf(o, "\\\"");
		else if (*s == '\n')
			out_printf(o, "\\n");
		else
			out_printf(o, "%c", *s);
	}
}

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		if (o->cap - o->len < 2) {
			o->cap = o->cap == 0 ? 4096 : o->cap * 2;
			o->buf = xrealloc(o->buf, o->cap);
		}
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		o->cap = o->len + (size_t)n + 4096;
		o->buf = xrealloc(o->buf, o->cap);
	}
}
