/*
 * check_http.c: the llhttp glue.  Every row of the table is a byte stream
 * and the requests (or the error) it must come to.  Each row is fed whole,
 * then split in two at every byte boundary, then one byte at a time; all
 * three must give the same answer, since TCP may cut a request anywhere.
 * Then the header lookup, the response writer and a few exact byte counts.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

#define BIG	(1024 * 1024)

/*
 * want: one "METHOD target ka=K h=N b=LEN:BODY;" per request, in order,
 * then "E<status>;" on an error or "MORE;" when the stream ends inside a
 * request.
 */
static const struct {
	const char	*label;
	const char	*in;
	size_t		 max_header;
	size_t		 max_body;
	const char	*want;
} rows[] = {
	{ "simple GET",
	  "GET /health HTTP/1.1\r\nHost: a\r\n\r\n", BIG, BIG,
	  "GET /health ka=1 h=1 b=0:;" },
	{ "GET with query, raw target",
	  "GET /health?x=%20y HTTP/1.1\r\nHost: a\r\n\r\n", BIG, BIG,
	  "GET /health?x=%20y ka=1 h=1 b=0:;" },
	{ "POST with body",
	  "POST /v1/enqueue HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n"
	  "\r\nhello world", BIG, BIG,
	  "POST /v1/enqueue ka=1 h=2 b=11:hello world;" },
	{ "POST Content-Length 0",
	  "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", BIG, BIG,
	  "POST /x ka=1 h=1 b=0:;" },
	{ "pipelined 3",
	  "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
	  "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
	  "HEAD /c HTTP/1.1\r\nConnection: close\r\n\r\n", BIG, BIG,
	  "GET /a ka=1 h=1 b=0:;POST /b ka=1 h=1 b=3:xyz;"
	  "HEAD /c ka=0 h=1 b=0:;" },
	{ "pipelined, second incomplete",
	  "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nHos", BIG, BIG,
	  "GET /a ka=1 h=0 b=0:;MORE;" },
	{ "head incomplete", "GET /a HTTP/1.1\r\nHost: a\r\n", BIG, BIG,
	  "MORE;" },
	{ "body incomplete",
	  "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", BIG, BIG,
	  "MORE;" },
	{ "head exactly max_header",
	  "GET /a HTTP/1.1\r\nX-A: 0123456789\r\n\r\n", 36, BIG,
	  "GET /a ka=1 h=1 b=0:;" },
	{ "head one over max_header",
	  "GET /a HTTP/1.1\r\nX-A: 0123456789\r\n\r\n", 35, BIG,
	  "E431;" },
	{ "oversized headers",
	  "GET /a HTTP/1.1\r\nX-Long: "
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "\r\n\r\n", 64, BIG, "E431;" },
	{ "oversized request line",
	  "GET /0123456789012345678901234567890123456789 HTTP/1.1\r\n\r\n",
	  32, BIG, "E431;" },
	{ "body does not count as head",
	  "POST /a HTTP/1.1\r\nContent-Length: 40\r\n\r\n"
	  "0123456789012345678901234567890123456789", 40, BIG,
	  "POST /a ka=1 h=1 b=40:0123456789012345678901234567890123456789;" },
	{ "Content-Length exactly max_body",
	  "POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", BIG, 4,
	  "POST /a ka=1 h=1 b=4:abcd;" },
	{ "Content-Length over max_body",
	  "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", BIG, 4,
	  "E413;" },
	{ "Content-Length huge",
	  "POST /a HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", BIG, BIG,
	  "E413;" },
	{ "chunked body assembled",
	  "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", BIG, BIG,
	  "POST /a ka=1 h=1 b=11:hello world;" },
	{ "chunked with extension and trailer",
	  "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "3;x=y\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
	  BIG, BIG, "POST /a ka=1 h=1 b=3:abc;GET /b ka=1 h=0 b=0:;" },
	{ "chunked exactly max_body",
	  "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "4\r\nabcd\r\n0\r\n\r\n", BIG, 4, "POST /a ka=1 h=1 b=4:abcd;" },
	{ "chunked over max_body",
	  "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", BIG, 5, "E413;" },
	{ "chunked, one huge chunk",
	  "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "fffffff\r\nabc", BIG, BIG, "E413;" },
	{ "chunked, trailers over max_header",
	  "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "1\r\na\r\n0\r\nX-T: 0123456789012345678901234567890123456789\r\n"
	  "\r\n", 60, BIG, "E431;" },
	{ "garbage", "\x01\x02\x03 hello\r\n\r\n", BIG, BIG, "E400;" },
	{ "unknown method", "FROB / HTTP/1.1\r\n\r\n", BIG, BIG, "E400;" },
	{ "junk after version", "GET / HTTP/1.1x\r\n\r\n", BIG, BIG,
	  "E400;" },
	{ "bad version", "GET / HTTP/1.x\r\n\r\n", BIG, BIG, "E400;" },
	{ "header without colon", "GET / HTTP/1.1\r\nX-A b\r\n\r\n", BIG,
	  BIG, "E400;" },
	{ "control byte in header value",
	  "GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n", BIG, BIG, "E400;" },
	{ "space in target", "GET /a b HTTP/1.1\r\n\r\n", BIG, BIG,
	  "E400;" },
	{ "bad Content-Length",
	  "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", BIG, BIG, "E400;" },
	{ "Content-Length and chunked (smuggling)",
	  "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", BIG, BIG, "E400;" },
	{ "two Content-Lengths",
	  "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
	  "abcd", BIG, BIG, "E400;" },
	{ "good then garbage",
	  "GET /a HTTP/1.1\r\n\r\nxyz\r\n\r\n", BIG, BIG,
	  "GET /a ka=1 h=0 b=0:;E400;" },
	{ "Connection: close",
	  "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", BIG, BIG,
	  "GET / ka=0 h=1 b=0:;" },
	{ "HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", BIG, BIG,
	  "GET / ka=0 h=0 b=0:;" },
	{ "HTTP/1.0 keep-alive",
	  "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", BIG, BIG,
	  "GET / ka=1 h=1 b=0:;" },
	{ "Upgrade closes",
	  "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
	  BIG, BIG, "GET / ka=0 h=2 b=0:;" },
	{ "absolute-form target",
	  "GET http://h:8080/health HTTP/1.1\r\n\r\n", BIG, BIG,
	  "GET http://h:8080/health ka=1 h=0 b=0:;" },
};

struct result {
	char	s[1024];
};

static void
res_add(struct result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
res_add(struct result *r, const char *fmt, ...)
{
	va_list	ap;
	size_t	n = strlen(r->s);

	va_start(ap, fmt);
	vsnprintf(r->s + n, sizeof(r->s) - n, fmt, ap);
	va_end(ap);
}

/*
 * Drive a parser the way the listener does: bytes arrive in pieces
 * (cut at cuts[0..ncuts-1]), what is not consumed waits for the next
 * round, and a complete request is taken before the rest is fed.
 */
static void
run(const char *in, size_t len, size_t max_header, size_t max_body,
    const size_t *cuts, size_t ncuts, struct result *r)
{
	struct http_parser	*p = xmalloc(sizeof(*p));
	char			*pend = xmalloc(len + 1);
	size_t			 npend = 0, from = 0, to, i, used;
	enum http_state		 st = HTTP_NEED_MORE;

	r->s[0] = '\0';
	http_parser_init(p, max_header, max_body);
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		memcpy(pend + npend, in + from, to - from);
		npend += to - from;
		from = to;
		while (npend > 0) {
			st = http_parser_feed(p, pend, npend, &used);
			ck_assert_uint_le(used, npend);
			memmove(pend, pend + used, npend - used);
			npend -= used;
			if (st == HTTP_ERROR) {
				res_add(r, "E%d;", p->error_status);
				goto out;
			}
			if (st == HTTP_NEED_MORE) {
				ck_assert_uint_eq(npend, 0);
				break;
			}
			ck_assert(!http_parser_started(p));
			res_add(r, "%s %s ka=%d h=%zu b=%zu:%s;", p->req.method,
			    p->req.target, p->req.keep_alive, p->req.nheaders,
			    p->req.bodylen, p->req.body);
			ck_assert_uint_eq(strlen(p->req.target),
			    p->req.targetlen);
			http_parser_next(p);
			st = HTTP_NEED_MORE;
		}
	}
	if (st == HTTP_NEED_MORE && http_parser_started(p))
		res_add(r, "MORE;");
out:
	http_parser_free(p);
	free(p);
	free(pend);
}

START_TEST(test_whole)
{
	struct result	r;

	run(rows[_i].in, strlen(rows[_i].in), rows[_i].max_header,
	    rows[_i].max_body, NULL, 0, &r);
	ck_assert_msg(strcmp(r.s, rows[_i].want) == 0, "%s: got \"%s\", "
	    "want \"%s\"", rows[_i].label, r.s, rows[_i].want);
}
END_TEST

START_TEST(test_split)
{
	struct result	r;
	size_t		len = strlen(rows[_i].in), k;

	for (k = 1; k < len; k++) {
		run(rows[_i].in, len, rows[_i].max_header, rows[_i].max_body,
		    &k, 1, &r);
		ck_assert_msg(strcmp(r.s, rows[_i].want) == 0, "%s, split at "
		    "%zu: got \"%s\", want \"%s\"", rows[_i].label, k, r.s,
		    rows[_i].want);
	}
}
END_TEST

START_TEST(test_bytewise)
{
	struct result	 r;
	size_t		 len = strlen(rows[_i].in), k;
	size_t		*cuts = xcalloc(len, sizeof(*cuts));

	for (k = 1; k < len; k++)
		cuts[k - 1] = k;
	run(rows[_i].in, len, rows[_i].max_header, rows[_i].max_body, cuts,
	    len - 1, &r);
	ck_assert_msg(strcmp(r.s, rows[_i].want) == 0, "%s, byte by byte: "
	    "got \"%s\", want \"%s\"", rows[_i].label, r.s, rows[_i].want);
	free(cuts);
}
END_TEST

/* used stops at the exact end of each pipelined request. */
START_TEST(test_pipeline_used)
{
	static const char	 a[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char	 b[] = "POST /b HTTP/1.1\r\nContent-Length: 2"
				    "\r\n\r\nhi";
	struct http_parser	*p = xmalloc(sizeof(*p));
	char			 buf[256];
	size_t			 used;

	snprintf(buf, sizeof(buf), "%s%s", a, b);
	http_parser_init(p, BIG, BIG);
	ck_assert_int_eq(http_parser_feed(p, buf, strlen(buf), &used),
	    HTTP_GOT_REQUEST);
	ck_assert_uint_eq(used, strlen(a));
	/* Until next(), the request stays and nothing more is taken. */
	ck_assert_int_eq(http_parser_feed(p, buf + used, strlen(b), &used),
	    HTTP_GOT_REQUEST);
	ck_assert_uint_eq(used, 0);
	ck_assert_str_eq(p->req.target, "/a");
	http_parser_next(p);
	ck_assert_int_eq(http_parser_feed(p, buf + strlen(a), strlen(b),
	    &used), HTTP_GOT_REQUEST);
	ck_assert_uint_eq(used, strlen(b));
	ck_assert_str_eq(p->req.target, "/b");
	ck_assert_str_eq(p->req.body, "hi");
	http_parser_free(p);
	free(p);
}
END_TEST

/* 413 as soon as the head is in: no byte of the body is waited for. */
START_TEST(test_413_at_once)
{
	static const char	 head[] = "POST /v1/enqueue HTTP/1.1\r\n"
				    "Content-Length: 2048\r\n\r\n";
	struct http_parser	*p = xmalloc(sizeof(*p));
	size_t			 used;

	http_parser_init(p, BIG, 1024);
	ck_assert_int_eq(http_parser_feed(p, head, strlen(head), &used),
	    HTTP_ERROR);
	ck_assert_int_eq(p->error_status, 413);
	ck_assert_ptr_nonnull(p->error_reason);
	/* And it stays failed. */
	ck_assert_int_eq(http_parser_feed(p, "x", 1, &used), HTTP_ERROR);
	ck_assert_uint_eq(used, 0);
	http_parser_free(p);
	free(p);
}
END_TEST

START_TEST(test_too_many_headers)
{
	struct http_parser	*p = xmalloc(sizeof(*p));
	char			 buf[4096];
	size_t			 n, used, i, nh;

	for (nh = HTTP_HEADERS_MAX; nh <= HTTP_HEADERS_MAX + 1; nh++) {
		n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
		for (i = 0; i < nh; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "X-H%zu: v\r\n", i);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
		http_parser_init(p, BIG, BIG);
		if (nh == HTTP_HEADERS_MAX) {
			ck_assert_int_eq(http_parser_feed(p, buf, n, &used),
			    HTTP_GOT_REQUEST);
			ck_assert_uint_eq(p->req.nheaders, nh);
		} else {
			ck_assert_int_eq(http_parser_feed(p, buf, n, &used),
			    HTTP_ERROR);
			ck_assert_int_eq(p->error_status, 431);
		}
		http_parser_free(p);
	}
	free(p);
}
END_TEST

START_TEST(test_header_get)
{
	static const char	 in[] = "POST /x HTTP/1.1\r\n"
				    "Content-Type: application/json\r\n"
				    "x-request-id:   abc  \r\n"
				    "Empty:\r\n"
				    "Content-Length: 0\r\n\r\n";
	struct http_parser	*p = xmalloc(sizeof(*p));
	size_t			 used;

	http_parser_init(p, BIG, BIG);
	ck_assert_int_eq(http_parser_feed(p, in, strlen(in), &used),
	    HTTP_GOT_REQUEST);
	ck_assert_str_eq(http_header_get(&p->req, "content-type"),
	    "application/json");
	ck_assert_str_eq(http_header_get(&p->req, "CONTENT-TYPE"),
	    "application/json");
	ck_assert_str_eq(http_header_get(&p->req, "X-Request-ID"), "abc");
	ck_assert_str_eq(http_header_get(&p->req, "empty"), "");
	ck_assert_ptr_null(http_header_get(&p->req, "Content"));
	ck_assert_ptr_null(http_header_get(&p->req, "Accept"));
	/* The name as received. */
	ck_assert_str_eq(p->req.headers[1].name, "x-request-id");
	http_parser_free(p);
	free(p);
}
END_TEST

START_TEST(test_started)
{
	struct http_parser	*p = xmalloc(sizeof(*p));
	size_t			 used;

	http_parser_init(p, BIG, BIG);
	ck_assert(!http_parser_started(p));
	ck_assert_int_eq(http_parser_feed(p, "GE", 2, &used), HTTP_NEED_MORE);
	ck_assert_uint_eq(used, 2);
	ck_assert(http_parser_started(p));
	ck_assert_int_eq(http_parser_feed(p, "T / HTTP/1.1\r\n\r\n", 16, &used),
	    HTTP_GOT_REQUEST);
	ck_assert(!http_parser_started(p));
	http_parser_next(p);
	ck_assert(!http_parser_started(p));
	http_parser_free(p);
	free(p);
}
END_TEST

static const struct {
	const char	*label;
	int		 status;
	const char	*ctype;
	const char	*body;
	size_t		 bodylen;
	int		 keep_alive;
	const char	*extra;
	const char	*want;
} resp_rows[] = {
	{ "200 json keep-alive", 200, "application/json", "{\"a\":1}", 7, 1,
	  NULL, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	  "Content-Length: 7\r\nConnection: keep-alive\r\n\r\n{\"a\":1}" },
	{ "405 with Allow, close", 405, "application/json", "{}", 2, 0,
	  "Allow: POST\r\n", "HTTP/1.1 405 Method Not Allowed\r\n"
	  "Content-Type: application/json\r\nContent-Length: 2\r\n"
	  "Connection: close\r\nAllow: POST\r\n\r\n{}" },
	{ "HEAD: body NULL keeps the length", 200, "application/json", NULL,
	  15, 1, NULL, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	  "Content-Length: 15\r\nConnection: keep-alive\r\n\r\n" },
	{ "no type, no body", 204, NULL, "", 0, 1, NULL,
	  "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n"
	  "Connection: keep-alive\r\n\r\n" },
	{ "431", 431, "application/json", "x", 1, 0, NULL,
	  "HTTP/1.1 431 Request Header Fields Too Large\r\n"
	  "Content-Type: application/json\r\nContent-Length: 1\r\n"
	  "Connection: close\r\n\r\nx" },
};

START_TEST(test_response)
{
	struct http_buf	b = { 0 };

	http_buf_append(&b, "prev", 4);
	http_response(&b, resp_rows[_i].status, resp_rows[_i].ctype,
	    resp_rows[_i].body, resp_rows[_i].bodylen, resp_rows[_i].keep_alive,
	    resp_rows[_i].extra);
	ck_assert_uint_eq(b.len, 4 + strlen(resp_rows[_i].want));
	ck_assert_msg(memcmp(b.data, "prev", 4) == 0 &&
	    memcmp(b.data + 4, resp_rows[_i].want, b.len - 4) == 0,
	    "%s: got \"%.*s\"", resp_rows[_i].label, (int)b.len, b.data);
	http_buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_grows)
{
	struct http_buf	b = { 0 };
	char		chunk[1000];
	size_t		i;

	memset(chunk, 'z', sizeof(chunk));
	for (i = 0; i < 100; i++)
		http_buf_append(&b, chunk, sizeof(chunk));
	http_buf_append(&b, NULL, 0);
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_uint_ge(b.cap, b.len);
	ck_assert_int_eq(b.data[99999], 'z');
	http_buf_free(&b);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_whole, 0, TD_NELEM(rows));
	tcase_add_loop_test(tc, test_split, 0, TD_NELEM(rows));
	tcase_add_loop_test(tc, test_bytewise, 0, TD_NELEM(rows));
	tcase_add_test(tc, test_pipeline_used);
	tcase_add_test(tc, test_413_at_once);
	tcase_add_test(tc, test_too_many_headers);
	tcase_add_test(tc, test_header_get);
	tcase_add_test(tc, test_started);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_loop_test(tc, test_response, 0, TD_NELEM(resp_rows));
	tcase_add_test(tc, test_buf_grows);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(http_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
