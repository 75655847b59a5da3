/*
 * route.c: which handler a request goes to, the status names and reason
 * phrases, and the one JSON error body every endpoint shares.  Pure: no
 * I/O, so the unit tests drive it directly.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route.h"
#include "util.h"

struct route_method {
	const char	*method;
	enum route_id	 id;
};

/*
 * Paths are literal but for "{q}" and "{id}", each one segment (see
 * route.h).  The first pattern that matches the path decides: its
 * methods, or 405 with its Allow list.
 */
struct route {
	const char		*path;
	struct route_method	 methods[3];	/* to a NULL method */
	const char		*allow;
};

static const struct route routes[] = {
	{ "/health", { { "GET", ROUTE_HEALTH }, { "HEAD", ROUTE_HEALTH } },
	    "GET, HEAD" },
	{ "/v1/enqueue", { { "POST", ROUTE_ENQUEUE } }, "POST" },
	{ "/metrics", { { "GET", ROUTE_METRICS }, { "HEAD", ROUTE_METRICS } },
	    "GET, HEAD" },
	{ "/v1/stats", { { "GET", ROUTE_STATS } }, "GET" },
	{ "/v1/queues", { { "GET", ROUTE_QUEUES } }, "GET" },
	{ "/v1/queues/{q}", { { "GET", ROUTE_QUEUE } }, "GET" },
	{ "/v1/queues/{q}:pause", { { "POST", ROUTE_QUEUE_PAUSE } }, "POST" },
	{ "/v1/queues/{q}:resume", { { "POST", ROUTE_QUEUE_RESUME } },
	    "POST" },
	{ "/v1/queues/{q}:purge", { { "POST", ROUTE_QUEUE_PURGE } }, "POST" },
	{ "/v1/queues/{q}/tasks", { { "GET", ROUTE_TASKS } }, "GET" },
	{ "/v1/queues/{q}/tasks:retry", { { "POST", ROUTE_TASKS_RETRY } },
	    "POST" },
	{ "/v1/queues/{q}/tasks:delete", { { "POST", ROUTE_TASKS_DELETE } },
	    "POST" },
	{ "/v1/queues/{q}/tasks/{id}", { { "GET", ROUTE_QUEUE_TASK } },
	    "GET" },
	{ "/v1/tasks/{id}", { { "GET", ROUTE_TASK },
	    { "DELETE", ROUTE_TASK_DELETE } }, "GET, DELETE" },
	{ "/v1/tasks/{id}:retry", { { "POST", ROUTE_TASK_RETRY } }, "POST" },
};

struct code_name {
	int		 code;
	const char	*name;
};

/* google.rpc.Code names, as Cloud Tasks puts them in error bodies. */
static const struct code_name status_names[] = {
	{ 400, "INVALID_ARGUMENT" },
	{ 401, "UNAUTHENTICATED" },
	{ 403, "PERMISSION_DENIED" },
	{ 404, "NOT_FOUND" },
	{ 405, "UNIMPLEMENTED" },
	{ 408, "DEADLINE_EXCEEDED" },
	{ 409, "FAILED_PRECONDITION" },
	{ 413, "INVALID_ARGUMENT" },
	{ 429, "RESOURCE_EXHAUSTED" },
	{ 431, "INVALID_ARGUMENT" },
	{ 500, "INTERNAL" },
	{ 501, "UNIMPLEMENTED" },
	{ 503, "UNAVAILABLE" },
	{ 504, "DEADLINE_EXCEEDED" },
};

/* RFC 9110 section 15 reason phrases. */
static const struct code_name reasons[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 417, "Expectation Failed" },
	{ 422, "Unprocessable Content" },
	{ 426, "Upgrade Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

static const char	*code_lookup(const struct code_name *, size_t, int);
static int		 pattern_match(const char *, const char *, size_t,
			    struct route_match *);
static size_t		 json_escape(char *, const char *, size_t);
static size_t		 utf8_len(const unsigned char *, size_t);

/*
 * The query string is not part of the match, and neither is the scheme
 * and authority of an absolute-form target (RFC 9112 section 3.2.2 says a
 * server must accept one).  Paths match exactly: "/health/" is 404.
 */
void
route_match(const char *method, const char *path, size_t pathlen,
    struct route_match *m)
{
	const struct route	*r;
	const char		*q, *slash;
	size_t			 i, j;

	memset(m, 0, sizeof(*m));
	m->id = ROUTE_NONE;
	m->status = 404;
	if (path == NULL || method == NULL)
		return;
	if ((q = memchr(path, '?', pathlen)) != NULL)
		pathlen = (size_t)(q - path);
	for (i = 0; i < 2; i++) {
		const char	*scheme = i == 0 ? "http://" : "https://";
		size_t		 sl = strlen(scheme);

		if (pathlen > sl && strncasecmp(path, scheme, sl) == 0) {
			slash = memchr(path + sl, '/', pathlen - sl);
			if (slash == NULL)
				return;
			pathlen -= (size_t)(slash - path);
			path = slash;
			break;
		}
	}
	for (i = 0; i < TD_NELEM(routes); i++) {
		r = &routes[i];
		if (!pattern_match(r->path, path, pathlen, m))
			continue;
		for (j = 0; j < TD_NELEM(r->methods) &&
		    r->methods[j].method != NULL; j++)
			if (strcmp(method, r->methods[j].method) == 0) {
				m->id = r->methods[j].id;
				m->status = 0;
				return;
			}
		m->status = 405;
		m->allow = r->allow;
		return;
	}
	m->queue = m->task = NULL;
	m->queuelen = m->tasklen = 0;
}

/* path against one pattern; the {q} and {id} it holds go into m. */
static int
pattern_match(const char *pat, const char *path, size_t len,
    struct route_match *m)
{
	size_t	i = 0, n;
	int	isq;

	m->queue = m->task = NULL;
	m->queuelen = m->tasklen = 0;
	while (*pat != '\0') {
		if (*pat == '{') {
			isq = strncmp(pat, "{q}", 3) == 0;
			pat += isq ? 3 : 4;
			for (n = 0; i + n < len && path[i + n] != '/' &&
			    path[i + n] != ':' && path[i + n] != '%' &&
			    path[i + n] != '?' && path[i + n] != '\0'; n++)
				;
			if (n == 0)
				return 0;
			if (isq) {
				m->queue = path + i;
				m->queuelen = n;
			} else {
				m->task = path + i;
				m->tasklen = n;
			}
			i += n;
			continue;
		}
		if (i >= len || path[i] != *pat)
			return 0;
		i++;
		pat++;
	}
	return i == len;
}

int
route_query(const char *target, size_t len, const char *name, char *buf,
    size_t buflen)
{
	const char	*p, *end = target + len, *amp, *eq;
	size_t		 nl = strlen(name), o;
	int		 hi, lo;

	if (target == NULL || (p = memchr(target, '?', len)) == NULL)
		return -1;
	/* Never amp + 1 past end: not even a pointer may go there. */
	for (p++; p < end; p = amp < end ? amp + 1 : end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if ((eq != NULL ? (size_t)(eq - p) : (size_t)(amp - p)) != nl ||
		    memcmp(p, name, nl) != 0)
			continue;
		for (o = 0, p = eq != NULL ? eq + 1 : amp; p < amp; p++) {
			if (o + 1 >= buflen)
				return -2;
			if (*p == '+')
				buf[o++] = ' ';
			else if (*p != '%')
				buf[o++] = *p;
			else {
				if (amp - p < 3 ||
				    (hi = util_hexval(p[1])) < 0 ||
				    (lo = util_hexval(p[2])) < 0 ||
				    (hi == 0 && lo == 0))
					return -2;
				buf[o++] = (char)(hi * 16 + lo);
				p += 2;
			}
		}
		if (buflen == 0)
			return -2;
		buf[o] = '\0';
		return (int)o;
	}
	return -1;
}

const char *
route_status_name(int code)
{
	const char	*s = code_lookup(status_names, TD_NELEM(status_names),
			    code);

	return s != NULL ? s : "UNKNOWN";
}

const char *
route_reason(int code)
{
	const char	*s = code_lookup(reasons, TD_NELEM(reasons), code);

	return s != NULL ? s : "Unknown";
}

static const char *
code_lookup(const struct code_name *t, size_t n, int code)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

char *
route_error_json(int code, const char *message, size_t *len)
{
	static const char	 fmt[] =
	    "{\"error\":{\"code\":%d,\"status\":\"%s\",\"message\":\"%s\"}}";
	const char		*msg = message != NULL ? message : "";
	char			*esc, *out;
	int			 n;

	/* Six bytes per input byte covers the worst case (\u0001). */
	esc = xmalloc(strlen(msg) * 6 + 1);
	json_escape(esc, msg, strlen(msg));
	n = xasprintf(&out, fmt, code, route_status_name(code), esc);
	free(esc);
	if (len != NULL)
		*len = (size_t)n;
	return out;
}

/*
 * Write s as the inside of a JSON string.  Invalid UTF-8 (a message cut
 * short in the middle of a character, say) becomes U+FFFD, so the body
 * is always valid JSON.
 */
static size_t
json_escape(char *dst, const char *s, size_t n)
{
	static const char	 specials[] = "\"\\\b\f\n\r\t";
	const unsigned char	*p = (const unsigned char *)s;
	const char		*e;
	char			*d = dst;
	size_t			 i = 0, k;

	while (i < n) {
		if (p[i] >= 0x80) {
			if ((k = utf8_len(p + i, n - i)) == 0) {
				memcpy(d, "\\ufffd", 6);
				d += 6;
				i++;
			} else {
				memcpy(d, p + i, k);
				d += k;
				i += k;
			}
			continue;
		}
		if (p[i] != '\0' && (e = strchr(specials, p[i])) != NULL) {
			*d++ = '\\';
			*d++ = "\"\\bfnrt"[e - specials];
		} else if (p[i] < 0x20)
			d += sprintf(d, "\\u%04x", p[i]);
		else
			*d++ = (char)p[i];
		i++;
	}
	*d = '\0';
	return (size_t)(d - dst);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), else 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t		len, i;
	unsigned char	lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}
