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
	ROUTE_ENQUEUE,		/* POST /v1/enqueue */
	ROUTE_METRICS,		/* GET|HEAD /metrics */
	ROUTE_STATS,		/* GET /v1/stats */
	ROUTE_QUEUES,		/* GET /v1/queues */
	ROUTE_QUEUE,		/* GET /v1/queues/{q} */
	ROUTE_QUEUE_PAUSE,	/* POST /v1/queues/{q}:pause */
	ROUTE_QUEUE_RESUME,	/* POST /v1/queues/{q}:resume */
	ROUTE_QUEUE_PURGE,	/* POST /v1/queues/{q}:purge */
	ROUTE_TASKS,		/* GET /v1/queues/{q}/tasks */
	ROUTE_TASKS_RETRY,	/* POST /v1/queues/{q}/tasks:retry */
	ROUTE_TASKS_DELETE,	/* POST /v1/queues/{q}/tasks:delete */
	ROUTE_QUEUE_TASK,	/* GET /v1/queues/{q}/tasks/{id} */
	ROUTE_TASK,		/* GET /v1/tasks/{id} */
	ROUTE_TASK_DELETE,	/* DELETE /v1/tasks/{id} */
	ROUTE_TASK_RETRY	/* POST /v1/tasks/{id}:retry */
};

struct route_match {
	enum route_id	 id;
	int		 status;	/* 0 on a match, else 404 or 405 */
	const char	*allow;		/* with 405: the Allow header value */
	/* {q} and {id} of the path: pointers into it, not NUL-terminated */
	const char	*queue;
	size_t		 queuelen;
	const char	*task;
	size_t		 tasklen;
};

/*
 * Match a request.  path is the request target as received; the query
 * string (after '?') is ignored.  Always fills m.  A {q} or {id} segment
 * is one or more bytes other than '/', ':', '?' and '%'; whether such a
 * queue or task exists is the handler's business (404 there).
 */
void	route_match(const char *method, const char *path, size_t pathlen,
	    struct route_match *m);

/*
 * The value of query parameter name in target (after '?'), decoded
 * (%XX and '+'), into buf.  Returns its length, or -1 when absent, or
 * when it does not fit in buflen (including its NUL) or decodes badly
 * (-2).
 */
int	route_query(const char *target, size_t targetlen, const char *name,
	    char *buf, size_t buflen);

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
