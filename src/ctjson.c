/*
 * ctjson.c: Cloud Tasks v2 resources in and out of JSON, in the proto3
 * JSON mapping Google's clients speak: camelCase keys, durations and
 * timestamps as strings, bytes as base64, enums by name or number, and
 * 64-bit integers that may arrive as strings.  As in task.c, unknown
 * members are ignored and an explicit null means "not given", but a value
 * of the wrong type is an error naming the field.  Pure: no I/O.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json.h>

#include "ctjson.h"
#include "log.h"
#include "route.h"
#include "task.h"
#include "util.h"

#define DUR_MAX_S	315576000000ULL	/* google.protobuf.Duration */
#define ECHO_MAX	64

enum { M_POST = 1, M_GET, M_HEAD, M_PUT, M_DELETE, M_PATCH, M_OPTIONS };

static const char *const methods[] = {
	"HTTP_METHOD_UNSPECIFIED", "POST", "GET", "HEAD", "PUT", "DELETE",
	"PATCH", "OPTIONS"
};
static const char *const states[] = {
	"STATE_UNSPECIFIED", "RUNNING", "PAUSED", "DISABLED"
};
static const char *const views[] = {
	"VIEW_UNSPECIFIED", "BASIC", "FULL"
};

/* updateMask paths, camelCase, to the fields they select. */
static const struct {
	const char	*path;
	unsigned	 bits;
} mask_paths[] = {
	{ "rateLimits", CTQ_RATE_LIMITS },
	{ "rateLimits.maxDispatchesPerSecond", CTQ_RATE },
	{ "rateLimits.maxBurstSize", CTQ_BURST },
	{ "rateLimits.maxConcurrentDispatches", CTQ_CONC },
	{ "retryConfig", CTQ_RETRY_CONFIG },
	{ "retryConfig.maxAttempts", CTQ_MAX_ATTEMPTS },
	{ "retryConfig.maxRetryDuration", CTQ_MAX_RETRY },
	{ "retryConfig.minBackoff", CTQ_MIN_BACKOFF },
	{ "retryConfig.maxBackoff", CTQ_MAX_BACKOFF },
	{ "retryConfig.maxDoublings", CTQ_MAX_DOUBLINGS },
	{ "stackdriverLoggingConfig", CTQ_LOGGING },
	{ "stackdriverLoggingConfig.samplingRatio", CTQ_LOGGING },
};

static struct json_object *get(struct json_object *, const char *);
static int	get_object(struct json_object *, const char *, const char *,
		    struct json_object **, char *, size_t);
static int	get_string(struct json_object *, const char *, const char *,
		    const char **, char *, size_t);
static int	get_int(struct json_object *, const char *, const char *,
		    int64_t *, char *, size_t);
static int	get_number(struct json_object *, const char *, const char *,
		    double *, char *, size_t);
static int	get_duration(struct json_object *, const char *, const char *,
		    uint64_t *, char *, size_t);
static int	get_enum(struct json_object *, const char *, const char *,
		    const char *const *, int, int *, char *, size_t);
static int	queue_rate(struct json_object *, struct ct_queue *, char *,
		    size_t);
static int	queue_retry(struct json_object *, struct ct_queue *, char *,
		    size_t);
static int	task_request(struct json_object *, struct task *, char *,
		    size_t);
static int	task_headers(struct json_object *, struct task *, char *,
		    size_t);
static int	task_times(struct json_object *, uint64_t, struct task *,
		    char *, size_t);
static int	drop_header(const char *);
static void	reprefix(char *, size_t, const char *, const char *);
static int	digits(const char *, int);
static int	b64val(int);
static struct json_object *enum_json(const char *const *, int, int, int);
static struct json_object *new_time(uint64_t);
static struct json_object *new_double(double);
static struct json_object *new_duration(uint64_t);

const char *
ct_method_name(int m)
{
	return m >= 1 && m < (int)TD_NELEM(methods) ? methods[m] : NULL;
}

int
ct_method_number(const char *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < TD_NELEM(methods); i++)
		if (strcmp(s, methods[i]) == 0)
			return (int)i;
	return -1;
}

int
ct_enum_int(const char *target, size_t len)
{
	char	buf[256], *p, *tok, *last;

	if (target == NULL || route_query(target, len, "$alt", buf,
	    sizeof(buf)) < 0)
		return 0;
	/* "json;enum-encoding=int": options after the format, ';'-separated. */
	for (p = buf; (tok = strtok_r(p, ";", &last)) != NULL; p = NULL)
		if (strcmp(tok, "enum-encoding=int") == 0)
			return 1;
	return 0;
}

/*
 * "<seconds>[.<1-9 digits>]s", as proto3 JSON writes a Duration; what is
 * below the millisecond is dropped (truncated, as Cloud Tasks does).
 */
int
ct_duration_parse(const char *s, uint64_t *ms)
{
	uint64_t	sec = 0;
	unsigned	frac = 0;
	int		i, n;

	if (s == NULL || (n = digits(s, 20)) == 0)
		return -1;
	for (i = 0; i < n; i++) {
		sec = sec * 10 + (uint64_t)(s[i] - '0');
		if (sec > DUR_MAX_S)
			return -1;
	}
	s += n;
	if (*s == '.') {
		if ((n = digits(++s, 10)) == 0 || n > 9)
			return -1;
		for (i = 0; i < 3; i++)
			frac = frac * 10 + (i < n ? (unsigned)(s[i] - '0') : 0);
		s += n;
	}
	if (strcmp(s, "s") != 0)
		return -1;
	*ms = sec * 1000 + frac;
	return 0;
}

void
ct_duration_format(uint64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llu.%03us",
		    (unsigned long long)(ms / 1000), (unsigned)(ms % 1000));
}

/*
 * YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM), as RFC 3339's date-time
 * (lowercase 't' and 'z' too), without leap seconds.
 */
int
ct_time_parse(const char *s, uint64_t *ms)
{
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	struct tm		 tm;
	time_t			 t;
	int			 y, mo, d, h, mi, sec, n, i, leap, off = 0;
	unsigned		 frac = 0;

	if (s == NULL || digits(s, 5) != 4 || s[4] != '-' ||
	    digits(s + 5, 3) != 2 || s[7] != '-' || digits(s + 8, 3) != 2 ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 3) != 2 ||
	    s[13] != ':' || digits(s + 14, 3) != 2 || s[16] != ':' ||
	    digits(s + 17, 3) != 2)
		return -1;
	y = atoi(s);
	mo = atoi(s + 5);
	d = atoi(s + 8);
	h = atoi(s + 11);
	mi = atoi(s + 14);
	sec = atoi(s + 17);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 59)
		return -1;
	s += 19;
	if (*s == '.') {
		if ((n = digits(++s, 10)) == 0 || n > 9)
			return -1;
		for (i = 0; i < 3; i++)
			frac = frac * 10 + (i < n ? (unsigned)(s[i] - '0') : 0);
		s += n;
	}
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		off = 0;
	else if ((s[0] == '+' || s[0] == '-') && digits(s + 1, 3) == 2 &&
	    s[3] == ':' && digits(s + 4, 3) == 2 && s[6] == '\0' &&
	    atoi(s + 1) <= 23 && atoi(s + 4) <= 59)
		off = (s[0] == '-' ? -1 : 1) * (atoi(s + 1) * 60 +
		    atoi(s + 4)) * 60;
	else
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* Local time minus the offset is UTC: "01:00+01:00" is 00:00Z. */
	if ((t = timegm(&tm)) == (time_t)-1 || t - off < 0)
		return -1;
	*ms = (uint64_t)(t - off) * 1000 + frac;
	return 0;
}

void
ct_time_format(uint64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	int		n;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "1970-01-01T00:00:00Z");
		return;
	}
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= len)
		return;
	if (ms % 1000 != 0)
		snprintf(buf + n, len - (size_t)n, ".%03uZ",
		    (unsigned)(ms % 1000));
	else
		snprintf(buf + n, len - (size_t)n, "Z");
}

char *
ct_b64_encode(const void *data, size_t n)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*p = data;
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	o = out = xmalloc((n + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = a[v >> 18];
		*o++ = a[(v >> 12) & 63];
		*o++ = a[(v >> 6) & 63];
		*o++ = a[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16 |
		    (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = a[v >> 18];
		*o++ = a[(v >> 12) & 63];
		*o++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/*
 * Padding is optional, but when present it must make the length a
 * multiple of 4.  The URL-safe letters '-' and '_' are taken too, as the
 * proto3 JSON mapping asks of a parser.
 */
int
ct_b64_decode(const char *s, size_t len, char **out, size_t *outlen)
{
	unsigned char	*o;
	size_t		 n = len, i, k;
	uint32_t	 v;
	int		 c;

	if (n > 0 && s[n - 1] == '=') {
		if (len % 4 != 0)
			return -1;
		n--;
		if (n > 0 && s[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return -1;
	o = xmalloc(n / 4 * 3 + 3);
	for (i = k = 0, v = 0; i < n; i++) {
		if ((c = b64val((unsigned char)s[i])) < 0) {
			free(o);
			return -1;
		}
		v = v << 6 | (uint32_t)c;
		if (i % 4 == 3) {
			o[k++] = (unsigned char)(v >> 16);
			o[k++] = (unsigned char)(v >> 8);
			o[k++] = (unsigned char)v;
			v = 0;
		}
	}
	if (n % 4 == 2)
		o[k++] = (unsigned char)(v >> 4);
	else if (n % 4 == 3) {
		o[k++] = (unsigned char)(v >> 10);
		o[k++] = (unsigned char)(v >> 2);
	}
	o[k] = '\0';
	*out = (char *)o;
	*outlen = k;
	return 0;
}

int
ct_queue_from_json(struct json_object *root, struct ct_queue *q, char *name,
    size_t namelen, char *err, size_t errlen)
{
	struct json_object	*o;
	const char		*s;
	double			 d;

	memset(q, 0, sizeof(*q));
	if (namelen > 0)
		name[0] = '\0';
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "queue: must be an object");
		return -1;
	}
	if (get_string(root, "name", "queue.name", &s, err, errlen) == -1)
		return -1;
	if (s != NULL) {
		if (strlen(s) >= namelen) {
			snprintf(err, errlen, "queue.name: too long");
			return -1;
		}
		util_strlcpy(name, s, namelen);
	}
	if (get_object(root, "rateLimits", "queue.rateLimits", &o, err,
	    errlen) == -1 || (o != NULL && queue_rate(o, q, err, errlen) == -1))
		return -1;
	if (get_object(root, "retryConfig", "queue.retryConfig", &o, err,
	    errlen) == -1 ||
	    (o != NULL && queue_retry(o, q, err, errlen) == -1))
		return -1;
	if (get_object(root, "stackdriverLoggingConfig",
	    "queue.stackdriverLoggingConfig", &o, err, errlen) == -1)
		return -1;
	if (o != NULL) {
		if (get_number(o, "samplingRatio", "queue.stackdriverLogging"
		    "Config.samplingRatio", &d, err, errlen) == -1)
			return -1;
		if (get(o, "samplingRatio") != NULL) {
			if (!(d >= 0 && d <= 1)) {
				snprintf(err, errlen, "queue.stackdriverLogging"
				    "Config.samplingRatio: must be between 0 "
				    "and 1");
				return -1;
			}
			q->sampling = d;
		}
		q->set |= CTQ_LOGGING;
	}
	return 0;
}

/* maxBurstSize is output only: Cloud Tasks derives it, and so do we. */
static int
queue_rate(struct json_object *o, struct ct_queue *q, char *err,
    size_t errlen)
{
	double	d;
	int64_t	i;

	if (get(o, "maxDispatchesPerSecond") != NULL) {
		if (get_number(o, "maxDispatchesPerSecond", "queue.rateLimits."
		    "maxDispatchesPerSecond", &d, err, errlen) == -1)
			return -1;
		if (!(d > 0 && d <= CT_RATE_MAX)) {
			snprintf(err, errlen, "queue.rateLimits.maxDispatches"
			    "PerSecond: must be greater than 0 and at most %g",
			    CT_RATE_MAX);
			return -1;
		}
		q->rate = d;
		q->set |= CTQ_RATE;
	}
	if (get(o, "maxConcurrentDispatches") != NULL) {
		if (get_int(o, "maxConcurrentDispatches", "queue.rateLimits."
		    "maxConcurrentDispatches", &i, err, errlen) == -1)
			return -1;
		if (i < 1 || i > CT_CONC_MAX) {
			snprintf(err, errlen, "queue.rateLimits.maxConcurrent"
			    "Dispatches: must be between 1 and %d",
			    CT_CONC_MAX);
			return -1;
		}
		q->conc = (int)i;
		q->set |= CTQ_CONC;
	}
	return 0;
}

/*
 * maxAttempts 0 is proto3's "not set" (Cloud Tasks then keeps its
 * default), so it sets nothing; -1 is unlimited.
 */
static int
queue_retry(struct json_object *o, struct ct_queue *q, char *err,
    size_t errlen)
{
	static const struct {
		const char	*key;
		unsigned	 bit;
		size_t		 off;
	} durs[] = {
		{ "maxRetryDuration", CTQ_MAX_RETRY,
		    offsetof(struct ct_queue, max_retry_ms) },
		{ "minBackoff", CTQ_MIN_BACKOFF,
		    offsetof(struct ct_queue, min_backoff_ms) },
		{ "maxBackoff", CTQ_MAX_BACKOFF,
		    offsetof(struct ct_queue, max_backoff_ms) },
	};
	char		path[64];
	uint64_t	ms;
	int64_t		i;
	size_t		k;

	if (get(o, "maxAttempts") != NULL) {
		if (get_int(o, "maxAttempts", "queue.retryConfig.maxAttempts",
		    &i, err, errlen) == -1)
			return -1;
		if (i < -1 || i > INT_MAX) {
			snprintf(err, errlen, "queue.retryConfig.maxAttempts: "
			    "must be -1 (unlimited) or at least 1");
			return -1;
		}
		if (i != 0) {
			q->max_attempts = (int)i;
			q->set |= CTQ_MAX_ATTEMPTS;
		}
	}
	for (k = 0; k < TD_NELEM(durs); k++) {
		if (get(o, durs[k].key) == NULL)
			continue;
		snprintf(path, sizeof(path), "queue.retryConfig.%s",
		    durs[k].key);
		if (get_duration(o, durs[k].key, path, &ms, err, errlen) == -1)
			return -1;
		*(uint64_t *)(void *)((char *)q + durs[k].off) = ms;
		q->set |= durs[k].bit;
	}
	if (get(o, "maxDoublings") != NULL) {
		if (get_int(o, "maxDoublings", "queue.retryConfig.maxDoublings",
		    &i, err, errlen) == -1)
			return -1;
		if (i < 0 || i > INT_MAX) {
			snprintf(err, errlen, "queue.retryConfig.maxDoublings: "
			    "must be 0 or more");
			return -1;
		}
		q->max_doublings = (int)i;
		q->set |= CTQ_MAX_DOUBLINGS;
	}
	if ((q->set & CTQ_MIN_BACKOFF) && (q->set & CTQ_MAX_BACKOFF) &&
	    q->min_backoff_ms > q->max_backoff_ms) {
		snprintf(err, errlen, "queue.retryConfig.minBackoff: must not "
		    "be greater than maxBackoff");
		return -1;
	}
	return 0;
}

int
ct_mask_parse(const char *mask, unsigned *bits, char *err, size_t errlen)
{
	char		 path[128], q[ECHO_MAX + 8];
	const char	*p, *end;
	size_t		 n, i, o;

	*bits = 0;
	if (mask == NULL || mask[0] == '\0') {
		*bits = CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG | CTQ_LOGGING;
		return 0;
	}
	for (p = mask;; p = end + 1) {
		end = p + strcspn(p, ",");
		/* Blanks around a path, as in "a, b", are not part of it. */
		while (p < end && *p == ' ')
			p++;
		for (n = (size_t)(end - p); n > 0 && p[n - 1] == ' '; n--)
			;
		if (n == 0) {
			snprintf(err, errlen, "updateMask: empty field path");
			return -1;
		}
		/* snake_case to camelCase: "_x" is "X". */
		for (i = o = 0; i < n && o + 1 < sizeof(path); i++) {
			if (p[i] == '_' && i + 1 < n && p[i + 1] >= 'a' &&
			    p[i + 1] <= 'z')
				path[o++] = (char)(p[++i] - 'a' + 'A');
			else
				path[o++] = p[i];
		}
		path[o] = '\0';
		for (i = 0; i < TD_NELEM(mask_paths); i++)
			if (strcmp(path, mask_paths[i].path) == 0)
				break;
		if (i < TD_NELEM(mask_paths))
			*bits |= mask_paths[i].bits;
		else if (strcmp(path, "name") == 0 ||
		    strcmp(path, "state") == 0 ||
		    strcmp(path, "purgeTime") == 0) {
			snprintf(err, errlen, "updateMask: %s cannot be "
			    "updated", path);
			return -1;
		} else {
			snprintf(err, errlen, "updateMask: unknown field "
			    "\"%s\"", util_echo(q, sizeof(q), ECHO_MAX, p,
			    n));
			return -1;
		}
		if (*end == '\0')
			return 0;
	}
}

struct json_object *
ct_queue_to_json(const struct ct_queue *q, const char *name, int enum_int)
{
	struct json_object	*o, *g;
	char			 buf[64];

	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object: out of memory");
	if (name != NULL)
		json_object_object_add(o, "name", json_object_new_string(name));
	if (q->set & CTQ_RATE_LIMITS) {
		g = json_object_new_object();
		if (q->set & CTQ_RATE)
			json_object_object_add(g, "maxDispatchesPerSecond",
			    new_double(q->rate));
		if (q->set & CTQ_BURST)
			json_object_object_add(g, "maxBurstSize",
			    json_object_new_int(q->burst));
		if (q->set & CTQ_CONC)
			json_object_object_add(g, "maxConcurrentDispatches",
			    json_object_new_int(q->conc));
		json_object_object_add(o, "rateLimits", g);
	}
	if (q->set & CTQ_RETRY_CONFIG) {
		g = json_object_new_object();
		if (q->set & CTQ_MAX_ATTEMPTS)
			json_object_object_add(g, "maxAttempts",
			    json_object_new_int(q->max_attempts));
		if (q->set & CTQ_MAX_RETRY)
			json_object_object_add(g, "maxRetryDuration",
			    new_duration(q->max_retry_ms));
		if (q->set & CTQ_MIN_BACKOFF)
			json_object_object_add(g, "minBackoff",
			    new_duration(q->min_backoff_ms));
		if (q->set & CTQ_MAX_BACKOFF)
			json_object_object_add(g, "maxBackoff",
			    new_duration(q->max_backoff_ms));
		if (q->set & CTQ_MAX_DOUBLINGS)
			json_object_object_add(g, "maxDoublings",
			    json_object_new_int(q->max_doublings));
		json_object_object_add(o, "retryConfig", g);
	}
	if (q->set & CTQ_STATE)
		json_object_object_add(o, "state", enum_json(states,
		    (int)TD_NELEM(states), q->state, enum_int));
	if ((q->set & CTQ_PURGE_TIME) && q->purge_ms != 0) {
		ct_time_format(q->purge_ms, buf, sizeof(buf));
		json_object_object_add(o, "purgeTime",
		    json_object_new_string(buf));
	}
	if (q->set & CTQ_LOGGING) {
		g = json_object_new_object();
		json_object_object_add(g, "samplingRatio",
		    new_double(q->sampling));
		json_object_object_add(o, "stackdriverLoggingConfig", g);
	}
	return o;
}

int
ct_task_from_json(struct json_object *root, const char *parent,
    const char *queue, uint64_t now, struct task *t, int *view, char *err,
    size_t errlen)
{
	struct json_object	*task, *hr;
	const char		*name, *id;
	size_t			 plen;
	char			 q[ECHO_MAX + 8];

	memset(t, 0, sizeof(*t));
	*view = CT_VIEW_BASIC;
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "body: must be an object");
		return -1;
	}
	if (get_enum(root, "responseView", "responseView", views,
	    (int)TD_NELEM(views), view, err, errlen) == -1)
		goto fail;
	if (*view == CT_VIEW_UNSPECIFIED)
		*view = CT_VIEW_BASIC;
	if (get_object(root, "task", "task", &task, err, errlen) == -1)
		goto fail;
	if (task == NULL) {
		snprintf(err, errlen, "task: required");
		goto fail;
	}
	util_strlcpy(t->queue, queue, sizeof(t->queue));
	if (get_string(task, "name", "task.name", &name, err, errlen) == -1)
		goto fail;
	if (name != NULL && name[0] != '\0') {
		plen = strlen(parent);
		if (strncmp(name, parent, plen) != 0 ||
		    strncmp(name + plen, "/tasks/", 7) != 0) {
			snprintf(err, errlen, "task.name: must be "
			    "\"%.150s/tasks/TASK_ID\"", parent);
			goto fail;
		}
		id = name + plen + 7;
		if (!util_valid_id(id, strlen(id))) {
			snprintf(err, errlen, "task.name: task ID \"%s\": only "
			    "letters, digits, hyphens and underscores, at most "
			    "%d", util_echo(q, sizeof(q), ECHO_MAX, id,
			    strlen(id)), TD_ID_MAX);
			goto fail;
		}
		util_strlcpy(t->id, id, sizeof(t->id));
	}
	if (get(task, "appEngineHttpRequest") != NULL) {
		snprintf(err, errlen, "task: only httpRequest tasks are "
		    "supported");
		goto fail;
	}
	if (get_object(task, "httpRequest", "task.httpRequest", &hr, err,
	    errlen) == -1)
		goto fail;
	if (hr == NULL) {
		snprintf(err, errlen, "task.httpRequest: required");
		goto fail;
	}
	if (task_request(hr, t, err, errlen) == -1 ||
	    task_times(task, now, t, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	task_free(t);
	return -1;
}

static int
task_request(struct json_object *hr, struct task *t, char *err,
    size_t errlen)
{
	struct json_object	*h;
	const char		*url, *b64;
	int			 m = M_POST;

	if (get(hr, "oidcToken") != NULL || get(hr, "oauthToken") != NULL) {
		snprintf(err, errlen, "task.httpRequest.%s: not supported "
		    "(no Google credentials here)", get(hr, "oidcToken") !=
		    NULL ? "oidcToken" : "oauthToken");
		return -1;
	}
	if (get_string(hr, "url", "task.httpRequest.url", &url, err,
	    errlen) == -1)
		return -1;
	if (url == NULL || url[0] == '\0') {
		snprintf(err, errlen, "task.httpRequest.url: required");
		return -1;
	}
	if (strlen(url) > CT_URL_MAX) {
		snprintf(err, errlen, "task.httpRequest.url: too long (at most "
		    "%d bytes)", CT_URL_MAX);
		return -1;
	}
	if (task_valid_url(url, err, errlen) == -1) {
		reprefix(err, errlen, "task.url", "task.httpRequest.url");
		return -1;
	}
	if (get_enum(hr, "httpMethod", "task.httpRequest.httpMethod",
	    methods, (int)TD_NELEM(methods), &m, err, errlen) == -1)
		return -1;
	if (m == 0)
		m = M_POST;
	util_strlcpy(t->method, methods[m], sizeof(t->method));
	t->url = xstrdup(url);
	if (get_object(hr, "headers", "task.httpRequest.headers", &h, err,
	    errlen) == -1 || (h != NULL && task_headers(h, t, err,
	    errlen) == -1))
		return -1;
	if (get_string(hr, "body", "task.httpRequest.body", &b64, err,
	    errlen) == -1)
		return -1;
	if (b64 != NULL && ct_b64_decode(b64, strlen(b64), &t->body,
	    &t->bodylen) == -1) {
		snprintf(err, errlen, "task.httpRequest.body: not base64");
		return -1;
	}
	if (t->body == NULL) {
		t->body = xmalloc(1);
		t->body[0] = '\0';
	}
	if (t->bodylen > 0 && m != M_POST && m != M_PUT &&
	    m != M_PATCH) {
		snprintf(err, errlen, "task.httpRequest.body: only POST, PUT "
		    "and PATCH tasks can have a body");
		return -1;
	}
	return 0;
}

/*
 * Headers Cloud Tasks sets itself (Host, Content-Length, User-Agent and
 * its own X-CloudTasks-*, X-Google-*, X-AppEngine-*) are dropped, as it
 * drops them, rather than refused; the rest follow task_valid_header().
 */
static int
task_headers(struct json_object *obj, struct task *t, char *err,
    size_t errlen)
{
	struct json_object_iterator	 it, end;
	struct json_object		*v;
	const char			*name, *value;
	size_t				 n, bytes = 0;

	if ((n = (size_t)json_object_object_length(obj)) > TD_HEADERS_MAX) {
		snprintf(err, errlen, "task.httpRequest.headers: too many "
		    "headers (at most %d)", TD_HEADERS_MAX);
		return -1;
	}
	t->headers = xcalloc(n > 0 ? n : 1, sizeof(*t->headers));
	it = json_object_iter_begin(obj);
	end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		name = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		if (v == NULL || !json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "task.httpRequest.headers."
			    "%.100s: must be a string", name);
			return -1;
		}
		value = json_object_get_string(v);
		if (strlen(value) != (size_t)json_object_get_string_len(v)) {
			snprintf(err, errlen, "task.httpRequest.headers."
			    "%.100s: value contains a NUL byte", name);
			return -1;
		}
		if (task_valid_header(name, value, err, errlen) == -1 &&
		    !drop_header(name)) {
			reprefix(err, errlen, "task.headers",
			    "task.httpRequest.headers");
			return -1;
		}
		if ((bytes += strlen(name) + strlen(value)) >=
		    CT_HEADERS_BYTES) {
			snprintf(err, errlen, "task.httpRequest.headers: too "
			    "large (under %d bytes of names and values)",
			    CT_HEADERS_BYTES);
			return -1;
		}
		if (drop_header(name))
			continue;
		t->headers[t->nheaders].name = xstrdup(name);
		t->headers[t->nheaders].value = xstrdup(value);
		t->nheaders++;
	}
	return 0;
}

static int
task_times(struct json_object *task, uint64_t now, struct task *t,
    char *err, size_t errlen)
{
	const char	*s;
	uint64_t	 at = now, ms;

	if (get_string(task, "scheduleTime", "task.scheduleTime", &s, err,
	    errlen) == -1)
		return -1;
	if (s != NULL) {
		if (ct_time_parse(s, &ms) == -1) {
			snprintf(err, errlen, "task.scheduleTime: not an RFC "
			    "3339 timestamp (e.g. \"2025-01-01T00:00:00Z\")");
			return -1;
		}
		if (ms > now && ms - now > CT_SCHEDULE_MAX_MS) {
			snprintf(err, errlen, "task.scheduleTime: at most 30 "
			    "days ahead");
			return -1;
		}
		if (ms > now)
			at = ms;
	}
	t->deadline_ms = CT_DEADLINE_DEF_MS;
	if (get(task, "dispatchDeadline") != NULL) {
		if (get_duration(task, "dispatchDeadline",
		    "task.dispatchDeadline", &ms, err, errlen) == -1)
			return -1;
		if (ms < CT_DEADLINE_MIN_MS || ms > CT_DEADLINE_MAX_MS) {
			snprintf(err, errlen, "task.dispatchDeadline: must be "
			    "between 15s and 1800s");
			return -1;
		}
		t->deadline_ms = ms;
	}
	t->created_ms = now;
	t->eta_ms = at;
	t->delay_ms = at - now;
	return 0;
}

static int
drop_header(const char *name)
{
	return strcasecmp(name, "Host") == 0 ||
	    strcasecmp(name, "Content-Length") == 0 ||
	    strcasecmp(name, "User-Agent") == 0 ||
	    strncasecmp(name, "X-CloudTasks-", 13) == 0 ||
	    strncasecmp(name, "X-Google-", 9) == 0 ||
	    strncasecmp(name, "X-AppEngine-", 12) == 0;
}

struct json_object *
ct_task_to_json(const struct ct_task_out *t, const char *name, int view,
    int enum_int)
{
	struct json_object	*o, *hr, *h, *a, *st;
	char			 buf[64], *s;
	int			 m, resp;

	if (view == CT_VIEW_UNSPECIFIED)
		view = CT_VIEW_BASIC;
	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object: out of memory");
	json_object_object_add(o, "name", json_object_new_string(name != NULL ?
	    name : ""));
	hr = json_object_new_object();
	json_object_object_add(hr, "url", json_object_new_string(t->url !=
	    NULL ? t->url : ""));
	/* A /v1 task may have any method; Cloud Tasks has seven. */
	m = ct_method_number(t->method != NULL ? t->method : "POST");
	if (m > 0)
		json_object_object_add(hr, "httpMethod", enum_json(methods,
		    (int)TD_NELEM(methods), m, enum_int));
	else if (!enum_int && t->method != NULL)
		json_object_object_add(hr, "httpMethod",
		    json_object_new_string(t->method));
	/* Stored by us as an object; anything else shows as none. */
	h = t->headers != NULL ? json_tokener_parse(t->headers) : NULL;
	if (h == NULL || !json_object_is_type(h, json_type_object)) {
		json_object_put(h);
		h = json_object_new_object();
	}
	json_object_object_add(hr, "headers", h);
	if (view == CT_VIEW_FULL && t->bodylen > 0) {
		s = ct_b64_encode(t->body, t->bodylen);
		json_object_object_add(hr, "body", json_object_new_string(s));
		free(s);
	}
	json_object_object_add(o, "httpRequest", hr);
	if (t->schedule_ms != 0)
		json_object_object_add(o, "scheduleTime",
		    new_time(t->schedule_ms));
	json_object_object_add(o, "createTime",
	    new_time(t->create_ms / 1000 * 1000));
	json_object_object_add(o, "dispatchDeadline", new_duration(
	    t->deadline_ms != 0 ? t->deadline_ms : CT_DEADLINE_DEF_MS));
	json_object_object_add(o, "dispatchCount",
	    json_object_new_int(t->dispatch_count));
	json_object_object_add(o, "responseCount",
	    json_object_new_int(t->response_count));
	if (t->first_at != 0) {
		a = json_object_new_object();
		json_object_object_add(a, "dispatchTime",
		    new_time(t->first_at));
		json_object_object_add(o, "firstAttempt", a);
	}
	if (t->last_at != 0) {
		a = json_object_new_object();
		if (t->last_eta != 0)
			json_object_object_add(a, "scheduleTime",
			    new_time(t->last_eta));
		json_object_object_add(a, "dispatchTime", new_time(t->last_at));
		/* A response older than the dispatch is the attempt before. */
		resp = t->last_resp_at != 0 && t->last_resp_at >= t->last_at;
		if (resp)
			json_object_object_add(a, "responseTime",
			    new_time(t->last_resp_at));
		if ((t->last_status > 0 && resp) || (t->last_status <= 0 &&
		    t->last_error != NULL && t->last_error[0] != '\0')) {
			st = json_object_new_object();
			json_object_object_add(st, "code",
			    json_object_new_int(ct_rpc_code(t->last_status)));
			if (t->last_status > 0) {
				snprintf(buf, sizeof(buf), "HTTP status code "
				    "%d", t->last_status);
				json_object_object_add(st, "message",
				    json_object_new_string(buf));
			} else
				json_object_object_add(st, "message",
				    json_object_new_string(t->last_error));
			json_object_object_add(a, "responseStatus", st);
		}
		json_object_object_add(o, "lastAttempt", a);
	}
	json_object_object_add(o, "view", enum_json(views, (int)TD_NELEM(views),
	    view, enum_int));
	return o;
}

/* The gRPC mapping of HTTP statuses that gax and Cloud Tasks share. */
int
ct_rpc_code(int http)
{
	static const struct {
		int	http;
		int	code;
	} map[] = {
		{ 400, 3 }, { 401, 16 }, { 403, 7 }, { 404, 5 }, { 409, 10 },
		{ 416, 11 }, { 429, 8 }, { 499, 1 }, { 501, 12 }, { 503, 14 },
		{ 504, 4 },
	};
	size_t	i;

	if (http <= 0)
		return 14;
	if (http >= 200 && http < 300)
		return 0;
	for (i = 0; i < TD_NELEM(map); i++)
		if (map[i].http == http)
			return map[i].code;
	if (http >= 400 && http < 500)
		return 9;
	if (http >= 500 && http < 600)
		return 13;
	return 2;	/* UNKNOWN: 1xx, 3xx */
}

char *
ct_error_json(int http, const char *status, const char *message,
    size_t *len)
{
	struct json_object	*o, *e;
	const unsigned char	*p;
	const char		*s;
	char			*msg, *out;
	size_t			 i, k, n;

	/* json-c copies bytes through: keep the body valid UTF-8. */
	msg = xstrdup(message != NULL ? message : "");
	for (i = 0, p = (const unsigned char *)msg; p[i] != '\0'; i += n) {
		n = 1;
		if (p[i] < 0x80)
			continue;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			n = 0;
		for (k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			msg[i] = '?';
			n = 1;
		}
	}
	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object: out of memory");
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int(http));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "status", json_object_new_string(status !=
	    NULL ? status : route_status_name(http)));
	json_object_object_add(o, "error", e);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	out = xstrdup(s);
	if (len != NULL)
		*len = strlen(out);
	json_object_put(o);
	free(msg);
	return out;
}

/* The member key of o, or NULL when it is missing or null. */
static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static int
get_object(struct json_object *o, const char *key, const char *path,
    struct json_object **out, char *err, size_t errlen)
{
	if ((*out = get(o, key)) == NULL)
		return 0;
	if (!json_object_is_type(*out, json_type_object)) {
		snprintf(err, errlen, "%s: must be an object", path);
		return -1;
	}
	return 0;
}

/* *out is NULL when absent; a string with a NUL in it is refused. */
static int
get_string(struct json_object *o, const char *key, const char *path,
    const char **out, char *err, size_t errlen)
{
	struct json_object	*v;

	*out = NULL;
	if ((v = get(o, key)) == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "%s: must be a string", path);
		return -1;
	}
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v)) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return -1;
	}
	return 0;
}

/*
 * An integer: a JSON number without a fraction, or (proto3 JSON, for
 * 64-bit ones) a string of decimal digits.  Absent leaves *out alone.
 */
static int
get_int(struct json_object *o, const char *key, const char *path,
    int64_t *out, char *err, size_t errlen)
{
	struct json_object	*v;
	const char		*s;
	char			*end;
	double			 d;
	long long		 ll;

	if ((v = get(o, key)) == NULL)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_int:
		/* Past the int64 range json-c saturates: still out of range. */
		*out = json_object_get_int64(v);
		return 0;
	case json_type_double:
		d = json_object_get_double(v);
		if (d == floor(d) && d >= -9e15 && d <= 9e15) {
			*out = (int64_t)d;
			return 0;
		}
		break;
	case json_type_string:
		s = json_object_get_string(v);
		if (s[0] == '-' ? digits(s + 1, 20) > 0 : digits(s, 20) > 0) {
			errno = 0;
			ll = strtoll(s, &end, 10);
			if (*end == '\0' && errno == 0) {
				*out = ll;
				return 0;
			}
		}
		break;
	default:
		break;
	}
	snprintf(err, errlen, "%s: must be an integer", path);
	return -1;
}

/* A number, or a string holding one (proto3 JSON for float fields). */
static int
get_number(struct json_object *o, const char *key, const char *path,
    double *out, char *err, size_t errlen)
{
	struct json_object	*v;
	const char		*s;
	char			*end;

	if ((v = get(o, key)) == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (s[0] != '\0' && strchr("+-.0123456789", s[0]) != NULL) {
			*out = strtod(s, &end);
			if (*end == '\0' && isfinite(*out))
				return 0;
		}
	}
	snprintf(err, errlen, "%s: must be a number", path);
	return -1;
}

static int
get_duration(struct json_object *o, const char *key, const char *path,
    uint64_t *ms, char *err, size_t errlen)
{
	const char	*s;

	if (get_string(o, key, path, &s, err, errlen) == -1 || s == NULL ||
	    ct_duration_parse(s, ms) == -1) {
		snprintf(err, errlen, "%s: not a duration (e.g. \"3.5s\")",
		    path);
		return -1;
	}
	return 0;
}

/* An enum by name, or by number; absent leaves *out alone. */
static int
get_enum(struct json_object *o, const char *key, const char *path,
    const char *const *names, int n, int *out, char *err, size_t errlen)
{
	struct json_object	*v;
	const char		*s;
	int64_t			 i;
	int			 k;

	if ((v = get(o, key)) == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		i = json_object_get_int64(v);
		if (i >= 0 && i < n) {
			*out = (int)i;
			return 0;
		}
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		for (k = 0; k < n; k++)
			if (strcmp(s, names[k]) == 0) {
				*out = k;
				return 0;
			}
	}
	snprintf(err, errlen, "%s: unknown value (one of %s..%s, or 0..%d)",
	    path, names[1], names[n - 1], n - 1);
	return -1;
}

static struct json_object *
enum_json(const char *const *names, int n, int v, int enum_int)
{
	if (enum_int || v < 0 || v >= n)
		return json_object_new_int(v);
	return json_object_new_string(names[v]);
}

static struct json_object *
new_time(uint64_t ms)
{
	char	buf[64];

	ct_time_format(ms, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/*
 * The shortest text that reads back as d: a rate of 0.1 shows as 0.1,
 * not json-c's 0.10000000000000001.
 */
static struct json_object *
new_double(double d)
{
	char	buf[64];
	int	prec;

	if (!isfinite(d))
		return json_object_new_double(d);
	/* Whole numbers without "e+02": 500, not 5e+02. */
	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(buf, sizeof(buf), "%.0f", d);
		return json_object_new_double_s(d, buf);
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*g", prec, d);
	return json_object_new_double_s(d, buf);
}

static struct json_object *
new_duration(uint64_t ms)
{
	char	buf[64];

	ct_duration_format(ms, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* task.c's messages name the /v1 fields: put the /v2 ones instead. */
static void
reprefix(char *err, size_t errlen, const char *from, const char *to)
{
	char	tmp[512];
	size_t	n = strlen(from);

	if (strncmp(err, from, n) != 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s%s", to, err + n);
	util_strlcpy(err, tmp, errlen);
}

/* How many of the first max bytes of s are decimal digits, in a row. */
static int
digits(const char *s, int max)
{
	int	n;

	for (n = 0; n < max && s[n] >= '0' && s[n] <= '9'; n++)
		;
	return n;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

