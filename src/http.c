/*
 * http.c: llhttp glue on byte buffers, and the response writer.
 *
 * The parser is told about its limits as it goes: while the request line
 * and headers are being read it is never fed more than what is left of
 * max_header, so an oversized head is refused without being buffered; a
 * Content-Length over max_body is refused when the headers end, before any
 * of the body is read; a chunked body is counted chunk by chunk.
 *
 * Pipelining: on_message_complete pauses llhttp, so llhttp_execute()
 * returns at the exact end of the message and the caller learns how many
 * bytes belonged to it.  http_parser_next() resumes the parser for the
 * bytes that follow.  on_headers_complete pauses too, so that the bytes
 * of the head are counted exactly (trailers count against the same
 * max_header); http_parser_feed() resumes that pause itself.
 *
 * HEAD: http_response() with body NULL writes the headers only, with
 * Content-Length still saying bodylen, which is what a HEAD answer needs
 * (RFC 9110 section 9.3.2).  The listener uses that; nothing here knows
 * the method of the request being answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "route.h"
#include "util.h"

static int	on_message_begin(llhttp_t *);
static int	on_url(llhttp_t *, const char *, size_t);
static int	on_header_field(llhttp_t *, const char *, size_t);
static int	on_header_value(llhttp_t *, const char *, size_t);
static int	on_header_field_complete(llhttp_t *);
static int	on_header_value_complete(llhttp_t *);
static int	on_headers_complete(llhttp_t *);
static int	on_chunk_header(llhttp_t *);
static int	on_body(llhttp_t *, const char *, size_t);
static int	on_message_complete(llhttp_t *);
static int	fail(struct http_parser *, int, const char *);
static int	trailer_bytes(struct http_parser *, size_t);
static void	grow_append(char **, size_t *, const char *, size_t);
static void	request_clear(struct http_request *);

void
http_parser_init(struct http_parser *p, size_t max_header, size_t max_body)
{
	memset(p, 0, sizeof(*p));
	p->max_header = max_header;
	p->max_body = max_body;
	p->in_headers = 1;
	llhttp_settings_init(&p->settings);
	p->settings.on_message_begin = on_message_begin;
	p->settings.on_url = on_url;
	p->settings.on_header_field = on_header_field;
	p->settings.on_header_value = on_header_value;
	p->settings.on_header_field_complete = on_header_field_complete;
	p->settings.on_header_value_complete = on_header_value_complete;
	p->settings.on_headers_complete = on_headers_complete;
	p->settings.on_chunk_header = on_chunk_header;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	/* llhttp keeps a pointer to settings: p must not move from here on. */
	llhttp_init(&p->parser, HTTP_REQUEST, &p->settings);
	p->parser.data = p;
}

enum http_state
http_parser_feed(struct http_parser *p, const char *data, size_t len,
    size_t *used)
{
	llhttp_errno_t	 e;
	size_t		 off = 0, n, room, consumed;
	int		 was_head, again = 0;

	*used = 0;
	if (p->error_status != 0)
		return HTTP_ERROR;
	if (p->done)
		return HTTP_GOT_REQUEST;
	/* again: llhttp paused at the end of the head and owes us a call. */
	while (off < len || again) {
		n = len - off;
		again = 0;
		was_head = p->in_headers;
		if (was_head) {
			/* Never hand llhttp more head than the limit allows. */
			room = p->max_header > p->header_bytes ?
			    p->max_header - p->header_bytes : 0;
			if (room == 0) {
				fail(p, 431, "request header fields too large");
				*used = off;
				return HTTP_ERROR;
			}
			n = TD_MIN(n, room);
		}
		e = llhttp_execute(&p->parser, data + off, n);
		if (e == HPE_OK)
			consumed = n;
		else if (e == HPE_PAUSED) {
			consumed = (size_t)(llhttp_get_error_pos(&p->parser) -
			    (data + off));
			if (!p->done) {
				llhttp_resume(&p->parser);
				again = 1;
			}
		} else {
			if (p->error_status == 0)
				fail(p, 400, e == HPE_PAUSED_UPGRADE ||
				    e == HPE_PAUSED_H2_UPGRADE ?
				    "protocol upgrade not supported" :
				    llhttp_get_error_reason(&p->parser));
			*used = off;
			return HTTP_ERROR;
		}
		/* Exact: a call that starts in the head stops at its end. */
		if (was_head)
			p->header_bytes += consumed;
		off += consumed;
		if (p->done) {
			*used = off;
			return HTTP_GOT_REQUEST;
		}
	}
	*used = off;
	return HTTP_NEED_MORE;
}

int
http_parser_started(const struct http_parser *p)
{
	return p->header_bytes > 0 && !p->done;
}

void
http_parser_next(struct http_parser *p)
{
	request_clear(&p->req);
	free(p->cur_name);
	free(p->cur_value);
	p->cur_name = p->cur_value = NULL;
	p->cur_namelen = p->cur_valuelen = 0;
	p->last_was_value = 0;
	p->header_bytes = 0;
	p->bodycap = 0;
	p->in_headers = 1;
	if (p->error_status != 0) {
		/* llhttp keeps failing after an error until it is reset. */
		p->error_status = 0;
		p->error_reason = NULL;
		p->done = 0;
		llhttp_init(&p->parser, HTTP_REQUEST, &p->settings);
		p->parser.data = p;
		return;
	}
	if (p->done) {
		p->done = 0;
		llhttp_resume(&p->parser);
	}
}

void
http_parser_free(struct http_parser *p)
{
	request_clear(&p->req);
	free(p->cur_name);
	free(p->cur_value);
	p->cur_name = p->cur_value = NULL;
}

const char *
http_header_get(const struct http_request *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

void
http_buf_append(struct http_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (b->len + len > b->cap) {
		size_t	cap = b->cap ? b->cap : 512;

		while (cap < b->len + len)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void
http_buf_free(struct http_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* body NULL: the headers only, Content-Length still bodylen (HEAD). */
void
http_response(struct http_buf *b, int status, const char *ctype,
    const char *body, size_t bodylen, int keep_alive, const char *extra)
{
	const char	*reason = route_reason(status);
	char		 num[24];

	/* Appends, not printf: this is every request's answer. */
	http_buf_append(b, "HTTP/1.1 ", 9);
	http_buf_append(b, num, util_decimal(num, (unsigned long long)
	    (status > 0 ? status : 0)));
	http_buf_append(b, " ", 1);
	http_buf_append(b, reason, strlen(reason));
	http_buf_append(b, "\r\n", 2);
	if (ctype != NULL) {
		http_buf_append(b, "Content-Type: ", 14);
		http_buf_append(b, ctype, strlen(ctype));
		http_buf_append(b, "\r\n", 2);
	}
	http_buf_append(b, "Content-Length: ", 16);
	http_buf_append(b, num, util_decimal(num, bodylen));
	if (keep_alive)
		http_buf_append(b, "\r\nConnection: keep-alive\r\n", 26);
	else
		http_buf_append(b, "\r\nConnection: close\r\n", 21);
	if (extra != NULL)
		http_buf_append(b, extra, strlen(extra));
	http_buf_append(b, "\r\n", 2);
	if (body != NULL)
		http_buf_append(b, body, bodylen);
}

/*
 * The llhttp callbacks.  Each returns 0 to go on; fail() records our own
 * status and returns an error code that stops llhttp.
 */
static int
fail(struct http_parser *p, int status, const char *reason)
{
	p->error_status = status;
	p->error_reason = reason != NULL && *reason != '\0' ? reason :
	    "bad request";
	return HPE_USER;
}

static int
on_message_begin(llhttp_t *lp)
{
	struct http_parser	*p = lp->data;

	p->in_headers = 1;
	return 0;
}

static int
on_url(llhttp_t *lp, const char *at, size_t len)
{
	struct http_parser	*p = lp->data;

	grow_append(&p->req.target, &p->req.targetlen, at, len);
	return 0;
}

static int
on_header_field(llhttp_t *lp, const char *at, size_t len)
{
	struct http_parser	*p = lp->data;

	if (!p->in_headers)
		return trailer_bytes(p, len);
	grow_append(&p->cur_name, &p->cur_namelen, at, len);
	p->last_was_value = 0;
	return 0;
}

static int
on_header_value(llhttp_t *lp, const char *at, size_t len)
{
	struct http_parser	*p = lp->data;

	if (!p->in_headers)
		return trailer_bytes(p, len);
	grow_append(&p->cur_value, &p->cur_valuelen, at, len);
	p->last_was_value = 1;
	return 0;
}

/*
 * Trailers of a chunked body are read and dropped; they are bounded by
 * max_header like the head, so they cannot grow without limit.
 */
static int
trailer_bytes(struct http_parser *p, size_t len)
{
	p->header_bytes += len;
	if (p->header_bytes > p->max_header)
		return fail(p, 431, "request trailer fields too large");
	return 0;
}

static int
on_header_field_complete(llhttp_t *lp)
{
	struct http_parser	*p = lp->data;

	if (p->in_headers && p->req.nheaders == HTTP_HEADERS_MAX)
		return fail(p, 431, "too many request header fields");
	return 0;
}

static int
on_header_value_complete(llhttp_t *lp)
{
	struct http_parser	*p = lp->data;
	struct http_header	*h;
	size_t			 n = p->cur_valuelen;

	if (!p->in_headers)
		return 0;
	/* llhttp drops leading whitespace; trailing whitespace is ours. */
	while (n > 0 && (p->cur_value[n - 1] == ' ' ||
	    p->cur_value[n - 1] == '\t'))
		n--;
	h = &p->req.headers[p->req.nheaders++];
	h->name = p->cur_name != NULL ? p->cur_name : xstrdup("");
	h->value = xstrndup(p->cur_value != NULL ? p->cur_value : "", n);
	free(p->cur_value);
	p->cur_name = p->cur_value = NULL;
	p->cur_namelen = p->cur_valuelen = 0;
	return 0;
}

static int
on_headers_complete(llhttp_t *lp)
{
	struct http_parser	*p = lp->data;
	const char		*m;

	p->in_headers = 0;
	m = llhttp_method_name((llhttp_method_t)lp->method);
	if (strlen(m) >= sizeof(p->req.method))
		return fail(p, 400, "method name too long");
	util_strlcpy(p->req.method, m, sizeof(p->req.method));
	if (p->req.target == NULL)
		return fail(p, 400, "missing request target");
	/* Refuse a declared body that is too large before reading any of it. */
	if ((lp->flags & F_CONTENT_LENGTH) && lp->content_length > p->max_body)
		return fail(p, 413, "request body too large");
	p->req.keep_alive = llhttp_should_keep_alive(lp);
	/* Pause, so that http_parser_feed() can count the head exactly. */
	return HPE_PAUSED;
}

static int
on_chunk_header(llhttp_t *lp)
{
	struct http_parser	*p = lp->data;

	/* llhttp puts the size of the chunk just announced here. */
	if (lp->content_length > p->max_body - p->req.bodylen)
		return fail(p, 413, "request body too large");
	return 0;
}

static int
on_body(llhttp_t *lp, const char *at, size_t len)
{
	struct http_parser	*p = lp->data;
	struct http_request	*r = &p->req;

	if (len > p->max_body - r->bodylen)
		return fail(p, 413, "request body too large");
	if (r->bodylen + len + 1 > p->bodycap) {
		size_t	cap = p->bodycap ? p->bodycap : 256;

		/* Content-Length known: one allocation of the right size. */
		if ((lp->flags & F_CONTENT_LENGTH) && p->bodycap == 0)
			cap = TD_MAX(cap, (size_t)lp->content_length + len + 1);
		while (cap < r->bodylen + len + 1)
			cap *= 2;
		r->body = xrealloc(r->body, cap);
		p->bodycap = cap;
	}
	memcpy(r->body + r->bodylen, at, len);
	r->bodylen += len;
	r->body[r->bodylen] = '\0';
	return 0;
}

static int
on_message_complete(llhttp_t *lp)
{
	struct http_parser	*p = lp->data;

	if (p->req.body == NULL) {
		p->req.body = xstrdup("");
		p->bodycap = 1;
	}
	/* A CONNECT or Upgrade is answered, then the connection closes. */
	p->req.keep_alive = llhttp_should_keep_alive(lp) && !lp->upgrade;
	p->done = 1;
	return HPE_PAUSED;
}

/* Append to a NUL-terminated string that grows with each span. */
static void
grow_append(char **s, size_t *len, const char *at, size_t n)
{
	*s = xrealloc(*s, *len + n + 1);
	memcpy(*s + *len, at, n);
	*len += n;
	(*s)[*len] = '\0';
}

static void
request_clear(struct http_request *r)
{
	size_t	i;

	free(r->target);
	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->body);
	memset(r, 0, sizeof(*r));
}
