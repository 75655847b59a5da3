/*
 * task.c: a task from the seed enqueue JSON (json-c) and its headers to
 * and from the JSON object kept in Redis.  Every check writes a message
 * that names the field ("task.url: must be http or https"); the API
 * returns it verbatim.
 *
 * As in Cloud Tasks' JSON mapping, unknown keys are ignored (a newer
 * client may send more) and an explicit null means "not given", but a
 * value of the wrong type is an error.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "conf.h"
#include "log.h"
#include "task.h"
#include "util.h"

#define DELAY_MAX_S	(30 * 24 * 3600)	/* 30 days */
#define ECHO_MAX	64	/* bytes of user input quoted back */

static struct json_object *json_parse(const char *, size_t, const char *,
		    char *, size_t);
static struct json_object *json_get(struct json_object *, const char *);
static int	parse_queue(struct task *, struct json_object *,
		    const struct conf *, char *, size_t);
static int	parse_delay(struct task *, struct json_object *, char *,
		    size_t);
static int	parse_request(struct task *, struct json_object *, char *,
		    size_t);
static int	parse_url(struct task *, struct json_object *, char *,
		    size_t);
static int	parse_method(struct task *, struct json_object *, char *,
		    size_t);
static int	parse_body(struct task *, struct json_object *, char *,
		    size_t);
static int	headers_from_object(struct task *, struct json_object *,
		    char *, size_t);
static void	headers_free(struct task *);
static void	payload_free(struct task *);
static size_t	utf8_valid(const unsigned char *, size_t);
static int	valid_host(const char *, size_t);
static int	check_target(const char *, const struct conf *, char *,
		    size_t);
static int	is_token(const char *);
static int	is_reserved(const char *);
static const char *echo(char *, size_t, const char *, size_t);
static size_t	json_quoted_len(const char *);
static size_t	json_quote(char *, const char *);

int
task_from_enqueue_json(struct task *t, const char *json, size_t len,
    const struct conf *conf, char *err, size_t errlen)
{
	struct json_object	*root;
	int			 rv = 0;

	/* id, created_ms, eta_ms and attempts are the caller's. */
	t->queue[0] = '\0';
	t->url = NULL;
	t->method[0] = '\0';
	t->headers = NULL;
	t->nheaders = 0;
	t->body = NULL;
	t->bodylen = 0;
	t->delay_ms = 0;

	if ((root = json_parse(json, len, "body", err, errlen)) == NULL)
		return -1;
	if (parse_queue(t, root, conf, err, errlen) == -1 ||
	    parse_delay(t, root, err, errlen) == -1 ||
	    parse_request(t, root, err, errlen) == -1 ||
	    check_target(t->url, conf, err, errlen) == -1) {
		payload_free(t);
		rv = -1;
	}
	json_object_put(root);
	return rv;
}

struct json_object *
task_json_object(const char *json, size_t len, const char *what, char *err,
    size_t errlen)
{
	return json_parse(json, len, what, err, errlen);
}

/*
 * Strict JSON, valid UTF-8, one object and nothing after it but blanks.
 * what names the thing in messages ("body").
 */
static struct json_object *
json_parse(const char *s, size_t len, const char *what, char *err,
    size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 e;
	size_t			 end;

	if (len > INT_MAX) {
		snprintf(err, errlen, "%s: too large", what);
		return NULL;
	}
	/* json-c lets overlong forms and surrogates through; we do not. */
	if ((end = utf8_valid((const unsigned char *)s, len)) != len) {
		snprintf(err, errlen, "%s: invalid JSON: invalid UTF-8 at byte "
		    "%zu", what, end);
		return NULL;
	}
	if ((tok = json_tokener_new()) == NULL)
		fatalx("json_tokener_new: out of memory");
	/* Not JSON_TOKENER_VALIDATE_UTF8: utf8_valid() above is stricter,
	 * and checking every byte twice is a cost on every request. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A bare number or literal is complete only at the end of input. */
	if (e == json_tokener_continue && end == len) {
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
	} else if (e == json_tokener_success && end != len) {
		/* A NUL byte ended json-c's view of the input early. */
		json_object_put(o);
		o = NULL;
		e = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(o);
		if (e == json_tokener_continue)
			snprintf(err, errlen, "%s: invalid JSON: unexpected "
			    "end of input", what);
		else
			snprintf(err, errlen, "%s: invalid JSON: %s at byte "
			    "%zu", what, json_tokener_error_desc(e), end);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "%s: must be a JSON object", what);
		return NULL;
	}
	return o;
}

/* The member key of o, or NULL when it is missing or null. */
static struct json_object *
json_get(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static int
parse_queue(struct task *t, struct json_object *root, const struct conf *conf,
    char *err, size_t errlen)
{
	struct json_object	*v = json_get(root, "queue");
	const char		*name = "default";
	size_t			 len = strlen(name);
	char			 q[ECHO_MAX + 8];

	if (v != NULL) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "queue: must be a string");
			return -1;
		}
		name = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	}
	/* An embedded NUL must not make "default\u0000x" "default". */
	if (len == 0 || len >= sizeof(t->queue) || strlen(name) != len ||
	    (conf != NULL && conf_queue_find(conf, name) == NULL)) {
		snprintf(err, errlen, "queue: unknown queue '%s'",
		    echo(q, sizeof(q), name, len));
		return -1;
	}
	util_strlcpy(t->queue, name, sizeof(t->queue));
	return 0;
}

static int
parse_delay(struct task *t, struct json_object *root, char *err,
    size_t errlen)
{
	struct json_object	*v = json_get(root, "delay");
	int64_t			 i;
	double			 d;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		/* Past INT64_MAX json-c saturates, which is "too large". */
		i = json_object_get_int64(v);
		if (i >= 0 && i <= DELAY_MAX_S) {
			t->delay_ms = (uint64_t)i * 1000;
			return 0;
		}
		d = i < 0 ? -1 : INFINITY;
	} else if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (d >= 0 && d <= DELAY_MAX_S) {
			/* Rounded by hand: llround would need libm. */
			t->delay_ms = (uint64_t)(d * 1000 + 0.5);
			return 0;
		}
	} else
		d = NAN;
	if (d > DELAY_MAX_S)
		snprintf(err, errlen, "delay: too large (at most %d seconds)",
		    DELAY_MAX_S);
	else
		snprintf(err, errlen, "delay: must be a non-negative number");
	return -1;
}

static int
parse_request(struct task *t, struct json_object *root, char *err,
    size_t errlen)
{
	struct json_object	*task = json_get(root, "task"), *h;

	if (task == NULL) {
		snprintf(err, errlen, "task: required");
		return -1;
	}
	if (!json_object_is_type(task, json_type_object)) {
		snprintf(err, errlen, "task: must be an object");
		return -1;
	}
	if (parse_url(t, task, err, errlen) == -1 ||
	    parse_method(t, task, err, errlen) == -1)
		return -1;
	if ((h = json_get(task, "headers")) != NULL) {
		if (!json_object_is_type(h, json_type_object)) {
			snprintf(err, errlen,
			    "task.headers: must be an object");
			return -1;
		}
		if (headers_from_object(t, h, err, errlen) == -1)
			return -1;
	}
	return parse_body(t, task, err, errlen);
}

static int
parse_url(struct task *t, struct json_object *task, char *err, size_t errlen)
{
	struct json_object	*v = json_get(task, "url");
	const char		*url;

	if (v == NULL) {
		snprintf(err, errlen, "task.url: required");
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "task.url: must be a string");
		return -1;
	}
	url = json_object_get_string(v);
	if (strlen(url) != (size_t)json_object_get_string_len(v)) {
		snprintf(err, errlen, "task.url: contains a NUL byte");
		return -1;
	}
	if (task_valid_url(url, err, errlen) == -1)
		return -1;
	t->url = xstrdup(url);
	return 0;
}

/*
 * The target policy, as far as the URL alone decides it: a literal
 * address, or a name a rule names.  Anything else is decided on the
 * resolved address when the task runs (dispatch.c).
 */
static int
check_target(const char *url, const struct conf *conf, char *err,
    size_t errlen)
{
	char	host[TD_NETHOST_MAX];

	if (netpolicy_url_host(url, host, sizeof(host)) == -1 ||
	    netpolicy_check(&conf->allow_targets, &conf->deny_targets, host,
	    NULL) != NETPOLICY_DENY)
		return 0;
	snprintf(err, errlen, "task.url: target refused by policy: %s", host);
	return -1;
}

static int
parse_method(struct task *t, struct json_object *task, char *err,
    size_t errlen)
{
	struct json_object	*v = json_get(task, "method");
	const char		*m = "POST";

	if (v != NULL) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "task.method: must be a string");
			return -1;
		}
		m = json_object_get_string(v);
		if (strlen(m) != (size_t)json_object_get_string_len(v)) {
			snprintf(err, errlen, "task.method: invalid method "
			    "token");
			return -1;
		}
	}
	if (task_valid_method(m, err, errlen) == -1)
		return -1;
	util_strlcpy(t->method, m, sizeof(t->method));
	return 0;
}

/* The body is bytes: "\u0000" stays, so its length comes from json-c. */
static int
parse_body(struct task *t, struct json_object *task, char *err,
    size_t errlen)
{
	struct json_object	*v = json_get(task, "body");
	size_t			 n = 0;

	if (v != NULL) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "task.body: must be a string");
			return -1;
		}
		n = (size_t)json_object_get_string_len(v);
	}
	t->body = xmalloc(n + 1);
	if (n > 0)
		memcpy(t->body, json_object_get_string(v), n);
	t->body[n] = '\0';
	t->bodylen = n;
	return 0;
}

/* Name, then type, then value: the message names the first fault. */
static int
headers_from_object(struct task *t, struct json_object *obj, char *err,
    size_t errlen)
{
	struct json_object_iterator	 it, end;
	struct json_object		*v;
	const char			*name, *value;
	size_t				 n;
	char				 q[ECHO_MAX + 8];

	headers_free(t);
	if ((n = (size_t)json_object_object_length(obj)) > TD_HEADERS_MAX) {
		snprintf(err, errlen, "task.headers: too many headers (at most "
		    "%d)", TD_HEADERS_MAX);
		return -1;
	}
	t->headers = xcalloc(n, sizeof(*t->headers));
	it = json_object_iter_begin(obj);
	end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		name = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		if (!is_token(name)) {
			snprintf(err, errlen, "task.headers: invalid header "
			    "name '%s'", echo(q, sizeof(q), name,
			    strlen(name)));
			return -1;
		}
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "task.headers.%s: must be a "
			    "string", name);
			return -1;
		}
		value = json_object_get_string(v);
		if (strlen(value) != (size_t)json_object_get_string_len(v)) {
			snprintf(err, errlen, "task.headers.%s: value contains "
			    "a NUL byte", name);
			return -1;
		}
		if (task_valid_header(name, value, err, errlen) == -1)
			return -1;
		t->headers[t->nheaders].name = xstrdup(name);
		t->headers[t->nheaders].value = xstrdup(value);
		t->nheaders++;
	}
	return 0;
}

/*
 * Written by hand rather than through a json-c object: this runs for
 * every enqueue, and building, printing and freeing an object cost more
 * than the rest of the task's parsing.  The output is json-c's plain
 * form (no spaces, "/" unescaped).  A name that comes twice (not from a
 * JSON object, which has each once) keeps its first place and its last
 * value, as json_object_object_add() would.
 */
char *
task_headers_to_json(const struct task *t)
{
	char	*s;
	size_t	 i, j, n, len = 3;

	for (i = 0; i < t->nheaders; i++)
		len += json_quoted_len(t->headers[i].name) +
		    json_quoted_len(t->headers[i].value) + 2;
	s = xmalloc(len);
	n = 0;
	s[n++] = '{';
	for (i = 0; i < t->nheaders; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(t->headers[j].name, t->headers[i].name) == 0)
				break;
		if (j < i)
			continue;
		for (j = t->nheaders - 1; j > i; j--)
			if (strcmp(t->headers[j].name, t->headers[i].name) == 0)
				break;
		if (n > 1)
			s[n++] = ',';
		n += json_quote(s + n, t->headers[i].name);
		s[n++] = ':';
		n += json_quote(s + n, t->headers[j].value);
	}
	s[n++] = '}';
	s[n] = '\0';
	return s;
}

/* The bytes json_quote() writes for s. */
static size_t
json_quoted_len(const char *s)
{
	size_t	len = 2;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20)
			len += strchr("\b\t\n\f\r", *s) != NULL ? 2 : 6;
		else if (*s == '"' || *s == '\\')
			len += 2;
		else
			len++;
	}
	return len;
}

/*
 * s as a JSON string at out, escaped as json-c escapes (JSON's short
 * forms, \u00XX for other control characters, UTF-8 as is); returns the
 * bytes written, no NUL.
 */
static size_t
json_quote(char *out, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	const char		*e;
	unsigned char		 c;
	size_t			 n = 0;

	out[n++] = '"';
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 &&
		    (e = strchr("\bb\tt\nn\ff\rr", c)) != NULL) {
			out[n++] = '\\';
			out[n++] = e[1];
		} else if (c < 0x20) {
			memcpy(out + n, "\\u00", 4);
			out[n + 4] = hex[c >> 4];
			out[n + 5] = hex[c & 0xf];
			n += 6;
		} else
			out[n++] = (char)c;
	}
	out[n++] = '"';
	return n;
}

/* From the task hash: the same rules as at enqueue; "" means none. */
int
task_headers_from_json(struct task *t, const char *json, char *err,
    size_t errlen)
{
	struct json_object	*obj;
	int			 rv;

	headers_free(t);
	if (json == NULL || json[0] == '\0')
		return 0;
	if ((obj = json_parse(json, strlen(json), "task.headers", err,
	    errlen)) == NULL)
		return -1;
	if ((rv = headers_from_object(t, obj, err, errlen)) == -1)
		headers_free(t);
	json_object_put(obj);
	return rv;
}

/*
 * The length of the longest prefix of p that is well-formed UTF-8 (RFC
 * 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_valid(const unsigned char *p, size_t n)
{
	size_t		i = 0, len, k;
	unsigned char	lo, hi;

	while (i < n) {
		lo = 0x80;
		hi = 0xbf;
		if (p[i] < 0x80)
			len = 1;
		else if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			lo = p[i] == 0xe0 ? 0xa0 : 0x80;
			hi = p[i] == 0xed ? 0x9f : 0xbf;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			lo = p[i] == 0xf0 ? 0x90 : 0x80;
			hi = p[i] == 0xf4 ? 0x8f : 0xbf;
		} else
			return i;
		if (len > 1 && (n - i < len || p[i + 1] < lo || p[i + 1] > hi))
			return i;
		for (k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return i;
		i += len;
	}
	return n;
}

/*
 * An absolute http or https URL with a host.  Only what would make curl
 * send something other than what the user meant is refused; the rest of
 * RFC 3986 is the target's business.
 */
int
task_valid_url(const char *url, char *err, size_t errlen)
{
	const unsigned char	*p;
	size_t			 n = strlen(url);
	const char		*auth;

	if (n == 0) {
		snprintf(err, errlen, "task.url: required");
		return -1;
	}
	if (n > TD_URL_MAX) {
		snprintf(err, errlen, "task.url: too long (at most %d bytes)",
		    TD_URL_MAX);
		return -1;
	}
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "task.url: contains whitespace "
			    "or a control character");
			return -1;
		}
	if (strncasecmp(url, "http://", 7) == 0)
		auth = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8;
	else {
		snprintf(err, errlen, "task.url: must be http or https");
		return -1;
	}
	switch (valid_host(auth, strcspn(auth, "/?#"))) {
	case 0:
		return 0;
	case 1:
		snprintf(err, errlen, "task.url: missing host");
		return -1;
	case 2:
		snprintf(err, errlen, "task.url: invalid host");
		return -1;
	default:
		snprintf(err, errlen, "task.url: invalid port");
		return -1;
	}
}

/*
 * The authority [userinfo@]host[:port]: 0 if good, 1 if the host is
 * missing, 2 if it is malformed, 3 if the port is.
 */
static int
valid_host(const char *a, size_t n)
{
	static const char	 regname[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%";
	const char		*at, *h, *end = a + n, *port;
	size_t			 i;
	long			 v;

	for (at = NULL, h = a; h < end; h++)
		if (*h == '@')
			at = h;
	h = at != NULL ? at + 1 : a;
	if (h < end && *h == '[') {
		if ((port = memchr(h, ']', (size_t)(end - h))) == NULL ||
		    port == h + 1)
			return 2;
		for (i = 1; h + i < port; i++)
			if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL)
				return 2;
		if (++port < end && *port != ':')
			return 2;
	} else {
		if ((port = memchr(h, ':', (size_t)(end - h))) == NULL)
			port = end;
		if (port == h)
			return 1;
		for (i = 0; h + i < port; i++)
			if ((unsigned char)h[i] < 0x80 &&
			    strchr(regname, h[i]) == NULL)
				return 2;
	}
	if (port == end || ++port == end)
		return 0;	/* no port, or "host:" (the default) */
	for (v = 0; port < end; port++) {
		if (*port < '0' || *port > '9' || (v = v * 10 + *port - '0') >
		    65535)
			return 3;
	}
	return v >= 1 ? 0 : 3;
}

int
task_valid_method(const char *m, char *err, size_t errlen)
{
	if (!is_token(m)) {
		snprintf(err, errlen, "task.method: invalid method token");
		return -1;
	}
	if (strlen(m) >= TD_METHOD_MAX) {
		snprintf(err, errlen, "task.method: too long (at most %d "
		    "characters)", TD_METHOD_MAX - 1);
		return -1;
	}
	return 0;
}

int
task_valid_header(const char *name, const char *value, char *err,
    size_t errlen)
{
	char	q[ECHO_MAX + 8];

	if (name == NULL || !is_token(name)) {
		snprintf(err, errlen, "task.headers: invalid header name '%s'",
		    echo(q, sizeof(q), name != NULL ? name : "",
		    name != NULL ? strlen(name) : 0));
		return -1;
	}
	if (is_reserved(name)) {
		snprintf(err, errlen, "task.headers.%s: set by the dispatcher",
		    name);
		return -1;
	}
	if (value == NULL) {
		snprintf(err, errlen, "task.headers.%s: must be a string",
		    name);
		return -1;
	}
	if (strpbrk(value, "\r\n") != NULL) {
		snprintf(err, errlen, "task.headers.%s: value contains CR or "
		    "LF", name);
		return -1;
	}
	return 0;
}

void
task_free(struct task *t)
{
	payload_free(t);
	memset(t, 0, sizeof(*t));
}

static void
headers_free(struct task *t)
{
	size_t	i;

	for (i = 0; i < t->nheaders; i++) {
		free(t->headers[i].name);
		free(t->headers[i].value);
	}
	free(t->headers);
	t->headers = NULL;
	t->nheaders = 0;
}

static void
payload_free(struct task *t)
{
	headers_free(t);
	free(t->url);
	t->url = NULL;
	free(t->body);
	t->body = NULL;
	t->bodylen = 0;
}

/* RFC 9110 section 5.6.2: token = 1*tchar. */
static int
is_token(const char *s)
{
	static const char	 tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	return s[0] != '\0' && s[strspn(s, tchar)] == '\0';
}

/* Headers curl derives from the request or the connection itself. */
static int
is_reserved(const char *name)
{
	static const char *const	 reserved[] = {
		"Host", "Content-Length", "Transfer-Encoding", "Connection"
	};
	size_t				 i;

	for (i = 0; i < TD_NELEM(reserved); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* User input quoted in a message: short, and no control characters. */
static const char *
echo(char *buf, size_t len, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && i < ECHO_MAX && i + 4 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	if (i < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}
