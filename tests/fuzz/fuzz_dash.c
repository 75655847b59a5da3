/*
 * fuzz_dash.c: the pure half of the dashboard on hostile input.  The
 * input is "METHOD\nTARGET\nREST": the target goes through
 * dashroute_match() under two base paths, REST is read as a Cookie
 * header, as a session token and as a task answer to mask.  What must
 * hold:
 *   - a route forwarded to the API is a /v1/ path and came from under
 *     the base path's api/v1/; an asset name has no '/';
 *   - a token made for a user checks before its expiry, with the same
 *     credential only, and gives its user and expiry back;
 *   - a masked answer is JSON, and no secret header in it keeps a value
 *     other than "<redacted>".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "dashroute.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* How deep dashroute.c looks for a "headers" object (its REDACT_DEPTH). */
#define REDACT_DEPTH	JSON_TOKENER_DEFAULT_DEPTH

static const char globs[][TD_DASH_GLOB_MAX] = {
	"x-api-key", "*token*", "*secret*"
};
static const int nglobs = sizeof(globs) / sizeof(globs[0]);

/* Exactly DASH_KEY_LEN bytes, no NUL. */
static const unsigned char key[DASH_KEY_LEN] =
    "0123456789abcdef0123456789abcdef";

static void
match_check(const char *base, const char *method, const char *target,
    size_t len)
{
	struct dash_match	m;
	enum dash_route		id;
	size_t			blen = strlen(base);

	id = dashroute_match(base, method, target, len, &m);
	if (id != m.id)
		abort();
	if (id == DASH_API) {
		if (m.target == NULL || m.targetlen < 4 ||
		    memcmp(m.target, "/v1/", 4) != 0 || len < blen + 7 ||
		    memcmp(target, base, blen) != 0 ||
		    memcmp(target + blen, "api/v1/", 7) != 0)
			abort();
	}
	if (id == DASH_ASSET && (m.name[0] == '\0' ||
	    memchr(m.name, '\0', sizeof(m.name)) == NULL ||
	    strchr(m.name, '/') != NULL))
		abort();
	free(m.target);
}

static void
session_check(const char *rest)
{
	char		tok[DASH_TOKEN_MAX], user[TD_USER_MAX];
	uint64_t	expiry;

	(void)dashroute_session_check(key, rest, "cred", 1000);
	(void)dashroute_session_parse(rest, user, sizeof(user), &expiry);
	/* A token made with it as the user name round-trips. */
	if (strlen(rest) == 0 || strlen(rest) >= TD_USER_MAX ||
	    strpbrk(rest, ".;= \t\r\n\"") != NULL)
		return;
	if (dashroute_session_make(key, rest, 2000, "cred", tok,
	    sizeof(tok)) == -1)
		return;
	if (dashroute_session_check(key, tok, "cred", 1999) != 1 ||
	    dashroute_session_check(key, tok, "cred", 2000) == 1 ||
	    dashroute_session_check(key, tok, "other", 1999) == 1)
		abort();
	if (dashroute_session_parse(tok, user, sizeof(user), &expiry) == -1 ||
	    strcmp(user, rest) != 0 || expiry != 2000)
		abort();
}

/*
 * Every "headers" object below o, as deep as the masking goes (as deep
 * as json-c parses): no secret left in it.  A headers object's
 * values are header values, not documents: nothing below them is looked
 * at, by the masking or here.
 */
static void
masked_check(json_object *o, int depth)
{
	size_t	 i, n;

	if (depth > REDACT_DEPTH)
		return;
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			masked_check(json_object_array_get_idx(o, i),
			    depth + 1);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "headers") != 0 ||
		    !json_object_is_type(v, json_type_object)) {
			masked_check(v, depth + 1);
			continue;
		}
		json_object_object_foreach(v, name, val) {
			if (dashroute_header_secret(name, globs, nglobs) &&
			    (!json_object_is_type(val, json_type_string) ||
			    strcmp(json_object_get_string(val),
			    DASH_REDACTED) != 0))
				abort();
		}
	}
}

static void
redact_check(const char *rest, size_t len)
{
	json_object	*o;
	char		*out;
	size_t		 outlen;
	int		 n;

	n = dashroute_redact(rest, len, globs, nglobs, &out, &outlen);
	if ((n <= 0) != (out == NULL))
		abort();
	if (out == NULL)
		return;
	if (strlen(out) != outlen || (o = json_tokener_parse(out)) == NULL)
		abort();
	masked_check(o, 0);
	json_object_put(o);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf, *method, *target, *rest, *nl, val[DASH_TOKEN_MAX];
	size_t		 tlen;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	method = buf;
	if ((nl = strchr(method, '\n')) == NULL)
		goto out;
	*nl = '\0';
	target = nl + 1;
	if ((nl = strchr(target, '\n')) == NULL)
		goto out;
	*nl = '\0';
	rest = nl + 1;
	tlen = strlen(target);

	match_check("/", method, target, tlen);
	match_check("/tasks/", method, target, tlen);
	(void)dashroute_mutating(method);
	if (dashroute_cookie(rest, DASH_COOKIE, val, sizeof(val)) == 0 &&
	    (strlen(val) == 0 || strchr(val, ';') != NULL))
		abort();
	session_check(rest);
	redact_check(rest, size - (size_t)(rest - buf));
out:
	free(buf);
	return 0;
}
