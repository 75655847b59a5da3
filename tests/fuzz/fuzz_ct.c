/*
 * fuzz_ct.c: the Cloud Tasks request path.  The input is
 * "METHOD\nTARGET\nBODY": ct_route_match() on the method and target (a
 * buffer of the target's exact size, no NUL after it), ct_mask_parse()
 * and ct_enum_int() on the target, and the body through the strict
 * parser into ct_queue_from_json() and ct_task_from_json().  What they
 * accept must hold their promises, and must come back the same through
 * the resource JSON (ct_queue_to_json(), ct_task_to_json()) and in again.
 * The body's bytes are also tried as a duration, a timestamp and base64,
 * which must survive format and parse again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ctjson.h"
#include "ctroute.h"
#include "task.h"
#include "util.h"

#define PARENT	"projects/p/locations/l/queues/q"
#define NOW	1735689600000ULL

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
chars_ok(const char *s, const char *extra, size_t max)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr(extra, s[i]) != NULL))
			return 0;
	return 1;
}

static void
route_check(const char *method, const char *target, size_t len)
{
	struct ct_match	m;
	char		*copy = xmalloc(len > 0 ? len : 1);

	memcpy(copy, target, len);
	if (!ct_route_match(method, copy, len, &m)) {
		free(copy);
		return;
	}
	free(copy);
	if ((m.status == 405) != (m.allow != NULL))
		abort();
	switch (m.status) {
	case 0:
		if (m.id == CT_NONE ||
		    !chars_ok(m.project, "-:.", CT_PROJECT_MAX - 1) ||
		    !chars_ok(m.location, "-", CT_LOCATION_MAX - 1))
			abort();
		if (m.id != CT_LOCATION && m.id != CT_QUEUES_LIST &&
		    m.id != CT_QUEUE_CREATE &&
		    !chars_ok(m.queue, "-_", TD_NAME_MAX - 1))
			abort();
		if ((m.id == CT_TASK_GET || m.id == CT_TASK_DELETE ||
		    m.id == CT_TASK_RUN) != (m.task[0] != '\0') ||
		    (m.task[0] != '\0' && !util_valid_id(m.task,
		    strlen(m.task))))
			abort();
		break;
	case 400:
		if (m.id != CT_NONE || m.message[0] == '\0' ||
		    memchr(m.message, '\0', sizeof(m.message)) == NULL)
			abort();
		break;
	case 404:
	case 405:
		if (m.id != CT_NONE)
			abort();
		break;
	default:
		abort();
	}
}

static void
queue_check(struct json_object *body)
{
	struct ct_queue		 q, r;
	struct json_object	*o, *back;
	char			 name[256], err[256];

	if (ct_queue_from_json(body, &q, name, sizeof(name), err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return;
	}
	if (q.set & ~(CTQ_RATE | CTQ_CONC | CTQ_RETRY_CONFIG | CTQ_LOGGING))
		abort();
	o = ct_queue_to_json(&q, name, 0);
	back = json_tokener_parse(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	if (back == NULL || ct_queue_from_json(back, &r, name, sizeof(name),
	    err, sizeof(err)) == -1 || r.set != q.set || r.rate != q.rate ||
	    r.conc != q.conc || r.max_attempts != q.max_attempts ||
	    r.max_retry_ms != q.max_retry_ms ||
	    r.min_backoff_ms != q.min_backoff_ms ||
	    r.max_backoff_ms != q.max_backoff_ms ||
	    r.max_doublings != q.max_doublings || r.sampling != q.sampling)
		abort();
	json_object_put(back);
	json_object_put(o);
}

static void
task_valid(const struct task *t)
{
	char	err[256];
	size_t	i;
	int	m;

	m = ct_method_number(t->method);
	if (t->url == NULL || task_valid_url(t->url, err, sizeof(err)) == -1 ||
	    strlen(t->url) > CT_URL_MAX || m < 1 || t->body == NULL ||
	    t->body[t->bodylen] != '\0' || (t->bodylen > 0 && m != 1 &&
	    m != 4 && m != 6) || t->nheaders > TD_HEADERS_MAX ||
	    t->deadline_ms < CT_DEADLINE_MIN_MS ||
	    t->deadline_ms > CT_DEADLINE_MAX_MS || t->created_ms != NOW ||
	    t->eta_ms < NOW || t->eta_ms - NOW > CT_SCHEDULE_MAX_MS ||
	    t->delay_ms != t->eta_ms - NOW || strcmp(t->queue, "q") != 0 ||
	    (t->id[0] != '\0' && !util_valid_id(t->id, strlen(t->id))))
		abort();
	for (i = 0; i < t->nheaders; i++)
		if (task_valid_header(t->headers[i].name, t->headers[i].value,
		    err, sizeof(err)) == -1)
			abort();
}

static void
task_check(struct json_object *body)
{
	struct task		 t, u;
	struct ct_task_out	 out;
	struct json_object	*o, *req;
	char			 err[512], name[700], *h;
	int			 view, v2;

	if (ct_task_from_json(body, PARENT, "q", NOW, &t, &view, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL ||
		    t.url != NULL || t.body != NULL || t.headers != NULL)
			abort();
		return;
	}
	task_valid(&t);
	if (view != CT_VIEW_BASIC && view != CT_VIEW_FULL)
		abort();
	/* Out as a Task, in again as the task of a CreateTask. */
	h = task_headers_to_json(&t);
	memset(&out, 0, sizeof(out));
	out.url = t.url;
	out.method = t.method;
	out.headers = h;
	out.body = t.body;
	out.bodylen = t.bodylen;
	out.schedule_ms = t.eta_ms;
	out.create_ms = t.created_ms;
	out.deadline_ms = t.deadline_ms;
	snprintf(name, sizeof(name), PARENT "/tasks/%s", t.id);
	o = ct_task_to_json(&out, t.id[0] != '\0' ? name : "", CT_VIEW_FULL,
	    view == CT_VIEW_FULL);
	req = json_object_new_object();
	json_object_object_add(req, "task", json_tokener_parse(
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)));
	if (ct_task_from_json(req, PARENT, "q", NOW, &u, &v2, err,
	    sizeof(err)) == -1 || strcmp(u.id, t.id) != 0 ||
	    strcmp(u.url, t.url) != 0 || strcmp(u.method, t.method) != 0 ||
	    u.nheaders != t.nheaders || u.bodylen != t.bodylen ||
	    memcmp(u.body, t.body, t.bodylen) != 0 || u.eta_ms != t.eta_ms ||
	    u.deadline_ms != t.deadline_ms)
		abort();
	task_free(&u);
	json_object_put(req);
	json_object_put(o);
	free(h);
	task_free(&t);
}

static void
scalars_check(const char *s, size_t n)
{
	uint64_t	 ms, ms2;
	char		 buf[64], *out, *out2, *enc;
	size_t		 len, len2;

	if (ct_duration_parse(s, &ms) == 0) {
		ct_duration_format(ms, buf, sizeof(buf));
		if (ct_duration_parse(buf, &ms2) == -1 || ms2 != ms)
			abort();
	}
	if (ct_time_parse(s, &ms) == 0) {
		ct_time_format(ms, buf, sizeof(buf));
		if (ct_time_parse(buf, &ms2) == -1 || ms2 != ms)
			abort();
	}
	if (ct_b64_decode(s, n, &out, &len) == 0) {
		if (out[len] != '\0')
			abort();
		enc = ct_b64_encode(out, len);
		if (ct_b64_decode(enc, strlen(enc), &out2, &len2) == -1 ||
		    len2 != len || memcmp(out, out2, len) != 0)
			abort();
		free(out2);
		free(enc);
		free(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *end = p + size, *nl;
	struct json_object	*body;
	char			 method[16], err[256], *target, *rest;
	unsigned		 bits;
	size_t			 tlen;

	if ((nl = memchr(p, '\n', size)) == NULL || nl - p >= 16)
		return 0;
	memcpy(method, p, (size_t)(nl - p));
	method[nl - p] = '\0';
	p = nl + 1;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		nl = end;
	tlen = (size_t)(nl - p);
	route_check(method, p, tlen);
	/* Not xstrndup: a NUL inside must not shorten the buffer. */
	target = xmalloc(tlen + 1);
	memcpy(target, p, tlen);
	target[tlen] = '\0';
	(void)ct_enum_int(target, tlen);
	if (ct_mask_parse(target, &bits, err, sizeof(err)) == 0) {
		if (bits & ~(CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG | CTQ_LOGGING))
			abort();
	} else if (err[0] == '\0')
		abort();
	free(target);
	p = nl < end ? nl + 1 : end;

	rest = xstrndup(p, (size_t)(end - p));
	scalars_check(rest, strlen(rest));
	free(rest);
	if ((body = task_json_object(p, (size_t)(end - p), "body", err,
	    sizeof(err))) == NULL)
		return 0;
	queue_check(body);
	task_check(body);
	json_object_put(body);
	return 0;
}
