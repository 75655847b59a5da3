/*
 * check_dashroute.c: the dashboard's pure half.  Route matching under "/"
 * and a sub-path (every route, 301, 404, 405, the rewritten API target),
 * cookie parsing, session tokens (made, parsed, checked: expiry, another
 * key, another credential, tampering), header globs and the masking of
 * task JSON.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dashroute.h"
#include "util.h"

static const struct {
	const char	*base, *method, *target;
	enum dash_route	 id;
	int		 status;
	const char	*name;		/* DASH_ASSET */
	const char	*api;		/* DASH_API: the forwarded target */
	int		 tasks;
} rows[] = {
	{ "/", "GET", "/", DASH_ASSET, 0, "index.html", NULL, 0 },
	{ "/", "HEAD", "/", DASH_ASSET, 0, "index.html", NULL, 0 },
	{ "/", "GET", "/?x=1", DASH_ASSET, 0, "index.html", NULL, 0 },
	{ "/", "GET", "/app.js", DASH_ASSET, 0, "app.js", NULL, 0 },
	{ "/", "GET", "/app.css?v=2", DASH_ASSET, 0, "app.css", NULL, 0 },
	{ "/", "GET", "/favicon.svg", DASH_ASSET, 0, "favicon.svg", NULL, 0 },
	{ "/", "POST", "/app.js", DASH_ASSET, 405, "app.js", NULL, 0 },
	{ "/", "GET", "/api/session", DASH_SESSION, 0, NULL, NULL, 0 },
	{ "/", "HEAD", "/api/session", DASH_SESSION, 0, NULL, NULL, 0 },
	{ "/", "POST", "/api/session", DASH_SESSION, 405, NULL, NULL, 0 },
	{ "/", "POST", "/api/login", DASH_LOGIN, 0, NULL, NULL, 0 },
	{ "/", "GET", "/api/login", DASH_LOGIN, 405, NULL, NULL, 0 },
	{ "/", "POST", "/api/logout", DASH_LOGOUT, 0, NULL, NULL, 0 },
	{ "/", "DELETE", "/api/logout", DASH_LOGOUT, 405, NULL, NULL, 0 },
	{ "/", "GET", "/api/v1/queues", DASH_API, 0, NULL, "/v1/queues", 0 },
	{ "/", "GET", "/api/v1/queues/q/tasks?state=dead&url=a%2Fb",
	    DASH_API, 0, NULL, "/v1/queues/q/tasks?state=dead&url=a%2Fb", 1 },
	{ "/", "GET", "/api/v1/tasks/abc", DASH_API, 0, NULL,
	    "/v1/tasks/abc", 1 },
	{ "/", "POST", "/api/v1/tasks/abc:retry", DASH_API, 0, NULL,
	    "/v1/tasks/abc:retry", 1 },
	{ "/", "POST", "/api/v1/queues/q/tasks:delete", DASH_API, 0, NULL,
	    "/v1/queues/q/tasks:delete", 1 },
	{ "/", "POST", "/api/v1/queues/tasks:pause", DASH_API, 0, NULL,
	    "/v1/queues/tasks:pause", 1 },
	{ "/", "GET", "/api/v1/queues/mytasks", DASH_API, 0, NULL,
	    "/v1/queues/mytasks", 0 },
	{ "/", "GET", "/api/v1/stats", DASH_API, 0, NULL, "/v1/stats", 0 },
	{ "/", "PUT", "/api/v1/x", DASH_API, 0, NULL, "/v1/x", 0 },

	/* Under a sub-path. */
	{ "/tasks/", "GET", "/tasks/", DASH_ASSET, 0, "index.html", NULL, 0 },
	{ "/tasks/", "GET", "/tasks", DASH_REDIRECT, 301, NULL, NULL, 0 },
	{ "/tasks/", "GET", "/tasks?a=b", DASH_REDIRECT, 301, NULL, NULL, 0 },
	{ "/tasks/", "POST", "/tasks", DASH_REDIRECT, 405, NULL, NULL, 0 },
	{ "/tasks/", "GET", "/tasks/app.js", DASH_ASSET, 0, "app.js", NULL,
	    0 },
	{ "/tasks/", "GET", "/tasks/api/v1/stats?x", DASH_API, 0, NULL,
	    "/v1/stats?x", 0 },
	{ "/a/b/", "POST", "/a/b/api/login", DASH_LOGIN, 0, NULL, NULL, 0 },
	{ "/a/b/", "GET", "/a/b", DASH_REDIRECT, 301, NULL, NULL, 0 },

	/* Not ours: 404. */
	{ "/tasks/", "GET", "/", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/tasks/", "GET", "/app.js", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/tasks/", "GET", "/tasksx/", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/tasks/", "GET", "/task", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/api", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/api/", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/api/v1", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/api/v2/projects/p", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/api/sessionx", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/health", DASH_ASSET, 0, "health", NULL, 0 },
	{ "/", "GET", "/v1/queues", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/a/b.js", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/../etc/passwd", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "*", DASH_NONE, 404, NULL, NULL, 0 },
	/* Ways around base_path or into other routes: none. */
	{ "/tasks/", "GET", "/tasks/../api/v1/stats", DASH_NONE, 404, NULL,
	    NULL, 0 },
	{ "/tasks/", "GET", "/tasks//api/v1/stats", DASH_NONE, 404, NULL,
	    NULL, 0 },
	{ "/tasks/", "GET", "/tasks/%61pi/v1/stats", DASH_NONE, 404, NULL,
	    NULL, 0 },
	{ "/tasks/", "GET", "/tasks/api%2Fv1/stats", DASH_NONE, 404, NULL,
	    NULL, 0 },
	{ "/tasks/", "GET", "/tasksX/api/v1/stats", DASH_NONE, 404, NULL,
	    NULL, 0 },
	{ "/tasks/", "GET", "/TASKS/api/v1/stats", DASH_NONE, 404, NULL,
	    NULL, 0 },
	{ "/tasks/", "GET", "http://h/tasks/api/v1/stats", DASH_NONE, 404,
	    NULL, NULL, 0 },
	{ "/tasks/", "GET", "/api/v1/stats", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/tasks/", "GET", "/tasks/api/v1/stats/../../../v2", DASH_API, 0,
	    NULL, "/v1/stats/../../../v2", 0 },
	{ "/", "GET", "/api/V1/stats", DASH_NONE, 404, NULL, NULL, 0 },
	{ "/", "GET", "/api/v1%2Fstats", DASH_NONE, 404, NULL, NULL, 0 },
};

START_TEST(test_match)
{
	struct dash_match	m;
	const char		*t = rows[_i].target;

	ck_assert_int_eq(dashroute_match(rows[_i].base, rows[_i].method, t,
	    strlen(t), &m), rows[_i].id);
	ck_assert_msg(m.status == rows[_i].status, "%s %s: status %d",
	    rows[_i].method, t, m.status);
	if (rows[_i].name != NULL)
		ck_assert_str_eq(m.name, rows[_i].name);
	if (rows[_i].api != NULL) {
		ck_assert_ptr_nonnull(m.target);
		ck_assert_str_eq(m.target, rows[_i].api);
		ck_assert_uint_eq(m.targetlen, strlen(rows[_i].api));
		ck_assert_msg(m.tasks == rows[_i].tasks, "%s: tasks %d", t,
		    m.tasks);
	} else
		ck_assert_ptr_null(m.target);
	if (m.status == 405)
		ck_assert_ptr_nonnull(m.allow);
	free(m.target);
}
END_TEST

START_TEST(test_mutating)
{
	ck_assert_int_eq(dashroute_mutating("GET"), 0);
	ck_assert_int_eq(dashroute_mutating("HEAD"), 0);
	ck_assert_int_eq(dashroute_mutating("POST"), 1);
	ck_assert_int_eq(dashroute_mutating("DELETE"), 1);
	ck_assert_int_eq(dashroute_mutating("get"), 1);
}
END_TEST

static const struct {
	const char	*header;
	const char	*want;		/* NULL: -1 */
} cookies[] = {
	{ "td_session=abc", "abc" },
	{ "a=1; td_session=abc; b=2", "abc" },
	{ "a=1;td_session=abc", "abc" },
	{ "td_session=abc ", "abc" },
	{ "xtd_session=abc", NULL },
	{ "td_sessionx=abc", NULL },
	{ "td_session=", NULL },
	{ "td_session", NULL },
	{ "", NULL },
	{ "a=td_session=abc", NULL },
};

START_TEST(test_cookie)
{
	char	out[32];
	int	rv;

	rv = dashroute_cookie(cookies[_i].header, "td_session", out,
	    sizeof(out));
	if (cookies[_i].want == NULL)
		ck_assert_msg(rv == -1, "\"%s\"", cookies[_i].header);
	else {
		ck_assert_int_eq(rv, 0);
		ck_assert_str_eq(out, cookies[_i].want);
	}
}
END_TEST

START_TEST(test_cookie_too_long)
{
	char	out[4];

	ck_assert_int_eq(dashroute_cookie("td_session=abcd", "td_session",
	    out, sizeof(out)), -1);
	ck_assert_int_eq(dashroute_cookie("td_session=abc", "td_session",
	    out, sizeof(out)), 0);
}
END_TEST

/* Two keys that differ in the last byte only. */
static const unsigned char key1[DASH_KEY_LEN] =
    "0123456789abcdef0123456789abcde";
static const unsigned char key2[DASH_KEY_LEN] =
    "0123456789abcdef0123456789abcdX";

START_TEST(test_session)
{
	char		tok[DASH_TOKEN_MAX], bad[DASH_TOKEN_MAX];
	char		user[TD_USER_MAX];
	uint64_t	exp;
	size_t		n;

	ck_assert_int_eq(dashroute_session_make(key1, "al.ice", 1000,
	    "$6$salt$hash", tok, sizeof(tok)), 0);
	ck_assert_int_eq(strncmp(tok, "al.ice.1000.", 12), 0);
	ck_assert_uint_eq(strlen(tok), 12 + 64);
	ck_assert_int_eq(dashroute_session_parse(tok, user, sizeof(user),
	    &exp), 0);
	ck_assert_str_eq(user, "al.ice");
	ck_assert_uint_eq(exp, 1000);
	/* Valid until its expiry, with its key and credential only. */
	ck_assert_int_eq(dashroute_session_check(key1, tok, "$6$salt$hash",
	    999), 1);
	ck_assert_int_eq(dashroute_session_check(key1, tok, "$6$salt$hash",
	    1000), 0);
	ck_assert_int_eq(dashroute_session_check(key2, tok, "$6$salt$hash",
	    999), 0);
	ck_assert_int_eq(dashroute_session_check(key1, tok, "$6$salt$other",
	    999), 0);
	/* Tampering with any part. */
	util_strlcpy(bad, tok, sizeof(bad));
	bad[0] = 'b';
	ck_assert_int_eq(dashroute_session_check(key1, bad, "$6$salt$hash",
	    999), 0);
	util_strlcpy(bad, tok, sizeof(bad));
	bad[7] = '9';
	ck_assert_int_eq(dashroute_session_check(key1, bad, "$6$salt$hash",
	    999), 0);
	util_strlcpy(bad, tok, sizeof(bad));
	n = strlen(bad);
	bad[n - 1] = bad[n - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(dashroute_session_check(key1, bad, "$6$salt$hash",
	    999), 0);
	/* Deterministic: the same inputs, the same token. */
	ck_assert_int_eq(dashroute_session_make(key1, "al.ice", 1000,
	    "$6$salt$hash", bad, sizeof(bad)), 0);
	ck_assert_str_eq(bad, tok);
	/* Too small, or a name no cookie can carry. */
	ck_assert_int_eq(dashroute_session_make(key1, "al.ice", 1000, "c",
	    bad, 20), -1);
	ck_assert_int_eq(dashroute_session_make(key1, "a;b", 1000, "c", bad,
	    sizeof(bad)), -1);
	ck_assert_int_eq(dashroute_session_make(key1, "", 1000, "c", bad,
	    sizeof(bad)), -1);
}
END_TEST

#define Z16	"0000000000000000"
#define Z64	Z16 Z16 Z16 Z16		/* a MAC's length of hex */

static const char *const badtokens[] = {
	"", ".", "..", "a..", "a.1.", ".1." Z64,
	"a.x." Z64,			/* expiry not a number */
	"a.1." Z16 Z16 Z16 "000000000000000",	/* MAC one short */
	"a.1." Z64 "0",			/* one long */
	"a.1." Z16 Z16 Z16 "000000000000000G",	/* not hex */
	"a.1." Z16 Z16 Z16 "000000000000000A",	/* not lower case */
	"a b.1." Z64,			/* a name no cookie carries */
	"a.12345678901234567890." Z64,	/* expiry overflows */
	"a.1",
	"a.." Z64,
};

START_TEST(test_session_parse_bad)
{
	char		user[TD_USER_MAX];
	uint64_t	exp;

	ck_assert_msg(dashroute_session_parse(badtokens[_i], user,
	    sizeof(user), &exp) == -1, "\"%s\"", badtokens[_i]);
	ck_assert_int_eq(dashroute_session_check(key1, badtokens[_i], "c", 0),
	    0);
}
END_TEST

static const char globs[][TD_DASH_GLOB_MAX] = {
	"proxy-authorization", "x-api-key", "*token*", "*secret*",
	"x-custom-?",
};

static const struct {
	const char	*name;
	int		 secret;
} hdrs[] = {
	{ "Authorization", 1 }, { "authorization", 1 }, { "COOKIE", 1 },
	{ "Proxy-Authorization", 1 }, { "X-Api-Key", 1 },
	{ "X-Refresh-Token", 1 }, { "token", 1 }, { "Client-Secret-Id", 1 },
	{ "X-Custom-A", 1 }, { "X-Custom-AB", 0 }, { "Content-Type", 0 },
	{ "X-Api-Keys", 0 }, { "Set-Cookie", 0 }, { "", 0 },
};

START_TEST(test_header_secret)
{
	ck_assert_msg(dashroute_header_secret(hdrs[_i].name, globs,
	    (int)TD_NELEM(globs)) == hdrs[_i].secret, "%s", hdrs[_i].name);
}
END_TEST

START_TEST(test_header_secret_no_globs)
{
	ck_assert_int_eq(dashroute_header_secret("Cookie", NULL, 0), 1);
	ck_assert_int_eq(dashroute_header_secret("X-Api-Key", NULL, 0), 0);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;		/* NULL: nothing to mask */
	int		 rc;		/* -1 not JSON, else how many */
} docs[] = {
	{ "{\"id\":\"t\",\"headers\":{\"Authorization\":\"Bearer x\","
	    "\"Content-Type\":\"a/b\"},\"body\":\"Cookie\"}",
	    "{\"id\":\"t\",\"headers\":{\"Authorization\":\"<redacted>\","
	    "\"Content-Type\":\"a/b\"},\"body\":\"Cookie\"}", 1 },
	{ "{\"tasks\":[{\"headers\":{\"X-My-Token\":\"s\"}},{\"headers\":{}},"
	    "{\"id\":1}],\"next_page_token\":\"2\"}",
	    "{\"tasks\":[{\"headers\":{\"X-My-Token\":\"<redacted>\"}},"
	    "{\"headers\":{}},{\"id\":1}],\"next_page_token\":\"2\"}", 1 },
	{ "{\"task\":{\"headers\":{\"cookie\":[1,2]}}}",
	    "{\"task\":{\"headers\":{\"cookie\":\"<redacted>\"}}}", 1 },
	/* Any case, and as deep as json-c goes. */
	{ "{\"headers\":{\"AUTHORIZATION\":\"a\",\"x-API-key\":\"b\","
	    "\"My-SECRET-thing\":\"c\"}}\n",
	    "{\"headers\":{\"AUTHORIZATION\":\"<redacted>\","
	    "\"x-API-key\":\"<redacted>\",\"My-SECRET-thing\":"
	    "\"<redacted>\"}}", 3 },
	{ "{\"a\":[{\"b\":[{\"c\":[{\"d\":[{\"e\":{\"headers\":"
	    "{\"Cookie\":\"c\"}}}]}]}]}]}",
	    "{\"a\":[{\"b\":[{\"c\":[{\"d\":[{\"e\":{\"headers\":"
	    "{\"Cookie\":\"<redacted>\"}}}]}]}]}]}", 1 },
	{ "{\"headers\":{\"Content-Type\":\"a/b\"}}", NULL, 0 },
	{ "{\"headers\":\"Authorization\"}", NULL, 0 },
	{ "{\"stats\":{\"pending\":1}}", NULL, 0 },
	{ "[]", NULL, 0 },
	{ "not json", NULL, -1 },
	{ "", NULL, -1 },
	/* Only one whole document is masked: trailing bytes are not JSON. */
	{ "{\"headers\":{\"Cookie\":\"c\"}} {\"headers\":{\"Cookie\":1}}",
	    NULL, -1 },
	{ "{\"headers\":{\"Cookie\":\"c\"}", NULL, -1 },
};

START_TEST(test_redact)
{
	char	*out;
	size_t	 len = 0;
	int	 rc;

	rc = dashroute_redact(docs[_i].in, strlen(docs[_i].in), globs,
	    (int)TD_NELEM(globs), &out, &len);
	ck_assert_int_eq(rc, docs[_i].rc);
	if (docs[_i].want == NULL) {
		ck_assert_msg(out == NULL, "%s -> %s", docs[_i].in, out);
		return;
	}
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, docs[_i].want);
	ck_assert_uint_eq(len, strlen(docs[_i].want));
	free(out);
}
END_TEST

/* A header value with a NUL or a quote survives the round trip. */
START_TEST(test_redact_keeps_others)
{
	static const char	in[] = "{\"headers\":{\"Cookie\":\"c\","
	    "\"X-Q\":\"a\\\"b\\u0000c\"}}";
	char			*out;
	size_t			 len;

	ck_assert_int_eq(dashroute_redact(in, sizeof(in) - 1, globs, 0, &out,
	    &len), 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, "{\"headers\":{\"Cookie\":\"<redacted>\","
	    "\"X-Q\":\"a\\\"b\\u0000c\"}}");
	free(out);
}
END_TEST

/* Full at first, then rate a second, never more than burst. */
START_TEST(test_bucket)
{
	struct dash_bucket	b;
	int			i, n;

	memset(&b, 0, sizeof(b));
	for (n = 0; dashroute_bucket_take(&b, 1000, 5, 20); n++)
		ck_assert_int_lt(n, 100);
	ck_assert_int_eq(n, 20);
	/* 199 ms: not yet one token; 200 ms: one. */
	ck_assert_int_eq(dashroute_bucket_take(&b, 1199, 5, 20), 0);
	ck_assert_int_eq(dashroute_bucket_take(&b, 1200, 5, 20), 1);
	ck_assert_int_eq(dashroute_bucket_take(&b, 1200, 5, 20), 0);
	/* An hour idle: burst again, not 18000. */
	for (n = 0; dashroute_bucket_take(&b, 3601200, 5, 20); n++)
		ck_assert_int_lt(n, 100);
	ck_assert_int_eq(n, 20);
	/* The clock going back does not lock everyone out. */
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(dashroute_bucket_take(&b, 10, 5, 20), 1);
}
END_TEST

START_TEST(test_host_ok)
{
	static const char	allowed[][TD_DASH_HOST_MAX] = {
		"tasks.example.com", "10.0.0.1:8081"
	};

	/* Open: only localhost and IP literals, any port. */
	ck_assert_int_eq(dashroute_host_ok("127.0.0.1:8081", NULL, 0, 1), 1);
	ck_assert_int_eq(dashroute_host_ok("localhost", NULL, 0, 1), 1);
	ck_assert_int_eq(dashroute_host_ok("LocalHost:80", NULL, 0, 1), 1);
	ck_assert_int_eq(dashroute_host_ok("[::1]:8081", NULL, 0, 1), 1);
	ck_assert_int_eq(dashroute_host_ok("192.0.2.7", NULL, 0, 1), 1);
	ck_assert_int_eq(dashroute_host_ok("evil.example:8081", NULL, 0, 1),
	    0);
	ck_assert_int_eq(dashroute_host_ok("localhost.evil.example", NULL, 0,
	    1), 0);
	ck_assert_int_eq(dashroute_host_ok("127.0.0.1.nip.io", NULL, 0, 1), 0);
	ck_assert_int_eq(dashroute_host_ok("[::1", NULL, 0, 1), 0);
	ck_assert_int_eq(dashroute_host_ok("[nope]", NULL, 0, 1), 0);
	ck_assert_int_eq(dashroute_host_ok("127.0.0.1:80x", NULL, 0, 1), 0);
	ck_assert_int_eq(dashroute_host_ok(NULL, NULL, 0, 1), 0);
	ck_assert_int_eq(dashroute_host_ok("", NULL, 0, 1), 0);
	/* With a login and no list: any host. */
	ck_assert_int_eq(dashroute_host_ok("evil.example", NULL, 0, 0), 1);
	ck_assert_int_eq(dashroute_host_ok(NULL, NULL, 0, 0), 1);
	/* A list: only its entries, by whole Host or by name. */
	ck_assert_int_eq(dashroute_host_ok("Tasks.Example.com", allowed, 2,
	    1), 1);
	ck_assert_int_eq(dashroute_host_ok("tasks.example.com:443", allowed,
	    2, 0), 1);
	ck_assert_int_eq(dashroute_host_ok("10.0.0.1:8081", allowed, 2, 1), 1);
	ck_assert_int_eq(dashroute_host_ok("10.0.0.1:9999", allowed, 2, 1), 0);
	ck_assert_int_eq(dashroute_host_ok("127.0.0.1", allowed, 2, 1), 0);
	ck_assert_int_eq(dashroute_host_ok(NULL, allowed, 2, 0), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("dashroute");
	TCase	*tc = tcase_create("dashroute");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_match, 0, (int)TD_NELEM(rows));
	tcase_add_test(tc, test_mutating);
	tcase_add_loop_test(tc, test_cookie, 0, (int)TD_NELEM(cookies));
	tcase_add_test(tc, test_cookie_too_long);
	tcase_add_test(tc, test_session);
	tcase_add_loop_test(tc, test_session_parse_bad, 0,
	    (int)TD_NELEM(badtokens));
	tcase_add_loop_test(tc, test_header_secret, 0, (int)TD_NELEM(hdrs));
	tcase_add_test(tc, test_header_secret_no_globs);
	tcase_add_loop_test(tc, test_redact, 0, (int)TD_NELEM(docs));
	tcase_add_test(tc, test_redact_keeps_others);
	tcase_add_test(tc, test_bucket);
	tcase_add_test(tc, test_host_ok);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
