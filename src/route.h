/*
 * route.h: (method, path) -> what to do, and the JSON error body that every
 * endpoint shares:
 *   {"error":{"code":400,"status":"INVALID_ARGUMENT","message":"..."}}
 * Pure: no I/O.
 */
#ifndef TD_ROUTE_H
#define TD_ROUTE_H

#include <stddef.h>

enum route_id {
	ROUTE_NONE = 0,		/* see route_match.status */
	ROUTE_HEALTH,		/* GET|HEAD /health */
	ROUTE_ENQUEUE		/* POST /v1/enqueue */
};

struct route_match {
	enum route_id	 id;
	int		 status;	/* 0 on a match, else 404 or 405 */
	const char	*allow;		/* with 405: the Allow header value */
};

/*
 * Match a request.  path is the request target as received; the query
 * string (after '?') is ignored.  Always fills m.
 */
void	route_match(const char *method, const char *path, size_t pathlen,
	    struct route_match *m);

/* "INVALID_ARGUMENT" for 400, "NOT_FOUND" for 404, ... (google.rpc). */
const char *route_status_name(int code);
/* "Bad Request" for 400, ... (the HTTP reason phrase). */
const char *route_reason(int code);

/*
 * The error body, malloc'd and NUL-terminated; *len gets its length.
 * message is JSON-escaped here.
 */
char	*route_error_json(int code, const char *message, size_t *len);

#endif
