/*
 * check_route.c: route_match, the status names and reason phrases, and
 * the JSON error body (escaping checked byte for byte, and by parsing it
 * back with json-c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "route.h"
#include "util.h"

static const struct {
	const char	*method;
	const char	*path;
	enum route_id	 id;
	int		 status;
	const char	*allow;
} match_rows[] = {
	{ "GET", "/health", ROUTE_HEALTH, 0, NULL },
	{ "HEAD", "/health", ROUTE_HEALTH, 0, NULL },
	{ "GET", "/health?verbose=1", ROUTE_HEALTH, 0, NULL },
	{ "GET", "/health?", ROUTE_HEALTH, 0, NULL },
	{ "POST", "/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "PUT", "/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "DELETE", "/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "OPTIONS", "/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "get", "/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "GETX", "/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "GET", "/health/", ROUTE_NONE, 404, NULL },
	{ "GET", "/Health", ROUTE_NONE, 404, NULL },
	{ "GET", "/healthz", ROUTE_NONE, 404, NULL },
	{ "GET", "/healt", ROUTE_NONE, 404, NULL },
	{ "GET", "/health#x", ROUTE_NONE, 404, NULL },
	{ "GET", "//health", ROUTE_NONE, 404, NULL },
	{ "GET", "health", ROUTE_NONE, 404, NULL },
	{ "GET", "/%68ealth", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1/enqueue", ROUTE_ENQUEUE, 0, NULL },
	{ "POST", "/v1/enqueue?x=1", ROUTE_ENQUEUE, 0, NULL },
	{ "GET", "/v1/enqueue", ROUTE_NONE, 405, "POST" },
	{ "HEAD", "/v1/enqueue", ROUTE_NONE, 405, "POST" },
	{ "PUT", "/v1/enqueue", ROUTE_NONE, 405, "POST" },
	{ "post", "/v1/enqueue", ROUTE_NONE, 405, "POST" },
	{ "PUT", "/v1/enqueue?x", ROUTE_NONE, 405, "POST" },
	{ "POST", "/v1/enqueue/", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1/enqueue/extra", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1//enqueue", ROUTE_NONE, 404, NULL },
	{ "POST", "//v1/enqueue", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1/Enqueue", ROUTE_NONE, 404, NULL },
	{ "POST", "/v2/enqueue", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1", ROUTE_NONE, 404, NULL },
	{ "GET", "/", ROUTE_NONE, 404, NULL },
	{ "GET", "", ROUTE_NONE, 404, NULL },
	{ "GET", "?", ROUTE_NONE, 404, NULL },
	{ "OPTIONS", "*", ROUTE_NONE, 404, NULL },
	/* absolute-form (RFC 9112 3.2.2) */
	{ "POST", "http://example.com/v1/enqueue", ROUTE_ENQUEUE, 0, NULL },
	{ "GET", "HTTP://h:8080/health?x=1", ROUTE_HEALTH, 0, NULL },
	{ "GET", "https://h/health", ROUTE_HEALTH, 0, NULL },
	{ "POST", "http://h/health", ROUTE_NONE, 405, "GET, HEAD" },
	{ "GET", "http://h", ROUTE_NONE, 404, NULL },
	{ "GET", "http://h?/health", ROUTE_NONE, 404, NULL },
	{ "GET", "http://", ROUTE_NONE, 404, NULL },
	{ "GET", "ftp://h/health", ROUTE_NONE, 404, NULL },
	/* the operator API and /metrics */
	{ "GET", "/metrics", ROUTE_METRICS, 0, NULL },
	{ "HEAD", "/metrics", ROUTE_METRICS, 0, NULL },
	{ "POST", "/metrics", ROUTE_NONE, 405, "GET, HEAD" },
	{ "GET", "/metrics/", ROUTE_NONE, 404, NULL },
	{ "GET", "/v1/stats", ROUTE_STATS, 0, NULL },
	{ "POST", "/v1/stats", ROUTE_NONE, 405, "GET" },
	{ "GET", "/v1/queues", ROUTE_QUEUES, 0, NULL },
	{ "GET", "/v1/queues?x=1", ROUTE_QUEUES, 0, NULL },
	{ "DELETE", "/v1/queues", ROUTE_NONE, 405, "GET" },
	{ "GET", "/v1/queues/", ROUTE_NONE, 404, NULL },
	{ "GET", "/v1/queues/default", ROUTE_QUEUE, 0, NULL },
	{ "HEAD", "/v1/queues/default", ROUTE_NONE, 405, "GET" },
	{ "GET", "/v1/queues/default/", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1/queues/default:pause", ROUTE_QUEUE_PAUSE, 0, NULL },
	{ "GET", "/v1/queues/default:pause", ROUTE_NONE, 405, "POST" },
	{ "POST", "/v1/queues/default:resume", ROUTE_QUEUE_RESUME, 0, NULL },
	{ "POST", "/v1/queues/default:purge", ROUTE_QUEUE_PURGE, 0, NULL },
	{ "POST", "/v1/queues/default:bogus", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1/queues/:pause", ROUTE_NONE, 404, NULL },
	{ "POST", "/v1/queues/a%2Fb:pause", ROUTE_NONE, 404, NULL },
	{ "GET", "/v1/queues/low/tasks", ROUTE_TASKS, 0, NULL },
	{ "GET", "/v1/queues/low/tasks?state=dead&page_size=5", ROUTE_TASKS,
	    0, NULL },
	{ "POST", "/v1/queues/low/tasks", ROUTE_NONE, 405, "GET" },
	{ "POST", "/v1/queues/low/tasks:retry", ROUTE_TASKS_RETRY, 0, NULL },
	{ "POST", "/v1/queues/low/tasks:delete", ROUTE_TASKS_DELETE, 0, NULL },
	{ "DELETE", "/v1/queues/low/tasks:delete", ROUTE_NONE, 405, "POST" },
	{ "GET", "/v1/queues/low/tasks/abc", ROUTE_QUEUE_TASK, 0, NULL },
	{ "DELETE", "/v1/queues/low/tasks/abc", ROUTE_NONE, 405, "GET" },
	{ "GET", "/v1/queues/low/tasks/abc/x", ROUTE_NONE, 404, NULL },
	{ "GET", "/v1/tasks/abc", ROUTE_TASK, 0, NULL },
	{ "DELETE", "/v1/tasks/abc", ROUTE_TASK_DELETE, 0, NULL },
	{ "PUT", "/v1/tasks/abc", ROUTE_NONE, 405, "GET, DELETE" },
	{ "POST", "/v1/tasks/abc:retry", ROUTE_TASK_RETRY, 0, NULL },
	{ "GET", "/v1/tasks/abc:retry", ROUTE_NONE, 405, "POST" },
	{ "POST", "/v1/tasks/abc:run", ROUTE_NONE, 404, NULL },
	{ "GET", "/v1/tasks/", ROUTE_NONE, 404, NULL },
	{ "GET", "/v1/tasks", ROUTE_NONE, 404, NULL },
	{ "GET", "http://h/v1/tasks/abc", ROUTE_TASK, 0, NULL },
};

/* What {q} and {id} captured. */
static const struct {
	const char	*method;
	const char	*path;
	const char	*queue;
	const char	*task;
} capture_rows[] = {
	{ "GET", "/v1/queues/default", "default", NULL },
	{ "POST", "/v1/queues/q-1_x:pause", "q-1_x", NULL },
	{ "GET", "/v1/queues/low/tasks?state=x", "low", NULL },
	{ "GET", "/v1/queues/low/tasks/0123abcd", "low", "0123abcd" },
	{ "GET", "/v1/tasks/0123abcd?x", NULL, "0123abcd" },
	{ "POST", "/v1/tasks/0123abcd:retry", NULL, "0123abcd" },
	{ "GET", "/health", NULL, NULL },
	{ "GET", "/v1/queues/x/nope", NULL, NULL },
};

START_TEST(test_capture)
{
	struct route_match	m;

	route_match(capture_rows[_i].method, capture_rows[_i].path,
	    strlen(capture_rows[_i].path), &m);
	if (capture_rows[_i].queue == NULL)
		ck_assert_ptr_null(m.queue);
	else {
		ck_assert_uint_eq(m.queuelen, strlen(capture_rows[_i].queue));
		ck_assert(memcmp(m.queue, capture_rows[_i].queue,
		    m.queuelen) == 0);
	}
	if (capture_rows[_i].task == NULL)
		ck_assert_ptr_null(m.task);
	else {
		ck_assert_uint_eq(m.tasklen, strlen(capture_rows[_i].task));
		ck_assert(memcmp(m.task, capture_rows[_i].task,
		    m.tasklen) == 0);
	}
}
END_TEST

/* Query parameters: {target, name, buflen, want rc, want value}. */
static const struct {
	const char	*target;
	const char	*name;
	size_t		 buflen;
	int		 rc;
	const char	*want;
} query_rows[] = {
	{ "/x?state=dead", "state", 16, 4, "dead" },
	{ "/x?a=1&state=dead&b=2", "state", 16, 4, "dead" },
	{ "/x?states=dead", "state", 16, -1, NULL },
	{ "/x?xstate=dead", "state", 16, -1, NULL },
	{ "/x?state", "state", 16, 0, "" },
	{ "/x?state=", "state", 16, 0, "" },
	{ "/x", "state", 16, -1, NULL },
	{ "/x?", "state", 16, -1, NULL },
	{ "/x?url=%2Fa%20b+c", "url", 16, 6, "/a b c" },
	{ "/x?url=%2fA", "url", 16, 2, "/A" },
	{ "/x?url=%2", "url", 16, -2, NULL },
	{ "/x?url=%zz", "url", 16, -2, NULL },
	{ "/x?url=%00", "url", 16, -2, NULL },
	{ "/x?url=abcdef", "url", 6, -2, NULL },
	{ "/x?url=abcde", "url", 6, 5, "abcde" },
	{ "/x?url=a&url=b", "url", 6, 1, "a" },
};

START_TEST(test_query)
{
	char	buf[64];
	int	rc;

	memset(buf, 'Z', sizeof(buf));
	rc = route_query(query_rows[_i].target, strlen(query_rows[_i].target),
	    query_rows[_i].name, buf, query_rows[_i].buflen);
	ck_assert_msg(rc == query_rows[_i].rc, "%s: rc %d, want %d",
	    query_rows[_i].target, rc, query_rows[_i].rc);
	if (query_rows[_i].want != NULL)
		ck_assert_str_eq(buf, query_rows[_i].want);
	ck_assert_int_eq(route_query(NULL, 0, "x", buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(test_match)
{
	struct route_match	m;

	memset(&m, 0xa5, sizeof(m));
	route_match(match_rows[_i].method, match_rows[_i].path,
	    strlen(match_rows[_i].path), &m);
	ck_assert_msg(m.id == match_rows[_i].id && m.status ==
	    match_rows[_i].status, "%s %s: id %d status %d, want %d %d",
	    match_rows[_i].method, match_rows[_i].path, m.id, m.status,
	    match_rows[_i].id, match_rows[_i].status);
	if (match_rows[_i].allow == NULL)
		ck_assert_ptr_null(m.allow);
	else
		ck_assert_str_eq(m.allow, match_rows[_i].allow);
}
END_TEST

/* pathlen is honoured: the path need not end where the buffer does. */
static const struct {
	const char	*path;
	size_t		 len;
	enum route_id	 id;
	int		 status;
} len_rows[] = {
	{ "/healthXYZ", 7, ROUTE_HEALTH, 0 },
	{ "/health", 6, ROUTE_NONE, 404 },
	{ "/v1/enqueue", 3, ROUTE_NONE, 404 },
	{ "/health\0/x", 10, ROUTE_NONE, 404 },
	{ "/health?\0", 9, ROUTE_HEALTH, 0 },
	{ "", 0, ROUTE_NONE, 404 },
};

START_TEST(test_match_len)
{
	struct route_match	m;

	route_match("GET", len_rows[_i].path, len_rows[_i].len, &m);
	ck_assert_int_eq(m.id, len_rows[_i].id);
	ck_assert_int_eq(m.status, len_rows[_i].status);
}
END_TEST

START_TEST(test_match_null)
{
	struct route_match	m;

	route_match(NULL, "/health", 7, &m);
	ck_assert_int_eq(m.status, 404);
	route_match("GET", NULL, 0, &m);
	ck_assert_int_eq(m.status, 404);
	ck_assert_ptr_null(m.allow);
}
END_TEST

static const struct {
	int		 code;
	const char	*name;
} status_rows[] = {
	{ 400, "INVALID_ARGUMENT" }, { 401, "UNAUTHENTICATED" },
	{ 403, "PERMISSION_DENIED" }, { 404, "NOT_FOUND" },
	{ 405, "UNIMPLEMENTED" }, { 408, "DEADLINE_EXCEEDED" },
	{ 409, "FAILED_PRECONDITION" }, { 413, "INVALID_ARGUMENT" },
	{ 429, "RESOURCE_EXHAUSTED" }, { 431, "INVALID_ARGUMENT" },
	{ 500, "INTERNAL" }, { 501, "UNIMPLEMENTED" },
	{ 503, "UNAVAILABLE" }, { 504, "DEADLINE_EXCEEDED" },
	{ 200, "UNKNOWN" }, { 402, "UNKNOWN" }, { 502, "UNKNOWN" },
	{ 0, "UNKNOWN" }, { -1, "UNKNOWN" }, { 999, "UNKNOWN" },
};

START_TEST(test_status_name)
{
	ck_assert_str_eq(route_status_name(status_rows[_i].code),
	    status_rows[_i].name);
}
END_TEST

static const struct {
	int		 code;
	const char	*reason;
} reason_rows[] = {
	{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
	{ 400, "Bad Request" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
	{ 299, "Unknown" }, { 0, "Unknown" }, { -5, "Unknown" },
};

START_TEST(test_reason)
{
	ck_assert_str_eq(route_reason(reason_rows[_i].code),
	    reason_rows[_i].reason);
}
END_TEST

#define BODY(code, status, msg) \
	"{\"error\":{\"code\":" code ",\"status\":\"" status "\"," \
	"\"message\":\"" msg "\"}}"

static const struct {
	const char	*label;
	int		 code;
	const char	*message;
	const char	*want;
} error_rows[] = {
	{ "seed example", 400, "task.url: must be http or https",
	    BODY("400", "INVALID_ARGUMENT",
	    "task.url: must be http or https") },
	{ "empty", 404, "", BODY("404", "NOT_FOUND", "") },
	{ "NULL message", 500, NULL, BODY("500", "INTERNAL", "") },
	{ "unknown code", 299, "x", BODY("299", "UNKNOWN", "x") },
	{ "quote and backslash", 400, "a\"b\\c",
	    BODY("400", "INVALID_ARGUMENT", "a\\\"b\\\\c") },
	{ "short escapes", 400, "\n\t\r\b\f",
	    BODY("400", "INVALID_ARGUMENT", "\\n\\t\\r\\b\\f") },
	{ "control characters", 400, "\x01-\x1f-\x1b",
	    BODY("400", "INVALID_ARGUMENT", "\\u0001-\\u001f-\\u001b") },
	{ "slash and DEL stay", 503, "a/b\x7f",
	    BODY("503", "UNAVAILABLE", "a/b\x7f") },
	{ "UTF-8 stays", 400, "\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89",
	    BODY("400", "INVALID_ARGUMENT",
	    "\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89") },
	{ "invalid byte", 400, "a\xff" "b",
	    BODY("400", "INVALID_ARGUMENT", "a\\ufffdb") },
	{ "cut character", 400, "x\xe6\x97",
	    BODY("400", "INVALID_ARGUMENT", "x\\ufffd\\ufffd") },
	{ "overlong", 400, "\xc0\xaf",
	    BODY("400", "INVALID_ARGUMENT", "\\ufffd\\ufffd") },
	{ "surrogate", 400, "\xed\xa0\x80",
	    BODY("400", "INVALID_ARGUMENT", "\\ufffd\\ufffd\\ufffd") },
	{ "above U+10FFFF", 400, "\xf4\x90\x80\x80",
	    BODY("400", "INVALID_ARGUMENT",
	    "\\ufffd\\ufffd\\ufffd\\ufffd") },
	{ "lone continuation", 400, "\x80",
	    BODY("400", "INVALID_ARGUMENT", "\\ufffd") },
	{ "413", 413, "body: too large",
	    BODY("413", "INVALID_ARGUMENT", "body: too large") },
	{ "405", 405, "method not allowed",
	    BODY("405", "UNIMPLEMENTED", "method not allowed") },
};

START_TEST(test_error_json)
{
	char	*s;
	size_t	 len = 12345;

	s = route_error_json(error_rows[_i].code, error_rows[_i].message, &len);
	ck_assert_msg(strcmp(s, error_rows[_i].want) == 0, "%s: got %s",
	    error_rows[_i].label, s);
	ck_assert_uint_eq(len, strlen(s));
	free(s);
	/* len may be NULL. */
	s = route_error_json(error_rows[_i].code, error_rows[_i].message, NULL);
	ck_assert_str_eq(s, error_rows[_i].want);
	free(s);
}
END_TEST

/* Every byte value survives a trip through json-c (valid UTF-8 aside). */
START_TEST(test_error_json_roundtrip)
{
	struct json_object	*o, *e, *v;
	char			 msg[300], *s;
	size_t			 i, n = 0, len;

	for (i = 1; i < 128; i++)
		msg[n++] = (char)i;
	memcpy(msg + n, "\xc3\xa9\xf0\x9f\x8e\x89", 6);
	n += 6;
	msg[n] = '\0';
	s = route_error_json(429, msg, &len);
	o = json_tokener_parse(s);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "error", &e));
	ck_assert(json_object_object_get_ex(e, "code", &v));
	ck_assert_int_eq(json_object_get_int(v), 429);
	ck_assert(json_object_object_get_ex(e, "status", &v));
	ck_assert_str_eq(json_object_get_string(v), "RESOURCE_EXHAUSTED");
	ck_assert(json_object_object_get_ex(e, "message", &v));
	ck_assert_str_eq(json_object_get_string(v), msg);
	ck_assert_int_eq(json_object_object_length(o), 1);
	ck_assert_int_eq(json_object_object_length(e), 3);
	json_object_put(o);
	free(s);
}
END_TEST

/* A long message is not cut. */
START_TEST(test_error_json_long)
{
	char	*msg, *s;
	size_t	 len;

	msg = xmalloc(100001);
	memset(msg, '"', 100000);
	msg[100000] = '\0';
	s = route_error_json(400, msg, &len);
	ck_assert_uint_eq(len, strlen(BODY("400", "INVALID_ARGUMENT", "")) +
	    200000);
	free(s);
	free(msg);
}
END_TEST

static Suite *
route_suite(void)
{
	Suite	*s = suite_create("route");
	TCase	*tc;

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_match, 0, TD_NELEM(match_rows));
	tcase_add_loop_test(tc, test_match_len, 0, TD_NELEM(len_rows));
	tcase_add_test(tc, test_match_null);
	tcase_add_loop_test(tc, test_capture, 0, TD_NELEM(capture_rows));
	tcase_add_loop_test(tc, test_query, 0, TD_NELEM(query_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_status_name, 0, TD_NELEM(status_rows));
	tcase_add_loop_test(tc, test_reason, 0, TD_NELEM(reason_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("error_json");
	tcase_add_loop_test(tc, test_error_json, 0, TD_NELEM(error_rows));
	tcase_add_test(tc, test_error_json_roundtrip);
	tcase_add_test(tc, test_error_json_long);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(route_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
