/*
 * fuzz_http.c: the request path from bytes to a route, as the listener
 * drives it.  The input is parsed twice: fed whole, and fed in pieces cut
 * where a byte of the input says, with every complete request handed to
 * route_match() and answered with http_response().  Both runs must see
 * the same requests and the same first error: a split read never changes
 * what a request means.  Limits come from the input too, so that 413 and
 * 431 are reached without megabytes of input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "route.h"
#include "util.h"

#define RESULTS_MAX	64

/* What one request (or the error that ended the input) looked like. */
struct result {
	int		 status;	/* 0: a request, else the error */
	char		 method[16];
	uint64_t	 target;	/* FNV-1a of the bytes */
	size_t		 targetlen;
	uint64_t	 body;
	size_t		 bodylen;
	size_t		 nheaders;
	int		 keep_alive;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t	h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Look at a complete request the way the listener and the api do. */
static void
request_check(const struct http_request *req, struct result *r)
{
	struct route_match	 m;
	struct http_buf		 out = { NULL, 0, 0 };
	char			 buf[64];
	size_t			 i;

	if (req->target == NULL || req->body == NULL ||
	    req->body[req->bodylen] != '\0' ||
	    req->target[req->targetlen] != '\0' ||
	    memchr(req->method, '\0', sizeof(req->method)) == NULL ||
	    req->nheaders > HTTP_HEADERS_MAX)
		abort();
	for (i = 0; i < req->nheaders; i++)
		if (req->headers[i].name == NULL ||
		    req->headers[i].value == NULL)
			abort();
	(void)http_header_get(req, "Content-Type");
	(void)http_header_get(req, "Expect");
	route_match(req->method, req->target, req->targetlen, &m);
	if (m.status != 0 && m.status != 404 && m.status != 405)
		abort();
	if (m.status == 405 && m.allow == NULL)
		abort();
	/* {q} and {id} point into the target. */
	if ((m.queue != NULL && (m.queue < req->target ||
	    m.queue + m.queuelen > req->target + req->targetlen)) ||
	    (m.task != NULL && (m.task < req->target ||
	    m.task + m.tasklen > req->target + req->targetlen)))
		abort();
	(void)route_query(req->target, req->targetlen, "state", buf,
	    sizeof(buf));
	(void)route_query(req->target, req->targetlen, "page_token", buf,
	    sizeof(buf));
	(void)route_query(req->target, req->targetlen, "size", buf, 4);
	http_response(&out, m.status == 0 ? 200 : m.status,
	    "application/json", req->body, req->bodylen, req->keep_alive,
	    m.allow != NULL ? "Allow: GET\r\n" : NULL);
	if (out.len < req->bodylen)
		abort();
	http_buf_free(&out);

	r->status = 0;
	memcpy(r->method, req->method, sizeof(r->method));
	r->target = fnv(req->target, req->targetlen);
	r->targetlen = req->targetlen;
	r->body = fnv(req->body, req->bodylen);
	r->bodylen = req->bodylen;
	r->nheaders = req->nheaders;
	r->keep_alive = req->keep_alive;
}

/*
 * Input with two faults, a syntax error and a limit crossed, may be
 * refused for either, depending on which bytes llhttp has seen when: a
 * span is reported at the end of each piece, so its bytes count against
 * the limit before the byte that makes it invalid is looked at.
 */
static int
same_fault(const struct result *a, const struct result *b)
{
	if (a->status == 0 || b->status == 0)
		return 0;
	return a->status == 400 || b->status == 400;
}

/*
 * Parse data as a connection would receive it, in pieces of at most
 * step bytes (0: all at once; step varies with seed).  Returns how many
 * results were written.
 */
static size_t
parse(const char *data, size_t len, size_t max_header, size_t max_body,
    unsigned step, uint32_t seed, struct result *res)
{
	struct http_parser	*p;
	enum http_state		 st;
	size_t			 off = 0, avail = 0, used, nres = 0, piece;

	/* llhttp keeps a pointer into p: a heap object, as in the listener. */
	p = xcalloc(1, sizeof(*p));
	http_parser_init(p, max_header, max_body);
	while (off < len && nres < RESULTS_MAX) {
		/* The bytes that have "arrived": [off, off + avail). */
		if (avail == 0 || off + avail < len) {
			piece = step == 0 ? len - off - avail :
			    1 + ((seed = seed * 1103515245 + 12345) >> 16) %
			    step;
			avail = TD_MIN(avail + piece, len - off);
		}
		st = http_parser_feed(p, data + off, avail, &used);
		if (used > avail)
			abort();
		off += used;
		avail -= used;
		if (st == HTTP_ERROR) {
			if (p->error_status != 400 && p->error_status != 413 &&
			    p->error_status != 431)
				abort();
			memset(&res[nres], 0, sizeof(res[nres]));
			res[nres++].status = p->error_status;
			break;
		}
		if (st == HTTP_GOT_REQUEST) {
			memset(&res[nres], 0, sizeof(res[nres]));
			request_check(&p->req, &res[nres++]);
			http_parser_next(p);
			continue;
		}
		/* NEED_MORE consumed everything it was given. */
		if (avail != 0)
			abort();
		if (off + avail >= len)
			break;
	}
	http_parser_free(p);
	free(p);
	return nres;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result	 whole[RESULTS_MAX], split[RESULTS_MAX];
	size_t			 nw, ns, max_header, max_body, i;
	unsigned		 step;

	if (size < 2)
		return 0;
	/* Byte 0: the limits, small or the defaults; byte 1: the pieces. */
	max_header = (data[0] & 0x0f) == 0 ? 16384 : 16 * (data[0] & 0x0f);
	max_body = (data[0] >> 4) == 0 ? 1048576 : 8 * (data[0] >> 4);
	step = data[1] == 0 ? 1 : data[1];
	data += 2;
	size -= 2;

	nw = parse((const char *)data, size, max_header, max_body, 0, 0,
	    whole);
	ns = parse((const char *)data, size, max_header, max_body, step,
	    step, split);
	if (nw != ns)
		abort();
	for (i = 0; i < nw; i++)
		if (memcmp(&whole[i], &split[i], sizeof(whole[i])) != 0 &&
		    !same_fault(&whole[i], &split[i]))
			abort();
	return 0;
}
