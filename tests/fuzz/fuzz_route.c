/*
 * fuzz_route.c: route_match() on every method and path, route_query() on
 * every query string, and the error body, which must be JSON that gives
 * the message back.  The input is "METHOD\nTARGET\nMESSAGE"; the target
 * is copied to a buffer of its exact size with no NUL after it, as
 * route_match() is promised nothing more.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "route.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"
};

static const char *const params[] = {
	"state", "page_token", "size", "q", ""
};

static void
match_check(const char *method, const char *path, size_t len)
{
	struct route_match	m;

	route_match(method, path, len, &m);
	if (m.status == 0) {
		if (m.id == ROUTE_NONE)
			abort();
	} else if ((m.status != 404 && m.status != 405) ||
	    m.id != ROUTE_NONE || (m.status == 405) != (m.allow != NULL))
		abort();
	if ((m.queue != NULL && (m.queue < path || m.queuelen == 0 ||
	    m.queue + m.queuelen > path + len ||
	    memchr(m.queue, '/', m.queuelen) != NULL)) ||
	    (m.task != NULL && (m.task < path || m.tasklen == 0 ||
	    m.task + m.tasklen > path + len ||
	    memchr(m.task, '/', m.tasklen) != NULL)))
		abort();
}

static void
error_check(int code, const char *msg)
{
	json_object	*o, *e, *v;
	char		*body;
	size_t		 len;

	body = route_error_json(code, msg, &len);
	if (body == NULL || strlen(body) != len)
		abort();
	/* Valid JSON whatever the message held. */
	if ((o = json_tokener_parse(body)) == NULL ||
	    !json_object_object_get_ex(o, "error", &e) ||
	    !json_object_object_get_ex(e, "message", &v) ||
	    !json_object_is_type(v, json_type_string))
		abort();
	json_object_put(o);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *nl, *end = s + size;
	char		 method[32], *path, *msg, buf[16];
	size_t		 mlen, plen, i;
	int		 n;

	if ((nl = memchr(s, '\n', size)) == NULL)
		return 0;
	mlen = TD_MIN((size_t)(nl - s), sizeof(method) - 1);
	memcpy(method, s, mlen);
	method[mlen] = '\0';
	s = nl + 1;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		nl = end;
	plen = (size_t)(nl - s);
	path = xmalloc(plen > 0 ? plen : 1);
	memcpy(path, s, plen);

	match_check(method, path, plen);
	for (i = 0; i < TD_NELEM(methods); i++)
		match_check(methods[i], path, plen);
	for (i = 0; i < TD_NELEM(params); i++) {
		n = route_query(path, plen, params[i], buf, sizeof(buf));
		if (n >= (int)sizeof(buf) || n < -2 ||
		    (n >= 0 && buf[n] != '\0'))
			abort();
		(void)route_query(path, plen, params[i], buf, 1);
		(void)route_query(path, plen, params[i], buf, 0);
	}
	free(path);

	if (nl < end) {
		s = nl + 1;
		msg = xstrndup(s, (size_t)(end - s));
		error_check(400, msg);
		error_check(size > 0 ? 100 + data[0] * 2 : 500, msg);
		free(msg);
	}
	(void)route_status_name(size > 0 ? data[0] + 300 : 0);
	(void)route_reason(size > 0 ? data[0] + 300 : 0);
	return 0;
}
