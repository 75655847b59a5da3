/*
 * ctroute.c: the Cloud Tasks v2 paths.  The shape of a path (its literal
 * segments and custom verb) is settled on the raw bytes, so that a
 * percent-encoded '/' or ':' inside an ID can never change which resource
 * is meant; only then is each ID decoded and checked.  The order of the
 * answers: 404 (no such shape), 405 (the shape, not this method), 400
 * (an ID that is badly encoded or not valid), then a match.  Pure: no I/O.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctroute.h"
#include "util.h"

#define SEG_MAX		9	/* v2 projects P locations L queues Q tasks T */
#define ECHO_MAX	64	/* bytes of an ID quoted back */

#define PROJECT_EXTRA	"-:."
#define PROJECT_RULE	"letters, digits, hyphens, colons and periods"
#define LOCATION_RULE	"letters, digits and hyphens"
#define ID_RULE		"letters, digits, hyphens and underscores"

struct seg {
	const char	*p;
	size_t		 n;
};

/* What a queue or task may end with, and who answers which method. */
struct verb {
	const char	*verb;		/* NULL: the resource itself */
	int		 depth;		/* segments: 7 queue, 9 task */
	const char	*allow;
	struct {
		const char	*method;
		enum ct_route	 id;
	}		 m[3];
};

static const struct verb verbs[] = {
	{ NULL, 6, "GET, POST", { { "GET", CT_QUEUES_LIST },
	    { "POST", CT_QUEUE_CREATE } } },
	{ NULL, 7, "GET, PATCH, DELETE", { { "GET", CT_QUEUE_GET },
	    { "PATCH", CT_QUEUE_PATCH }, { "DELETE", CT_QUEUE_DELETE } } },
	{ "pause", 7, "POST", { { "POST", CT_QUEUE_PAUSE } } },
	{ "resume", 7, "POST", { { "POST", CT_QUEUE_RESUME } } },
	{ "purge", 7, "POST", { { "POST", CT_QUEUE_PURGE } } },
	{ "getIamPolicy", 7, "POST", { { "POST", CT_QUEUE_GETIAM } } },
	{ "setIamPolicy", 7, "POST", { { "POST", CT_QUEUE_SETIAM } } },
	{ "testIamPermissions", 7, "POST", { { "POST", CT_QUEUE_TESTIAM } } },
	{ NULL, 8, "GET, POST", { { "GET", CT_TASKS_LIST },
	    { "POST", CT_TASK_CREATE } } },
	{ NULL, 9, "GET, DELETE", { { "GET", CT_TASK_GET },
	    { "DELETE", CT_TASK_DELETE } } },
	{ "run", 9, "POST", { { "POST", CT_TASK_RUN } } },
};

static int	split(const char *, size_t, struct seg *, size_t *);
static int	seg_is(const struct seg *, const char *);
static int	take_id(struct ct_match *, const struct seg *, const char *,
		    const char *, const char *, char *, size_t);
static int	valid_chars(const char *, size_t, const char *);

int
ct_route_match(const char *method, const char *target, size_t len,
    struct ct_match *m)
{
	struct seg		 s[SEG_MAX], verb = { NULL, 0 };
	const struct verb	*v;
	const char		*q, *colon;
	size_t			 n, i, plen;
	int			 v1;

	if (target == NULL || method == NULL)
		return 0;
	v1 = len >= 13 && memcmp(target, "/v1/projects/", 13) == 0;
	if (!v1 && (len < 4 || memcmp(target, "/v2/", 4) != 0))
		return 0;
	memset(m, 0, sizeof(*m));
	m->status = 404;
	plen = (q = memchr(target, '?', len)) != NULL ?
	    (size_t)(q - target) : len;
	if (split(target + 1, plen - 1, s, &n) == -1 || n < 5 ||
	    !seg_is(&s[1], "projects") || !seg_is(&s[3], "locations"))
		return 1;

	/* The custom verb: after the first literal ':' of the last one. */
	if ((colon = memchr(s[n - 1].p, ':', s[n - 1].n)) != NULL) {
		verb.p = colon + 1;
		verb.n = s[n - 1].n - (size_t)(verb.p - s[n - 1].p);
		s[n - 1].n = (size_t)(colon - s[n - 1].p);
		if (s[n - 1].n == 0 || verb.n == 0)
			return 1;
	}

	if (v1) {
		if (n != 5 || verb.p != NULL)
			return 1;
		if (strcmp(method, "GET") != 0) {
			m->status = 405;
			m->allow = "GET";
			return 1;
		}
		if (take_id(m, &s[2], "project", PROJECT_EXTRA, PROJECT_RULE,
		    m->project, sizeof(m->project)) == -1 ||
		    take_id(m, &s[4], "location", "-", LOCATION_RULE,
		    m->location, sizeof(m->location)) == -1)
			return 1;
		m->id = CT_LOCATION;
		m->status = 0;
		return 1;
	}

	if (n < 6 || !seg_is(&s[5], "queues") ||
	    (n >= 8 && !seg_is(&s[7], "tasks")))
		return 1;
	for (v = NULL, i = 0; i < TD_NELEM(verbs); i++) {
		if (verbs[i].depth != (int)n)
			continue;
		if (verb.p == NULL ? verbs[i].verb == NULL :
		    verbs[i].verb != NULL && strlen(verbs[i].verb) == verb.n &&
		    memcmp(verbs[i].verb, verb.p, verb.n) == 0) {
			v = &verbs[i];
			break;
		}
	}
	if (v == NULL)
		return 1;
	for (i = 0; i < TD_NELEM(v->m) && v->m[i].method != NULL; i++)
		if (strcmp(method, v->m[i].method) == 0)
			break;
	if (i == TD_NELEM(v->m) || v->m[i].method == NULL) {
		m->status = 405;
		m->allow = v->allow;
		return 1;
	}
	if (take_id(m, &s[2], "project", PROJECT_EXTRA, PROJECT_RULE,
	    m->project, sizeof(m->project)) == -1 ||
	    take_id(m, &s[4], "location", "-", LOCATION_RULE, m->location,
	    sizeof(m->location)) == -1 ||
	    (n >= 7 && take_id(m, &s[6], "queue", "-_", ID_RULE, m->queue,
	    sizeof(m->queue)) == -1) ||
	    (n >= 9 && take_id(m, &s[8], "task", "-_", ID_RULE, m->task,
	    sizeof(m->task)) == -1))
		return 1;
	m->id = v->m[i].id;
	m->status = 0;
	return 1;
}

int
ct_valid_queue_id(const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= TD_NAME_MAX)
		return 0;
	return valid_chars(s, n, "-");
}

/*
 * The path after its first '/' into at most SEG_MAX segments; -1 on
 * an empty one (a trailing '/', "//") or too many.
 */
static int
split(const char *p, size_t len, struct seg *s, size_t *n)
{
	const char	*end = p + len, *slash;

	for (*n = 0;; p = slash + 1) {
		if (*n == SEG_MAX)
			return -1;
		if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL)
			slash = end;
		if (slash == p)
			return -1;
		s[*n].p = p;
		s[*n].n = (size_t)(slash - p);
		(*n)++;
		if (slash == end)
			return 0;
	}
}

static int
seg_is(const struct seg *s, const char *lit)
{
	return strlen(lit) == s->n && memcmp(s->p, lit, s->n) == 0;
}

/*
 * Percent-decode s into buf (size bytes, NUL included) and check it:
 * letters, digits and extra, shorter than size.  So a task ID follows
 * util_valid_id(), and a queue takes '_' (config-file queues have it,
 * though CreateQueue does not).  400 with a message when bad.
 */
static int
take_id(struct ct_match *m, const struct seg *s, const char *what,
    const char *extra, const char *rule, char *buf, size_t size)
{
	char		 q[ECHO_MAX + 8];
	size_t		 i, o;
	int		 hi, lo;

	for (i = o = 0; i < s->n; i++) {
		if (s->p[i] == '%') {
			if (s->n - i < 3 ||
			    (hi = util_hexval(s->p[i + 1])) < 0 ||
			    (lo = util_hexval(s->p[i + 2])) < 0) {
				snprintf(m->message, sizeof(m->message), "%s "
				    "ID \"%s\": invalid percent-encoding", what,
				    util_echo(q, sizeof(q), ECHO_MAX, s->p,
				    s->n));
				m->status = 400;
				return -1;
			}
			if (o < size)
				buf[o] = (char)(hi * 16 + lo);
			i += 2;
		} else if (o < size)
			buf[o] = s->p[i];
		o++;
	}
	if (o >= size || !valid_chars(buf, o, extra)) {
		snprintf(m->message, sizeof(m->message), "%s ID \"%s\": only "
		    "%s, at most %zu", what, util_echo(q, sizeof(q), ECHO_MAX,
		    buf, TD_MIN(o, size)), rule, size - 1);
		buf[0] = '\0';
		m->status = 400;
		return -1;
	}
	buf[o] = '\0';
	return 0;
}

/* 1 when s (n bytes, n > 0) is ASCII letters, digits and extra only. */
static int
valid_chars(const char *s, size_t n, const char *extra)
{
	size_t	i;
	char	c;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (c == '\0' || strchr(extra, c) == NULL)
			return 0;
	}
	return 1;
}

