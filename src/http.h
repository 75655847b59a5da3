/*
 * http.h: HTTP/1.1 requests parsed with llhttp from byte buffers, and the
 * response writer.  Pure: the listener feeds bytes in and writes out what
 * comes back; nothing here touches a socket, so the fuzzer and the unit
 * tests can drive it directly.
 */
#ifndef TD_HTTP_H
#define TD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "llhttp.h"

#define HTTP_HEADERS_MAX	64	/* headers per request */

struct http_header {
	char	*name;		/* as received */
	char	*value;
};

struct http_request {
	char			 method[16];
	char			*target;	/* path and query, NUL-terminated */
	size_t			 targetlen;
	struct http_header	 headers[HTTP_HEADERS_MAX];
	size_t			 nheaders;
	char			*body;		/* NUL-terminated, may hold NULs */
	size_t			 bodylen;
	int			 keep_alive;
};

enum http_state {
	HTTP_NEED_MORE = 0,	/* all input consumed, no complete request */
	/* Not HTTP_REQUEST: llhttp.h already names its enum llhttp_type so. */
	HTTP_GOT_REQUEST,	/* a complete request is in p->req */
	HTTP_ERROR		/* p->error_status says which (400, 413, 431) */
};

struct http_parser {
	llhttp_t		 parser;
	llhttp_settings_t	 settings;
	struct http_request	 req;
	size_t			 max_header;	/* bytes of request line+headers */
	size_t			 max_body;
	size_t			 header_bytes;
	size_t			 bodycap;
	int			 done;		/* message complete */
	int			 in_headers;	/* header bytes being read */
	int			 error_status;
	const char		*error_reason;	/* for the log / error body */
	/* building the current header name and value */
	char			*cur_name;
	size_t			 cur_namelen;
	char			*cur_value;
	size_t			 cur_valuelen;
	int			 last_was_value;
};

void	http_parser_init(struct http_parser *, size_t max_header,
	    size_t max_body);
/*
 * Feed bytes.  *used gets how many were consumed: on HTTP_GOT_REQUEST the
 * rest of the buffer belongs to the next (pipelined) request and must be
 * fed again after http_parser_next().
 */
enum http_state	http_parser_feed(struct http_parser *, const char *,
		    size_t, size_t *used);
/* True if bytes of a request have arrived but it is not complete. */
int	http_parser_started(const struct http_parser *);
/* Free the current request and get ready for the next one. */
void	http_parser_next(struct http_parser *);
void	http_parser_free(struct http_parser *);

/* Case-insensitive header lookup; NULL when absent. */
const char *http_header_get(const struct http_request *, const char *);

/*
 * A growable output buffer, and the response writer: status line, Date-less
 * headers (Content-Type, Content-Length, Connection, extra), body.
 */
struct http_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	http_buf_append(struct http_buf *, const void *, size_t);
void	http_buf_free(struct http_buf *);
/*
 * extra: NULL or "Name: value\r\n..." lines.  body NULL writes the headers
 * only, Content-Length still bodylen: the answer to a HEAD request.
 */
void	http_response(struct http_buf *, int status, const char *ctype,
	    const char *body, size_t bodylen, int keep_alive,
	    const char *extra);

#endif
